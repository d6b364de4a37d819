//! Reference data in the store: the communities, grids, compounds, buildings, companies and
//! report categories the server's administrators keep, versioned so devices download them
//! again when they change; read by the place rules ([`crate::rules::places`]) through
//! [`Places`], and by the server to derive scopes ([`Store::compounds_in_grids`]).

use std::collections::BTreeSet;

use rusqlite::{Connection, OptionalExtension};

use super::Store;
use crate::error::{Error, Result};
use crate::records::reference::{ReferenceItem, ReferenceKind};
use crate::records::view::RecordView;
use crate::rules::Refusal;
use crate::rules::places::PlaceBook;

const COLUMNS: &str = "kind, id, parent_id, name, grid_id, company_id, department, limit_hours";

/// The columns [`item`] reads, in its order.
const READ: &str = "id, parent_id, name, grid_id, company_id, department, limit_hours";

fn item(kind: ReferenceKind, r: &rusqlite::Row<'_>) -> rusqlite::Result<ReferenceItem> {
    Ok(ReferenceItem {
        kind,
        id: r.get(0)?,
        parent_id: r.get(1)?,
        name: r.get(2)?,
        grid_id: r.get(3)?,
        company_id: r.get(4)?,
        department: r.get(5)?,
        limit_hours: r.get(6)?,
    })
}

fn insert(conn: &Connection, items: &[ReferenceItem]) -> Result<()> {
    let mut ins = conn
        .prepare_cached(&format!(
            "INSERT OR REPLACE INTO reference_item ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
        ))
        .map_err(Error::storage("saving reference data"))?;
    for i in items {
        ins.execute(rusqlite::params![
            i.kind.as_str(),
            i.id,
            i.parent_id,
            i.name,
            i.grid_id,
            i.company_id,
            i.department,
            i.limit_hours
        ])
        .map_err(Error::storage("saving reference data"))?;
    }
    Ok(())
}

/// The reference data of one connection, as the place rules read it: the writer's, inside the
/// write it judges, so a check and the write it allows see the same reference data.
pub(crate) struct Places<'c>(pub &'c Connection);

impl PlaceBook for Places<'_> {
    fn place(&self, kind: ReferenceKind, code: &str) -> Option<ReferenceItem> {
        self.0
            .prepare_cached(&format!(
                "SELECT {READ} FROM reference_item WHERE kind = ?1 AND id = ?2"
            ))
            .and_then(|mut st| {
                st.query_row(rusqlite::params![kind.as_str(), code], |r| item(kind, r))
                    .optional()
            })
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "reading reference data");
                None
            })
    }

    fn building_grids(&self, compound: &str) -> Vec<String> {
        self.0
            .prepare_cached(
                "SELECT DISTINCT grid_id FROM reference_item
                 WHERE kind = 'building' AND parent_id = ?1 AND grid_id IS NOT NULL ORDER BY 1",
            )
            .and_then(|mut st| st.query_map([compound], |r| r.get(0))?.collect())
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "reading reference data");
                Vec::new()
            })
    }
}

impl Places<'_> {
    /// Whether this store holds any places at all. A device that has never synced has none,
    /// and leaves the place rules to the server (which always has them).
    fn any(&self) -> Result<bool> {
        self.0
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM reference_item WHERE kind = 'grid')",
                [],
                |r| r.get(0),
            )
            .map_err(Error::storage("reading reference data"))
    }

    /// The place rules for a write: [`crate::rules::places::check_record`], skipped only on a
    /// device that holds no reference data yet.
    pub(crate) fn check(&self, before: Option<&RecordView>, after: &RecordView) -> Result<()> {
        if !self.any()? {
            return Ok(());
        }
        crate::rules::places::check_record(self, before, after)
            .map_err(|r: Refusal| crate::error::Error::Refused(r))
    }
}

