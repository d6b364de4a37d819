//! The device's side of sync: the outbox (every record whose heads the server has not
//! acknowledged), the cursors per scope, and the status the app shows.
//!
//! Nothing here is in memory only: a phone that dies mid-sync finds its outbox and cursors as
//! the last committed transaction left them, and simply syncs again. Pushing a change twice
//! is harmless, so the outbox errs on the side of sending again.

use std::collections::BTreeMap;

use automerge::ActorId;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::documents::{self, decode_heads};
use super::merge::{RecordChanges, RecordData};
use super::{ChangeEvent, Origin, Store, not_found, projection};
use crate::error::{Error, Result};
use crate::ids::RecordId;
use crate::records::RecordKind;
use crate::records::view::RecordView;
use crate::sync::wire::ScopeCursor;
use crate::time::Timestamp;

/// A record in the outbox, ready to push.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// What to send.
    pub changes: RecordChanges,
    /// The heads it brings the server to: acknowledged once the server accepts it.
    pub heads: Vec<u8>,
}

/// What the app shows about sync.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    /// Records with changes the server has not confirmed.
    pub pending: u32,
    /// Records the server refused, with its reason; they stay here until edited again.
    pub refused: Vec<(RecordId, String)>,
    /// When the last sync finished.
    pub last_success_at: Option<Timestamp>,
    /// When the last sync failed.
    pub last_error_at: Option<Timestamp>,
    /// Why it failed.
    pub last_error: Option<String>,
    /// How far the server's clock is ahead of this device's, in milliseconds, as measured by
    /// the last sync that got an answer (server time minus the device's time at the middle of
    /// the round trip). A large value means the phone's clock is wrong.
    pub clock_offset_ms: Option<i64>,
}

/// Device: after applying changes the server sent, the server has everything the record has,
/// unless the record had local changes still waiting.
pub(crate) fn acknowledge_pulled(
    tx: &Connection,
    id: &RecordId,
    heads_before: Option<&[u8]>,
) -> Result<()> {
    tx.prepare_cached(
        "UPDATE document SET acked_heads = heads WHERE id = ?1 AND acked_heads IS ?2",
    )
    .and_then(|mut st| st.execute(params![id.as_str(), heads_before]))
    .map_err(Error::storage("updating the outbox"))?;
    Ok(())
}

