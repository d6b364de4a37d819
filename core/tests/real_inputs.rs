//! What real people and real phones send (issue: real-world inputs): text pasted from a
//! phone's contacts or typed with a Chinese IME, and phones whose clocks are wrong. Each test
//! failed on the code before the one normalisation and the clock rules.

mod common;

use common::*;
use gridwalk_core::messages::Lang;
use gridwalk_core::records::household::SpecialGroup;
use gridwalk_core::rules::Refusal;
use gridwalk_core::rules::findings::FindingKind;
use gridwalk_core::store::change_log::PushOutcome;
use gridwalk_core::{Error, ResidentPatch, Store, Timestamp};

/// A valid ID number (born 1949-12-31, check digit X).
const ID: &str = ID_1949;

#[test]
fn numbers_pasted_from_contacts_or_typed_full_width_are_stored_canonical() {
    let (_d, store) = temp_store();
    let cases = [
        // Contacts wrap numbers in bidi overrides, isolates and zero-width characters.
        (
            "\u{202D}11010519491231002X\u{202C}",
            "\u{2068}138 0013 8000\u{2069}",
        ),
        ("\u{FEFF}11010519491231002x", "\u{200B}13800138000\u{200B}"),
        // A Chinese IME types full-width digits and letters, and ideographic spaces.
        (
            "１１０１０５１９４９１２３１００２Ｘ",
            "１３８００１３８０００",
        ),
        (
            "\u{3000}110105 19491231 002X\u{3000}",
            "+86\u{00A0}138-0013-8000",
        ),
    ];
    for (i, (id, phone)) in cases.into_iter().enumerate() {
        let hid = store
            .create_household(
                &worker(),
                &household(
                    "B01",
                    &format!("{}", 101 + i),
                    vec![resident("王芳", Some(id), Some(phone))],
                ),
                NOW,
            )
            .unwrap_or_else(|e| panic!("{id:?} / {phone:?}: {e}"));
        let r = &store.household(&hid).unwrap().residents[0];
        assert_eq!(r.id_number.as_deref(), Some(ID), "{id:?}");
        assert_eq!(r.phone.as_deref(), Some("13800138000"), "{phone:?}");
    }
    // And the one person is one person: the same ID in two households is a finding.
    let list = store.needs_checking("C01-G01", NOW).unwrap();
    assert!(
        list.iter()
            .any(|f| f.kind == FindingKind::DuplicateIdNumber)
    );
}

#[test]
fn names_lose_invisible_characters_and_nothing_visible_is_nothing() {
    let (_d, store) = temp_store();
    let hid = store
        .create_household(
            &worker(),
            &household(
                "B01",
                "201",
                vec![resident(
                    "\u{200B}王\u{2060}芳\u{00A0}",
                    Some("\u{200B}\u{FEFF}"),
                    Some(" \u{3000}"),
                )],
            ),
            NOW,
        )
        .unwrap();
    let r = store.household(&hid).unwrap().residents[0].clone();
    assert_eq!(r.name, "王芳");
    assert_eq!(
        r.id_number, None,
        "an ID number of invisible characters is no ID number"
    );
    assert_eq!(r.phone, None);
    // Search finds the cleaned name, typed with the same invisible characters or without.
    assert_eq!(store.search_residents("王芳", 10).unwrap().len(), 1);

    let only_invisible = resident("\u{200B}\u{FEFF}", None, None);
    match store.create_household(
        &worker(),
        &household("B01", "202", vec![only_invisible]),
        NOW,
    ) {
        Err(Error::Refused(Refusal::MissingField {
            field: "resident_name",
        })) => {}
        other => panic!("{other:?}"),
    }
    // A patch pasted from contacts is cleaned the same way.
    store
        .update_resident(
            &worker(),
            &hid,
            &r.id,
            &ResidentPatch {
                phone: Some("\u{202D}139 1234 5678\u{202C}".into()),
                id_number: Some("６４０１０２１９９００１０１００２３".into()),
                ..Default::default()
            },
            NOW,
        )
        .unwrap();
    let r = store.household(&hid).unwrap().residents[0].clone();
    assert_eq!(r.phone.as_deref(), Some("13912345678"));
    assert_eq!(r.id_number.as_deref(), Some("640102199001010023"));
}

