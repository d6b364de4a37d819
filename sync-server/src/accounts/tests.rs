//! Tests of the accounts database.

use super::*;

fn accounts() -> (tempfile::TempDir, Accounts) {
    let dir = tempfile::tempdir().unwrap();
    let a = Accounts::open(dir.path(), Duration::from_secs(3600)).unwrap();
    a.add_user(
        "wang",
        "王伟",
        Role::GridWorker,
        "correct horse",
        &["grid:C01-G01".parse().unwrap()],
    )
    .unwrap();
    (dir, a)
}

#[test]
fn every_pooled_connection_is_wal_and_synchronous_full() {
    let (_d, a) = accounts();
    let settings = a.connection_settings(4).unwrap();
    assert_eq!(settings.len(), 4);
    for (mode, sync) in settings {
        assert_eq!(
            (mode.as_str(), sync),
            ("wal", 2),
            "acknowledged means durable"
        );
    }
}

#[test]
fn a_token_opens_a_session_until_revoked() {
    let (_d, a) = accounts();
    let now = Timestamp::now();
    let t = a
        .login("wang", "correct horse", "phone-1", "10.0.0.1", now)
        .unwrap();
    let s = a.authenticate(&t.token, now).unwrap();
    assert_eq!(s.actor.role, Role::GridWorker);
    assert_eq!(s.device_id, "phone-1");
    assert_eq!(s.grants[0].value, "C01-G01");
    assert_eq!(a.revoke_tokens("wang", now).unwrap(), 1);
    assert!(matches!(
        a.authenticate(&t.token, now),
        Err(AccountError::BadToken(_))
    ));
    let later = Timestamp(now.0 + 3_600_001);
    let t = a
        .login("wang", "correct horse", "phone-1", "10.0.0.1", now)
        .unwrap();
    assert!(
        matches!(a.authenticate(&t.token, later), Err(AccountError::BadToken(m)) if m.contains("expired"))
    );
}

#[test]
fn a_strangers_guesses_lock_out_the_stranger_not_the_user() {
    let (_d, a) = accounts();
    let now = Timestamp::now();
    let stranger = "203.0.113.7";
    for _ in 0..FREE_FAILURES {
        assert!(matches!(
            a.login("wang", "wrong", "p", stranger, now),
            Err(AccountError::WrongPassword)
        ));
    }
    // The stranger's address waits now, whatever it sends, and nothing is checked.
    assert!(matches!(
        a.login("wang", "correct horse", "p", stranger, now),
        Err(AccountError::LockedOut(_))
    ));
    // The real user, from their own phone, is delayed but signed in.
    let started = std::time::Instant::now();
    assert!(
        a.login("wang", "correct horse", "p", "10.0.0.1", now)
            .is_ok()
    );
    assert!(started.elapsed() >= Duration::from_millis(200), "delayed");
    // And the stranger's lock-out ends.
    let later = Timestamp(now.0 + 3_000);
    assert!(matches!(
        a.login("wang", "wrong", "p", stranger, later),
        Err(AccountError::WrongPassword)
    ));
}

#[test]
fn unknown_names_store_nothing_and_long_input_is_refused_first() {
    let (_d, a) = accounts();
    let now = Timestamp::now();
    assert!(matches!(
        a.login("nobody", "whatever1", "p", "10.0.0.2", now),
        Err(AccountError::WrongPassword)
    ));
    let rows: i64 = a
        .pool
        .get()
        .unwrap()
        .query_row("SELECT COUNT(*) FROM login_failure", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 0, "nothing stored for a name that does not exist");
    let long = "x".repeat(3 << 20);
    for (user, password, device) in [
        (long.as_str(), "p", "d"),
        ("wang", long.as_str(), "d"),
        ("wang", "p", long.as_str()),
    ] {
        assert!(matches!(
            a.login(user, password, device, "10.0.0.2", now),
            Err(AccountError::Invalid(_))
        ));
    }
}

#[test]
fn concurrent_guesses_from_one_address_are_counted_before_they_are_checked() {
    let (_d, a) = accounts();
    let a = std::sync::Arc::new(a);
    let now = Timestamp::now();
    let guesses: Vec<_> = (0..10)
        .map(|_| {
            let a = a.clone();
            std::thread::spawn(move || a.login("wang", "wrong", "p", "198.51.100.9", now))
        })
        .collect();
    let results: Vec<_> = guesses.into_iter().map(|g| g.join().unwrap()).collect();
    let evaluated = results
        .iter()
        .filter(|r| matches!(r, Err(AccountError::WrongPassword)))
        .count();
    assert_eq!(evaluated as i64, FREE_FAILURES, "{results:?}");
}
