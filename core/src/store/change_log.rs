//! The server's change log: every automerge change the server accepted, numbered by a global
//! sequence, filed under the scope of the record it belongs to.
//!
//! Devices pull a scope's log after their cursor. A device new to a scope first downloads the
//! scope's records whole (compacted documents, not their history), then follows the log. A
//! record that moves into a scope gets a `whole` entry there, so it too arrives whole.

use std::collections::BTreeMap;

use automerge::{ActorId, Change};
use rusqlite::{Connection, OptionalExtension, params};

use super::documents::{self, StoredDoc};
use super::merge::{LimitProblem, RecordChanges, RecordData, check_merged};
use super::{Origin, Store, commit_options};
use crate::error::{Error, Result};
use crate::ids::RecordId;
use crate::records::layout::KeyPolicy;
use crate::records::limits::{MAX_RECORD_BYTES, MAX_USER_DAILY_RECORD_OPS};
use crate::records::measure::MeasureError;
use crate::records::view::RecordView;
use crate::records::{RecordError, RecordKind};
use crate::rules::Refusal;
use crate::rules::household::Validation;
use crate::rules::permissions::Actor;
use crate::sync::wire::ScopeCursor;
use crate::time::Timestamp;

/// Records sent whole per scope per query while a first download runs.
const SNAPSHOT_PAGE: usize = 200;
/// Log entries read per query.
const LOG_PAGE: usize = 2000;

/// Appends a write's changes to the log inside the writer's transaction: under every scope
/// the record is in now and every scope it just left (so devices there learn where it went),
/// and a `whole` entry in each scope it just entered.
pub(crate) fn append(
    tx: &Connection,
    before: Option<&RecordView>,
    after: &RecordView,
    changes: &[Change],
    device: &str,
) -> Result<()> {
    let err = || Error::storage("appending to the change log");
    let now_in = after.scopes();
    let was_in = before.map(RecordView::scopes).unwrap_or_default();
    let mut insert = tx
        .prepare_cached(
            "INSERT OR IGNORE INTO change_log (doc_id, scope, whole, hash, data, device)
             VALUES (?1, ?2, 0, ?3, ?4, ?5)",
        )
        .map_err(err())?;
    let mut scopes = now_in.clone();
    scopes.extend(was_in.iter().filter(|s| !now_in.contains(s)).cloned());
    for c in changes {
        for s in &scopes {
            insert
                .execute(params![
                    after.id().as_str(),
                    s,
                    c.hash().0.as_slice(),
                    c.raw_bytes(),
                    device
                ])
                .map_err(err())?;
        }
    }
    if before.is_some() {
        for entered in now_in.iter().filter(|s| !was_in.contains(s)) {
            tx.prepare_cached(
                "INSERT INTO change_log (doc_id, scope, whole, device) VALUES (?1, ?2, 1, ?3)",
            )
            .and_then(|mut st| st.execute(params![after.id().as_str(), entered, device]))
            .map_err(err())?;
        }
    }
    Ok(())
}

/// What the server decided about one pushed record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    /// Durable on the server (or already was).
    Accepted,
    /// Refused by the rules.
    Refused(Refusal),
    /// The record is, or would end up, outside the pusher's scopes.
    OutOfScope,
    /// Changes arrived whose dependencies the server does not have: send the whole record.
    MissingDependencies,
}

/// One page of a device's pull.
#[derive(Debug, Clone, Default)]
pub struct PullPage {
    /// Records and their changes.
    pub records: Vec<RecordChanges>,
    /// New cursor per scope.
    pub cursors: BTreeMap<String, ScopeCursor>,
    /// Whether the byte budget ran out before everything was sent.
    pub more: bool,
    /// While a scope's first download is under way: what of it is still to come.
    pub download_left: Option<crate::sync::wire::DownloadLeft>,
}

impl Store {
    /// Server: judges one record's changes pushed by `actor` from `device`, and stores them
    /// (document, projections, change log) if the rules and scopes allow. `in_scope` says
    /// whether a scope key is one of the actor's. Who authored the automerge changes is not
    /// checked: for stores that trust each other (tools, tests); the sync server uses
    /// [`Store::accept_pushed_by`].
    pub fn accept_pushed(
        &self,
        actor: &Actor,
        device: &str,
        rc: &RecordChanges,
        in_scope: &dyn Fn(&str) -> bool,
        now: Timestamp,
    ) -> Result<PushOutcome> {
        self.accept_pushed_by(actor, device, None, rc, in_scope, now)
    }

