//! A worker's workload in a period, for the supervisors' workers page and the monthly workload
//! sheet (网格员工作量考核表): per worker, over a set of grids and a period `[since, until]`
//! (milliseconds, inclusive; the page turns China-time days into these bounds), what they did,
//! counted in SQL over the lists (no document loaded).

use std::collections::BTreeMap;

use rusqlite::params_from_iter;
use rusqlite::types::Value;

use super::Store;
use crate::{Error, Result, Timestamp};

/// One worker's counts. A worker appears when any count is above zero.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkerLoad {
    /// The user name, as the records hold it.
    pub worker: String,
    /// Visits they recorded, dated in the period, to households of the grids (a household
    /// visited twice counts twice).
    pub visits: u32,
    /// Distinct households of the grids they visited in the period: the coverage of their
    /// work (a household visited twice counts once).
    pub households: u32,
    /// Issue reports (随手拍) they filed in the grids, created in the period.
    pub reports_filed: u32,
    /// Distinct reports of the grids on which they counted a `start` or `resolve` event dated
    /// in the period: the reports they worked on (the fold's refused events do not count).
    pub reports_handled: u32,
    /// Their to-dos open now (not bounded by the period) on records of the grids: visits sent
    /// back to them and reports waiting for them to handle or answer a send-back.
    pub open_todos: u32,
}

impl Store {
    /// Each worker's counts in `grids` over `[since, until]`, by user name. Four grouped
    /// queries over `visit` (by grid and time), `report` (by grid), `report_event` (by grid and
    /// time) and `todo` (joined to its household's or report's grid).
    pub fn workload(
        &self,
        grids: &[String],
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<WorkerLoad>> {
        if grids.is_empty() {
            return Ok(Vec::new());
        }
        let marks = vec!["?"; grids.len()].join(", ");
        let in_grids: Vec<Value> = grids.iter().cloned().map(Value::from).collect();
        let mut in_period = in_grids.clone();
        in_period.push(since.0.into());
        in_period.push(until.0.into());
        let err = || Error::storage("counting the workers' workload");
        let conn = self.reader();
        let mut loads: BTreeMap<String, WorkerLoad> = BTreeMap::new();
        let mut count =
            |sql: String, args: &[Value], set: fn(&mut WorkerLoad, u32, u32)| -> Result<()> {
                let mut st = conn.prepare_cached(&sql).map_err(err())?;
                let rows = st
                    .query_map(params_from_iter(args), |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, u32>(1)?,
                            r.get::<_, u32>(2)?,
                        ))
                    })
                    .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                    .map_err(err())?;
                for (worker, a, b) in rows {
                    let load = loads.entry(worker.clone()).or_insert_with(|| WorkerLoad {
                        worker,
                        ..WorkerLoad::default()
                    });
                    set(load, a, b);
                }
                Ok(())
            };
        count(
            format!(
                "SELECT worker, COUNT(*), COUNT(DISTINCT household_id) FROM visit
                 WHERE grid_id IN ({marks}) AND at >= ? AND at <= ? GROUP BY worker"
            ),
            &in_period,
            |l, visits, households| {
                l.visits = visits;
                l.households = households;
            },
        )?;
        count(
            format!(
                "SELECT reporter, COUNT(*), 0 FROM report
                 WHERE grid_id IN ({marks}) AND created_at >= ? AND created_at <= ?
                 GROUP BY reporter"
            ),
            &in_period,
            |l, n, _| l.reports_filed = n,
        )?;
        count(
            format!(
                "SELECT by_user, COUNT(DISTINCT report_id), 0 FROM report_event
                 WHERE grid_id IN ({marks}) AND at >= ? AND at <= ?
                   AND kind IN ('start', 'resolve')
                 GROUP BY by_user"
            ),
            &in_period,
            |l, n, _| l.reports_handled = n,
        )?;
        count(
            format!(
                "SELECT substr(t.assignee, 6), COUNT(*), 0 FROM todo t
                 LEFT JOIN household h ON h.id = t.record_id
                 LEFT JOIN report r ON r.id = t.record_id
                 WHERE t.assignee LIKE 'user:%' AND COALESCE(h.grid_id, r.grid_id) IN ({marks})
                 GROUP BY t.assignee"
            ),
            &in_grids,
            |l, n, _| l.open_todos = n,
        )?;
        Ok(loads.into_values().collect())
    }
}
