//! One normalisation of everything a person types, before it is judged, stored, compared or
//! searched (DESIGN.md, "Rules"): on the device, on the server, in the ledger import and in
//! search queries alike, so two replicas never hold one value in two forms.
//!
//! What people's input really carries (seen in field tools' bug reports): invisible format
//! characters from a phone's contacts (U+202D … U+202C around a number, U+2068/U+2069,
//! U+200B, U+FEFF), full-width digits and letters from a Chinese IME (６４０１…, Ｌｉｌｙ), the
//! ideographic space U+3000 and no-break spaces from documents, and spaces around everything.
//!
//! Two strengths:
//! * [`clean`] for names and free text: format and control characters removed, full-width
//!   letters and digits and the half-width forms folded (only those of the Halfwidth and
//!   Fullwidth Forms block, and U+3000 — full NFKC would also turn ㎡ into m2 and ① into 1 in a
//!   worker's notes, and full-width punctuation into ASCII: Chinese is written with ，。！？,
//!   which stay), every other character composed (NFC), all kinds of space made a plain space,
//!   ends trimmed.
//! * [`identifier`] for ID numbers, phones, codes and search queries: full NFKC, then the same,
//!   since there any compatibility form is only another way of typing the same digit.
//!
//! Empty after cleaning means absent ([`field`]): an ID number of three invisible characters is
//! no ID number.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::decompose_compatible;

/// Characters that carry no visible text: bidi controls and isolates, zero-width characters,
/// the byte-order mark, the soft hyphen, fillers and blank patterns used as "invisible names",
/// tags (Unicode general category Cf, plus the controls a paste can carry). Tabs and line
/// breaks are not invisible: [`clean`] keeps them in notes and [`single_line`] makes them spaces.
pub fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{0600}'..='\u{0605}' | '\u{06DD}' | '\u{070F}' | '\u{08E2}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{2800}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFFC}'
        | '\u{110BD}' | '\u{110CD}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
        || (c.is_control() && c != '\n' && c != '\t' && c != '\r')
}

/// Joiners and variation selectors that belong to the character before them (an emoji family,
/// ❤️, an ideographic variant such as 葛󠄀): kept after a visible character, removed alone.
fn is_joiner(c: char) -> bool {
    matches!(
        c,
        '\u{200D}' | '\u{FE0E}' | '\u{FE0F}' | '\u{E0100}'..='\u{E01EF}'
    )
}

/// Dashes people and programs put between groups of digits (U+2010–U+2015, the minus sign),
/// folded to `-` in identifiers so `138‐0013‐8000` is the number it looks like.
fn is_dash(c: char) -> bool {
    matches!(
        c,
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}'
    )
}

/// A name or free text as it is stored: see the module comment. Line breaks are kept (notes
/// have them); other whitespace becomes a plain space.
pub fn clean(input: &str) -> String {
    let mut folded = String::with_capacity(input.len());
    let mut after_visible = false;
    for c in input.chars() {
        if is_joiner(c) && after_visible {
            folded.push(c);
            continue;
        }
        if is_invisible(c) {
            continue;
        }
        match c {
            '\u{3000}' => folded.push(' '),
            '\r' => {}
            // Full-width letters and digits (Ｌｉｌｙ, ６４) and the half-width forms are other ways
            // of typing ordinary characters; full-width punctuation (，。！？：；（）) is how
            // Chinese is written, and stays.
            '\u{FF10}'..='\u{FF19}'
            | '\u{FF21}'..='\u{FF3A}'
            | '\u{FF41}'..='\u{FF5A}'
            | '\u{FF61}'..='\u{FFDC}'
            | '\u{FFE8}'..='\u{FFEE}' => decompose_compatible(c, |d| folded.push(d)),
            c if c.is_whitespace() && c != '\n' && c != '\t' => folded.push(' '),
            c => folded.push(c),
        }
        after_visible = !c.is_whitespace();
    }
    let composed: String = folded.nfc().collect();
    composed.trim().to_owned()
}

