//! The engine's one task: it waits for the next reason to sync, runs the sync, and decides
//! when the next one is due. Only this task calls the client, so syncs never overlap; calls
//! that arrive during a sync join it.

use std::sync::Arc;

use rand::Rng;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use super::backoff::{self, Failure};
use super::{EngineConfig, EngineStatus, SyncState};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::sync::client::{SyncClient, SyncProgress, SyncReport};
use crate::time::Timestamp;

/// Someone waiting for the result of a sync.
type Waiter = oneshot::Sender<Result<SyncReport>>;

/// What reaches the driver.
pub(super) enum Command {
    /// Sync now (or join the sync under way); the result goes to the waiter, if any.
    Sync(Option<Waiter>, Trigger),
    /// A write was committed on this device.
    LocalWrite,
}

/// Who asked for a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Trigger {
    /// The app, waiting for the result.
    App,
    /// The network is back.
    Network,
    /// The app came to the foreground.
    Foreground,
}

/// The engine's task and what it knows between syncs.
pub(super) struct Driver {
    store: Arc<Store>,
    client: SyncClient,
    config: EngineConfig,
    status: Arc<watch::Sender<EngineStatus>>,
    commands: mpsc::UnboundedReceiver<Command>,
    /// Callers waiting for the next sync's result.
    waiters: Vec<Waiter>,
    /// A sync was asked for (by the app, the network or the foreground).
    requested: bool,
    /// When the debounce of local writes ends.
    writes_due: Option<Instant>,
    /// When the timer syncs next.
    timer_due: Instant,
    /// Failures in a row.
    failures: u32,
    /// After a failure: when to try again.
    retry_at: Option<Instant>,
    /// Whether `retry_at` is what the server asked for (`Retry-After`): then no trigger
    /// brings it forward.
    held: bool,
}

impl Driver {
    pub(super) fn new(
        store: Arc<Store>,
        client: SyncClient,
        config: EngineConfig,
        status: Arc<watch::Sender<EngineStatus>>,
        commands: mpsc::UnboundedReceiver<Command>,
    ) -> Self {
        let timer_due = Instant::now() + config.interval;
        Driver {
            store,
            client,
            config,
            status,
            commands,
            waiters: Vec::new(),
            // The session has just begun: sync once at once.
            requested: true,
            writes_due: None,
            timer_due,
            failures: 0,
            retry_at: None,
            held: false,
        }
    }

    /// Runs until signed out, or until the engine is dropped (its commands end) or stopped
    /// (the task is aborted).
    pub(super) async fn run(mut self) {
        loop {
            let due = self.next_due();
            tokio::select! {
                command = self.commands.recv() => match command {
                    None => return,
                    Some(command) => self.take(command, false).await,
                },
                _ = tokio::time::sleep_until(due) => {
                    if !self.sync().await {
                        return;
                    }
                }
            }
        }
    }

    /// When the next sync is due.
    fn next_due(&self) -> Instant {
        let now = Instant::now();
        let mut due = match self.retry_at {
            // Failing: the backoff decides, and a trigger may come sooner unless held.
            Some(retry) => retry,
            None => self.timer_due,
        };
        if self.requested && !self.held {
            due = due.min(now);
        }
        if let Some(writes) = self.writes_due {
            // Writes do not hurry a retry: an edit made offline waits like the rest.
            due = due.min(writes.max(self.retry_at.unwrap_or(writes)));
        }
        due
    }

    /// Takes in a command; `running` while a sync is under way (a request then joins it).
    async fn take(&mut self, command: Command, running: bool) {
        match command {
            Command::Sync(waiter, trigger) => {
                tracing::debug!(?trigger, running, "sync asked for");
                self.waiters.extend(waiter);
                // One under way answers it; `requested` would start another after it.
                if !running {
                    self.requested = true;
                }
            }
            Command::LocalWrite => {
                self.writes_due = Some(Instant::now() + self.config.debounce);
                if !running {
                    self.refresh(None).await;
                }
            }
        }
    }

    /// Runs one sync and settles what follows it. Returns false when the engine must end.
    async fn sync(&mut self) -> bool {
        self.requested = false;
        self.writes_due = None;
        self.publish(SyncState::of_progress(&SyncProgress::default()));
        let status = self.status.clone();
        let on_progress = move |p: &SyncProgress| {
            let state = SyncState::of_progress(p);
            status.send_if_modified(|s| {
                if s.state.is_final() {
                    return false;
                }
                s.state = state;
                true
            });
        };
        let client = self.client.clone();
        let store = self.store.clone();
        let run = client.sync(store, &on_progress);
        tokio::pin!(run);
        let result = loop {
            tokio::select! {
                result = &mut run => break result,
                command = self.commands.recv() => match command {
                    None => return false,
                    Some(command) => self.take(command, true).await,
                },
            }
        };
        let now = Instant::now();
        let go_on = match &result {
            Ok(_) => {
                self.failures = 0;
                self.retry_at = None;
                self.held = false;
                self.timer_due = now + self.config.interval;
                self.refresh(Some(SyncState::Idle)).await;
                true
            }
            Err(e) => self.failed(e, now).await,
        };
        for waiter in self.waiters.drain(..) {
            let _ = waiter.send(result.clone());
        }
        go_on
    }

    /// Settles a failed sync: signed out ends the engine, anything else waits and retries.
    async fn failed(&mut self, e: &Error, now: Instant) -> bool {
        let failure = backoff::classify(e);
        if let Failure::SignedOut(message) = failure {
            tracing::warn!(error = %e, "the server ended this session: the sync engine stops");
            self.refresh(Some(SyncState::SignedOut { message })).await;
            return false;
        }
        self.failures += 1;
        let mut wait = backoff::delay(self.failures, &self.config, rand::rng().random());
        self.held = false;
        if let Some(asked) = backoff::retry_after(e) {
            self.held = true;
            wait = wait.max(asked);
        }
        self.retry_at = Some(now + wait);
        let retry_at = Timestamp(Timestamp::now().0 + wait.as_millis() as i64);
        tracing::info!(error = %e, failures = self.failures, wait_ms = wait.as_millis() as u64, "sync failed; trying again later");
        let state = match failure {
            Failure::Offline => SyncState::Offline { retry_at },
            Failure::Failed(message) => SyncState::Failed { message, retry_at },
            Failure::SignedOut(_) => unreachable!("handled above"),
        };
        self.refresh(Some(state)).await;
        true
    }

    /// Reads the store's sync facts (pending, last success, clock) into the status, with a
    /// new state if given.
    async fn refresh(&self, state: Option<SyncState>) {
        let store = self.store.clone();
        let facts = tokio::task::spawn_blocking(move || store.sync_status()).await;
        self.status.send_if_modified(|s| {
            if s.state.is_final() {
                return false;
            }
            if let Ok(Ok(f)) = &facts {
                s.pending = f.pending;
                s.last_success_at = f.last_success_at;
                s.clock_offset_ms = f.clock_offset_ms;
            }
            if let Some(state) = state {
                s.state = state;
            }
            true
        });
    }

    /// Shows a new state.
    fn publish(&self, state: SyncState) {
        self.status.send_if_modified(|s| {
            if s.state.is_final() {
                return false;
            }
            s.state = state;
            true
        });
    }
}
