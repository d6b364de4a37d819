//! Encryption at rest of a device store: the store key the app gives, SQLCipher keying of
//! every connection, turning a plain store into an encrypted one on its first keyed open, and
//! the key of the photo files.
//!
//! The app keeps a random 32-byte key in the platform keystore (android/README.md,
//! ios/README.md) and passes it to [`super::Store::open_encrypted`]. It is SQLCipher's raw key
//! (`PRAGMA key = "x'…'"`): no passphrase derivation runs at open, so opening costs what it
//! did. A connection whose key does not open the file fails its first read with
//! `SQLITE_NOTADB` before anything is written, which becomes [`Error::WrongStoreKey`].
//!
//! Photos are encrypted with XChaCha20-Poly1305 under a photo key: 32 random bytes made on the
//! first keyed open and kept in the encrypted store's `meta` table, so it is exactly as secret
//! as the store and a rekey (one SQLCipher `PRAGMA rekey`) leaves every photo file as it is.

use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rusqlite::{Connection, OptionalExtension};

use crate::error::{Error, Result};

/// The bytes every plain SQLite file starts with.
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// What an encrypted photo file starts with: Gridwalk photo, format 1.
const PHOTO_MAGIC: &[u8; 4] = b"GWP1";
/// The nonce of an encrypted photo file, after the magic.
const NONCE_LEN: usize = 24;

/// The key of an encrypted store: 32 bytes the app keeps in the platform keystore. Its bytes
/// are overwritten when it is dropped and never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct StoreKey([u8; 32]);

impl StoreKey {
    /// The key's length in bytes.
    pub const LEN: usize = 32;

    /// A key from the bytes the app kept; refused unless exactly 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<StoreKey> {
        let array: [u8; 32] = bytes.try_into().map_err(|_| Error::StoreKeyInvalid {
            length: bytes.len(),
        })?;
        Ok(StoreKey(array))
    }

    /// A new random key (for an app that has none yet, or a rotation).
    pub fn generate() -> StoreKey {
        StoreKey(rand::random())
    }

    /// The key's bytes, for the app to keep.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// SQLCipher's raw-key literal, `x'<64 hex digits>'`.
    fn sql_literal(&self) -> String {
        format!("x'{}'", hex_upper(&self.0))
    }
}

impl std::fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreKey(..)")
    }
}

impl Drop for StoreKey {
    fn drop(&mut self) {
        for b in self.0.iter_mut() {
            // SAFETY: a valid, aligned, exclusive reference; volatile so the wipe is not elided.
            unsafe { std::ptr::write_volatile(b, 0) };
        }
    }
}

fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// Keys a connection just opened (before anything else reads the file) and checks the key opens
/// it: a wrong key, or none for an encrypted file, is [`Error::WrongStoreKey`].
pub(crate) fn key_connection(conn: &Connection, key: Option<&StoreKey>) -> Result<()> {
    if let Some(key) = key {
        // SQLCipher logs a failed page check to stderr; a wrong key is told by the error.
        conn.execute_batch("PRAGMA cipher_log_level = NONE;")
            .map_err(Error::storage("keying the store"))?;
        conn.execute_batch(&format!("PRAGMA key = \"{}\";", key.sql_literal()))
            .map_err(Error::storage("keying the store"))?;
    }
    check_readable(conn)?;
    if key.is_some() {
        // SQLCipher decrypts a page each time it enters SQLite's own cache; past that cache a
        // plain store reads from the OS page cache for a copy, an encrypted one decrypts again.
        // A scan of the residents (the name search) then cost 6.6× the plain store's
        // (BENCHMARKS.md). A device store is ~12 MB at 5,000 households: let each connection
        // keep up to 16 MB decrypted, grown only as pages are read.
        conn.execute_batch("PRAGMA cache_size = -16384;")
            .map_err(Error::storage("keying the store"))?;
    }
    Ok(())
}

/// Reads the schema, the first read of a connection: `SQLITE_NOTADB` means the key (or its
/// absence) does not open the file.
fn check_readable(conn: &Connection) -> Result<()> {
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    }) {
        Ok(_) => Ok(()),
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::NotADatabase =>
        {
            Err(Error::WrongStoreKey)
        }
        Err(e) => Err(Error::storage("opening the store")(e)),
    }
}

