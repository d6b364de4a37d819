//! Bounded, schema-checked records (issue 12): the server refuses a pushed record that breaks
//! the limits or holds a key no layout defines; a device sets aside a received record that
//! breaks the limits, applies the rest, and keeps keys a newer app wrote.

mod common;

use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, ScalarValue};
use common::*;
use gridwalk_core::records::household::NewVisit;
use gridwalk_core::records::limits::{MAX_LIST_LEN, MAX_RECORD_OPS, MAX_TEXT_CHARS};
use gridwalk_core::records::photo_ref::{Location, PhotoRef};
use gridwalk_core::store::change_log::PushOutcome;
use gridwalk_core::store::merge::{RecordChanges, RecordData};
use gridwalk_core::{RecordId, Store, Timestamp};

/// A list of `n` nulls under `key` of the document's root: `n` ops in a few bytes.
fn op_bomb(doc: &mut AutoCommit, key: &str, n: usize) {
    let list = doc.put_object(ROOT, key, ObjType::List).unwrap();
    doc.splice(&list, 0, 0, std::iter::repeat_n(ScalarValue::Null, n))
        .unwrap();
}

/// The record's whole document after `edit`.
fn whole(bytes: &[u8], edit: impl FnOnce(&mut AutoCommit)) -> RecordData {
    let mut doc = AutoCommit::load(bytes).unwrap();
    edit(&mut doc);
    RecordData::Document(doc.save())
}

/// The one change `edit` makes to the record.
fn change(bytes: &[u8], edit: impl FnOnce(&mut AutoCommit)) -> RecordData {
    let mut doc = AutoCommit::load(bytes).unwrap();
    let heads = doc.get_heads();
    edit(&mut doc);
    doc.commit();
    RecordData::Changes(
        doc.get_changes(&heads)
            .iter()
            .map(|c| c.raw_bytes().to_vec().into())
            .collect(),
    )
}

/// The households of a fresh device store, sent whole.
fn households(n: usize) -> (tempfile::TempDir, Store, Vec<(RecordId, Vec<u8>)>) {
    let (dir, store) = temp_store();
    for i in 0..n {
        store
            .create_household(
                &worker(),
                &household(
                    "B01",
                    &format!("{}", 101 + i),
                    vec![resident("王芳", None, None)],
                ),
                NOW,
            )
            .unwrap();
    }
    let bundle = store.export_changes(&Default::default()).unwrap();
    let records = bundle
        .records
        .into_iter()
        .map(|rc| match rc.data {
            RecordData::Document(bytes) => (rc.id, bytes),
            other => panic!("a new record travels whole: {other:?}"),
        })
        .collect();
    (dir, store, records)
}

/// The bombs, each with the code it is refused with, on the given records.
fn bombs(records: &[(RecordId, Vec<u8>)]) -> Vec<(RecordChanges, &'static str)> {
    let rc = |i: usize, data| RecordChanges {
        id: records[i].0.clone(),
        kind: "household".into(),
        data,
    };
    let bytes = |i: usize| records[i].1.as_slice();
    vec![
        // A whole document with more ops than a record may hold, in a few KB.
        (
            rc(
                0,
                whole(bytes(0), |d| op_bomb(d, "x", MAX_RECORD_OPS as usize + 1)),
            ),
            "record.too_many_ops",
        ),
        // One change with more ops than a change may hold.
        (
            rc(1, change(bytes(1), |d| op_bomb(d, "x", 30_000))),
            "record.too_many_ops",
        ),
        // A giant string in a known field.
        (
            rc(
                2,
                whole(bytes(2), |d| {
                    d.put(ROOT, "notes", "长".repeat(MAX_TEXT_CHARS + 1))
                        .unwrap()
                }),
            ),
            "record.text_too_long",
        ),
        // A huge list where the layout has a list.
        (
            rc(
                3,
                whole(bytes(3), |d| {
                    let visits = d.get(ROOT, "visits").unwrap().unwrap().1;
                    d.splice(
                        &visits,
                        0,
                        0,
                        std::iter::repeat_n(ScalarValue::Null, MAX_LIST_LEN + 1),
                    )
                    .unwrap();
                }),
            ),
            "record.list_too_long",
        ),
    ]
}

