//! Exports for the supervisors: households, residents, orders, visits and findings of their
//! area, as CSV or XLSX, with names and Chinese values. Households and residents are in the
//! import's own column layout, so an export edited in a spreadsheet imports back. Exports are
//! for the office's own ledger, so residents' ID numbers are written in full.

use gridwalk_core::rules::order::OrderStatus;
use gridwalk_core::store::inspection::OrderFilter;
use gridwalk_core::store::queries::AddressScope;
use gridwalk_core::{Actor, Store, Timestamp};

use gridwalk_core::messages::{Lang, term};
use gridwalk_core::records::household::{Address, Relation};
use gridwalk_core::records::reference::ReferenceKind;
use gridwalk_core::store::ledger_rows::{LedgerPerson, LedgerRow};

use super::headers::COLUMNS;
use super::{LedgerError, values};

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// One row per household, in the import's column layout: the place, the house use and
    /// the head (or first resident), then 人数 and 最近走访 (columns the import ignores).
    Households,
    /// One row per resident.
    Residents,
    /// One row per order.
    Orders,
    /// One row per visit.
    Visits,
    /// One row per finding (需核实).
    Findings,
}

/// The visits export's column of the worker's account (the page puts their name there).
pub const VISIT_WORKER: &str = "走访人";

/// The headers the households export adds after the import's columns (ignored on import).
pub const HOUSEHOLD_EXTRA: [&str; 2] = ["人数", "最近走访"];

