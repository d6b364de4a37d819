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
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Timestamp(ms)
    }

    /// This moment minus a number of days.
    pub fn minus_days(self, days: i64) -> Self {
        Timestamp(self.0 - days * Self::DAY_MS)
    }

    /// The calendar date (UTC+8, China Standard Time) of this moment.
    pub fn china_date(self) -> time::Date {
        let offset = time::UtcOffset::from_hms(8, 0, 0).expect("valid offset");
        time::OffsetDateTime::from_unix_timestamp_nanos(self.0 as i128 * 1_000_000)
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
            .to_offset(offset)
            .date()
    }
}
