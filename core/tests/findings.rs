//! The "needs checking" list: the store's query against the pure rules.

mod common;

use common::*;
use gridwalk_core::demo::{self, CommunitySpec};
use gridwalk_core::records::household::SpecialGroup;
use gridwalk_core::rules::findings::{self, Finding, FindingKind};
use gridwalk_core::rules::household::Validation;
use gridwalk_core::store::queries::AddressScope;
use gridwalk_core::{Household, Timestamp};

fn kinds(list: &[Finding]) -> Vec<FindingKind> {
    list.iter().map(|f| f.kind).collect()
}

#[test]
fn each_kind_of_finding_appears_and_clears_when_the_worker_acts() {
    let (_d, store) = temp_store();
    // An elderly resident (born 1949) alone, a landline, visited 31 days ago.
    let alone = store
        .create_household(
            &worker(),
            &household(
                "B01",
                "101",
                vec![resident("赵奶奶", Some(ID_1949), Some("010-6552 9988"))],
            ),
            NOW,
        )
        .unwrap();
    store
        .record_visit(&worker(), &alone, &visit_at(NOW.minus_days(31)), NOW)
        .unwrap();
    let list = store.needs_checking("C01-G01", NOW).unwrap();
    assert_eq!(
        kinds(&list),
        [
            FindingKind::NotAMobileNumber,
            FindingKind::ElderlyAloneNotVisited
        ]
    );
    assert_eq!(
        list[0].detail.render(gridwalk_core::messages::Lang::ZhCn),
        "赵奶奶：010****9988 不是手机号码"
    );

    // A visit today clears the elderly finding; 181 days later both visit findings are back.
    store
        .record_visit(&worker(), &alone, &visit_at(NOW), NOW)
        .unwrap();
    assert_eq!(
        kinds(&store.needs_checking("C01-G01", NOW).unwrap()),
        [FindingKind::NotAMobileNumber]
    );
    let later = Timestamp(NOW.0 + 181 * Timestamp::DAY_MS);
    assert_eq!(
        kinds(&store.needs_checking("C01-G01", later).unwrap()),
        [
            FindingKind::NotAMobileNumber,
            FindingKind::ElderlyAloneNotVisited,
            FindingKind::NoRecentVisit
        ]
    );

    // The same ID number registered in a second household, and a bad check digit (ledger import).
    let twice = store
        .import_households(
            &supervisor(),
            &[household(
                "B01",
                "102",
                vec![
                    resident("赵奶奶", Some(ID_1949), None),
                    resident("钱七", Some("110101198503070019"), None),
                ],
            )],
            Validation::Ledger,
            NOW,
        )
        .unwrap()
        .remove(0);
    store
        .record_visit(&worker(), &twice, &visit_at(NOW), NOW)
        .unwrap();
    let list = store.needs_checking("C01-G01", NOW).unwrap();
    assert_eq!(
        kinds(&list),
        [
            FindingKind::BadIdNumber,
            FindingKind::DuplicateIdNumber,
            FindingKind::DuplicateIdNumber,
            FindingKind::NotAMobileNumber
        ]
    );
    assert!(
        list[1].detail.to_string().contains("in 2 households"),
        "{}",
        list[1].detail
    );
    assert!(
        list.iter()
            .all(|f| !f.detail.to_json().contains("19491231")),
        "ID numbers are masked: {list:?}"
    );

    // Moving the duplicate out clears the duplicate finding in both households.
    let h = store.household(&twice).unwrap();
    let dup = h
        .residents
        .iter()
        .find(|r| r.name == "赵奶奶")
        .unwrap()
        .id
        .clone();
    store
        .move_out_resident(&worker(), &twice, &dup, NOW)
        .unwrap();
    assert_eq!(
        kinds(&store.needs_checking("C01-G01", NOW).unwrap()),
        [FindingKind::BadIdNumber, FindingKind::NotAMobileNumber]
    );

    // Tagging someone as elderly living alone counts whatever their age.
    let young = store
        .create_household(
            &worker(),
            &household(
                "B01",
                "103",
                vec![
                    resident("孙八", Some(ID_1990), None),
                    resident("孙九", None, None),
                ],
            ),
            NOW,
        )
        .unwrap();
    store
        .record_visit(&worker(), &young, &visit_at(NOW.minus_days(40)), NOW)
        .unwrap();
    let sun = store.household(&young).unwrap().residents[0].id.clone();
    store
        .tag_resident(
            &worker(),
            &young,
            &sun,
            &SpecialGroup::ElderlyAlone,
            true,
            NOW,
        )
        .unwrap();
    assert!(
        store
            .needs_checking("C01-G01", NOW)
            .unwrap()
            .iter()
            .any(|f| f.kind == FindingKind::ElderlyAloneNotVisited
                && f.household_id == young.as_str())
    );
}

