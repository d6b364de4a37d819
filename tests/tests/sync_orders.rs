//! Orders and reports through the server: each role receives only what its scope allows, and
//! the order's status is the same everywhere after a sync.

use gridwalk_core::photos::PhotoRef;
use gridwalk_core::records::order::{NewOrder, NewOrderItem, Severity};
use gridwalk_core::records::reference::{ReferenceItem, ReferenceKind};
use gridwalk_core::records::report::NewReport;
use gridwalk_core::rules::order::OrderStatus;
use gridwalk_core::store::inspection::{OrderAction, OrderFilter};
use gridwalk_core::{Actor, Role, Timestamp};
use gridwalk_server::accounts::ScopeGrant;
use gridwalk_tests::{Device, PASSWORD, TestServer, seed_households};

fn order(compound: &str, company: &str) -> NewOrder {
    NewOrder {
        title: format!("{compound} 整改"),
        compound: compound.into(),
        company: company.into(),
        deadline: Timestamp(Timestamp::now().0 + 7 * Timestamp::DAY_MS),
        items: vec![NewOrderItem {
            description: "消防通道堆物".into(),
            severity: Severity::Critical,
            before_photos: vec![],
        }],
        from_report: None,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_role_receives_only_the_orders_and_reports_of_its_scope() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    seed_households(dir.path(), "C01-G01", 3); // compound Q1
    seed_households(dir.path(), "C01-G02", 3); // compound Q2
    {
        let data =
            gridwalk_server::server::open_data(dir.path(), std::time::Duration::from_secs(60))
                .unwrap();
        let company = |id: &str| ReferenceItem::new(ReferenceKind::Company, id, None, id);
        data.store
            .add_reference(&[company("P01"), company("P02")])
            .unwrap();
        let grant: ScopeGrant = "company:P02".parse().unwrap();
        data.accounts
            .add_user(
                "company2",
                "二号物业",
                Role::CompanyStaff,
                PASSWORD,
                &[grant],
            )
            .unwrap();
    }

    let inspector = Device::sign_in(&server.url, "inspector").await;
    inspector.sync().await;
    let for_p01 = inspector
        .store
        .create_order(&inspector.actor, &order("Q1", "P01"), Timestamp::now())
        .unwrap();
    let for_p02 = inspector
        .store
        .create_order(&inspector.actor, &order("Q2", "P02"), Timestamp::now())
        .unwrap();
    for id in [&for_p01, &for_p02] {
        inspector
            .store
            .act_on_order(&inspector.actor, id, &OrderAction::Issue, Timestamp::now())
            .unwrap();
    }
    let report = inspector.sync().await;
    assert!(report.refused.is_empty(), "{report:?}");
    assert_eq!(
        report.progress.records_down, 0,
        "the inspector receives no households"
    );

    let company = Device::sign_in(&server.url, "company").await;
    assert_eq!(company.actor.company.as_deref(), Some("P01"));
    company.sync().await;
    assert!(company.store.order(&for_p01).is_ok());
    assert!(
        company.store.order(&for_p02).is_err(),
        "another company's order never arrives"
    );
    assert!(
        company
            .store
            .list_households(
                &gridwalk_core::store::queries::AddressScope::Grid("C01-G01".into()),
                0,
                10
            )
            .unwrap()
            .households
            .is_empty()
    );

    // The company acknowledges and answers offline; the inspector verifies after a sync.
    company
        .store
        .act_on_order(
            &company.actor,
            &for_p01,
            &OrderAction::Acknowledge,
            Timestamp::now(),
        )
        .unwrap();
    let photo = PhotoRef {
        full: "e".repeat(64),
        thumb: "f".repeat(64),
        width: 1,
        height: 1,
        taken_at: None,
        location: None,
    };
    company
        .store
        .act_on_order(
            &company.actor,
            &for_p01,
            &OrderAction::Answer {
                items: vec!["item-1".into()],
                note: "已清理".into(),
                photos: vec![photo],
            },
            Timestamp::now(),
        )
        .unwrap();
    assert!(company.sync().await.refused.is_empty());
    inspector.sync().await;
    assert_eq!(
        inspector.store.order(&for_p01).unwrap().state.status,
        OrderStatus::Answered
    );
    inspector
        .store
        .act_on_order(
            &inspector.actor,
            &for_p01,
            &OrderAction::Verify,
            Timestamp::now(),
        )
        .unwrap();
    inspector.sync().await;
    company.sync().await;
    assert_eq!(
        company.store.order(&for_p01).unwrap().state,
        inspector.store.order(&for_p01).unwrap().state
    );
    assert!(
        company
            .store
            .list_orders(&company.actor, &OrderFilter::MyOpen, Timestamp::now(), 10)
            .unwrap()
            .is_empty()
    );

    // A company member cannot push an event for another company's order, nor forge one. The
    // forgeries are made against an order that is open, so the devices take them (each event
    // is legal for the actor it claims) and only the server can refuse them.
    let open = inspector
        .store
        .create_order(&inspector.actor, &order("Q1", "P01"), Timestamp::now())
        .unwrap();
    inspector
        .store
        .act_on_order(
            &inspector.actor,
            &open,
            &OrderAction::Issue,
            Timestamp::now(),
        )
        .unwrap();
    assert!(inspector.sync().await.refused.is_empty());
    company.sync().await;
    let other = Device::sign_in(&server.url, "company2").await;
    other.sync().await;
    assert!(other.store.order(&for_p01).is_err());
    assert!(other.store.order(&open).is_err());
    // Another company's staff, holding a copy of P01's order, acknowledges it in P01's name.
    let bundle = company.store.export_changes(&Default::default()).unwrap();
    other
        .store
        .apply_changes(&bundle, Timestamp::now())
        .unwrap();
    other
        .store
        .act_on_order(
            &Actor::company_staff("company", "P01"),
            &open,
            &OrderAction::Acknowledge,
            Timestamp::now(),
        )
        .expect("the tampered phone writes the forged acknowledgement");
    let refused = other.sync().await.refused;
    assert!(
        refused
            .iter()
            .any(|r| r.id == open && r.code == "out_of_scope"),
        "{refused:?}"
    );
    // P01's own staff cancel it in the inspector's name: in scope, so the rules judge it.
    company
        .store
        .act_on_order(
            &Actor::new("inspector", Role::Inspector),
            &open,
            &OrderAction::Cancel {
                note: "伪造".into(),
            },
            Timestamp::now(),
        )
        .expect("the tampered phone writes the forged cancel");
    let refused = company.sync().await.refused;
    assert!(
        refused.iter().any(|r| r.id == open && r.code == "rules"),
        "a cancel signed by someone else is refused by the server's rules: {refused:?}"
    );
    inspector.sync().await;
    assert_eq!(
        inspector.store.order(&open).unwrap().state.status,
        OrderStatus::Issued,
        "neither forgery reached the order"
    );

    // Grid workers receive the orders of the compounds in their grids, and their grid's reports.
    let worker = Device::sign_in(&server.url, "worker.a").await;
    worker.sync().await;
    assert!(
        worker.store.order(&for_p01).is_ok(),
        "compound Q1 is in grid C01-G01"
    );
    assert!(worker.store.order(&for_p02).is_err());
    let rid = worker
        .store
        .create_report(
            &worker.actor,
            &NewReport {
                category: "fire_safety".into(),
                description: "楼道堆物".into(),
                grid: "C01-G01".into(),
                compound: "Q1".into(),
                location: None,
                photos: vec![],
            },
            Timestamp::now(),
        )
        .unwrap();
    worker.sync().await;
    let colleague = Device::sign_in(&server.url, "worker.a2").await;
    colleague.sync().await;
    assert!(colleague.store.report(&rid).is_ok());
    let elsewhere = Device::sign_in(&server.url, "worker.b").await;
    elsewhere.sync().await;
    assert!(elsewhere.store.report(&rid).is_err());
}

/// A grid worker's report reaches the compound's inspector (never its property company), who
/// escalates it into an order; the worker then sees the link.
#[tokio::test(flavor = "multi_thread")]
async fn an_inspector_receives_a_report_of_their_compound_and_escalates_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    seed_households(dir.path(), "C01-G01", 1); // compound Q1
    let company = Device::sign_in(&server.url, "company").await;
    company.sync().await;

    let worker = Device::sign_in(&server.url, "worker.a").await;
    worker.sync().await;
    let rid = worker
        .store
        .create_report(
            &worker.actor,
            &NewReport {
                category: "fire_safety".into(),
                description: "消防通道堆物".into(),
                grid: "C01-G01".into(),
                compound: "Q1".into(),
                location: None,
                photos: vec![],
            },
            Timestamp::now(),
        )
        .unwrap();
    assert!(worker.sync().await.refused.is_empty());

    // The inspector's phone is new: its first download of Q1 brings the report made before.
    let inspector = Device::sign_in(&server.url, "inspector").await;
    inspector.sync().await;
    assert!(
        inspector.store.report(&rid).is_ok(),
        "the inspector of Q1 receives it"
    );
    let oid = inspector
        .store
        .escalate_report(
            &inspector.actor,
            &rid,
            &order("Q1", "P01"),
            Timestamp::now(),
        )
        .unwrap();
    let pushed = inspector.sync().await;
    assert!(pushed.refused.is_empty(), "{pushed:?}");

    worker.sync().await;
    let seen = worker.store.report(&rid).unwrap();
    assert_eq!(seen.state.escalated_to.as_deref(), Some(oid.as_str()));
    assert_eq!(
        worker.store.order(&oid).unwrap().order.from_report.as_ref(),
        Some(&rid)
    );

    company.sync().await;
    assert!(
        company.store.order(&oid).is_ok(),
        "the order is the company's"
    );
    assert!(
        company.store.report(&rid).is_err(),
        "the report never reaches the company"
    );
}

