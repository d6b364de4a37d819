//! Untrusted bytes and stale credentials: each gets a clear 4xx, and the server stays up.

use std::time::Duration;

use gridwalk_core::RecordId;
use gridwalk_core::store::merge::{RecordChanges, RecordData};
use gridwalk_core::sync::wire::{self, ErrorBody, SyncRequest};
use gridwalk_tests::{Device, PASSWORD, TestServer, seed_households};
use rand::RngCore;

async fn post(url: &str, token: Option<&str>, body: Vec<u8>) -> (u16, Option<ErrorBody>) {
    let client = reqwest::Client::new();
    let mut req = client
        .post(format!("{url}/v1/sync"))
        .header("content-type", wire::CBOR)
        .body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.ok())
}

async fn healthy(url: &str) {
    let resp = reqwest::get(format!("{url}/health")).await.unwrap();
    assert_eq!(resp.status().as_u16(), 200, "the server is still up");
}

fn request(push: Vec<RecordChanges>) -> SyncRequest {
    SyncRequest {
        version: wire::PROTOCOL_VERSION,
        push,
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_requests_get_a_clear_4xx_and_the_server_stays_up() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with_env(dir.path(), &[("GRIDWALK_MAX_BODY_BYTES", "1048576")]);
    let ids = seed_households(dir.path(), "C01-G01", 2);
    let device = Device::sign_in(&server.url, "worker.a").await;
    let token = device.client.token().unwrap().to_owned();
    let url = &server.url;

    let (status, body) = post(url, Some(&token), b"this is not CBOR at all".to_vec()).await;
    assert_eq!(status, 400);
    assert_eq!(body.unwrap().code, "malformed_body");

    let mut future = request(Vec::new());
    future.version = 99;
    let (status, body) = post(url, Some(&token), wire::to_cbor(&future)).await;
    assert_eq!(status, 400);
    let body = body.unwrap();
    assert_eq!(body.code, "unsupported_version");
    assert!(body.message.contains("99"), "{}", body.message);

    let (status, _) = post(url, Some(&token), vec![0u8; 2 * 1024 * 1024]).await;
    assert_eq!(
        status, 413,
        "an oversized body is refused before it is read"
    );
    // A compressed bomb: 20 KB on the wire, 64 MB inflated. The limit is on what it inflates to.
    let bomb = zstd::encode_all(&vec![0u8; 64 * 1024 * 1024][..], 19).unwrap();
    assert!(bomb.len() < 100 * 1024);
    let resp = reqwest::Client::new()
        .post(format!("{url}/v1/sync"))
        .bearer_auth(&token)
        .header("content-type", wire::CBOR)
        .header("content-encoding", "zstd")
        .body(bomb)
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status().as_u16(),
        413,
        "a compressed bomb is cut off at the limit"
    );
    healthy(url).await;

    let mut rng = rand::rng();
    for data in [
        RecordData::Document({
            let mut b = vec![0u8; 4096];
            rng.fill_bytes(&mut b);
            b
        }),
        RecordData::Changes(vec![vec![0x85, 0x6f, 0x4a, 0x83, 1, 2, 3].into()]),
        RecordData::Document(Vec::new()),
    ] {
        let bad = request(vec![RecordChanges {
            id: ids[0].clone(),
            kind: "household".into(),
            data,
        }]);
        // Refused for that record alone: the rest of a sync goes on.
        let resp = reqwest::Client::new()
            .post(format!("{url}/v1/sync"))
            .bearer_auth(&token)
            .header("content-type", wire::CBOR)
            .body(wire::to_cbor(&bad))
            .send()
            .await
            .unwrap();
        assert_eq!(
            resp.status().as_u16(),
            200,
            "random bytes as automerge data"
        );
        let answer: wire::SyncResponse = wire::from_cbor(&resp.bytes().await.unwrap()).unwrap();
        assert!(answer.accepted.is_empty());
        assert_eq!(answer.refused.len(), 1);
        assert_eq!(answer.refused[0].code, "bad_changes");
    }
    let unknown_kind = request(vec![RecordChanges {
        id: RecordId::from("x"),
        kind: "spaceship".into(),
        data: RecordData::Changes(Vec::new()),
    }]);
    // A record of a kind this server does not know is refused on its own too.
    assert_eq!(
        post(url, Some(&token), wire::to_cbor(&unknown_kind))
            .await
            .0,
        200
    );

    let (status, body) = post(url, None, wire::to_cbor(&request(Vec::new()))).await;
    assert_eq!(status, 401);
    assert_eq!(body.unwrap().code, "unauthorized");
    assert_eq!(
        post(
            url,
            Some("not-a-token"),
            wire::to_cbor(&request(Vec::new()))
        )
        .await
        .0,
        401
    );

    healthy(url).await;
    device.sync().await;
    assert!(
        device.store.household(&ids[1]).is_ok(),
        "and still serves honest devices"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_and_revoked_tokens_and_wrong_passwords_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start_with_env(dir.path(), &[("GRIDWALK_TOKEN_TTL_SECS", "2")]);
    let device = Device::sign_in(&server.url, "worker.a").await;
    device.sync().await;
    // The token was given the configured lifetime…
    let lifetime: i64 = rusqlite::Connection::open(dir.path().join("accounts.db"))
        .unwrap()
        .query_row(
            "SELECT expires_at - created_at FROM token WHERE user_id = 'worker.a'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        lifetime, 2000,
        "GRIDWALK_TOKEN_TTL_SECS is the token's lifetime"
    );
    // …and once that has passed (written, not waited for: a loaded machine could take longer
    // than two seconds over the first sync), the token is refused.
    assert_eq!(gridwalk_tests::expire_tokens(dir.path(), "worker.a"), 1);
    match device.try_sync().await {
        Err(gridwalk_core::Error::Unauthorized { reason }) => {
            assert!(reason.contains("expired"), "{reason}")
        }
        other => panic!("an expired token synced: {other:?}"),
    }
    assert!(
        device
            .store
            .sync_status()
            .unwrap()
            .last_error
            .unwrap()
            .contains("expired")
    );

    let fresh = Device::sign_in(&server.url, "worker.a").await;
    let data = gridwalk_server::server::open_data(dir.path(), Duration::from_secs(60)).unwrap();
    assert!(
        data.accounts
            .revoke_tokens("worker.a", gridwalk_core::Timestamp::now())
            .unwrap()
            >= 1
    );
    match fresh.try_sync().await {
        Err(gridwalk_core::Error::Unauthorized { reason }) => {
            assert!(reason.contains("revoked"), "{reason}")
        }
        other => panic!("a revoked token synced: {other:?}"),
    }

    let mut client = gridwalk_core::sync::client::SyncClient::new(&server.url).unwrap();
    let err = client
        .login("worker.a", "wrong password", "d")
        .await
        .unwrap_err();
    assert!(
        matches!(err, gridwalk_core::Error::Unauthorized { .. }),
        "{err:?}"
    );
    for _ in 0..5 {
        let _ = client.login("worker.b", "wrong password", "d").await;
    }
    // Slowed down (the address's attempts and the user's failures), never refused.
    let started = std::time::Instant::now();
    client.login("worker.b", PASSWORD, "d").await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "the right password after failures is delayed"
    );
    healthy(&server.url).await;
}

