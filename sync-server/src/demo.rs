//! The demo district: two communities of generated households with their ledger faults, a
//! history of visits, and a user of every role, whose passwords are printed.

use gridwalk_core::demo::{self, CommunitySpec};
use gridwalk_core::records::household::{NewVisit, VisitPurpose};
use gridwalk_core::records::reference::{ReferenceItem, ReferenceKind};
use gridwalk_core::rules::household::Validation;
use gridwalk_core::{Actor, Role, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::accounts::ScopeGrant;
use crate::server::Data;

/// A demo user: login, display name, role, password, scopes.
pub const USERS: &[(&str, &str, Role, &str, &[&str])] = &[
    ("admin", "系统管理员", Role::Admin, "gridwalk-admin", &[]),
    (
        "zhang.supervisor",
        "张主任",
        Role::Supervisor,
        "supervisor-demo",
        &["community:C01"],
    ),
    (
        "wang.wei",
        "王伟",
        Role::GridWorker,
        "worker-demo-1",
        &["grid:C01-G01"],
    ),
    (
        "li.na",
        "李娜",
        Role::GridWorker,
        "worker-demo-2",
        &["grid:C01-G02"],
    ),
    (
        "zhao.lei",
        "赵磊",
        Role::GridWorker,
        "worker-demo-3",
        &["grid:C02-G01"],
    ),
    (
        "chen.inspector",
        "陈督查",
        Role::Inspector,
        "inspector-demo",
        &["district:D01"],
    ),
    (
        "sunshine.staff",
        "阳光物业 刘工",
        Role::CompanyStaff,
        "company-demo",
        &["company:P01"],
    ),
];

/// Seeds the demo district unless the data directory already has users; prints the users.
pub fn seed_if_empty(data: &Data, households: usize) -> Result<(), Box<dyn std::error::Error>> {
    if data.accounts.is_empty()? {
        seed(data, households)?;
    }
    println!("Demo users (role, login, password):");
    for (login, name, role, password, scopes) in USERS {
        println!(
            "  {:<14} {login:<18} {password:<16} {name} {}",
            role.as_str(),
            scopes.join(" ")
        );
    }
    Ok(())
}

fn seed(data: &Data, households: usize) -> Result<(), Box<dyn std::error::Error>> {
    let started = std::time::Instant::now();
    let now = Timestamp::now();
    let admin = Actor::new("admin", Role::Admin);
    let first = households * 3 / 5;
    let specs = [
        CommunitySpec {
            households: first,
            grids: 3,
            households_per_building: 40,
            buildings_per_compound: 8,
            ..CommunitySpec::device_scale(2026)
        },
        CommunitySpec {
            code: "C02".into(),
            name: "和平社区".into(),
            households: households - first,
            grids: 2,
            households_per_building: 40,
            buildings_per_compound: 8,
            seed: 2027,
        },
    ];
    let mut reference = vec![ReferenceItem {
        kind: ReferenceKind::Company,
        id: "P01".into(),
        parent_id: None,
        name: "阳光物业服务有限公司".into(),
    }];
    let mut rng = StdRng::seed_from_u64(7);
    let mut all_ids = Vec::new();
    for spec in &specs {
        let community = demo::community(spec);
        reference.extend(community.reference);
        all_ids.extend(data.store.import_households(
            &admin,
            &community.households,
            Validation::Ledger,
            now,
        )?);
    }
    data.store.add_reference(&reference)?;
    // Seven in ten households visited at some point in the last 200 days.
    let workers = ["wang.wei", "li.na", "zhao.lei"];
    for id in &all_ids {
        if rng.random_bool(0.7) {
            let worker = Actor::new(
                workers[rng.random_range(0..workers.len())],
                Role::GridWorker,
            );
            let visit = NewVisit {
                at: now.minus_days(rng.random_range(0..200)),
                purpose: VisitPurpose::Routine,
                notes: "入户走访，情况正常".into(),
                location: None,
                photos: Vec::new(),
            };
            data.store.record_visit(&worker, id, &visit, now)?;
        }
    }
    for (login, name, role, password, scopes) in USERS {
        let grants = scopes
            .iter()
            .map(|s| s.parse::<ScopeGrant>())
            .collect::<Result<Vec<_>, _>>()?;
        data.accounts
            .add_user(login, name, *role, password, &grants)?;
    }
    println!(
        "seeded the demo district: {} households in 2 communities, {} users, in {:.1?}",
        all_ids.len(),
        USERS.len(),
        started.elapsed()
    );
    Ok(())
}
