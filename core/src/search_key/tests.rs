//! Search keys: surname readings, common readings, variants, parts, tables.

use super::*;

/// The initials of every key of `name`, best first.
fn keys(name: &str) -> Vec<String> {
    initials_keys(name)
        .into_iter()
        .map(|k| k.initials)
        .collect()
}

#[test]
fn initials_of_chinese_names() {
    assert_eq!(pinyin_initials("张三"), "zs");
    assert_eq!(pinyin_initials("欧阳娜娜"), "oynn");
    assert_eq!(pinyin_initials("李Lily"), "llily");
    assert_eq!(keys("张三"), ["zs"]);
    assert!(keys("").is_empty());
    assert!(keys("·").is_empty());
}

#[test]
fn a_polyphonic_surname_is_read_as_a_surname_and_in_its_common_reading() {
    assert_eq!(keys("曾小明"), ["zxm", "cxm"]);
    assert_eq!(keys("单丽华"), ["slh", "clh", "dlh"]);
    assert_eq!(keys("解晓东"), ["xxd", "jxd"]);
    assert_eq!(pinyin_initials("曾小明"), "zxm");
}

/// Every surname from the issue: the name 〈surname〉小明 has the key of the surname
/// reading and the key of the common reading.
#[test]
fn every_polyphonic_surname_has_its_surname_key() {
    let cases = [
        ("单", "s"),
        ("解", "x"),
        ("曾", "z"),
        ("区", "o"),
        ("仇", "q"),
        ("朴", "p"),
        ("查", "z"),
        ("盖", "g"),
        ("繁", "p"),
        ("覃", "q"),
        ("覃", "t"),
        ("员", "y"),
        ("尉", "y"),
        ("乐", "y"),
        ("缪", "m"),
        ("秘", "b"),
        ("种", "c"),
        ("召", "s"),
        ("长孙", "zs"),
        ("尉迟", "yc"),
        ("万俟", "mq"),
        ("澹台", "tt"),
        ("令狐", "lh"),
        ("洗", "x"),
        ("冼", "x"),
        ("宿", "s"),
        ("翟", "z"),
        ("翟", "d"),
        ("过", "g"),
        ("句", "g"),
        ("折", "s"),
        ("能", "n"),
        ("黑", "h"),
        ("重", "c"),
        ("柏", "b"),
        ("蕃", "p"),
        ("那", "n"),
        ("都", "d"),
        ("阚", "k"),
        ("厍", "s"),
        ("佴", "n"),
        ("牟", "m"),
        ("隗", "k"),
    ];
    for (surname, initials) in cases {
        let name = format!("{surname}小明");
        let keys = keys(&name);
        assert!(
            keys.contains(&format!("{initials}xm")),
            "{name}: {keys:?} lacks the surname reading {initials}"
        );
        let common: String = name.chars().filter_map(common_initial).collect();
        assert!(keys.contains(&common), "{name}: {keys:?} lacks {common}");
    }
    // The readings that differ from the common one are not the first letter by chance.
    assert_eq!(keys("万俟小明")[..2], ["mqxm", "wqxm"]);
    assert_eq!(keys("澹台小明")[..2], ["ttxm", "dtxm"]);
    assert_eq!(keys("长孙无忌")[..2], ["zswj", "cswj"]);
    assert_eq!(keys("尉迟恭")[..2], ["ycg", "wcg"]);
}

#[test]
fn every_double_surname_of_the_hundred_family_surnames_is_read_whole() {
    let doubles: Vec<_> = surnames::SURNAMES
        .iter()
        .filter(|(s, _)| s.chars().count() >= 2)
        .collect();
    assert!(doubles.len() >= 80, "{} double surnames", doubles.len());
    for (surname, readings) in doubles {
        let name = format!("{surname}小明");
        let keys = keys(&name);
        for reading in *readings {
            let initials: String = reading.split(' ').map(|s| &s[..1]).collect();
            assert_eq!(
                keys[0],
                format!("{initials}xm"),
                "{name}: the double surname's reading comes first"
            );
        }
    }
}

#[test]
fn the_given_name_keeps_its_common_reading() {
    // pinyin-data reads 长 zhǎng first: 长江 is cháng, so both readings are keys, the
    // other one marked as a variant.
    assert_eq!(
        initials_keys("李长江"),
        [
            InitialsKey {
                initials: "lzj".into(),
                variant: false
            },
            InitialsKey {
                initials: "lcj".into(),
                variant: true
            }
        ]
    );
    // 乐 in a given name is lè, and yuè for some: the surname reading stays with the
    // surname, the common reading comes first for the given name.
    let zeng_lele = keys("曾乐乐");
    assert_eq!(zeng_lele[..2], ["zll", "cll"]);
    assert!(zeng_lele.contains(&"zyy".to_string()), "{zeng_lele:?}");
    // A polyphonic surname repeated in the given name: only the first is a surname.
    assert_eq!(keys("单单")[..3], ["sd", "cd", "dd"]);
    assert_eq!(keys("王单")[0], "wd");
    assert!(keys("王单").contains(&"ws".to_string()));
    // A surname not in the table keeps its common reading only (王 is also yù in
    // pinyin-data, which no one says of the surname).
    assert!(keys("王小明").iter().all(|k| k.starts_with('w')));
    // Variants come after every key that reads the given name commonly.
    for name in ["曾乐乐", "单单", "阿依古丽·买买提", "张朝阳"] {
        let all = initials_keys(name);
        let first_variant = all.iter().position(|k| k.variant).unwrap_or(all.len());
        assert!(
            all[first_variant..].iter().all(|k| k.variant),
            "{name}: {all:?}"
        );
        assert!(all.len() <= MAX_KEYS);
    }
}

