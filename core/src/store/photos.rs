//! Photo files and their rows. A photo is a file named by its SHA-256 in the store's photo
//! folder (`<database>.photos/`), written and synced to disk before its row is committed, so a
//! row never points at a missing or half-written file.
//!
//! On a device a photo is uploaded once the record that refers to it is on the server, and
//! removed only when no record refers to it any more and the server has it. On the server the
//! folder is the archive; nothing is removed.

use std::io::Write;
use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, params};

use super::Store;
use crate::error::{Error, Result};
use crate::ids::RecordId;
use crate::photos::pipeline::process;
use crate::photos::{PhotoOptions, PhotoRef, content_hash, is_content_hash};
use crate::records::household::Location;
use crate::time::Timestamp;

/// Where a photo comes from.
#[derive(Debug, Clone, Copy)]
pub enum PhotoSource<'a> {
    /// A file the camera wrote.
    File(&'a Path),
    /// Bytes the app holds.
    Bytes(&'a [u8]),
}

/// Whether a photo can be shown from this device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoState {
    /// On this device, at this path.
    Local(PathBuf),
    /// Known from a record but not downloaded yet.
    NotDownloaded,
}

/// Which of a photo's two files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoRole {
    /// The scaled photo.
    Full,
    /// The thumbnail.
    Thumb,
}

impl PhotoRole {
    fn as_str(self) -> &'static str {
        match self {
            PhotoRole::Full => "full",
            PhotoRole::Thumb => "thumb",
        }
    }
}

