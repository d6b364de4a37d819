//! End-to-end tests of Gridwalk: real stores in real files, real processes killed mid-write,
//! and a real sync server on loopback. The tests live in `tests/`; this library holds what
//! they share: a server process, devices, and a fault-injecting proxy.

pub mod fault_proxy;
pub mod web_client;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use gridwalk_core::records::reference::{ReferenceItem, ReferenceKind};
use gridwalk_core::rules::household::Validation;
use gridwalk_core::sync::client::{SyncClient, SyncReport};
use gridwalk_core::{Actor, Address, HouseUse, NewHousehold, RecordId, Role, Store, Timestamp};
use gridwalk_server::accounts::ScopeGrant;
use gridwalk_server::server::open_data;

/// The password of every test user.
pub const PASSWORD: &str = "test-password";

/// A server process on loopback with its own data directory.
pub struct TestServer {
    /// The data directory (kept across restarts).
    pub data_dir: PathBuf,
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    env: Vec<(String, String)>,
}

impl TestServer {
    /// Seeds `data_dir` with the test district (see [`seed`]) and starts a server on it.
    pub fn start(data_dir: &Path) -> TestServer {
        Self::start_with_env(data_dir, &[])
    }

    /// As [`TestServer::start`], with extra environment for the server (`GRIDWALK_*`).
    pub fn start_with_env(data_dir: &Path, env: &[(&str, &str)]) -> TestServer {
        if !data_dir.join("accounts.db").exists() {
            seed(data_dir);
        }
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Self::spawn(data_dir, env, "127.0.0.1:0")
    }

    fn spawn(data_dir: &Path, env: Vec<(String, String)>, listen: &str) -> TestServer {
        let mut child = Command::new(server_binary())
            .arg("--data-dir")
            .arg(data_dir)
            .arg("serve")
            .arg("--listen")
            .arg(listen)
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("RUST_LOG", "info,tower_http=warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let url = loop {
            line.clear();
            if stdout.read_line(&mut line).unwrap() == 0 {
                panic!(
                    "the server exited before listening: {:?}",
                    log.lock().unwrap()
                );
            }
            if let Some(url) = line.trim().strip_prefix("gridwalk-server listening on ") {
                break url.to_owned();
            }
        };
        std::thread::spawn(move || for _ in stdout.lines() {});
        TestServer {
            data_dir: data_dir.to_owned(),
            url,
            child,
            log,
            env,
        }
    }

    /// The port it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.url.trim_start_matches("http://").parse().unwrap()
    }

    /// Kills the process with SIGKILL: no shutdown, no flush.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Asks the server to stop (SIGTERM) and waits for it to exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        // SAFETY: kill(2) with a pid this process spawned and has not reaped.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM);
        }
        self.child.wait().unwrap()
    }

    /// Starts the server again on the same data directory and port.
    pub fn restart(&mut self) {
        self.kill();
        let addr = self.addr().to_string();
        *self = Self::spawn(&self.data_dir, self.env.clone(), &addr);
    }

    /// Stops the server (SIGTERM, so it closes its databases cleanly), runs `between` on the
    /// data directory, and starts it again on the same port: for restores and file copies.
    pub fn restart_with(&mut self, between: impl FnOnce(&Path)) {
        assert!(self.terminate().success(), "the server stops cleanly");
        between(&self.data_dir);
        let addr = self.addr().to_string();
        *self = Self::spawn(&self.data_dir, self.env.clone(), &addr);
    }

    /// The server process's id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The most resident memory the server process has held so far, in KiB (`VmHWM` of
    /// `/proc/<pid>/status`; Linux only).
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("the server's /proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/<pid>/status")
    }

    /// Lines the server logged so far.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Waits until a line of the server's output satisfies `line`, for at most 30 s (the log
    /// is read on a thread of its own, so a line written before an answer may arrive after
    /// it). Returns whether one did.
    pub async fn wait_for_log(&self, line: impl Fn(&str) -> bool) -> bool {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            if self.log.lock().unwrap().iter().any(|l| line(l)) {
                return true;
            }
            if std::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Ends every token `user` holds now, by writing their expiry into the server's `accounts.db`
/// (running or not), as time would: deterministic where a short lifetime and a sleep are not.
/// Returns how many tokens it ended.
pub fn expire_tokens(data_dir: &Path, user: &str) -> usize {
    let db = rusqlite::Connection::open(data_dir.join("accounts.db")).unwrap();
    db.busy_timeout(Duration::from_secs(10)).unwrap();
    db.execute(
        "UPDATE token SET expires_at = ?1 WHERE user_id = ?2",
        rusqlite::params![gridwalk_core::Timestamp::now().0 - 1, user],
    )
    .unwrap()
}

/// Runs `gridwalk-server --data-dir <data_dir> admin <args…>` and returns its output.
pub fn admin(data_dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(server_binary())
        .arg("--data-dir")
        .arg(data_dir)
        .arg("admin")
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the admin command runs")
}

/// The `test_server` binary, which cargo builds next to the test executables' `deps` folder.
pub fn server_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test knows where it is");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>/deps/<test>");
    dir.join(format!("test_server{}", std::env::consts::EXE_SUFFIX))
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Every end-to-end test checks the promise that the server's logs carry no ID number
        // and no mobile number (README, "Security"): whatever the test did, its server's log
        // is scanned here.
        if !std::thread::panicking()
            && let Some(line) = self.log().iter().find(|l| personal_data_in(l))
        {
            panic!("the server logged personal data: {line}");
        }
    }
}

