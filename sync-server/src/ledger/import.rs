//! Importing a ledger: reading it, judging every row, and writing what changed. A row that
//! cannot be placed (no address, outside the area, digits the spreadsheet destroyed) is refused;
//! a problem a person must check at the door (a wrong check digit, a phone that is not a mobile
//! number, the same ID number in two households) is imported and becomes a finding; a value
//! with no meaning leaves its field unset and the rest of the row is imported. Rows match
//! existing households by address and residents by ID number (or name), so importing the same
//! file twice changes nothing.

use std::collections::{BTreeMap, HashMap, HashSet};

use gridwalk_core::messages::Message;
use gridwalk_core::records::household::{
    Address, HouseUse, NewHousehold, NewResident, Registration, Relation,
};
use gridwalk_core::records::reference::ReferenceItem;
use gridwalk_core::rules::household::Validation;
use gridwalk_core::rules::{id_number, phone, places as place_rules, text};
use gridwalk_core::{Actor, RecordId, Store, Timestamp};
use serde::{Deserialize, Serialize};

pub use super::headers::{Column, Ledger, RawRow, Skip};
pub use super::matching::{Change, Planned, Status};
use super::places::{Area, Places};
use super::read::CellKind;
use super::{LedgerError, headers, matching, read, values};

/// Bad rows the preview shows one by one; the rest are counted (and all are in the download).
pub const SHOWN_BAD_ROWS: usize = 300;

/// Reads a ledger by what its bytes are, not by its name: an XLSX (a zip), else a CSV. A file
/// that is empty, an old binary `.xls`, or no spreadsheet at all (a photo, a PDF) says so,
/// rather than "the ledger has no 社区 column".
pub fn read(bytes: &[u8]) -> Result<Ledger, LedgerError> {
    let text = bytes
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(bytes);
    if text.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(LedgerError::Empty);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        return read_xlsx(bytes);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        return Err(LedgerError::OldXls);
    }
    let utf16 = bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]);
    let head = &bytes[..bytes.len().min(1024)];
    let binary = [b"%PDF".as_slice(), b"\x89PNG", b"\xFF\xD8\xFF", b"GIF8"]
        .iter()
        .any(|m| bytes.starts_with(m))
        || (!utf16 && head.contains(&0));
    if binary {
        return Err(LedgerError::NotASpreadsheet);
    }
    read_csv(bytes)
}

/// Reads a CSV ledger: UTF-8 (with or without BOM), GB18030/GBK, UTF-16 with BOM.
pub fn read_csv(bytes: &[u8]) -> Result<Ledger, LedgerError> {
    headers::map(read::csv_table(bytes)?)
}

/// Reads an XLSX ledger: the first sheet whose header names the ledger's columns (offices put
/// a 填表说明 or a summary sheet first), among the first [`read::MAX_SHEETS`]; when none does,
/// the first sheet's error.
pub fn read_xlsx(bytes: &[u8]) -> Result<Ledger, LedgerError> {
    let sheets = read::xlsx_sheet_count(bytes)?.clamp(1, read::MAX_SHEETS);
    let mut first_error = None;
    for index in 0..sheets {
        match headers::map(read::xlsx_sheet_table(bytes, index)?) {
            Ok(ledger) => return Ok(ledger),
            Err(e @ LedgerError::MissingColumn(_)) => {
                first_error.get_or_insert(e);
            }
            Err(e) => return Err(e),
        }
    }
    Err(first_error.unwrap_or(LedgerError::MissingColumn("community")))
}

/// A row the import will not take, or takes with a finding, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadRow {
    /// The line the spreadsheet shows.
    pub line: usize,
    /// The person or dwelling it is about.
    pub who: String,
    /// Why, as a message to render in the reader's language.
    pub reason: Message,
}

/// A household as the good rows of the file describe it.
#[derive(Debug, Clone)]
pub struct FileHousehold {
    /// Its address, in codes.
    pub address: Address,
    /// Its house use: the first the rows name (none when no row names a known one: a new
    /// household is then 自住, a stored one keeps its own).
    pub house_use: Option<HouseUse>,
    /// Its residents with the line of each and the columns left unset on that line (their
    /// value was unknown: a stored value is kept).
    pub residents: Vec<(usize, NewResident, Vec<Column>)>,
}

