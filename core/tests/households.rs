//! Households through the store's public API: writes, lists, search, refusals.

mod common;

use common::*;
use gridwalk_core::records::household::{NewVisit, SpecialGroup, VisitPurpose};
use gridwalk_core::rules::Refusal;
use gridwalk_core::rules::id_number::IdNumberProblem;
use gridwalk_core::rules::permissions::{Field, Role};
use gridwalk_core::store::queries::{AddressLevel, AddressScope};
use gridwalk_core::{Error, HouseUse, ResidentPatch, Store};

fn visit(at: gridwalk_core::Timestamp) -> NewVisit {
    NewVisit {
        at,
        purpose: VisitPurpose::Routine,
        notes: "一切正常".into(),
        location: Some(gridwalk_core::records::household::Location {
            lat: 39.9,
            lon: 116.4,
        }),
        photos: Vec::new(),
    }
}

#[test]
fn a_household_is_created_listed_and_read_back_whole() {
    let (_dir, store) = temp_store();
    let id = store
        .create_household(
            &worker(),
            &household(
                "B01",
                "301",
                vec![
                    resident("张三", Some(ID_1985), Some("+86 138-0013-8000")),
                    resident("李四", None, None),
                ],
            ),
            NOW,
        )
        .unwrap();
    store
        .create_household(
            &worker(),
            &household("B01", "1001", vec![resident("王五", None, None)]),
            NOW,
        )
        .unwrap();
    store
        .create_household(&worker(), &household("B01", "302", vec![]), NOW)
        .unwrap();

    let h = store.household(&id).unwrap();
    assert_eq!(h.address.room, "301");
    assert_eq!(h.residents.len(), 2);
    let zhang = h.residents.iter().find(|r| r.name == "张三").unwrap();
    assert_eq!(
        zhang.phone.as_deref(),
        Some("13800138000"),
        "phone is normalised"
    );
    assert_eq!(zhang.id_number.as_deref(), Some(ID_1985));

    let list = store
        .list_households(&AddressScope::Building("B01".into()), 0, 100)
        .unwrap();
    assert_eq!(list.household_count, 3);
    assert_eq!(list.resident_count, 3);
    let rooms: Vec<_> = list.households.iter().map(|h| h.room.as_str()).collect();
    assert_eq!(
        rooms,
        ["301", "302", "1001"],
        "rooms in door order, not text order"
    );
    assert_eq!(list.households[0].head_name, "张三");

    let page = store
        .list_households(&AddressScope::Grid("C01-G01".into()), 1, 1)
        .unwrap();
    assert_eq!(page.households.len(), 1);
    assert_eq!(page.household_count, 3);

    let by_unit = store
        .count_households(&AddressScope::Building("B01".into()), AddressLevel::Unit)
        .unwrap();
    assert_eq!(by_unit.len(), 1);
    assert_eq!((by_unit[0].households, by_unit[0].residents), (3, 3));
}

#[test]
fn residents_are_added_edited_tagged_and_moved_out() {
    let (_dir, store) = temp_store();
    let id = store
        .create_household(
            &worker(),
            &household("B01", "301", vec![resident("张三", Some(ID_1985), None)]),
            NOW,
        )
        .unwrap();
    let baby = store
        .add_resident(&worker(), &id, &resident("张小宝", None, None), NOW)
        .unwrap();
    let zhang = store
        .household(&id)
        .unwrap()
        .residents
        .iter()
        .find(|r| r.name == "张三")
        .unwrap()
        .id
        .clone();
    store
        .update_resident(
            &worker(),
            &id,
            &zhang,
            &ResidentPatch {
                phone: Some("139 1234 5678".into()),
                ..Default::default()
            },
            NOW,
        )
        .unwrap();
    store
        .tag_resident(&worker(), &id, &zhang, &SpecialGroup::Disabled, true, NOW)
        .unwrap();
    store.move_out_resident(&worker(), &id, &baby, NOW).unwrap();
    store
        .set_house_use(&worker(), &id, &HouseUse::Rented, NOW)
        .unwrap();
    let v = store
        .record_visit(&worker(), &id, &visit(NOW), NOW)
        .unwrap();

    let h = store.household(&id).unwrap();
    let z = h.resident(&zhang).unwrap();
    assert_eq!(z.phone.as_deref(), Some("13912345678"));
    assert!(z.tags.contains(&SpecialGroup::Disabled));
    assert!(h.resident(&baby).unwrap().moved_out);
    assert_eq!(h.house_use, HouseUse::Rented);
    assert_eq!(h.visits.len(), 1);
    assert_eq!(h.visits[0].id, v);
    assert_eq!(h.visits[0].worker, "wang.wei");

    let list = store
        .list_households(&AddressScope::Building("B01".into()), 0, 10)
        .unwrap();
    assert_eq!(
        list.resident_count, 1,
        "a moved-out resident is not counted"
    );
    assert_eq!(list.households[0].last_visit_at, Some(NOW));
    assert!(
        store.search_residents("张小宝", 10).unwrap().is_empty(),
        "moved out: not found"
    );
}

