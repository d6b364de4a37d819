//! Rectification orders, issue reports, send-backs, to-dos, ratings and their lists.

mod common;

use common::*;
use gridwalk_core::photos::PhotoRef;
use gridwalk_core::records::household::{NewVisit, VisitPurpose};
use gridwalk_core::records::order::{NewOrder, NewOrderItem, Severity};
use gridwalk_core::records::report::NewReport;
use gridwalk_core::rules::Refusal;
use gridwalk_core::rules::order::{ItemState, OrderStatus};
use gridwalk_core::rules::rating::Color;
use gridwalk_core::rules::report::ReportStatus;
use gridwalk_core::store::inspection::{OrderAction, OrderFilter, ReportAction, ReportFilter};
use gridwalk_core::{Actor, Error, Role, Timestamp};

fn inspector() -> Actor {
    Actor::new("zhao.inspector", Role::Inspector)
}

fn company() -> Actor {
    Actor::company_staff("liu.staff", "P01")
}

fn after_photo() -> PhotoRef {
    PhotoRef {
        full: "a".repeat(64),
        thumb: "b".repeat(64),
        width: 1600,
        height: 1200,
        taken_at: None,
        location: None,
    }
}

fn new_order(items: usize, days: i64) -> NewOrder {
    NewOrder {
        title: "消防通道堆物".into(),
        compound: "C01-Q01".into(),
        company: "P01".into(),
        deadline: Timestamp(NOW.0 + days * Timestamp::DAY_MS),
        items: (0..items)
            .map(|i| NewOrderItem {
                description: format!("第{}处", i + 1),
                severity: if i == 0 {
                    Severity::Critical
                } else {
                    Severity::Minor
                },
                before_photos: vec![after_photo()],
            })
            .collect(),
        from_report: None,
    }
}

fn answer(items: &[&str]) -> OrderAction {
    OrderAction::Answer {
        items: items.iter().map(|s| s.to_string()).collect(),
        note: "已清理".into(),
        photos: vec![after_photo()],
    }
}

fn refused_because(result: gridwalk_core::Result<()>, words: &str) {
    match result {
        Err(Error::Refused(Refusal::Rule(reason))) => {
            assert!(reason.to_string().contains(words), "{reason}")
        }
        other => panic!("expected a refusal about {words:?}, got {other:?}"),
    }
}

#[test]
fn an_order_goes_from_draft_to_verified_and_refuses_what_its_rules_do_not_allow() {
    let (_d, store) = temp_store();
    let id = store
        .create_order(&inspector(), &new_order(2, 7), NOW)
        .unwrap();
    assert_eq!(store.order(&id).unwrap().state.status, OrderStatus::Draft);
    refused_because(
        store.act_on_order(&company(), &id, &OrderAction::Issue, NOW),
        "only an inspector",
    );
    store
        .act_on_order(&inspector(), &id, &OrderAction::Issue, NOW)
        .unwrap();
    assert_eq!(
        store.my_todos(&company()).unwrap()[0].kind,
        "acknowledge_order"
    );

    let other = Actor::company_staff("wu.staff", "P02");
    refused_because(
        store.act_on_order(&other, &id, &OrderAction::Acknowledge, NOW),
        "addressed company",
    );
    refused_because(
        store.act_on_order(&company(), &id, &answer(&["item-1"]), NOW),
        "acknowledge",
    );
    store
        .act_on_order(&company(), &id, &OrderAction::Acknowledge, NOW)
        .unwrap();
    refused_because(
        store.act_on_order(
            &company(),
            &id,
            &OrderAction::Answer {
                items: vec!["item-1".into()],
                note: String::new(),
                photos: vec![],
            },
            NOW,
        ),
        "after-photo",
    );
    store
        .act_on_order(&company(), &id, &answer(&["item-1"]), NOW)
        .unwrap();
    refused_because(
        store.act_on_order(&inspector(), &id, &OrderAction::Verify, NOW),
        "every item",
    );
    store
        .act_on_order(&company(), &id, &answer(&["item-2"]), NOW)
        .unwrap();
    let detail = store.order(&id).unwrap();
    assert_eq!(detail.state.status, OrderStatus::Answered);
    assert_eq!(
        store.my_todos(&inspector()).unwrap()[0].kind,
        "verify_order"
    );

    // The inspector sends item 2 back: a to-do for the company, with the comment.
    store
        .act_on_order(
            &inspector(),
            &id,
            &OrderAction::Reopen {
                items: vec!["item-2".into()],
                note: "照片看不清".into(),
            },
            NOW,
        )
        .unwrap();
    let detail = store.order(&id).unwrap();
    assert_eq!(detail.state.status, OrderStatus::Reopened);
    assert_eq!(detail.state.items[1].1, ItemState::Reopened);
    let todos = store.my_todos(&company()).unwrap();
    assert_eq!(
        (todos[0].kind.as_str(), todos[0].note.as_str()),
        ("answer_order", "照片看不清")
    );
    store
        .act_on_order(&company(), &id, &answer(&["item-2"]), NOW)
        .unwrap();
    assert!(
        store.my_todos(&company()).unwrap().is_empty(),
        "answering clears it"
    );
    store
        .act_on_order(&inspector(), &id, &OrderAction::Verify, NOW)
        .unwrap();
    let detail = store.order(&id).unwrap();
    assert_eq!(detail.state.status, OrderStatus::Verified);
    assert_eq!(detail.state.reopen_count, 1);
    assert!(detail.state.history.iter().all(|e| e.counted));
    refused_because(
        store.act_on_order(
            &inspector(),
            &id,
            &OrderAction::Cancel { note: "x".into() },
            NOW,
        ),
        "already verified",
    );
    assert!(store.my_todos(&inspector()).unwrap().is_empty());
}

