//! Rolling upgrades (issue 12): phones update weeks after the server. A newer app writes a key
//! of a layout version the server knows (here `records::layout::FUTURE_HOUSEHOLD`, which only
//! test builds have: the `future-layout` feature of the core, which this crate's tests turn on
//! for the test server), an older phone receives it, keeps it unread and edits on, and the
//! newer one gets the older one's edit with its key still there. A key no version defines is
//! refused.
//!
//! The newer app is played honestly at the level the server sees: a real automerge change,
//! made on the newer phone's own copy of the record with its own actor, applied to its store
//! and pushed by its ordinary sync. Only the writer code of the newer app is missing.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT, ReadDoc};
use gridwalk_core::records::layout::FUTURE_HOUSEHOLD;
use gridwalk_core::store::merge::{ChangeBundle, RecordChanges, RecordData};
use gridwalk_core::{RecordId, Store, Timestamp};
use gridwalk_tests::{Device, TestServer, seed_households};

/// The record's document in `store`.
fn document(store: &Store, id: &RecordId) -> AutoCommit {
    let bundle = store.export_changes(&Default::default()).unwrap();
    match &bundle.records.iter().find(|r| &r.id == id).unwrap().data {
        RecordData::Document(bytes) => AutoCommit::load(bytes).unwrap(),
        other => panic!("{other:?}"),
    }
}

/// Writes `key` = `value` at the record's root as a newer app would: one change on the
/// device's copy, applied to its store (so its outbox sends it).
fn write_as_newer_app(store: &Store, id: &RecordId, key: &str, value: &str) {
    let mut doc = document(store, id);
    // Written as the phone writes: under its own actor (its device id), as the server requires.
    doc.set_actor(gridwalk_tests::device_actor(store));
    let heads = doc.get_heads();
    doc.put(ROOT, key, value).unwrap();
    doc.commit();
    let changes = doc
        .get_changes(&heads)
        .iter()
        .map(|c| c.raw_bytes().to_vec().into())
        .collect();
    let bundle = ChangeBundle {
        version: gridwalk_core::store::merge::BUNDLE_VERSION,
        records: vec![RecordChanges {
            id: id.clone(),
            kind: "household".into(),
            data: RecordData::Changes(changes),
        }],
    };
    store.apply_changes(&bundle, Timestamp::now()).unwrap();
}

fn string_at(doc: &AutoCommit, key: &str) -> Option<String> {
    match doc.get(ROOT, key).unwrap()? {
        (automerge::Value::Scalar(s), _) => s.as_str().map(str::to_owned),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_older_phone_keeps_keys_a_newer_layout_wrote_and_unknown_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let ids = seed_households(dir.path(), "C01-G01", 1);
    let id = &ids[0];
    let newer = Device::sign_in(&server.url, "worker.a").await;
    let older = Device::sign_in(&server.url, "worker.a2").await;
    newer.sync().await;
    older.sync().await;

    let future_key = FUTURE_HOUSEHOLD.added[0];
    write_as_newer_app(&newer.store, id, future_key, "来自新版本");
    let report = newer.sync().await;
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert_eq!(report.pending, 0);

    // The older phone receives it, keeps the key unread, and edits on.
    let report = older.sync().await;
    assert!(report.refused.is_empty(), "set aside? {:?}", report.refused);
    assert_eq!(
        string_at(&document(&older.store, id), future_key).as_deref(),
        Some("来自新版本")
    );
    older
        .store
        .set_notes(&older.actor, id, "三楼东户", Timestamp::now())
        .unwrap();
    let report = older.sync().await;
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert_eq!(report.pending, 0);

    // The newer phone gets the older one's edit, its own key still there.
    newer.sync().await;
    assert_eq!(newer.store.household(id).unwrap().notes, "三楼东户");
    assert_eq!(
        string_at(&document(&newer.store, id), future_key).as_deref(),
        Some("来自新版本")
    );

    // A key no layout version defines is refused with a reason, and nothing of it is stored.
    write_as_newer_app(&newer.store, id, "colour", "red");
    let report = newer.sync().await;
    assert_eq!(report.refused.len(), 1, "{:?}", report.refused);
    let message = report.refused[0].message.clone().unwrap();
    assert_eq!(message.code, "record.unknown_key");
    assert_eq!(message.params["key"], "colour");
    let fresh = Device::sign_in(&server.url, "worker.a3").await;
    fresh.sync().await;
    let doc = document(&fresh.store, id);
    assert_eq!(string_at(&doc, "colour"), None);
    assert_eq!(string_at(&doc, future_key).as_deref(), Some("来自新版本"));
}
