//! Signing out with a wipe (issue 17, part 5) on real files: refused, erasing nothing, while
//! changes or photos wait for the server; with the worker's word to discard them, every file of
//! the store goes (database, WAL, shared memory, photos) and the store answers no more.

mod common;

use std::path::{Path, PathBuf};

use common::*;
use gridwalk_core::Error;
use gridwalk_core::Store;
use gridwalk_core::photos::PhotoOptions;
use gridwalk_core::store::StoreKey;
use gridwalk_core::store::photos::PhotoSource;
use gridwalk_core::store::wipe::{Unsent, UnsentChanges};

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

#[test]
fn a_wipe_refuses_while_changes_are_unsent_and_erases_everything_when_told() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gridwalk.db");
    let store = Store::open_encrypted(&path, &StoreKey::generate()).unwrap();
    let id = store
        .create_household(
            &worker(),
            &household("1", "101", vec![resident("张三", None, None)]),
            NOW,
        )
        .unwrap();
    let jpeg = std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/photos/landscape_0.jpg"),
    )
    .unwrap();
    store
        .import_photo(
            &id,
            PhotoSource::Bytes(&jpeg),
            &PhotoOptions::default(),
            None,
            None,
        )
        .unwrap();
    assert_eq!(
        store.unsent().unwrap(),
        Unsent {
            records: 1,
            photos: 2
        }
    );

    let err = store.wipe(UnsentChanges::Keep).unwrap_err();
    assert!(
        matches!(
            err,
            Error::UnsentChanges {
                records: 1,
                photos: 2
            }
        ),
        "{err:?}"
    );
    assert_eq!(err.code(), "store.unsent_changes");
    let zh = err.message().render(gridwalk_core::messages::Lang::ZhCn);
    assert!(zh.contains('1') && zh.contains('2'), "{zh}");
    // Nothing was erased, and the store goes on.
    assert!(path.exists() && store.photos_dir().exists());
    assert_eq!(store.household(&id).unwrap().residents.len(), 1);

    store.wipe(UnsentChanges::Discard).unwrap();
    for file in [path.clone(), sibling(&path, "-wal"), sibling(&path, "-shm")] {
        assert!(!file.exists(), "{} is still there", file.display());
    }
    assert!(!store.photos_dir().exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "files left behind"
    );
    assert!(store.household(&id).is_err(), "a wiped store still answers");
    assert!(
        store
            .create_household(&worker(), &household("1", "102", vec![]), NOW)
            .is_err(),
        "a wiped store still takes writes"
    );
    drop(store);
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "closing wrote files again"
    );
}

#[test]
fn a_wipe_with_nothing_unsent_needs_no_word() {
    let (dir, store) = temp_store();
    assert!(store.unsent().unwrap().is_empty());
    store.wipe(UnsentChanges::Keep).unwrap();
    drop(store);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
