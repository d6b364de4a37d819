//! Order, report and to-do lists on a device holding 2,000 orders and 5,000 reports. Run with
//! `cargo bench -p gridwalk-core --bench inspection`. Goal: every list under 5 ms, each first
//! checked to list something; with `GRIDWALK_BENCH_QUICK=1` only the goals are measured.

#[path = "common/goals.rs"]
mod goals;

use std::time::{Duration, Instant};

use criterion::Criterion;
use goals::Goals;
use gridwalk_core::photos::PhotoRef;
use gridwalk_core::records::order::{NewOrder, NewOrderItem, Severity};
use gridwalk_core::records::report::NewReport;
use gridwalk_core::rules::order::OrderStatus;
use gridwalk_core::rules::report::ReportStatus;
use gridwalk_core::store::inspection::{OrderAction, OrderFilter, ReportAction, ReportFilter};
use gridwalk_core::{Actor, Role, Store, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const NOW: Timestamp = Timestamp(1_795_482_000_000);
const DAY: i64 = Timestamp::DAY_MS;

fn photo() -> PhotoRef {
    PhotoRef {
        full: "a".repeat(64),
        thumb: "b".repeat(64),
        width: 1600,
        height: 1200,
        taken_at: None,
        location: None,
    }
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("inspection.db")).unwrap();
    let mut rng = StdRng::seed_from_u64(5);
    let inspectors: Vec<Actor> = (0..5)
        .map(|i| Actor::new(format!("inspector{i}"), Role::Inspector))
        .collect();
    let companies: Vec<Actor> = (0..20)
        .map(|i| Actor::company_staff(format!("staff{i}"), format!("P{i:02}")))
        .collect();
    let started = Instant::now();
    for n in 0..2000 {
        let inspector = &inspectors[n % inspectors.len()];
        let company = &companies[rng.random_range(0..companies.len())];
        let new = NewOrder {
            title: format!("整改单 {n}"),
            compound: format!("Q{:02}", rng.random_range(0..50)),
            company: company.company.clone().unwrap(),
            deadline: Timestamp(NOW.0 + rng.random_range(-30..30) * DAY),
            items: (0..rng.random_range(1..4))
                .map(|i| NewOrderItem {
                    description: format!("问题 {i}"),
                    severity: [Severity::Minor, Severity::Major, Severity::Critical]
                        [rng.random_range(0..3)]
                    .clone(),
                    before_photos: vec![photo()],
                })
                .collect(),
            from_report: None,
        };
        let items = new.items.len();
        let id = store.create_order(inspector, &new, NOW).unwrap();
        let stage = rng.random_range(0..5);
        if stage >= 1 {
            store
                .act_on_order(inspector, &id, &OrderAction::Issue, NOW)
                .unwrap();
        }
        if stage >= 2 {
            store
                .act_on_order(company, &id, &OrderAction::Acknowledge, NOW)
                .unwrap();
        }
        if stage >= 3 {
            let all: Vec<String> = (1..=items).map(|i| format!("item-{i}")).collect();
            store
                .act_on_order(
                    company,
                    &id,
                    &OrderAction::Answer {
                        items: all,
                        note: "ok".into(),
                        photos: vec![photo()],
                    },
                    NOW,
                )
                .unwrap();
        }
        if stage >= 4 {
            store
                .act_on_order(inspector, &id, &OrderAction::Verify, NOW)
                .unwrap();
        }
    }
    let supervisor = Actor::new("supervisor", Role::Supervisor);
    let workers: Vec<Actor> = (0..10)
        .map(|i| Actor::new(format!("worker{i}"), Role::GridWorker))
        .collect();
    let categories = [
        "fire_safety",
        "sanitation",
        "parking",
        "greenery",
        "facilities",
    ];
    for n in 0..5000 {
        let worker = &workers[n % workers.len()];
        let id = store
            .create_report(
                worker,
                &NewReport {
                    category: categories[rng.random_range(0..categories.len())].into(),
                    description: format!("随手拍 {n}"),
                    grid: format!("G{:02}", n % 8),
                    compound: String::new(),
                    location: None,
                    photos: vec![],
                },
                Timestamp(NOW.0 - rng.random_range(0..90) * DAY),
            )
            .unwrap();
        if rng.random_bool(0.6) {
            store
                .act_on_report(
                    &supervisor,
                    &id,
                    &ReportAction::Assign {
                        assignee: worker.user_id.clone(),
                    },
                    NOW,
                )
                .unwrap();
        }
    }
    println!(
        "setup: 2,000 orders and 5,000 reports written in {:.1?}",
        started.elapsed()
    );

    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .configure_from_args();
    let limit = 100;
    type List<'a> = (&'static str, Box<dyn Fn() -> usize + 'a>);
    let lists: Vec<List> = vec![
        (
            "my open orders (inspector)",
            Box::new(|| {
                store
                    .list_orders(&inspectors[0], &OrderFilter::MyOpen, NOW, limit)
                    .unwrap()
                    .len()
            }),
        ),
        (
            "my open orders (company)",
            Box::new(|| {
                store
                    .list_orders(&companies[0], &OrderFilter::MyOpen, NOW, limit)
                    .unwrap()
                    .len()
            }),
        ),
        (
            "overdue orders",
            Box::new(|| {
                store
                    .list_orders(&inspectors[0], &OrderFilter::Overdue, NOW, limit)
                    .unwrap()
                    .len()
            }),
        ),
        (
            "orders by company",
            Box::new(|| {
                store
                    .list_orders(
                        &inspectors[0],
                        &OrderFilter::Company("P03".into()),
                        NOW,
                        limit,
                    )
                    .unwrap()
                    .len()
            }),
        ),
        (
            "orders by compound",
            Box::new(|| {
                store
                    .list_orders(
                        &inspectors[0],
                        &OrderFilter::Compound("Q07".into()),
                        NOW,
                        limit,
                    )
                    .unwrap()
                    .len()
            }),
        ),
        (
            "orders by status (issued)",
            Box::new(|| {
                store
                    .list_orders(
                        &inspectors[0],
                        &OrderFilter::Status(OrderStatus::Issued),
                        NOW,
                        limit,
                    )
                    .unwrap()
                    .len()
            }),
        ),
        (
            "reports by status (assigned)",
            Box::new(|| {
                store
                    .list_reports(&ReportFilter::Status(ReportStatus::Assigned), limit)
                    .unwrap()
                    .len()
            }),
        ),
        (
            "reports by category",
            Box::new(|| {
                store
                    .list_reports(&ReportFilter::Category("parking".into()), limit)
                    .unwrap()
                    .len()
            }),
        ),
        (
            "my to-dos (grid worker)",
            Box::new(|| store.my_todos(&workers[0]).unwrap().len()),
        ),
        (
            "my to-dos (company)",
            Box::new(|| store.my_todos(&companies[0]).unwrap().len()),
        ),
        (
            "company ratings (20 companies)",
            Box::new(|| store.company_ratings(NOW).unwrap().len()),
        ),
    ];
    let mut goals = Goals::new();
    for (name, f) in &lists {
        assert!(
            f() > 0,
            "{name}: the list is empty, so its time would say nothing"
        );
        if !Goals::quick() {
            c.bench_function(name, |b| b.iter(f));
        }
        goals.time_ms(name, 30, 5.0, || {
            f();
        });
    }
    if !Goals::quick() {
        c.final_summary();
    }
    goals.finish();
}
