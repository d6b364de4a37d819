//! A CSV ledger reads the same in every encoding a spreadsheet program on Chinese Windows or a
//! Mac saves: GBK and GB18030 (Excel's "CSV"), UTF-16 LE and BE with a BOM (tab-separated
//! "Unicode text"), UTF-8 with and without a BOM.

use gridwalk_server::ledger::import;

/// A ledger with a name only GB18030 (not GBK) can hold: 𪚥 takes four bytes there.
const LEDGER: &str = "社区,网格,小区,楼栋,单元,房号,房屋用途,姓名,身份证号码,联系电话,与户主关系,户籍类型,特殊人群\n\
阳光社区,第一网格,阳光花园,1号楼,1,101,自住,张三丰,110101198503070013,13800138000,本人,本地,\n\
阳光社区,第一网格,阳光花园,1号楼,1,101,自住,李𪚥,110105199001010029,13912345678,妻子,外地,\n\
阳光社区,第一网格,阳光花园,2号楼,3,302,出租,欧阳娜娜,110105194912310021,,户主,户籍,独居\n";

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut out = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for unit in text.encode_utf16() {
        out.extend(if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    out
}

/// The ledger's rows as read: every cell of every row.
fn read(bytes: &[u8]) -> Vec<Vec<String>> {
    import::read_csv(bytes)
        .unwrap()
        .rows
        .iter()
        .map(|r| r.cells.iter().map(|c| c.text.clone()).collect())
        .collect()
}

#[test]
fn a_ledger_reads_the_same_in_every_encoding() {
    let expected = read(LEDGER.as_bytes());
    assert_eq!(expected.len(), 3);
    assert_eq!(expected[1][7], "李𪚥");
    let gbk_text = LEDGER.replace("李𪚥", "李娜");
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&gbk_text);
    assert!(!unmappable);
    let (gb18030, _, unmappable) = encoding_rs::GB18030.encode(LEDGER);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&gb18030).is_err(),
        "the GB18030 file is not UTF-8"
    );
    let tabbed = LEDGER.replace(',', "\t");
    let files: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "UTF-8 with BOM",
            [b"\xEF\xBB\xBF".as_slice(), LEDGER.as_bytes()].concat(),
            LEDGER,
        ),
        ("UTF-8 without BOM", LEDGER.as_bytes().to_vec(), LEDGER),
        ("GB18030", gb18030.into_owned(), LEDGER),
        ("GBK", gbk.into_owned(), &gbk_text),
        ("UTF-16 LE, tabs", utf16(&tabbed, false), LEDGER),
        ("UTF-16 BE, tabs", utf16(&tabbed, true), LEDGER),
        ("UTF-16 LE, commas", utf16(LEDGER, false), LEDGER),
    ];
    for (what, bytes, text) in files {
        assert_eq!(read(&bytes), read(text.as_bytes()), "{what}");
    }
}

/// The shared GBK sample (as Excel on Chinese Windows saves it) reads its names right.
#[test]
fn the_shared_gbk_ledger_reads_its_names() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/ledgers/ledger_gbk.csv");
    let rows = read(&std::fs::read(path).unwrap());
    assert!(rows.iter().any(|r| r[7] == "杨建华"), "{rows:?}");
}
