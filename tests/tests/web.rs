//! The supervisors' web pages over HTTP against a real server: sign in, a household with its
//! photo, overdue orders, a ledger with bad rows, and refusals outside one's area or role.

use std::path::PathBuf;

use gridwalk_core::Timestamp;
use gridwalk_core::photos::PhotoOptions;
use gridwalk_core::records::household::{NewVisit, VisitPurpose};
use gridwalk_core::records::order::{NewOrder, NewOrderItem, Severity};
use gridwalk_core::store::inspection::OrderAction;
use gridwalk_core::store::photos::PhotoSource;
use gridwalk_server::accounts::ScopeGrant;
use gridwalk_tests::web_client::Browser;
use gridwalk_tests::{Device, PASSWORD, TestServer, seed_households};

#[tokio::test(flavor = "multi_thread")]
async fn supervisors_see_their_area_and_only_their_area() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let ids = seed_households(dir.path(), "C01-G01", 3);
    {
        let data =
            gridwalk_server::server::open_data(dir.path(), std::time::Duration::from_secs(60))
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
    }

    // A worker's visit with a photo, and two orders, one overdue.
    let worker = Device::sign_in(&server.url, "worker.a").await;
    worker.sync().await;
    let photo_path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/photos/landscape_5.jpg");
    let photo = worker
        .store
        .import_photo(
            &ids[0],
            PhotoSource::File(&photo_path),
            &PhotoOptions::default(),
            None,
            None,
        )
        .unwrap();
    let visit = NewVisit {
        at: Timestamp::now(),
        purpose: VisitPurpose::Verification,
        notes: "楼道堆物已拍照".into(),
        location: None,
        photos: vec![photo.clone()],
    };
    worker
        .store
        .record_visit(&worker.actor, &ids[0], &visit, Timestamp::now())
        .unwrap();
    worker.sync().await;
    let inspector = Device::sign_in(&server.url, "inspector").await;
    for (title, days) in [("逾期的整改单", -3), ("未到期的整改单", 10)] {
        let order = NewOrder {
            title: title.into(),
            compound: "Q1".into(),
            company: "P01".into(),
            deadline: Timestamp(Timestamp::now().0 + days * Timestamp::DAY_MS),
            items: vec![NewOrderItem {
                description: "消防通道".into(),
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
    }
    inspector.sync().await;

    let (_, status) = Browser::sign_in(&server.url, "supervisor").await;
    assert_eq!(status, 303, "signed in and sent to the overview");
    let (me, _) = Browser::sign_in(&server.url, "supervisor").await;
    let (status, overview) = me.get("/web").await;
    assert_eq!(status, 200);
    assert!(
        overview.contains("第一网格") && overview.contains("走访覆盖"),
        "Chinese by default"
    );
    assert!(
        overview.contains("/web/workers/worker.a"),
        "the area's worker's device is listed with its last sync"
    );
    let (_, english) = me.get("/web?lang=en").await;
    assert!(english.contains("Visit coverage"));

    // The household with its photo.
    let (status, page) = me.get(&format!("/web/households/{}", ids[0])).await;
    assert_eq!(status, 200);
    assert!(page.contains("楼道堆物已拍照"));
    assert!(
        page.contains(&format!("/web/photos/{}", photo.thumb)),
        "the photo is on the page"
    );
    let resp = me
        .http
        .get(format!("{}/web/photos/{}", me.base, photo.thumb))
        .header("cookie", &me.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["content-type"], "image/jpeg");

    // Overdue orders only.
    let (_, overdue) = me.get("/web/orders?filter=overdue").await;
    assert!(overdue.contains("逾期的整改单") && !overdue.contains("未到期的整改单"));
    let (_, all) = me.get("/web/orders").await;
    assert!(all.contains("逾期的整改单") && all.contains("未到期的整改单"));

    // A ledger with bad rows: each listed with its reason.
    let ledger = "社区,网格,小区,楼栋,单元,房号,房屋用途,姓名,身份证号,电话\n\
                  C01,C01-G01,Q1,B1,3,301,自住,钱一,110101198503070013,13800138000\n\
                  C01,C01-G01,Q1,B1,3,302,自住,孙二,110105194912310021,\n\
                  C01,C01-G01,Q1,B1,3,303,自住,李三,,abc\n\
                  C01,C01-G01,Q1,B7,3,304,自住,周四,,\n";
    let token = me.form_token().await;
    let resp = me
        .upload_ledger("台账.csv", ledger.as_bytes().to_vec())
        .await;
    assert_eq!(resp.status().as_u16(), 200);
    let preview = resp.text().await.unwrap();
    // Every reason in the reader's language (zh-CN by default), none in English.
    for reason in ["校验位错误", "电话号码", "楼栋 B7 不存在"] {
        assert!(preview.contains(reason), "{reason} listed");
    }
    for english in ["check digit", "bad phone", "unknown building"] {
        assert!(!preview.contains(english), "{english} on a Chinese page");
    }
    let upload = preview
        .split("name=\"upload\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    // The refused rows as an XLSX to fix and upload again: 周四, with the reason in Chinese;
    // for the supervisor who uploaded it only. (李三's phone "abc" is imported, to be checked
    // at the door.)
    let download = |who: &Browser, path: String| {
        who.http
            .get(format!("{}{path}", who.base))
            .header("cookie", &who.cookie)
            .send()
    };
    let resp = download(&me, format!("/web/ledger/bad-rows/{upload}"))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let disposition = resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
    let sheet = first_sheet(&resp.bytes().await.unwrap());
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0].last().unwrap(), "原因");
    assert_eq!(rows[1][7], "周四");
    assert!(rows[1][13].contains("楼栋 B7 不存在"), "{rows:?}");
    let (stranger, _) = Browser::sign_in(&server.url, "supervisor2").await;
    let resp = download(&stranger, format!("/web/ledger/bad-rows/{upload}"))
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404, "another supervisor's preview");
    let resp = me
        .http
        .post(format!("{}/web/ledger/commit", me.base))
        .header("cookie", &me.cookie)
        .form(&[("upload", upload.as_str()), ("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    // 孙二's wrong check digit and 李三's phone are imported, to be checked at the door; 周四
    // (no such building) is not.
    assert_eq!(resp.headers()["location"], "/web/ledger?committed=3");
    let (_, export) = me.get("/web/export/residents.csv").await;
    assert!(export.contains("钱一") && export.contains("110101198503070013"));
    let resp = download(&me, "/web/export/residents.xlsx".into())
        .await
        .unwrap();
    let disposition = resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    // 居民台账_<area>_<time>.xlsx, percent-encoded.
    assert!(
        disposition.contains("filename*=UTF-8''%E5%B1%85%E6%B0%91%E5%8F%B0%E8%B4%A6_")
            && disposition.ends_with(".xlsx"),
        "{disposition}"
    );
    let sheet = first_sheet(&resp.bytes().await.unwrap());
    assert!(sheet.rows().any(|r| matches!(&r[8],
        calamine::Data::String(id) if id == "110101198503070013")));
    let (status, _) = me.get("/web/ledger/template.xlsx").await;
    assert_eq!(status, 200);
    // Findings and visits download too; 孙二's wrong check digit is a finding, in Chinese.
    let (status, findings) = me.get("/web/export/findings.csv").await;
    assert_eq!(status, 200);
    assert!(
        findings.contains("孙二") && findings.contains("身份证号码有误"),
        "{findings}"
    );
    let (status, _) = me.get("/web/export/visits.xlsx").await;
    assert_eq!(status, 200);
    // The page offers XLSX first, and CSV as what it is: for other systems.
    let (_, page) = me.get("/web/ledger").await;
    let (xlsx, csv) = (
        page.find("/web/export/visits.xlsx").unwrap(),
        page.find("/web/export/visits.csv").unwrap(),
    );
    assert!(xlsx < csv && page.contains("供其他系统"), "{page}");
    let exported: Vec<String> = server
        .log()
        .into_iter()
        .filter(|l| l.contains("ledger exported"))
        .collect();
    assert!(exported.len() >= 5, "{exported:?}");
    assert!(
        exported
            .iter()
            .all(|l| !l.contains("110101198503070013") && !l.contains("钱一")),
        "the log says who exported what, never the data"
    );

    // Another area's supervisor is refused, page by page; a grid worker gets no pages at all.
    let (other, _) = Browser::sign_in(&server.url, "supervisor2").await;
    let (status, _) = other.get(&format!("/web/households/{}", ids[0])).await;
    assert_eq!(status, 403);
    let (status, _) = other.get(&format!("/web/photos/{}", photo.thumb)).await;
    assert_eq!(status, 403);
    let (status, _) = other.get("/web/households?grid=C01-G01").await;
    assert_eq!(status, 403);
    let (status, theirs) = other.get("/web").await;
    assert_eq!(status, 200);
    assert!(
        !theirs.contains("worker.a"),
        "another area's supervisor does not learn who works here, nor when they synced"
    );
    let (_, ratings) = other.get("/web/ratings").await;
    assert!(
        !ratings.contains("P01"),
        "nor how this area's companies are rated"
    );
    let (_, ratings) = me.get("/web/ratings").await;
    assert!(ratings.contains("P01"), "the area's own company is rated");
    let (_, trail) = other.get("/web/workers/worker.a").await;
    assert!(!trail.contains("楼道堆物已拍照"), "nor what they did");
    assert!(
        server
            .log()
            .iter()
            .any(|l| l.contains("refused a page outside the user's area"))
    );
    let (w, _) = Browser::sign_in(&server.url, "worker.a").await;
    assert_eq!(w.get("/web").await.0, 403);

    // Signing out ends that session only: the same supervisor signed in elsewhere stays in.
    let (elsewhere, _) = Browser::sign_in(&server.url, "supervisor").await;
    let (status, _) = me.post_form("/web/logout", &[("csrf", &token)]).await;
    assert_eq!(status, 303);
    assert_eq!(
        me.get("/web").await.0,
        303,
        "the signed-out session is over"
    );
    assert_eq!(
        elsewhere.get("/web").await.0,
        200,
        "the other session is not"
    );
    let (anonymous, _) = Browser::sign_in(&server.url, "nobody").await;
    assert_eq!(
        anonymous.get("/web").await.0,
        303,
        "no session: to the login page"
    );
}

/// Every answer carries the headers that keep pages from being framed, sniffed or made to load
/// another site's resources (security issue, "web and HTTP").
#[tokio::test(flavor = "multi_thread")]
async fn pages_and_answers_carry_the_security_headers() {
    let dir = tempfile::tempdir().unwrap();
    let server = gridwalk_tests::TestServer::start(dir.path());
    for path in ["/web/login", "/health", "/v1/photos/not-a-hash"] {
        let resp = reqwest::get(format!("{}{path}", server.url)).await.unwrap();
        let h = resp.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("default-src 'self'"),
            "{path}: {csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
    }
}

/// The session cookie is HttpOnly and SameSite always, and `Secure` when the server is told it
/// is served over TLS (`--secure-cookies`, for a TLS proxy in front of it).
#[tokio::test(flavor = "multi_thread")]
async fn the_session_cookie_is_secure_when_served_over_tls() {
    for (secure, env) in [
        (false, vec![]),
        (true, vec![("GRIDWALK_SECURE_COOKIES", "true")]),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let server = gridwalk_tests::TestServer::start_with_env(dir.path(), &env);
        let http = gridwalk_tests::web_client::http();
        let form = http
            .get(format!("{}/web/login", server.url))
            .send()
            .await
            .unwrap();
        let login_cookie = gridwalk_tests::web_client::set_cookie(&form, "gw_login").unwrap();
        let token = gridwalk_tests::web_client::form_token(&form.text().await.unwrap()).unwrap();
        let resp = http
            .post(format!("{}/web/login", server.url))
            .header("cookie", login_cookie)
            .form(&[
                ("username", "supervisor"),
                ("password", PASSWORD),
                ("csrf", token.as_str()),
            ])
            .send()
            .await
            .unwrap();
        let cookie = resp
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("gw_session="))
            .expect("a session cookie")
            .to_owned();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        assert_eq!(cookie.contains("; Secure"), secure, "{cookie}");
    }
}

/// The first sheet of an XLSX download, as calamine reads it.
fn first_sheet(bytes: &[u8]) -> calamine::Range<calamine::Data> {
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    book.worksheet_range_at(0).unwrap().unwrap()
}
