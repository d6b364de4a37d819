//! "Acknowledged means durable" (ARCHITECTURE.md, Invariants) rests on every connection being
//! in WAL mode with `synchronous = FULL`: read back from SQLite, on a device store and on a
//! server's records store, so a change to `NORMAL` or `OFF` fails here (issue 13, part 1).

mod common;

use common::*;

#[test]
fn every_connection_of_a_device_and_a_server_store_is_wal_and_synchronous_full() {
    let (_d, device) = temp_store();
    let dir = tempfile::tempdir().unwrap();
    let server = server_store(&dir);
    for store in [&device, &server] {
        let settings = store.connection_settings().unwrap();
        assert_eq!(settings[0].0, "writer");
        assert!(settings.len() >= 2, "a writer and readers: {settings:?}");
        for (role, mode, sync) in settings {
            assert_eq!((mode.as_str(), sync), ("wal", 2), "{role}");
        }
    }
}
