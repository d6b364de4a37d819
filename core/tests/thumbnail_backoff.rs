//! The thumbnail back-off: a thumbnail the server did not give is asked for again after five
//! minutes, then ten, twenty, ... doubling with each miss, never more than a day; a worker's
//! "refresh" asks for all of them at once. Times are given, never slept.

mod common;

use common::*;
use gridwalk_core::Timestamp;
use gridwalk_core::photos::PhotoRef;

const MINUTE: i64 = 60_000;

#[test]
fn a_missing_thumbnail_is_asked_for_again_after_5_10_20_minutes_and_at_most_daily() {
    let (_d, store) = temp_store();
    let id = store
        .create_household(
            &worker(),
            &household("B01", "101", vec![resident("张伟", None, None)]),
            NOW,
        )
        .unwrap();
    let thumb = "b".repeat(64);
    let mut visit = visit_at(NOW);
    visit.photos = vec![PhotoRef {
        full: "a".repeat(64),
        thumb: thumb.clone(),
        width: 1600,
        height: 1200,
        taken_at: None,
        location: None,
    }];
    store.record_visit(&worker(), &id, &visit, NOW).unwrap();
    let asked = |at: i64| {
        !store
            .thumbnails_to_download(Timestamp(at))
            .unwrap()
            .is_empty()
    };
    assert!(asked(NOW.0), "never missed: asked for at once");

    // Waits after the 1st, 2nd, ... miss: 5 min doubling, capped at a day from the 10th on.
    let expected: Vec<i64> = [5, 10, 20, 40, 80, 160, 320, 640, 1280, 1440, 1440, 1440]
        .iter()
        .map(|m| m * MINUTE)
        .collect();
    let mut now = NOW.0;
    for (miss, wait) in expected.iter().enumerate() {
        // The miss is recorded when the retry was due (a sync at that moment).
        store
            .record_thumbnail_miss(&thumb, 404, Timestamp(now))
            .unwrap();
        assert!(!asked(now), "miss {}: not asked for right after", miss + 1);
        assert!(
            !asked(now + wait - 1),
            "miss {}: not asked for before {} min",
            miss + 1,
            wait / MINUTE
        );
        assert!(
            asked(now + wait),
            "miss {}: asked for again after {} min",
            miss + 1,
            wait / MINUTE
        );
        now += wait;
    }

    // A refresh forgets the misses: asked for now, and the next miss waits 5 minutes again.
    store
        .record_thumbnail_miss(&thumb, 403, Timestamp(now))
        .unwrap();
    assert!(!asked(now));
    store.retry_missing_thumbnails().unwrap();
    assert!(asked(now), "a refresh asks again at once");
    store
        .record_thumbnail_miss(&thumb, 404, Timestamp(now))
        .unwrap();
    assert!(!asked(now + 5 * MINUTE - 1) && asked(now + 5 * MINUTE));
}
