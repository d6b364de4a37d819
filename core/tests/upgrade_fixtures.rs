//! Upgrades from real old databases: each fixture under `tests/fixtures/schema-NN/` was made by
//! the code of an earlier commit (`scripts/make-fixture`, see `tests/fixtures/README.md`): a
//! grid worker's phone after real pushes and pulls against a server store, holding unsent and
//! refused changes, cursors, the photo upload queue, thumbnails it lacks, an order, a report
//! and visits with photos. Each is opened with today's code and every piece is checked: the
//! device state that cannot be rebuilt from documents must come through every migration
//! unchanged, and the unsent changes must still push.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use common::*;
use gridwalk_core::photos::content_hash;
use gridwalk_core::records::view::RecordView;
use gridwalk_core::rules::order::OrderStatus;
use gridwalk_core::rules::report::ReportStatus;
use gridwalk_core::store::change_log::PushOutcome;
use gridwalk_core::store::migrations::latest_version;
use gridwalk_core::store::photos::{PhotoState, UploadBlock};
use gridwalk_core::store::{StoreKind, StoreOptions};
use gridwalk_core::{RecordId, Store, Timestamp};
use rusqlite::Connection;

/// Every fixture, oldest first. A new migration adds its own (ARCHITECTURE.md, "Migrations").
const FIXTURES: &[&str] = &[
    "schema-06",
    "schema-14",
    "schema-15",
    "schema-16",
    "schema-17",
];

/// What the generators write, as they write it (scripts/fixtures/era-*.rs).
const UNSENT_NOTES: &str = "未发送的备注";
const REFUSED_NOTES: &str = "被拒绝的备注";
const REFUSAL: &str = "not allowed: fixture refusal";

/// A fixture copied to a temporary folder.
struct Fixture {
    name: &'static str,
    dir: tempfile::TempDir,
    manifest: BTreeMap<String, String>,
}

impl Fixture {
    fn copy(name: &'static str) -> Fixture {
        let src = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&src, dir.path());
        let manifest = std::fs::read_to_string(dir.path().join("manifest.txt"))
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        Fixture {
            name,
            dir,
            manifest,
        }
    }
    fn device_path(&self) -> PathBuf {
        self.dir.path().join("device.db")
    }
    fn id(&self, key: &str) -> RecordId {
        RecordId::from_string(self.manifest[key].clone())
    }
    fn hashes(&self, key: &str) -> Vec<String> {
        self.manifest
            .get(key)
            .map(|v| v.split(' ').map(str::to_owned).collect())
            .unwrap_or_default()
    }
    fn ids(&self, key: &str) -> BTreeSet<RecordId> {
        self.hashes(key)
            .into_iter()
            .map(RecordId::from_string)
            .collect()
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// The device state no rebuild can bring back, as rows of text: which changes the server has
/// and refused, the cursors, the last sync, the photos and their upload state, the thumbnail
/// misses. Only the columns the old schema already had.
fn device_state(path: &Path) -> Vec<String> {
    let conn = Connection::open(path).unwrap();
    let has = |t: &str| -> bool {
        conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
            [t],
            |r| r.get(0),
        )
        .unwrap()
    };
    let mut out = Vec::new();
    for (table, sql) in [
        (
            "document",
            "SELECT id, kind, heads, acked_heads, refused_heads, refusal FROM document",
        ),
        (
            "sync_cursor",
            "SELECT scope, seq, snapshot_after FROM sync_cursor",
        ),
        (
            "sync_status",
            "SELECT id, last_success_at, last_error_at, last_error FROM sync_status",
        ),
        (
            "photo",
            "SELECT hash, role, width, height, bytes, owner_record, uploaded, created_at FROM photo",
        ),
        (
            "thumbnail_miss",
            "SELECT hash, status, misses, retry_at FROM thumbnail_miss",
        ),
        (
            "meta",
            "SELECT key, value FROM meta WHERE key IN ('actor', 'device_id')",
        ),
    ] {
        if !has(table) {
            continue;
        }
        let mut st = conn.prepare(sql).unwrap();
        let n = st.column_count();
        let mut rows: Vec<String> = st
            .query_map([], |r| {
                Ok((0..n)
                    .map(|i| cell(r.get_ref(i).unwrap()))
                    .collect::<Vec<_>>()
                    .join(" | "))
            })
            .unwrap()
            .map(|r| format!("{table}: {}", r.unwrap()))
            .collect();
        rows.sort();
        out.extend(rows);
    }
    out
}

