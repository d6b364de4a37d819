//! The sync protocol's messages. Bodies are CBOR (`application/cbor`); errors are JSON so a
//! person reading a log or using curl can read them.
//!
//! One `POST /v1/sync` pushes the device's unacknowledged changes and pulls every change in
//! the device's scopes after its cursors. A device that never heard the answer sends the same
//! request again: automerge changes are content-addressed, so nothing is applied twice.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::RecordId;
use crate::records::reference::ReferenceItem;
use crate::rules::permissions::Role;
use crate::store::merge::RecordChanges;

/// The protocol version this code speaks.
pub const PROTOCOL_VERSION: u32 = 1;
/// Content type of sync bodies.
pub const CBOR: &str = "application/cbor";

/// `POST /v1/login` body (JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginRequest {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
    /// The device signing in: the token is bound to it.
    pub device_id: String,
}

/// `POST /v1/login` answer (JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginResponse {
    /// Bearer token for later requests.
    pub token: String,
    /// When it expires, milliseconds since the epoch.
    pub expires_at: i64,
    /// The user's id.
    pub user_id: String,
    /// The user's display name.
    pub display_name: String,
    /// The user's role.
    pub role: Role,
    /// For property-company staff: their company.
    #[serde(default)]
    pub company: Option<String>,
}

/// [`ErrorBody::code`] (409) of a sync whose cursors name another change log than the
/// server's: the server was restored by `admin restore` or replaced. The device heals
/// (`sync::client`): it downloads its scopes again and re-sends what the server lacks.
pub const LOG_CHANGED: &str = "log_changed";
/// [`ErrorBody::code`] (409) of a sync whose cursors the server's log cannot have given: a
/// cursor beyond the log's end, or one whose tag differs from the entry at its place (the data
/// directory was copied back from a backup). The device heals as for [`LOG_CHANGED`].
pub const SERVER_WENT_BACK: &str = "server_went_back";

/// Where a device is in one scope's stream of changes.
///
/// Fields that are usually empty are left out of the encoding: an idle sync sends a cursor per
/// scope, and must stay under 1 KB each way at eight scopes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeCursor {
    /// Changes up to this sequence number of the server's log are on the device.
    pub seq: u64,
    /// While the scope's first download is under way: the last record id sent whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_after: Option<String>,
    /// A short digest of the server's log entry at `seq` (none at `seq` 0), so the server can
    /// tell a cursor of its own history from one of a history it lost in a restore, even after
    /// new writes have taken the log past `seq` again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<u32>,
}

/// `POST /v1/sync` body (CBOR).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// [`PROTOCOL_VERSION`].
    pub version: u32,
    /// The device's cursor per scope; a scope the device has no cursor for starts from a
    /// download of its records, whole.
    pub cursors: BTreeMap<String, ScopeCursor>,
    /// Changes the server has not acknowledged yet.
    pub push: Vec<RecordChanges>,
    /// The version of the reference data the device has (0: none).
    pub reference_version: u64,
    /// Records the device had waiting when it sent this (for the supervisors' overview).
    #[serde(default)]
    pub pending: u32,
    /// The identity of the server's change log that `cursors` (and the device's
    /// acknowledgements) belong to; none before the first answer. A server whose log has
    /// another identity answers [`LOG_CHANGED`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log: Option<u64>,
}

/// Only the version, read first so an unknown version gets its own clear answer.
#[derive(Debug, Clone, Deserialize)]
pub struct VersionProbe {
    /// The version the sender speaks.
    pub version: u32,
}

/// A pushed record the server did not take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedRecord {
    /// The record.
    pub id: RecordId,
    /// A machine-readable reason: `rules`, `out_of_scope`, `missing_dependencies` from the
    /// server; the device's client adds `photo_refused` and `photo_missing` for a record whose
    /// photo cannot be uploaded, and `set_aside` for a record it received but did not apply
    /// because it breaks the limits (see `sync::client`).
    pub code: String,
    /// The reason for a person, in English (for logs and older apps).
    pub reason: String,
    /// The reason as a message code with parameters, to render in the reader's language.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<crate::messages::Message>,
}

