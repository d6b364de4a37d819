//! The overview (`/web?period=`): the morning questions of a 社区 or 街道 supervisor answered for
//! the reader's area and a chosen period (today, 7 days, 30 days) — how many households were
//! visited of how many, per grid and per building (a heat grid), how many never were; elderly
//! people living alone due a visit; what needs checking, by kind; open and overdue orders, the
//! most overdue first with their days; companies rated red or yellow; devices not synced for
//! three days. Every figure links to the list behind it.

use std::sync::Arc;

use axum::extract::{Query, State};
use gridwalk_core::Timestamp;
use serde::{Deserialize, Serialize};

use super::area_figures::{self, AreaFigures};
use super::charts::{self, TrendChart};
use super::names;
use crate::state::AppState;
use crate::web::extract::{PageLang, Supervisor};
use crate::web::view::{PageView, template};
use crate::web::{PageError, blocking, day};

/// The periods the overview offers: the query value, the catalogue term, and the days back
/// (0: since midnight today, China time).
const PERIODS: [(&str, &str, i64); 3] = [
    ("today", "today", 0),
    ("7d", "last_7_days", 7),
    ("30d", "last_30_days", 30),
];

/// The overview's query: `period` is `today`, `7d` (the default) or `30d`.
#[derive(Deserialize)]
pub(crate) struct OverviewQuery {
    #[serde(default)]
    period: String,
}

/// The overview.
#[derive(Serialize)]
pub(crate) struct OverviewPage {
    /// Today's date, China time.
    today: String,
    periods: Vec<PeriodLink>,
    /// The chosen period's query value.
    period: &'static str,
    /// The area's figures for the period (shared with the 大屏).
    #[serde(flatten)]
    figures: AreaFigures,
    /// Visits per day per worker over the last 30 days.
    trend: TrendChart,
}
template!(OverviewPage, "overview.html");

/// A period to choose.
#[derive(Serialize)]
struct PeriodLink {
    code: &'static str,
    term: &'static str,
    current: bool,
}

/// `GET /web`.
pub(crate) async fn overview(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    lang: PageLang,
    Query(q): Query<OverviewQuery>,
) -> Result<PageView<OverviewPage>, PageError> {
    let (period, _, days) = PERIODS
        .iter()
        .copied()
        .find(|(code, _, _)| *code == q.period)
        .unwrap_or(PERIODS[1]);
    let page = blocking(&app, move |app| {
        let now = Timestamp::now();
        let since = match days {
            0 => Timestamp::china_midnight(now.china_date()),
            d => now.minus_days(d),
        };
        let names = names(app, lang.lang());
        let figures = area_figures::gather(app, &sup, &names, since, now)?;
        let trend = charts::visits_trend(app, &sup, &names, now)?;
        Ok(OverviewPage {
            today: day(now),
            periods: PERIODS
                .iter()
                .map(|(code, term, _)| PeriodLink {
                    code,
                    term,
                    current: *code == period,
                })
                .collect(),
            period,
            figures,
            trend,
        })
    })
    .await?;
    Ok(PageView::new(page))
}