#[test]
fn a_bad_id_number_is_refused_with_the_reason_and_nothing_is_written() {
    let (_dir, store) = temp_store();
    let err = store
        .create_household(
            &worker(),
            &household(
                "B01",
                "301",
                vec![resident("张三", Some("110105194912310021"), None)],
            ),
            NOW,
        )
        .unwrap_err();
    match &err {
        Error::Refused(Refusal::InvalidIdNumber { masked, problem }) => {
            assert_eq!(masked, "110105********0021");
            assert_eq!(
                *problem,
                IdNumberProblem::BadCheckDigit {
                    expected: 'X',
                    found: '1'
                }
            );
        }
        other => panic!("expected an ID refusal, got {other:?}"),
    }
    assert!(
        err.to_string().contains("check digit is 1 but should be X"),
        "{err}"
    );
    assert!(
        !err.to_string().contains("19491231"),
        "the message masks the birth date: {err}"
    );
    assert_eq!(
        store
            .list_households(&AddressScope::Building("B01".into()), 0, 10)
            .unwrap()
            .household_count,
        0
    );

    let id = store
        .create_household(
            &worker(),
            &household("B01", "301", vec![resident("张三", None, None)]),
            NOW,
        )
        .unwrap();
    let rid = store.household(&id).unwrap().residents[0].id.clone();
    let err = store
        .update_resident(
            &worker(),
            &id,
            &rid,
            &ResidentPatch {
                phone: Some("138-abc".into()),
                ..Default::default()
            },
            NOW,
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::Refused(Refusal::InvalidPhone { .. })),
        "{err:?}"
    );
    assert_eq!(store.household(&id).unwrap().residents[0].phone, None);
}

#[test]
fn roles_are_held_to_their_fields() {
    let (_dir, store) = temp_store();
    let id = store
        .create_household(&worker(), &household("B01", "301", vec![]), NOW)
        .unwrap();
    let mut moved = address("B02", "1", "101");
    moved.grid = "C01-G02".into();
    let err = store.set_address(&worker(), &id, &moved, NOW).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Refused(Refusal::NotPermitted {
                role: Role::GridWorker,
                field: Field::Address
            })
        ),
        "{err:?}"
    );
    store.set_address(&supervisor(), &id, &moved, NOW).unwrap();
    assert_eq!(store.household(&id).unwrap().address.grid, "C01-G02");
    assert_eq!(
        store
            .list_households(&AddressScope::Grid("C01-G02".into()), 0, 10)
            .unwrap()
            .household_count,
        1
    );

    let inspector = gridwalk_core::Actor::new("zhao.inspector", Role::Inspector);
    assert!(matches!(
        store.record_visit(&inspector, &id, &visit(NOW), NOW),
        Err(Error::Refused(Refusal::NotPermitted { .. }))
    ));
    assert!(store.household(&id).unwrap().visits.is_empty());
    assert!(matches!(
        store.create_household(&inspector, &household("B01", "303", vec![]), NOW),
        Err(Error::Refused(Refusal::NotPermitted { .. }))
    ));
}

#[test]
fn residents_are_found_by_name_part_pinyin_initials_and_last_digits() {
    let (_dir, store) = temp_store();
    store
        .create_household(
            &worker(),
            &household(
                "B01",
                "301",
                vec![
                    resident("张三", Some(ID_1985), Some("13800138000")),
                    resident("欧阳娜娜", Some(ID_1990), Some("13912345678")),
                ],
            ),
            NOW,
        )
        .unwrap();
    store
        .create_household(
            &worker(),
            &household("B01", "302", vec![resident("赵四", Some(ID_1949), None)]),
            NOW,
        )
        .unwrap();

    let names = |q: &str| -> Vec<String> {
        store
            .search_residents(q, 20)
            .unwrap()
            .into_iter()
            .map(|h| h.name)
            .collect()
    };
    assert_eq!(names("zs"), ["张三", "赵四"]);
    assert_eq!(names("ZS"), ["张三", "赵四"]);
    assert_eq!(names("oynn"), ["欧阳娜娜"]);
    assert_eq!(names("娜"), ["欧阳娜娜"]);
    assert_eq!(names("三"), ["张三"]);
    assert_eq!(names("0013"), ["张三"], "last digits of the ID number");
    assert_eq!(names("5678"), ["欧阳娜娜"], "last digits of the phone");
    assert_eq!(
        names("002x"),
        ["赵四"],
        "an X check digit, typed lower-case"
    );
    assert!(names("王").is_empty());

    let hit = &store.search_residents("zs", 1).unwrap()[0];
    assert_eq!(hit.id_number_masked.as_deref(), Some("110101********0013"));
    assert_eq!(hit.phone_masked.as_deref(), Some("138****8000"));
    assert_eq!(hit.address_label, "B01-1-301");
}

