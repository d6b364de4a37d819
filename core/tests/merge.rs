//! Two stores, no server: offline edits of one household merged both ways.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use gridwalk_core::records::household::{NewVisit, VisitPurpose};
use gridwalk_core::rules::findings::FindingKind;
use gridwalk_core::store::merge::RecordData;
use gridwalk_core::store::{ChangeBundle, ChangeEvent, ChangeListener, Origin};
use gridwalk_core::{Error, ResidentPatch, Store, Timestamp};

/// Brings `to` up to date with `from`: the exchange two stores run when they meet.
fn pull(from: &Store, to: &Store) -> usize {
    let bundle = from.export_changes(&to.heads().unwrap()).unwrap();
    // Through bytes, as the bundle travels.
    let bundle = ChangeBundle::from_bytes(&bundle.to_bytes()).unwrap();
    to.apply_changes(&bundle, NOW).unwrap().len()
}

fn visit(notes: &str) -> NewVisit {
    NewVisit {
        at: NOW,
        purpose: VisitPurpose::Routine,
        notes: notes.into(),
        location: None,
        photos: Vec::new(),
    }
}

#[derive(Default)]
struct Recorder(Mutex<Vec<ChangeEvent>>);

impl ChangeListener for Recorder {
    fn on_change(&self, event: &ChangeEvent) {
        self.0.lock().unwrap().push(event.clone());
    }
}

#[test]
fn offline_edits_of_one_household_merge_both_ways_into_the_same_record() {
    let (dir_a, a) = temp_store();
    let (dir_b, b) = temp_store();
    let id = a
        .create_household(
            &worker(),
            &household(
                "B01",
                "301",
                vec![resident("张三", Some(ID_1985), Some("13800138000"))],
            ),
            NOW,
        )
        .unwrap();
    assert_eq!(pull(&a, &b), 1);
    let zhang = a.household(&id).unwrap().residents[0].id.clone();

    // Offline on both phones.
    a.add_resident(&worker(), &id, &resident("张小宝", None, None), NOW)
        .unwrap();
    b.add_resident(
        &supervisor(),
        &id,
        &resident("李梅", Some(ID_1990), None),
        NOW,
    )
    .unwrap();
    let phone = |p: &str| ResidentPatch {
        phone: Some(p.into()),
        ..Default::default()
    };
    a.update_resident(&worker(), &id, &zhang, &phone("13911112222"), NOW)
        .unwrap();
    b.update_resident(&supervisor(), &id, &zhang, &phone("13733334444"), NOW)
        .unwrap();
    a.record_visit(&worker(), &id, &visit("A 的走访"), NOW)
        .unwrap();
    b.record_visit(&supervisor(), &id, &visit("B 的走访"), NOW)
        .unwrap();

    let heard = Arc::new(Recorder::default());
    let _sub = b.subscribe(heard.clone());

    assert_eq!(pull(&a, &b), 1);
    assert_eq!(pull(&b, &a), 1);
    assert_eq!(pull(&a, &b), 0, "nothing left to exchange");

    let ha = a.household(&id).unwrap();
    let hb = b.household(&id).unwrap();
    assert_eq!(ha, hb, "the same record on both stores");
    assert_eq!(a.heads().unwrap(), b.heads().unwrap());
    assert_eq!(
        projection_dump(a.path()),
        projection_dump(b.path()),
        "the same lists on both stores"
    );

    let names: Vec<_> = ha.residents.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names.len(), 3, "both new residents kept: {names:?}");
    assert_eq!(ha.visits.len(), 2, "both visits kept");
    let field = format!("residents.{zhang}.phone");
    let conflict = ha
        .conflicts
        .iter()
        .find(|c| c.field == field)
        .expect("the phone conflict is shown");
    assert_eq!(
        conflict.values,
        ["13733334444", "13911112222"],
        "both values kept"
    );

    let findings = a.needs_checking("C01-G01", NOW).unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f.kind == FindingKind::ConflictingEdits && f.subject == field),
        "{findings:?}"
    );

    let events = heard.0.lock().unwrap().clone();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].origin, Origin::Merged);
    assert_eq!(events[0].records[0].0, id);

    // A person picks one; the pick travels and ends the conflict everywhere.
    b.resolve_conflict(&supervisor(), &id, &field, "13733334444", NOW)
        .unwrap();
    pull(&b, &a);
    let ha = a.household(&id).unwrap();
    assert!(ha.conflicts.is_empty(), "{:?}", ha.conflicts);
    assert_eq!(
        ha.resident(&zhang).unwrap().phone.as_deref(),
        Some("13733334444")
    );
    assert!(
        a.needs_checking("C01-G01", NOW)
            .unwrap()
            .iter()
            .all(|f| f.kind != FindingKind::ConflictingEdits)
    );
    assert_eq!(projection_dump(a.path()), projection_dump(b.path()));
    drop((dir_a, dir_b));
}