    /// As [`Store::accept_pushed`], and with `author` (the pushing phone's automerge actor, in
    /// hex: its device id) every change new to the server must be that phone's own
    /// (`record.foreign_author`). An automerge change names its author and sequence number,
    /// and nothing else ties them to the phone: a colleague who pushed a change under another
    /// phone's actor with its next sequence number made that phone's next edit a duplicate
    /// the server could never take, and its every sync fail. For [`HEAL_WINDOW`] after a
    /// restore (`admin restore`) other phones' changes are taken too: devices then re-send
    /// what the restored log lacks, whoever made it.
    pub fn accept_pushed_by(
        &self,
        actor: &Actor,
        device: &str,
        author: Option<&str>,
        rc: &RecordChanges,
        in_scope: &dyn Fn(&str) -> bool,
        now: Timestamp,
    ) -> Result<PushOutcome> {
        let Some(pushed_kind) = RecordKind::parse(&rc.kind) else {
            return Err(Error::InvalidChanges {
                reason: format!("record {} is of unknown kind {:?}", rc.id, rc.kind),
            });
        };
        if !rc.id.is_issued_form() {
            // Judged from the request alone, before anything is loaded or locked.
            return Ok(PushOutcome::Refused(Refusal::rule("record.bad_id")));
        }
        // Measured from the chunk headers, before anything is loaded or locked: a few bytes can
        // claim millions of ops (`records::measure`).
        let pushed = match rc.data.check_limits() {
            Ok(m) => m,
            Err(LimitProblem::Limit(e)) => {
                tracing::debug!(record = %rc.id, user = %actor.user_id, device, reason = %e, "refused a pushed record over the limits");
                return Ok(PushOutcome::Refused(e.into()));
            }
            Err(LimitProblem::Malformed(reason)) => {
                return Err(Error::InvalidChanges {
                    reason: format!("record {}: {reason}", rc.id),
                });
            }
        };
        let any_in_scope = |v: &RecordView| v.scopes().iter().any(|s| in_scope(s));
        let kind;
        let changed = {
            let mut guard = self.writer();
            let w = &mut *guard;
            // Transaction first: the record is read under the file's write lock (see
            // `Store::edit_record`), so an admin command writing beside the server cannot
            // slip a change in between.
            let tx = w
                .conn
                .transaction()
                .map_err(Error::storage("starting a write"))?;
            // What the record already holds, history included (values overwritten since are
            // kept too), with what is pushed: within the record's bytes, measured before loading.
            let room = MAX_RECORD_BYTES.saturating_sub(pushed.bytes);
            if let Err(MeasureError::Inflates { .. }) =
                documents::measure_stored(&tx, &rc.id, room)?
            {
                let e = RecordError::TooLarge {
                    bytes: MAX_RECORD_BYTES.saturating_add(1),
                    max: MAX_RECORD_BYTES,
                };
                tracing::debug!(record = %rc.id, user = %actor.user_id, device, reason = %e, "refused a push to a record at its size limit");
                return Ok(PushOutcome::Refused(e.into()));
            }
            let mut d = match documents::load(&tx, &rc.id, &w.actor)? {
                Some(d) => d,
                None => StoredDoc::new(&rc.kind, &w.actor),
            };
            // The kind the server has for the record, not the one the device claims.
            kind = RecordKind::parse(&d.kind).unwrap_or(pushed_kind);
            let before = if d.saved_heads.is_empty() {
                None
            } else {
                Some(RecordView::read(kind, &d.doc, &rc.id)?)
            };
            if let Some(b) = &before
                && !any_in_scope(b)
            {
                return Ok(PushOutcome::OutOfScope);
            }
            let new = match merge_untrusted(&rc.data, &mut d) {
                Ok(Merged::Whole(new)) => new,
                Ok(Merged::MissingDependencies) => return Ok(PushOutcome::MissingDependencies),
                Err(reason) => {
                    return Err(Error::InvalidChanges {
                        reason: format!("record {}: {reason}", rc.id),
                    });
                }
            };
            // The record as it would be stored: within the limits, holding only keys of a
            // layout version this server knows (`records::layout`).
            if let Err(e) = check_merged(&d.doc, kind, KeyPolicy::Refuse) {
                tracing::debug!(record = %rc.id, user = %actor.user_id, device, reason = %e, "refused a pushed record");
                return Ok(PushOutcome::Refused(e.into()));
            }
            if let Some(author) = author
                && let Some(other) = new.authors.iter().find(|a| *a != author)
                && !healing(&tx, now)?
            {
                let refusal = Refusal::Rule(
                    crate::messages::Message::new("record.foreign_author")
                        .with("author", other.chars().take(8).collect::<String>()),
                );
                tracing::debug!(record = %rc.id, user = %actor.user_id, %refusal, "refused changes of another device");
                return Ok(PushOutcome::Refused(refusal));
            }
            let after = match RecordView::read(kind, &d.doc, &rc.id) {
                Ok(after) => after,
                Err(e) => return Ok(PushOutcome::Refused(e.into())),
            };
            if !any_in_scope(&after) {
                return Ok(PushOutcome::OutOfScope);
            }
            if let Err(refusal) =
                crate::rules::check_change(actor, before.as_ref(), &after, Validation::Strict)
            {
                tracing::debug!(record = %rc.id, user = %actor.user_id, %refusal, "refused a pushed change");
                return Ok(PushOutcome::Refused(refusal));
            }
            // The places the record names must agree with the reference data (the same check
            // the device makes): a record cannot put itself, and so its writer, into a compound
            // of another grid.
            if let Err(e) = super::reference::Places(&tx).check(before.as_ref(), &after) {
                return match e {
                    Error::Refused(refusal) => {
                        tracing::debug!(record = %rc.id, user = %actor.user_id, %refusal, "refused a pushed record's places");
                        Ok(PushOutcome::Refused(refusal))
                    }
                    e => Err(e),
                };
            }
            // A new report is filed in one of the reporter's own grids (an inspector, who holds
            // compounds and no grids, in one of their compounds): being in *a* scope of theirs
            // is not enough, or a worker could file into another community's grid by naming a
            // compound both share.
            if let (RecordView::Report(r), None) = (&after, &before) {
                let own = in_scope(&format!("grid:{}", r.grid))
                    || (actor.role == crate::records::role::Role::Inspector
                        && !r.compound.is_empty()
                        && in_scope(&format!("compound:{}", r.compound)));
                if !own {
                    let refusal = Refusal::Rule(
                        crate::messages::Message::new("place.report_outside_grids")
                            .with("grid", &r.grid),
                    );
                    tracing::debug!(record = %rc.id, user = %actor.user_id, %refusal, "refused a report outside the reporter's grids");
                    return Ok(PushOutcome::Refused(refusal));
                }
            }
            // A new report's category must be one the district configured: the same check the
            // device makes before filing.
            if let (RecordView::Report(r), None) = (&after, &before) {
                match super::inspection::check_category(&tx, &r.category) {
                    Ok(()) => {}
                    Err(Error::Refused(refusal)) => {
                        tracing::debug!(record = %rc.id, user = %actor.user_id, %refusal, "refused a pushed report");
                        return Ok(PushOutcome::Refused(refusal));
                    }
                    Err(e) => return Err(e),
                }
            }
            // The ops this push adds, against the pusher's budget for the record today.
            let added = new.ops;
            let day = now.0.div_euclid(Timestamp::DAY_MS);
            let spent = ops_spent(&tx, &rc.id, &actor.user_id, day)?;
            if spent + added > MAX_USER_DAILY_RECORD_OPS && !healing(&tx, now)? {
                tracing::warn!(record = %rc.id, user = %actor.user_id, ops = spent + added, "a user's pushes to one record passed the day's budget");
                return Ok(PushOutcome::Refused(Refusal::Rule(
                    crate::messages::Message::new("record.daily_budget")
                        .with("ops", spent + added)
                        .with("max", MAX_USER_DAILY_RECORD_OPS),
                )));
            }
            d.doc.commit_with(commit_options(now));
            let changed = self.persist(&tx, &mut d, before.as_ref(), &after, device, now)?;
            spend_ops(&tx, &rc.id, &actor.user_id, day, added)?;
            tx.commit()
                .map_err(Error::storage("committing a pushed change"))?;
            changed
        };
        if changed {
            self.listeners.notify(super::ChangeEvent {
                records: vec![(rc.id.clone(), kind)],
                origin: Origin::Merged,
            });
        }
        Ok(PushOutcome::Accepted)
    }

