//! What the screens read: household lists by address with counts, resident search, reference
//! data. Every query here reads projection tables through the reader connection; none loads
//! an automerge document.

use rusqlite::{ToSql, params_from_iter};
use serde::{Deserialize, Serialize};

use super::Store;
use crate::error::{Error, Result};
use crate::ids::{RecordId, ResidentId};
use crate::records::household::HouseUse;
use crate::rules::{id_number, phone};
use crate::search_key::{QueryShape, classify, prefix_upper_bound, reversed};
use crate::time::Timestamp;

/// Which households a list shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AddressScope {
    /// Every household of a grid.
    Grid(String),
    /// Every household of a compound.
    Compound(String),
    /// Every household of a building.
    Building(String),
    /// One unit of a building.
    Unit {
        /// Building code.
        building: String,
        /// Unit as written.
        unit: String,
    },
}

impl AddressScope {
    fn clause(&self) -> (&'static str, Vec<&str>) {
        match self {
            AddressScope::Grid(g) => ("grid_id = ?1", vec![g]),
            AddressScope::Compound(c) => ("compound_id = ?1", vec![c]),
            AddressScope::Building(b) => ("building_id = ?1", vec![b]),
            AddressScope::Unit { building, unit } => {
                ("building_id = ?1 AND unit = ?2", vec![building, unit])
            }
        }
    }
}

/// The level to count households by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AddressLevel {
    /// By compound.
    Compound,
    /// By building.
    Building,
    /// By unit (within one building's scope, units of different buildings share names).
    Unit,
}

/// One row of a household list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdSummary {
    /// The household.
    pub id: RecordId,
    /// Grid code.
    pub grid: String,
    /// Compound code.
    pub compound: String,
    /// Building code.
    pub building: String,
    /// Unit.
    pub unit: String,
    /// Room.
    pub room: String,
    /// House use.
    pub house_use: HouseUse,
    /// Name of the head of the household (or the first resident).
    pub head_name: String,
    /// Residents who live here now.
    pub resident_count: u32,
    /// Latest visit.
    pub last_visit_at: Option<Timestamp>,
    /// Findings recorded against the household (not counting time-based ones).
    pub finding_count: u32,
}

/// A page of a household list with the totals of the whole scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdList {
    /// The households of this page, by building, unit and room.
    pub households: Vec<HouseholdSummary>,
    /// Households in the whole scope.
    pub household_count: u32,
    /// Residents (not moved out) in the whole scope.
    pub resident_count: u32,
}

/// Households and residents under one address part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressCount {
    /// The code (compound, building) or unit.
    pub key: String,
    /// Households.
    pub households: u32,
    /// Residents not moved out.
    pub residents: u32,
}

/// One visit of a worker's trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkerVisit {
    /// The household visited.
    pub household_id: RecordId,
    /// Its building-unit-room.
    pub address_label: String,
    /// Its compound code.
    pub compound: String,
    /// Its building code.
    pub building: String,
    /// Its unit, as written.
    pub unit: String,
    /// Its room, as written.
    pub room: String,
    /// When.
    pub at: Timestamp,
    /// Why.
    pub purpose: String,
    /// What was noted.
    pub notes: String,
}

/// A [`ResidentHit`] from a row of id, household, name, ID number, phone, address label.
fn resident_hit(r: &rusqlite::Row) -> rusqlite::Result<ResidentHit> {
    Ok(ResidentHit {
        resident_id: ResidentId::from_string(r.get::<_, String>(0)?),
        household_id: RecordId::from_string(r.get::<_, String>(1)?),
        name: r.get(2)?,
        id_number_masked: r.get::<_, Option<String>>(3)?.map(|n| id_number::mask(&n)),
        phone_masked: r.get::<_, Option<String>>(4)?.map(|p| phone::mask(&p)),
        address_label: r.get(5)?,
    })
}

/// A resident found by search, personal data masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentHit {
    /// The resident.
    pub resident_id: ResidentId,
    /// Their household.
    pub household_id: RecordId,
    /// Name.
    pub name: String,
    /// ID number, masked (`110105********002X`).
    pub id_number_masked: Option<String>,
    /// Phone, masked (`138****8000`).
    pub phone_masked: Option<String>,
    /// Building-unit-room.
    pub address_label: String,
}