#[test]
fn the_server_refuses_records_over_the_limits_or_with_unknown_keys_from_their_headers() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_store(&dir);
    let (_d, _device, records) = households(7);
    let everywhere = |_: &str| true;
    let push = |rc: &RecordChanges| {
        server
            .accept_pushed(&worker(), "d1", rc, &everywhere, NOW)
            .unwrap()
    };
    for (rc, code) in bombs(&records) {
        let started = Instant::now();
        match push(&rc) {
            PushOutcome::Refused(r) => assert_eq!(r.code(), code, "{r}"),
            other => panic!("{code}: {other:?}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{code}: {:?}",
            started.elapsed()
        );
        assert!(server.household(&rc.id).is_err(), "{code}: nothing stored");
    }
    // The op bomb is judged from its header, before anything is loaded.
    let (op_bomb, _) = &bombs(&records)[0];
    assert!(op_bomb.data.len() < 4096, "{} bytes", op_bomb.data.len());

    // Keys no layout defines, at the root and deep inside.
    let (id4, bytes4) = &records[4];
    let unknown_root = RecordChanges {
        id: id4.clone(),
        kind: "household".into(),
        data: whole(bytes4, |d| d.put(ROOT, "colour", "red").unwrap()),
    };
    match push(&unknown_root) {
        PushOutcome::Refused(r) => {
            assert_eq!(r.code(), "record.unknown_key");
            assert_eq!(r.message().params["key"], "colour");
        }
        other => panic!("{other:?}"),
    }
    let unknown_deep = RecordChanges {
        id: id4.clone(),
        kind: "household".into(),
        data: whole(bytes4, |d| {
            let residents = d.get(ROOT, "residents").unwrap().unwrap().1;
            let (_, first) = d
                .map_range(&residents, ..)
                .next()
                .map(|i| (i.key.to_string(), i.id()))
                .unwrap();
            d.put(&first, "nickname", "芳芳").unwrap();
        }),
    };
    match push(&unknown_deep) {
        PushOutcome::Refused(r) => {
            assert_eq!(r.code(), "record.unknown_key");
            assert!(r.message().params["key"].ends_with(".nickname"), "{r}");
        }
        other => panic!("{other:?}"),
    }
    // The honest ones go in.
    for (id, bytes) in &records[4..] {
        let rc = RecordChanges {
            id: id.clone(),
            kind: "household".into(),
            data: RecordData::Document(bytes.clone()),
        };
        assert_eq!(push(&rc), PushOutcome::Accepted);
    }
}

#[test]
fn a_device_sets_aside_received_records_over_the_limits_keeps_unknown_keys_and_applies_the_rest() {
    let (_s, _source, records) = households(7);
    let (_d, device) = temp_store();
    let mut pulled: Vec<RecordChanges> = Vec::new();
    let mut expected = Vec::new();
    for (rc, code) in bombs(&records) {
        expected.push((rc.id.clone(), code));
        pulled.push(rc);
    }
    // A key a newer app wrote: kept, unread.
    let (id4, bytes4) = &records[4];
    pulled.push(RecordChanges {
        id: id4.clone(),
        kind: "household".into(),
        data: whole(bytes4, |d| d.put(ROOT, "colour", "red").unwrap()),
    });
    for (id, bytes) in &records[5..] {
        pulled.push(RecordChanges {
            id: id.clone(),
            kind: "household".into(),
            data: RecordData::Document(bytes.clone()),
        });
    }

    let applied = device.apply_pulled(&pulled, NOW).unwrap();
    let set_aside: Vec<(RecordId, String)> = applied
        .set_aside
        .iter()
        .map(|(id, reason)| (id.clone(), reason.message().code))
        .collect();
    let expected: Vec<(RecordId, String)> = expected
        .into_iter()
        .map(|(id, code)| (id, code.to_owned()))
        .collect();
    assert_eq!(set_aside, expected);
    for (id, _) in &expected {
        assert!(device.household(id).is_err(), "{id} was not applied");
    }
    for (id, _) in &records[4..] {
        assert!(device.household(id).is_ok(), "{id} applied");
    }
    // The unknown key is in the device's copy, so it goes back up with the device's edits.
    let mut exported = device.export_changes(&Default::default()).unwrap();
    let kept = exported.records.iter_mut().find(|r| &r.id == id4).unwrap();
    let RecordData::Document(bytes) = &kept.data else {
        panic!("whole")
    };
    let doc = AutoCommit::load(bytes).unwrap();
    assert!(doc.get(ROOT, "colour").unwrap().is_some());
}

