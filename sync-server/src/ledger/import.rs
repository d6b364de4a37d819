//! Reading a ledger, judging every row, and creating the households of the good rows.

use std::collections::{BTreeMap, HashMap};

use gridwalk_core::messages::Message;
use gridwalk_core::records::household::{
    Address, HouseUse, NewHousehold, NewResident, Registration, Relation, SpecialGroup,
};
use gridwalk_core::rules::household::Validation;
use gridwalk_core::rules::{id_number, phone, places, text};
use gridwalk_core::{Actor, RecordId, Store, Timestamp};
use serde::Serialize;

use super::LedgerError;

/// Columns, by field: Chinese header, English header.
const COLUMNS: [(&str, &str); 13] = [
    ("社区", "community"),
    ("网格", "grid"),
    ("小区", "compound"),
    ("楼栋", "building"),
    ("单元", "unit"),
    ("房号", "room"),
    ("房屋用途", "house_use"),
    ("姓名", "name"),
    ("身份证号", "id_number"),
    ("电话", "phone"),
    ("与户主关系", "relation"),
    ("户籍类型", "registration"),
    ("特殊人群", "tags"),
];

/// One row as read: the 13 fields in [`COLUMNS`] order, trimmed, and its line number.
#[derive(Debug, Clone)]
pub struct RawRow {
    /// Line in the file (the header is line 1).
    pub line: usize,
    /// Field values.
    pub fields: [String; 13],
}

impl RawRow {
    fn get(&self, english: &str) -> &str {
        let i = COLUMNS
            .iter()
            .position(|(_, e)| *e == english)
            .expect("known column");
        &self.fields[i]
    }
}

/// A row the import will not take, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadRow {
    /// Line in the file.
    pub line: usize,
    /// The person or dwelling it is about.
    pub who: String,
    /// Why it is refused, as a message to render in the reader's language.
    pub reason: Message,
}

/// What an import would do, before anything is written.
#[derive(Debug, Clone)]
pub struct Preview {
    /// Rows read.
    pub rows: usize,
    /// Bad rows, in file order.
    pub bad: Vec<BadRow>,
    /// The households the good rows make.
    pub households: Vec<NewHousehold>,
}

impl Preview {
    /// Residents in the good rows.
    pub fn residents(&self) -> usize {
        self.households.iter().map(|h| h.residents.len()).sum()
    }
}

fn rows_from_table(table: Vec<Vec<String>>) -> Result<Vec<RawRow>, LedgerError> {
    let mut lines = table.into_iter();
    let header = lines.next().unwrap_or_default();
    let mut index = [usize::MAX; 13];
    for (slot, (zh, en)) in index.iter_mut().zip(COLUMNS) {
        if let Some(i) = header.iter().position(|h| {
            let h = h.trim().trim_start_matches('\u{feff}');
            h == zh || h.eq_ignore_ascii_case(en)
        }) {
            *slot = i;
        }
    }
    for (i, (zh, en)) in COLUMNS.iter().enumerate().take(8) {
        if index[i] == usize::MAX {
            let _ = zh;
            return Err(LedgerError::MissingColumn(en));
        }
    }
    Ok(lines
        .enumerate()
        .filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty()))
        .map(|(n, cells)| RawRow {
            line: n + 2,
            fields: index.map(|i| cells.get(i).map(|c| text::clean(c)).unwrap_or_default()),
        })
        .collect())
}

