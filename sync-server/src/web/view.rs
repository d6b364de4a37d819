//! Rendering: a handler answers a typed page ([`PageView`] of a [`Template`]) or a
//! `PageError`; both leave a [`View`] in the response's extensions, and the [`render_views`]
//! layer renders it with the reader's language, name and form token (the way rust-lang/docs.rs
//! renders its templates and error pages in one middleware). A handler so never needs the
//! template engine, and an error raised anywhere (an extractor, the CSRF check) still comes out
//! as a page in the reader's language.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use gridwalk_core::messages::{Lang, Message};
use serde::Serialize;

use super::error::ErrorPage;
use super::extract::{Reader, lang_of};
use super::i18n;
use crate::state::AppState;

/// A page's content: what one template shows. Its fields are the template's variables.
pub(crate) trait Template: Serialize {
    /// The template's file name under `templates/`.
    const NAME: &'static str;
}

/// Declares the template of a page struct.
macro_rules! template {
    ($page:ty, $name:literal) => {
        impl $crate::web::view::Template for $page {
            const NAME: &'static str = $name;
        }
    };
}
pub(crate) use template;

/// A typed page as a handler's answer.
pub(crate) struct PageView<T> {
    page: T,
    /// The form token to put in the page's forms instead of the session's (the login form's).
    csrf: Option<String>,
}

impl<T: Template> PageView<T> {
    /// The page, with the session's form token in its forms.
    pub(crate) fn new(page: T) -> Self {
        PageView { page, csrf: None }
    }

    /// The page with another form token (the login form, before any session).
    pub(crate) fn with_csrf(page: T, csrf: String) -> Self {
        PageView {
            page,
            csrf: Some(csrf),
        }
    }
}

impl<T: Template> IntoResponse for PageView<T> {
    fn into_response(self) -> Response {
        View {
            template: T::NAME,
            content: Content::Page(minijinja::Value::from_serialize(&self.page)),
            csrf: self.csrf,
        }
        .into_response()
    }
}

/// What is left for [`render_views`] to render, carried in a response's extensions.
#[derive(Clone)]
pub(crate) struct View {
    template: &'static str,
    content: Content,
    csrf: Option<String>,
}

#[derive(Clone)]
enum Content {
    Page(minijinja::Value),
    /// An error page: its title's word and its message, rendered in the reader's language.
    Error(&'static str, Message),
}

impl View {
    /// The error page.
    pub(crate) fn error(title: &'static str, message: Message) -> View {
        View {
            template: "error.html",
            content: Content::Error(title, message),
            csrf: None,
        }
    }
}

impl IntoResponse for View {
    fn into_response(self) -> Response {
        let mut resp = Response::new(Body::empty());
        resp.extensions_mut().insert(self);
        resp
    }
}

/// The layer of the `/web` routes that renders the [`View`] a response carries, keeping its
/// status and headers. A page that fails to render is logged and becomes the error page (500).
pub(crate) async fn render_views(
    State(app): State<Arc<AppState>>,
    mut request: Request,
    next: Next,
) -> Response {
    let lang = lang_of(request.headers(), request.uri().query());
    let reader = Reader::default();
    request.extensions_mut().insert(reader.clone());
    let mut resp = next.run(request).await;
    let Some(view) = resp.extensions_mut().remove::<View>() else {
        return resp;
    };
    let html = match render(&app, &view, &lang, &reader) {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(error = %e, template = view.template, "a page failed to render");
            *resp.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            let failed = View::error("server_error", Message::new("page.server_failed"));
            match render(&app, &failed, &lang, &reader) {
                Ok(html) => html,
                Err(_) => {
                    return (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "the page failed to render",
                    )
                        .into_response();
                }
            }
        }
    };
    *resp.body_mut() = Body::from(html);
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(v) = format!("gw_lang={lang}; Path=/; SameSite=Lax").parse() {
        headers.append(header::SET_COOKIE, v);
    }
    resp
}

/// Renders a view with the page's language, the signed-in reader's name and the form token
/// (`csrf`, for the hidden field of every form; see `csrf`).
fn render(
    app: &AppState,
    view: &View,
    lang: &str,
    reader: &Reader,
) -> Result<String, minijinja::Error> {
    let l = lang.to_owned();
    let mut env = app.web.env.clone();
    env.add_function("t", move |key: String| i18n::word(&l, &key));
    // The part of the site a page belongs to, marked in the navigation.
    let section = match view.template {
        "households.html" | "household.html" => "households",
        "findings.html" => "findings",
        "orders.html" | "order.html" => "orders",
        "reports.html" | "report.html" => "reports",
        "ratings.html" => "ratings",
        "ledger.html" => "ledger",
        "workers.html" | "worker.html" => "workers",
        "overview.html" | "screen.html" => "overview",
        _ => "",
    };
    let who = reader.get();
    let user = who.map(|w| w.name.as_str());
    let csrf = view
        .csrf
        .as_deref()
        .or_else(|| who.map(|w| w.csrf.as_str()));
    let content = match &view.content {
        Content::Page(value) => value.clone(),
        Content::Error(title, message) => minijinja::Value::from_serialize(ErrorPage {
            title: i18n::word(lang, title),
            message: message.render(Lang::from_tag(lang)),
        }),
    };
    env.get_template(view.template)?
        .render(minijinja::context! {
            lang => lang, user => user, csrf => csrf, section => section, ..content
        })
}
