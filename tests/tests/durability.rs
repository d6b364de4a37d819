//! "Acknowledged means durable", shown from the system calls: every acknowledgement comes after
//! an fsync of the SQLite write-ahead log, on the device and on the server.
//!
//! Killing a process (tests/crash.rs) leaves the operating system's page cache intact, so it
//! passes even with `synchronous = OFF`; a power cut does not. Here the writer runs under
//! strace, and the trace is read in order: between one acknowledgement and the next there
//! must be an `fdatasync` (or `fsync`) of the `-wal` file. With `synchronous = NORMAL` or `OFF`
//! SQLite syncs the WAL only at checkpoints, and these tests fail.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gridwalk_core::Timestamp;
use gridwalk_tests::{Device, household, seed, server_binary};

/// One system call from the trace: `sync` (an fsync or fdatasync of a `-wal` file) or `out`
/// (a write whose data starts with what the test looks for), in the order strace saw them.
#[derive(Debug, PartialEq)]
enum Event {
    WalSync,
    Out(String),
}

/// Reads an `strace -f -yy -s 96` trace: syncs of files ending in `-wal` (when they return),
/// and writes (when they start) whose data starts with one of `marks`.
fn events(trace: &Path, wal_of: &str, marks: &[&str]) -> Vec<Event> {
    let text = std::fs::read_to_string(trace).expect("strace wrote its trace");
    let mut out = Vec::new();
    // Threads whose WAL sync strace split around another thread's call: the `resumed` half
    // names no file, so it is matched to its start by the thread's id.
    let mut unfinished: Vec<String> = Vec::new();
    for line in text.lines() {
        let pid = line
            .trim_start_matches("[pid")
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .trim_end_matches(']')
            .to_owned();
        let is_sync = line.contains("fdatasync(") || line.contains("fsync(");
        if is_sync && line.contains(&format!("{wal_of}-wal>")) {
            // A sync counts once it has returned: its full line, or its `resumed` half.
            if line.contains("<unfinished") {
                unfinished.push(pid);
            } else if line.contains("= 0") {
                out.push(Event::WalSync);
            }
            continue;
        }
        if (line.contains("<... fdatasync resumed>") || line.contains("<... fsync resumed>"))
            && let Some(at) = unfinished.iter().position(|p| *p == pid)
        {
            unfinished.swap_remove(at);
            if line.contains("= 0") {
                out.push(Event::WalSync);
            }
            continue;
        }
        let is_write = ["write(", "writev(", "sendto(", "sendmsg("]
            .iter()
            .any(|c| line.contains(c));
        if is_write && !line.contains("resumed>") {
            for mark in marks {
                if line.contains(&format!("\"{mark}"))
                    || line.contains(&format!("[{{iov_base=\"{mark}"))
                {
                    out.push(Event::Out((*mark).to_owned()));
                }
            }
        }
    }
    out
}

fn strace(trace: &Path) -> Command {
    let mut c = Command::new("strace");
    c.args(["-f", "-yy", "-s", "96", "-qq"])
        .args(["-e", "trace=fsync,fdatasync,write,writev,sendto,sendmsg"])
        .arg("-o")
        .arg(trace)
        .arg("--");
    c
}

/// Kills a traced program: strace, killed, would leave its tracee running on.
fn kill_traced(strace: &mut Child) {
    let children = std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", strace.id()))
        .unwrap_or_default();
    for pid in children
        .split_whitespace()
        .filter_map(|p| p.parse::<i32>().ok())
    {
        // SAFETY: kill(2) on the pid of a child of a child this test spawned.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
    let _ = strace.wait();
}

#[test]
fn a_device_acknowledges_a_write_only_after_the_wal_is_synced() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace");
    let store = dir.path().join("device.db");
    let mut child = strace(&trace)
        .arg(env!("CARGO_BIN_EXE_crash_writer"))
        .arg(&store)
        .arg("7")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("strace runs (scripts/install-test-tools installs it)");
    // Let it acknowledge a good number of writes, then stop it.
    let mut acks = 0;
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while acks < 200 && Instant::now() < deadline {
        line.clear();
        if stdout.read_line(&mut line).unwrap() == 0 {
            break;
        }
        acks += 1;
    }
    kill_traced(&mut child);
    assert!(acks >= 200, "the writer acknowledged only {acks} writes");

    let events = events(
        &trace,
        &store.display().to_string(),
        &["household ", "visit "],
    );
    let acks_seen = events.iter().filter(|e| **e != Event::WalSync).count();
    assert!(
        acks_seen >= 200,
        "the trace holds {acks_seen} acknowledgements"
    );
    let mut synced = false;
    for (n, e) in events.iter().enumerate() {
        match e {
            Event::WalSync => synced = true,
            Event::Out(what) => {
                assert!(
                    synced,
                    "acknowledgement {n} ({what}) was written before the WAL was synced"
                );
                synced = false;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_answers_a_push_only_after_the_wal_is_synced() {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    let trace = dir.path().join("trace");
    let mut child = strace(&trace)
        .arg(server_binary())
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("strace runs (scripts/install-test-tools installs it)");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let url = loop {
        line.clear();
        assert!(
            stdout.read_line(&mut line).unwrap() > 0,
            "the server started"
        );
        if let Some(url) = line.trim().strip_prefix("gridwalk-server listening on ") {
            break url.to_owned();
        }
    };
    std::thread::spawn(move || for _ in stdout.lines() {});

    let device = Device::sign_in(&url, "worker.a").await;
    device.sync().await;
    // Twenty pushes, each one household: each answer must follow a sync of records.db's WAL.
    for n in 0..20 {
        device
            .store
            .create_household(
                &device.actor,
                &household("C01-G01", &format!("9{n:02}")),
                Timestamp::now(),
            )
            .unwrap();
        let report = device.sync().await;
        assert_eq!(report.progress.records_up, 1);
    }
    kill_traced(&mut child);

    let records = dir.path().join("records.db").display().to_string();
    let events = events(&trace, &records, &["HTTP/1.1 200"]);
    let answers = events.iter().filter(|e| **e != Event::WalSync).count();
    assert!(
        answers >= 20,
        "the trace holds {answers} answers: {events:?}"
    );
    // Every answer to a push is preceded by a WAL sync since the answer before it. (The
    // sign-in and the first, empty sync wrote nothing to records.db, so they are skipped: the
    // last 20 answers are the pushes.)
    let positions: Vec<usize> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| **e != Event::WalSync)
        .map(|(i, _)| i)
        .collect();
    let pushes = &positions[positions.len() - 20..];
    for (k, &at) in pushes.iter().enumerate() {
        let since = if k == 0 {
            positions[positions.len() - 21]
        } else {
            pushes[k - 1]
        };
        assert!(
            events[since..at].contains(&Event::WalSync),
            "push {k} was answered before records.db's WAL was synced"
        );
    }
}