#[test]
fn applying_the_same_changes_twice_changes_nothing() {
    let (_da, a) = temp_store();
    let (_db, b) = temp_store();
    let id = a
        .create_household(&worker(), &household("B01", "301", vec![]), NOW)
        .unwrap();
    a.record_visit(&worker(), &id, &visit("一"), NOW).unwrap();
    let bundle = a.export_changes(&b.heads().unwrap()).unwrap();
    assert_eq!(
        b.apply_changes(&bundle, NOW).unwrap(),
        std::slice::from_ref(&id)
    );
    assert!(b.apply_changes(&bundle, NOW).unwrap().is_empty());
    assert_eq!(b.household(&id).unwrap().visits.len(), 1);

    // Only what is new travels the second time.
    a.record_visit(&worker(), &id, &visit("二"), NOW).unwrap();
    let small = a.export_changes(&b.heads().unwrap()).unwrap();
    assert!(
        small.data_len() < bundle.data_len(),
        "{} >= {}",
        small.data_len(),
        bundle.data_len()
    );
    b.apply_changes(&small, NOW).unwrap();
    assert_eq!(b.household(&id).unwrap().visits.len(), 2);
}

#[test]
fn heads_the_exporter_never_saw_do_not_stop_the_export() {
    let (_da, a) = temp_store();
    let (_db, b) = temp_store();
    let id = a
        .create_household(&worker(), &household("B01", "301", vec![]), NOW)
        .unwrap();
    pull(&a, &b);
    b.set_notes(&worker(), &id, "B 的备注", NOW).unwrap();
    a.set_house_use(&worker(), &id, &gridwalk_core::HouseUse::Vacant, NOW)
        .unwrap();
    // b's heads include a change a has never seen.
    pull(&a, &b);
    let hb = b.household(&id).unwrap();
    assert_eq!(hb.house_use, gridwalk_core::HouseUse::Vacant);
    assert_eq!(hb.notes, "B 的备注");
}

#[test]
fn damaged_changes_are_refused_and_the_store_is_untouched() {
    let (_da, a) = temp_store();
    let (_db, b) = temp_store();
    let id = a
        .create_household(&worker(), &household("B01", "301", vec![]), NOW)
        .unwrap();
    pull(&a, &b);
    let before = projection_dump(b.path());

    let err = ChangeBundle::from_bytes(b"\x00\x01 definitely not cbor").unwrap_err();
    assert!(matches!(err, Error::InvalidChanges { .. }), "{err:?}");

    let mut bundle = a.export_changes(&Default::default()).unwrap();
    bundle.records[0].data = RecordData::Document(vec![0x85, 0x6f, 0x4a, 0x83, 1, 2, 3, 4, 5]);
    assert!(matches!(
        b.apply_changes(&bundle, NOW),
        Err(Error::InvalidChanges { .. })
    ));
    bundle.records[0].data =
        RecordData::Changes(vec![vec![0x85, 0x6f, 0x4a, 0x83, 9, 9, 9].into()]);
    let err = b.apply_changes(&bundle, NOW).unwrap_err();
    assert!(matches!(err, Error::InvalidChanges { .. }), "{err:?}");
    assert!(
        err.to_string().contains(id.as_str()),
        "the error names the record: {err}"
    );

    bundle.version = 99;
    assert!(ChangeBundle::from_bytes(&bundle.to_bytes()).is_err());
    assert_eq!(projection_dump(b.path()), before);
    assert_eq!(b.household(&id).unwrap().id, id);
}

