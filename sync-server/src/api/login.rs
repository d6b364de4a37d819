//! `POST /v1/login`: a password for a token bound to a device.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use gridwalk_core::Timestamp;
use gridwalk_core::sync::wire::{LoginRequest, LoginResponse};

use super::{ApiError, AppState};

pub(super) async fn login(
    State(app): State<Arc<AppState>>,
    body: Result<Json<LoginRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<LoginResponse>, ApiError> {
    let Json(req) = body.map_err(|e| ApiError::bad_request("malformed_body", e.body_text()))?;
    if req.device_id.trim().is_empty() {
        return Err(ApiError::bad_request(
            "malformed_body",
            "device_id is required",
        ));
    }
    let accounts = app.accounts.clone();
    let issued = tokio::task::spawn_blocking(move || {
        accounts.login(
            &req.username,
            &req.password,
            &req.device_id,
            Timestamp::now(),
        )
    })
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
