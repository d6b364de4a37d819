//! Sync through a broken network and a server that dies: nothing acknowledged is lost, nothing
//! arrives twice.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use gridwalk_core::records::household::{NewVisit, VisitPurpose};
use gridwalk_core::store::queries::AddressScope;
use gridwalk_core::{RecordId, Timestamp};
use gridwalk_tests::fault_proxy::FaultProxy;
use gridwalk_tests::{Device, TestServer, household, seed_households};

fn visit(notes: String) -> NewVisit {
    NewVisit {
        at: Timestamp::now(),
        purpose: VisitPurpose::Routine,
        notes,
        location: None,
        photos: Vec::new(),
    }
}

/// Syncs until a sync succeeds, as the app's retry timer would. Returns the failed attempts.
async fn sync_until_done(device: &Device, attempts: usize) -> usize {
    for failed in 0..attempts {
        match device.try_sync().await {
            Ok(r) if r.pending == 0 => return failed,
            Ok(_) | Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    panic!("sync did not complete in {attempts} attempts");
}

fn all_visits(device: &Device, grid: &str) -> Vec<String> {
    let list = device
        .store
        .list_households(&AddressScope::Grid(grid.into()), 0, 10_000)
        .unwrap();
    list.households
        .iter()
        .flat_map(|h| device.store.household(&h.id).unwrap().visits)
        .map(|v| v.notes)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_edit_arrives_exactly_once_through_a_faulty_network() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let ids = seed_households(dir.path(), "C01-G01", 30);
    let proxy = FaultProxy::start(server.addr(), 0.5).await;

    let mut a = Device::sign_in(&server.url, "worker.a").await;
    a.reconnect(&proxy.url());
    sync_until_done(&a, 200).await;
    let mut expected = BTreeSet::new();
    let mut failures = 0;
    for round in 0..30 {
        for (i, id) in ids.iter().enumerate().skip(round % 3).step_by(3) {
            let notes = format!("round {round} household {i}");
            a.store
                .record_visit(&a.actor, id, &visit(notes.clone()), Timestamp::now())
                .unwrap();
            expected.insert(notes);
        }
        a.store
            .create_household(
                &a.actor,
                &household("C01-G01", &format!("new-{round}")),
                Timestamp::now(),
            )
            .unwrap();
        failures += sync_until_done(&a, 200).await;
    }
    // Faults that fired, not faults drawn: a cut drawn for a request shorter than its cut
    // point never happens.
    let fired = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
    let (cuts, delays, replays) = (
        fired(&proxy.counts.cuts),
        fired(&proxy.counts.delays),
        fired(&proxy.counts.replays),
    );
    eprintln!(
        "{} requests, {} faults drawn: {cuts} cuts, {delays} delays, {replays} replays fired; \
         {failures} syncs failed",
        fired(&proxy.counts.connections),
        fired(&proxy.counts.faults)
    );
    assert!(
        cuts >= 3 && failures > 0 && delays + replays > 0,
        "too few faults fired: {cuts} cuts, {delays} delays, {replays} replays, {failures} failed syncs"
    );

    // Straight to the server: every visit, once; every new household, once.
    let b = Device::sign_in(&server.url, "worker.a2").await;
    b.sync().await;
    let mut seen = all_visits(&b, "C01-G01");
    seen.sort();
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(seen.len(), unique.len(), "no visit arrived twice");
    assert_eq!(unique, expected, "every visit arrived");
    let count = b
        .store
        .list_households(&AddressScope::Grid("C01-G01".into()), 0, 1000)
        .unwrap()
        .household_count;
    assert_eq!(count, 60);
    assert_eq!(
        b.store.household(&ids[0]).unwrap(),
        a.store.household(&ids[0]).unwrap(),
        "the same document on both devices"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_killed_mid_sync_loses_nothing_it_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let mut server =
        TestServer::start_with_env(dir.path(), &[("GRIDWALK_PULL_BUDGET_BYTES", "20000")]);
    seed_households(dir.path(), "C01-G01", 5);
    let mut a = Device::sign_in(&server.url, "worker.a").await;
    a.sync().await;
    // A big outbox: 1,500 new households, several pages of pushes.
    let mut made: Vec<RecordId> = Vec::new();
    for i in 0..1500 {
        let mut h = household("C01-G01", &format!("k{i}"));
        h.notes = "备注".repeat(200);
        made.push(
            a.store
                .create_household(&a.actor, &h, Timestamp::now())
                .unwrap(),
        );
    }
    let mut cut_mid_sync = 0;
    for round in 0..3 {
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
        // Kill it as soon as the first page is acknowledged, while the next is on its way.
        let first = tokio::time::timeout(Duration::from_secs(60), rx.recv()).await;
        server.kill();
        let outcome = syncing.await.unwrap();
        let pending = a.store.pending_count().unwrap();
        if outcome.is_err() && pending > 0 && pending < 1500 {
            cut_mid_sync += 1;
        }
        eprintln!(
            "round {round}: first page {first:?}, sync {:?}, {pending} pending",
            outcome.map(|r| r.pending)
        );
        server.restart();
        a.reconnect(&server.url);
        if pending == 0 {
            break;
        }
    }
    assert!(
        cut_mid_sync > 0,
        "the server was never killed in the middle of a sync"
    );
    sync_until_done(&a, 20).await;
    let b = Device::sign_in(&server.url, "worker.a2").await;
    b.sync().await;
    for id in &made {
        assert!(
            b.store.household(id).is_ok(),
            "{id} was acknowledged but is not on the server"
        );
    }
    assert_eq!(
        b.store
            .list_households(&AddressScope::Grid("C01-G01".into()), 0, 10_000)
            .unwrap()
            .household_count,
        1505
    );
}
