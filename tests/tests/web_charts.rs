//! The pictures and the 大屏 (issue 15, parts 3 and 4) against a real server: visits per day
//! per worker as a line chart over the last 30 days, counted on China-time days (a visit at
//! 07:30 in Beijing is 23:30 UTC the evening before and counts on the Beijing day); the
//! companies' scores as bars, the worst first, with the table beside them; the 大屏 showing
//! the overview's very numbers, refreshing itself every minute.

use std::time::Duration;

use gridwalk_core::records::household::{NewVisit, VisitPurpose};
use gridwalk_core::records::order::{NewOrder, NewOrderItem, Severity};
use gridwalk_core::records::reference::{ReferenceItem, ReferenceKind};
use gridwalk_core::rules::household::Validation;
use gridwalk_core::store::inspection::OrderAction;
use gridwalk_core::{Actor, Role, Timestamp};
use gridwalk_server::accounts::ScopeGrant;
use gridwalk_tests::TestServer;
use gridwalk_tests::web_client::Browser;

const HOUR: i64 = 3_600_000;

/// Midnight (China time) `days_ago` days before today's, in UTC milliseconds.
fn china_midnight(now: Timestamp, days_ago: i64) -> Timestamp {
    let local = now.0 + 8 * HOUR;
    let today = local - local.rem_euclid(Timestamp::DAY_MS) - 8 * HOUR;
    Timestamp(today - days_ago * Timestamp::DAY_MS)
}

/// `MM-DD` and `YYYY-MM-DD` of a moment's China date.
fn labels(t: Timestamp) -> (String, String) {
    let d = t.china_date();
    (
        format!("{:02}-{:02}", u8::from(d.month()), d.day()),
        d.to_string(),
    )
}

