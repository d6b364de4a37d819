//! Signing in and out of the pages: the login form with its pre-session form token (a cookie
//! and its HMAC, see [`super::csrf`]), the session cookie, and signing out of one session.

use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use gridwalk_core::RecordId;
use gridwalk_core::messages::Message;

use super::extract::PageLang;
use super::view::{PageView, template};
use super::{PageError, csrf};
use crate::accounts::WEB_DEVICE_PREFIX;
use crate::state::AppState;

/// The login page.
#[derive(serde::Serialize)]
pub(crate) struct LoginPage {
    /// Why the last attempt failed, in the reader's language.
    error: Option<String>,
}
template!(LoginPage, "login.html");

/// The login page with a fresh form token and its cookie, an error if there is one, and a
/// status.
fn login_page(
    app: &AppState,
    lang: &PageLang,
    status: StatusCode,
    error: Option<Message>,
) -> Response {
    let (nonce, token) = app.web.login_tokens.issue();
    let error = error.map(|e| e.render(lang.lang()));
    let mut resp = PageView::with_csrf(LoginPage { error }, token).into_response();
    *resp.status_mut() = status;
    let cookie = format!(
        "{}={nonce}; Path=/web/login; HttpOnly; SameSite=Strict{}",
        csrf::LOGIN_COOKIE,
        if app.secure_cookies { "; Secure" } else { "" }
    );
    if let Ok(v) = cookie.parse() {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// `GET /web/login`.
pub(crate) async fn login_form(State(app): State<Arc<AppState>>, lang: PageLang) -> Response {
    login_page(&app, &lang, StatusCode::OK, None)
}

#[derive(serde::Deserialize)]
pub(crate) struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    csrf: String,
}

/// A failed sign-in as a message: wrong password, or locked out for a while.
fn login_error(e: &crate::accounts::AccountError) -> Message {
    use crate::accounts::AccountError;
    match e {
        AccountError::LockedOut(wait) => {
            Message::new("error.too_many_attempts").with("seconds", wait.as_secs().max(1))
        }
        AccountError::WrongPassword | AccountError::BadToken(_) | AccountError::Invalid(_) => {
            Message::new("web.wrong_password")
        }
        _ => Message::new("web.sign_in_failed"),
    }
}

/// `POST /web/login`: the session cookie and the overview, or the form again with why.
pub(crate) async fn login(
    State(app): State<Arc<AppState>>,
    client: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    lang: PageLang,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Response {
    // A login form this server gave this browser, or nothing is checked (login CSRF: another
    // site signing the browser in as someone else). The form comes back with a fresh token.
    let form = match form {
        Ok(Form(form)) if app.web.login_tokens.matches(&headers, &form.csrf) => form,
        _ => {
            tracing::warn!("refused a sign-in without the login form's token");
            let why = Message::new("web.form_expired");
            return login_page(&app, &lang, StatusCode::FORBIDDEN, Some(why));
        }
    };
    // The address the connection came from (absent when served without connect info), or the
    // one the server's proxy names.
    let client = app.client_address(client.map(|c| c.0.0), &headers);
    // A fresh device id per sign-in: a token is bound to it, and nobody can guess it.
    let device = format!("{WEB_DEVICE_PREFIX}{}", RecordId::generate());
    // Counted first, then delayed without holding a connection or a thread, then checked.
    let result = crate::accounts::sign_in(
        app.accounts.clone(),
        form.username,
        form.password,
        device,
        client,
    )
    .await;
    match result {
        Ok(Ok(issued)) => {
            let mut resp = Redirect::to("/web").into_response();
            let cookie = format!(
                "gw_session={}; Path=/; HttpOnly; SameSite=Lax{}",
                issued.token,
                if app.secure_cookies { "; Secure" } else { "" }
            );
            for c in [
                cookie,
                format!("{}=; Path=/web/login; Max-Age=0", csrf::LOGIN_COOKIE),
            ] {
                if let Ok(v) = c.parse() {
                    resp.headers_mut().append(header::SET_COOKIE, v);
                }
            }
            resp
        }
        Ok(Err(e)) => login_page(&app, &lang, StatusCode::UNAUTHORIZED, Some(login_error(&e))),
        Err(e) => PageError::internal(e).into_response(),
    }
}

#[derive(serde::Deserialize)]
pub(crate) struct TokenForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /web/logout`: this session's token revoked, the cookie cleared.
pub(crate) async fn logout(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let Some(token) = super::cookie(&headers, "gw_session") else {
        return Redirect::to("/web/login").into_response();
    };
    if !form.is_ok_and(|Form(f)| csrf::session_token_matches(&headers, &f.csrf)) {
        // Another site cannot sign a supervisor out either.
        tracing::warn!("refused a sign-out without the session's form token");
        return PageError::form_expired().into_response();
    }
    let accounts = app.accounts.clone();
    match tokio::task::spawn_blocking(move || accounts.revoke_token(&token)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::error!(error = %e, "signing out: the token was not revoked"),
        Err(e) => tracing::error!(error = %e, "signing out: the task failed"),
    }
    let mut resp = Redirect::to("/web/login").into_response();
    if let Ok(v) = "gw_session=; Path=/; Max-Age=0".parse() {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}
