//! Photo files and their rows. A photo is a file named by its SHA-256 in the store's photo
//! folder (`<database>.photos/`), written and synced to disk before its row is committed, so a
//! row never points at a missing or half-written file.
//!
//! On a device a photo is uploaded once the record that refers to it is on the server, and
//! removed only when no record refers to it any more and the server has it. On the server the
//! folder is the archive; nothing is removed.
//!
//! On a store opened with a key the files are encrypted ([`super::crypt::PhotoKey`]) and
//! [`Store::photo_bytes`] gives the JPEG back; their names stay the JPEG's hash.

use std::io::Write;
use std::path::{Path, PathBuf};

use rusqlite::{OptionalExtension, params};

use super::Store;
use crate::error::{Error, Result};
use crate::ids::RecordId;
use crate::photos::pipeline::process;
use crate::photos::{PhotoOptions, PhotoRef, content_hash, is_content_hash};
use crate::photos::{ReadProblem, read_limited};
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

/// Why a photo's upload has stopped; it is neither retried on every sync nor counted as waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum UploadBlock {
    /// The server answered 403 or 404: no record it has in the user's scopes refers to the
    /// photo (say, the record's change was refused). Tried again once a record referring to it
    /// is acknowledged anew.
    Refused,
    /// The photo's file is gone from this device; nothing can bring it back except taking in
    /// the same photo again.
    Missing,
}

impl UploadBlock {
    fn as_str(self) -> &'static str {
        match self {
            UploadBlock::Refused => "refused",
            UploadBlock::Missing => "missing",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "refused" => Some(UploadBlock::Refused),
            "missing" => Some(UploadBlock::Missing),
            _ => None,
        }
    }
}

/// A photo whose upload has stopped, for the app to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockedPhoto {
    /// The photo's hash.
    pub hash: String,
    /// Why.
    pub block: UploadBlock,
    /// The server's message, or what is wrong on the device.
    pub reason: String,
    /// The records that refer to it.
    pub records: Vec<RecordId>,
}

/// How long after its first miss a thumbnail is asked for again; doubled with every miss.
const THUMBNAIL_RETRY_FIRST_MS: i64 = 5 * 60 * 1000;
/// The longest wait between two asks for a thumbnail the server did not give.
const THUMBNAIL_RETRY_MAX_MS: i64 = 24 * 60 * 60 * 1000;

