//! Three offline replicas act on one order at once (two inspectors and the company), then
//! merge in random orders: every replica ends with the same status and the same judged
//! history, and that status follows the tie-break rules a person would expect.

mod common;

use common::*;
use gridwalk_core::photos::PhotoRef;
use gridwalk_core::records::order::{NewOrder, NewOrderItem, Severity};
use gridwalk_core::rules::Refusal;
use gridwalk_core::rules::order::OrderStatus;
use gridwalk_core::store::inspection::OrderAction;
use gridwalk_core::{Actor, Error, RecordId, Role, Store, Timestamp};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::collections::{HashMap, HashSet};

fn actors() -> [Actor; 3] {
    [
        Actor::new("inspector.a", Role::Inspector),
        Actor::new("inspector.b", Role::Inspector),
        Actor::company_staff("staff.c", "P01"),
    ]
}

fn photo() -> PhotoRef {
    PhotoRef {
        full: "c".repeat(64),
        thumb: "d".repeat(64),
        width: 10,
        height: 10,
        taken_at: None,
        location: None,
    }
}

fn order() -> NewOrder {
    NewOrder {
        title: "整改".into(),
        compound: "Q".into(),
        company: "P01".into(),
        deadline: Timestamp(NOW.0 + 86_400_000),
        items: (1..=2)
            .map(|i| NewOrderItem {
                description: format!("item {i}"),
                severity: Severity::Major,
                before_photos: vec![],
            })
            .collect(),
        from_report: None,
    }
}

/// Every action the replica's person could try; only the legal ones get through.
fn candidates(who: usize) -> Vec<OrderAction> {
    let items = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    if who == 2 {
        vec![
            OrderAction::Acknowledge,
            OrderAction::Answer {
                items: items(&["item-1"]),
                note: "ok".into(),
                photos: vec![photo()],
            },
            OrderAction::Answer {
                items: items(&["item-2"]),
                note: "ok".into(),
                photos: vec![photo()],
            },
            OrderAction::Answer {
                items: items(&["item-1", "item-2"]),
                note: "ok".into(),
                photos: vec![photo()],
            },
        ]
    } else {
        vec![
            OrderAction::Verify,
            OrderAction::Reopen {
                items: items(&["item-1"]),
                note: "不合格".into(),
            },
            OrderAction::Reopen {
                items: items(&["item-2"]),
                note: "不合格".into(),
            },
            OrderAction::Cancel {
                note: "撤销".into(),
            },
        ]
    }
}

#[derive(Debug, Clone)]
enum Step {
    /// Replica tries its n-th candidate action.
    Act(usize, usize),
    /// Replica `to` merges what replica `from` has.
    Merge(usize, usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..3usize, 0..4usize).prop_map(|(r, a)| Step::Act(r, a)),
        1 => (0..3usize, 0..3usize).prop_map(|(a, b)| Step::Merge(a, b)),
    ]
}

fn merge(from: &Store, to: &Store) {
    let bundle = from.export_changes(&to.heads().unwrap()).unwrap();
    to.apply_changes(&bundle, NOW).unwrap();
}

