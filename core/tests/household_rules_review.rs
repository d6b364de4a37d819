//! The household rules' answers to review findings: personal data masked in findings and
//! refusals, visits only in the actor's own name and at sane times, losing values of a merge
//! judged, values stored only in canonical form, and no birth dates in the future.

mod common;

use automerge::{ActorId, AutoCommit};
use common::{NOW, household, resident, supervisor, worker};
use gridwalk_core::records::household::{
    self, Household, HouseholdWriter, NewVisit, ResidentPatch, VisitPurpose,
};
use gridwalk_core::rules::Refusal;
use gridwalk_core::rules::findings::{FindingKind, record_findings};
use gridwalk_core::rules::household::{
    Validation, check_change, check_change_by, normalise_patch, normalise_resident,
};
use gridwalk_core::rules::id_number::{self, IdNumberProblem};
use gridwalk_core::rules::phone::PhoneProblem;
use gridwalk_core::{Actor, RecordId, ResidentId, Role, Timestamp, VisitId};

/// The example number of GB 11643-1999.
const VALID_ID: &str = "11010519491231002X";
/// Another valid number.
const OTHER_VALID_ID: &str = "440524188001010014";
/// [`VALID_ID`] with a wrong check digit.
const BAD_ID: &str = "110105194912310021";

/// A household document with one resident, laid out as the store lays it out.
fn base(_id: &RecordId, rid: &ResidentId) -> AutoCommit {
    let mut doc = AutoCommit::new().with_actor(ActorId::from(vec![0x10u8]));
    let r = normalise_resident(
        &resident("张三", Some(VALID_ID), Some("13800138000")),
        Validation::Strict,
    )
    .unwrap();
    household::write_new(
        &mut doc,
        &household("B01", "101", vec![]),
        &[(rid.clone(), r)],
        "wang.wei",
        NOW,
    )
    .unwrap();
    doc
}

fn view(doc: &AutoCommit, id: &RecordId) -> Household {
    household::read(doc, id).unwrap()
}

/// Patches the resident with values written as given, as a tampered device could.
fn raw_patch(doc: &mut AutoCommit, id: &RecordId, rid: &ResidentId, patch: ResidentPatch) {
    HouseholdWriter::new(doc, id)
        .patch_resident(rid, &patch)
        .unwrap();
}

fn id_patch(v: &str) -> ResidentPatch {
    ResidentPatch {
        id_number: Some(v.into()),
        ..Default::default()
    }
}

fn phone_patch(v: &str) -> ResidentPatch {
    ResidentPatch {
        phone: Some(v.into()),
        ..Default::default()
    }
}

/// Two offline edits of one field from `base`: `winning` on a replica whose actor id sorts
/// last (so automerge keeps its value as the field's value), `losing` on one that sorts first.
fn concurrent(
    id: &RecordId,
    rid: &ResidentId,
    winning: ResidentPatch,
    losing: ResidentPatch,
) -> (Household, Household) {
    let mut server = base(id, rid);
    let mut a = server.fork().with_actor(ActorId::from(vec![0xffu8]));
    let mut b = server.fork().with_actor(ActorId::from(vec![0x01u8]));
    raw_patch(&mut a, id, rid, winning);
    raw_patch(&mut b, id, rid, losing);
    server.merge(&mut a).unwrap();
    let before = view(&server, id);
    server.merge(&mut b).unwrap();
    (before, view(&server, id))
}

fn visit(at: Timestamp) -> NewVisit {
    NewVisit {
        at,
        purpose: VisitPurpose::Routine,
        notes: "入户走访".into(),
        location: None,
        photos: vec![],
    }
}

/// A valid ID number of someone born on `yyyymmdd`.
fn id_born(yyyymmdd: &str) -> String {
    let first17 = format!("110105{yyyymmdd}001");
    format!("{first17}{}", id_number::check_char(first17.as_bytes()))
}

// 1. Personal data masked --------------------------------------------------------------------

