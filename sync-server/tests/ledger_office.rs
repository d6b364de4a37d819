//! The ledger as a district office tries it, with files of the shapes offices send: an XLSX
//! saved with a merged title row and address cells merged down a household's members, a CSV
//! with CRLF line ends and a trailing empty column, an ID number in full-width digits, a row
//! holding only a phone, and the same file imported twice.

mod common;

use gridwalk_core::records::reference::{ReferenceItem, ReferenceKind};
use gridwalk_core::{Actor, Role};
use gridwalk_server::ledger::{import, values};

fn data() -> (tempfile::TempDir, gridwalk_server::server::Data) {
    common::data_with(&[
        ReferenceItem::new(ReferenceKind::Community, "C01", None, "书香苑社区"),
        ReferenceItem::new(ReferenceKind::Grid, "C01-G01", Some("C01"), "第一网格"),
    ])
}

fn preview(data: &gridwalk_server::server::Data, ledger: import::Ledger) -> import::Preview {
    let area = ["C01-G01".to_owned()];
    import::preview(ledger, &data.store, Some(&area)).unwrap()
}

/// A workbook as WPS saves an office's ledger: a title merged across the columns, a date line,
/// the header on row 3, the address merged down over each household's member rows, ID numbers
/// and phones as text.
fn wps_workbook() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    let plain = rust_xlsxwriter::Format::new();
    ws.merge_range(0, 0, 0, 12, "书香苑社区居民信息登记台账", &plain)
        .unwrap();
    ws.merge_range(1, 0, 1, 12, "填报日期：2026年11月30日", &plain)
        .unwrap();
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
        "户籍性质",
        "备注",
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write_string(2, c as u16, *h).unwrap();
    }
    let people = [
        ("张建国", "110101198503070013", "13800138000", "户主"),
        ("李秀英", "110105199001010029", "13912345678", "妻子"),
        ("张子涵", "", "", "儿子"),
        ("王桂兰", "11010519491231002X", "010-65529988", "本人"),
    ];
    for (i, (name, id, phone, relation)) in people.iter().enumerate() {
        let r = 3 + i as u32;
        ws.write_number(r, 0, (i + 1) as f64).unwrap();
        ws.write_string(r, 7, *name).unwrap();
        ws.write_string(r, 8, *id).unwrap();
        ws.write_string(r, 9, *phone).unwrap();
        ws.write_string(r, 10, *relation).unwrap();
        ws.write_string(r, 11, "本地").unwrap();
    }
    // The first household's address merged down its three rows; the second on one row.
    for (c, v) in [
        "书香苑社区",
        "第一网格",
        "盈北苑1期小区",
        "1号楼",
        "2",
        "201",
    ]
    .iter()
    .enumerate()
    {
        ws.merge_range(3, c as u16 + 1, 5, c as u16 + 1, v, &plain)
            .unwrap();
    }
    for (c, v) in ["书香苑社区", "第一网格", "盈北苑1期小区", "1幢", "2", "202"]
        .iter()
        .enumerate()
    {
        ws.write_string(6, c as u16 + 1, *v).unwrap();
    }
    book.save_to_buffer().unwrap()
}

#[test]
fn a_wps_workbook_with_a_title_and_merged_cells_imports_every_member() {
    let (_d, data) = data();
    let ledger = import::read_xlsx(&wps_workbook()).unwrap();
    assert_eq!(ledger.header_line, 3);
    assert_eq!(ledger.ignored, ["序号", "备注"]);
    let p = preview(&data, ledger);
    assert!(p.bad.is_empty(), "{:#?}", p.bad);
    // The landline is a finding to check (the core flags every number that is not a mobile).
    let checks: Vec<usize> = p.to_check.iter().map(|b| b.line).collect();
    assert_eq!(checks, [7], "{:#?}", p.to_check);
    assert_eq!((p.households.len(), p.residents()), (2, 4));
    let names: Vec<String> = p.created.iter().map(|c| c.name.clone()).collect();
    assert_eq!(names, ["盈北苑1期小区", "1号楼"], "1幢 is 1号楼");
}

