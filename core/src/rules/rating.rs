//! Property-company ratings (green, yellow, red) from how the company handles its orders.
//! Computed by the same function on the device and the server.
//!
//! Over the company's issued orders:
//!
//! * on-time rate: of the orders that are due, the share the company answered by the deadline.
//!   Due are: verified orders (on time if the company's last counted answer, by its clock, was
//!   by the deadline; when the inspector verifies does not matter), answered orders whose last
//!   answer came after the deadline (late whatever the inspector decides), and orders past
//!   their deadline that still await the company. An answered order answered in time waits for
//!   the inspector and counts neither way, like an order not yet due;
//! * overdue: orders past their deadline that still await the company (issued, acknowledged or
//!   reopened), each weighted by its most severe item (minor 1, major 2, critical 3);
//! * reopened: how many times items were sent back.
//!
//! `score = 100 − 40 × (1 − on-time rate) − 5 × weighted overdue − 3 × reopened`, clamped to
//! 0–100. Green from 80, yellow from 60, red below. A company with no due orders scores 100.

use serde::{Deserialize, Serialize};

use super::order::{OrderStatus, awaits_company};
use crate::time::Timestamp;

/// Score from which a company is green.
pub const GREEN_FROM: i32 = 80;
/// Score from which a company is yellow (below: red).
pub const YELLOW_FROM: i32 = 60;

/// What a rating needs to know of one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderFacts {
    /// Status.
    pub status: OrderStatus,
    /// Deadline.
    pub deadline: Timestamp,
    /// When it was verified or cancelled.
    pub finished_at: Option<Timestamp>,
    /// When the company's last counted answer was made.
    pub answered_at: Option<Timestamp>,
    /// Counted reopen events.
    pub reopen_count: u32,
    /// Weight of its most severe item (1–3).
    pub severity: u32,
}

/// A colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Color {
    /// Handles its orders well.
    Green,
    /// Warned.
    Yellow,
    /// Called in for an interview.
    Red,
}

/// A company's rating.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rating {
    /// Company code.
    pub company: String,
    /// 0–100.
    pub score: i32,
    /// Colour from the score.
    pub color: Color,
    /// Issued orders considered.
    pub orders: u32,
    /// On-time rate of due orders, 0–1 (1 when none is due).
    pub on_time_rate: f64,
    /// Orders past their deadline that still await the company.
    pub overdue: u32,
    /// Reopen events.
    pub reopened: u32,
}

/// Rates `company` from the facts of its orders at `now`.
pub fn rate(company: &str, orders: &[OrderFacts], now: Timestamp) -> Rating {
    let issued: Vec<&OrderFacts> = orders
        .iter()
        .filter(|o| !matches!(o.status, OrderStatus::Draft | OrderStatus::Cancelled))
        .collect();
    let mut due = 0u32;
    let mut on_time = 0u32;
    let mut overdue = 0u32;
    let mut overdue_weight = 0u32;
    let mut reopened = 0u32;
    for o in &issued {
        reopened += o.reopen_count;
        // A verified order was answered; the fallback only guards a malformed fact.
        let answered = o.answered_at.or(o.finished_at);
        // An answer dated in the future (a phone's clock a year ahead) says nothing about
        // whether it was on time: the order is left out of the on-time rate.
        if matches!(o.status, OrderStatus::Verified | OrderStatus::Answered)
            && answered.is_some_and(|t| super::clock::is_dated_ahead(t, now))
        {
            continue;
        }
        match o.status {
            OrderStatus::Verified => {
                due += 1;
                if answered.is_some_and(|t| t <= o.deadline) {
                    on_time += 1;
                }
            }
            OrderStatus::Answered if answered.is_some_and(|t| t > o.deadline) => due += 1,
            s if awaits_company(s) && now > o.deadline => {
                due += 1;
                overdue += 1;
                overdue_weight += o.severity.max(1);
            }
            _ => {}
        }
    }
    let on_time_rate = if due == 0 {
        1.0
    } else {
        f64::from(on_time) / f64::from(due)
    };
    let score = (100.0
        - 40.0 * (1.0 - on_time_rate)
        - 5.0 * f64::from(overdue_weight)
        - 3.0 * f64::from(reopened))
    .round()
    .clamp(0.0, 100.0) as i32;
    Rating {
        company: company.to_owned(),
        score,
        color: color_of(score),
        orders: issued.len() as u32,
        on_time_rate,
        overdue,
        reopened,
    }
}

