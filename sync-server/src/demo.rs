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

/// The demo's property companies; the first is the demo company user's.
const COMPANIES: &[(&str, &str)] = &[
    ("P01", "阳光物业服务有限公司"),
    ("P02", "锦绣物业管理有限公司"),
    ("P03", "城东物业有限公司"),
    ("P04", "和平物业服务中心"),
];

/// Issue report categories, as a district's 权责清单 gives them: code, name, the department that
/// handles them and the 处置时限 in hours.
const CATEGORIES: &[(&str, &str, &str, u32)] = &[
    ("fire_safety", "消防安全", "区消防救援大队", 24),
    ("sanitation", "环境卫生", "区环境卫生管理所", 48),
    ("parking", "乱停乱放", "区交警大队", 24),
    ("facilities", "公共设施", "区住房和城乡建设局", 72),
    ("greenery", "绿化", "区园林绿化中心", 120),
];

/// Orders in every state, for companies that handle them well (P01), so-so (P02), badly (P03)
/// and very badly (P04), so the ratings show every colour; and reports in every state.
fn seed_orders_and_reports(
    data: &Data,
    compounds: &[String],
    rng: &mut StdRng,
    now: Timestamp,
) -> Result<(), Box<dyn std::error::Error>> {
    use gridwalk_core::records::order::{NewOrder, NewOrderItem, Severity};
    use gridwalk_core::records::report::NewReport;
    use gridwalk_core::store::inspection::{OrderAction, ReportAction};

    let inspector = Actor::new("chen.inspector", Role::Inspector);
    let day = Timestamp::DAY_MS;
    let photo = data.store.import_photo(
        &gridwalk_core::RecordId::from("demo"),
        gridwalk_core::store::photos::PhotoSource::Bytes(&demo_photo()),
        &Default::default(),
        Some(now),
        None,
    )?;
    for (c, (company, _)) in COMPANIES.iter().enumerate() {
        // The compounds the company serves (see `seed`): its orders are about them.
        let served: Vec<&String> = compounds.iter().skip(c).step_by(COMPANIES.len()).collect();
        if served.is_empty() {
            continue;
        }
        // The first company's staff member is the demo's company user; the others get
        // accounts of their own below, so every event names a person.
        let staff_id = if c == 0 {
            "sunshine.staff".to_owned()
        } else {
            format!("{company}.staff")
        };
        let staff = Actor::company_staff(staff_id, *company);
        for n in 0..12usize {
            // Stage: 0 draft, 1 issued, 2 acknowledged, 3 answered, 4 reopened, 5+ verified.
            let (late, stage, reopen) = match c {
                0 => (false, 5 + n % 3, false),
                1 => (
                    [0, 4, 8, 10].contains(&n),
                    [1, 2].get(n.wrapping_sub(10)).copied().unwrap_or(5),
                    n == 1,
                ),
                _ => (n % 2 == 0, n % 7, n % 7 >= 4),
            };
            let deadline = Timestamp(
                now.0
                    + if late {
                        -(rng.random_range(2..20))
                    } else {
                        rng.random_range(3..20)
                    } * day,
            );
            let new = NewOrder {
                title: format!("{}号整改单", c * 100 + n + 1),
                compound: served[n % served.len()].clone(),
                company: (*company).into(),
                deadline,
                items: (0..1 + n % 3)
                    .map(|i| NewOrderItem {
                        description: ["消防通道堆放杂物", "单元门禁损坏", "垃圾清运不及时"][i % 3]
                            .into(),
                        severity: [Severity::Minor, Severity::Major, Severity::Critical]
                            [(n + i) % 3]
                            .clone(),
                        before_photos: vec![photo.clone()],
                    })
                    .collect(),
                from_report: None,
            };
            let items: Vec<String> = (1..=new.items.len()).map(|i| format!("item-{i}")).collect();
            let id = data.store.create_order(&inspector, &new, now)?;
            let at = |d: i64| Timestamp(now.0 - d * day);
            if stage >= 1 {
                data.store
                    .act_on_order(&inspector, &id, &OrderAction::Issue, at(25))?;
            }
            if stage >= 2 {
                data.store
                    .act_on_order(&staff, &id, &OrderAction::Acknowledge, at(24))?;
            }
            if stage >= 3 {
                let answer = OrderAction::Answer {
                    items: items.clone(),
                    note: "已整改".into(),
                    photos: vec![photo.clone()],
                };
                data.store.act_on_order(&staff, &id, &answer, at(20))?;
            }
            if reopen {
                let reopen = OrderAction::Reopen {
                    items: items[..1].to_vec(),
                    note: "整改不到位".into(),
                };
                data.store.act_on_order(&inspector, &id, &reopen, at(18))?;
                if stage >= 5 {
                    let answer = OrderAction::Answer {
                        items: items[..1].to_vec(),
                        note: "已再次整改".into(),
                        photos: vec![photo.clone()],
                    };
                    data.store.act_on_order(&staff, &id, &answer, at(15))?;
                }
            }
            if stage >= 5 {
                let verified_at = if late {
                    Timestamp(deadline.0 + 2 * day)
                } else {
                    Timestamp(deadline.0 - 2 * day)
                };
                data.store.act_on_order(
                    &inspector,
                    &id,
                    &OrderAction::Verify,
                    Timestamp(verified_at.0.min(now.0)),
                )?;
            }
        }
        // Every state includes cancelled: one order per company issued in error and withdrawn.
        let withdrawn = NewOrder {
            title: format!("{}号整改单（误开）", c * 100 + 99),
            compound: served[0].clone(),
            company: (*company).into(),
            deadline: Timestamp(now.0 + 10 * day),
            items: vec![NewOrderItem {
                description: "楼道照明损坏".into(),
                severity: Severity::Minor,
                before_photos: vec![photo.clone()],
            }],
            from_report: None,
        };
        let id = data.store.create_order(&inspector, &withdrawn, now)?;
        let at = |d: i64| Timestamp(now.0 - d * day);
        data.store
            .act_on_order(&inspector, &id, &OrderAction::Issue, at(6))?;
        let cancel = OrderAction::Cancel {
            note: "该问题属于市政管辖，撤销".into(),
        };
        data.store.act_on_order(&inspector, &id, &cancel, at(5))?;
    }
    let supervisor = Actor::new("zhang.supervisor", Role::Supervisor);
    let workers = [
        ("wang.wei", "C01-G01"),
        ("li.na", "C01-G02"),
        ("zhao.lei", "C02-G01"),
    ];
    for n in 0..60 {
        let (worker, grid) = workers[n % workers.len()];
        let worker = Actor::new(worker, Role::GridWorker);
        let id = data.store.create_report(
            &worker,
            &NewReport {
                category: CATEGORIES[n % CATEGORIES.len()].0.into(),
                // What a worker would write under each category, in CATEGORIES' order.
                description: [
                    "楼道电动车充电",
                    "垃圾桶满溢",
                    "小区门口乱停车",
                    "路灯不亮",
                    "绿地被占用种菜",
                ][n % CATEGORIES.len()]
                .into(),
                grid: grid.into(),
                compound: String::new(),
                location: None,
                photos: if n % 3 == 0 {
                    vec![photo.clone()]
                } else {
                    vec![]
                },
            },
            Timestamp(now.0 - (60 - n as i64) * day),
        )?;
        if n % 4 != 0 && grid.starts_with("C01") {
            data.store.act_on_report(
                &supervisor,
                &id,
                &ReportAction::Assign {
                    assignee: worker.user_id.clone(),
                },
                now,
            )?;
            if n % 4 >= 2 {
                data.store.act_on_report(
                    &worker,
                    &id,
                    &ReportAction::Resolve {
                        note: "已处理".into(),
                    },
                    now,
                )?;
            }
            if n % 4 == 3 {
                data.store
                    .act_on_report(&supervisor, &id, &ReportAction::Close, now)?;
            }
        }
    }
    // The demo's records were written here, not pushed and uploaded: every one that shows the
    // photo is granted it (`store::photo_grants`).
    for hash in [&photo.full, &photo.thumb] {
        data.store.grant_photo(hash, &|_| true)?;
    }
    Ok(())
}