/// A one-line value (a name, an address part): [`clean`], with tabs and line breaks (a cell
/// pasted from a spreadsheet) made single spaces.
pub fn single_line(input: &str) -> String {
    let cleaned = clean(input);
    let mut out = String::with_capacity(cleaned.len());
    for c in cleaned.chars() {
        if c == '\n' || c == '\t' {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// An ID number, phone, code or search query: full NFKC (any compatibility form is just
/// another way of typing the same character), invisible characters removed, trimmed.
pub fn identifier(input: &str) -> String {
    let without: String = input
        .chars()
        .filter(|&c| !is_invisible(c) && !is_joiner(c))
        .collect();
    let nfkc: String = without.nfkc().collect();
    let dashed: String = nfkc
        .chars()
        .map(|c| if is_dash(c) { '-' } else { c })
        .collect();
    single_line(&dashed)
}

/// A typed one-line value that may be absent: [`single_line`], and `None` when nothing is
/// left.
pub fn field(input: &str) -> Option<String> {
    Some(single_line(input)).filter(|s| !s.is_empty())
}

/// [`identifier`], and `None` when nothing is left.
pub fn identifier_field(input: &str) -> Option<String> {
    Some(identifier(input)).filter(|s| !s.is_empty())
}

/// Whether a one-line `value` (a name) is already in the form [`single_line`] stores; the
/// server refuses a new value that is not, so every replica holds one form.
pub fn is_clean(value: &str) -> bool {
    single_line(value) == value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_wrap_numbers_in_invisible_characters() {
        for pasted in [
            "\u{202D}13800138000\u{202C}",
            "\u{2068}13800138000\u{2069}",
            "\u{FEFF}13800138000",
            "138\u{200B}0013\u{200B}8000",
            " 13800138000\u{00A0}",
            "\u{200E}13800138000\u{200F}",
        ] {
            assert_eq!(identifier(pasted), "13800138000", "{pasted:?}");
        }
    }

    #[test]
    fn full_width_input_becomes_ascii() {
        assert_eq!(
            identifier("６４０１０２１９９００１０１００２Ｘ"),
            "64010219900101002X"
        );
        assert_eq!(clean("李Ｌｉｌｙ"), "李Lily");
        assert_eq!(clean("\u{3000}张三\u{3000}"), "张三");
        assert_eq!(identifier("１３８－００１３－８０００"), "138-0013-8000");
    }

    #[test]
    fn notes_keep_their_symbols_and_lines() {
        assert_eq!(clean("面积 50㎡\n① 漏水"), "面积 50㎡\n① 漏水");
    }

    #[test]
    fn chinese_punctuation_stays_full_width() {
        let note = "与上周整改单重复，撤销！问题：楼道（3号楼）堆物；见附件？";
        assert_eq!(clean(note), note);
        assert!(is_clean(note));
        // Full-width letters and digits inside Chinese text are still folded.
        assert_eq!(clean("３号楼，ＡＢ单元"), "3号楼，AB单元");
        // Half-width katakana are composed to their usual width.
        assert_eq!(clean("ｶﾀｶﾅ"), "カタカナ");
    }

    #[test]
    fn nothing_visible_is_absent() {
        assert_eq!(field("\u{200B}\u{FEFF} \u{3000}"), None);
        assert_eq!(identifier_field(""), None);
        assert_eq!(field(" 王芳 "), Some("王芳".into()));
    }

    #[test]
    fn what_reviewers_pasted() {
        assert_eq!(field("\u{2800}"), None, "a Braille blank is no name");
        assert_eq!(field("王\t芳\r\n"), Some("王 芳".into()));
        assert_eq!(identifier("138\u{2010}0013\u{2013}8000"), "138-0013-8000");
        assert_eq!(identifier("138\t0013\t8000"), "138 0013 8000");
        assert_eq!(
            clean("👨\u{200D}👩\u{200D}👧 ❤\u{FE0F}"),
            "👨\u{200D}👩\u{200D}👧 ❤\u{FE0F}"
        );
        assert_eq!(
            clean("\u{200D}\u{FE0F}王芳"),
            "王芳",
            "a joiner alone is invisible"
        );
        assert_eq!(clean("葛\u{E0100}"), "葛\u{E0100}");
    }

    #[test]
    fn decomposed_text_is_composed() {
        assert_eq!(clean("Zoe\u{0301}"), "Zoé");
        assert!(is_clean("Zoé"));
        assert!(!is_clean("王\u{200B}芳"));
    }
}
