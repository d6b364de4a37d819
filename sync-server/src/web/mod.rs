//! The supervisors' web pages, rendered on the server (minijinja templates compiled into the
//! binary, no front-end build). Simplified Chinese by default, English with `?lang=en`.
//!
//! A page is for supervisors and administrators only, and shows only their area: every handler
//! works out the session's scopes on the server and checks each record against them.

pub mod csrf;
mod i18n;
mod names;
mod pages;
mod sign_in;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use gridwalk_core::{Role, Timestamp};
use minijinja::Environment;

use crate::accounts::Session;
use crate::api::AppState;

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
    ("ratings.html", include_str!("../../templates/ratings.html")),
    ("worker.html", include_str!("../../templates/worker.html")),
    ("ledger.html", include_str!("../../templates/ledger.html")),
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

/// The routes under `/web`; a POST from another site is refused before any of them runs
/// ([`csrf`]).
pub fn routes(state: Arc<AppState>) -> Router<Arc<AppState>> {
    Router::new()
        .route("/web", get(pages::overview))
        .route("/web/login", get(sign_in::login_form).post(sign_in::login))
        .route("/web/logout", post(sign_in::logout))
        .route("/web/households", get(pages::households))
        .route("/web/households/{id}", get(pages::household))
        .route("/web/findings", get(pages::findings))
        .route("/web/orders", get(pages::orders))
        .route("/web/orders/{id}", get(pages::order))
        .route("/web/ratings", get(pages::ratings))
        .route("/web/workers/{user}", get(pages::worker))
        .route("/web/ledger", get(pages::ledger))
        .route("/web/ledger/preview", post(pages::ledger_preview))
        .route("/web/ledger/commit", post(pages::ledger_commit))
        .route("/web/ledger/bad-rows/{upload}", get(pages::ledger_bad_rows))
        .route("/web/ledger/template.xlsx", get(pages::ledger_template))
        .route("/web/export/{file}", get(pages::export))
        .route("/web/photos/{hash}", get(pages::photo))
        .layer(axum::middleware::from_fn_with_state(
            state,
            csrf::check_origin,
        ))
}

/// The language of a request: `?lang=` first, then the `gw_lang` cookie, then Chinese.
pub(crate) fn lang(headers: &HeaderMap, query_lang: Option<&str>) -> String {
    if let Some(l) = query_lang.filter(|l| *l == "en" || *l == "zh") {
        return l.to_owned();
    }
    cookie(headers, "gw_lang")
        .filter(|l| l == "en")
        .unwrap_or_else(|| "zh".into())
}

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

/// Renders a template with the page's language, user and form token (`csrf`, for the hidden
/// field of every form; see [`csrf`]).
pub(crate) fn render(
    app: &AppState,
    template: &str,
    lang: &str,
    user: Option<&str>,
    csrf: Option<&str>,
    ctx: minijinja::Value,
) -> Response {
    let l = lang.to_owned();
    let mut env = app.web.env.clone();
    env.add_function("t", move |key: String| i18n::word(&l, &key));
    // The part of the site a page belongs to, marked in the navigation.
    let section = match template {
        "households.html" | "household.html" => "households",
        "findings.html" => "findings",
        "orders.html" | "order.html" => "orders",
        "ratings.html" => "ratings",
        "ledger.html" => "ledger",
        "overview.html" | "worker.html" => "overview",
        _ => "",
    };
    let page = env.get_template(template).and_then(|t| {
        t.render(minijinja::context! { lang => lang, user => user, csrf => csrf, section => section, ..ctx })
    });
    match page {
        Ok(html) => {
            let mut resp = Html(html).into_response();
            if let Ok(v) = format!("gw_lang={lang}; Path=/; SameSite=Lax").parse() {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
            resp
        }
        Err(e) => {
            tracing::error!(error = %e, template, "a page failed to render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the page failed to render",
            )
                .into_response()
        }
    }
}

/// An error page with a status.
pub(crate) fn error_page(
    app: &AppState,
    status: StatusCode,
    lang: &str,
    user: Option<&str>,
    csrf: Option<&str>,
    key: &str,
    message: &gridwalk_core::messages::Message,
) -> Response {
    let text = message.render(gridwalk_core::messages::Lang::from_tag(lang));
    let mut resp = render(
        app,
        "error.html",
        lang,
        user,
        csrf,
        minijinja::context! { title => i18n::word(lang, key), message => text },
    );
    *resp.status_mut() = status;
    resp
}

/// The signed-in supervisor (or admin) of a page request, or the response to send instead:
/// the login page for no session, a 403 page for other roles.
pub(crate) async fn supervisor(
    app: &Arc<AppState>,
    headers: &HeaderMap,
    lang: &str,
) -> Result<Session, Response> {
    let Some(token) = cookie(headers, "gw_session") else {
        return Err(Redirect::to("/web/login").into_response());
    };
    let accounts = app.accounts.clone();
    let form_token = csrf::for_session(&token);
    let session =
        tokio::task::spawn_blocking(move || accounts.authenticate(&token, Timestamp::now()))
            .await
            .ok()
            .and_then(Result::ok);
    let Some(session) = session else {
        return Err(Redirect::to("/web/login").into_response());
    };
    if !matches!(session.actor.role, Role::Supervisor | Role::Admin) {
        tracing::warn!(user = %session.actor.user_id, "refused the web pages to a non-supervisor");
        return Err(error_page(
            app,
            StatusCode::FORBIDDEN,
            lang,
            Some(&session.actor.user_id),
            Some(&form_token),
            "forbidden",
            &gridwalk_core::messages::Message::new("web.supervisors_only"),
        ));
    }
    Ok(session)
}
