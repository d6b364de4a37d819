//! The server's change log holds each (record, scope, change) once: a repeated push, whole or
//! in part, adds no entry, and the schema itself refuses a second one (`change_log_once`).

mod common;

use common::*;
use gridwalk_core::store::change_log::PushOutcome;
use gridwalk_core::{Store, Timestamp};
use rusqlite::Connection;

fn entries(server: &Store) -> Vec<(String, String, Vec<u8>)> {
    let conn = Connection::open(server.path()).unwrap();
    let mut st = conn
        .prepare("SELECT doc_id, scope, hash FROM change_log WHERE hash IS NOT NULL ORDER BY seq")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn a_repeated_push_adds_no_entry_and_the_schema_refuses_a_second_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = server_store(&dir);
    let (_d, device) = temp_store();
    let id = device
        .create_household(
            &worker(),
            &household("B01", "101", vec![resident("张伟", None, None)]),
            NOW,
        )
        .unwrap();
    let push = |out: &gridwalk_core::store::outbox::Outgoing, at: Timestamp| {
        assert_eq!(
            server
                .accept_pushed(&worker(), "phone", &out.changes, &|_| true, at)
                .unwrap(),
            PushOutcome::Accepted
        );
    };
    let first = device.outbox(1 << 20).unwrap().remove(0);
    push(&first, NOW);
    let after_first = entries(&server);
    assert!(!after_first.is_empty(), "the push was logged");

    // The same push again (an acknowledgement lost on the way back): nothing new.
    push(&first, Timestamp(NOW.0 + 1000));
    assert_eq!(
        entries(&server),
        after_first,
        "a repeated push adds no entry"
    );

    // An edit, pushed twice, and the stale first push once more: only the edit's changes.
    device
        .mark_acknowledged(&[(id.clone(), first.heads.clone())])
        .unwrap();
    device.set_notes(&worker(), &id, "第二次", NOW).unwrap();
    let second = device.outbox(1 << 20).unwrap().remove(0);
    push(&second, Timestamp(NOW.0 + 2000));
    let after_second = entries(&server);
    assert!(after_second.len() > after_first.len());
    push(&second, Timestamp(NOW.0 + 3000));
    push(&first, Timestamp(NOW.0 + 4000));
    assert_eq!(entries(&server), after_second, "repeats add nothing");
    let mut unique = after_second.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        after_second.len(),
        "no (record, scope, change) twice"
    );

    // The schema: a second entry for one (record, scope, change) is refused outright.
    let conn = Connection::open(server.path()).unwrap();
    let err = conn
        .execute(
            "INSERT INTO change_log (doc_id, scope, whole, hash, data, device)
             SELECT doc_id, scope, whole, hash, data, 'other' FROM change_log
             WHERE hash IS NOT NULL LIMIT 1",
            [],
        )
        .expect_err("a duplicate entry must not be stored");
    assert_eq!(
        err.sqlite_error_code(),
        Some(rusqlite::ErrorCode::ConstraintViolation),
        "{err}"
    );
}
