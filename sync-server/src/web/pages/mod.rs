//! The page handlers, a file per family of pages. Each handler takes the signed-in
//! [`Supervisor`](super::extract::Supervisor) and the reader's language, reads the store once
//! off the async threads ([`super::blocking`]), and answers a typed page (one struct per
//! template, its fields the template's variables) or a [`PageError`](super::PageError).

pub(crate) mod exports;
pub(crate) mod findings;
pub(crate) mod households;
pub(crate) mod ledger;
pub(crate) mod orders;
pub(crate) mod overview;
pub(crate) mod photos;
pub(crate) mod ratings;
pub(crate) mod workers;

use gridwalk_core::messages::Lang;
use serde::Serialize;

use super::names::Names;
use crate::state::AppState;

/// Names for the codes records hold. A failed read shows codes (logged) rather than failing
/// the page. Called on the blocking pool.
pub(crate) fn names(app: &AppState, lang: Lang) -> Names {
    Names::load(app, lang).unwrap_or_else(|e| {
        tracing::error!(error = %e, "reading names for a page");
        Names::empty(lang)
    })
}

/// A grid of the reader's, for the grid links of a list.
#[derive(Serialize)]
pub(crate) struct GridLink {
    /// Its name.
    pub name: String,
    /// Its code, for the link.
    pub code: String,
}

/// The reader's grids with their names.
pub(crate) fn grid_links(names: &Names, grids: &[String]) -> Vec<GridLink> {
    grids
        .iter()
        .map(|g| GridLink {
            name: names.place(g),
            code: g.clone(),
        })
        .collect()
}
