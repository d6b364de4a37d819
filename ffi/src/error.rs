//! The one error the bindings throw: a Kotlin/Swift/Python exception per variant.

use gridwalk_core::rules::Refusal;

/// Why a call failed. Every variant carries a sentence for the person using the app.
#[derive(Debug, thiserror::Error, uniffi::Error)]
pub enum GridwalkError {
    /// An ID number that is not a valid resident ID number (wrong check digit, date, length).
    #[error("{reason}")]
    InvalidIdNumber {
        /// What is wrong, with the number masked.
        reason: String,
    },
    /// A phone number that cannot be one.
    #[error("{reason}")]
    InvalidPhone {
        /// What is wrong.
        reason: String,
    },
    /// The rules refused the change for another reason (a role, a missing field, an order
    /// event that may not happen now).
    #[error("{reason}")]
    Refused {
        /// Why.
        reason: String,
    },
    /// The record is not on this device.
    #[error("{reason}")]
    NotFound {
        /// Which.
        reason: String,
    },
    /// A photo the core cannot take in (HEIC, damaged) or a photo file problem.
    #[error("{reason}")]
    BadPhoto {
        /// Why.
        reason: String,
    },
    /// The server could not be reached; everything local is kept.
    #[error("{reason}")]
    Network {
        /// What the network said.
        reason: String,
    },
    /// Not signed in, or the session expired or was revoked.
    #[error("{reason}")]
    Unauthorized {
        /// What the server said.
        reason: String,
    },
    /// Too many failed sign-ins.
    #[error("{reason}")]
    TooManyAttempts {
        /// Seconds to wait.
        retry_after_secs: u64,
        /// The sentence to show.
        reason: String,
    },
    /// The server refused the request.
    #[error("{reason}")]
    Server {
        /// HTTP status.
        status: u16,
        /// Stable code.
        code: String,
        /// The server's explanation.
        reason: String,
    },
    /// Local storage failed, or received data could not be read.
    #[error("{reason}")]
    Storage {
        /// What happened.
        reason: String,
    },
}

impl From<gridwalk_core::Error> for GridwalkError {
    fn from(e: gridwalk_core::Error) -> Self {
        use gridwalk_core::Error as E;
        let reason = e.to_string();
        match e {
            E::Refused(Refusal::InvalidIdNumber { .. }) => {
                GridwalkError::InvalidIdNumber { reason }
            }
            E::Refused(Refusal::InvalidPhone { .. }) => GridwalkError::InvalidPhone { reason },
            E::Refused(_) => GridwalkError::Refused { reason },
            E::NotFound { .. } => GridwalkError::NotFound { reason },
            E::Photo(_) | E::PhotoFile { .. } | E::PhotoHashMismatch { .. } => {
                GridwalkError::BadPhoto { reason }
            }
            E::Network { .. } => GridwalkError::Network { reason },
            E::Unauthorized { .. } => GridwalkError::Unauthorized { reason },
            E::TooManyAttempts { retry_after_secs } => GridwalkError::TooManyAttempts {
                retry_after_secs,
                reason,
            },
            E::Server { status, code, .. } => GridwalkError::Server {
                status,
                code,
                reason,
            },
            E::CorruptDocument { .. } | E::InvalidChanges { .. } | E::Storage { .. } => {
                GridwalkError::Storage { reason }
            }
        }
    }
}

/// Result of a binding call.
pub type Result<T, E = GridwalkError> = std::result::Result<T, E>;
