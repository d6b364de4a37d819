//! Rules of the issue report: reported → assigned → in progress → resolved → closed, or
//! reopened; escalation into an order; a reviewer's send-back. Like orders, the status is a
//! fold of the event log.
//!
//! | event | who | when it counts |
//! | --- | --- | --- |
//! | `assign` (assignee) | a supervisor | reported, assigned or reopened |
//! | `start` | the assignee | assigned or reopened |
//! | `resolve` (note) | the assignee, or a supervisor | assigned, in progress or reopened |
//! | `close` | a supervisor | resolved |
//! | `reopen` (note) | a supervisor | resolved or closed |
//! | `escalate` (order id) | an inspector or a supervisor | not closed |
//! | `send_back` (note) | a supervisor | assigned, in progress or reopened |
//!
//! A send-back goes to the assignee, so it needs one, and only counts while the assignee can
//! still act on the report (start or resolve it), which is what clears it; a resolved report
//! that is not right is reopened instead.
//!
//! Events fold by `seen`; events with the same `seen` fold `reopen` before `send_back` before
//! `close` before `resolve` before `start` before `assign` before `escalate`.

use serde::{Deserialize, Serialize};

use super::Refusal;
use super::permissions::Role;
use crate::messages::Message;
use crate::records::events::{Event, fold_order};
use crate::records::report::Report;
use crate::time::Timestamp;

/// The status of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportStatus {
    /// Reported, nobody assigned.
    Reported,
    /// Someone is to handle it.
    Assigned,
    /// Being handled.
    InProgress,
    /// Handled; waiting for a supervisor to close it.
    Resolved,
    /// Done.
    Closed,
    /// Sent back after being resolved or closed.
    Reopened,
}

impl ReportStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Reported => "reported",
            ReportStatus::Assigned => "assigned",
            ReportStatus::InProgress => "in_progress",
            ReportStatus::Resolved => "resolved",
            ReportStatus::Closed => "closed",
            ReportStatus::Reopened => "reopened",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        use ReportStatus::*;
        [Reported, Assigned, InProgress, Resolved, Closed, Reopened]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// A report's state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportState {
    /// The status.
    pub status: ReportStatus,
    /// Who handles it.
    pub assignee: Option<String>,
    /// The order it was escalated into.
    pub escalated_to: Option<String>,
    /// A send-back waiting for the responsible person: its note.
    pub sent_back: Option<String>,
    /// Every event in fold order, with whether it counted.
    pub history: Vec<super::order::FoldedEvent>,
}

impl ReportState {
    /// Who must act next on the report: the assignee, or the reporter when nobody is assigned.
    pub fn responsible<'a>(&'a self, report: &'a Report) -> &'a str {
        self.assignee.as_deref().unwrap_or(&report.reporter)
    }
}

/// The statuses in which a report still waits to be handled, so its deadline can pass:
/// reported, assigned, in progress, or sent back after being handled.
pub const AWAITING_HANDLING: [ReportStatus; 4] = [
    ReportStatus::Reported,
    ReportStatus::Assigned,
    ReportStatus::InProgress,
    ReportStatus::Reopened,
];

/// A report's deadline: the time it was made plus its category's 处置时限 (`limit_hours`,
/// from the 权责清单); none when the category has no limit.
pub fn deadline(created_at: Timestamp, limit_hours: Option<u32>) -> Option<Timestamp> {
    limit_hours.map(|h| Timestamp(created_at.0.saturating_add(i64::from(h) * 3_600_000)))
}

/// Whether a report is overdue at `now`: still waiting to be handled (see
/// [`AWAITING_HANDLING`]), not handed over as a rectification order (the order's deadline
/// rules then), and past its deadline. The store's overdue filter is the same test in SQL
/// (`store::report_pages`).
pub fn is_overdue(
    status: ReportStatus,
    escalated: bool,
    deadline: Option<Timestamp>,
    now: Timestamp,
) -> bool {
    AWAITING_HANDLING.contains(&status) && !escalated && deadline.is_some_and(|d| d < now)
}

fn rank(kind: &str) -> u8 {
    match kind {
        "reopen" => 0,
        "send_back" => 1,
        "close" => 2,
        "resolve" => 3,
        "start" => 4,
        "assign" => 5,
        "escalate" => 6,
        _ => 9,
    }
}

