//! Findings (`/web/findings`): what needs checking in one of the reader's grids, each with its
//! household by address; one kind at a time if asked (each kind counted), a page at a time
//! with the total.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use gridwalk_core::Timestamp;
use gridwalk_core::messages::Message;
use serde::{Deserialize, Serialize};

use super::{GridLink, PAGE_ROWS, Paging, encode, grid_links, names, page_number};
use crate::state::AppState;
use crate::web::extract::{PageLang, Supervisor};
use crate::web::names::NOTHING;
use crate::web::view::{PageView, template};
use crate::web::{PageError, blocking};

/// The findings list's query: the grid, `kind` one kind only, `page` from 1.
#[derive(Deserialize)]
pub(crate) struct FindingsQuery {
    grid: Option<String>,
    #[serde(default)]
    kind: String,
    page: Option<String>,
}

/// A grid's findings, a page at a time.
#[derive(Serialize)]
pub(crate) struct FindingsPage {
    grids: Vec<GridLink>,
    grid: Option<String>,
    grid_name: Option<String>,
    findings: Vec<FindingRow>,
    /// Each kind the grid has, with its count, to show one kind only.
    kinds: Vec<KindLink>,
    kind: String,
    paging: Option<Paging>,
}

/// A kind of finding with how many the grid has.
#[derive(Serialize)]
struct KindLink {
    /// The kind's code, also its `page.*` word.
    code: &'static str,
    count: usize,
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
pub(crate) fn named_detail(detail: &Message, address: Option<&String>) -> Message {
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
    let page_no = page_number(q.page.as_deref());
    let page = blocking(&app, move |app| {
        let names = names(app, lang.lang());
        let mut page = FindingsPage {
            grids: grid_links(&names, &grids),
            grid: None,
            grid_name: None,
            findings: Vec::new(),
            kinds: Vec::new(),
            kind: String::new(),
            paging: None,
        };
        let Some(grid) = grid else {
            return Ok(page);
        };
        let all = app.store.needs_checking(&grid, Timestamp::now())?;
        // The kinds in the order the list has them, each counted.
        for f in &all {
            match page.kinds.iter_mut().find(|k| k.code == f.kind.as_str()) {
                Some(k) => k.count += 1,
                None => page.kinds.push(KindLink {
                    code: f.kind.as_str(),
                    count: 1,
                }),
            }
        }
        let kind = page.kinds.iter().find(|k| k.code == q.kind).map(|k| k.code);
        let chosen: Vec<_> = all
            .iter()
            .filter(|f| kind.is_none_or(|k| f.kind.as_str() == k))
            .collect();
        let total = u32::try_from(chosen.len()).unwrap_or(u32::MAX);
        let shown: Vec<_> = chosen
            .into_iter()
            .skip(((page_no - 1) * PAGE_ROWS) as usize)
            .take(PAGE_ROWS as usize)
            .collect();
        // The shown findings' households by their addresses: the page's rows only.
        let mut ids: Vec<String> = shown.iter().map(|f| f.household_id.clone()).collect();
        ids.sort();
        ids.dedup();
        let addresses: HashMap<String, String> = app
            .store
            .household_summaries(&ids)?
            .into_iter()
            .map(|h| {
                let label = names.address(&h.compound, &h.building, &h.unit, &h.room);
                (h.id.to_string(), label)
            })
            .collect();
        page.findings = shown
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
        let kind = kind.unwrap_or_default();
        let base = format!("/web/findings?grid={}&kind={kind}&", encode(&grid));
        page.paging = Some(Paging::new(total, page_no, &base, lang.lang()));
        page.kind = kind.to_owned();
        page.grid_name = Some(names.place(&grid));
        page.grid = Some(grid);
        Ok(page)
    })
    .await?;
    Ok(PageView::new(page))
}
