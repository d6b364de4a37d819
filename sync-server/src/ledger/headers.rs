//! Headers as offices write them: each column under several names (身份证号, 身份证号码,
//! 公民身份号码, 证件号码 …), full width or half, with spaces and line breaks inside the cell,
//! required-marks (`*`, 必填) and notes in brackets (联系电话（手机）, 身份证号码（18位）), below
//! title rows. The header row is the row among the first ones that names the most known
//! columns. Rows below it that are not people are told apart here: the header repeated (offices
//! paste sheets together), 合计/小计 lines and blank rows are skipped and counted.

use gridwalk_core::messages::Message;
use gridwalk_core::rules::text;

use super::LedgerError;
use super::read::{Cell, CellKind, HEADER_SEARCH_ROWS, Table};

/// The columns of a ledger, in the order exports write them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    /// 社区.
    Community,
    /// 网格.
    Grid,
    /// 小区.
    Compound,
    /// 楼栋.
    Building,
    /// 单元.
    Unit,
    /// 房号.
    Room,
    /// 房屋用途.
    HouseUse,
    /// 姓名.
    Name,
    /// 身份证号码.
    IdNumber,
    /// 联系电话.
    Phone,
    /// 与户主关系.
    Relation,
    /// 户籍类型.
    Registration,
    /// 特殊人群.
    Tags,
}

/// Every column, in export order.
pub const COLUMNS: [Column; 13] = [
    Column::Community,
    Column::Grid,
    Column::Compound,
    Column::Building,
    Column::Unit,
    Column::Room,
    Column::HouseUse,
    Column::Name,
    Column::IdNumber,
    Column::Phone,
    Column::Relation,
    Column::Registration,
    Column::Tags,
];

impl Column {
    /// The code of the column, as messages name it (`column.<code>` is its term).
    pub fn code(self) -> &'static str {
        match self {
            Column::Community => "community",
            Column::Grid => "grid",
            Column::Compound => "compound",
            Column::Building => "building",
            Column::Unit => "unit",
            Column::Room => "room",
            Column::HouseUse => "house_use",
            Column::Name => "name",
            Column::IdNumber => "id_number",
            Column::Phone => "phone",
            Column::Relation => "relation",
            Column::Registration => "registration",
            Column::Tags => "tags",
        }
    }

    /// The header exports write, first of [`Column::names`].
    pub fn header(self) -> &'static str {
        self.names()[0]
    }

    /// The names offices give the column (normalised: no spaces, half width).
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Column::Community => &[
                "社区",
                "社区名称",
                "所属社区",
                "社区(村)",
                "村(社区)",
                "村",
                "社区(居委会)",
                "居委会",
            ],
            Column::Grid => &["网格", "网格名称", "所属网格", "网格编号"],
            Column::Compound => &["小区", "小区名称", "所属小区", "小区(院落)", "院落"],
            Column::Building => &["楼栋", "楼号", "楼栋号", "楼幢", "幢号", "栋号"],
            Column::Unit => &["单元", "单元号"],
            Column::Room => &["房号", "门牌号", "室号", "房间号", "户室号"],
            Column::HouseUse => &["房屋用途", "房屋性质", "房屋类型", "房屋状态"],
            Column::Name => &["姓名", "居民姓名", "人员姓名"],
            Column::IdNumber => &[
                "身份证号码",
                "身份证号",
                "公民身份号码",
                "证件号码",
                "身份证",
                "证件号",
            ],
            Column::Phone => &[
                "联系电话",
                "电话",
                "手机",
                "手机号码",
                "手机号",
                "联系方式",
                "电话号码",
            ],
            Column::Relation => &["与户主关系", "关系", "与户主的关系"],
            Column::Registration => &["户籍类型", "户籍性质", "人员类型", "户口性质", "户籍"],
            Column::Tags => &[
                "特殊人群",
                "重点人群",
                "人员类别",
                "人群类别",
                "特殊人群类别",
                "重点人群类别",
                "特殊群体",
                "特殊人群类型",
                "重点人员",
                "人员标签",
            ],
        }
    }

    /// Which column a header names, if any: its names, or its English code; with its
    /// bracketed notes (社区(村)) or, failing that, without them (联系电话（手机）).
    pub fn recognise(header: &str) -> Option<Column> {
        let find = |h: &str| {
            (!h.is_empty()).then(|| {
                COLUMNS
                    .into_iter()
                    .find(|c| c.code() == h || c.names().contains(&h))
            })?
        };
        find(&normalise(header, false)).or_else(|| find(&normalise(header, true)))
    }
}

/// A column's code read back from a stored preview, as the `&'static str` of its column.
pub(crate) fn deserialize_code<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<&'static str, D::Error> {
    let code = <String as serde::Deserialize>::deserialize(d)?;
    COLUMNS
        .into_iter()
        .map(Column::code)
        .find(|c| *c == code)
        .ok_or_else(|| serde::de::Error::custom(format!("no column {code:?}")))
}

