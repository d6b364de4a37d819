//! Foreign listeners (changes, sync progress, the sync engine's state), and the handle that
//! stops one (the matrix-rust-sdk pattern: a listener plus a task handle).

use std::sync::{Arc, Mutex};

use gridwalk_core::store::{ChangeEvent, Origin, Subscription};
use gridwalk_core::sync::engine::StatusListener;

use crate::engine::SyncEngineStatus;
use crate::types::SyncProgress;

/// Implemented by the app: told which records changed after each committed write.
#[uniffi::export(foreign)]
pub trait ChangeListener: Send + Sync {
    /// `record_ids` changed; `merged` is true when the change came from a sync.
    fn on_change(&self, record_ids: Vec<String>, merged: bool);
}

/// Implemented by the app: told how a sync is going after every round trip.
#[uniffi::export(foreign)]
pub trait SyncProgressListener: Send + Sync {
    /// Totals so far.
    fn on_progress(&self, progress: SyncProgress);
}

/// Implemented by the app: told the sync engine's state, first as it is and then at every
/// change (states that follow faster than the listener returns are skipped to the newest).
#[uniffi::export(foreign)]
pub trait SyncStateListener: Send + Sync {
    /// The engine's state now.
    fn on_state(&self, status: SyncEngineStatus);
}

/// What a handle stops: a store subscription or a sync engine listener.
enum Listening {
    Changes(Subscription),
    EngineStates(StatusListener),
}

/// Stops a listener. Dropping it stops the listener too.
#[derive(uniffi::Object)]
pub struct ListenerHandle {
    subscription: Mutex<Option<Listening>>,
}

impl ListenerHandle {
    pub(crate) fn new(subscription: Subscription) -> Arc<Self> {
        Arc::new(ListenerHandle {
            subscription: Mutex::new(Some(Listening::Changes(subscription))),
        })
    }

    pub(crate) fn of_engine(listener: StatusListener) -> Arc<Self> {
        Arc::new(ListenerHandle {
            subscription: Mutex::new(Some(Listening::EngineStates(listener))),
        })
    }
}

#[uniffi::export]
impl ListenerHandle {
    /// Stops the listener. After this returns no new notification reaches it; a notification
    /// that another thread was already delivering to it at that moment may still arrive once
    /// (cancel does not wait for it, so a listener may cancel itself). Calling it again does
    /// nothing.
    pub fn cancel(&self) {
        if let Some(s) = self
            .subscription
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
        {
            match s {
                Listening::Changes(s) => s.cancel(),
                Listening::EngineStates(l) => l.cancel(),
            }
        }
    }
}

/// Adapts a foreign [`ChangeListener`] to the core's.
///
/// A callback that throws reaches Rust as a panic; the core's notifier catches and logs it, so
/// the write that triggered it still reports success and later listeners still run.
pub(crate) struct ForeignChangeListener(pub Arc<dyn ChangeListener>);

impl gridwalk_core::store::ChangeListener for ForeignChangeListener {
    fn on_change(&self, event: &ChangeEvent) {
        let ids = event.records.iter().map(|(id, _)| id.to_string()).collect();
        self.0.on_change(ids, event.origin == Origin::Merged);
    }
}
