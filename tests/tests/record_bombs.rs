//! A hostile phone's documents (issue 12): ops bombs that take a few KB, huge lists, giant
//! strings and keys no layout defines are refused with a reason, quickly, and the server's
//! memory stays bounded; honest devices sync on.

use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, ScalarValue};
use gridwalk_core::RecordId;
use gridwalk_core::store::merge::{RecordChanges, RecordData};
use gridwalk_core::sync::wire::{self, SyncRequest, SyncResponse};
use gridwalk_tests::{Device, TestServer, seed_households};

/// Posts a push as the client does (zstd over 1 KB) and returns the answer and how long it took.
async fn push(url: &str, token: &str, rc: RecordChanges) -> (SyncResponse, Duration) {
    let request = SyncRequest {
        version: wire::PROTOCOL_VERSION,
        push: vec![rc],
        ..Default::default()
    };
    let cbor = wire::to_cbor(&request);
    let mut post = reqwest::Client::new()
        .post(format!("{url}/v1/sync"))
        .bearer_auth(token)
        .header("content-type", wire::CBOR);
    let body = if cbor.len() > 1024 {
        post = post.header("content-encoding", "zstd");
        zstd::encode_all(&cbor[..], 3).unwrap()
    } else {
        cbor
    };
    let started = Instant::now();
    let resp = post.body(body).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let bytes = resp.bytes().await.unwrap();
    (wire::from_cbor(&bytes).unwrap(), started.elapsed())
}

