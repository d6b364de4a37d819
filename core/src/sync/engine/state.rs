//! What the sync engine shows the app: its state, and the store's sync facts beside it.

use crate::messages::Message;
use crate::sync::client::{SyncPhase, SyncProgress};
use crate::time::Timestamp;

/// What the engine is doing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncState {
    /// Nothing to do until the next write, trigger or timer.
    Idle,
    /// A sync is running.
    Syncing {
        /// Its part under way.
        phase: SyncPhase,
        /// Records sent and received so far.
        records_done: u64,
        /// What `records_done` will reach, when the server said (a first download); none
        /// when it is unknown.
        records_total: Option<u64>,
        /// Bytes sent and received so far.
        bytes_done: u64,
        /// What `bytes_done` will about reach, when the server said.
        bytes_total: Option<u64>,
    },
    /// The server could not be reached; the engine tries again at `retry_at` (or at once
    /// when the app says the network is back).
    Offline {
        /// When it tries again.
        retry_at: Timestamp,
    },
    /// The last sync failed for another reason; the engine tries again at `retry_at`.
    Failed {
        /// Why, as a stable code with parameters (`sync.server_error`, `sync.server_busy`,
        /// `error.server`, `error.storage`, …).
        message: Message,
        /// When it tries again.
        retry_at: Timestamp,
    },
    /// The server no longer accepts this session (expired or revoked): the engine stopped.
    /// Sign in again and start a new engine; unsent changes stay in the store.
    SignedOut {
        /// Why (`sync.signed_out`).
        message: Message,
    },
    /// The app stopped the engine.
    Stopped,
}

impl SyncState {
    /// The state of a sync under way after `p`.
    pub fn of_progress(p: &SyncProgress) -> SyncState {
        let records_done = p.records_up + p.records_down;
        let bytes_done = p.bytes_up + p.bytes_down;
        SyncState::Syncing {
            phase: p.phase,
            records_done,
            records_total: p.download_left.map(|l| records_done + l.records),
            bytes_done,
            bytes_total: p.download_left.map(|l| bytes_done + l.bytes),
        }
    }

    /// Whether the engine has ended for good (signed out or stopped).
    pub fn is_final(&self) -> bool {
        matches!(self, SyncState::SignedOut { .. } | SyncState::Stopped)
    }
}

/// The engine's state and the store's sync facts, as one value the app observes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineStatus {
    /// What the engine is doing.
    pub state: SyncState,
    /// Records with changes the server has not confirmed.
    pub pending: u32,
    /// When a sync last succeeded.
    pub last_success_at: Option<Timestamp>,
    /// Server time minus this device's, ms, as the last sync measured it (`sync::heal`).
    pub clock_offset_ms: Option<i64>,
}
