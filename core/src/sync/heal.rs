//! The device's side of a restored server, and of its own clock, in the sync client.
//!
//! A sync answered `log_changed` or `server_went_back` (`wire`) means the server's change log
//! is not the history this device's cursors and acknowledgements came from. The client starts
//! a heal (`store::heal`: download again first, then push only what the server lacks) and goes
//! on in the same sync, once: a second such answer within one sync is reported as an error
//! rather than looped on.
//!
//! Every answer carries the server's clock. The device's offset is the server's time minus the
//! device's time at the middle of the round trip; of a sync's round trips the shortest is kept,
//! as its middle is the least uncertain (NTP's rule).

use super::wire::{LOG_CHANGED, SERVER_WENT_BACK};
use crate::error::Error;
use crate::time::Timestamp;

/// Whether `e` is the server saying this device's view of its log is from another history.
pub fn is_heal_signal(e: &Error) -> bool {
    matches!(e, Error::Server { status: 409, code, .. } if code == LOG_CHANGED || code == SERVER_WENT_BACK)
}

/// One measurement of the device's clock against the server's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClockSample {
    /// The round trip, ms: the offset is uncertain by up to half of it.
    pub round_trip_ms: i64,
    /// Server time minus the device's time at the middle of the round trip, ms.
    pub offset_ms: i64,
}

impl ClockSample {
    /// The sample of a round trip sent at `sent` and answered at `received` (device clock) by a
    /// server whose clock read `server_time` while answering. None if the server sent no time.
    pub fn of(server_time: i64, sent: Timestamp, received: Timestamp) -> Option<ClockSample> {
        (server_time > 0).then(|| ClockSample {
            round_trip_ms: (received.0 - sent.0).max(0),
            offset_ms: server_time - (sent.0 + (received.0 - sent.0) / 2),
        })
    }

    /// The better of two samples: the one with the shorter round trip.
    pub fn better(self, other: Option<ClockSample>) -> ClockSample {
        match other {
            Some(o) if o.round_trip_ms <= self.round_trip_ms => o,
            _ => self,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_is_taken_at_the_middle_of_the_round_trip() {
        // Sent at 1000, answered at 1200 by a server reading 5100: at the middle (1100) the
        // server was 4000 ms ahead.
        let s = ClockSample::of(5100, Timestamp(1000), Timestamp(1200)).unwrap();
        assert_eq!(s.offset_ms, 4000);
        assert_eq!(s.round_trip_ms, 200);
        let quick = ClockSample::of(5150, Timestamp(1140), Timestamp(1160)).unwrap();
        assert_eq!(s.better(Some(quick)), quick);
        assert_eq!(quick.better(Some(s)), quick);
        assert_eq!(ClockSample::of(0, Timestamp(1), Timestamp(2)), None);
    }
}