/// The colour of a score.
pub fn color_of(score: i32) -> Color {
    if score >= GREEN_FROM {
        Color::Green
    } else if score >= YELLOW_FROM {
        Color::Yellow
    } else {
        Color::Red
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Facts of an order; a verified one was answered when it was verified unless
    /// [`answered`] says otherwise.
    fn facts(
        status: OrderStatus,
        deadline: i64,
        finished: Option<i64>,
        reopen: u32,
        severity: u32,
    ) -> OrderFacts {
        OrderFacts {
            status,
            deadline: Timestamp(deadline),
            finished_at: finished.map(Timestamp),
            answered_at: finished.map(Timestamp),
            reopen_count: reopen,
            severity,
        }
    }

    fn answered(f: OrderFacts, at: i64) -> OrderFacts {
        OrderFacts {
            answered_at: Some(Timestamp(at)),
            ..f
        }
    }

    #[test]
    fn an_answered_order_is_not_overdue_and_on_time_is_the_answer_not_the_verification() {
        let now = Timestamp(1000);
        // Answered by the deadline (800 ≤ 900), verified after it (950): on time.
        let verified_late = answered(facts(OrderStatus::Verified, 900, Some(950), 0, 1), 800);
        let r = rate("A", &[verified_late], now);
        assert_eq!((r.on_time_rate, r.score), (1.0, 100));
        // Answered in time, the inspector has not looked yet, deadline passed: nothing owed.
        let waiting = answered(facts(OrderStatus::Answered, 900, None, 0, 3), 800);
        let r = rate("B", &[waiting], now);
        assert_eq!((r.overdue, r.score, r.color), (0, 100, Color::Green));
        // Answered after the deadline: late (−40), but not overdue.
        let late = answered(facts(OrderStatus::Answered, 900, None, 0, 3), 950);
        let r = rate("C", &[late], now);
        assert_eq!((r.overdue, r.on_time_rate, r.score), (0, 0.0, 60));
        // Reopened past the deadline: the company owes an answer again, so it is overdue.
        let reopened = answered(facts(OrderStatus::Reopened, 900, None, 1, 2), 800);
        let r = rate("D", &[reopened], now);
        assert_eq!((r.overdue, r.score), (1, 100 - 40 - 10 - 3));
    }

    #[test]
    fn colours_follow_the_documented_thresholds() {
        let now = Timestamp(1000);
        let good = rate(
            "A",
            &[facts(OrderStatus::Verified, 900, Some(800), 0, 1)],
            now,
        );
        assert_eq!((good.score, good.color), (100, Color::Green));
        // One of two late (−20), one reopen (−3): 77, yellow.
        let late = rate(
            "B",
            &[
                facts(OrderStatus::Verified, 900, Some(800), 1, 1),
                facts(OrderStatus::Verified, 900, Some(950), 0, 1),
            ],
            now,
        );
        assert_eq!((late.score, late.color), (77, Color::Yellow));
        // Two critical orders overdue: −40 (rate 0) −30: red.
        let bad = rate(
            "C",
            &[
                facts(OrderStatus::Issued, 900, None, 0, 3),
                facts(OrderStatus::Acknowledged, 500, None, 0, 3),
            ],
            now,
        );
        assert_eq!(bad.overdue, 2);
        assert_eq!((bad.score, bad.color), (30, Color::Red));
        let none = rate("D", &[facts(OrderStatus::Issued, 5000, None, 0, 1)], now);
        assert_eq!(none.color, Color::Green, "nothing due yet");
    }
}
