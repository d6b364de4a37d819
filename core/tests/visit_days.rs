//! Visits per day per worker (`Store::visits_per_day`): grouped on China-time days in SQL, the
//! same days `china_day_number` gives, a worker's grids added up, the period's ends kept.

mod common;

use common::*;
use gridwalk_core::store::visit_days::{WorkerDay, china_day_number, date_of_day_number};
use gridwalk_core::{Actor, Role, Timestamp};
use time::macros::date;

/// 2026-11-24 00:00 in Beijing (2026-11-23 16:00 UTC).
const MIDNIGHT: Timestamp = Timestamp(1_795_449_600_000);

#[test]
fn visits_fall_on_the_beijing_day_they_were_made() {
    let (_d, store) = temp_store();
    let here = store
        .create_household(&worker(), &household("B01", "101", vec![]), NOW)
        .unwrap();
    let mut there = household("B09", "101", vec![]);
    there.address.grid = "C01-G02".into();
    let there = store.create_household(&worker(), &there, NOW).unwrap();
    let li = Actor::new("li.qiang", Role::GridWorker);
    let visit = |who: &Actor, id, at: Timestamp| {
        store.record_visit(who, id, &visit_at(at), NOW).unwrap();
    };
    // A millisecond before Beijing's midnight is the 23rd; midnight itself the 24th.
    visit(&worker(), &here, Timestamp(MIDNIGHT.0 - 1));
    visit(&worker(), &here, MIDNIGHT);
    visit(&worker(), &here, Timestamp(MIDNIGHT.0 + 3_600_000));
    // The same worker in another grid: added to the same day when both grids are asked for.
    visit(&worker(), &there, Timestamp(MIDNIGHT.0 + 7_200_000));
    visit(&li, &here, Timestamp(MIDNIGHT.0 - 3 * 86_400_000));

    let since = Timestamp(MIDNIGHT.0 - 2 * 86_400_000);
    let until = Timestamp(MIDNIGHT.0 + 86_400_000);
    let one = store
        .visits_per_day(&["C01-G01".into()], since, until)
        .unwrap();
    let day = |worker: &str, day, visits| WorkerDay {
        worker: worker.into(),
        day,
        visits,
    };
    assert_eq!(
        one,
        [
            day("wang.wei", date!(2026 - 11 - 23), 1),
            day("wang.wei", date!(2026 - 11 - 24), 2),
        ],
        "li.qiang's visit is before the period"
    );
    let both = store
        .visits_per_day(&["C01-G01".into(), "C01-G02".into()], since, until)
        .unwrap();
    assert_eq!(both[1], day("wang.wei", date!(2026 - 11 - 24), 3));
    let all = store
        .visits_per_day(&["C01-G01".into()], Timestamp(0), until)
        .unwrap();
    assert_eq!(all[0], day("li.qiang", date!(2026 - 11 - 21), 1));
    // The SQL's days are the Rust function's.
    assert_eq!(
        date_of_day_number(china_day_number(Timestamp(MIDNIGHT.0 - 1))),
        date!(2026 - 11 - 23)
    );
}