#[test]
fn names_in_parts_have_a_key_for_each_later_part() {
    assert_eq!(keys("阿依古丽·买买提")[..2], ["ayglmmt", "mmt"]);
    assert_eq!(keys("阿依古丽•买买提")[..2], ["ayglmmt", "mmt"]);
    assert_eq!(keys("阿依古丽・买买提")[..2], ["ayglmmt", "mmt"]);
    assert_eq!(
        keys("努尔·阿卜杜拉·买买提")[..3],
        ["neabdlmmt", "abdlmmt", "mmt"]
    );
    assert_eq!(keys("John Smith"), ["johnsmith", "smith"]);
    assert_eq!(keys(" 张三 "), ["zs"], "outer spaces are not parts");
}

#[test]
fn latin_letters_and_digits_are_kept_full_width_ones_as_ascii() {
    assert_eq!(keys("李Lily"), ["llily"]);
    assert_eq!(keys("Ｌｉｌｙ王")[0], "lilyw");
    assert_eq!(keys("王2"), ["w2"]);
}

#[test]
fn characters_outside_the_basic_plane_have_readings() {
    assert_eq!(
        keys("赵孟𫖯")[0],
        "zmf",
        "U+2B5AF 𫖯 fǔ, from the pinyin crate"
    );
    assert_eq!(keys("吴𬱖")[0], "wd", "U+2CC56 𬱖 dí");
    assert_eq!(keys("李𬌗")[0], "lh", "U+2C317 𬌗 hé");
    assert_eq!(keys("王𪨧")[0], "wl", "U+2AA27 𪨧 lún");
    assert_eq!(keys("刘䶮")[0], "ly", "U+4DAE 䶮 yǎn, Extension A");
    assert_eq!(
        keys("王𠇔"),
        ["wt"],
        "U+201D4 𠇔 tuō: only in extra_initials.txt"
    );
}

#[test]
fn the_extra_table_is_sorted_well_formed_and_only_what_the_crate_lacks() {
    let table = extra_table();
    assert!(table.len() >= 1700, "{} entries", table.len());
    assert!(
        table.windows(2).all(|w| w[0].0 < w[1].0),
        "sorted, no repeats"
    );
    for &(code, letter) in table {
        let c = char::from_u32(code).expect("a character");
        assert!(letter.is_ascii_lowercase(), "{c}: {letter}");
        assert!(
            pinyin::ToPinyin::to_pinyin(&c).is_none(),
            "{c} is read by the crate already"
        );
    }
    let entries = EXTRA_INITIALS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(str::split_whitespace)
        .count();
    assert_eq!(entries, table.len(), "every entry parses");
}

#[test]
fn the_surname_table_is_well_formed() {
    let mut seen = std::collections::HashSet::new();
    for (surname, readings) in surnames::SURNAMES {
        assert!(seen.insert(surname), "{surname} listed twice");
        assert!(!readings.is_empty(), "{surname}");
        for reading in *readings {
            assert_eq!(
                reading.split(' ').count(),
                surname.chars().count(),
                "{surname}: one syllable per character in {reading:?}"
            );
            assert!(
                reading.chars().all(|c| c == ' ' || c.is_ascii_lowercase()),
                "{surname}: {reading:?}"
            );
        }
    }
}

#[test]
fn queries_are_classified_by_shape() {
    assert_eq!(classify(" 0021 "), Some(QueryShape::Digits("0021".into())));
    assert_eq!(classify("002x"), Some(QueryShape::Digits("002X".into())));
    assert_eq!(classify("ZS"), Some(QueryShape::Initials("zs".into())));
    assert_eq!(classify("张"), Some(QueryShape::Name("张".into())));
    assert_eq!(classify("x"), Some(QueryShape::Initials("x".into())));
    assert_eq!(classify(""), None);
}

#[test]
fn upper_bound_follows_every_prefixed_string() {
    let lo = "zs";
    let hi = prefix_upper_bound(lo).unwrap();
    assert_eq!(hi, "zt");
    let in_range = |k: &str| lo <= k && k < hi.as_str();
    for name in ["张三", "张三丰", "曾顺", "赵四", "张思政"] {
        let key = pinyin_initials(name);
        assert!(in_range(&key), "{name} ({key}) is in the zs range");
    }
    for name in ["张涛", "张", "周", "郑天宇", "曾小明"] {
        let key = pinyin_initials(name);
        assert!(!in_range(&key), "{name} ({key}) is outside the zs range");
    }
    assert_eq!(prefix_upper_bound("a\u{10FFFF}").as_deref(), Some("b"));
    assert_eq!(prefix_upper_bound("\u{10FFFF}"), None);
}

#[test]
fn queries_typed_full_width_or_pasted_with_invisible_characters_are_classified_as_typed() {
    assert_eq!(classify("０２１"), Some(QueryShape::Digits("021".into())));
    assert_eq!(
        classify("\u{202D}1380 0138\u{202C}"),
        Some(QueryShape::Digits("13800138".into()))
    );
    assert_eq!(classify("ＺＸＭ"), Some(QueryShape::Initials("zxm".into())));
    assert_eq!(
        classify("\u{200B}曾小明\u{3000}"),
        Some(QueryShape::Name("曾小明".into()))
    );
    assert_eq!(classify("\u{200B}\u{FEFF}"), None);
}
