//! Company ratings (`/web/ratings`): the companies serving the reader's compounds, each rated
//! on all its orders in the district, the worst first — as bars coloured by rating
//! (`charts::RatingsChart`) and, beside them, the table with the figures behind each score.

use std::sync::Arc;

use axum::extract::State;
use gridwalk_core::Timestamp;
use serde::Serialize;

use super::charts::{self, RatingsChart};
use super::names;
use crate::state::AppState;
use crate::web::extract::{PageLang, Supervisor};
use crate::web::view::{PageView, template};
use crate::web::{PageError, blocking};

/// The ratings.
#[derive(Serialize)]
pub(crate) struct RatingsPage {
    rating_chart: RatingsChart,
    ratings: Vec<RatingRow>,
}
template!(RatingsPage, "ratings.html");

/// A company's line.
#[derive(Serialize)]
struct RatingRow {
    company: String,
    name: String,
    score: i32,
    /// `green`, `yellow` or `red`: a CSS class and a `page.*` word.
    color: &'static str,
    on_time: String,
    overdue: u32,
    reopened: u32,
}

/// `GET /web/ratings`.
pub(crate) async fn ratings(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    lang: PageLang,
) -> Result<PageView<RatingsPage>, PageError> {
    let page = blocking(&app, move |app| {
        let now = Timestamp::now();
        let in_area = app.store.companies_in_compounds(&sup.compounds())?;
        let names = names(app, lang.lang());
        let rated: Vec<_> = app
            .store
            .company_ratings(now)?
            .into_iter()
            .filter(|r| in_area.contains(&r.company))
            .collect();
        let chart = charts::ratings_chart(
            rated
                .iter()
                .map(|r| (r.company.clone(), names.place(&r.company), r.score, r.color))
                .collect(),
        );
        let mut ratings: Vec<RatingRow> = rated
            .into_iter()
            .map(|r| RatingRow {
                name: names.place(&r.company),
                company: r.company,
                score: r.score,
                color: charts::color_name(r.color),
                on_time: format!("{:.0}%", r.on_time_rate * 100.0),
                overdue: r.overdue,
                reopened: r.reopened,
            })
            .collect();
        // The worst first, as the chart beside it.
        ratings.sort_by(|a, b| a.score.cmp(&b.score).then_with(|| a.name.cmp(&b.name)));
        Ok(RatingsPage {
            rating_chart: chart,
            ratings,
        })
    })
    .await?;
    Ok(PageView::new(page))
}
