//! A phone that works offline, then syncs and dies part-way: for `tests/sync_killed.rs`.
//!
//! Opens the device store, writes a day's work (new households with long notes, so the push
//! takes more than one request, visits on households it pulled before, a visit with a photo),
//! printing a line for each write the store committed, then syncs with the server. The test
//! arms one kill point of the sync client (`GRIDWALK_KILL_AT`, core feature `failpoints`), so
//! the process dies there by SIGKILL; if the sync ends, it prints `synced`.
//!
//! Usage: `sync_killed <store> <server url> <token> <user> <seed> <photo file>`. Output lines:
//! `household <id>`, `visit <household id> <visit id>`, `photo <full hash> <thumb hash>`,
//! `synced`.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use gridwalk_core::photos::PhotoOptions;
use gridwalk_core::records::household::{NewVisit, VisitPurpose};
use gridwalk_core::store::photos::PhotoSource;
use gridwalk_core::store::queries::AddressScope;
use gridwalk_core::sync::client::SyncClient;
use gridwalk_core::{Actor, RecordId, Role, Store, Timestamp};
use rand::distr::{Alphanumeric, SampleString};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// New households written offline; with their notes about 600 KB, more than one push.
const NEW_HOUSEHOLDS: usize = 90;
/// Characters of notes per new household (random, so they do not compress away).
const NOTES_CHARS: usize = 9000;
/// Visits written offline, on pulled and on new households.
const VISITS: usize = 40;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [store_path, url, token, user, seed, photo] = &args[..] else {
        panic!("usage: sync_killed <store> <url> <token> <user> <seed> <photo>");
    };
    let mut rng = StdRng::seed_from_u64(seed.parse().expect("seed"));
    let store = Arc::new(Store::open(store_path).expect("the store opens"));
    let actor = Actor::new(user.as_str(), Role::GridWorker);
    let mut out = std::io::stdout().lock();
    let pulled: Vec<RecordId> = store
        .list_households(&AddressScope::Grid("C01-G01".into()), 0, 100_000)
        .expect("list")
        .households
        .into_iter()
        .map(|h| h.id)
        .collect();
    assert!(
        !pulled.is_empty(),
        "the device synced before it works offline"
    );

    let mut made = Vec::new();
    for n in 0..NEW_HOUSEHOLDS {
        let mut new = gridwalk_tests::household("C01-G01", &format!("k{seed}-{n}"));
        new.notes = Alphanumeric.sample_string(&mut rng, NOTES_CHARS);
        let id = store
            .create_household(&actor, &new, Timestamp::now())
            .expect("create");
        writeln!(out, "household {id}").unwrap();
        made.push(id);
    }
    for n in 0..VISITS {
        let id = if n % 2 == 0 {
            &pulled[rng.random_range(0..pulled.len())]
        } else {
            &made[rng.random_range(0..made.len())]
        };
        let vid = store
            .record_visit(
                &actor,
                id,
                &visit(format!("离线走访 {n}"), Vec::new()),
                Timestamp::now(),
            )
            .expect("visit");
        writeln!(out, "visit {id} {vid}").unwrap();
    }
    let with_photo = &pulled[0];
    let taken = store
        .import_photo(
            with_photo,
            PhotoSource::File(Path::new(photo)),
            &PhotoOptions::default(),
            Some(Timestamp::now()),
            None,
        )
        .expect("the photo is taken in");
    let vid = store
        .record_visit(
            &actor,
            with_photo,
            &visit("楼道堆物".into(), vec![taken.clone()]),
            Timestamp::now(),
        )
        .expect("visit with a photo");
    writeln!(out, "visit {with_photo} {vid}").unwrap();
    writeln!(out, "photo {} {}", taken.full, taken.thumb).unwrap();
    out.flush().unwrap();

    let client = SyncClient::with_token(url, token).expect("client");
    client.sync(store, &|_| {}).await.expect("the sync ends");
    writeln!(out, "synced").unwrap();
}

fn visit(notes: String, photos: Vec<gridwalk_core::photos::PhotoRef>) -> NewVisit {
    NewVisit {
        at: Timestamp::now(),
        purpose: VisitPurpose::Routine,
        notes,
        location: None,
        photos,
    }
}