/// A tampered company app that rewrites an order's issuer (who gets the verify to-do) is
/// refused by the real server, and the order stays as it was.
#[tokio::test(flavor = "multi_thread")]
async fn the_server_refuses_company_staff_rewriting_an_orders_issuer() {
    use gridwalk_core::records::events::append_event;
    use gridwalk_core::store::merge::{BUNDLE_VERSION, ChangeBundle, RecordChanges, RecordData};

    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let inspector = Device::sign_in(&server.url, "inspector").await;
    inspector.sync().await;
    let new = order("Q1", "P01");
    let oid = inspector
        .store
        .create_order(&inspector.actor, &new, Timestamp::now())
        .unwrap();
    inspector
        .store
        .act_on_order(
            &inspector.actor,
            &oid,
            &OrderAction::Issue,
            Timestamp::now(),
        )
        .unwrap();
    assert!(inspector.sync().await.refused.is_empty());

    let company = Device::sign_in(&server.url, "company").await;
    company.sync().await;
    let before = company.store.order(&oid).unwrap().order;
    // Lay the order out again with the company as issuer and the same log, everything else
    // equal: only the issuer changes.
    let bundle = company.store.export_changes(&Default::default()).unwrap();
    let rc = bundle.records.iter().find(|r| r.id == oid).unwrap();
    // Written as the tampered phone writes: under its own actor (its device id).
    let mut doc =
        automerge::AutoCommit::new().with_actor(gridwalk_tests::device_actor(&company.store));
    rc.data.apply_to(&mut doc).unwrap();
    gridwalk_core::records::order::write_new(
        &mut doc,
        &new,
        &company.actor.user_id,
        before.created_at,
    )
    .unwrap();
    for e in &before.events {
        append_event(&mut doc, e).unwrap();
    }
    let tampered = ChangeBundle {
        version: BUNDLE_VERSION,
        records: vec![RecordChanges {
            id: oid.clone(),
            kind: "order".into(),
            data: RecordData::Document(doc.save()),
        }],
    };
    company
        .store
        .apply_changes(&tampered, Timestamp::now())
        .unwrap();
    let forged = company.store.order(&oid).unwrap().order;
    assert_eq!(forged.issuer, company.actor.user_id);
    assert_eq!(forged.events, before.events, "only the issuer differs");

    let refused = company.sync().await.refused;
    assert!(
        refused
            .iter()
            .any(|r| r.id == oid && r.code == "rules" && r.reason.contains("issuer")),
        "{refused:?}"
    );
    inspector.sync().await;
    assert_eq!(
        inspector.store.order(&oid).unwrap().order.issuer,
        inspector.actor.user_id
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_refuses_a_report_of_a_category_the_district_does_not_have() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    {
        let data =
            gridwalk_server::server::open_data(dir.path(), std::time::Duration::from_secs(60))
                .unwrap();
        data.store
            .add_reference(&[ReferenceItem::new(
                ReferenceKind::Category,
                "fire_safety",
                None,
                "消防安全",
            )])
            .unwrap();
    }
    // A phone that has not synced yet knows no categories, so it cannot check; the server can.
    let worker = Device::sign_in(&server.url, "worker.a").await;
    let report = |category: &str| NewReport {
        category: category.into(),
        description: "楼道堆物".into(),
        grid: "C01-G01".into(),
        compound: String::new(),
        location: None,
        photos: vec![],
    };
    let bad = worker
        .store
        .create_report(&worker.actor, &report("made_up"), Timestamp::now())
        .unwrap();
    worker
        .store
        .create_report(&worker.actor, &report("fire_safety"), Timestamp::now())
        .unwrap();
    let result = worker.sync().await;
    let refused: Vec<_> = result.refused.iter().map(|r| &r.id).collect();
    assert_eq!(refused, [&bad], "{:?}", result.refused);
    assert!(result.refused[0].reason.contains("made_up"));
    // With the district's categories now on the phone, it refuses before the server must.
    assert!(
        worker
            .store
            .create_report(&worker.actor, &report("made_up"), Timestamp::now())
            .is_err()
    );
}