/// Reads a CSV ledger (UTF-8, with a header row).
pub fn read_csv(bytes: &[u8]) -> Result<Vec<RawRow>, LedgerError> {
    let unreadable = |e: csv::Error| LedgerError::Unreadable {
        format: "CSV",
        reason: e.to_string(),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let table = reader
        .records()
        .map(|r| r.map(|rec| rec.iter().map(str::to_owned).collect::<Vec<_>>()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(unreadable)?;
    rows_from_table(table)
}

/// Reads the first sheet of an XLSX ledger.
pub fn read_xlsx(bytes: &[u8]) -> Result<Vec<RawRow>, LedgerError> {
    use calamine::{Reader, Xlsx};
    let unreadable = |reason: String| LedgerError::Unreadable {
        format: "XLSX",
        reason,
    };
    let mut book: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| unreadable(e.to_string()))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or_else(|| unreadable("the workbook has no sheet".into()))?
        .map_err(|e| unreadable(e.to_string()))?;
    let table = range
        .rows()
        .map(|row| row.iter().map(|c| c.to_string()).collect())
        .collect();
    rows_from_table(table)
}

fn house_use(s: &str) -> HouseUse {
    match s {
        "自住" | "" => HouseUse::OwnerOccupied,
        "出租" => HouseUse::Rented,
        "空置" => HouseUse::Vacant,
        "经营" => HouseUse::Business,
        other => HouseUse::parse(other),
    }
}

fn relation(s: &str) -> Relation {
    match s {
        "户主" | "本人" => Relation::Head,
        "配偶" => Relation::Spouse,
        "子女" | "子" | "女" => Relation::Child,
        "父母" | "父亲" | "母亲" => Relation::Parent,
        "孙辈" | "孙子" | "孙女" => Relation::Grandchild,
        "租户" => Relation::Tenant,
        "其他" | "" => Relation::Relative,
        other => Relation::parse(other),
    }
}

fn registration(s: &str) -> Registration {
    match s {
        "户籍" | "" => Registration::Local,
        "流动" => Registration::Migrant,
        "境外" => Registration::Foreign,
        other => Registration::parse(other),
    }
}

fn tags(s: &str) -> std::collections::BTreeSet<SpecialGroup> {
    s.split(['、', ',', '，', ';', ' '])
        .filter(|t| !t.is_empty())
        .map(|t| match t {
            "独居老人" => SpecialGroup::ElderlyAlone,
            "残疾人" => SpecialGroup::Disabled,
            "低保户" | "低保" => SpecialGroup::LowIncome,
            "退役军人" => SpecialGroup::Veteran,
            "留守儿童" => SpecialGroup::LeftBehindChild,
            other => SpecialGroup::parse(other),
        })
        .collect()
}

/// Judges every row against the rules and the server's records: required address, known
/// building, valid ID number, a phone that is one, and the same person not registered twice
/// (in the file, or in a household already on the server). With `area`, a row of a grid outside
/// it is a bad row too: a supervisor imports only into their own grids.
pub fn preview(
    rows: Vec<RawRow>,
    store: &Store,
    area: Option<&[String]>,
) -> Result<Preview, LedgerError> {
    // The same place rules the store applies to every write, indexed once for the whole file.
    let places = places::PlaceIndex::new(store.all_reference_items()?);
    let today = gridwalk_core::Timestamp::now().china_date();
    let mut bad = Vec::new();
    let mut seen_ids: HashMap<String, usize> = HashMap::new();
    let mut households: BTreeMap<Address, NewHousehold> = BTreeMap::new();
    let total = rows.len();
    for row in rows {
        let address = Address {
            community: row.get("community").into(),
            grid: row.get("grid").into(),
            compound: row.get("compound").into(),
            building: row.get("building").into(),
            unit: row.get("unit").into(),
            room: row.get("room").into(),
        };
        let name = row.get("name").to_owned();
        let who = if name.is_empty() {
            address.label()
        } else {
            name.clone()
        };
        let mut refuse = |reason: Message| {
            bad.push(BadRow {
                line: row.line,
                who: who.clone(),
                reason,
            })
        };
        if let Some((field, _)) = address.parts().iter().find(|(_, v)| v.is_empty()) {
            refuse(Message::new("ledger.address_missing").with("field", field));
            continue;
        }
        if area.is_some_and(|grids| !grids.contains(&address.grid)) {
            refuse(Message::new("ledger.outside_area").with("grid", &address.grid));
            continue;
        }
        if let Err(refusal) = places::check_address(&places, &address) {
            refuse(refusal.message());
            continue;
        }
        let mut id = text::identifier(row.get("id_number")).to_ascii_uppercase();
        if !id.is_empty() {
            match id_number::parse_on(&id, today) {
                Ok(parsed) => id = parsed.number,
                Err(problem) => {
                    refuse(problem.message(&id_number::mask(&id)));
                    continue;
                }
            }
            if let Some(first) = seen_ids.get(&id) {
                refuse(
                    Message::new("ledger.duplicate_in_file")
                        .with("line", first)
                        .with("masked", id_number::mask(&id)),
                );
                continue;
            }
            if let Some(label) = store.household_of_id_number(&id)? {
                refuse(
                    Message::new("ledger.already_registered")
                        .with("household", label)
                        .with("masked", id_number::mask(&id)),
                );
                continue;
            }
        }
        let mut phone_number = text::identifier(row.get("phone"));
        if !phone_number.is_empty() {
            match phone::parse(&phone_number) {
                Ok(parsed) => phone_number = parsed.digits().to_owned(),
                Err(problem) => {
                    refuse(problem.message(&phone::mask(&phone_number)));
                    continue;
                }
            }
        }
        // Only a row that is taken claims its ID number: a later, correct row for the same
        // person is then not called a duplicate of a refused one.
        if !id.is_empty() {
            seen_ids.insert(id.clone(), row.line);
        }
        let household = households
            .entry(address.clone())
            .or_insert_with(|| NewHousehold {
                address,
                house_use: house_use(row.get("house_use")),
                notes: String::new(),
                residents: Vec::new(),
            });
        if !name.is_empty() {
            household.residents.push(NewResident {
                name,
                id_number: (!id.is_empty()).then_some(id),
                phone: (!phone_number.is_empty()).then_some(phone_number),
                relation: relation(row.get("relation")),
                registration: registration(row.get("registration")),
                tags: tags(row.get("tags")),
            });
        }
    }
    Ok(Preview {
        rows: total,
        bad,
        households: households.into_values().collect(),
    })
}

/// Creates the households of the good rows, for sync to the devices of their grids.
pub fn commit(
    store: &Store,
    actor: &Actor,
    preview: &Preview,
) -> Result<Vec<RecordId>, LedgerError> {
    Ok(store.import_households(
        actor,
        &preview.households,
        Validation::Strict,
        Timestamp::now(),
    )?)
}
