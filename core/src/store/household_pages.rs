//! Pages of a grid's households list for the supervisors' pages: the search (the residents'
//! search: last digits of an ID number or phone, pinyin initials, a part of a name; and the
//! address: a room, a compound's or building's name), the filters (never visited, a special
//! group) and the sort in SQL, with `COUNT(*)` for the totals and `LIMIT`/`OFFSET` for the page.

use rusqlite::params_from_iter;
use rusqlite::types::Value;

use super::Store;
use super::queries::HouseholdSummary;
use crate::records::household::HouseUse;
use crate::search_key::{QueryShape, classify, prefix_upper_bound, reversed};
use crate::{Error, RecordId, Result, Timestamp};

/// How a page of households is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HouseholdSort {
    /// By building, unit and room (the default: the order of a walk through the grid).
    #[default]
    Address,
    /// Never visited first, then the longest since a visit.
    LeastRecentlyVisited,
    /// Most findings first.
    MostFindings,
}

/// Which households a list shows.
#[derive(Debug, Clone, Default)]
pub struct HouseholdQuery {
    /// The grid.
    pub grid: String,
    /// What the reader typed (empty: every household).
    pub search: String,
    /// Only households never visited.
    pub never_visited: bool,
    /// Only households with a resident (not moved out) of this special group (`elderly_alone` …).
    pub special_group: Option<String>,
    /// The order of the rows.
    pub sort: HouseholdSort,
}

/// A page of households and the totals of everything the query matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdPage {
    /// The households of this page.
    pub households: Vec<HouseholdSummary>,
    /// Households matching the query.
    pub total: u32,
    /// Residents (not moved out) of those households.
    pub residents: u32,
}

/// The search as a condition on `household` and its arguments.
fn search_clause(search: &str, args: &mut Vec<Value>) -> Option<String> {
    let active = "SELECT household_id FROM resident WHERE moved_out = 0";
    Some(match classify(search)? {
        QueryShape::Digits(d) => {
            let lo = reversed(&d);
            let hi = prefix_upper_bound(&lo).unwrap_or_default();
            args.extend([
                lo.clone().into(),
                hi.clone().into(),
                lo.into(),
                hi.into(),
                d.into(),
            ]);
            format!(
                "(id IN ({active} AND ((id_reversed >= ? AND id_reversed < ?)
                   OR (phone_reversed >= ? AND phone_reversed < ?))) OR room = ?)"
            )
        }
        QueryShape::Initials(i) => {
            let hi = prefix_upper_bound(&i).unwrap_or_default();
            args.extend([i.clone().into(), hi.into(), i.into()]);
            format!(
                "(id IN (SELECT household_id FROM resident_key WHERE initials >= ? AND initials < ?)
                  OR id IN ({active} AND instr(lower(name), ?) > 0))"
            )
        }
        QueryShape::Name(n) => {
            for _ in 0..4 {
                args.push(n.clone().into());
            }
            format!(
                "(id IN ({active} AND instr(name, ?) > 0) OR instr(room, ?) > 0
                  OR compound_id IN (SELECT id FROM reference_item WHERE kind = 'compound' AND instr(name, ?) > 0)
                  OR building_id IN (SELECT id FROM reference_item WHERE kind = 'building' AND instr(name, ?) > 0))"
            )
        }
    })
}

/// The columns [`summary`] reads, from `household`.
const SUMMARY_COLUMNS: &str =
    "id, grid_id, compound_id, building_id, unit, room, house_use, head_name,
    resident_count, last_visit_at,
    (SELECT COUNT(*) FROM finding f WHERE f.household_id = household.id) AS findings";

/// A [`HouseholdSummary`] from a row of [`SUMMARY_COLUMNS`].
fn summary(r: &rusqlite::Row) -> rusqlite::Result<HouseholdSummary> {
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
}

impl Store {
    /// The households of `ids` that exist (in no particular order): a page's few rows, never
    /// a whole grid read to name them.
    pub fn household_summaries(&self, ids: &[String]) -> Result<Vec<HouseholdSummary>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; ids.len()].join(", ");
        self.reader()
            .prepare(&format!(
                "SELECT {SUMMARY_COLUMNS} FROM household WHERE id IN ({marks})"
            ))
            .and_then(|mut st| {
                st.query_map(params_from_iter(ids), summary)?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(Error::storage("reading households"))
    }

    /// Up to `limit` households of a grid matching `query` from the `offset`th, and the totals.
    pub fn page_households(
        &self,
        query: &HouseholdQuery,
        offset: u32,
        limit: u32,
    ) -> Result<HouseholdPage> {
        let mut args: Vec<Value> = vec![query.grid.clone().into()];
        let mut clause = "grid_id = ?".to_owned();
        if let Some(search) = search_clause(&query.search, &mut args) {
            clause.push_str(" AND ");
            clause.push_str(&search);
        }
        if query.never_visited {
            clause.push_str(" AND last_visit_at IS NULL");
        }
        if let Some(group) = &query.special_group {
            clause.push_str(
                " AND id IN (SELECT household_id FROM resident WHERE moved_out = 0
                   AND instr(',' || tags || ',', ',' || ? || ',') > 0)",
            );
            args.push(group.clone().into());
        }
        let order_by = match query.sort {
            HouseholdSort::Address => "building_id, length(unit), unit, length(room), room",
            HouseholdSort::LeastRecentlyVisited => {
                "last_visit_at IS NOT NULL, last_visit_at, building_id, length(unit), unit, length(room), room"
            }
            HouseholdSort::MostFindings => {
                "findings DESC, building_id, length(unit), unit, length(room), room"
            }
        };
        let err = || Error::storage("listing households");
        let conn = self.reader();
        let (total, residents) = conn
            .prepare_cached(&format!(
                "SELECT COUNT(*), COALESCE(SUM(resident_count), 0) FROM household WHERE {clause}"
            ))
            .and_then(|mut st| {
                st.query_row(params_from_iter(&args), |r| Ok((r.get(0)?, r.get(1)?)))
            })
            .map_err(err())?;
        args.push(i64::from(limit).into());
        args.push(i64::from(offset).into());
        let mut st = conn
            .prepare_cached(&format!(
                "SELECT {SUMMARY_COLUMNS}
                 FROM household WHERE {clause} ORDER BY {order_by} LIMIT ? OFFSET ?"
            ))
            .map_err(err())?;
        let households = st
            .query_map(params_from_iter(&args), summary)
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(err())?;
        Ok(HouseholdPage {
            households,
            total,
            residents,
        })
    }
}
