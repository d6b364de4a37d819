//! Ledger previews waiting for their importer's commit, kept in `accounts.db` (server state, not
//! records) rather than in process memory: a preview survives a restart within its lifetime,
//! and a large one costs disk, not the server's memory, while it waits. Each belongs to the
//! user who uploaded the file, who has at most one; expired rows are removed whenever a new
//! preview is stored.

use std::time::Duration;

use gridwalk_core::Timestamp;
use rusqlite::{OptionalExtension, params};

use super::{AccountError, Accounts};

/// How long a preview waits for its commit.
pub const PREVIEW_LIFETIME: Duration = Duration::from_secs(3600);

/// The table, created with the accounts schema.
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS ledger_preview (
    upload     TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    body       BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS ledger_preview_expiry ON ledger_preview (expires_at);
";

/// What looking a preview up found.
#[derive(Debug, PartialEq, Eq)]
pub enum StoredPreview {
    /// The serialised preview.
    Found(Vec<u8>),
    /// It was the user's, and its lifetime is over (the row is gone now).
    Expired,
    /// No preview of this user has this id.
    Missing,
}

impl Accounts {
    /// Stores `owner`'s preview `upload` (its serialised form) until `now` plus
    /// [`PREVIEW_LIFETIME`], replacing their earlier one, and removes every expired preview.
    pub fn put_preview(
        &self,
        upload: &str,
        owner: &str,
        body: &[u8],
        now: Timestamp,
    ) -> Result<(), AccountError> {
        let expires = now.0 + PREVIEW_LIFETIME.as_millis() as i64;
        let mut conn = self.pool.get()?;
        let tx = conn.transaction()?;
        tx.execute(
            "DELETE FROM ledger_preview WHERE owner = ?1 OR expires_at <= ?2",
            params![owner, now.0],
        )?;
        tx.execute(
            "INSERT INTO ledger_preview (upload, owner, expires_at, body) VALUES (?1, ?2, ?3, ?4)",
            params![upload, owner, expires, body],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// `owner`'s preview `upload`; with `take`, removed as it is read (a commit uses it once).
    /// Another user's preview is [`StoredPreview::Missing`], as if it did not exist.
    pub fn preview(
        &self,
        upload: &str,
        owner: &str,
        now: Timestamp,
        take: bool,
    ) -> Result<StoredPreview, AccountError> {
        let mut conn = self.pool.get()?;
        let tx = conn.transaction()?;
        let row: Option<(i64, Vec<u8>)> = tx
            .query_row(
                "SELECT expires_at, body FROM ledger_preview WHERE upload = ?1 AND owner = ?2",
                params![upload, owner],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let found = match row {
            None => StoredPreview::Missing,
            Some((expires, _)) if expires <= now.0 => StoredPreview::Expired,
            Some((_, body)) => StoredPreview::Found(body),
        };
        if take || found == StoredPreview::Expired {
            tx.execute("DELETE FROM ledger_preview WHERE upload = ?1", [upload])?;
        }
        tx.commit()?;
        Ok(found)
    }
}
