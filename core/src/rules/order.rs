//! Rules of the rectification order: who may do what, and the fold of its event log into a
//! status. The same functions run on the device before it appends an event and wherever an
//! order is shown, so every replica with the same events shows the same status.
//!
//! | event | who | when it counts |
//! | --- | --- | --- |
//! | `issue` | an inspector | a draft with at least one item |
//! | `acknowledge` | staff of the addressed company | issued, not yet acknowledged |
//! | `answer` (items, ≥ 1 after-photo, note) | staff of the addressed company | acknowledged; each item open or reopened |
//! | `verify` | an inspector | every item answered |
//! | `reopen` (items, comment) | an inspector | each item answered; the order not verified |
//! | `cancel` (reason) | an inspector, or a supervisor or administrator of the area with a reason | not verified or cancelled |
//! | `urge` (note: 督办) | a supervisor | the company owes an answer (issued, acknowledged, reopened) |
//!
//! Events are folded in the order of [`crate::records::events::fold_order`]: by `seen` (how many
//! events their author had), then, between events with the same `seen`, `cancel` before
//! `reopen` before `answer` before `acknowledge` before `verify` before `issue` before `urge`,
//! then by id. The
//! "more cautious counts first" rule is only that tie-break: an inspector's reopen and another's
//! verification made on the same log (same `seen`) end reopened, but a concurrent event whose
//! author had seen more events folds after one whose author had seen fewer, whatever its kind.
//! An event that does not count at its place in the fold stays in the history, marked with
//! the reason.

use serde::{Deserialize, Serialize};

use super::Refusal;
use super::permissions::Role;
use crate::messages::Message;
use crate::records::events::{Event, fold_order};
use crate::records::order::Order;
use crate::time::Timestamp;

/// The status of an order, folded from its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Being written by the inspector; the company does not see a demand yet.
    Draft,
    /// Sent to the company.
    Issued,
    /// The company has seen it.
    Acknowledged,
    /// Every item answered; waiting for the inspector.
    Answered,
    /// The inspector sent items back.
    Reopened,
    /// Done.
    Verified,
    /// Withdrawn.
    Cancelled,
}

impl OrderStatus {
    /// The status's stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Draft => "draft",
            OrderStatus::Issued => "issued",
            OrderStatus::Acknowledged => "acknowledged",
            OrderStatus::Answered => "answered",
            OrderStatus::Reopened => "reopened",
            OrderStatus::Verified => "verified",
            OrderStatus::Cancelled => "cancelled",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        use OrderStatus::*;
        [
            Draft,
            Issued,
            Acknowledged,
            Answered,
            Reopened,
            Verified,
            Cancelled,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }

    /// Whether nothing more can happen to the order.
    pub fn is_final(self) -> bool {
        matches!(self, OrderStatus::Verified | OrderStatus::Cancelled)
    }
}

/// The state of one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    /// Not answered yet.
    Open,
    /// Answered with after-photos.
    Answered,
    /// Sent back by the inspector.
    Reopened,
}

/// An event as the fold judged it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldedEvent {
    /// The event.
    pub event: Event,
    /// Whether it counted.
    pub counted: bool,
    /// Why not, if it did not.
    pub reason: Option<Message>,
}

/// An order's state: its status, its items' states and its judged history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderState {
    /// The status.
    pub status: OrderStatus,
    /// Each item's state, in item order.
    pub items: Vec<(String, ItemState)>,
    /// Every event in fold order.
    pub history: Vec<FoldedEvent>,
    /// When it was issued.
    pub issued_at: Option<Timestamp>,
    /// When it was verified or cancelled.
    pub finished_at: Option<Timestamp>,
    /// How many reopen events counted.
    pub reopen_count: u32,
    /// The comment of the last counted reopen, while items are reopened.
    pub reopen_note: Option<String>,
    /// When the company's last counted answer was made (by its clock): what the rating
    /// measures against the deadline, since the inspector's verification may come later.
    pub answered_at: Option<Timestamp>,
    /// A supervisor's urge (督办) the company has not acted on since: its note. The company's
    /// next counted acknowledgement or answer clears it.
    pub urge_note: Option<String>,
}

