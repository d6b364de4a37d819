//! A district's ledger as an office keeps it, in and out: 30,000 households, one row per
//! resident, places by NAME (书香苑社区 / 第3网格 / 盈北苑2期小区 / 7号楼), none of which exist
//! yet, vacant houses as rows without a person, headers 身份证号码 and 联系电话, values in the
//! usual words (本人, 妻子, 外地, 独居 …), UTF-8 with a BOM. Previewed and committed as an
//! administrator, creating every place, the preview kept in accounts.db between the two as the
//! page keeps it; then the residents and households exports of those 30,000 households
//! (rows, and the XLSX the page sends).
//!
//! Run with `cargo bench -p gridwalk-server --bench ledger`. Goals: import (read, preview,
//! commit) under 30 s, export under 5 s. The work is checked (rows committed = rows generated,
//! places created, export row count); a miss or a failed check exits non-zero.

use std::collections::HashSet;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use gridwalk_core::demo;
use gridwalk_core::records::reference::ReferenceKind;
use gridwalk_core::store::queries::AddressScope;
use gridwalk_core::{Actor, Role};
use gridwalk_server::accounts::StoredPreview;
use gridwalk_server::ledger::{export, import};
use gridwalk_server::server::open_data;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const HOUSEHOLDS: usize = 30_000;
const GRIDS: usize = 30;
const COMPOUNDS_PER_GRID: usize = 4;
const BUILDINGS_PER_COMPOUND: usize = 10;
const IMPORT_GOAL: Duration = Duration::from_secs(30);
const EXPORT_GOAL: Duration = Duration::from_secs(5);

/// The generated ledger and what it holds.
struct Generated {
    csv: Vec<u8>,
    rows: usize,
    persons: usize,
    places: usize,
}

fn generate() -> Generated {
    let mut rng = StdRng::seed_from_u64(14);
    let mut csv = "\u{feff}序号,社区,网格,小区,楼栋,单元,房号,房屋用途,姓名,身份证号码,联系电话,与户主关系,户籍类型,特殊人群\r\n".to_owned();
    let (mut rows, mut persons) = (0, 0);
    let mut ids = HashSet::new();
    let surnames = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"];
    let given = [
        "建国", "秀英", "伟", "芳", "磊", "静", "海燕", "志强", "桂兰", "子涵",
    ];
    let per_grid = HOUSEHOLDS / GRIDS;
    let per_compound = per_grid / COMPOUNDS_PER_GRID;
    let per_building = per_compound / BUILDINGS_PER_COMPOUND;
    for h in 0..HOUSEHOLDS {
        let grid = h / per_grid + 1;
        let compound = (h % per_grid) / per_compound + 1;
        let building = (h % per_compound) / per_building + 1;
        let k = h % per_building;
        let (unit, room) = (k / 5 + 1, (k % 5 + 1) * 100 + 1);
        let place = format!(
            "书香苑社区,第{grid}网格,盈北苑{grid}区{compound}期小区,{building}号楼,{unit},{room}"
        );
        let vacant = rng.random_range(0..10) == 0;
        let mut row = |rest: String| {
            rows += 1;
            csv.push_str(&format!("{rows},{place},{rest}\r\n"));
        };
        if vacant {
            row("空置,,,,,,".into());
            continue;
        }
        let house_use = ["自住", "自住", "自住", "出租", "商铺"][rng.random_range(0..5)];
        let size = rng.random_range(1..=4);
        for i in 0..size {
            let relation = ["本人", "妻子", "儿子", "母亲"][i];
            let year = [1965, 1968, 1995, 1940][i];
            let id = loop {
                let id = demo::id_number_for(&mut rng, year);
                if ids.insert(id.clone()) {
                    break id;
                }
            };
            let name = format!(
                "{}{}",
                surnames[rng.random_range(0..surnames.len())],
                given[rng.random_range(0..given.len())]
            );
            let phone = format!("13{:09}", rng.random_range(0..1_000_000_000u64));
            let registration = if rng.random_range(0..4) == 0 {
                "外地"
            } else {
                "本地"
            };
            let tags = if i == 3 && size == 4 { "独居" } else { "" };
            row(format!(
                "{house_use},{name},{id},{phone},{relation},{registration},{tags}"
            ));
            persons += 1;
        }
    }
    let places = 1 + GRIDS + GRIDS * COMPOUNDS_PER_GRID * (1 + BUILDINGS_PER_COMPOUND);
    Generated {
        csv: csv.into_bytes(),
        rows,
        persons,
        places,
    }
}

/// Records a failed check.
fn check(failures: &mut Vec<String>, ok: bool, what: String) {
    if !ok {
        eprintln!("FAILED: {what}");
        failures.push(what);
    }
}

