//! Server: the change log's identity, verifiable cursors, and backup and restore of the store.
//!
//! A device's cursors and acknowledgements are claims about one history of the server's change
//! log. A server restored from a backup has another history: fewer entries, and new entries
//! reusing the sequence numbers of the lost ones. Three checks catch every way of getting there:
//!
//! * the log has an identity (`meta.log_id`, random), made anew by [`Store::restore_from`];
//!   a device names it in every sync, and a different one means the log was replaced;
//! * a cursor beyond the log's end cannot be from this history (a data directory copied back);
//! * a cursor carries a tag of the entry at its place ([`cursor_tag`]), so a cursor overtaken
//!   by new writes after a copy-back is still told apart: the entry at its place is another.
//!
//! A device told any of these heals (`store::heal`, `sync::client`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension};
use sha2::{Digest, Sha256};

use super::{Store, StoreKind, StoreOptions, migrations};
use crate::error::{Error, Result};
use crate::sync::wire::ScopeCursor;

/// Why a device's cursors cannot be from this server's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleCursor {
    /// The scope of the first cursor found wrong.
    pub scope: String,
    /// What is wrong with it, for the server's log.
    pub reason: String,
}

/// The tag of the log entry at `seq`: the first four bytes of a SHA-256 of everything that
/// makes the entry what it is. None at 0 (before the first entry) or where there is no entry.
pub(crate) fn cursor_tag(conn: &Connection, seq: u64) -> Result<Option<u32>> {
    if seq == 0 {
        return Ok(None);
    }
    type Entry = (String, String, bool, Option<Vec<u8>>, String);
    let entry: Option<Entry> = conn
        .prepare_cached("SELECT doc_id, scope, whole, hash, device FROM change_log WHERE seq = ?1")
        .and_then(|mut st| {
            st.query_row([seq as i64], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()
        })
        .map_err(Error::storage("reading the change log"))?;
    Ok(entry.map(|(doc, scope, whole, hash, device)| {
        let mut h = Sha256::new();
        h.update(seq.to_le_bytes());
        for part in [doc.as_bytes(), scope.as_bytes(), device.as_bytes()] {
            h.update((part.len() as u32).to_le_bytes());
            h.update(part);
        }
        h.update([u8::from(whole)]);
        h.update(hash.unwrap_or_default());
        let d = h.finalize();
        u32::from_be_bytes([d[0], d[1], d[2], d[3]])
    }))
}

fn read_log_id(conn: &Connection) -> Result<u64> {
    conn.query_row("SELECT value FROM meta WHERE key = 'log_id'", [], |r| {
        r.get::<_, i64>(0)
    })
    .map(|v| v as u64)
    .map_err(Error::storage("reading the change log's identity"))
}

/// Gives the database's change log a new random identity.
fn renew_log_id(conn: &Connection) -> Result<u64> {
    conn.execute(
        "INSERT OR REPLACE INTO meta (key, value) VALUES ('log_id', random())",
        [],
    )
    .map_err(Error::storage("renewing the change log's identity"))?;
    read_log_id(conn)
}

fn file_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| Error::Storage {
        context: "writing a backup",
        reason: format!("{}: {e}", path.display()),
    }
}

/// Flushes a directory, so a rename in it survives a power cut.
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(file_error(dir))?;
    Ok(())
}

/// `path` with `suffix` added to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Copies the database open on `src` into a new self-contained file at `to` (no `-wal`
/// beside it): written under a temporary name, flushed, then renamed into place.
fn copy_database(src: &Connection, to: &Path) -> Result<()> {
    let tmp = with_suffix(to, ".partial");
    let _ = std::fs::remove_file(&tmp);
    {
        let mut dst = Connection::open(&tmp).map_err(Error::storage("writing a backup"))?;
        {
            let backup = rusqlite::backup::Backup::new(src, &mut dst)
                .map_err(Error::storage("writing a backup"))?;
            // All pages in one step: one consistent snapshot of the source, which in WAL mode
            // does not hold up the server's writers, and never restarts because of them.
            loop {
                match backup
                    .step(-1)
                    .map_err(Error::storage("writing a backup"))?
                {
                    rusqlite::backup::StepResult::Done => break,
                    _ => std::thread::sleep(std::time::Duration::from_millis(50)),
                }
            }
        }
        // A plain rollback-journal file: readable on its own, copyable as one file.
        dst.pragma_update_and_check(None, "journal_mode", "DELETE", |_| Ok(()))
            .map_err(Error::storage("writing a backup"))?;
    }
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(file_error(&tmp))?;
    std::fs::rename(&tmp, to).map_err(file_error(to))?;
    sync_dir(to.parent().unwrap_or(Path::new(".")))
}