fn run(steps: &[Step]) -> Result<(), String> {
    let dirs: Vec<_> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let stores: Vec<Store> = dirs
        .iter()
        .map(|d| Store::open(d.path().join("r.db")).unwrap())
        .collect();
    let people = actors();
    // Issued and acknowledged (no item answered yet), on every replica, before they part.
    let id: RecordId = stores[0].create_order(&people[0], &order(), NOW).unwrap();
    stores[0]
        .act_on_order(&people[0], &id, &OrderAction::Issue, NOW)
        .unwrap();
    merge(&stores[0], &stores[2]);
    stores[2]
        .act_on_order(&people[2], &id, &OrderAction::Acknowledge, NOW)
        .unwrap();
    merge(&stores[2], &stores[0]);
    merge(&stores[2], &stores[1]);
    let event_ids = |s: &Store| -> HashSet<String> {
        s.order(&id)
            .unwrap()
            .order
            .events
            .into_iter()
            .map(|e| e.id)
            .collect()
    };
    // What each event's author had seen, by event id: the truth `seen` only counts.
    let mut saw: HashMap<String, HashSet<String>> = HashMap::new();
    for (n, s) in steps.iter().enumerate() {
        match s {
            Step::Act(r, a) => {
                let action = &candidates(*r)[*a];
                let known = event_ids(&stores[*r]);
                match stores[*r].act_on_order(&people[*r], &id, action, Timestamp(NOW.0 + n as i64))
                {
                    Ok(()) => {
                        let new: Vec<String> =
                            event_ids(&stores[*r]).difference(&known).cloned().collect();
                        if new.len() != 1 {
                            return Err(format!("one act appended {new:?}"));
                        }
                        saw.insert(new[0].clone(), known);
                    }
                    // Most candidates are illegal at most moments; the rules say so.
                    Err(Error::Refused(Refusal::Rule(_))) => {}
                    Err(other) => return Err(format!("{action:?} failed: {other}")),
                }
            }
            Step::Merge(a, b) if a != b => merge(&stores[*a], &stores[*b]),
            Step::Merge(..) => {}
        }
    }
    for _ in 0..2 {
        for a in 0..3 {
            for b in 0..3 {
                if a != b {
                    merge(&stores[a], &stores[b]);
                }
            }
        }
    }
    let details: Vec<_> = stores.iter().map(|s| s.order(&id).unwrap()).collect();
    for d in &details[1..] {
        if d.state != details[0].state {
            return Err(format!(
                "replicas differ:\n{:#?}\n{:#?}",
                d.state, details[0].state
            ));
        }
    }
    let state = &details[0].state;
    // What a person would call right.
    let counted: Vec<&str> = state
        .history
        .iter()
        .filter(|e| e.counted)
        .map(|e| e.event.kind.as_str())
        .collect();
    match state.status {
        OrderStatus::Verified => {
            if counted.last() != Some(&"verify") {
                return Err(format!(
                    "verified, yet something counted after: {counted:?}"
                ));
            }
        }
        OrderStatus::Cancelled => {
            if counted.last() != Some(&"cancel") {
                return Err(format!(
                    "cancelled, yet something counted after: {counted:?}"
                ));
            }
        }
        _ => {
            if counted.iter().any(|k| *k == "verify" || *k == "cancel") {
                return Err(format!(
                    "a counted verify or cancel did not end the order: {counted:?}"
                ));
            }
        }
    }
    // A reopen made without seeing a verification is lost to it only when the verification's
    // author had seen fewer events (lower `seen` folds first, whatever the kind); with the same
    // `seen` the more cautious reopen folds first and wins. Whether the reopen's author saw
    // the verification comes from what the replica held, not from `seen`.
    let verify = state
        .history
        .iter()
        .find(|v| v.counted && v.event.kind == "verify");
    let lost_to_verify = |e: &&gridwalk_core::rules::order::FoldedEvent| {
        e.event.kind == "reopen"
            && !e.counted
            && e.reason.as_ref().is_some_and(|r| {
                r.code == "order.already"
                    && r.params.get("status").map(String::as_str) == Some("verified")
            })
    };
    for e in state.history.iter().filter(lost_to_verify) {
        let Some(v) = verify else {
            return Err(format!("reopen {} lost to no verification", e.event.id));
        };
        let unseen = !saw
            .get(&e.event.id)
            .is_some_and(|known| known.contains(&v.event.id));
        if unseen && v.event.seen >= e.event.seen {
            return Err(format!(
                "reopen {} (seen {}) lost to a verify it never saw (seen {})",
                e.event.id, e.event.seen, v.event.seen
            ));
        }
    }
    Ok(())
}

#[test]
fn replicas_agree_on_status_and_history_whatever_the_interleaving() {
    let mut runner = TestRunner::new(Config {
        cases: 200,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&prop::collection::vec(step(), 1..16), |steps| {
            run(&steps).map_err(TestCaseError::fail)
        })
        .unwrap();
}

#[test]
fn a_reopen_concurrent_with_a_verification_wins() {
    let (_da, a) = temp_store();
    let (_db, b) = temp_store();
    let (_dc, c) = temp_store();
    let [ia, ib, staff] = actors();
    let id = a.create_order(&ia, &order(), NOW).unwrap();
    a.act_on_order(&ia, &id, &OrderAction::Issue, NOW).unwrap();
    merge(&a, &c);
    c.act_on_order(&staff, &id, &OrderAction::Acknowledge, NOW)
        .unwrap();
    c.act_on_order(
        &staff,
        &id,
        &OrderAction::Answer {
            items: vec!["item-1".into(), "item-2".into()],
            note: "ok".into(),
            photos: vec![photo()],
        },
        NOW,
    )
    .unwrap();
    merge(&c, &a);
    merge(&c, &b);
    // Offline, at once: inspector A verifies, inspector B reopens item 2.
    a.act_on_order(&ia, &id, &OrderAction::Verify, NOW).unwrap();
    b.act_on_order(
        &ib,
        &id,
        &OrderAction::Reopen {
            items: vec!["item-2".into()],
            note: "不合格".into(),
        },
        NOW,
    )
    .unwrap();
    merge(&a, &b);
    merge(&b, &a);
    let state = a.order(&id).unwrap().state;
    assert_eq!(state, b.order(&id).unwrap().state);
    assert_eq!(
        state.status,
        OrderStatus::Reopened,
        "the concern is not lost"
    );
    let verify = state
        .history
        .iter()
        .find(|e| e.event.kind == "verify")
        .unwrap();
    assert!(!verify.counted);
    assert!(
        verify.reason.as_ref().unwrap().code == "order.not_all_answered",
        "{:?}",
        verify.reason
    );
}
