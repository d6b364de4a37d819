//! The server's change log identity, verifiable cursors, backup and restore, on real SQLite
//! files: a fresh log has its own identity, a restore makes a new one, and a cursor from a
//! history the server lost is recognised even once new writes have overtaken it.

mod common;

use std::collections::BTreeMap;

use common::*;
use gridwalk_core::Store;
use gridwalk_core::rules::household::Validation;
use gridwalk_core::store::{StoreKind, StoreOptions};
use gridwalk_core::sync::wire::ScopeCursor;

const GRID: &str = "grid:C01-G01";

fn server(path: &std::path::Path) -> Store {
    Store::open_with(
        path,
        StoreOptions {
            kind: StoreKind::Server,
            readers: 2,
        },
    )
    .unwrap()
}

fn import(store: &Store, rooms: std::ops::Range<u32>) {
    let households: Vec<_> = rooms
        .map(|r| household("B1", &r.to_string(), Vec::new()))
        .collect();
    store
        .import_households(&supervisor(), &households, Validation::Ledger, NOW)
        .unwrap();
}

/// The cursors a device that pulled everything now holds.
fn cursors_after_pull(store: &Store) -> BTreeMap<String, ScopeCursor> {
    let mut cursors = BTreeMap::new();
    loop {
        let page = store
            .pull(&[GRID.to_owned()], &cursors, "device", 1 << 20)
            .unwrap();
        cursors = page.cursors;
        if !page.more && cursors.values().all(|c| c.snapshot_after.is_none()) {
            return cursors;
        }
    }
}

#[test]
fn every_log_has_its_own_identity_and_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let one = server(&dir.path().join("one.db"));
    let two = server(&dir.path().join("two.db"));
    assert_ne!(one.log_id().unwrap(), two.log_id().unwrap());
    let id = one.log_id().unwrap();
    drop(one);
    assert_eq!(server(&dir.path().join("one.db")).log_id().unwrap(), id);
}

#[test]
fn a_cursor_is_recognised_only_by_the_history_that_gave_it() {
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("records.db");
    let backup = dir.path().join("night.backup");
    let store = server(&live);
    import(&store, 0..3);
    store.backup_to(&backup).unwrap();
    let at_backup = cursors_after_pull(&store);
    assert!(at_backup[GRID].tag.is_some(), "cursors carry a tag");

    // The day's writes: a device follows them.
    import(&store, 3..6);
    let ahead = cursors_after_pull(&store);
    assert!(ahead[GRID].seq > at_backup[GRID].seq);
    assert_eq!(store.check_cursors(&ahead).unwrap(), Ok(()));
    assert_eq!(store.check_cursors(&at_backup).unwrap(), Ok(()));
    let before = store.log_id().unwrap();
    drop(store);

    // Copied back by hand: the same identity, and a cursor beyond the log's end.
    std::fs::remove_file(&live).unwrap();
    for side in ["records.db-wal", "records.db-shm"] {
        let _ = std::fs::remove_file(dir.path().join(side));
    }
    std::fs::copy(&backup, &live).unwrap();
    let store = server(&live);
    assert_eq!(store.log_id().unwrap(), before);
    let stale = store.check_cursors(&ahead).unwrap().unwrap_err();
    assert!(stale.reason.contains("beyond"), "{stale:?}");
    assert_eq!(store.check_cursors(&at_backup).unwrap(), Ok(()));

    // Other writes take the log past the stale cursor: its tag still gives it away.
    import(&store, 10..20);
    assert!(cursors_after_pull(&store)[GRID].seq >= ahead[GRID].seq);
    let stale = store.check_cursors(&ahead).unwrap().unwrap_err();
    assert!(stale.reason.contains("another entry"), "{stale:?}");
    // A cursor from an older app (no tag) is checked against the end only.
    let mut untagged = at_backup.clone();
    untagged.get_mut(GRID).unwrap().tag = None;
    assert_eq!(store.check_cursors(&untagged).unwrap(), Ok(()));
    drop(store);

    // `restore_from`: the backup's records under a new identity.
    let id = Store::restore_from(&backup, &live).unwrap();
    assert_ne!(id, before);
    let store = server(&live);
    assert_eq!(store.log_id().unwrap(), id);
    let restored = store
        .list_households(
            &gridwalk_core::store::queries::AddressScope::Grid("C01-G01".into()),
            0,
            100,
        )
        .unwrap();
    assert_eq!(restored.households.len(), 3);
}

#[test]
fn a_backup_taken_while_writes_go_on_is_a_consistent_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = std::sync::Arc::new(server(&dir.path().join("records.db")));
    import(&store, 0..50);
    let writer = {
        let store = store.clone();
        std::thread::spawn(move || {
            for i in 0..20 {
                import(&store, 100 + i * 5..105 + i * 5);
            }
        })
    };
    let backup = dir.path().join("records.backup");
    store.backup_to(&backup).unwrap();
    writer.join().unwrap();
    assert!(!dir.path().join("records.backup-wal").exists(), "one file");
    let copy = server(&backup);
    let n = copy
        .list_households(
            &gridwalk_core::store::queries::AddressScope::Grid("C01-G01".into()),
            0,
            1000,
        )
        .unwrap()
        .households
        .len();
    assert!(
        (50..=150).contains(&n) && n.is_multiple_of(5),
        "whole imports only: {n}"
    );
    // Not a backup of this server's records: refused.
    std::fs::write(dir.path().join("not.db"), b"not a database").unwrap();
    assert!(Store::restore_from(&dir.path().join("not.db"), &dir.path().join("x.db")).is_err());
}
