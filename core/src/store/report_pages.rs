//! Pages of an issue-reports list for the supervisors' pages: the reader's grids and a status
//! in SQL, newest first, with `COUNT(*)` for the total, the count of each status (the filter
//! links say how many each would show) and `LIMIT`/`OFFSET` for the page, so no report is
//! silently left off.

use rusqlite::types::Value;

use super::Store;
use crate::rules::report::ReportStatus;
use crate::{Error, RecordId, Result, Timestamp};

/// Which reports a list shows.
#[derive(Debug, Clone, Default)]
pub struct ReportQuery {
    /// The grids of the reader's area; no grid, no reports.
    pub grids: Vec<String>,
    /// Only this status; otherwise every status.
    pub status: Option<ReportStatus>,
}

/// One row of a reports list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    /// The report.
    pub id: RecordId,
    /// Category code.
    pub category: String,
    /// What the worker saw.
    pub description: String,
    /// Grid code.
    pub grid: String,
    /// Compound code (empty when in none).
    pub compound: String,
    /// Status.
    pub status: ReportStatus,
    /// Who reported it (user id).
    pub reporter: String,
    /// Who handles it (user id).
    pub assignee: Option<String>,
    /// When reported.
    pub created_at: Timestamp,
    /// The order it was escalated into.
    pub order: Option<RecordId>,
}

/// A page of reports, the number the query matches in all, and each status's count in the
/// query's grids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportPage {
    /// The reports of this page.
    pub reports: Vec<ReportRow>,
    /// Reports matching the query, on every page.
    pub total: u32,
    /// Reports of each status in the grids (whatever status the query asks for).
    pub by_status: Vec<(ReportStatus, u32)>,
}

impl Store {
    /// Up to `limit` reports matching `query` from the `offset`th, newest first, with the total
    /// and the counts per status.
    pub fn page_reports(&self, query: &ReportQuery, offset: u32, limit: u32) -> Result<ReportPage> {
        if query.grids.is_empty() {
            return Ok(ReportPage {
                reports: Vec::new(),
                total: 0,
                by_status: Vec::new(),
            });
        }
        let marks = vec!["?"; query.grids.len()].join(", ");
        let mut args: Vec<Value> = query.grids.iter().cloned().map(Value::from).collect();
        let in_grids = format!("grid_id IN ({marks})");
        let conn = self.reader();
        let err = || Error::storage("listing reports");
        let by_status: Vec<(ReportStatus, u32)> = conn
            .prepare_cached(&format!(
                "SELECT status, COUNT(*) FROM report WHERE {in_grids} GROUP BY status"
            ))
            .and_then(|mut st| {
                st.query_map(rusqlite::params_from_iter(&args), |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(err())?
            .into_iter()
            .filter_map(|(s, n)| ReportStatus::parse(&s).map(|s| (s, n)))
            .collect();
        let mut clause = in_grids;
        if let Some(s) = query.status {
            clause.push_str(" AND status = ?");
            args.push(s.as_str().to_owned().into());
        }
        let total: u32 = conn
            .prepare_cached(&format!("SELECT COUNT(*) FROM report WHERE {clause}"))
            .and_then(|mut st| st.query_row(rusqlite::params_from_iter(&args), |r| r.get(0)))
            .map_err(err())?;
        args.push(i64::from(limit).into());
        args.push(i64::from(offset).into());
        let reports = conn
            .prepare_cached(&format!(
                "SELECT id, category, description, grid_id, compound_id, status, reporter, assignee,
                        created_at, order_id
                 FROM report WHERE {clause} ORDER BY created_at DESC, id LIMIT ? OFFSET ?"
            ))
            .and_then(|mut st| {
                st.query_map(rusqlite::params_from_iter(&args), |r| {
                    Ok(ReportRow {
                        id: RecordId::from_string(r.get::<_, String>(0)?),
                        category: r.get(1)?,
                        description: r.get(2)?,
                        grid: r.get(3)?,
                        compound: r.get(4)?,
                        status: ReportStatus::parse(&r.get::<_, String>(5)?)
                            .unwrap_or(ReportStatus::Reported),
                        reporter: r.get(6)?,
                        assignee: r.get(7)?,
                        created_at: Timestamp(r.get(8)?),
                        order: r.get::<_, Option<String>>(9)?.map(RecordId::from_string),
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(err())?;
        Ok(ReportPage {
            reports,
            total,
            by_status,
        })
    }
}