fn file_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| Error::PhotoFile {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Writes `bytes` to `dir/name` so that a crash leaves either no file or the whole file.
pub(crate) fn write_durably(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf> {
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
                read = read_limited(path, options.max_file_bytes).map_err(|e| match e {
                    ReadProblem::Io(e) => file_error(path)(e),
                    ReadProblem::Photo(p) => Error::Photo(p),
                })?;
                &read[..]
            }
        };
        let processed = process(bytes, options)?;
        let full = content_hash(&processed.full);
        let thumb = content_hash(&processed.thumb);
        let dir = self.photos_dir();
        let full_file = self.photo_file_contents(&full, &processed.full)?;
        let thumb_file = self.photo_file_contents(&thumb, &processed.thumb)?;
        write_durably(&dir, &full, &full_file)?;
        write_durably(&dir, &thumb, &thumb_file)?;
        let now = Timestamp::now();
        let guard = self.writer();
        // Under the writer lock, which clean-up holds while it removes a row and its file: a
        // file it removed after the writes above (the same photo, unused and uploaded before)
        // is written again, so the row below never points at nothing.
        write_durably(&dir, &full, &full_file)?;
        write_durably(&dir, &thumb, &thumb_file)?;
        let mut st = guard
            .conn
            .prepare_cached(
                // A photo taken in again after its file was lost has its file back. One taken
                // in again while no record refers to it counts as not uploaded until its record
                // is written and sent (one more PUT the server answers at once), so clean-up
                // leaves it alone meanwhile (it removes only uploaded photos).
                "INSERT INTO photo (hash, role, width, height, bytes, owner_record, uploaded, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7)
                 ON CONFLICT (hash) DO UPDATE SET
                     upload_blocked = CASE WHEN upload_blocked = 'missing' THEN NULL ELSE upload_blocked END,
                     upload_error = CASE WHEN upload_blocked = 'missing' THEN NULL ELSE upload_error END,
                     uploaded = CASE WHEN EXISTS (SELECT 1 FROM photo_ref r WHERE r.hash = excluded.hash)
                                     THEN uploaded ELSE 0 END",
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

    /// A photo's bytes (the JPEG, decrypted on an encrypted store), if it is on this device.
    pub fn photo_bytes(&self, hash: &str) -> Result<Option<Vec<u8>>> {
        match self.photo(hash)? {
            PhotoState::Local(path) => {
                let file = std::fs::read(&path).map_err(file_error(&path))?;
                Ok(Some(self.photo_from_file(hash, file)?))
            }
            PhotoState::NotDownloaded => Ok(None),
        }
    }

    /// What photo `name`'s file holds for `plain`: sealed on an encrypted store.
    pub(crate) fn photo_file_contents<'a>(
        &self,
        name: &str,
        plain: &'a [u8],
    ) -> Result<std::borrow::Cow<'a, [u8]>> {
        Ok(match &self.photo_key {
            Some(key) => std::borrow::Cow::Owned(key.seal(name, plain)?),
            None => std::borrow::Cow::Borrowed(plain),
        })
    }

    /// Photo `name`'s bytes from its file's contents: opened on an encrypted store; an
    /// encrypted file in a store opened without a key is refused, never handed out sealed.
    fn photo_from_file(&self, name: &str, file: Vec<u8>) -> Result<Vec<u8>> {
        match &self.photo_key {
            Some(key) => key.open(name, &file),
            None if super::crypt::is_sealed_photo(&file) => Err(Error::PhotoFile {
                path: name.to_owned(),
                reason: "is encrypted; open the store with its key".into(),
            }),
            None => Ok(file),
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
        let file = self.photo_file_contents(hash, bytes)?;
        write_durably(&self.photos_dir(), hash, &file)?;
        let mut guard = self.writer();
        // Written again if clean-up removed it meanwhile (see `import_photo`).
        write_durably(&self.photos_dir(), hash, &file)?;
        let tx = guard
            .conn
            .transaction()
            .map_err(Error::storage("saving a photo"))?;
        // The file is here again, so a "missing" block no longer holds.
        tx.execute(
            "INSERT INTO photo (hash, role, width, height, bytes, owner_record, uploaded, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, ?7)
             ON CONFLICT (hash) DO UPDATE SET uploaded = MAX(uploaded, ?6),
                 upload_blocked = CASE WHEN upload_blocked = 'missing' THEN NULL ELSE upload_blocked END",
            params![hash, role.as_str(), w, h, bytes.len() as i64, uploaded, Timestamp::now().0],
        )
        .map_err(Error::storage("saving a photo"))?;
        tx.execute("DELETE FROM thumbnail_miss WHERE hash = ?1", [hash])
            .map_err(Error::storage("saving a photo"))?;
        tx.commit().map_err(Error::storage("saving a photo"))?;
        Ok(())
    }

    /// Device: photos to upload now: not confirmed by the server, not blocked (see
    /// [`UploadBlock`]), and referred to by a record the server has acknowledged (the server
    /// lets only those who may see a record store its photos, so the record goes first).
    pub fn photos_to_upload(&self) -> Result<Vec<String>> {
        self.reader()
            .prepare_cached(
                "SELECT DISTINCT p.hash FROM photo p
                 JOIN photo_ref r ON r.hash = p.hash
                 JOIN document d ON d.id = r.record_id
                 WHERE p.uploaded = 0 AND p.upload_blocked IS NULL AND d.acked_heads IS NOT NULL
                 ORDER BY p.role DESC, p.hash",
            )
            .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
            .map_err(Error::storage("listing photos to upload"))
    }

    /// Device: the server confirmed it has this photo.
    pub fn mark_photo_uploaded(&self, hash: &str) -> Result<()> {
        self.writer()
            .conn
            .execute(
                "UPDATE photo SET uploaded = 1, upload_check = 0 WHERE hash = ?1",
                [hash],
            )
            .map_err(Error::storage("updating a photo"))?;
        Ok(())
    }

    /// Device: the server will not take this photo, or its file is gone. It stops being
    /// uploaded and counted as waiting, and shows in [`Store::blocked_photos`]. Returns the
    /// records that refer to it, for the sync report.
    pub fn mark_photo_blocked(
        &self,
        hash: &str,
        block: UploadBlock,
        reason: &str,
    ) -> Result<Vec<RecordId>> {
        let guard = self.writer();
        guard
            .conn
            .execute(
                "UPDATE photo SET upload_blocked = ?2, upload_error = ?3 WHERE hash = ?1 AND uploaded = 0",
                params![hash, block.as_str(), reason],
            )
            .map_err(Error::storage("updating a photo"))?;
        photo_records(&guard.conn, hash)
    }

    /// Device: photos whose upload has stopped, with why and the records they belong to.
    pub fn blocked_photos(&self) -> Result<Vec<BlockedPhoto>> {
        let conn = self.reader();
        let rows: Vec<(String, String, Option<String>)> = conn
            .prepare_cached(
                "SELECT hash, upload_blocked, upload_error FROM photo
                 WHERE uploaded = 0 AND upload_blocked IS NOT NULL ORDER BY hash",
            )
            .and_then(|mut st| {
                st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect()
            })
            .map_err(Error::storage("listing blocked photos"))?;
        rows.into_iter()
            .filter_map(|(hash, block, reason)| {
                let block = UploadBlock::parse(&block)?;
                Some(photo_records(&conn, &hash).map(|records| BlockedPhoto {
                    hash,
                    block,
                    reason: reason.unwrap_or_default(),
                    records,
                }))
            })
            .collect()
    }

    /// Device: photos waiting for upload (the app shows this with the pending count). Blocked
    /// photos are not waiting: they are in [`Store::blocked_photos`].
    pub fn photos_pending_upload(&self) -> Result<u32> {
        self.reader()
            .query_row(
                "SELECT COUNT(*) FROM photo WHERE uploaded = 0 AND upload_blocked IS NULL",
                [],
                |r| r.get(0),
            )
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

    /// Device: the missing thumbnails worth asking the server for at `now`: those it has not
    /// refused recently (see [`Store::record_thumbnail_miss`]), so an idle sync asks for none.
    pub fn thumbnails_to_download(&self, now: Timestamp) -> Result<Vec<String>> {
        self.reader()
            .prepare_cached(
                "SELECT DISTINCT r.hash FROM photo_ref r
                 LEFT JOIN photo p ON p.hash = r.hash
                 LEFT JOIN thumbnail_miss m ON m.hash = r.hash
                 WHERE r.role = 'thumb' AND p.hash IS NULL AND (m.hash IS NULL OR m.retry_at <= ?1)
                 ORDER BY r.hash",
            )
            .and_then(|mut st| st.query_map([now.0], |r| r.get(0))?.collect())
            .map_err(Error::storage("listing thumbnails"))
    }

    /// Device: the server did not give this thumbnail (`status` 404: not uploaded yet, 403: no
    /// longer in scope). It is not asked for again before a wait that starts at five minutes
    /// and doubles with each miss, up to a day.
    pub fn record_thumbnail_miss(&self, hash: &str, status: u16, now: Timestamp) -> Result<()> {
        let guard = self.writer();
        let misses: i64 = guard
            .conn
            .query_row(
                "SELECT misses FROM thumbnail_miss WHERE hash = ?1",
                [hash],
                |r| r.get(0),
            )
            .optional()
            .map_err(Error::storage("remembering a missing thumbnail"))?
            .unwrap_or(0)
            + 1;
        let wait = THUMBNAIL_RETRY_FIRST_MS
            .saturating_mul(1_i64 << (misses - 1).clamp(0, 20))
            .min(THUMBNAIL_RETRY_MAX_MS);
        guard
            .conn
            .execute(
                "INSERT OR REPLACE INTO thumbnail_miss (hash, status, misses, retry_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![hash, status, misses, now.0.saturating_add(wait)],
            )
            .map_err(Error::storage("remembering a missing thumbnail"))?;
        Ok(())
    }

    /// Device: forgets every thumbnail miss, so the next sync asks for them all again (for a
    /// "refresh" the worker asks for).
    pub fn retry_missing_thumbnails(&self) -> Result<()> {
        self.writer()
            .conn
            .execute("DELETE FROM thumbnail_miss", [])
            .map_err(Error::storage("forgetting missing thumbnails"))?;
        Ok(())
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
}

/// The records that refer to a photo (or the one it was taken for, if none does any more).
fn photo_records(conn: &rusqlite::Connection, hash: &str) -> Result<Vec<RecordId>> {
    conn.prepare_cached(
        "SELECT record_id FROM photo_ref WHERE hash = ?1
         UNION SELECT owner_record FROM photo WHERE hash = ?1 AND owner_record IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM photo_ref WHERE hash = ?1)
         ORDER BY 1",
    )
    .and_then(|mut st| {
        st.query_map([hash], |r| {
            Ok(RecordId::from_string(r.get::<_, String>(0)?))
        })?
        .collect()
    })
    .map_err(Error::storage("reading a photo's records"))
}