    /// Server: the highest sequence number in the change log.
    pub fn log_head(&self) -> Result<u64> {
        let conn = self.reader();
        conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM change_log", [], |r| {
            r.get::<_, i64>(0)
        })
        .map(|s| s as u64)
        .map_err(Error::storage("reading the change log"))
    }

    /// Server: what a device with `cursors` lacks in `scopes`, up to about `budget` bytes.
    /// Changes the device pushed itself are not sent back. Scopes missing from `cursors`
    /// start with a download of their records, whole.
    pub fn pull(
        &self,
        scopes: &[String],
        cursors: &BTreeMap<String, ScopeCursor>,
        device: &str,
        budget: usize,
    ) -> Result<PullPage> {
        let conn = self.reader();
        let actor = ActorId::random();
        let mut page = PullPage::default();
        let mut used = 0usize;
        for scope in scopes {
            let mut cursor = match cursors.get(scope) {
                Some(c) => c.clone(),
                None => ScopeCursor {
                    seq: max_seq(&conn)?,
                    snapshot_after: Some(String::new()),
                    tag: None,
                },
            };
            let downloading = cursor.snapshot_after.is_some();
            if downloading {
                // Counted below once this page has taken its share.
                page.download_left.get_or_insert_default();
            }
            if page.more {
                // Out of budget: keep what the device has; a scope it has nothing of starts
                // from the beginning next time.
                if let Some(c) = cursors.get(scope) {
                    page.cursors.insert(scope.clone(), c.clone());
                }
                if let Some(after) = &cursor.snapshot_after {
                    let left = super::download_left::left_in_scope(&conn, scope, after)?;
                    super::download_left::add(&mut page.download_left, left);
                }
                continue;
            }
            // First download: the scope's records, whole.
            while let Some(after) = cursor.snapshot_after.clone() {
                let ids = records_in_scope(&conn, scope, &after, SNAPSHOT_PAGE)?;
                if ids.is_empty() {
                    cursor.snapshot_after = None;
                    break;
                }
                for (id, kind) in ids {
                    let data = document_bytes(&conn, &id, &actor)?;
                    used += data.len();
                    cursor.snapshot_after = Some(id.to_string());
                    page.records.push(RecordChanges {
                        id,
                        kind,
                        data: RecordData::Document(data),
                    });
                    if used >= budget {
                        page.more = true;
                        break;
                    }
                }
                if page.more {
                    break;
                }
            }
            // Then the log after the cursor.
            while !page.more && cursor.snapshot_after.is_none() {
                let entries = log_after(&conn, scope, cursor.seq, LOG_PAGE)?;
                if entries.is_empty() {
                    break;
                }
                let full = entries.len() == LOG_PAGE;
                let mut grouped: BTreeMap<RecordId, Vec<serde_bytes::ByteBuf>> = BTreeMap::new();
                // Records in the order their first entry came, with their kind.
                let mut order: Vec<(RecordId, String)> = Vec::new();
                let mut listed: std::collections::HashSet<RecordId> = Default::default();
                let mut wholes: std::collections::HashSet<RecordId> = Default::default();
                for e in entries {
                    cursor.seq = e.seq;
                    if e.device == device && !e.whole {
                        continue;
                    }
                    let id = RecordId::from_string(e.doc_id);
                    if e.whole {
                        wholes.insert(id.clone());
                        used += 1024;
                    } else if let Some(data) = e.data {
                        used += data.len();
                        grouped.entry(id.clone()).or_default().push(data.into());
                    }
                    if listed.insert(id.clone()) {
                        order.push((id, e.kind));
                    }
                    if used >= budget {
                        page.more = true;
                        break;
                    }
                }
                for (id, kind) in order {
                    let data = if wholes.contains(&id) {
                        RecordData::Document(document_bytes(&conn, &id, &actor)?)
                    } else {
                        RecordData::Changes(grouped.remove(&id).unwrap_or_default())
                    };
                    page.records.push(RecordChanges { id, kind, data });
                }
                if !full {
                    break;
                }
            }
            if let Some(after) = &cursor.snapshot_after {
                let left = super::download_left::left_in_scope(&conn, scope, after)?;
                super::download_left::add(&mut page.download_left, left);
            }
            page.cursors.insert(scope.clone(), cursor);
        }
        // Each cursor carries the tag of the entry at its place, so the server can recognise
        // it next time (see `log_identity`).
        super::log_identity::tag_cursors(&conn, &mut page.cursors)?;
        Ok(page)
    }
}

