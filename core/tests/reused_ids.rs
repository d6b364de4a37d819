//! Ids the rules key by are unique (security issue: "reused ids escape the rules"), and record
//! ids are the form Gridwalk issues.

mod common;

use common::*;
use gridwalk_core::Timestamp;
use gridwalk_core::rules::household::{Validation, check_change_by};
use gridwalk_core::store::change_log::PushOutcome;
use gridwalk_core::store::merge::{RecordChanges, RecordData};

#[test]
fn a_visit_reusing_an_id_is_refused_and_an_old_repeat_freezes_nothing() {
    let (_d, store) = temp_store();
    let hid = store
        .create_household(
            &worker(),
            &household("B01", "101", vec![resident("王芳", None, None)]),
            NOW,
        )
        .unwrap();
    store
        .record_visit(&worker(), &hid, &visit_at(NOW), NOW)
        .unwrap();
    let before = store.household(&hid).unwrap();

    // A forged visit "by the supervisor" dated 1970, under the id of the worker's visit, put
    // in front of it: the old code took it for the old visit and judged nothing.
    let mut forged = before.visits[0].clone();
    forged.worker = "li.na".into();
    forged.at = Timestamp(0);
    let mut after = before.clone();
    after.visits.insert(0, forged);
    let refusal =
        check_change_by(&worker(), Some(&before), &after, Validation::Strict).unwrap_err();
    assert_eq!(refusal.code(), "household.visit_id_reused");

    // A household that already holds a repeated id (written before this rule) still takes
    // new visits: what it holds is not judged again.
    let mut old = before.clone();
    old.visits.push(before.visits[0].clone());
    let mut next = old.clone();
    let mut new_visit = before.visits[0].clone();
    new_visit.id = gridwalk_core::VisitId::generate();
    next.visits.push(new_visit);
    check_change_by(&worker(), Some(&old), &next, Validation::Strict).unwrap();
}

#[test]
fn the_server_refuses_a_record_id_it_never_issues() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_store(&dir);
    let (_d, device) = temp_store();
    device
        .create_household(&worker(), &household("B01", "102", vec![]), NOW)
        .unwrap();
    let bundle = device.export_changes(&Default::default()).unwrap();
    let RecordData::Document(bytes) = &bundle.records[0].data else {
        panic!("a new record travels whole")
    };
    let everywhere = |_: &str| true;
    for bad in [
        "",
        "a/b",
        "../../etc",
        "ABCDEF0123456789ABCDEF0123456789",
        &"0".repeat(1 << 20),
    ] {
        let rc = RecordChanges {
            id: bad.into(),
            kind: "household".into(),
            data: RecordData::Document(bytes.clone()),
        };
        match server
            .accept_pushed(&worker(), "d1", &rc, &everywhere, NOW)
            .unwrap()
        {
            PushOutcome::Refused(r) => assert_eq!(r.code(), "record.bad_id", "{:.40}", bad),
            other => panic!("{bad:.40}: {other:?}"),
        }
    }
    assert_eq!(
        server
            .accept_pushed(&worker(), "d1", &bundle.records[0], &everywhere, NOW)
            .unwrap(),
        PushOutcome::Accepted
    );
}
