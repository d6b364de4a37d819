//! The rules: pure functions with no I/O, run by the device before it writes and by the server
//! on every change it receives, so an honest device never makes a change the server would
//! refuse and a tampered one cannot write around it.

pub mod clock;
pub mod events;
pub mod finding_marks;
pub mod findings;
pub mod household;
pub mod id_number;
pub mod order;
pub mod permissions;
pub mod phone;
pub mod places;
pub mod rating;
pub mod report;
pub mod text;
pub mod todo;

use permissions::Role;

use crate::messages::{Lang, Message};
pub use crate::records::RecordError;
use crate::records::view::RecordView;
use household::Validation;
use permissions::Actor;

/// Checks a change from `before` (`None`: a new record) to `after` by `actor` with the rules of
/// the record's kind: [`household::check_change_by`], [`order::check_change`],
/// [`report::check_change`]. A record that changed kind is refused.
pub fn check_change(
    actor: &Actor,
    before: Option<&RecordView>,
    after: &RecordView,
    validation: Validation,
) -> Result<(), Refusal> {
    match (after, before) {
        (RecordView::Household(after), None) => {
            household::check_change_by(actor, None, after, validation)
        }
        (RecordView::Household(after), Some(RecordView::Household(b))) => {
            household::check_change_by(actor, Some(b), after, validation)
        }
        (RecordView::Order(after), None) => order::check_change(actor, None, after),
        (RecordView::Order(after), Some(RecordView::Order(b))) => {
            order::check_change(actor, Some(b), after)
        }
        (RecordView::Report(after), None) => report::check_change(actor, None, after),
        (RecordView::Report(after), Some(RecordView::Report(b))) => {
            report::check_change(actor, Some(b), after)
        }
        (after, Some(b)) => Err(Refusal::Record(RecordError::WrongKind {
            id: after.id().to_string(),
            expected: b.kind().as_str(),
            found: after.kind().as_str().to_owned(),
        })),
    }
}

/// Why the rules refused a change. Nothing refused is ever written.
///
/// Every refusal is a [`Message`] ([`Refusal::message`]): a stable code with named parameters,
/// rendered in the reader's language from the catalogue. `Display` is its English text, for logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// An ID number that is not a valid 18-character resident ID number.
    InvalidIdNumber {
        /// The number as typed, masked (it is personal data).
        masked: String,
        /// What is wrong with it.
        problem: id_number::IdNumberProblem,
    },
    /// A phone number that cannot be a phone number at all.
    InvalidPhone {
        /// The number as typed, masked: the message is logged by the server and sent back to
        /// the device, and a phone number is personal data.
        masked: String,
        /// What is wrong with it.
        problem: phone::PhoneProblem,
    },
    /// A field that must have a value was left empty: the field's term code (`resident_name`,
    /// `address`, `review_comment`, `report`).
    MissingField {
        /// Which field, as a `field.*` term of the catalogue.
        field: &'static str,
    },
    /// The signed-in role may not change this field.
    NotPermitted {
        /// The role that tried.
        role: Role,
        /// The field it tried to change.
        field: permissions::Field,
    },
    /// Visits are an append-only history: one was edited or removed.
    VisitHistoryRewritten {
        /// The visit that changed.
        visit_id: String,
    },
    /// Residents are never removed from a household, only marked as moved out.
    ResidentRemoved {
        /// The resident that disappeared.
        resident_id: String,
    },
    /// A document that is not what it should be (kind, resident, field): see [`RecordError`].
    Record(RecordError),
    /// Any other rule: an event that may not happen now or not by this person, a time out of
    /// range, a fixed field rewritten. The message says which.
    Rule(Message),
}

impl Refusal {
    /// A refusal with a message code and no parameters yet.
    pub fn rule(code: &str) -> Refusal {
        Refusal::Rule(Message::new(code))
    }

    /// The refusal as a message with a stable code and named parameters.
    pub fn message(&self) -> Message {
        match self {
            Refusal::InvalidIdNumber { masked, problem } => problem.message(masked),
            Refusal::InvalidPhone { masked, problem } => problem.message(masked),
            Refusal::MissingField { field } => Message::new("field.required").with("field", field),
            Refusal::NotPermitted { role, field } => Message::new("rules.not_permitted")
                .with("role", role.as_str())
                .with("field", field.as_str()),
            Refusal::VisitHistoryRewritten { visit_id } => {
                Message::new("household.visit_rewritten").with("visit_id", visit_id)
            }
            Refusal::ResidentRemoved { resident_id } => {
                Message::new("household.resident_removed").with("resident_id", resident_id)
            }
            Refusal::Record(e) => e.message(),
            Refusal::Rule(m) => m.clone(),
        }
    }

    /// The refusal's stable code (`id_number.check_digit`, `order.already`, …).
    pub fn code(&self) -> String {
        self.message().code
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message().render(Lang::En))
    }
}

impl std::error::Error for Refusal {}

impl From<RecordError> for Refusal {
    fn from(e: RecordError) -> Self {
        Refusal::Record(e)
    }
}
