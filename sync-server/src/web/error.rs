//! One error type for the pages, [`PageError`]: each variant is a status and a message, and
//! renders itself as the error page in the reader's language (through `view::render_views`,
//! which knows the language and who is signed in). Not signed in is a redirect to the login
//! page; a failure inside the server is logged here and shown as a 500 page that says nothing of
//! its cause.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use gridwalk_core::messages::Message;

use super::view::View;

/// Why a page is not shown.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// No session, or one that has ended: the login page.
    #[error("not signed in")]
    SignIn,
    /// 403: not the reader's to see or do (another area, not a supervisor, a form without the
    /// session's token, a cross-site POST).
    #[error("forbidden: {}", .0.code)]
    Forbidden(Message),
    /// 404: no such record, person, file or preview.
    #[error("not found: {}", .0.code)]
    NotFound(Message),
    /// 400: a form or upload the page cannot take, titled by the page's own word (`ledger`).
    #[error("bad form on {title}: {}", .message.code)]
    BadForm {
        /// The page's word (a `page.*` key) for the error page's title.
        title: &'static str,
        /// What is wrong, for the reader.
        message: Message,
    },
    /// 500: the store, the accounts or a task failed; the cause is logged, never shown.
    #[error("the server failed: {0}")]
    Internal(String),
}

impl PageError {
    /// A 500 for any failure inside the server.
    pub fn internal(e: impl std::fmt::Display) -> PageError {
        PageError::Internal(e.to_string())
    }

    /// A 403 for a record outside the reader's area.
    pub fn outside_area() -> PageError {
        PageError::Forbidden(Message::new("web.outside_area"))
    }

    /// A 403 for a POST without the session's form token (see `csrf`).
    pub fn form_expired() -> PageError {
        PageError::Forbidden(Message::new("web.form_expired"))
    }

    /// A 400 on the ledger page.
    pub fn bad_ledger(message: Message) -> PageError {
        PageError::BadForm {
            title: "ledger",
            message,
        }
    }

    /// A record read by id: missing is a 404 naming the id, anything else a 500.
    pub fn from_lookup(id: &str, e: gridwalk_core::Error) -> PageError {
        match e {
            gridwalk_core::Error::NotFound { .. } => {
                PageError::NotFound(Message::new("web.no_such_record").with("id", id))
            }
            e => PageError::internal(e),
        }
    }

    /// The status, the title's word and the message of the error page.
    fn page(self) -> (StatusCode, &'static str, Message) {
        match self {
            PageError::SignIn => unreachable!("a redirect, not a page"),
            PageError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m),
            PageError::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m),
            PageError::BadForm { title, message } => (StatusCode::BAD_REQUEST, title, message),
            PageError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                Message::new("page.server_failed"),
            ),
        }
    }
}

impl From<gridwalk_core::Error> for PageError {
    fn from(e: gridwalk_core::Error) -> Self {
        PageError::internal(e)
    }
}

impl From<crate::accounts::AccountError> for PageError {
    fn from(e: crate::accounts::AccountError) -> Self {
        PageError::internal(e)
    }
}

impl From<tokio::task::JoinError> for PageError {
    fn from(e: tokio::task::JoinError) -> Self {
        PageError::internal(e)
    }
}

/// The error page's content, rendered by `view::render_views` in the reader's language.
#[derive(serde::Serialize)]
pub(crate) struct ErrorPage {
    /// The title, in the reader's language.
    pub title: String,
    /// What happened, in the reader's language.
    pub message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match &self {
            PageError::SignIn => return Redirect::to("/web/login").into_response(),
            PageError::Internal(cause) => tracing::error!(error = %cause, "a page failed"),
            _ => {}
        }
        let (status, title, message) = self.page();
        let mut resp = View::error(title, message).into_response();
        *resp.status_mut() = status;
        resp
    }
}