#[test]
fn a_conflicting_id_number_finding_shows_only_masked_numbers() {
    let (id, rid) = (RecordId::generate(), ResidentId::generate());
    let third = id_born("19800101");
    let (_, after) = concurrent(&id, &rid, id_patch(OTHER_VALID_ID), id_patch(&third));
    let finding = record_findings(&after)
        .into_iter()
        .find(|f| f.kind == FindingKind::ConflictingEdits)
        .expect("a conflict finding");
    assert_eq!(finding.subject, format!("residents.{rid}.id_number"));
    assert!(
        !finding.detail.to_string().contains(&third),
        "{}",
        finding.detail
    );
    assert!(
        !finding.detail.to_string().contains(OTHER_VALID_ID),
        "{}",
        finding.detail
    );
    assert!(
        finding
            .detail
            .to_string()
            .contains(&id_number::mask(&third))
    );
    assert!(
        finding
            .detail
            .to_string()
            .contains(&id_number::mask(OTHER_VALID_ID))
    );
}

#[test]
fn a_conflicting_phone_finding_shows_only_masked_numbers() {
    let (id, rid) = (RecordId::generate(), ResidentId::generate());
    let (_, after) = concurrent(
        &id,
        &rid,
        phone_patch("13900139000"),
        phone_patch("13700137000"),
    );
    let finding = record_findings(&after)
        .into_iter()
        .find(|f| f.kind == FindingKind::ConflictingEdits)
        .expect("a conflict finding");
    assert_eq!(
        finding.detail.params.get("values").map(String::as_str),
        Some("137****7000 | 139****9000")
    );
}

#[test]
fn a_refused_phone_is_masked_in_the_message() {
    let long = "13800138000123456";
    let err = normalise_resident(&resident("张三", None, Some(long)), Validation::Strict)
        .expect_err("too long");
    assert!(matches!(
        err,
        Refusal::InvalidPhone {
            problem: PhoneProblem::WrongLength(17),
            ..
        }
    ));
    let message = err.to_string();
    assert!(!message.contains(long), "{message}");
    assert!(!message.contains("0013800012"), "{message}");

    let err = normalise_patch(&phone_patch(long)).expect_err("too long");
    assert!(!err.to_string().contains(long), "{err}");

    // The server's check of a pushed document says the same, masked.
    let (id, rid) = (RecordId::generate(), ResidentId::generate());
    let mut doc = base(&id, &rid);
    let before = view(&doc, &id);
    raw_patch(&mut doc, &id, &rid, phone_patch(long));
    let err = check_change(
        Role::GridWorker,
        Some(&before),
        &view(&doc, &id),
        Validation::Strict,
    )
    .expect_err("too long");
    assert!(!err.to_string().contains(long), "{err}");
}

// 2. Visits in the actor's own name, at sane times --------------------------------------------

#[test]
fn a_visit_in_another_workers_name_is_refused() {
    let (id, rid) = (RecordId::generate(), ResidentId::generate());
    let mut doc = base(&id, &rid);
    let before = view(&doc, &id);
    HouseholdWriter::new(&mut doc, &id)
        .append_visit(&VisitId::generate(), "zhao.lei", &visit(NOW))
        .unwrap();
    let after = view(&doc, &id);
    for actor in [worker(), supervisor(), Actor::new("root", Role::Admin)] {
        assert!(
            matches!(
                check_change_by(&actor, Some(&before), &after, Validation::Strict),
                Err(Refusal::Rule(_))
            ),
            "{actor:?}"
        );
    }
    assert!(
        check_change_by(
            &Actor::new("zhao.lei", Role::GridWorker),
            Some(&before),
            &after,
            Validation::Strict
        )
        .is_ok()
    );
    // A new household pushed with a forged visit in it is refused too.
    assert!(check_change_by(&worker(), None, &after, Validation::Strict).is_err());
}

