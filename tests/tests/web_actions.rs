//! The loop closed on the web (issue 15, part 6): a supervisor acts on issue reports and sends
//! visits back on the pages, through the core's store and rules, and the phones of the grid
//! get the new events on their next sync — against a real server, with real phone stores.
//! Refusals by the rules come back on the page in Chinese; a POST without the session's form
//! token, from another site, or about a record outside the reader's area changes nothing.

use gridwalk_core::Timestamp;
use gridwalk_core::records::household::{NewVisit, VisitPurpose};
use gridwalk_core::records::reference::{ReferenceItem, ReferenceKind};
use gridwalk_core::records::report::NewReport;
use gridwalk_core::rules::report::ReportStatus;
use gridwalk_core::rules::text;
use gridwalk_core::store::inspection::ReportAction;
use gridwalk_server::accounts::ScopeGrant;
use gridwalk_tests::web_client::Browser;
use gridwalk_tests::{Device, PASSWORD, TestServer, seed_households};

/// A report of grid C01-G01 (compound Q1) filed on `worker`'s phone and synced.
async fn file_report(worker: &Device, description: &str) -> gridwalk_core::RecordId {
    let id = worker
        .store
        .create_report(
            &worker.actor,
            &NewReport {
                category: "fire_safety".into(),
                description: description.into(),
                grid: "C01-G01".into(),
                compound: "Q1".into(),
                location: None,
                photos: vec![],
            },
            Timestamp::now(),
        )
        .unwrap();
    let report = worker.sync().await;
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    id
}

/// The test district plus a supervisor of another community, served.
fn server(dir: &std::path::Path) -> TestServer {
    gridwalk_tests::seed(dir);
    let data = gridwalk_server::server::open_data(dir, std::time::Duration::from_secs(60)).unwrap();
    data.store
        .add_reference(&[ReferenceItem::new(
            ReferenceKind::Category,
            "fire_safety",
            None,
            "消防安全",
        )])
        .unwrap();
    let other: ScopeGrant = "community:C02".parse().unwrap();
    data.accounts
        .add_user(
            "supervisor2",
            "另一街道",
            gridwalk_core::Role::Supervisor,
            PASSWORD,
            &[other],
        )
        .unwrap();
    // Names, so the pages show 王伟 rather than a user id.
    data.accounts
        .add_user(
            "worker.a",
            "王伟",
            gridwalk_core::Role::GridWorker,
            PASSWORD,
            &["grid:C01-G01".parse().unwrap()],
        )
        .unwrap();
    drop(data);
    TestServer::start(dir)
}

/// A page as text: the entities the templates write for `/` and `&` decoded.
async fn html_of(me: &Browser, path: &str) -> (u16, String) {
    let (status, html) = me.get(path).await;
    (status, html.replace("&#x2f;", "/").replace("&amp;", "&"))
}

