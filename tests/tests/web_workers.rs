//! The workers page and the monthly workload sheet (issue 15, part 5) against a real server:
//! each worker of the reader's area with their grids, visits and households covered in a
//! period of China-time days, reports filed and handled, last sync and open to-dos; a visit
//! outside the period not counted, a worker outside the area not named; the trail in the same
//! range; the sheet (网格员工作量考核表) as an XLSX with the same rows, its export logged.

use std::time::Duration;

use gridwalk_core::records::household::{NewHousehold, NewVisit, VisitPurpose};
use gridwalk_core::records::reference::{ReferenceItem, ReferenceKind};
use gridwalk_core::records::report::NewReport;
use gridwalk_core::rules::household::Validation;
use gridwalk_core::store::inspection::ReportAction;
use gridwalk_core::store::visit_days::day_number_of_date;
use gridwalk_core::{Actor, RecordId, Role, Timestamp};
use gridwalk_server::accounts::ScopeGrant;
use gridwalk_tests::web_client::Browser;
use gridwalk_tests::{PASSWORD, TestServer};
use time::Date;
use time::macros::date;

/// `hour:minute` on `day`, China time (UTC+8).
fn china(day: Date, hour: i64, minute: i64) -> Timestamp {
    Timestamp(
        day_number_of_date(day) * Timestamp::DAY_MS - 8 * 3_600_000 + (hour * 60 + minute) * 60_000,
    )
}

/// The seed's 阳光社区 (C01: grids C01-G01, C01-G02) and its workers, plus 河西社区 (C02) with
/// one grid and its worker 赵磊, outside the supervisor's area. In October 2026 (China time):
/// 张伟 (C01-G01) visits room 1 at 07:00 on the 1st (still 09-30 in UTC) and again on the
/// 6th, room 2 at 23:30 on the 31st; outside the month, room 4 at 23:59 on 09-30 and room 3
/// at 00:30 on 11-01 (still 10-31 in UTC). 李娜 (C01-G01) visits room 3 on the 10th; 孙强
/// (C01-G02) a household of his grid on the 20th; 赵磊 his own on the 10th. 张伟 files a report
/// on the 8th, assigned to 李娜 who starts it on the 9th and resolves it on the 12th; 李娜
/// files one on the 15th, assigned to 张伟 and not yet started (his open to-do); 张伟 files
/// another on 11-02. 张伟's phone last synced at 2026-11-02 18:00.
fn seed(dir: &std::path::Path) {
    gridwalk_tests::seed(dir);
    let data = gridwalk_server::server::open_data(dir, Duration::from_secs(3600)).unwrap();
    let place = |kind, id: &str, parent: Option<&str>, name: &str| {
        ReferenceItem::new(kind, id, parent, name)
    };
    data.store
        .add_reference(&[
            place(ReferenceKind::Community, "C02", None, "河西社区"),
            place(ReferenceKind::Grid, "C02-G01", Some("C02"), "河西第一网格"),
            place(ReferenceKind::Compound, "Q9", Some("C02"), "河西小区").in_grid("C02-G01"),
            place(ReferenceKind::Building, "B9", Some("Q9"), "9号楼"),
        ])
        .unwrap();
    let users: &[(&str, &str, &str)] = &[
        ("zhang.wei", "张伟", "grid:C01-G01"),
        ("li.na", "李娜", "grid:C01-G01"),
        ("sun.qiang", "孙强", "grid:C01-G02"),
        ("zhao.lei", "赵磊", "grid:C02-G01"),
    ];
    for (id, name, scope) in users {
        let grant: ScopeGrant = scope.parse().unwrap();
        data.accounts
            .add_user(id, name, Role::GridWorker, PASSWORD, &[grant])
            .unwrap();
    }
    let mut households: Vec<NewHousehold> = (1..=4)
        .map(|i| gridwalk_tests::household("C01-G01", &i.to_string()))
        .collect();
    households.push(gridwalk_tests::household("C01-G02", "1"));
    let mut west = gridwalk_tests::household("C01-G01", "1");
    west.address.community = "C02".into();
    west.address.grid = "C02-G01".into();
    west.address.compound = "Q9".into();
    west.address.building = "B9".into();
    households.push(west);
    let admin = Actor::new("admin", Role::Admin);
    let ids = data
        .store
        .import_households(
            &admin,
            &households,
            Validation::Ledger,
            china(date!(2026 - 09 - 01), 9, 0),
        )
        .unwrap();
    let visit = |who: &str, id: &RecordId, at: Timestamp| {
        let v = NewVisit {
            at,
            purpose: VisitPurpose::Routine,
            notes: String::new(),
            location: None,
            photos: vec![],
        };
        data.store
            .record_visit(&Actor::new(who, Role::GridWorker), id, &v, at)
            .unwrap();
    };
    visit("zhang.wei", &ids[0], china(date!(2026 - 10 - 01), 7, 0));
    visit("zhang.wei", &ids[0], china(date!(2026 - 10 - 06), 10, 0));
    visit("zhang.wei", &ids[1], china(date!(2026 - 10 - 31), 23, 30));
    visit("zhang.wei", &ids[3], china(date!(2026 - 09 - 30), 23, 59));
    visit("zhang.wei", &ids[2], china(date!(2026 - 11 - 01), 0, 30));
    visit("li.na", &ids[2], china(date!(2026 - 10 - 10), 15, 0));
    visit("sun.qiang", &ids[4], china(date!(2026 - 10 - 20), 9, 0));
    visit("zhao.lei", &ids[5], china(date!(2026 - 10 - 10), 9, 0));

    let report = |who: &str, at: Timestamp| {
        data.store
            .create_report(
                &Actor::new(who, Role::GridWorker),
                &NewReport {
                    category: "fire_safety".into(),
                    description: "楼道堆物".into(),
                    grid: "C01-G01".into(),
                    compound: String::new(),
                    location: None,
                    photos: vec![],
                },
                at,
            )
            .unwrap()
    };
    let act = |who: &Actor, id: &RecordId, action: ReportAction, at: Timestamp| {
        data.store.act_on_report(who, id, &action, at).unwrap();
    };
    let supervisor = Actor::new("supervisor", Role::Supervisor);
    let li = Actor::new("li.na", Role::GridWorker);
    let first = report("zhang.wei", china(date!(2026 - 10 - 08), 10, 0));
    let assign = |to: &str| ReportAction::Assign {
        assignee: to.into(),
    };
    act(
        &supervisor,
        &first,
        assign("li.na"),
        china(date!(2026 - 10 - 09), 9, 0),
    );
    act(
        &li,
        &first,
        ReportAction::Start,
        china(date!(2026 - 10 - 09), 10, 0),
    );
    let resolve = ReportAction::Resolve {
        note: "已清理".into(),
    };
    act(&li, &first, resolve, china(date!(2026 - 10 - 12), 10, 0));
    let second = report("li.na", china(date!(2026 - 10 - 15), 10, 0));
    act(
        &supervisor,
        &second,
        assign("zhang.wei"),
        china(date!(2026 - 10 - 15), 11, 0),
    );
    report("zhang.wei", china(date!(2026 - 11 - 02), 10, 0));

    let session = data
        .accounts
        .session_of_user("zhang.wei", "phone-zw")
        .unwrap();
    data.accounts
        .record_sync(&session, 1, 0, china(date!(2026 - 11 - 02), 18, 0))
        .unwrap();
}

