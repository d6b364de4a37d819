//! Concurrency through a real server: two phones pushing the same household at the same
//! instant; the admin command writing accounts while the server signs people in and syncs.
//! Concurrent order and report events are raced in `sync_races.rs`.

use std::sync::Arc;

use gridwalk_core::records::household::{NewVisit, VisitPurpose};
use gridwalk_core::sync::client::SyncClient;
use gridwalk_core::{Error, RecordId, Role, Store, Timestamp};
use gridwalk_tests::{Device, PASSWORD, TestServer, admin, seed_households};

fn visit(notes: &str) -> NewVisit {
    NewVisit {
        at: Timestamp::now(),
        purpose: VisitPurpose::Routine,
        notes: notes.into(),
        location: None,
        photos: Vec::new(),
    }
}

/// The heads of a record as the server stores it.
fn server_heads(server: &TestServer, id: &RecordId) -> Vec<u8> {
    rusqlite::Connection::open(server.data_dir.join("records.db"))
        .unwrap()
        .query_row(
            "SELECT heads FROM document WHERE id = ?1",
            [id.as_str()],
            |r| r.get(0),
        )
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_phones_push_the_same_household_at_the_same_instant() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let id = seed_households(dir.path(), "C01-G01", 1).remove(0);
    let mut phones = vec![
        Device::sign_in(&server.url, "worker.a").await,
        Device::sign_in(&server.url, "worker.a2").await,
    ];
    for p in &phones {
        p.sync().await;
    }
    let rounds = 12;
    for round in 0..rounds {
        // Each edits the household offline, then both push on the same signal.
        for (n, p) in phones.iter().enumerate() {
            p.store
                .record_visit(
                    &p.actor,
                    &id,
                    &visit(&format!("round {round} phone {n}")),
                    Timestamp::now(),
                )
                .unwrap();
        }
        let barrier = Arc::new(tokio::sync::Barrier::new(phones.len()));
        let tasks: Vec<_> = phones
            .drain(..)
            .map(|p| {
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    let result = p.try_sync().await;
                    (p, result)
                })
            })
            .collect();
        for task in tasks {
            let (p, result) = task.await.unwrap();
            // Taken, or told to come again (and then taken): never refused, never lost.
            let report = match result {
                Ok(report) => report,
                Err(e @ (Error::Network { .. } | Error::Server { status: 503, .. })) => {
                    eprintln!("round {round}: told to retry: {e}");
                    p.sync().await
                }
                Err(e) => panic!("round {round}: {e}"),
            };
            assert!(
                report.refused.is_empty(),
                "round {round}: {:?}",
                report.refused
            );
            assert_eq!(report.pending, 0, "round {round}");
            phones.push(p);
        }
        // Each pulls the other's edit: both edits in the merge, everywhere the same.
        for p in &phones {
            p.sync().await;
        }
        let expected = server_heads(&server, &id);
        for (n, p) in phones.iter().enumerate() {
            assert_eq!(
                p.store.stored_heads(&id).unwrap(),
                Some(expected.clone()),
                "round {round} phone {n}"
            );
            let h = p.store.household(&id).unwrap();
            for other in 0..phones.len() {
                let notes = format!("round {round} phone {other}");
                let n = h.visits.iter().filter(|v| v.notes == notes).count();
                assert_eq!(n, 1, "round {round}: {notes:?} is there {n} times");
            }
        }
    }
    let h = phones[0].store.household(&id).unwrap();
    assert_eq!(h.visits.len(), rounds * phones.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_admin_command_writes_accounts_while_the_server_serves() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    seed_households(dir.path(), "C01-G01", 20);
    // Sign-ins and syncs, without pause, until the admin command is done.
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let busy = {
        let (url, done) = (server.url.clone(), done.clone());
        tokio::spawn(async move {
            let mut served = 0u32;
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let d = Device::sign_in(&url, ["worker.a", "worker.a2"][served as usize % 2]).await;
                d.store
                    .create_household(
                        &d.actor,
                        &gridwalk_tests::household("C01-G01", &format!("busy-{served}")),
                        Timestamp::now(),
                    )
                    .unwrap();
                let report = d.sync().await;
                assert!(report.refused.is_empty(), "{report:?}");
                served += 1;
            }
            served
        })
    };
    let users = 12;
    for n in 0..users {
        let dir = dir.path().to_owned();
        let out = tokio::task::spawn_blocking(move || {
            admin(
                &dir,
                &[
                    "add-user",
                    "--username",
                    &format!("new.worker{n}"),
                    "--name",
                    &format!("新网格员{n}"),
                    "--role",
                    "grid_worker",
                    "--password",
                    PASSWORD,
                    "--scope",
                    "grid:C01-G01",
                ],
            )
        })
        .await
        .unwrap();
        assert!(
            out.status.success(),
            "admin add-user {n}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The new account signs in at once, to the running server.
        let d = Device::sign_in(&server.url, &format!("new.worker{n}")).await;
        d.sync().await;
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    let served = busy.await.unwrap();
    assert!(served > 0, "the server served while accounts were written");
    // No account lost: every one signs in.
    for n in 0..users {
        let store = Store::open(dir.path().join(format!("check{n}.db"))).unwrap();
        let mut client = SyncClient::new(&server.url).unwrap();
        let login = client
            .login(
                &format!("new.worker{n}"),
                PASSWORD,
                &store.device_id().unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(login.role, Role::GridWorker);
    }
    eprintln!("{users} accounts added by the admin command while {served} sign-ins and syncs ran");
}
