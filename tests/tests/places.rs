//! Scopes and places from reference data only (issue 12, part 1), over HTTP against the real
//! server: a record cannot widen its writer's scopes by naming a place the reference data does
//! not put in their grid, and a report goes only into the reporter's own grids.
//!
//! The attacking phones write before their first sync, so they hold no reference data and
//! their own place rules cannot stop them: what is judged is the server.

use gridwalk_core::records::household::{Address, HouseUse, NewHousehold};
use gridwalk_core::records::order::{NewOrder, NewOrderItem, Severity};
use gridwalk_core::records::reference::{ReferenceItem, ReferenceKind};
use gridwalk_core::records::report::NewReport;
use gridwalk_core::store::inspection::{OrderFilter, ReportFilter};
use gridwalk_core::{Actor, Error, Role, Timestamp};
use gridwalk_tests::{Device, TestServer, seed};

/// The test district plus a second community (C02: grid C02-G01, compound Q9 with building Z1,
/// and an order there) and a compound QS of C01 split between grids G01 (building S1) and G02
/// (building S2).
fn district(dir: &std::path::Path) {
    seed(dir);
    let data = gridwalk_server::server::open_data(dir, std::time::Duration::from_secs(60)).unwrap();
    use ReferenceKind::*;
    data.store
        .add_reference(&[
            ReferenceItem::new(Community, "C02", None, "和平社区"),
            ReferenceItem::new(Grid, "C02-G01", Some("C02"), "第一网格"),
            ReferenceItem::new(Compound, "Q9", Some("C02"), "和平里").in_grid("C02-G01"),
            ReferenceItem::new(Building, "Z1", Some("Q9"), "1号楼"),
            ReferenceItem::new(Compound, "QS", Some("C01"), "大院"),
            ReferenceItem::new(Building, "S1", Some("QS"), "1号楼").in_grid("C01-G01"),
            ReferenceItem::new(Building, "S2", Some("QS"), "2号楼").in_grid("C01-G02"),
            ReferenceItem::new(Category, "fire_safety", None, "消防安全"),
        ])
        .unwrap();
    let inspector = Actor::new("inspector", Role::Inspector);
    data.store
        .create_order(
            &inspector,
            &NewOrder {
                title: "和平里消防通道".into(),
                compound: "Q9".into(),
                company: "P09".into(),
                deadline: Timestamp(Timestamp::now().0 + 7 * Timestamp::DAY_MS),
                items: vec![NewOrderItem {
                    description: "消防通道堆物".into(),
                    severity: Severity::Critical,
                    before_photos: vec![],
                }],
                from_report: None,
            },
            Timestamp::now(),
        )
        .unwrap();
}

fn household(community: &str, grid: &str, compound: &str, building: &str) -> NewHousehold {
    NewHousehold {
        address: Address {
            community: community.into(),
            grid: grid.into(),
            compound: compound.into(),
            building: building.into(),
            unit: "1".into(),
            room: "101".into(),
        },
        house_use: HouseUse::OwnerOccupied,
        notes: String::new(),
        residents: Vec::new(),
    }
}

fn report(grid: &str, compound: &str) -> NewReport {
    NewReport {
        category: "fire_safety".into(),
        description: "楼道堆物".into(),
        grid: grid.into(),
        compound: compound.into(),
        location: None,
        photos: vec![],
    }
}