/// Replaces the cursors inside the caller's transaction.
pub(crate) fn replace_cursors(
    tx: &Connection,
    cursors: &BTreeMap<String, ScopeCursor>,
) -> Result<()> {
    let err = || Error::storage("saving sync cursors");
    tx.execute("DELETE FROM sync_cursor", []).map_err(err())?;
    let mut st = tx
        .prepare_cached(
            "INSERT INTO sync_cursor (scope, seq, snapshot_after, tag) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(err())?;
    for (scope, c) in cursors {
        st.execute(params![
            scope,
            c.seq as i64,
            c.snapshot_after,
            c.tag.map(i64::from)
        ])
        .map_err(err())?;
    }
    Ok(())
}

impl Store {
    /// Records waiting to be pushed, up to about `budget` bytes (at least one record).
    /// While a heal is under way (`store::heal`) nothing is pushed: what the server lacks is
    /// known only once the re-download ends.
    pub fn outbox(&self, budget: usize) -> Result<Vec<Outgoing>> {
        if self.is_healing()? {
            return Ok(Vec::new());
        }
        let conn = self.reader();
        // (id, kind, heads, acknowledged heads)
        type Row = (String, String, Vec<u8>, Option<Vec<u8>>);
        let rows: Vec<Row> = conn
            .prepare_cached(
                "SELECT id, kind, heads, acked_heads FROM document
                 WHERE acked_heads IS NOT heads AND refused_heads IS NOT heads ORDER BY id",
            )
            .and_then(|mut st| {
                st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                    .collect()
            })
            .map_err(Error::storage("reading the outbox"))?;
        let actor = ActorId::random();
        let mut out = Vec::new();
        let mut used = 0;
        for (id, kind, heads, acked) in rows {
            let id = RecordId::from_string(id);
            let Some(mut d) = documents::load(&conn, &id, &actor)? else {
                continue;
            };
            let data = match acked {
                None => RecordData::Document(d.doc.save()),
                Some(acked) => RecordData::Changes(
                    d.doc
                        .get_changes(&decode_heads(&acked))
                        .iter()
                        .map(|c| serde_bytes::ByteBuf::from(c.raw_bytes()))
                        .collect(),
                ),
            };
            used += data.len();
            out.push(Outgoing {
                changes: RecordChanges { id, kind, data },
                heads,
            });
            if used >= budget {
                break;
            }
        }
        Ok(out)
    }

    /// Records with changes the server has not confirmed (refused ones not counted).
    pub fn pending_count(&self) -> Result<u32> {
        self.reader()
            .query_row(
                "SELECT COUNT(*) FROM document WHERE acked_heads IS NOT heads AND refused_heads IS NOT heads",
                [],
                |r| r.get(0),
            )
            .map_err(Error::storage("counting the outbox"))
    }

    /// The server accepted these records at these heads. Photos of theirs the server refused
    /// before are tried again: the record it has now may be the one that refers to them.
    pub fn mark_acknowledged(&self, acks: &[(RecordId, Vec<u8>)]) -> Result<()> {
        let mut guard = self.writer();
        let tx = guard
            .conn
            .transaction()
            .map_err(Error::storage("updating the outbox"))?;
        {
            let mut st = tx
                .prepare_cached("UPDATE document SET acked_heads = ?2, refused_heads = NULL, refusal = NULL WHERE id = ?1")
                .map_err(Error::storage("updating the outbox"))?;
            let mut unblock = tx
                .prepare_cached(
                    "UPDATE photo SET upload_blocked = NULL, upload_error = NULL
                     WHERE upload_blocked = 'refused'
                       AND hash IN (SELECT hash FROM photo_ref WHERE record_id = ?1)",
                )
                .map_err(Error::storage("updating the outbox"))?;
            for (id, heads) in acks {
                st.execute(params![id.as_str(), heads])
                    .map_err(Error::storage("updating the outbox"))?;
                unblock
                    .execute([id.as_str()])
                    .map_err(Error::storage("updating the outbox"))?;
            }
        }
        tx.commit().map_err(Error::storage("updating the outbox"))
    }

    /// Device: throws away a record's changes the server has not taken, going back to what the
    /// server has (a record it never had is deleted). For a refused change the worker cannot
    /// mend by editing on: without this, the refused change rides along with every later edit
    /// of the record and takes them down with it. One transaction; subscribers hear of it.
    pub fn discard_unsent_changes(&self, id: &RecordId) -> Result<()> {
        let err = || Error::storage("discarding unsent changes");
        let kind = {
            let mut guard = self.writer();
            let w = &mut *guard;
            let tx = w.conn.transaction().map_err(err())?;
            let acked: Option<Vec<u8>> = tx
                .query_row(
                    "SELECT acked_heads FROM document WHERE id = ?1",
                    [id.as_str()],
                    |r| r.get(0),
                )
                .optional()
                .map_err(err())?
                .ok_or_else(|| not_found(id))?;
            let mut d = documents::load(&tx, id, &w.actor)?.ok_or_else(|| not_found(id))?;
            let kind = RecordKind::parse(&d.kind).ok_or_else(|| not_found(id))?;
            match acked {
                None => projection::delete_record(&tx, id)?,
                Some(acked) => {
                    let mut server_has = d.doc.fork_at(&decode_heads(&acked)).map_err(|e| {
                        Error::CorruptDocument {
                            id: id.to_string(),
                            reason: e.to_string(),
                        }
                    })?;
                    tx.execute(
                        "DELETE FROM document_chunk WHERE doc_id = ?1",
                        [id.as_str()],
                    )
                    .and_then(|_| {
                        tx.execute(
                            "UPDATE document SET snapshot = ?2, heads = ?3, chunk_bytes = 0,
                                     refused_heads = NULL, refusal = NULL
                                 WHERE id = ?1",
                            params![id.as_str(), server_has.save(), acked],
                        )
                    })
                    .map_err(err())?;
                    projection::project(&tx, &RecordView::read(kind, &server_has, id)?)?;
                }
            }
            tx.commit().map_err(err())?;
            kind
        };
        tracing::info!(record = %id, "discarded changes the server had not taken");
        self.listeners.notify(ChangeEvent {
            records: vec![(id.clone(), kind)],
            origin: Origin::Local,
        });
        Ok(())
    }

    /// The server refused this record at these heads: keep the changes, stop sending them, show
    /// the reason. `resend_whole` forgets what the server acknowledged, so the next push sends
    /// the whole record (the server lacked a change these depended on).
    pub fn mark_refused(
        &self,
        id: &RecordId,
        heads: &[u8],
        reason: &str,
        resend_whole: bool,
    ) -> Result<()> {
        let guard = self.writer();
        let changed = if resend_whole {
            guard.conn.execute(
                "UPDATE document SET acked_heads = NULL WHERE id = ?1",
                [id.as_str()],
            )
        } else {
            guard.conn.execute(
                "UPDATE document SET refused_heads = ?2, refusal = ?3 WHERE id = ?1",
                params![id.as_str(), heads, reason],
            )
        }
        .map_err(Error::storage("updating the outbox"))?;
        if changed == 0 {
            return Err(not_found(id));
        }
        Ok(())
    }

    /// Applies changes the server sent; records with nothing waiting become acknowledged. A
    /// record over the limits is set aside (not applied) and the rest apply.
    pub fn apply_pulled(
        &self,
        records: &[RecordChanges],
        now: Timestamp,
    ) -> Result<super::Applied> {
        self.apply_records(records, true, now)
    }

    /// The device's cursor per scope.
    pub fn sync_cursors(&self) -> Result<BTreeMap<String, ScopeCursor>> {
        self.reader()
            .prepare_cached("SELECT scope, seq, snapshot_after, tag FROM sync_cursor")
            .and_then(|mut st| {
                st.query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        ScopeCursor {
                            seq: r.get::<_, i64>(1)? as u64,
                            snapshot_after: r.get(2)?,
                            tag: r.get::<_, Option<i64>>(3)?.map(|t| t as u32),
                        },
                    ))
                })?
                .collect()
            })
            .map_err(Error::storage("reading sync cursors"))
    }

    /// Replaces the cursors with the server's: scopes it no longer lists are dropped. The sync
    /// client uses [`Store::save_sync_position`], which also keeps the log they belong to.
    pub fn set_sync_cursors(&self, cursors: &BTreeMap<String, ScopeCursor>) -> Result<()> {
        let mut guard = self.writer();
        let tx = guard
            .conn
            .transaction()
            .map_err(Error::storage("saving sync cursors"))?;
        replace_cursors(&tx, cursors)?;
        tx.commit().map_err(Error::storage("saving sync cursors"))
    }

    /// Records how a sync ended, for [`Store::sync_status`].
    pub fn record_sync_result(
        &self,
        result: std::result::Result<(), &str>,
        now: Timestamp,
    ) -> Result<()> {
        let guard = self.writer();
        let sql = match result {
            Ok(()) => {
                "INSERT INTO sync_status (id, last_success_at) VALUES (1, ?1)
                       ON CONFLICT (id) DO UPDATE SET last_success_at = ?1"
            }
            Err(_) => {
                "INSERT INTO sync_status (id, last_error_at, last_error) VALUES (1, ?1, ?2)
                       ON CONFLICT (id) DO UPDATE SET last_error_at = ?1, last_error = ?2"
            }
        };
        let reason = result.err().unwrap_or_default();
        let params: &[&dyn rusqlite::ToSql] = if result.is_ok() {
            &[&now.0]
        } else {
            &[&now.0, &reason]
        };
        guard
            .conn
            .execute(sql, params)
            .map_err(Error::storage("saving sync status"))?;
        Ok(())
    }

    /// Pending count, refusals and the last sync's outcome.
    pub fn sync_status(&self) -> Result<SyncStatus> {
        let pending = self.pending_count()?;
        let conn = self.reader();
        let refused = conn
            .prepare_cached("SELECT id, refusal FROM document WHERE refused_heads IS heads AND refusal IS NOT NULL ORDER BY id")
            .and_then(|mut st| {
                st.query_map([], |r| Ok((RecordId::from_string(r.get::<_, String>(0)?), r.get(1)?)))?
                    .collect()
            })
            .map_err(Error::storage("reading sync status"))?;
        type Row = (Option<i64>, Option<i64>, Option<String>, Option<i64>);
        let row: Option<Row> = conn
            .query_row(
                "SELECT last_success_at, last_error_at, last_error, clock_offset_ms
                 FROM sync_status WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(Error::storage("reading sync status"))?;
        let (ok, err_at, err, clock_offset_ms) = row.unwrap_or_default();
        Ok(SyncStatus {
            pending,
            refused,
            last_success_at: ok.map(Timestamp),
            last_error_at: err_at.map(Timestamp),
            last_error: err,
            clock_offset_ms,
        })
    }

    /// The heads of a record as stored (for tests and the sync client).
    pub fn stored_heads(&self, id: &RecordId) -> Result<Option<Vec<u8>>> {
        self.reader()
            .query_row(
                "SELECT heads FROM document WHERE id = ?1",
                [id.as_str()],
                |r| r.get(0),
            )
            .optional()
            .map_err(Error::storage("reading a record's heads"))
    }
}
