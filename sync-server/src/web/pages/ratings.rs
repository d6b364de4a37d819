//! Company ratings (`/web/ratings`): the companies serving the reader's compounds, each rated
//! on all its orders in the district.

use std::sync::Arc;

use axum::extract::State;
use gridwalk_core::Timestamp;
use serde::Serialize;

use super::names;
use crate::state::AppState;
use crate::web::extract::{PageLang, Supervisor};
use crate::web::view::{PageView, template};
use crate::web::{PageError, blocking};

/// The ratings.
#[derive(Serialize)]
pub(crate) struct RatingsPage {
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
    color: String,
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
        let in_area = app.store.companies_in_compounds(&sup.compounds())?;
        let names = names(app, lang.lang());
        let ratings = app
            .store
            .company_ratings(Timestamp::now())?
            .into_iter()
            .filter(|r| in_area.contains(&r.company))
            .map(|r| RatingRow {
                name: names.place(&r.company),
                company: r.company,
                score: r.score,
                color: format!("{:?}", r.color).to_lowercase(),
                on_time: format!("{:.0}%", r.on_time_rate * 100.0),
                overdue: r.overdue,
                reopened: r.reopened,
            })
            .collect();
        Ok(RatingsPage { ratings })
    })
    .await?;
    Ok(PageView::new(page))
}
