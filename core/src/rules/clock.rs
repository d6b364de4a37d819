//! Phones' clocks are wrong sometimes (DESIGN.md, "Rules"): a phone a year ahead dates its
//! visits next year. Such an event is never lost (refusing it would lose a day of work), but
//! it counts for no time-based judgement — the 30-day and 180-day visit findings, overdue,
//! ratings — and raises a finding of its own, so a person checks the phone's clock.
//!
//! "Ahead" means more than [`AHEAD_SLACK_MS`] after the judge's "now": a day, so clocks that
//! differ by hours and time zones never disagree.

use super::Refusal;
use crate::messages::Message;
use crate::records::view::RecordView;
use crate::time::Timestamp;

/// How far after "now" an event may be dated before it counts as dated in the future: a day.
pub const AHEAD_SLACK_MS: i64 = Timestamp::DAY_MS;

/// Whether `at` lies more than [`AHEAD_SLACK_MS`] after `now`.
pub fn is_dated_ahead(at: Timestamp, now: Timestamp) -> bool {
    at.0 > now.0.saturating_add(AHEAD_SLACK_MS)
}

/// The latest moment that still counts at `now`: later events are dated in the future.
pub fn latest_counted(now: Timestamp) -> Timestamp {
    Timestamp(now.0.saturating_add(AHEAD_SLACK_MS))
}

/// Refuses a new event a device is about to write dated more than a day after the device's own
/// clock `now` (an app passing a typed or stale-cached time). `what` is a `what.*` term
/// (`visit`, `review`, `event`). The server does not call this for pushed events: it keeps
/// them and judges them with [`is_dated_ahead`].
pub fn check_not_ahead(what: &str, at: Timestamp, now: Timestamp) -> Result<(), Refusal> {
    if is_dated_ahead(at, now) {
        return Err(Refusal::Rule(
            Message::new("household.dated_ahead")
                .with("what", what)
                .with("at", format_date(at)),
        ));
    }
    Ok(())
}

/// A moment as a Beijing calendar date, `2027-11-30`, for messages.
pub fn format_date(at: Timestamp) -> String {
    let d = at.china_date();
    format!("{:04}-{:02}-{:02}", d.year(), d.month() as u8, d.day())
}

/// Refuses a local write whose new visits, reviews or events are dated more than a day after
/// `now`, the time of the write by the device's own clock ([`check_not_ahead`]).
pub fn check_new_events_not_ahead(
    before: Option<&RecordView>,
    after: &RecordView,
    now: Timestamp,
) -> Result<(), Refusal> {
    use std::collections::HashSet;
    match (before, after) {
        (before, RecordView::Household(h)) => {
            let b = match before {
                Some(RecordView::Household(b)) => Some(b),
                _ => None,
            };
            let old_visits: HashSet<_> = b.iter().flat_map(|b| &b.visits).map(|v| &v.id).collect();
            for v in h.visits.iter().filter(|v| !old_visits.contains(&v.id)) {
                check_not_ahead("visit", v.at, now)?;
            }
            let old_reviews: HashSet<_> =
                b.iter().flat_map(|b| &b.reviews).map(|r| &r.id).collect();
            for r in h.reviews.iter().filter(|r| !old_reviews.contains(&r.id)) {
                check_not_ahead("review", r.at, now)?;
            }
        }
        (before, RecordView::Order(_) | RecordView::Report(_)) => {
            // Borrowed, not cloned: this runs on every local write of an order or report.
            fn events(v: &RecordView) -> &[crate::records::events::Event] {
                match v {
                    RecordView::Order(o) => &o.events,
                    RecordView::Report(r) => &r.events,
                    RecordView::Household(_) => &[],
                }
            }
            let old: HashSet<&str> = before
                .map(|b| events(b).iter().map(|e| e.id.as_str()).collect())
                .unwrap_or_default();
            for e in events(after)
                .iter()
                .filter(|e| !old.contains(e.id.as_str()))
            {
                check_not_ahead("event", e.at, now)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_of_slack_then_ahead() {
        let now = Timestamp(1_800_000_000_000);
        assert!(!is_dated_ahead(Timestamp(now.0 + AHEAD_SLACK_MS), now));
        assert!(is_dated_ahead(Timestamp(now.0 + AHEAD_SLACK_MS + 1), now));
        assert!(!is_dated_ahead(Timestamp(i64::MIN), now));
        assert!(!is_dated_ahead(Timestamp(i64::MAX), Timestamp(i64::MAX)));
        assert!(check_not_ahead("visit", Timestamp(now.0 + 366 * Timestamp::DAY_MS), now).is_err());
        assert!(check_not_ahead("visit", now, now).is_ok());
    }
}