impl Store {
    /// A page of the households in `scope`, ordered by building, unit and room.
    pub fn list_households(
        &self,
        scope: &AddressScope,
        offset: u32,
        limit: u32,
    ) -> Result<HouseholdList> {
        let conn = self.reader();
        let err = || Error::storage("listing households");
        let (clause, args) = scope.clause();
        let (household_count, resident_count) = conn
            .prepare_cached(&format!(
                "SELECT COUNT(*), COALESCE(SUM(resident_count), 0) FROM household WHERE {clause}"
            ))
            .and_then(|mut st| {
                st.query_row(params_from_iter(&args), |r| Ok((r.get(0)?, r.get(1)?)))
            })
            .map_err(err())?;
        let mut st = conn
            .prepare_cached(&format!(
                "SELECT id, grid_id, compound_id, building_id, unit, room, house_use, head_name,
                        resident_count, last_visit_at,
                        (SELECT COUNT(*) FROM finding f WHERE f.household_id = household.id)
                 FROM household WHERE {clause}
                 ORDER BY building_id, length(unit), unit, length(room), room
                 LIMIT {limit} OFFSET {offset}"
            ))
            .map_err(err())?;
        let households = st
            .query_map(params_from_iter(&args), |r| {
                Ok(HouseholdSummary {
                    id: RecordId::from_string(r.get::<_, String>(0)?),
                    grid: r.get(1)?,
                    compound: r.get(2)?,
                    building: r.get(3)?,
                    unit: r.get(4)?,
                    room: r.get(5)?,
                    house_use: HouseUse::parse(&r.get::<_, String>(6)?),
                    head_name: r.get(7)?,
                    resident_count: r.get(8)?,
                    last_visit_at: r.get::<_, Option<i64>>(9)?.map(Timestamp),
                    finding_count: r.get(10)?,
                })
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(err())?;
        Ok(HouseholdList {
            households,
            household_count,
            resident_count,
        })
    }

    /// Households and residents in `scope`, counted by `level`.
    pub fn count_households(
        &self,
        scope: &AddressScope,
        level: AddressLevel,
    ) -> Result<Vec<AddressCount>> {
        let conn = self.reader();
        let (clause, args) = scope.clause();
        let column = match level {
            AddressLevel::Compound => "compound_id",
            AddressLevel::Building => "building_id",
            AddressLevel::Unit => "unit",
        };
        conn.prepare_cached(&format!(
            "SELECT {column}, COUNT(*), COALESCE(SUM(resident_count), 0) FROM household
             WHERE {clause} GROUP BY {column} ORDER BY length({column}), {column}"
        ))
        .and_then(|mut st| {
            st.query_map(params_from_iter(&args), |r| {
                Ok(AddressCount {
                    key: r.get(0)?,
                    households: r.get(1)?,
                    residents: r.get(2)?,
                })
            })?
            .collect()
        })
        .map_err(Error::storage("counting households"))
    }

    /// Residents (not moved out) matching what a worker typed: digits match the end of an ID
    /// number or phone, Latin letters match pinyin initials from the start (any of a name's
    /// keys: its surname reading, its common reading, a later part; see
    /// [`crate::search_key::initials_keys`]), anything else matches a part of the name.
    pub fn search_residents(&self, query: &str, limit: u32) -> Result<Vec<ResidentHit>> {
        let Some(shape) = classify(query) else {
            return Ok(Vec::new());
        };
        let select = "SELECT r.id, r.household_id, r.name, r.id_number, r.phone,
                              h.building_id || '-' || h.unit || '-' || h.room
                       FROM resident r JOIN household h ON h.id = r.household_id";
        let (sql, args): (String, Vec<String>) = match shape {
            QueryShape::Digits(d) => {
                let lo = reversed(&d);
                let hi = prefix_upper_bound(&lo).unwrap_or_default();
                (
                    format!(
                        "{select} WHERE r.rowid IN (
                            SELECT rowid FROM resident WHERE id_reversed >= ?1 AND id_reversed < ?2
                            UNION SELECT rowid FROM resident WHERE phone_reversed >= ?1 AND phone_reversed < ?2)
                         AND r.moved_out = 0 ORDER BY r.name LIMIT {limit}"
                    ),
                    vec![lo, hi],
                )
            }
            QueryShape::Initials(i) => {
                let hits = self.search_by_initials(&i, limit)?;
                // Letters are also part of a name (李Lily, 阿依古丽·Ali): when no initials
                // match, look for them in the names, case as typed.
                if !hits.is_empty() {
                    return Ok(hits);
                }
                (
                    format!(
                        "{select} WHERE instr(lower(r.name), ?1) > 0 AND r.moved_out = 0
                         ORDER BY instr(lower(r.name), ?1), length(r.name), r.name LIMIT {limit}"
                    ),
                    vec![i],
                )
            }
            QueryShape::Name(n) => (
                format!(
                    "{select} WHERE instr(r.name, ?1) > 0 AND r.moved_out = 0
                     ORDER BY instr(r.name, ?1), length(r.name), r.name LIMIT {limit}"
                ),
                vec![n],
            ),
        };
        let conn = self.reader();
        let args: Vec<&dyn ToSql> = args.iter().map(|a| a as &dyn ToSql).collect();
        conn.prepare_cached(&sql)
            .and_then(|mut st| st.query_map(args.as_slice(), resident_hit)?.collect())
            .map_err(Error::storage("searching residents"))
    }

    /// Residents one of whose initials keys starts with `initials`, best key first: keys that
    /// read every given-name character commonly before variants, then the shortest, then by
    /// name. The keys are ranked on their own covering index (`resident_key` holds active
    /// residents only, with their names) and only the first `limit` are joined to their
    /// residents, so a one-letter query matching thousands of keys sorts small index rows and
    /// joins 50.
    fn search_by_initials(&self, initials: &str, limit: u32) -> Result<Vec<ResidentHit>> {
        let err = || Error::storage("searching residents");
        let hi = prefix_upper_bound(initials).unwrap_or_default();
        let conn = self.reader();
        let mut st = conn
            .prepare_cached(
                "SELECT r.id, r.household_id, r.name, r.id_number, r.phone,
                        h.building_id || '-' || h.unit || '-' || h.room
                 FROM (SELECT household_id, resident_id, variant, length(initials) AS len, name
                       FROM resident_key WHERE initials >= ?1 AND initials < ?2
                       ORDER BY variant, len, name, household_id, resident_id LIMIT ?3) k
                 JOIN resident r ON r.household_id = k.household_id AND r.id = k.resident_id
                 JOIN household h ON h.id = r.household_id
                 ORDER BY k.variant, k.len, k.name, k.household_id, k.resident_id",
            )
            .map_err(err())?;
        // A resident with two keys in the range comes twice (its best key first). That is
        // rare, so ask for `limit` keys and, only if repeats left fewer hits while more keys
        // may follow, ask again for twice as many.
        let limit = limit as usize;
        let mut fetch = limit;
        loop {
            let rows: Vec<ResidentHit> = st
                .query_map(rusqlite::params![initials, hi, fetch as i64], resident_hit)
                .and_then(|rows| rows.collect())
                .map_err(err())?;
            let exhausted = rows.len() < fetch;
            let mut seen = std::collections::HashSet::new();
            let hits: Vec<ResidentHit> = rows
                .into_iter()
                .filter(|h| {
                    seen.insert((
                        h.household_id.as_str().to_owned(),
                        h.resident_id.as_str().to_owned(),
                    ))
                })
                .take(limit)
                .collect();
            if hits.len() == limit || exhausted {
                return Ok(hits);
            }
            fetch *= 2;
        }
    }

    /// The address label of the household where an active resident holds this ID number.
    pub fn household_of_id_number(&self, id_number: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        self.reader()
            .prepare_cached(
                "SELECT h.building_id || '-' || h.unit || '-' || h.room FROM resident r
                 JOIN household h ON h.id = r.household_id
                 WHERE r.id_number = ?1 AND r.moved_out = 0 AND r.id_valid = 1 LIMIT 1",
            )
            .and_then(|mut st| st.query_row([id_number], |r| r.get(0)).optional())
            .map_err(Error::storage("looking up an ID number"))
    }

    /// The households where an active resident holds this ID number (valid or not), with
    /// their grid: what a ledger import matches a resident who moved against.
    pub fn households_of_id_number(&self, id_number: &str) -> Result<Vec<(RecordId, String)>> {
        let reader = self.reader();
        let mut st = reader
            .prepare_cached(
                "SELECT DISTINCT h.id, h.grid_id FROM resident r
                 JOIN household h ON h.id = r.household_id
                 WHERE r.id_number = ?1 AND r.moved_out = 0",
            )
            .map_err(Error::storage("looking up an ID number"))?;
        let rows = st
            .query_map([id_number], |r| {
                Ok((RecordId::from_string(r.get::<_, String>(0)?), r.get(1)?))
            })
            .and_then(|rows| rows.collect())
            .map_err(Error::storage("looking up an ID number"))?;
        Ok(rows)
    }

    /// Visits recorded in `grid` since `since`.
    ///
    /// Visits dated more than a day after `now` (a phone's clock ahead) are not counted.
    pub fn visits_since(&self, grid: &str, since: Timestamp, now: Timestamp) -> Result<u32> {
        let latest = crate::rules::clock::latest_counted(now);
        self.reader()
            .prepare_cached(
                "SELECT COUNT(*) FROM visit WHERE grid_id = ?1 AND at >= ?2 AND at <= ?3",
            )
            .and_then(|mut st| {
                st.query_row(rusqlite::params![grid, since.0, latest.0], |r| r.get(0))
            })
            .map_err(Error::storage("counting visits"))
    }

    /// A worker's visits in `grids` (the reader's area), newest first, at most `limit`.
    pub fn visits_by_worker(
        &self,
        worker: &str,
        grids: &[String],
        limit: u32,
    ) -> Result<Vec<WorkerVisit>> {
        let conn = self.reader();
        let mut st = conn
            .prepare_cached(
                "SELECT v.household_id, h.building_id || '-' || h.unit || '-' || h.room, v.at, v.purpose, v.notes,
                        h.compound_id, h.building_id, h.unit, h.room
                 FROM visit v JOIN household h ON h.id = v.household_id
                 WHERE v.worker = ?1 AND v.grid_id = ?2 ORDER BY v.at DESC LIMIT ?3",
            )
            .map_err(Error::storage("listing a worker's visits"))?;
        let mut visits = Vec::new();
        for grid in grids {
            let rows = st
                .query_map(rusqlite::params![worker, grid, limit], |r| {
                    Ok(WorkerVisit {
                        household_id: RecordId::from_string(r.get::<_, String>(0)?),
                        address_label: r.get(1)?,
                        at: Timestamp(r.get(2)?),
                        purpose: r.get(3)?,
                        notes: r.get(4)?,
                        compound: r.get(5)?,
                        building: r.get(6)?,
                        unit: r.get(7)?,
                        room: r.get(8)?,
                    })
                })
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(Error::storage("listing a worker's visits"))?;
            visits.extend(rows);
        }
        visits.sort_by_key(|v| std::cmp::Reverse(v.at));
        visits.truncate(limit as usize);
        Ok(visits)
    }

    /// The companies with orders in any of `compounds`: those a reader of that area may see
    /// rated.
    pub fn companies_in_compounds(&self, compounds: &[String]) -> Result<Vec<String>> {
        let conn = self.reader();
        let mut st = conn
            .prepare_cached("SELECT DISTINCT company_id FROM work_order WHERE compound_id = ?1")
            .map_err(Error::storage("reading companies"))?;
        let mut out = Vec::new();
        for c in compounds {
            let rows = st
                .query_map([c], |r| r.get::<_, String>(0))
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(Error::storage("reading companies"))?;
            out.extend(rows);
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Open and overdue orders (not drafts) in `compound` at `now`.
    pub fn order_counts(&self, compound: &str, now: Timestamp) -> Result<(u32, u32)> {
        self.reader()
            .prepare_cached(
                "SELECT COUNT(*), COALESCE(SUM(deadline < ?2), 0) FROM work_order
                 WHERE compound_id = ?1 AND status NOT IN ('draft', 'verified', 'cancelled')",
            )
            .and_then(|mut st| {
                st.query_row(rusqlite::params![compound, now.0], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })
            })
            .map_err(Error::storage("counting orders"))
    }
}
