//! Importing a district's ledger: 30,000 households (about 90,000 residents) from CSV, read,
//! judged row by row, and committed. Run with `cargo bench -p gridwalk-server --bench ledger`.
//! Goal: under 30 s.

use std::time::{Duration, Instant};

use gridwalk_core::demo::{self, CommunitySpec};
use gridwalk_core::{Actor, Role};
use gridwalk_server::ledger::import;
use gridwalk_server::server::open_data;

fn main() {
    let community = demo::community(&CommunitySpec {
        households: 30_000,
        grids: 30,
        ..CommunitySpec::device_scale(30)
    });
    let mut csv = String::from(
        "社区,网格,小区,楼栋,单元,房号,房屋用途,姓名,身份证号,电话,与户主关系,户籍类型,特殊人群\n",
    );
    let mut rows = 0;
    for h in &community.households {
        let a = &h.address;
        let prefix = format!(
            "{},{},{},{},{},{},{}",
            a.community,
            a.grid,
            a.compound,
            a.building,
            a.unit,
            a.room,
            h.house_use.as_str()
        );
        if h.residents.is_empty() {
            csv.push_str(&format!("{prefix},,,,,,\n"));
            rows += 1;
        }
        for r in &h.residents {
            csv.push_str(&format!(
                "{prefix},{},{},{},{},{},\n",
                r.name,
                r.id_number.clone().unwrap_or_default(),
                r.phone.clone().unwrap_or_default(),
                r.relation.as_str(),
                r.registration.as_str()
            ));
            rows += 1;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let data = open_data(dir.path(), Duration::from_secs(60)).unwrap();
    data.store.add_reference(&community.reference).unwrap();
    let admin = Actor::new("admin", Role::Admin);

    let started = Instant::now();
    let parsed = import::read_csv(csv.as_bytes()).unwrap();
    let read = started.elapsed();
    let preview = import::preview(parsed, &data.store, None).unwrap();
    let judged = started.elapsed();
    let ids = import::commit(&data.store, &admin, &preview).unwrap();
    let total = started.elapsed();
    println!(
        "ledger of {} households, {rows} rows ({:.1} MB CSV): read {:.2?}, judged {:.2?} ({} bad rows), committed {} households with {} residents; total {:.2?}",
        community.households.len(),
        csv.len() as f64 / 1e6,
        read,
        judged - read,
        preview.bad.len(),
        ids.len(),
        preview.residents(),
        total
    );
}