#[test]
fn a_large_honest_household_is_within_the_limits() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_store(&dir);
    let (_d, device) = temp_store();
    let residents = (0..30)
        .map(|i| resident(&format!("居民{i}"), None, Some("13800138000")))
        .collect();
    let id = device
        .create_household(&worker(), &household("B01", "101", residents), NOW)
        .unwrap();
    let photo = |i: u32| PhotoRef {
        full: format!("{i:064x}"),
        thumb: format!("{:064x}", i + 1),
        width: 1600,
        height: 1200,
        taken_at: Some(NOW),
        location: Some(Location {
            lat: 39.9,
            lon: 116.4,
        }),
    };
    for i in 0..150u32 {
        let visit = NewVisit {
            at: Timestamp(NOW.0 - i64::from(i) * 86_400_000),
            notes: "老人身体状况良好，已提醒冬季取暖安全。".repeat(10),
            location: Some(Location {
                lat: 39.9,
                lon: 116.4,
            }),
            photos: (0..3).map(|p| photo(i * 10 + p)).collect(),
            ..visit_at(NOW)
        };
        device.record_visit(&worker(), &id, &visit, NOW).unwrap();
    }
    let bundle = device.export_changes(&Default::default()).unwrap();
    let rc = &bundle.records[0];
    rc.data.check_limits().unwrap();
    assert_eq!(
        server
            .accept_pushed(&worker(), "d1", rc, &|_| true, NOW)
            .unwrap(),
        PushOutcome::Accepted
    );
}

#[test]
fn history_counts_toward_a_records_bytes_even_when_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_store(&dir);
    let (_d, _device, records) = households(1);
    let (id, bytes) = &records[0];
    let everywhere = |_: &str| true;
    let push = |data| {
        server
            .accept_pushed(
                &worker(),
                "d1",
                &RecordChanges {
                    id: id.clone(),
                    kind: "household".into(),
                    data,
                },
                &everywhere,
                NOW,
            )
            .unwrap()
    };
    assert_eq!(
        push(RecordData::Document(bytes.clone())),
        PushOutcome::Accepted
    );
    // 350 notes of 9,000 characters (27 KB each), each overwriting the last: the record shows
    // one note, and keeps every one in its history.
    let mut doc = AutoCommit::load(bytes).unwrap();
    let mut overwrite = |round: usize| {
        let heads = doc.get_heads();
        for i in 0..350 {
            doc.put(ROOT, "notes", format!("{round}-{i}{}", "长".repeat(9_000)))
                .unwrap();
            doc.commit();
        }
        RecordData::Changes(
            doc.get_changes(&heads)
                .iter()
                .map(|c| c.raw_bytes().to_vec().into())
                .collect(),
        )
    };
    assert_eq!(push(overwrite(1)), PushOutcome::Accepted);
    match push(overwrite(2)) {
        PushOutcome::Refused(r) => assert_eq!(r.code(), "record.too_large", "{r}"),
        other => panic!("{other:?}"),
    }
}