/// A table as text cells: a header row then the data. Every table is read from the list
/// tables (one query per grid or compound), never by loading each document.
pub fn rows(
    store: &Store,
    actor: &Actor,
    scopes: &[String],
    table: Table,
) -> Result<Vec<Vec<String>>, LedgerError> {
    let grids: Vec<&str> = scopes
        .iter()
        .filter_map(|s| s.strip_prefix("grid:"))
        .collect();
    let compounds: Vec<&str> = scopes
        .iter()
        .filter_map(|s| s.strip_prefix("compound:"))
        .collect();
    let mut out: Vec<Vec<String>> = Vec::new();
    let s = |v: &str| v.to_owned();
    let names: std::collections::HashMap<(ReferenceKind, String), String> = store
        .all_reference_items()?
        .into_iter()
        .map(|i| ((i.kind, i.id), i.name))
        .collect();
    let name = |kind: ReferenceKind, code: &str| {
        names
            .get(&(kind, code.to_owned()))
            .cloned()
            .unwrap_or_else(|| code.to_owned())
    };
    let place = |a: &Address| {
        vec![
            name(ReferenceKind::Community, &a.community),
            name(ReferenceKind::Grid, &a.grid),
            name(ReferenceKind::Compound, &a.compound),
            name(ReferenceKind::Building, &a.building),
            a.unit.clone(),
            a.room.clone(),
        ]
    };
    let person = |p: Option<LedgerPerson>| match p {
        // A dwelling without a person is a row without a name, so it comes back.
        None => vec![String::new(); 6],
        Some(r) => vec![
            r.name,
            r.id_number.unwrap_or_default(),
            r.phone.unwrap_or_default(),
            values::relation_zh(&r.relation),
            values::registration_zh(&r.registration),
            values::tags_zh(&r.tags),
        ],
    };
    let address_header = || COLUMNS[..6].iter().map(|c| c.header().to_owned());
    match table {
        Table::Households => {
            let mut header = ledger_header();
            header.extend(HOUSEHOLD_EXTRA.map(s));
            out.push(header);
            for g in &grids {
                let summaries: std::collections::HashMap<String, _> = store
                    .list_households(&AddressScope::Grid((*g).into()), 0, u32::MAX)?
                    .households
                    .into_iter()
                    .map(|h| (h.id.to_string(), h))
                    .collect();
                // The grid's ledger rows, by household in list order: the head, else the first.
                let mut rows = store.ledger_rows(g)?.into_iter().peekable();
                while let Some(first) = rows.next() {
                    let mut chosen = first;
                    while let Some(next) = rows.next_if(|r| r.household == chosen.household) {
                        let is_head = |r: &LedgerRow| {
                            r.person
                                .as_ref()
                                .is_some_and(|p| p.relation == Relation::Head)
                        };
                        if is_head(&next) && !is_head(&chosen) {
                            chosen = next;
                        }
                    }
                    let summary = summaries.get(&chosen.household);
                    let mut cells = place(&chosen.address);
                    cells.push(values::house_use_zh(&chosen.house_use));
                    cells.extend(person(chosen.person));
                    cells.push(summary.map_or(0, |h| h.resident_count).to_string());
                    cells.push(
                        summary
                            .and_then(|h| h.last_visit_at)
                            .map(date)
                            .unwrap_or_default(),
                    );
                    out.push(cells);
                }
            }
        }
        Table::Residents => {
            // From the list tables: one query per grid, no document loaded.
            out.push(ledger_header());
            for g in &grids {
                for row in store.ledger_rows(g)? {
                    let mut cells = place(&row.address);
                    cells.push(values::house_use_zh(&row.house_use));
                    cells.extend(person(row.person));
                    out.push(cells);
                }
            }
        }
        Table::Orders => {
            out.push(
                [
                    "标题",
                    "小区",
                    "物业公司",
                    "状态",
                    "期限",
                    "已答复/整改项",
                    "逾期",
                ]
                .map(s)
                .to_vec(),
            );
            let now = Timestamp::now();
            for c in &compounds {
                for o in
                    store.list_orders(actor, &OrderFilter::Compound((*c).into()), now, u32::MAX)?
                {
                    if o.status == OrderStatus::Draft {
                        continue;
                    }
                    out.push(vec![
                        o.title,
                        name(ReferenceKind::Compound, &o.compound),
                        name(ReferenceKind::Company, &o.company),
                        term("order_status", o.status.as_str(), Lang::ZhCn),
                        date(o.deadline),
                        format!("{}/{}", o.items_answered, o.items_total),
                        if o.overdue { "是" } else { "否" }.to_owned(),
                    ]);
                }
            }
        }
        Table::Visits => {
            let mut header: Vec<String> = address_header().collect();
            header.extend(["走访日期", VISIT_WORKER, "走访目的", "走访情况", "照片数"].map(s));
            out.push(header);
            for g in &grids {
                for v in store.grid_visits(g)? {
                    let mut cells = place(&v.address);
                    cells.extend([
                        date(v.at),
                        v.worker,
                        values::visit_purpose_zh(&v.purpose),
                        v.notes,
                        v.photos.to_string(),
                    ]);
                    out.push(cells);
                }
            }
        }
        Table::Findings => {
            let mut header: Vec<String> = address_header().collect();
            header.extend(["类型", "详情"].map(s));
            out.push(header);
            let now = Timestamp::now();
            for g in &grids {
                let addresses: std::collections::HashMap<String, Address> = store
                    .ledger_rows(g)?
                    .into_iter()
                    .map(|r| (r.household, r.address))
                    .collect();
                for f in store.needs_checking(g, now)? {
                    let mut cells = addresses
                        .get(&f.household_id)
                        .map(&place)
                        .unwrap_or_else(|| vec![String::new(); 6]);
                    cells.push(term("ledger.finding_kind", f.kind.as_str(), Lang::ZhCn));
                    cells.push(f.detail.render(Lang::ZhCn));
                    out.push(cells);
                }
            }
        }
    }
    Ok(out)
}

fn date(t: Timestamp) -> String {
    t.china_date().to_string()
}

/// The table as UTF-8 CSV with a byte-order mark (so spreadsheet programs read the Chinese).
pub fn to_csv(rows: &[Vec<String>]) -> Vec<u8> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        for r in rows {
            for cell in r {
                writer
                    .write_field(inert(cell).as_bytes())
                    .expect("writing CSV to memory");
            }
            writer
                .write_record(None::<&[u8]>)
                .expect("writing CSV to memory");
        }
        writer.flush().expect("writing CSV to memory");
    }
    out
}

/// A cell a spreadsheet will not run: text a worker typed (a note, a name) that starts like a
/// formula gets a leading apostrophe, the spreadsheet convention for "this is text".
fn inert(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// The table as an XLSX workbook of one sheet, for an office to work in: every cell a text
/// cell (ID numbers and phones never numbers, so no digit is lost), their columns formatted as
/// text so what is typed there stays text, a bold header row frozen above an autofilter, and
/// each column as wide as its widest value.
pub fn to_xlsx(rows: &[Vec<String>], sheet: &str) -> Result<Vec<u8>, LedgerError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).map_err(fail)?;
    write_sheet(ws, rows)?;
    book.save_to_buffer().map_err(fail)
}

