//! Encryption at rest (issue 17, part 4) on real files: an encrypted store is unreadable without
//! its key, a wrong key is a typed error that changes nothing, photos on disk are not JPEGs and
//! decrypt to the originals, a plain store is encrypted keeping everything, a rekey works, and
//! the server's unkeyed store stays a plain SQLite file.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use gridwalk_core::photos::{PhotoOptions, content_hash};
use gridwalk_core::store::StoreKey;
use gridwalk_core::store::photos::{PhotoRole, PhotoSource};
use gridwalk_core::{Error, Store};

const NAME: &str = "张秀英";
const ID_NUMBER: &str = "11010519491231002X";
const PHONE: &str = "13812345678";

fn camera_photo() -> Vec<u8> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/photos/landscape_0.jpg");
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A store at `path` (keyed or not) with one household of one resident, and one photo of it.
fn fill(store: &Store) -> (gridwalk_core::RecordId, gridwalk_core::photos::PhotoRef) {
    let id = store
        .create_household(
            &worker(),
            &household(
                "1",
                "101",
                vec![resident(NAME, Some(ID_NUMBER), Some(PHONE))],
            ),
            NOW,
        )
        .unwrap();
    let photo = store
        .import_photo(
            &id,
            PhotoSource::Bytes(&camera_photo()),
            &PhotoOptions::default(),
            None,
            None,
        )
        .unwrap();
    (id, photo)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Every byte of the store's files (database, WAL), to look for plain text in.
fn store_bytes(path: &Path) -> Vec<u8> {
    let mut all = std::fs::read(path).unwrap();
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    if let Ok(w) = std::fs::read(PathBuf::from(wal)) {
        all.extend(w);
    }
    all
}

/// What Python's own sqlite3 module (plain SQLite, not ours) makes of the file: the table
/// count, or its error.
fn python_sqlite(path: &Path) -> Result<String, String> {
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(
            "import sqlite3, sys\n\
             c = sqlite3.connect(sys.argv[1])\n\
             print(c.execute(\"SELECT count(*) FROM sqlite_master WHERE type = 'table'\").fetchone()[0])",
        )
        .arg(path)
        .output()
        .expect("python3 runs");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn an_encrypted_store_cannot_be_read_without_its_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gridwalk.db");
    let key = StoreKey::generate();
    {
        let store = Store::open_encrypted(&path, &key).unwrap();
        assert!(store.is_encrypted());
        fill(&store);
        // Read while open, from the WAL too: nothing personal in plain text anywhere.
        let bytes = store_bytes(&path);
        assert!(!bytes.starts_with(b"SQLite format 3\0"));
        for secret in [NAME.as_bytes(), ID_NUMBER.as_bytes(), PHONE.as_bytes()] {
            assert!(
                !contains(&bytes, secret),
                "a resident's data lies in the open"
            );
        }
    }
    let bytes = store_bytes(&path);
    assert!(
        !bytes.starts_with(b"SQLite format 3\0"),
        "the file is plain SQLite"
    );
    assert!(!contains(&bytes, ID_NUMBER.as_bytes()));

    // SQLite without the key (rusqlite, and Python's own sqlite3) refuses the file.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let err = conn
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap_err();
    assert_eq!(
        err.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase),
        "{err}"
    );
    drop(conn);
    let python = python_sqlite(&path).unwrap_err();
    assert!(python.contains("file is not a database"), "{python}");

    // The store without a key: the typed error, not a storage failure.
    let err = Store::open(&path).err().expect("opened without its key");
    assert!(matches!(err, Error::WrongStoreKey), "{err:?}");
}

#[test]
fn a_wrong_key_is_a_typed_error_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gridwalk.db");
    let key = StoreKey::generate();
    let id = fill(&Store::open_encrypted(&path, &key).unwrap()).0;
    let before = std::fs::read(&path).unwrap();

    let err = Store::open_encrypted(&path, &StoreKey::generate())
        .err()
        .expect("opened with a wrong key");
    assert!(matches!(err, Error::WrongStoreKey), "{err:?}");
    assert_eq!(err.code(), "store.wrong_key");
    let zh = err.message().render(gridwalk_core::messages::Lang::ZhCn);
    let en = err.message().render(gridwalk_core::messages::Lang::En);
    assert!(zh.contains("密钥") && en.contains("key"), "{zh} / {en}");
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "a wrong key changed the file"
    );

    let store = Store::open_encrypted(&path, &key).unwrap();
    assert_eq!(store.household(&id).unwrap().residents[0].name, NAME);

    let err = StoreKey::from_bytes(&[7; 16]).unwrap_err();
    assert_eq!(err.code(), "store.key_invalid");
    assert_eq!(
        err.message().params.get("length").map(String::as_str),
        Some("16")
    );
}

#[test]
fn photos_on_disk_are_encrypted_and_decrypt_to_the_original() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gridwalk.db");
    let key = StoreKey::generate();
    let store = Store::open_encrypted(&path, &key).unwrap();
    let (_, photo) = fill(&store);
    for hash in [&photo.full, &photo.thumb] {
        let file = std::fs::read(store.photos_dir().join(hash)).unwrap();
        assert!(
            !file.starts_with(&[0xFF, 0xD8]),
            "photo {hash} is a JPEG on disk"
        );
        let jpeg = store.photo_bytes(hash).unwrap().unwrap();
        assert!(jpeg.starts_with(&[0xFF, 0xD8, 0xFF]));
        assert_eq!(&content_hash(&jpeg), hash, "decrypts to the photo itself");
        image::load_from_memory(&jpeg).expect("a JPEG that decodes");
    }
    // A photo arriving from the server is encrypted too, and comes back as it came.
    let other = gridwalk_core::photos::pipeline::process(
        &camera_photo(),
        &PhotoOptions {
            long_edge: 800,
            ..Default::default()
        },
    )
    .unwrap();
    let hash = content_hash(&other.full);
    store
        .save_photo(&hash, PhotoRole::Full, &other.full, true)
        .unwrap();
    let file = std::fs::read(store.photos_dir().join(&hash)).unwrap();
    assert!(!file.starts_with(&[0xFF, 0xD8]));
    assert_eq!(store.photo_bytes(&hash).unwrap().unwrap(), other.full);

    // A file swapped for another photo's does not decrypt under the wrong name.
    std::fs::copy(
        store.photos_dir().join(&hash),
        store.photos_dir().join(&photo.thumb),
    )
    .unwrap();
    let err = store.photo_bytes(&photo.thumb).unwrap_err();
    assert_eq!(err.code(), "photo.file", "{err:?}");
}