/// What an import would do, before anything is written. Serialisable: previews wait for their
/// commit in the accounts database (`accounts::previews`), not in memory.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Preview {
    /// Data rows read.
    pub rows: usize,
    /// Refused rows, in file order.
    pub bad: Vec<BadRow>,
    /// Rows imported with something to check: a problem that becomes a finding for the grid's
    /// worker (a wrong check digit, not a mobile number), a field left unset because its value
    /// is unknown, two heads in one household, two house uses for one house.
    pub to_check: Vec<BadRow>,
    /// Missing columns whose fields are left as they are.
    pub warnings: Vec<Message>,
    /// Headers not read.
    pub ignored: Vec<String>,
    /// Rows skipped as no person nor dwelling (a repeated header, a 合计 line, a blank row),
    /// with their lines.
    #[serde(default)]
    pub skipped: Vec<(Skip, usize)>,
    /// Places the import creates.
    pub created: Vec<ReferenceItem>,
    /// Every household the file names, with what happens to it.
    pub households: Vec<Planned>,
    /// The cells of each refused line, by line, in [`headers::COLUMNS`] order (for the file of
    /// bad rows to fix and upload again).
    pub refused: BTreeMap<usize, Vec<String>>,
}

impl Preview {
    /// Residents in the good rows.
    pub fn residents(&self) -> usize {
        self.households.iter().map(|h| h.residents).sum()
    }

    /// Households with this status.
    pub fn count(&self, status: Status) -> usize {
        self.households
            .iter()
            .filter(|h| h.status == status)
            .count()
    }

    /// Residents who move here from another household.
    pub fn moved(&self) -> usize {
        self.households.iter().map(|h| h.moves.len()).sum()
    }

    /// The skipped rows counted per reason, as messages to show under the counts ("skipped:
    /// 2 (repeated header)"), in a stable order.
    pub fn skipped_counts(&self) -> Vec<Message> {
        let mut counts: BTreeMap<Skip, usize> = BTreeMap::new();
        for (why, _) in &self.skipped {
            *counts.entry(*why).or_default() += 1;
        }
        counts.into_iter().map(|(why, n)| why.message(n)).collect()
    }
}

const ADDRESS: [Column; 6] = [
    Column::Community,
    Column::Grid,
    Column::Compound,
    Column::Building,
    Column::Unit,
    Column::Room,
];

