//! Fixtures shared by the core's integration tests.
#![allow(dead_code)]

use std::collections::BTreeSet;

use gridwalk_core::records::household::{Registration, Relation};
use gridwalk_core::store::PROJECTION_TABLES;
use gridwalk_core::{Actor, Address, HouseUse, NewHousehold, NewResident, Role, Store, Timestamp};

/// 2026-11-24T09:00:00+08:00.
pub const NOW: Timestamp = Timestamp(1_795_482_000_000);

pub fn worker() -> Actor {
    Actor::new("wang.wei", Role::GridWorker)
}

pub fn supervisor() -> Actor {
    Actor::new("li.na", Role::Supervisor)
}

pub fn address(building: &str, unit: &str, room: &str) -> Address {
    Address {
        community: "C01".into(),
        grid: "C01-G01".into(),
        compound: "C01-Q01".into(),
        building: building.into(),
        unit: unit.into(),
        room: room.into(),
    }
}

pub fn resident(name: &str, id_number: Option<&str>, phone: Option<&str>) -> NewResident {
    NewResident {
        name: name.into(),
        id_number: id_number.map(Into::into),
        phone: phone.map(Into::into),
        relation: Relation::Head,
        registration: Registration::Local,
        tags: BTreeSet::new(),
    }
}

pub fn household(building: &str, room: &str, residents: Vec<NewResident>) -> NewHousehold {
    NewHousehold {
        address: address(building, "1", room),
        house_use: HouseUse::OwnerOccupied,
        notes: String::new(),
        residents,
    }
}

/// A care visit at `at`, with no notes, place or photos.
pub fn visit_at(at: gridwalk_core::Timestamp) -> gridwalk_core::records::household::NewVisit {
    gridwalk_core::records::household::NewVisit {
        at,
        purpose: gridwalk_core::records::household::VisitPurpose::Care,
        notes: String::new(),
        location: None,
        photos: Vec::new(),
    }
}

/// A store of kind `Server` in `dir`, as the sync server opens its records.
pub fn server_store(dir: &tempfile::TempDir) -> Store {
    Store::open_with(
        dir.path().join("server.db"),
        gridwalk_core::store::StoreOptions {
            kind: gridwalk_core::store::StoreKind::Server,
            readers: 1,
        },
    )
    .unwrap()
}

pub fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("gridwalk.db")).unwrap();
    (dir, store)
}

/// Tables that are not projections of the documents, left out of [`projection_dump`]:
///
/// * `meta`, `document`, `document_chunk`: the documents themselves and store facts (actor id,
///   reference version); documents are compared through their views, and `document` also holds
///   the device's outbox columns (acknowledged/refused heads) that differ between stores;
/// * `reference_item`: reference data the server writes, not derived from any record;
/// * `sync_cursor`, `sync_status`, `heal_unconfirmed`: a device's own progress through the
///   server's log (and through a heal after the server was restored);
/// * `change_log`: the server's log of what it accepted, with sequence numbers and devices;
/// * `photo`, `thumbnail_miss`: which photo files this device holds, has uploaded, or could not
///   get; they differ by device for the same records.
pub const NOT_PROJECTIONS: &[&str] = &[
    "meta",
    "document",
    "document_chunk",
    "reference_item",
    "sync_cursor",
    "sync_status",
    "heal_unconfirmed",
    "change_log",
    "photo",
    "thumbnail_miss",
    "photo_grant",
    "record_ops_by_user",
];

/// Every projection row of the store, sorted, as text: two stores with equal projections give
/// equal dumps. Fails if the store has a table that is neither one of the core's
/// `PROJECTION_TABLES` nor one of [`NOT_PROJECTIONS`], so a table a later migration adds cannot
/// go uncompared.
pub fn projection_dump(path: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let all: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for t in &all {
        assert!(
            PROJECTION_TABLES.contains(&t.as_str()) || NOT_PROJECTIONS.contains(&t.as_str()),
            "table {t} is neither a projection nor listed as store state"
        );
    }
    let mut out = Vec::new();
    let tables = PROJECTION_TABLES;
    for table in tables {
        let mut st = conn.prepare(&format!("SELECT * FROM {table}")).unwrap();
        let n = st.column_count();
        let mut rows: Vec<String> = st
            .query_map([], |r| {
                let cols: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect();
                Ok(format!("{table}: {}", cols.join(" | ")))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        rows.sort();
        out.extend(rows);
    }
    out
}

// Valid ID numbers (GB 11643 check digits), born 1949, 1985 and 1990.
pub const ID_1949: &str = "11010519491231002X";
pub const ID_1985: &str = "110101198503070013";
pub const ID_1990: &str = "110105199001010029";
