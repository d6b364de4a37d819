//! An edited export re-imports to exactly the edits: the residents XLSX of an area, with random
//! cells changed (names, phones, relations, registrations, special groups) and residents added,
//! is read back by the importer; its preview lists exactly those edits and calls every
//! other household unchanged; after the commit the export equals the edited file.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use gridwalk_core::records::reference::{ReferenceItem, ReferenceKind};
use gridwalk_core::{Actor, Role, demo};
use gridwalk_server::ledger::{export, import, values};
use gridwalk_server::server::open_data;
use proptest::prelude::*;
use rand::SeedableRng;

/// Columns of the residents export.
const NAME: usize = 7;
const ID: usize = 8;
const PHONE: usize = 9;
const RELATION: usize = 10;
const REGISTRATION: usize = 11;
const TAGS: usize = 12;

/// One edit of the exported sheet; indexes are taken modulo what exists.
#[derive(Debug, Clone)]
enum Edit {
    Name(usize, u32),
    Phone(usize, u32),
    Relation(usize, usize),
    Registration(usize, usize),
    Tags(usize, usize),
    Add(usize, u32),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u32>()).prop_map(|(r, n)| Edit::Name(r, n)),
        (any::<usize>(), any::<u32>()).prop_map(|(r, n)| Edit::Phone(r, n)),
        (any::<usize>(), any::<usize>()).prop_map(|(r, v)| Edit::Relation(r, v)),
        (any::<usize>(), any::<usize>()).prop_map(|(r, v)| Edit::Registration(r, v)),
        (any::<usize>(), any::<usize>()).prop_map(|(r, v)| Edit::Tags(r, v)),
        (any::<usize>(), any::<u32>()).prop_map(|(r, n)| Edit::Add(r, n)),
    ]
}

/// The base ledger: 8 households of 1 to 3 residents with valid ID numbers, and a vacant one.
fn base_ledger() -> String {
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut csv = "社区,网格,小区,楼栋,单元,房号,房屋用途,姓名,身份证号码,联系电话,与户主关系,户籍类型,特殊人群\n".to_owned();
    for h in 0..8 {
        for i in 0..(h % 3 + 1) {
            let id = demo::id_number_for(&mut rng, 1950 + h * 5 + i);
            csv.push_str(&format!(
                "阳光社区,第一网格,阳光花园,{}号楼,1,{}01,自住,居民{h}{i},{id},1390000{h}{i}00,{},户籍,\n",
                h % 2 + 1,
                h + 1,
                ["户主", "配偶", "子女"][i as usize],
            ));
        }
    }
    csv.push_str("阳光社区,第一网格,阳光花园,1号楼,2,901,空置,,,,,,\n");
    csv
}

/// The sheet's rows as a spreadsheet shows them, header first.
fn sheet(xlsx: &[u8]) -> Vec<Vec<String>> {
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    range
        .rows()
        .map(|r| {
            let mut row: Vec<String> = r.iter().map(|c| c.to_string()).collect();
            row.resize(13, String::new());
            row
        })
        .collect()
}

/// The person rows by ID number (every resident of the test has one).
fn people(rows: &[Vec<String>]) -> BTreeMap<String, Vec<String>> {
    rows.iter()
        .skip(1)
        .filter(|r| !r[NAME].is_empty())
        .map(|r| (r[ID].clone(), r.clone()))
        .collect()
}

fn apply(rows: &mut Vec<Vec<String>>, edits: &[Edit], rng: &mut rand::rngs::StdRng) {
    let canonical_tags = |s: &str| values::tags_zh(&values::tags(s).unwrap());
    for e in edits {
        let persons: Vec<usize> = (1..rows.len())
            .filter(|i| !rows[*i][NAME].is_empty())
            .collect();
        let pick = |r: usize| persons[r % persons.len()];
        match e {
            Edit::Name(r, n) => rows[pick(*r)][NAME] = format!("新名{n}"),
            Edit::Phone(r, n) => rows[pick(*r)][PHONE] = format!("138{:08}", n % 100_000_000),
            Edit::Relation(r, v) => {
                rows[pick(*r)][RELATION] = values::RELATIONS[v % values::RELATIONS.len()].into()
            }
            Edit::Registration(r, v) => {
                rows[pick(*r)][REGISTRATION] =
                    values::REGISTRATIONS[v % values::REGISTRATIONS.len()].into()
            }
            Edit::Tags(r, v) => {
                let groups = values::SPECIAL_GROUPS;
                let text = match v % 4 {
                    0 => String::new(),
                    1 => groups[v / 4 % groups.len()].to_owned(),
                    _ => format!(
                        "{}、{}",
                        groups[v / 4 % groups.len()],
                        groups[(v / 4 + 1) % groups.len()]
                    ),
                };
                rows[pick(*r)][TAGS] = canonical_tags(&text);
            }
            Edit::Add(r, n) => {
                let mut row = rows[pick(*r)].clone();
                row[NAME] = format!("新人{n}");
                row[ID] = demo::id_number_for(rng, 1980 + (*n % 30) as i32);
                row[PHONE] = format!("137{:08}", n % 100_000_000);
                row[RELATION] = "其他亲属".into();
                row[REGISTRATION] = "户籍".into();
                row[TAGS] = String::new();
                if people(rows).contains_key(&row[ID]) {
                    continue;
                }
                rows.push(row);
            }
        }
    }
}

