//! Pages of a worker's trail for the supervisors' pages: their visits in the reader's grids,
//! newest first, with `COUNT(*)` for the total and `LIMIT`/`OFFSET` for the page (no cap).

use rusqlite::params_from_iter;
use rusqlite::types::Value;

use super::Store;
use super::queries::WorkerVisit;
use crate::{Error, RecordId, Result, Timestamp};

/// A page of a worker's visits and how many there are in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitPage {
    /// The visits of this page, newest first.
    pub visits: Vec<WorkerVisit>,
    /// The worker's visits in the grids, on every page.
    pub total: u32,
}

impl Store {
    /// Up to `limit` of `worker`'s visits in `grids` from the `offset`th, newest first, and
    /// their total; with `period` (since, until, inclusive milliseconds) only the visits dated
    /// in it.
    pub fn page_worker_visits(
        &self,
        worker: &str,
        grids: &[String],
        period: Option<(Timestamp, Timestamp)>,
        offset: u32,
        limit: u32,
    ) -> Result<VisitPage> {
        if grids.is_empty() {
            return Ok(VisitPage {
                visits: Vec::new(),
                total: 0,
            });
        }
        let marks = vec!["?"; grids.len()].join(", ");
        let mut clause = format!("v.worker = ? AND v.grid_id IN ({marks})");
        let mut args: Vec<Value> = vec![worker.to_owned().into()];
        args.extend(grids.iter().cloned().map(Value::from));
        if let Some((since, until)) = period {
            clause.push_str(" AND v.at >= ? AND v.at <= ?");
            args.push(since.0.into());
            args.push(until.0.into());
        }
        let err = || Error::storage("listing a worker's visits");
        let conn = self.reader();
        let total: u32 = conn
            .prepare_cached(&format!("SELECT COUNT(*) FROM visit v WHERE {clause}"))
            .and_then(|mut st| st.query_row(params_from_iter(&args), |r| r.get(0)))
            .map_err(err())?;
        args.push(i64::from(limit).into());
        args.push(i64::from(offset).into());
        let mut st = conn
            .prepare_cached(&format!(
                "SELECT v.household_id, h.building_id || '-' || h.unit || '-' || h.room, v.at,
                        v.purpose, v.notes, h.compound_id, h.building_id, h.unit, h.room
                 FROM visit v JOIN household h ON h.id = v.household_id
                 WHERE {clause} ORDER BY v.at DESC, v.household_id LIMIT ? OFFSET ?"
            ))
            .map_err(err())?;
        let visits = st
            .query_map(params_from_iter(&args), |r| {
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
            .map_err(err())?;
        Ok(VisitPage { visits, total })
    }
}