/// Workers 王芳 (`wang`) and 李强 (`li`) of grid C01-G01: 王芳 three visits two days ago at
/// 07:30 Beijing time (23:30 UTC three days ago) and one yesterday at noon; 李强 two visits two
/// days ago at 20:00 and five ten days ago at 09:00; worker.a one visit 40 days ago (outside
/// the 30 days). Two orders of 阳光物业 (Q1) overdue, one of 锦绣物业 (Q3) not yet due.
fn seed(dir: &std::path::Path) {
    gridwalk_tests::seed(dir);
    let data = gridwalk_server::server::open_data(dir, Duration::from_secs(3600)).unwrap();
    data.store
        .add_reference(&[
            ReferenceItem::new(ReferenceKind::Company, "P02", None, "锦绣物业"),
            ReferenceItem::new(ReferenceKind::Compound, "Q3", Some("C01"), "锦绣三期")
                .in_grid("C01-G02")
                .served_by("P02"),
        ])
        .unwrap();
    let grant: Vec<ScopeGrant> = vec!["grid:C01-G01".parse().unwrap()];
    for (id, name) in [("wang", "王芳"), ("li", "李强")] {
        data.accounts
            .add_user(id, name, Role::GridWorker, gridwalk_tests::PASSWORD, &grant)
            .unwrap();
    }
    let now = Timestamp::now();
    let households: Vec<_> = (1..=6)
        .map(|i| gridwalk_tests::household("C01-G01", &format!("{i}")))
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
    let visit = |who: &str, n: usize, at: Timestamp| {
        let v = NewVisit {
            at,
            purpose: VisitPurpose::Routine,
            notes: String::new(),
            location: None,
            photos: vec![],
        };
        data.store
            .record_visit(
                &Actor::new(who, Role::GridWorker),
                &ids[n % ids.len()],
                &v,
                at,
            )
            .unwrap();
    };
    for n in 0..3 {
        visit(
            "wang",
            n,
            Timestamp(china_midnight(now, 2).0 + 7 * HOUR + HOUR / 2),
        );
    }
    visit("wang", 3, Timestamp(china_midnight(now, 1).0 + 12 * HOUR));
    for n in 0..2 {
        visit("li", n, Timestamp(china_midnight(now, 2).0 + 20 * HOUR));
    }
    for n in 0..5 {
        visit("li", n, Timestamp(china_midnight(now, 10).0 + 9 * HOUR));
    }
    visit("worker.a", 5, now.minus_days(40));

    let inspector = Actor::new("inspector", Role::Inspector);
    for (title, compound, company, days) in [
        ("消防通道堵塞", "Q1", "P01", -5),
        ("楼道堆物", "Q1", "P01", -1),
        ("路灯损坏", "Q3", "P02", 7),
    ] {
        let order = NewOrder {
            title: title.into(),
            compound: compound.into(),
            company: company.into(),
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
}

/// A page as text: the entities the templates write for `/` and `&` decoded.
async fn page(me: &Browser, path: &str) -> String {
    let (status, html) = me.get(path).await;
    assert_eq!(status, 200, "{path}");
    html.replace("&#x2f;", "/").replace("&amp;", "&")
}

/// The part of `html` from `start` to the first `end` after it.
fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let i = html
        .find(start)
        .unwrap_or_else(|| panic!("no {start} in {html}"));
    let rest = &html[i..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

/// A key figure as the reader sees it: the text of its `<li>` from the figure on, tags removed.
fn figure(html: &str, id: &str) -> String {
    let part = between(html, &format!("id=\"{id}\""), "</li>");
    let mut text = String::new();
    let mut in_tag = true; // the rest of the figure's own opening tag
    for c in part.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

/// Every `<svg` on the page is a picture with a name and fits a phone.
fn assert_accessible_svgs(html: &str) {
    let mut rest = html;
    let mut n = 0;
    while let Some(i) = rest.find("<svg") {
        let tag = &rest[i..i + rest[i..].find('>').unwrap()];
        assert!(tag.contains("role=\"img\""), "{tag}");
        assert!(tag.contains("aria-label=\""), "{tag}");
        assert!(
            tag.contains("viewBox=\"") && tag.contains("width=\"100%\""),
            "{tag}"
        );
        assert!(!tag.contains("aria-label=\"\""), "{tag}");
        n += 1;
        rest = &rest[i + 4..];
    }
    assert!(n > 0, "no picture in {html}");
}

#[tokio::test(flavor = "multi_thread")]
async fn visits_per_day_per_worker_are_drawn_on_china_days() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let server = TestServer::start(dir.path());
    let (me, status) = Browser::sign_in(&server.url, "supervisor").await;
    assert_eq!(status, 303);
    let now = Timestamp::now();
    let (two_ago, two_ago_day) = labels(china_midnight(now, 2));
    let (yesterday, yesterday_day) = labels(china_midnight(now, 1));
    let (ten_ago, ten_ago_day) = labels(china_midnight(now, 10));

    let overview = page(&me, "/web").await;
    let trend = between(&overview, "id=\"trend\"", "</figure>");
    assert!(trend.contains("近30天每日走访（按网格员）"), "{trend}");
    assert!(
        trend.contains("aria-label=\"近30天每位网格员每日走访次数折线图\""),
        "{trend}"
    );
    // One series per worker who visited in the 30 days, the busiest first; worker.a's visit
    // 40 days ago is not drawn.
    assert_eq!(trend.matches("data-worker=").count(), 2, "{trend}");
    assert!(!trend.contains("data-worker=\"worker.a\""));
    let li = between(trend, "data-worker=\"li\"", "</g>");
    let wang = between(trend, "data-worker=\"wang\"", "</g>");
    assert!(trend.find("data-worker=\"li\"") < trend.find("data-worker=\"wang\""));
    // 王芳's 07:30 visits count on the Beijing day, not the UTC day before it.
    assert!(
        wang.contains(&format!("data-day=\"{two_ago_day}\" data-visits=\"3\"")),
        "{wang}"
    );
    assert!(
        wang.contains(&format!("<title>王芳 {two_ago}: 3</title>")),
        "{wang}"
    );
    assert!(
        wang.contains(&format!("data-day=\"{yesterday_day}\" data-visits=\"1\"")),
        "{wang}"
    );
    assert!(
        wang.contains(&format!("<title>王芳 {yesterday}: 1</title>")),
        "{wang}"
    );
    assert_eq!(wang.matches("<circle").count(), 2, "{wang}");
    assert!(
        li.contains(&format!("<title>李强 {two_ago}: 2</title>")),
        "{li}"
    );
    assert!(
        li.contains(&format!("<title>李强 {ten_ago}: 5</title>")),
        "{li}"
    );
    assert!(li.contains(&format!("data-day=\"{ten_ago_day}\" data-visits=\"5\"")));
    assert_eq!(li.matches("<circle").count(), 2, "{li}");
    // A point per day on each line, 30 days.
    let points = between(li, "points=\"", "\"/>");
    assert_eq!(points.split(' ').count(), 30, "{points}");
    // The legend names the workers with their totals.
    let legend = between(trend, "class=\"legend\"", "</ul>");
    assert!(
        legend.contains("李强 <span class=\"num\">7</span>"),
        "{legend}"
    );
    assert!(
        legend.contains("王芳 <span class=\"num\">4</span>"),
        "{legend}"
    );
    assert_accessible_svgs(&overview);

    // In English the words change, the names and numbers do not.
    let english = page(&me, "/web?lang=en").await;
    let trend_en = between(&english, "id=\"trend\"", "</figure>");
    assert!(trend_en.contains("Visits per day by worker"), "{trend_en}");
    assert!(trend_en.contains(&format!("<title>王芳 {two_ago}: 3</title>")));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ratings_chart_runs_worst_first_beside_its_table() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let server = TestServer::start(dir.path());
    let (me, _) = Browser::sign_in(&server.url, "supervisor").await;
    let html = page(&me, "/web/ratings").await;
    let chart = between(&html, "id=\"ratings-chart\"", "</figure>");
    assert!(chart.contains("aria-label=\"各物业企业得分条形图，得分最低的在前\""));
    let bad = chart.find("data-company=\"P01\"").expect("阳光物业 drawn");
    let good = chart.find("data-company=\"P02\"").expect("锦绣物业 drawn");
    assert!(bad < good, "the worst first: {chart}");
    let p01 = between(chart, "data-company=\"P01\"", "</g>");
    assert!(
        p01.contains("class=\"bar red\"")
            || chart.contains("class=\"bar red\" data-company=\"P01\"")
    );
    assert!(p01.contains("<title>阳光物业: 得分 "), "{p01}");
    assert!(p01.contains(", 红</title>"), "{p01}");
    let p02 = between(chart, "data-company=\"P02\"", "</g>");
    assert!(
        p02.contains("<title>锦绣物业: 得分 100, 绿</title>"),
        "{p02}"
    );
    // The table keeps the same order.
    let table = between(&html, "id=\"ratings\"", "</table>");
    assert!(table.find("阳光物业") < table.find("锦绣物业"), "{table}");
    assert_accessible_svgs(&html);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_big_screen_shows_the_overview_s_numbers_and_refreshes_itself() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let server = TestServer::start(dir.path());
    let (me, _) = Browser::sign_in(&server.url, "supervisor").await;
    let overview = page(&me, "/web").await;
    assert!(
        overview.contains("href=\"/web/screen\""),
        "the overview links to it"
    );
    let screen = page(&me, "/web/screen").await;

    assert!(screen.contains("<meta http-equiv=\"refresh\" content=\"60\">"));
    assert!(screen.contains("<body class=\"screen\">"));
    assert!(screen.contains("每分钟自动刷新"));
    let time = between(&screen, "<time id=\"data-time\">", "</time>");
    assert!(
        time.contains(&Timestamp::now().china_date().to_string())
            || time.contains(&Timestamp::now().minus_days(1).china_date().to_string()),
        "{time}"
    );
    // No navigation on the wall, and no English.
    assert!(!screen.contains("<nav"));
    for id in [
        "coverage",
        "never",
        "elderly-due",
        "findings-total",
        "open-orders",
        "overdue-orders",
        "warned",
        "stale",
    ] {
        assert_eq!(
            figure(&screen, id),
            figure(&overview, id),
            "{id} differs between the 大屏 and the overview"
        );
    }
    // The figures are the seeded ones: 4 of 6 households visited in 7 days (王芳's 4, 李强's
    // 2 on the same doors), two overdue orders of three, 阳光物业 red.
    assert!(figure(&screen, "coverage").starts_with("4/6"), "{screen}");
    assert_eq!(figure(&screen, "open-orders"), "3");
    assert_eq!(figure(&screen, "overdue-orders"), "2");
    // The charts: the trend and the ratings, as on their pages.
    assert!(screen.contains("id=\"trend\"") && screen.contains("id=\"ratings-chart\""));
    assert!(screen.contains("data-worker=\"wang\""));
    assert_accessible_svgs(&screen);
    // The English screen.
    let english = page(&me, "/web/screen?lang=en").await;
    assert!(english.contains("refreshes every minute"), "{english}");
}