impl OrderState {
    fn item(&self, id: &str) -> Option<ItemState> {
        self.items.iter().find(|(i, _)| i == id).map(|(_, s)| *s)
    }

    fn set(&mut self, id: &str, state: ItemState) {
        if let Some(slot) = self.items.iter_mut().find(|(i, _)| i == id) {
            slot.1 = state;
        }
    }

    /// Whether every item is answered.
    pub fn all_answered(&self) -> bool {
        !self.items.is_empty() && self.items.iter().all(|(_, s)| *s == ItemState::Answered)
    }
}

/// Whether the company still owes an answer: issued, acknowledged or reopened. Only then can
/// the order be overdue; an answered order waits for the inspector, not the company.
pub fn awaits_company(status: OrderStatus) -> bool {
    matches!(
        status,
        OrderStatus::Issued | OrderStatus::Acknowledged | OrderStatus::Reopened
    )
}

/// Whether the order is past its deadline while the company still owes an answer, at `now`.
pub fn is_overdue(order: &Order, state: &OrderState, now: Timestamp) -> bool {
    awaits_company(state.status) && now > order.deadline
}

fn rank(kind: &str) -> u8 {
    match kind {
        "cancel" => 0,
        "reopen" => 1,
        "answer" => 2,
        "acknowledge" => 3,
        "verify" => 4,
        "issue" => 5,
        "urge" => 6,
        _ => 9,
    }
}

/// A refusal with message `code` (see the catalogue's `order.*` codes).
fn refuse(code: &str) -> Refusal {
    Refusal::rule(code)
}

/// A refusal with message `code` naming the event's kind.
fn refuse_event(code: &str, event: &str) -> Refusal {
    Refusal::Rule(Message::new(code).with("event", event))
}

/// Whether the event could ever count on this order, whatever its state: the right role and
/// company, and content no state makes right (an answer names known items and carries an
/// after-photo; a reopen names known items and says what is wrong). The server refuses a
/// pushed event that fails this, since no concurrency excuses it; the order's `seen` is
/// checked by [`check_change`], which knows the event's place in the log.
pub fn check_permission(order: &Order, event: &Event) -> Result<(), Refusal> {
    let company = event.role == Role::CompanyStaff
        && event.company.as_deref() == Some(order.company.as_str());
    let known_items = || -> Result<(), Refusal> {
        if event.items.is_empty() {
            return Err(refuse_event("order.names_no_item", &event.kind));
        }
        match event
            .items
            .iter()
            .find(|i| !order.items.iter().any(|o| &o.id == *i))
        {
            Some(unknown) => Err(Refusal::Rule(
                Message::new("order.no_such_item").with("item", unknown),
            )),
            None => Ok(()),
        }
    };
    match event.kind.as_str() {
        "issue" | "verify" | "reopen" if event.role != Role::Inspector => {
            Err(refuse_event("order.inspector_only", &event.kind))
        }
        // A supervisor may withdraw an order in their area (issue 15: "cancel with a reason"),
        // saying why; the inspector who issued it, as before.
        "cancel" if !matches!(event.role, Role::Inspector | Role::Supervisor | Role::Admin) => {
            Err(refuse_event("order.inspector_only", "cancel"))
        }
        "cancel" if event.role != Role::Inspector && event.note.trim().is_empty() => {
            Err(refuse("order.cancel_needs_note"))
        }
        "acknowledge" | "answer" if !company => {
            Err(refuse_event("order.company_only", &event.kind))
        }
        "urge" if !matches!(event.role, Role::Supervisor | Role::Admin) => {
            Err(refuse_event("order.supervisor_only", "urge"))
        }
        "urge" if event.note.trim().is_empty() => Err(refuse("order.urge_needs_note")),
        "urge" => Ok(()),
        "answer" => {
            known_items()?;
            if event.photos.is_empty() {
                return Err(refuse("order.answer_needs_photo"));
            }
            Ok(())
        }
        "reopen" => {
            known_items()?;
            if event.note.trim().is_empty() {
                return Err(refuse("order.reopen_needs_note"));
            }
            Ok(())
        }
        "issue" | "verify" | "cancel" | "acknowledge" => Ok(()),
        other => Err(refuse_event("order.not_an_event", other)),
    }
}

