//! `POST /v1/sync`: push the device's changes, pull what it lacks (DESIGN.md, "Sync").
//!
//! Every pushed record is judged by the core's rules and the user's scopes before it is
//! stored; a refused record is answered with the reason and never stored. The answer is sent
//! only after every accepted change is durable.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gridwalk_core::Timestamp;
use gridwalk_core::messages::{Lang, Message};
use gridwalk_core::store::change_log::PushOutcome;
use gridwalk_core::sync::wire::{
    self, LOG_CHANGED, PROTOCOL_VERSION, ReferenceUpdate, RefusedRecord, SERVER_WENT_BACK,
    SyncRequest, SyncResponse, VersionProbe,
};

use super::{ApiError, session};
use crate::accounts::Session;
use crate::scope::scopes_of;
use crate::state::AppState;

/// The most cursors one request may carry. A street's supervisor holds a few hundred scopes
/// (every grid and compound of their communities); more is a forged or broken request, and
/// each cursor costs a look-up in the log.
const MAX_CURSORS: usize = 4096;

pub(crate) async fn sync(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, ApiError> {
    let started = std::time::Instant::now();
    // The token from the headers before the body is read: an anonymous client is answered at
    // once, whatever it is sending (and however slowly).
    let session = session(&app, &headers).await?;
    // A device ordered wiped gets nothing more: told so before its request is read.
    let (accounts, device) = (app.accounts.clone(), session.device_id.clone());
    if tokio::task::spawn_blocking(move || accounts.take_device_wipe(&device, Timestamp::now()))
        .await??
    {
        return Err(ApiError::new(
            StatusCode::GONE,
            "device_wiped",
            "this device was ordered wiped; its data is to be erased",
        ));
    }
    let body = match Bytes::from_request(request, &app).await {
        Ok(body) => body,
        Err(rejection) => return Ok(rejection.into_response()),
    };
    let probe: VersionProbe = wire::from_cbor(&body).map_err(|e| {
        ApiError::bad_request(
            "malformed_body",
            format!("the body is not a CBOR sync request: {e}"),
        )
    })?;
    if probe.version != PROTOCOL_VERSION {
        return Err(ApiError::bad_request(
            "unsupported_version",
            format!(
                "protocol version {} is not supported; this server speaks {PROTOCOL_VERSION}. Update the app.",
                probe.version
            ),
        ));
    }
    let request: SyncRequest = wire::from_cbor(&body).map_err(|e| {
        ApiError::bad_request(
            "malformed_body",
            format!("the body is not a sync request: {e}"),
        )
    })?;

    if request.cursors.len() > MAX_CURSORS {
        return Err(ApiError::bad_request(
            "too_many_cursors",
            format!(
                "the request names {} scopes; a device holds at most {MAX_CURSORS}",
                request.cursors.len()
            ),
        ));
    }

    let app2 = app.clone();
    let response = tokio::task::spawn_blocking(move || -> Result<SyncResponse, ApiError> {
        let store = &app2.store;
        // Before anything is taken: cursors and acknowledgements of another history of the log
        // would make this device skip changes for ever (see `log_identity`).
        let log = store.log_id()?;
        check_history(&app2, &session, &request, log)?;
        let scopes = scopes_of(&session, store)?;
        let in_scope = |s: &str| scopes.iter().any(|k| k == s);
        // One line per request, whatever the request holds: 200,000 forged cursors once wrote
        // 49 MB of log, a line each.
        let outside: Vec<&String> = request.cursors.keys().filter(|k| !in_scope(k)).collect();
        if let Some(first) = outside.first() {
            tracing::warn!(
                user = %session.actor.user_id,
                device = %session.device_id,
                count = outside.len(),
                first = %first.chars().take(64).collect::<String>(),
                "ignored cursors of scopes outside the user's grants"
            );
        }
        let now = Timestamp::now();
        let mut response = SyncResponse {
            version: PROTOCOL_VERSION,
            log,
            ..Default::default()
        };
        let mut out_of_scope = 0usize;
        for rc in &request.push {
            let refuse = |code: &str, message: Message| RefusedRecord {
                id: rc.id.clone(),
                code: code.into(),
                reason: message.render(Lang::En),
                message: Some(message),
            };
            // The phone's automerge actor is its device id (`Store::device_id`): every change
            // new to the server must be its own.
            let outcome = store.accept_pushed_by(
                &session.actor,
                &session.session_id,
                Some(&session.device_id),
                rc,
                &in_scope,
                now,
            );
            let outcome = match outcome {
                // Data that does not merge is that record's problem, not the whole sync's.
                Err(gridwalk_core::Error::InvalidChanges { reason }) => {
                    tracing::debug!(record = %rc.id, %reason, "refused data that does not merge");
                    response
                        .refused
                        .push(refuse("bad_changes", Message::new("sync.bad_changes")));
                    continue;
                }
                other => other?,
            };
            match outcome {
                PushOutcome::Accepted => {
                    // Photos its writer could see already go with the record (an order made
                    // from a report); a hash named by someone who never saw the photo does not.
                    store.pass_on_photo_grants(&rc.id, &in_scope)?;
                    response.accepted.push(rc.id.clone())
                }
                PushOutcome::Refused(refusal) => {
                    response.refused.push(refuse("rules", refusal.message()))
                }
                PushOutcome::OutOfScope => {
                    out_of_scope += 1;
                    response
                        .refused
                        .push(refuse("out_of_scope", Message::new("sync.out_of_scope")))
                }
                PushOutcome::MissingDependencies => response.refused.push(refuse(
                    "missing_dependencies",
                    Message::new("sync.missing_dependencies"),
                )),
            }
        }
        if !response.refused.is_empty() {
            // One line for the whole push; each refusal's reason is logged at debug level by
            // `accept_pushed` and goes back to the device in the answer.
            tracing::warn!(
                user = %session.actor.user_id,
                device = %session.device_id,
                accepted = response.accepted.len(),
                refused = response.refused.len(),
                out_of_scope,
                first = %response.refused[0].code,
                "refused pushed records"
            );
        }
        let page = store.pull(
            &scopes,
            &request.cursors,
            &session.session_id,
            app2.pull_budget,
        )?;
        response.pull = page.records;
        response.cursors = page.cursors;
        response.more = page.more;
        response.download_left = page.download_left;
        let reference_version = store.reference_version()?;
        if request.reference_version != reference_version {
            response.reference = Some(ReferenceUpdate {
                version: reference_version,
                items: store.all_reference_items()?,
            });
        }
        app2.accounts
            .record_sync(&session, response.accepted.len(), request.pending, now)?;
        response.server_time = Timestamp::now().0;
        Ok(response)
    })
    .await??;

    let body = wire::to_cbor(&response);
    // Server-Timing lets a client or a benchmark see the server's own share of a round trip.
    let timing = format!("app;dur={:.3}", started.elapsed().as_secs_f64() * 1000.0);
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, wire::CBOR.to_owned()),
            (header::HeaderName::from_static("server-timing"), timing),
        ],
        body,
    )
        .into_response())
}

/// Refuses a sync whose cursors belong to another history of the change log: another log
/// identity (`admin restore`, a new server) or cursors this log cannot have given (its data
/// directory copied back from a backup). The device heals and syncs again.
fn check_history(
    app: &AppState,
    session: &Session,
    request: &SyncRequest,
    log: u64,
) -> Result<(), ApiError> {
    if let Some(theirs) = request.log
        && theirs != log
    {
        tracing::warn!(
            user = %session.actor.user_id,
            device = %session.device_id,
            theirs,
            ours = log,
            "a device's cursors belong to another change log: it heals"
        );
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            LOG_CHANGED,
            "the server's records were restored or replaced; the app downloads them again and \
             re-sends what the server lacks",
        ));
    }
    if let Err(stale) = app.store.check_cursors(&request.cursors)? {
        tracing::warn!(
            user = %session.actor.user_id,
            device = %session.device_id,
            scope = %stale.scope,
            reason = %stale.reason,
            "a device is ahead of this server's log: the server went back in time; it heals"
        );
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            SERVER_WENT_BACK,
            "the server went back in time (restored from a backup); the app downloads again \
             and re-sends what the server lacks",
        ));
    }
    Ok(())
}
