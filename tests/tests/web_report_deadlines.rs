//! The 权责清单 on the pages (issue 15, part 6): each report category carries the department
//! that handles it and its time limit (处置时限), loaded with `admin add-category`; a report
//! filed on a phone then has a deadline, shows overdue on the list and its page, can be
//! listed alone by the overdue filter, and counts on the overview until it is handled —
//! against a real server, with a real phone store syncing the reports.

use gridwalk_core::Timestamp;
use gridwalk_core::records::report::NewReport;
use gridwalk_core::store::inspection::ReportAction;
use gridwalk_tests::web_client::Browser;
use gridwalk_tests::{Device, TestServer, admin};

/// A report of grid C01-G01 filed on `worker`'s phone at `at`.
fn file(
    worker: &Device,
    category: &str,
    description: &str,
    at: Timestamp,
) -> gridwalk_core::RecordId {
    worker
        .store
        .create_report(
            &worker.actor,
            &NewReport {
                category: category.into(),
                description: description.into(),
                grid: "C01-G01".into(),
                compound: "Q1".into(),
                location: None,
                photos: vec![],
            },
            at,
        )
        .unwrap()
}

/// The text of the element with `id`, up to its closing tag.
fn text_of(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in the page"));
    let rest = &html[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest[start..].find('<').unwrap();
    rest[start..start + end].trim().to_owned()
}

/// The supervisor assigns the report to the worker on its page; the worker's phone syncs,
/// resolves it with `note` and syncs again.
async fn assign_and_resolve(
    me: &Browser,
    worker: &Device,
    report: &gridwalk_core::RecordId,
    note: &str,
) {
    let path = format!("/web/reports/{report}");
    let (_, page) = me.get(&path).await;
    let token = gridwalk_tests::web_client::form_token(&page).expect("the page has forms");
    let (status, _, _) = me
        .post_from_page(
            &format!("{path}/assign"),
            &[("csrf", token.as_str()), ("assignee", "worker.a")],
        )
        .await;
    assert_eq!(status, 303, "assigned");
    worker.sync().await;
    worker
        .store
        .act_on_report(
            &worker.actor,
            report,
            &ReportAction::Resolve { note: note.into() },
            Timestamp::now(),
        )
        .unwrap();
    let synced = worker.sync().await;
    assert!(synced.refused.is_empty(), "{:?}", synced.refused);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_past_its_categorys_time_limit_is_overdue_until_it_is_handled() {
    let dir = tempfile::tempdir().unwrap();
    gridwalk_tests::seed(dir.path());
    for (code, name, department, hours) in [
        ("parking", "乱停乱放", "区交警大队", "24"),
        ("greenery", "绿化", "区园林绿化中心", "120"),
    ] {
        let out = admin(
            dir.path(),
            &[
                "add-category",
                "--code",
                code,
                "--name",
                name,
                "--department",
                department,
                "--limit-hours",
                hours,
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // A time limit of no hours, or of years, is refused before anything is written.
    let out = admin(
        dir.path(),
        &[
            "add-category",
            "--code",
            "x",
            "--name",
            "x",
            "--department",
            "x",
            "--limit-hours",
            "0",
        ],
    );
    assert!(!out.status.success());

    let server = TestServer::start(dir.path());
    let worker = Device::sign_in(&server.url, "worker.a").await;
    let now = Timestamp::now();
    let late = file(
        &worker,
        "parking",
        "小区门口乱停车两天了",
        now.minus_days(2),
    );
    let fresh = file(&worker, "parking", "刚发现的乱停车", now);
    // Ten days old, but its limit is five days and it will be handled: then not overdue.
    let handled = file(&worker, "greenery", "绿地被占用种菜", now.minus_days(10));
    let synced = worker.sync().await;
    assert!(synced.refused.is_empty(), "{:?}", synced.refused);

    let (me, status) = Browser::sign_in(&server.url, "supervisor").await;
    assert_eq!(status, 303);
    // Assigned on the web to the worker, who handles it on the phone.
    assign_and_resolve(&me, &worker, &handled, "已清理").await;
    let (_, list) = me.get("/web/reports").await;
    assert!(
        list.contains("id=\"filter-overdue\""),
        "the overdue filter is offered: {list}"
    );
    let (_, only) = me.get("/web/reports?overdue=1").await;
    assert!(
        only.contains("小区门口乱停车两天了"),
        "the late report is listed"
    );
    assert!(
        !only.contains("刚发现的乱停车") && !only.contains("绿地被占用种菜"),
        "only the overdue one"
    );
    assert!(only.contains("已逾期"), "marked overdue in Chinese");

    let (_, page) = me.get(&format!("/web/reports/{late}")).await;
    assert!(
        page.contains("区交警大队"),
        "the handling department is named"
    );
    assert!(
        page.contains("id=\"overdue\""),
        "the late report's page says overdue"
    );
    let (_, page) = me.get(&format!("/web/reports/{fresh}")).await;
    assert!(page.contains("区交警大队"));
    assert!(
        !page.contains("id=\"overdue\""),
        "a fresh report is not overdue"
    );
    let (_, page) = me.get(&format!("/web/reports/{handled}")).await;
    assert!(
        !page.contains("id=\"overdue\""),
        "a handled report is not overdue"
    );

    let (_, overview) = me.get("/web").await;
    assert_eq!(text_of(&overview, "overdue-reports"), "1");

    // Handled on the phone: no longer overdue anywhere.
    assign_and_resolve(&me, &worker, &late, "车已挪走").await;
    let (_, overview) = me.get("/web").await;
    assert_eq!(text_of(&overview, "overdue-reports"), "0");
    let (_, only) = me.get("/web/reports?overdue=1").await;
    assert!(!only.contains("小区门口乱停车两天了"));
}