#[test]
fn polyphonic_surnames_are_found_by_their_surname_and_their_common_reading() {
    let (_dir, store) = temp_store();
    let names = [
        "曾小明",
        "单丽华",
        "解晓东",
        "长孙无忌",
        "尉迟恭",
        "万俟卨",
        "阿依古丽·买买提",
        "阿依·阿依",
        "赵孟𫖯",
        "王𠇔",
        "李Lily",
        "仇小明",
    ];
    let residents = names.iter().map(|n| resident(n, None, None)).collect();
    let id = store
        .create_household(&worker(), &household("B01", "301", residents), NOW)
        .unwrap();
    let found = |q: &str| -> Vec<String> {
        store
            .search_residents(q, 20)
            .unwrap()
            .into_iter()
            .map(|h| h.name)
            .collect()
    };
    for (query, name) in [
        ("zxm", "曾小明"),
        ("cxm", "曾小明"),
        ("slh", "单丽华"),
        ("dlh", "单丽华"),
        ("xxd", "解晓东"),
        ("jxd", "解晓东"),
        ("zswj", "长孙无忌"),
        ("cswj", "长孙无忌"),
        ("ycg", "尉迟恭"),
        ("wcg", "尉迟恭"),
        ("mqx", "万俟卨"),
        ("aygl", "阿依古丽·买买提"),
        ("ayglmmt", "阿依古丽·买买提"),
        ("mmt", "阿依古丽·买买提"),
        ("zmf", "赵孟𫖯"),
        ("wt", "王𠇔"),
        ("llily", "李Lily"),
        ("qxm", "仇小明"),
        ("CXM", "仇小明"),
    ] {
        assert!(
            found(query).contains(&name.to_string()),
            "{query} finds {name}: {:?}",
            found(query)
        );
    }
    assert_eq!(found("cxm"), ["仇小明", "曾小明"], "each once, by name");
    assert_eq!(
        found("ay"),
        ["阿依·阿依", "阿依古丽·买买提"],
        "two keys match, one hit"
    );
    // Its two keys fill a first page of two: the page is filled from the keys after them.
    let two: Vec<String> = store
        .search_residents("ay", 2)
        .unwrap()
        .into_iter()
        .map(|h| h.name)
        .collect();
    assert_eq!(two, ["阿依·阿依", "阿依古丽·买买提"]);
    assert!(found("sxm").is_empty());

    // A new name replaces the old keys; moving out takes the resident out of search.
    let zeng = store
        .household(&id)
        .unwrap()
        .residents
        .iter()
        .find(|r| r.name == "曾小明")
        .unwrap()
        .id
        .clone();
    store
        .update_resident(
            &worker(),
            &id,
            &zeng,
            &ResidentPatch {
                name: Some("查小明".into()),
                ..Default::default()
            },
            NOW,
        )
        .unwrap();
    assert_eq!(found("zxm"), ["查小明"], "查 as zhā; 曾's key is gone");
    assert_eq!(found("cxm"), ["仇小明", "查小明"]);
    store.move_out_resident(&worker(), &id, &zeng, NOW).unwrap();
    assert!(found("zxm").is_empty());
}

#[test]
fn a_store_reopens_with_everything_it_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gridwalk.db");
    let id = {
        let store = Store::open(&path).unwrap();
        let id = store
            .create_household(
                &worker(),
                &household("B01", "301", vec![resident("张三", None, None)]),
                NOW,
            )
            .unwrap();
        // Enough edits to fold chunks into the snapshot more than once.
        for i in 0..200 {
            store
                .set_notes(&worker(), &id, &format!("第{i}次备注"), NOW)
                .unwrap();
        }
        id
    };
    let store = Store::open(&path).unwrap();
    assert_eq!(store.household(&id).unwrap().notes, "第199次备注");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let chunks: i64 = conn
        .query_row("SELECT COUNT(*) FROM document_chunk", [], |r| r.get(0))
        .unwrap();
    assert!(
        chunks < 100,
        "chunks are folded into the snapshot, {chunks} left"
    );
}

#[test]
fn an_unknown_household_or_resident_is_a_clear_error() {
    let (_dir, store) = temp_store();
    let missing = gridwalk_core::RecordId::from("nope");
    assert!(matches!(
        store.household(&missing),
        Err(Error::NotFound { .. })
    ));
    let id = store
        .create_household(&worker(), &household("B01", "301", vec![]), NOW)
        .unwrap();
    let err = store
        .move_out_resident(
            &worker(),
            &id,
            &gridwalk_core::ResidentId::from("ghost"),
            NOW,
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Refused(Refusal::Record(
                gridwalk_core::records::RecordError::UnknownResident { .. }
            ))
        ),
        "{err:?}"
    );
}
