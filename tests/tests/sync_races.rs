//! Concurrent events on one record from three phones, each pushed to a real server so its rules
//! (`Store::accept_pushed`) judge it, with a count of the races the generated schedules really
//! hold: rectification orders (two inspectors and the company: verify, reopen, cancel, answer)
//! and issue reports (two supervisors and the grid worker: assign, close, reopen, send back,
//! start, resolve).
//!
//! One harness runs both ([`Race`]): a record made and brought to a starting point on every
//! phone, then random offline acts and syncs, then everyone syncs until nothing is pending. The
//! phones must converge on the server's document, and the state they fold must be one the rules
//! accept.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Debug;

use gridwalk_core::photos::PhotoRef;
use gridwalk_core::records::order::{NewOrder, NewOrderItem, Severity};
use gridwalk_core::records::report::NewReport;
use gridwalk_core::rules::Refusal;
use gridwalk_core::rules::order::OrderStatus;
use gridwalk_core::rules::report::ReportStatus;
use gridwalk_core::store::inspection::{OrderAction, ReportAction};
use gridwalk_core::{Error, RecordId, Role, Store, Timestamp};
use gridwalk_server::accounts::ScopeGrant;
use gridwalk_tests::{Device, PASSWORD, TestServer, seed};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

/// A kind of record whose events three phones race.
trait Race {
    /// An act a phone's person can try.
    type Action: Debug;
    /// The users on the three phones.
    const USERS: [&'static str; 3];
    /// Accounts the seed lacks: user, display name, role, scope.
    const EXTRA_USERS: &'static [(&'static str, &'static str, Role, &'static str)];
    /// How many starting points `setup` knows.
    const STARTS: usize;
    /// Makes a new record on one phone (and says which).
    fn create(phones: &[Device]) -> Result<(usize, RecordId), Error>;
    /// The acts that bring a new record to starting point `start`, in order: (phone, act).
    fn setup(start: usize) -> Vec<(usize, Self::Action)>;
    /// Every act phone `who` may try during the race (four each).
    fn candidates(who: usize) -> Vec<Self::Action>;
    /// Does `action` as the phone's person, offline.
    fn act(phone: &Device, id: &RecordId, action: &Self::Action) -> Result<(), Error>;
    /// The record's events on a phone: (event id, kind).
    fn events(store: &Store, id: &RecordId) -> Vec<(String, String)>;
    /// The kinds whose races the rules exist for.
    fn decisive(kind: &str) -> bool;
    /// The converged state, checked against the rules; its debug form, compared across phones.
    fn check(store: &Store, id: &RecordId) -> Result<String, String>;
}

/// Replica `.0` tries its `.1`-th candidate act, offline; or replica syncs.
#[derive(Debug, Clone)]
enum Step {
    Act(usize, usize),
    Sync(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (0..3usize, 0..4usize).prop_map(|(r, a)| Step::Act(r, a)),
        2 => (0..3usize).prop_map(Step::Sync),
    ]
}

/// One event appended on a replica: who, which, what, and the events that replica held then.
struct Act {
    replica: usize,
    id: String,
    kind: String,
    known: HashSet<String>,
}

/// What the schedules held, over all cases.
#[derive(Default)]
struct Tally {
    cases: u32,
    /// Pairs of events on one record from different phones, neither seeing the other, at least
    /// one decisive, by kinds (sorted).
    races: BTreeMap<(String, String), u32>,
    /// Cases with at least one such race.
    cases_with_race: u32,
    /// Pushes the server refused (then discarded on the phone).
    refused: u32,
}

impl Tally {
    /// Races between kinds `a` and `b`.
    fn between(&self, a: &str, b: &str) -> u32 {
        let (x, y) = if a <= b { (a, b) } else { (b, a) };
        self.races
            .get(&(x.to_owned(), y.to_owned()))
            .copied()
            .unwrap_or(0)
    }
}

/// The server's stored heads of a record.
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

