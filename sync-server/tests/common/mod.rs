//! What the server's ledger tests share: a data directory with the reference data a test names.

use std::time::Duration;

use gridwalk_core::records::reference::ReferenceItem;
use gridwalk_server::server::{Data, open_data};

/// A fresh data directory holding `places`; the directory lives as long as the returned guard.
pub fn data_with(places: &[ReferenceItem]) -> (tempfile::TempDir, Data) {
    let dir = tempfile::tempdir().unwrap();
    let data = open_data(dir.path(), Duration::from_secs(60)).unwrap();
    data.store.add_reference(places).unwrap();
    (dir, data)
}
