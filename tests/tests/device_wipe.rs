//! Remote wipe end to end (issue 17, part 5): an administrator orders a lost phone wiped with
//! `gridwalk-server admin wipe-device DEVICE`; at its next sync the phone erases its encrypted
//! store (database, WAL, shared memory) and its photos, even with changes unsent, and says so;
//! other phones sync on untouched.

use std::path::PathBuf;
use std::sync::Arc;

use gridwalk_core::photos::PhotoOptions;
use gridwalk_core::store::StoreKey;
use gridwalk_core::store::photos::PhotoSource;
use gridwalk_core::sync::client::SyncClient;
use gridwalk_core::{Error, Store, Timestamp};
use gridwalk_tests::{Device, PASSWORD, TestServer, admin, seed_households};

fn sibling(path: &std::path::Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_phone_ordered_wiped_erases_its_store_and_photos_at_its_next_sync() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let ids = seed_households(dir.path(), "C01-G01", 3);

    // The lost phone: an encrypted store, synced, then a visit with a photo not yet sent.
    let phone_dir = tempfile::tempdir().unwrap();
    let path = phone_dir.path().join("device.db");
    let store = Arc::new(Store::open_encrypted(&path, &StoreKey::generate()).unwrap());
    let mut client = SyncClient::new(&server.url).unwrap();
    let device = store.device_id().unwrap();
    client.login("worker.a", PASSWORD, &device).await.unwrap();
    client.sync(store.clone(), &|_| {}).await.unwrap();
    assert_eq!(store.household(&ids[0]).unwrap().id, ids[0]);
    let jpeg = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/photos/landscape_0.jpg"),
    )
    .unwrap();
    let photo = store
        .import_photo(
            &ids[0],
            PhotoSource::Bytes(&jpeg),
            &PhotoOptions::default(),
            None,
            None,
        )
        .unwrap();
    assert!(store.photos_dir().join(&photo.full).exists());
    assert!(path.exists() && sibling(&path, "-wal").exists());

    // Another phone of the same grid.
    let other = Device::sign_in(&server.url, "worker.a2").await;
    other.sync().await;

    let out = admin(dir.path(), &["wipe-device", &device]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("will be wiped"));

    let err = client.sync(store.clone(), &|_| {}).await.unwrap_err();
    assert!(matches!(err, Error::DeviceWiped), "{err:?}");
    assert_eq!(err.code(), "sync.device_wiped");
    for file in [path.clone(), sibling(&path, "-wal"), sibling(&path, "-shm")] {
        assert!(!file.exists(), "{} is still there", file.display());
    }
    assert!(!store.photos_dir().exists(), "the photos are still there");
    assert!(store.household(&ids[0]).is_err(), "the store still answers");
    let left: Vec<_> = std::fs::read_dir(phone_dir.path()).unwrap().collect();
    assert!(left.is_empty(), "files left: {left:?}");
    assert!(
        server
            .log()
            .iter()
            .any(|l| l.contains("wipe order delivered")),
        "the server logs the delivery"
    );

    // The order stays: the same device id gets nothing more, whatever it sends.
    let again = Store::open(phone_dir.path().join("copy.db")).unwrap();
    let _ = again.device_id();
    let err = client.sync(Arc::new(again), &|_| {}).await.unwrap_err();
    assert!(matches!(err, Error::DeviceWiped), "{err:?}");

    // Everyone else syncs on.
    other
        .store
        .set_notes(&other.actor, &ids[1], "三楼有人", Timestamp::now())
        .unwrap();
    assert_eq!(other.sync().await.pending, 0);
}