impl Store {
    /// The version of the reference data this store has (0: none).
    pub fn reference_version(&self) -> Result<u64> {
        self.reader()
            .query_row(
                "SELECT value FROM meta WHERE key = 'reference_version'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map(|v| v.unwrap_or(0) as u64)
            .map_err(Error::storage("reading store facts"))
    }

    /// Reference items of one kind, optionally only those under `parent`.
    pub fn reference_items(
        &self,
        kind: ReferenceKind,
        parent: Option<&str>,
    ) -> Result<Vec<ReferenceItem>> {
        let conn = self.reader();
        conn.prepare_cached(&format!(
            "SELECT {READ} FROM reference_item
             WHERE kind = ?1 AND (?2 IS NULL OR parent_id = ?2) ORDER BY id"
        ))
        .and_then(|mut st| {
            st.query_map(rusqlite::params![kind.as_str(), parent], |r| item(kind, r))?
                .collect()
        })
        .map_err(Error::storage("reading reference data"))
    }

    /// Every reference item, of every kind.
    pub fn all_reference_items(&self) -> Result<Vec<ReferenceItem>> {
        let mut out = Vec::new();
        for kind in [
            ReferenceKind::Community,
            ReferenceKind::Grid,
            ReferenceKind::Compound,
            ReferenceKind::Building,
            ReferenceKind::Company,
            ReferenceKind::Category,
        ] {
            out.extend(self.reference_items(kind, None)?);
        }
        Ok(out)
    }

    /// The compounds that lie in any of `grids` by the reference data: compounds whose grid is
    /// one of them, and compounds with a building in one of them. Never from households: what
    /// users write must not widen anyone's scopes.
    pub fn compounds_in_grids(&self, grids: &[String]) -> Result<Vec<String>> {
        let conn = self.reader();
        let mut out = Vec::new();
        let mut st = conn
            .prepare_cached(
                "SELECT id FROM reference_item WHERE kind = 'compound' AND grid_id = ?1
                 UNION SELECT parent_id FROM reference_item
                 WHERE kind = 'building' AND grid_id = ?1 AND parent_id IS NOT NULL",
            )
            .map_err(Error::storage("reading compounds"))?;
        for g in grids {
            let rows = st
                .query_map([g], |r| r.get::<_, String>(0))
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(Error::storage("reading compounds"))?;
            out.extend(rows);
        }
        out.sort();
        out.dedup();
        Ok(out)
    }

    /// Server: adds or changes reference items and bumps the reference version, so every
    /// device receives the new data on its next sync.
    pub fn add_reference(&self, items: &[ReferenceItem]) -> Result<u64> {
        let version = self.reference_version()? + 1;
        let mut w = self.writer();
        let tx = w
            .conn
            .transaction()
            .map_err(Error::storage("saving reference data"))?;
        insert(&tx, items)?;
        tx.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('reference_version', ?1)",
            [version as i64],
        )
        .map_err(Error::storage("saving reference data"))?;
        tx.commit()
            .map_err(Error::storage("saving reference data"))?;
        Ok(version)
    }

    /// Device: replaces the reference data with what the server sent.
    pub fn put_reference(&self, items: &[ReferenceItem]) -> Result<()> {
        self.put_reference_at(items, 0)
    }

    /// Device: replaces the reference data with what the server sent, and remembers its
    /// version.
    pub fn put_reference_at(&self, items: &[ReferenceItem], version: u64) -> Result<()> {
        let mut w = self.writer();
        let tx = w
            .conn
            .transaction()
            .map_err(Error::storage("saving reference data"))?;
        if version > 0 {
            tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('reference_version', ?1)",
                [version as i64],
            )
            .map_err(Error::storage("saving reference data"))?;
        }
        {
            let kinds: BTreeSet<&str> = items.iter().map(|i| i.kind.as_str()).collect();
            let mut del = tx
                .prepare("DELETE FROM reference_item WHERE kind = ?1")
                .map_err(Error::storage("saving reference data"))?;
            for k in kinds {
                del.execute([k])
                    .map_err(Error::storage("saving reference data"))?;
            }
        }
        insert(&tx, items)?;
        tx.commit().map_err(Error::storage("saving reference data"))
    }
}
