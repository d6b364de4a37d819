//! Device: healing after the server's change log was restored or replaced.
//!
//! The device's cursors and its acknowledged heads are claims about one history of the
//! server's log. When the server says that history is gone (`log_changed`,
//! `server_went_back`), none of them count any more, but pushing every record whole would
//! send thousands of documents the server mostly still has. So the device heals by pulling
//! first:
//!
//! 1. [`Store::begin_heal`], one transaction: cursors and the remembered log identity are
//!    dropped, every acknowledged record is listed as unconfirmed (`heal_unconfirmed`), photos
//!    are marked to be checked, and the `healing` fact is set. While it is set the outbox is
//!    empty: nothing is pushed against heads the server may not have.
//! 2. The scopes download again, whole. A record the server sends whole is what the server
//!    holds: its acknowledged heads become the heads of that document (`acknowledge_whole`),
//!    so only the device's changes beyond it are pushed later, and it leaves the unconfirmed
//!    list.
//! 3. When the last page is saved ([`Store::save_sync_position`] with `complete`), what is
//!    still unconfirmed is a record the server lacks altogether: its acknowledgement is
//!    cleared, so it is pushed whole. The fact is cleared in the same transaction.
//!
//! Every step is a transaction, and each one can be repeated: a device that dies mid-heal
//! finds the fact set and its partial download's cursors, and carries on.

use std::collections::{BTreeMap, HashSet};

use rusqlite::{Connection, OptionalExtension, params};

use super::Store;
use super::documents::encode_heads;
use crate::error::{Error, Result};
use crate::ids::RecordId;
use crate::sync::wire::ScopeCursor;

/// The `meta` key of the fact that a heal is under way.
const HEALING: &str = "healing";
/// The `meta` key of the identity of the server log the cursors belong to.
const SERVER_LOG: &str = "server_log_id";

/// Device, inside a merge's transaction: `bytes`, a whole document the server sent, is what
/// the server holds of the record. If the device did not know what the server holds (never
/// acknowledged, or unconfirmed by a heal), the heads of that document become its
/// acknowledged heads. Loads the document only in that case.
pub(crate) fn acknowledge_whole(tx: &Connection, id: &RecordId, bytes: &[u8]) -> Result<()> {
    let err = || Error::storage("updating the outbox");
    let unknown: bool = tx
        .prepare_cached(
            "SELECT acked_heads IS NULL OR EXISTS (SELECT 1 FROM heal_unconfirmed WHERE id = ?1)
             FROM document WHERE id = ?1",
        )
        .and_then(|mut st| st.query_row([id.as_str()], |r| r.get(0)).optional())
        .map_err(err())?
        .unwrap_or(false);
    if !unknown {
        return Ok(());
    }
    let server = automerge::Automerge::load(bytes).map_err(|e| Error::InvalidChanges {
        reason: format!("record {id}: {e}"),
    })?;
    tx.prepare_cached("UPDATE document SET acked_heads = ?2 WHERE id = ?1")
        .and_then(|mut st| st.execute(params![id.as_str(), encode_heads(&server.get_heads())]))
        .and_then(|_| {
            tx.prepare_cached("DELETE FROM heal_unconfirmed WHERE id = ?1")?
                .execute([id.as_str()])
        })
        .map_err(err())?;
    Ok(())
}

impl Store {
    /// Device: the identity of the server log the cursors belong to (none before the first
    /// sync, and during the first page of a heal).
    pub fn server_log_id(&self) -> Result<Option<u64>> {
        self.reader()
            .query_row("SELECT value FROM meta WHERE key = ?1", [SERVER_LOG], |r| {
                r.get::<_, i64>(0)
            })
            .optional()
            .map(|v| v.map(|v| v as u64))
            .map_err(Error::storage("reading store facts"))
    }

    /// Device: whether a heal is under way (see the module comment).
    pub fn is_healing(&self) -> Result<bool> {
        healing(&self.reader())
    }

