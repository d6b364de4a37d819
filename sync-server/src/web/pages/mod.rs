//! The page handlers, a file per family of pages. Each handler takes the signed-in
//! [`Supervisor`](super::extract::Supervisor) and the reader's language, reads the store once
//! off the async threads ([`super::blocking`]), and answers a typed page (one struct per
//! template, its fields the template's variables) or a [`PageError`](super::PageError).

pub(crate) mod area_figures;
pub(crate) mod charts;
pub(crate) mod exports;
pub(crate) mod findings;
pub(crate) mod household_findings;
pub(crate) mod households;
pub(crate) mod ledger;
pub(crate) mod orders;
pub(crate) mod overview;
pub(crate) mod photos;
pub(crate) mod ratings;
pub(crate) mod reports;
pub(crate) mod screen;
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

/// Rows per page of a list.
pub(crate) const PAGE_ROWS: u32 = 50;

/// A query string's value, percent-encoded (RFC 3986 unreserved characters kept).
pub(crate) fn encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where a list's page stands: the total, which page of how many, and links to the pages
/// before and after (the list's own query kept).
#[derive(Serialize)]
pub(crate) struct Paging {
    /// The rows the query matches in all.
    pub total: u32,
    /// This page, from 1.
    pub page: u32,
    /// Pages in all (at least 1).
    pub pages: u32,
    /// "共 N 条，第 x/y 页".
    pub line: String,
    /// The previous page's link, if any.
    pub prev: Option<String>,
    /// The next page's link, if any.
    pub next: Option<String>,
}

impl Paging {
    /// Page `page` (from 1) of `total` rows, linked as `{base}page=N` (`base` ends in `?` or
    /// `&`).
    pub(crate) fn new(total: u32, page: u32, base: &str, lang: Lang) -> Paging {
        let pages = total.div_ceil(PAGE_ROWS).max(1);
        let line = gridwalk_core::messages::Message::new("page.list_total")
            .with("total", total)
            .with("page", page)
            .with("pages", pages)
            .render(lang);
        Paging {
            total,
            page,
            pages,
            line,
            prev: (page > 1).then(|| format!("{base}page={}", page - 1)),
            next: (page < pages).then(|| format!("{base}page={}", page + 1)),
        }
    }
}

/// A page number from a query (from 1; anything else is the first page).
pub(crate) fn page_number(raw: Option<&str>) -> u32 {
    raw.and_then(|p| p.parse().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1)
}
