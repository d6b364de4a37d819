//! The sync engine: one per signed-in session, it decides when to sync so the app does not
//! have to (DESIGN.md, "Sync": an outbox retried on a timer with backoff).
//!
//! It syncs after local writes (debounced), on a timer, and when the app says the network is
//! back or the app came to the foreground; after a failure it waits with exponential backoff
//! and jitter, never sooner than a `Retry-After`. One sync runs at a time: a request while one
//! runs joins it (the caller gets that sync's result), and writes that arrive meanwhile get
//! one more sync after the debounce. `Unauthorized` ends it ([`SyncState::SignedOut`]); so do
//! [`SyncEngine::stop`] and dropping it. Its state is a [`tokio::sync::watch`] of
//! [`EngineStatus`], with progress totals during a first download.
//!
//! Everything runs on one tokio task (`driver`), which alone calls the client: that is what
//! makes two syncs at once impossible.

mod backoff;
mod driver;
mod state;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

pub use self::backoff::{Failure, classify, delay, retry_after};
use self::driver::{Command, Driver, Trigger};
pub use self::state::{EngineStatus, SyncState};
use super::client::{SyncClient, SyncReport};
use crate::error::{Error, Result};
use crate::store::{ChangeEvent, ChangeListener, Origin, Store, Subscription};

/// When the engine syncs and how it waits after failures.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineConfig {
    /// How long after the last of a burst of local writes it syncs (2 s).
    pub debounce: Duration,
    /// How long after a successful sync it syncs again anyway (15 min).
    pub interval: Duration,
    /// The wait after a first failure (5 s); it doubles with every failure in a row.
    pub backoff_first: Duration,
    /// The longest wait between tries (15 min).
    pub backoff_max: Duration,
    /// Each wait is shortened by a random part of itself up to this fraction (0.25).
    pub jitter: f64,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            debounce: Duration::from_secs(2),
            interval: Duration::from_secs(15 * 60),
            backoff_first: Duration::from_secs(5),
            backoff_max: Duration::from_secs(15 * 60),
            jitter: 0.25,
        }
    }
}

/// A running sync engine. Dropping it stops it.
pub struct SyncEngine {
    commands: mpsc::UnboundedSender<Command>,
    status: Arc<watch::Sender<EngineStatus>>,
    task: Mutex<Option<JoinHandle<()>>>,
    runtime: tokio::runtime::Handle,
    _writes: Subscription,
}

impl SyncEngine {
    /// Starts the engine for `store`, syncing through the signed-in `client`, and syncs once
    /// at once. Call it inside a tokio runtime (it spawns its task there, as `tokio::spawn`
    /// does, and panics outside one).
    pub fn start(store: Arc<Store>, client: SyncClient, config: EngineConfig) -> Result<Self> {
        let runtime = tokio::runtime::Handle::current();
        let facts = store.sync_status()?;
        let status = Arc::new(watch::Sender::new(EngineStatus {
            state: SyncState::Idle,
            pending: facts.pending,
            last_success_at: facts.last_success_at,
            clock_offset_ms: facts.clock_offset_ms,
        }));
        let (commands, rx) = mpsc::unbounded_channel();
        let writes = store.subscribe(Arc::new(LocalWrites(commands.clone())));
        let driver = Driver::new(store, client, config, status.clone(), rx);
        let task = runtime.spawn(driver.run());
        Ok(SyncEngine {
            commands,
            status,
            task: Mutex::new(Some(task)),
            runtime,
            _writes: writes,
        })
    }

    /// Syncs now, or joins the sync under way, and returns its report. Waits for a
    /// `Retry-After` the server asked for. Fails with that sync's error, with
    /// [`Error::Unauthorized`] once signed out, or [`Error::SyncStopped`] once stopped.
    pub async fn sync_now(&self) -> Result<SyncReport> {
        if let Some(e) = self.ended() {
            return Err(e);
        }
        let (tx, rx) = oneshot::channel();
        if self
            .commands
            .send(Command::Sync(Some(tx), Trigger::App))
            .is_err()
        {
            return Err(self.ended().unwrap_or(Error::SyncStopped));
        }
        match rx.await {
            Ok(result) => result,
            Err(_) => Err(self.ended().unwrap_or(Error::SyncStopped)),
        }
    }

    /// The app learned that the network is back: sync now, without waiting out the backoff
    /// (a `Retry-After` is still honoured).
    pub fn network_available(&self) {
        let _ = self.commands.send(Command::Sync(None, Trigger::Network));
    }

    /// The app came to the foreground: sync now, as [`SyncEngine::network_available`].
    pub fn foreground(&self) {
        let _ = self.commands.send(Command::Sync(None, Trigger::Foreground));
    }

    /// The state now.
    pub fn status(&self) -> EngineStatus {
        self.status.borrow().clone()
    }

    /// Every change of state, from the current one on.
    pub fn watch(&self) -> watch::Receiver<EngineStatus> {
        self.status.subscribe()
    }

    /// Calls `f` with the current state and then every change of it, on the engine's runtime,
    /// until the returned listener is cancelled or dropped. States that follow each other
    /// faster than `f` returns are skipped to the newest.
    pub fn on_status(&self, f: impl Fn(&EngineStatus) + Send + Sync + 'static) -> StatusListener {
        let mut rx = self.status.subscribe();
        let task = self.runtime.spawn(async move {
            loop {
                let now = rx.borrow_and_update().clone();
                f(&now);
                if rx.changed().await.is_err() {
                    break;
                }
            }
        });
        StatusListener { task }
    }

    /// Stops the engine: a sync under way is dropped where it is (every step of a sync is
    /// durable before the next, so the next engine resumes there), callers waiting in
    /// [`SyncEngine::sync_now`] get [`Error::SyncStopped`], and the state becomes
    /// [`SyncState::Stopped`]. Calling it again does nothing.
    pub fn stop(&self) {
        let task = self.task.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(task) = task {
            task.abort();
            self.status.send_if_modified(|s| {
                if s.state.is_final() {
                    return false;
                }
                s.state = SyncState::Stopped;
                true
            });
        }
    }

    /// The error a call gets once the engine has ended.
    fn ended(&self) -> Option<Error> {
        match &self.status.borrow().state {
            SyncState::SignedOut { message } => Some(Error::Unauthorized {
                reason: message.render(crate::messages::Lang::En),
            }),
            SyncState::Stopped => Some(Error::SyncStopped),
            _ => None,
        }
    }
}

impl Drop for SyncEngine {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A callback on the engine's state ([`SyncEngine::on_status`]). Dropping it, or
/// [`StatusListener::cancel`], stops the calls.
pub struct StatusListener {
    task: JoinHandle<()>,
}

impl StatusListener {
    /// Stops the calls; a call under way finishes.
    pub fn cancel(&self) {
        self.task.abort();
    }
}

impl Drop for StatusListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Tells the driver about writes made on this device (merged changes came from a sync).
struct LocalWrites(mpsc::UnboundedSender<Command>);

impl ChangeListener for LocalWrites {
    fn on_change(&self, event: &ChangeEvent) {
        if event.origin == Origin::Local {
            let _ = self.0.send(Command::LocalWrite);
        }
    }
}
