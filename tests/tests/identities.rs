//! Identities the server issued (security issue: "device ids are the client's word"): a pull
//! leaves out what this sign-in pushed, not what a self-chosen device id pushed, and a device
//! id belongs to the user who first signed in with it.

use std::sync::Arc;

use gridwalk_core::sync::client::SyncClient;
use gridwalk_core::{Error, Store};
use gridwalk_tests::{Device, PASSWORD, TestServer, household};

#[tokio::test(flavor = "multi_thread")]
async fn a_colleague_cannot_sign_in_with_anothers_device_id() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let phone = Device::sign_in(&server.url, "worker.a").await;
    let phone_id = phone.store.device_id().unwrap();

    // The phone's device id is shown on the supervisors' overview; a colleague names it.
    let mut colleague = SyncClient::new(&server.url).unwrap();
    match colleague.login("worker.a2", PASSWORD, &phone_id).await {
        Err(Error::Server {
            status: 403, code, ..
        }) => assert_eq!(code, "device_taken"),
        other => panic!("{other:?}"),
    }
    // The phone's own user signs in again on it (a reinstall) as before.
    let mut again = SyncClient::new(&server.url).unwrap();
    again.login("worker.a", PASSWORD, &phone_id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn edits_made_under_the_same_device_id_still_reach_the_phone() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let phone = Device::sign_in(&server.url, "worker.a").await;
    phone.sync().await;

    // The same user on a second store that names the phone's device id (a restored backup of
    // the app, a second install): before, the server left its edits out of the phone's pulls
    // for ever, because they came "from" the phone's device id.
    let twin_dir = tempfile::tempdir().unwrap();
    let twin = Arc::new(Store::open(twin_dir.path().join("twin.db")).unwrap());
    let mut client = SyncClient::new(&server.url).unwrap();
    client
        .login("worker.a", PASSWORD, &phone.store.device_id().unwrap())
        .await
        .unwrap();
    let id = twin
        .create_household(
            &phone.actor,
            &household("C01-G01", "901"),
            gridwalk_core::Timestamp::now(),
        )
        .unwrap();
    client.sync(twin.clone(), &|_| {}).await.unwrap();

    phone.sync().await;
    assert!(
        phone.store.household(&id).is_ok(),
        "the phone receives what another sign-in pushed"
    );
}