/// A list of `n` nulls under `key`: `n` ops in a few bytes.
fn op_bomb(doc: &mut AutoCommit, key: &str, n: usize) {
    let list = doc.put_object(ROOT, key, ObjType::List).unwrap();
    doc.splice(&list, 0, 0, std::iter::repeat_n(ScalarValue::Null, n))
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn bombs_are_refused_quickly_with_a_reason_and_the_server_stays_small() {
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let ids = seed_households(dir.path(), "C01-G01", 3);
    let attacker = Device::sign_in(&server.url, "worker.a").await;
    attacker.sync().await;
    let token = attacker.client.token().unwrap().to_owned();
    let whole = |id: &RecordId| -> Vec<u8> {
        let bundle = attacker.store.export_changes(&Default::default()).unwrap();
        match &bundle.records.iter().find(|r| &r.id == id).unwrap().data {
            RecordData::Document(bytes) => bytes.clone(),
            other => panic!("{other:?}"),
        }
    };
    let household = |id: &RecordId, data| RecordChanges {
        id: id.clone(),
        kind: "household".into(),
        data,
    };
    let base = whole(&ids[0]);

    // 1. A household holding a million ops under a key the rules never read, in about 1.4 KB.
    let mut doc = AutoCommit::load(&base).unwrap();
    op_bomb(&mut doc, "x", 1_000_000);
    let million = doc.save();
    assert!(million.len() < 4096, "{} bytes", million.len());
    // 2. Four million ops in a few KB, as one change.
    let mut doc = AutoCommit::load(&base).unwrap();
    let heads = doc.get_heads();
    op_bomb(&mut doc, "visits", 4_000_000);
    let four_million: Vec<_> = doc
        .get_changes(&heads)
        .iter()
        .map(|c| c.raw_bytes().to_vec().into())
        .collect();
    // 3. A huge list where the layout has one: within the ops, over the entries.
    let mut doc = AutoCommit::load(&base).unwrap();
    let visits = doc.get(ROOT, "visits").unwrap().unwrap().1;
    doc.splice(
        &visits,
        0,
        0,
        std::iter::repeat_n(ScalarValue::Null, 150_000),
    )
    .unwrap();
    let long_list = doc.save();
    // 4. A giant string in a known field.
    let mut doc = AutoCommit::load(&base).unwrap();
    doc.put(ROOT, "notes", "长".repeat(2_000_000)).unwrap();
    let giant_string = doc.save();
    // 5. A key no layout defines.
    let mut doc = AutoCommit::load(&base).unwrap();
    doc.put(ROOT, "colour", "red").unwrap();
    let unknown_key = doc.save();

    let bombs = [
        (RecordData::Document(million), "record.too_many_ops"),
        (RecordData::Changes(four_million), "record.too_many_ops"),
        (RecordData::Document(long_list), "record.list_too_long"),
        (RecordData::Document(giant_string), "record.text_too_long"),
        (RecordData::Document(unknown_key), "record.unknown_key"),
    ];
    for (data, code) in bombs {
        let (answer, took) = push(&server.url, &token, household(&ids[0], data)).await;
        assert!(answer.accepted.is_empty(), "{code}: accepted");
        assert_eq!(answer.refused.len(), 1, "{code}");
        let message = answer.refused[0].message.clone().unwrap();
        assert_eq!(message.code, code, "{}", answer.refused[0].reason);
        assert!(took < Duration::from_secs(5), "{code}: {took:?}");
        eprintln!("{code}: refused in {took:?}");
    }
    let peak = server.peak_rss_kib();
    eprintln!("the server's peak RSS: {} MiB", peak / 1024);
    assert!(
        peak < 300 * 1024,
        "the server's peak RSS was {} MiB",
        peak / 1024
    );

    // Nothing of it was stored or relayed: a fresh phone of the grid downloads the three
    // households as they were, and honest devices sync on.
    let neighbour = Device::sign_in(&server.url, "worker.a2").await;
    let report = neighbour.sync().await;
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    for id in &ids {
        let h = neighbour.store.household(id).unwrap();
        assert!(h.notes.is_empty() && h.visits.is_empty());
    }
    let bundle = neighbour.store.export_changes(&Default::default()).unwrap();
    for r in &bundle.records {
        let RecordData::Document(bytes) = &r.data else {
            panic!("whole")
        };
        let doc = AutoCommit::load(bytes).unwrap();
        assert!(
            doc.stats().num_ops < 100,
            "{}: {} ops",
            r.id,
            doc.stats().num_ops
        );
    }
    attacker.sync().await;
}

/// The phone's copy of household `id`, as an automerge document a tampered app could edit.
fn phones_copy(device: &Device, id: &RecordId) -> AutoCommit {
    let bundle = device.store.export_changes(&Default::default()).unwrap();
    let RecordData::Document(bytes) = &bundle.records.iter().find(|r| &r.id == id).unwrap().data
    else {
        panic!("a record the other side lacks goes whole")
    };
    AutoCommit::load(bytes).unwrap()
}

/// The changes of `doc` since `heads`, as a push carries them.
fn changes_since(doc: &mut AutoCommit, heads: &[automerge::ChangeHash]) -> RecordData {
    RecordData::Changes(
        doc.get_changes(heads)
            .iter()
            .map(|c| c.raw_bytes().to_vec().into())
            .collect(),
    )
}

/// Found by review (issue 12): an automerge change names its actor and sequence number, and
/// nothing bound either to the sign-in that pushes it. A colleague of the same grid reads an
/// honest phone's actor (its device id) off the changes every phone of the grid pulls, and
/// pushes a harmless, rule-abiding change under that actor with the phone's *next* sequence
/// number. The server took it; the honest phone, which made its own next change offline, then
/// held a different change with the same (actor, seq), which automerge refuses wherever the
/// two meet: every sync of that phone failed. Now a phone may push only its own changes.
#[tokio::test(flavor = "multi_thread")]
async fn a_colleague_cannot_push_under_another_phones_actor() {
    use gridwalk_core::Timestamp;
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let ids = seed_households(dir.path(), "C01-G01", 2);
    let honest = Device::sign_in(&server.url, "worker.a").await;
    let attacker = Device::sign_in(&server.url, "worker.a2").await;
    honest.sync().await;
    honest
        .store
        .set_notes(
            &honest.actor,
            &ids[0],
            "first visit notes",
            Timestamp::now(),
        )
        .unwrap();
    honest.sync().await;
    attacker.sync().await;

    // The attacker's copy holds the honest phone's change; its actor is the phone's device id.
    let victim_actor = gridwalk_tests::device_actor(&honest.store);
    let mut doc = phones_copy(&attacker, &ids[0]);
    assert!(
        doc.get_changes(&[])
            .iter()
            .any(|c| c.actor_id() == &victim_actor),
        "the honest phone's actor is in the record every phone of the grid holds"
    );
    let heads = doc.get_heads();
    doc.set_actor(victim_actor.clone());
    doc.put(ROOT, "notes", "harmless words").unwrap();
    doc.commit();
    let forged = changes_since(&mut doc, &heads);
    let token = attacker.client.token().unwrap().to_owned();
    let (answer, _) = push(
        &server.url,
        &token,
        RecordChanges {
            id: ids[0].clone(),
            kind: "household".into(),
            data: forged,
        },
    )
    .await;
    assert!(answer.accepted.is_empty(), "{answer:?}");
    assert_eq!(
        answer.refused[0].message.as_ref().map(|m| m.code.as_str()),
        Some("record.foreign_author"),
        "{answer:?}"
    );

    // Meanwhile, offline, the honest phone writes its next change of the household.
    honest
        .store
        .set_notes(
            &honest.actor,
            &ids[0],
            "second visit notes",
            Timestamp::now(),
        )
        .unwrap();
    let result = honest.try_sync().await;
    assert!(
        result.is_ok(),
        "the honest phone can no longer sync: {:?}",
        result.err()
    );
    let report = result.unwrap();
    assert!(
        report.refused.is_empty(),
        "the honest phone's edit is refused: {:?}",
        report.refused
    );
    // Another phone of the grid sees the honest edit.
    let third = Device::sign_in(&server.url, "worker.a3").await;
    third.sync().await;
    assert_ne!(
        third.store.household(&ids[0]).unwrap().notes,
        "first visit notes",
        "the honest phone's second edit never reached the server"
    );
}

/// Found by review (issue 12): a record's history counts toward its limits and is never
/// compacted, so one colleague filling a household of the grid to one op short of
/// `MAX_RECORD_OPS` with rule-abiding changes (each overwriting `notes` ~20,000 times) froze it
/// for everyone. Now a user adds at most `MAX_USER_DAILY_RECORD_OPS` to one record a day: the
/// filler is refused, and the household's own worker writes on.
#[tokio::test(flavor = "multi_thread")]
async fn a_colleague_cannot_spend_a_households_ops_in_a_day() {
    use gridwalk_core::Timestamp;
    use gridwalk_core::records::limits::{MAX_CHANGE_OPS, MAX_RECORD_OPS};
    let dir = tempfile::tempdir().unwrap();
    let server = TestServer::start(dir.path());
    let ids = seed_households(dir.path(), "C01-G01", 1);
    let attacker = Device::sign_in(&server.url, "worker.a2").await;
    let honest = Device::sign_in(&server.url, "worker.a").await;
    attacker.sync().await;
    honest.sync().await;
    // Written under the attacker's own actor: the server takes only a phone's own changes.
    let mut doc =
        phones_copy(&attacker, &ids[0]).with_actor(gridwalk_tests::device_actor(&attacker.store));
    let start = doc.get_heads();
    let target = MAX_RECORD_OPS as usize - 1;
    while (doc.stats().num_ops as usize) < target {
        let n = (target - doc.stats().num_ops as usize).min(MAX_CHANGE_OPS as usize - 1);
        for j in 0..n {
            doc.put(ROOT, "notes", format!("{}", j % 10)).unwrap();
        }
        doc.put(ROOT, "notes", "").unwrap();
        doc.commit();
    }
    let changes = changes_since(&mut doc, &start);
    let token = attacker.client.token().unwrap().to_owned();
    let (answer, _) = push(
        &server.url,
        &token,
        RecordChanges {
            id: ids[0].clone(),
            kind: "household".into(),
            data: changes,
        },
    )
    .await;
    assert!(answer.accepted.is_empty(), "{answer:?}");
    assert_eq!(
        answer.refused[0].message.as_ref().map(|m| m.code.as_str()),
        Some("record.daily_budget"),
        "{answer:?}"
    );

    // The household's own worker writes a note, as on every visit.
    honest
        .store
        .set_notes(
            &honest.actor,
            &ids[0],
            "独居老人，需每周探访",
            Timestamp::now(),
        )
        .unwrap();
    let report = honest.sync().await;
    assert!(report.refused.is_empty(), "{:?}", report.refused);
}