#[test]
fn a_csv_with_crlf_and_a_trailing_empty_column_keeps_its_line_numbers() {
    let (_d, data) = data();
    let csv = "社区,网格,小区,楼栋,单元,房号,姓名,身份证号码,联系电话,\r\n\
               书香苑社区,第一网格,盈北苑1期小区,1号楼,1,101,张三,110101198503070013,13800138000,\r\n\
               书香苑社区,第一网格,盈北苑1期小区,1号楼,1,102,李四,,138abc,\r\n\
               书香苑社区,第一网格,盈北苑1期小区,1号楼,1,103,王五,,,\r\n";
    let ledger = import::read_csv(csv.as_bytes()).unwrap();
    assert!(ledger.ignored.is_empty(), "{:?}", ledger.ignored);
    let lines: Vec<usize> = ledger.rows.iter().map(|r| r.line).collect();
    assert_eq!(lines, [2, 3, 4]);
    let p = preview(&data, ledger);
    assert!(p.bad.is_empty(), "{:#?}", p.bad);
    // A phone that is not a number is imported as written, to check at the door.
    assert_eq!(p.to_check.len(), 1);
    assert_eq!(p.to_check[0].line, 3, "the line the spreadsheet shows");
    assert_eq!(p.residents(), 3);
}

#[test]
fn an_id_number_in_full_width_digits_is_the_same_person() {
    let (_d, data) = data();
    let admin = Actor::new("admin", Role::Admin);
    let half = "社区,网格,小区,楼栋,单元,房号,姓名,身份证号码,联系电话\n\
                书香苑社区,第一网格,盈北苑1期小区,1号楼,1,101,张三,110101198503070013,13800138000\n";
    let p = preview(&data, import::read_csv(half.as_bytes()).unwrap());
    import::commit(&data.store, &admin, &p).unwrap();
    let full = "社区,网格,小区,楼栋,单元,房号,姓名,身份证号码,联系电话\n\
                书香苑社区,第一网格,盈北苑１期小区,１号楼,１,１０１,张三,１１０１０１１９８５０３０７００１３,１３８００１３８０００\n";
    let p = preview(&data, import::read_csv(full.as_bytes()).unwrap());
    assert!(p.bad.is_empty() && p.to_check.is_empty(), "{:#?}", p.bad);
    assert_eq!(p.count(import::Status::Unchanged), 1, "{:#?}", p.households);
    assert!(p.created.is_empty());
}

/// A row holding only a phone (an office's second number for the person above, on its own
/// line) is refused with a reason, not taken for a person or a dwelling.
#[test]
fn a_row_with_only_a_phone_is_listed_with_a_reason() {
    let (_d, data) = data();
    let csv = "社区,网格,小区,楼栋,单元,房号,姓名,身份证号码,联系电话\n\
               书香苑社区,第一网格,盈北苑1期小区,1号楼,1,101,张三,110101198503070013,13800138000\n\
               ,,,,,,,,13912345678\n";
    let p = preview(&data, import::read_csv(csv.as_bytes()).unwrap());
    assert_eq!(p.bad.len(), 1, "{:#?}", p.bad);
    assert_eq!(p.bad[0].line, 3);
    let zh = p.bad[0].reason.render(gridwalk_core::messages::Lang::ZhCn);
    assert!(zh.contains("地址缺少"), "{zh}");
    assert_eq!((p.households.len(), p.residents()), (1, 1));
}

#[test]
fn the_same_file_imported_twice_changes_nothing_the_second_time() {
    let (_d, data) = data();
    let admin = Actor::new("admin", Role::Admin);
    let xlsx = wps_workbook();
    let first = preview(&data, import::read_xlsx(&xlsx).unwrap());
    import::commit(&data.store, &admin, &first).unwrap();
    let second = preview(&data, import::read_xlsx(&xlsx).unwrap());
    assert!(second.created.is_empty(), "{:?}", second.created);
    assert_eq!(second.count(import::Status::Unchanged), 2);
    assert_eq!(second.count(import::Status::New), 0);
    assert!(second.households.iter().all(|h| h.changes.is_empty()));
    let ids = import::commit(&data.store, &admin, &second).unwrap();
    assert!(ids.is_empty(), "nothing written: {ids:?}");
    let households = data
        .store
        .list_households(
            &gridwalk_core::store::queries::AddressScope::Grid("C01-G01".into()),
            0,
            100,
        )
        .unwrap();
    assert_eq!(households.households.len(), 2, "never a second household");
}

