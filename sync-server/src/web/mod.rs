//! The supervisors' web pages, rendered on the server (minijinja templates compiled into the
//! binary, no front-end build). Simplified Chinese by default, English with `?lang=en`.
//!
//! A page is for supervisors and administrators only, and shows only their area: the
//! [`extract::Supervisor`] extractor works out the session's scopes on the server, and every
//! handler checks each record against them. Handlers read the store off the async threads
//! ([`blocking`]), build a typed page (`pages::*::…Page`, one per template) or a
//! [`PageError`], and `view::render_views` renders either in the reader's language. The routes
//! are in `crate::routes`.

pub mod csrf;
pub(crate) mod error;
pub(crate) mod extract;
pub(crate) mod i18n;
mod names;
pub(crate) mod pages;
pub(crate) mod sign_in;
pub(crate) mod view;

use std::sync::Arc;

use axum::http::{HeaderMap, header};
use gridwalk_core::Timestamp;
use minijinja::Environment;

pub use error::PageError;

use crate::state::AppState;

/// Template names and sources.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../templates/base.html")),
    ("login.html", include_str!("../../templates/login.html")),
    ("error.html", include_str!("../../templates/error.html")),
    (
        "overview.html",
        include_str!("../../templates/overview.html"),
    ),
    (
        "households.html",
        include_str!("../../templates/households.html"),
    ),
    (
        "household.html",
        include_str!("../../templates/household.html"),
    ),
    (
        "findings.html",
        include_str!("../../templates/findings.html"),
    ),
    ("orders.html", include_str!("../../templates/orders.html")),
    ("order.html", include_str!("../../templates/order.html")),
    ("reports.html", include_str!("../../templates/reports.html")),
    ("report.html", include_str!("../../templates/report.html")),
    ("ratings.html", include_str!("../../templates/ratings.html")),
    ("worker.html", include_str!("../../templates/worker.html")),
    ("workers.html", include_str!("../../templates/workers.html")),
    ("ledger.html", include_str!("../../templates/ledger.html")),
    ("screen.html", include_str!("../../templates/screen.html")),
    (
        "chart_trend.html",
        include_str!("../../templates/chart_trend.html"),
    ),
    (
        "chart_ratings.html",
        include_str!("../../templates/chart_ratings.html"),
    ),
];

/// What the pages share besides the app state.
pub struct Web {
    env: Environment<'static>,
    /// The key of the login forms' tokens.
    login_tokens: csrf::LoginTokens,
}

impl Web {
    /// Compiles the templates.
    pub fn new() -> Web {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .expect("the templates compile");
        }
        Web {
            env,
            login_tokens: csrf::LoginTokens::new(),
        }
    }
}

impl Default for Web {
    fn default() -> Self {
        Self::new()
    }
}

/// Runs `f` (store and accounts reads, CPU work on a file) on the blocking pool, never on the
/// runtime's threads; a panic in it is a 500.
pub(crate) async fn blocking<T, F>(app: &Arc<AppState>, f: F) -> Result<T, PageError>
where
    T: Send + 'static,
    F: FnOnce(&AppState) -> Result<T, PageError> + Send + 'static,
{
    let app = app.clone();
    tokio::task::spawn_blocking(move || f(&app)).await?
}

/// A cookie's value.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// A day in China time: `2026-11-30`.
pub(crate) fn day(t: Timestamp) -> String {
    t.china_date().to_string()
}

/// A minute in China time: `2026-11-30 21:30`.
pub(crate) fn minute(t: Timestamp) -> String {
    let offset = time::UtcOffset::from_hms(8, 0, 0).expect("valid offset");
    // A time at the edge of the calendar (a crafted record) shows as nothing, never a panic.
    time::OffsetDateTime::from_unix_timestamp(t.0 / 1000)
        .ok()
        .and_then(|d| d.checked_to_offset(offset))
        .map(|d| format!("{} {:02}:{:02}", d.date(), d.hour(), d.minute()))
        .unwrap_or_default()
}