impl Store {
    /// Server: the identity of this store's change log (see the module comment).
    pub fn log_id(&self) -> Result<u64> {
        read_log_id(&self.reader())
    }

    /// Server: whether `cursors` (and `log`, the log identity the device names) can be from
    /// this store's change log. Cursors without a tag (from an older app) are checked against
    /// the log's end only.
    pub fn check_cursors(
        &self,
        cursors: &BTreeMap<String, ScopeCursor>,
    ) -> Result<std::result::Result<(), StaleCursor>> {
        let conn = self.reader();
        let end = super::change_log::max_seq(&conn)?;
        for (scope, c) in cursors {
            let stale = |reason: String| {
                Ok(Err(StaleCursor {
                    scope: scope.clone(),
                    reason,
                }))
            };
            if c.seq > end {
                return stale(format!("cursor {} is beyond the log's end {end}", c.seq));
            }
            if let Some(tag) = c.tag
                && cursor_tag(&conn, c.seq)? != Some(tag)
            {
                return stale(format!(
                    "cursor {} names another entry than the log's at that place",
                    c.seq
                ));
            }
        }
        Ok(Ok(()))
    }

    /// Server: writes a copy of this store to `to`, one self-contained SQLite file, with
    /// SQLite's online backup: safe while the server serves (a consistent snapshot; writers go
    /// on meanwhile). The file appears only once it is complete and flushed.
    pub fn backup_to(&self, to: &Path) -> Result<()> {
        copy_database(&self.reader(), to)
    }

    /// Server, while it is stopped: replaces the store at `dest` with the backup at `from`,
    /// upgraded to this version's schema, and gives its change log a new identity, so every
    /// device finds out and heals on its next sync. Returns the new identity.
    ///
    /// The backup is copied to a temporary file beside `dest`, prepared there, and renamed over
    /// `dest`: a restore cut short leaves either the old store or the restored one.
    pub fn restore_from(from: &Path, dest: &Path) -> Result<u64> {
        let src = Connection::open_with_flags(from, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(Error::storage("opening the backup"))?;
        let version: u32 = src
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(Error::storage("reading the backup"))?;
        let has_log: bool = src
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'change_log')",
                [],
                |r| r.get(0),
            )
            .map_err(Error::storage("reading the backup"))?;
        if version == 0 || version > migrations::latest_version() || !has_log {
            return Err(Error::Storage {
                context: "restoring a backup",
                reason: format!(
                    "{} is not a backup of this server's records (schema version {version})",
                    from.display()
                ),
            });
        }
        let staged = with_suffix(dest, ".restoring");
        copy_database(&src, &staged)?;
        drop(src);
        let id = {
            // Upgrades an older backup's schema (and rebuilds its lists) before it goes live.
            let store = Store::open_with(
                &staged,
                StoreOptions {
                    kind: StoreKind::Server,
                    readers: 1,
                },
            )?;
            let w = store.writer();
            // Devices re-send what the restored log lacks, other phones' changes included
            // (see `Store::accept_pushed_by`): allowed for a while from now.
            w.conn
                .execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('restored_at', ?1)",
                    [crate::time::Timestamp::now().0],
                )
                .map_err(Error::storage("restoring a backup"))?;
            renew_log_id(&w.conn)?
            // Dropped here: the writer closes last and checkpoints the WAL into the file.
        };
        // The old store's WAL belongs to the old file: left beside the new one it would be
        // replayed into it.
        for suffix in ["-wal", "-shm"] {
            let side = with_suffix(dest, suffix);
            match std::fs::remove_file(&side) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(file_error(&side)(e)),
            }
        }
        std::fs::rename(&staged, dest).map_err(file_error(dest))?;
        sync_dir(dest.parent().unwrap_or(Path::new(".")))?;
        tracing::info!(from = %from.display(), log_id = id, "restored the records from a backup");
        Ok(id)
    }
}

/// The tags of every cursor in `cursors`, filled in from the log (used for the answer).
pub(crate) fn tag_cursors(
    conn: &Connection,
    cursors: &mut BTreeMap<String, ScopeCursor>,
) -> Result<()> {
    for c in cursors.values_mut() {
        c.tag = cursor_tag(conn, c.seq)?;
    }
    Ok(())
}
