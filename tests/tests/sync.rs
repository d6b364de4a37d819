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
        photos: Vec::new(),
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

    // A day offline: 60 visits go up compressed, and arrive whole.
    for i in 0..60 {
        let notes = format!("第{i}次走访：楼道整洁，独居老人身体状况良好，已提醒注意用电安全。");
        a.store
            .record_visit(&a.actor, &id, &visit(&notes), Timestamp::now())
            .unwrap();
    }
    let outbox = a.store.outbox(usize::MAX).unwrap();
    let raw: usize = outbox.iter().map(|o| o.changes.data.len()).sum();
    let day = a.sync().await;
    assert!(
        (day.progress.bytes_up as usize) < raw * 3 / 4,
        "{} bytes sent for {raw} bytes of changes",
        day.progress.bytes_up
    );
    b.sync().await;
    assert_eq!(
        b.store.household(&id).unwrap().visits.len(),
        ha.visits.len() + 60
    );
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
    // One line per request, naming the user and how many records (the four of grid B it
    // holds) were out of scope (the
    // server's output is read on another thread: wait for it, with a deadline).
    let logged = |l: &str| {
        l.contains("refused pushed records")
            && l.contains("worker.a")
            && l.contains("out_of_scope=4")
    };
    assert!(
        server.wait_for_log(logged).await,
        "the attempt is logged: {:#?}",
        server.log()
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

    // Asking for grid B's changes by hand gets nothing, and is logged.
    let mut cursors = std::collections::BTreeMap::new();
    cursors.insert(
        "grid:C01-G02".to_owned(),
        gridwalk_core::sync::wire::ScopeCursor {
            seq: 0,
            snapshot_after: Some(String::new()),
            tag: None,
        },
    );
    let request = gridwalk_core::sync::wire::SyncRequest {
        version: gridwalk_core::sync::wire::PROTOCOL_VERSION,
        cursors,
        ..Default::default()
    };
    let resp = reqwest::Client::new()
        .post(format!("{}/v1/sync", server.url))
        .bearer_auth(a.client.token().unwrap())
        .body(gridwalk_core::sync::wire::to_cbor(&request))
        .send()
        .await
        .unwrap();
    let answer: gridwalk_core::sync::wire::SyncResponse =
        gridwalk_core::sync::wire::from_cbor(&resp.bytes().await.unwrap()).unwrap();
    assert!(
        answer.pull.iter().all(|r| !in_b.contains(&r.id)),
        "nothing of grid B"
    );
    assert!(!answer.cursors.contains_key("grid:C01-G02"));
    assert!(
        server
            .wait_for_log(
                |l| l.contains("ignored cursors of scopes outside") && l.contains("C01-G02")
            )
            .await,
        "the forged cursor is logged"
    );

    // The inspector gets no households, so never a resident's ID number.
    let inspector = Device::sign_in(&server.url, "inspector").await;
    let report = inspector.sync().await;
    assert_eq!(report.progress.records_down, 0);
    // The supervisor of the community sees both grids.
    let supervisor = Device::sign_in(&server.url, "supervisor").await;
    assert_eq!(supervisor.sync().await.progress.records_down, 7);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_the_rules_refuse_is_answered_with_the_reason_and_reaches_nobody() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let a = Device::sign_in(&server.url, "worker.a").await;
    a.sync().await;
    // A tampered phone: the ledger path keeps an ID number with a wrong check digit, which the
    // server must not take from a device.
    let mut h = household("C01-G01", "301");
    h.residents.push(gridwalk_core::NewResident {
        id_number: Some("110105194912310021".into()),
        ..resident("张三")
    });
    let bad = a
        .store
        .import_households(
            &a.actor,
            &[h],
            gridwalk_core::rules::household::Validation::Ledger,
            Timestamp::now(),
        )
        .unwrap()
        .remove(0);
    let report = a.sync().await;
    let refused = report
        .refused
        .iter()
        .find(|r| r.id == bad)
        .expect("refused");
    assert_eq!(refused.code, "rules");
    assert!(refused.reason.contains("check digit"), "{}", refused.reason);
    assert!(
        !refused.reason.contains("19491231"),
        "the reason masks the ID number"
    );
    assert_eq!(
        a.store.pending_count().unwrap(),
        0,
        "refused changes are not retried forever"
    );
    assert_eq!(a.store.sync_status().unwrap().refused.len(), 1);
    let b = Device::sign_in(&server.url, "worker.a2").await;
    b.sync().await;
    assert!(
        b.store.household(&bad).is_err(),
        "never stored, never sent on"
    );
    // The worker gives up on it: a record the server never had goes away.
    a.store.discard_unsent_changes(&bad).unwrap();
    assert!(a.store.household(&bad).is_err());
    assert!(a.store.sync_status().unwrap().refused.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_household_moved_into_a_grid_arrives_whole() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let in_b = seed_households(dir.path(), "C01-G02", 2);
    let b = Device::sign_in(&server.url, "worker.b").await;
    b.sync().await;
    // History in grid B: a resident and three visits.
    b.store
        .add_resident(&b.actor, &in_b[0], &resident("王五"), Timestamp::now())
        .unwrap();
    for i in 0..3 {
        b.store
            .record_visit(
                &b.actor,
                &in_b[0],
                &visit(&format!("B{i}")),
                Timestamp::now(),
            )
            .unwrap();
    }
    b.sync().await;
    let a = Device::sign_in(&server.url, "worker.a").await;
    a.sync().await;
    assert!(a.store.household(&in_b[0]).is_err());

    // The supervisor re-addresses it to grid A.
    let s = Device::sign_in(&server.url, "supervisor").await;
    s.sync().await;
    let mut moved = s.store.household(&in_b[0]).unwrap().address;
    moved.grid = "C01-G01".into();
    moved.compound = "Q1".into();
    moved.building = "B1".into();
    s.store
        .set_address(&s.actor, &in_b[0], &moved, Timestamp::now())
        .unwrap();
    s.sync().await;

    let report = a.sync().await;
    assert_eq!(report.progress.records_down, 1);
    let h = a.store.household(&in_b[0]).unwrap();
    assert_eq!(h.address.grid, "C01-G01");
    assert_eq!(h.residents.len(), 1, "with its residents");
    assert_eq!(h.visits.len(), 3, "and its history");
    assert_eq!(h, s.store.household(&in_b[0]).unwrap());
    // And it leaves grid B's phones: personal data goes only where it belongs.
    b.sync().await;
    assert!(matches!(
        b.store.household(&in_b[0]),
        Err(gridwalk_core::Error::NotFound { .. })
    ));
    assert!(
        b.store.household(&in_b[1]).is_ok(),
        "the rest of grid B stays"
    );
    let left = b
        .store
        .list_households(&AddressScope::Grid("C01-G02".into()), 0, 10)
        .unwrap();
    assert_eq!(left.household_count, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_moved_to_another_grid_forgets_the_old_one_but_not_unsent_work() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let in_a = seed_households(dir.path(), "C01-G01", 3);
    let in_b = seed_households(dir.path(), "C01-G02", 2);
    let w = Device::sign_in(&server.url, "worker.a").await;
    w.sync().await;
    assert_eq!(
        w.store
            .list_households(&AddressScope::Grid("C01-G01".into()), 0, 10)
            .unwrap()
            .household_count,
        3
    );
    // A visit recorded offline, not yet sent, when the office moves the worker to grid B.
    w.store
        .record_visit(&w.actor, &in_a[0], &visit("最后一次"), Timestamp::now())
        .unwrap();
    {
        let data =
            gridwalk_server::server::open_data(dir.path(), std::time::Duration::from_secs(3600))
                .unwrap();
        data.accounts
            .add_user(
                "worker.a",
                "worker.a",
                gridwalk_core::Role::GridWorker,
                gridwalk_tests::PASSWORD,
                &["grid:C01-G02".parse().unwrap()],
            )
            .unwrap();
    }
    let report = w.sync().await;
    assert!(
        report.refused.iter().any(|r| r.id == in_a[0]),
        "the unsent visit is refused as out of scope, and said so"
    );
    for gone in &in_a[1..] {
        assert!(
            matches!(
                w.store.household(gone),
                Err(gridwalk_core::Error::NotFound { .. })
            ),
            "grid A's households leave the phone"
        );
    }
    let kept = w.store.household(&in_a[0]).unwrap();
    assert!(
        kept.visits.iter().any(|v| v.notes == "最后一次"),
        "the worker's unsent work is not thrown away"
    );
    for id in &in_b {
        assert!(w.store.household(id).is_ok(), "grid B's households arrive");
    }
    // The worker lets the visit go: the household goes back to what the server has, and with
    // nothing left to send it leaves the phone on the next sync.
    w.store.discard_unsent_changes(&in_a[0]).unwrap();
    assert!(
        w.store.household(&in_a[0]).unwrap().visits.is_empty(),
        "back to the server's version"
    );
    assert_eq!(w.store.pending_count().unwrap(), 0);
    let report = w.sync().await;
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert!(w.store.household(&in_a[0]).is_err());
}

#[tokio::test(flavor = "multi_thread")]
async fn local_writes_do_not_wait_for_a_sync_in_progress() {
    use gridwalk_core::store::notify::{ChangeEvent, ChangeListener, Origin};
    /// The order in which writes and merged batches committed.
    struct Commits(std::sync::Mutex<Vec<Origin>>);
    impl ChangeListener for Commits {
        fn on_change(&self, event: &ChangeEvent) {
            self.0.lock().unwrap().push(event.origin);
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let ids = seed_households(dir.path(), "C01-G01", 3000);
    let a = Device::sign_in(&server.url, "worker.a").await;
    let local = a
        .store
        .create_household(&a.actor, &household("C01-G01", "local"), Timestamp::now())
        .unwrap();
    let commits = std::sync::Arc::new(Commits(Default::default()));
    let _subscription = a.store.subscribe(commits.clone());
    let store = a.store.clone();
    let client = a.client.clone();
    let syncing = tokio::spawn(async move { client.sync(store, &|_| {}).await });
    while !syncing.is_finished() {
        a.store
            .record_visit(&a.actor, &local, &visit("during sync"), Timestamp::now())
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    syncing.await.unwrap().unwrap();
    assert!(a.store.household(&ids[2999]).is_ok());
    // The 3,000 households arrive in batches of 250, each its own transaction. A write that
    // waited for the sync would commit before the first batch or after the last; one that
    // does not wait commits between batches. Judged by order of commit, not by time, so a
    // loaded machine cannot fail it.
    let order = commits.0.lock().unwrap().clone();
    let first = order.iter().position(|o| *o == Origin::Merged).unwrap();
    let last = order.iter().rposition(|o| *o == Origin::Merged).unwrap();
    let between = order[first..last]
        .iter()
        .filter(|o| **o == Origin::Local)
        .count();
    let batches = order.iter().filter(|o| **o == Origin::Merged).count();
    assert!(batches >= 12, "3,000 households in batches: {batches}");
    assert!(
        between > 0,
        "no write committed while the sync merged its {batches} batches"
    );
    a.sync().await;
    assert_eq!(a.store.pending_count().unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopping_server_finishes_the_request_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path());
    let proxy = gridwalk_tests::fault_proxy::FaultProxy::start(server.addr(), 0.0).await;
    let mut a = Device::sign_in(&server.url, "worker.a").await;
    a.reconnect(&proxy.url());
    a.sync().await;
    for i in 0..1500 {
        let mut h = household("C01-G01", &format!("r{i}"));
        h.notes = "备注".repeat(100);
        a.store
            .create_household(&a.actor, &h, Timestamp::now())
            .unwrap();
    }
    let store = a.store.clone();
    let client = a.client.clone();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let syncing = tokio::spawn(async move {
        client
            .sync(store, &move |p| {
                let _ = tx.send(p.round_trips);
            })
            .await
    });
    // SIGTERM once the first, large request has reached the server whole (the bytes through
    // the proxy stop growing) and while the server is still handling it.
    let sent = || {
        proxy
            .counts
            .bytes_up
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    let before = sent();
    loop {
        let now = sent();
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        if now > before + 10_000 && sent() == now {
            break;
        }
    }
    let status = server.terminate();
    assert!(status.success(), "a clean exit: {status:?}");
    let first = rx.recv().await;
    assert_eq!(first, Some(1), "the request in flight was answered");
    let _ = syncing.await.unwrap();
    assert!(
        a.store.pending_count().unwrap() < 1500,
        "what it answered is acknowledged"
    );
}