/// A header as compared: NFKC (full width folded: （） are ()), no spaces or line breaks, no
/// required-marks (`*`, `※`, 必填, 选填), no trailing colon, ASCII lower case; with
/// `without_notes`, no bracketed text either ((手机), [必填], 【18位】, 〔 〕).
fn normalise(header: &str, without_notes: bool) -> String {
    // The line breaks of a header cell (Alt+Enter) go before `identifier` keeps one line.
    let joined: String = header.chars().filter(|c| !c.is_whitespace()).collect();
    let mut h: String = text::identifier(&joined)
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '*' | '※'))
        .collect();
    for mark in [
        "(必填)",
        "(选填)",
        "[必填]",
        "【必填】",
        "必填项",
        "必填",
        "选填",
    ] {
        h = h.replace(mark, "");
    }
    if without_notes {
        let mut depth = 0usize;
        h = h
            .chars()
            .filter(|c| match c {
                '(' | '[' | '【' | '〔' | '<' | '《' => {
                    depth += 1;
                    false
                }
                ')' | ']' | '】' | '〕' | '>' | '》' => {
                    depth = depth.saturating_sub(1);
                    false
                }
                _ => depth == 0,
            })
            .collect();
    }
    h.trim_end_matches([':', '：']).to_ascii_lowercase()
}

/// One data row: its line, and the value and cell kind of each column (empty when absent).
#[derive(Debug, Clone)]
pub struct RawRow {
    /// The line number the spreadsheet shows.
    pub line: usize,
    /// The cells, in [`COLUMNS`] order, text cleaned by `rules::text::clean`.
    pub cells: [Cell; 13],
}

impl RawRow {
    /// The text of a column.
    pub fn get(&self, column: Column) -> &str {
        &self.cells[column as usize].text
    }

    /// The kind of cell a column's value came from.
    pub fn kind(&self, column: Column) -> CellKind {
        self.cells[column as usize].kind
    }
}

/// A ledger read: its rows, the columns found and those ignored.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    /// The data rows, below the header.
    pub rows: Vec<RawRow>,
    /// The line of the header row.
    pub header_line: usize,
    /// The columns found.
    pub found: Vec<Column>,
    /// Headers no column is known by, as written: their cells are not read.
    pub ignored: Vec<String>,
    /// Rows that are not people nor dwellings, each with why: skipped and counted.
    pub skipped: Vec<(Skip, usize)>,
}

/// Why a row below the header is skipped rather than read.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Skip {
    /// The header again: offices paste sheets together, each with its header.
    RepeatedHeader,
    /// A 合计 / 小计 / 总计 / 共计 line.
    Total,
    /// Nothing that places or names anyone: only a sequence number, or the community and grid
    /// an office filled down the empty rows of its template.
    Blank,
}

impl Skip {
    /// The message that counts the rows skipped for this reason.
    pub fn message(self, count: usize) -> Message {
        let code = match self {
            Skip::RepeatedHeader => "ledger.skipped_header_rows",
            Skip::Total => "ledger.skipped_total_rows",
            Skip::Blank => "ledger.skipped_blank_rows",
        };
        Message::new(code).with("count", count)
    }
}

/// Headers of the sequence-number column: not a ledger column, but kept, since a 合计 line
/// often writes its word there.
const SEQUENCE_HEADERS: [&str; 6] = ["序号", "编号", "序", "no", "no.", "顺序号"];

fn is_sequence_header(header: &str) -> bool {
    SEQUENCE_HEADERS.contains(&normalise(header, true).as_str())
}

/// Whether a cell starts a totals line (合计, 小计, 总计, 共计, 总数).
fn is_total(cell: &str) -> bool {
    let s: String = cell.chars().filter(|c| !c.is_whitespace()).collect();
    ["合计", "小计", "总计", "共计", "总数", "累计"]
        .iter()
        .any(|w| s.starts_with(w))
}

impl Ledger {
    /// Whether the file has this column.
    pub fn has(&self, column: Column) -> bool {
        self.found.contains(&column)
    }

    /// Warnings about missing columns that leave fields as they are (ID number, phone, …).
    pub fn warnings(&self) -> Vec<Message> {
        [Column::IdNumber, Column::Phone]
            .into_iter()
            .filter(|c| !self.has(*c))
            .map(|c| Message::new("ledger.column_not_found").with("column", c.code()))
            .collect()
    }
}

/// The columns without which no row can be placed or named (the community and grid can be
/// inferred from the compound's name, see `places::Places::infer`).
const REQUIRED: [Column; 5] = [
    Column::Compound,
    Column::Building,
    Column::Unit,
    Column::Room,
    Column::Name,
];

