//! The faults a break-it review found trying real office files, each as the kind it belongs to:
//! phones that are not a mobile number, two heads or two house uses, files without 社区/网格,
//! one bad field in a good person, 空巢/留守, headers with notes and marks, rows that are not
//! people, the "digits lost" message, and place codes in messages.

mod common;

use gridwalk_core::messages::Lang;
use gridwalk_core::records::household::{HouseUse, Relation};
use gridwalk_core::records::reference::{ReferenceItem, ReferenceKind};
use gridwalk_core::store::queries::AddressScope;
use gridwalk_core::{Actor, Role, Timestamp};
use gridwalk_server::ledger::import::{self, Skip};

fn data() -> (tempfile::TempDir, gridwalk_server::server::Data) {
    common::data_with(&[
        ReferenceItem::new(ReferenceKind::Community, "C01", None, "书香苑社区"),
        ReferenceItem::new(ReferenceKind::Grid, "C01-G01", Some("C01"), "第一网格"),
        ReferenceItem::new(ReferenceKind::Grid, "C01-G02", Some("C01"), "第二网格"),
        ReferenceItem::new(ReferenceKind::Compound, "C01-Q01", Some("C01"), "盈北苑")
            .in_grid("C01-G01"),
        ReferenceItem::new(
            ReferenceKind::Building,
            "C01-Q01-B01",
            Some("C01-Q01"),
            "1号楼",
        ),
        // The same compound name in two grids of one community: not decided by its name.
        ReferenceItem::new(ReferenceKind::Compound, "C01-Q02", Some("C01"), "金色家园")
            .in_grid("C01-G01"),
        ReferenceItem::new(ReferenceKind::Compound, "C01-Q03", Some("C01"), "金色家园")
            .in_grid("C01-G02"),
        ReferenceItem::new(
            ReferenceKind::Building,
            "C01-Q02-B01",
            Some("C01-Q02"),
            "1号楼",
        ),
        ReferenceItem::new(
            ReferenceKind::Building,
            "C01-Q03-B01",
            Some("C01-Q03"),
            "1号楼",
        ),
    ])
}

const AREA: [&str; 1] = ["C01-G01"];

fn preview_csv(data: &gridwalk_server::server::Data, csv: &str) -> import::Preview {
    let area: Vec<String> = AREA.iter().map(|s| s.to_string()).collect();
    import::preview(
        import::read_csv(csv.as_bytes()).unwrap(),
        &data.store,
        Some(&area),
    )
    .unwrap()
}

fn zh(rows: &[import::BadRow]) -> Vec<(usize, String)> {
    rows.iter()
        .map(|b| (b.line, b.reason.render(Lang::ZhCn)))
        .collect()
}

const HEAD: &str = "社区,网格,小区,楼栋,单元,房号,房屋用途,姓名,身份证号码,联系电话,与户主关系,户籍类型,特殊人群\n";
const PLACE: &str = "书香苑社区,第一网格,盈北苑,1号楼,1";

/// Item 1: a phone that is not a mobile number (12 or 10 digits, 13 starting with 1, letters,
/// too short or too long) is imported as written and becomes a finding for the grid's worker.
#[test]
fn phones_that_are_not_a_mobile_number_are_imported_and_become_findings() {
    let (_d, data) = data();
    let phones = [
        "138001380001",   // 12 digits
        "1380013800",     // 10 digits
        "1380013800012",  // 13 starting with 1
        "138-abc",        // letters
        "12345",          // too short
        "13800138000138", // too long
    ];
    let mut csv = HEAD.to_owned();
    for (i, p) in phones.iter().enumerate() {
        csv.push_str(&format!(
            "{PLACE},{}01,自住,住户{i},,{p},户主,户籍,\n",
            i + 1
        ));
    }
    let p = preview_csv(&data, &csv);
    assert!(p.bad.is_empty(), "{:#?}", zh(&p.bad));
    let lines: Vec<usize> = p.to_check.iter().map(|b| b.line).collect();
    assert_eq!(lines, [2, 3, 4, 5, 6, 7], "{:#?}", zh(&p.to_check));
    assert_eq!(p.residents(), phones.len());
    import::commit(&data.store, &Actor::new("admin", Role::Admin), &p).unwrap();
    let findings = data
        .store
        .needs_checking("C01-G01", Timestamp::now())
        .unwrap();
    let phone_findings = findings
        .iter()
        .filter(|f| f.kind.as_str() == "not_a_mobile_number")
        .count();
    assert_eq!(phone_findings, phones.len(), "{findings:#?}");
}

