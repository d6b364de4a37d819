//! Photos end to end: taken offline on one phone, byte-identical on another after both sync;
//! an upload cut half-way completes on retry; only those who may see the record get its photos;
//! a photo the server refuses, or whose file is gone, is set aside without stopping the sync.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use gridwalk_core::Timestamp;
use gridwalk_core::ids::RecordId;
use gridwalk_core::photos::PhotoOptions;
use gridwalk_core::photos::PhotoRef;
use gridwalk_core::records::household::{NewVisit, VisitPurpose};
use gridwalk_core::store::photos::{PhotoSource, PhotoState, UploadBlock};
use gridwalk_core::sync::client::{PHOTO_MISSING, PHOTO_REFUSED};
use gridwalk_tests::fault_proxy::{FaultProxy, Plan};
use gridwalk_tests::{Device, TestServer, seed_households};

fn photo(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/photos")
        .join(name)
}

fn bytes_of(device: &Device, hash: &str) -> Vec<u8> {
    device
        .store
        .photo_bytes(hash)
        .unwrap()
        .expect("the photo is on the device")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_photo_taken_offline_arrives_byte_identical_and_a_cut_upload_completes_on_retry() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let ids = seed_households(dir.path(), "C01-G01", 2);
    // The first two uploads (the thumbnail and the photo) are cut half-way through.
    let proxy = FaultProxy::start_with(
        server.addr(),
        Plan::CutUploads {
            remaining: AtomicU64::new(2),
        },
    )
    .await;

    let mut a = Device::sign_in(&server.url, "worker.a").await;
    a.reconnect(&proxy.url());
    a.sync().await;
    // Offline: a visit with a photo of a blocked stairwell.
    let taken = a
        .store
        .import_photo(
            &ids[0],
            PhotoSource::File(&photo("phone_nokia_8.3_gps.jpg")),
            &PhotoOptions::default(),
            Some(Timestamp::now()),
            None,
        )
        .unwrap();
    a.store
        .record_visit(
            &a.actor,
            &ids[0],
            &NewVisit {
                at: Timestamp::now(),
                purpose: VisitPurpose::Verification,
                notes: "楼道堆物".into(),
                location: None,
                photos: vec![taken.clone()],
            },
            Timestamp::now(),
        )
        .unwrap();

    // The record goes through, the first photo upload is cut half-way.
    let first = a.try_sync().await;
    assert!(
        matches!(first, Err(gridwalk_core::Error::Network { .. })),
        "{first:?}"
    );
    assert_eq!(
        a.store.pending_count().unwrap(),
        0,
        "the record synced before its photo"
    );
    assert!(a.store.photos_pending_upload().unwrap() >= 1);

    // Another worker sees the record; the photo is "not downloaded yet" where it is missing.
    let mut b = Device::sign_in(&server.url, "worker.a2").await;
    b.reconnect(&proxy.url());
    b.sync().await;
    let visit = &b.store.household(&ids[0]).unwrap().visits[0];
    assert_eq!(visit.photos, vec![taken.clone()]);
    assert_eq!(
        b.store.photo(&taken.full).unwrap(),
        PhotoState::NotDownloaded
    );
    let err = b
        .client
        .fetch_photo(b.store.clone(), &taken.full)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, gridwalk_core::Error::Server { status: 404, code, .. } if code == "not_uploaded_yet"),
        "half an upload is not a photo: {err:?}"
    );

    // Retries complete the uploads: the first one cut, the second cut, then through.
    let second = a.try_sync().await;
    assert!(second.is_err(), "the second upload is cut too: {second:?}");
    let report = a.sync().await;
    assert_eq!(report.progress.photos_up, 2);
    assert_eq!(a.store.photos_pending_upload().unwrap(), 0);

    // The server did not have the thumbnail a moment ago: an idle sync does not ask again, so
    // it stays one round trip.
    let requests = proxy.counts.connections.load(Ordering::SeqCst);
    let report = b.sync().await;
    assert_eq!(report.progress.photos_down, 0);
    assert_eq!(
        proxy.counts.connections.load(Ordering::SeqCst) - requests,
        1,
        "an idle sync is one request"
    );

    // Thumbnails come down once asked for again (after the wait, or a refresh); the full photo
    // when it is opened.
    b.store.retry_missing_thumbnails().unwrap();
    let report = b.sync().await;
    assert_eq!(report.progress.photos_down, 1);
    assert_eq!(bytes_of(&b, &taken.thumb), bytes_of(&a, &taken.thumb));
    assert_eq!(
        b.store.photo(&taken.full).unwrap(),
        PhotoState::NotDownloaded
    );
    let path = b
        .client
        .fetch_photo(b.store.clone(), &taken.full)
        .await
        .unwrap();
    assert_eq!(
        std::fs::read(path).unwrap(),
        bytes_of(&a, &taken.full),
        "byte-identical"
    );

    // Nobody outside the grid gets it.
    let other = Device::sign_in(&server.url, "worker.b").await;
    let err = other
        .client
        .fetch_photo(other.store.clone(), &taken.full)
        .await
        .unwrap_err();
    assert!(
        matches!(err, gridwalk_core::Error::Server { status: 403, .. }),
        "{err:?}"
    );
    // The server's output is read on a thread of its own: give the line a moment to arrive.
    assert!(
        server
            .wait_for_log(|l| l.contains("refused a photo outside the user's scope"))
            .await
    );

    // On the phone that took it, the photo stays while the record refers to it.
    assert_eq!(a.store.clean_up_photos().unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn damaged_uploads_are_refused_by_hash() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let ids = seed_households(dir.path(), "C01-G01", 1);
    let a = Device::sign_in(&server.url, "worker.a").await;
    a.sync().await;
    let taken = a
        .store
        .import_photo(
            &ids[0],
            PhotoSource::File(&photo("portrait_3.jpg")),
            &PhotoOptions::default(),
            None,
            None,
        )
        .unwrap();
    a.store
        .record_visit(
            &a.actor,
            &ids[0],
            &NewVisit {
                at: Timestamp::now(),
                purpose: VisitPurpose::Routine,
                notes: String::new(),
                location: None,
                photos: vec![taken.clone()],
            },
            Timestamp::now(),
        )
        .unwrap();
    // The record alone (no photo upload yet): push through the protocol by hand.
    let http = reqwest::Client::new();
    a.sync().await;
    let resp = http
        .put(format!("{}/v1/photos/{}", server.url, taken.full))
        .bearer_auth(a.client.token().unwrap())
        .body(b"not the photo".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    assert!(resp.text().await.unwrap().contains("hash_mismatch"));
    let resp = http
        .put(format!("{}/v1/photos/not-a-hash", server.url))
        .bearer_auth(a.client.token().unwrap())
        .body(b"x".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
}

/// Takes a photo in on `device` and records a visit to `household` with `photos`.
fn visit_with(device: &Device, household: &RecordId, photos: Vec<PhotoRef>) {
    device
        .store
        .record_visit(
            &device.actor,
            household,
            &NewVisit {
                at: Timestamp::now(),
                purpose: VisitPurpose::Routine,
                notes: "走访".into(),
                location: None,
                photos,
            },
            Timestamp::now(),
        )
        .unwrap();
}

fn take(device: &Device, household: &RecordId, name: &str) -> PhotoRef {
    device
        .store
        .import_photo(
            household,
            PhotoSource::File(&photo(name)),
            &PhotoOptions::default(),
            None,
            None,
        )
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_or_lost_photo_does_not_stop_the_sync_and_is_not_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let ids = seed_households(dir.path(), "C01-G01", 2);
    let proxy = FaultProxy::start(server.addr(), 0.0).await;
    let mut a = Device::sign_in(&server.url, "worker.a").await;
    a.reconnect(&proxy.url());
    a.sync().await;

    // While the worker is offline, a supervisor moves the first household to the other grid.
    let supervisor = Device::sign_in(&server.url, "supervisor").await;
    supervisor.sync().await;
    let mut address = supervisor.store.household(&ids[0]).unwrap().address;
    address.grid = "C01-G02".into();
    address.compound = "Q2".into();
    address.building = "B3".into();
    supervisor
        .store
        .set_address(&supervisor.actor, &ids[0], &address, Timestamp::now())
        .unwrap();
    assert!(supervisor.sync().await.refused.is_empty());

    // Offline: a photo of the moved household (the server will refuse its record, so the
    // photo too), a photo of the other, and one whose file is then lost.
    let refused = take(&a, &ids[0], "portrait_1.jpg");
    visit_with(&a, &ids[0], vec![refused.clone()]);
    let fine = take(&a, &ids[1], "portrait_2.jpg");
    let lost = take(&a, &ids[1], "landscape_1.jpg");
    visit_with(&a, &ids[1], vec![fine.clone(), lost.clone()]);
    std::fs::remove_file(a.store.photos_dir().join(&lost.full)).unwrap();

    let report = a.sync().await;
    let has =
        |id: &RecordId, code: &str| report.refused.iter().any(|r| &r.id == id && r.code == code);
    assert!(has(&ids[0], "out_of_scope"), "{:?}", report.refused);
    assert!(has(&ids[0], PHOTO_REFUSED), "{:?}", report.refused);
    assert!(has(&ids[1], PHOTO_MISSING), "{:?}", report.refused);
    assert_eq!(
        report.progress.photos_up, 3,
        "the other household's photo and the lost photo's thumbnail went up"
    );
    assert_eq!(
        a.store.photos_pending_upload().unwrap(),
        0,
        "set-aside photos are not waiting"
    );
    let mut blocked: Vec<(String, UploadBlock)> = a
        .store
        .blocked_photos()
        .unwrap()
        .into_iter()
        .map(|b| (b.hash, b.block))
        .collect();
    blocked.sort();
    let mut expected = vec![
        (refused.full.clone(), UploadBlock::Refused),
        (refused.thumb.clone(), UploadBlock::Refused),
        (lost.full.clone(), UploadBlock::Missing),
    ];
    expected.sort();
    assert_eq!(blocked, expected);

    // Another worker of the grid gets the thumbnails that went up.
    let b = Device::sign_in(&server.url, "worker.a2").await;
    b.sync().await;
    assert_eq!(bytes_of(&b, &fine.thumb), bytes_of(&a, &fine.thumb));
    assert_eq!(bytes_of(&b, &lost.thumb), bytes_of(&a, &lost.thumb));

    // Later syncs do not send the set-aside photos again: once settled, a sync is one request.
    let report = a.sync().await;
    assert_eq!(report.progress.photos_up, 0);
    assert!(
        !report.refused.iter().any(|r| r.code.starts_with("photo_")),
        "{:?}",
        report.refused
    );
    let requests = proxy.counts.connections.load(Ordering::SeqCst);
    a.sync().await;
    assert_eq!(
        proxy.counts.connections.load(Ordering::SeqCst) - requests,
        1,
        "an idle sync is one request"
    );
}

/// A photo the server refused (its record was out of the worker's scope) is tried again once
/// a record referring to it is acknowledged anew: the household comes back into the grid, the
/// refused visit is pushed again and accepted, and that sync uploads the photo, which a
/// colleague of the grid then receives.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_photo_goes_up_once_its_record_is_acknowledged_anew() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let ids = seed_households(dir.path(), "C01-G01", 1);
    let a = Device::sign_in(&server.url, "worker.a").await;
    a.sync().await;

    // While the worker is offline, a supervisor moves the household to the other grid.
    let supervisor = Device::sign_in(&server.url, "supervisor").await;
    supervisor.sync().await;
    let home = supervisor.store.household(&ids[0]).unwrap().address;
    let mut away = home.clone();
    away.grid = "C01-G02".into();
    away.compound = "Q2".into();
    away.building = "B3".into();
    supervisor
        .store
        .set_address(&supervisor.actor, &ids[0], &away, Timestamp::now())
        .unwrap();
    assert!(supervisor.sync().await.refused.is_empty());

    let taken = take(&a, &ids[0], "portrait_3.jpg");
    visit_with(&a, &ids[0], vec![taken.clone()]);
    let report = a.sync().await;
    assert!(
        report
            .refused
            .iter()
            .any(|r| r.id == ids[0] && r.code == PHOTO_REFUSED),
        "{:?}",
        report.refused
    );
    let blocked = |d: &Device| -> Vec<String> {
        let mut b: Vec<String> = d
            .store
            .blocked_photos()
            .unwrap()
            .into_iter()
            .map(|b| b.hash)
            .collect();
        b.sort();
        b
    };
    let mut both = vec![taken.full.clone(), taken.thumb.clone()];
    both.sort();
    assert_eq!(blocked(&a), both, "refused and set aside");

    // Refused again and again while the household is away: a later sync sends nothing.
    let report = a.sync().await;
    assert_eq!(report.progress.photos_up, 0);
    assert_eq!(blocked(&a), both, "not retried before an acknowledgement");

    // The household comes back into the worker's grid. The next sync pulls that (the record's
    // heads move past the refused ones, so the visit waits to be sent again); the photo stays
    // set aside until the server takes the record.
    supervisor
        .store
        .set_address(&supervisor.actor, &ids[0], &home, Timestamp::now())
        .unwrap();
    assert!(supervisor.sync().await.refused.is_empty());
    let report = a.sync().await;
    assert_eq!(report.progress.records_down, 1);
    assert_eq!(
        a.store.pending_count().unwrap(),
        1,
        "the visit waits to be sent again"
    );
    assert_eq!(blocked(&a), both);

    // The sync after pushes the visit, now accepted, and uploads the photo in the same sync.
    let report = a.sync().await;
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    assert_eq!(report.progress.records_up, 1);
    assert_eq!(
        report.progress.photos_up, 2,
        "the photo and its thumbnail went up"
    );
    assert!(blocked(&a).is_empty());
    assert_eq!(a.store.photos_pending_upload().unwrap(), 0);
    assert_eq!(
        a.store.pending_count().unwrap(),
        0,
        "the visit is acknowledged"
    );

    let b = Device::sign_in(&server.url, "worker.a2").await;
    b.sync().await;
    assert_eq!(bytes_of(&b, &taken.thumb), bytes_of(&a, &taken.thumb));
}

/// A record of one's own may name any hash; the bytes uploaded under it must still be a JPEG
/// the pipeline could have made (security issue: "any bytes are stored as a photo and served as
/// `image/jpeg`"). Judged from the header: a PNG claiming 20000×20000 is refused without being
/// decoded.
#[tokio::test(flavor = "multi_thread")]
async fn only_a_jpeg_within_the_pipelines_limits_is_stored_as_a_photo() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let ids = seed_households(dir.path(), "C01-G01", 1);
    let a = Device::sign_in(&server.url, "worker.a").await;
    a.sync().await;
    let mut png = Vec::new();
    png.extend_from_slice(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    png.extend_from_slice(&20000u32.to_be_bytes());
    png.extend_from_slice(&20000u32.to_be_bytes());
    png.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    let html = b"<html><script>alert(1)</script></html>".to_vec();
    for (bytes, what) in [(png, "a PNG bomb"), (html, "a web page")] {
        let hash = gridwalk_core::photos::content_hash(&bytes);
        let claimed = PhotoRef {
            full: hash.clone(),
            thumb: hash.clone(),
            width: 1600,
            height: 1200,
            taken_at: None,
            location: None,
        };
        visit_with(&a, &ids[0], vec![claimed]);
        a.sync().await;
        let resp = reqwest::Client::new()
            .put(format!("{}/v1/photos/{hash}", server.url))
            .bearer_auth(a.client.token().unwrap())
            .body(bytes)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 400, "{what}");
        assert!(resp.text().await.unwrap().contains("not_a_photo"), "{what}");
        let got = reqwest::Client::new()
            .get(format!("{}/v1/photos/{hash}", server.url))
            .bearer_auth(a.client.token().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(got.status().as_u16(), 404, "{what} was not stored");
    }
}

/// Naming a photo's hash in a record of one's own does not give the photo (security issue 12,
/// part 5): a worker of another grid writing it into his household, or an inspector into a
/// draft order, is refused; the readers of the record it was uploaded for still get it.
#[tokio::test(flavor = "multi_thread")]
async fn naming_another_grids_photo_hash_does_not_grant_the_photo() {
    use gridwalk_core::records::order::{NewOrder, NewOrderItem, Severity};
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let ids = seed_households(dir.path(), "C01-G01", 1);
    let a = Device::sign_in(&server.url, "worker.a").await;
    a.sync().await;
    let taken = take(&a, &ids[0], "phone_nokia_8.3_gps.jpg");
    visit_with(&a, &ids[0], vec![taken.clone()]);
    assert_eq!(a.sync().await.progress.photos_up, 2);

    // Worker B of grid 2 writes A's photo into a household of his own.
    let b = Device::sign_in(&server.url, "worker.b").await;
    b.sync().await;
    let his = b
        .store
        .create_household(
            &b.actor,
            &gridwalk_tests::household("C01-G02", "909"),
            Timestamp::now(),
        )
        .unwrap();
    visit_with(&b, &his, vec![taken.clone()]);
    let report = b.sync().await;
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    // The inspector names it in a draft order.
    let inspector = Device::sign_in(&server.url, "inspector").await;
    inspector.sync().await;
    inspector
        .store
        .create_order(
            &inspector.actor,
            &NewOrder {
                title: "借用的照片".into(),
                compound: "Q2".into(),
                company: "P01".into(),
                deadline: Timestamp(Timestamp::now().0 + 10 * Timestamp::DAY_MS),
                items: vec![NewOrderItem {
                    description: "消防通道".into(),
                    severity: Severity::Major,
                    before_photos: vec![taken.clone()],
                }],
                from_report: None,
            },
            Timestamp::now(),
        )
        .unwrap();
    let report = inspector.sync().await;
    assert!(report.refused.is_empty(), "{:?}", report.refused);

    for (who, device) in [("worker.b", &b), ("inspector", &inspector)] {
        for hash in [&taken.full, &taken.thumb] {
            let err = device
                .client
                .fetch_photo(device.store.clone(), hash)
                .await
                .unwrap_err();
            assert!(
                matches!(
                    err,
                    gridwalk_core::Error::Server {
                        status: 403 | 404,
                        ..
                    }
                ),
                "{who} got a photo by naming its hash: {err:?}"
            );
            assert!(
                !matches!(device.store.photo(hash).unwrap(), PhotoState::Local(_)),
                "{who} holds no copy"
            );
        }
    }
    // Nor does the sync bring B the thumbnail.
    b.store.retry_missing_thumbnails().unwrap();
    assert_eq!(b.sync().await.progress.photos_down, 0);

    // The legitimate readers still get it: another worker of grid 1 and the supervisor's page.
    let a2 = Device::sign_in(&server.url, "worker.a2").await;
    a2.sync().await;
    a2.client
        .fetch_photo(a2.store.clone(), &taken.full)
        .await
        .unwrap();
    assert_eq!(bytes_of(&a2, &taken.full), bytes_of(&a, &taken.full));
}

/// Photos leave the phone with their records (security issue 12, part 5): a worker moved to
/// another grid loses the old grid's households and their photo files from disk, those taken
/// on the phone and those downloaded alike.
#[tokio::test(flavor = "multi_thread")]
async fn a_worker_moved_to_another_grid_loses_the_old_grids_photo_files() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let ids = seed_households(dir.path(), "C01-G01", 1);
    let a = Device::sign_in(&server.url, "worker.a").await;
    a.sync().await;
    let taken = take(&a, &ids[0], "phone_nokia_8.3_gps.jpg");
    visit_with(&a, &ids[0], vec![taken.clone()]);
    assert_eq!(a.sync().await.progress.photos_up, 2);
    let a2 = Device::sign_in(&server.url, "worker.a2").await;
    a2.sync().await;
    a2.client
        .fetch_photo(a2.store.clone(), &taken.full)
        .await
        .unwrap();
    let files = |d: &Device| -> Vec<bool> {
        [&taken.full, &taken.thumb]
            .iter()
            .map(|h| d.store.photos_dir().join(h).exists())
            .collect()
    };
    assert_eq!(files(&a), [true, true]);
    assert_eq!(files(&a2), [true, true], "downloaded");

    let data =
        gridwalk_server::server::open_data(dir.path(), std::time::Duration::from_secs(60)).unwrap();
    for user in ["worker.a", "worker.a2"] {
        data.accounts
            .add_user(
                user,
                user,
                gridwalk_core::Role::GridWorker,
                gridwalk_tests::PASSWORD,
                &["grid:C01-G02".parse().unwrap()],
            )
            .unwrap();
    }
    for (who, d) in [("worker.a", &a), ("worker.a2", &a2)] {
        d.sync().await;
        assert!(
            d.store.household(&ids[0]).is_err(),
            "{who}: the household left the phone"
        );
        assert_eq!(
            files(d),
            [false, false],
            "{who}: and its photo files with it"
        );
        assert_eq!(
            d.store.photo(&taken.full).unwrap(),
            PhotoState::NotDownloaded
        );
    }
    // The server keeps them: the grid's new worker gets them.
    let a3 = Device::sign_in(&server.url, "worker.a3").await;
    a3.sync().await;
    a3.client
        .fetch_photo(a3.store.clone(), &taken.full)
        .await
        .unwrap();
}

