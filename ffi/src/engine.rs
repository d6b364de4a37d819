//! The sync engine for the apps (`core::sync::engine`): started from a signed-in
//! [`crate::sync::SyncSession`], observed through a [`SyncStateListener`], told when the
//! network is back or the app came to the foreground. Conversions only.

use std::sync::Arc;
use std::time::Duration;

use gridwalk_core::sync::client::SyncPhase as CorePhase;
use gridwalk_core::sync::engine::{
    EngineConfig, EngineStatus, SyncEngine as CoreEngine, SyncState as CoreState,
};

use crate::error::Result;
use crate::listeners::{ListenerHandle, SyncStateListener};
use crate::messages::Message;
use crate::types::SyncReport;

/// When the engine syncs and how it waits after failures (milliseconds).
#[derive(Debug, Clone, uniffi::Record)]
pub struct SyncEngineConfig {
    /// How long after the last of a burst of local writes it syncs.
    #[uniffi(default = 2000)]
    pub debounce_ms: u64,
    /// How long after a successful sync it syncs again anyway.
    #[uniffi(default = 900000)]
    pub interval_ms: u64,
    /// The wait after a first failure; it doubles with every failure in a row.
    #[uniffi(default = 5000)]
    pub backoff_first_ms: u64,
    /// The longest wait between tries.
    #[uniffi(default = 900000)]
    pub backoff_max_ms: u64,
    /// Each wait is shortened by a random part of itself up to this fraction.
    #[uniffi(default = 0.25)]
    pub jitter: f64,
}

impl From<SyncEngineConfig> for EngineConfig {
    fn from(c: SyncEngineConfig) -> Self {
        EngineConfig {
            debounce: Duration::from_millis(c.debounce_ms),
            interval: Duration::from_millis(c.interval_ms),
            backoff_first: Duration::from_millis(c.backoff_first_ms),
            backoff_max: Duration::from_millis(c.backoff_max_ms),
            jitter: c.jitter,
        }
    }
}

/// The part of a sync under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum SyncPhase {
    /// Before the server's first answer.
    Starting,
    /// Pushing and pulling changes.
    Records,
    /// Downloading a scope whole for the first time (totals known).
    Downloading,
    /// Uploading photos and downloading thumbnails.
    Photos,
}

impl From<CorePhase> for SyncPhase {
    fn from(p: CorePhase) -> Self {
        match p {
            CorePhase::Starting => SyncPhase::Starting,
            CorePhase::Records => SyncPhase::Records,
            CorePhase::Downloading => SyncPhase::Downloading,
            CorePhase::Photos => SyncPhase::Photos,
        }
    }
}

/// What the engine is doing. Times are milliseconds since the epoch.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum SyncState {
    /// Nothing to do until the next write, trigger or timer.
    Idle,
    /// A sync is running; the totals are known during a first download.
    Syncing {
        /// Its part under way.
        phase: SyncPhase,
        /// Records sent and received so far.
        records_done: u64,
        /// What `records_done` will reach, when known.
        records_total: Option<u64>,
        /// Bytes sent and received so far.
        bytes_done: u64,
        /// What `bytes_done` will about reach, when known.
        bytes_total: Option<u64>,
    },
    /// The server could not be reached; the engine tries again at `retry_at`.
    Offline {
        /// When it tries again.
        retry_at: i64,
    },
    /// The last sync failed for another reason; it tries again at `retry_at`.
    Failed {
        /// Why (`sync.server_error`, `sync.server_busy`, `error.server`, …).
        message: Message,
        /// When it tries again.
        retry_at: i64,
    },
    /// The session is over (token expired or revoked): the engine stopped. Sign in again.
    SignedOut {
        /// Why (`sync.signed_out`).
        message: Message,
    },
    /// The app stopped the engine.
    Stopped,
}

impl From<CoreState> for SyncState {
    fn from(s: CoreState) -> Self {
        match s {
            CoreState::Idle => SyncState::Idle,
            CoreState::Syncing {
                phase,
                records_done,
                records_total,
                bytes_done,
                bytes_total,
            } => SyncState::Syncing {
                phase: phase.into(),
                records_done,
                records_total,
                bytes_done,
                bytes_total,
            },
            CoreState::Offline { retry_at } => SyncState::Offline {
                retry_at: retry_at.0,
            },
            CoreState::Failed { message, retry_at } => SyncState::Failed {
                message: message.into(),
                retry_at: retry_at.0,
            },
            CoreState::SignedOut { message } => SyncState::SignedOut {
                message: message.into(),
            },
            CoreState::Stopped => SyncState::Stopped,
        }
    }
}

/// The engine's state with the store's sync facts.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SyncEngineStatus {
    /// What the engine is doing.
    pub state: SyncState,
    /// Records with changes the server has not confirmed.
    pub pending: u32,
    /// When a sync last succeeded, ms since the epoch.
    pub last_success_at: Option<i64>,
    /// Server time minus this device's, ms.
    pub clock_offset_ms: Option<i64>,
}

impl From<EngineStatus> for SyncEngineStatus {
    fn from(s: EngineStatus) -> Self {
        SyncEngineStatus {
            state: s.state.into(),
            pending: s.pending,
            last_success_at: s.last_success_at.map(|t| t.0),
            clock_offset_ms: s.clock_offset_ms,
        }
    }
}

/// The running sync engine of one signed-in session (`SyncSession::start_engine`). It stops
/// when stopped, signed out, or destroyed.
#[derive(uniffi::Object)]
pub struct SyncEngine {
    inner: CoreEngine,
}

impl SyncEngine {
    pub(crate) fn new(inner: CoreEngine) -> Arc<Self> {
        Arc::new(SyncEngine { inner })
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl SyncEngine {
    /// Syncs now, or joins the sync under way, and returns its report.
    pub async fn sync_now(&self) -> Result<SyncReport> {
        Ok(self.inner.sync_now().await?.into())
    }

    /// The network is back: sync now, without waiting out the backoff.
    pub fn network_available(&self) {
        self.inner.network_available();
    }

    /// The app came to the foreground: sync now.
    pub fn foreground(&self) {
        self.inner.foreground();
    }

    /// The state now.
    pub fn status(&self) -> SyncEngineStatus {
        self.inner.status().into()
    }

    /// Tells `listener` the state now and every change of it, until the handle is cancelled.
    pub fn subscribe(&self, listener: Arc<dyn SyncStateListener>) -> Arc<ListenerHandle> {
        ListenerHandle::of_engine(self.inner.on_status(move |s| {
            // A listener that throws reaches Rust as a panic: the engine goes on.
            let call = std::panic::AssertUnwindSafe(|| listener.on_state(s.clone().into()));
            if std::panic::catch_unwind(call).is_err() {
                tracing::error!("the app's sync state listener failed");
            }
        }))
    }

    /// Stops the engine; a sync under way stops where it is and resumes with the next engine.
    pub fn stop(&self) {
        self.inner.stop();
    }
}
