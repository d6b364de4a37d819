//! Devices and a real server on loopback: the basic exchange, convergence, and scopes.

use gridwalk_core::records::household::{NewVisit, VisitPurpose};
use gridwalk_core::store::queries::AddressScope;
use gridwalk_core::{ResidentPatch, Timestamp};
use gridwalk_tests::{Device, TestServer, household, seed_households};

fn visit(notes: &str) -> NewVisit {
    NewVisit {
        at: Timestamp::now(),
        purpose: VisitPurpose::Routine,
        notes: notes.into(),
        location: None,
    }
}

fn resident(name: &str) -> gridwalk_core::NewResident {
    gridwalk_core::NewResident {
        name: name.into(),
        id_number: None,
        phone: Some("13800138000".into()),
        relation: gridwalk_core::records::household::Relation::Head,
        registration: gridwalk_core::records::household::Registration::Local,
        tags: Default::default(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_workers_of_one_grid_see_each_others_offline_edits() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    seed_households(dir.path(), "C01-G01", 20);
    seed_households(dir.path(), "C01-G02", 5);

    let a = Device::sign_in(&server.url, "worker.a").await;
    let b = Device::sign_in(&server.url, "worker.a2").await;
    let first = a.sync().await;
    assert_eq!(
        first.progress.records_down, 20,
        "the grid's households arrive whole"
    );
    assert_eq!(first.progress.round_trips, 1);
    b.sync().await;
    assert!(
        a.store.reference_version().unwrap() > 0,
        "reference data arrives with the first sync"
    );

    let list = a
        .store
        .list_households(&AddressScope::Grid("C01-G01".into()), 0, 100)
        .unwrap();
    let id = list.households[0].id.clone();
    // Offline on both phones: a resident each, the same phone field, a visit each.
    let ra = a
        .store
        .add_resident(&a.actor, &id, &resident("张三"), Timestamp::now())
        .unwrap();
    a.store
        .record_visit(&a.actor, &id, &visit("A"), Timestamp::now())
        .unwrap();
    b.store
        .add_resident(&b.actor, &id, &resident("李四"), Timestamp::now())
        .unwrap();
    b.store
        .record_visit(&b.actor, &id, &visit("B"), Timestamp::now())
        .unwrap();
    let new = b
        .store
        .create_household(&b.actor, &household("C01-G01", "new"), Timestamp::now())
        .unwrap();
    assert_eq!(a.store.pending_count().unwrap(), 1);
    assert_eq!(b.store.pending_count().unwrap(), 2);

    a.sync().await;
    assert_eq!(a.store.pending_count().unwrap(), 0, "acknowledged");
    b.sync().await;
    a.sync().await;
    b.sync().await;
    let ha = a.store.household(&id).unwrap();
    let hb = b.store.household(&id).unwrap();
    assert_eq!(ha, hb);
    assert_eq!(ha.residents.len(), 2);
    assert_eq!(ha.visits.len(), 2);
    assert!(
        a.store.household(&new).is_ok(),
        "b's new household reached a"
    );

    // The same phone field edited on both: both values kept, shown as a conflict.
    let patch = |p: &str| ResidentPatch {
        phone: Some(p.into()),
        ..Default::default()
    };
    b.sync().await;
    b.store
        .update_resident(&b.actor, &id, &ra, &patch("13911112222"), Timestamp::now())
        .unwrap();
    a.store
        .update_resident(&a.actor, &id, &ra, &patch("13733334444"), Timestamp::now())
        .unwrap();
    a.sync().await;
    b.sync().await;
    a.sync().await;
    let ha = a.store.household(&id).unwrap();
    assert_eq!(ha, b.store.household(&id).unwrap());
    assert_eq!(ha.conflicts.len(), 1, "{:?}", ha.conflicts);

    // A sync with nothing new: one round trip, nothing moves.
    let idle = a.sync().await;
    assert_eq!(idle.progress.round_trips, 1);
    assert_eq!(idle.progress.records_down + idle.progress.records_up, 0);
    assert!(
        idle.progress.bytes_up < 1024 && idle.progress.bytes_down < 1024,
        "{:?}",
        idle.progress
    );
    let status = a.store.sync_status().unwrap();
    assert_eq!(status.pending, 0);
    assert!(status.last_success_at.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn nobody_sees_or_writes_outside_their_scope() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let in_a = seed_households(dir.path(), "C01-G01", 3);
    let in_b = seed_households(dir.path(), "C01-G02", 4);

    let a = Device::sign_in(&server.url, "worker.a").await;
    a.sync().await;
    assert!(a.store.household(&in_a[0]).is_ok());
    assert!(
        a.store.household(&in_b[0]).is_err(),
        "grid B's household never reaches grid A's worker"
    );

    // Worker B's household pushed by worker A (a tampered phone that made it itself).
    let b = Device::sign_in(&server.url, "worker.b").await;
    b.sync().await;
    let bundle = b.store.export_changes(&Default::default()).unwrap();
    a.store.apply_changes(&bundle, Timestamp::now()).unwrap();
    a.store
        .record_visit(&a.actor, &in_b[0], &visit("越权"), Timestamp::now())
        .unwrap();
    let report = a.sync().await;
    assert!(
        report
            .refused
            .iter()
            .any(|r| r.id == in_b[0] && r.code == "out_of_scope"),
        "{report:?}"
    );
    b.sync().await;
    assert!(
        b.store.household(&in_b[0]).unwrap().visits.is_empty(),
        "the refused visit reached nobody"
    );
    assert!(
        server.log().iter().any(|l| l.contains("refused a push out of the user's scope") && l.contains("worker.a")),
        "the attempt is logged"
    );
    // A new household in grid B made by worker A is refused too.
    let sneaky = a
        .store
        .create_household(&a.actor, &household("C01-G02", "x"), Timestamp::now())
        .unwrap();
    let report = a.sync().await;
    assert!(
        report
            .refused
            .iter()
            .any(|r| r.id == sneaky && r.code == "out_of_scope")
    );
    // The four grid-B households it copied and the new one: each refused, each shown to the app.
    assert_eq!(a.store.sync_status().unwrap().refused.len(), 5);

    // The inspector gets no households, so never a resident's ID number.
    let inspector = Device::sign_in(&server.url, "inspector").await;
    let report = inspector.sync().await;
    assert_eq!(report.progress.records_down, 0);
    // The supervisor of the community sees both grids.
    let supervisor = Device::sign_in(&server.url, "supervisor").await;
    assert_eq!(supervisor.sync().await.progress.records_down, 7);
}