/// An honest upload over a weak signal, 50 KB/s (the server's minimum average body rate is
/// 1 KB/s after 10 s), is taken whole: 1 MB here, 20 s, well past the grace. The photo is a
/// pipeline JPEG with padding after its end, which the header check does not read.
#[tokio::test(flavor = "multi_thread")]
async fn an_upload_at_fifty_kilobytes_a_second_is_taken_whole() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let ids = seed_households(dir.path(), "C01-G01", 1);
    let a = Device::sign_in(&server.url, "worker.a").await;
    a.sync().await;
    let taken = take(&a, &ids[0], "portrait_1.jpg");
    let mut bytes = bytes_of(&a, &taken.full);
    bytes.resize(1 << 20, 0);
    let hash = gridwalk_core::photos::content_hash(&bytes);
    visit_with(
        &a,
        &ids[0],
        vec![PhotoRef {
            full: hash.clone(),
            thumb: taken.thumb.clone(),
            ..taken.clone()
        }],
    );
    a.sync().await;
    let mut s = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    s.write_all(
        format!(
            "PUT /v1/photos/{hash} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {}\r\n\
             Content-Type: image/jpeg\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            a.client.token().unwrap(),
            bytes.len()
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let started = std::time::Instant::now();
    // 5 KB every 100 ms.
    for chunk in bytes.chunks(5 * 1024) {
        s.write_all(chunk).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(started.elapsed() >= std::time::Duration::from_secs(15));
    let mut answer = String::new();
    s.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let got = reqwest::Client::new()
        .get(format!("{}/v1/photos/{hash}", server.url))
        .bearer_auth(a.client.token().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(got.status().as_u16(), 200);
    assert_eq!(got.bytes().await.unwrap().len(), bytes.len());
}
