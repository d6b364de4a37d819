//! The ledger page against a real server: a preview waits for its commit in the database (it
//! survives a restart, and says so when it has expired), and a file of many bad rows lists the
//! first few hundred with the total.

use gridwalk_tests::TestServer;
use gridwalk_tests::web_client::Browser;

const HEADER: &str = "社区,网格,小区,楼栋,单元,房号,房屋用途,姓名,身份证号码,联系电话\n";

/// Uploads `ledger` as a CSV: (status, page, upload id).
async fn preview(me: &Browser, ledger: &str) -> (u16, String, String) {
    let resp = me
        .upload_ledger("台账.csv", ledger.as_bytes().to_vec())
        .await;
    let status = resp.status().as_u16();
    let page = resp.text().await.unwrap();
    let upload = page
        .split("name=\"upload\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_owned();
    (status, page, upload)
}

async fn commit(me: &Browser, upload: &str) -> (u16, String, String) {
    let token = me.form_token().await;
    let resp = me
        .http
        .post(format!("{}/web/ledger/commit", me.base))
        .header("cookie", &me.cookie)
        .form(&[("upload", upload), ("csrf", token.as_str())])
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location, resp.text().await.unwrap_or_default())
}

fn previews_in(data_dir: &std::path::Path) -> i64 {
    let db = rusqlite::Connection::open(data_dir.join("accounts.db")).unwrap();
    db.query_row("SELECT count(*) FROM ledger_preview", [], |r| r.get(0))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_preview_survives_a_restart_and_says_when_it_has_expired() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path());
    let ledger = format!(
        "{HEADER}阳光社区,第一网格,阳光花园,1号楼,1,101,自住,钱一,,\n\
         阳光社区,第一网格,阳光花园,1号楼,1,102,自住,孙二,,\n"
    );
    let (me, _) = Browser::sign_in(&server.url, "supervisor").await;
    let (status, _, upload) = preview(&me, &ledger).await;
    assert_eq!(status, 200);
    assert!(!upload.is_empty());
    assert_eq!(previews_in(dir.path()), 1, "the preview is in accounts.db");

    server.restart();
    let (me, _) = Browser::sign_in(&server.url, "supervisor").await;
    let (status, location, _) = commit(&me, &upload).await;
    assert_eq!(
        (status, location.as_str()),
        (303, "/web/ledger?committed=2")
    );
    assert_eq!(previews_in(dir.path()), 0, "a committed preview is gone");
    let (status, _, _) = commit(&me, &upload).await;
    assert_eq!(status, 404, "a preview commits once");

    // A preview whose hour is over (its expiry moved into the past while the server is down)
    // says so, and its row is removed.
    let (_, _, upload) = preview(&me, &ledger).await;
    server.restart_with(|data_dir| {
        let db = rusqlite::Connection::open(data_dir.join("accounts.db")).unwrap();
        let hour_ago = gridwalk_core::Timestamp::now().0 - 3_600_000;
        db.execute("UPDATE ledger_preview SET expires_at = ?1", [hour_ago])
            .unwrap();
    });
    let (me, _) = Browser::sign_in(&server.url, "supervisor").await;
    let (status, _, page) = commit(&me, &upload).await;
    assert_eq!(status, 404);
    assert!(page.contains("预览已过期"), "{page}");
    assert_eq!(previews_in(dir.path()), 0, "the expired preview is removed");
}

#[tokio::test(flavor = "multi_thread")]
async fn many_bad_rows_list_the_first_few_hundred_with_the_total() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let mut ledger = HEADER.to_owned();
    for i in 0..450 {
        // An ID number whose digits the spreadsheet destroyed: refused.
        ledger.push_str(&format!(
            "阳光社区,第一网格,阳光花园,1号楼,1,{i},自住,某{i},1.10101199001011E+17,\n"
        ));
    }
    let (me, _) = Browser::sign_in(&server.url, "supervisor").await;
    let (status, page, _) = preview(&me, &ledger).await;
    assert_eq!(status, 200);
    assert_eq!(page.matches("<tr class=\"bad\">").count(), 300);
    assert!(page.contains("问题行: 450"), "the count of all bad rows");
    assert!(
        page.contains("仅列出前 300 行，共 450 行"),
        "the page says it lists only some"
    );
}