/// A resident the file does not list is kept, and a blank ID-number or phone cell erases
/// nothing: offices upload partial ledgers (the fixed bad rows the page hands back, only the
/// heads of households), and a row left out or a cell left empty is not a person who left.
#[test]
fn a_resident_left_out_or_a_blank_cell_loses_nothing() {
    let (_d, data) = data();
    let admin = Actor::new("admin", Role::Admin);
    let head = "社区,网格,小区,楼栋,单元,房号,姓名,身份证号码,联系电话\n";
    let zhang =
        "书香苑社区,第一网格,盈北苑1期小区,1号楼,1,101,张三,110101198503070013,13800138000\n";
    let li = "书香苑社区,第一网格,盈北苑1期小区,1号楼,1,101,李四,110105199001010029,13912345678\n";
    let p = preview(
        &data,
        import::read_csv(format!("{head}{zhang}{li}").as_bytes()).unwrap(),
    );
    import::commit(&data.store, &admin, &p).unwrap();
    let id = p.households[0].existing.clone().unwrap_or_else(|| {
        data.store
            .list_households(
                &gridwalk_core::store::queries::AddressScope::Grid(
                    p.households[0].address.grid.clone(),
                ),
                0,
                10,
            )
            .unwrap()
            .households[0]
            .id
            .clone()
    });

    // Only 李四's row, fixed and uploaded again as the page suggests; then 张三 with his ID and
    // phone cells left blank.
    let zhang_blank = "书香苑社区,第一网格,盈北苑1期小区,1号楼,1,101,张三,,\n";
    for file in [format!("{head}{li}"), format!("{head}{zhang_blank}")] {
        let p = preview(&data, import::read_csv(file.as_bytes()).unwrap());
        assert_eq!(
            p.count(import::Status::Unchanged),
            1,
            "{file}: {:#?}",
            p.households
        );
        import::commit(&data.store, &admin, &p).unwrap();
    }
    let h = data.store.household(&id).unwrap();
    let people: Vec<(String, Option<String>, Option<String>)> = h
        .active_residents()
        .map(|r| (r.name.clone(), r.id_number.clone(), r.phone.clone()))
        .collect();
    assert_eq!(
        people,
        [
            (
                "张三".to_owned(),
                Some("110101198503070013".to_owned()),
                Some("13800138000".to_owned())
            ),
            (
                "李四".to_owned(),
                Some("110105199001010029".to_owned()),
                Some("13912345678".to_owned())
            ),
        ]
    );
}

/// The same address spelt as offices spell it (1单元, 一单元, 01, 101室, 0101, 1-101, 01号楼) is
/// the household already stored, never a second one (a review found our own export with its
/// unit column rewritten as 1单元 doubling every household).
#[test]
fn unit_room_and_building_spellings_are_the_household_already_stored() {
    let (_d, data) = data();
    let admin = Actor::new("admin", Role::Admin);
    let head = "社区,网格,小区,楼栋,单元,房号,姓名,身份证号码,联系电话\n";
    let row = |building: &str, unit: &str, room: &str| {
        format!(
            "书香苑社区,第一网格,盈北苑1期小区,{building},{unit},{room},张三,110101198503070013,13800138000\n"
        )
    };
    let p = preview(
        &data,
        import::read_csv(format!("{head}{}", row("1号楼", "1", "101")).as_bytes()).unwrap(),
    );
    import::commit(&data.store, &admin, &p).unwrap();
    for (building, unit, room) in [
        ("1号楼", "1单元", "101"),
        ("1号楼", "一单元", "101室"),
        ("01号楼", "01", "0101"),
        ("1栋", "1", "1-101"),
    ] {
        let p = preview(
            &data,
            import::read_csv(format!("{head}{}", row(building, unit, room)).as_bytes()).unwrap(),
        );
        assert_eq!(
            p.count(import::Status::Unchanged),
            1,
            "{building} {unit} {room}: {:#?}",
            p.households
        );
        assert!(p.created.is_empty(), "{building}: no new building");
    }
}

/// A failed formula's error value (#REF!, #N/A, LibreOffice's Err:502) is refused with the
/// column it is in, never stored as an ID number, a name or a phone.
#[test]
fn a_spreadsheet_error_in_a_cell_is_refused_not_stored() {
    let (_d, data) = data();
    let head = "社区,网格,小区,楼栋,单元,房号,姓名,身份证号码,联系电话\n";
    let rows = [
        "书香苑社区,第一网格,盈北苑1期小区,1号楼,1,101,张三,#REF!,13800138000\n",
        "书香苑社区,第一网格,盈北苑1期小区,1号楼,1,102,李四,110105199001010029,#N/A\n",
        "书香苑社区,第一网格,盈北苑1期小区,1号楼,1,103,Err:502,,\n",
    ];
    let p = preview(
        &data,
        import::read_csv(format!("{head}{}", rows.concat()).as_bytes()).unwrap(),
    );
    assert_eq!(p.bad.len(), 3, "{:#?}", p.bad);
    let reasons: Vec<String> = p
        .bad
        .iter()
        .map(|b| b.reason.render(gridwalk_core::messages::Lang::ZhCn))
        .collect();
    assert!(
        reasons[0].contains("身份证号码") && reasons[0].contains("#REF!"),
        "{reasons:?}"
    );
    assert!(reasons[1].contains("#N/A"), "{reasons:?}");
    assert_eq!(p.residents(), 0);
}

