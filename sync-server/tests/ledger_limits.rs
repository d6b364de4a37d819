//! A ledger's reading is bounded and private: only the mapped columns are kept, the rows are
//! capped with a message, and a person registered outside the importer's area is refused
//! without naming anything of that other area.

mod common;

use gridwalk_core::messages::Lang;
use gridwalk_core::records::reference::{ReferenceItem, ReferenceKind};
use gridwalk_core::{Actor, Role};
use gridwalk_server::ledger::{LedgerError, import, read};

const HEADER: &str = "社区,网格,小区,楼栋,单元,房号,房屋用途,备注,姓名,身份证号码,联系电话";

fn data() -> (tempfile::TempDir, gridwalk_server::server::Data) {
    common::data_with(&[
        ReferenceItem::new(ReferenceKind::Community, "C01", None, "阳光社区"),
        ReferenceItem::new(ReferenceKind::Grid, "C01-G01", Some("C01"), "第一网格"),
        ReferenceItem::new(ReferenceKind::Grid, "C01-G02", Some("C01"), "第二网格"),
        ReferenceItem::new(ReferenceKind::Compound, "Q1", Some("C01"), "阳光花园")
            .in_grid("C01-G01"),
        ReferenceItem::new(ReferenceKind::Compound, "Q2", Some("C01"), "锦绣家园")
            .in_grid("C01-G02"),
        ReferenceItem::new(ReferenceKind::Building, "B1", Some("Q1"), "1号楼"),
        ReferenceItem::new(ReferenceKind::Building, "B3", Some("Q2"), "7号楼"),
    ])
}

/// Below the header, a column no header names is not kept, in CSV and XLSX alike (a 备注
/// column of 10 KB a row would otherwise be held for the whole file).
#[test]
fn only_the_mapped_columns_are_kept() {
    let big = "备".repeat(3_000);
    let mut csv = format!("{HEADER},,\n");
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    for (c, h) in HEADER.split(',').enumerate() {
        ws.write_string(0, c as u16, h).unwrap();
    }
    for i in 1..=40u32 {
        let row = format!("阳光社区,第一网格,阳光花园,1号楼,1,{i},自住,{big},某{i},,,{big}");
        csv.push_str(&row);
        csv.push('\n');
        for (c, v) in row.split(',').enumerate() {
            ws.write_string(i, c as u16, v).unwrap();
        }
    }
    let xlsx = book.save_to_buffer().unwrap();
    for table in [
        read::csv_table(csv.as_bytes()).unwrap(),
        read::xlsx_table(&xlsx).unwrap(),
    ] {
        assert_eq!(table.rows.len(), 41);
        let held: usize = table
            .rows
            .iter()
            .skip(read::HEADER_SEARCH_ROWS)
            .flat_map(|(_, cells)| cells)
            .map(|c| c.text.len())
            .sum();
        assert!(
            held < 2_000,
            "{held} bytes kept of the rows below the first"
        );
        let (_, last) = table.rows.last().unwrap();
        assert_eq!(last[8].text, "某40", "mapped columns are read");
        assert!(last.len() <= 11, "nothing right of the last header is kept");
    }
    // The ledger is the same as before: 备注 is listed as ignored.
    let ledger = import::read_csv(csv.as_bytes()).unwrap();
    assert_eq!(ledger.rows.len(), 40);
    assert_eq!(ledger.ignored, ["备注"]);
}

/// More than `MAX_ROWS` data rows: the whole file is refused with a message saying to split
/// it; exactly `MAX_ROWS` is read.
#[test]
fn rows_are_capped_with_a_message() {
    let file = |n: usize| {
        let mut csv = format!("{HEADER}\n");
        for i in 0..n {
            csv.push_str(&format!(
                "阳光社区,第一网格,阳光花园,1号楼,1,{i},自住,,某,,\n"
            ));
        }
        csv
    };
    let ledger = import::read_csv(file(read::MAX_ROWS).as_bytes()).unwrap();
    assert_eq!(ledger.rows.len(), read::MAX_ROWS);
    let Err(err) = import::read_csv(file(read::MAX_ROWS + 1).as_bytes()) else {
        panic!("a ledger of more than MAX_ROWS rows was read");
    };
    assert!(matches!(err, LedgerError::TooManyRows(_)), "{err:?}");
    let message = err.message();
    assert_eq!(message.code, "ledger.too_many_rows");
    assert_eq!(
        message.render(Lang::ZhCn),
        "台账超过 100000 行，请分成几个文件导入"
    );
}

/// A supervisor of grid 1 imports a person whose ID number is registered in grid 2: the row
/// is refused as "registered elsewhere", and nothing of grid 2 (its places, the household,
/// the other resident's name) appears anywhere in the preview.
#[test]
fn a_person_registered_outside_the_area_is_refused_naming_nothing_there() {
    let (_d, data) = data();
    let admin = Actor::new("admin", Role::Admin);
    let there = "社区,网格,小区,楼栋,单元,房号,房屋用途,姓名,身份证号码\n\
                 阳光社区,第二网格,锦绣家园,7号楼,5,509,自住,欧阳秘密,110101198503070013\n";
    let preview = import::preview(
        import::read_csv(there.as_bytes()).unwrap(),
        &data.store,
        None,
    )
    .unwrap();
    import::commit(&data.store, &admin, &preview).unwrap();

    let here = "社区,网格,小区,楼栋,单元,房号,房屋用途,姓名,身份证号码\n\
                阳光社区,第一网格,阳光花园,1号楼,1,101,自住,张三,110101198503070013\n\
                阳光社区,第一网格,阳光花园,1号楼,1,102,自住,李四,\n";
    let area = ["C01-G01".to_owned()];
    let preview = import::preview(
        import::read_csv(here.as_bytes()).unwrap(),
        &data.store,
        Some(&area),
    )
    .unwrap();
    assert_eq!(preview.bad.len(), 1, "{:#?}", preview.bad);
    assert_eq!(preview.bad[0].line, 2);
    assert_eq!(preview.bad[0].reason.code, "ledger.registered_elsewhere");
    let zh = preview.bad[0].reason.render(Lang::ZhCn);
    assert!(zh.contains("已在您的管辖范围外登记"), "{zh}");
    let everything = format!(
        "{} {:?} {}",
        serde_json::to_string(&preview).unwrap(),
        preview,
        preview.bad[0].reason.render(Lang::En)
    );
    for secret in [
        "C01-G02",
        "Q2",
        "B3",
        "锦绣家园",
        "7号楼",
        "509",
        "欧阳秘密",
    ] {
        assert!(!everything.contains(secret), "{secret} named: {everything}");
    }
    assert_eq!(preview.residents(), 1, "李四 is imported");
    assert_eq!(
        preview.households.len(),
        1,
        "the refused row makes no empty household at its address"
    );
}
