//! `POST /v1/login`: a password for a token bound to a device.

use std::sync::Arc;

use axum::http::HeaderMap;
use axum::{Extension, Json};
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use gridwalk_core::sync::wire::{LoginRequest, LoginResponse};

use super::ApiError;
use crate::state::AppState;

pub(crate) async fn login(
    State(app): State<Arc<AppState>>,
    client: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Result<Json<LoginRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<LoginResponse>, ApiError> {
    // The address the connection came from (absent when served without connect info), or the
    // one the server's proxy names.
    let client = app.client_address(client.map(|c| c.0.0), &headers);
    let Json(req) = body.map_err(|e| ApiError::bad_request("malformed_body", e.body_text()))?;
    if req.device_id.trim().is_empty() {
        return Err(ApiError::bad_request(
            "malformed_body",
            "device_id is required",
        ));
    }
    // Counted first, then delayed without holding a connection or a thread, then checked.
    let issued = crate::accounts::sign_in(
        app.accounts.clone(),
        req.username,
        req.password,
        req.device_id,
        client,
    )
    .await??;
    Ok(Json(LoginResponse {
        token: issued.token,
        expires_at: issued.expires_at.0,
        user_id: issued.session.actor.user_id.clone(),
        display_name: issued.session.display_name.clone(),
        role: issued.session.actor.role,
        company: issued.session.actor.company.clone(),
    }))
}
