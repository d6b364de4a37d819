//! Store benchmarks on a generated community of 5,000 households and about 15,000 residents
//! (DESIGN.md's device scale). Run with `cargo bench -p gridwalk-core --bench store`.
//!
//! Criterion measures the list, search, open and apply operations; the durable edit's p50 and
//! p99 and the file size per household are measured directly and printed at the end, since
//! criterion reports means and medians, not tail latencies. Every read is first checked to
//! find what it should, and the goals in BENCHMARKS.md are checked at the end (`goals`); with
//! `GRIDWALK_BENCH_QUICK=1` only the goals are measured (`scripts/bench-check`).

#[path = "common/goals.rs"]
mod goals;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion};
use goals::Goals;
use gridwalk_core::demo::{self, CommunitySpec};
use gridwalk_core::records::household::{NewVisit, VisitPurpose};
use gridwalk_core::rules::household::Validation;
use gridwalk_core::store::StoreKey;
use gridwalk_core::store::queries::AddressScope;
use gridwalk_core::{Actor, RecordId, Role, Store, Timestamp};

const NOW: Timestamp = Timestamp(1_795_482_000_000);

struct Fixture {
    dir: tempfile::TempDir,
    template: PathBuf,
    ids: Vec<RecordId>,
    building: String,
}

fn worker() -> Actor {
    Actor::new("bench.worker", Role::GridWorker)
}

fn visit(n: usize) -> NewVisit {
    NewVisit {
        at: Timestamp(NOW.0 + n as i64),
        purpose: VisitPurpose::Routine,
        notes: format!("第{n}次走访，一切正常"),
        location: None,
        photos: Vec::new(),
    }
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("template.db");
    let community = demo::community(&CommunitySpec::device_scale(42));
    let residents: usize = community.households.iter().map(|h| h.residents.len()).sum();
    let store = Store::open(&template).unwrap();
    store.put_reference(&community.reference).unwrap();
    let started = Instant::now();
    let admin = Actor::new("bench.admin", Role::Admin);
    let ids = store
        .import_households(&admin, &community.households, Validation::Ledger, NOW)
        .unwrap();
    println!(
        "generated community: {} households, {residents} residents, imported in {:.2?}",
        ids.len(),
        started.elapsed()
    );
    // A year of history on a tenth of the households.
    for (n, id) in ids.iter().enumerate().step_by(10) {
        store.record_visit(&worker(), id, &visit(n), NOW).unwrap();
    }
    let building = community.households[0].address.building.clone();
    drop(store);
    Fixture {
        dir,
        template,
        ids,
        building,
    }
}

fn copy_of(f: &Fixture, name: &str) -> PathBuf {
    let path = f.dir.path().join(name);
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(path.with_file_name(format!("{name}{suffix}")));
    }
    std::fs::copy(&f.template, &path).unwrap();
    path
}

fn reads(c: &mut Criterion, f: &Fixture) {
    let path = copy_of(f, "reads.db");
    let scope = AddressScope::Building(f.building.clone());

    c.bench_function(
        "open store and list one building (cold open to first list)",
        |b| {
            b.iter(|| {
                let store = Store::open(&path).unwrap();
                let list = store.list_households(&scope, 0, 100).unwrap();
                assert_eq!(list.household_count, 50);
            })
        },
    );

    let store = Store::open(&path).unwrap();
    c.bench_function("list one building (50 households)", |b| {
        b.iter(|| store.list_households(&scope, 0, 100).unwrap())
    });
    let grid = AddressScope::Grid("C01-G01".into());
    c.bench_function("list first page of a grid (100 of 650 households)", |b| {
        b.iter(|| store.list_households(&grid, 0, 100).unwrap())
    });
    c.bench_function("search residents by part of a name (建国)", |b| {
        b.iter(|| store.search_residents("建国", 50).unwrap())
    });
    c.bench_function("search residents by pinyin initials (zs)", |b| {
        b.iter(|| store.search_residents("zs", 50).unwrap())
    });
    c.bench_function("search residents by one pinyin initial (w)", |b| {
        b.iter(|| store.search_residents("w", 50).unwrap())
    });
    c.bench_function(
        "search residents by last 4 digits of ID or phone (0013)",
        |b| b.iter(|| store.search_residents("0013", 50).unwrap()),
    );
    c.bench_function("needs-checking list of one grid", |b| {
        b.iter(|| store.needs_checking("C01-G01", NOW).unwrap())
    });
}

