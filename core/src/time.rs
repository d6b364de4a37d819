//! Time as the core sees it: milliseconds since the Unix epoch, passed in by the caller.
//!
//! Rules never read the clock themselves, so the device and the server decide the same way for
//! the same inputs, and tests can move time.

use serde::{Deserialize, Serialize};

/// A moment in milliseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// One day in milliseconds.
    pub const DAY_MS: i64 = 86_400_000;

    /// The current time of this machine's clock.
    pub fn now() -> Self {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Timestamp(ms)
    }

    /// This moment minus a number of days, saturating at the ends of the range: timestamps
    /// arrive from devices, and arithmetic on a crafted one must not panic or wrap.
    pub fn minus_days(self, days: i64) -> Self {
        Timestamp(self.0.saturating_sub(days.saturating_mul(Self::DAY_MS)))
    }

    /// The first moment of `date` in China Standard Time (00:00 UTC+8; China keeps no daylight
    /// saving): where a China-time day, and so a period of whole days, begins.
    pub fn china_midnight(date: time::Date) -> Self {
        /// 1970-01-01 as a Julian day.
        const EPOCH_JULIAN_DAY: i64 = 2_440_588;
        const CHINA_OFFSET_MS: i64 = 8 * 3_600_000;
        let day = i64::from(date.to_julian_day()) - EPOCH_JULIAN_DAY;
        Timestamp(
            day.saturating_mul(Self::DAY_MS)
                .saturating_sub(CHINA_OFFSET_MS),
        )
    }

    /// The calendar date (UTC+8, China Standard Time) of this moment.
    ///
    /// Never panics: a moment outside the calendar's range (years -9999 to 9999) gives the
    /// first or last date it has, because timestamps come from devices and a crafted one must
    /// not bring down a page or a sync that formats it.
    pub fn china_date(self) -> time::Date {
        const CHINA: time::UtcOffset = time::macros::offset!(+8);
        match time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000) {
            // Only the last hours of 9999-12-31 overflow when moved to UTC+8; their UTC date
            // is already the last date there is.
            Ok(utc) => utc.checked_to_offset(CHINA).unwrap_or(utc).date(),
            Err(_) if self.0 < 0 => time::Date::MIN,
            Err(_) => time::Date::MAX,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_china_day_starts_at_sixteen_hundred_utc() {
        // 2026-12-01 01:30 UTC is 09:30 in China; its day began 2026-11-30 16:00 UTC.
        let now = Timestamp(1_796_088_600_000);
        assert_eq!(
            Timestamp::china_midnight(now.china_date()),
            Timestamp(1_796_054_400_000)
        );
        // 2026-11-30 17:00 UTC is already 12-01 01:00 in China.
        let late = Timestamp(1_796_058_000_000);
        assert_eq!(
            Timestamp::china_midnight(late.china_date()),
            Timestamp(1_796_054_400_000)
        );
    }

    #[test]
    fn china_date_is_eight_hours_ahead_of_utc() {
        // 2026-11-24T16:00:00Z is already the 25th in Beijing.
        let t = Timestamp(1_795_536_000_000);
        assert_eq!(t.china_date(), time::macros::date!(2026 - 11 - 25));
    }

    #[test]
    fn extreme_moments_do_not_panic() {
        // 9999-12-31T20:00:00Z: valid in UTC, past the calendar's end in UTC+8.
        let last_evening = Timestamp(253_402_286_400_000);
        assert_eq!(last_evening.china_date(), time::Date::MAX);
        assert_eq!(Timestamp(i64::MAX).china_date(), time::Date::MAX);
        assert_eq!(Timestamp(i64::MIN).china_date(), time::Date::MIN);
        assert_eq!(Timestamp(i64::MIN).minus_days(200), Timestamp(i64::MIN));
        assert_eq!(Timestamp(-1).minus_days(i64::MAX), Timestamp(i64::MIN));
        assert_eq!(Timestamp(i64::MAX).minus_days(-1), Timestamp(i64::MAX));
    }
}