/// How long after a restore the server takes other phones' changes from a device (see
/// [`Store::accept_pushed_by`]): devices heal on their next sync, and a phone left in a drawer
/// for a week still counts.
pub const HEAL_WINDOW: i64 = 14 * Timestamp::DAY_MS;

/// The ops `user` added to `record` on `day` (days since 1970, UTC).
fn ops_spent(conn: &Connection, record: &RecordId, user: &str, day: i64) -> Result<u64> {
    conn.prepare_cached(
        "SELECT ops FROM record_ops_by_user WHERE record_id = ?1 AND user_id = ?2 AND day = ?3",
    )
    .and_then(|mut st| {
        st.query_row(params![record.as_str(), user, day], |r| r.get::<_, i64>(0))
            .optional()
    })
    .map(|o| o.unwrap_or(0).max(0) as u64)
    .map_err(Error::storage("reading a user's ops budget"))
}

/// Adds `ops` to what `user` added to `record` on `day`, and forgets earlier days of it.
fn spend_ops(conn: &Connection, record: &RecordId, user: &str, day: i64, ops: u64) -> Result<()> {
    let err = || Error::storage("writing a user's ops budget");
    conn.prepare_cached("DELETE FROM record_ops_by_user WHERE record_id = ?1 AND day < ?2")
        .and_then(|mut st| st.execute(params![record.as_str(), day]))
        .map_err(err())?;
    conn.prepare_cached(
        "INSERT INTO record_ops_by_user (record_id, user_id, day, ops) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (record_id, user_id, day) DO UPDATE SET ops = ops + ?4",
    )
    .and_then(|mut st| st.execute(params![record.as_str(), user, day, ops as i64]))
    .map_err(err())?;
    Ok(())
}

