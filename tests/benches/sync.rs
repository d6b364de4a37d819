//! Sync benchmarks against a real server process on loopback, with a counting proxy in between
//! to see the bytes on the wire. Run with `cargo bench -p gridwalk-tests --bench sync`.
//!
//! Measures: a new device's first sync of 5,000 households (time, wire bytes, client peak
//! memory, in a child process of its own); a sync with nothing new at 500 and at 5,000 records
//! in scope (round trips, wire bytes each way, server time); a sync after 10 edits; and 200
//! simulated devices syncing with nothing new, concurrently. Each step first checks its work
//! (records pulled, child exited 0, answers 200) and the goals of BENCHMARKS.md are checked at
//! the end; `GRIDWALK_BENCH_QUICK=1` (`scripts/bench-check`) runs fewer rounds.

#[path = "../../core/benches/common/goals.rs"]
mod goals;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use goals::Goals;
use gridwalk_core::demo::{self, CommunitySpec};
use gridwalk_core::records::household::{NewVisit, VisitPurpose};
use gridwalk_core::rules::household::Validation;
use gridwalk_core::store::queries::AddressScope;
use gridwalk_core::sync::client::SyncClient;
use gridwalk_core::sync::wire::{self, SyncRequest};
use gridwalk_core::{Actor, Role, Store, Timestamp};
use gridwalk_server::accounts::ScopeGrant;
use gridwalk_server::server::open_data;
use gridwalk_tests::fault_proxy::FaultProxy;
use gridwalk_tests::{Device, PASSWORD, TestServer};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--initial-sync-child") {
        initial_sync_child(&args[i + 1], &args[i + 2]);
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(run());
}

fn seed(dir: &std::path::Path) -> u64 {
    gridwalk_tests::seed(dir);
    let data = open_data(dir, Duration::from_secs(3600)).unwrap();
    let admin = Actor::new("admin", Role::Admin);
    let big = demo::community(&CommunitySpec::device_scale(1));
    let small = demo::community(&CommunitySpec {
        code: "C02".into(),
        households: 500,
        grids: 1,
        ..CommunitySpec::device_scale(2)
    });
    for c in [&big, &small] {
        data.store.add_reference(&c.reference).unwrap();
        data.store
            .import_households(&admin, &c.households, Validation::Ledger, Timestamp::now())
            .unwrap();
    }
    let grids: Vec<ScopeGrant> = (1..=8)
        .map(|g| format!("grid:C01-G{g:02}").parse().unwrap())
        .collect();
    data.accounts
        .add_user("worker5000", "w", Role::GridWorker, PASSWORD, &grids)
        .unwrap();
    data.accounts
        .add_user(
            "worker500",
            "w",
            Role::GridWorker,
            PASSWORD,
            &["grid:C02-G01".parse().unwrap()],
        )
        .unwrap();
    drop(data);
    // Every document was written once, so its snapshot is its compacted form.
    let conn = rusqlite::Connection::open(dir.join("records.db")).unwrap();
    conn.query_row(
        "SELECT SUM(length(snapshot)) FROM document d JOIN household h ON h.id = d.id WHERE h.community_id = 'C01'",
        [],
        |r| r.get::<_, i64>(0),
    )
    .unwrap() as u64
}