fn refused_codes(report: &gridwalk_core::sync::client::SyncReport) -> Vec<String> {
    report
        .refused
        .iter()
        .map(|r| {
            r.message
                .as_ref()
                .map(|m| m.code.clone())
                .unwrap_or_else(|| r.code.clone())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_household_naming_another_communitys_compound_grants_nothing() {
    let dir = tempfile::tempdir().unwrap();
    district(dir.path());
    let server = TestServer::start(dir.path());

    // In the worker's own grid, but in C02's compound: before, the server then granted the
    // worker `compound:Q9` and with it every order of Q9.
    let worker = Device::sign_in(&server.url, "worker.a").await;
    let now = Timestamp::now();
    worker
        .store
        .create_household(&worker.actor, &household("C01", "C01-G01", "Q9", "Z1"), now)
        .unwrap();
    // Q2's building in the worker's grid (Q2 lies in G02), and half of the split compound
    // that lies in the other grid.
    worker
        .store
        .create_household(&worker.actor, &household("C01", "C01-G01", "Q2", "B3"), now)
        .unwrap();
    worker
        .store
        .create_household(&worker.actor, &household("C01", "C01-G01", "QS", "S2"), now)
        .unwrap();
    // A building that exists nowhere.
    worker
        .store
        .create_household(
            &worker.actor,
            &household("C01", "C01-G01", "Q1", "B99"),
            now,
        )
        .unwrap();
    let first = worker.sync().await;
    let codes = refused_codes(&first);
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        vec![
            "place.not_in".to_string(),
            "place.not_in".into(),
            "place.not_in".into(),
            "place.unknown".into()
        ],
        "every bad address refused with its reason: {first:?}"
    );

    // The worker's scopes are their grid and the compounds the reference data puts in it
    // (Q1 whole, QS by building S1), never Q9 or Q2.
    worker.sync().await;
    let mut scopes: Vec<String> = worker.store.sync_cursors().unwrap().into_keys().collect();
    scopes.sort();
    assert_eq!(scopes, ["compound:Q1", "compound:QS", "grid:C01-G01"]);
    let orders = worker
        .store
        .list_orders(
            &worker.actor,
            &OrderFilter::Compound("Q9".into()),
            Timestamp::now(),
            100,
        )
        .unwrap();
    assert!(
        orders.is_empty(),
        "another community's orders reached the worker: {orders:?}"
    );

    // Now that it holds the reference data, the phone refuses the same write itself.
    match worker.store.create_household(
        &worker.actor,
        &household("C01", "C01-G01", "Q9", "Z1"),
        Timestamp::now(),
    ) {
        Err(Error::Refused(r)) => assert_eq!(r.code(), "place.not_in"),
        other => panic!("the device wrote a household in another community's compound: {other:?}"),
    }
    // And an honest household in its own grid goes through on both sides.
    worker
        .store
        .create_household(
            &worker.actor,
            &household("C01", "C01-G01", "QS", "S1"),
            Timestamp::now(),
        )
        .unwrap();
    assert!(worker.sync().await.refused.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_goes_only_into_the_reporters_own_grids() {
    let dir = tempfile::tempdir().unwrap();
    district(dir.path());
    let server = TestServer::start(dir.path());
    let worker = Device::sign_in(&server.url, "worker.a").await;
    let now = Timestamp::now();
    // Through the compound split between G01 and G02: the worker holds `compound:QS`, and
    // before, being in any one scope of a report was enough.
    worker
        .store
        .create_report(&worker.actor, &report("C01-G02", "QS"), now)
        .unwrap();
    // Into another community's grid naming the worker's own compound.
    worker
        .store
        .create_report(&worker.actor, &report("C02-G01", "Q1"), now)
        .unwrap();
    // Their own grid, in the half of QS that lies in it: fine.
    worker
        .store
        .create_report(&worker.actor, &report("C01-G01", "QS"), now)
        .unwrap();
    let sync = worker.sync().await;
    let mut codes = refused_codes(&sync);
    codes.sort();
    assert_eq!(
        codes,
        ["place.not_in", "place.report_outside_grids"],
        "{sync:?}"
    );
    // The refused reports were never stored: the worker of G02, who holds QS too, receives
    // only the honest one (through QS), nothing filed into their grid.
    let other = Device::sign_in(&server.url, "worker.b").await;
    other.sync().await;
    let reports = other
        .store
        .list_reports(&ReportFilter::Category("fire_safety".into()), 100)
        .unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(reports[0].description.contains("楼道堆物"));
}

/// An order goes to the company that serves its compound (the rating counts it there): the
/// server refuses one addressed elsewhere, and the inspector's phone does too once it holds
/// the reference data.
#[tokio::test(flavor = "multi_thread")]
async fn an_order_goes_to_the_company_serving_its_compound() {
    let dir = tempfile::tempdir().unwrap();
    district(dir.path());
    let server = TestServer::start(dir.path());
    let inspector = Device::sign_in(&server.url, "inspector").await;
    let order = |company: &str| NewOrder {
        title: "消防通道".into(),
        compound: "Q1".into(),
        company: company.into(),
        deadline: Timestamp(Timestamp::now().0 + 7 * Timestamp::DAY_MS),
        items: vec![NewOrderItem {
            description: "消防通道堆物".into(),
            severity: Severity::Major,
            before_photos: vec![],
        }],
        from_report: None,
    };
    inspector
        .store
        .create_order(&inspector.actor, &order("P02"), Timestamp::now())
        .unwrap();
    inspector
        .store
        .create_order(&inspector.actor, &order("P01"), Timestamp::now())
        .unwrap();
    let sync = inspector.sync().await;
    assert_eq!(refused_codes(&sync), ["order.wrong_company"], "{sync:?}");
    match inspector
        .store
        .create_order(&inspector.actor, &order("P02"), Timestamp::now())
    {
        Err(Error::Refused(r)) => assert_eq!(r.code(), "order.wrong_company"),
        other => panic!("the device drafted an order to the wrong company: {other:?}"),
    }
}