/// A refusal with message `code` (see the catalogue's `report.*` codes).
fn refuse(code: &str) -> Refusal {
    Refusal::rule(code)
}

/// A refusal with message `code` naming the event's kind.
fn refuse_event(code: &str, event: &str) -> Refusal {
    Refusal::Rule(Message::new(code).with("event", event))
}

/// A refusal of `event` on a report in `status`.
fn refuse_in_status(status: ReportStatus, event: &str) -> Refusal {
    Refusal::Rule(
        Message::new("report.cannot_in_status")
            .with("status", status.as_str())
            .with("event", event),
    )
}

/// Whether the event could ever count, whatever the report's state: the right role, and the
/// note, assignee or link its kind needs. The server refuses a pushed event that fails this.
pub fn check_permission(event: &Event) -> Result<(), Refusal> {
    let supervisor = matches!(event.role, Role::Supervisor | Role::Admin);
    match event.kind.as_str() {
        "reopen" | "send_back" if supervisor && event.note.trim().is_empty() => {
            Err(refuse_event("report.needs_note", &event.kind))
        }
        "assign" if supervisor && event.assignee.as_deref().is_none_or(str::is_empty) => {
            Err(refuse("report.needs_assignee"))
        }
        "assign" | "close" | "reopen" | "send_back" if !supervisor => {
            Err(refuse_event("report.supervisor_only", &event.kind))
        }
        "escalate" if !matches!(event.role, Role::Inspector | Role::Supervisor | Role::Admin) => {
            Err(refuse("report.escalate_role"))
        }
        "escalate" if event.link.as_deref().is_none_or(str::is_empty) => {
            Err(refuse("report.escalate_needs_order"))
        }
        "assign" | "close" | "reopen" | "send_back" | "escalate" | "start" | "resolve" => Ok(()),
        other => Err(refuse_event("report.not_an_event", other)),
    }
}

/// Whether `event` may happen to `report` in `state`.
pub fn check_event(report: &Report, state: &ReportState, event: &Event) -> Result<(), Refusal> {
    use ReportStatus::*;
    let supervisor = matches!(event.role, Role::Supervisor | Role::Admin);
    let status = state.status;
    let is_assignee = state.assignee.as_deref() == Some(event.by.as_str());
    match event.kind.as_str() {
        "assign" => {
            if !supervisor {
                return Err(refuse_event("report.supervisor_only", "assign"));
            }
            if !matches!(status, Reported | Assigned | Reopened) {
                return Err(refuse_in_status(status, "assign"));
            }
            if event.assignee.as_deref().is_none_or(str::is_empty) {
                return Err(refuse("report.needs_assignee"));
            }
        }
        "start" => {
            if !is_assignee {
                return Err(refuse_event("report.assignee_only", "start"));
            }
            if !matches!(status, Assigned | Reopened) {
                return Err(refuse_in_status(status, "start"));
            }
        }
        "resolve" => {
            if !(is_assignee || supervisor) {
                return Err(refuse_event("report.assignee_only", "resolve"));
            }
            if !matches!(status, Assigned | InProgress | Reopened) {
                return Err(refuse_in_status(status, "resolve"));
            }
        }
        "close" => {
            if !supervisor {
                return Err(refuse_event("report.supervisor_only", "close"));
            }
            if status != Resolved {
                return Err(refuse_in_status(status, "close"));
            }
        }
        "reopen" => {
            if !supervisor || event.note.trim().is_empty() {
                return Err(refuse_event("report.needs_note", "reopen"));
            }
            if !matches!(status, Resolved | Closed) {
                return Err(refuse_in_status(status, "reopen"));
            }
        }
        "escalate" => {
            if !matches!(event.role, Role::Inspector | Role::Supervisor | Role::Admin) {
                return Err(refuse("report.escalate_role"));
            }
            if status == Closed {
                return Err(refuse_in_status(status, "escalate"));
            }
            if event.link.is_none() {
                return Err(refuse("report.escalate_needs_order"));
            }
        }
        "send_back" => {
            if !supervisor || event.note.trim().is_empty() {
                return Err(refuse_event("report.needs_note", "send_back"));
            }
            // Only while an assignee can act on it: a send-back before anyone is assigned, or
            // after the report is resolved or closed, would wait for an act nobody can make.
            if state.assignee.is_none() || !matches!(status, Assigned | InProgress | Reopened) {
                return Err(if state.assignee.is_none() {
                    refuse("report.send_back_no_assignee")
                } else {
                    Refusal::Rule(
                        Message::new("report.send_back_reopen_instead")
                            .with("status", status.as_str()),
                    )
                });
            }
        }
        other => return Err(refuse_event("report.not_an_event", other)),
    }
    let _ = report;
    Ok(())
}

