//! The HTTP API for the apps: signing in, sync and photos, with bearer tokens and errors as
//! JSON. Its routes are in `routes`; its state is `state::AppState`.

mod error;
pub(crate) mod login;
pub(crate) mod photos;
pub(crate) mod sync;

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use gridwalk_core::Timestamp;

pub use error::ApiError;

use crate::accounts::Session;
use crate::state::AppState;

/// `GET /health` answer: the server is up and its log readable.
#[derive(serde::Serialize)]
pub(crate) struct Health {
    status: &'static str,
    /// The change log's latest sequence number.
    log_head: u64,
}

/// `GET /health`.
pub(crate) async fn health(State(app): State<Arc<AppState>>) -> Result<Json<Health>, ApiError> {
    let store = app.store.clone();
    let log_head = tokio::task::spawn_blocking(move || store.log_head()).await??;
    Ok(Json(Health {
        status: "ok",
        log_head,
    }))
}

/// The session of a request's bearer token.
pub(crate) async fn session(app: &Arc<AppState>, headers: &HeaderMap) -> Result<Session, ApiError> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| ApiError::unauthorized("this request needs a bearer token; sign in first"))?
        .trim()
        .to_owned();
    let accounts = app.accounts.clone();
    Ok(
        tokio::task::spawn_blocking(move || accounts.authenticate(&token, Timestamp::now()))
            .await??,
    )
}
