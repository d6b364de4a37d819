//! Device: signing out with a wipe, asked by the worker or by the server (remote wipe). Every
//! file of the store goes: the database, its WAL and shared-memory files, a rollback journal or
//! an encryption cut short, and the photo folder. What the server has not received is counted
//! first and kept unless the caller says to discard it.

use std::path::PathBuf;

use rusqlite::Connection;

use super::Store;
use crate::error::{Error, Result};

/// What this device holds that the server has not received.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Unsent {
    /// Records with changes the server has not acknowledged (refused ones included: they are
    /// on no server either).
    pub records: u32,
    /// Photos not uploaded yet (blocked ones included).
    pub photos: u32,
}

impl Unsent {
    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.records == 0 && self.photos == 0
    }
}

/// Whether a wipe may lose what the server has not received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnsentChanges {
    /// Refuse the wipe ([`Error::UnsentChanges`]) while anything waits.
    Keep,
    /// Wipe anyway: the worker said so, or the server ordered the wipe (a lost phone).
    Discard,
}

fn unsent_in(conn: &Connection) -> Result<Unsent> {
    let err = Error::storage("counting unsent changes");
    let records = conn
        .query_row(
            "SELECT COUNT(*) FROM document WHERE acked_heads IS NOT heads",
            [],
            |r| r.get(0),
        )
        .map_err(err)?;
    let photos = conn
        .query_row("SELECT COUNT(*) FROM photo WHERE uploaded = 0", [], |r| {
            r.get(0)
        })
        .map_err(Error::storage("counting unsent changes"))?;
    Ok(Unsent { records, photos })
}

impl Store {
    /// What this device holds that the server has not received.
    pub fn unsent(&self) -> Result<Unsent> {
        unsent_in(&self.writer().conn)
    }

    /// Erases this store from the device: the database with its WAL, shared-memory and journal
    /// files, and every photo file. With [`UnsentChanges::Keep`] it refuses, erasing nothing,
    /// while changes or photos wait for the server ([`Error::UnsentChanges`]). Writes and reads
    /// in progress finish first; afterwards every call on this store fails. The app deletes the
    /// store's key from the keystore too.
    pub fn wipe(&self, unsent: UnsentChanges) -> Result<()> {
        let mut writer = self.writer();
        let waiting = unsent_in(&writer.conn)?;
        if unsent == UnsentChanges::Keep && !waiting.is_empty() {
            return Err(Error::UnsentChanges {
                records: waiting.records,
                photos: waiting.photos,
            });
        }
        // Every connection closed before its files go (an open one could write them again),
        // each replaced by an empty in-memory database so later calls fail instead of writing.
        let placeholder =
            || Connection::open_in_memory().map_err(Error::storage("wiping the store"));
        for r in &self.readers {
            let mut guard = r.lock().unwrap_or_else(|p| p.into_inner());
            drop(std::mem::replace(&mut *guard, placeholder()?));
        }
        drop(std::mem::replace(&mut writer.conn, placeholder()?));
        let mut files: Vec<PathBuf> = ["", "-wal", "-shm", "-journal", ".encrypting"]
            .iter()
            .map(|suffix| {
                let mut name = self.path.file_name().unwrap_or_default().to_os_string();
                name.push(suffix);
                self.path.with_file_name(name)
            })
            .collect();
        files.push(self.path.with_file_name({
            let mut name = self.path.file_name().unwrap_or_default().to_os_string();
            name.push(".encrypting-journal");
            name
        }));
        for file in files {
            match std::fs::remove_file(&file) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::Storage {
                        context: "wiping the store",
                        reason: format!("{}: {e}", file.display()),
                    });
                }
                _ => {}
            }
        }
        match std::fs::remove_dir_all(self.photos_dir()) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(Error::Storage {
                    context: "wiping the store",
                    reason: format!("{}: {e}", self.photos_dir().display()),
                });
            }
            _ => {}
        }
        if let Some(dir) = self.path.parent()
            && let Ok(d) = std::fs::File::open(dir)
        {
            let _ = d.sync_all();
        }
        tracing::info!(
            records = waiting.records,
            photos = waiting.photos,
            "wiped the store from this device"
        );
        Ok(())
    }
}
