//! The supervisors' lists scale (issue 15, part 5): every matching row reachable a page at a
//! time, the total said, filters and search narrowing the count — against a real server.

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

/// `n` issued orders in compound Q1 (the supervisor's area), titled `1号整改单` …, every
/// second one past its deadline.
fn seed_orders(dir: &std::path::Path, n: usize) {
    gridwalk_tests::seed(dir);
    let data = gridwalk_server::server::open_data(dir, Duration::from_secs(3600)).unwrap();
    let inspector = Actor::new("inspector", Role::Inspector);
    let now = Timestamp::now();
    for i in 1..=n {
        let days = if i % 2 == 0 { -3 } else { 10 };
        let order = NewOrder {
            title: format!("{i}号整改单"),
            compound: "Q1".into(),
            company: "P01".into(),
            deadline: Timestamp(now.0 + days * Timestamp::DAY_MS),
            items: vec![NewOrderItem {
                description: "消防通道".into(),
                severity: Severity::Major,
                before_photos: vec![],
            }],
            from_report: None,
        };
        let id = data.store.create_order(&inspector, &order, now).unwrap();
        data.store
            .act_on_order(&inspector, &id, &OrderAction::Issue, now)
            .unwrap();
    }
}

/// A page as text: the entities the templates write for `/` and `&` decoded.
async fn page(me: &Browser, path: &str) -> (u16, String) {
    let (status, html) = me.get(path).await;
    (status, html.replace("&#x2f;", "/").replace("&amp;", "&"))
}

/// Rows of the orders table: links to an order.
fn order_rows(html: &str) -> usize {
    html.matches("href=\"/web/orders/").count()
}

#[tokio::test(flavor = "multi_thread")]
async fn twelve_hundred_orders_are_all_listed_a_page_at_a_time_with_the_total() {
    let dir = tempfile::tempdir().unwrap();
    seed_orders(dir.path(), 1200);
    let server = TestServer::start(dir.path());
    let (me, status) = Browser::sign_in(&server.url, "supervisor").await;
    assert_eq!(status, 303);

    let (status, first) = page(&me, "/web/orders").await;
    assert_eq!(status, 200);
    assert!(
        first.contains("共 1200 条，第 1/24 页"),
        "the total: {first}"
    );
    assert_eq!(order_rows(&first), 50);
    assert!(first.contains("id=\"next\""));

    let (status, second) = page(&me, "/web/orders?page=2").await;
    assert_eq!(status, 200);
    assert!(second.contains("第 2/24 页"));
    assert_eq!(order_rows(&second), 50);
    // Soonest deadline first: the overdue ones (every even number) come first.
    let (_, last) = page(&me, "/web/orders?page=24").await;
    assert_eq!(order_rows(&last), 50, "the 1,200th order is on page 24");
    assert!(!last.contains("id=\"next\""));

    // A filter narrows the count; the links keep it.
    let (_, overdue) = page(&me, "/web/orders?filter=overdue").await;
    assert!(overdue.contains("共 600 条，第 1/12 页"), "{overdue}");
    assert!(overdue.contains("filter=overdue&q=&sort=deadline&page=2"));

    // A search by title finds the one order.
    let (_, found) = page(&me, "/web/orders?q=1199%E5%8F%B7").await;
    assert!(found.contains("共 1 条，第 1/1 页"), "{found}");
    assert!(found.contains("1199号整改单"));
    assert_eq!(order_rows(&found), 1);

    // Sorted by title: the menu says so.
    let (_, by_title) = page(&me, "/web/orders?sort=title").await;
    assert!(by_title.contains("共 1200 条"));
    assert!(by_title.contains("<option value=\"title\" selected>"));
}

