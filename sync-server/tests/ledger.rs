//! Ledger import and export: every bad row listed with its reason before anything is written;
//! the good rows become households; exports read back.

mod common;

use gridwalk_core::records::reference::{ReferenceItem, ReferenceKind};
use gridwalk_core::store::queries::AddressScope;
use gridwalk_core::{Actor, Role};
use gridwalk_server::ledger::{export, import};

const LEDGER: &str = "\
社区,网格,小区,楼栋,单元,房号,房屋用途,姓名,身份证号,电话,与户主关系,户籍类型,特殊人群
C01,C01-G01,Q1,B1,1,101,自住,张三,110101198503070013,13800138000,户主,户籍,
C01,C01-G01,Q1,B1,1,101,自住,李梅,110105199001010029,+86 139 1234 5678,配偶,户籍,
C01,C01-G01,Q1,B1,1,102,出租,王五,110105194912310021,,户主,流动,
C01,C01-G01,Q1,B1,1,103,自住,赵六,,138-abc,户主,户籍,
C01,C01-G01,Q1,B1,1,104,自住,张三,110101198503070013,,户主,户籍,
C01,C01-G01,Q1,B9,1,101,自住,孙七,,,户主,户籍,
C01,C01-G01,Q1,B1,2,201,空置,,,,,,
C01,C01-G01,Q1,B1,2,202,自住,周八,11010519491231002X,010-6552 9988,户主,户籍,独居老人
";

fn data() -> (tempfile::TempDir, gridwalk_server::server::Data) {
    common::data_with(&[
        ReferenceItem::new(ReferenceKind::Community, "C01", None, "阳光社区"),
        ReferenceItem::new(ReferenceKind::Grid, "C01-G01", Some("C01"), "第一网格"),
        ReferenceItem::new(ReferenceKind::Compound, "Q1", Some("C01"), "阳光花园")
            .in_grid("C01-G01"),
        ReferenceItem::new(ReferenceKind::Building, "B1", Some("Q1"), "1号楼"),
        ReferenceItem::new(ReferenceKind::Building, "B2", Some("Q1"), "2号楼"),
    ])
}

#[test]
fn every_bad_row_is_listed_with_its_reason_before_anything_is_written() {
    let (_d, data) = data();
    let rows = import::read_csv(LEDGER.as_bytes()).unwrap();
    let preview = import::preview(rows, &data.store, None).unwrap();
    assert_eq!(preview.rows, 8);
    let bad: Vec<(usize, String)> = preview
        .bad
        .iter()
        .map(|b| (b.line, b.reason.to_string()))
        .collect();
    assert_eq!(bad.len(), 1, "{bad:#?}");
    assert!(
        bad[0].0 == 7 && bad[0].1.contains("no building B9"),
        "{:?}",
        bad[0]
    );
    // What a person must check at the door is imported, and listed: a wrong check digit, a
    // phone that does not parse, the same ID in another household, a landline.
    let to_check: Vec<(usize, String)> = preview
        .to_check
        .iter()
        .map(|b| (b.line, b.reason.to_string()))
        .collect();
    let lines: Vec<usize> = to_check.iter().map(|(l, _)| *l).collect();
    assert_eq!(lines, [4, 5, 6, 9], "{to_check:#?}");
    assert!(to_check[0].1.contains("check digit"), "{to_check:?}");
    assert!(to_check[1].1.contains("phone number"), "{to_check:?}");
    assert!(
        to_check[2].1.contains("as line 2 but in another household"),
        "{to_check:?}"
    );
    assert!(
        to_check[3].1.contains("not a mobile number"),
        "{to_check:?}"
    );
    assert!(
        preview
            .bad
            .iter()
            .chain(&preview.to_check)
            .all(|b| !b.reason.to_json().contains("19491231")),
        "ID numbers masked"
    );
    let grid = AddressScope::Grid("C01-G01".into());
    assert_eq!(
        data.store
            .list_households(&grid, 0, 100)
            .unwrap()
            .household_count,
        0,
        "nothing written yet"
    );

    // The commit creates the households of the good rows.
    let admin = Actor::new("admin", Role::Admin);
    let ids = import::commit(&data.store, &admin, &preview).unwrap();
    assert_eq!(
        ids.len(),
        6,
        "101 (two residents), 102, 103, 104, 201 (empty), 202"
    );
    let list = data.store.list_households(&grid, 0, 100).unwrap();
    assert_eq!((list.household_count, list.resident_count), (6, 6));
    // A second import of the same ledger changes nothing.
    let again = import::preview(
        import::read_csv(LEDGER.as_bytes()).unwrap(),
        &data.store,
        None,
    )
    .unwrap();
    assert_eq!(again.count(import::Status::Unchanged), 6);
    assert_eq!(
        again.count(import::Status::New) + again.count(import::Status::Changed),
        0
    );
    import::commit(&data.store, &admin, &again).unwrap();
    let list = data.store.list_households(&grid, 0, 100).unwrap();
    assert_eq!((list.household_count, list.resident_count), (6, 6));
}

