//! The one error type the core's public API returns.
//!
//! Every variant says what went wrong and why in words a field worker or an app developer can
//! act on; the FFI turns it into a typed exception. Internal failures (SQLite, automerge) are
//! wrapped with the context they happened in, never passed through raw.

use crate::messages::Message;
use crate::rules::Refusal;

/// Result of a core operation.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a core operation failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Error {
    /// The rules refused the change: an invalid value, a missing field, or a role that may not
    /// change this field. Nothing was written.
    #[error("change refused: {0}")]
    Refused(#[from] Refusal),

    /// The record asked for is not in this store.
    #[error("{kind} {id} is not in this store")]
    NotFound {
        /// What kind of record was looked for.
        kind: &'static str,
        /// Its id.
        id: String,
    },

    /// A stored or received document could not be read. The record is left as it was.
    #[error("record {id} could not be read: {reason}")]
    CorruptDocument {
        /// The record whose document is damaged.
        id: String,
        /// What the decoder said.
        reason: String,
    },

    /// Bytes handed to the store as changes from another store are not a change bundle.
    #[error("the changes could not be read: {reason}")]
    InvalidChanges {
        /// What was wrong with them.
        reason: String,
    },

    /// A photo the core cannot take in: a format it does not decode (HEIC) or damaged bytes.
    #[error("{0}")]
    Photo(#[from] crate::photos::pipeline::PhotoProblem),

    /// A photo file could not be read or written.
    #[error("photo file {path}: {reason}")]
    PhotoFile {
        /// The file.
        path: String,
        /// What the file system said.
        reason: String,
    },

    /// Photo bytes whose SHA-256 is not the name they were sent under.
    #[error("photo {expected} arrived with the wrong content (hash {actual})")]
    PhotoHashMismatch {
        /// The name.
        expected: String,
        /// The hash of what arrived.
        actual: String,
    },

    /// The server could not be reached, or the connection dropped. Everything local is kept;
    /// sync again when the network is back.
    #[error("could not reach the server: {reason}")]
    Network {
        /// What the network stack said.
        reason: String,
    },

    /// The server did not accept the sign-in or the session: wrong password, expired or
    /// revoked token. Sign in again.
    #[error("not signed in: {reason}")]
    Unauthorized {
        /// What the server said.
        reason: String,
    },

    /// Too many failed sign-ins: wait before trying again.
    #[error("too many failed sign-ins; try again in {retry_after_secs} s")]
    TooManyAttempts {
        /// Seconds to wait.
        retry_after_secs: u64,
    },

    /// The server refused the request.
    #[error("the server refused the request ({status} {code}): {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The server's error code.
        code: String,
        /// The server's explanation.
        message: String,
        /// How long the server asked to be left alone (`Retry-After`, seconds), when it said.
        retry_after_secs: Option<u64>,
    },

    /// The sync engine was stopped (the app stopped it or dropped it) before this sync could
    /// run or finish. Nothing was lost: sync again with a new engine.
    #[error("the sync engine was stopped")]
    SyncStopped,

    /// The key does not open this store (a wrong key, or none for an encrypted store). Nothing
    /// was read or written; open it again with the right key.
    #[error("the key does not open this store")]
    WrongStoreKey,

    /// The bytes given as a store key are not a key: it is exactly 32 bytes.
    #[error("a store key is 32 bytes, not {length}")]
    StoreKeyInvalid {
        /// How many bytes were given.
        length: usize,
    },

    /// A wipe (signing out) refused: changes or photos have not reached the server. Sync
    /// first, or wipe saying to discard them.
    #[error("{records} records and {photos} photos have not reached the server")]
    UnsentChanges {
        /// Records with changes the server has not acknowledged.
        records: u32,
        /// Photos not uploaded.
        photos: u32,
    },

    /// The server ordered this device wiped (a lost phone): its store and photos are erased.
    /// Sign in again to download what the user may see.
    #[error("the server ordered this device wiped")]
    DeviceWiped,

    /// The local database failed. The last acknowledged write is still there.
    #[error("local storage failed while {context}: {reason}")]
    Storage {
        /// What the store was doing.
        context: &'static str,
        /// What SQLite said.
        reason: String,
    },
}

impl From<crate::records::RecordError> for Error {
    fn from(e: crate::records::RecordError) -> Self {
        Error::Refused(Refusal::Record(e))
    }
}

impl Error {
    /// The error as a message with a stable code and named parameters, for a person (render
    /// it in their language) or a program (match the code).
    pub fn message(&self) -> Message {
        match self {
            Error::Refused(r) => r.message(),
            Error::NotFound { kind, id } => Message::new("error.not_found")
                .with("kind", kind)
                .with("id", id),
            Error::CorruptDocument { id, reason } => Message::new("error.corrupt_document")
                .with("id", id)
                .with("reason", reason),
            Error::InvalidChanges { reason } => {
                Message::new("error.invalid_changes").with("reason", reason)
            }
            Error::Photo(p) => p.message(),
            Error::PhotoFile { path, reason } => Message::new("photo.file")
                .with("path", path)
                .with("reason", reason),
            Error::PhotoHashMismatch { expected, actual } => Message::new("photo.hash_mismatch")
                .with("expected", expected)
                .with("actual", actual),
            Error::Network { reason } => Message::new("error.network").with("reason", reason),
            Error::Unauthorized { reason } => {
                Message::new("error.unauthorized").with("reason", reason)
            }
            Error::TooManyAttempts { retry_after_secs } => {
                Message::new("error.too_many_attempts").with("seconds", retry_after_secs)
            }
            Error::Server {
                status,
                code,
                message,
                ..
            } => Message::new("error.server")
                .with("status", status)
                .with("code", code)
                .with("message", message),
            Error::SyncStopped => Message::new("sync.stopped"),
            Error::WrongStoreKey => Message::new("store.wrong_key"),
            Error::UnsentChanges { records, photos } => Message::new("store.unsent_changes")
                .with("records", records)
                .with("photos", photos),
            Error::DeviceWiped => Message::new("sync.device_wiped"),
            Error::StoreKeyInvalid { length } => {
                Message::new("store.key_invalid").with("length", length)
            }
            Error::Storage { context, reason } => Message::new("error.storage")
                .with("context", context)
                .with("reason", reason),
        }
    }

    /// The error's stable code (`id_number.check_digit`, `error.network`, …).
    pub fn code(&self) -> String {
        self.message().code
    }

    pub(crate) fn storage(context: &'static str) -> impl FnOnce(rusqlite::Error) -> Error {
        move |e| Error::Storage {
            context,
            reason: e.to_string(),
        }
    }
}