/// Whether `event` may happen to `order` in `state`: the right person, at the right moment.
pub fn check_event(order: &Order, state: &OrderState, event: &Event) -> Result<(), Refusal> {
    let inspector = event.role == Role::Inspector;
    let company = event.role == Role::CompanyStaff
        && event.company.as_deref() == Some(order.company.as_str());
    let status = state.status;
    if status.is_final() {
        return Err(Refusal::Rule(
            Message::new("order.already").with("status", status.as_str()),
        ));
    }
    match event.kind.as_str() {
        "issue" => {
            if !inspector {
                return Err(refuse_event("order.inspector_only", "issue"));
            }
            if status != OrderStatus::Draft {
                return Err(Refusal::Rule(
                    Message::new("order.already").with("status", "issued"),
                ));
            }
            if order.items.is_empty() {
                return Err(refuse("order.needs_items"));
            }
        }
        "acknowledge" => {
            if !company {
                return Err(refuse_event("order.company_only", "acknowledge"));
            }
            if status != OrderStatus::Issued {
                return Err(Refusal::Rule(
                    Message::new("order.cannot_in_status")
                        .with("status", status.as_str())
                        .with("event", "acknowledge"),
                ));
            }
        }
        "answer" => {
            if !company {
                return Err(refuse_event("order.company_only", "answer"));
            }
            if matches!(status, OrderStatus::Draft | OrderStatus::Issued) {
                return Err(refuse("order.acknowledge_first"));
            }
            if event.items.is_empty() {
                return Err(refuse_event("order.names_no_item", "answer"));
            }
            if event.photos.is_empty() {
                return Err(refuse("order.answer_needs_photo"));
            }
            for item in &event.items {
                match state.item(item) {
                    None => {
                        return Err(Refusal::Rule(
                            Message::new("order.no_such_item").with("item", item),
                        ));
                    }
                    Some(ItemState::Answered) => {
                        return Err(Refusal::Rule(
                            Message::new("order.item_already_answered").with("item", item),
                        ));
                    }
                    Some(_) => {}
                }
            }
        }
        "verify" => {
            if !inspector {
                return Err(refuse_event("order.inspector_only", "verify"));
            }
            if !state.all_answered() {
                return Err(refuse("order.not_all_answered"));
            }
        }
        "reopen" => {
            if !inspector {
                return Err(refuse_event("order.inspector_only", "reopen"));
            }
            if event.items.is_empty() || event.note.trim().is_empty() {
                return Err(refuse("order.reopen_needs_note"));
            }
            for item in &event.items {
                if state.item(item) != Some(ItemState::Answered) {
                    return Err(Refusal::Rule(
                        Message::new("order.item_not_answered").with("item", item),
                    ));
                }
            }
        }
        "cancel" => {
            if !matches!(event.role, Role::Inspector | Role::Supervisor | Role::Admin) {
                return Err(refuse_event("order.inspector_only", "cancel"));
            }
            if !inspector && event.note.trim().is_empty() {
                return Err(refuse("order.cancel_needs_note"));
            }
        }
        "urge" => {
            if !matches!(event.role, Role::Supervisor | Role::Admin) {
                return Err(refuse_event("order.supervisor_only", "urge"));
            }
            if event.note.trim().is_empty() {
                return Err(refuse("order.urge_needs_note"));
            }
            // An urge is to the company: only while it owes an answer.
            if !awaits_company(status) {
                return Err(Refusal::Rule(
                    Message::new("order.cannot_in_status")
                        .with("status", status.as_str())
                        .with("event", "urge"),
                ));
            }
        }
        other => return Err(refuse_event("order.not_an_event", other)),
    }
    Ok(())
}

