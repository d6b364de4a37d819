//! A sync server restored from a backup: devices find out and heal, and nothing is lost or
//! doubled. Restores by `admin restore` (a new log identity), by copying the data directory
//! back (same identity: cursors beyond the log's end), and the hard one: a stale cursor that
//! new writes have overtaken before its device syncs (caught by the cursor's tag).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use gridwalk_core::photos::PhotoOptions;
use gridwalk_core::records::household::{NewVisit, VisitPurpose};
use gridwalk_core::store::photos::{PhotoSource, PhotoState};
use gridwalk_core::store::queries::AddressScope;
use gridwalk_core::{RecordId, Timestamp};
use gridwalk_tests::{Device, TestServer, admin, household, seed, seed_households};

fn visit(notes: &str, photos: Vec<gridwalk_core::photos::PhotoRef>) -> NewVisit {
    NewVisit {
        at: Timestamp::now(),
        purpose: VisitPurpose::Routine,
        notes: notes.into(),
        location: None,
        photos,
    }
}

fn households(device: &Device) -> BTreeSet<RecordId> {
    device
        .store
        .list_households(&AddressScope::Grid("C01-G01".into()), 0, 10_000)
        .unwrap()
        .households
        .into_iter()
        .map(|h| h.id)
        .collect()
}

fn visit_notes(device: &Device, id: &RecordId) -> Vec<String> {
    let mut notes: Vec<String> = device
        .store
        .household(id)
        .unwrap()
        .visits
        .into_iter()
        .map(|v| v.notes)
        .collect();
    notes.sort();
    notes
}

fn create(device: &Device, room: &str) -> RecordId {
    device
        .store
        .create_household(&device.actor, &household("C01-G01", room), Timestamp::now())
        .unwrap()
}

