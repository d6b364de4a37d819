//! The overview answers the morning questions (issue 15, part 2) against a real server:
//! households covered (not visits counted) in the chosen period, per grid and per building,
//! never-visited households, elderly people due a visit, findings by kind, the most overdue
//! orders with their days, companies rated red or yellow, devices not synced for three days —
//! each figure linking to the list behind it.

use std::time::Duration;

use gridwalk_core::records::household::{
    NewResident, NewVisit, Registration, Relation, SpecialGroup, VisitPurpose,
};
use gridwalk_core::records::order::{NewOrder, NewOrderItem, Severity};
use gridwalk_core::rules::household::Validation;
use gridwalk_core::store::inspection::OrderAction;
use gridwalk_core::{Actor, Role, Timestamp};
use gridwalk_tests::TestServer;
use gridwalk_tests::web_client::Browser;

/// 40 households in 1号楼 (B1) of grid C01-G01 and 10 in 2号楼 (B2): B1's rooms 1–10 visited
/// today, 11–20 visited 10 days ago (twice each, so visits outnumber households), 21–40 never;
/// B2 all visited 20 days ago. Room 30's resident is elderly and alone. Two orders to 阳光物业
/// are overdue, by 5 days and by 1 day; one is not yet due. A device of worker.a last synced
/// 5 days ago, one of worker.a2 today.
fn seed(dir: &std::path::Path) {
    gridwalk_tests::seed(dir);
    let data = gridwalk_server::server::open_data(dir, Duration::from_secs(3600)).unwrap();
    let now = Timestamp::now();
    let mut households = Vec::new();
    for i in 1..=50 {
        let mut h = gridwalk_tests::household("C01-G01", &format!("{i}"));
        if i > 40 {
            h.address.building = "B2".into();
        }
        let mut r = NewResident {
            name: format!("住户{i}"),
            id_number: None,
            phone: None,
            relation: Relation::Head,
            registration: Registration::Local,
            tags: Default::default(),
        };
        if i == 30 {
            r.tags.insert(SpecialGroup::ElderlyAlone);
        }
        h.residents.push(r);
        households.push(h);
    }
    let ids = data
        .store
        .import_households(
            &Actor::new("admin", Role::Admin),
            &households,
            Validation::Ledger,
            now,
        )
        .unwrap();
    let worker = Actor::new("worker.a", Role::GridWorker);
    let visit = |id, at: Timestamp| {
        let v = NewVisit {
            at,
            purpose: VisitPurpose::Routine,
            notes: String::new(),
            location: None,
            photos: vec![],
        };
        data.store.record_visit(&worker, id, &v, at).unwrap();
    };
    for (n, id) in ids.iter().enumerate() {
        match n + 1 {
            1..=10 => visit(id, Timestamp(now.0 - 60_000)),
            11..=20 => {
                visit(id, now.minus_days(10));
                visit(id, Timestamp(now.minus_days(10).0 + 3_600_000));
            }
            41..=50 => visit(id, now.minus_days(20)),
            _ => {}
        }
    }
    let inspector = Actor::new("inspector", Role::Inspector);
    for (title, days) in [("消防通道堵塞", -5), ("楼道堆物", -1), ("路灯损坏", 7)] {
        let order = NewOrder {
            title: title.into(),
            compound: "Q1".into(),
            company: "P01".into(),
            deadline: Timestamp(now.0 + days * Timestamp::DAY_MS - 60_000),
            items: vec![NewOrderItem {
                description: title.into(),
                severity: Severity::Major,
                before_photos: vec![],
            }],
            from_report: None,
        };
        let id = data
            .store
            .create_order(&inspector, &order, now.minus_days(20))
            .unwrap();
        data.store
            .act_on_order(&inspector, &id, &OrderAction::Issue, now.minus_days(20))
            .unwrap();
    }
    for (user, device, at) in [
        ("worker.a", "phone-old", now.minus_days(5)),
        ("worker.a2", "phone-new", now),
    ] {
        let session = data.accounts.session_of_user(user, device).unwrap();
        data.accounts.record_sync(&session, 1, 0, at).unwrap();
    }
}

/// A page as text: the entities the templates write for `/` and `&` decoded.
async fn page(me: &Browser, path: &str) -> String {
    let (status, html) = me.get(path).await;
    assert_eq!(status, 200, "{path}");
    html.replace("&#x2f;", "/").replace("&amp;", "&")
}

