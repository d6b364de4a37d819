//! The device's sync client: signs in, then pushes the outbox and pulls every scope after its
//! cursor, one `POST /v1/sync` per page, until neither side has anything left.
//!
//! Every step is durable before the next: acknowledgements, pulled changes and then cursors are
//! committed in that order, so a sync cut off anywhere resumes where it stopped, and at worst
//! sends or receives a change twice, which changes nothing. Store work runs on tokio's blocking
//! pool in short transactions, so the worker's own edits never wait for a sync.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::heal::{ClockSample, is_heal_signal};
use super::wire::{
    self, ErrorBody, LoginRequest, LoginResponse, RefusedRecord, SyncRequest, SyncResponse,
};
use crate::error::{Error, Result};
use crate::ids::RecordId;
use crate::kill_point;
use crate::store::Store;
use crate::time::Timestamp;

mod photos;

/// [`RefusedRecord::code`] of a record whose photo the server refused (403/404 on upload).
pub const PHOTO_REFUSED: &str = "photo_refused";
/// [`RefusedRecord::code`] of a record whose photo's file is missing on this device.
pub const PHOTO_MISSING: &str = "photo_missing";
/// [`RefusedRecord::code`] of a record received from the server and set aside, not applied,
/// because it breaks the limits (`records::limits`); the message says which.
pub const SET_ASIDE: &str = "set_aside";

/// A request body as sent: compressed when that is worth it.
struct RequestBody {
    bytes: Vec<u8>,
    compressed: bool,
}

/// Below this, a push is a few visits' worth and compression saves less than its header costs.
const COMPRESS_FROM: usize = 1024;

/// zstd for a body of more than [`COMPRESS_FROM`] bytes (the server decompresses, and limits
/// the decompressed size): a day's offline work goes up in half the bytes on a weak signal.
fn request_body(cbor: Vec<u8>) -> RequestBody {
    if cbor.len() > COMPRESS_FROM
        && let Ok(bytes) = zstd::encode_all(&cbor[..], 3)
        && bytes.len() < cbor.len()
    {
        return RequestBody {
            bytes,
            compressed: true,
        };
    }
    RequestBody {
        bytes: cbor,
        compressed: false,
    }
}

/// About how many bytes of changes one request pushes.
const PUSH_BUDGET: usize = 512 * 1024;
/// Requests per sync before it stops and reports (a safety net, never reached in practice).
const MAX_ROUNDS: usize = 10_000;

/// Progress of a running sync, reported after every round trip.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncProgress {
    /// Records pushed so far.
    pub records_up: u64,
    /// Records received so far.
    pub records_down: u64,
    /// Request body bytes sent so far.
    pub bytes_up: u64,
    /// Response body bytes received so far (after decompression).
    pub bytes_down: u64,
    /// Round trips so far.
    pub round_trips: u32,
    /// Photos uploaded and confirmed by the server.
    pub photos_up: u32,
    /// Thumbnails downloaded.
    pub photos_down: u32,
    /// What the sync is doing now.
    #[serde(default)]
    pub phase: SyncPhase,
    /// Records and bytes of first downloads still to come, as the server's last answer said;
    /// none when no scope is being downloaded whole (or the server is older than this).
    #[serde(default)]
    pub download_left: Option<wire::DownloadLeft>,
}

/// The part of a sync under way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncPhase {
    /// Before the server's first answer.
    #[default]
    Starting,
    /// Pushing and pulling changes.
    Records,
    /// Downloading a scope whole for the first time (the totals are known).
    Downloading,
    /// Uploading photos and downloading thumbnails.
    Photos,
}

/// How a sync ended.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    /// Totals.
    pub progress: SyncProgress,
    /// Records the server refused in this sync, with its reasons. A photo whose upload stopped
    /// is reported here too, once per record that refers to it, with the code
    /// [`PHOTO_REFUSED`] (the server would not take it) or [`PHOTO_MISSING`] (its file is gone
    /// from this device); see `Store::blocked_photos`. So is a record received and set aside
    /// because it breaks the limits ([`SET_ASIDE`]).
    pub refused: Vec<RefusedRecord>,
    /// Records still waiting to be pushed.
    pub pending: u32,
    /// Whether the server's log turned out to be from another history (restored or replaced)
    /// and this sync healed the device (see `sync::heal`).
    pub healed: bool,
    /// Server time minus this device's time, ms, measured by this sync (see `sync::heal`).
    pub clock_offset_ms: Option<i64>,
}

/// A connection to one sync server for one signed-in user.
#[derive(Clone)]
pub struct SyncClient {
    http: reqwest::Client,
    base_url: String,
    token: Option<String>,
}