#[test]
fn a_review_in_another_supervisors_name_is_refused() {
    let (id, rid) = (RecordId::generate(), ResidentId::generate());
    let mut doc = base(&id, &rid);
    let vid = VisitId::generate();
    HouseholdWriter::new(&mut doc, &id)
        .append_visit(&vid, "wang.wei", &visit(NOW))
        .unwrap();
    let before = view(&doc, &id);
    let review = |by: &str| household::Review {
        id: format!("review-by-{by}"),
        visit_id: vid.to_string(),
        by: by.into(),
        note: "照片不清楚".into(),
        at: NOW,
    };
    let mut forged = doc.fork();
    HouseholdWriter::new(&mut forged, &id)
        .add_review(&review("zhou.min"))
        .unwrap();
    assert!(matches!(
        check_change_by(
            &supervisor(),
            Some(&before),
            &view(&forged, &id),
            Validation::Strict
        ),
        Err(Refusal::Rule(_))
    ));
    HouseholdWriter::new(&mut doc, &id)
        .add_review(&review(&supervisor().user_id))
        .unwrap();
    check_change_by(
        &supervisor(),
        Some(&before),
        &view(&doc, &id),
        Validation::Strict,
    )
    .unwrap();
}

#[test]
fn a_visit_at_an_absurd_time_is_refused() {
    // 9999-12-31T20:00:00Z, whose date in UTC+8 is past the end of the calendar.
    for at in [
        Timestamp(253_402_286_400_000),
        Timestamp(i64::MAX),
        Timestamp(-1),
    ] {
        let (id, rid) = (RecordId::generate(), ResidentId::generate());
        let mut doc = base(&id, &rid);
        let before = view(&doc, &id);
        HouseholdWriter::new(&mut doc, &id)
            .append_visit(&VisitId::generate(), "wang.wei", &visit(at))
            .unwrap();
        let after = view(&doc, &id);
        assert!(
            matches!(
                check_change(Role::GridWorker, Some(&before), &after, Validation::Strict),
                Err(Refusal::Rule(_))
            ),
            "{at:?}"
        );
        assert!(check_change(Role::GridWorker, None, &after, Validation::Strict).is_err());
        // Dates of such moments are computed without panicking.
        let _ = at.china_date();
    }
    let (id, rid) = (RecordId::generate(), ResidentId::generate());
    let mut doc = base(&id, &rid);
    let before = view(&doc, &id);
    HouseholdWriter::new(&mut doc, &id)
        .append_visit(&VisitId::generate(), "wang.wei", &visit(NOW))
        .unwrap();
    check_change_by(
        &worker(),
        Some(&before),
        &view(&doc, &id),
        Validation::Strict,
    )
    .unwrap();
}

// 3. Losing values of a merge are judged -----------------------------------------------------

#[test]
fn an_invalid_id_number_that_loses_the_merge_is_refused() {
    let (id, rid) = (RecordId::generate(), ResidentId::generate());
    let (before, after) = concurrent(&id, &rid, id_patch(OTHER_VALID_ID), id_patch(BAD_ID));
    // The premise: the valid number won, so the typed views agree.
    assert_eq!(
        after.resident(&rid).unwrap().id_number.as_deref(),
        Some(OTHER_VALID_ID)
    );
    assert_eq!(before.residents, after.residents);
    assert_eq!(
        check_change(Role::GridWorker, Some(&before), &after, Validation::Strict),
        Err(Refusal::InvalidIdNumber {
            masked: id_number::mask(BAD_ID),
            problem: IdNumberProblem::BadCheckDigit {
                expected: 'X',
                found: '1'
            },
        })
    );
}

#[test]
fn an_invalid_phone_that_loses_the_merge_is_refused() {
    let (id, rid) = (RecordId::generate(), ResidentId::generate());
    let (before, after) = concurrent(
        &id,
        &rid,
        phone_patch("13900139000"),
        phone_patch("+86 137 0013 7000"),
    );
    assert_eq!(
        after.resident(&rid).unwrap().phone.as_deref(),
        Some("13900139000")
    );
    assert!(matches!(
        check_change(Role::GridWorker, Some(&before), &after, Validation::Strict),
        Err(Refusal::InvalidPhone {
            problem: PhoneProblem::NotCanonical,
            ..
        })
    ));
}

