//! To-dos: what a record asks of whom next. Computed from the record alone, stored with its
//! projections, listed per person ("my to-dos"). An assignee is `user:<id>` or
//! `company:<code>` (any staff member of the company may act).
//!
//! | record | to-do | for | clears when |
//! | --- | --- | --- | --- |
//! | household | `visit_sent_back`: a reviewer marked a visit "has issues" | the visit's worker | they record a later visit to the household |
//! | household | `check_finding`: a supervisor handed a finding to a worker (`rules::finding_marks`) | that worker | it is marked checked, or the value it was about changes |
//! | report | `handle_report` | the assignee | it is resolved |
//! | report | `report_sent_back` | the assignee (a send-back needs one) | they act on it again |
//! | order | `acknowledge_order` (with a supervisor's urge, 督办, when urged) | the company | it is acknowledged |
//! | order | `answer_order` (with the urge, or else the reopen comment when sent back) | the company | every item is answered |
//! | order | `verify_order` | the issuing inspector | it is verified, reopened or cancelled |

use serde::{Deserialize, Serialize};

use super::order::{self, OrderStatus};
use super::report::{self, ReportStatus};
use crate::records::view::RecordView;
use crate::time::Timestamp;

/// One thing someone must do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Todo {
    /// `user:<id>` or `company:<code>`.
    pub assignee: String,
    /// What: `visit_sent_back`, `check_finding`, `handle_report`, `report_sent_back`,
    /// `acknowledge_order`, `answer_order`, `verify_order`.
    pub kind: String,
    /// The comment that came with it, if any.
    pub note: String,
    /// Since when.
    pub since: Timestamp,
}

/// The to-dos a record gives.
pub fn todos_of(view: &RecordView) -> Vec<Todo> {
    let todo = |assignee: String, kind: &str, note: &str, since: Timestamp| Todo {
        assignee,
        kind: kind.into(),
        note: note.into(),
        since,
    };
    let mut out = Vec::new();
    match view {
        RecordView::Household(h) => {
            for review in &h.reviews {
                let Some(visit) = h.visits.iter().find(|v| v.id.as_str() == review.visit_id) else {
                    continue;
                };
                let acted = h
                    .visits
                    .iter()
                    .any(|v| v.worker == visit.worker && v.at > review.at);
                if !acted {
                    out.push(todo(
                        format!("user:{}", visit.worker),
                        "visit_sent_back",
                        &review.note,
                        review.at,
                    ));
                }
            }
            for mark in super::finding_marks::open_assignments(h) {
                if let Some(worker) = &mark.assignee {
                    out.push(todo(
                        format!("user:{worker}"),
                        "check_finding",
                        &mark.note,
                        mark.at,
                    ));
                }
            }
        }
        RecordView::Report(r) => {
            let state = report::fold(r);
            let last = r.events.iter().map(|e| e.at).max().unwrap_or(r.created_at);
            if let Some(note) = &state.sent_back {
                out.push(todo(
                    format!("user:{}", state.responsible(r)),
                    "report_sent_back",
                    note,
                    last,
                ));
            } else if let (
                Some(a),
                ReportStatus::Assigned | ReportStatus::InProgress | ReportStatus::Reopened,
            ) = (&state.assignee, state.status)
            {
                out.push(todo(format!("user:{a}"), "handle_report", "", last));
            }
        }
        RecordView::Order(o) => {
            let state = order::fold(o);
            let company = format!("company:{}", o.company);
            let last = o.events.iter().map(|e| e.at).max().unwrap_or(o.created_at);
            match state.status {
                // A supervisor's urge (督办) is what the company reads first.
                OrderStatus::Issued => {
                    let note = state.urge_note.as_ref().unwrap_or(&o.title);
                    out.push(todo(company, "acknowledge_order", note, last))
                }
                OrderStatus::Acknowledged | OrderStatus::Reopened => {
                    let note = state
                        .urge_note
                        .clone()
                        .or_else(|| state.reopen_note.clone())
                        .unwrap_or_else(|| o.title.clone());
                    out.push(todo(company, "answer_order", &note, last));
                }
                OrderStatus::Answered => out.push(todo(
                    format!("user:{}", o.issuer),
                    "verify_order",
                    &o.title,
                    last,
                )),
                _ => {}
            }
        }
    }
    out
}
