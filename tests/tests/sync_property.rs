//! Three devices edit the same household offline and sync in random orders; every device and
//! the server end with identical documents and identical projections. 200 random schedules.

use std::path::Path;

use gridwalk_core::records::household::{
    NewVisit, Registration, Relation, SpecialGroup, VisitPurpose,
};
use gridwalk_core::store::PROJECTION_TABLES;
use gridwalk_core::{NewResident, RecordId, ResidentId, ResidentPatch, Timestamp};
use gridwalk_tests::{Device, TestServer, household};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

#[derive(Debug, Clone)]
enum Step {
    AddResident(usize),
    SetPhone(usize, usize),
    Visit(usize),
    SetNotes(usize, usize),
    Tag(usize, bool),
    Sync(usize),
}

fn step() -> impl Strategy<Value = Step> {
    let device = 0..3usize;
    prop_oneof![
        device.clone().prop_map(Step::AddResident),
        (device.clone(), 0..3usize).prop_map(|(d, v)| Step::SetPhone(d, v)),
        device.clone().prop_map(Step::Visit),
        (device.clone(), 0..3usize).prop_map(|(d, v)| Step::SetNotes(d, v)),
        (device.clone(), any::<bool>()).prop_map(|(d, on)| Step::Tag(d, on)),
        device.clone().prop_map(Step::Sync),
        device.prop_map(Step::Sync),
    ]
}

const PHONES: [&str; 3] = ["13800000001", "13900000002", "13700000003"];

fn resident(name: &str) -> NewResident {
    NewResident {
        name: name.into(),
        id_number: None,
        phone: None,
        relation: Relation::Child,
        registration: Registration::Local,
        tags: Default::default(),
    }
}

/// The projection rows of one household, as text: from every one of the core's projection
/// tables, the rows that belong to the record.
fn rows(path: &Path, id: &RecordId) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut out = Vec::new();
    for table in PROJECTION_TABLES {
        let columns: Vec<String> = conn
            .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        // The column that names the record: a resident's or visit's household, a photo's or
        // to-do's record, a report event's report, or the row's own id for lists of whole records.
        // The duplicate ID numbers belong to no one record: keyed by the number, which no
        // record id matches (and these residents have no ID numbers, so it stays empty).
        let key = ["household_id", "record_id", "report_id", "id", "id_number"]
            .into_iter()
            .find(|k| columns.iter().any(|c| c == k))
            .unwrap_or_else(|| panic!("projection table {table} has no record column"));
        let mut st = conn
            .prepare(&format!("SELECT * FROM {table} WHERE {key} = ?1"))
            .unwrap();
        let n = st.column_count();
        let mut found: Vec<String> = st
            .query_map([id.as_str()], |r| {
                Ok(format!(
                    "{table}: {}",
                    (0..n)
                        .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                        .collect::<Vec<_>>()
                        .join("|")
                ))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        found.sort();
        out.extend(found);
    }
    out
}

struct World {
    devices: Vec<Device>,
    observer: Device,
}

async fn run_case(world: &World, case: usize, steps: &[Step]) -> Result<(), String> {
    let now = Timestamp::now;
    let d0 = &world.devices[0];
    let id = d0
        .store
        .create_household(
            &d0.actor,
            &household("C01-G01", &format!("case-{case}")),
            now(),
        )
        .unwrap();
    let r0: ResidentId = d0
        .store
        .add_resident(&d0.actor, &id, &resident("初始住户"), now())
        .unwrap();
    for d in &world.devices {
        d.sync().await;
    }
    for (n, s) in steps.iter().enumerate() {
        let (d, result) = match s {
            Step::AddResident(d) => {
                let dev = &world.devices[*d];
                (
                    d,
                    dev.store
                        .add_resident(&dev.actor, &id, &resident(&format!("住户{n}")), now())
                        .map(|_| ()),
                )
            }
            Step::SetPhone(d, v) => {
                let dev = &world.devices[*d];
                let patch = ResidentPatch {
                    phone: Some(PHONES[*v].into()),
                    ..Default::default()
                };
                (
                    d,
                    dev.store
                        .update_resident(&dev.actor, &id, &r0, &patch, now()),
                )
            }
            Step::Visit(d) => {
                let dev = &world.devices[*d];
                let v = NewVisit {
                    at: now(),
                    purpose: VisitPurpose::Routine,
                    notes: format!("visit {n}"),
                    location: None,
                    photos: Vec::new(),
                };
                (
                    d,
                    dev.store
                        .record_visit(&dev.actor, &id, &v, now())
                        .map(|_| ()),
                )
            }
            Step::SetNotes(d, v) => {
                let dev = &world.devices[*d];
                (
                    d,
                    dev.store
                        .set_notes(&dev.actor, &id, &format!("notes {v}"), now()),
                )
            }
            Step::Tag(d, on) => {
                let dev = &world.devices[*d];
                (
                    d,
                    dev.store.tag_resident(
                        &dev.actor,
                        &id,
                        &r0,
                        &SpecialGroup::Disabled,
                        *on,
                        now(),
                    ),
                )
            }
            Step::Sync(d) => (d, world.devices[*d].try_sync().await.map(|_| ())),
        };
        result.map_err(|e| format!("step {n} on device {d}: {e}"))?;
    }
    // Everyone syncs until nothing moves: two rounds settle any order.
    for _ in 0..2 {
        for d in &world.devices {
            d.sync().await;
        }
    }
    world.observer.sync().await;
    let reference = world
        .observer
        .store
        .household(&id)
        .map_err(|e| e.to_string())?;
    let reference_rows = rows(world.observer.store.path(), &id);
    for (i, d) in world.devices.iter().enumerate() {
        let h = d.store.household(&id).map_err(|e| e.to_string())?;
        if h != reference {
            return Err(format!(
                "device {i} differs from the server:\n{h:#?}\n{reference:#?}"
            ));
        }
        if d.store.stored_heads(&id).unwrap() != world.observer.store.stored_heads(&id).unwrap() {
            return Err(format!("device {i} has other heads than the server"));
        }
        let r = rows(d.store.path(), &id);
        if r != reference_rows {
            return Err(format!(
                "device {i} projections differ:\n{r:#?}\n{reference_rows:#?}"
            ));
        }
        if d.store.pending_count().unwrap() != 0 {
            return Err(format!("device {i} still has pending changes"));
        }
    }
    let visits = steps.iter().filter(|s| matches!(s, Step::Visit(_))).count();
    if reference.visits.len() != visits {
        return Err(format!(
            "{} visits, expected {visits}",
            reference.visits.len()
        ));
    }
    Ok(())
}

#[test]
fn three_devices_converge_whatever_the_order_of_their_syncs() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let world = rt.block_on(async {
        let mut devices = Vec::new();
        for user in ["worker.a", "worker.a2", "worker.a3"] {
            devices.push(Device::sign_in(&server.url, user).await);
        }
        World {
            devices,
            observer: Device::sign_in(&server.url, "supervisor").await,
        }
    });
    let cases: u32 = std::env::var("GRIDWALK_SCHEDULES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 50,
        ..Config::default()
    });
    let case = std::sync::atomic::AtomicUsize::new(0);
    runner
        .run(&prop::collection::vec(step(), 4..24), |steps| {
            let n = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            rt.block_on(run_case(&world, n, &steps))
                .map_err(TestCaseError::fail)
        })
        .unwrap();
    eprintln!("{} schedules converged", case.into_inner());
}
