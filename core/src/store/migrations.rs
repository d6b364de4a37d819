//! Numbered schema migrations, applied in order inside one transaction each.
//!
//! The schema version is SQLite's `user_version`. A migration that adds or changes what
//! projections hold asks for a re-projection: after it runs, every document is projected again
//! from its automerge document, which is always the source of truth.

use rusqlite::Connection;

use crate::error::{Error, Result};

/// One step of the schema.
pub struct Migration {
    /// The version the database is at after this step.
    pub version: u32,
    /// The SQL of the step.
    pub sql: &'static str,
    /// Whether projections must be rebuilt from the documents after it.
    pub reproject: bool,
}

/// Every migration, oldest first.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("migrations/0001_documents_and_households.sql"),
        reproject: false,
    },
    Migration {
        version: 2,
        sql: include_str!("migrations/0002_findings.sql"),
        reproject: true,
    },
    Migration {
        version: 3,
        sql: include_str!("migrations/0003_sync.sql"),
        reproject: false,
    },
    Migration {
        version: 4,
        sql: include_str!("migrations/0004_photos.sql"),
        reproject: true,
    },
    Migration {
        version: 5,
        sql: include_str!("migrations/0005_orders_reports.sql"),
        reproject: true,
    },
    Migration {
        version: 6,
        sql: include_str!("migrations/0006_visits.sql"),
        reproject: true,
    },
];

/// The version a fresh database ends at.
pub fn latest_version() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// What running the migrations did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Upgrade {
    /// Version before.
    pub from: u32,
    /// Version after.
    pub to: u32,
    /// Whether projections must be rebuilt.
    pub reproject: bool,
}

/// Brings the database up to `target` (at most the latest version).
pub fn migrate_to(conn: &mut Connection, target: u32) -> Result<Upgrade> {
    let from: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(Error::storage("reading the schema version"))?;
    if from > latest_version() {
        return Err(Error::Storage {
            context: "opening the store",
            reason: format!(
                "the database is at schema version {from}, newer than this app's {}; update the app",
                latest_version()
            ),
        });
    }
    let mut reproject = false;
    for m in MIGRATIONS
        .iter()
        .filter(|m| m.version > from && m.version <= target)
    {
        let tx = conn
            .transaction()
            .map_err(Error::storage("starting a migration"))?;
        tx.execute_batch(m.sql)
            .map_err(Error::storage("migrating the schema"))?;
        tx.pragma_update(None, "user_version", m.version)
            .map_err(Error::storage("migrating the schema"))?;
        tx.commit()
            .map_err(Error::storage("migrating the schema"))?;
        tracing::info!(version = m.version, "store schema migrated");
        reproject |= m.reproject && from > 0;
    }
    let to = target.max(from);
    Ok(Upgrade {
        from,
        to,
        reproject,
    })
}