fn writes(c: &mut Criterion, f: &Fixture) {
    let path = copy_of(f, "writes.db");
    let store = Store::open(&path).unwrap();
    let mut n = 0;
    c.bench_function("durable edit (record a visit, committed with fsync)", |b| {
        b.iter(|| {
            n += 1;
            store
                .record_visit(&worker(), &f.ids[(n * 7919) % f.ids.len()], &visit(n), NOW)
                .unwrap()
        })
    });

    // 1,000 changes made on another store, applied to a copy of the template.
    let other_path = copy_of(f, "other.db");
    let other = Store::open(&other_path).unwrap();
    for i in 0..1000 {
        other
            .record_visit(&worker(), &f.ids[(i * 13) % f.ids.len()], &visit(i), NOW)
            .unwrap();
    }
    let base = Store::open(&f.template).unwrap().heads().unwrap();
    let bundle = other.export_changes(&base).unwrap();
    println!(
        "bundle of 1,000 changes: {} records, {} bytes of automerge data, {} bytes as CBOR",
        bundle.records.len(),
        bundle.data_len(),
        bundle.to_bytes().len()
    );
    let mut group = c.benchmark_group("merge");
    group.sample_size(10);
    group.bench_function("apply 1,000 changes from another store", |b| {
        b.iter_batched(
            || Store::open(copy_of(f, "apply.db")).unwrap(),
            |store| {
                assert_eq!(
                    store.apply_changes(&bundle, NOW).unwrap().len(),
                    bundle.records.len()
                )
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

fn edit_percentiles(f: &Fixture) {
    let path = copy_of(f, "percentiles.db");
    let store = Store::open(&path).unwrap();
    let mut times: Vec<Duration> = (0..2000)
        .map(|n| {
            let id = &f.ids[(n * 7919) % f.ids.len()];
            let started = Instant::now();
            store.record_visit(&worker(), id, &visit(n), NOW).unwrap();
            started.elapsed()
        })
        .collect();
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!(
        "durable edit over 2,000 visits: p50 {:.3?}  p90 {:.3?}  p99 {:.3?}  max {:.3?}",
        pct(0.50),
        pct(0.90),
        pct(0.99),
        times[times.len() - 1]
    );
}

/// Checks that each read finds what it should, then holds it to its goal in BENCHMARKS.md:
/// on a plain store, then on the same store encrypted (issue 17: SQLCipher, photos aside), side
/// by side in one run. The encrypted copy is made the way an app upgrade makes it (a plain store
/// opened with a key), which is timed too.
fn goal_checks(f: &Fixture, goals: &mut Goals) {
    goal_checks_of(f, goals, None);
    let key = StoreKey::generate();
    let path = copy_of(f, "encrypted.db");
    let started = Instant::now();
    drop(Store::open_encrypted(&path, &key).unwrap());
    println!(
        "encrypting a plain store of {} households on first keyed open: {:.0?}",
        f.ids.len(),
        started.elapsed()
    );
    goal_checks_of(f, goals, Some(&key));
}

fn goal_checks_of(f: &Fixture, goals: &mut Goals, key: Option<&StoreKey>) {
    let (path, label) = match key {
        None => (copy_of(f, "goals.db"), "plain"),
        Some(_) => (f.dir.path().join("encrypted.db"), "encrypted"),
    };
    let open = |path: &Path| Store::open_keyed(path, Default::default(), key).unwrap();
    let scope = AddressScope::Building(f.building.clone());
    goals.time_ms(
        &format!("{label}: cold open to first list"),
        20,
        50.0,
        || {
            let store = open(&path);
            assert_eq!(
                store
                    .list_households(&scope, 0, 100)
                    .unwrap()
                    .household_count,
                50
            );
        },
    );
    let store = open(&path);
    let building = store.list_households(&scope, 0, 100).unwrap();
    assert_eq!(building.households.len(), 50, "a building of 50 households");
    goals.time_ms(&format!("{label}: list one building"), 50, 5.0, || {
        store.list_households(&scope, 0, 100).unwrap();
    });
    let grid = AddressScope::Grid("C01-G01".into());
    let page = store.list_households(&grid, 0, 100).unwrap();
    assert_eq!(page.households.len(), 100, "a full first page of the grid");
    assert!(page.household_count > 500, "{}", page.household_count);
    goals.time_ms(
        &format!("{label}: list first page of a grid"),
        50,
        5.0,
        || {
            store.list_households(&grid, 0, 100).unwrap();
        },
    );
    for (what, query, least) in [
        ("search by part of a name (建国)", "建国", 1),
        ("search by pinyin initials (zs)", "zs", 10),
        ("search by one pinyin initial (w)", "w", 50),
        ("search by last digits of ID or phone (0013)", "0013", 1),
    ] {
        let hits = store.search_residents(query, 50).unwrap();
        assert!(hits.len() >= least, "{what}: {} hits", hits.len());
        goals.time_ms(&format!("{label}: {what}"), 30, 5.0, || {
            store.search_residents(query, 50).unwrap();
        });
    }
    assert!(!store.needs_checking("C01-G01", NOW).unwrap().is_empty());
    // The durable edit: p50 of 300 visits, each committed with fsync.
    let mut n = 0;
    goals.time_ms(&format!("{label}: durable edit p50"), 300, 2.0, || {
        n += 1;
        store
            .record_visit(&worker(), &f.ids[(n * 7919) % f.ids.len()], &visit(n), NOW)
            .unwrap();
    });
}

fn file_size(path: &Path, households: usize) {
    let bytes = std::fs::metadata(path).unwrap().len();
    println!(
        "store file: {:.1} MB for {households} households, {:.0} bytes per household",
        bytes as f64 / 1e6,
        bytes as f64 / households as f64
    );
}

fn main() {
    let f = fixture();
    let mut goals = Goals::new();
    if Goals::quick() {
        goal_checks(&f, &mut goals);
        goals.finish();
        return;
    }
    file_size(&f.template, f.ids.len());
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    reads(&mut c, &f);
    writes(&mut c, &f);
    c.final_summary();
    edit_percentiles(&f);
    goal_checks(&f, &mut goals);
    goals.finish();
}