/// A page as text: the entities the templates write for `/` and `&` decoded.
async fn page(me: &Browser, path: &str) -> String {
    let (status, html) = me.get(path).await;
    assert_eq!(status, 200, "{path}");
    html.replace("&#x2f;", "/").replace("&amp;", "&")
}

/// The cells of the table row whose first cell reads `who`, as text without tags.
fn row(html: &str, who: &str) -> Option<Vec<String>> {
    html.split("<tr").find_map(|tr| {
        let tr = &tr[..tr.find("</tr>")?];
        let cells: Vec<String> = tr
            .split("<t")
            .skip(1)
            .map(|cell| {
                // The cell's content starts after its opening tag; inner tags are dropped.
                let body = cell.split_once('>').map_or("", |(_, b)| b);
                let mut text = String::new();
                let mut in_tag = false;
                for c in body.chars() {
                    match c {
                        '<' => in_tag = true,
                        '>' => in_tag = false,
                        c if !in_tag => text.push(c),
                        _ => {}
                    }
                }
                text.trim().to_owned()
            })
            .collect();
        (cells.first().map(String::as_str) == Some(who)).then_some(cells)
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn the_workers_page_counts_each_workers_month_and_exports_the_workload_sheet() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let server = TestServer::start(dir.path());
    let (me, status) = Browser::sign_in(&server.url, "supervisor").await;
    assert_eq!(status, 303);

    let october = page(&me, "/web/workers?from=2026-10-01&to=2026-10-31").await;
    // The navigation names the page and marks it.
    assert!(
        october.contains("href=\"/web/workers\" aria-current=\"page\">网格员</a>"),
        "{october}"
    );
    // Name, grids, visits, households, filed, handled, last sync, to-dos.
    // 张伟: the 07:00 visit of 10-01 counts (China day), the 23:30 one of 10-31 too; 09-30
    // 23:59 and 11-01 00:30 do not. Room 1 twice is one household.
    let zhang = row(&october, "张伟").expect("张伟 listed");
    assert_eq!(
        zhang[1..],
        ["第一网格", "3", "2", "1", "0", "2026-11-02 18:00", "1"],
        "{october}"
    );
    let li = row(&october, "李娜").expect("李娜 listed");
    assert_eq!(li[1..], ["第一网格", "1", "1", "1", "1", "从未同步", "0"]);
    let sun = row(&october, "孙强").expect("孙强 of the other grid listed");
    assert_eq!(sun[1..4], ["第二网格", "1", "1"]);
    // 赵磊 works in 河西社区, outside the supervisor's area: not named.
    assert!(!october.contains("赵磊"), "{october}");
    assert!(!october.contains("zhao.lei"));
    // The totals row: visits 5, households 4, filed 2, handled 1, to-dos 1.
    let totals = row(&october, "合计").expect("a totals row");
    assert_eq!(totals[2..6], ["5", "4", "2", "1"], "{october}");
    assert_eq!(totals[7], "1");
    // Each worker links to their trail in the same period.
    assert!(october.contains("href=\"/web/workers/zhang.wei?from=2026-10-01&to=2026-10-31\""));
    assert!(october.contains("href=\"/web/workers.xlsx?from=2026-10-01&to=2026-10-31\""));

    // November: the 00:30 visit of 11-01 and the report of 11-02.
    let november = page(&me, "/web/workers?from=2026-11-01&to=2026-11-30").await;
    let zhang = row(&november, "张伟").unwrap();
    assert_eq!(zhang[2..6], ["1", "1", "1", "0"], "{november}");
    assert_eq!(row(&november, "李娜").unwrap()[2..6], ["0", "0", "0", "0"]);

    // The trail in the range: 张伟's three October visits of five.
    let trail = page(&me, "/web/workers/zhang.wei?from=2026-10-01&to=2026-10-31").await;
    assert!(trail.contains("共 3 条"), "{trail}");
    assert!(trail.contains("2026-10-31 23:30") && !trail.contains("2026-11-01 00:30"));
    let all = page(&me, "/web/workers/zhang.wei").await;
    assert!(all.contains("共 5 条"), "{all}");
    // A worker outside the area has no trail here either.
    assert!(page(&me, "/web/workers/zhao.lei").await.contains("共 0 条"));

    // The default period is this month so far (China time): the page answers and says so.
    let now = page(&me, "/web/workers").await;
    let today = Timestamp::now().china_date();
    assert!(
        now.contains(&format!("value=\"{}\"", today.replace_day(1).unwrap())),
        "{now}"
    );
    assert!(now.contains(&format!("value=\"{today}\"")));

    // The workload sheet: a title row with the area and period, the header, a row per worker
    // with the page's figures (as numbers), the totals; named for the office.
    let resp = me
        .http
        .get(format!(
            "{}/web/workers.xlsx?from=2026-10-01&to=2026-10-31",
            me.base
        ))
        .header("cookie", &me.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let disposition = resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    // 网格员工作量考核表_阳光社区_20261001-20261031.xlsx, percent-encoded.
    assert!(
        disposition.contains("filename=\"workload_20261001-20261031.xlsx\"")
            && disposition.contains("%E9%98%B3%E5%85%89%E7%A4%BE%E5%8C%BA_20261001-20261031.xlsx"),
        "{disposition}"
    );
    let bytes = resp.bytes().await.unwrap();
    let sheet = {
        use calamine::Reader;
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        book.worksheet_range_at(0).unwrap().unwrap()
    };
    let text = |c: &calamine::Data| match c {
        calamine::Data::String(s) => s.clone(),
        calamine::Data::Float(f) => f.to_string(),
        calamine::Data::Int(i) => i.to_string(),
        calamine::Data::Empty => String::new(),
        other => format!("{other:?}"),
    };
    let rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(text).collect()).collect();
    assert!(
        rows[0][0].contains("网格员工作量考核表")
            && rows[0][0].contains("阳光社区")
            && rows[0][0].contains("2026-10-01 至 2026-10-31"),
        "{:?}",
        rows[0]
    );
    assert_eq!(
        rows[1],
        [
            "网格员",
            "负责网格",
            "走访次数",
            "走访户数",
            "上报事件",
            "处理事件",
            "最近同步",
            "待办事项"
        ]
    );
    let zhang = rows.iter().find(|r| r[0] == "张伟").expect("张伟's row");
    assert_eq!(
        zhang[1..],
        ["第一网格", "3", "2", "1", "0", "2026-11-02 18:00", "1"]
    );
    assert!(
        matches!(sheet.get((rows.iter().position(|r| r[0] == "张伟").unwrap(), 2)), Some(calamine::Data::Float(f)) if *f == 3.0)
    );
    assert!(!rows.iter().any(|r| r[0] == "赵磊"));
    let last = rows.last().unwrap();
    assert_eq!(last[0], "合计");
    assert_eq!(last[2..6], ["5", "4", "2", "1"]);
    // One row per worker the page lists, between the header and the totals.
    let listed = october.matches("<tr id=\"worker-").count();
    assert_eq!(rows.len(), listed + 3);
    // The export is logged: who, what, how many rows.
    assert!(
        server
            .wait_for_log(|l| l.contains("ledger exported")
                && l.contains("workload")
                && l.contains("supervisor"))
            .await,
        "{:?}",
        server.log()
    );
}