fn file_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| Error::PhotoFile {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Writes `bytes` to `dir/name` so that a crash leaves either no file or the whole file.
fn write_durably(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(file_error(dir))?;
    let path = dir.join(name);
    if path.exists() {
        return Ok(path);
    }
    let tmp = dir.join(format!("{name}.partial"));
    {
        let mut f = std::fs::File::create(&tmp).map_err(file_error(&tmp))?;
        f.write_all(bytes).map_err(file_error(&tmp))?;
        f.sync_all().map_err(file_error(&tmp))?;
    }
    std::fs::rename(&tmp, &path).map_err(file_error(&path))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(path)
}

impl Store {
    /// The folder this store keeps its photo files in.
    pub fn photos_dir(&self) -> PathBuf {
        let mut name = self
            .path
            .file_name()
            .map(|n| n.to_os_string())
            .unwrap_or_default();
        name.push(".photos");
        self.path.with_file_name(name)
    }

    /// Takes a photo in for `owner`: decodes, orients, scales, re-encodes without EXIF, makes
    /// the thumbnail, and stores both, durably, waiting for upload. The returned reference goes
    /// into the record (for example a `NewVisit`'s photos).
    pub fn import_photo(
        &self,
        owner: &RecordId,
        source: PhotoSource<'_>,
        options: &PhotoOptions,
        taken_at: Option<Timestamp>,
        location: Option<Location>,
    ) -> Result<PhotoRef> {
        let read;
        let bytes = match source {
            PhotoSource::Bytes(b) => b,
            PhotoSource::File(path) => {
                read = std::fs::read(path).map_err(file_error(path))?;
                &read[..]
            }
        };
        let processed = process(bytes, options)?;
        let full = content_hash(&processed.full);
        let thumb = content_hash(&processed.thumb);
        let dir = self.photos_dir();
        write_durably(&dir, &full, &processed.full)?;
        write_durably(&dir, &thumb, &processed.thumb)?;
        let now = Timestamp::now();
        let guard = self.writer();
        let mut st = guard
            .conn
            .prepare_cached(
                "INSERT OR IGNORE INTO photo (hash, role, width, height, bytes, owner_record, uploaded, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7)",
            )
            .map_err(Error::storage("saving a photo"))?;
        for (hash, role, (w, h), len) in [
            (&full, "full", processed.size, processed.full.len()),
            (&thumb, "thumb", processed.thumb_size, processed.thumb.len()),
        ] {
            st.execute(params![hash, role, w, h, len as i64, owner.as_str(), now.0])
                .map_err(Error::storage("saving a photo"))?;
        }
        tracing::info!(record = %owner, photo = %full, bytes = processed.full.len(), "photo taken in");
        Ok(PhotoRef {
            full,
            thumb,
            width: processed.size.0,
            height: processed.size.1,
            taken_at,
            location,
        })
    }

    /// Whether a photo is on this device.
    pub fn photo(&self, hash: &str) -> Result<PhotoState> {
        let known: Option<String> = self
            .reader()
            .query_row("SELECT hash FROM photo WHERE hash = ?1", [hash], |r| {
                r.get(0)
            })
            .optional()
            .map_err(Error::storage("reading a photo"))?;
        let path = self.photos_dir().join(hash);
        Ok(match known {
            Some(_) if path.exists() => PhotoState::Local(path),
            _ => PhotoState::NotDownloaded,
        })
    }

    /// A photo's bytes, if it is on this device.
    pub fn photo_bytes(&self, hash: &str) -> Result<Option<Vec<u8>>> {
        match self.photo(hash)? {
            PhotoState::Local(path) => Ok(Some(std::fs::read(&path).map_err(file_error(&path))?)),
            PhotoState::NotDownloaded => Ok(None),
        }
    }

    /// Stores photo bytes that arrived from elsewhere (a download, an upload on the server),
    /// refusing bytes whose hash is not `hash`.
    pub fn save_photo(
        &self,
        hash: &str,
        role: PhotoRole,
        bytes: &[u8],
        uploaded: bool,
    ) -> Result<()> {
        let actual = content_hash(bytes);
        if !is_content_hash(hash) || actual != hash {
            return Err(Error::PhotoHashMismatch {
                expected: hash.to_owned(),
                actual,
            });
        }
        let (w, h) = image::ImageReader::new(std::io::Cursor::new(bytes))
            .with_guessed_format()
            .ok()
            .and_then(|r| r.into_dimensions().ok())
            .unwrap_or((0, 0));
        write_durably(&self.photos_dir(), hash, bytes)?;
        self.writer()
            .conn
            .execute(
                "INSERT INTO photo (hash, role, width, height, bytes, owner_record, uploaded, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, ?7)
                 ON CONFLICT (hash) DO UPDATE SET uploaded = MAX(uploaded, ?6)",
                params![hash, role.as_str(), w, h, bytes.len() as i64, uploaded, Timestamp::now().0],
            )
            .map_err(Error::storage("saving a photo"))?;
        Ok(())
    }

    /// Device: photos to upload now: not confirmed by the server, and referred to by a record
    /// the server has acknowledged (the server lets only those who may see a record store its
    /// photos, so the record goes first).
    pub fn photos_to_upload(&self) -> Result<Vec<String>> {
        self.reader()
            .prepare_cached(
                "SELECT DISTINCT p.hash FROM photo p
                 JOIN photo_ref r ON r.hash = p.hash
                 JOIN document d ON d.id = r.record_id
                 WHERE p.uploaded = 0 AND d.acked_heads IS NOT NULL
                 ORDER BY p.role DESC, p.hash",
            )
            .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
            .map_err(Error::storage("listing photos to upload"))
    }

    /// Device: the server confirmed it has this photo.
    pub fn mark_photo_uploaded(&self, hash: &str) -> Result<()> {
        self.writer()
            .conn
            .execute("UPDATE photo SET uploaded = 1 WHERE hash = ?1", [hash])
            .map_err(Error::storage("updating a photo"))?;
        Ok(())
    }

    /// Device: photos waiting for upload (the app shows this with the pending count).
    pub fn photos_pending_upload(&self) -> Result<u32> {
        self.reader()
            .query_row("SELECT COUNT(*) FROM photo WHERE uploaded = 0", [], |r| {
                r.get(0)
            })
            .map_err(Error::storage("counting photos"))
    }

    /// Device: thumbnails that records refer to and this device does not have.
    pub fn missing_thumbnails(&self) -> Result<Vec<String>> {
        self.reader()
            .prepare_cached(
                "SELECT DISTINCT r.hash FROM photo_ref r LEFT JOIN photo p ON p.hash = r.hash
                 WHERE r.role = 'thumb' AND p.hash IS NULL ORDER BY r.hash",
            )
            .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
            .map_err(Error::storage("listing thumbnails"))
    }

    /// Whether records refer to a photo as a full photo or a thumbnail.
    pub fn photo_role_referenced(&self, hash: &str) -> Result<Option<String>> {
        self.reader()
            .query_row(
                "SELECT role FROM photo_ref WHERE hash = ?1 LIMIT 1",
                [hash],
                |r| r.get(0),
            )
            .optional()
            .map_err(Error::storage("reading a photo's records"))
    }

    /// Server: the scopes of the records that refer to a photo.
    pub fn photo_scopes(&self, hash: &str) -> Result<Vec<String>> {
        self.reader()
            .prepare_cached(
                "SELECT 'grid:' || h.grid_id FROM photo_ref r JOIN household h ON h.id = r.record_id WHERE r.hash = ?1
                 UNION SELECT 'grid:' || p.grid_id FROM photo_ref r JOIN report p ON p.id = r.record_id WHERE r.hash = ?1
                 UNION SELECT 'compound:' || o.compound_id FROM photo_ref r JOIN work_order o ON o.id = r.record_id
                       WHERE r.hash = ?1
                 UNION SELECT 'company:' || o.company_id FROM photo_ref r JOIN work_order o ON o.id = r.record_id
                       WHERE r.hash = ?1",
            )
            .and_then(|mut st| st.query_map([hash], |r| r.get(0))?.collect())
            .map_err(Error::storage("reading a photo's records"))
    }

    /// Device: removes photos no record refers to any more and the server has. Never removes a
    /// photo still referred to, or not yet uploaded. Returns how many files were removed.
    pub fn clean_up_photos(&self) -> Result<usize> {
        let hashes: Vec<String> = self
            .reader()
            .prepare(
                "SELECT p.hash FROM photo p WHERE p.uploaded = 1
                 AND NOT EXISTS (SELECT 1 FROM photo_ref r WHERE r.hash = p.hash)",
            )
            .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
            .map_err(Error::storage("listing photos to clean up"))?;
        let dir = self.photos_dir();
        let guard = self.writer();
        let mut removed = 0;
        for hash in &hashes {
            // Checked again under the writer lock: a merge may have referred to it meanwhile.
            // The row goes first: a crash in between leaves a stray file, never a dangling row.
            let deleted = guard
                .conn
                .execute(
                    "DELETE FROM photo WHERE hash = ?1 AND uploaded = 1
                     AND NOT EXISTS (SELECT 1 FROM photo_ref r WHERE r.hash = photo.hash)",
                    [hash],
                )
                .map_err(Error::storage("cleaning up photos"))?;
            if deleted > 0 {
                let _ = std::fs::remove_file(dir.join(hash));
                removed += 1;
            }
        }
        Ok(removed)
    }
}
