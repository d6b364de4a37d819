//! Schema migrations: a database upgraded from an older version equals a fresh one, schema
//! and contents.

mod common;

use common::*;
use gridwalk_core::demo::{self, CommunitySpec};
use gridwalk_core::records::household::{NewVisit, VisitPurpose};
use gridwalk_core::rules::household::Validation;
use gridwalk_core::store::migrations::{self, latest_version};
use gridwalk_core::{Error, Store};
use rusqlite::Connection;

fn schema(path: &std::path::Path) -> Vec<String> {
    let conn = Connection::open(path).unwrap();
    let mut out: Vec<String> = conn
        .prepare("SELECT type || ' ' || name || ' ' || COALESCE(sql, '') FROM sqlite_master ORDER BY type, name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for t in tables {
        let mut st = conn.prepare(&format!("PRAGMA table_info({t})")).unwrap();
        let cols = st
            .query_map([], |r| {
                Ok(format!(
                    "{t}.{} {} notnull={} default={:?} pk={}",
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, i64>(5)?
                ))
            })
            .unwrap();
        out.extend(cols.map(Result::unwrap));
    }
    let version: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    out.push(format!("user_version {version}"));
    out
}

/// A store at `current` written by this version, with a visit, and the same records in a
/// database at `old` left at version 1 by an older app (documents, households and residents
/// only).
fn current_and_v1_copy(current: &std::path::Path, old: &std::path::Path) {
    let community = demo::community(&CommunitySpec {
        households: 60,
        households_per_building: 20,
        buildings_per_compound: 3,
        ..CommunitySpec::device_scale(3)
    });
    {
        let store = Store::open(current).unwrap();
        let ids = store
            .import_households(
                &supervisor(),
                &community.households,
                Validation::Ledger,
                NOW,
            )
            .unwrap();
        store
            .set_notes(&worker(), &ids[0], "升级前的备注", NOW)
            .unwrap();
        store
            .record_visit(
                &worker(),
                &ids[1],
                &NewVisit {
                    at: NOW,
                    purpose: VisitPurpose::Routine,
                    notes: "升级前的走访".into(),
                    location: None,
                    photos: Vec::new(),
                },
                NOW,
            )
            .unwrap();
    }
    let mut conn = Connection::open(old).unwrap();
    migrations::migrate_to(&mut conn, 1).unwrap();
    conn.execute("ATTACH ?1 AS cur", [current.to_str().unwrap()])
        .unwrap();
    conn.execute_batch(
        "INSERT INTO meta SELECT * FROM cur.meta;
         INSERT INTO document SELECT id, kind, heads, snapshot, chunk_bytes, updated_at FROM cur.document;
         INSERT INTO document_chunk SELECT * FROM cur.document_chunk;
         INSERT INTO household SELECT id, community_id, grid_id, compound_id, building_id, unit, room,
             house_use, head_name, resident_count, last_visit_at FROM cur.household;
         INSERT INTO resident SELECT id, household_id, name, initials, id_number, id_valid,
             id_reversed, phone, phone_reversed, moved_out, tags FROM cur.resident;
         DETACH cur;",
    )
    .unwrap();
    let version: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, 1);
}

fn needs_reproject(path: &std::path::Path) -> bool {
    migrations::needs_reproject(&Connection::open(path).unwrap()).unwrap()
}

#[test]
fn a_database_upgraded_from_version_1_equals_a_fresh_one() {
    let dir = tempfile::tempdir().unwrap();
    let current = dir.path().join("current.db");
    let old = dir.path().join("v1.db");
    let fresh = dir.path().join("fresh.db");
    current_and_v1_copy(&current, &old);

    drop(Store::open(&old).unwrap());
    drop(Store::open(&fresh).unwrap());
    assert_eq!(
        schema(&old),
        schema(&fresh),
        "upgraded schema equals a fresh one"
    );
    assert_eq!(
        projection_dump(&old),
        projection_dump(&current),
        "projections rebuilt to what this version writes"
    );
    assert!(!needs_reproject(&old), "the rebuild cleared its fact");
    assert!(
        !needs_reproject(&fresh),
        "a fresh store has nothing to rebuild"
    );
    let conn = Connection::open(&old).unwrap();
    let (residents, keyed): (i64, i64) = conn
        .query_row(
            "SELECT (SELECT COUNT(*) FROM resident WHERE moved_out = 0),
                    (SELECT COUNT(DISTINCT household_id || ' ' || resident_id) FROM resident_key)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        keyed, residents,
        "every resident not moved out has search keys after the rebuild"
    );
    drop(conn);
    let upgraded = Store::open(&old).unwrap();
    assert!(!upgraded.needs_checking("C01-G01", NOW).unwrap().is_empty());
    assert!(latest_version() >= 10);
}