#[test]
fn a_losing_edit_of_a_field_the_role_may_not_change_is_refused() {
    let (id, rid) = (RecordId::generate(), ResidentId::generate());
    let mut server = base(&id, &rid);
    let mut a = server.fork().with_actor(ActorId::from(vec![0xffu8]));
    let mut b = server.fork().with_actor(ActorId::from(vec![0x01u8]));
    let moved = |room: &str| household("B01", room, vec![]).address;
    HouseholdWriter::new(&mut a, &id)
        .set_address(&moved("102"))
        .unwrap();
    HouseholdWriter::new(&mut b, &id)
        .set_address(&moved("999"))
        .unwrap();
    server.merge(&mut a).unwrap();
    let before = view(&server, &id);
    server.merge(&mut b).unwrap();
    let after = view(&server, &id);
    assert_eq!(before.address, after.address);
    assert!(matches!(
        check_change(Role::GridWorker, Some(&before), &after, Validation::Strict),
        Err(Refusal::NotPermitted { .. })
    ));
    // A supervisor may move households, so their losing edit stands as a conflict.
    check_change(Role::Supervisor, Some(&before), &after, Validation::Strict).unwrap();
}

#[test]
fn valid_concurrent_edits_are_accepted_and_old_conflicts_are_not_judged_again() {
    let (id, rid) = (RecordId::generate(), ResidentId::generate());
    let (before, after) = concurrent(
        &id,
        &rid,
        id_patch(OTHER_VALID_ID),
        id_patch(&id_born("19800101")),
    );
    assert_eq!(after.conflicts.len(), 1, "the premise: a conflict");
    check_change(Role::GridWorker, Some(&before), &after, Validation::Strict).unwrap();
}

/// A conflict holding an invalid value that is already stored (kept from before the rule, or
/// by a ledger import that flags what it keeps) is not judged again by later edits of other
/// fields: one bad value must not freeze the household. An edit of that field still is.
#[test]
fn an_old_conflict_holding_an_invalid_value_does_not_block_later_edits() {
    let (id, rid) = (RecordId::generate(), ResidentId::generate());
    let mut stored = base(&id, &rid);
    let mut a = stored.fork().with_actor(ActorId::from(vec![0xffu8]));
    let mut b = stored.fork().with_actor(ActorId::from(vec![0x01u8]));
    raw_patch(&mut a, &id, &rid, id_patch(OTHER_VALID_ID));
    raw_patch(&mut b, &id, &rid, id_patch(BAD_ID));
    stored.merge(&mut a).unwrap();
    stored.merge(&mut b).unwrap();
    let before = view(&stored, &id);
    assert_eq!(before.conflicts.len(), 1, "the premise: a stored conflict");

    // A later edit of another field, on top of the stored conflict.
    let mut next = stored.fork().with_actor(ActorId::from(vec![0x20u8]));
    HouseholdWriter::new(&mut next, &id)
        .put_field("notes", "门口有狗")
        .unwrap();
    let after = view(&next, &id);
    assert_ne!(before, after, "the premise: a real change");
    assert_eq!(
        after.conflicts, before.conflicts,
        "the conflict is as it was"
    );
    check_change(Role::GridWorker, Some(&before), &after, Validation::Strict)
        .expect("an edit of the notes is not refused for an old conflict");

    // Writing the invalid value again, though, is judged.
    let mut again = stored.fork().with_actor(ActorId::from(vec![0x30u8]));
    raw_patch(&mut again, &id, &rid, id_patch(BAD_ID));
    let rewritten = view(&again, &id);
    assert!(
        check_change(
            Role::GridWorker,
            Some(&before),
            &rewritten,
            Validation::Strict
        )
        .is_err(),
        "a new invalid ID number is refused"
    );
}

// 4. Values stored in canonical form ---------------------------------------------------------

