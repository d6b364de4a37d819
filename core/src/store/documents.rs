//! Automerge documents in SQLite: a compacted snapshot per document plus the incremental
//! chunks saved since.
//!
//! A write appends one chunk (only the new changes). When a document's chunks weigh as much as
//! its snapshot they are folded into a new snapshot, in the same transaction that deletes them,
//! so a crash leaves either the old snapshot with its chunks or the new snapshot alone.

use automerge::{ActorId, AutoCommit, ChangeHash};
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Error, Result};
use crate::ids::RecordId;
use crate::records::measure::{Measure, MeasureError, measure};
use crate::time::Timestamp;

/// Chunks are never folded before they reach this many bytes: folding a tiny document on
/// every write would cost more than it saves.
const FOLD_MIN_BYTES: i64 = 4096;

/// A document as loaded from the store, with what is needed to save what changes next.
pub struct StoredDoc {
    /// The document; its actor is this store's.
    pub doc: AutoCommit,
    /// The record kind the store has for it.
    pub kind: String,
    /// Heads as stored: everything after them is unsaved.
    pub saved_heads: Vec<ChangeHash>,
    snapshot_len: i64,
    chunk_bytes: i64,
    stored: bool,
}

impl StoredDoc {
    /// A document not yet in the store.
    pub fn new(kind: &str, actor: &ActorId) -> Self {
        StoredDoc {
            doc: AutoCommit::new().with_actor(actor.clone()),
            kind: kind.to_owned(),
            saved_heads: Vec::new(),
            snapshot_len: 0,
            chunk_bytes: 0,
            stored: false,
        }
    }
}

/// Encodes heads as 32-byte hashes back to back.
pub fn encode_heads(heads: &[ChangeHash]) -> Vec<u8> {
    let mut sorted = heads.to_vec();
    sorted.sort();
    sorted.iter().flat_map(|h| h.0).collect()
}

/// Decodes heads written by [`encode_heads`].
pub fn decode_heads(bytes: &[u8]) -> Vec<ChangeHash> {
    bytes
        .chunks_exact(32)
        .filter_map(|c| ChangeHash::try_from(c).ok())
        .collect()
}