#[test]
fn listeners_hear_local_writes_after_commit_and_stop_when_cancelled() {
    let (_d, store) = temp_store();
    let store = Arc::new(store);
    struct ReadsBack(Arc<Store>, Mutex<Vec<(usize, Origin)>>);
    impl ChangeListener for ReadsBack {
        fn on_change(&self, event: &ChangeEvent) {
            // The change is committed: a read from the listener sees it.
            let h = self.0.household(&event.records[0].0).unwrap();
            self.1.lock().unwrap().push((h.visits.len(), event.origin));
        }
    }
    let listener = Arc::new(ReadsBack(store.clone(), Mutex::new(Vec::new())));
    let sub = store.subscribe(listener.clone());
    let id = store
        .create_household(&worker(), &household("B01", "301", vec![]), NOW)
        .unwrap();
    store
        .record_visit(&worker(), &id, &visit("一"), Timestamp(NOW.0 + 1))
        .unwrap();
    // A refused write is not a change.
    let _ = store.record_visit(
        &gridwalk_core::Actor::new("x", gridwalk_core::Role::Inspector),
        &id,
        &visit("二"),
        NOW,
    );
    sub.cancel();
    store
        .record_visit(&worker(), &id, &visit("三"), NOW)
        .unwrap();
    assert_eq!(
        *listener.1.lock().unwrap(),
        [(0, Origin::Local), (1, Origin::Local)]
    );
}

/// Another household whose document is a copy of `id`'s: the same resident and visit ids.
fn copy_household(store: &Store, id: &gridwalk_core::RecordId) -> gridwalk_core::RecordId {
    let bundle = store.export_changes(&Default::default()).unwrap();
    let mut copy = bundle.records.iter().find(|r| &r.id == id).unwrap().clone();
    copy.id = gridwalk_core::RecordId::generate();
    let copy_id = copy.id.clone();
    store
        .apply_changes(
            &ChangeBundle {
                version: bundle.version,
                records: vec![copy],
            },
            NOW,
        )
        .expect("a repeated resident or visit id does not stop the merge");
    copy_id
}

#[test]
fn households_with_the_same_resident_and_visit_ids_are_both_listed() {
    let (_dir, a) = temp_store();
    let id = a
        .create_household(
            &worker(),
            &household("B01", "301", vec![resident("张三", Some(ID_1985), None)]),
            NOW,
        )
        .unwrap();
    a.record_visit(&worker(), &id, &visit("第一次"), NOW)
        .unwrap();
    let copy = copy_household(&a, &id);
    let (one, two) = (a.household(&id).unwrap(), a.household(&copy).unwrap());
    assert_eq!(one.residents[0].id, two.residents[0].id);
    assert_eq!(one.visits[0].id, two.visits[0].id);

    assert_eq!(a.search_residents("张三", 10).unwrap().len(), 2);
    assert_eq!(a.visits_since("C01-G01", Timestamp(0), NOW).unwrap(), 2);
    // Rewriting one household's rows leaves the other's alone.
    a.record_visit(&worker(), &id, &visit("第二次"), NOW)
        .unwrap();
    assert_eq!(a.visits_since("C01-G01", Timestamp(0), NOW).unwrap(), 3);
    let hits = a.search_residents("张三", 10).unwrap();
    let households: std::collections::BTreeSet<_> =
        hits.iter().map(|h| h.household_id.clone()).collect();
    assert_eq!(households.len(), 2, "{hits:?}");
}

#[test]
fn a_digits_search_finds_the_resident_not_a_namesake_with_the_same_id_elsewhere() {
    let (_dir, a) = temp_store();
    let id = a
        .create_household(
            &worker(),
            &household("B01", "303", vec![resident("张三", Some(ID_1985), None)]),
            NOW,
        )
        .unwrap();
    let copy = copy_household(&a, &id);
    let resident_id = a.household(&copy).unwrap().residents[0].id.clone();
    let other_id = ResidentPatch {
        id_number: Some(ID_1990.into()),
        ..Default::default()
    };
    a.update_resident(&worker(), &copy, &resident_id, &other_id, NOW)
        .unwrap();
    let hits = a.search_residents("0013", 10).unwrap();
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits[0].household_id, id);
}

#[test]
fn a_repeated_visit_id_does_not_replace_another_households_visit() {
    let (_dir, a) = temp_store();
    let id = a
        .create_household(&worker(), &household("B01", "302", Vec::new()), NOW)
        .unwrap();
    a.record_visit(&worker(), &id, &visit("第一次"), NOW)
        .unwrap();
    let copy = copy_household(&a, &id);
    assert_eq!(a.visits_since("C01-G01", Timestamp(0), NOW).unwrap(), 2);
    // Projecting the original again must not take the copy's visit row with it.
    a.record_visit(&worker(), &id, &visit("第二次"), NOW)
        .unwrap();
    assert_eq!(a.visits_since("C01-G01", Timestamp(0), NOW).unwrap(), 3);
    let conn = rusqlite::Connection::open(a.path()).unwrap();
    let copy_rows: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM visit WHERE household_id = ?1",
            [copy.as_str()],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(copy_rows, 1);
}