async fn run() {
    let dir = tempfile::tempdir().unwrap();
    let compacted = seed(dir.path());
    let server = TestServer::start(dir.path());
    let proxy = FaultProxy::start(server.addr(), 0.0).await;
    let wire = |p: &FaultProxy| {
        (
            p.counts.bytes_up.load(Ordering::Relaxed),
            p.counts.bytes_down.load(Ordering::Relaxed),
        )
    };
    println!(
        "machine: {} cores; server: release build on loopback; proxy counts wire bytes",
        num_cpus()
    );

    // 1. A new device's first sync of 5,000 households, in a child process for its peak memory.
    let (up0, down0) = wire(&proxy);
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--initial-sync-child", &proxy.url(), "worker5000"])
        .output()
        .unwrap();
    let (up1, down1) = wire(&proxy);
    let child = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "the first-sync child failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    println!("initial sync, 5,000 households: {} ", child.trim());
    let mut goals = Goals::new();
    let field = |key: &str| -> f64 {
        child
            .split_whitespace()
            .find_map(|w| w.strip_prefix(key))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {key} in the child's output: {child}"))
    };
    assert_eq!(
        field("records="),
        5000.0,
        "the new device pulled every household"
    );
    goals.at_most("first sync of 5,000 households", field("secs="), 5.0, "s");
    goals.at_most(
        "first sync: bytes down against the compacted documents",
        (down1 - down0) as f64 / compacted as f64,
        2.0,
        "×",
    );
    println!(
        "  wire: {:.2} MB down, {:.1} KB up; compacted documents on the server: {:.2} MB; ratio {:.2}",
        (down1 - down0) as f64 / 1e6,
        (up1 - up0) as f64 / 1e3,
        compacted as f64 / 1e6,
        (down1 - down0) as f64 / compacted as f64
    );

    // 2. Syncs with nothing new, at 500 and 5,000 records in scope.
    for (user, n) in [("worker500", 500), ("worker5000", 5000)] {
        let mut device = Device::sign_in(&server.url, user).await;
        device.reconnect(&proxy.url());
        let first = device.sync().await;
        assert_eq!(first.progress.records_down as usize, n);
        let (u0, d0) = wire(&proxy);
        let rounds = if Goals::quick() { 20 } else { 200 };
        let started = Instant::now();
        let mut trips = 0;
        for _ in 0..rounds {
            trips += device.sync().await.progress.round_trips;
        }
        let client_ms = started.elapsed().as_secs_f64() * 1000.0 / rounds as f64;
        let (u1, d1) = wire(&proxy);
        let server_ms = server_times(&proxy.url(), &device, rounds as usize).await;
        println!(
            "nothing new, {n} records in scope: {:.2} round trips, {} B up, {} B down on the wire per sync; client {client_ms:.2} ms, server p50 {:.3} ms p99 {:.3} ms",
            trips as f64 / rounds as f64,
            (u1 - u0) / rounds,
            (d1 - d0) / rounds,
            server_ms.0,
            server_ms.1
        );
        goals.at_most(
            &format!("nothing new, {n} records: round trips"),
            trips as f64 / rounds as f64,
            1.0,
            "",
        );
        goals.at_most(
            &format!("nothing new, {n} records: bytes up"),
            ((u1 - u0) / rounds) as f64,
            1024.0,
            "B",
        );
        goals.at_most(
            &format!("nothing new, {n} records: bytes down"),
            ((d1 - d0) / rounds) as f64,
            1024.0,
            "B",
        );
    }

    // 3. A sync after 10 edits, and another device pulling them.
    let mut a = Device::sign_in(&server.url, "worker500").await;
    a.reconnect(&proxy.url());
    a.sync().await;
    let mut b = Device::sign_in(&server.url, "worker500").await;
    b.reconnect(&proxy.url());
    b.sync().await;
    let ids: Vec<_> = a
        .store
        .list_households(&AddressScope::Grid("C02-G01".into()), 0, 10)
        .unwrap()
        .households
        .into_iter()
        .map(|h| h.id)
        .collect();
    for (i, id) in ids.iter().enumerate() {
        let v = NewVisit {
            at: Timestamp::now(),
            purpose: VisitPurpose::Routine,
            notes: format!("第{i}次走访，一切正常"),
            location: None,
            photos: Vec::new(),
        };
        a.store
            .record_visit(&a.actor, id, &v, Timestamp::now())
            .unwrap();
    }
    let (u0, d0) = wire(&proxy);
    let started = Instant::now();
    let push = a.sync().await;
    let push_ms = started.elapsed().as_secs_f64() * 1000.0;
    let (u1, d1) = wire(&proxy);
    let started = Instant::now();
    let pull = b.sync().await;
    let pull_ms = started.elapsed().as_secs_f64() * 1000.0;
    let (u2, d2) = wire(&proxy);
    assert_eq!(push.pending, 0, "the 10 edits went up");
    assert_eq!(
        pull.progress.records_down, 10,
        "the other device pulled the 10 records"
    );
    println!(
        "after 10 edits: push {} round trip(s), {} B up, {} B down, {push_ms:.1} ms; other device pulls {} records, {} B up, {} B down, {pull_ms:.1} ms",
        push.progress.round_trips,
        u1 - u0,
        d1 - d0,
        pull.progress.records_down,
        u2 - u1,
        d2 - d1
    );

    // 4. 200 devices, each up to date, syncing with nothing new at once, straight to the server.
    let seconds = if Goals::quick() { 2 } else { 5 };
    concurrent_idle(&server.url, &a, 200, Duration::from_secs(seconds)).await;
    goals.finish();
}