/// Whether `line` holds a valid resident ID number or a mobile number, as a run of digits
/// (an `X` may end an ID number) standing on its own: not inside a hex id or a longer number.
pub fn personal_data_in(line: &str) -> bool {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() || (i > 0 && bytes[i - 1].is_ascii_alphanumeric()) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let mut end = i;
        if end - start == 17 && matches!(bytes.get(end), Some(b'X' | b'x')) {
            end += 1;
        }
        if bytes.get(end).is_some_and(|b| b.is_ascii_alphanumeric()) {
            i = end;
            continue;
        }
        let run = &line[start..end];
        let id = run.len() == 18 && gridwalk_core::rules::id_number::parse(run).is_ok();
        let mobile =
            run.len() == 11 && run.starts_with('1') && matches!(run.as_bytes()[1], b'3'..=b'9');
        if id || mobile {
            return true;
        }
        i = end.max(i);
    }
    false
}

/// The test district: community C01 with grids C01-G01 and C01-G02, one compound each, and a
/// user per role. Households are made by the tests themselves.
pub fn seed(data_dir: &Path) {
    let data = open_data(data_dir, Duration::from_secs(3600)).unwrap();
    let place = |kind, id: &str, parent: Option<&str>, name: &str| {
        ReferenceItem::new(kind, id, parent, name)
    };
    data.store
        .add_reference(&[
            place(ReferenceKind::Community, "C01", None, "阳光社区"),
            place(ReferenceKind::Grid, "C01-G01", Some("C01"), "第一网格"),
            place(ReferenceKind::Grid, "C01-G02", Some("C01"), "第二网格"),
            place(ReferenceKind::Compound, "Q1", Some("C01"), "阳光花园")
                .in_grid("C01-G01")
                .served_by("P01"),
            place(ReferenceKind::Compound, "Q2", Some("C01"), "锦绣家园").in_grid("C01-G02"),
            place(ReferenceKind::Building, "B1", Some("Q1"), "1号楼"),
            place(ReferenceKind::Building, "B2", Some("Q1"), "2号楼"),
            place(ReferenceKind::Building, "B3", Some("Q2"), "1号楼"),
            place(ReferenceKind::Company, "P01", None, "阳光物业"),
        ])
        .unwrap();
    let users: &[(&str, Role, &[&str])] = &[
        ("worker.a", Role::GridWorker, &["grid:C01-G01"]),
        ("worker.a2", Role::GridWorker, &["grid:C01-G01"]),
        ("worker.a3", Role::GridWorker, &["grid:C01-G01"]),
        ("worker.b", Role::GridWorker, &["grid:C01-G02"]),
        ("supervisor", Role::Supervisor, &["community:C01"]),
        ("inspector", Role::Inspector, &["district:D01"]),
        ("company", Role::CompanyStaff, &["company:P01"]),
    ];
    for (id, role, scopes) in users {
        let grants: Vec<ScopeGrant> = scopes.iter().map(|s| s.parse().unwrap()).collect();
        data.accounts
            .add_user(id, id, *role, PASSWORD, &grants)
            .unwrap();
    }
}

/// Adds generated households to a grid of the server's data (while it is stopped or running).
pub fn seed_households(data_dir: &Path, grid: &str, n: usize) -> Vec<RecordId> {
    let data = open_data(data_dir, Duration::from_secs(3600)).unwrap();
    let households: Vec<NewHousehold> = (0..n).map(|i| household(grid, &format!("{i}"))).collect();
    data.store
        .import_households(
            &Actor::new("admin", Role::Admin),
            &households,
            Validation::Ledger,
            Timestamp::now(),
        )
        .unwrap()
}

/// A household in `grid` (compound Q1, building B1 for G01; Q2, B3 otherwise) with no residents.
pub fn household(grid: &str, room: &str) -> NewHousehold {
    NewHousehold {
        address: Address {
            community: "C01".into(),
            grid: grid.into(),
            compound: if grid.ends_with("G01") {
                "Q1".into()
            } else {
                "Q2".into()
            },
            building: if grid.ends_with("G01") {
                "B1".into()
            } else {
                "B3".into()
            },
            unit: "1".into(),
            room: room.into(),
        },
        house_use: HouseUse::OwnerOccupied,
        notes: String::new(),
        residents: Vec::new(),
    }
}

/// The automerge actor a store writes under: its device id, read back as an actor. What a
/// tampered phone must use for the server to take its changes as its own.
pub fn device_actor(store: &Store) -> automerge::ActorId {
    automerge::ActorId::try_from(store.device_id().unwrap().as_str())
        .expect("a device id is an actor in hex")
}

/// A phone: its own store file, signed in as one user.
pub struct Device {
    /// The store.
    pub store: Arc<Store>,
    /// The signed-in client.
    pub client: SyncClient,
    /// The user.
    pub actor: Actor,
    _dir: tempfile::TempDir,
}

impl Device {
    /// A new phone signed in as `user` to the server at `url`.
    pub async fn sign_in(url: &str, user: &str) -> Device {
        let dir = tempfile::tempdir().unwrap();
        let store = Arc::new(Store::open(dir.path().join("device.db")).unwrap());
        let mut client = SyncClient::new(url).unwrap();
        let login = client
            .login(user, PASSWORD, &store.device_id().unwrap())
            .await
            .unwrap();
        Device {
            store,
            client,
            actor: Actor {
                company: login.company,
                ..Actor::new(login.user_id, login.role)
            },
            _dir: dir,
        }
    }

    /// Syncs, panicking on error.
    pub async fn sync(&self) -> SyncReport {
        self.try_sync().await.unwrap()
    }

    /// Syncs.
    pub async fn try_sync(&self) -> gridwalk_core::Result<SyncReport> {
        self.client.sync(self.store.clone(), &|_| {}).await
    }

    /// Points the device at another address (a proxy, a restarted server), keeping its token.
    pub fn reconnect(&mut self, url: &str) {
        self.client = SyncClient::with_token(url, self.client.token().unwrap()).unwrap();
    }
}