/// The text of the element with `id` up to its closing tag.
fn element<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let rest = &html[start..];
    let end = rest.find("</a>").or_else(|| rest.find("</span>")).unwrap();
    &rest[..end]
}

#[tokio::test(flavor = "multi_thread")]
async fn the_overview_counts_households_covered_in_the_period_and_links_every_figure() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let server = TestServer::start(dir.path());
    let (me, status) = Browser::sign_in(&server.url, "supervisor").await;
    assert_eq!(status, 303);

    // Seven days (the default): households, not visits — 10 of 50.
    let week = page(&me, "/web").await;
    assert!(element(&week, "coverage").contains(">10/50"), "{week}");
    assert!(week.contains("覆盖率 20%"), "{week}");
    assert!(week.contains("href=\"/web?period=7d\" aria-current=\"true\""));
    // Thirty days: B1's 20 and B2's 10; the same visit twice counts one household.
    let month = page(&me, "/web?period=30d").await;
    assert!(element(&month, "coverage").contains(">30/50"), "{month}");
    // Today: the ten visited a minute ago (unless the day began within the minute).
    let today = page(&me, "/web?period=today").await;
    assert!(
        element(&today, "coverage").contains(">10/50")
            || element(&today, "coverage").contains(">0/50"),
        "{today}"
    );

    // Never visited: B1's rooms 21–40, linked to the households list filtered so.
    assert!(element(&week, "never").contains(">20"));
    assert!(week.contains("href=\"/web/households?grid=C01-G01&never=1\">20</a>"));
    // The elderly resident of room 30 was never visited: due a visit.
    assert!(element(&week, "elderly-due").contains(">1"), "{week}");

    // The heat grid: a cell per building by name, shaded by coverage, linking to its list.
    let heat = &week[week.find("id=\"heat-C01-G01\"").expect("a heat grid")..];
    assert!(
        heat.contains("class=\"heat2\""),
        "B1: 10 of 40 is 25%: {heat}"
    );
    assert!(heat.contains("阳光花园 1号楼"), "{heat}");
    assert!(heat.contains("10/40"));
    assert!(heat.contains("0/10"), "B2 not visited this week: {heat}");
    assert!(heat.contains("class=\"heat0\""));
    let month_heat = &month[month.find("id=\"heat-C01-G01\"").unwrap()..];
    assert!(month_heat.contains("10/10"), "B2 covered this month");
    assert!(month_heat.contains("class=\"heat5\""));

    // Findings by kind, by their Chinese names, linking to the list of that kind.
    let kinds = &week[week.find("id=\"kinds\"").expect("findings by kind")..];
    assert!(kinds.contains("独居老人30天未走访"), "{kinds}");
    assert!(kinds.contains("/web/findings?grid=C01-G01&kind=elderly_alone_not_visited"));

    // Orders: two overdue, the most overdue first with its days.
    assert!(element(&week, "overdue-orders").contains(">2"), "{week}");
    assert!(element(&week, "open-orders").contains(">3"), "{week}");
    let overdue = &week[week.find("id=\"overdue\"").expect("overdue list")..];
    let fire = overdue.find("消防通道堵塞").expect("the 5-day one listed");
    let corridor = overdue.find("楼道堆物").expect("the 1-day one listed");
    assert!(fire < corridor, "most overdue first");
    assert!(!overdue[..overdue.find("</table>").unwrap()].contains("路灯损坏"));
    assert!(
        overdue.contains("<td class=\"num red\">5</td>"),
        "{overdue}"
    );
    assert!(overdue.contains("阳光物业") && overdue.contains("阳光花园"));

    // The device silent for five days is counted, marked and listed first.
    assert!(element(&week, "stale").contains(">1"), "{week}");
    let devices = &week[week.find("id=\"devices\"").unwrap()..];
    assert!(devices.contains("超过三天未同步"));
    let old = devices
        .find("class=\"stale\"")
        .expect("the stale row marked");
    assert!(old < devices.find("worker.a2").unwrap(), "stale first");

    // Nothing in English on the Chinese page.
    for word in [
        "Overview",
        "Coverage",
        "Never visited",
        "None",
        "Days overdue",
    ] {
        assert!(!week.contains(word), "{word} on the Chinese page");
    }
    // The English page has the English terms.
    let english = page(&me, "/web?lang=en").await;
    assert!(english.contains("Visit coverage"), "{english}");
}
