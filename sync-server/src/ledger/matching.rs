//! An import is an update, not an append: a file's household matches the stored household at
//! its address (community, grid, compound, building, unit, room), a resident the stored
//! resident with the same ID number (or, failing that, the same name in the household). What
//! differs becomes a change (old → new); a resident whose ID number lives in another household
//! of the importer's area moves here. A stored resident the file does not list is kept: offices
//! upload partial ledgers (the fixed bad rows the page hands back, one building, only the
//! heads), and a row left out is not a person who left. Blank ID-number and phone cells keep
//! what is stored, for the same reason.

use std::collections::{BTreeSet, HashMap, HashSet};

use gridwalk_core::messages::Message;
use gridwalk_core::records::household::{
    Address, HouseUse, Household, NewHousehold, NewResident, Resident, ResidentPatch,
};
use gridwalk_core::records::reference::ReferenceKind;
use gridwalk_core::rules::id_number;
use gridwalk_core::store::LedgerUpdate;
use gridwalk_core::store::queries::AddressScope;
use gridwalk_core::{RecordId, ResidentId, Store};

use super::headers::{Column, Ledger};
use super::import::{BadRow, FileHousehold};
use super::places::{Area, Places};
use super::{LedgerError, values};

/// What the import does to a household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// No household at this address yet: created.
    New,
    /// Stored, and the file differs: updated.
    Changed,
    /// Stored, and the file says the same.
    Unchanged,
}

/// A column's code ([`Column::code`]); an alias, so serde does not borrow it from the input.
pub type ColumnCode = &'static str;

/// One field that changes: who, which field, old → new (as the ledger writes them).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Change {
    /// The resident (or the dwelling's address for its house use).
    pub who: String,
    /// The column that changes.
    #[serde(deserialize_with = "super::headers::deserialize_code")]
    pub field: ColumnCode,
    /// The stored value.
    pub old: String,
    /// The file's value.
    pub new: String,
}

/// A household of the file and what the import does to it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Planned {
    /// Its address, in codes.
    pub address: Address,
    /// What happens to it.
    pub status: Status,
    /// The stored household at its address.
    pub existing: Option<RecordId>,
    /// The household to create (status new).
    pub new: Option<NewHousehold>,
    /// The changes to the stored one (status changed).
    pub update: LedgerUpdate,
    /// The changes, field by field, for the preview.
    pub changes: Vec<Change>,
    /// Residents who move here: their old household and their id there.
    pub moves: Vec<(RecordId, ResidentId)>,
    /// Residents the file lists here.
    pub residents: usize,
}

type Key = (String, String, String, String);

/// An address as matched: unit and room as the import writes them (1单元 = 1, 0301 = 301), so a
/// household stored with either spelling is the file's household, never a second one.
fn key(a: &Address) -> Key {
    (
        a.compound.clone(),
        a.building.clone(),
        super::places::normalise_unit(&a.unit),
        super::places::normalise_room(&a.unit, &a.room),
    )
}

