//! Sessions on a phone (issue 13, part 5): a token that expires in the middle of a day's work
//! loses none of it, and signing in again on the same store sends it all; a second person
//! handed the phone cannot sync as its first owner, and a store of their own holds nothing of
//! the first person's grid.
//!
//! The token is expired by writing its expiry into the server's `accounts.db`, as time would,
//! rather than by a short lifetime and a sleep that a loaded machine could outrun.

use std::sync::Arc;

use gridwalk_core::store::queries::AddressScope;
use gridwalk_core::sync::client::SyncClient;
use gridwalk_core::{Store, Timestamp};
use gridwalk_tests::{Device, PASSWORD, TestServer, expire_tokens, household, seed};

#[tokio::test(flavor = "multi_thread")]
async fn work_done_after_the_token_expired_goes_up_once_the_worker_signs_in_again() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let server = TestServer::start(dir.path());
    let mut phone = Device::sign_in(&server.url, "worker.a").await;
    let morning = phone
        .store
        .create_household(&phone.actor, &household("C01-G01", "101"), Timestamp::now())
        .unwrap();
    phone.sync().await;
    assert_eq!(phone.store.pending_count().unwrap(), 0);

    assert_eq!(expire_tokens(dir.path(), "worker.a"), 1, "one token to end");
    // The worker goes on working in the stairwell; the store takes every write.
    let mut afternoon = Vec::new();
    for room in ["102", "103", "104"] {
        afternoon.push(
            phone
                .store
                .create_household(&phone.actor, &household("C01-G01", room), Timestamp::now())
                .unwrap(),
        );
    }
    phone
        .store
        .set_notes(&phone.actor, &morning, "下午补充", Timestamp::now())
        .unwrap();
    let pending = phone.store.pending_count().unwrap();
    assert_eq!(pending, 4, "three new households and one edit wait");

    match phone.try_sync().await {
        Err(gridwalk_core::Error::Unauthorized { reason }) => {
            assert!(reason.contains("expired"), "{reason}")
        }
        other => panic!("an expired token synced: {other:?}"),
    }
    assert_eq!(
        phone.store.pending_count().unwrap(),
        pending,
        "a refused sync sends and forgets nothing"
    );
    assert!(phone.store.sync_status().unwrap().last_error.is_some());

    // Signing in again on the same store: same device, new token, the outbox goes up.
    let mut client = SyncClient::new(&server.url).unwrap();
    client
        .login("worker.a", PASSWORD, &phone.store.device_id().unwrap())
        .await
        .unwrap();
    phone.client = client;
    let report = phone.sync().await;
    assert_eq!(report.pending, 0, "{report:?}");
    assert_eq!(phone.store.pending_count().unwrap(), 0);

    // A colleague's new phone receives every piece of it.
    let colleague = Device::sign_in(&server.url, "worker.a2").await;
    colleague.sync().await;
    for id in &afternoon {
        assert!(
            colleague.store.household(id).is_ok(),
            "{id} reached the server"
        );
    }
    assert_eq!(
        colleague.store.household(&morning).unwrap().notes,
        "下午补充"
    );
    let status = phone.store.sync_status().unwrap();
    assert!(
        status.last_success_at > status.last_error_at,
        "the app shows the sync as working again: {status:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_phone_handed_to_a_second_worker_shows_them_nothing_of_the_first() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let server = TestServer::start(dir.path());
    let first = Device::sign_in(&server.url, "worker.a").await;
    let theirs = first
        .store
        .create_household(&first.actor, &household("C01-G01", "201"), Timestamp::now())
        .unwrap();
    first.sync().await;

    // The same store cannot be used by the second worker: its device id, which is the
    // author of every change it makes, belongs to the first.
    let mut client = SyncClient::new(&server.url).unwrap();
    match client
        .login("worker.b", PASSWORD, &first.store.device_id().unwrap())
        .await
    {
        Err(gridwalk_core::Error::Server {
            status: 403, code, ..
        }) => assert_eq!(code, "device_taken"),
        other => panic!("a second worker signed in on the first one's store: {other:?}"),
    }
    // Nothing the refusal did touched the first worker's store.
    assert!(first.store.household(&theirs).is_ok());

    // A store of their own on that phone: after a sync it holds only the second grid.
    let second = Device::sign_in(&server.url, "worker.b").await;
    let own = second
        .store
        .create_household(
            &second.actor,
            &household("C01-G02", "301"),
            Timestamp::now(),
        )
        .unwrap();
    second.sync().await;
    assert!(second.store.household(&theirs).is_err());
    assert!(second.store.household(&own).is_ok());
    let store: Arc<Store> = second.store.clone();
    let first_grid = store
        .list_households(&AddressScope::Grid("C01-G01".into()), 0, 1000)
        .unwrap();
    assert_eq!(
        first_grid.household_count, 0,
        "no household of the first worker's grid"
    );
}