#[test]
fn a_refused_id_number_says_why_in_chinese_with_a_code() {
    let (_d, store) = temp_store();
    let bad = resident("李四", Some("110105194912310021"), None);
    let err = store
        .create_household(&worker(), &household("B01", "301", vec![bad]), NOW)
        .unwrap_err();
    let message = err.message();
    assert_eq!(message.code, "id_number.check_digit");
    assert_eq!(message.params["expected"], "X");
    assert_eq!(message.params["actual"], "1");
    assert_eq!(message.params["masked"], "110105********0021");
    let zh = message.render(Lang::ZhCn);
    assert!(zh.contains("校验位") && zh.contains("应为 X"), "{zh}");
    assert!(!zh.contains("check digit"), "{zh}");
    assert!(message.render(Lang::En).contains("check digit"));
}

#[test]
fn the_device_refuses_to_date_a_visit_more_than_a_day_ahead_of_its_clock() {
    let (_d, store) = temp_store();
    let hid = store
        .create_household(
            &worker(),
            &household("B01", "401", vec![resident("赵奶奶", Some(ID), None)]),
            NOW,
        )
        .unwrap();
    let tomorrow_evening = Timestamp(NOW.0 + Timestamp::DAY_MS + 3_600_000);
    let err = store
        .record_visit(&worker(), &hid, &visit_at(tomorrow_evening), NOW)
        .unwrap_err();
    assert_eq!(err.code(), "household.dated_ahead");
    // Within a day of the device's clock is fine (time zones, clocks minutes apart).
    store
        .record_visit(
            &worker(),
            &hid,
            &visit_at(Timestamp(NOW.0 + 3_600_000)),
            NOW,
        )
        .unwrap();
}

#[test]
fn a_phone_a_year_ahead_loses_no_work_and_hides_no_finding() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_store(&dir);
    let (_d, phone) = temp_store();
    let next_year = Timestamp(NOW.0 + 365 * Timestamp::DAY_MS);
    // An elderly woman living alone, last really visited 40 days ago.
    let mut alone = resident("赵奶奶", Some(ID), None);
    alone.tags.insert(SpecialGroup::ElderlyAlone);
    let hid = phone
        .create_household(
            &worker(),
            &household("B01", "501", vec![alone]),
            NOW.minus_days(40),
        )
        .unwrap();
    phone
        .record_visit(
            &worker(),
            &hid,
            &visit_at(NOW.minus_days(40)),
            NOW.minus_days(40),
        )
        .unwrap();
    // The phone's clock jumps a year ahead: to the phone, a visit today is dated next year.
    let ahead = phone
        .record_visit(&worker(), &hid, &visit_at(next_year), next_year)
        .unwrap();

    // The server keeps it: refusing would lose a day of work.
    let bundle = phone.export_changes(&Default::default()).unwrap();
    let everywhere = |_: &str| true;
    assert_eq!(
        server
            .accept_pushed(&worker(), "phone", &bundle.records[0], &everywhere, NOW)
            .unwrap(),
        PushOutcome::Accepted
    );
    assert_eq!(server.household(&hid).unwrap().visits.len(), 2);
    // A supervisor's phone, also a year ahead, sends that visit back: the review is dated
    // next year too, and kept as well.
    phone
        .send_back_visit(&supervisor(), &hid, &ahead, "请核实", next_year)
        .unwrap();
    let review = phone.export_changes(&server.heads().unwrap()).unwrap();
    assert_eq!(
        server
            .accept_pushed(
                &supervisor(),
                "phone2",
                &review.records[0],
                &everywhere,
                NOW
            )
            .unwrap(),
        PushOutcome::Accepted
    );

    // And by the server's clock the elderly finding stands, beside a finding of its own.
    for store in [&server, &phone] {
        let list = store.needs_checking("C01-G01", NOW).unwrap();
        let kinds: Vec<FindingKind> = list.iter().map(|f| f.kind).collect();
        assert!(
            kinds.contains(&FindingKind::ElderlyAloneNotVisited),
            "{kinds:?}"
        );
        let future: Vec<String> = list
            .iter()
            .filter(|f| f.kind == FindingKind::DatedInFuture)
            .map(|f| f.detail.render(Lang::ZhCn))
            .collect();
        assert_eq!(future.len(), 2, "the visit and the review: {future:?}");
        assert!(
            future
                .iter()
                .all(|zh| zh.contains("未来") && zh.contains("时间")),
            "{future:?}"
        );
        assert!(future.iter().any(|zh| zh.contains("复核")), "{future:?}");
        // The same as the rules decide from the household alone.
        let h = store.household(&hid).unwrap();
        let by_rules = gridwalk_core::rules::findings::visit_findings(&h, NOW);
        assert!(
            by_rules
                .iter()
                .any(|f| f.kind == FindingKind::ElderlyAloneNotVisited)
        );
        assert_eq!(
            by_rules
                .iter()
                .filter(|f| f.kind == FindingKind::DatedInFuture)
                .count(),
            2
        );
    }
}