#[test]
fn order_lists_come_from_projections_and_overdue_follows_the_clock() {
    let (_d, store) = temp_store();
    let soon = store
        .create_order(&inspector(), &new_order(1, 1), NOW)
        .unwrap();
    let later = store
        .create_order(&inspector(), &new_order(1, 30), NOW)
        .unwrap();
    let draft = store
        .create_order(&inspector(), &new_order(1, -5), NOW)
        .unwrap();
    for id in [&soon, &later] {
        store
            .act_on_order(&inspector(), id, &OrderAction::Issue, NOW)
            .unwrap();
    }
    let ids = |list: Vec<gridwalk_core::store::inspection::OrderSummary>| {
        list.into_iter().map(|o| o.id).collect::<Vec<_>>()
    };
    assert_eq!(
        ids(store
            .list_orders(&inspector(), &OrderFilter::MyOpen, NOW, 50)
            .unwrap()),
        [draft.clone(), soon.clone(), later.clone()]
    );
    assert_eq!(
        ids(store
            .list_orders(&company(), &OrderFilter::MyOpen, NOW, 50)
            .unwrap()),
        [soon.clone(), later.clone()],
        "drafts are not the company's yet"
    );
    assert!(
        store
            .list_orders(&inspector(), &OrderFilter::Overdue, NOW, 50)
            .unwrap()
            .is_empty()
    );
    let in_two_days = Timestamp(NOW.0 + 2 * Timestamp::DAY_MS);
    let overdue = store
        .list_orders(&inspector(), &OrderFilter::Overdue, in_two_days, 50)
        .unwrap();
    assert_eq!(
        ids(overdue.clone()),
        std::slice::from_ref(&soon),
        "a draft is never overdue"
    );
    assert!(overdue[0].overdue);
    assert_eq!(
        store
            .list_orders(&inspector(), &OrderFilter::Company("P01".into()), NOW, 50)
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        store
            .list_orders(
                &inspector(),
                &OrderFilter::Compound("C01-Q01".into()),
                NOW,
                50
            )
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        ids(store
            .list_orders(
                &inspector(),
                &OrderFilter::Status(OrderStatus::Draft),
                NOW,
                50
            )
            .unwrap()),
        [draft]
    );

    // The rating sees the overdue critical order.
    let ratings = store.company_ratings(in_two_days).unwrap();
    assert_eq!(ratings[0].company, "P01");
    assert_eq!(ratings[0].overdue, 1);
    assert_eq!(ratings[0].score, 100 - 40 - 15);
    assert_eq!(ratings[0].color, Color::Red);
    assert_eq!(store.company_ratings(NOW).unwrap()[0].color, Color::Green);
}

