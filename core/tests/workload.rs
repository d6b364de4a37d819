//! A worker's workload (`Store::workload`) against a real store: visits and distinct households
//! visited in the period, reports filed, reports handled (a counted `start` or `resolve` by
//! them dated in the period, from the `report_event` list), open to-dos in the grids; nothing
//! from other grids or outside the period; the events' list rebuilt from the documents after
//! an upgrade that asks for it.

mod common;

use common::*;
use gridwalk_core::records::report::NewReport;
use gridwalk_core::store::inspection::ReportAction;
use gridwalk_core::store::migrations::NEEDS_REPROJECT;
use gridwalk_core::store::workload::WorkerLoad;
use gridwalk_core::{Actor, Role, Store, Timestamp};

const HOUR: i64 = 3_600_000;

fn at(hours: i64) -> Timestamp {
    Timestamp(NOW.0 + hours * HOUR)
}

fn report(store: &Store, who: &Actor, grid: &str, when: Timestamp) -> gridwalk_core::RecordId {
    let new = NewReport {
        category: "fire_safety".into(),
        description: "楼道堆物".into(),
        grid: grid.into(),
        compound: String::new(),
        location: None,
        photos: vec![],
    };
    store.create_report(who, &new, when).unwrap()
}

#[test]
fn each_count_is_the_workers_own_in_the_grids_and_the_period() {
    let (dir, store) = temp_store();
    let wang = worker();
    let li = Actor::new("li.qiang", Role::GridWorker);
    let one = store
        .create_household(&wang, &household("B01", "101", vec![]), NOW)
        .unwrap();
    let two = store
        .create_household(&wang, &household("B01", "102", vec![]), NOW)
        .unwrap();
    let mut elsewhere = household("B09", "101", vec![]);
    elsewhere.address.grid = "C01-G02".into();
    let elsewhere = store.create_household(&wang, &elsewhere, NOW).unwrap();
    let visit = |who: &Actor, id, when: Timestamp| {
        store.record_visit(who, id, &visit_at(when), when).unwrap();
    };
    // The period: hours 0 to 48 after NOW.
    visit(&wang, &one, at(1));
    visit(&wang, &one, at(2));
    visit(&wang, &two, at(3));
    visit(&wang, &two, at(-1)); // before the period
    visit(&wang, &elsewhere, at(4)); // another grid
    visit(&li, &one, at(5));

    // wang.wei files one; li.qiang is assigned, starts and resolves it.
    let first = report(&store, &wang, "C01-G01", at(6));
    let sup = supervisor();
    let assign = |to: &str| ReportAction::Assign {
        assignee: to.into(),
    };
    store
        .act_on_report(&sup, &first, &assign("li.qiang"), at(7))
        .unwrap();
    store
        .act_on_report(&li, &first, &ReportAction::Start, at(8))
        .unwrap();
    let resolve = ReportAction::Resolve {
        note: "已清理".into(),
    };
    store.act_on_report(&li, &first, &resolve, at(9)).unwrap();
    // li.qiang files one, assigned to wang.wei and not started: his open to-do.
    let second = report(&store, &li, "C01-G01", at(10));
    store
        .act_on_report(&sup, &second, &assign("wang.wei"), at(11))
        .unwrap();
    // After the period, and in another grid: not counted.
    report(&store, &wang, "C01-G01", at(60));
    report(&store, &wang, "C01-G02", at(12));

    let grids = ["C01-G01".to_owned()];
    let expected = [
        WorkerLoad {
            worker: "li.na".into(),
            ..WorkerLoad::default()
        },
        WorkerLoad {
            worker: "li.qiang".into(),
            visits: 1,
            households: 1,
            reports_filed: 1,
            reports_handled: 1,
            open_todos: 0,
        },
        WorkerLoad {
            worker: "wang.wei".into(),
            visits: 3,
            households: 2,
            reports_filed: 1,
            reports_handled: 0,
            open_todos: 1,
        },
    ];
    let loads = store.workload(&grids, at(0), at(48)).unwrap();
    // The supervisor who assigned appears with nothing counted, or not at all.
    let loads: Vec<_> = loads.into_iter().filter(|l| l != &expected[0]).collect();
    assert_eq!(loads, expected[1..]);
    // A period that starts after li.qiang's start and resolve: not handled in it.
    let later = store.workload(&grids, at(10), at(48)).unwrap();
    let li_later = later.iter().find(|l| l.worker == "li.qiang").unwrap();
    assert_eq!((li_later.reports_handled, li_later.reports_filed), (0, 1));
    // No grids, nothing.
    assert!(store.workload(&[], at(0), at(48)).unwrap().is_empty());

    // An upgrade that asks for a rebuild refills the events' list from the documents.
    drop(store);
    let path = dir.path().join("gridwalk.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute("DELETE FROM report_event", []).unwrap();
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, '1')",
            [NEEDS_REPROJECT],
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let again: Vec<_> = store
        .workload(&grids, at(0), at(48))
        .unwrap()
        .into_iter()
        .filter(|l| l != &expected[0])
        .collect();
    assert_eq!(again, expected[1..]);
}
