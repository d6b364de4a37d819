//! A phone that dies mid-sync, at each step of it: a child process (`sync_killed`) works
//! offline, syncs with a real server and kills itself with SIGKILL at one named kill point of
//! the sync client (core feature `failpoints`); the phone then starts again and syncs.
//! Nothing written is lost, nothing is applied twice, the cursors are where they should be
//! (a further sync moves nothing, and one new change on the server comes down once), and the
//! photo cut off mid-upload arrives whole.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use gridwalk_core::records::household::{NewVisit, VisitPurpose};
use gridwalk_core::store::queries::AddressScope;
use gridwalk_core::sync::client::SyncClient;
use gridwalk_core::{RecordId, Store, Timestamp};
use gridwalk_tests::fault_proxy::FaultProxy;
use gridwalk_tests::{Device, PASSWORD, TestServer, seed_households};
use sha2::Digest;

/// Households on the server before the phone's first sync.
const SEEDED: usize = 120;
/// A small pull page (bytes), so every sync here pulls in several pages.
const PULL_BUDGET: &str = "4000";
/// Visits a colleague's phone pushes while this one is offline: pulled in the killed sync.
const PEER_VISITS: usize = 80;

/// What the child wrote before it synced.
#[derive(Default)]
struct Written {
    households: BTreeSet<RecordId>,
    visits: BTreeMap<RecordId, Vec<String>>,
    photos: Vec<String>,
    synced: bool,
}

fn photo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/photos/landscape_1.jpg")
}

fn visit(notes: &str) -> NewVisit {
    NewVisit {
        at: Timestamp::now(),
        purpose: VisitPurpose::Routine,
        notes: notes.into(),
        location: None,
        photos: Vec::new(),
    }
}

/// `(id, heads)` of every record in a store file.
fn documents(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut st = conn.prepare("SELECT id, heads FROM document").unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// Entries of the server's change log for one record (changes, not `whole` markers).
fn log_entries(server: &TestServer, id: &RecordId) -> i64 {
    rusqlite::Connection::open(server.data_dir.join("records.db"))
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM change_log WHERE doc_id = ?1 AND whole = 0",
            [id.as_str()],
            |r| r.get(0),
        )
        .unwrap()
}

/// Runs the child with `point` armed at its `pass`-th passage; returns what it wrote.
fn run_child(url: &str, store: &Path, token: &str, point: &str, pass: u32) -> Written {
    let out = Command::new(env!("CARGO_BIN_EXE_sync_killed"))
        .args([
            store.to_str().unwrap(),
            url,
            token,
            "worker.a",
            "7",
            photo().to_str().unwrap(),
        ])
        .env(gridwalk_core::kill_point::ENV, format!("{point}:{pass}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Died of its own kill point: not a panic (exit 101), not an error, not a crash elsewhere.
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&out.status),
        Some(libc::SIGKILL),
        "{point}:{pass}: the child did not die by SIGKILL: {:?}\n{stderr}",
        out.status
    );
    assert!(
        stderr.contains(&format!("gridwalk kill point {point}\n")),
        "{point}:{pass}: the child died elsewhere than at its kill point:\n{stderr}"
    );
    let mut written = Written::default();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let parts: Vec<&str> = line.split_whitespace().collect();
        match parts.as_slice() {
            ["household", id] => {
                written.households.insert(RecordId::from(*id));
            }
            ["visit", id, vid] => written
                .visits
                .entry(RecordId::from(*id))
                .or_default()
                .push(vid.to_string()),
            ["photo", full, thumb] => {
                written.photos.extend([full.to_string(), thumb.to_string()]);
            }
            ["synced"] => written.synced = true,
            _ => panic!("unexpected line {line:?}"),
        }
    }
    assert!(
        !written.synced,
        "{point}:{pass}: the sync ended before the kill"
    );
    assert_eq!(
        written.photos.len(),
        2,
        "{point}:{pass}: the child wrote its day's work"
    );
    written
}

