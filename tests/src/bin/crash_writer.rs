//! A worker's phone in a loop: writes to a store as fast as it can and prints a line for every
//! write the store acknowledged. The crash test kills it with SIGKILL at random moments and
//! checks that every acknowledged write is still there.
//!
//! Usage: `crash_writer <store path> <seed>`. Output lines: `household <id>` and
//! `visit <household id> <visit id>`.

use std::io::Write;

use gridwalk_core::records::household::{NewVisit, VisitPurpose};
use gridwalk_core::store::queries::AddressScope;
use gridwalk_core::{Actor, Address, HouseUse, NewHousehold, RecordId, Role, Store, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("store path");
    let seed: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let mut rng = StdRng::seed_from_u64(seed);
    let store = Store::open(&path).expect("the store opens");
    let actor = Actor::new("crash.worker", Role::GridWorker);
    let mut ids: Vec<RecordId> = store
        .list_households(&AddressScope::Grid("G".into()), 0, 10_000)
        .expect("list")
        .households
        .into_iter()
        .map(|h| h.id)
        .collect();
    let mut out = std::io::stdout().lock();
    for n in 0u64.. {
        let now = Timestamp::now();
        if ids.is_empty() || rng.random_bool(0.2) {
            let new = NewHousehold {
                address: Address {
                    community: "C".into(),
                    grid: "G".into(),
                    compound: "Q".into(),
                    building: format!("B{}", rng.random_range(1..5)),
                    unit: "1".into(),
                    room: format!("{seed}-{n}"),
                },
                house_use: HouseUse::OwnerOccupied,
                notes: "x".repeat(rng.random_range(0..400)),
                residents: Vec::new(),
            };
            let id = store.create_household(&actor, &new, now).expect("create");
            writeln!(out, "household {id}").expect("stdout");
            ids.push(id);
        } else {
            // Most visits go to a few households, so their chunks fold into snapshots often.
            let id = &ids[rng.random_range(0..ids.len().min(4))];
            let visit = NewVisit {
                at: now,
                purpose: VisitPurpose::Routine,
                notes: format!("visit {n}"),
                location: None,
                photos: Vec::new(),
            };
            let vid = store.record_visit(&actor, id, &visit, now).expect("visit");
            writeln!(out, "visit {id} {vid}").expect("stdout");
        }
        out.flush().expect("stdout");
    }
}
