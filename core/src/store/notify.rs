//! Change notifications: after a transaction commits, every subscriber learns which records
//! changed and whether the change was made here or merged in from elsewhere.
//!
//! Listeners are called on the thread that made the change, after the store's locks are
//! released, so a listener may read the store (or even write to it). It should return quickly:
//! an app hands the event to its UI thread.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use crate::ids::RecordId;
use crate::records::RecordKind;

/// Where a change came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Made on this device.
    Local,
    /// Merged in from another store or the server.
    Merged,
}

/// One committed change to the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeEvent {
    /// Every record the transaction changed.
    pub records: Vec<(RecordId, RecordKind)>,
    /// Where the change came from.
    pub origin: Origin,
}

/// Something that wants to hear about committed changes.
pub trait ChangeListener: Send + Sync {
    /// Called once per committed transaction that changed at least one record.
    fn on_change(&self, event: &ChangeEvent);
}

type Entry = (u64, Arc<dyn ChangeListener>);

/// The store's subscribers.
#[derive(Default)]
pub struct Listeners {
    next: AtomicU64,
    entries: Arc<Mutex<Vec<Entry>>>,
}

impl Listeners {
    /// Adds a listener; it stays until the returned subscription is cancelled or dropped.
    pub fn subscribe(&self, listener: Arc<dyn ChangeListener>) -> Subscription {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        lock(&self.entries).push((id, listener));
        Subscription {
            id,
            entries: Arc::downgrade(&self.entries),
        }
    }

    /// Tells every listener about a committed change.
    pub fn notify(&self, event: ChangeEvent) {
        if event.records.is_empty() {
            return;
        }
        // Copy out, so a listener that subscribes or cancels does not deadlock.
        let listeners: Vec<Arc<dyn ChangeListener>> =
            lock(&self.entries).iter().map(|(_, l)| l.clone()).collect();
        for l in listeners {
            l.on_change(&event);
        }
    }
}

/// A live subscription. Dropping it, or calling [`Subscription::cancel`], stops the listener.
pub struct Subscription {
    id: u64,
    entries: Weak<Mutex<Vec<Entry>>>,
}

impl Subscription {
    /// Stops the listener; it is not called again once this returns.
    pub fn cancel(&self) {
        if let Some(entries) = self.entries.upgrade() {
            lock(&entries).retain(|(id, _)| *id != self.id);
        }
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.cancel();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A listener that panicked must not take notifications down for everyone else.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
