//! Visits per day per worker, for the supervisors' trend chart: the `visit` table grouped by
//! worker and calendar day in China time (UTC+8), so a visit at 07:30 in the morning in
//! Beijing (23:30 UTC the evening before) counts on the day the worker lived it.

use std::collections::BTreeMap;

use rusqlite::params;

use super::Store;
use crate::{Error, Result, Timestamp};

/// Eight hours in milliseconds: China Standard Time's offset from UTC (no daylight saving).
const CHINA_OFFSET_MS: i64 = 8 * 3_600_000;

/// A worker's visits on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerDay {
    /// The worker's user name, as the visit records it.
    pub worker: String,
    /// The day, China time.
    pub day: time::Date,
    /// Visits dated on that day.
    pub visits: u32,
}

/// The China-time day number of a moment: whole days since 1970-01-01 in UTC+8, rounded down
/// (so a moment before 1970 gets a negative day, never day 0).
pub fn china_day_number(at: Timestamp) -> i64 {
    at.0.saturating_add(CHINA_OFFSET_MS)
        .div_euclid(Timestamp::DAY_MS)
}

/// The calendar date of a China-time day number.
pub fn date_of_day_number(day: i64) -> time::Date {
    // Noon of the day, China time: well inside it whatever the rounding.
    Timestamp(
        day.saturating_mul(Timestamp::DAY_MS)
            .saturating_add(4 * 3_600_000),
    )
    .china_date()
}

/// The China-time day number of a calendar date (its inverse: [`date_of_day_number`]).
pub fn day_number_of_date(date: time::Date) -> i64 {
    /// 1970-01-01 as a Julian day.
    const EPOCH_JULIAN_DAY: i64 = 2_440_588;
    i64::from(date.to_julian_day()) - EPOCH_JULIAN_DAY
}

impl Store {
    /// Each worker's visits per China-time day in `grids`, dated from `since` to `until`
    /// (inclusive, milliseconds), ordered by worker then day. Days without a visit are not
    /// listed. One query a grid through `visit_by_grid` (grid_id, at); SQLite's integer
    /// division truncates towards zero, so the day is floored in SQL the way
    /// [`china_day_number`] floors it.
    pub fn visits_per_day(
        &self,
        grids: &[String],
        since: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<WorkerDay>> {
        let conn = self.reader();
        let mut st = conn
            .prepare_cached(
                "SELECT worker,
                        ((at + ?4) - (((at + ?4) % ?5) + ?5) % ?5) / ?5 AS day,
                        COUNT(*)
                 FROM visit
                 WHERE grid_id = ?1 AND at >= ?2 AND at <= ?3
                 GROUP BY worker, day",
            )
            .map_err(Error::storage("reading visits per day"))?;
        let mut counts: BTreeMap<(String, i64), u32> = BTreeMap::new();
        for grid in grids {
            let rows = st
                .query_map(
                    params![grid, since.0, until.0, CHINA_OFFSET_MS, Timestamp::DAY_MS],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, i64>(1)?,
                            r.get::<_, u32>(2)?,
                        ))
                    },
                )
                .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
                .map_err(Error::storage("reading visits per day"))?;
            // A worker who visits in two grids is one series: the grids' counts add up.
            for (worker, day, n) in rows {
                *counts.entry((worker, day)).or_default() += n;
            }
        }
        Ok(counts
            .into_iter()
            .map(|((worker, day), visits)| WorkerDay {
                worker,
                day: date_of_day_number(day),
                visits,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn the_china_day_begins_at_sixteen_hundred_utc() {
        // 2026-11-30 15:59:59.999 UTC is 23:59 on the 30th in Beijing; a millisecond later it
        // is midnight of 12-01.
        let midnight = Timestamp(1_796_054_400_000);
        assert_eq!(
            date_of_day_number(china_day_number(Timestamp(midnight.0 - 1))),
            date!(2026 - 11 - 30)
        );
        assert_eq!(
            date_of_day_number(china_day_number(midnight)),
            date!(2026 - 12 - 01)
        );
        // 07:30 in Beijing on 12-01 is 23:30 UTC on 11-30.
        let morning = Timestamp(midnight.0 + 7 * 3_600_000 + 1_800_000);
        assert_eq!(
            date_of_day_number(china_day_number(morning)),
            date!(2026 - 12 - 01)
        );
        assert_eq!(morning.china_date(), date!(2026 - 12 - 01));
        assert_eq!(
            day_number_of_date(date!(2026 - 12 - 01)),
            china_day_number(morning)
        );
    }

    #[test]
    fn day_numbers_floor_before_1970() {
        // 1969-12-31 15:00 UTC is 23:00 in China, still 12-31.
        let t = Timestamp(-9 * 3_600_000);
        assert_eq!(china_day_number(t), -1);
        assert_eq!(date_of_day_number(-1), date!(1969 - 12 - 31));
        assert_eq!(day_number_of_date(date!(1969 - 12 - 31)), -1);
        assert_eq!(china_day_number(Timestamp(-8 * 3_600_000)), 0);
        // Extremes never panic.
        let _ = date_of_day_number(china_day_number(Timestamp(i64::MIN)));
        let _ = date_of_day_number(china_day_number(Timestamp(i64::MAX)));
    }
}
