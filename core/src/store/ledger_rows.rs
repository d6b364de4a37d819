//! A grid's residents as a ledger lists them, read from the list tables (household and
//! resident projections), not from the documents: exporting an area of 30,000 households
//! costs one query per grid instead of loading every household. The same for a grid's visits
//! (the visits export).

use std::collections::BTreeSet;

use rusqlite::params;

use super::Store;
use crate::error::{Error, Result};
use crate::records::household::{Address, HouseUse, Registration, Relation, SpecialGroup};

/// A resident as a ledger row holds them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerPerson {
    /// Name.
    pub name: String,
    /// ID number, if any.
    pub id_number: Option<String>,
    /// Phone, if any.
    pub phone: Option<String>,
    /// Relation to the head.
    pub relation: Relation,
    /// Registration.
    pub registration: Registration,
    /// Special groups.
    pub tags: BTreeSet<SpecialGroup>,
}

/// One ledger row: a dwelling and one of its residents, or the dwelling alone when nobody
/// lives there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRow {
    /// The household.
    pub household: String,
    /// The dwelling's address, in codes.
    pub address: Address,
    /// Its house use.
    pub house_use: HouseUse,
    /// The resident, or none for an empty dwelling.
    pub person: Option<LedgerPerson>,
}

impl Store {
    /// The ledger rows of a grid: its households in list order (building, unit, room), each
    /// with its residents still living there in the order they were added, or one row without
    /// a person.
    pub fn ledger_rows(&self, grid: &str) -> Result<Vec<LedgerRow>> {
        let conn = self.reader();
        let err = || Error::storage("listing a grid's ledger rows");
        let mut st = conn
            .prepare_cached(
                "SELECT h.community_id, h.grid_id, h.compound_id, h.building_id, h.unit, h.room,
                        h.house_use, r.name, r.id_number, r.phone, r.relation, r.registration,
                        r.tags, h.id
                 FROM household h
                 LEFT JOIN resident r ON r.household_id = h.id AND r.moved_out = 0
                 WHERE h.grid_id = ?1
                 ORDER BY h.building_id, length(h.unit), h.unit, length(h.room), h.room, h.id,
                          r.rowid",
            )
            .map_err(err())?;
        let rows = st
            .query_map(params![grid], |r| {
                let name: Option<String> = r.get(7)?;
                let optional = |v: Option<String>| v.filter(|s| !s.is_empty());
                let person = match name {
                    None => None,
                    Some(name) => Some(LedgerPerson {
                        name,
                        id_number: optional(r.get(8)?),
                        phone: optional(r.get(9)?),
                        relation: Relation::parse(&r.get::<_, String>(10)?),
                        registration: Registration::parse(&r.get::<_, String>(11)?),
                        tags: r
                            .get::<_, String>(12)?
                            .split(',')
                            .filter(|t| !t.is_empty())
                            .map(SpecialGroup::parse)
                            .collect(),
                    }),
                };
                Ok(LedgerRow {
                    household: r.get(13)?,
                    address: Address {
                        community: r.get(0)?,
                        grid: r.get(1)?,
                        compound: r.get(2)?,
                        building: r.get(3)?,
                        unit: r.get(4)?,
                        room: r.get(5)?,
                    },
                    house_use: HouseUse::parse(&r.get::<_, String>(6)?),
                    person,
                })
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(err())?;
        Ok(rows)
    }

    /// The visits recorded in `grid`, oldest first, each with its household's address.
    pub fn grid_visits(&self, grid: &str) -> Result<Vec<GridVisit>> {
        let conn = self.reader();
        let err = || Error::storage("listing a grid's visits");
        let mut st = conn
            .prepare_cached(
                "SELECT h.community_id, h.grid_id, h.compound_id, h.building_id, h.unit, h.room,
                        v.at, v.worker, v.purpose, v.notes, v.photos
                 FROM visit v JOIN household h ON h.id = v.household_id
                 WHERE v.grid_id = ?1
                 ORDER BY v.at, v.id",
            )
            .map_err(err())?;
        st.query_map(params![grid], |r| {
            Ok(GridVisit {
                address: Address {
                    community: r.get(0)?,
                    grid: r.get(1)?,
                    compound: r.get(2)?,
                    building: r.get(3)?,
                    unit: r.get(4)?,
                    room: r.get(5)?,
                },
                at: crate::time::Timestamp(r.get(6)?),
                worker: r.get(7)?,
                purpose: crate::records::household::VisitPurpose::parse(&r.get::<_, String>(8)?),
                notes: r.get(9)?,
                photos: r.get(10)?,
            })
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(err())
    }
}

/// A visit as the visits export lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridVisit {
    /// The household's address, in codes.
    pub address: Address,
    /// When.
    pub at: crate::time::Timestamp,
    /// The worker's user id.
    pub worker: String,
    /// Why.
    pub purpose: crate::records::household::VisitPurpose,
    /// What the worker wrote.
    pub notes: String,
    /// Photos taken.
    pub photos: u32,
}