/// Reference data the device is missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceUpdate {
    /// The version these items are.
    pub version: u64,
    /// Every item (replaces what the device has).
    pub items: Vec<ReferenceItem>,
}

/// `POST /v1/sync` answer (CBOR).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncResponse {
    /// [`PROTOCOL_VERSION`].
    pub version: u32,
    /// Pushed records now durable on the server.
    pub accepted: Vec<RecordId>,
    /// Pushed records refused, with the reason; never stored, never sent to anyone.
    pub refused: Vec<RefusedRecord>,
    /// Changes for the device.
    pub pull: Vec<RecordChanges>,
    /// The device's new cursors: every scope it has now, and only those.
    pub cursors: BTreeMap<String, ScopeCursor>,
    /// Whether more changes wait: the device asks again at once.
    pub more: bool,
    /// Reference data, when the device's is out of date.
    pub reference: Option<ReferenceUpdate>,
    /// The identity of the server's change log (see [`SyncRequest::log`]).
    #[serde(default)]
    pub log: u64,
    /// The server's clock when it built this answer, milliseconds since the epoch: the device
    /// works out how far its own clock is off.
    #[serde(default)]
    pub server_time: i64,
    /// While a first download of some scope is under way (this answer included): what of it
    /// is still to come after this answer, so the device can show a real progress bar. None
    /// when no scope is being downloaded whole, and from servers older than this field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub download_left: Option<DownloadLeft>,
}

/// Records and bytes of the first downloads still to come (see [`SyncResponse::download_left`]).
///
/// Counted from the server's lists and the stored sizes of the documents, without reading a
/// document: `bytes` is their stored size, close to what they weigh in the answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadLeft {
    /// Records still to come.
    pub records: u64,
    /// Their stored bytes.
    pub bytes: u64,
}

/// An error answer (JSON), with a stable code for programs and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable code: `unauthorized`, `malformed_body`, `unsupported_version`,
    /// [`LOG_CHANGED`], [`SERVER_WENT_BACK`], …
    pub code: String,
    /// What happened and what to do, in words.
    pub message: String,
}

/// Encodes a message as CBOR.
pub fn to_cbor<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).expect("writing CBOR to memory cannot fail");
    out
}

/// Decodes a CBOR message.
pub fn from_cbor<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, String> {
    ciborium::from_reader(bytes).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The answer as servers and apps before [`SyncResponse::download_left`] knew it.
    #[derive(Debug, Serialize, Deserialize)]
    struct OldSyncResponse {
        version: u32,
        accepted: Vec<RecordId>,
        refused: Vec<RefusedRecord>,
        pull: Vec<RecordChanges>,
        cursors: BTreeMap<String, ScopeCursor>,
        more: bool,
        reference: Option<ReferenceUpdate>,
        log: u64,
        server_time: i64,
    }

    #[test]
    fn download_totals_are_optional_both_ways() {
        // An older server's answer reads as one without totals.
        let old = OldSyncResponse {
            version: PROTOCOL_VERSION,
            accepted: vec![],
            refused: vec![],
            pull: vec![],
            cursors: BTreeMap::new(),
            more: true,
            reference: None,
            log: 7,
            server_time: 1,
        };
        let read: SyncResponse = from_cbor(&to_cbor(&old)).unwrap();
        assert_eq!(read.download_left, None);
        assert!(read.more);
        // An older app reads a new answer, totals and all.
        let new = SyncResponse {
            more: true,
            log: 7,
            download_left: Some(DownloadLeft {
                records: 4800,
                bytes: 1_200_000,
            }),
            ..Default::default()
        };
        let read: OldSyncResponse = from_cbor(&to_cbor(&new)).unwrap();
        assert_eq!((read.log, read.more), (7, true));
        let back: SyncResponse = from_cbor(&to_cbor(&new)).unwrap();
        assert_eq!(back.download_left, new.download_left);
    }
}