#[test]
fn a_rebuild_cut_short_by_the_app_dying_is_done_on_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let current = dir.path().join("current.db");
    let old = dir.path().join("v1.db");
    current_and_v1_copy(&current, &old);

    // The schema steps commit; the app dies before the rebuild that Store::open runs next.
    {
        let mut conn = Connection::open(&old).unwrap();
        let upgrade = migrations::migrate_to(&mut conn, latest_version()).unwrap();
        assert!(upgrade.reproject);
    }
    assert!(
        needs_reproject(&old),
        "the migration left its request in the database"
    );
    assert_ne!(projection_dump(&old), projection_dump(&current));

    // The next open is already at the latest version, and still rebuilds.
    drop(Store::open(&old).unwrap());
    assert_eq!(
        projection_dump(&old),
        projection_dump(&current),
        "lists rebuilt on the open after the crash"
    );
    assert!(!needs_reproject(&old));
}

#[test]
fn a_left_over_rebuild_request_rebuilds_damaged_lists_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let current = dir.path().join("current.db");
    let old = dir.path().join("v1.db");
    current_and_v1_copy(&current, &old);
    let before = projection_dump(&current);
    {
        let conn = Connection::open(&current).unwrap();
        conn.execute_batch(
            "INSERT INTO meta (key, value) VALUES ('needs_reproject', 1);
             DELETE FROM visit; DELETE FROM finding; DELETE FROM todo;
             UPDATE household SET head_name = 'stale';",
        )
        .unwrap();
    }
    assert_ne!(projection_dump(&current), before);
    drop(Store::open(&current).unwrap());
    assert_eq!(projection_dump(&current), before, "every list rebuilt");
    assert!(!needs_reproject(&current));
}

#[test]
fn a_database_from_a_newer_app_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    {
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
    }
    match Store::open(&path) {
        Err(Error::Storage { reason, .. }) => {
            assert!(reason.contains("newer than this app"), "{reason}")
        }
        Err(other) => panic!("unexpected error {other:?}"),
        Ok(_) => panic!("opened a database from the future"),
    }
}