/// The index of the header row among the first [`HEADER_SEARCH_ROWS`] rows: the first of those
/// naming the most known columns.
fn header_row(rows: &[(usize, Vec<Cell>)]) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for (i, (_, cells)) in rows.iter().take(HEADER_SEARCH_ROWS).enumerate() {
        let mut seen = Vec::new();
        for c in cells {
            if let Some(col) = Column::recognise(&c.text)
                && !seen.contains(&col)
            {
                seen.push(col);
            }
        }
        if seen.len() > best.map_or(0, |(_, n)| n) {
            best = Some((i, seen.len()));
        }
    }
    best.map(|(i, _)| i)
}

/// Which columns a reader keeps below the first rows: those whose header names a column (by
/// position in the header row found among `first` rows). The cells of every other column are
/// never kept, however much they hold.
pub(super) fn mapped_columns(first: &[(usize, Vec<Cell>)]) -> Vec<bool> {
    let mut mapped: Vec<bool> = header_row(first).map_or_else(Vec::new, |i| {
        first[i]
            .1
            .iter()
            .map(|c| Column::recognise(&c.text).is_some() || is_sequence_header(&c.text))
            .collect()
    });
    while mapped.last() == Some(&false) {
        mapped.pop();
    }
    mapped
}

/// Finds the header row within the first [`HEADER_SEARCH_ROWS`] rows (the one naming most
/// columns) and maps every row below it.
pub fn map(table: Table) -> Result<Ledger, LedgerError> {
    let Some(header_index) = header_row(&table.rows) else {
        return Err(LedgerError::MissingColumn(Column::Community.code()));
    };
    let mut rows = table.rows.into_iter().skip(header_index);
    let (header_line, header) = rows.next().expect("the header row");
    let mut index: [Option<usize>; 13] = [None; 13];
    let mut ignored = Vec::new();
    let mut sequence = None;
    for (i, cell) in header.iter().enumerate() {
        match Column::recognise(&cell.text) {
            Some(col) if index[col as usize].is_none() => index[col as usize] = Some(i),
            None if sequence.is_none() && is_sequence_header(&cell.text) => {
                sequence = Some(i);
                ignored.push(text::clean(&cell.text));
            }
            Some(_) => ignored.push(text::clean(&cell.text)),
            None if !cell.text.trim().is_empty() => ignored.push(text::clean(&cell.text)),
            None => {}
        }
    }
    if let Some(missing) = REQUIRED.iter().find(|c| index[**c as usize].is_none()) {
        return Err(LedgerError::MissingColumn(missing.code()));
    }
    let found = COLUMNS
        .into_iter()
        .filter(|c| index[*c as usize].is_some())
        .collect();
    let mut skipped = Vec::new();
    let rows = rows
        .filter_map(|(line, cells)| {
            let mapped = index.map(|i| {
                i.and_then(|i| cells.get(i))
                    .map(|c| Cell {
                        text: text::clean(&c.text),
                        kind: c.kind,
                    })
                    .unwrap_or_default()
            });
            let number = sequence.and_then(|i| cells.get(i)).map(|c| c.text.as_str());
            let skip = skip_reason(&mapped, number.unwrap_or_default())?;
            match skip {
                Some(reason) => {
                    skipped.push((reason, line));
                    None
                }
                None => Some(RawRow {
                    line,
                    cells: mapped,
                }),
            }
        })
        .collect::<Vec<_>>();
    if rows.len() > super::read::MAX_ROWS {
        return Err(LedgerError::TooManyRows(super::read::MAX_ROWS));
    }
    Ok(Ledger {
        rows,
        header_line,
        found,
        ignored,
        skipped,
    })
}

/// Whether a row is read (`Some(None)`), skipped and counted (`Some(Some(why))`), or left out
/// unseen (`None`: every cell empty). `number` is its sequence-number cell.
fn skip_reason(cells: &[Cell; 13], number: &str) -> Option<Option<Skip>> {
    let filled = |c: Column| !cells[c as usize].text.trim().is_empty();
    if !COLUMNS.into_iter().any(filled) {
        return (!number.trim().is_empty()).then_some(Some(Skip::Blank));
    }
    if is_total(number) || cells.iter().any(|c| is_total(&c.text)) {
        return Some(Some(Skip::Total));
    }
    let named = COLUMNS
        .into_iter()
        .filter(|c| Column::recognise(&cells[*c as usize].text) == Some(*c))
        .count();
    if named >= 2 {
        return Some(Some(Skip::RepeatedHeader));
    }
    let placed_or_named = [
        Column::Building,
        Column::Unit,
        Column::Room,
        Column::Name,
        Column::IdNumber,
        Column::Phone,
    ];
    if !placed_or_named.into_iter().any(filled) {
        return Some(Some(Skip::Blank));
    }
    Some(None)
}