/// Item 2: two 户主 in one household and two house uses for one house are imported as the
/// file says and listed, each on its line, naming the line it differs from.
#[test]
fn two_heads_or_two_house_uses_in_one_household_are_listed() {
    let (_d, data) = data();
    let csv = format!(
        "{HEAD}{PLACE},101,自住,张三,110101198503070013,13800138000,户主,户籍,\n\
         {PLACE},101,出租,李四,110105199001010029,13912345678,户主,户籍,\n\
         {PLACE},101,,王五,,,子女,户籍,\n\
         {PLACE},102,出租,赵六,,,户主,户籍,\n\
         {PLACE},102,出租,孙七,,,配偶,户籍,\n"
    );
    let p = preview_csv(&data, &csv);
    assert!(p.bad.is_empty(), "{:#?}", zh(&p.bad));
    let checks = zh(&p.to_check);
    assert_eq!(checks.len(), 2, "{checks:#?}");
    assert!(
        checks
            .iter()
            .any(|(l, m)| *l == 3 && m.contains("户主") && m.contains("第 2 行")),
        "{checks:#?}"
    );
    assert!(
        checks
            .iter()
            .any(|(l, m)| *l == 3 && m.contains("出租") && m.contains("自住")),
        "{checks:#?}"
    );
    let first = p
        .households
        .iter()
        .find(|h| h.address.room == "101")
        .unwrap();
    let new = first.new.as_ref().unwrap();
    assert_eq!(
        new.house_use,
        HouseUse::OwnerOccupied,
        "the first row's use"
    );
    assert_eq!(
        new.residents
            .iter()
            .filter(|r| r.relation == Relation::Head)
            .count(),
        2,
        "imported as written"
    );
}

/// Item 3: a ledger without 社区 and 网格 columns is placed by its compound when the name
/// decides one grid in the importer's area; a name in two grids of the area, or in none, is
/// refused with why; a compound in two grids of which only one is the importer's is theirs.
#[test]
fn a_ledger_without_community_and_grid_is_placed_by_its_compound() {
    let (_d, data) = data();
    let csv = "小区,楼栋,单元,房号,姓名,身份证号码,联系电话\n\
               盈北苑,1号楼,1,101,张三,110101198503070013,13800138000\n\
               金色家园,1号楼,1,101,李四,110105199001010029,13912345678\n\
               无名小区,1号楼,1,101,王五,,\n";
    let ledger = import::read_csv(csv.as_bytes()).unwrap();
    let p = import::preview(ledger, &data.store, None).unwrap();
    let bad = zh(&p.bad);
    assert_eq!(bad.len(), 2, "{bad:#?}");
    assert!(bad[0].0 == 3 && bad[0].1.contains("2 处"), "{bad:#?}");
    assert!(bad[1].0 == 4 && bad[1].1.contains("无名小区"), "{bad:#?}");
    assert_eq!(p.households.len(), 1);
    let a = &p.households[0].address;
    assert_eq!((a.community.as_str(), a.grid.as_str()), ("C01", "C01-G01"));
    assert!(p.created.is_empty(), "{:?}", p.created);
    // A supervisor of the first grid: 金色家园 in their area is one place.
    let p = preview_csv(&data, csv);
    assert_eq!(zh(&p.bad).len(), 1, "{:#?}", zh(&p.bad));
    let grids: Vec<&str> = p
        .households
        .iter()
        .map(|h| h.address.grid.as_str())
        .collect();
    assert_eq!(grids, ["C01-G01", "C01-G01"]);
    let compounds: Vec<&str> = p
        .households
        .iter()
        .map(|h| h.address.compound.as_str())
        .collect();
    assert!(compounds.contains(&"C01-Q02"), "{compounds:?}");
}