/// 120 households in grid C01-G01, one resident each (`住户1` …), but room 7's is 王小明
/// (13800138007) and room 30's an elderly person living alone; rooms 1–20 visited.
fn seed_households(dir: &std::path::Path) {
    gridwalk_tests::seed(dir);
    let data = gridwalk_server::server::open_data(dir, Duration::from_secs(3600)).unwrap();
    let now = Timestamp::now();
    let households: Vec<_> = (1..=120)
        .map(|i| {
            let mut h = gridwalk_tests::household("C01-G01", &format!("{i}"));
            let mut r = NewResident {
                name: format!("住户{i}"),
                id_number: None,
                phone: None,
                relation: Relation::Head,
                registration: Registration::Local,
                tags: Default::default(),
            };
            if i == 7 {
                r.name = "王小明".into();
                r.phone = Some("13800138007".into());
            }
            if i == 30 {
                r.tags.insert(SpecialGroup::ElderlyAlone);
            }
            h.residents.push(r);
            h
        })
        .collect();
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
    for id in &ids[..20] {
        let visit = NewVisit {
            at: now,
            purpose: VisitPurpose::Routine,
            notes: String::new(),
            location: None,
            photos: vec![],
        };
        data.store.record_visit(&worker, id, &visit, now).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn households_are_found_by_initials_phone_digits_group_and_never_visited_with_totals() {
    let dir = tempfile::tempdir().unwrap();
    seed_households(dir.path());
    let server = TestServer::start(dir.path());
    let (me, status) = Browser::sign_in(&server.url, "supervisor").await;
    assert_eq!(status, 303);
    let rows = |html: &str| html.matches("href=\"/web/households/").count();

    let (status, all) = page(&me, "/web/households?grid=C01-G01").await;
    assert_eq!(status, 200);
    assert!(all.contains("共 120 条，第 1/3 页"), "{all}");
    assert_eq!(rows(&all), 50);
    let (_, third) = page(&me, "/web/households?grid=C01-G01&page=3").await;
    assert_eq!(rows(&third), 20);

    // Pinyin initials, and the last digits of a phone, find 王小明's household.
    for q in ["wxm", "8007"] {
        let (_, found) = page(&me, &format!("/web/households?grid=C01-G01&q={q}")).await;
        assert!(found.contains("共 1 条，第 1/1 页"), "{q}: {found}");
        assert!(found.contains("王小明"), "{q}");
    }
    // Filters narrow the count, and the next page's link keeps them.
    let (_, never) = page(&me, "/web/households?grid=C01-G01&never=1").await;
    assert!(never.contains("共 100 条，第 1/2 页"), "{never}");
    assert!(never.contains("never=1&group=&sort=address&page=2"));
    let (_, alone) = page(&me, "/web/households?grid=C01-G01&group=elderly_alone").await;
    assert!(alone.contains("共 1 条"), "{alone}");
    assert!(alone.contains("住户30"));
    // Never visited first: a visited household's date is not on the first page.
    let (_, by_visit) = page(&me, "/web/households?grid=C01-G01&sort=visit").await;
    assert!(by_visit.contains("从未走访"));
    assert!(!by_visit.contains(&Timestamp::now().china_date().to_string()));
}

#[tokio::test(flavor = "multi_thread")]
async fn findings_are_counted_by_kind_filtered_and_paged() {
    let dir = tempfile::tempdir().unwrap();
    seed_households(dir.path());
    let server = TestServer::start(dir.path());
    let (me, _) = Browser::sign_in(&server.url, "supervisor").await;
    let rows = |html: &str| html.matches("href=\"/web/households/").count();

    // 100 households never visited (180 days), the elderly one not visited in 30 days too.
    let (status, all) = page(&me, "/web/findings?grid=C01-G01").await;
    assert_eq!(status, 200);
    assert!(all.contains("共 101 条，第 1/3 页"), "{all}");
    assert_eq!(rows(&all), 50);
    assert!(all.contains("kind=elderly_alone_not_visited"));
    let (_, last) = page(&me, "/web/findings?grid=C01-G01&page=3").await;
    assert_eq!(rows(&last), 1);
    // One kind: the elderly person living alone is first, not after a hundred other rows.
    let (_, alone) = page(
        &me,
        "/web/findings?grid=C01-G01&kind=elderly_alone_not_visited",
    )
    .await;
    assert!(alone.contains("共 1 条，第 1/1 页"), "{alone}");
    assert!(alone.contains("1号楼 1单元 30室"), "{alone}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workers_trail_of_more_than_five_hundred_visits_is_all_there() {
    let dir = tempfile::tempdir().unwrap();
    seed_households(dir.path());
    {
        let data =
            gridwalk_server::server::open_data(dir.path(), Duration::from_secs(3600)).unwrap();
        let worker = Actor::new("worker.a", Role::GridWorker);
        let ids: Vec<_> = data
            .store
            .list_households(
                &gridwalk_core::store::queries::AddressScope::Grid("C01-G01".into()),
                0,
                200,
            )
            .unwrap()
            .households
            .into_iter()
            .map(|h| h.id)
            .collect();
        let start = Timestamp::now().minus_days(100);
        for n in 0..600 {
            let at = Timestamp(start.0 + n * 60_000);
            let visit = NewVisit {
                at,
                purpose: VisitPurpose::Routine,
                notes: String::new(),
                location: None,
                photos: vec![],
            };
            data.store
                .record_visit(&worker, &ids[n as usize % ids.len()], &visit, at)
                .unwrap();
        }
    }
    let server = TestServer::start(dir.path());
    let (me, _) = Browser::sign_in(&server.url, "supervisor").await;
    let rows = |html: &str| html.matches("href=\"/web/households/").count();
    let (status, first) = page(&me, "/web/workers/worker.a").await;
    assert_eq!(status, 200);
    assert!(first.contains("共 620 条，第 1/13 页"), "{first}");
    assert_eq!(rows(&first), 50);
    let (_, last) = page(&me, "/web/workers/worker.a?page=13").await;
    assert_eq!(rows(&last), 20, "the 620th visit is on page 13");
}