/// Whether `path` is a plain (unencrypted) SQLite file.
pub(crate) fn is_plain_store(path: &Path) -> Result<bool> {
    use std::io::Read;
    let mut head = [0u8; 16];
    match std::fs::File::open(path) {
        Ok(mut f) => Ok(f.read_exact(&mut head).is_ok() && &head == SQLITE_MAGIC),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::Storage {
            context: "opening the store",
            reason: e.to_string(),
        }),
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

fn io_error(context: &'static str) -> impl FnOnce(std::io::Error) -> Error {
    move |e| Error::Storage {
        context,
        reason: e.to_string(),
    }
}

/// Turns the plain store at `path` into one encrypted with `key`, keeping everything: its WAL
/// is checkpointed into the file, `sqlcipher_export` copies every table, index and the schema
/// version into `<path>.encrypting`, which is synced and renamed over the store. A crash before
/// the rename leaves the plain store (the next keyed open starts again), after it the encrypted
/// one. Returns whether there was a plain store to encrypt.
pub(crate) fn encrypt_plain_store(path: &Path, key: &StoreKey) -> Result<bool> {
    if !is_plain_store(path)? {
        return Ok(false);
    }
    let err = |context| Error::storage(context);
    let tmp = sibling(path, ".encrypting");
    for stale in [tmp.clone(), sibling(&tmp, "-journal")] {
        match std::fs::remove_file(&stale) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(io_error("encrypting the store")(e));
            }
            _ => {}
        }
    }
    {
        let conn = Connection::open(path).map_err(err("encrypting the store"))?;
        conn.execute_batch("PRAGMA busy_timeout = 5000;")
            .map_err(err("encrypting the store"))?;
        // Everything the WAL holds goes into the main file, so the export sees it all and the
        // WAL left behind is empty.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .map_err(err("encrypting the store"))?;
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(err("encrypting the store"))?;
        conn.execute(
            "ATTACH DATABASE ?1 AS encrypted KEY ?2",
            rusqlite::params![tmp.to_string_lossy(), key.sql_literal()],
        )
        .map_err(err("encrypting the store"))?;
        conn.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))
            .map_err(err("encrypting the store"))?;
        conn.execute_batch(&format!("PRAGMA encrypted.user_version = {version};"))
            .map_err(err("encrypting the store"))?;
        conn.execute_batch("DETACH DATABASE encrypted;")
            .map_err(err("encrypting the store"))?;
        // Closing the last connection checkpoints and deletes the plain WAL.
        conn.close()
            .map_err(|(_, e)| err("encrypting the store")(e))?;
    }
    // A WAL or shared-memory file of the plain store must not be read as the encrypted one's.
    for stale in [sibling(path, "-wal"), sibling(path, "-shm")] {
        match std::fs::remove_file(&stale) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(io_error("encrypting the store")(e));
            }
            _ => {}
        }
    }
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io_error("encrypting the store"))?;
    std::fs::rename(&tmp, path).map_err(io_error("encrypting the store"))?;
    if let Some(dir) = path.parent()
        && let Ok(d) = std::fs::File::open(if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        })
    {
        let _ = d.sync_all();
    }
    tracing::info!("encrypted a plain store");
    Ok(true)
}

/// Re-encrypts the store on the writer connection `conn` (no other connection open) with
/// `new`: out of WAL (SQLCipher rekeys in a rollback journal, so a crash leaves the old key or
/// the new one), `PRAGMA rekey`, back into WAL.
pub(crate) fn rekey(conn: &Connection, new: &StoreKey) -> Result<()> {
    let err = Error::storage;
    conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .map_err(err("changing the store key"))?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "DELETE", |r| r.get(0))
        .map_err(err("changing the store key"))?;
    if !mode.eq_ignore_ascii_case("delete") {
        return Err(Error::Storage {
            context: "changing the store key",
            reason: format!("the store stayed in journal mode {mode}"),
        });
    }
    let result = conn
        .execute_batch(&format!("PRAGMA rekey = \"{}\";", new.sql_literal()))
        .map_err(err("changing the store key"));
    let back: rusqlite::Result<String> =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0));
    result?;
    back.map_err(err("changing the store key"))?;
    Ok(())
}

/// The key photo files are encrypted with.
pub(crate) struct PhotoKey(XChaCha20Poly1305);

