//! Change notifications: after a transaction commits, every subscriber learns which records
//! changed and whether the change was made here or merged in from elsewhere.
//!
//! Listeners are called on the thread that made the change, after the store's locks are
//! released, so a listener may read the store (or even write to it). It should return quickly:
//! an app hands the event to its UI thread.
//!
//! The write is committed before any listener runs, so nothing a listener does can undo it or
//! make it fail: a listener that panics (a foreign callback that threw, turned into a panic by
//! the bindings) is logged and skipped, and the listeners after it still hear the change.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
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

/// A subscriber: its id, whether it is still subscribed, and the listener.
type Entry = (u64, Arc<AtomicBool>, Arc<dyn ChangeListener>);

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
        let active = Arc::new(AtomicBool::new(true));
        lock(&self.entries).push((id, active.clone(), listener));
        Subscription {
            id,
            active,
            entries: Arc::downgrade(&self.entries),
        }
    }

    /// Tells every listener about a committed change. Never fails and never panics because of
    /// a listener: the change is already committed, and the caller's write must report `Ok`.
    pub fn notify(&self, event: ChangeEvent) {
        if event.records.is_empty() {
            return;
        }
        // Copy out, so a listener that subscribes or cancels does not deadlock.
        let listeners: Vec<(u64, Arc<AtomicBool>, Arc<dyn ChangeListener>)> =
            lock(&self.entries).iter().cloned().collect();
        for (id, active, l) in listeners {
            // Cancelled by an earlier listener of this same notification, or on another thread
            // since the copy was made.
            if !active.load(Ordering::Acquire) {
                continue;
            }
            // AssertUnwindSafe: the event is only read, and a listener's own state is its own
            // business; nothing of the store is borrowed across the call.
            if let Err(panic) = catch_unwind(AssertUnwindSafe(|| l.on_change(&event))) {
                let reason = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "a panic without a message".to_owned());
                tracing::error!(
                    listener = id,
                    records = event.records.len(),
                    reason,
                    "a change listener failed; the change is saved and other listeners still hear it"
                );
            }
        }
    }
}

/// A live subscription. Dropping it, or calling [`Subscription::cancel`], stops the listener.
pub struct Subscription {
    id: u64,
    active: Arc<AtomicBool>,
    entries: Weak<Mutex<Vec<Entry>>>,
}

impl Subscription {
    /// Stops the listener. Once this returns no notification calls it any more, except one
    /// that another thread had already started calling it with at that moment: cancel does not
    /// wait for that call to finish (it may be the listener itself cancelling), so a listener
    /// must tolerate one last call that is already under way. Cancelling from inside the
    /// listener, or twice, is fine.
    pub fn cancel(&self) {
        self.active.store(false, Ordering::Release);
        if let Some(entries) = self.entries.upgrade() {
            lock(&entries).retain(|(id, _, _)| *id != self.id);
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    struct Panics;
    impl ChangeListener for Panics {
        fn on_change(&self, _: &ChangeEvent) {
            panic!("the app's callback threw");
        }
    }

    struct Counts(AtomicUsize);
    impl ChangeListener for Counts {
        fn on_change(&self, _: &ChangeEvent) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn event() -> ChangeEvent {
        ChangeEvent {
            records: vec![(
                RecordId::from_string("r1".to_owned()),
                RecordKind::Household,
            )],
            origin: Origin::Local,
        }
    }

    #[test]
    fn a_panicking_listener_does_not_stop_the_next_one() {
        let listeners = Listeners::default();
        let counts = Arc::new(Counts(AtomicUsize::new(0)));
        let _a = listeners.subscribe(Arc::new(Panics));
        let _b = listeners.subscribe(counts.clone());
        listeners.notify(event());
        listeners.notify(event());
        assert_eq!(counts.0.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_write_whose_listener_panics_is_saved_and_reported_ok() {
        use crate::records::household::{Address, HouseUse, NewHousehold};
        use crate::rules::permissions::{Actor, Role};
        use crate::store::Store;
        use crate::time::Timestamp;

        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("s.db")).unwrap();
        let counts = Arc::new(Counts(AtomicUsize::new(0)));
        let _a = store.subscribe(Arc::new(Panics));
        let _b = store.subscribe(counts.clone());
        let new = NewHousehold {
            address: Address {
                community: "C01".into(),
                grid: "C01-G01".into(),
                compound: "Q1".into(),
                building: "B1".into(),
                unit: "1".into(),
                room: "101".into(),
            },
            house_use: HouseUse::OwnerOccupied,
            notes: String::new(),
            residents: Vec::new(),
        };
        let id = store
            .create_household(
                &Actor::new("li.na", Role::Supervisor),
                &new,
                Timestamp::now(),
            )
            .expect("the write is saved even though a listener panicked");
        assert!(store.household(&id).is_ok());
        assert_eq!(
            counts.0.load(Ordering::SeqCst),
            1,
            "the next listener heard it"
        );
    }

    #[test]
    fn a_cancelled_listener_is_not_called() {
        let listeners = Listeners::default();
        let counts = Arc::new(Counts(AtomicUsize::new(0)));
        let sub = listeners.subscribe(counts.clone());
        listeners.notify(event());
        sub.cancel();
        listeners.notify(event());
        assert_eq!(counts.0.load(Ordering::SeqCst), 1);
    }
}