#[test]
fn version_11_keeps_a_devices_cursors_and_gives_every_store_a_log_identity() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v8.db");
    {
        let mut conn = Connection::open(&path).unwrap();
        migrations::migrate_to(&mut conn, 8).unwrap();
        conn.execute_batch(
            "INSERT INTO sync_cursor (scope, seq, snapshot_after) VALUES ('grid:C01-G01', 42, NULL);
             INSERT INTO sync_status (id, last_success_at) VALUES (1, 1000);",
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let cursors = store.sync_cursors().unwrap();
    assert_eq!(cursors["grid:C01-G01"].seq, 42);
    assert_eq!(
        cursors["grid:C01-G01"].tag, None,
        "checked against the log's end only until the server tags it"
    );
    let status = store.sync_status().unwrap();
    assert_eq!(status.last_success_at, Some(gridwalk_core::Timestamp(1000)));
    assert_eq!(status.clock_offset_ms, None);
    assert_eq!(store.server_log_id().unwrap(), None);
    assert!(!store.is_healing().unwrap());
    let id = store.log_id().unwrap();
    drop(store);
    assert_eq!(Store::open(&path).unwrap().log_id().unwrap(), id, "kept");
    assert_ne!(
        Store::open(dir.path().join("other.db"))
            .unwrap()
            .log_id()
            .unwrap(),
        id,
        "random"
    );
    assert!(latest_version() >= 11);
}

/// Version 13 puts compounds and buildings in grids and compounds with a company, once, from
/// the records the store holds then, so a running district keeps its scopes; a server's
/// reference data moves to a new version and a device forgets its version, so both sides end
/// up with the server's places.
#[test]
fn version_13_puts_places_in_the_grids_their_households_are_in() {
    let dir = tempfile::tempdir().unwrap();
    for (name, device) in [("server.db", false), ("device.db", true)] {
        let path = dir.path().join(name);
        {
            let mut conn = Connection::open(&path).unwrap();
            migrations::migrate_to(&mut conn, 12).unwrap();
            let household = |id: &str, grid: &str, compound: &str, building: &str| {
                format!(
                    "INSERT INTO household (id, community_id, grid_id, compound_id, building_id,
                       unit, room, house_use, head_name, resident_count)
                     VALUES ('{id}', 'C01', '{grid}', '{compound}', '{building}', '1', '101',
                       'owner_occupied', '', 0);"
                )
            };
            let order = |id: &str, company: &str| {
                format!(
                    "INSERT INTO work_order (id, title, compound_id, company_id, issuer, status,
                       deadline, reopen_count, items_total, items_answered, severity)
                     VALUES ('{id}', 't', 'Q1', '{company}', 'i', 'issued', 0, 0, 1, 0, 1);"
                )
            };
            let sql = [
                // Projection rows without their documents: only the migration reads them.
                "PRAGMA foreign_keys = OFF;
                 INSERT INTO reference_item (kind, id, parent_id, name) VALUES
                   ('community', 'C01', NULL, '阳光社区'),
                   ('grid', 'G1', 'C01', '第一网格'), ('grid', 'G2', 'C01', '第二网格'),
                   ('compound', 'Q1', 'C01', '阳光花园'), ('compound', 'Q2', 'C01', '锦绣家园'),
                   ('compound', 'Q3', 'C01', '新小区'),
                   ('building', 'B1', 'Q1', '1号楼'), ('building', 'B2', 'Q1', '2号楼'),
                   ('building', 'B3', 'Q2', '1号楼');
                 INSERT INTO meta (key, value) VALUES ('reference_version', 5);"
                    .to_owned(),
                household("h1", "G1", "Q1", "B1"),
                household("h2", "G1", "Q1", "B1"),
                household("h3", "G1", "Q1", "B1"),
                household("h4", "G2", "Q1", "B2"),
                household("h5", "G2", "Q2", "B3"),
                order("o1", "P01"),
                order("o2", "P01"),
                order("o3", "P02"),
                if device {
                    "INSERT INTO sync_cursor (scope, seq, snapshot_after) VALUES ('grid:G1', 7, NULL);"
                        .to_owned()
                } else {
                    String::new()
                },
            ]
            .concat();
            conn.execute_batch(&sql).unwrap();
        }
        let store = Store::open(&path).unwrap();
        let places: std::collections::BTreeMap<String, (Option<String>, Option<String>)> = store
            .all_reference_items()
            .unwrap()
            .into_iter()
            .map(|i| (i.id, (i.grid_id, i.company_id)))
            .collect();
        let some = |s: &str| Some(s.to_owned());
        assert_eq!(places["Q1"], (some("G1"), some("P01")), "{name}");
        assert_eq!(places["Q2"], (some("G2"), None), "{name}");
        assert_eq!(
            places["Q3"],
            (None, None),
            "no households: an administrator places it"
        );
        assert_eq!(places["B1"], (None, None), "in its compound's grid");
        assert_eq!(
            places["B2"],
            (some("G2"), None),
            "in another grid than its compound"
        );
        assert_eq!(places["B3"], (None, None));
        assert_eq!(
            store.compounds_in_grids(&["G2".to_owned()]).unwrap(),
            ["Q1", "Q2"]
        );
        assert_eq!(
            store.reference_version().unwrap(),
            if device { 0 } else { 6 },
            "{name}: the server's places are new; the device takes them again"
        );
    }
}
