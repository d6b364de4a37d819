//! Marking findings (issue 15, part 6): checked (核实) by a worker or supervisor, or handed to a
//! worker as a to-do by a supervisor; a check holds while the value is unchanged; the rules
//! refuse what a role may not do, a mark without a note, a mark on a finding that ends by
//! itself, a mark in someone else's name, and a changed or removed mark.

mod common;

use common::*;
use gridwalk_core::rules::finding_marks::{self, CHECKED};
use gridwalk_core::rules::findings::{Finding, FindingKind};
use gridwalk_core::rules::household::Validation;
use gridwalk_core::rules::household::check_change_by;
use gridwalk_core::store::finding_marks::FindingAction;
use gridwalk_core::{Actor, Error, RecordId, Role, Store};

const LANDLINE: &str = "010-6552 9988";
const OTHER_LANDLINE: &str = "010-6552 0000";

fn kinds_of(list: &[Finding], household: &RecordId) -> Vec<FindingKind> {
    list.iter()
        .filter(|f| f.household_id == household.as_str())
        .map(|f| f.kind)
        .collect()
}

fn code(e: Error) -> String {
    match e {
        Error::Refused(r) => r.message().code.clone(),
        other => panic!("not a refusal: {other:?}"),
    }
}

/// A household with a landline (not a mobile) and an ID number another household has too, both
/// visited today.
fn two_households(store: &Store) -> (RecordId, RecordId) {
    let a = store
        .create_household(
            &worker(),
            &household(
                "B01",
                "101",
                vec![resident("赵一", Some(ID_1985), Some(LANDLINE))],
            ),
            NOW,
        )
        .unwrap();
    let b = store
        .create_household(
            &worker(),
            &household("B01", "102", vec![resident("赵一", Some(ID_1985), None)]),
            NOW,
        )
        .unwrap();
    // Visited today: no visit finding in the way.
    for h in [&a, &b] {
        store
            .record_visit(&worker(), h, &visit_at(NOW), NOW)
            .unwrap();
    }
    (a, b)
}

fn first_resident(store: &Store, h: &RecordId) -> String {
    store.household(h).unwrap().residents[0].id.to_string()
}

#[test]
fn a_checked_finding_leaves_every_list_until_its_value_changes() {
    let (_d, store) = temp_store();
    let (a, b) = two_households(&store);
    let r = first_resident(&store, &a);
    assert_eq!(
        kinds_of(&store.needs_checking("C01-G01", NOW).unwrap(), &a),
        [
            FindingKind::DuplicateIdNumber,
            FindingKind::NotAMobileNumber
        ]
    );

    // The landline checked by the supervisor: gone from the grid's list, the household's list
    // and the overview's counts.
    let checked = FindingAction::Checked {
        note: "座机，已电话核实".into(),
    };
    store
        .mark_finding(
            &supervisor(),
            &a,
            FindingKind::NotAMobileNumber,
            &r,
            &checked,
            NOW,
        )
        .unwrap();
    let grid = store.needs_checking("C01-G01", NOW).unwrap();
    assert_eq!(kinds_of(&grid, &a), [FindingKind::DuplicateIdNumber]);
    assert_eq!(
        store
            .household_needs_checking(&store.household(&a).unwrap(), NOW)
            .unwrap()
            .iter()
            .map(|f| f.kind)
            .collect::<Vec<_>>(),
        [FindingKind::DuplicateIdNumber]
    );
    let counts = store.finding_counts("C01-G01", NOW).unwrap();
    assert_eq!(counts.get(&FindingKind::NotAMobileNumber), None);
    assert_eq!(counts.get(&FindingKind::DuplicateIdNumber), Some(&2));

    // The duplicate checked in household A only: B still has its finding.
    store
        .mark_finding(
            &worker(),
            &a,
            FindingKind::DuplicateIdNumber,
            &r,
            &checked,
            NOW,
        )
        .unwrap();
    let grid = store.needs_checking("C01-G01", NOW).unwrap();
    assert!(kinds_of(&grid, &a).is_empty());
    assert_eq!(kinds_of(&grid, &b), [FindingKind::DuplicateIdNumber]);
    assert_eq!(
        store
            .finding_counts("C01-G01", NOW)
            .unwrap()
            .get(&FindingKind::DuplicateIdNumber),
        Some(&1)
    );

    // Another landline typed in: the check was about the old one, so the finding is back.
    let patch = gridwalk_core::records::household::ResidentPatch {
        phone: Some(OTHER_LANDLINE.into()),
        ..Default::default()
    };
    let rid = store.household(&a).unwrap().residents[0].id.clone();
    store
        .update_resident(&worker(), &a, &rid, &patch, NOW)
        .unwrap();
    let grid = store.needs_checking("C01-G01", NOW).unwrap();
    assert_eq!(kinds_of(&grid, &a), [FindingKind::NotAMobileNumber]);
    let h = store.household(&a).unwrap();
    assert!(!finding_marks::is_checked(
        &h,
        FindingKind::NotAMobileNumber,
        &r
    ));
    assert!(finding_marks::is_checked(
        &h,
        FindingKind::DuplicateIdNumber,
        &r
    ));
}

