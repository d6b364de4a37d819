//! Photos end to end: taken offline on one phone, byte-identical on another after both sync;
//! an upload cut half-way completes on retry; only those who may see the record get its photos.

use std::path::PathBuf;
use std::sync::atomic::AtomicU64;

use gridwalk_core::Timestamp;
use gridwalk_core::photos::PhotoOptions;
use gridwalk_core::records::household::{NewVisit, VisitPurpose};
use gridwalk_core::store::photos::{PhotoSource, PhotoState};
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
    let b = Device::sign_in(&server.url, "worker.a2").await;
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

    // Thumbnails come down with the next sync; the full photo when it is opened.
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
    assert!(
        server
            .log()
            .iter()
            .any(|l| l.contains("refused a photo outside the user's scope"))
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
