//! The sync engine (`core::sync::engine`) against real servers on loopback: it retries through
//! a server that is down with growing waits, never runs two syncs at once, shows a first
//! download's progress against the totals the server sends, stops on a revoked token, and
//! syncs a local write after the debounce.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use gridwalk_core::store::queries::AddressScope;
use gridwalk_core::sync::client::SyncPhase;
use gridwalk_core::sync::engine::{EngineConfig, EngineStatus, SyncEngine, SyncState};
use gridwalk_core::{Error, Timestamp};
use gridwalk_tests::fault_proxy::FaultProxy;
use gridwalk_tests::{Device, TestServer, household, seed_households};
use tokio::sync::watch;
use tokio::time::Instant;

/// Short waits, so a test sees several of each in a few seconds.
fn quick() -> EngineConfig {
    EngineConfig {
        debounce: Duration::from_millis(300),
        interval: Duration::from_secs(3600),
        backoff_first: Duration::from_millis(200),
        backoff_max: Duration::from_secs(2),
        jitter: 0.25,
    }
}

/// Waits (at most a minute) for a status that satisfies `f`, and returns it.
async fn wait_for(
    rx: &mut watch::Receiver<EngineStatus>,
    what: &str,
    f: impl FnMut(&EngineStatus) -> bool,
) -> EngineStatus {
    let found = match tokio::time::timeout(Duration::from_secs(60), rx.wait_for(f)).await {
        Ok(Ok(s)) => Some(s.clone()),
        Ok(Err(_)) => panic!("the engine ended before {what}"),
        Err(_) => None,
    };
    found.unwrap_or_else(|| panic!("no {what} within a minute: {:?}", rx.borrow().clone()))
}

fn idle_after(status: &EngineStatus, since: Timestamp) -> bool {
    status.state == SyncState::Idle && status.last_success_at.is_some_and(|t| t.0 >= since.0)
}

#[tokio::test(flavor = "multi_thread")]
async fn retries_through_a_server_that_is_down_with_growing_waits() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path());
    let device = Device::sign_in(&server.url, "worker.a").await;
    let id = device
        .store
        .create_household(
            &device.actor,
            &household("C01-G01", "101"),
            Timestamp::now(),
        )
        .unwrap();
    server.kill();

    let started = Timestamp::now();
    let engine = SyncEngine::start(device.store.clone(), device.client.clone(), quick()).unwrap();
    let mut rx = engine.watch();
    // When each failed try was seen, and the retry time it announced.
    let mut tries: Vec<(Instant, Timestamp)> = Vec::new();
    while tries.len() < 5 {
        let s = wait_for(&mut rx, "a failed try", |s| {
            matches!(s.state, SyncState::Offline { retry_at } if tries.last().is_none_or(|t| t.1 != retry_at))
        })
        .await;
        let SyncState::Offline { retry_at } = s.state else {
            unreachable!()
        };
        assert_eq!(s.pending, 1, "the write waits in the outbox");
        tries.push((Instant::now(), retry_at));
    }
    let gaps: Vec<Duration> = tries.windows(2).map(|w| w[1].0 - w[0].0).collect();
    println!("waits between tries: {gaps:?}");
    for w in gaps.windows(2) {
        assert!(w[1] > w[0], "the waits grow: {gaps:?}");
    }
    assert!(
        gaps[3] > gaps[0] * 4,
        "four failures wait about eight times as long as one: {gaps:?}"
    );
    assert!(
        gaps[0] >= Duration::from_millis(150),
        "jitter shortens a wait by at most a quarter: {gaps:?}"
    );

    // The server comes back: the engine's next try gets through, on its own.
    server.restart();
    let s = wait_for(&mut rx, "a sync once the server is back", |s| {
        idle_after(s, started)
    })
    .await;
    assert_eq!(s.pending, 0, "the write went up");
    let other = Device::sign_in(&server.url, "worker.a2").await;
    other.sync().await;
    assert!(other.store.household(&id).is_ok(), "a colleague has it");
}