/// Folds the report's events into its state.
pub fn fold(report: &Report) -> ReportState {
    let mut state = ReportState {
        status: ReportStatus::Reported,
        assignee: None,
        escalated_to: None,
        sent_back: None,
        history: Vec::new(),
    };
    for event in fold_order(report.events.clone(), rank) {
        let verdict = check_event(report, &state, &event);
        if verdict.is_ok() {
            // Any counted act of the responsible person answers a send-back.
            if state.sent_back.is_some()
                && event.by == state.responsible(report)
                && event.kind != "send_back"
            {
                state.sent_back = None;
            }
            match event.kind.as_str() {
                "assign" => {
                    state.assignee = event.assignee.clone();
                    state.status = ReportStatus::Assigned;
                }
                "start" => state.status = ReportStatus::InProgress,
                "resolve" => state.status = ReportStatus::Resolved,
                "close" => state.status = ReportStatus::Closed,
                "reopen" => state.status = ReportStatus::Reopened,
                "escalate" => state.escalated_to = event.link.clone(),
                "send_back" => state.sent_back = Some(event.note.clone()),
                _ => {}
            }
        }
        state.history.push(super::order::FoldedEvent {
            counted: verdict.is_ok(),
            reason: verdict.err().map(|r| r.message()),
            event,
        });
    }
    state
}

/// Checks a change to a report: a grid worker (or supervisor) reports, in their own name; the
/// report's fields are fixed (its grid and compound are its scopes); the log only grows; new
/// events are the actor's own, could ever count and claim no more `seen` than their place.
pub fn check_change(
    actor: &crate::Actor,
    before: Option<&Report>,
    after: &Report,
) -> Result<(), Refusal> {
    let new_events: Vec<&Event> = match before {
        None => {
            if !matches!(
                actor.role,
                Role::GridWorker | Role::Supervisor | Role::Admin | Role::Inspector
            ) {
                return Err(refuse("report.company_cannot_file"));
            }
            if after.reporter != actor.user_id {
                return Err(refuse("report.not_own"));
            }
            if after.description.trim().is_empty()
                || after.category.trim().is_empty()
                || after.grid.is_empty()
            {
                return Err(Refusal::MissingField { field: "report" });
            }
            after.events.iter().collect()
        }
        Some(b) => {
            let fixed = |r: &Report| {
                (
                    r.category.clone(),
                    r.description.clone(),
                    r.grid.clone(),
                    r.compound.clone(),
                    r.reporter.clone(),
                    r.created_at,
                    // Bits, so a NaN read from a damaged document still equals itself.
                    r.location.map(|l| (l.lat.to_bits(), l.lon.to_bits())),
                    r.photos.clone(),
                )
            };
            if fixed(b) != fixed(after) {
                return Err(refuse("report.fixed_fields"));
            }
            super::events::appended(&b.events, &after.events)?
        }
    };
    for e in new_events {
        super::events::check_signed(actor, e)?;
        check_permission(e)?;
        super::events::check_seen(&after.events, e)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_report_is_overdue_only_while_it_waits_past_its_categorys_limit() {
        let made = Timestamp(1_796_088_600_000);
        let deadline = deadline(made, Some(24));
        assert_eq!(deadline, Some(Timestamp(made.0 + 24 * 3_600_000)));
        let after = Timestamp(made.0 + 25 * 3_600_000);
        let before = Timestamp(made.0 + 23 * 3_600_000);
        for status in AWAITING_HANDLING {
            assert!(is_overdue(status, false, deadline, after), "{status:?}");
            assert!(!is_overdue(status, false, deadline, before), "{status:?}");
            // Handed over as an order: the order's deadline rules.
            assert!(!is_overdue(status, true, deadline, after), "{status:?}");
        }
        for status in [ReportStatus::Resolved, ReportStatus::Closed] {
            assert!(!is_overdue(status, false, deadline, after), "{status:?}");
        }
        // A category without a limit gives no deadline, and nothing is ever overdue.
        assert_eq!(super::deadline(made, None), None);
        assert!(!is_overdue(ReportStatus::Reported, false, None, after));
    }
}