fn fail(e: rust_xlsxwriter::XlsxError) -> LedgerError {
    LedgerError::Unreadable {
        format: "XLSX",
        reason: e.to_string(),
    }
}

/// Columns whose values are digits that must stay text (身份证号码, 联系电话).
fn is_digits_column(header: &str) -> bool {
    matches!(
        super::headers::Column::recognise(header),
        Some(super::headers::Column::IdNumber | super::headers::Column::Phone)
    )
}

/// The width of a value in a spreadsheet's character units: CJK and full-width characters
/// count two.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| if (c as u32) < 0x1100 { 1 } else { 2 })
        .sum()
}

/// Writes rows (the first is the header) as text cells with the office formatting of
/// [`to_xlsx`].
fn write_sheet(
    ws: &mut rust_xlsxwriter::Worksheet,
    rows: &[Vec<String>],
) -> Result<(), LedgerError> {
    use rust_xlsxwriter::{Format, FormatAlign};
    let header_format = Format::new().set_bold().set_align(FormatAlign::Center);
    let text = Format::new().set_num_format("@");
    let Some(header) = rows.first() else {
        return Ok(());
    };
    let digits: Vec<bool> = header.iter().map(|h| is_digits_column(h)).collect();
    for (c, is_digits) in digits.iter().enumerate() {
        let widest = rows
            .iter()
            .filter_map(|r| r.get(c))
            .map(|v| width(v))
            .max()
            .unwrap_or(0);
        ws.set_column_width(c as u16, (widest + 2).clamp(6, 50) as f64)
            .map_err(fail)?;
        if *is_digits {
            ws.set_column_format(c as u16, &text).map_err(fail)?;
        }
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if r == 0 {
                ws.write_string_with_format(0, c as u16, cell, &header_format)
            } else if digits.get(c).copied().unwrap_or(false) {
                ws.write_string_with_format(r as u32, c as u16, cell, &text)
            } else {
                ws.write_string(r as u32, c as u16, cell)
            }
            .map_err(fail)?;
        }
    }
    ws.set_freeze_panes(1, 0).map_err(fail)?;
    let last_row = rows.len().saturating_sub(1).max(1) as u32;
    ws.autofilter(0, 0, last_row, header.len().saturating_sub(1) as u16)
        .map_err(fail)?;
    Ok(())
}

/// The header of a ledger as the import reads it and exports write it.
pub fn ledger_header() -> Vec<String> {
    COLUMNS.iter().map(|c| c.header().to_owned()).collect()
}

/// The rows a preview refused, as an XLSX to fix and upload again: each row as the file had it,
/// in the import's column layout, with a last column 原因 giving why, in Chinese (several
/// reasons for one line are joined by ；). The importer ignores the 原因 column.
pub fn bad_rows_xlsx(preview: &super::import::Preview) -> Result<Vec<u8>, LedgerError> {
    let mut header = ledger_header();
    header.push(REASON.to_owned());
    let mut rows = vec![header];
    let mut reasons: std::collections::BTreeMap<usize, Vec<String>> = Default::default();
    for b in &preview.bad {
        reasons
            .entry(b.line)
            .or_default()
            .push(b.reason.render(Lang::ZhCn));
    }
    for (line, reasons) in reasons {
        let mut row = preview
            .refused
            .get(&line)
            .cloned()
            .unwrap_or_else(|| vec![String::new(); COLUMNS.len()]);
        row.push(reasons.join("；"));
        rows.push(row);
    }
    to_xlsx(&rows, "待修改")
}

/// The header of the column [`bad_rows_xlsx`] adds.
pub const REASON: &str = "原因";

/// Rows of the template that carry the drop-down lists (the example row and those below it).
const TEMPLATE_ROWS: u32 = 2000;

