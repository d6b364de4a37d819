//! Exports for the supervisors: households, residents and orders of their area, as CSV or XLSX.
//! Exports are for the office's own ledger, so residents' ID numbers are written in full.

use gridwalk_core::rules::order::OrderStatus;
use gridwalk_core::store::inspection::OrderFilter;
use gridwalk_core::store::queries::AddressScope;
use gridwalk_core::{Actor, Store, Timestamp};

use gridwalk_core::records::household::Address;
use gridwalk_core::records::reference::ReferenceKind;

use super::headers::COLUMNS;
use super::{LedgerError, values};

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// One row per household.
    Households,
    /// One row per resident.
    Residents,
    /// One row per order.
    Orders,
}

/// A table as text cells: a header row then the data.
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
    match table {
        Table::Households => {
            let mut header: Vec<String> = COLUMNS[..7].iter().map(|c| c.header().into()).collect();
            header.extend(["户主", "人数", "最近走访"].map(s));
            out.push(header);
            for g in &grids {
                for summary in store
                    .list_households(&AddressScope::Grid((*g).into()), 0, u32::MAX)?
                    .households
                {
                    let h = store.household(&summary.id)?;
                    let mut row = place(&h.address);
                    row.push(values::house_use_zh(&h.house_use));
                    row.push(summary.head_name);
                    row.push(summary.resident_count.to_string());
                    row.push(summary.last_visit_at.map(date).unwrap_or_default());
                    out.push(row);
                }
            }
        }
        Table::Residents => {
            out.push(COLUMNS.iter().map(|c| c.header().to_owned()).collect());
            for g in &grids {
                for summary in store
                    .list_households(&AddressScope::Grid((*g).into()), 0, u32::MAX)?
                    .households
                {
                    let h = store.household(&summary.id)?;
                    let mut dwelling = place(&h.address);
                    dwelling.push(values::house_use_zh(&h.house_use));
                    if h.active_residents().next().is_none() {
                        // A dwelling without a person is a row without a name, so it comes back.
                        dwelling.extend(std::iter::repeat_n(String::new(), 6));
                        out.push(dwelling);
                        continue;
                    }
                    for r in h.active_residents() {
                        let mut row = dwelling.clone();
                        row.extend([
                            r.name.clone(),
                            r.id_number.clone().unwrap_or_default(),
                            r.phone.clone().unwrap_or_default(),
                            values::relation_zh(&r.relation),
                            values::registration_zh(&r.registration),
                            values::tags_zh(&r.tags),
                        ]);
                        out.push(row);
                    }
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
                        o.compound,
                        o.company,
                        o.status.as_str().into(),
                        date(o.deadline),
                        format!("{}/{}", o.items_answered, o.items_total),
                        if o.overdue {
                            "是".into()
                        } else {
                            String::new()
                        },
                    ]);
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

/// The table as an XLSX workbook of one sheet.
pub fn to_xlsx(rows: &[Vec<String>], sheet: &str) -> Result<Vec<u8>, LedgerError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    let fail = |e: rust_xlsxwriter::XlsxError| LedgerError::Unreadable {
        format: "XLSX",
        reason: e.to_string(),
    };
    ws.set_name(sheet).map_err(fail)?;
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            ws.write_string(r as u32, c as u16, cell).map_err(fail)?;
        }
    }
    book.save_to_buffer().map_err(fail)
}