/// Forged cursors cost one log line per request, never one per cursor (200,000 once wrote
/// 49 MB of log), and a request naming more scopes than any device holds is refused whole.
#[tokio::test(flavor = "multi_thread")]
async fn forged_cursors_cost_one_log_line_and_too_many_are_refused() {
    use gridwalk_core::sync::wire::ScopeCursor;
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    seed_households(dir.path(), "C01-G01", 1);
    let device = Device::sign_in(&server.url, "worker.a").await;
    let token = device.client.token().unwrap().to_owned();
    let forged = |n: usize| {
        let mut r = request(Vec::new());
        r.cursors = (0..n)
            .map(|i| {
                (
                    format!("grid:FORGED-{i:06}"),
                    ScopeCursor {
                        seq: 0,
                        snapshot_after: None,
                        tag: None,
                    },
                )
            })
            .collect();
        wire::to_cbor(&r)
    };
    let (status, _) = post(&server.url, Some(&token), forged(4000)).await;
    assert_eq!(
        status, 200,
        "cursors of scopes one does not hold are ignored"
    );
    // The server writes its log before it answers, and the test reads the server's output in
    // order on a thread of its own: once the line of a later request has arrived, every line
    // of this one has.
    let mut marker = request(Vec::new());
    marker.cursors = [(
        "grid:MARKER".to_owned(),
        ScopeCursor {
            seq: 0,
            snapshot_after: None,
            tag: None,
        },
    )]
    .into_iter()
    .collect();
    let (status, _) = post(&server.url, Some(&token), wire::to_cbor(&marker)).await;
    assert_eq!(status, 200);
    assert!(server.wait_for_log(|l| l.contains("MARKER")).await);
    let forged_lines = || {
        server
            .log()
            .into_iter()
            .filter(|l| l.contains("FORGED"))
            .count()
    };
    assert_eq!(
        forged_lines(),
        1,
        "one line for the request, not one per cursor"
    );

    let (status, body) = post(&server.url, Some(&token), forged(5000)).await;
    assert_eq!(status, 400);
    assert_eq!(body.unwrap().code, "too_many_cursors");
    healthy(&server.url).await;
}

/// The log scan every `TestServer` runs when dropped finds what it must and nothing else.
#[test]
fn the_log_scan_finds_id_numbers_and_mobiles_and_not_ids_or_times() {
    use gridwalk_tests::personal_data_in;
    assert!(personal_data_in(
        "refused resident 11010519491231002X for grid"
    ));
    assert!(personal_data_in("phone=13800138000"));
    assert!(personal_data_in("\"13912345678\""));
    for clean in [
        "device=fb7486031f396490b6b2138dac08343d",
        "2026-11-30T20:58:50.088201Z WARN refused pushed records",
        "log_id=1701234567890123 seq=13800138000123",
        "masked 110105********002X",
        "phone 138****8000",
        "record 01a22e3bd9527559ad6b2a96d9f3c525",
    ] {
        assert!(!personal_data_in(clean), "{clean}");
    }
}