/// One phone killed at `point` (its `pass`-th passage), restarted and synced: every promise.
async fn killed_at(point: &str, pass: u32) {
    let dir = tempfile::tempdir().unwrap();
    let server =
        TestServer::start_with_env(dir.path(), &[("GRIDWALK_PULL_BUDGET_BYTES", PULL_BUDGET)]);
    let seeded = seed_households(dir.path(), "C01-G01", SEEDED);

    // The phone signs in and downloads its grid, then goes offline.
    let phone_dir = tempfile::tempdir().unwrap();
    let phone_path = phone_dir.path().join("device.db");
    let token = {
        let store = Arc::new(Store::open(&phone_path).unwrap());
        let mut client = SyncClient::new(&server.url).unwrap();
        client
            .login("worker.a", PASSWORD, &store.device_id().unwrap())
            .await
            .unwrap();
        let first = client.sync(store, &|_| {}).await.unwrap();
        assert!(
            first.progress.round_trips >= 10,
            "the download takes many pages"
        );
        client.token().unwrap().to_owned()
    };
    // Meanwhile a colleague visits many households: the phone pulls these in the killed sync.
    let peer = Device::sign_in(&server.url, "worker.a2").await;
    peer.sync().await;
    for (n, id) in seeded.iter().cycle().take(PEER_VISITS).enumerate() {
        peer.store
            .record_visit(
                &peer.actor,
                id,
                &visit(&format!("同事走访 {n}")),
                Timestamp::now(),
            )
            .unwrap();
    }
    peer.sync().await;

    // The child talks to the server through a proxy that passes everything and notes the
    // requests it gave up part-way.
    let proxy = FaultProxy::start(server.addr(), 0.0).await;
    let (url, path, t, p) = (
        proxy.url(),
        phone_path.clone(),
        token.clone(),
        point.to_owned(),
    );
    let written = tokio::task::spawn_blocking(move || run_child(&url, &path, &t, &p, pass))
        .await
        .unwrap();
    if point == "photo.mid_upload" {
        // Part of the photo was on the wire when the phone died, not all of it.
        let abandoned = proxy.counts.abandoned.lock().unwrap().clone();
        let cut = abandoned
            .iter()
            .find(|(line, _)| line.starts_with("PUT /v1/photos/"))
            .unwrap_or_else(|| panic!("{point}:{pass}: no upload was cut: {abandoned:?}"));
        let hash = &cut.0["PUT /v1/photos/".len()..cut.0.len() - " HTTP/1.1".len()];
        let size = std::fs::metadata(phone_path.with_file_name("device.db.photos").join(hash))
            .map(|m| m.len() as usize);
        eprintln!(
            "{point}:{pass}: {} of {size:?} bytes of photo {hash} sent",
            cut.1
        );
        assert!(
            cut.1 > 0 && size.as_ref().is_ok_and(|size| cut.1 < *size),
            "{point}:{pass}: the upload was cut part-way: {cut:?} of {size:?}"
        );
    }

    // The phone starts again and syncs.
    let store = Arc::new(Store::open(&phone_path).unwrap());
    let client = SyncClient::with_token(&server.url, &token).unwrap();
    let report = client.sync(store.clone(), &|_| {}).await.unwrap();
    assert!(
        report.refused.is_empty(),
        "{point}:{pass}: {:?}",
        report.refused
    );
    assert_eq!(report.pending, 0, "{point}:{pass}");
    assert_eq!(store.photos_pending_upload().unwrap(), 0, "{point}:{pass}");

    // The phone's records are the server's, change for change.
    let device_docs = documents(&phone_path);
    let server_docs = documents(&server.data_dir.join("records.db"));
    assert_eq!(
        device_docs.len(),
        SEEDED + written.households.len(),
        "{point}:{pass}: every record on the phone"
    );
    for (id, heads) in &device_docs {
        assert_eq!(
            server_docs.get(id),
            Some(heads),
            "{point}:{pass}: record {id} differs between phone and server"
        );
    }
    assert_eq!(server_docs.len(), device_docs.len(), "{point}:{pass}");

    // Every write is there once: each new household's log holds its creation and its visits,
    // no more; each visit is in its household once; the colleague's visits came down once.
    for id in &written.households {
        let visits = written.visits.get(id).map_or(0, Vec::len) as i64;
        assert_eq!(
            log_entries(&server, id),
            1 + visits,
            "{point}:{pass}: log of {id}"
        );
    }
    for (id, vids) in &written.visits {
        let h = store.household(id).unwrap();
        for vid in vids {
            let n = h.visits.iter().filter(|v| v.id.as_str() == vid).count();
            assert_eq!(
                n, 1,
                "{point}:{pass}: visit {vid} of {id} is there {n} times"
            );
        }
    }
    let peer_visits: usize = store
        .list_households(&AddressScope::Grid("C01-G01".into()), 0, 100_000)
        .unwrap()
        .households
        .iter()
        .map(|s| {
            store
                .household(&s.id)
                .unwrap()
                .visits
                .iter()
                .filter(|v| v.notes.starts_with("同事走访"))
                .count()
        })
        .sum();
    assert_eq!(
        peer_visits, PEER_VISITS,
        "{point}:{pass}: the colleague's visits"
    );

    // The cursors are right: a further sync moves nothing, and one new change comes down once.
    let again = client.sync(store.clone(), &|_| {}).await.unwrap();
    assert_eq!(
        (again.progress.records_up, again.progress.records_down),
        (0, 0),
        "{point}:{pass}: a further sync moved records"
    );
    peer.sync().await;
    peer.store
        .record_visit(
            &peer.actor,
            &seeded[0],
            &visit("同事走访 最后"),
            Timestamp::now(),
        )
        .unwrap();
    peer.sync().await;
    let last = client.sync(store.clone(), &|_| {}).await.unwrap();
    assert_eq!(
        (last.progress.records_up, last.progress.records_down),
        (0, 1),
        "{point}:{pass}: one new change, pulled once"
    );

    // The photo and its thumbnail are on the server whole: the server's bytes hash to their names.
    let http = reqwest::Client::new();
    for hash in &written.photos {
        let resp = http
            .get(format!("{}/v1/photos/{hash}", server.url))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{point}:{pass}: photo {hash}");
        let bytes = resp.bytes().await.unwrap();
        assert_eq!(
            format!("{:x}", sha2::Sha256::digest(&bytes)),
            *hash,
            "{point}:{pass}: the photo arrived whole"
        );
    }
    eprintln!(
        "{point}:{pass}: killed after writing {} households and {} visits; the restarted sync \
         took {} round trips; nothing lost, nothing twice",
        written.households.len(),
        written.visits.values().map(Vec::len).sum::<usize>(),
        report.progress.round_trips
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_before_the_first_request() {
    killed_at("sync.before_request", 1).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_after_the_server_took_the_first_push_before_the_phone_recorded_it() {
    killed_at("sync.answer_received", 1).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_after_the_server_took_the_second_push_before_the_phone_recorded_it() {
    killed_at("sync.answer_received", 2).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_after_acknowledgements_before_the_pulled_page_is_applied() {
    killed_at("sync.acks_recorded", 2).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_after_a_pulled_page_is_applied_before_its_cursor_is_saved() {
    killed_at("sync.before_cursor_save", 3).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_between_pulled_pages() {
    killed_at("sync.round_done", 2).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_during_the_first_photo_upload() {
    killed_at("photo.mid_upload", 1).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_during_the_second_photo_upload() {
    killed_at("photo.mid_upload", 2).await;
}