/// A ledger template: the header in the import's column layout, one example row (`example`, in
/// [`COLUMNS`] order), and drop-down lists of the words the importer accepts for the coded
/// columns (房屋用途, 与户主关系, 户籍类型, 特殊人群). The example row's name carries
/// [`EXAMPLE_MARK`]: left in, it is refused as the example (a review found the old example, an
/// ordinary row at a real address, replacing that household's people).
pub fn template_xlsx(example: &[String]) -> Result<Vec<u8>, LedgerError> {
    use super::headers::Column;
    use rust_xlsxwriter::{DataValidation, DataValidationErrorStyle};
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name("台账").map_err(fail)?;
    write_sheet(ws, &[ledger_header(), example.to_vec()])?;
    let lists: [(Column, &[&str]); 4] = [
        (Column::HouseUse, &values::HOUSE_USES),
        (Column::Relation, &values::RELATIONS),
        (Column::Registration, &values::REGISTRATIONS),
        (Column::Tags, &values::SPECIAL_GROUPS),
    ];
    for (column, words) in lists {
        let mut validation = DataValidation::new()
            .allow_list_strings(words)
            .map_err(fail)?;
        if column == Column::Tags {
            // Several groups are written 独居老人、残疾人: the list offers one, a warning
            // lets the office keep several.
            validation = validation.set_error_style(DataValidationErrorStyle::Warning);
        }
        let c = column as u16;
        ws.add_data_validation(1, c, TEMPLATE_ROWS, c, &validation)
            .map_err(fail)?;
    }
    book.save_to_buffer().map_err(fail)
}

/// The template's example row at a place: 张三, head of a household living there, with a valid
/// ID number and mobile number.
pub fn template_example(
    community: String,
    grid: String,
    compound: String,
    building: String,
) -> Vec<String> {
    let mut row = vec![community, grid, compound, building];
    row.extend(
        [
            "1",
            "101",
            "自住",
            &format!("张三{EXAMPLE_MARK}"),
            "110101198503070013",
            "13800138000",
            "户主",
            "户籍",
            "",
        ]
        .map(str::to_owned),
    );
    row
}

/// What marks the template's example row: the importer refuses a row whose name carries it.
pub const EXAMPLE_MARK: &str = "（示例，请删除本行）";

/// The monthly workload sheet (网格员工作量考核表) as an office keeps it: a title row (the
/// sheet's name, the area and the period) across the table, a bold header row frozen under it,
/// one row per worker and a bold totals row. Columns from `first_number` on are written as
/// numbers (an office sums and ranks them), the others as text.
pub fn workload_xlsx(
    title: &str,
    rows: &[Vec<String>],
    first_number: usize,
) -> Result<Vec<u8>, LedgerError> {
    use rust_xlsxwriter::{Format, FormatAlign};
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name("网格员工作量").map_err(fail)?;
    let bold = Format::new().set_bold();
    let header_format = Format::new().set_bold().set_align(FormatAlign::Center);
    let title_format = Format::new()
        .set_bold()
        .set_font_size(14)
        .set_align(FormatAlign::Center);
    let Some(header) = rows.first() else {
        return book.save_to_buffer().map_err(fail);
    };
    let last_col = header.len().saturating_sub(1) as u16;
    if last_col > 0 {
        ws.merge_range(0, 0, 0, last_col, title, &title_format)
            .map_err(fail)?;
    } else {
        ws.write_string_with_format(0, 0, title, &title_format)
            .map_err(fail)?;
    }
    for c in 0..header.len() {
        let widest = rows
            .iter()
            .filter_map(|r| r.get(c))
            .map(|v| width(v))
            .max()
            .unwrap_or(0);
        ws.set_column_width(c as u16, (widest + 2).clamp(8, 40) as f64)
            .map_err(fail)?;
    }
    let last = rows.len().saturating_sub(1);
    for (r, row) in rows.iter().enumerate() {
        let at = (r + 1) as u32;
        let format = (r == last && r > 0).then_some(&bold);
        for (c, cell) in row.iter().enumerate() {
            let number = (r > 0 && c >= first_number)
                .then(|| cell.parse::<f64>().ok())
                .flatten();
            match (r, number, format) {
                (0, _, _) => ws.write_string_with_format(at, c as u16, cell, &header_format),
                (_, Some(n), Some(f)) => ws.write_number_with_format(at, c as u16, n, f),
                (_, Some(n), None) => ws.write_number(at, c as u16, n),
                (_, None, Some(f)) => ws.write_string_with_format(at, c as u16, cell, f),
                (_, None, None) => ws.write_string(at, c as u16, cell),
            }
            .map_err(fail)?;
        }
    }
    ws.set_freeze_panes(2, 0).map_err(fail)?;
    book.save_to_buffer().map_err(fail)
}