fn num_cpus() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// The request an up-to-date device sends.
fn idle_request(device: &Device) -> Vec<u8> {
    wire::to_cbor(&SyncRequest {
        version: wire::PROTOCOL_VERSION,
        cursors: device.store.sync_cursors().unwrap(),
        push: Vec::new(),
        reference_version: device.store.reference_version().unwrap(),
        pending: 0,
        log: device.store.server_log_id().unwrap(),
    })
}

/// Server-Timing of `n` idle syncs: (p50, p99) in ms.
async fn server_times(url: &str, device: &Device, n: usize) -> (f64, f64) {
    let http = reqwest::Client::new();
    let body = idle_request(device);
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let resp = http
            .post(format!("{url}/v1/sync"))
            .bearer_auth(device.client.token().unwrap())
            .header("content-type", wire::CBOR)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let t: f64 = resp
            .headers()
            .get("server-timing")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("app;dur="))
            .and_then(|v| v.parse().ok())
            .unwrap();
        resp.bytes().await.unwrap();
        times.push(t);
    }
    times.sort_by(f64::total_cmp);
    (times[n / 2], times[n * 99 / 100])
}

async fn concurrent_idle(url: &str, model: &Device, devices: usize, duration: Duration) {
    let body = Arc::new(idle_request(model));
    let mut tokens = Vec::new();
    for i in 0..devices {
        let mut c = SyncClient::new(url).unwrap();
        tokens.push(
            c.login("worker500", PASSWORD, &format!("sim-{i}"))
                .await
                .unwrap()
                .token,
        );
    }
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(devices)
        .build()
        .unwrap();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for token in tokens {
        let http = http.clone();
        let body = body.clone();
        let url = url.to_owned();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while started.elapsed() < duration {
                let t = Instant::now();
                let resp = http
                    .post(format!("{url}/v1/sync"))
                    .bearer_auth(&token)
                    .header("content-type", wire::CBOR)
                    .body(body.as_ref().clone())
                    .send()
                    .await
                    .unwrap();
                assert!(resp.status().is_success());
                resp.bytes().await.unwrap();
                latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    println!(
        "{devices} devices syncing with nothing new at once for {secs:.1} s: {:.0} syncs/s, latency p50 {:.1} ms, p99 {:.1} ms ({} syncs)",
        all.len() as f64 / secs,
        all[all.len() / 2],
        all[all.len() * 99 / 100],
        all.len()
    );
}

/// In a process of its own: a new device's first sync, then its time and peak memory.
fn initial_sync_child(url: &str, user: &str) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path().join("device.db")).unwrap());
        let mut client = SyncClient::new(url).unwrap();
        client
            .login(user, PASSWORD, &store.device_id().unwrap())
            .await
            .unwrap();
        let started = Instant::now();
        let report = client.sync(store.clone(), &|_| {}).await.unwrap();
        let secs = started.elapsed().as_secs_f64();
        let hwm = std::fs::read_to_string("/proc/self/status")
            .unwrap_or_default()
            .lines()
            .find(|l| l.starts_with("VmHWM"))
            .map(|l| l.split_whitespace().nth(1).unwrap_or("0").to_owned())
            .unwrap_or_default();
        println!(
            "records={} secs={secs:.2} round_trips={} client peak memory (VmHWM) {:.1} MB",
            report.progress.records_down,
            report.progress.round_trips,
            hwm.parse::<f64>().unwrap_or(0.0) / 1024.0
        );
    });
}
