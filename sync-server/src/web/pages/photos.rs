//! Photos (`/web/photos/{hash}`): served only through a record of the reader's area that was
//! granted the photo (`store::photo_grants`).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use gridwalk_core::messages::Message;

use crate::state::AppState;
use crate::web::extract::Supervisor;
use crate::web::{PageError, blocking};

/// `GET /web/photos/{hash}`: the JPEG.
pub(crate) async fn photo(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    Path(hash): Path<String>,
) -> Result<Response, PageError> {
    let bytes = blocking(&app, move |app| {
        let theirs = app.store.photo_reader_scopes(&hash)?;
        if !theirs.iter().any(|s| sup.scopes.contains(s)) {
            return Err(sup.refuse("a photo of another area"));
        }
        app.store
            .photo_bytes(&hash)?
            .ok_or_else(|| PageError::NotFound(Message::new("web.photo_not_uploaded")))
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "image/jpeg")], bytes).into_response())
}