fn main() -> ExitCode {
    let generated = generate();
    let dir = tempfile::tempdir().unwrap();
    let data = open_data(dir.path(), Duration::from_secs(60)).unwrap();
    let admin = Actor::new("admin", Role::Admin);
    let mut failures = Vec::new();

    let started = Instant::now();
    let ledger = import::read_csv(&generated.csv).unwrap();
    let read = started.elapsed();
    let preview = import::preview(ledger, &data.store, None).unwrap();
    let previewed = started.elapsed();
    // As the page does: the preview waits in accounts.db, and the commit reads it back.
    let body = serde_json::to_vec(&preview).unwrap();
    let now = gridwalk_core::Timestamp::now();
    data.accounts
        .put_preview("bench", "admin", &body, now)
        .unwrap();
    let StoredPreview::Found(stored) = data.accounts.preview("bench", "admin", now, true).unwrap()
    else {
        panic!("the stored preview is gone");
    };
    let preview: import::Preview = serde_json::from_slice(&stored).unwrap();
    let kept = started.elapsed();
    let committed_ids = import::commit(&data.store, &admin, &preview).unwrap();
    let import_total = started.elapsed();

    check(
        &mut failures,
        preview.rows == generated.rows && preview.bad.is_empty(),
        format!(
            "{} rows read of {}, {} refused (first: {:?})",
            preview.rows,
            generated.rows,
            preview.bad.len(),
            preview.bad.first()
        ),
    );
    check(
        &mut failures,
        preview.created.len() == generated.places,
        format!(
            "{} places to create, {} expected",
            preview.created.len(),
            generated.places
        ),
    );
    let items = data.store.all_reference_items().unwrap();
    let grids: Vec<String> = items
        .iter()
        .filter(|i| i.kind == ReferenceKind::Grid)
        .map(|i| i.id.clone())
        .collect();
    check(
        &mut failures,
        items.len() == generated.places && grids.len() == GRIDS,
        format!(
            "{} places stored, {} expected",
            items.len(),
            generated.places
        ),
    );
    let (mut households, mut residents) = (0, 0);
    for g in &grids {
        let list = data
            .store
            .list_households(&AddressScope::Grid(g.clone()), 0, u32::MAX)
            .unwrap();
        households += list.households.len();
        residents += list
            .households
            .iter()
            .map(|h| h.resident_count as usize)
            .sum::<usize>();
    }
    check(
        &mut failures,
        committed_ids.len() == HOUSEHOLDS && households == HOUSEHOLDS,
        format!(
            "{} households committed, {households} stored, {HOUSEHOLDS} generated",
            committed_ids.len()
        ),
    );
    check(
        &mut failures,
        residents == generated.persons,
        format!(
            "{residents} residents stored, {} generated",
            generated.persons
        ),
    );

    // The residents export of all 30,000 households, as the page makes it.
    let scopes: Vec<String> = grids.iter().map(|g| format!("grid:{g}")).collect();
    let started = Instant::now();
    let rows = export::rows(&data.store, &admin, &scopes, export::Table::Residents).unwrap();
    let listed = started.elapsed();
    let xlsx = export::to_xlsx(&rows, "居民台账").unwrap();
    let export_total = started.elapsed();
    check(
        &mut failures,
        rows.len() == generated.rows + 1,
        format!(
            "{} export rows (with the header), {} expected",
            rows.len(),
            generated.rows + 1
        ),
    );

    println!(
        "import: {HOUSEHOLDS} households, {} rows, {} residents, {:.1} MB CSV (UTF-8 with BOM, names): \
         read {read:.2?}, preview {:.2?}, kept in accounts.db and read back {:.2?} ({:.1} MB JSON), commit {:.2?} ({} places created); total {import_total:.2?} (goal < {IMPORT_GOAL:?})",
        generated.rows,
        generated.persons,
        generated.csv.len() as f64 / 1e6,
        previewed - read,
        kept - previewed,
        body.len() as f64 / 1e6,
        import_total - kept,
        preview.created.len(),
    );
    println!(
        "export: residents of {HOUSEHOLDS} households, {} rows: rows {listed:.2?}, XLSX {:.2?} ({:.1} MB); total {export_total:.2?} (goal < {EXPORT_GOAL:?})",
        rows.len() - 1,
        export_total - listed,
        xlsx.len() as f64 / 1e6,
    );
    // The households export (the import's layout, from the list tables) of the same area.
    let started = Instant::now();
    let households_rows =
        export::rows(&data.store, &admin, &scopes, export::Table::Households).unwrap();
    let households_listed = started.elapsed();
    let households_xlsx = export::to_xlsx(&households_rows, "住户台账").unwrap();
    let households_total = started.elapsed();
    check(
        &mut failures,
        households_rows.len() == HOUSEHOLDS + 1,
        format!(
            "{} households export rows (with the header), {} expected",
            households_rows.len(),
            HOUSEHOLDS + 1
        ),
    );
    println!(
        "export: households, {} rows: rows {households_listed:.2?}, XLSX {:.2?} ({:.1} MB); total {households_total:.2?} (goal < {EXPORT_GOAL:?})",
        households_rows.len() - 1,
        households_total - households_listed,
        households_xlsx.len() as f64 / 1e6,
    );
    check(
        &mut failures,
        households_total < EXPORT_GOAL,
        format!("households export took {households_total:.2?}"),
    );
    check(
        &mut failures,
        import_total < IMPORT_GOAL,
        format!("import took {import_total:.2?}"),
    );
    check(
        &mut failures,
        export_total < EXPORT_GOAL,
        format!("export took {export_total:.2?}"),
    );
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
