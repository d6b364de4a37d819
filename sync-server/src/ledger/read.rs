//! Reading a ledger file into cells, as spreadsheet programs leave them: CSV in UTF-8 (with or
//! without a BOM), GB18030/GBK or UTF-16 with a BOM, comma- or tab-separated; XLSX with merged
//! ranges, number and date cells and formulas. Nothing is judged here, only what each cell held
//! and on which line the spreadsheet shows it.

use std::collections::BTreeMap;

use super::LedgerError;

/// Rows of data a ledger may have; a larger file is refused whole, with a message.
pub const MAX_ROWS: usize = 100_000;
/// Columns read: ledgers have about fifteen; a stray cell far to the right is not read.
pub const MAX_COLUMNS: usize = 64;
/// Rows above the header that may hold titles (书香苑社区居民台账, a date, a unit stamp).
pub const HEADER_SEARCH_ROWS: usize = 20;

/// What kind of value a cell held in the spreadsheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CellKind {
    /// Text (or any CSV field).
    #[default]
    Text,
    /// A number cell: an ID number or phone typed into one lost digits or a leading zero.
    Number,
    /// A date cell: Excel turns a room or unit such as `3-2` into a date.
    Date,
}

/// One cell: its text as the spreadsheet shows it, and its kind.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cell {
    /// The value as text (a number without exponent, a date as `YYYY-MM-DD`).
    pub text: String,
    /// What kind of cell it was.
    pub kind: CellKind,
}

impl Cell {
    fn text(s: impl Into<String>) -> Cell {
        Cell {
            text: s.into(),
            kind: CellKind::Text,
        }
    }
}

/// The cells of a sheet, row by row, each with the line number the spreadsheet shows.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// (line, cells) in order; empty rows are left out.
    pub rows: Vec<(usize, Vec<Cell>)>,
}

fn too_many() -> LedgerError {
    LedgerError::TooManyRows(MAX_ROWS)
}

/// Decodes a CSV's bytes: a BOM decides (UTF-8, UTF-16 LE/BE); without one, valid UTF-8 is
/// UTF-8 and anything else is GB18030 (a superset of GBK, what Excel on Chinese Windows saves).
pub fn decode(bytes: &[u8]) -> String {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom..]);
        return text.into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::GB18030
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

/// Reads a CSV (or Excel's tab-separated "Unicode text") into a table.
pub fn csv_table(bytes: &[u8]) -> Result<Table, LedgerError> {
    let text = decode(bytes);
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.matches('\t').count() > first.matches(',').count() {
        b'\t'
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut table = Table::default();
    let mut mapped: Option<Vec<bool>> = None;
    let mut record = csv::StringRecord::new();
    let (mut line, mut counted) = (1, 0);
    let bytecount = |b: &[u8]| b.iter().filter(|c| **c == b'\n').count();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                return Err(LedgerError::Unreadable {
                    format: "CSV",
                    reason: e.to_string(),
                });
            }
        }
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if table.rows.len() > MAX_ROWS + HEADER_SEARCH_ROWS {
            return Err(too_many());
        }
        // The line the record starts on, counted from its byte offset (quoted fields may hold
        // line breaks, so records and lines differ).
        // (After a CRLF the reader may place the record on its `\n`: skip line ends.)
        let mut byte = record
            .position()
            .map_or(0, |p| p.byte() as usize)
            .min(text.len());
        while matches!(text.as_bytes().get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        line += bytecount(&text.as_bytes()[counted..byte]);
        counted = byte;
        let cells = match &mapped {
            None => record.iter().take(MAX_COLUMNS).map(Cell::text).collect(),
            Some(mapped) => record
                .iter()
                .zip(mapped)
                .map(|(c, keep)| {
                    if *keep {
                        Cell::text(c)
                    } else {
                        Cell::default()
                    }
                })
                .collect(),
        };
        table.rows.push((line, cells));
        if table.rows.len() == HEADER_SEARCH_ROWS {
            mapped = Some(super::headers::mapped_columns(&table.rows));
        }
    }
    Ok(table)
}

/// Excel's serial day number as a date (the 1900 system, whose day 60 is the fictitious
/// 1900-02-29: days from 1899-12-30 are right from March 1900 on).
fn excel_date(serial: f64) -> String {
    let base = time::Date::from_calendar_date(1899, time::Month::December, 30).expect("date");
    base.checked_add(time::Duration::days(serial.floor() as i64))
        .map(|d| d.to_string())
        .unwrap_or_else(|| serial.to_string())
}

/// A number as a spreadsheet shows it in a general cell, without exponent or trailing `.0`.
fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e21 {
        format!("{f:.0}")
    } else {
        f.to_string()
    }
}