    /// Device: the server's log is not the one this device's cursors and acknowledgements
    /// belong to. Starts a heal (see the module comment). Repeating it is harmless.
    pub fn begin_heal(&self) -> Result<()> {
        let err = || Error::storage("starting to heal");
        let mut guard = self.writer();
        let tx = guard.conn.transaction().map_err(err())?;
        tx.execute_batch(
            "DELETE FROM sync_cursor;
             DELETE FROM meta WHERE key = 'server_log_id';
             INSERT OR REPLACE INTO meta (key, value) VALUES ('healing', 1);
             INSERT OR IGNORE INTO heal_unconfirmed (id)
                 SELECT id FROM document WHERE acked_heads IS NOT NULL;
             -- The restored server may lack photos it once confirmed: ask before re-sending.
             UPDATE photo SET uploaded = 0, upload_check = 1 WHERE uploaded = 1;
             -- Its refusals were about the old history.
             UPDATE photo SET upload_blocked = NULL, upload_error = NULL
                 WHERE upload_blocked = 'refused';",
        )
        .map_err(err())?;
        tx.commit().map_err(err())?;
        tracing::warn!("the server's change log changed: downloading again, then re-sending");
        Ok(())
    }

    /// Device: saves the cursors and the log identity the server sent, in one transaction.
    /// `complete` says the server has nothing more for now (`more` was false): if a heal is
    /// under way and every scope's download has finished, the heal ends here, and records the
    /// server did not send back are made to be pushed whole. Returns whether a heal ended.
    pub fn save_sync_position(
        &self,
        cursors: &BTreeMap<String, ScopeCursor>,
        log: u64,
        complete: bool,
    ) -> Result<bool> {
        let err = || Error::storage("saving sync cursors");
        let mut guard = self.writer();
        let tx = guard.conn.transaction().map_err(err())?;
        super::outbox::replace_cursors(&tx, cursors)?;
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
            params![SERVER_LOG, log as i64],
        )
        .map_err(err())?;
        let downloaded = complete && cursors.values().all(|c| c.snapshot_after.is_none());
        let ended = downloaded && healing(&tx)?;
        if ended {
            let lacking = tx
                .execute(
                    "UPDATE document SET acked_heads = NULL
                     WHERE id IN (SELECT id FROM heal_unconfirmed)",
                    [],
                )
                .map_err(err())?;
            tx.execute_batch(
                "DELETE FROM heal_unconfirmed; DELETE FROM meta WHERE key = 'healing';",
            )
            .map_err(err())?;
            tracing::info!(
                lacking,
                "healed: downloaded again; records the server lacks are sent whole"
            );
        }
        tx.commit().map_err(err())?;
        Ok(ended)
    }

    /// Device: photos that the server confirmed before a heal, to ask about before uploading.
    pub fn photos_to_check(&self) -> Result<HashSet<String>> {
        self.reader()
            .prepare_cached("SELECT hash FROM photo WHERE upload_check = 1 AND uploaded = 0")
            .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
            .map_err(Error::storage("listing photos to check"))
    }

    /// Device: records the device's clock offset (server time minus device time, ms) measured
    /// by the last sync, for [`Store::sync_status`].
    pub fn record_clock_offset(&self, offset_ms: i64) -> Result<()> {
        self.writer()
            .conn
            .execute(
                "INSERT INTO sync_status (id, clock_offset_ms) VALUES (1, ?1)
                 ON CONFLICT (id) DO UPDATE SET clock_offset_ms = ?1",
                [offset_ms],
            )
            .map_err(Error::storage("saving sync status"))?;
        Ok(())
    }
}

fn healing(conn: &Connection) -> Result<bool> {
    conn.query_row("SELECT 1 FROM meta WHERE key = ?1", [HEALING], |_| Ok(()))
        .optional()
        .map(|v| v.is_some())
        .map_err(Error::storage("reading store facts"))
}