/// Whether the server was restored from a backup less than [`HEAL_WINDOW`] ago.
fn healing(conn: &Connection, now: Timestamp) -> Result<bool> {
    let at: Option<i64> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'restored_at'",
            [],
            |r| r.get(0),
        )
        .optional()
        .map_err(Error::storage("reading store facts"))?;
    Ok(at.is_some_and(|at| now.0 - at < HEAL_WINDOW))
}

/// What merging a pushed record's data gave.
enum Merged {
    /// The data merged and the document is whole; what the changes new to the server are.
    Whole(NewChanges),
    /// Changes arrived whose dependencies the document lacks.
    MissingDependencies,
}

/// Merges data from a phone into `d`, and makes sure the result can be read back as changes
/// (what the log and every other phone will need). Crafted automerge data can make automerge
/// itself panic (the fuzz target `pushed_changes` found a change whose dependency graph makes
/// `get_changes` unwrap an error); that is caught here, at the one place untrusted data enters,
/// and answered as invalid data, so one bad record never fails a whole sync.
/// The changes a push adds to the server's copy, read once for every check that needs them.
struct NewChanges {
    /// Their authors' actor ids, in hex.
    authors: Vec<String>,
    /// Their ops, counted against the pusher's daily budget.
    ops: u64,
}

fn merge_untrusted(data: &RecordData, d: &mut StoredDoc) -> std::result::Result<Merged, String> {
    let doc = &mut d.doc;
    let saved = d.saved_heads.clone();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        data.apply_to(doc)?;
        if !doc.get_missing_deps(&[]).is_empty() {
            return Ok(Merged::MissingDependencies);
        }
        let changes = doc.get_changes(&saved);
        let mut authors: Vec<String> = changes
            .iter()
            .map(|c| c.actor_id().to_hex_string())
            .collect();
        authors.dedup();
        let ops = changes.iter().map(|c| c.len() as u64).sum();
        Ok(Merged::Whole(NewChanges { authors, ops }))
    }))
    .unwrap_or_else(|_| Err("automerge could not read the data".into()))
}