/// Folds the order's events into its state.
pub fn fold(order: &Order) -> OrderState {
    let mut state = OrderState {
        status: OrderStatus::Draft,
        items: order
            .items
            .iter()
            .map(|i| (i.id.clone(), ItemState::Open))
            .collect(),
        history: Vec::new(),
        issued_at: None,
        finished_at: None,
        reopen_count: 0,
        reopen_note: None,
        answered_at: None,
        urge_note: None,
    };
    let mut acknowledged = false;
    for event in fold_order(order.events.clone(), rank) {
        let verdict = check_event(order, &state, &event);
        if verdict.is_ok() {
            match event.kind.as_str() {
                "issue" => {
                    state.status = OrderStatus::Issued;
                    state.issued_at = Some(event.at);
                }
                "acknowledge" => {
                    acknowledged = true;
                    state.urge_note = None;
                }
                "answer" => {
                    for item in &event.items {
                        state.set(item, ItemState::Answered);
                    }
                    state.answered_at = Some(event.at);
                    state.urge_note = None;
                }
                "reopen" => {
                    for item in &event.items {
                        state.set(item, ItemState::Reopened);
                    }
                    state.reopen_count += 1;
                    state.reopen_note = Some(event.note.clone());
                }
                "verify" => {
                    state.status = OrderStatus::Verified;
                    state.finished_at = Some(event.at);
                }
                "cancel" => {
                    state.status = OrderStatus::Cancelled;
                    state.finished_at = Some(event.at);
                }
                "urge" => state.urge_note = Some(event.note.clone()),
                _ => {}
            }
            if !state.status.is_final() && acknowledged {
                state.status = if state.all_answered() {
                    OrderStatus::Answered
                } else if state.items.iter().any(|(_, s)| *s == ItemState::Reopened) {
                    OrderStatus::Reopened
                } else {
                    OrderStatus::Acknowledged
                };
            }
            if state.status != OrderStatus::Reopened {
                state.reopen_note = None;
            }
        }
        state.history.push(FoldedEvent {
            counted: verdict.is_ok(),
            reason: verdict.err().map(|r| r.message()),
            event,
        });
    }
    state
}

/// Checks a change to an order from `before` (`None`: new) to `after` by `actor`: only an
/// inspector drafts, in their own name; everything but the log is fixed once drafted; the log
/// only grows; every new event is the actor's own (no forging another's name, role or
/// company), could ever count ([`check_permission`]) and claims to have seen no more events
/// than stand before it.
pub fn check_change(
    actor: &crate::Actor,
    before: Option<&Order>,
    after: &Order,
) -> Result<(), Refusal> {
    let new_events: Vec<&Event> = match before {
        None => {
            if actor.role != Role::Inspector && actor.role != Role::Admin {
                return Err(refuse_event("order.inspector_only", "issue"));
            }
            if after.issuer != actor.user_id {
                return Err(refuse("order.not_own"));
            }
            if after.items.is_empty() {
                return Err(refuse("order.needs_items"));
            }
            after.events.iter().collect()
        }
        Some(b) => {
            // The issuer gets the verify to-do and the created_at and from_report are the
            // record's provenance: none may be rewritten by whoever can push to the order.
            let fixed = |o: &Order| {
                (
                    o.title.clone(),
                    o.compound.clone(),
                    o.company.clone(),
                    o.deadline,
                    o.items.clone(),
                    o.issuer.clone(),
                    o.created_at,
                    o.from_report.clone(),
                )
            };
            if fixed(b) != fixed(after) {
                return Err(refuse("order.fixed_fields"));
            }
            super::events::appended(&b.events, &after.events)?
        }
    };
    for e in new_events {
        super::events::check_signed(actor, e)?;
        check_permission(after, e)?;
        super::events::check_seen(&after.events, e)?;
    }
    Ok(())
}