/// Matches the file's households against the store; rows naming a person registered outside
/// the importer's area are refused (naming nothing of that area).
pub fn plan(
    store: &Store,
    file: Vec<FileHousehold>,
    area: Area<'_>,
    ledger: &Ledger,
    places: &Places,
    bad: &mut Vec<BadRow>,
) -> Result<Vec<Planned>, LedgerError> {
    let grids: Vec<String> = match area {
        Some(grids) => grids.to_vec(),
        None => store
            .all_reference_items()?
            .into_iter()
            .filter(|i| i.kind == ReferenceKind::Grid)
            .map(|i| i.id)
            .collect(),
    };
    let touched: HashSet<String> = file.iter().map(|h| h.address.grid.clone()).collect();
    let mut stored: HashMap<Key, RecordId> = HashMap::new();
    for g in grids.iter().filter(|g| touched.contains(*g)) {
        for h in store
            .list_households(&AddressScope::Grid(g.clone()), 0, u32::MAX)?
            .households
        {
            stored.insert((h.compound, h.building, h.unit, h.room), h.id);
        }
    }
    let in_area = |grid: &str| area.is_none_or(|a| a.iter().any(|g| g == grid));
    // Where the file puts each ID number: a person listed in their stored household too has
    // not moved (the same ID in two households is a finding, not a move).
    let mut file_ids: HashMap<String, HashSet<Key>> = HashMap::new();
    for h in &file {
        for (_, r, _) in &h.residents {
            if let Some(id) = &r.id_number {
                file_ids
                    .entry(id.clone())
                    .or_default()
                    .insert(key(&h.address));
            }
        }
    }
    let mut keys_of: HashMap<RecordId, Key> =
        stored.iter().map(|(k, v)| (v.clone(), k.clone())).collect();
    let mut loaded: HashMap<RecordId, Household> = HashMap::new();
    let mut out = Vec::with_capacity(file.len());
    for fh in file {
        let existing = stored.get(&key(&fh.address)).cloned();
        let before = match &existing {
            Some(id) => Some(load(store, &mut loaded, id)?),
            None => None,
        };
        let mut plan = Planned {
            address: fh.address.clone(),
            status: Status::Unchanged,
            existing: existing.clone(),
            new: None,
            update: LedgerUpdate::default(),
            changes: Vec::new(),
            moves: Vec::new(),
            residents: 0,
        };
        if let Some(before) = &before
            && let Some(house_use) = &fh.house_use
            && ledger.has(Column::HouseUse)
            && before.house_use != *house_use
        {
            plan.changes.push(Change {
                who: places.label(&fh.address),
                field: Column::HouseUse.code(),
                old: values::house_use_zh(&before.house_use),
                new: values::house_use_zh(house_use),
            });
            plan.update.house_use = Some(house_use.clone());
        }
        let mut matched: HashSet<ResidentId> = HashSet::new();
        let mut added = Vec::new();
        let listed = fh.residents.len();
        for (line, r, unset) in fh.residents {
            let current = before.as_ref().and_then(|b| {
                let active = || b.active_residents().filter(|x| !matched.contains(&x.id));
                r.id_number
                    .as_ref()
                    .and_then(|id| active().find(|x| x.id_number.as_ref() == Some(id)))
                    .or_else(|| active().find(|x| x.name == r.name))
                    .cloned()
            });
            if let Some(current) = current {
                matched.insert(current.id.clone());
                diff(&current, &r, ledger, &unset, &mut plan);
                plan.residents += 1;
                continue;
            }
            // A person registered in another household moves here, if that household is in
            // the area and the file does not list them there too.
            if let Some(id) = r.id_number.as_deref() {
                let mut refused = false;
                for (other, grid) in store.households_of_id_number(id)? {
                    if Some(&other) == existing.as_ref() {
                        continue;
                    }
                    if !in_area(&grid) {
                        bad.push(BadRow {
                            line,
                            who: r.name.clone(),
                            reason: Message::new("ledger.registered_elsewhere")
                                .with("masked", id_number::mask(id)),
                        });
                        refused = true;
                        break;
                    }
                    let other_key = match keys_of.get(&other) {
                        Some(k) => k.clone(),
                        None => {
                            let h = load(store, &mut loaded, &other)?;
                            let k = key(&h.address);
                            keys_of.insert(other.clone(), k.clone());
                            k
                        }
                    };
                    if file_ids
                        .get(id)
                        .is_some_and(|keys| keys.contains(&other_key))
                    {
                        continue;
                    }
                    let h = load(store, &mut loaded, &other)?;
                    if let Some(res) = h
                        .active_residents()
                        .find(|x| x.id_number.as_deref() == Some(id))
                    {
                        plan.moves.push((other.clone(), res.id.clone()));
                    }
                }
                if refused {
                    continue;
                }
            }
            plan.residents += 1;
            added.push(r);
        }
        if before.is_none() && listed > 0 && added.is_empty() {
            // Every person the file lists here was refused: no empty household in their place.
            continue;
        }
        plan.status = match before {
            None => {
                plan.new = Some(NewHousehold {
                    address: fh.address,
                    house_use: fh.house_use.unwrap_or(HouseUse::OwnerOccupied),
                    notes: String::new(),
                    residents: added,
                });
                Status::New
            }
            Some(_) => {
                for r in &added {
                    plan.changes.push(Change {
                        who: r.name.clone(),
                        field: Column::Name.code(),
                        old: String::new(),
                        new: r.name.clone(),
                    });
                }
                plan.update.added = added;
                if plan.update == LedgerUpdate::default() {
                    Status::Unchanged
                } else {
                    Status::Changed
                }
            }
        };
        out.push(plan);
    }
    Ok(out)
}

fn load(
    store: &Store,
    loaded: &mut HashMap<RecordId, Household>,
    id: &RecordId,
) -> Result<Household, LedgerError> {
    if let Some(h) = loaded.get(id) {
        return Ok(h.clone());
    }
    let h = store.household(id)?;
    loaded.insert(id.clone(), h.clone());
    Ok(h)
}

/// The changes from a stored resident to the file's, for the columns the file has and whose
/// value on this line was known (`unset`: left as stored).
fn diff(
    current: &Resident,
    file: &NewResident,
    ledger: &Ledger,
    unset: &[Column],
    plan: &mut Planned,
) {
    let has = |c: Column| ledger.has(c) && !unset.contains(&c);
    let mut patch = ResidentPatch::default();
    let mut change = |field: Column, old: String, new: String| {
        plan.changes.push(Change {
            who: file.name.clone(),
            field: field.code(),
            old,
            new,
        });
    };
    if current.name != file.name {
        change(Column::Name, current.name.clone(), file.name.clone());
        patch.name = Some(file.name.clone());
    }
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    // A blank cell says nothing: it never erases a stored ID number or phone.
    if ledger.has(Column::IdNumber)
        && file.id_number.is_some()
        && current.id_number != file.id_number
    {
        let mask = |v: &Option<String>| v.as_deref().map(id_number::mask).unwrap_or_default();
        change(
            Column::IdNumber,
            mask(&current.id_number),
            mask(&file.id_number),
        );
        patch.id_number = Some(opt(&file.id_number));
    }
    if ledger.has(Column::Phone) && file.phone.is_some() && current.phone != file.phone {
        change(Column::Phone, opt(&current.phone), opt(&file.phone));
        patch.phone = Some(opt(&file.phone));
    }
    if has(Column::Relation) && current.relation != file.relation {
        change(
            Column::Relation,
            values::relation_zh(&current.relation),
            values::relation_zh(&file.relation),
        );
        patch.relation = Some(file.relation.clone());
    }
    if has(Column::Registration) && current.registration != file.registration {
        change(
            Column::Registration,
            values::registration_zh(&current.registration),
            values::registration_zh(&file.registration),
        );
        patch.registration = Some(file.registration.clone());
    }
    let mut tags = None;
    if has(Column::Tags) && current.tags != file.tags {
        change(
            Column::Tags,
            values::tags_zh(&current.tags),
            values::tags_zh(&file.tags),
        );
        let on: BTreeSet<_> = file.tags.difference(&current.tags).cloned().collect();
        let off: BTreeSet<_> = current.tags.difference(&file.tags).cloned().collect();
        tags = Some((on.into_iter().collect(), off.into_iter().collect()));
    }
    if patch != ResidentPatch::default() || tags.is_some() {
        plan.update.changed.push((current.id.clone(), patch, tags));
    }
}