/// Judges every row, places it (planning the places to create) and matches it against the
/// households already stored. With `area`, only the importer's grids are written to.
pub fn preview(ledger: Ledger, store: &Store, area: Area<'_>) -> Result<Preview, LedgerError> {
    let reference = store.all_reference_items()?;
    let mut places = Places::new(&reference);
    let today = Timestamp::now().china_date();
    let mut bad = Vec::new();
    let mut to_check = Vec::new();
    let total = ledger.rows.len();
    // First pass: places (so the place index knows every place the file creates).
    let mut placed = Vec::with_capacity(total);
    for row in &ledger.rows {
        let who = who(row);
        let refuse = |reason| BadRow {
            line: row.line,
            who: who.clone(),
            reason,
        };
        // The community and grid may be left out: the compound decides them.
        if let Some(c) = ADDRESS[2..].iter().find(|c| row.get(**c).is_empty()) {
            bad.push(refuse(
                Message::new("ledger.address_missing").with("field", c.code()),
            ));
            continue;
        }
        if let Some(c) = [Column::Unit, Column::Room]
            .into_iter()
            .find(|c| row.kind(*c) == CellKind::Date)
        {
            bad.push(refuse(
                Message::new("ledger.became_date")
                    .with("column", c.code())
                    .with("value", row.get(c)),
            ));
            continue;
        }
        let mut names = [
            row.get(Column::Community).to_owned(),
            row.get(Column::Grid).to_owned(),
            row.get(Column::Compound).to_owned(),
            row.get(Column::Building).to_owned(),
        ];
        if names[0].is_empty() || names[1].is_empty() {
            let given = [0, 1, 2, 3].map(|i| names[i].as_str());
            match places.infer(given, area) {
                Ok((community, grid)) => names[..2].clone_from_slice(&[community, grid]),
                Err(reason) => {
                    bad.push(refuse(reason));
                    continue;
                }
            }
        }
        match places.resolve([0, 1, 2, 3].map(|i| names[i].as_str()), area) {
            Ok([community, grid, compound, building]) => placed.push((
                row,
                Address {
                    community,
                    grid,
                    compound,
                    building,
                    unit: super::places::normalise_unit(row.get(Column::Unit)),
                    room: super::places::normalise_room(
                        row.get(Column::Unit),
                        row.get(Column::Room),
                    ),
                },
            )),
            Err(reason) => bad.push(refuse(places.named(reason))),
        }
    }
    let index = place_rules::PlaceIndex::new(reference.iter().chain(&places.created).cloned());
    // Second pass: values.
    let mut households: BTreeMap<Address, FileHousehold> = BTreeMap::new();
    // Per household: the line of its first head, and of the row that gave its house use.
    let mut heads: HashMap<Address, usize> = HashMap::new();
    let mut uses: HashMap<Address, (usize, HouseUse)> = HashMap::new();
    let mut seen_ids: HashMap<String, (usize, Address)> = HashMap::new();
    for (row, address) in placed {
        let who = who(row);
        let line = row.line;
        let refuse = |reason| BadRow {
            line,
            who: who.clone(),
            reason,
        };
        if let Err(refusal) = place_rules::check_address(&index, &address) {
            bad.push(refuse(places.named(refusal.message())));
            continue;
        }
        let judged = match judge(row, today) {
            Ok(j) => j,
            Err(reason) => {
                bad.push(refuse(reason));
                continue;
            }
        };
        if let Some(id) = judged.resident.as_ref().and_then(|r| r.id_number.clone()) {
            if let Some((first, other)) = seen_ids.get(&id) {
                let masked = id_number::mask(&id);
                if *other == address {
                    bad.push(refuse(
                        Message::new("ledger.duplicate_in_file")
                            .with("line", first)
                            .with("masked", masked),
                    ));
                    continue;
                }
                to_check.push(refuse(
                    Message::new("ledger.same_id_elsewhere")
                        .with("line", first)
                        .with("masked", masked),
                ));
            } else {
                seen_ids.insert(id, (line, address.clone()));
            }
        }
        for problem in &judged.checks {
            to_check.push(refuse(
                Message::new("ledger.to_check").with_message("problem", problem),
            ));
        }
        for problem in &judged.field_problems {
            to_check.push(refuse(
                Message::new("ledger.field_not_imported").with_message("problem", problem),
            ));
        }
        // One house, one use: a row naming another is imported with the first, and listed.
        if let Some(house_use) = &judged.house_use {
            match uses.get(&address) {
                None => {
                    uses.insert(address.clone(), (line, house_use.clone()));
                }
                Some((first, used)) if used != house_use => to_check.push(refuse(
                    Message::new("ledger.house_use_differs")
                        .with("value", values::house_use_zh(house_use))
                        .with("line", first)
                        .with("first", values::house_use_zh(used)),
                )),
                Some(_) => {}
            }
        }
        // One household, one head: a second is imported as the file says, and listed.
        if ledger.has(Column::Relation)
            && let Some(r) = &judged.resident
            && r.relation == Relation::Head
        {
            match heads.get(&address) {
                None => {
                    heads.insert(address.clone(), line);
                }
                Some(first) => {
                    to_check.push(refuse(Message::new("ledger.two_heads").with("line", first)))
                }
            }
        }
        let household = households
            .entry(address.clone())
            .or_insert_with(|| FileHousehold {
                address: address.clone(),
                house_use: None,
                residents: Vec::new(),
            });
        if household.house_use.is_none() {
            household.house_use = judged.house_use.clone();
        }
        if let Some(r) = judged.resident {
            household.residents.push((line, r, judged.unset));
        }
    }
    let households = matching::plan(
        store,
        households.into_values().collect(),
        area,
        &ledger,
        &places,
        &mut bad,
    )?;
    bad.sort_by_key(|b| b.line);
    to_check.sort_by_key(|b| b.line);
    let refused = ledger
        .rows
        .iter()
        .filter(|r| bad.binary_search_by_key(&r.line, |b| b.line).is_ok())
        .map(|r| (r.line, r.cells.iter().map(|c| c.text.clone()).collect()))
        .collect();
    Ok(Preview {
        rows: total,
        bad,
        to_check,
        warnings: ledger.warnings(),
        ignored: ledger.ignored.clone(),
        skipped: ledger.skipped.clone(),
        created: places.created,
        households,
        refused,
    })
}

fn who(row: &RawRow) -> String {
    let name = row.get(Column::Name);
    if name.is_empty() || values::is_vacancy(name) {
        format!(
            "{}-{}-{}",
            row.get(Column::Building),
            row.get(Column::Unit),
            row.get(Column::Room)
        )
    } else {
        name.to_owned()
    }
}