impl PhotoKey {
    /// The store's photo key from `meta`, made on first use.
    pub(crate) fn load_or_make(conn: &Connection) -> Result<PhotoKey> {
        let err = Error::storage("reading the photo key");
        let existing: Option<Vec<u8>> = conn
            .query_row("SELECT value FROM meta WHERE key = 'photo_key'", [], |r| {
                r.get(0)
            })
            .optional()
            .map_err(err)?;
        let bytes = match existing {
            Some(b) => b,
            None => {
                let b: [u8; 32] = rand::random();
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('photo_key', ?1)",
                    [&b[..]],
                )
                .map_err(Error::storage("saving the photo key"))?;
                b.to_vec()
            }
        };
        let cipher = XChaCha20Poly1305::new_from_slice(&bytes).map_err(|_| Error::Storage {
            context: "reading the photo key",
            reason: format!("a photo key of {} bytes", bytes.len()),
        })?;
        Ok(PhotoKey(cipher))
    }

    /// The file contents for photo `name`: magic, nonce, then the bytes sealed with the name
    /// as associated data (a file renamed to another photo's name does not decrypt).
    pub(crate) fn seal(&self, name: &str, plain: &[u8]) -> Result<Vec<u8>> {
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let nonce = XNonce::from(nonce_bytes);
        let sealed = self
            .0
            .encrypt(
                &nonce,
                Payload {
                    msg: plain,
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| Error::PhotoFile {
                path: name.to_owned(),
                reason: "could not be encrypted".into(),
            })?;
        let mut out = Vec::with_capacity(PHOTO_MAGIC.len() + NONCE_LEN + sealed.len());
        out.extend_from_slice(PHOTO_MAGIC);
        out.extend_from_slice(&nonce_bytes);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// The photo's bytes from its file's contents; an unencrypted or altered file is refused.
    pub(crate) fn open(&self, name: &str, file: &[u8]) -> Result<Vec<u8>> {
        let refuse = |reason: &str| Error::PhotoFile {
            path: name.to_owned(),
            reason: reason.to_owned(),
        };
        let Some(rest) = file.strip_prefix(PHOTO_MAGIC) else {
            return Err(refuse("is not encrypted"));
        };
        if rest.len() < NONCE_LEN {
            return Err(refuse("is cut short"));
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| refuse("is cut short"))?;
        self.0
            .decrypt(
                &nonce,
                Payload {
                    msg: sealed,
                    aad: name.as_bytes(),
                },
            )
            .map_err(|_| refuse("does not decrypt: altered, or of another store"))
    }
}

/// Whether a photo file's contents are encrypted.
pub(crate) fn is_sealed_photo(file: &[u8]) -> bool {
    file.starts_with(PHOTO_MAGIC)
}

impl super::Store {
    /// Encrypts the photo files still plain (taken in before the store had a key, or left by a
    /// pass cut short), each replaced whole through a synced temporary file; then notes in
    /// `meta` that the folder is done, so later opens skip the pass.
    pub(crate) fn encrypt_plain_photos(&self) -> Result<()> {
        let Some(key) = &self.photo_key else {
            return Ok(());
        };
        let done: Option<i64> = self
            .writer()
            .conn
            .query_row(
                "SELECT 1 FROM meta WHERE key = 'photos_encrypted'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(Error::storage("reading the photo key"))?;
        if done.is_some() {
            return Ok(());
        }
        let dir = self.photos_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries.collect::<std::io::Result<Vec<_>>>(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
        .map_err(io_error("encrypting photos"))?;
        let mut count = 0;
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !crate::photos::is_content_hash(&name) {
                continue;
            }
            let path = entry.path();
            let file = std::fs::read(&path).map_err(io_error("encrypting photos"))?;
            if is_sealed_photo(&file) {
                continue;
            }
            let sealed = key.seal(&name, &file)?;
            let tmp = dir.join(format!("{name}.partial"));
            {
                use std::io::Write;
                let mut f = std::fs::File::create(&tmp).map_err(io_error("encrypting photos"))?;
                f.write_all(&sealed)
                    .and_then(|_| f.sync_all())
                    .map_err(io_error("encrypting photos"))?;
            }
            std::fs::rename(&tmp, &path).map_err(io_error("encrypting photos"))?;
            count += 1;
        }
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        self.writer()
            .conn
            .execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('photos_encrypted', 1)",
                [],
            )
            .map_err(Error::storage("encrypting photos"))?;
        if count > 0 {
            tracing::info!(photos = count, "encrypted plain photo files");
        }
        Ok(())
    }
}
