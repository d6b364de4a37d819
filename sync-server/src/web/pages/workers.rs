//! The workers (`/web/workers?from=&to=`): each grid worker of the reader's area with their
//! grids, visits and households covered in a period of China-time days, reports filed and
//! handled, last sync and open to-dos, a totals row, each worker linking to their trail; the
//! same table is the monthly workload sheet (网格员工作量考核表, `/web/workers.xlsx`, in
//! web/pages/exports.rs). A worker's trail (`/web/workers/{user}?from=&to=`): their visits in
//! the reader's grids, newest first, a page at a time with the total (no cap), optionally in a
//! date range.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use gridwalk_core::Timestamp;
use gridwalk_core::messages::Message;
use serde::{Deserialize, Serialize};
use time::Date;

use super::{PAGE_ROWS, Paging, encode, names, page_number};
use crate::state::AppState;
use crate::web::extract::{PageLang, Supervisor};
use crate::web::names::Names;
use crate::web::view::{PageView, template};
use crate::web::{PageError, blocking, minute};

/// A period of whole China-time days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Days {
    pub(crate) from: Date,
    pub(crate) to: Date,
}

impl Days {
    /// The period a query names: `from` and `to` as `YYYY-MM-DD`, each defaulting to this
    /// month so far (the first of the month to today, China time); reversed ends are swapped.
    pub(crate) fn from_query(from: Option<&str>, to: Option<&str>, now: Timestamp) -> Days {
        let today = now.china_date();
        let first = today.replace_day(1).unwrap_or(today);
        let from = from.and_then(parse_date).unwrap_or(first);
        let to = to.and_then(parse_date).unwrap_or(today);
        if from <= to {
            Days { from, to }
        } else {
            Days { from: to, to: from }
        }
    }

    /// The first millisecond of `from` and the last of `to`, China time.
    pub(crate) fn bounds(self) -> (Timestamp, Timestamp) {
        let since = Timestamp::china_midnight(self.from);
        let until = Timestamp::china_midnight(self.to)
            .0
            .saturating_add(Timestamp::DAY_MS)
            .saturating_sub(1);
        (since, Timestamp(until))
    }

    /// `from=YYYY-MM-DD&to=YYYY-MM-DD`, for links keeping the period.
    pub(crate) fn query(self) -> String {
        format!("from={}&to={}", self.from, self.to)
    }
}

/// A date written `YYYY-MM-DD` (what `<input type="date">` sends); anything else is none.
fn parse_date(s: &str) -> Option<Date> {
    let mut parts = s.trim().splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u8 = parts.next()?.parse().ok()?;
    let day: u8 = parts.next()?.parse().ok()?;
    if !(1900..=9999).contains(&year) {
        return None;
    }
    Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()
}

/// The workers page's and the trail's query.
#[derive(Deserialize)]
pub(crate) struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
    page: Option<String>,
}

impl PeriodQuery {
    pub(crate) fn days(&self, now: Timestamp) -> Days {
        Days::from_query(self.from.as_deref(), self.to.as_deref(), now)
    }
}

/// A worker's line of the table (and of the workload sheet).
#[derive(Serialize)]
pub(crate) struct WorkerRow {
    pub(crate) user: String,
    pub(crate) name: String,
    /// Their trail in the same period.
    pub(crate) link: String,
    /// Their grids of the reader's area, by name, joined by 、.
    pub(crate) grids: String,
    pub(crate) visits: u32,
    pub(crate) households: u32,
    pub(crate) reports_filed: u32,
    pub(crate) reports_handled: u32,
    /// Their devices' latest sync, China time, or 从未同步.
    pub(crate) last_sync: String,
    pub(crate) open_todos: u32,
}

/// The totals row: sums of the workers' lines (households: each worker's own count added up,
/// so a household two workers visited counts for both).
#[derive(Serialize, Default)]
pub(crate) struct WorkloadTotals {
    pub(crate) visits: u32,
    pub(crate) households: u32,
    pub(crate) reports_filed: u32,
    pub(crate) reports_handled: u32,
    pub(crate) open_todos: u32,
}

/// The workers of the reader's area in a period.
#[derive(Serialize)]
pub(crate) struct Workload {
    pub(crate) rows: Vec<WorkerRow>,
    pub(crate) totals: WorkloadTotals,
}

/// The reader's area's workers and their counts in `days`. The workers are the grid workers
/// granted a grid of the reader's (`Accounts::grid_workers`) and anyone else who visited there
/// in the period; nobody working only elsewhere is named, nor are their devices. Called on the
/// blocking pool.
pub(crate) fn gather(
    app: &AppState,
    sup: &Supervisor,
    names: &Names,
    days: Days,
) -> Result<Workload, PageError> {
    let grids = sup.grids();
    // user → their grids of the reader's area.
    let mut workers: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for grid in &grids {
        for (user, _) in app.accounts.grid_workers(grid)? {
            workers.entry(user).or_default().push(grid.clone());
        }
    }
    let (since, until) = days.bounds();
    let mut loads: BTreeMap<String, _> = app
        .store
        .workload(&grids, since, until)?
        .into_iter()
        .map(|l| (l.worker.clone(), l))
        .collect();
    for (user, load) in &loads {
        if load.visits > 0 {
            workers.entry(user.clone()).or_default();
        }
    }
    let mut last_sync: BTreeMap<String, Timestamp> = BTreeMap::new();
    for (_, user, at, _) in app.accounts.devices()? {
        if workers.contains_key(&user) {
            let latest = last_sync.entry(user).or_insert(at);
            *latest = (*latest).max(at);
        }
    }
    let mut totals = WorkloadTotals::default();
    let mut rows: Vec<WorkerRow> = workers
        .into_iter()
        .map(|(user, their_grids)| {
            let load = loads.remove(&user).unwrap_or_default();
            totals.visits += load.visits;
            totals.households += load.households;
            totals.reports_filed += load.reports_filed;
            totals.reports_handled += load.reports_handled;
            totals.open_todos += load.open_todos;
            WorkerRow {
                name: names.person(&user),
                link: format!("/web/workers/{}?{}", encode(&user), days.query()),
                grids: their_grids
                    .iter()
                    .map(|g| names.place(g))
                    .collect::<Vec<_>>()
                    .join("、"),
                visits: load.visits,
                households: load.households,
                reports_filed: load.reports_filed,
                reports_handled: load.reports_handled,
                last_sync: last_sync.get(&user).map_or_else(
                    || Message::new("web.never_synced").render(names.lang()),
                    |at| minute(*at),
                ),
                open_todos: load.open_todos,
                user,
            }
        })
        .collect();
    rows.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.user.cmp(&b.user)));
    Ok(Workload { rows, totals })
}