/// A file is read by what its bytes are: an XLSX under any name, and an empty file, an old
/// `.xls`, a photo or a PDF each told for what it is (they all said "no 社区 column").
#[test]
fn a_file_that_is_no_ledger_says_what_it_is() {
    let code = |bytes: &[u8]| import::read(bytes).unwrap_err().message().code;
    assert_eq!(code(b""), "ledger.empty_file");
    assert_eq!(code(b"\xEF\xBB\xBF\r\n"), "ledger.empty_file");
    assert_eq!(
        code(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0]),
        "ledger.old_xls"
    );
    assert_eq!(
        code(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
        "ledger.not_a_spreadsheet"
    );
    assert_eq!(code(b"%PDF-1.7\n"), "ledger.not_a_spreadsheet");
    // A real ledger named .csv but saved as XLSX reads as XLSX.
    let xlsx = wps_workbook();
    let ledger = import::read(&xlsx).unwrap();
    assert!(!ledger.rows.is_empty());
}

/// A spreadsheet keeps 15 significant digits: an old 15-digit ID number in a number cell is
/// exact and imported (a review found it refused as "digits lost"); an 18-digit one is not.
#[test]
fn an_old_15_digit_id_number_in_a_number_cell_is_exact() {
    let (_d, data) = data();
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    for (c, h) in [
        "社区",
        "网格",
        "小区",
        "楼栋",
        "单元",
        "房号",
        "姓名",
        "身份证号码",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, (name, id)) in [
        ("张三", 110101850307001_f64),
        ("李四", 110105199001010029_f64),
    ]
    .iter()
    .enumerate()
    {
        let r = r as u32 + 1;
        for (c, v) in ["书香苑社区", "第一网格", "盈北苑1期小区", "1号楼", "1"]
            .iter()
            .enumerate()
        {
            ws.write_string(r, c as u16, *v).unwrap();
        }
        ws.write_string(r, 5, format!("10{r}")).unwrap();
        ws.write_string(r, 6, *name).unwrap();
        ws.write_number(r, 7, *id).unwrap();
    }
    let xlsx = book.save_to_buffer().unwrap();
    let p = preview(&data, import::read(&xlsx).unwrap());
    let refused: Vec<(&str, &str)> = p
        .bad
        .iter()
        .map(|b| (b.who.as_str(), b.reason.code.as_str()))
        .collect();
    assert_eq!(refused, [("李四", "ledger.digits_lost")]);
    assert_eq!(p.residents(), 1, "张三's 15-digit number is taken");
}

/// More of the words offices write (a review found these refused): 之子 is a child, 本地人口 and
/// 农业户口 are registered here, 孤寡老人 lives alone.
#[test]
fn more_office_words_are_understood() {
    use gridwalk_core::records::household::{Registration, Relation, SpecialGroup};
    assert_eq!(values::relation("之子").unwrap(), Relation::Child);
    assert_eq!(values::relation("养女").unwrap(), Relation::Child);
    assert_eq!(
        values::registration("本地人口").unwrap(),
        Registration::Local
    );
    assert_eq!(
        values::registration("农业户口").unwrap(),
        Registration::Local
    );
    assert!(
        values::tags("孤寡老人")
            .unwrap()
            .contains(&SpecialGroup::ElderlyAlone)
    );
}

/// A workbook whose first sheet is 填表说明 (instructions) and whose ledger is the second: the
/// ledger is found (a review found the file refused for a missing 社区 column).
#[test]
fn the_ledger_on_a_second_sheet_is_found() {
    let (_d, data) = data();
    let mut book = rust_xlsxwriter::Workbook::new();
    let notes = book.add_worksheet();
    notes.set_name("填表说明").unwrap();
    notes
        .write_string(0, 0, "请按模板填写，身份证号码列设为文本格式")
        .unwrap();
    let ws = book.add_worksheet();
    ws.set_name("台账").unwrap();
    let rows = [
        ["社区", "网格", "小区", "楼栋", "单元", "房号", "姓名"],
        [
            "书香苑社区",
            "第一网格",
            "盈北苑1期小区",
            "1号楼",
            "1",
            "101",
            "张三",
        ],
    ];
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, *v).unwrap();
        }
    }
    let xlsx = book.save_to_buffer().unwrap();
    let p = preview(&data, import::read(&xlsx).unwrap());
    assert_eq!(p.residents(), 1, "{:#?}", p.bad);
}