#[test]
fn a_report_is_handled_escalated_and_sent_back() {
    let (_d, store) = temp_store();
    let worker = worker();
    let new = NewReport {
        category: "fire_safety".into(),
        description: "楼道电动车充电".into(),
        grid: "C01-G01".into(),
        compound: "C01-Q01".into(),
        location: None,
        photos: vec![after_photo()],
    };
    let id = store.create_report(&worker, &new, NOW).unwrap();
    assert_eq!(
        store.report(&id).unwrap().state.status,
        ReportStatus::Reported
    );
    let sup = supervisor();
    match store.act_on_report(&worker, &id, &ReportAction::Close, NOW) {
        Err(Error::Refused(Refusal::Rule(reason))) => {
            assert!(reason.to_string().contains("supervisor"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    store
        .act_on_report(
            &sup,
            &id,
            &ReportAction::Assign {
                assignee: worker.user_id.clone(),
            },
            NOW,
        )
        .unwrap();
    assert_eq!(store.my_todos(&worker).unwrap()[0].kind, "handle_report");
    store
        .act_on_report(&worker, &id, &ReportAction::Start, NOW)
        .unwrap();
    store
        .act_on_report(
            &sup,
            &id,
            &ReportAction::SendBack {
                note: "请补充照片".into(),
            },
            NOW,
        )
        .unwrap();
    let todo = &store.my_todos(&worker).unwrap()[0];
    assert_eq!(
        (todo.kind.as_str(), todo.note.as_str()),
        ("report_sent_back", "请补充照片")
    );
    store
        .act_on_report(
            &worker,
            &id,
            &ReportAction::Resolve {
                note: "已处理".into(),
            },
            NOW,
        )
        .unwrap();
    assert!(
        store.my_todos(&worker).unwrap().is_empty(),
        "acting clears the send-back"
    );
    assert_eq!(
        store
            .list_reports(&ReportFilter::Status(ReportStatus::Resolved), 10)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .list_reports(&ReportFilter::Category("fire_safety".into()), 10)
            .unwrap()
            .len(),
        1
    );

    // Escalated into an order: both keep the link.
    let order = store
        .escalate_report(&inspector(), &id, &new_order(1, 7), NOW)
        .unwrap();
    assert_eq!(
        store.report(&id).unwrap().state.escalated_to.as_deref(),
        Some(order.as_str())
    );
    assert_eq!(
        store.order(&order).unwrap().order.from_report.as_ref(),
        Some(&id)
    );
    store
        .act_on_report(&sup, &id, &ReportAction::Close, NOW)
        .unwrap();
    assert_eq!(
        store.report(&id).unwrap().state.status,
        ReportStatus::Closed
    );
}

#[test]
fn a_visit_sent_back_is_a_to_do_until_the_worker_visits_again() {
    let (_d, store) = temp_store();
    let h = store
        .create_household(&worker(), &household("B01", "301", vec![]), NOW)
        .unwrap();
    let visit = |at: Timestamp| NewVisit {
        at,
        purpose: VisitPurpose::Routine,
        notes: "走访".into(),
        location: None,
        photos: Vec::new(),
    };
    let v = store.record_visit(&worker(), &h, &visit(NOW), NOW).unwrap();
    assert!(matches!(
        store.send_back_visit(&worker(), &h, &v, "记录不全", NOW),
        Err(Error::Refused(Refusal::NotPermitted { .. }))
    ));
    let later = Timestamp(NOW.0 + 1000);
    store
        .send_back_visit(&supervisor(), &h, &v, "记录不全", later)
        .unwrap();
    let todos = store.my_todos(&worker()).unwrap();
    assert_eq!(
        (todos[0].kind.as_str(), todos[0].note.as_str()),
        ("visit_sent_back", "记录不全")
    );
    store
        .record_visit(&worker(), &h, &visit(Timestamp(later.0 + 1)), later)
        .unwrap();
    assert!(store.my_todos(&worker()).unwrap().is_empty());
}

#[test]
fn the_server_refuses_events_their_sender_may_never_make() {
    use gridwalk_core::records::events::{Event, append_event};
    use gridwalk_core::store::change_log::PushOutcome;
    use gridwalk_core::store::merge::{RecordChanges, RecordData};
    use gridwalk_core::store::{StoreKind, StoreOptions};

    let dir = tempfile::tempdir().unwrap();
    let server = gridwalk_core::Store::open_with(
        dir.path().join("server.db"),
        StoreOptions {
            kind: StoreKind::Server,
            readers: 1,
        },
    )
    .unwrap();
    let (_d, device) = temp_store();
    let id = device
        .create_order(&inspector(), &new_order(1, 7), NOW)
        .unwrap();
    device
        .act_on_order(&inspector(), &id, &OrderAction::Issue, NOW)
        .unwrap();
    let bundle = device.export_changes(&Default::default()).unwrap();
    let everywhere = |_: &str| true;
    assert_eq!(
        server
            .accept_pushed(&inspector(), "d1", &bundle.records[0], &everywhere, NOW)
            .unwrap(),
        PushOutcome::Accepted
    );

    // A tampered company app writes events straight into the document.
    let RecordData::Document(bytes) = &bundle.records[0].data else {
        panic!("a new record travels whole")
    };
    let tampered = |event: Event| {
        let mut doc = automerge::AutoCommit::load(bytes).unwrap();
        let heads = doc.get_heads();
        append_event(&mut doc, &event).unwrap();
        doc.commit();
        let changes = doc
            .get_changes(&heads)
            .iter()
            .map(|c| c.raw_bytes().to_vec().into())
            .collect();
        RecordChanges {
            id: id.clone(),
            kind: "order".into(),
            data: RecordData::Changes(changes),
        }
    };
    let verify_by_company = tampered(Event::new("verify", &company(), NOW));
    match server
        .accept_pushed(&company(), "d2", &verify_by_company, &everywhere, NOW)
        .unwrap()
    {
        PushOutcome::Refused(Refusal::Rule(reason)) => {
            assert!(reason.to_string().contains("only an inspector"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    let signed_as_inspector = tampered(Event::new("cancel", &inspector(), NOW));
    match server
        .accept_pushed(&company(), "d2", &signed_as_inspector, &everywhere, NOW)
        .unwrap()
    {
        PushOutcome::Refused(Refusal::Rule(reason)) => {
            assert!(reason.to_string().contains("not signed"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        server.order(&id).unwrap().order.events.len(),
        1,
        "nothing refused was stored"
    );
    assert_eq!(server.order(&id).unwrap().state.status, OrderStatus::Issued);
}

fn fire_report() -> NewReport {
    NewReport {
        category: "fire_safety".into(),
        description: "楼道堆物".into(),
        grid: "C01-G01".into(),
        compound: "C01-Q01".into(),
        location: None,
        photos: vec![],
    }
}

fn refused_by_rules(result: Result<(), Refusal>, words: &str) {
    match result {
        Err(Refusal::Rule(reason)) => assert!(reason.to_string().contains(words), "{reason}"),
        other => panic!("expected a refusal about {words:?}, got {other:?}"),
    }
}

#[test]
fn the_server_refuses_events_and_rewrites_that_no_state_excuses() {
    use gridwalk_core::RecordId;
    use gridwalk_core::records::events::Event;
    use gridwalk_core::records::order::Order;
    use gridwalk_core::records::report::Report;
    use gridwalk_core::rules::{order as order_rules, report as report_rules};

    let (_d, store) = temp_store();
    let id = store
        .create_order(&inspector(), &new_order(2, 7), NOW)
        .unwrap();
    store
        .act_on_order(&inspector(), &id, &OrderAction::Issue, NOW)
        .unwrap();
    store
        .act_on_order(&company(), &id, &OrderAction::Acknowledge, NOW)
        .unwrap();
    let before = store.order(&id).unwrap().order;
    // What the server runs on a pushed change: `before` is its copy, `after` the pushed one.
    let check =
        |actor: &Actor, after: &Order| order_rules::check_change(actor, Some(&before), after);
    let with = |e: Event| {
        let mut after = before.clone();
        after.events.push(Event {
            seen: before.events.len() as u32,
            ..e
        });
        after
    };
    let answer = |items: &[&str], photos: Vec<PhotoRef>| Event {
        items: items.iter().map(|s| s.to_string()).collect(),
        note: "已清理".into(),
        photos,
        ..Event::new("answer", &company(), NOW)
    };
    assert_eq!(
        check(&company(), &with(answer(&["item-1"], vec![after_photo()]))),
        Ok(())
    );
    refused_by_rules(
        check(&company(), &with(answer(&["item-1"], vec![]))),
        "after-photo",
    );
    refused_by_rules(
        check(&company(), &with(answer(&["item-9"], vec![after_photo()]))),
        "no item item-9",
    );
    refused_by_rules(
        check(&company(), &with(answer(&[], vec![after_photo()]))),
        "names no item",
    );
    let reopen = Event {
        items: vec!["item-1".into()],
        ..Event::new("reopen", &inspector(), NOW)
    };
    refused_by_rules(check(&inspector(), &with(reopen)), "says what is wrong");
    // An urge (督办) is a supervisor's, with a note: not a company's pushing it to itself.
    let urge = |actor: &Actor, note: &str| Event {
        note: note.into(),
        ..Event::new("urge", actor, NOW)
    };
    let boss = supervisor();
    assert_eq!(check(&boss, &with(urge(&boss, "请回复"))), Ok(()));
    refused_by_rules(
        check(&company(), &with(urge(&company(), "请回复"))),
        "only a supervisor",
    );
    refused_by_rules(check(&boss, &with(urge(&boss, ""))), "urging says");
    let mut future = with(Event::new("cancel", &inspector(), NOW));
    future.events.last_mut().unwrap().seen = 7;
    refused_by_rules(check(&inspector(), &future), "claims to have seen 7");
    let mut reused = with(Event::new("cancel", &inspector(), NOW));
    reused.events.last_mut().unwrap().id = before.events[0].id.clone();
    refused_by_rules(check(&inspector(), &reused), "used twice");

    // Fields fixed once drafted, whoever may push to the order.
    let rewrites = [
        Order {
            issuer: company().user_id,
            ..before.clone()
        },
        Order {
            created_at: Timestamp(0),
            ..before.clone()
        },
        Order {
            from_report: Some(RecordId::generate()),
            ..before.clone()
        },
    ];
    for after in &rewrites {
        refused_by_rules(check(&company(), after), "fixed once drafted");
        refused_by_rules(check(&inspector(), after), "fixed once drafted");
    }
    let in_another_name = Order {
        issuer: "qian.inspector".into(),
        events: vec![],
        ..before.clone()
    };
    refused_by_rules(
        order_rules::check_change(&inspector(), None, &in_another_name),
        "own name",
    );

    // Reports: filed in the sender's own name; place fixed; a send-back says what is wrong.
    let rid = store.create_report(&worker(), &fire_report(), NOW).unwrap();
    let report = store.report(&rid).unwrap().report;
    refused_by_rules(
        report_rules::check_change(&supervisor(), None, &report),
        "own name",
    );
    let moved = Report {
        compound: "C01-Q02".into(),
        ..report.clone()
    };
    refused_by_rules(
        report_rules::check_change(&worker(), Some(&report), &moved),
        "fixed once filed",
    );
    let mut silent = report.clone();
    silent
        .events
        .push(Event::new("send_back", &supervisor(), NOW));
    refused_by_rules(
        report_rules::check_change(&supervisor(), Some(&report), &silent),
        "says what is wrong",
    );
}

#[test]
fn verification_needs_every_item_answered_with_an_after_photo() {
    use gridwalk_core::records::events::Event;
    use gridwalk_core::rules::order::fold;

    let (_d, store) = temp_store();
    let id = store
        .create_order(&inspector(), &new_order(2, 7), NOW)
        .unwrap();
    store
        .act_on_order(&inspector(), &id, &OrderAction::Issue, NOW)
        .unwrap();
    store
        .act_on_order(&company(), &id, &OrderAction::Acknowledge, NOW)
        .unwrap();
    store
        .act_on_order(&company(), &id, &answer(&["item-1"]), NOW)
        .unwrap();
    // A log as a tampered app might leave it: item 2 "answered" without a photo, then verified.
    let mut order = store.order(&id).unwrap().order;
    let n = order.events.len() as u32;
    order.events.push(Event {
        items: vec!["item-2".into()],
        seen: n,
        ..Event::new("answer", &company(), NOW)
    });
    order.events.push(Event {
        seen: n + 1,
        ..Event::new("verify", &inspector(), NOW)
    });
    let state = fold(&order);
    assert_eq!(state.status, OrderStatus::Acknowledged);
    assert_eq!(state.items[1].1, ItemState::Open);
    assert!(state.history.iter().rev().take(2).all(|e| !e.counted));
}

#[test]
fn a_report_is_sent_back_only_to_an_assignee_who_can_clear_it() {
    let (_d, store) = temp_store();
    let sup = supervisor();
    let id = store.create_report(&worker(), &fire_report(), NOW).unwrap();
    let send_back = ReportAction::SendBack {
        note: "请补充照片".into(),
    };
    refused_because(
        store.act_on_report(&sup, &id, &send_back, NOW),
        "assign it first",
    );
    assert!(store.my_todos(&worker()).unwrap().is_empty());
    let helper = Actor::new("li.worker", Role::GridWorker);
    store
        .act_on_report(
            &sup,
            &id,
            &ReportAction::Assign {
                assignee: helper.user_id.clone(),
            },
            NOW,
        )
        .unwrap();
    store.act_on_report(&sup, &id, &send_back, NOW).unwrap();
    assert_eq!(store.my_todos(&helper).unwrap()[0].kind, "report_sent_back");
    store
        .act_on_report(&helper, &id, &ReportAction::Start, NOW)
        .unwrap();
    assert!(
        store
            .my_todos(&helper)
            .unwrap()
            .iter()
            .all(|t| t.kind != "report_sent_back"),
        "the assignee's next act clears it"
    );
    store
        .act_on_report(
            &helper,
            &id,
            &ReportAction::Resolve {
                note: "已处理".into(),
            },
            NOW,
        )
        .unwrap();
    refused_because(
        store.act_on_report(&sup, &id, &send_back, NOW),
        "reopen it instead",
    );
}

#[test]
fn an_answered_order_is_not_overdue_and_on_time_means_answered_by_the_deadline() {
    let (_d, store) = temp_store();
    let id = store
        .create_order(&inspector(), &new_order(1, 1), NOW)
        .unwrap();
    store
        .act_on_order(&inspector(), &id, &OrderAction::Issue, NOW)
        .unwrap();
    store
        .act_on_order(&company(), &id, &OrderAction::Acknowledge, NOW)
        .unwrap();
    store
        .act_on_order(&company(), &id, &answer(&["item-1"]), NOW)
        .unwrap();
    // Three days on: the deadline has passed, the company answered in time, the inspector
    // has not looked yet.
    let later = Timestamp(NOW.0 + 3 * Timestamp::DAY_MS);
    assert!(
        store
            .list_orders(&inspector(), &OrderFilter::Overdue, later, 50)
            .unwrap()
            .is_empty()
    );
    let row = &store
        .list_orders(&inspector(), &OrderFilter::Company("P01".into()), later, 50)
        .unwrap()[0];
    assert!(!row.overdue);
    let rating = &store.company_ratings(later).unwrap()[0];
    assert_eq!((rating.overdue, rating.score), (0, 100));
    // Verified late by the inspector: still on time, the company answered by the deadline.
    store
        .act_on_order(&inspector(), &id, &OrderAction::Verify, later)
        .unwrap();
    let rating = &store.company_ratings(later).unwrap()[0];
    assert_eq!((rating.on_time_rate, rating.score), (1.0, 100));
}

#[test]
fn a_report_category_must_be_one_the_reference_data_lists() {
    use gridwalk_core::records::reference::{ReferenceItem, ReferenceKind};
    let (_d, store) = temp_store();
    let mut typo = fire_report();
    typo.category = "fire_saftey".into();
    // No categories configured: anything goes, so reporting works before they are.
    store.create_report(&worker(), &typo, NOW).unwrap();
    store
        .put_reference(&[ReferenceItem::new(
            ReferenceKind::Category,
            "fire_safety",
            None,
            "消防安全",
        )])
        .unwrap();
    match store.create_report(&worker(), &typo, NOW) {
        Err(Error::Refused(Refusal::Rule(reason))) => {
            assert!(reason.to_string().contains("fire_saftey"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    store.create_report(&worker(), &fire_report(), NOW).unwrap();
}

#[test]
fn escalation_writes_the_order_and_the_link_in_one_commit() {
    use gridwalk_core::store::{ChangeEvent, ChangeListener};
    use std::sync::{Arc, Mutex};

    #[derive(Default)]
    struct Commits(Mutex<Vec<ChangeEvent>>);
    impl ChangeListener for Commits {
        fn on_change(&self, event: &ChangeEvent) {
            self.0.lock().unwrap().push(event.clone());
        }
    }
    let (_d, store) = temp_store();
    let id = store.create_report(&worker(), &fire_report(), NOW).unwrap();
    let commits = Arc::new(Commits::default());
    let _sub = store.subscribe(commits.clone());
    let order = store
        .escalate_report(&inspector(), &id, &new_order(1, 7), NOW)
        .unwrap();
    let seen = commits.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "one transaction: {seen:?}");
    let mut ids: Vec<String> = seen[0].records.iter().map(|(r, _)| r.to_string()).collect();
    ids.sort();
    let mut want = vec![id.to_string(), order.to_string()];
    want.sort();
    assert_eq!(ids, want);
    // A refused order (no items) leaves neither the order nor the link.
    assert!(
        store
            .escalate_report(&inspector(), &id, &new_order(0, 7), NOW)
            .is_err()
    );
    assert_eq!(store.report(&id).unwrap().report.events.len(), 1);
    assert_eq!(commits.0.lock().unwrap().len(), 1);
}

#[test]
fn a_supervisor_urges_a_company_that_owes_an_answer_and_its_to_do_says_so() {
    let (_d, store) = temp_store();
    let supervisor = Actor::new("zhang.supervisor", Role::Supervisor);
    let urge = |note: &str| OrderAction::Urge { note: note.into() };
    let id = store
        .create_order(&inspector(), &new_order(1, 7), NOW)
        .unwrap();
    // A draft owes nothing yet.
    refused_because(
        store.act_on_order(&supervisor, &id, &urge("请尽快处理"), NOW),
        "cannot be urged",
    );
    store
        .act_on_order(&inspector(), &id, &OrderAction::Issue, NOW)
        .unwrap();
    // Only a supervisor urges, and says what the company must do.
    refused_because(
        store.act_on_order(&inspector(), &id, &urge("请尽快处理"), NOW),
        "only a supervisor",
    );
    refused_because(
        store.act_on_order(&company(), &id, &urge("请尽快处理"), NOW),
        "only a supervisor",
    );
    refused_because(
        store.act_on_order(&supervisor, &id, &urge("  "), NOW),
        "urging says",
    );
    store
        .act_on_order(&supervisor, &id, &urge("三天内必须签收"), NOW)
        .unwrap();
    let detail = store.order(&id).unwrap();
    assert_eq!(
        detail.state.status,
        OrderStatus::Issued,
        "an urge moves nothing"
    );
    assert_eq!(detail.state.urge_note.as_deref(), Some("三天内必须签收"));
    let todo = &store.my_todos(&company()).unwrap()[0];
    assert_eq!(
        (todo.kind.as_str(), todo.note.as_str()),
        ("acknowledge_order", "三天内必须签收")
    );
    // The company acknowledges: the urge is answered; a second urge while it owes the answer.
    store
        .act_on_order(&company(), &id, &OrderAction::Acknowledge, NOW)
        .unwrap();
    assert_eq!(store.order(&id).unwrap().state.urge_note, None);
    assert_eq!(store.my_todos(&company()).unwrap()[0].note, "消防通道堆物");
    store
        .act_on_order(&supervisor, &id, &urge("期限将到，请回复"), NOW)
        .unwrap();
    assert_eq!(
        store.my_todos(&company()).unwrap()[0].note,
        "期限将到，请回复"
    );
    let item = store.order(&id).unwrap().order.items[0].id.clone();
    store
        .act_on_order(&company(), &id, &answer(&[item.as_str()]), NOW)
        .unwrap();
    // Answered, the order waits for the inspector, not the company: no urge.
    let detail = store.order(&id).unwrap();
    assert_eq!(detail.state.status, OrderStatus::Answered);
    assert_eq!(detail.state.urge_note, None);
    refused_because(
        store.act_on_order(&supervisor, &id, &urge("请尽快处理"), NOW),
        "cannot be urged",
    );
    let kinds: Vec<&str> = detail
        .state
        .history
        .iter()
        .filter(|e| e.counted)
        .map(|e| e.event.kind.as_str())
        .collect();
    assert_eq!(kinds, ["issue", "urge", "acknowledge", "urge", "answer"]);
}
