//! The one error the bindings throw: a Kotlin/Swift/Python exception per kind of failure an
//! app handles differently. Every variant carries the core's message: a stable `code`, its
//! named `params` (so the app can render its own words), and `reason`, the text in Simplified
//! Chinese from the core's catalogue.

use std::collections::HashMap;

use gridwalk_core::messages::Lang;
use gridwalk_core::rules::Refusal;

/// Why a call failed.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum GridwalkError {
    /// An ID number that is not a valid resident ID number (wrong check digit, date, length).
    #[error("{reason}")]
    InvalidIdNumber {
        /// Stable code (`id_number.check_digit`, `id_number.length`, …).
        code: String,
        /// Named parameters (the number masked).
        params: HashMap<String, String>,
        /// The text in Simplified Chinese.
        reason: String,
    },
    /// A phone number that cannot be one.
    #[error("{reason}")]
    InvalidPhone {
        /// Stable code (`phone.length`, …).
        code: String,
        /// Named parameters.
        params: HashMap<String, String>,
        /// The text in Simplified Chinese.
        reason: String,
    },
    /// The rules refused the change for another reason (a role, a missing field, an order
    /// event that may not happen now).
    #[error("{reason}")]
    Refused {
        /// Stable code (`rules.not_permitted`, `order.already`, …).
        code: String,
        /// Named parameters.
        params: HashMap<String, String>,
        /// The text in Simplified Chinese.
        reason: String,
    },
    /// The record is not on this device.
    #[error("{reason}")]
    NotFound {
        /// `error.not_found`.
        code: String,
        /// Named parameters (`kind`, `id`).
        params: HashMap<String, String>,
        /// The text in Simplified Chinese.
        reason: String,
    },
    /// A photo the core cannot take in (HEIC, damaged, too large) or a photo file problem.
    #[error("{reason}")]
    BadPhoto {
        /// Stable code (`photo.unsupported_format`, `photo.too_large`, …).
        code: String,
        /// Named parameters.
        params: HashMap<String, String>,
        /// The text in Simplified Chinese.
        reason: String,
    },
    /// The server could not be reached; everything local is kept.
    #[error("{reason}")]
    Network {
        /// `error.network`.
        code: String,
        /// Named parameters (`reason`: what the network stack said).
        params: HashMap<String, String>,
        /// The text in Simplified Chinese.
        reason: String,
    },
    /// Not signed in, or the session expired or was revoked.
    #[error("{reason}")]
    Unauthorized {
        /// `error.unauthorized`.
        code: String,
        /// Named parameters.
        params: HashMap<String, String>,
        /// The text in Simplified Chinese.
        reason: String,
    },
    /// Too many failed sign-ins.
    #[error("{reason}")]
    TooManyAttempts {
        /// Seconds to wait.
        retry_after_secs: u64,
        /// `error.too_many_attempts`.
        code: String,
        /// Named parameters (`seconds`).
        params: HashMap<String, String>,
        /// The text in Simplified Chinese.
        reason: String,
    },
    /// The server refused the request.
    #[error("{reason}")]
    Server {
        /// HTTP status.
        status: u16,
        /// `error.server`.
        code: String,
        /// Named parameters (`code`: the server's own code, `message`).
        params: HashMap<String, String>,
        /// The text in Simplified Chinese.
        reason: String,
    },
    /// The sync engine was stopped before this sync could run or finish.
    #[error("{reason}")]
    SyncStopped {
        /// `sync.stopped`.
        code: String,
        /// Named parameters (none).
        params: HashMap<String, String>,
        /// The text in Simplified Chinese.
        reason: String,
    },
    /// The key does not open the store (`store.wrong_key`: a wrong key, or none for an
    /// encrypted store; nothing was changed), or the bytes are not a key (`store.key_invalid`).
    #[error("{reason}")]
    StoreKey {
        /// `store.wrong_key` or `store.key_invalid`.
        code: String,
        /// Named parameters (`length` for `store.key_invalid`).
        params: HashMap<String, String>,
        /// The text in Simplified Chinese.
        reason: String,
    },
    /// Signing out with a wipe refused: records or photos have not reached the server
    /// (`store.unsent_changes`). Sync first, or sign out discarding them.
    #[error("{reason}")]
    UnsentChanges {
        /// Records with changes the server has not received.
        records: u32,
        /// Photos not uploaded.
        photos: u32,
        /// `store.unsent_changes`.
        code: String,
        /// Named parameters (`records`, `photos`).
        params: HashMap<String, String>,
        /// The text in Simplified Chinese.
        reason: String,
    },
    /// The server ordered this device wiped (`sync.device_wiped`): its store and photos are
    /// erased. Delete the store's key, and sign in again.
    #[error("{reason}")]
    DeviceWiped {
        /// `sync.device_wiped`.
        code: String,
        /// Named parameters (none).
        params: HashMap<String, String>,
        /// The text in Simplified Chinese.
        reason: String,
    },
    /// Local storage failed, or received data could not be read.
    #[error("{reason}")]
    Storage {
        /// `error.storage`, `error.corrupt_document`, `error.invalid_changes`.
        code: String,
        /// Named parameters.
        params: HashMap<String, String>,
        /// The text in Simplified Chinese.
        reason: String,
    },
}

impl From<gridwalk_core::Error> for GridwalkError {
    fn from(e: gridwalk_core::Error) -> Self {
        use gridwalk_core::Error as E;
        let message = e.message();
        let reason = message.render(Lang::ZhCn);
        let code = message.code;
        let params: HashMap<String, String> = message.params.into_iter().collect();
        match e {
            E::Refused(Refusal::InvalidIdNumber { .. }) => GridwalkError::InvalidIdNumber {
                code,
                params,
                reason,
            },
            E::Refused(Refusal::InvalidPhone { .. }) => GridwalkError::InvalidPhone {
                code,
                params,
                reason,
            },
            E::Refused(_) => GridwalkError::Refused {
                code,
                params,
                reason,
            },
            E::NotFound { .. } => GridwalkError::NotFound {
                code,
                params,
                reason,
            },
            E::Photo(_) | E::PhotoFile { .. } | E::PhotoHashMismatch { .. } => {
                GridwalkError::BadPhoto {
                    code,
                    params,
                    reason,
                }
            }
            E::Network { .. } => GridwalkError::Network {
                code,
                params,
                reason,
            },
            E::Unauthorized { .. } => GridwalkError::Unauthorized {
                code,
                params,
                reason,
            },
            E::TooManyAttempts { retry_after_secs } => GridwalkError::TooManyAttempts {
                retry_after_secs,
                code,
                params,
                reason,
            },
            E::Server { status, .. } => GridwalkError::Server {
                status,
                code,
                params,
                reason,
            },
            E::SyncStopped => GridwalkError::SyncStopped {
                code,
                params,
                reason,
            },
            E::WrongStoreKey | E::StoreKeyInvalid { .. } => GridwalkError::StoreKey {
                code,
                params,
                reason,
            },
            E::UnsentChanges { records, photos } => GridwalkError::UnsentChanges {
                records,
                photos,
                code,
                params,
                reason,
            },
            E::DeviceWiped => GridwalkError::DeviceWiped {
                code,
                params,
                reason,
            },
            E::CorruptDocument { .. } | E::InvalidChanges { .. } | E::Storage { .. } => {
                GridwalkError::Storage {
                    code,
                    params,
                    reason,
                }
            }
        }
    }
}

/// Result of a binding call.
pub type Result<T, E = GridwalkError> = std::result::Result<T, E>;
