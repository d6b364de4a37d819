//! Kill a writing process with SIGKILL, many times: every write it reported as done is there
//! after reopening, and the store always opens.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use gridwalk_core::store::queries::AddressScope;
use gridwalk_core::{RecordId, Store};
use rand::Rng;

#[test]
fn every_acknowledged_write_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let mut households: BTreeSet<String> = BTreeSet::new();
    let mut visits: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut rng = rand::rng();
    let rounds = 40;
    let mut acknowledged = 0;
    // Rounds in which the writer had acknowledged more than its first write when it was killed.
    let mut killed_writing = 0;

    for round in 0..rounds {
        let mut child = Command::new(env!("CARGO_BIN_EXE_crash_writer"))
            .arg(&path)
            .arg(round.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        // Wait until it is writing (its first acknowledgement), let it write a while, then
        // kill it: the kill lands in its write loop, not while it opens the store.
        let first = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("round {round}: the writer acknowledged nothing"));
        let run_for = Duration::from_millis(rng.random_range(5..200));
        let started = Instant::now();
        while started.elapsed() < run_for {
            std::thread::sleep(Duration::from_millis(5));
        }
        // SAFETY: kill(2) on the pid of a child this test spawned and has not reaped.
        unsafe {
            libc::kill(child.id() as i32, libc::SIGKILL);
        }
        let status = child.wait().unwrap();
        // Killed by our SIGKILL: a panic or an error exit of the writer is a failure, not a kill.
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(libc::SIGKILL),
            "round {round}: the writer did not die of the kill: {status:?}"
        );
        reader.join().unwrap();
        let lines: Vec<String> = std::iter::once(first).chain(rx.try_iter()).collect();
        if lines.len() > 1 {
            killed_writing += 1;
        }
        for line in lines {
            let parts: Vec<&str> = line.split_whitespace().collect();
            match parts.as_slice() {
                ["household", id] => {
                    households.insert(id.to_string());
                }
                ["visit", id, vid] => {
                    visits
                        .entry(id.to_string())
                        .or_default()
                        .insert(vid.to_string());
                }
                _ => panic!("unexpected line {line:?}"),
            }
            acknowledged += 1;
        }

        // The store opens, is intact, and holds every acknowledged write.
        let store = Store::open(&path)
            .unwrap_or_else(|e| panic!("round {round}: the store does not open: {e}"));
        let check: String = rusqlite::Connection::open(&path)
            .unwrap()
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok", "round {round}");
        let listed: BTreeSet<String> = store
            .list_households(&AddressScope::Grid("G".into()), 0, 100_000)
            .unwrap()
            .households
            .into_iter()
            .map(|h| h.id.to_string())
            .collect();
        assert!(
            households.is_subset(&listed),
            "round {round}: an acknowledged household is missing from the list"
        );
        for (id, vids) in &visits {
            let h = store.household(&RecordId::from(id.as_str())).unwrap();
            let have: BTreeSet<String> = h.visits.iter().map(|v| v.id.to_string()).collect();
            assert!(
                vids.is_subset(&have),
                "round {round}: an acknowledged visit of {id} is missing"
            );
            let summary = store
                .list_households(&AddressScope::Grid("G".into()), 0, 100_000)
                .unwrap()
                .households
                .into_iter()
                .find(|s| s.id.as_str() == id)
                .unwrap();
            assert_eq!(
                summary.last_visit_at,
                h.last_visit_at(),
                "round {round}: projection and document agree"
            );
        }
    }
    assert!(
        acknowledged >= 5 * rounds,
        "the writer acknowledged only {acknowledged} writes in {rounds} rounds"
    );
    assert!(
        killed_writing * 4 >= rounds * 3,
        "only {killed_writing} of {rounds} kills landed while the writer was writing"
    );
    eprintln!(
        "{rounds} kills ({killed_writing} in the middle of writing), {acknowledged} acknowledged \
         writes, none lost"
    );
}
