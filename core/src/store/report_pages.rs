//! Pages of an issue-reports list for the supervisors' pages: the reader's grids and a status
//! in SQL, newest first, with `COUNT(*)` for the total, the count of each status (the filter
//! links say how many each would show) and `LIMIT`/`OFFSET` for the page, so no report is
//! silently left off.

use rusqlite::types::Value;

use super::Store;
use crate::rules::report::{self, ReportStatus};
use crate::{Error, RecordId, Result, Timestamp};

/// Which reports a list shows.
#[derive(Debug, Clone, Default)]
pub struct ReportQuery {
    /// The grids of the reader's area; no grid, no reports.
    pub grids: Vec<String>,
    /// Only this status; otherwise every status.
    pub status: Option<ReportStatus>,
    /// Only reports overdue at [`ReportQuery::now`].
    pub overdue: bool,
    /// The time deadlines are judged at; none, nothing is overdue.
    pub now: Option<Timestamp>,
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
    /// When it must be handled by: its time plus its category's 处置时限
    /// ([`crate::rules::report::deadline`]); none when the category has no limit.
    pub deadline: Option<Timestamp>,
    /// Handled by its category's department, as the 权责清单 names it.
    pub department: Option<String>,
    /// Overdue at the query's time ([`crate::rules::report::is_overdue`]).
    pub overdue: bool,
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
    /// Reports in the grids overdue at the query's time (whatever it filters).
    pub overdue: u32,
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
                overdue: 0,
            });
        }
        let marks = vec!["?"; query.grids.len()].join(", ");
        let mut args: Vec<Value> = query.grids.iter().cloned().map(Value::from).collect();
        let in_grids = format!("report.grid_id IN ({marks})");
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
        // No time, no deadline passed: the earliest time there is.
        let judged_at = query.now.map_or(i64::MIN, |t| t.0);
        let overdue: u32 = conn
            .prepare_cached(&format!(
                "SELECT COUNT(*) FROM report {WITH_LIMIT} WHERE {in_grids} AND {OVERDUE}"
            ))
            .and_then(|mut st| {
                let mut a = args.clone();
                a.push(judged_at.into());
                st.query_row(rusqlite::params_from_iter(&a), |r| r.get(0))
            })
            .map_err(err())?;
        let mut clause = in_grids;
        if let Some(s) = query.status {
            clause.push_str(" AND status = ?");
            args.push(s.as_str().to_owned().into());
        }
        if query.overdue {
            clause.push_str(&format!(" AND {OVERDUE}"));
            args.push(judged_at.into());
        }
        let total: u32 = conn
            .prepare_cached(&format!(
                "SELECT COUNT(*) FROM report {WITH_LIMIT} WHERE {clause}"
            ))
            .and_then(|mut st| st.query_row(rusqlite::params_from_iter(&args), |r| r.get(0)))
            .map_err(err())?;
        args.push(i64::from(limit).into());
        args.push(i64::from(offset).into());
        let reports = conn
            .prepare_cached(&format!(
                "SELECT report.id, category, description, report.grid_id, compound_id, status,
                        reporter, assignee, created_at, order_id, c.limit_hours, c.department
                 FROM report {WITH_LIMIT} WHERE {clause}
                 ORDER BY created_at DESC, report.id LIMIT ? OFFSET ?"
            ))
            .and_then(|mut st| {
                st.query_map(rusqlite::params_from_iter(&args), |r| {
                    let status = ReportStatus::parse(&r.get::<_, String>(5)?)
                        .unwrap_or(ReportStatus::Reported);
                    let created_at = Timestamp(r.get(8)?);
                    let order = r.get::<_, Option<String>>(9)?.map(RecordId::from_string);
                    let deadline = report::deadline(created_at, r.get(10)?);
                    Ok(ReportRow {
                        overdue: query.now.is_some_and(|now| {
                            report::is_overdue(status, order.is_some(), deadline, now)
                        }),
                        deadline,
                        department: r.get(11)?,
                        id: RecordId::from_string(r.get::<_, String>(0)?),
                        category: r.get(1)?,
                        description: r.get(2)?,
                        grid: r.get(3)?,
                        compound: r.get(4)?,
                        status,
                        reporter: r.get(6)?,
                        assignee: r.get(7)?,
                        created_at,
                        order,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(err())?;
        Ok(ReportPage {
            reports,
            total,
            by_status,
            overdue,
        })
    }
}

/// Each report with its category's 权责清单 entry (`c`), when the category is known.
const WITH_LIMIT: &str =
    "LEFT JOIN reference_item c ON c.kind = 'category' AND c.id = report.category";

/// [`report::is_overdue`] in SQL, with the time as the next parameter.
const OVERDUE: &str = "status IN ('reported', 'assigned', 'in_progress', 'reopened')
     AND order_id IS NULL AND c.limit_hours IS NOT NULL
     AND report.created_at + c.limit_hours * 3600000 < ?";