/// Every device holds exactly `expected`, the same documents, nothing waiting.
fn assert_converged(devices: &[&Device], expected: &BTreeSet<RecordId>) {
    for d in devices {
        assert_eq!(&households(d), expected, "every household, once");
        assert_eq!(d.store.pending_count().unwrap(), 0);
        assert!(!d.store.is_healing().unwrap());
        for id in expected {
            assert_eq!(
                d.store.household(id).unwrap(),
                devices[0].store.household(id).unwrap()
            );
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// What an administrator does with last night's copy of the data directory: everything in it
/// replaced by the copy (the server is stopped).
fn copy_back(backup: &Path, data_dir: &Path) {
    std::fs::remove_dir_all(data_dir).unwrap();
    copy_dir(backup, data_dir);
}

fn server_log_end(data_dir: &Path) -> u64 {
    let conn = rusqlite::Connection::open_with_flags(
        data_dir.join("records.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    conn.query_row("SELECT MAX(seq) FROM change_log", [], |r| {
        r.get::<_, i64>(0)
    })
    .unwrap() as u64
}

fn photo_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/photos/phone_nokia_8.3_gps.jpg")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_restored_by_the_admin_command_heals_both_phones() {
    let dir = tempfile::tempdir().unwrap();
    let backups = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path());
    let seeded = seed_households(dir.path(), "C01-G01", 3);
    let a = Device::sign_in(&server.url, "worker.a").await;
    let b = Device::sign_in(&server.url, "worker.a2").await;
    a.sync().await;
    b.sync().await;

    // Last night's backup, taken while the server serves.
    let backup = backups.path().join("records.backup");
    let out = admin(dir.path(), &["backup", "--to", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");

    // The day's work: households 4 and 5 and a visit, on the server and both phones.
    let h4 = create(&a, "4");
    a.store
        .record_visit(
            &a.actor,
            &seeded[0],
            &visit("备份之后", Vec::new()),
            Timestamp::now(),
        )
        .unwrap();
    a.sync().await;
    let h5 = create(&b, "5");
    b.sync().await;
    a.sync().await;
    assert_eq!(households(&a).len(), 5);
    assert_eq!(households(&b).len(), 5);

    // Restoring under a running server is refused; stopped, it goes through.
    let out = admin(dir.path(), &["restore", "--from", backup.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("stop it first"),
        "{out:?}"
    );
    server.restart_with(|d| {
        let out = admin(d, &["restore", "--from", backup.to_str().unwrap()]);
        assert!(out.status.success(), "{out:?}");
    });

    // Phone A finds a new log: it downloads again and re-sends only what the server lacks
    // (households 4 and 5 whole, the visit's changes), not the three the server still has.
    let healed = a.sync().await;
    assert!(healed.healed, "{healed:?}");
    assert_eq!(healed.progress.records_up, 3, "{healed:?}");
    assert!(
        server
            .log()
            .iter()
            .any(|l| l.contains("another change log"))
    );
    // A household created after the restore, on phone B, reaches phone A.
    let h6 = create(&b, "6");
    let healed = b.sync().await;
    assert!(healed.healed);
    assert_eq!(
        healed.progress.records_up, 1,
        "only household 6: A sent the rest"
    );
    a.sync().await;
    assert!(!a.sync().await.healed, "healed once, then an ordinary sync");

    let c = Device::sign_in(&server.url, "worker.a3").await;
    c.sync().await;
    let expected: BTreeSet<RecordId> = seeded.iter().cloned().chain([h4, h5, h6]).collect();
    assert_converged(&[&a, &b, &c], &expected);
    assert_eq!(
        visit_notes(&c, &seeded[0]),
        vec!["备份之后".to_owned()],
        "once"
    );

    // The sync answer carries the server's clock: on one machine the offset is small.
    let offset = a
        .store
        .sync_status()
        .unwrap()
        .clock_offset_ms
        .expect("measured");
    assert!(offset.abs() < 2_000, "{offset}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_data_directory_copied_back_heals_both_phones_and_gets_its_photos_again() {
    let dir = tempfile::tempdir().unwrap();
    let backups = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path());
    let seeded = seed_households(dir.path(), "C01-G01", 3);
    let a = Device::sign_in(&server.url, "worker.a").await;
    let b = Device::sign_in(&server.url, "worker.a2").await;
    a.sync().await;
    b.sync().await;
    // Last night's copy of the whole data directory (records, photos, accounts).
    let night = backups.path().join("night");
    server.restart_with(|d| copy_dir(d, &night));

    let taken = a
        .store
        .import_photo(
            &seeded[0],
            PhotoSource::File(&photo_file()),
            &PhotoOptions::default(),
            Some(Timestamp::now()),
            None,
        )
        .unwrap();
    a.store
        .record_visit(
            &a.actor,
            &seeded[0],
            &visit("楼道堆物", vec![taken.clone()]),
            Timestamp::now(),
        )
        .unwrap();
    let h4 = create(&a, "4");
    assert_eq!(a.sync().await.progress.photos_up, 2);
    let h5 = create(&b, "5");
    b.sync().await;
    a.sync().await;

    // Same log identity: the cursors beyond the log's end give it away.
    server.restart_with(|d| copy_back(&night, d));
    let healed = a.sync().await;
    assert!(healed.healed);
    assert_eq!(
        healed.progress.records_up, 2,
        "its visit and household 4 taken, B's household 5 refused: {healed:?}"
    );
    assert_eq!(
        healed.progress.photos_up, 2,
        "the photo and its thumbnail, again"
    );
    assert!(server.log().iter().any(|l| l.contains("went back in time")));
    // B's household, which A holds, is B's to re-send: a server copied back by hand (not by
    // `admin restore`, which lets devices relay each other's changes for a while) takes from
    // each phone only its own changes, so no colleague can push changes in another phone's name.
    assert!(
        healed.refused.iter().any(|r| r.id == h5
            && r.message
                .as_ref()
                .is_some_and(|m| m.code == "record.foreign_author")),
        "{healed:?}"
    );

    let h6 = create(&b, "6");
    let healed = b.sync().await;
    assert!(healed.healed);
    assert_eq!(
        healed.progress.records_up, 2,
        "households 5 and 6, both B's"
    );
    assert_eq!(
        healed.progress.photos_up, 0,
        "B asked about the thumbnail it had, and the server had it again"
    );
    a.sync().await;

    let c = Device::sign_in(&server.url, "worker.a3").await;
    c.sync().await;
    let expected: BTreeSet<RecordId> = seeded.iter().cloned().chain([h4, h5, h6]).collect();
    assert_converged(&[&a, &b, &c], &expected);
    assert!(matches!(
        c.store.photo(&taken.thumb).unwrap(),
        PhotoState::Local(_)
    ));
    let full = c
        .client
        .fetch_photo(c.store.clone(), &taken.full)
        .await
        .unwrap();
    assert_eq!(
        std::fs::read(full).unwrap(),
        a.store.photo_bytes(&taken.full).unwrap().unwrap()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_cursor_overtaken_by_new_writes_is_still_caught() {
    let dir = tempfile::tempdir().unwrap();
    let backups = tempfile::tempdir().unwrap();
    let mut server = TestServer::start(dir.path());
    let seeded = seed_households(dir.path(), "C01-G01", 3);
    let a = Device::sign_in(&server.url, "worker.a").await;
    let b = Device::sign_in(&server.url, "worker.a2").await;
    a.sync().await;
    b.sync().await;
    let night = backups.path().join("night");
    server.restart_with(|d| copy_dir(d, &night));

    // A's day, lost by the restore: its cursor ends past the backup's log.
    let mut expected: BTreeSet<RecordId> = seeded.iter().cloned().collect();
    for room in ["a1", "a2", "a3"] {
        expected.insert(create(&a, room));
    }
    a.sync().await;
    server.restart_with(|d| copy_back(&night, d));

    // B, whose cursor is from before the backup (still valid), writes first: the log grows
    // past A's cursor, with entries A has never seen at the numbers A has.
    for room in ["b1", "b2", "b3", "b4", "b5"] {
        expected.insert(create(&b, room));
    }
    assert!(!b.sync().await.healed, "B's cursor is of this history");
    let a_cursor = a.store.sync_cursors().unwrap()["grid:C01-G01"].seq;
    assert!(
        server_log_end(dir.path()) >= a_cursor,
        "the hard case: A's cursor is inside the log again"
    );

    let healed = a.sync().await;
    assert!(healed.healed, "the cursor's tag names another entry");
    assert_eq!(healed.progress.records_up, 3);
    b.sync().await;
    assert_converged(&[&a, &b], &expected);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_sync_at_eight_scopes_stays_under_a_kilobyte_each_way() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    // Two more grids and compounds: a supervisor of C01 then has 4 grids and 4 compounds.
    {
        use gridwalk_core::records::reference::{ReferenceItem, ReferenceKind};
        let data =
            gridwalk_server::server::open_data(dir.path(), std::time::Duration::from_secs(60))
                .unwrap();
        let place = |kind, id: &str, name: &str| ReferenceItem::new(kind, id, Some("C01"), name);
        data.store
            .add_reference(&[
                place(ReferenceKind::Grid, "C01-G03", "第三网格"),
                place(ReferenceKind::Grid, "C01-G04", "第四网格"),
                place(ReferenceKind::Compound, "Q3", "幸福里").in_grid("C01-G03"),
                place(ReferenceKind::Compound, "Q4", "和平小区").in_grid("C01-G04"),
            ])
            .unwrap();
    }
    let server = TestServer::start(dir.path());
    seed_households(dir.path(), "C01-G01", 20);
    let s = Device::sign_in(&server.url, "supervisor").await;
    s.sync().await;
    assert_eq!(s.store.sync_cursors().unwrap().len(), 8);
    let idle = s.sync().await;
    println!(
        "idle sync at 8 scopes: {} B up, {} B down",
        idle.progress.bytes_up, idle.progress.bytes_down
    );
    assert_eq!(idle.progress.round_trips, 1);
    assert!(
        idle.progress.bytes_up < 1024 && idle.progress.bytes_down < 1024,
        "{:?}",
        idle.progress
    );
}