#[test]
fn xlsx_ledgers_read_like_csv_and_exports_read_back() {
    let (_d, data) = data();
    let table: Vec<Vec<String>> = LEDGER
        .lines()
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect();
    let xlsx = export::to_xlsx(&table, "台账").unwrap();
    let from_xlsx = import::preview(import::read_xlsx(&xlsx).unwrap(), &data.store, None).unwrap();
    let from_csv = import::preview(
        import::read_csv(LEDGER.as_bytes()).unwrap(),
        &data.store,
        None,
    )
    .unwrap();
    assert_eq!(from_xlsx.bad, from_csv.bad);
    assert_eq!(from_xlsx.to_check, from_csv.to_check);
    let news = |p: &import::Preview| {
        p.households
            .iter()
            .map(|h| h.new.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(news(&from_xlsx), news(&from_csv));

    let admin = Actor::new("admin", Role::Admin);
    import::commit(&data.store, &admin, &from_csv).unwrap();
    let scopes = vec!["grid:C01-G01".to_owned()];
    let residents = export::rows(&data.store, &admin, &scopes, export::Table::Residents).unwrap();
    assert_eq!(
        residents.len(),
        1 + 6 + 1,
        "header, six residents, the empty dwelling"
    );
    assert!(
        residents
            .iter()
            .any(|r| r.contains(&"110101198503070013".to_owned()))
    );
    let csv = export::to_csv(&residents);
    assert!(String::from_utf8(csv).unwrap().contains("张三"));
    let households = export::rows(&data.store, &admin, &scopes, export::Table::Households).unwrap();
    let back = import::read_xlsx(&export::to_xlsx(&households, "户").unwrap()).unwrap();
    assert_eq!(
        back.ignored,
        export::HOUSEHOLD_EXTRA,
        "人数 and 最近走访 only"
    );
    let again = import::preview(back, &data.store, None).unwrap();
    assert!(again.bad.is_empty(), "{:#?}", again.bad);
    assert_eq!(
        again.count(import::Status::Unchanged),
        again.households.len(),
        "the households export imports back unchanged"
    );

    assert!(matches!(
        import::read_xlsx(b"not a workbook"),
        Err(gridwalk_server::ledger::LedgerError::Unreadable { .. })
    ));
    assert!(matches!(
        import::read_csv("a,b\n1,2\n".as_bytes()),
        Err(gridwalk_server::ledger::LedgerError::MissingColumn(
            "community"
        ))
    ));
}

#[test]
fn a_refused_row_does_not_make_the_corrected_row_a_duplicate() {
    let (_d, data) = data();
    let ledger = "社区,网格,小区,楼栋,单元,房号,房屋用途,姓名,身份证号,电话\n\
                  C01,C01-G01,Q1,B1,1,101,自住,张三,110101198503070013,1.38001E+10\n\
                  C01,C01-G01,Q1,B1,1,101,自住,张三,110101198503070013,13800138000\n";
    let preview = import::preview(
        import::read_csv(ledger.as_bytes()).unwrap(),
        &data.store,
        None,
    )
    .unwrap();
    assert_eq!(preview.bad.len(), 1, "{:#?}", preview.bad);
    assert!(
        preview.bad[0].line == 2 && preview.bad[0].reason.code == "ledger.phone_digits_lost",
        "{:#?}",
        preview.bad
    );
    assert_eq!(preview.residents(), 1, "the corrected row is taken");
}

#[test]
fn rows_outside_the_importers_area_are_listed_each_with_its_line() {
    let (_d, data) = data();
    let ledger = "社区,网格,小区,楼栋,单元,房号,房屋用途,姓名\n\
                  C01,C01-G01,Q1,B1,1,101,自住,张三\n\
                  C01,C01-G02,Q1,B1,1,102,自住,李四\n\
                  C01,C01-G02,Q1,B1,1,102,自住,王五\n";
    let area = ["C01-G01".to_owned()];
    let preview = import::preview(
        import::read_csv(ledger.as_bytes()).unwrap(),
        &data.store,
        Some(&area),
    )
    .unwrap();
    let lines: Vec<usize> = preview.bad.iter().map(|b| b.line).collect();
    assert_eq!(lines, [3, 4], "{:#?}", preview.bad);
    assert!(
        preview
            .bad
            .iter()
            .all(|b| b.reason.code == "ledger.outside_area")
    );
    assert_eq!(preview.households.len(), 1);
}

/// A ledger row in the importer's own grid that names another community's compound, or a
/// building of another compound, is refused by the same place rules the store applies: before,
/// such a household made the server grant its grid's worker the other compound.
#[test]
fn rows_naming_places_that_are_not_in_their_grid_are_refused() {
    let (_d, data) = data();
    data.store
        .add_reference(&[
            ReferenceItem::new(ReferenceKind::Community, "C02", None, "和平社区"),
            ReferenceItem::new(ReferenceKind::Grid, "C02-G01", Some("C02"), "第一网格"),
            ReferenceItem::new(ReferenceKind::Compound, "Q9", Some("C02"), "和平里")
                .in_grid("C02-G01"),
            ReferenceItem::new(ReferenceKind::Building, "Z1", Some("Q9"), "1号楼"),
        ])
        .unwrap();
    let ledger = "社区,网格,小区,楼栋,单元,房号,房屋用途,姓名\n\
                  C01,C01-G01,Q1,B1,1,101,自住,张三\n\
                  C01,C01-G01,Q9,Z1,1,102,自住,李四\n\
                  C01,C01-G01,Q1,Z1,1,103,自住,王五\n\
                  C02,C01-G01,Q1,B1,1,104,自住,赵六\n\
                  C01,C01-G01,Q1,B7,1,105,自住,孙七\n";
    let area = ["C01-G01".to_owned()];
    let preview = import::preview(
        import::read_csv(ledger.as_bytes()).unwrap(),
        &data.store,
        Some(&area),
    )
    .unwrap();
    let reasons: Vec<(usize, String)> = preview
        .bad
        .iter()
        .map(|b| (b.line, b.reason.code.clone()))
        .collect();
    assert_eq!(
        reasons,
        [
            (3, "place.not_in".to_owned()),
            (4, "place.not_in".to_owned()),
            (5, "place.not_in".to_owned()),
            (6, "place.unknown".to_owned()),
        ],
        "{:#?}",
        preview.bad
    );
    assert_eq!(preview.households.len(), 1);
}

#[test]
fn exported_csv_cells_never_run_as_formulas() {
    let csv = export::to_csv(&[vec![
        "=HYPERLINK(\"http://x\")".into(),
        "张三".into(),
        "@SUM(A1)".into(),
    ]]);
    let text = String::from_utf8(csv).unwrap();
    assert!(text.contains("'=HYPERLINK") && text.contains("'@SUM") && text.contains("张三"));
    assert!(!text.contains("'张三"));
}

fn shared(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/ledgers")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn shared_ledger_id_numbers_in_number_cells_are_flagged_never_stored() {
    let (_d, data) = data();
    let preview = import::preview(
        import::read_xlsx(&shared("ledger_id_as_number.xlsx")).unwrap(),
        &data.store,
        None,
    )
    .unwrap();
    let lines: Vec<(usize, &str)> = preview
        .bad
        .iter()
        .map(|b| (b.line, b.reason.code.as_str()))
        .collect();
    assert_eq!(
        lines,
        [(2, "ledger.digits_lost"), (3, "ledger.digits_lost")],
        "{:#?}",
        preview.bad
    );
    assert!(
        preview.bad[0]
            .reason
            .to_string()
            .contains("format the column as text")
    );
    assert_eq!(preview.residents(), 1, "row 4 is taken");
    let admin = Actor::new("admin", Role::Admin);
    import::commit(&data.store, &admin, &preview).unwrap();
    for lost in ["640106198503011000", "640105196208141000"] {
        assert!(data.store.households_of_id_number(lost).unwrap().is_empty());
    }
}

#[test]
fn shared_ledger_merged_address_cells_belong_to_every_row() {
    let (_d, data) = data();
    let preview = import::preview(
        import::read_xlsx(&shared("ledger_merged.xlsx")).unwrap(),
        &data.store,
        None,
    )
    .unwrap();
    assert!(preview.bad.is_empty(), "{:#?}", preview.bad);
    assert_eq!((preview.households.len(), preview.residents()), (2, 5));
}

#[test]
fn shared_ledger_in_gbk_reads_like_utf8() {
    let (_d, data) = data();
    let read = |name| {
        import::preview(import::read_csv(&shared(name)).unwrap(), &data.store, None).unwrap()
    };
    let gbk = read("ledger_gbk.csv");
    let utf8 = read("ledger_same_in_utf8.csv");
    assert!(gbk.bad.is_empty(), "{:#?}", gbk.bad);
    assert_eq!((gbk.households.len(), gbk.residents()), (2, 3));
    let news = |p: &import::Preview| {
        p.households
            .iter()
            .map(|h| h.new.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(news(&gbk), news(&utf8));
    assert!(format!("{:?}", news(&gbk)).contains("杨建华"));
}

#[test]
fn shared_ledger_header_variants_are_recognised() {
    let (_d, data) = data();
    let ledger = import::read_csv(&shared("ledger_header_variants.csv")).unwrap();
    assert!(ledger.ignored.is_empty(), "{:?}", ledger.ignored);
    let preview = import::preview(ledger, &data.store, None).unwrap();
    assert!(preview.warnings.is_empty(), "{:?}", preview.warnings);
    let flagged: Vec<(usize, &str)> = preview
        .bad
        .iter()
        .chain(&preview.to_check)
        .map(|b| (b.line, b.reason.code.as_str()))
        .collect();
    assert!(flagged.contains(&(3, "ledger.to_check")), "{flagged:?}");
    assert!(
        flagged.contains(&(5, "ledger.duplicate_in_file")),
        "{flagged:?}"
    );
    assert!(
        preview.bad[0]
            .reason
            .to_string()
            .contains("same person as line 4"),
        "{:?}",
        preview.bad
    );
    let tags = format!("{:?}", preview.households);
    assert!(
        tags.contains("ElderlyAlone") && tags.contains("0951"),
        "{tags}"
    );

    // Without an ID number column the preview says so.
    let without = "社区,网格,小区,楼栋,单元,房号,姓名,证件类型,手机\n\
                   C01,C01-G01,Q1,B1,1,101,张三,居民身份证,13800138000\n";
    let ledger = import::read_csv(without.as_bytes()).unwrap();
    assert_eq!(ledger.ignored, ["证件类型"]);
    let preview = import::preview(ledger, &data.store, None).unwrap();
    assert_eq!(preview.warnings.len(), 1);
    assert!(
        preview.warnings[0]
            .to_string()
            .contains("no ID number column"),
        "{:?}",
        preview.warnings
    );
}

/// A ledger as an office keeps it: a title row, places by name (some that do not exist yet),
/// 身份证号码 and 联系电话, building spellings, values in the usual words, vacant houses as rows
/// without a person.
fn office_ledger() -> String {
    "书香苑社区居民信息台账（2026年11月）\n\
     填报单位：书香苑社区居委会,,,,,,,,,,,,,\n\
     序号,社区,网格,小区,楼栋,单元,房号,房屋用途,居民姓名,身份证号码,联系电话,关系,户籍性质,重点人群\n\
     1,阳光社区,第一网格,阳光花园,1号楼,1,101,自住,张三,110101198503070013,13800138000,本人,本地,\n\
     2,阳光社区,第1网格,阳光花园,1栋,1,101,自住,李梅,110105199001010029,13912345678,妻子,本地,\n\
     3,阳光社区,第1网格,阳光花园,2#,1,102,出租,王五,110105194912310021,,户主,外地,独居\n\
     4,阳光社区,第1网格,盈北苑1期小区,1幢,2,201,空置,,,,,,\n\
     5,阳光社区,第1网格,盈北苑1期小区,3号楼,2,202,商铺,,,,,,\n\
     6,阳光社区,第1网格,盈北苑1期小区,3号楼,2,203,自住,周八,11010519491231002X,010-6552 9988,户主,户籍,独居老人、低保\n\
     7,阳光社区,第1网格,盈北苑1期小区,3号楼,2,203,自住,周小八,,,儿子,户籍,\n"
        .to_owned()
}

#[test]
fn an_office_ledger_imports_fully_creating_its_places_and_reimports_unchanged() {
    let (_d, data) = data();
    let admin = Actor::new("admin", Role::Admin);
    let read = || import::read_csv(office_ledger().as_bytes()).unwrap();
    let ledger = read();
    assert_eq!(ledger.header_line, 3);
    assert_eq!(ledger.ignored, ["序号"]);
    let preview = import::preview(ledger, &data.store, None).unwrap();
    assert!(preview.bad.is_empty(), "{:#?}", preview.bad);
    assert_eq!(preview.rows, 7);
    let created: Vec<(&str, &str)> = preview
        .created
        .iter()
        .map(|i| (i.kind.as_str(), i.name.as_str()))
        .collect();
    assert_eq!(
        created,
        [
            ("compound", "盈北苑1期小区"),
            ("building", "1幢"),
            ("building", "3号楼")
        ],
        "1号楼 and 1栋 are B1, 2# is B2; the new compound's buildings are created"
    );
    assert_eq!(preview.count(import::Status::New), 5);
    assert_eq!(preview.residents(), 5);
    import::commit(&data.store, &admin, &preview).unwrap();
    let grid = AddressScope::Grid("C01-G01".into());
    let list = data.store.list_households(&grid, 0, 100).unwrap();
    assert_eq!((list.household_count, list.resident_count), (5, 5));
    let wang = data
        .store
        .search_residents("王五", 5)
        .unwrap()
        .into_iter()
        .next()
        .unwrap();
    let h = data.store.household(&wang.household_id).unwrap();
    assert_eq!(h.address.building, "B2");
    assert_eq!(format!("{:?}", h.residents[0].registration), "Migrant");
    assert_eq!(format!("{:?}", h.residents[0].tags), "{ElderlyAlone}");

    let again = import::preview(read(), &data.store, None).unwrap();
    assert!(again.created.is_empty() && again.bad.is_empty());
    assert_eq!(
        again.count(import::Status::Unchanged),
        5,
        "{:#?}",
        again.households
    );

    // Export → import: unchanged, row for row.
    let scopes = vec!["grid:C01-G01".to_owned()];
    let rows = export::rows(&data.store, &admin, &scopes, export::Table::Residents).unwrap();
    assert!(
        rows.iter().any(|r| r.contains(&"阳光花园".to_owned())),
        "names, not codes"
    );
    assert!(
        rows.iter().any(|r| r.contains(&"流动".to_owned())),
        "Chinese values"
    );
    for bytes in [
        export::to_xlsx(&rows, "台账").unwrap(),
        export::to_csv(&rows),
    ] {
        let ledger = import::read_xlsx(&bytes)
            .or_else(|_| import::read_csv(&bytes))
            .unwrap();
        let back = import::preview(ledger, &data.store, None).unwrap();
        assert!(
            back.bad.is_empty() && back.created.is_empty(),
            "{:#?}",
            back.bad
        );
        assert_eq!(
            back.count(import::Status::Unchanged),
            5,
            "{:#?}",
            back.households
        );
    }
}

#[test]
fn an_edited_reimport_shows_each_change_and_moves_people() {
    let (_d, data) = data();
    let admin = Actor::new("admin", Role::Admin);
    let preview = import::preview(
        import::read_csv(office_ledger().as_bytes()).unwrap(),
        &data.store,
        None,
    )
    .unwrap();
    import::commit(&data.store, &admin, &preview).unwrap();
    // 张三's phone changes, 王五 moves to 102 → 103 (a new household), 周小八 becomes 子女 of
    // another registration.
    let edited = office_ledger()
        .replace("13800138000", "13800138001")
        .replace("2#,1,102,出租,王五", "2#,1,103,出租,王五")
        .replace("周小八,,,儿子,户籍", "周小八,,,儿子,流动");
    let preview = import::preview(
        import::read_csv(edited.as_bytes()).unwrap(),
        &data.store,
        None,
    )
    .unwrap();
    assert_eq!(
        preview.count(import::Status::Changed),
        2,
        "{:#?}",
        preview.households
    );
    assert_eq!(preview.count(import::Status::New), 1);
    assert_eq!(preview.moved(), 1);
    let changes: Vec<(String, &str, String, String)> = preview
        .households
        .iter()
        .flat_map(|h| &h.changes)
        .map(|c| (c.who.clone(), c.field, c.old.clone(), c.new.clone()))
        .collect();
    assert!(changes.contains(&(
        "张三".into(),
        "phone",
        "13800138000".into(),
        "13800138001".into()
    )));
    assert!(changes.contains(&(
        "周小八".into(),
        "registration",
        "户籍".into(),
        "流动".into()
    )));
    import::commit(&data.store, &admin, &preview).unwrap();
    let grid = AddressScope::Grid("C01-G01".into());
    let list = data.store.list_households(&grid, 0, 100).unwrap();
    assert_eq!(
        (list.household_count, list.resident_count),
        (6, 5),
        "王五 left 102"
    );
    let again = import::preview(
        import::read_csv(edited.as_bytes()).unwrap(),
        &data.store,
        None,
    )
    .unwrap();
    assert_eq!(
        again.count(import::Status::Unchanged),
        6 - 1,
        "{:#?}",
        again.households
    );
}

#[test]
fn unknown_values_are_listed_with_what_is_allowed_and_left_unset() {
    let (_d, data) = data();
    let ledger = "社区,网格,小区,楼栋,单元,房号,房屋用途,姓名,与户主关系\n\
                  C01,C01-G01,Q1,B1,1,101,自住,张三,邻居\n\
                  C01,C01-G01,Q1,B1,1,102,仓库,李四,户主\n";
    let preview = import::preview(
        import::read_csv(ledger.as_bytes()).unwrap(),
        &data.store,
        None,
    )
    .unwrap();
    assert!(preview.bad.is_empty(), "{:#?}", preview.bad);
    assert_eq!(preview.residents(), 2, "the people are imported");
    let reasons: Vec<String> = preview
        .to_check
        .iter()
        .map(|b| b.reason.render(gridwalk_core::messages::Lang::ZhCn))
        .collect();
    assert_eq!(reasons.len(), 2, "{reasons:?}");
    assert!(
        reasons[0].contains("邻居") && reasons[0].contains("配偶"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].contains("仓库") && reasons[1].contains("经营"),
        "{reasons:?}"
    );
}

#[test]
fn a_supervisor_creates_places_only_in_their_grids() {
    let (_d, data) = data();
    let ledger = "社区,网格,小区,楼栋,单元,房号,姓名\n\
                  阳光社区,第一网格,新小区,1号楼,1,101,张三\n\
                  阳光社区,第九网格,阳光花园,1号楼,1,102,李四\n\
                  和平社区,第一网格,和平里,1号楼,1,103,王五\n";
    let area = ["C01-G01".to_owned()];
    let preview = import::preview(
        import::read_csv(ledger.as_bytes()).unwrap(),
        &data.store,
        Some(&area),
    )
    .unwrap();
    let codes: Vec<(usize, &str)> = preview
        .bad
        .iter()
        .map(|b| (b.line, b.reason.code.as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            (3, "ledger.create_outside_area"),
            (4, "ledger.create_outside_area")
        ]
    );
    assert_eq!(preview.created.len(), 2, "the compound and its building");
}

/// A workbook's first sheet as calamine reads it.
fn calamine_sheet(xlsx: &[u8]) -> calamine::Range<calamine::Data> {
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    book.worksheet_range_at(0).unwrap().unwrap()
}

/// One part of an XLSX (a zip of XML files), as text.
fn xlsx_part(xlsx: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).unwrap();
    let mut part = String::new();
    zip.by_name(name)
        .unwrap()
        .read_to_string(&mut part)
        .unwrap();
    part
}

fn text(cell: &calamine::Data) -> String {
    match cell {
        calamine::Data::String(s) => s.clone(),
        calamine::Data::Empty => String::new(),
        other => panic!("a cell that is not text: {other:?}"),
    }
}

#[test]
fn the_bad_rows_download_holds_each_refused_row_with_its_reason_in_chinese() {
    use gridwalk_core::messages::Lang;
    let (_d, data) = data();
    let ledger = format!(
        "{LEDGER}C01,C01-G01,Q1,B9,3,301,自住,吴九,110101198503070013,13912345678,户主,户籍,\n\
         C01,C01-G01,Q1,B1,3,302,自住,郑十,,1.38001E+10,户主,户籍,\n"
    );
    let preview = import::preview(
        import::read_csv(ledger.as_bytes()).unwrap(),
        &data.store,
        None,
    )
    .unwrap();
    assert_eq!(preview.bad.len(), 3, "{:#?}", preview.bad);
    let xlsx = export::bad_rows_xlsx(&preview).unwrap();
    let sheet = calamine_sheet(&xlsx);
    let rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(text).collect()).collect();
    let mut header = export::ledger_header();
    header.push("原因".into());
    assert_eq!(rows[0], header);
    assert_eq!(rows.len(), 1 + preview.bad.len());
    for (bad, row) in preview.bad.iter().zip(&rows[1..]) {
        assert_eq!(row[7], bad.who, "each bad row in file order");
        let reason = bad.reason.render(Lang::ZhCn);
        assert_eq!(row[13], reason);
        assert!(
            reason
                .chars()
                .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{reason}"
        );
    }
    assert_eq!(rows[3][9], "1.38001E+10", "the row as the file had it");
    // The ID number and the phone are text cells, in a column formatted as text.
    assert_eq!(rows[2][8], "110101198503070013");
    assert_eq!(rows[2][9], "13912345678");
    // Fixed and uploaded again, it reads as a ledger (the 原因 column ignored).
    let again = import::read_xlsx(&xlsx).unwrap();
    assert_eq!(again.rows.len(), 3);
    assert_eq!(again.ignored, vec!["原因".to_owned()]);
}

#[test]
fn xlsx_exports_write_id_numbers_and_phones_as_text_under_a_bold_frozen_filtered_header() {
    let (_d, data) = data();
    let preview = import::preview(
        import::read_csv(LEDGER.as_bytes()).unwrap(),
        &data.store,
        None,
    )
    .unwrap();
    let admin = Actor::new("admin", Role::Admin);
    import::commit(&data.store, &admin, &preview).unwrap();
    let scopes = vec!["grid:C01-G01".to_owned()];
    let residents = export::rows(&data.store, &admin, &scopes, export::Table::Residents).unwrap();
    let xlsx = export::to_xlsx(&residents, "居民台账").unwrap();
    let sheet = calamine_sheet(&xlsx);
    let ids: Vec<&calamine::Data> = sheet.rows().skip(1).map(|r| &r[8]).collect();
    let mut full = 0;
    for id in &ids {
        match id {
            calamine::Data::String(s) => {
                assert_eq!(s.chars().count(), 18, "{s}");
                full += 1;
            }
            calamine::Data::Empty => {}
            other => panic!("an ID number that is not a text cell: {other:?}"),
        }
    }
    assert_eq!(full, 5, "{ids:?}");
    for row in sheet.rows().skip(1) {
        assert!(
            matches!(&row[9], calamine::Data::String(_) | calamine::Data::Empty),
            "{:?}",
            row[9]
        );
    }
    // calamine does not read formats: the sheet's XML says what it does.
    let xml = xlsx_part(&xlsx, "xl/worksheets/sheet1.xml");
    assert!(
        xml.contains(r#"<pane ySplit="1""#) && xml.contains(r#"state="frozen""#),
        "{xml}"
    );
    assert!(xml.contains("<autoFilter ref=\"A1:M"), "{xml}");
    assert!(
        xml.contains("<cols>") && xml.contains("customWidth=\"1\""),
        "{xml}"
    );
    let styles = xlsx_part(&xlsx, "xl/styles.xml");
    assert!(styles.contains("<b/>"), "a bold font: {styles}");
    assert!(
        styles.contains(r#"formatCode="@""#),
        "a text format: {styles}"
    );
}

#[test]
fn the_template_refuses_its_example_row_and_offers_the_accepted_words() {
    let (_d, data) = data();
    let example = export::template_example(
        "阳光社区".into(),
        "第一网格".into(),
        "阳光花园".into(),
        "1号楼".into(),
    );
    let xlsx = export::template_xlsx(&example).unwrap();
    let preview = import::preview(import::read_xlsx(&xlsx).unwrap(), &data.store, None).unwrap();
    assert_eq!(preview.rows, 1);
    // Left in, the example is refused as the example: it never lands on the real address it
    // names.
    assert_eq!(preview.bad.len(), 1, "{:#?}", preview.bad);
    assert_eq!(preview.bad[0].reason.code, "ledger.example_row");
    assert!(preview.to_check.is_empty(), "{:#?}", preview.to_check);
    assert_eq!(preview.residents(), 0);
    assert!(preview.created.is_empty(), "{:#?}", preview.created);
    let xml = xlsx_part(&xlsx, "xl/worksheets/sheet1.xml");
    for list in [
        "自住,出租,空置,经营",
        "户主,配偶,子女,父母,孙辈,租户,其他亲属",
        "户籍,流动,境外",
        "独居老人,残疾人,低保户,退役军人,留守儿童",
    ] {
        assert!(
            xml.contains(&format!("<formula1>\"{list}\"</formula1>")),
            "{list}: {xml}"
        );
    }
    // Each word offered is one the importer reads.
    for w in gridwalk_server::ledger::values::HOUSE_USES {
        gridwalk_server::ledger::values::house_use(w).unwrap();
    }
    for w in gridwalk_server::ledger::values::RELATIONS {
        gridwalk_server::ledger::values::relation(w).unwrap();
    }
    for w in gridwalk_server::ledger::values::REGISTRATIONS {
        gridwalk_server::ledger::values::registration(w).unwrap();
    }
    for w in gridwalk_server::ledger::values::SPECIAL_GROUPS {
        assert_eq!(gridwalk_server::ledger::values::tags(w).unwrap().len(), 1);
    }
}

#[test]
fn a_small_xlsx_with_a_cell_in_column_xfd_reads_only_its_used_cells() {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    for (c, h) in export::ledger_header().iter().enumerate() {
        ws.write_string(0, c as u16, h).unwrap();
    }
    let row = export::template_example(
        "阳光社区".into(),
        "第一网格".into(),
        "阳光花园".into(),
        "1号楼".into(),
    );
    for (c, v) in row.iter().enumerate() {
        ws.write_string(1, c as u16, v).unwrap();
    }
    ws.write_string(1_048_575, 16_383, "XFD").unwrap();
    let xlsx = book.save_to_buffer().unwrap();
    assert!(xlsx.len() < 9 * 1024, "{} bytes", xlsx.len());
    let started = std::time::Instant::now();
    let table = gridwalk_server::ledger::read::xlsx_table(&xlsx).unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(table.rows.len(), 2, "the far cell is not a row");
    assert!(table.rows.iter().all(|(_, cells)| cells.len() <= 13));
    let ledger = import::read_xlsx(&xlsx).unwrap();
    assert_eq!(ledger.rows.len(), 1);
}