/// One row, judged: its resident (none for a dwelling without a person), the house use it
/// names, the problems to check at the door, and the fields left unset with why.
#[derive(Debug, Default)]
struct Judged {
    resident: Option<NewResident>,
    /// None when the cell is blank or its value unknown.
    house_use: Option<HouseUse>,
    /// Problems that become findings once stored (the core's rules decide them).
    checks: Vec<Message>,
    /// Columns whose value is unknown: left as stored (a new resident gets what a blank cell
    /// gives).
    unset: Vec<Column>,
    /// Why each of those is unset.
    field_problems: Vec<Message>,
}

/// The error values a spreadsheet shows in a cell whose formula failed (Excel, WPS, LibreOffice).
const SPREADSHEET_ERRORS: &[&str] = &[
    "#REF!",
    "#N/A",
    "#VALUE!",
    "#DIV/0!",
    "#NAME?",
    "#NUM!",
    "#NULL!",
    "#SPILL!",
    "#CALC!",
    "#GETTING_DATA",
    "Err:502",
    "Err:504",
    "Err:508",
    "Err:522",
];

/// Whether a cell holds a number in scientific notation (`1.10101199001011E+17`, `1.38E+10`):
/// what a spreadsheet writes for a long number, its last digits gone.
fn is_scientific(s: &str) -> bool {
    let Some((mantissa, exponent)) = s.split_once(['E', 'e']) else {
        return false;
    };
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    !mantissa.is_empty()
        && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.')
        && mantissa.chars().next().is_some_and(|c| c.is_ascii_digit())
        && !exponent.is_empty()
        && exponent.chars().all(|c| c.is_ascii_digit())
}

/// A cell whose digits the spreadsheet destroyed, as the reader saw it and masked like every
/// ID number in lists: `1.10***********E+17` for scientific notation, `640106********1000` for
/// the digits of a number cell.
fn masked_as_seen(cell: &str, mask: fn(&str) -> String) -> String {
    match cell.split_once(['E', 'e']) {
        Some((mantissa, exponent)) if is_scientific(cell) => {
            let shown: String = mantissa
                .chars()
                .enumerate()
                .map(|(i, c)| if i < 4 || c == '.' { c } else { '*' })
                .collect();
            format!("{shown}E{exponent}")
        }
        _ => mask(cell),
    }
}

fn judge(row: &RawRow, today: time::Date) -> Result<Judged, Message> {
    // A failed formula's error is not a value: never an ID number, a name or a phone.
    for column in headers::COLUMNS {
        let value = row.get(column).trim();
        if SPREADSHEET_ERRORS
            .iter()
            .any(|e| value.eq_ignore_ascii_case(e))
        {
            return Err(Message::new("ledger.spreadsheet_error")
                .with("column", column.code())
                .with("value", value));
        }
    }
    let mut judged = Judged::default();
    fn field(column: Column, problem: Message, judged: &mut Judged) {
        judged.unset.push(column);
        judged.field_problems.push(problem);
    }
    let name = row.get(Column::Name);
    // A vacant house: 无人居住 or 空置 where the name belongs (merged across the person columns).
    if values::is_vacancy(name) {
        judged.house_use = Some(HouseUse::Vacant);
        return Ok(judged);
    }
    let use_cell = row.get(Column::HouseUse);
    if !use_cell.trim().is_empty() {
        match values::house_use(use_cell) {
            Ok(v) => judged.house_use = Some(v),
            Err(problem) => field(Column::HouseUse, problem, &mut judged),
        }
    }
    // Cells are cleaned as they are read (full-width brackets folded), so the mark is too.
    if name.contains(&text::clean(super::export::EXAMPLE_MARK)) {
        return Err(Message::new("ledger.example_row"));
    }
    if name.is_empty() {
        return Ok(judged);
    }
    let mut id = text::identifier(row.get(Column::IdNumber)).to_ascii_uppercase();
    if !id.is_empty() {
        // A spreadsheet keeps 15 significant digits of a number: an 18-digit ID number in a
        // number cell (or written out by it as 1.10101199001011E+17) has lost its last ones,
        // but an old 15-digit one is exact.
        if is_scientific(&id) || (row.kind(Column::IdNumber) == CellKind::Number && id.len() != 15)
        {
            return Err(Message::new("ledger.digits_lost")
                .with("masked", masked_as_seen(&id, id_number::mask)));
        }
        match id_number::parse_on(&id, today) {
            Ok(parsed) => id = parsed.number,
            Err(problem) => judged.checks.push(problem.message(&id_number::mask(&id))),
        }
    }
    let mut phone_number = text::identifier(row.get(Column::Phone));
    if !phone_number.is_empty() {
        if is_scientific(&phone_number) {
            return Err(Message::new("ledger.phone_digits_lost")
                .with("masked", masked_as_seen(&phone_number, phone::mask)));
        }
        match phone::parse(&phone_number) {
            Ok(parsed) => {
                if row.kind(Column::Phone) == CellKind::Number && !phone::is_mobile(parsed.digits())
                {
                    return Err(Message::new("ledger.phone_digits_lost")
                        .with("masked", phone::mask(parsed.digits())));
                }
                phone_number = parsed.digits().to_owned();
            }
            // Kept as typed: the store keeps a ledger's phone that does not parse, and flags it.
            Err(problem) => judged
                .checks
                .push(problem.message(&phone::mask(&phone_number))),
        }
        // The core's finding rule: a phone that is not a mainland mobile number is checked.
        if !phone::is_mobile(&phone_number) && phone::parse(&phone_number).is_ok() {
            judged.checks.push(
                Message::new("finding.not_a_mobile_number")
                    .with("name", name)
                    .with("masked", phone::mask(&phone_number)),
            );
        }
    }
    let relation = values::relation(row.get(Column::Relation)).unwrap_or_else(|problem| {
        field(Column::Relation, problem, &mut judged);
        Relation::Relative
    });
    let registration =
        values::registration(row.get(Column::Registration)).unwrap_or_else(|problem| {
            field(Column::Registration, problem, &mut judged);
            Registration::Local
        });
    let tags = values::tags(row.get(Column::Tags)).unwrap_or_else(|problem| {
        field(Column::Tags, problem, &mut judged);
        Default::default()
    });
    judged.resident = Some(NewResident {
        name: name.to_owned(),
        id_number: (!id.is_empty()).then_some(id),
        phone: (!phone_number.is_empty()).then_some(phone_number),
        relation,
        registration,
        tags,
    });
    Ok(judged)
}