/// Loads a document, or `None` if the store does not have it.
pub fn load(conn: &Connection, id: &RecordId, actor: &ActorId) -> Result<Option<StoredDoc>> {
    let row = conn
        .prepare_cached("SELECT kind, snapshot, chunk_bytes FROM document WHERE id = ?1")
        .and_then(|mut st| {
            st.query_row([id.as_str()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .optional()
        })
        .map_err(Error::storage("loading a record"))?;
    let Some((kind, snapshot, chunk_bytes)) = row else {
        return Ok(None);
    };
    let corrupt = |e: automerge::AutomergeError| Error::CorruptDocument {
        id: id.to_string(),
        reason: e.to_string(),
    };
    let mut doc = AutoCommit::load(&snapshot).map_err(corrupt)?;
    if chunk_bytes > 0 {
        let mut st = conn
            .prepare_cached("SELECT data FROM document_chunk WHERE doc_id = ?1 ORDER BY seq")
            .map_err(Error::storage("loading a record"))?;
        let chunks = st
            .query_map([id.as_str()], |r| r.get::<_, Vec<u8>>(0))
            .map_err(Error::storage("loading a record"))?;
        for chunk in chunks {
            let chunk = chunk.map_err(Error::storage("loading a record"))?;
            doc.load_incremental(&chunk).map_err(corrupt)?;
        }
    }
    doc.set_actor(actor.clone());
    let saved_heads = doc.get_heads();
    Ok(Some(StoredDoc {
        doc,
        kind,
        saved_heads,
        snapshot_len: snapshot.len() as i64,
        chunk_bytes,
        stored: true,
    }))
}

/// What a stored document holds ([`crate::records::measure`]), measured from its snapshot and
/// chunks without loading it, inflating at most `max_bytes`; a default measure when the store
/// does not have it.
pub fn measure_stored(
    conn: &Connection,
    id: &RecordId,
    max_bytes: u64,
) -> Result<std::result::Result<Measure, MeasureError>> {
    let err = || Error::storage("measuring a record");
    let parts: Vec<Vec<u8>> = conn
        .prepare_cached(
            "SELECT snapshot FROM document WHERE id = ?1
             UNION ALL SELECT data FROM document_chunk WHERE doc_id = ?1",
        )
        .and_then(|mut st| {
            st.query_map([id.as_str()], |r| r.get::<_, Vec<u8>>(0))?
                .collect()
        })
        .map_err(err())?;
    let mut total = Measure::default();
    for part in parts {
        match measure(&part, max_bytes.saturating_sub(total.bytes)) {
            Ok(m) => total.add(m),
            Err(e) => return Ok(Err(e)),
        }
    }
    Ok(Ok(total))
}

/// Saves what changed in `d` since it was loaded or last saved. Returns whether anything did.
pub fn save(conn: &Connection, id: &RecordId, d: &mut StoredDoc, now: Timestamp) -> Result<bool> {
    let heads = d.doc.get_heads();
    if heads.is_empty() {
        return Ok(false);
    }
    if d.stored && sorted(&heads) == sorted(&d.saved_heads) {
        return Ok(false);
    }
    let err = Error::storage("saving a record");
    if !d.stored {
        let snapshot = d.doc.save();
        conn.prepare_cached(
            "INSERT INTO document (id, kind, heads, snapshot, chunk_bytes, updated_at)
             VALUES (?1, ?2, ?3, ?4, 0, ?5)",
        )
        .and_then(|mut st| {
            st.execute(params![
                id.as_str(),
                d.kind,
                encode_heads(&heads),
                snapshot,
                now.0
            ])
        })
        .map_err(err)?;
        d.snapshot_len = snapshot.len() as i64;
        d.chunk_bytes = 0;
        d.stored = true;
    } else {
        let chunk = d.doc.save_after(&d.saved_heads);
        d.chunk_bytes += chunk.len() as i64;
        if d.chunk_bytes >= d.snapshot_len.max(FOLD_MIN_BYTES) {
            fold(conn, id, d, &heads, now)?;
        } else {
            conn.prepare_cached(
                "INSERT INTO document_chunk (doc_id, seq, data)
                 VALUES (?1, (SELECT COALESCE(MAX(seq), 0) + 1 FROM document_chunk WHERE doc_id = ?1), ?2)",
            )
            .and_then(|mut st| st.execute(params![id.as_str(), chunk]))
            .map_err(Error::storage("saving a record"))?;
            conn.prepare_cached(
                "UPDATE document SET heads = ?2, chunk_bytes = ?3, updated_at = ?4 WHERE id = ?1",
            )
            .and_then(|mut st| {
                st.execute(params![
                    id.as_str(),
                    encode_heads(&heads),
                    d.chunk_bytes,
                    now.0
                ])
            })
            .map_err(Error::storage("saving a record"))?;
        }
    }
    d.saved_heads = heads;
    Ok(true)
}

/// Replaces the snapshot and deletes the chunks it now contains: both in the caller's
/// transaction, never one without the other.
fn fold(
    conn: &Connection,
    id: &RecordId,
    d: &mut StoredDoc,
    heads: &[ChangeHash],
    now: Timestamp,
) -> Result<()> {
    let snapshot = d.doc.save();
    let err = || Error::storage("folding a record's changes");
    conn.prepare_cached("DELETE FROM document_chunk WHERE doc_id = ?1")
        .and_then(|mut st| st.execute([id.as_str()]))
        .map_err(err())?;
    conn.prepare_cached(
        "UPDATE document SET heads = ?2, snapshot = ?3, chunk_bytes = 0, updated_at = ?4 WHERE id = ?1",
    )
    .and_then(|mut st| st.execute(params![id.as_str(), encode_heads(heads), snapshot, now.0]))
    .map_err(err())?;
    tracing::debug!(record = %id, bytes = snapshot.len(), "folded a document's chunks into its snapshot");
    d.snapshot_len = snapshot.len() as i64;
    d.chunk_bytes = 0;
    Ok(())
}

fn sorted(heads: &[ChangeHash]) -> Vec<ChangeHash> {
    let mut h = heads.to_vec();
    h.sort();
    h
}