#[test]
fn the_stores_list_equals_the_rules_on_a_generated_community() {
    let (_d, store) = temp_store();
    let community = demo::community(&CommunitySpec {
        households: 400,
        grids: 3,
        households_per_building: 20,
        buildings_per_compound: 5,
        ..CommunitySpec::device_scale(7)
    });
    let ids = store
        .import_households(
            &supervisor(),
            &community.households,
            Validation::Ledger,
            NOW,
        )
        .unwrap();
    for (i, id) in ids.iter().enumerate().step_by(3) {
        let days = (i % 200) as i64;
        store
            .record_visit(&worker(), id, &visit_at(NOW.minus_days(days)), NOW)
            .unwrap();
    }
    // A phone whose clock ran three days ahead: its visits are dated in the future.
    let ahead = Timestamp(NOW.0 + 3 * Timestamp::DAY_MS);
    for id in ids.iter().skip(1).step_by(50) {
        store
            .record_visit(&worker(), id, &visit_at(ahead), ahead)
            .unwrap();
    }
    let all: Vec<Household> = ids.iter().map(|id| store.household(id).unwrap()).collect();
    let duplicates = findings::duplicate_id_numbers(&all);
    let mut total = 0;
    for grid in ["C01-G01", "C01-G02", "C01-G03"] {
        let in_grid = |h: &&Household| h.address.grid == grid;
        let mut expected: Vec<Finding> = all
            .iter()
            .filter(in_grid)
            .flat_map(|h| findings::household_findings(h, NOW))
            .chain(
                duplicates
                    .iter()
                    .filter(|f| {
                        all.iter()
                            .any(|h| h.id.as_str() == f.household_id && h.address.grid == grid)
                    })
                    .cloned(),
            )
            .collect();
        expected.sort_by(|a, b| {
            (a.kind, &a.household_id, &a.subject).cmp(&(b.kind, &b.household_id, &b.subject))
        });
        let actual = store.needs_checking(grid, NOW).unwrap();
        assert_eq!(actual, expected, "grid {grid}");
        // The overview's counts come from the same conditions, counted in SQL.
        let mut counted = std::collections::BTreeMap::new();
        for f in &actual {
            *counted.entry(f.kind).or_insert(0u32) += 1;
        }
        assert_eq!(
            store.finding_counts(grid, NOW).unwrap(),
            counted,
            "grid {grid}"
        );
        total += actual.len();
        let count = store
            .list_households(&AddressScope::Grid(grid.into()), 0, 1000)
            .unwrap()
            .household_count;
        assert!(count >= 100, "{grid} has {count} households");
    }
    // The generated ledger has its faults, and the phone ahead its future visits: every kind
    // but conflicts shows up.
    let seen: std::collections::BTreeSet<_> = ["C01-G01", "C01-G02", "C01-G03"]
        .iter()
        .flat_map(|g| kinds(&store.needs_checking(g, NOW).unwrap()))
        .collect();
    assert_eq!(seen.len(), 6, "{seen:?}");
    assert!(total > 50);
}

/// The duplicate ID numbers are a count kept across households as each is written: it must
/// follow a corrected number, a third household, a move-out, a move back, and a rebuild of
/// every list from the documents.
#[test]
fn duplicate_id_numbers_follow_every_write_and_a_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gridwalk.db");
    let store = gridwalk_core::Store::open(&path).unwrap();
    let new = |room: &str, id: &str| {
        store
            .create_household(
                &worker(),
                &household("B01", room, vec![resident("孙立", Some(id), None)]),
                NOW,
            )
            .unwrap()
    };
    let dup_count = |store: &gridwalk_core::Store| -> Vec<String> {
        store
            .needs_checking("C01-G01", NOW)
            .unwrap()
            .into_iter()
            .filter(|f| f.kind == FindingKind::DuplicateIdNumber)
            .map(|f| f.detail.render(gridwalk_core::messages::Lang::En))
            .collect()
    };
    let a = new("101", ID_1985);
    let b = new("102", ID_1990);
    assert!(dup_count(&store).is_empty());

    // B's number corrected to A's (a typo the other way): both households now hold it.
    let rid = |store: &gridwalk_core::Store, h| store.household(h).unwrap().residents[0].id.clone();
    let patch = |id: &str| gridwalk_core::records::household::ResidentPatch {
        id_number: Some(id.into()),
        ..Default::default()
    };
    store
        .update_resident(&worker(), &b, &rid(&store, &b), &patch(ID_1985), NOW)
        .unwrap();
    assert_eq!(dup_count(&store).len(), 2);
    assert!(
        dup_count(&store)[0].contains("2 households"),
        "{:?}",
        dup_count(&store)
    );

    // A third household with it: every finding says three.
    let c = new("103", ID_1985);
    let three = dup_count(&store);
    assert_eq!(three.len(), 3);
    assert!(
        three.iter().all(|d| d.contains("3 households")),
        "{three:?}"
    );

    // Rebuilt from the documents (as after a schema upgrade): the same list.
    drop(store);
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute(
            "INSERT INTO meta (key, value) VALUES (?1, X'01')",
            [gridwalk_core::store::migrations::NEEDS_REPROJECT],
        )
        .unwrap();
    let store = gridwalk_core::Store::open(&path).unwrap();
    assert_eq!(dup_count(&store), three, "rebuilt");

    // Moving two out leaves one household with the number: no duplicate.
    store
        .move_out_resident(&worker(), &c, &rid(&store, &c), NOW)
        .unwrap();
    assert_eq!(dup_count(&store).len(), 2);
    store
        .move_out_resident(&worker(), &a, &rid(&store, &a), NOW)
        .unwrap();
    assert!(dup_count(&store).is_empty());
    // B's number changed back: still none.
    store
        .update_resident(&worker(), &b, &rid(&store, &b), &patch(ID_1990), NOW)
        .unwrap();
    assert!(dup_count(&store).is_empty());
}