/// Item 4: one field with an unknown value (a 特殊人群 word, a relation, a registration, a house
/// use) leaves that field unset and imports the person, and the preview says which; on a
/// stored resident, the stored value is kept.
#[test]
fn one_bad_field_leaves_the_field_unset_and_imports_the_person() {
    let (_d, data) = data();
    let admin = Actor::new("admin", Role::Admin);
    let good =
        format!("{HEAD}{PLACE},101,出租,张三,110101198503070013,13800138000,户主,流动,残疾人\n");
    let p = preview_csv(&data, &good);
    import::commit(&data.store, &admin, &p).unwrap();
    let bad = format!(
        "{HEAD}{PLACE},101,仓库,张三,110101198503070013,13800138000,邻居,火星,独居老人、飞行员\n\
         {PLACE},102,自住,李四,110105199001010029,13912345678,户主,户籍,飞行员\n"
    );
    let p = preview_csv(&data, &bad);
    assert!(p.bad.is_empty(), "{:#?}", zh(&p.bad));
    let checks = zh(&p.to_check);
    for word in ["仓库", "邻居", "火星", "飞行员"] {
        assert!(
            checks
                .iter()
                .any(|(l, m)| *l == 2 && m.contains(word) && m.contains("未导入")),
            "{word}: {checks:#?}"
        );
    }
    assert!(checks.iter().any(|(l, _)| *l == 3), "{checks:#?}");
    assert_eq!(p.residents(), 2, "both people imported");
    let stored = p
        .households
        .iter()
        .find(|h| h.address.room == "101")
        .unwrap();
    assert_eq!(
        stored.status,
        import::Status::Unchanged,
        "{:#?}",
        stored.changes
    );
    let new = p
        .households
        .iter()
        .find(|h| h.address.room == "102")
        .unwrap();
    let li = &new.new.as_ref().unwrap().residents[0];
    assert!(li.tags.is_empty() && li.relation == Relation::Head);
}

/// Item 5: 空巢老人 and 留守 words are decided by the core's special groups: 留守儿童 is one,
/// 空巢老人 (most live with a spouse), 留守, 留守老人 and 留守妇女 are none and are listed.
#[test]
fn empty_nest_and_left_behind_words_follow_the_core_groups() {
    use gridwalk_core::records::household::SpecialGroup;
    use gridwalk_server::ledger::values;
    assert_eq!(
        values::tags("留守儿童")
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        [SpecialGroup::LeftBehindChild]
    );
    assert_eq!(
        values::tags("独居")
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        [SpecialGroup::ElderlyAlone]
    );
    for word in ["空巢老人", "空巢", "留守", "留守老人", "留守妇女"] {
        let message = values::tags(word).unwrap_err().render(Lang::ZhCn);
        assert!(
            message.contains(word) && message.contains("独居老人"),
            "{message}"
        );
    }
}

/// Item 6: headers with notes in brackets (full or half width), required-marks, 必填, spaces
/// and line breaks inside the cell are recognised.
#[test]
fn headers_with_notes_marks_and_line_breaks_are_recognised() {
    use gridwalk_server::ledger::headers::Column;
    let cases = [
        ("联系电话（手机）", Column::Phone),
        ("手机号码(必填)", Column::Phone),
        ("*手机号码", Column::Phone),
        ("特殊人群类别", Column::Tags),
        ("身份证号码（18位）", Column::IdNumber),
        ("身份证号码【必填】", Column::IdNumber),
        ("身份证\n号码", Column::IdNumber),
        ("姓 名*", Column::Name),
        ("＊姓名：", Column::Name),
        ("房号(必填)", Column::Room),
        ("村(社区)", Column::Community),
        ("社区(村)", Column::Community),
    ];
    for (header, column) in cases {
        assert_eq!(Column::recognise(header), Some(column), "{header:?}");
    }
    let csv = "社区,网格,小区,楼栋,单元,房号（必填）,\"姓  名\n（必填）\",身份证号码（18位）,联系电话（手机）,特殊人群类别\n\
               书香苑社区,第一网格,盈北苑,1号楼,1,101,张三,110101198503070013,13800138000,低保\n";
    let ledger = import::read_csv(csv.as_bytes()).unwrap();
    assert!(ledger.ignored.is_empty(), "{:?}", ledger.ignored);
    assert!(ledger.warnings().is_empty());
}

