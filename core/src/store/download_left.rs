//! Server: what a first download still has to send, counted without reading a document.
//!
//! A device new to a scope downloads its records whole, page by page, in id order
//! (`change_log::pull`). Each answer says how many records and stored bytes of those
//! downloads are still to come (`wire::DownloadLeft`), from the projection lists and the
//! documents' stored sizes (`length(snapshot)` reads the blob's size from the row header,
//! never the blob), so the phone can show a progress bar with a real end.

use rusqlite::{Connection, params};

use crate::error::{Error, Result};
use crate::sync::wire::DownloadLeft;

/// The CBOR framing of one record in an answer besides its id, kind and data (map keys,
/// headers): about what `wire::to_cbor` writes.
const FRAMING: u64 = 24;

/// Records of `scope` with an id after `after` (its first download's position), and their
/// bytes in an answer: stored size (snapshot plus chunks saved since), id, kind and framing.
pub(crate) fn left_in_scope(conn: &Connection, scope: &str, after: &str) -> Result<DownloadLeft> {
    // The same lists, in the same order, as `change_log::records_in_scope`.
    let ids = match scope.split_once(':') {
        Some(("grid", _)) => {
            "SELECT id FROM household WHERE grid_id = ?1 AND id > ?2
             UNION ALL SELECT id FROM report WHERE grid_id = ?1 AND id > ?2"
        }
        Some(("compound", _)) => {
            "SELECT id FROM work_order WHERE compound_id = ?1 AND id > ?2
             UNION ALL SELECT id FROM report WHERE compound_id = ?1 AND id > ?2"
        }
        Some(("company", _)) => "SELECT id FROM work_order WHERE company_id = ?1 AND id > ?2",
        _ => return Ok(DownloadLeft::default()),
    };
    let sql = format!(
        "SELECT COUNT(*), COALESCE(SUM(length(d.snapshot) + d.chunk_bytes
                                       + length(d.id) + length(d.kind) + {FRAMING}), 0)
         FROM ({ids}) r JOIN document d ON d.id = r.id"
    );
    let code = scope.split_once(':').map(|(_, c)| c).unwrap_or_default();
    conn.prepare_cached(&sql)
        .and_then(|mut st| {
            st.query_row(params![code, after], |r| {
                Ok(DownloadLeft {
                    records: r.get::<_, i64>(0)?.max(0) as u64,
                    bytes: r.get::<_, i64>(1)?.max(0) as u64,
                })
            })
        })
        .map_err(Error::storage("counting a scope's first download"))
}

/// Adds one scope's remainder to a running total.
pub(crate) fn add(total: &mut Option<DownloadLeft>, more: DownloadLeft) {
    let t = total.get_or_insert_with(DownloadLeft::default);
    t.records += more.records;
    t.bytes += more.bytes;
}
