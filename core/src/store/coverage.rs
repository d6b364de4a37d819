//! Visit coverage for the supervisors' overview: per building of a grid, how many households
//! there are, how many were visited in a period and how many never were. Households, not
//! visits: 74 visits to the same 20 doors cover 20 households, and the overview must say 20.

use rusqlite::params;

use super::Store;
use crate::{Error, Result, Timestamp};

/// One building's coverage in a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildingCoverage {
    /// The compound's code.
    pub compound: String,
    /// The building's code.
    pub building: String,
    /// Households in the building (vacant ones too: a vacant flat is checked on a walk).
    pub households: u32,
    /// Households with at least one visit dated in the period.
    pub visited: u32,
    /// Households with no visit at all, ever.
    pub never_visited: u32,
    /// Residents living in the building's households.
    pub residents: u32,
}

impl BuildingCoverage {
    /// Visited households as a whole percentage of the building's households (0 when it has
    /// none), rounded down so that 99.6% never reads as done.
    pub fn percent(&self) -> u32 {
        self.visited
            .saturating_mul(100)
            .checked_div(self.households)
            .unwrap_or(0)
    }
}

impl Store {
    /// The coverage of each building of `grid` by visits dated from `since` to `until`
    /// (inclusive, milliseconds), in building order. A visit dated after `until` (a phone
    /// whose clock is ahead) does not count until its date comes.
    pub fn coverage(
        &self,
        grid: &str,
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<BuildingCoverage>> {
        let conn = self.reader();
        // The period's visited households come from the grid's visits through `visit_by_grid`
        // (grid_id, at) into one list SQLite keeps as an index; then one pass over the grid's
        // households tests each against it. (A LEFT JOIN on the same subquery scanned the whole
        // list once per household: 300 ms a grid of 6,000 households.)
        let mut st = conn
            .prepare_cached(
                "SELECT h.compound_id, h.building_id, COUNT(*),
                        SUM(h.id IN (SELECT household_id FROM visit
                                     WHERE grid_id = ?1 AND at >= ?2 AND at <= ?3)),
                        SUM(h.last_visit_at IS NULL), SUM(h.resident_count)
                 FROM household h
                 WHERE h.grid_id = ?1
                 GROUP BY h.compound_id, h.building_id
                 ORDER BY h.compound_id, h.building_id",
            )
            .map_err(Error::storage("reading visit coverage"))?;
        st.query_map(params![grid, since.0, until.0], |r| {
            Ok(BuildingCoverage {
                compound: r.get(0)?,
                building: r.get(1)?,
                households: r.get(2)?,
                visited: r.get(3)?,
                never_visited: r.get(4)?,
                residents: r.get(5)?,
            })
        })
        .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
        .map_err(Error::storage("reading visit coverage"))
    }
}
