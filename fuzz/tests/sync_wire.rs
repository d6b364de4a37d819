//! Fuzz target: the sync protocol's CBOR, as the server decodes a phone's request and a phone
//! decodes the server's answer (`wire::from_cbor`), and the automerge data inside, merged the
//! way the server merges a pushed record (`RecordData::apply_to`). Nothing may panic; every
//! failure is an `Err`.

use gridwalk_core::sync::wire::{self, SyncRequest, SyncResponse, VersionProbe};

fn target(bytes: &[u8]) {
    let _ = wire::from_cbor::<VersionProbe>(bytes);
    if let Ok(request) = wire::from_cbor::<SyncRequest>(bytes) {
        for rc in &request.push {
            let mut doc = automerge::AutoCommit::new();
            let _ = rc.data.apply_to(&mut doc);
        }
    }
    if let Ok(response) = wire::from_cbor::<SyncResponse>(bytes) {
        for rc in &response.pull {
            let mut doc = automerge::AutoCommit::new();
            let _ = rc.data.apply_to(&mut doc);
        }
    }
}

#[test]
fn sync_wire() {
    gridwalk_fuzz::run("sync_wire", target);
}