/// A small generated JPEG standing in for a photo of a problem.
fn demo_photo() -> Vec<u8> {
    let img = image::RgbImage::from_fn(640, 480, |x, y| {
        image::Rgb([(x / 3) as u8, (y / 2) as u8, 128])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .encode_image(&img)
        .expect("encoding to memory");
    out
}

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

/// Households per building for a community of `households`: 40 in a real-sized one, fewer in
/// a small demo, so that even a small community has three compounds and every demo company
/// serves one.
fn per_building(households: usize) -> usize {
    (households / 12).clamp(4, 40)
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
            households_per_building: per_building(first),
            buildings_per_compound: 4,
            ..CommunitySpec::device_scale(2026)
        },
        CommunitySpec {
            code: "C02".into(),
            name: "和平社区".into(),
            households: households - first,
            grids: 2,
            households_per_building: per_building(households - first),
            buildings_per_compound: 4,
            seed: 2027,
        },
    ];
    let mut reference = Vec::new();
    let mut rng = StdRng::seed_from_u64(7);
    let mut all_ids = Vec::new();
    let mut compounds = Vec::new();
    for spec in &specs {
        let mut community = demo::community(spec);
        // Each compound is served by one company, in turn, so every company has compounds
        // whose orders it answers.
        for item in &mut community.reference {
            if item.kind == ReferenceKind::Compound {
                item.company_id = Some(COMPANIES[compounds.len() % COMPANIES.len()].0.into());
                compounds.push(item.id.clone());
            }
        }
        reference.extend(community.reference);
        // The places first: households are checked against them.
        data.store.add_reference(&reference)?;
        all_ids.extend(data.store.import_households(
            &admin,
            &community.households,
            Validation::Ledger,
            now,
        )?);
    }
    for (id, name) in COMPANIES {
        reference.push(ReferenceItem::new(ReferenceKind::Company, id, None, name));
    }
    for (id, name, department, hours) in CATEGORIES {
        reference.push(ReferenceItem::category(id, name, department, *hours));
    }
    data.store.add_reference(&reference)?;
    seed_orders_and_reports(data, &compounds, &mut rng, now)?;
    // Seven in ten households visited at some point in the last 200 days; one visit in twenty
    // with a photo of what the worker found.
    let workers = ["wang.wei", "li.na", "zhao.lei"];
    let photo = data.store.import_photo(
        &gridwalk_core::RecordId::from("demo"),
        gridwalk_core::store::photos::PhotoSource::Bytes(&demo_photo()),
        &Default::default(),
        Some(now),
        None,
    )?;
    for (n, id) in all_ids.iter().enumerate() {
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
                photos: if n % 20 == 0 {
                    vec![photo.clone()]
                } else {
                    Vec::new()
                },
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
    // The other companies' staff who answered orders: named, with a password nobody knows.
    for (code, name) in COMPANIES.iter().skip(1) {
        let short = name.split("物业").next().unwrap_or(name);
        data.accounts.add_user(
            &format!("{code}.staff"),
            &format!("{short}物业 值班员"),
            Role::CompanyStaff,
            &format!("{:032x}", rand::rng().random::<u128>()),
            &[format!("company:{code}").parse::<ScopeGrant>()?],
        )?;
    }
    println!(
        "seeded the demo district: {} households in 2 communities, {} users, in {:.1?}",
        all_ids.len(),
        USERS.len(),
        started.elapsed()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_looks_alive() {
        let dir = tempfile::tempdir().unwrap();
        let data =
            crate::server::open_data(dir.path(), std::time::Duration::from_secs(60)).unwrap();
        seed_if_empty(&data, 100).unwrap();
        let ratings = data.store.company_ratings(Timestamp::now()).unwrap();
        let colors: Vec<_> = ratings.iter().map(|r| r.color).collect();
        use gridwalk_core::rules::rating::Color;
        for c in [Color::Green, Color::Yellow, Color::Red] {
            assert!(colors.contains(&c), "no {c:?} company: {ratings:?}");
        }
        let admin = Actor::new("admin", Role::Admin);
        use gridwalk_core::rules::order::OrderStatus;
        use gridwalk_core::store::inspection::OrderFilter;
        for status in [
            OrderStatus::Draft,
            OrderStatus::Issued,
            OrderStatus::Acknowledged,
            OrderStatus::Answered,
            OrderStatus::Reopened,
            OrderStatus::Verified,
            OrderStatus::Cancelled,
        ] {
            let some = data
                .store
                .list_orders(&admin, &OrderFilter::Status(status), Timestamp::now(), 1)
                .unwrap();
            assert!(!some.is_empty(), "no order is {status:?}");
        }
        assert!(
            !data
                .store
                .list_orders(&admin, &OrderFilter::Overdue, Timestamp::now(), 10)
                .unwrap()
                .is_empty()
        );
        assert!(
            !data
                .store
                .needs_checking("C01-G01", Timestamp::now())
                .unwrap()
                .is_empty()
        );
    }
}
