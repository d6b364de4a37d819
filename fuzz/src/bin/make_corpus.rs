//! Writes the fuzz targets' examples (`corpus/<target>/`) from real records, real requests and
//! real files; run once when a layout changes (`cargo run -p gridwalk-fuzz --bin make_corpus`),
//! and commit what it writes. The ledgers and the CMYK photo are copied from `../shared/data`.

use std::path::Path;

use gridwalk_core::demo::{self, CommunitySpec};
use gridwalk_core::records::household::{NewVisit, VisitPurpose};
use gridwalk_core::records::order::{NewOrder, NewOrderItem, Severity};
use gridwalk_core::records::photo_ref::{Location, PhotoRef};
use gridwalk_core::records::reference::{ReferenceItem, ReferenceKind};
use gridwalk_core::records::report::NewReport;
use gridwalk_core::rules::household::Validation;
use gridwalk_core::store::StoreHeads;
use gridwalk_core::store::merge::RecordData;
use gridwalk_core::sync::wire::{self, ScopeCursor, SyncRequest, SyncResponse};
use gridwalk_core::{Actor, Role, Store, Timestamp};

fn write(target: &str, name: &str, bytes: &[u8]) {
    let dir = gridwalk_fuzz::crate_dir().join("corpus").join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), bytes).unwrap();
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("device.db")).unwrap();
    let community = demo::community(&CommunitySpec {
        households: 3,
        grids: 1,
        households_per_building: 3,
        buildings_per_compound: 1,
        ..CommunitySpec::device_scale(9)
    });
    store.put_reference(&community.reference).unwrap();
    store
        .put_reference(&[ReferenceItem::new(
            ReferenceKind::Category,
            "fire_safety",
            None,
            "消防安全",
        )])
        .unwrap();
    let now = Timestamp::now();
    let admin = Actor::new("admin", Role::Admin);
    let worker = Actor::new("worker.a", Role::GridWorker);
    let inspector = Actor::new("inspector", Role::Inspector);
    let ids = store
        .import_households(&admin, &community.households, Validation::Ledger, now)
        .unwrap();
    let photo = PhotoRef {
        full: "a".repeat(64),
        thumb: "b".repeat(64),
        width: 1600,
        height: 1200,
        taken_at: Some(Timestamp::now()),
        location: None,
    };
    let here = Location {
        lat: 38.4872,
        lon: 106.2309,
    };
    store
        .record_visit(
            &worker,
            &ids[0],
            &NewVisit {
                at: now,
                purpose: VisitPurpose::Routine,
                notes: "入户走访，情况正常".into(),
                location: Some(here),
                photos: vec![photo.clone()],
            },
            now,
        )
        .unwrap();
    let address = store.household(&ids[0]).unwrap().address;
    store
        .create_report(
            &worker,
            &NewReport {
                category: "fire_safety".into(),
                description: "楼道堆物".into(),
                grid: address.grid.clone(),
                compound: address.compound.clone(),
                location: Some(here),
                photos: vec![photo.clone()],
            },
            now,
        )
        .unwrap();
    store
        .create_order(
            &inspector,
            &NewOrder {
                title: "消防通道整改".into(),
                compound: address.compound.clone(),
                company: "P01".into(),
                deadline: Timestamp(now.0 + 7 * Timestamp::DAY_MS),
                items: vec![NewOrderItem {
                    description: "消防通道堆物".into(),
                    severity: Severity::Critical,
                    before_photos: vec![photo],
                }],
                from_report: None,
            },
            now,
        )
        .unwrap();

    // Pushed records: each record's whole document, and each of its changes, prefixed by its
    // kind (see tests/pushed_changes.rs for the format).
    let bundle = store.export_changes(&StoreHeads::default()).unwrap();
    for (n, rc) in bundle.records.iter().enumerate() {
        let RecordData::Document(doc) = &rc.data else {
            panic!("a record the other side lacks goes whole")
        };
        let mut framed = vec![b'D', rc.kind.as_bytes()[0]];
        framed.extend_from_slice(doc);
        write(
            "pushed_changes",
            &format!("{n}-{}-document", rc.kind),
            &framed,
        );
        let loaded = automerge::Automerge::load(doc).unwrap();
        for (k, change) in loaded.get_changes(&[]).iter().enumerate().take(3) {
            let mut framed = vec![b'C', rc.kind.as_bytes()[0]];
            framed.extend_from_slice(change.raw_bytes());
            write(
                "pushed_changes",
                &format!("{n}-{}-change-{k}", rc.kind),
                &framed,
            );
        }
    }

    // Sync requests and answers, as phones and the server send them.
    let cursors = [(
        format!("grid:{}", address.grid),
        ScopeCursor {
            seq: 42,
            snapshot_after: None,
            tag: Some(7),
        },
    )]
    .into_iter()
    .collect();
    let request = SyncRequest {
        version: wire::PROTOCOL_VERSION,
        cursors,
        push: bundle.records.clone(),
        reference_version: 3,
        pending: 2,
        log: Some(99),
    };
    write("sync_wire", "request", &wire::to_cbor(&request));
    write(
        "sync_wire",
        "request-empty",
        &wire::to_cbor(&SyncRequest {
            push: vec![],
            ..request.clone()
        }),
    );
    let response = SyncResponse {
        version: wire::PROTOCOL_VERSION,
        accepted: ids.clone(),
        pull: bundle.records,
        cursors: request.cursors.clone(),
        log: 99,
        server_time: now.0,
        ..Default::default()
    };
    write("sync_wire", "response", &wire::to_cbor(&response));

    // Ledgers as offices keep them (copied), and photos in every format a phone or an office
    // sends, small so that a run tries many.
    let shared = gridwalk_fuzz::crate_dir().join("../../shared/data");
    for entry in std::fs::read_dir(shared.join("ledgers")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "csv" || e == "xlsx") {
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            write("ledger", &name, &std::fs::read(&path).unwrap());
        }
    }
    write(
        "photos",
        "cmyk_adobe.jpg",
        &std::fs::read(shared.join("photos/cmyk_adobe.jpg")).unwrap(),
    );
    write(
        "photos",
        "bomb_header.jpg",
        &std::fs::read(shared.join("photos/bad_bomb_65500x65500.jpg")).unwrap(),
    );
    small_images(&gridwalk_fuzz::crate_dir().join("corpus/photos"));
}

/// A 48×32 picture with a gradient, in each format `image` writes.
fn small_images(dir: &Path) {
    use image::{ImageFormat, Rgba, RgbaImage};
    let img = RgbaImage::from_fn(48, 32, |x, y| {
        Rgba([
            (x * 5) as u8,
            (y * 8) as u8,
            128,
            if x < 8 { 0 } else { 255 },
        ])
    });
    let rgb = image::DynamicImage::ImageRgba8(img.clone()).to_rgb8();
    for (name, format) in [
        ("small.png", ImageFormat::Png),
        ("small.gif", ImageFormat::Gif),
        ("small.bmp", ImageFormat::Bmp),
        ("small.tiff", ImageFormat::Tiff),
        ("small.webp", ImageFormat::WebP),
    ] {
        img.save_with_format(dir.join(name), format).unwrap();
    }
    rgb.save_with_format(dir.join("small.jpg"), ImageFormat::Jpeg)
        .unwrap();
}