#[test]
fn a_finding_handed_to_a_worker_is_their_to_do_until_they_check_it() {
    let (_d, store) = temp_store();
    let (a, _) = two_households(&store);
    let r = first_resident(&store, &a);
    store
        .mark_finding(
            &supervisor(),
            &a,
            FindingKind::NotAMobileNumber,
            &r,
            &FindingAction::Assigned {
                worker: "wang.wei".into(),
                note: "请上门核对电话".into(),
            },
            NOW,
        )
        .unwrap();
    let todos = store.my_todos(&worker()).unwrap();
    assert_eq!(todos.len(), 1);
    assert_eq!(
        (todos[0].kind.as_str(), todos[0].note.as_str()),
        ("check_finding", "请上门核对电话")
    );
    assert_eq!(todos[0].record_id, a);

    store
        .mark_finding(
            &worker(),
            &a,
            FindingKind::NotAMobileNumber,
            &r,
            &FindingAction::Checked {
                note: "是单位座机，号码无误".into(),
            },
            NOW,
        )
        .unwrap();
    assert!(
        store.my_todos(&worker()).unwrap().is_empty(),
        "checked: the to-do is done"
    );
}

#[test]
fn the_rules_refuse_what_a_mark_may_not_be() {
    let (_d, store) = temp_store();
    let (a, _) = two_households(&store);
    let r = first_resident(&store, &a);
    let assign = FindingAction::Assigned {
        worker: "wang.wei".into(),
        note: "请核实".into(),
    };
    // A worker cannot hand findings out; an inspector cannot mark at all.
    let e = store
        .mark_finding(
            &worker(),
            &a,
            FindingKind::NotAMobileNumber,
            &r,
            &assign,
            NOW,
        )
        .unwrap_err();
    assert_eq!(code(e), "household.finding_mark_forbidden");
    let inspector = Actor::new("chen", Role::Inspector);
    let checked = FindingAction::Checked {
        note: "看过".into(),
    };
    assert!(
        store
            .mark_finding(
                &inspector,
                &a,
                FindingKind::NotAMobileNumber,
                &r,
                &checked,
                NOW
            )
            .is_err()
    );
    // No note; a finding that ends by itself (a visit ends it); a resident of no such id.
    let empty = FindingAction::Checked { note: "  ".into() };
    assert!(matches!(
        store
            .mark_finding(
                &supervisor(),
                &a,
                FindingKind::NotAMobileNumber,
                &r,
                &empty,
                NOW
            )
            .unwrap_err(),
        Error::Refused(_)
    ));
    for (kind, subject) in [
        (FindingKind::NoRecentVisit, r.as_str()),
        (FindingKind::NotAMobileNumber, "nobody"),
    ] {
        let e = store
            .mark_finding(&supervisor(), &a, kind, subject, &checked, NOW)
            .unwrap_err();
        assert_eq!(code(e), "household.finding_mark_invalid", "{kind:?}");
    }

    // Pushed documents are judged by the same rules: a mark in another's name, and a mark
    // taken away.
    store
        .mark_finding(
            &supervisor(),
            &a,
            FindingKind::NotAMobileNumber,
            &r,
            &checked,
            NOW,
        )
        .unwrap();
    let before = store.household(&a).unwrap();
    let mut forged = before.clone();
    let mut mark = before.finding_marks[0].clone();
    mark.id = "forged".into();
    mark.by = "someone.else".into();
    forged.finding_marks.push(mark);
    let e = check_change_by(&supervisor(), Some(&before), &forged, Validation::Strict).unwrap_err();
    assert_eq!(e.message().code, "household.finding_mark_not_own");
    let mut removed = before.clone();
    removed.finding_marks.clear();
    let e =
        check_change_by(&supervisor(), Some(&before), &removed, Validation::Strict).unwrap_err();
    assert_eq!(e.message().code, "household.finding_mark_rewritten");
    assert_eq!(before.finding_marks[0].action, CHECKED);
}
