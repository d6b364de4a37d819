//! Several threads writing one store at once (the app's screens and its background sync share
//! one handle), some to the same household: every write is there once, none fails with
//! SQLITE_BUSY, and the outbox carries all of them. The same with a handle per thread (two
//! handles on one file: an admin command beside the server, or an app that opened its store
//! twice): before every write transaction took the file's write lock at its start and read the
//! record inside it, a write failed with "database is locked", and with the lock taken late,
//! two handles reused one automerge sequence number and the household could no longer be read
//! ("duplicate seq").

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};

use common::*;
use gridwalk_core::{RecordId, Store, Timestamp};

const THREADS: usize = 4;
const VISITS: usize = 40;

#[test]
fn threads_writing_one_store_at_once_lose_nothing() {
    threads_write(Handles::Shared);
}

#[test]
fn threads_writing_through_their_own_handles_lose_nothing() {
    threads_write(Handles::PerThread);
}

#[derive(Clone, Copy)]
enum Handles {
    /// One `Store` for every thread, as the FFI object is.
    Shared,
    /// A `Store::open` of the same file per thread.
    PerThread,
}

fn threads_write(handles: Handles) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("device.db");
    let shared = {
        let store = Store::open(&path).unwrap();
        store
            .create_household(&worker(), &household("1", "101", vec![]), NOW)
            .unwrap()
    };
    let barrier = Arc::new(Barrier::new(THREADS));
    let store = Arc::new(Store::open(&path).unwrap());
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let store = match handles {
                Handles::Shared => store.clone(),
                Handles::PerThread => Arc::new(Store::open(&path).unwrap()),
            };
            let (shared, barrier) = (shared.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let own = store
                    .create_household(&worker(), &household("2", &format!("{t}"), vec![]), NOW)
                    .unwrap_or_else(|e| panic!("thread {t}, new household: {e}"));
                let mut written = Vec::new();
                for n in 0..VISITS {
                    // Every other visit to the household all threads write to.
                    let id = if n % 2 == 0 { &shared } else { &own };
                    let at = Timestamp(NOW.0 + n as i64);
                    let vid = store
                        .record_visit(&worker(), id, &visit_at(at), at)
                        .unwrap_or_else(|e| panic!("thread {t}, visit {n}: {e}"));
                    written.push((id.clone(), vid.to_string()));
                }
                (own, written)
            })
        })
        .collect();
    let mut households: BTreeSet<RecordId> = BTreeSet::from([shared]);
    let mut written = Vec::new();
    for t in threads {
        let (own, w) = t.join().expect("a writer thread failed");
        households.insert(own);
        written.extend(w);
    }
    assert_eq!(written.len(), THREADS * VISITS);

    // Every write is in the store, once (read through a new handle, from the file).
    drop(store);
    let store = Store::open(&path).unwrap();
    let check = |s: &Store, what: &str| {
        for id in &households {
            let h = s.household(id).unwrap();
            let have: Vec<String> = h.visits.iter().map(|v| v.id.to_string()).collect();
            let unique: BTreeSet<&String> = have.iter().collect();
            assert_eq!(
                unique.len(),
                have.len(),
                "{what}: a visit of {id} is there twice"
            );
            let want: BTreeSet<&String> = written
                .iter()
                .filter(|(h, _)| h == id)
                .map(|(_, v)| v)
                .collect();
            assert_eq!(unique, want, "{what}: the visits of {id}");
        }
    };
    check(&store, "the store");

    // The outbox holds every household with every visit: what a sync would push, applied to
    // an empty store, is all of it.
    assert_eq!(store.pending_count().unwrap() as usize, households.len());
    let outbox: Vec<_> = store
        .outbox(usize::MAX)
        .unwrap()
        .into_iter()
        .map(|o| o.changes)
        .collect();
    let (_other_dir, other) = temp_store();
    other.apply_pulled(&outbox, NOW).unwrap();
    check(&other, "the outbox");
}