/// POSTs a form with the session cookie and an `Origin` of the server itself: (status,
/// `Location`, body).
async fn post(me: &Browser, path: &str, fields: &[(&str, &str)]) -> (u16, String, String) {
    let resp = me
        .http
        .post(format!("{}{path}", me.base))
        .header("cookie", &me.cookie)
        .header("origin", &me.base)
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = resp.text().await.unwrap();
    (
        status,
        location,
        body.replace("&#x2f;", "/").replace("&amp;", "&"),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_assigned_sent_back_and_closed_on_the_web_reaches_the_workers_phone() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path());
    let worker = Device::sign_in(&server.url, "worker.a").await;
    worker.sync().await;
    let id = file_report(&worker, "楼道电动车充电").await;

    let (me, status) = Browser::sign_in(&server.url, "supervisor").await;
    assert_eq!(status, 303);
    // The list: the reader's grids' reports, counted by status.
    let (status, list) = html_of(&me, "/web/reports").await;
    assert_eq!(status, 200);
    assert!(
        list.contains("楼道电动车充电") && list.contains("王伟") && list.contains("消防安全"),
        "{list}"
    );
    assert!(list.contains("共 1 条，第 1/1 页"), "{list}");
    assert!(list.contains(&format!("/web/reports/{id}")));
    let (_, reported) = html_of(&me, "/web/reports?status=reported").await;
    assert!(reported.contains("楼道电动车充电"));
    let (_, closed) = html_of(&me, "/web/reports?status=closed").await;
    assert!(closed.contains("共 0 条") && !closed.contains("楼道电动车充电"));

    // The report's page: its grid's workers to assign to, by name.
    let path = format!("/web/reports/{id}");
    let (status, page) = html_of(&me, &path).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("已上报") && page.contains("阳光花园"),
        "{page}"
    );
    assert!(
        page.contains("<option value=\"worker.a\">王伟</option>"),
        "{page}"
    );
    assert!(
        !page.contains("value=\"worker.b\""),
        "a worker of another grid is not offered"
    );
    let (_, english) = html_of(&me, &format!("{path}?lang=en")).await;
    assert!(
        english.contains("Assign to") && english.contains("reported") && english.contains("王伟"),
        "{english}"
    );
    html_of(&me, "/web?lang=zh").await;
    let token = me.form_token().await;

    // Assign on the web; the worker's phone gets it as its own to-do.
    let (status, location, _) = post(
        &me,
        &format!("{path}/assign"),
        &[("csrf", &token), ("assignee", "worker.a")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location, format!("{path}?done=assign"));
    let (_, page) = html_of(&me, &location).await;
    assert!(
        page.contains("已分派，处理人的手机同步后即可看到"),
        "{page}"
    );
    assert!(
        page.contains("<option value=\"worker.a\" selected>王伟</option>"),
        "the assignee is selected: {page}"
    );
    worker.sync().await;
    let on_phone = worker.store.report(&id).unwrap();
    assert_eq!(on_phone.state.status, ReportStatus::Assigned);
    assert_eq!(on_phone.state.assignee.as_deref(), Some("worker.a"));
    let last = &on_phone.state.history.last().unwrap().event;
    assert_eq!(
        (last.kind.as_str(), last.by.as_str()),
        ("assign", "supervisor")
    );
    assert!(
        worker
            .store
            .my_todos(&worker.actor)
            .unwrap()
            .iter()
            .any(|t| t.record_id == id),
        "the assigned report is the worker's to-do"
    );

    // The worker starts; the supervisor sends it back with a reason.
    worker
        .store
        .act_on_report(&worker.actor, &id, &ReportAction::Start, Timestamp::now())
        .unwrap();
    worker.sync().await;
    // Closing a report being handled: the rules refuse, and the page says why in Chinese.
    let (status, _, page) = post(&me, &format!("{path}/close"), &[("csrf", &token)]).await;
    assert_eq!(status, 409, "{page}");
    assert!(page.contains("“处理中”状态的事件不能关闭"), "{page}");
    // A send-back without a reason: refused, in Chinese.
    let (status, _, page) = post(
        &me,
        &format!("{path}/send-back"),
        &[("csrf", &token), ("note", "  ")],
    )
    .await;
    assert_eq!(status, 409);
    assert!(page.contains("退回需要说明问题"), "{page}");
    assert!(
        page.contains("<details class=\"action\" id=\"send-back\" open>"),
        "the refused form is open again: {page}"
    );
    let (status, location, _) = post(
        &me,
        &format!("{path}/send-back"),
        &[("csrf", &token), ("note", "照片看不清，请补拍")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location, format!("{path}?done=send-back"));
    worker.sync().await;
    let on_phone = worker.store.report(&id).unwrap();
    // Stored as the core stores everything typed (`rules::text::clean`: full-width letters
    // and digits folded, Chinese punctuation kept), the same on the page, the server and the
    // phone.
    let reason = text::clean("照片看不清，请补拍");
    assert_eq!(on_phone.state.sent_back.as_deref(), Some(reason.as_str()));
    let todo = worker
        .store
        .my_todos(&worker.actor)
        .unwrap()
        .into_iter()
        .find(|t| t.record_id == id)
        .expect("the send-back is a to-do on the phone");
    assert_eq!(todo.note, reason);

    // The worker resolves it; the supervisor closes it on the web (the close form is on the
    // page now), and the phone sees it closed.
    worker
        .store
        .act_on_report(
            &worker.actor,
            &id,
            &ReportAction::Resolve {
                note: "已补拍并处理".into(),
            },
            Timestamp::now(),
        )
        .unwrap();
    worker.sync().await;
    let (_, page) = html_of(&me, &path).await;
    assert!(
        page.contains("id=\"close\"") && page.contains("确认关闭"),
        "{page}"
    );
    assert!(
        page.contains("已补拍并处理") && page.contains("办结"),
        "the timeline"
    );
    let (status, _, _) = post(&me, &format!("{path}/close"), &[("csrf", &token)]).await;
    assert_eq!(status, 303);
    worker.sync().await;
    assert_eq!(
        worker.store.report(&id).unwrap().state.status,
        ReportStatus::Closed
    );
    let (_, closed) = html_of(&me, "/web/reports?status=closed").await;
    assert!(closed.contains("楼道电动车充电") && closed.contains("共 1 条"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_visit_sent_back_on_the_web_is_a_to_do_on_the_workers_phone() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path());
    let ids = seed_households(dir.path(), "C01-G01", 1);
    let worker = Device::sign_in(&server.url, "worker.a").await;
    worker.sync().await;
    let visit = NewVisit {
        at: Timestamp::now(),
        purpose: VisitPurpose::Routine,
        notes: "敲门无人应答".into(),
        location: None,
        photos: vec![],
    };
    worker
        .store
        .record_visit(&worker.actor, &ids[0], &visit, Timestamp::now())
        .unwrap();
    worker.sync().await;
    let visit_id = worker.store.household(&ids[0]).unwrap().visits[0]
        .id
        .clone();

    let (me, _) = Browser::sign_in(&server.url, "supervisor").await;
    let path = format!("/web/households/{}", ids[0]);
    let (status, page) = html_of(&me, &path).await;
    assert_eq!(status, 200);
    let action = format!("{path}/visits/{visit_id}/send-back");
    assert!(page.contains(&action), "each visit has its send-back form");
    let token = me.form_token().await;

    // No reason: refused by the rules, in Chinese, the visit not sent back.
    let (status, _, page) = post(&me, &action, &[("csrf", &token), ("note", "")]).await;
    assert_eq!(status, 409);
    assert!(page.contains("复核意见不能为空"), "{page}");

    let (status, location, _) = post(
        &me,
        &action,
        &[("csrf", &token), ("note", "走访记录太简单，请补充居民情况")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location, format!("{path}?done=send-back"));
    let (_, page) = html_of(&me, &location).await;
    assert!(
        page.contains("走访已退回")
            && page.contains(&text::clean("走访记录太简单，请补充居民情况")),
        "{page}"
    );

    worker.sync().await;
    let household = worker.store.household(&ids[0]).unwrap();
    assert_eq!(household.reviews.len(), 1);
    assert_eq!(household.reviews[0].by, "supervisor");
    assert_eq!(household.reviews[0].visit_id, visit_id.as_str());
    let todo = worker
        .store
        .my_todos(&worker.actor)
        .unwrap()
        .into_iter()
        .find(|t| t.record_id == ids[0])
        .expect("the sent-back visit is the worker's to-do");
    assert_eq!(todo.note, text::clean("走访记录太简单，请补充居民情况"));

    // A visit the household does not have.
    let (status, _, _) = post(
        &me,
        &format!("{path}/visits/0123456789abcdef/send-back"),
        &[("csrf", &token), ("note", "无此走访")],
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn actions_need_the_form_token_the_site_and_the_readers_area() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path());
    let ids = seed_households(dir.path(), "C01-G01", 1);
    let worker = Device::sign_in(&server.url, "worker.a").await;
    worker.sync().await;
    worker
        .store
        .record_visit(
            &worker.actor,
            &ids[0],
            &NewVisit {
                at: Timestamp::now(),
                purpose: VisitPurpose::Routine,
                notes: String::new(),
                location: None,
                photos: vec![],
            },
            Timestamp::now(),
        )
        .unwrap();
    let id = file_report(&worker, "路灯不亮").await;
    let visit_id = worker.store.household(&ids[0]).unwrap().visits[0]
        .id
        .clone();
    let assign = format!("/web/reports/{id}/assign");
    let send_back_visit = format!("/web/households/{}/visits/{visit_id}/send-back", ids[0]);

    let (me, _) = Browser::sign_in(&server.url, "supervisor").await;
    let token = me.form_token().await;
    // No token, another session's token, another site: refused, nothing written.
    let (status, _, page) = post(&me, &assign, &[("assignee", "worker.a")]).await;
    assert_eq!(status, 403);
    assert!(page.contains("表单已失效"), "{page}");
    let (other, _) = Browser::sign_in(&server.url, "supervisor").await;
    let other_token = other.form_token().await;
    assert_ne!(other_token, token);
    let (status, _, _) = post(
        &me,
        &assign,
        &[("csrf", &other_token), ("assignee", "worker.a")],
    )
    .await;
    assert_eq!(status, 403);
    let resp = me
        .http
        .post(format!("{}{assign}", me.base))
        .header("cookie", &me.cookie)
        .header("origin", "http://evil.example")
        .form(&[("csrf", token.as_str()), ("assignee", "worker.a")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    let (status, _, _) = post(&me, &send_back_visit, &[("note", "无令牌")]).await;
    assert_eq!(status, 403);

    // Someone who is not a worker of the report's grid: refused on the page, in Chinese.
    for assignee in ["worker.b", "supervisor", "nobody"] {
        let (status, _, page) =
            post(&me, &assign, &[("csrf", &token), ("assignee", assignee)]).await;
        assert_eq!(status, 409, "{assignee}");
        assert!(page.contains("只能分派给本网格的网格员"), "{page}");
    }
    // An action the pages do not have, a report that is not there.
    let (status, _, _) = post(
        &me,
        &format!("/web/reports/{id}/resolve"),
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(status, 404);
    let (status, _, _) = post(
        &me,
        "/web/reports/0123456789abcdef0123456789abcdef/close",
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(status, 404);

    // A supervisor of another community: neither the report nor the visit is theirs.
    let (stranger, _) = Browser::sign_in(&server.url, "supervisor2").await;
    let stranger_token = stranger.form_token().await;
    let (status, _) = html_of(&stranger, &format!("/web/reports/{id}")).await;
    assert_eq!(status, 403);
    let (_, list) = html_of(&stranger, "/web/reports").await;
    assert!(!list.contains("路灯不亮") && list.contains("共 0 条"));
    let (status, _, page) = post(
        &stranger,
        &assign,
        &[("csrf", &stranger_token), ("assignee", "worker.a")],
    )
    .await;
    assert_eq!(status, 403);
    assert!(page.contains("这不在您的管辖范围内"), "{page}");
    let (status, _, _) = post(
        &stranger,
        &send_back_visit,
        &[("csrf", &stranger_token), ("note", "越权退回")],
    )
    .await;
    assert_eq!(status, 403);

    // Nothing of it reached the phone.
    worker.sync().await;
    let on_phone = worker.store.report(&id).unwrap();
    assert_eq!(on_phone.state.status, ReportStatus::Reported);
    assert!(on_phone.report.events.is_empty());
    assert!(worker.store.household(&ids[0]).unwrap().reviews.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn sixty_reports_are_listed_a_page_at_a_time_with_the_total_and_each_status_counted() {
    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path());
    {
        let data =
            gridwalk_server::server::open_data(dir.path(), std::time::Duration::from_secs(60))
                .unwrap();
        let worker = gridwalk_core::Actor::new("worker.a", gridwalk_core::Role::GridWorker);
        let supervisor = gridwalk_core::Actor::new("supervisor", gridwalk_core::Role::Supervisor);
        for n in 0..60 {
            let id = data
                .store
                .create_report(
                    &worker,
                    &NewReport {
                        category: "fire_safety".into(),
                        description: format!("第{n}号事件"),
                        grid: "C01-G01".into(),
                        compound: String::new(),
                        location: None,
                        photos: vec![],
                    },
                    Timestamp(Timestamp::now().0 - (60 - n) * 60_000),
                )
                .unwrap();
            if n % 3 == 0 {
                let assign = ReportAction::Assign {
                    assignee: "worker.a".into(),
                };
                data.store
                    .act_on_report(&supervisor, &id, &assign, Timestamp::now())
                    .unwrap();
            }
        }
    }
    let (me, _) = Browser::sign_in(&server.url, "supervisor").await;
    let rows = |html: &str| html.matches("href=\"/web/reports/").count();
    let (status, first) = html_of(&me, "/web/reports").await;
    assert_eq!(status, 200);
    assert!(first.contains("共 60 条，第 1/2 页"), "{first}");
    assert_eq!(rows(&first), 50);
    // Newest first: the 59th report leads, the 10th is the last of the first page.
    assert!(first.find("第59号事件").unwrap() < first.find("第10号事件").unwrap());
    assert!(!first.contains("第9号事件<"));
    let (_, second) = html_of(&me, "/web/reports?status=&page=2").await;
    assert!(second.contains("第 2/2 页") && second.contains("第0号事件"));
    assert_eq!(rows(&second), 10);
    // Each status says how many it would show; the filter shows them.
    assert!(
        first.contains("已分派</a> <span class=\"muted\">20</span>")
            && first.contains("已上报</a> <span class=\"muted\">40</span>"),
        "{first}"
    );
    let (_, assigned) = html_of(&me, "/web/reports?status=assigned").await;
    assert!(assigned.contains("共 20 条，第 1/1 页"));
    assert_eq!(rows(&assigned), 20);
    let (_, unknown) = html_of(&me, "/web/reports?status=lost").await;
    assert!(unknown.contains("共 0 条"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_order_urged_on_the_web_is_first_in_the_companys_to_do_on_its_phone() {
    use gridwalk_core::records::order::{NewOrder, NewOrderItem, Severity};
    use gridwalk_core::store::inspection::OrderAction;

    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path());
    let inspector = Device::sign_in(&server.url, "inspector").await;
    let order = NewOrder {
        title: "消防通道堆物".into(),
        compound: "Q1".into(),
        company: "P01".into(),
        deadline: Timestamp(Timestamp::now().0 + 3 * Timestamp::DAY_MS),
        items: vec![NewOrderItem {
            description: "楼道堆放杂物".into(),
            severity: Severity::Major,
            before_photos: vec![],
        }],
        from_report: None,
    };
    let id = inspector
        .store
        .create_order(&inspector.actor, &order, Timestamp::now())
        .unwrap();
    inspector
        .store
        .act_on_order(&inspector.actor, &id, &OrderAction::Issue, Timestamp::now())
        .unwrap();
    inspector.sync().await;
    let company = Device::sign_in(&server.url, "company").await;
    company.sync().await;

    let (me, _) = Browser::sign_in(&server.url, "supervisor").await;
    let path = format!("/web/orders/{id}");
    let (status, page) = html_of(&me, &path).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("id=\"urge\"") && page.contains("确认督办"),
        "{page}"
    );
    let token = me.form_token().await;
    let urge = format!("{path}/urge");
    // No token, another area: refused, nothing written.
    let (status, _, _) = post(&me, &urge, &[("note", "请尽快签收")]).await;
    assert_eq!(status, 403);
    let (stranger, _) = Browser::sign_in(&server.url, "supervisor2").await;
    let stranger_token = stranger.form_token().await;
    let (status, _, _) = post(
        &stranger,
        &urge,
        &[("csrf", &stranger_token), ("note", "请尽快签收")],
    )
    .await;
    assert_eq!(status, 403);
    // No note: the rules refuse, in Chinese.
    let (status, _, page) = post(&me, &urge, &[("csrf", &token), ("note", "")]).await;
    assert_eq!(status, 409);
    assert!(page.contains("督办需要写明督办意见"), "{page}");

    let (status, location, _) = post(
        &me,
        &urge,
        &[("csrf", &token), ("note", "请于三日内签收并整改")],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location, format!("{path}?done=urge"));
    let (_, page) = html_of(&me, &location).await;
    assert!(page.contains("已督办") && page.contains("请于三日内签收并整改"));

    // The company's phone: the urge in the order's history and first in its to-do.
    company.sync().await;
    let on_phone = company.store.order(&id).unwrap();
    assert_eq!(
        on_phone.state.urge_note.as_deref(),
        Some("请于三日内签收并整改")
    );
    let last = &on_phone.state.history.last().unwrap().event;
    assert_eq!(
        (last.kind.as_str(), last.by.as_str()),
        ("urge", "supervisor")
    );
    let todo = company
        .store
        .my_todos(&company.actor)
        .unwrap()
        .into_iter()
        .find(|t| t.record_id == id)
        .expect("the order is the company's to-do");
    assert_eq!(
        (todo.kind.as_str(), todo.note.as_str()),
        ("acknowledge_order", "请于三日内签收并整改")
    );

    // Cancelled by the inspector, the order owes nothing: urging is refused, in Chinese.
    inspector.sync().await;
    let cancel = OrderAction::Cancel {
        note: "该问题属于市政管辖".into(),
    };
    inspector
        .store
        .act_on_order(&inspector.actor, &id, &cancel, Timestamp::now())
        .unwrap();
    inspector.sync().await;
    let (_, page) = html_of(&me, &path).await;
    assert!(
        !page.contains("id=\"urge\""),
        "no urge form on a cancelled order"
    );
    let (status, _, page) = post(&me, &urge, &[("csrf", &token), ("note", "再催")]).await;
    assert_eq!(status, 409);
    assert!(page.contains("整改单已经是“已撤销”状态"), "{page}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_report_escalated_on_a_phone_links_to_its_order_and_back() {
    use gridwalk_core::records::order::{NewOrder, NewOrderItem, Severity};

    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path());
    let worker = Device::sign_in(&server.url, "worker.a").await;
    worker.sync().await;
    let report = file_report(&worker, "消防通道被占用").await;
    // The compound's inspector receives the report and escalates it into an order.
    let inspector = Device::sign_in(&server.url, "inspector").await;
    inspector.sync().await;
    let order = inspector
        .store
        .escalate_report(
            &inspector.actor,
            &report,
            &NewOrder {
                title: "消防通道整改".into(),
                compound: "Q1".into(),
                company: "P01".into(),
                deadline: Timestamp(Timestamp::now().0 + 3 * Timestamp::DAY_MS),
                items: vec![NewOrderItem {
                    description: "清理消防通道".into(),
                    severity: Severity::Critical,
                    before_photos: vec![],
                }],
                from_report: None,
            },
            Timestamp::now(),
        )
        .unwrap();
    let synced = inspector.sync().await;
    assert!(synced.refused.is_empty(), "{:?}", synced.refused);

    let (me, _) = Browser::sign_in(&server.url, "supervisor").await;
    let (_, page) = html_of(&me, &format!("/web/reports/{report}")).await;
    assert!(
        page.contains(&format!("href=\"/web/orders/{order}\" id=\"order\"")),
        "{page}"
    );
    assert!(page.contains("转整改单"), "the escalation in the timeline");
    let (_, page) = html_of(&me, &format!("/web/orders/{order}")).await;
    assert!(
        page.contains(&format!(
            "href=\"/web/reports/{report}\" id=\"from-report\""
        )),
        "{page}"
    );
    // Another area's supervisor sees neither, nor a link.
    let (stranger, _) = Browser::sign_in(&server.url, "supervisor2").await;
    let (status, _) = html_of(&stranger, &format!("/web/orders/{order}")).await;
    assert_eq!(status, 403);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_conflict_resolved_on_the_web_ends_on_both_phones() {
    use gridwalk_core::records::household::HouseUse;

    let dir = tempfile::tempdir().unwrap();
    let server = server(dir.path());
    let ids = seed_households(dir.path(), "C01-G01", 1);
    let a = Device::sign_in(&server.url, "worker.a").await;
    let b = Device::sign_in(&server.url, "worker.a2").await;
    a.sync().await;
    b.sync().await;
    // Both phones change the house use offline: both values are kept, a conflict.
    a.store
        .set_house_use(&a.actor, &ids[0], &HouseUse::Rented, Timestamp::now())
        .unwrap();
    b.store
        .set_house_use(&b.actor, &ids[0], &HouseUse::Vacant, Timestamp::now())
        .unwrap();
    a.sync().await;
    b.sync().await;
    a.sync().await;
    assert_eq!(a.store.household(&ids[0]).unwrap().conflicts.len(), 1);

    let (me, _) = Browser::sign_in(&server.url, "supervisor").await;
    let path = format!("/web/households/{}", ids[0]);
    let (status, page) = html_of(&me, &path).await;
    assert_eq!(status, 200);
    assert!(page.contains("id=\"conflicts\""), "{page}");
    assert!(
        page.contains("房屋用途：离线修改冲突（出租 | 空置）"),
        "{page}"
    );
    let vacant = page
        .split("name=\"choice\" value=\"")
        .skip(1)
        .find(|o| o.contains("> 空置<"))
        .and_then(|o| o.split('"').next())
        .expect("空置 is a choice")
        .to_owned();
    let token = me.form_token().await;
    let resolve = format!("{path}/conflicts");
    let form = |shown: &'static str| {
        [
            ("csrf", token.clone()),
            ("field", "house_use".to_owned()),
            ("shown", shown.to_owned()),
            ("choice", vacant.clone()),
        ]
    };
    let send = |f: Vec<(&'static str, String)>| {
        let me = &me;
        let resolve = resolve.clone();
        async move {
            let refs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post(me, &resolve, &refs).await
        }
    };
    // A page showing other values than the conflict now has: not guessed at.
    let (status, _, page) = send(form("出租 | 自住").to_vec()).await;
    assert_eq!(status, 409);
    assert!(page.contains("这项冲突的值已有变化"), "{page}");
    // No token; another area.
    let (status, _, _) = send(vec![("field", "house_use".into())]).await;
    assert_eq!(status, 403);
    let (stranger, _) = Browser::sign_in(&server.url, "supervisor2").await;
    let stranger_token = stranger.form_token().await;
    let (status, _, _) = post(
        &stranger,
        &resolve,
        &[
            ("csrf", &stranger_token),
            ("field", "house_use"),
            ("shown", "出租 | 空置"),
            ("choice", &vacant),
        ],
    )
    .await;
    assert_eq!(status, 403);

    let (status, location, _) = send(form("出租 | 空置").to_vec()).await;
    assert_eq!(status, 303);
    assert_eq!(location, format!("{path}?done=resolve"));
    let (_, page) = html_of(&me, &location).await;
    assert!(page.contains("已采用所选值") && !page.contains("id=\"conflicts\""));
    // Both phones: the chosen value, no conflict.
    a.sync().await;
    b.sync().await;
    for phone in [&a, &b] {
        let h = phone.store.household(&ids[0]).unwrap();
        assert_eq!(h.house_use, HouseUse::Vacant);
        assert!(h.conflicts.is_empty(), "{:?}", h.conflicts);
    }
    // The same form again: the conflict is gone, and the page says so.
    let (status, _, page) = send(form("出租 | 空置").to_vec()).await;
    assert_eq!(status, 409);
    assert!(page.contains("这项冲突已经解决"), "{page}");
}