/// Item 7: rows that are not people: a vacant house merged across the person columns is a
/// house without people; a repeated header, 合计/小计 lines and blank rows are skipped and
/// counted, never bad rows.
#[test]
fn rows_that_are_not_people_are_vacant_houses_or_skipped_and_counted() {
    let (_d, data) = data();
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    let plain = rust_xlsxwriter::Format::new();
    let header = [
        "序号",
        "社区",
        "网格",
        "小区",
        "楼栋",
        "单元",
        "房号",
        "姓名",
        "身份证号码",
        "联系电话",
        "与户主关系",
        "特殊人群",
    ];
    let write = |ws: &mut rust_xlsxwriter::Worksheet, r: u32, cells: &[&str]| {
        for (c, v) in cells.iter().enumerate() {
            if !v.is_empty() {
                ws.write_string(r, c as u16, *v).unwrap();
            }
        }
    };
    write(ws, 0, &header);
    write(
        ws,
        1,
        &[
            "1",
            "书香苑社区",
            "第一网格",
            "盈北苑",
            "1号楼",
            "1",
            "101",
            "张三",
            "110101198503070013",
            "13800138000",
            "户主",
            "",
        ],
    );
    // A vacant house: 无人居住 merged across the person columns.
    write(
        ws,
        2,
        &["2", "书香苑社区", "第一网格", "盈北苑", "1号楼", "1", "102"],
    );
    ws.merge_range(2, 7, 2, 11, "无人居住", &plain).unwrap();
    // The next office's sheet pasted below, with its header.
    write(ws, 3, &header);
    write(
        ws,
        4,
        &[
            "1",
            "书香苑社区",
            "第一网格",
            "盈北苑",
            "1号楼",
            "1",
            "103",
            "李四",
            "110105199001010029",
            "13912345678",
            "户主",
            "",
        ],
    );
    // A blank row with only its sequence number, and one with the community and grid filled down.
    write(ws, 5, &["2"]);
    write(ws, 6, &["3", "书香苑社区", "第一网格"]);
    // Totals: merged across the first columns, and a 小计 in the sequence column alone.
    ws.merge_range(7, 0, 7, 6, "合计", &plain).unwrap();
    ws.write_string(7, 7, "2人").unwrap();
    write(
        ws,
        8,
        &["小计", "", "", "", "", "", "", "", "", "", "", "3"],
    );
    let xlsx = book.save_to_buffer().unwrap();
    let ledger = import::read_xlsx(&xlsx).unwrap();
    let area: Vec<String> = AREA.iter().map(|s| s.to_string()).collect();
    let p = import::preview(ledger, &data.store, Some(&area)).unwrap();
    assert!(p.bad.is_empty(), "{:#?}", zh(&p.bad));
    assert!(p.to_check.is_empty(), "{:#?}", zh(&p.to_check));
    assert_eq!((p.households.len(), p.residents()), (3, 2));
    let vacant = p
        .households
        .iter()
        .find(|h| h.address.room == "102")
        .unwrap();
    let vacant = vacant.new.as_ref().unwrap();
    assert!(vacant.residents.is_empty() && vacant.house_use == HouseUse::Vacant);
    assert_eq!(
        p.skipped,
        [
            (Skip::RepeatedHeader, 4),
            (Skip::Blank, 6),
            (Skip::Blank, 7),
            (Skip::Total, 8),
            (Skip::Total, 9)
        ]
    );
    let counts: Vec<String> = p
        .skipped_counts()
        .iter()
        .map(|m| m.render(Lang::ZhCn))
        .collect();
    assert_eq!(
        counts,
        [
            "已跳过 1 行（重复的表头）",
            "已跳过 2 行（合计、小计行）",
            "已跳过 2 行（空行，只有序号或预填的社区、网格）"
        ]
    );
}

/// Item 8: an ID number or phone a spreadsheet wrote in scientific notation (a CSV saved by
/// Excel) is refused as digits lost, shown as the reader saw it and masked; never stored.
#[test]
fn digits_lost_shows_the_cell_as_seen_masked() {
    let (_d, data) = data();
    let csv = format!(
        "{HEAD}{PLACE},101,自住,张三,1.10101199001011E+17,13800138000,户主,户籍,\n\
         {PLACE},102,自住,李四,110105199001010029,1.3912345678E+10,户主,户籍,\n"
    );
    let p = preview_csv(&data, &csv);
    let bad = zh(&p.bad);
    assert_eq!(bad.len(), 2, "{bad:#?}");
    assert!(bad[0].1.contains("1.10************E+17"), "{bad:#?}");
    assert!(!bad[0].1.contains("199001011"), "masked: {bad:#?}");
    assert!(bad[1].1.contains("1.39********E+10"), "{bad:#?}");
    assert!(p.to_check.is_empty() && p.households.is_empty());
}

/// Item 9: refusals and changes name places by their display names, never by their codes.
#[test]
fn messages_name_places_by_their_names_not_codes() {
    let (_d, data) = data();
    let admin = Actor::new("admin", Role::Admin);
    let csv = format!("{HEAD}{PLACE},101,自住,张三,,,户主,户籍,\n");
    import::commit(&data.store, &admin, &preview_csv(&data, &csv)).unwrap();
    let csv = "社区,网格,小区,楼栋,单元,房号,房屋用途,姓名\n\
               书香苑社区,第二网格,金色家园,1号楼,1,101,自住,李四\n\
               书香苑社区,第一网格,C01-Q03,1号楼,1,101,自住,王五\n\
               书香苑社区,第一网格,盈北苑,1号楼,1,101,出租,张三\n";
    let p = preview_csv(&data, csv);
    let mut texts: Vec<String> = zh(&p.bad).into_iter().map(|(_, m)| m).collect();
    texts.extend(
        p.households
            .iter()
            .flat_map(|h| h.changes.iter().map(|c| c.who.clone())),
    );
    assert!(texts.len() >= 3, "{texts:#?}");
    for t in &texts {
        assert!(!t.contains("C01"), "a code in {t:?}: {texts:#?}");
    }
    assert!(texts.iter().any(|t| t.contains("第二网格")), "{texts:#?}");
    assert!(
        texts
            .iter()
            .any(|t| t.contains("书香苑社区 盈北苑 1号楼 1单元 101")),
        "{texts:#?}"
    );
    let _ = AddressScope::Grid(String::new());
}

