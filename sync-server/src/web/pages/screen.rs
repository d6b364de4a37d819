//! The 大屏 (`/web/screen`, issue 15 part 4): the overview's key figures for the reader's area
//! and the last 7 days — the overview's default period, gathered by the same
//! [`area_figures::gather`] so the two pages never disagree — in large type on a dark ground,
//! with the visits trend and the companies' scores, for the wall screen of an operations
//! centre. It reloads itself every minute (`<meta http-equiv="refresh">`, no script) and shows
//! when its data was read.

use std::sync::Arc;

use axum::extract::State;
use gridwalk_core::Timestamp;
use serde::Serialize;

use super::area_figures::{self, AreaFigures};
use super::charts::{self, RatingsChart, TrendChart};
use super::names;
use crate::state::AppState;
use crate::web::extract::{PageLang, Supervisor};
use crate::web::view::{PageView, template};
use crate::web::{PageError, blocking, minute};

/// The period of the 大屏's figures, in days: the overview's default.
const SCREEN_DAYS: i64 = 7;

/// The 大屏.
#[derive(Serialize)]
pub(crate) struct ScreenPage {
    /// When the data was read, China time to the minute.
    data_time: String,
    figures: AreaFigures,
    trend: TrendChart,
    rating_chart: RatingsChart,
}
template!(ScreenPage, "screen.html");

/// `GET /web/screen`.
pub(crate) async fn screen(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    lang: PageLang,
) -> Result<PageView<ScreenPage>, PageError> {
    let page = blocking(&app, move |app| {
        let now = Timestamp::now();
        let names = names(app, lang.lang());
        Ok(ScreenPage {
            data_time: minute(now),
            figures: area_figures::gather(app, &sup, &names, now.minus_days(SCREEN_DAYS), now)?,
            trend: charts::visits_trend(app, &sup, &names, now)?,
            rating_chart: charts::area_ratings(app, &sup, &names, now)?,
        })
    })
    .await?;
    Ok(PageView::new(page))
}
