//! Fuzz target: a server judging a pushed record (`Store::accept_pushed`), with automerge data
//! a hostile or broken phone could send. Nothing may panic, the store must stay readable, and
//! whatever was accepted must read back as a record of its kind.
//!
//! Input format: one byte `D` (a whole document) or anything else (one change), one byte for
//! the kind (`h`ousehold, `o`rder, `r`eport, anything else: household), then the automerge
//! bytes. Every input is a new record with a fresh id.

use std::sync::OnceLock;

use gridwalk_core::records::reference::{ReferenceItem, ReferenceKind};
use gridwalk_core::store::change_log::PushOutcome;
use gridwalk_core::store::merge::{RecordChanges, RecordData};
use gridwalk_core::store::{StoreKind, StoreOptions};
use gridwalk_core::{Actor, RecordId, Role, Store, Timestamp};

/// One server store for the whole run, with the places the examples name.
fn store() -> &'static Store {
    static STORE: OnceLock<(tempfile::TempDir, Store)> = OnceLock::new();
    &STORE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let store = Store::open_with(
                dir.path().join("records.db"),
                StoreOptions {
                    kind: StoreKind::Server,
                    readers: 1,
                },
            )
            .unwrap();
            let community = gridwalk_core::demo::community(&gridwalk_core::demo::CommunitySpec {
                households: 3,
                grids: 1,
                households_per_building: 3,
                buildings_per_compound: 1,
                ..gridwalk_core::demo::CommunitySpec::device_scale(9)
            });
            store.add_reference(&community.reference).unwrap();
            store
                .add_reference(&[ReferenceItem::new(
                    ReferenceKind::Category,
                    "fire_safety",
                    None,
                    "消防安全",
                )])
                .unwrap();
            (dir, store)
        })
        .1
}

fn target(bytes: &[u8]) {
    let (Some(&shape), Some(&kind), Some(data)) = (bytes.first(), bytes.get(1), bytes.get(2..))
    else {
        return;
    };
    let kind = match kind {
        b'o' => "order",
        b'r' => "report",
        _ => "household",
    };
    let data = if shape == b'D' {
        RecordData::Document(data.to_vec())
    } else {
        RecordData::Changes(vec![data.to_vec().into()])
    };
    let rc = RecordChanges {
        id: RecordId::generate(),
        kind: kind.into(),
        data,
    };
    let store = store();
    for actor in [
        Actor::new("worker.a", Role::GridWorker),
        Actor::new("inspector", Role::Inspector),
    ] {
        let outcome = store.accept_pushed(&actor, "fuzz", &rc, &|_| true, Timestamp::now());
        if let Ok(PushOutcome::Accepted) = outcome {
            let record = store.record(&rc.id).expect("an accepted record reads back");
            assert_eq!(record.kind().as_str(), kind);
            break;
        }
    }
}

#[test]
fn pushed_changes() {
    gridwalk_fuzz::run("pushed_changes", target);
}