#[test]
fn a_conflict_reads_as_names_and_words_not_paths_and_codes() {
    use gridwalk_core::records::household::Relation;
    let (_a, a) = temp_store();
    let (_b, b) = temp_store();
    let hid = a
        .create_household(
            &worker(),
            &household("B01", "601", vec![resident("王芳", None, None)]),
            NOW,
        )
        .unwrap();
    let pull = |from: &Store, to: &Store| {
        let bundle = from.export_changes(&to.heads().unwrap()).unwrap();
        to.apply_changes(&bundle, NOW).unwrap();
    };
    pull(&a, &b);
    let rid = a.household(&hid).unwrap().residents[0].id.clone();
    for (store, relation) in [(&a, Relation::Spouse), (&b, Relation::Child)] {
        let patch = ResidentPatch {
            relation: Some(relation),
            ..Default::default()
        };
        store
            .update_resident(&worker(), &hid, &rid, &patch, NOW)
            .unwrap();
    }
    pull(&a, &b);
    pull(&b, &a);
    let list = a.needs_checking("C01-G01", NOW).unwrap();
    let conflict = list
        .iter()
        .find(|f| f.kind == FindingKind::ConflictingEdits)
        .expect("a conflict finding");
    let zh = conflict.detail.render(Lang::ZhCn);
    assert!(zh.contains("王芳") && zh.contains("与户主关系"), "{zh}");
    assert!(zh.contains("配偶") && zh.contains("子女"), "{zh}");
    assert!(!zh.contains("residents.") && !zh.contains("spouse"), "{zh}");
}

#[test]
fn an_address_typed_full_width_or_with_invisible_characters_is_one_place() {
    let (_d, store) = temp_store();
    let mut typed = household("Ｂ０１", "１０１", vec![]);
    typed.address.unit = "\u{200B}1\u{00A0}".into();
    let hid = store.create_household(&worker(), &typed, NOW).unwrap();
    let address = store.household(&hid).unwrap().address;
    assert_eq!(
        (
            address.building.as_str(),
            address.unit.as_str(),
            address.room.as_str()
        ),
        ("B01", "1", "101")
    );
    let mut empty = household("B01", "102", vec![]);
    empty.address.unit = "\u{2066}\u{2069}".into();
    match store.create_household(&worker(), &empty, NOW) {
        Err(Error::Refused(Refusal::MissingField {
            field: "address_unit",
        })) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn letters_find_a_latin_part_of_a_name_when_no_initials_match() {
    let (_d, store) = temp_store();
    store
        .create_household(
            &worker(),
            &household("B01", "701", vec![resident("李Lily", None, None)]),
            NOW,
        )
        .unwrap();
    let names = |q: &str| -> Vec<String> {
        store
            .search_residents(q, 10)
            .unwrap()
            .into_iter()
            .map(|h| h.name)
            .collect()
    };
    assert_eq!(names("llily"), ["李Lily"], "initials");
    assert_eq!(names("Lily"), ["李Lily"], "the Latin part of the name");
    assert_eq!(names("ｌｉｌｙ"), ["李Lily"], "typed full width");
}
