//! `PUT /v1/photos/{hash}` and `GET /v1/photos/{hash}`: photos by content hash.
//!
//! Only a user who may see a record that refers to a photo may store it; the hash is checked on
//! arrival, and a photo is confirmed only once it is durable. Storing it grants it to the
//! records the uploader may see that refer to it; a photo is served only through a granted
//! record in the reader's scopes, so naming a hash in a record of one's own does not give the
//! photo (the rule: `gridwalk_core::store::photo_grants`).

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gridwalk_core::photos::is_content_hash;
use gridwalk_core::store::photos::PhotoRole;

use super::{ApiError, session};
use crate::accounts::Session;
use crate::scope::scopes_of;
use crate::state::AppState;

/// The answer to a stored photo: the hash the server computed.
#[derive(serde::Serialize)]
struct Stored {
    hash: String,
}

/// The photo is granted to no record the reader may see, though one refers to it: the same
/// answer as a photo not uploaded yet, so a reader who wrote its hash into a record of their
/// own learns nothing about it.
fn not_uploaded_yet() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_uploaded_yet",
        "the device that took this photo has not uploaded it yet",
    )
}

/// Checks the hash's form and that the session may see a record referring to it; returns the
/// session's scopes.
fn check_access(app: &AppState, session: &Session, hash: &str) -> Result<Vec<String>, ApiError> {
    if !is_content_hash(hash) {
        return Err(ApiError::bad_request(
            "bad_hash",
            "a photo is named by 64 lower-case hex digits",
        ));
    }
    let mine = scopes_of(session, &app.store)?;
    let theirs = app.store.photo_scopes(hash)?;
    if !theirs.iter().any(|s| mine.contains(s)) {
        tracing::warn!(user = %session.actor.user_id, photo = hash, "refused a photo outside the user's scope");
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "out_of_scope",
            "no record you may see refers to this photo (sync the record first)",
        ));
    }
    Ok(mine)
}

pub(crate) async fn put(
    State(app): State<Arc<AppState>>,
    Path(hash): Path<String>,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, ApiError> {
    // The token from the headers before the body is read: an anonymous client is answered at
    // once, whatever it is sending (and however slowly).
    let session = session(&app, &headers).await?;
    let body = match Bytes::from_request(request, &app).await {
        Ok(body) => body,
        Err(rejection) => return Ok(rejection.into_response()),
    };
    let app2 = app.clone();
    tokio::task::spawn_blocking(move || -> Result<Response, ApiError> {
        let mine = check_access(&app2, &session, &hash)?;
        // Stored and served as `image/jpeg`: only what the pipeline makes is taken, judged from
        // the header with the pipeline's own limits, nothing decoded.
        // (Bytes that are not what their name says are a damaged upload: `save_photo` says so.)
        let named_right = gridwalk_core::photos::content_hash(&body) == hash;
        if named_right
            && let Err(problem) = gridwalk_core::photos::limits::check_uploaded_jpeg(
                &body,
                &gridwalk_core::photos::PhotoOptions::default(),
            )
        {
            tracing::warn!(user = %session.actor.user_id, photo = %hash, code = problem.code(), "refused an upload that is not a pipeline JPEG");
            return Err(ApiError::bad_request(
                "not_a_photo",
                problem.message().render(gridwalk_core::messages::Lang::En),
            ));
        }
        let role = if app2.store.photo_role_referenced(&hash)?.as_deref() == Some("thumb") {
            PhotoRole::Thumb
        } else {
            PhotoRole::Full
        };
        match app2.store.save_photo(&hash, role, &body, true) {
            Ok(()) => {
                // For the records of the uploader's that refer to it, and no others.
                app2.store.grant_photo(&hash, &|s| mine.iter().any(|m| m == s))?;
                Ok((StatusCode::CREATED, Json(Stored { hash })).into_response())
            }
            Err(gridwalk_core::Error::PhotoHashMismatch { expected, actual }) => Err(ApiError::bad_request(
                "hash_mismatch",
                format!("the bytes hash to {actual}, not {expected}; the upload was damaged, send it again"),
            )),
            Err(e) => Err(e.into()),
        }
    })
    .await?
}

pub(crate) async fn get(
    State(app): State<Arc<AppState>>,
    Path(hash): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let session = session(&app, &headers).await?;
    let app2 = app.clone();
    tokio::task::spawn_blocking(move || -> Result<Response, ApiError> {
        let mine = check_access(&app2, &session, &hash)?;
        if !app2.store.photo_reader_scopes(&hash)?.iter().any(|s| mine.contains(s)) {
            tracing::warn!(user = %session.actor.user_id, photo = %hash, "refused a photo granted to no record the user may see");
            return Err(not_uploaded_yet());
        }
        match app2.store.photo_bytes(&hash)? {
            Some(bytes) => Ok((
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, "image/jpeg"),
                    (
                        header::CACHE_CONTROL,
                        "private, max-age=31536000, immutable",
                    ),
                ],
                bytes,
            )
                .into_response()),
            None => Err(not_uploaded_yet()),
        }
    })
    .await?
}
