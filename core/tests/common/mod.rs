//! Fixtures shared by the core's integration tests.
#![allow(dead_code)]

use std::collections::BTreeSet;

use gridwalk_core::records::household::{Registration, Relation};
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

pub fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("gridwalk.db")).unwrap();
    (dir, store)
}

/// Every projection row of the store, sorted, as text: two stores with equal projections give
/// equal dumps.
pub fn projection_dump(path: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut out = Vec::new();
    for (table, order) in [
        ("household", "id"),
        ("resident", "id"),
        ("finding", "household_id, kind, subject"),
    ] {
        let mut st = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY {order}"))
            .unwrap();
        let n = st.column_count();
        let rows = st
            .query_map([], |r| {
                let cols: Vec<String> = (0..n)
                    .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                    .collect();
                Ok(format!("{table}: {}", cols.join(" | ")))
            })
            .unwrap();
        out.extend(rows.map(Result::unwrap));
    }
    out
}

// Valid ID numbers (GB 11643 check digits), born 1949, 1985 and 1990.
pub const ID_1949: &str = "11010519491231002X";
pub const ID_1985: &str = "110101198503070013";
pub const ID_1990: &str = "110105199001010029";