fn cell_of(value: &calamine::DataRef<'_>) -> Cell {
    use calamine::DataRef as D;
    match value {
        D::Int(i) => Cell {
            text: i.to_string(),
            kind: CellKind::Number,
        },
        D::Float(f) => Cell {
            text: number_text(*f),
            kind: CellKind::Number,
        },
        D::String(s) => Cell::text(s.as_str()),
        D::SharedString(s) => Cell::text(*s),
        D::Bool(b) => Cell::text(if *b { "TRUE" } else { "FALSE" }),
        D::DateTime(d) => Cell {
            text: excel_date(d.as_f64()),
            kind: CellKind::Date,
        },
        D::DateTimeIso(s) | D::DurationIso(s) => Cell {
            text: s.clone(),
            kind: CellKind::Date,
        },
        D::Error(e) => Cell::text(e.to_string()),
        D::Empty => Cell::default(),
    }
}

/// The most sheets of a workbook searched for the ledger (offices put a 填表说明 sheet first).
pub const MAX_SHEETS: usize = 8;

/// How many sheets the workbook has.
pub fn xlsx_sheet_count(bytes: &[u8]) -> Result<usize, LedgerError> {
    use calamine::{Reader, Xlsx};
    let book: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| LedgerError::Unreadable {
            format: "XLSX",
            reason: e.to_string(),
        })?;
    Ok(book.sheet_names().len())
}

/// Reads the first sheet of an XLSX workbook; see [`xlsx_sheet_table`].
pub fn xlsx_table(bytes: &[u8]) -> Result<Table, LedgerError> {
    xlsx_sheet_table(bytes, 0)
}

/// Reads sheet `index` of an XLSX workbook cell by cell (never a dense range: one cell in
/// column XFD of row 1,048,576 costs one cell), filling merged ranges into every row and column
/// they cover, formulas as their saved values.
pub fn xlsx_sheet_table(bytes: &[u8], index: usize) -> Result<Table, LedgerError> {
    use calamine::{Reader, Xlsx};
    let unreadable = |reason: String| LedgerError::Unreadable {
        format: "XLSX",
        reason,
    };
    let mut book: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| unreadable(e.to_string()))?;
    let sheet = book
        .sheet_names()
        .get(index)
        .cloned()
        .ok_or_else(|| unreadable("the workbook has no sheet".into()))?;
    let merged = book
        .merge_cells_by_sheet_id(index)
        .map_err(|e| unreadable(e.to_string()))?;
    let mut rows: BTreeMap<u32, Vec<Cell>> = BTreeMap::new();
    // Below the first rows, only the columns whose header names a column are kept.
    let mut mapped: Option<Vec<bool>> = None;
    let keep = |mapped: &Option<Vec<bool>>, c: u32| {
        mapped
            .as_ref()
            .is_none_or(|m| m.get(c as usize).copied().unwrap_or(false))
    };
    {
        let mut reader = book
            .worksheet_cells_reader(&sheet)
            .map_err(|e| unreadable(e.to_string()))?;
        while let Some(cell) = reader.next_cell().map_err(|e| unreadable(e.to_string()))? {
            let (r, c) = cell.get_position();
            let value = cell_of(cell.get_value());
            if c as usize >= MAX_COLUMNS || value.text.trim().is_empty() {
                continue;
            }
            if !rows.contains_key(&r) {
                if rows.len() > MAX_ROWS + HEADER_SEARCH_ROWS {
                    return Err(too_many());
                }
                if rows.len() == HEADER_SEARCH_ROWS && mapped.is_none() {
                    let first: Vec<(usize, Vec<Cell>)> =
                        rows.iter().map(|(r, c)| (*r as usize, c.clone())).collect();
                    mapped = Some(super::headers::mapped_columns(&first));
                }
            }
            if !keep(&mapped, c) {
                continue;
            }
            let row = rows.entry(r).or_default();
            if row.len() <= c as usize {
                row.resize(c as usize + 1, Cell::default());
            }
            row[c as usize] = value;
        }
    }
    // A merged range shows its first cell's value in every cell it covers; offices merge the
    // address down over a household's member rows. Only rows that exist are filled (a range
    // down to row 1,048,576 costs nothing), and columns within the columns read.
    let last_row = rows.keys().next_back().copied().unwrap_or(0);
    for range in merged {
        let (r0, c0) = range.start;
        let (r1, c1) = range.end;
        let Some(value) = rows.get(&r0).and_then(|row| row.get(c0 as usize)).cloned() else {
            continue;
        };
        let c1 = c1.min(MAX_COLUMNS as u32 - 1);
        for r in r0..=r1.min(last_row) {
            if let Some(row) = rows.get_mut(&r) {
                if row.len() <= c1 as usize {
                    row.resize(c1 as usize + 1, Cell::default());
                }
                for c in (c0..=c1).filter(|c| r == r0 || keep(&mapped, *c)) {
                    row[c as usize] = value.clone();
                }
            }
        }
    }
    Ok(Table {
        rows: rows
            .into_iter()
            .map(|(r, cells)| (r as usize + 1, cells))
            .collect(),
    })
}
