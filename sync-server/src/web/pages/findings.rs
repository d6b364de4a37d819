//! Findings (`/web/findings`): what needs checking in one of the reader's grids, each with its
//! household by address.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use gridwalk_core::Timestamp;
use gridwalk_core::messages::Message;
use gridwalk_core::store::queries::AddressScope;
use serde::{Deserialize, Serialize};

use super::{GridLink, grid_links, names};
use crate::state::AppState;
use crate::web::extract::{PageLang, Supervisor};
use crate::web::names::NOTHING;
use crate::web::view::{PageView, template};
use crate::web::{PageError, blocking};

/// The findings list's query.
#[derive(Deserialize)]
pub(crate) struct FindingsQuery {
    grid: Option<String>,
}

/// A grid's findings.
#[derive(Serialize)]
pub(crate) struct FindingsPage {
    grids: Vec<GridLink>,
    grid: Option<String>,
    grid_name: Option<String>,
    findings: Vec<FindingRow>,
}
template!(FindingsPage, "findings.html");

/// A finding's line.
#[derive(Serialize)]
struct FindingRow {
    /// The finding's kind, a `page.*` word.
    kind: &'static str,
    household_id: String,
    household: String,
    detail: String,
}

/// A finding's detail with the household's address by name: the stored message names it by
/// its codes (the phone has no names for every place when it decides a finding).
fn named_detail(detail: &Message, address: Option<&String>) -> Message {
    match address {
        Some(a) if detail.params.contains_key("address") => detail.clone().with("address", a),
        _ => detail.clone(),
    }
}

/// `GET /web/findings?grid=`.
pub(crate) async fn findings(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    lang: PageLang,
    Query(q): Query<FindingsQuery>,
) -> Result<PageView<FindingsPage>, PageError> {
    let grids = sup.grids();
    let grid = q.grid.or_else(|| grids.first().cloned());
    if let Some(g) = &grid
        && !grids.contains(g)
    {
        return Err(sup.refuse("findings of another grid"));
    }
    let page = blocking(&app, move |app| {
        let names = names(app, lang.lang());
        let mut page = FindingsPage {
            grids: grid_links(&names, &grids),
            grid: None,
            grid_name: None,
            findings: Vec::new(),
        };
        let Some(grid) = grid else {
            return Ok(page);
        };
        let list = app.store.needs_checking(&grid, Timestamp::now())?;
        // Each finding's household by its address, from the grid's list.
        let addresses: HashMap<String, String> = app
            .store
            .list_households(&AddressScope::Grid(grid.clone()), 0, u32::MAX)?
            .households
            .into_iter()
            .map(|h| {
                let label = names.address(&h.compound, &h.building, &h.unit, &h.room);
                (h.id.to_string(), label)
            })
            .collect();
        page.findings = list
            .iter()
            .map(|f| {
                let address = addresses.get(&f.household_id);
                FindingRow {
                    kind: f.kind.as_str(),
                    household_id: f.household_id.clone(),
                    household: address.cloned().unwrap_or_else(|| NOTHING.to_owned()),
                    detail: named_detail(&f.detail, address).render(lang.lang()),
                }
            })
            .collect();
        page.grid_name = Some(names.place(&grid));
        page.grid = Some(grid);
        Ok(page)
    })
    .await?;
    Ok(PageView::new(page))
}
