//! Server: which records may show which photo (security issue 12, part 5, "naming a hash must
//! not grant the photo").
//!
//! A record refers to a photo by its hash, and anyone may write any hash into a record of their
//! own (a worker's household, an inspector's draft order). So referring to a photo is not
//! enough to be given it. The rule:
//!
//! * **Storing** a photo (`PUT`) is allowed to a user who may see a record that refers to it
//!   ([`Store::photo_scopes`]); the bytes must hash to the name, so only someone who holds the
//!   photo can store it.
//! * **Each upload grants** the photo to the records that refer to it *and* that the uploader
//!   may see ([`Store::grant_photo`]): the records the photo was uploaded for. A record of
//!   another grid naming the same hash gets nothing from it.
//! * **A record passes a photo on** when its writer could already see the photo: when the
//!   server accepts a pushed record, each photo it refers to that is granted to a record in the
//!   pusher's scopes is granted to it too ([`Store::pass_on_photo_grants`]). So an order made
//!   from a report shows the report's photos to the company, while a hash copied from
//!   elsewhere by someone who never saw the photo stays ungranted.
//! * **Serving** a photo to a reader needs a *granted* record in the reader's scopes that
//!   refers to it ([`Store::photo_reader_scopes`]).
//!
//! Grants only grow: a record that stops referring to a photo no longer shows it (serving
//! needs both the reference and the grant), and one that refers to it again shows it again.
//! Photos stored before grants existed are granted to every record that referred to them then
//! (migration 0013). What this cannot tell apart: a photo uploaded only after an order that
//! copied it was written is granted to the order only if the uploader may see the order.

use rusqlite::params;

use super::Store;
use crate::error::{Error, Result};
use crate::ids::RecordId;

/// The records that refer to a photo, with each one's scopes (a record has one or two).
const REFERRING_RECORDS: &str = "
    SELECT r.record_id, 'grid:' || h.grid_id FROM photo_ref r JOIN household h ON h.id = r.record_id
        WHERE r.hash = ?1
    UNION SELECT r.record_id, 'grid:' || p.grid_id FROM photo_ref r JOIN report p ON p.id = r.record_id
        WHERE r.hash = ?1
    UNION SELECT r.record_id, 'compound:' || p.compound_id FROM photo_ref r JOIN report p ON p.id = r.record_id
        WHERE r.hash = ?1 AND p.compound_id != ''
    UNION SELECT r.record_id, 'compound:' || o.compound_id FROM photo_ref r JOIN work_order o ON o.id = r.record_id
        WHERE r.hash = ?1
    UNION SELECT r.record_id, 'company:' || o.company_id FROM photo_ref r JOIN work_order o ON o.id = r.record_id
        WHERE r.hash = ?1";

fn referring_records(conn: &rusqlite::Connection, hash: &str) -> Result<Vec<(String, String)>> {
    conn.prepare_cached(REFERRING_RECORDS)
        .and_then(|mut st| {
            st.query_map([hash], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect()
        })
        .map_err(Error::storage("reading a photo's records"))
}

impl Store {
    /// Server: grants a photo just stored by a user to the records that refer to it and that
    /// the user may see (`in_scope` of any of the record's scopes). Returns how many records
    /// were newly granted.
    pub fn grant_photo(&self, hash: &str, in_scope: &dyn Fn(&str) -> bool) -> Result<usize> {
        let guard = self.writer();
        let records = referring_records(&guard.conn, hash)?;
        let mut granted = 0;
        for (record, scope) in &records {
            if in_scope(scope) {
                granted += guard
                    .conn
                    .prepare_cached(
                        "INSERT OR IGNORE INTO photo_grant (hash, record_id) VALUES (?1, ?2)",
                    )
                    .and_then(|mut st| st.execute(params![hash, record]))
                    .map_err(Error::storage("granting a photo"))?;
            }
        }
        Ok(granted)
    }

    /// Server: after a pushed record was accepted, grants it each photo it refers to that the
    /// pusher could already see (granted to a record in their scopes, `in_scope`). Returns how
    /// many photos were passed on.
    pub fn pass_on_photo_grants(
        &self,
        record: &RecordId,
        in_scope: &dyn Fn(&str) -> bool,
    ) -> Result<usize> {
        let ungranted: Vec<String> = self
            .reader()
            .prepare_cached(
                "SELECT DISTINCT r.hash FROM photo_ref r WHERE r.record_id = ?1
                 AND NOT EXISTS (SELECT 1 FROM photo_grant g
                                 WHERE g.hash = r.hash AND g.record_id = r.record_id)",
            )
            .and_then(|mut st| st.query_map([record.as_str()], |r| r.get(0))?.collect())
            .map_err(Error::storage("reading a record's photos"))?;
        let mut passed = 0;
        for hash in ungranted {
            if self.photo_reader_scopes(&hash)?.iter().any(|s| in_scope(s)) {
                passed += self
                    .writer()
                    .conn
                    .execute(
                        "INSERT OR IGNORE INTO photo_grant (hash, record_id) VALUES (?1, ?2)",
                        params![hash, record.as_str()],
                    )
                    .map_err(Error::storage("granting a photo"))?;
            }
        }
        Ok(passed)
    }

    /// Server: the scopes in which a photo may be served: those of the records that refer to it
    /// and were granted it.
    pub fn photo_reader_scopes(&self, hash: &str) -> Result<Vec<String>> {
        let conn = self.reader();
        let granted: Vec<String> = conn
            .prepare_cached("SELECT record_id FROM photo_grant WHERE hash = ?1")
            .and_then(|mut st| st.query_map([hash], |r| r.get(0))?.collect())
            .map_err(Error::storage("reading a photo's grants"))?;
        if granted.is_empty() {
            return Ok(Vec::new());
        }
        let mut scopes: Vec<String> = referring_records(&conn, hash)?
            .into_iter()
            .filter(|(record, _)| granted.contains(record))
            .map(|(_, scope)| scope)
            .collect();
        scopes.sort();
        scopes.dedup();
        Ok(scopes)
    }
}