impl SyncClient {
    /// A client for the server at `base_url` (for example `https://sync.example.org`).
    pub fn new(base_url: &str) -> Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            // The server closes a connection idle for its header timeout (10 s by default);
            // a pooled connection kept longer is one the server may close just as a request
            // goes out on it ("connection closed before message completed"). Let idle
            // connections go first.
            .pool_idle_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| Error::Network {
                reason: e.to_string(),
            })?;
        Ok(SyncClient {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            token: None,
        })
    }

    /// A client that already holds a token (kept by the app's keystore).
    pub fn with_token(base_url: &str, token: &str) -> Result<Self> {
        let mut c = Self::new(base_url)?;
        c.token = Some(token.to_owned());
        Ok(c)
    }

    /// The token, for the app to keep.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// Signs in; the token is bound to `device_id`.
    pub async fn login(
        &mut self,
        username: &str,
        password: &str,
        device_id: &str,
    ) -> Result<LoginResponse> {
        let body = LoginRequest {
            username: username.to_owned(),
            password: password.to_owned(),
            device_id: device_id.to_owned(),
        };
        let resp = self
            .http
            .post(format!("{}/v1/login", self.base_url))
            .json(&body)
            .send()
            .await
            .map_err(network)?;
        let resp = check(resp).await?;
        let login: LoginResponse = resp.json().await.map_err(network)?;
        self.token = Some(login.token.clone());
        Ok(login)
    }

    /// Syncs `store` with the server: pushes everything pending, pulls everything new.
    /// `on_progress` is called after every round trip.
    pub async fn sync(
        &self,
        store: Arc<Store>,
        on_progress: &(dyn Fn(&SyncProgress) + Send + Sync),
    ) -> Result<SyncReport> {
        let result = self.run(store.clone(), on_progress).await;
        // A wiped store has nowhere to note anything.
        if matches!(result, Err(Error::DeviceWiped)) {
            return result;
        }
        let outcome = match &result {
            Ok(_) => Ok(()),
            Err(e) => Err(e.to_string()),
        };
        let s = store.clone();
        blocking(move || {
            s.record_sync_result(
                outcome.as_ref().map(|_| ()).map_err(String::as_str),
                Timestamp::now(),
            )
        })
        .await?;
        result
    }

    async fn run(
        &self,
        store: Arc<Store>,
        on_progress: &(dyn Fn(&SyncProgress) + Send + Sync),
    ) -> Result<SyncReport> {
        let token = self.token.clone().ok_or_else(|| Error::Unauthorized {
            reason: "sign in before syncing".into(),
        })?;
        let mut report = SyncReport::default();
        let mut scopes_now = BTreeSet::new();
        let mut clock: Option<ClockSample> = None;
        for _ in 0..MAX_ROUNDS {
            let s = store.clone();
            let (outgoing, cursors, reference_version, pending, log) = blocking(move || {
                Ok((
                    s.outbox(PUSH_BUDGET)?,
                    s.sync_cursors()?,
                    s.reference_version()?,
                    s.pending_count()?,
                    s.server_log_id()?,
                ))
            })
            .await?;
            let pushed_bytes: usize = outgoing.iter().map(|o| o.changes.data.len()).sum();
            let heads: HashMap<RecordId, Vec<u8>> = outgoing
                .iter()
                .map(|o| (o.changes.id.clone(), o.heads.clone()))
                .collect();
            let request = SyncRequest {
                version: wire::PROTOCOL_VERSION,
                cursors,
                push: outgoing.into_iter().map(|o| o.changes).collect(),
                reference_version,
                pending,
                log,
            };
            let body = request_body(wire::to_cbor(&request));
            let mut post = self
                .http
                .post(format!("{}/v1/sync", self.base_url))
                .bearer_auth(&token)
                .header(reqwest::header::CONTENT_TYPE, wire::CBOR);
            if body.compressed {
                post = post.header(reqwest::header::CONTENT_ENCODING, "zstd");
            }
            kill_point::reached("sync.before_request");
            let sent_at = Timestamp::now();
            let resp = post
                .body(body.bytes.clone())
                .send()
                .await
                .map_err(network)?;
            let resp = match check(resp).await {
                Ok(resp) => resp,
                // The server's log is another history than the one this device's cursors and
                // acknowledgements came from: download again, then push what it lacks. Once
                // per sync, so a server that keeps saying so cannot loop us.
                Err(e) if is_heal_signal(&e) && !report.healed => {
                    tracing::warn!(error = %e, "the server went back in time or was replaced");
                    report.healed = true;
                    let s = store.clone();
                    blocking(move || s.begin_heal()).await?;
                    continue;
                }
                // A lost phone: the server ordered it wiped. Nothing unsent is worth keeping on a
                // phone in someone else's hands.
                Err(Error::DeviceWiped) => {
                    let s = store.clone();
                    blocking(move || s.wipe(crate::store::wipe::UnsentChanges::Discard)).await?;
                    return Err(Error::DeviceWiped);
                }
                Err(e) => return Err(e),
            };
            let bytes = resp.bytes().await.map_err(network)?;
            let received_at = Timestamp::now();
            let answer: SyncResponse = wire::from_cbor(&bytes).map_err(|reason| Error::Server {
                status: 200,
                code: "malformed_response".into(),
                message: reason,
                retry_after_secs: None,
            })?;

            if let Some(sample) = ClockSample::of(answer.server_time, sent_at, received_at) {
                clock = Some(sample.better(clock));
            }
            report.progress.round_trips += 1;
            report.progress.bytes_up += body.bytes.len() as u64;
            report.progress.bytes_down += bytes.len() as u64;
            report.progress.records_up += answer.accepted.len() as u64;
            report.progress.records_down += answer.pull.len() as u64;
            report.progress.download_left = answer.download_left;
            report.progress.phase = match answer.download_left {
                Some(_) => SyncPhase::Downloading,
                None => SyncPhase::Records,
            };

            let more_to_push = pushed_bytes >= PUSH_BUDGET || !answer.refused.is_empty();
            let more = answer.more;
            scopes_now = answer.cursors.keys().cloned().collect();
            let s = store.clone();
            let refused = answer.refused.clone();
            let heal_ended = blocking(move || {
                // The server has taken the push; nothing of its answer is recorded yet.
                kill_point::reached("sync.answer_received");
                let acks: Vec<(RecordId, Vec<u8>)> = answer
                    .accepted
                    .iter()
                    .filter_map(|id| heads.get(id).map(|h| (id.clone(), h.clone())))
                    .collect();
                s.mark_acknowledged(&acks)?;
                for r in &answer.refused {
                    if let Some(h) = heads.get(&r.id) {
                        s.mark_refused(&r.id, h, &r.reason, r.code == "missing_dependencies")?;
                    }
                }
                kill_point::reached("sync.acks_recorded");
                let applied = s.apply_pulled(&answer.pull, Timestamp::now())?;
                if let Some(reference) = &answer.reference {
                    s.put_reference_at(&reference.items, reference.version)?;
                }
                kill_point::reached("sync.before_cursor_save");
                // The cursors last, with the log they belong to: everything before is durable.
                let heal_ended = s.save_sync_position(&answer.cursors, answer.log, !answer.more)?;
                // Between pulled pages: this one is durable, the next not asked for.
                kill_point::reached("sync.round_done");
                Ok((heal_ended, applied.set_aside))
            })
            .await?;
            let (heal_ended, set_aside) = heal_ended;
            report
                .refused
                .extend(set_aside.into_iter().map(|(id, reason)| RefusedRecord {
                    id,
                    code: SET_ASIDE.into(),
                    reason: reason.to_string(),
                    message: Some(reason.message()),
                }));
            report.refused.extend(
                refused
                    .iter()
                    .filter(|r| r.code != "missing_dependencies")
                    .cloned(),
            );
            on_progress(&report.progress);
            let resend = refused.iter().any(|r| r.code == "missing_dependencies");
            // A heal that just ended has records to push: the next round sends them.
            if !more && !heal_ended && !(more_to_push && (pushed_bytes >= PUSH_BUDGET || resend)) {
                break;
            }
        }
        if let Some(sample) = clock {
            report.clock_offset_ms = Some(sample.offset_ms);
            let s = store.clone();
            blocking(move || s.record_clock_offset(sample.offset_ms)).await?;
        }
        // A pulled change may have taken a record out of this device's scopes (a household
        // re-addressed to another grid), a lost scope takes all of its records, and a discarded
        // change can leave a record settled outside them. A scan of the lists (milliseconds at
        // 5,000 households) that writes only when something is to go.
        let s = store.clone();
        blocking(move || s.forget_out_of_scope(&scopes_now)).await?;
        report.progress.phase = SyncPhase::Photos;
        report.progress.download_left = None;
        self.upload_photos(&store, &token, &mut report, on_progress)
            .await?;
        self.download_thumbnails(&store, &token, &mut report, on_progress)
            .await?;
        let s = store.clone();
        report.pending = blocking(move || s.pending_count()).await?;
        Ok(report)
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Storage {
            context: "running store work",
            reason: e.to_string(),
        })?
}

fn network(e: reqwest::Error) -> Error {
    Error::Network {
        reason: e.to_string(),
    }
}

/// Turns an error answer into the error it stands for.
async fn check(resp: reqwest::Response) -> Result<reqwest::Response> {
    let status = resp.status();
    if status.is_success() {
        return Ok(resp);
    }
    let retry_after = resp
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let body: ErrorBody = resp.json().await.unwrap_or_else(|_| ErrorBody {
        code: "unknown".into(),
        message: status.canonical_reason().unwrap_or("error").into(),
    });
    Err(match status.as_u16() {
        401 => Error::Unauthorized {
            reason: body.message,
        },
        429 => Error::TooManyAttempts {
            retry_after_secs: retry_after.unwrap_or(60),
        },
        410 if body.code == "device_wiped" => Error::DeviceWiped,
        code => Error::Server {
            status: code,
            code: body.code,
            message: body.message,
            retry_after_secs: retry_after,
        },
    })
}