/// The changes the preview should list, worked out from the two sheets: (who, field, old, new).
fn expected_changes(
    before: &[Vec<String>],
    after: &[Vec<String>],
) -> BTreeSet<(String, String, String, String)> {
    let (old, new) = (people(before), people(after));
    let mut out = BTreeSet::new();
    for (id, n) in &new {
        let Some(o) = old.get(id) else {
            out.insert((
                n[NAME].clone(),
                "name".into(),
                String::new(),
                n[NAME].clone(),
            ));
            continue;
        };
        for (col, field) in [
            (NAME, "name"),
            (PHONE, "phone"),
            (RELATION, "relation"),
            (REGISTRATION, "registration"),
            (TAGS, "tags"),
        ] {
            if o[col] != n[col] {
                out.insert((
                    n[NAME].clone(),
                    field.into(),
                    o[col].clone(),
                    n[col].clone(),
                ));
            }
        }
    }
    for (id, o) in &old {
        if !new.contains_key(id) {
            out.insert((
                o[NAME].clone(),
                "name".into(),
                o[NAME].clone(),
                String::new(),
            ));
        }
    }
    out
}

fn sorted(mut rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    rows.sort();
    rows
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn an_edited_export_reimports_to_exactly_the_edits(
        edits in prop::collection::vec(edit(), 0..8),
        seed in any::<u64>(),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let data = open_data(dir.path(), Duration::from_secs(60)).unwrap();
        data.store.add_reference(&[
            ReferenceItem::new(ReferenceKind::Community, "C01", None, "阳光社区"),
            ReferenceItem::new(ReferenceKind::Grid, "C01-G01", Some("C01"), "第一网格"),
            ReferenceItem::new(ReferenceKind::Compound, "Q1", Some("C01"), "阳光花园").in_grid("C01-G01"),
            ReferenceItem::new(ReferenceKind::Building, "B1", Some("Q1"), "1号楼"),
            ReferenceItem::new(ReferenceKind::Building, "B2", Some("Q1"), "2号楼"),
        ]).unwrap();
        let supervisor = Actor::new("supervisor", Role::Supervisor);
        let area = ["C01-G01".to_owned()];
        let scopes = ["grid:C01-G01".to_owned()];
        let preview = import::preview(
            import::read_csv(base_ledger().as_bytes()).unwrap(), &data.store, Some(&area),
        ).unwrap();
        prop_assert!(preview.bad.is_empty(), "{:?}", preview.bad);
        import::commit(&data.store, &supervisor, &preview).unwrap();

        let export_xlsx = || {
            let rows = export::rows(&data.store, &supervisor, &scopes, export::Table::Residents).unwrap();
            export::to_xlsx(&rows, "居民台账").unwrap()
        };
        let original = sheet(&export_xlsx());
        let mut edited = original.clone();
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        apply(&mut edited, &edits, &mut rng);
        // The edited sheet as a spreadsheet program saves it (text cells), read by the importer.
        let file = export::to_xlsx(&edited, "居民台账").unwrap();
        let preview = import::preview(import::read_xlsx(&file).unwrap(), &data.store, Some(&area)).unwrap();
        prop_assert!(preview.bad.is_empty(), "{:?}", preview.bad);
        prop_assert!(preview.created.is_empty());
        let listed: BTreeSet<(String, String, String, String)> = preview
            .households
            .iter()
            .flat_map(|h| &h.changes)
            .map(|c| (c.who.clone(), c.field.to_owned(), c.old.clone(), c.new.clone()))
            .collect();
        let expected = expected_changes(&original, &edited);
        prop_assert_eq!(&listed, &expected);
        let changed_places: BTreeSet<Vec<String>> = {
            let (old, new) = (people(&original), people(&edited));
            let mut places = BTreeSet::new();
            for (id, n) in &new {
                if old.get(id) != Some(n) {
                    places.insert(n[..6].to_vec());
                }
            }
            for (id, o) in &old {
                if new.get(id) != Some(o) {
                    places.insert(o[..6].to_vec());
                }
            }
            places
        };
        prop_assert_eq!(preview.count(import::Status::Changed), changed_places.len());
        prop_assert_eq!(preview.count(import::Status::New), 0);
        prop_assert_eq!(
            preview.count(import::Status::Unchanged),
            preview.households.len() - changed_places.len()
        );

        import::commit(&data.store, &supervisor, &preview).unwrap();
        let again = sheet(&export_xlsx());
        prop_assert_eq!(sorted(again), sorted(edited));
    }
}
