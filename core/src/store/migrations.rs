//! Numbered schema migrations, applied in order inside one transaction each.
//!
//! The schema version is SQLite's `user_version`. A migration that adds or changes what
//! projections hold asks for a re-projection: after it runs, every document is projected again
//! from its automerge document, which is always the source of truth.
//!
//! That request is kept in the database, not in memory: the migration's own transaction sets
//! the [`NEEDS_REPROJECT`] fact in `meta`, and the rebuild's transaction clears it. An app that
//! dies between the two (the schema step committed, the rebuild not) finds the fact on its next
//! open and rebuilds then, instead of showing lists in the old shape for ever.

use rusqlite::{Connection, OptionalExtension};

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

/// The `meta` key that says projections must be rebuilt before the store is used.
pub const NEEDS_REPROJECT: &str = "needs_reproject";

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
    Migration {
        version: 7,
        sql: include_str!("migrations/0007_household_keys_photo_states.sql"),
        // Visit rows replaced under a colliding id are lost: only a rebuild brings them back.
        reproject: true,
    },
    Migration {
        version: 8,
        sql: include_str!("migrations/0008_order_answers_report_compounds.sql"),
        // The new column is filled from each order's log.
        reproject: true,
    },
    Migration {
        version: 9,
        sql: include_str!("migrations/0009_finding_messages.sql"),
        // Findings are written again with message codes.
        reproject: true,
    },
    Migration {
        version: 10,
        sql: include_str!("migrations/0010_resident_initials_keys.sql"),
        // The keys are written by the projection from each resident's name.
        reproject: true,
    },
    Migration {
        version: 11,
        sql: include_str!("migrations/0011_log_identity_heal_clock.sql"),
        // Sync bookkeeping only: no projection changes.
        reproject: false,
    },
    Migration {
        version: 12,
        sql: include_str!("migrations/0012_reviews.sql"),
        // The new list is filled from each household's reviews.
        reproject: true,
    },
    Migration {
        version: 13,
        sql: include_str!("migrations/0013_places_in_grids.sql"),
        reproject: false,
    },
    Migration {
        version: 14,
        sql: include_str!("migrations/0014_photo_grants.sql"),
        // Server state, filled from the photos stored so far: no projection changes.
        reproject: false,
    },
    Migration {
        version: 15,
        sql: include_str!("migrations/0015_record_ops_by_user.sql"),
        reproject: false,
    },
    Migration {
        version: 16,
        sql: include_str!("migrations/0016_resident_relation_registration.sql"),
        // The new columns are filled from each household's residents.
        reproject: true,
    },
    Migration {
        version: 17,
        sql: include_str!("migrations/0017_report_events.sql"),
        // The new list is filled from each report's events.
        reproject: true,
    },
    Migration {
        version: 18,
        sql: include_str!("migrations/0018_overview_time_limits_checks.sql"),
        // The new table is filled by the migration itself, from the resident rows.
        reproject: false,
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
    /// Whether projections must be rebuilt: asked for by a migration run now or by one whose
    /// rebuild never finished (the [`NEEDS_REPROJECT`] fact).
    pub reproject: bool,
}

/// Whether the database holds the fact that projections must be rebuilt.
pub fn needs_reproject(conn: &Connection) -> Result<bool> {
    let has_meta: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta')",
            [],
            |r| r.get(0),
        )
        .map_err(Error::storage("reading store facts"))?;
    if !has_meta {
        return Ok(false);
    }
    conn.query_row(
        "SELECT 1 FROM meta WHERE key = ?1",
        [NEEDS_REPROJECT],
        |_| Ok(()),
    )
    .optional()
    .map(|v| v.is_some())
    .map_err(Error::storage("reading store facts"))
}

/// Clears the fact, inside the transaction that finished the rebuild.
pub(crate) fn clear_needs_reproject(tx: &Connection) -> Result<()> {
    tx.execute("DELETE FROM meta WHERE key = ?1", [NEEDS_REPROJECT])
        .map_err(Error::storage("rebuilding lists"))?;
    Ok(())
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
        // A fresh database has no documents, so nothing to rebuild. Set in the same
        // transaction as the schema step, so one is never committed without the other.
        if m.reproject && from > 0 {
            tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, 1)",
                [NEEDS_REPROJECT],
            )
            .map_err(Error::storage("migrating the schema"))?;
        }
        tx.commit()
            .map_err(Error::storage("migrating the schema"))?;
        tracing::info!(version = m.version, "store schema migrated");
    }
    let reproject = needs_reproject(conn)?;
    let to = target.max(from);
    Ok(Upgrade {
        from,
        to,
        reproject,
    })
}
