//! The supervisors' lists scale (issue 15, part 5): every matching row reachable a page at a
//! time, the total said, filters and search narrowing the count — against a real server.

use std::time::Duration;

use gridwalk_core::records::order::{NewOrder, NewOrderItem, Severity};
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