struct LogEntry {
    seq: u64,
    doc_id: String,
    whole: bool,
    data: Option<Vec<u8>>,
    device: String,
    kind: String,
}

pub(crate) fn max_seq(conn: &Connection) -> Result<u64> {
    conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM change_log", [], |r| {
        r.get::<_, i64>(0)
    })
    .map(|s| s as u64)
    .map_err(Error::storage("reading the change log"))
}

fn log_after(conn: &Connection, scope: &str, seq: u64, limit: usize) -> Result<Vec<LogEntry>> {
    conn.prepare_cached(
        "SELECT l.seq, l.doc_id, l.whole, l.data, l.device, d.kind
         FROM change_log l JOIN document d ON d.id = l.doc_id
         WHERE l.scope = ?1 AND l.seq > ?2 ORDER BY l.seq LIMIT ?3",
    )
    .and_then(|mut st| {
        st.query_map(params![scope, seq as i64, limit as i64], |r| {
            Ok(LogEntry {
                seq: r.get::<_, i64>(0)? as u64,
                doc_id: r.get(1)?,
                whole: r.get(2)?,
                data: r.get(3)?,
                device: r.get(4)?,
                kind: r.get(5)?,
            })
        })?
        .collect()
    })
    .map_err(Error::storage("reading the change log"))
}

/// Records in a scope after `after`, in id order.
fn records_in_scope(
    conn: &Connection,
    scope: &str,
    after: &str,
    limit: usize,
) -> Result<Vec<(RecordId, String)>> {
    let sql = match scope.split_once(':') {
        Some(("grid", _)) => {
            "SELECT id, 'household' FROM household WHERE grid_id = ?1 AND id > ?2
             UNION ALL SELECT id, 'report' FROM report WHERE grid_id = ?1 AND id > ?2
             ORDER BY 1 LIMIT ?3"
        }
        Some(("compound", _)) => {
            "SELECT id, 'order' FROM work_order WHERE compound_id = ?1 AND id > ?2
             UNION ALL SELECT id, 'report' FROM report WHERE compound_id = ?1 AND id > ?2
             ORDER BY 1 LIMIT ?3"
        }
        Some(("company", _)) => {
            "SELECT id, 'order' FROM work_order WHERE company_id = ?1 AND id > ?2 ORDER BY id LIMIT ?3"
        }
        _ => return Ok(Vec::new()),
    };
    let code = scope.split_once(':').map(|(_, c)| c).unwrap_or_default();
    conn.prepare_cached(sql)
        .and_then(|mut st| {
            st.query_map(params![code, after, limit as i64], |r| {
                Ok((
                    RecordId::from_string(r.get::<_, String>(0)?),
                    r.get::<_, String>(1)?,
                ))
            })?
            .collect()
        })
        .map_err(Error::storage("listing a scope's records"))
}

/// A record's compacted document: the stored snapshot when it has no chunks, else a fresh save.
fn document_bytes(conn: &Connection, id: &RecordId, actor: &ActorId) -> Result<Vec<u8>> {
    let snapshot: Option<(Vec<u8>, i64)> = conn
        .prepare_cached("SELECT snapshot, chunk_bytes FROM document WHERE id = ?1")
        .and_then(|mut st| {
            st.query_row([id.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(Error::storage("reading a record"))?;
    match snapshot {
        Some((bytes, 0)) => Ok(bytes),
        Some(_) => {
            let mut d = documents::load(conn, id, actor)?.ok_or_else(|| super::not_found(id))?;
            Ok(d.doc.save())
        }
        None => Err(super::not_found(id)),
    }
}
