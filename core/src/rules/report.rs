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
use crate::records::events::{Event, fold_order};
use crate::records::report::Report;

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

fn refuse(reason: impl Into<String>) -> Refusal {
    Refusal::IllegalEvent {
        reason: reason.into(),
    }
}

/// Whether the event could ever count, whatever the report's state: the right role, and the
/// note, assignee or link its kind needs. The server refuses a pushed event that fails this.
pub fn check_permission(event: &Event) -> Result<(), Refusal> {
    let supervisor = matches!(event.role, Role::Supervisor | Role::Admin);
    match event.kind.as_str() {
        "reopen" | "send_back" if supervisor && event.note.trim().is_empty() => Err(refuse(
            format!("{} says what is wrong", event.kind.replace('_', " ")),
        )),
        "assign" if supervisor && event.assignee.as_deref().is_none_or(str::is_empty) => {
            Err(refuse("assigning names the assignee"))
        }
        "assign" | "close" | "reopen" | "send_back" if !supervisor => Err(refuse(format!(
            "only a supervisor may {} a report",
            event.kind.replace('_', " ")
        ))),
        "escalate" if !matches!(event.role, Role::Inspector | Role::Supervisor | Role::Admin) => {
            Err(refuse(
                "only an inspector or a supervisor escalates a report",
            ))
        }
        "escalate" if event.link.as_deref().is_none_or(str::is_empty) => {
            Err(refuse("escalating names the order"))
        }
        "assign" | "close" | "reopen" | "send_back" | "escalate" | "start" | "resolve" => Ok(()),
        other => Err(refuse(format!("{other:?} is not a report event"))),
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
                return Err(refuse("only a supervisor assigns a report"));
            }
            if !matches!(status, Reported | Assigned | Reopened) {
                return Err(refuse(format!(
                    "a report that is {} cannot be assigned",
                    status.as_str()
                )));
            }
            if event.assignee.as_deref().is_none_or(str::is_empty) {
                return Err(refuse("assigning names the assignee"));
            }
        }
        "start" => {
            if !is_assignee {
                return Err(refuse("only the assignee starts work on a report"));
            }
            if !matches!(status, Assigned | Reopened) {
                return Err(refuse(format!(
                    "a report that is {} cannot be started",
                    status.as_str()
                )));
            }
        }
        "resolve" => {
            if !(is_assignee || supervisor) {
                return Err(refuse(
                    "only the assignee or a supervisor resolves a report",
                ));
            }
            if !matches!(status, Assigned | InProgress | Reopened) {
                return Err(refuse(format!(
                    "a report that is {} cannot be resolved",
                    status.as_str()
                )));
            }
        }
        "close" => {
            if !supervisor {
                return Err(refuse("only a supervisor closes a report"));
            }
            if status != Resolved {
                return Err(refuse("only a resolved report can be closed"));
            }
        }
        "reopen" => {
            if !supervisor || event.note.trim().is_empty() {
                return Err(refuse("a supervisor reopens a report and says why"));
            }
            if !matches!(status, Resolved | Closed) {
                return Err(refuse("only a resolved or closed report can be reopened"));
            }
        }
        "escalate" => {
            if !matches!(event.role, Role::Inspector | Role::Supervisor | Role::Admin) {
                return Err(refuse(
                    "only an inspector or a supervisor escalates a report",
                ));
            }
            if status == Closed {
                return Err(refuse("a closed report cannot be escalated"));
            }
            if event.link.is_none() {
                return Err(refuse("escalating names the order"));
            }
        }
        "send_back" => {
            if !supervisor || event.note.trim().is_empty() {
                return Err(refuse(
                    "a supervisor sends a report back and says what is wrong",
                ));
            }
            // Only while an assignee can act on it: a send-back before anyone is assigned, or
            // after the report is resolved or closed, would wait for an act nobody can make.
            if state.assignee.is_none() || !matches!(status, Assigned | InProgress | Reopened) {
                return Err(refuse(format!(
                    "a report that is {} cannot be sent back; {}",
                    status.as_str(),
                    if state.assignee.is_none() {
                        "assign it first"
                    } else {
                        "reopen it instead"
                    }
                )));
            }
        }
        other => return Err(refuse(format!("{other:?} is not a report event"))),
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
            reason: verdict.err().map(|r| r.to_string()),
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
                return Err(refuse("property-company staff do not file issue reports"));
            }
            if after.reporter != actor.user_id {
                return Err(refuse("a report is filed in its sender's own name"));
            }
            if after.description.trim().is_empty()
                || after.category.trim().is_empty()
                || after.grid.is_empty()
            {
                return Err(Refusal::MissingField {
                    field: "report category, description and grid",
                });
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
                return Err(refuse(
                    "a report's category, description, place and photos are fixed once filed",
                ));
            }
            crate::records::events::appended(&b.events, &after.events)?
        }
    };
    for e in new_events {
        crate::records::events::check_signed(actor, e)?;
        check_permission(e)?;
        crate::records::events::check_seen(&after.events, e)?;
    }
    Ok(())
}
