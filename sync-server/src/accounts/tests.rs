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
fn a_strangers_guesses_delay_and_never_refuse_the_right_password() {
    let (_d, a) = accounts();
    let now = Timestamp::now();
    let stranger = "203.0.113.7";
    for _ in 0..FREE_FAILURES {
        assert!(matches!(
            a.login("wang", "wrong", "p", stranger, now),
            Err(AccountError::WrongPassword)
        ));
    }
    // From the stranger's own address (shared with the user behind a proxy), the right
    // password is delayed (the address's queue and the user's failures) and signs in.
    let attempt = a
        .count_attempt("wang", "correct horse", "p", stranger, now)
        .unwrap();
    assert!(attempt.wait >= Duration::from_millis(250), "{attempt:?}");
    let started = std::time::Instant::now();
    assert!(
        a.check_password(attempt, "wang", "correct horse", "p", stranger, now)
            .is_ok(),
        "a correct password after a stranger's failures is delayed, not refused"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(250),
        "check_password waits out an attempt's delay that was not waited"
    );
    // The real user from another address is delayed by their own failures only.
    for _ in 0..FREE_FAILURES {
        let _ = a.login("wang", "wrong", "p", stranger, now);
    }
    let started = std::time::Instant::now();
    assert!(
        a.login("wang", "correct horse", "p", "10.0.0.1", now)
            .is_ok()
    );
    assert!(started.elapsed() >= Duration::from_millis(250), "delayed");
}

#[test]
fn guesses_at_unknown_names_delay_the_address_without_refusing_it() {
    let (_d, a) = accounts();
    let now = Timestamp::now();
    let proxy = "192.0.2.1";
    for _ in 0..FREE_FAILURES {
        let attempt = a.count_attempt("nobody", "guess", "p", proxy, now).unwrap();
        assert_eq!(attempt.wait, Duration::ZERO, "the free attempts go at once");
    }
    // Past them, each attempt from the address waits behind the previous one, longer each
    // time up to the cap, and none is refused while the queue is short.
    let mut waits = Vec::new();
    for _ in 0..6 {
        waits.push(
            a.count_attempt("nobody", "guess", "p", proxy, now)
                .unwrap()
                .wait,
        );
    }
    assert_eq!(waits[0], Duration::ZERO);
    assert!(
        waits
            .windows(2)
            .all(|w| w[1] >= w[0] + Duration::from_millis(250)),
        "{waits:?}"
    );
    assert!(
        *waits.last().unwrap() <= Duration::from_secs(8),
        "{waits:?}"
    );
    // Nothing was stored for the unknown name, so its user's delay is nil elsewhere.
    let attempt = a
        .count_attempt("wang", "correct horse", "p", "10.0.0.1", now)
        .unwrap();
    assert_eq!(attempt.wait, Duration::ZERO);
    // The address is forgiven as time passes.
    let later = Timestamp(now.0 + 20 * ADDR_FORGIVE_EVERY.as_millis() as i64);
    let attempt = a
        .count_attempt("nobody", "guess", "p", proxy, later)
        .unwrap();
    assert_eq!(attempt.wait, Duration::ZERO);
}

#[test]
fn a_flood_from_one_address_is_refused_only_past_a_minutes_queue() {
    let (_d, a) = accounts();
    let now = Timestamp::now();
    let flood = "198.51.100.77";
    let mut longest = Duration::ZERO;
    let refused = loop {
        match a.count_attempt("nobody", "guess", "p", flood, now) {
            Ok(attempt) => {
                assert!(attempt.wait <= MAX_ADDR_QUEUE, "{attempt:?}");
                longest = attempt.wait;
            }
            Err(e) => break e,
        }
    };
    assert!(longest >= MAX_ADDR_QUEUE - MAX_ADDR_DELAY, "{longest:?}");
    assert!(
        matches!(refused, AccountError::LockedOut(w) if w <= MAX_ADDR_DELAY),
        "{refused:?}"
    );
    // Other addresses are untouched.
    let attempt = a
        .count_attempt("wang", "correct horse", "p", "10.0.0.1", now)
        .unwrap();
    assert_eq!(attempt.wait, Duration::ZERO);
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
fn concurrent_guesses_from_one_address_are_counted_and_serialised_before_they_are_checked() {
    let (_d, a) = accounts();
    let a = std::sync::Arc::new(a);
    let now = Timestamp::now();
    let guesses: Vec<_> = (0..12)
        .map(|_| {
            let a = a.clone();
            std::thread::spawn(move || a.count_attempt("wang", "wrong", "p", "198.51.100.9", now))
        })
        .collect();
    let mut waits: Vec<Duration> = guesses
        .into_iter()
        .map(|g| g.join().unwrap().unwrap().wait)
        .collect();
    waits.sort();
    // The free ones and the first past them go at once; every later one has a slot of its
    // own, at least a quarter second after the one before: at most one is checked per slot.
    let at_once = waits.iter().filter(|w| w.is_zero()).count() as i64;
    assert_eq!(at_once, FREE_FAILURES + 1, "{waits:?}");
    let queued = &waits[at_once as usize - 1..];
    assert!(
        queued
            .windows(2)
            .all(|w| w[1] >= w[0] + Duration::from_millis(250)),
        "{waits:?}"
    );
}
