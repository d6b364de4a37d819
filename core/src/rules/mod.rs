//! The rules: pure functions with no I/O, run by the device before it writes and by the server
//! on every change it receives, so an honest device never makes a change the server would
//! refuse and a tampered one cannot write around it.

pub mod findings;
pub mod household;
pub mod id_number;
pub mod order;
pub mod permissions;
pub mod phone;
pub mod rating;
pub mod report;
pub mod todo;

use permissions::Role;

/// Why the rules refused a change. Nothing refused is ever written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// An ID number that is not a valid 18-character resident ID number.
    #[error("ID number {masked} is not valid: {problem}")]
    InvalidIdNumber {
        /// The number as typed, masked (it is personal data).
        masked: String,
        /// What is wrong with it.
        problem: id_number::IdNumberProblem,
    },
    /// A phone number that cannot be a phone number at all.
    #[error("phone number {masked} is not valid: {problem}")]
    InvalidPhone {
        /// The number as typed, masked: the message is logged by the server and sent back to
        /// the device, and a phone number is personal data.
        masked: String,
        /// What is wrong with it.
        problem: phone::PhoneProblem,
    },
    /// A field that must have a value was left empty.
    #[error("{field} is required")]
    MissingField {
        /// Which field.
        field: &'static str,
    },
    /// The signed-in role may not change this field.
    #[error("a {role} may not change {field}")]
    NotPermitted {
        /// The role that tried.
        role: Role,
        /// The field it tried to change.
        field: permissions::Field,
    },
    /// Visits are an append-only history: one was edited or removed.
    #[error("visit {visit_id} was changed or removed; visits can only be added")]
    VisitHistoryRewritten {
        /// The visit that changed.
        visit_id: String,
    },
    /// The named resident is not in the household.
    #[error("resident {resident_id} is not in household {household_id}")]
    UnknownResident {
        /// The household.
        household_id: String,
        /// The resident that was asked for.
        resident_id: String,
    },
    /// Residents are never removed from a household, only marked as moved out.
    #[error("resident {resident_id} was removed; mark them as moved out instead")]
    ResidentRemoved {
        /// The resident that disappeared.
        resident_id: String,
    },
    /// An event that may not happen now, or not by this person.
    #[error("{reason}")]
    IllegalEvent {
        /// What rule it breaks.
        reason: String,
    },
    /// A field path that does not name a field that can hold a conflict.
    #[error("{path} is not a field of a household")]
    UnknownField {
        /// The path given.
        path: String,
    },
    /// The document is not of the kind the change expects.
    #[error("record {id} is a {found}, not a {expected}")]
    WrongKind {
        /// The record.
        id: String,
        /// The kind the operation needs.
        expected: &'static str,
        /// The kind the document says it is.
        found: String,
    },
}
