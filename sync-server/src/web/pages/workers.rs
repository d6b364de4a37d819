//! A worker's trail (`/web/workers/{user}`): their visits in the reader's grids, newest first,
//! a page at a time with the total (no cap).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use gridwalk_core::messages::Message;
use serde::{Deserialize, Serialize};

use super::{PAGE_ROWS, Paging, encode, names, page_number};
use crate::state::AppState;
use crate::web::extract::{PageLang, Supervisor};
use crate::web::view::{PageView, template};
use crate::web::{PageError, blocking, minute};

/// The trail's query: `page` from 1.
#[derive(Deserialize)]
pub(crate) struct TrailQuery {
    page: Option<String>,
}

/// A worker's trail, a page at a time.
#[derive(Serialize)]
pub(crate) struct WorkerPage {
    worker: String,
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

/// `GET /web/workers/{user}`.
pub(crate) async fn worker(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    lang: PageLang,
    Path(user): Path<String>,
    Query(q): Query<TrailQuery>,
) -> Result<PageView<WorkerPage>, PageError> {
    let page_no = page_number(q.page.as_deref());
    let page = blocking(&app, move |app| {
        let names = names(app, lang.lang());
        if !names.knows_person(&user) {
            return Err(PageError::NotFound(Message::new("web.no_such_person")));
        }
        let found = app.store.page_worker_visits(
            &user,
            &sup.grids(),
            (page_no - 1) * PAGE_ROWS,
            PAGE_ROWS,
        )?;
        let base = format!("/web/workers/{}?", encode(&user));
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
            visits,
            paging,
        })
    })
    .await?;
    Ok(PageView::new(page))
}