#[tokio::test(flavor = "multi_thread")]
async fn never_runs_two_syncs_at_once_and_calls_join_the_one_running() {
    let dir = tempfile::tempdir().unwrap();
    // Small answers, so a first download of a few hundred households takes several requests.
    let server = TestServer::start_with_env(dir.path(), &[("GRIDWALK_PULL_BUDGET_BYTES", "20000")]);
    seed_households(dir.path(), "C01-G01", 600);
    let proxy = FaultProxy::start(server.addr(), 0.0).await;
    let mut device = Device::sign_in(&server.url, "worker.a").await;
    device.reconnect(&proxy.url());

    let engine =
        Arc::new(SyncEngine::start(device.store.clone(), device.client.clone(), quick()).unwrap());
    let mut rx = engine.watch();
    wait_for(
        &mut rx,
        "the first download under way",
        |s| matches!(s.state, SyncState::Syncing { records_done, .. } if records_done > 0),
    )
    .await;
    // Everything at once while the first sync runs: the app asks for syncs, the network comes
    // back, the app comes to the foreground, the worker writes.
    let mut calls = Vec::new();
    for _ in 0..12 {
        let e = engine.clone();
        calls.push(tokio::spawn(async move { e.sync_now().await }));
        engine.network_available();
        engine.foreground();
    }
    let store = device.store.clone();
    let actor = device.actor.clone();
    let writes = tokio::task::spawn_blocking(move || {
        for i in 0..5 {
            store
                .create_household(
                    &actor,
                    &household("C01-G01", &format!("9{i}")),
                    Timestamp::now(),
                )
                .unwrap();
        }
    });
    let mut reports = Vec::new();
    for call in calls {
        reports.push(
            call.await
                .unwrap()
                .expect("every caller gets a sync's report"),
        );
    }
    writes.await.unwrap();
    wait_for(&mut rx, "the writes synced", |s| {
        s.state == SyncState::Idle && s.pending == 0
    })
    .await;
    let requests = proxy.counts.connections.load(Ordering::SeqCst);
    let most = proxy.counts.max_in_flight.load(Ordering::SeqCst);
    println!(
        "{requests} requests, at most {most} at once, {} reports",
        reports.len()
    );
    assert_eq!(most, 1, "two requests were in flight at once");
    assert!(
        reports.iter().all(|r| r.progress.records_down >= 600),
        "callers joined the first download and got its report"
    );
    assert_eq!(
        device
            .store
            .list_households(&AddressScope::Grid("C01-G01".into()), 0, 10_000)
            .unwrap()
            .household_count,
        605
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_first_download_shows_progress_against_the_servers_totals() {
    let dir = tempfile::tempdir().unwrap();
    let server =
        TestServer::start_with_env(dir.path(), &[("GRIDWALK_PULL_BUDGET_BYTES", "100000")]);
    seed_households(dir.path(), "C01-G01", 3000);
    let device = Device::sign_in(&server.url, "worker.a").await;

    let started = Timestamp::now();
    let engine = SyncEngine::start(device.store.clone(), device.client.clone(), quick()).unwrap();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    let _listener = engine.on_status(move |s| sink.lock().unwrap().push(s.state.clone()));
    let mut rx = engine.watch();
    wait_for(&mut rx, "the first download", |s| idle_after(s, started)).await;

    let seen = seen.lock().unwrap().clone();
    let downloads: Vec<(u64, Option<u64>, u64, Option<u64>)> = seen
        .iter()
        .filter_map(|s| match s {
            SyncState::Syncing {
                phase: SyncPhase::Downloading,
                records_done,
                records_total,
                bytes_done,
                bytes_total,
            } => Some((*records_done, *records_total, *bytes_done, *bytes_total)),
            _ => None,
        })
        .collect();
    println!(
        "{} progress states, first {:?}, last {:?}",
        downloads.len(),
        downloads.first(),
        downloads.last()
    );
    assert!(
        downloads.len() >= 3,
        "progress during the download: {seen:?}"
    );
    for (done, total, bytes_done, bytes_total) in &downloads {
        assert_eq!(
            *total,
            Some(3000),
            "the total is known from the first answer on"
        );
        assert!(done <= &3000);
        let bytes_total = bytes_total.expect("bytes too");
        assert!(
            *bytes_done <= bytes_total + bytes_total / 10,
            "{bytes_done} of {bytes_total}"
        );
    }
    assert!(
        downloads[0].0 < 1000,
        "the first state is early in the download"
    );
    assert_eq!(
        downloads.last().unwrap().0,
        3000,
        "the last one is at the end"
    );
    assert!(
        downloads.windows(2).all(|w| w[0].0 <= w[1].0),
        "records done only grow"
    );
    // The byte total announced first is close to what came.
    let (_, _, bytes_done, _) = downloads.last().unwrap();
    let first_total = downloads[0].3.unwrap();
    assert!(
        first_total * 10 > bytes_done * 9 && first_total * 10 < bytes_done * 11,
        "announced {first_total} bytes, received {bytes_done}: not within a tenth"
    );
}

/// A server, worker.a's phone, and its engine once its first sync is over.
async fn started_engine(
    dir: &std::path::Path,
) -> (
    TestServer,
    Device,
    SyncEngine,
    watch::Receiver<EngineStatus>,
) {
    let server = TestServer::start(dir);
    let device = Device::sign_in(&server.url, "worker.a").await;
    let started = Timestamp::now();
    let engine = SyncEngine::start(device.store.clone(), device.client.clone(), quick()).unwrap();
    let mut rx = engine.watch();
    wait_for(&mut rx, "the first sync", |s| idle_after(s, started)).await;
    (server, device, engine, rx)
}

#[tokio::test(flavor = "multi_thread")]
async fn stops_on_a_revoked_token_and_says_signed_out() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, device, engine, mut rx) = started_engine(dir.path()).await;

    // The supervisor revokes the worker's tokens (the phone was lost).
    let data = gridwalk_server::server::open_data(dir.path(), Duration::from_secs(3600)).unwrap();
    assert!(
        data.accounts
            .revoke_tokens("worker.a", Timestamp::now())
            .unwrap()
            > 0
    );
    drop(data);
    engine.foreground();
    let s = wait_for(&mut rx, "signed out", |s| s.state.is_final()).await;
    match &s.state {
        SyncState::SignedOut { message } => assert_eq!(message.code, "sync.signed_out"),
        other => panic!("not signed out: {other:?}"),
    }
    // It stays stopped: a write, a trigger and a sync asked for change nothing.
    device
        .store
        .create_household(
            &device.actor,
            &household("C01-G01", "102"),
            Timestamp::now(),
        )
        .unwrap();
    engine.network_available();
    assert!(matches!(
        engine.sync_now().await,
        Err(Error::Unauthorized { .. })
    ));
    assert!(matches!(engine.status().state, SyncState::SignedOut { .. }));
    assert_eq!(
        device.store.pending_count().unwrap(),
        1,
        "the write is kept"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_local_write_is_synced_after_the_debounce() {
    let dir = tempfile::tempdir().unwrap();
    let (server, device, _engine, mut rx) = started_engine(dir.path()).await;

    // A burst of writes: one sync after the last, once the debounce is over.
    let mut last_write = Instant::now();
    let mut ids = Vec::new();
    for room in ["201", "202", "203"] {
        // Before the write: the debounce starts when the write commits, before it returns.
        last_write = Instant::now();
        ids.push(
            device
                .store
                .create_household(&device.actor, &household("C01-G01", room), Timestamp::now())
                .unwrap(),
        );
    }
    let written = Timestamp::now();
    let s = wait_for(&mut rx, "the writes counted", |s| s.pending == 3).await;
    assert_eq!(s.state, SyncState::Idle, "no sync before the debounce");
    wait_for(&mut rx, "a sync", |s| {
        matches!(s.state, SyncState::Syncing { .. })
    })
    .await;
    let waited = last_write.elapsed();
    assert!(
        waited >= Duration::from_millis(300),
        "the sync started {waited:?} after the last write"
    );
    let s = wait_for(&mut rx, "the writes synced", |s| idle_after(s, written)).await;
    assert_eq!(s.pending, 0);
    let other = Device::sign_in(&server.url, "worker.a2").await;
    other.sync().await;
    for id in &ids {
        assert!(other.store.household(id).is_ok());
    }
}