/// The workers page.
#[derive(Serialize)]
pub(crate) struct WorkersPage {
    from: String,
    to: String,
    /// This month so far and last month, as quick choices.
    this_month: String,
    last_month: String,
    /// The workload sheet of the same period.
    export: String,
    #[serde(flatten)]
    workload: Workload,
}
template!(WorkersPage, "workers.html");

/// `GET /web/workers`.
pub(crate) async fn workers(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    lang: PageLang,
    Query(q): Query<PeriodQuery>,
) -> Result<PageView<WorkersPage>, PageError> {
    let now = Timestamp::now();
    let days = q.days(now);
    let page = blocking(&app, move |app| {
        let names = names(app, lang.lang());
        let workload = gather(app, &sup, &names, days)?;
        let this = Days::from_query(None, None, now);
        let last_of_previous = this.from.previous_day().unwrap_or(this.from);
        let previous = Days {
            from: last_of_previous.replace_day(1).unwrap_or(last_of_previous),
            to: last_of_previous,
        };
        Ok(WorkersPage {
            from: days.from.to_string(),
            to: days.to.to_string(),
            this_month: format!("/web/workers?{}", this.query()),
            last_month: format!("/web/workers?{}", previous.query()),
            export: format!("/web/workers.xlsx?{}", days.query()),
            workload,
        })
    })
    .await?;
    Ok(PageView::new(page))
}

/// A worker's trail, a page at a time.
#[derive(Serialize)]
pub(crate) struct WorkerPage {
    worker: String,
    /// The period shown, if one was asked for.
    from: Option<String>,
    to: Option<String>,
    visits: Vec<TrailRow>,
    paging: Paging,
}
template!(WorkerPage, "worker.html");

/// A visit of the trail.
#[derive(Serialize)]
struct TrailRow {
    household: String,
    label: String,
    at: String,
    purpose: String,
    notes: String,
}

/// `GET /web/workers/{user}`: every visit, or with `from`/`to` those of the period.
pub(crate) async fn worker(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    lang: PageLang,
    Path(user): Path<String>,
    Query(q): Query<PeriodQuery>,
) -> Result<PageView<WorkerPage>, PageError> {
    let page_no = page_number(q.page.as_deref());
    let ranged = q.from.is_some() || q.to.is_some();
    let days = q.days(Timestamp::now());
    let page = blocking(&app, move |app| {
        let names = names(app, lang.lang());
        if !names.knows_person(&user) {
            return Err(PageError::NotFound(Message::new("web.no_such_person")));
        }
        let found = app.store.page_worker_visits(
            &user,
            &sup.grids(),
            ranged.then(|| days.bounds()),
            (page_no - 1) * PAGE_ROWS,
            PAGE_ROWS,
        )?;
        let base = if ranged {
            format!("/web/workers/{}?{}&", encode(&user), days.query())
        } else {
            format!("/web/workers/{}?", encode(&user))
        };
        let paging = Paging::new(found.total, page_no, &base, lang.lang());
        let visits = found
            .visits
            .into_iter()
            .map(|v| TrailRow {
                household: v.household_id.to_string(),
                label: names.address(&v.compound, &v.building, &v.unit, &v.room),
                at: minute(v.at),
                purpose: names.term("purpose", &v.purpose),
                notes: v.notes,
            })
            .collect();
        Ok(WorkerPage {
            worker: names.person(&user),
            from: ranged.then(|| days.from.to_string()),
            to: ranged.then(|| days.to.to_string()),
            visits,
            paging,
        })
    })
    .await?;
    Ok(PageView::new(page))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_period_is_whole_china_days() {
        // 2026-12-01 01:30 UTC is 09:30 on 12-01 in China.
        let now = Timestamp(1_796_088_600_000);
        let d = Days::from_query(None, None, now);
        assert_eq!(d.from, date!(2026 - 12 - 01));
        assert_eq!(d.to, date!(2026 - 12 - 01));
        let (since, until) = d.bounds();
        // China midnight of 12-01 is 2026-11-30 16:00 UTC.
        assert_eq!(since, Timestamp(1_796_054_400_000));
        assert_eq!(until, Timestamp(1_796_054_400_000 + Timestamp::DAY_MS - 1));
        let d = Days::from_query(Some("2026-11-30"), Some("2026-11-01"), now);
        assert_eq!(
            (d.from, d.to),
            (date!(2026 - 11 - 01), date!(2026 - 11 - 30))
        );
        assert_eq!(d.query(), "from=2026-11-01&to=2026-11-30");
        let d = Days::from_query(Some("2026-13-01"), Some("yesterday"), now);
        assert_eq!(
            (d.from, d.to),
            (date!(2026 - 12 - 01), date!(2026 - 12 - 01))
        );
    }
}
