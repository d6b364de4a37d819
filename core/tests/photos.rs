//! The photo pipeline on real camera files (`../shared/data/photos/`), and photo storage.

mod common;

use std::path::PathBuf;

use common::*;
use gridwalk_core::Error;
use gridwalk_core::photos::pipeline::{PhotoProblem, process};
use gridwalk_core::photos::{PhotoOptions, content_hash};
use gridwalk_core::records::household::{NewVisit, VisitPurpose};
use gridwalk_core::store::photos::{PhotoSource, PhotoState};
use image::GenericImageView;

fn photo(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/photos")
        .join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(photo(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Mean absolute difference per channel (0–255) of two images of the same size.
fn difference(a: &image::DynamicImage, b: &image::DynamicImage) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions());
    let (a, b) = (a.to_rgb8(), b.to_rgb8());
    let total: u64 = a
        .as_raw()
        .iter()
        .zip(b.as_raw())
        .map(|(x, y)| u64::from(x.abs_diff(*y)))
        .sum();
    total as f64 / a.as_raw().len() as f64
}

fn has_gps(jpeg: &[u8]) -> bool {
    exif::Reader::new()
        .read_from_container(&mut std::io::Cursor::new(jpeg))
        .map(|e| {
            e.fields()
                .any(|f| f.ifd_num == exif::In::PRIMARY && f.tag.context() == exif::Context::Gps)
        })
        .unwrap_or(false)
}

#[test]
fn every_orientation_comes_out_upright_and_the_same_picture() {
    let options = PhotoOptions::default();
    for (shape, expected) in [("landscape", (1600, 1067)), ("portrait", (1067, 1600))] {
        let reference = process(&read(&format!("{shape}_0.jpg")), &options).unwrap();
        assert_eq!(reference.size, expected, "{shape}_0");
        let reference = image::load_from_memory(&reference.thumb).unwrap();
        for k in 1..=8 {
            let name = format!("{shape}_{k}.jpg");
            let out = process(&read(&name), &options).unwrap();
            assert_eq!(out.size, expected, "{name} has the right shape");
            let thumb = image::load_from_memory(&out.thumb).unwrap();
            let d = difference(&thumb, &reference);
            assert!(
                d < 8.0,
                "{name} differs from {shape}_0 by {d:.1} per channel"
            );
        }
    }
}

#[test]
fn orientation_matters_to_the_comparison() {
    // The stored pixels of orientation 3 are upside down: shown raw, they differ a lot.
    let upright = image::load_from_memory(&read("landscape_0.jpg"))
        .unwrap()
        .thumbnail_exact(320, 213);
    let raw = image::load_from_memory(&read("landscape_3.jpg"))
        .unwrap()
        .thumbnail_exact(320, 213);
    assert!(
        difference(&upright, &raw) > 20.0,
        "the raw pixels of orientation 3 are rotated"
    );
}

#[test]
fn no_gps_or_other_exif_survives() {
    for name in [
        "phone_nokia_8.3_gps.jpg",
        "phone_iphone6_gps.jpg",
        "phone_jolla.jpg",
    ] {
        let input = read(name);
        if name.contains("gps") {
            assert!(has_gps(&input), "{name} has GPS to begin with");
        }
        let out = process(&input, &PhotoOptions::default()).unwrap();
        for jpeg in [&out.full, &out.thumb] {
            assert!(!has_gps(jpeg), "{name}: GPS left in the output");
            assert!(
                !jpeg.windows(6).any(|w| w == b"Exif\0\0"),
                "{name}: an EXIF block left in the output"
            );
        }
        assert_eq!(out.size.0.max(out.size.1), 1600, "{name}");
        assert_eq!(out.thumb_size.0.max(out.thumb_size.1), 320, "{name}");
        assert!(
            out.full.len() < 600 * 1024,
            "{name}: {} bytes travel",
            out.full.len()
        );
    }
}

#[test]
fn heic_is_refused_with_a_clear_error() {
    let err = process(&read("phone_iphone13.heic"), &PhotoOptions::default()).unwrap_err();
    assert_eq!(
        err,
        PhotoProblem::UnsupportedFormat {
            format: "HEIC".into()
        }
    );
    assert!(err.to_string().contains("convert them to JPEG"), "{err}");
}

#[test]
fn damaged_files_never_crash() {
    let corrupted = process(&read("bad_corrupted.jpg"), &PhotoOptions::default());
    assert!(
        matches!(corrupted, Ok(_) | Err(PhotoProblem::Undecodable { .. })),
        "{corrupted:?}"
    );
    assert!(process(&read("bad_invalid_exif.jpg"), &PhotoOptions::default()).is_ok());
    let good = read("portrait_6.jpg");
    for cut in [0, 2, 10, 100, 1000, good.len() / 2, good.len() - 1] {
        let _ = process(&good[..cut], &PhotoOptions::default());
    }
    let mut flipped = good.clone();
    for i in (200..flipped.len()).step_by(997) {
        flipped[i] ^= 0x5a;
    }
    let _ = process(&flipped, &PhotoOptions::default());
    assert!(matches!(
        process(
            b"GIF89a\x01\x00\x01\x00\x80\x00\x00 not really",
            &PhotoOptions::default()
        ),
        Err(PhotoProblem::Undecodable { .. })
    ));
}

#[test]
fn a_photo_is_stored_by_hash_attached_to_a_visit_and_cleaned_up_only_when_safe() {
    let (_d, store) = temp_store();
    let id = store
        .create_household(&worker(), &household("B01", "301", vec![]), NOW)
        .unwrap();
    let taken = store
        .import_photo(
            &id,
            PhotoSource::File(&photo("phone_iphone6_gps.jpg")),
            &PhotoOptions::default(),
            Some(NOW),
            None,
        )
        .unwrap();
    let PhotoState::Local(path) = store.photo(&taken.full).unwrap() else {
        panic!("the photo is on the device");
    };
    assert_eq!(
        content_hash(&std::fs::read(&path).unwrap()),
        taken.full,
        "named by its SHA-256"
    );
    assert_eq!((taken.width, taken.height), (1600, 1200));
    store
        .record_visit(
            &worker(),
            &id,
            &NewVisit {
                at: NOW,
                purpose: VisitPurpose::Verification,
                notes: "楼道堆物".into(),
                location: None,
                photos: vec![taken.clone()],
            },
            NOW,
        )
        .unwrap();
    assert_eq!(
        store.household(&id).unwrap().visits[0].photos,
        vec![taken.clone()]
    );
    assert!(
        store.photos_to_upload().unwrap().is_empty(),
        "the record goes to the server first"
    );
    assert_eq!(store.photos_pending_upload().unwrap(), 2);

    // A photo taken but never attached, and not uploaded: kept.
    let stray = store
        .import_photo(
            &id,
            PhotoSource::Bytes(&read("portrait_0.jpg")),
            &PhotoOptions::default(),
            None,
            None,
        )
        .unwrap();
    assert_eq!(store.clean_up_photos().unwrap(), 0);
    // Uploaded and attached: kept. Uploaded and not attached: removed.
    for hash in [&taken.full, &taken.thumb, &stray.full, &stray.thumb] {
        store.mark_photo_uploaded(hash).unwrap();
    }
    assert_eq!(store.clean_up_photos().unwrap(), 2);
    assert_eq!(store.photo(&stray.full).unwrap(), PhotoState::NotDownloaded);
    assert!(matches!(
        store.photo(&taken.full).unwrap(),
        PhotoState::Local(_)
    ));

    let err = store
        .import_photo(
            &id,
            PhotoSource::File(&photo("phone_iphone13.heic")),
            &PhotoOptions::default(),
            None,
            None,
        )
        .unwrap_err();
    assert!(
        matches!(err, Error::Photo(PhotoProblem::UnsupportedFormat { .. })),
        "{err:?}"
    );
    let err = store.save_photo(
        &taken.full,
        gridwalk_core::store::photos::PhotoRole::Full,
        b"other bytes",
        true,
    );
    assert!(matches!(err, Err(Error::PhotoHashMismatch { .. })));
}

#[test]
fn the_store_refuses_bombs_and_oversized_files_with_the_pipelines_reason() {
    let (_d, store) = temp_store();
    let id = store
        .create_household(&worker(), &household("B01", "302", vec![]), NOW)
        .unwrap();
    let err = store
        .import_photo(
            &id,
            PhotoSource::File(&photo("bad_bomb_65500x65500.jpg")),
            &PhotoOptions::default(),
            None,
            None,
        )
        .unwrap_err();
    assert!(
        matches!(&err, Error::Photo(p) if p.code() == "photo.too_many_pixels"),
        "{err:?}"
    );
    // A file over the limit is refused from its size, before it is read.
    let small_limit = PhotoOptions {
        max_file_bytes: 1 << 20,
        ..PhotoOptions::default()
    };
    let err = store
        .import_photo(
            &id,
            PhotoSource::File(&photo("phone_nokia_8.3_gps.jpg")),
            &small_limit,
            None,
            None,
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        PhotoProblem::FileTooLarge {
            megabytes: 3,
            max_megabytes: 1
        }
        .to_string()
    );
    assert!(store.photos_to_upload().unwrap().is_empty());
    assert_eq!(store.photos_pending_upload().unwrap(), 0, "nothing stored");
}

/// A photo taken in again while clean-up runs (the same picture, uploaded before and used by
/// no record) survives whichever goes first: its row and its file are both there afterwards,
/// and it is kept until a record refers to it. Threads, many rounds.
#[test]
fn a_photo_taken_in_while_clean_up_runs_survives() {
    let (_d, store) = temp_store();
    let store = std::sync::Arc::new(store);
    let id = store
        .create_household(&worker(), &household("B01", "301", vec![]), NOW)
        .unwrap();
    let bytes = read("cmyk_adobe.jpg");
    let started = std::time::Instant::now();
    let first = store
        .import_photo(
            &id,
            PhotoSource::Bytes(&bytes),
            &PhotoOptions::default(),
            None,
            None,
        )
        .unwrap();
    let import_time = started.elapsed();
    for round in 0..60u32 {
        // Uploaded and used by no record: what clean-up removes.
        store.mark_photo_uploaded(&first.full).unwrap();
        store.mark_photo_uploaded(&first.thumb).unwrap();
        let start = std::sync::Arc::new(std::sync::Barrier::new(2));
        let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let cleaner = {
            let (store, start, done) = (store.clone(), start.clone(), done.clone());
            std::thread::spawn(move || {
                start.wait();
                // Starting at a different point of the import each round, then over and over
                // until it is done.
                std::thread::sleep(import_time * (round % 12) / 10);
                loop {
                    store.clean_up_photos().unwrap();
                    if done.load(std::sync::atomic::Ordering::SeqCst) {
                        break;
                    }
                    std::thread::sleep(std::time::Duration::from_micros(200));
                }
            })
        };
        start.wait();
        let again = store
            .import_photo(
                &id,
                PhotoSource::Bytes(&bytes),
                &PhotoOptions::default(),
                None,
                None,
            )
            .unwrap();
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        cleaner.join().unwrap();
        // And a clean-up after the import finished too: the photo waits for its record.
        store.clean_up_photos().unwrap();
        for hash in [&again.full, &again.thumb] {
            let PhotoState::Local(path) = store.photo(hash).unwrap() else {
                panic!("round {round}: the photo just taken in was cleaned up");
            };
            assert_eq!(
                content_hash(&std::fs::read(&path).unwrap()),
                *hash,
                "round {round}: its file is whole"
            );
        }
    }
    // Once its record is written and sent, it is an ordinary photo in use.
    let mut visit = visit_at(NOW);
    visit.photos = vec![first.clone()];
    store.record_visit(&worker(), &id, &visit, NOW).unwrap();
    store.mark_photo_uploaded(&first.full).unwrap();
    assert_eq!(store.clean_up_photos().unwrap(), 0);
}