async fn sync_and_settle(phone: &Device, tally: &mut Tally) -> Result<(), String> {
    let report = phone.try_sync().await.map_err(|e| e.to_string())?;
    for r in &report.refused {
        // The server's rules refused the event: the phone drops it, as its person would.
        tally.refused += 1;
        phone
            .store
            .discard_unsent_changes(&r.id)
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

async fn sync_all(phones: &[Device], tally: &mut Tally) -> Result<(), String> {
    for p in phones {
        sync_and_settle(p, tally).await?;
    }
    Ok(())
}

/// Runs one schedule on a new record brought to `start` on every phone.
async fn run_case<R: Race>(
    server: &TestServer,
    phones: &[Device],
    start: usize,
    steps: &[Step],
    tally: &mut Tally,
) -> Result<(), String> {
    let (maker, id) = R::create(phones).map_err(|e| e.to_string())?;
    sync_and_settle(&phones[maker], tally).await?;
    sync_all(phones, tally).await?;
    for (who, action) in R::setup(start) {
        R::act(&phones[who], &id, &action).map_err(|e| format!("setup {action:?}: {e}"))?;
        sync_and_settle(&phones[who], tally).await?;
        sync_all(phones, tally).await?;
    }
    let event_ids = |s: &Store| -> HashSet<String> {
        R::events(s, &id).into_iter().map(|(id, _)| id).collect()
    };
    let mut acts: Vec<Act> = Vec::new();
    for s in steps {
        match s {
            Step::Act(r, a) => {
                let (phone, action) = (&phones[*r], &R::candidates(*r)[*a]);
                let known = event_ids(&phone.store);
                match R::act(phone, &id, action) {
                    Ok(()) => {
                        let new: Vec<(String, String)> = R::events(&phone.store, &id)
                            .into_iter()
                            .filter(|(id, _)| !known.contains(id))
                            .collect();
                        let [(new, kind)] = &new[..] else {
                            return Err(format!("one act appended {new:?}"));
                        };
                        acts.push(Act {
                            replica: *r,
                            id: new.clone(),
                            kind: kind.clone(),
                            known,
                        });
                    }
                    // Illegal at this moment on this phone: the rules say so before any push.
                    Err(Error::Refused(Refusal::Rule(_))) => {}
                    Err(other) => return Err(format!("{action:?} failed: {other}")),
                }
            }
            Step::Sync(r) => sync_and_settle(&phones[*r], tally).await?,
        }
    }
    // The races this schedule really made.
    let mut raced = false;
    for (i, a) in acts.iter().enumerate() {
        for b in &acts[i + 1..] {
            let concurrent =
                a.replica != b.replica && !a.known.contains(&b.id) && !b.known.contains(&a.id);
            if concurrent && (R::decisive(&a.kind) || R::decisive(&b.kind)) {
                let mut kinds = [a.kind.clone(), b.kind.clone()];
                kinds.sort();
                let [x, y] = kinds;
                *tally.races.entry((x, y)).or_default() += 1;
                raced = true;
            }
        }
    }
    tally.cases += 1;
    tally.cases_with_race += u32::from(raced);
    // Everyone syncs until nothing is pending: every event reached the server and was judged.
    for _ in 0..2 {
        sync_all(phones, tally).await?;
    }
    let server = server_heads(server, &id);
    let mut states = Vec::new();
    for (n, p) in phones.iter().enumerate() {
        if p.store.sync_status().unwrap().pending != 0 {
            return Err(format!("phone {n} still has changes pending"));
        }
        if p.store.stored_heads(&id).unwrap() != Some(server.clone()) {
            return Err(format!("phone {n} differs from the server"));
        }
        states.push(R::check(&p.store, &id).map_err(|e| format!("phone {n}: {e}"))?);
        if states[n] != states[0] {
            return Err(format!("phones differ:\n{}\n{}", states[n], states[0]));
        }
    }
    // Every event made and kept is in the one history: none lost in the merge.
    let merged = event_ids(&phones[0].store);
    if tally.refused == 0
        && let Some(lost) = acts.iter().find(|a| !merged.contains(&a.id))
    {
        return Err(format!("the {} event {} was lost", lost.kind, lost.id));
    }
    Ok(())
}

/// Runs 60 generated schedules of `R` against one real server and returns what they held.
fn run_races<R: Race>() -> Tally {
    let dir = tempfile::tempdir().unwrap();
    seed(dir.path());
    {
        let data =
            gridwalk_server::server::open_data(dir.path(), std::time::Duration::from_secs(60))
                .unwrap();
        for (user, name, role, scope) in R::EXTRA_USERS {
            let grant: ScopeGrant = scope.parse().unwrap();
            data.accounts
                .add_user(user, name, *role, PASSWORD, &[grant])
                .unwrap();
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (server, phones) = runtime.block_on(async {
        let server = TestServer::start(dir.path());
        let mut phones = Vec::new();
        for user in R::USERS {
            phones.push(Device::sign_in(&server.url, user).await);
        }
        (server, phones)
    });
    let tally = std::cell::RefCell::new(Tally::default());
    // A fixed seed: the callers assert counts of the races the schedules hold, and 60 random
    // schedules hold enough of each kind only most of the time. `PROPTEST_RNG_SEED` explores
    // others.
    let seed = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_130);
    let mut runner = TestRunner::new(Config {
        cases: 60,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(seed),
        ..Config::default()
    });
    runner
        .run(
            &(0..R::STARTS, prop::collection::vec(step(), 4..16)),
            |(start, steps)| {
                runtime
                    .block_on(run_case::<R>(
                        &server,
                        &phones,
                        start,
                        &steps,
                        &mut tally.borrow_mut(),
                    ))
                    .map_err(TestCaseError::fail)
            },
        )
        .unwrap();
    let tally = tally.into_inner();
    eprintln!(
        "{} cases, {} with a race; {} races {:?}; {} pushes refused by the server",
        tally.cases,
        tally.cases_with_race,
        tally.races.values().sum::<u32>(),
        tally.races,
        tally.refused
    );
    assert!(
        tally.cases_with_race * 3 >= tally.cases,
        "too few cases with a race"
    );
    tally
}

// ---- rectification orders: two inspectors and the company ----

struct Orders;

fn after_photo() -> PhotoRef {
    PhotoRef {
        full: "c".repeat(64),
        thumb: "d".repeat(64),
        width: 10,
        height: 10,
        taken_at: None,
        location: None,
    }
}

fn answer(items: &[&str]) -> OrderAction {
    OrderAction::Answer {
        items: items.iter().map(|s| s.to_string()).collect(),
        note: "已整改".into(),
        photos: vec![after_photo()],
    }
}

impl Race for Orders {
    type Action = OrderAction;
    const USERS: [&'static str; 3] = ["inspector", "inspector2", "company"];
    const EXTRA_USERS: &'static [(&'static str, &'static str, Role, &'static str)] =
        &[("inspector2", "二号督查", Role::Inspector, "district:D01")];
    const STARTS: usize = 3;

    fn create(phones: &[Device]) -> Result<(usize, RecordId), Error> {
        let new = NewOrder {
            title: "整改".into(),
            compound: "Q1".into(),
            company: "P01".into(),
            deadline: Timestamp(Timestamp::now().0 + 7 * Timestamp::DAY_MS),
            items: (1..=2)
                .map(|i| NewOrderItem {
                    description: format!("item {i}"),
                    severity: Severity::Major,
                    before_photos: vec![],
                })
                .collect(),
            from_report: None,
        };
        let p = &phones[0];
        let id = p.store.create_order(&p.actor, &new, Timestamp::now())?;
        p.store
            .act_on_order(&p.actor, &id, &OrderAction::Issue, Timestamp::now())?;
        Ok((0, id))
    }

    /// Issued and acknowledged; then (start 1) item 1 answered, or (start 2) both. Most
    /// schedules start from an answered order, where the inspectors' verify and reopen are legal
    /// (and, with one item answered, the company's answer of the other races them): without
    /// it, random schedules almost never race them.
    fn setup(start: usize) -> Vec<(usize, OrderAction)> {
        let mut acts = vec![(2, OrderAction::Acknowledge)];
        match start {
            1 => acts.push((2, answer(&["item-1"]))),
            2 => acts.push((2, answer(&["item-1", "item-2"]))),
            _ => {}
        }
        acts
    }

    fn candidates(who: usize) -> Vec<OrderAction> {
        let reopen = |item: &str| OrderAction::Reopen {
            items: vec![item.to_owned()],
            note: "不合格".into(),
        };
        if who == 2 {
            vec![
                answer(&["item-1"]),
                answer(&["item-2"]),
                answer(&["item-1", "item-2"]),
                OrderAction::Acknowledge,
            ]
        } else {
            vec![
                OrderAction::Verify,
                reopen("item-1"),
                reopen("item-2"),
                OrderAction::Cancel {
                    note: "撤销".into(),
                },
            ]
        }
    }

    fn act(phone: &Device, id: &RecordId, action: &OrderAction) -> Result<(), Error> {
        phone
            .store
            .act_on_order(&phone.actor, id, action, Timestamp::now())
    }

    fn events(store: &Store, id: &RecordId) -> Vec<(String, String)> {
        store
            .order(id)
            .map(|d| d.order.events.into_iter().map(|e| (e.id, e.kind)).collect())
            .unwrap_or_default()
    }

    fn decisive(kind: &str) -> bool {
        matches!(kind, "verify" | "reopen" | "cancel")
    }

    /// A verified or cancelled order ends with that event counted, and nothing counted after
    /// it; otherwise none counted at all; no event twice in the history.
    fn check(store: &Store, id: &RecordId) -> Result<String, String> {
        let state = store.order(id).map_err(|e| e.to_string())?.state;
        let counted: Vec<&str> = state
            .history
            .iter()
            .filter(|e| e.counted)
            .map(|e| e.event.kind.as_str())
            .collect();
        let ends_with = |k: &str| counted.last() == Some(&k);
        let ok = match state.status {
            OrderStatus::Verified => ends_with("verify"),
            OrderStatus::Cancelled => ends_with("cancel"),
            _ => !counted.iter().any(|k| *k == "verify" || *k == "cancel"),
        };
        if !ok {
            return Err(format!(
                "{:?} with counted events {counted:?}",
                state.status
            ));
        }
        unique_history(state.history.iter().map(|e| e.event.id.as_str()))?;
        Ok(format!("{state:#?}"))
    }
}

fn unique_history<'a>(ids: impl Iterator<Item = &'a str>) -> Result<(), String> {
    let ids: Vec<&str> = ids.collect();
    let unique: HashSet<&&str> = ids.iter().collect();
    if unique.len() != ids.len() {
        return Err(format!("an event is in the history twice: {ids:?}"));
    }
    Ok(())
}

#[test]
fn concurrent_order_events_are_judged_by_the_server_and_every_phone_converges() {
    let tally = run_races::<Orders>();
    assert!(
        tally.between("reopen", "verify") >= 3,
        "too few verify/reopen races"
    );
    assert!(
        tally.between("answer", "cancel")
            + tally.between("cancel", "reopen")
            + tally.between("cancel", "verify")
            + tally.between("cancel", "cancel")
            >= 3,
        "too few races with a cancel"
    );
    assert!(
        tally.between("answer", "verify") + tally.between("answer", "reopen") >= 3,
        "too few answer races"
    );
}

// ---- issue reports: two supervisors and the grid worker who reported it ----

struct Reports;

impl Race for Reports {
    type Action = ReportAction;
    const USERS: [&'static str; 3] = ["supervisor", "supervisor2", "worker.a"];
    const EXTRA_USERS: &'static [(&'static str, &'static str, Role, &'static str)] =
        &[("supervisor2", "二号主管", Role::Supervisor, "community:C01")];
    const STARTS: usize = 3;

    fn create(phones: &[Device]) -> Result<(usize, RecordId), Error> {
        let new = NewReport {
            category: "fire_safety".into(),
            description: "楼道堆物".into(),
            grid: "C01-G01".into(),
            compound: "Q1".into(),
            location: None,
            photos: vec![],
        };
        let p = &phones[2];
        Ok((2, p.store.create_report(&p.actor, &new, Timestamp::now())?))
    }

    /// Reported (start 0: the supervisors' assigns race), assigned to the worker (1), or
    /// resolved by the worker (2: close, reopen and send-back race).
    fn setup(start: usize) -> Vec<(usize, ReportAction)> {
        let assign = (
            0,
            ReportAction::Assign {
                assignee: "worker.a".into(),
            },
        );
        let resolve = ReportAction::Resolve {
            note: "已清理".into(),
        };
        match start {
            1 => vec![assign],
            2 => vec![assign, (2, ReportAction::Start), (2, resolve)],
            _ => vec![],
        }
    }

    fn candidates(who: usize) -> Vec<ReportAction> {
        if who == 2 {
            vec![
                ReportAction::Start,
                ReportAction::Resolve {
                    note: "已清理".into(),
                },
                ReportAction::Start,
                ReportAction::Resolve {
                    note: "再次清理".into(),
                },
            ]
        } else {
            vec![
                ReportAction::Assign {
                    assignee: "worker.a".into(),
                },
                ReportAction::Close,
                ReportAction::Reopen {
                    note: "仍有堆物".into(),
                },
                ReportAction::SendBack {
                    note: "请补拍照片".into(),
                },
            ]
        }
    }

    fn act(phone: &Device, id: &RecordId, action: &ReportAction) -> Result<(), Error> {
        phone
            .store
            .act_on_report(&phone.actor, id, action, Timestamp::now())
    }

    fn events(store: &Store, id: &RecordId) -> Vec<(String, String)> {
        store
            .report(id)
            .map(|d| {
                d.report
                    .events
                    .into_iter()
                    .map(|e| (e.id, e.kind))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn decisive(kind: &str) -> bool {
        matches!(kind, "assign" | "close" | "reopen" | "send_back")
    }

    /// Only supervisors' assign, close, reopen and send-back count; the status is the one the
    /// last counted event set; the assignee is the last counted assign's; a send-back still
    /// waiting was counted after the assignee's last counted act; no event twice.
    fn check(store: &Store, id: &RecordId) -> Result<String, String> {
        let state = store.report(id).map_err(|e| e.to_string())?.state;
        let counted: Vec<_> = state
            .history
            .iter()
            .filter(|e| e.counted)
            .map(|e| &e.event)
            .collect();
        if let Some(e) = counted.iter().find(|e| {
            matches!(e.kind.as_str(), "assign" | "close" | "reopen" | "send_back")
                && e.role != Role::Supervisor
        }) {
            return Err(format!("a {} by {} counted", e.kind, e.by));
        }
        let expected = counted
            .iter()
            .rev()
            .find_map(|e| match e.kind.as_str() {
                "assign" => Some(ReportStatus::Assigned),
                "start" => Some(ReportStatus::InProgress),
                "resolve" => Some(ReportStatus::Resolved),
                "close" => Some(ReportStatus::Closed),
                "reopen" => Some(ReportStatus::Reopened),
                _ => None,
            })
            .unwrap_or(ReportStatus::Reported);
        if state.status != expected {
            return Err(format!(
                "{:?} after counted {:?}",
                state.status,
                counted.iter().map(|e| &e.kind).collect::<Vec<_>>()
            ));
        }
        let assignee = counted
            .iter()
            .rev()
            .find(|e| e.kind == "assign")
            .and_then(|e| e.assignee.clone());
        if state.assignee != assignee {
            return Err(format!(
                "assignee {:?}, last assign {assignee:?}",
                state.assignee
            ));
        }
        if state.sent_back.is_some() {
            let last_back = counted.iter().rposition(|e| e.kind == "send_back");
            let last_answer = counted
                .iter()
                .rposition(|e| Some(&e.by) == assignee.as_ref() && e.kind != "send_back");
            if last_back.is_none() || last_answer > last_back {
                return Err("a send-back waits that was answered".into());
            }
        }
        unique_history(state.history.iter().map(|e| e.event.id.as_str()))?;
        Ok(format!("{state:#?}"))
    }
}

#[test]
fn concurrent_report_events_are_judged_by_the_server_and_every_phone_converges() {
    let tally = run_races::<Reports>();
    assert!(
        tally.between("close", "reopen")
            + tally.between("close", "close")
            + tally.between("reopen", "reopen")
            + tally.between("close", "send_back")
            >= 3,
        "too few races between the two supervisors' closing acts"
    );
    assert!(
        tally.between("resolve", "send_back") + tally.between("send_back", "start") >= 3,
        "too few races of a send-back with the worker's act"
    );
    assert!(
        tally.between("assign", "assign")
            + tally.between("assign", "resolve")
            + tally.between("assign", "start")
            >= 3,
        "too few races with an assign"
    );
}