/// Items 11 and 12: the orders, visits and findings exports name places and companies and
/// show coded values in Chinese, never a code or an English word.
#[test]
fn orders_visits_and_findings_export_names_and_chinese_values() {
    use gridwalk_core::records::household::{NewVisit, VisitPurpose};
    use gridwalk_core::records::order::{NewOrder, NewOrderItem, Severity};
    use gridwalk_core::store::inspection::OrderAction;
    use gridwalk_server::ledger::export::{self, Table};
    let (_d, data) = data();
    data.store
        .add_reference(&[ReferenceItem::new(
            ReferenceKind::Company,
            "P01",
            None,
            "金牌物业",
        )])
        .unwrap();
    // One household whose head's ID number has a bad check digit: a finding.
    let csv =
        format!("{HEAD}{PLACE},101,自住,王伟,110101199001011230,13800138000,户主,户籍,独居老人\n");
    let p = preview_csv(&data, &csv);
    let admin = Actor::new("admin", Role::Admin);
    import::commit(&data.store, &admin, &p).unwrap();
    let now = Timestamp::now();
    let household = data
        .store
        .list_households(&AddressScope::Grid("C01-G01".into()), 0, 10)
        .unwrap()
        .households
        .remove(0)
        .id;
    let worker = Actor::new("worker.a", Role::GridWorker);
    data.store
        .record_visit(
            &worker,
            &household,
            &NewVisit {
                at: now,
                purpose: VisitPurpose::Routine,
                notes: "一切正常".into(),
                location: None,
                photos: vec![],
            },
            now,
        )
        .unwrap();
    let inspector = Actor::new("inspector", Role::Inspector);
    let order = data
        .store
        .create_order(
            &inspector,
            &NewOrder {
                title: "楼道堆物整改".into(),
                compound: "C01-Q01".into(),
                company: "P01".into(),
                deadline: Timestamp(now.0 + 7 * Timestamp::DAY_MS),
                items: vec![NewOrderItem {
                    description: "清理楼道".into(),
                    severity: Severity::Major,
                    before_photos: vec![],
                }],
                from_report: None,
            },
            now,
        )
        .unwrap();
    data.store
        .act_on_order(&inspector, &order, &OrderAction::Issue, now)
        .unwrap();
    let scopes = ["grid:C01-G01".to_owned(), "compound:C01-Q01".to_owned()];
    let table = |t| export::rows(&data.store, &admin, &scopes, t).unwrap();
    // Cells a reader of a Chinese export must never see: a code or an English word.
    let ascii_word = |cell: &str| {
        cell.split(|c: char| !c.is_ascii_alphabetic())
            .any(|w| w.len() >= 2)
    };
    let orders = table(Table::Orders);
    assert_eq!(orders.len(), 2, "{orders:?}");
    assert_eq!(orders[1][1], "盈北苑");
    assert_eq!(orders[1][2], "金牌物业");
    assert_eq!(orders[1][3], "已下发");
    assert_eq!(orders[1][6], "否");
    let visits = table(Table::Visits);
    assert_eq!(visits.len(), 2, "{visits:?}");
    assert_eq!(
        &visits[1][..4],
        ["书香苑社区", "第一网格", "盈北苑", "1号楼"]
    );
    assert!(visits[1].contains(&"一切正常".to_owned()), "{visits:?}");
    let findings = table(Table::Findings);
    assert!(
        findings[1..]
            .iter()
            .any(|r| r.contains(&"身份证号码有误".to_owned())),
        "{findings:?}"
    );
    for (name, t) in [("orders", &orders), ("findings", &findings)] {
        for row in t.iter() {
            for cell in row {
                assert!(!ascii_word(cell), "{name}: {cell:?} in {row:?}");
            }
        }
    }
    // The visits export names its purpose in Chinese; the worker column is the account (named
    // by the page, which reads the accounts).
    for (i, cell) in visits[1].iter().enumerate() {
        if visits[0][i] != "走访人" {
            assert!(!ascii_word(cell), "visits: {cell:?} in {:?}", visits[1]);
        }
    }
}