/// Writes the preview: the places to create first (the store's place rules need them), then new
/// households, then the changes to existing ones (residents who moved leave their old
/// household last). Returns the households written.
pub fn commit(
    store: &Store,
    actor: &Actor,
    preview: &Preview,
) -> Result<Vec<RecordId>, LedgerError> {
    let now = Timestamp::now();
    if !preview.created.is_empty() {
        store.add_reference(&preview.created)?;
    }
    let new: Vec<NewHousehold> = preview
        .households
        .iter()
        .filter_map(|h| h.new.clone())
        .collect();
    let mut ids = store.import_households(actor, &new, Validation::Ledger, now)?;
    for h in &preview.households {
        if let (Some(id), Status::Changed) = (&h.existing, h.status) {
            store.update_household_from_ledger(actor, id, &h.update, now)?;
            ids.push(id.clone());
        }
    }
    // A resident who moved to another household of the file and is no longer listed in their
    // old one has already left it with that household's update.
    let gone: HashSet<(&RecordId, &gridwalk_core::ResidentId)> = preview
        .households
        .iter()
        .filter(|h| h.status == Status::Changed)
        .filter_map(|h| h.existing.as_ref().map(|id| (id, &h.update.moved_out)))
        .flat_map(|(id, out)| out.iter().map(move |r| (id, r)))
        .collect();
    let mut leaving: BTreeMap<&RecordId, Vec<_>> = BTreeMap::new();
    for (from, resident) in preview.households.iter().flat_map(|h| &h.moves) {
        if !gone.contains(&(from, resident)) {
            leaving.entry(from).or_default().push(resident.clone());
        }
    }
    for (from, residents) in leaving {
        let update = gridwalk_core::store::LedgerUpdate {
            moved_out: residents,
            ..Default::default()
        };
        store.update_household_from_ledger(actor, from, &update, now)?;
    }
    tracing::info!(
        user = %actor.user_id,
        created_places = preview.created.len(),
        new = preview.count(Status::New),
        changed = preview.count(Status::Changed),
        unchanged = preview.count(Status::Unchanged),
        "ledger committed"
    );
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scientific_notation_is_digits_lost_and_shown_masked() {
        for s in ["1.10101199001011E+17", "1.38001E+10", "6.40106E17", "1E+17"] {
            assert!(is_scientific(s), "{s}");
        }
        for s in ["110101199001011000", "138-abc", "E+17", "1.2.3", "1E"] {
            assert!(!is_scientific(s), "{s}");
        }
        assert_eq!(
            masked_as_seen("1.10101199001011E+17", id_number::mask),
            "1.10************E+17"
        );
    }
}
