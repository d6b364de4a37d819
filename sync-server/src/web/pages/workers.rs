//! A worker's trail (`/web/workers/{user}`): their visits in the reader's grids, newest first.

use std::sync::Arc;

use axum::extract::{Path, State};
use gridwalk_core::messages::Message;
use serde::Serialize;

use super::names;
use crate::state::AppState;
use crate::web::extract::{PageLang, Supervisor};
use crate::web::view::{PageView, template};
use crate::web::{PageError, blocking, minute};

/// A worker's trail.
#[derive(Serialize)]
pub(crate) struct WorkerPage {
    worker: String,
    visits: Vec<TrailRow>,
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

/// `GET /web/workers/{user}`.
pub(crate) async fn worker(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    lang: PageLang,
    Path(user): Path<String>,
) -> Result<PageView<WorkerPage>, PageError> {
    let page = blocking(&app, move |app| {
        let names = names(app, lang.lang());
        if !names.knows_person(&user) {
            return Err(PageError::NotFound(Message::new("web.no_such_person")));
        }
        let visits = app
            .store
            .visits_by_worker(&user, &sup.grids(), 500)?
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
            visits,
        })
    })
    .await?;
    Ok(PageView::new(page))
}