#[test]
fn non_canonical_phones_and_id_numbers_are_refused() {
    let lower_x = VALID_ID.to_ascii_lowercase();
    let cases = [
        (phone_patch("+86 138 0013 8000"), "phone"),
        (phone_patch("138-0013-8001"), "phone"),
        (id_patch(&lower_x), "id"),
        (id_patch(&format!(" {OTHER_VALID_ID}")), "id"),
    ];
    for (patch, what) in cases {
        let (id, rid) = (RecordId::generate(), ResidentId::generate());
        let mut doc = base(&id, &rid);
        let before = view(&doc, &id);
        raw_patch(&mut doc, &id, &rid, patch.clone());
        let result = check_change(
            Role::GridWorker,
            Some(&before),
            &view(&doc, &id),
            Validation::Strict,
        );
        match what {
            "phone" => assert!(
                matches!(
                    result,
                    Err(Refusal::InvalidPhone {
                        problem: PhoneProblem::NotCanonical,
                        ..
                    })
                ),
                "{patch:?}: {result:?}"
            ),
            _ => assert!(
                matches!(
                    result,
                    Err(Refusal::InvalidIdNumber {
                        problem: IdNumberProblem::NotCanonical,
                        ..
                    })
                ),
                "{patch:?}: {result:?}"
            ),
        }
        // Normalised first, as the device does, the same values are accepted.
        let mut doc = base(&id, &rid);
        raw_patch(&mut doc, &id, &rid, normalise_patch(&patch).unwrap());
        check_change(
            Role::GridWorker,
            Some(&before),
            &view(&doc, &id),
            Validation::Strict,
        )
        .unwrap();
    }
}

#[test]
fn resolving_a_conflict_writes_the_canonical_form() {
    let (id, rid) = (RecordId::generate(), ResidentId::generate());
    let mut doc = base(&id, &rid);
    let before = view(&doc, &id);
    // What `Store::resolve_conflict` does: the rules give the canonical form, the writer lays
    // it out. A value pasted from contacts (bidi overrides) is canonical once cleaned.
    let mut w = HouseholdWriter::new(&mut doc, &id);
    let put = |w: &mut HouseholdWriter<'_>, path: String, value: &str| {
        let value = gridwalk_core::rules::household::canonical_field_value(&path, value);
        w.put_field(&path, &value).unwrap();
    };
    put(
        &mut w,
        format!("residents.{rid}.phone"),
        "\u{202D}+86 139-0013-9000\u{202C}",
    );
    put(
        &mut w,
        format!("residents.{rid}.id_number"),
        &OTHER_VALID_ID.to_ascii_lowercase(),
    );
    let after = view(&doc, &id);
    let r = after.resident(&rid).unwrap();
    assert_eq!(r.phone.as_deref(), Some("13900139000"));
    assert_eq!(r.id_number.as_deref(), Some(OTHER_VALID_ID));
    check_change(Role::GridWorker, Some(&before), &after, Validation::Strict).unwrap();
}

// 5. No birth dates in the future ------------------------------------------------------------

#[test]
fn an_id_number_born_in_the_future_is_refused() {
    let future = id_born("20900101");
    assert!(
        id_number::parse(&future).is_ok(),
        "valid apart from the date"
    );
    assert!(matches!(
        normalise_resident(&resident("张三", Some(&future), None), Validation::Strict),
        Err(Refusal::InvalidIdNumber {
            problem: IdNumberProblem::FutureBirthDate,
            ..
        })
    ));
    let (id, rid) = (RecordId::generate(), ResidentId::generate());
    let mut doc = base(&id, &rid);
    let before = view(&doc, &id);
    raw_patch(&mut doc, &id, &rid, id_patch(&future));
    assert!(matches!(
        check_change(
            Role::GridWorker,
            Some(&before),
            &view(&doc, &id),
            Validation::Strict
        ),
        Err(Refusal::InvalidIdNumber {
            problem: IdNumberProblem::FutureBirthDate,
            ..
        })
    ));
    // Someone born today is accepted.
    let today = Timestamp::now().china_date();
    let born_today = id_born(&format!(
        "{:04}{:02}{:02}",
        today.year(),
        today.month() as u8,
        today.day()
    ));
    normalise_resident(
        &resident("张三", Some(&born_today), None),
        Validation::Strict,
    )
    .unwrap();
}
