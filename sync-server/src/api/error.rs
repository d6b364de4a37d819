//! Error answers: a status, a stable code and a sentence, as JSON.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gridwalk_core::sync::wire::ErrorBody;

use crate::accounts::AccountError;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400 with a code.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    fn internal(e: impl std::fmt::Display) -> Self {
        tracing::error!(error = %e, "request failed inside the server");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed; nothing was lost, try again",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (
            self.status,
            Json(ErrorBody {
                code: self.code.into(),
                message: self.message,
            }),
        )
            .into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            resp.headers_mut().insert(header::RETRY_AFTER, v);
        }
        resp
    }
}

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::WrongPassword => {
                Self::new(StatusCode::UNAUTHORIZED, "wrong_password", e.to_string())
            }
            AccountError::LockedOut(wait) => ApiError {
                retry_after: Some(wait.as_secs().max(1)),
                ..Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_attempts",
                    e.to_string(),
                )
            },
            AccountError::BadToken(m) => Self::unauthorized(m),
            AccountError::DeviceTaken => {
                Self::new(StatusCode::FORBIDDEN, "device_taken", e.to_string())
            }
            AccountError::Invalid(m) => Self::bad_request("invalid", m),
            AccountError::Storage(_) | AccountError::Pool(_) => Self::internal(e),
        }
    }
}

impl From<gridwalk_core::Error> for ApiError {
    fn from(e: gridwalk_core::Error) -> Self {
        match e {
            gridwalk_core::Error::InvalidChanges { .. } => {
                Self::bad_request("bad_changes", e.to_string())
            }
            gridwalk_core::Error::Refused(_) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "refused", e.to_string())
            }
            other => Self::internal(other),
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::internal(e)
    }
}