/// A cell as text a reader can compare: text as itself, blobs in hex.
fn cell(v: rusqlite::types::ValueRef<'_>) -> String {
    use rusqlite::types::ValueRef;
    match v {
        ValueRef::Null => "NULL".into(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(t) => format!("{:?}", String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => b.iter().map(|x| format!("{x:02x}")).collect(),
    }
}

fn server(dir: &Path) -> Store {
    Store::open_with(
        dir.join("server.db"),
        StoreOptions {
            kind: StoreKind::Server,
            readers: 1,
        },
    )
    .unwrap()
}

fn household_notes(store: &Store, id: &RecordId) -> String {
    store.household(id).unwrap().notes
}

#[test]
fn every_fixture_upgrades_with_its_device_state_intact() {
    for name in FIXTURES {
        check_fixture(&Fixture::copy(name));
    }
}

fn check_fixture(fx: &Fixture) {
    let name = fx.name;
    let path = fx.device_path();
    let old_state = device_state(&path);
    assert!(
        !old_state.is_empty(),
        "{name}: no device state read from {} (is the fixture's device.db committed? *.db files \
         are ignored except under core/tests/fixtures)",
        path.display()
    );

    let device = Store::open(&path).unwrap();
    let version: u32 = Connection::open(&path)
        .unwrap()
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(
        version,
        latest_version(),
        "{name}: upgraded to the latest schema"
    );
    assert_eq!(
        device_state(&path),
        old_state,
        "{name}: acknowledgements, refusals, cursors, sync status and photos kept as they were"
    );
    assert_eq!(
        device.device_id().unwrap(),
        fx.manifest["device_id"],
        "{name}"
    );
    // 0018's duplicate ID numbers: filled from the residents as they stood.
    let conn = Connection::open(&path).unwrap();
    let rows = |sql: &str| -> Vec<(String, i64)> {
        conn.prepare(sql)
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(
        rows("SELECT id_number, households FROM duplicate_id_number ORDER BY 1"),
        rows(
            "SELECT id_number, COUNT(DISTINCT household_id) FROM resident
             WHERE moved_out = 0 AND id_valid = 1 GROUP BY id_number
             HAVING COUNT(DISTINCT household_id) > 1 ORDER BY 1"
        ),
        "{name}: duplicate ID numbers counted"
    );

    // Unsent changes: still unsent; the refused one still refused, with its reason.
    let (acked, queued, refused, unsent) = (
        fx.id("household.acked"),
        fx.id("household.queued"),
        fx.id("household.refused"),
        fx.id("household.unsent"),
    );
    let outbox: BTreeSet<RecordId> = device
        .outbox(1 << 20)
        .unwrap()
        .into_iter()
        .map(|o| o.changes.id)
        .collect();
    let expected_outbox = fx.ids("outbox");
    assert!(expected_outbox.contains(&acked) && expected_outbox.contains(&unsent));
    assert_eq!(outbox, expected_outbox, "{name}: outbox");
    assert_eq!(
        device.pending_count().unwrap() as usize,
        outbox.len(),
        "{name}"
    );
    let status = device.sync_status().unwrap();
    assert_eq!(
        status.refused,
        vec![(refused.clone(), REFUSAL.to_owned())],
        "{name}"
    );
    assert!(status.last_success_at.is_some(), "{name}: last sync kept");
    assert_eq!(household_notes(&device, &acked), UNSENT_NOTES);
    assert_eq!(household_notes(&device, &refused), REFUSED_NOTES);

    // Cursors: kept, each at the seq the old code saved.
    let cursors = device.sync_cursors().unwrap();
    let expected: BTreeMap<String, u64> = fx
        .manifest
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("cursor.")?.to_owned(), v.parse().unwrap())))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(
        cursors
            .iter()
            .map(|(s, c)| (s.clone(), c.seq))
            .collect::<BTreeMap<_, _>>(),
        expected,
        "{name}: cursors kept"
    );
    for (scope, c) in &cursors {
        // Servers before schema 11 sent no tag: none is made up.
        let tag = fx.manifest.get(&format!("cursor_tag.{scope}"));
        assert_eq!(
            format!("{:?}", c.tag),
            tag.map_or("None", String::as_str),
            "{name}: {scope} tag"
        );
    }

    // Photos: uploaded ones stay uploaded; the queue is intact, and every file on the device
    // is readable with the hash it is named by.
    let uploaded = fx.hashes("photo.uploaded");
    let queue = fx.hashes("photo.queued");
    for hash in uploaded.iter().chain(&queue) {
        let bytes = device.photo_bytes(hash).unwrap().expect("the file is kept");
        assert_eq!(&content_hash(&bytes), hash, "{name}");
        assert!(
            matches!(device.photo(hash).unwrap(), PhotoState::Local(_)),
            "{name}"
        );
    }
    assert_eq!(
        device.photos_pending_upload().unwrap() as usize,
        queue.len(),
        "{name}"
    );
    // The photos of the acknowledged household go now; those of the unsent one after it.
    let mut ready = queue[..2].to_vec();
    ready.sort();
    let mut to_upload = device.photos_to_upload().unwrap();
    to_upload.sort();
    assert_eq!(to_upload, ready, "{name}: upload queue");

    // A photo the server refused: still blocked, with its reason and record, not waiting.
    let blocked = fx.hashes("photo.blocked");
    if let [full, thumb] = &blocked[..] {
        let listed = device.blocked_photos().unwrap();
        assert_eq!(listed.len(), 1, "{name}");
        assert_eq!(
            (
                &listed[0].hash,
                listed[0].block,
                &listed[0].reason[..],
                &listed[0].records
            ),
            (
                full,
                UploadBlock::Refused,
                "403 forbidden",
                &vec![fx.id("household.blocked")]
            ),
            "{name}: refused photo"
        );
        assert!(!device.photos_to_upload().unwrap().contains(full));
        for hash in [full, thumb] {
            let bytes = device.photo_bytes(hash).unwrap().expect("kept");
            assert_eq!(&content_hash(&bytes), hash, "{name}");
        }
    } else {
        assert!(device.blocked_photos().unwrap().is_empty());
    }

    // Thumbnails the device lacks: still listed, and asked for when their back-off allows.
    let order_thumb = fx.hashes("photo.order")[1].clone();
    assert_eq!(
        device.missing_thumbnails().unwrap(),
        vec![order_thumb.clone()],
        "{name}"
    );
    let ask_from = fx
        .manifest
        .get("thumb.retry_at")
        .map_or(NOW, |t| Timestamp(t.parse().unwrap()));
    if ask_from != NOW {
        assert!(
            device
                .thumbnails_to_download(Timestamp(ask_from.0 - 1))
                .unwrap()
                .is_empty(),
            "{name}: the back-off of a miss is kept"
        );
    }
    assert_eq!(
        device.thumbnails_to_download(ask_from).unwrap(),
        vec![order_thumb.clone()],
        "{name}"
    );

    // Orders, reports, visits: readable with their values.
    let order = device.order(&fx.id("order")).unwrap();
    assert_eq!(order.state.status, OrderStatus::Issued, "{name}");
    assert_eq!(order.order.title, "消防通道堆物");
    assert_eq!(order.order.from_report.as_ref(), Some(&fx.id("report")));
    let report = device.report(&fx.id("report")).unwrap();
    assert_eq!(report.state.status, ReportStatus::Reported, "{name}");
    assert_eq!(report.report.description, "楼道堆放杂物");
    // 0017: the report's events listed in `report_event`, rebuilt from the document, in its
    // order (the fixtures' reports have none yet: this shows the table made and consistent).
    let listed: Vec<(String, String)> = Connection::open(&path)
        .unwrap()
        .prepare("SELECT kind, by_user FROM report_event WHERE report_id = ?1 ORDER BY seq")
        .unwrap()
        .query_map([fx.id("report").to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let events: Vec<(String, String)> = report
        .report
        .events
        .iter()
        .map(|e| (e.kind.clone(), e.by.clone()))
        .collect();
    assert_eq!(listed, events, "{name}: report_event rebuilt on upgrade");
    for (household, visit, notes, photos) in [
        (&acked, "visit.acked", "已上传照片的走访", &uploaded[..]),
        (&queued, "visit.queued", "照片待上传的走访", &queue[..2]),
        (&unsent, "visit.unsent", "未发送的走访", &queue[2..]),
    ] {
        let h = device.household(household).unwrap();
        assert_eq!(h.visits.len(), 1, "{name}");
        let v = &h.visits[0];
        assert_eq!(v.id.to_string(), fx.manifest[visit]);
        assert_eq!(v.notes, notes);
        assert_eq!(
            [v.photos[0].full.clone(), v.photos[0].thumb.clone()],
            photos,
            "{name}: visit photos"
        );
    }
    if let [full, thumb] = &blocked[..] {
        let h = device.household(&fx.id("household.blocked")).unwrap();
        let p = &h.visits[0].photos[0];
        assert_eq!([&p.full, &p.thumb], [full, thumb], "{name}");
    }
    let conn = Connection::open(&path).unwrap();
    let visit_rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM visit WHERE photos = 1", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(
        visit_rows,
        3 + blocked.len() as i64 / 2,
        "{name}: visit list"
    );
    drop(conn);

    // Projections: equal to a fresh rebuild by today's code.
    drop(device);
    let rebuilt = fx.dir.path().join("rebuilt.db");
    std::fs::copy(&path, &rebuilt).unwrap();
    Connection::open(&rebuilt)
        .unwrap()
        .execute(
            "INSERT INTO meta (key, value) VALUES ('needs_reproject', 1)",
            [],
        )
        .unwrap();
    drop(Store::open(&rebuilt).unwrap());
    assert_eq!(
        projection_dump(&path),
        projection_dump(&rebuilt),
        "{name}: projections"
    );

    // The unsent changes push (to the fixture's server, upgraded too) with the same content.
    let device = Store::open(&path).unwrap();
    let server = server(fx.dir.path());
    let now = Timestamp(NOW.0 + Timestamp::DAY_MS);
    for out in device.outbox(1 << 20).unwrap() {
        let id = out.changes.id.clone();
        let outcome = server
            .accept_pushed(
                &worker(),
                &fx.manifest["device_id"],
                &out.changes,
                &|_| true,
                now,
            )
            .unwrap();
        assert_eq!(outcome, PushOutcome::Accepted, "{name}: {id}");
        device
            .mark_acknowledged(&[(id.clone(), out.heads)])
            .unwrap();
        let (RecordView::Household(on_server), RecordView::Household(here)) =
            (server.record(&id).unwrap(), device.record(&id).unwrap())
        else {
            panic!("{name}: {id} is a household");
        };
        assert_eq!(on_server, here, "{name}: {id} arrived as the device has it");
    }
    assert_eq!(household_notes(&server, &acked), UNSENT_NOTES);
    assert_eq!(device.pending_count().unwrap(), 0, "{name}");
    assert_eq!(
        device.sync_status().unwrap().refused.len(),
        1,
        "{name}: still refused"
    );
    let mut all_queued = queue.clone();
    all_queued.sort();
    let mut to_upload = device.photos_to_upload().unwrap();
    to_upload.sort();
    // The refused photo too, its record being acknowledged anew.
    all_queued.extend(blocked.first().cloned());
    all_queued.sort();
    assert_eq!(
        to_upload, all_queued,
        "{name}: the unsent visit's photos go after it"
    );
    assert!(device.blocked_photos().unwrap().is_empty(), "{name}");

    // The kept cursors pull only what the server took since: the order, cancelled.
    let page = server
        .pull(
            &cursors.keys().cloned().collect::<Vec<_>>(),
            &cursors,
            &fx.manifest["device_id"],
            1 << 20,
        )
        .unwrap();
    let pulled: Vec<RecordId> = page.records.iter().map(|r| r.id.clone()).collect();
    assert_eq!(
        pulled,
        vec![fx.id("order")],
        "{name}: no download from the start"
    );
    device.apply_pulled(&page.records, now).unwrap();
    device.set_sync_cursors(&page.cursors).unwrap();
    assert_eq!(
        device.order(&fx.id("order")).unwrap().state.status,
        OrderStatus::Cancelled,
        "{name}"
    );
}