#[test]
fn a_plain_store_is_encrypted_on_first_keyed_open_keeping_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gridwalk.db");
    let (id, photo, device, dump) = {
        let store = Store::open(&path).unwrap();
        let (id, photo) = fill(&store);
        store
            .record_visit(&worker(), &id, &visit_at(NOW), NOW)
            .unwrap();
        let file = std::fs::read(store.photos_dir().join(&photo.full)).unwrap();
        assert!(
            file.starts_with(&[0xFF, 0xD8]),
            "a plain store keeps plain photos"
        );
        (
            id,
            photo,
            store.device_id().unwrap(),
            projection_dump(&path),
        )
    };
    assert!(python_sqlite(&path).is_ok(), "the store was plain");

    let key = StoreKey::generate();
    let household = {
        let store = Store::open_encrypted(&path, &key).unwrap();
        assert_eq!(store.device_id().unwrap(), device);
        let h = store.household(&id).unwrap();
        assert_eq!(h.residents[0].name, NAME);
        assert_eq!(h.visits.len(), 1);
        for hash in [&photo.full, &photo.thumb] {
            let file = std::fs::read(store.photos_dir().join(hash)).unwrap();
            assert!(!file.starts_with(&[0xFF, 0xD8]), "photo {hash} left plain");
            assert_eq!(
                &content_hash(&store.photo_bytes(hash).unwrap().unwrap()),
                hash
            );
        }
        h
    };
    assert!(python_sqlite(&path).is_err(), "still plain SQLite");
    assert!(!contains(&store_bytes(&path), ID_NUMBER.as_bytes()));
    assert!(!dir.path().join("gridwalk.db.encrypting").exists());

    // Every list row is as it was: the dump read through a keyed connection.
    let store = Store::open_encrypted(&path, &key).unwrap();
    assert_eq!(store.household(&id).unwrap(), household);
    drop(store);
    assert_eq!(keyed_projection_dump(&path, &key), dump);
}

/// [`projection_dump`] of an encrypted store: decrypted into a plain copy first.
fn keyed_projection_dump(path: &Path, key: &StoreKey) -> Vec<String> {
    let plain = path.with_file_name("decrypted.db");
    let conn = rusqlite::Connection::open(path).unwrap();
    let hex: String = key.as_bytes().iter().map(|b| format!("{b:02X}")).collect();
    conn.execute_batch(&format!("PRAGMA key = \"x'{hex}'\";"))
        .unwrap();
    conn.execute(
        "ATTACH DATABASE ?1 AS plain KEY ''",
        [plain.to_string_lossy()],
    )
    .unwrap();
    conn.query_row("SELECT sqlcipher_export('plain')", [], |_| Ok(()))
        .unwrap();
    conn.execute_batch("DETACH DATABASE plain;").unwrap();
    drop(conn);
    projection_dump(&plain)
}

#[test]
fn rekey_changes_the_key_and_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gridwalk.db");
    let old = StoreKey::generate();
    let new = StoreKey::generate();
    let (id, photo) = {
        let store = Store::open_encrypted(&path, &old).unwrap();
        let (id, photo) = fill(&store);
        store.rekey(&new).unwrap();
        // The open store goes on reading and writing under the new key.
        store
            .record_visit(&worker(), &id, &visit_at(NOW), NOW)
            .unwrap();
        assert_eq!(store.household(&id).unwrap().visits.len(), 1);
        assert_eq!(store.search_residents(NAME, 10).unwrap().len(), 1);
        (id, photo)
    };
    let err = Store::open_encrypted(&path, &old)
        .err()
        .expect("the old key still opens it");
    assert!(matches!(err, Error::WrongStoreKey), "{err:?}");
    let store = Store::open_encrypted(&path, &new).unwrap();
    let h = store.household(&id).unwrap();
    assert_eq!((h.residents[0].name.as_str(), h.visits.len()), (NAME, 1));
    let jpeg = store.photo_bytes(&photo.full).unwrap().unwrap();
    assert_eq!(content_hash(&jpeg), photo.full, "photos read after a rekey");

    // A plain store cannot be rekeyed (it has no key to change).
    let plain = Store::open(dir.path().join("plain.db")).unwrap();
    assert!(plain.rekey(&new).is_err());
}

#[test]
fn the_servers_store_without_a_key_stays_plain_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let store = server_store(&dir);
    store
        .create_household(
            &supervisor(),
            &household("1", "101", vec![resident(NAME, None, None)]),
            NOW,
        )
        .unwrap();
    assert!(!store.is_encrypted());
    drop(store);
    let path = dir.path().join("server.db");
    assert!(
        std::fs::read(&path)
            .unwrap()
            .starts_with(b"SQLite format 3\0")
    );
    let tables: u32 = python_sqlite(&path).unwrap().parse().unwrap();
    assert!(
        tables > 10,
        "Python's sqlite3 reads the server's store: {tables} tables"
    );
}
