//! What can be wrong with a document itself, whatever the rules say: it is another kind of
//! record, names a resident or field it does not have, holds a key its layout does not define,
//! or is larger than a record may be. The rules wrap these in their
//! refusals ([`crate::rules::Refusal::Record`]).

use crate::messages::Message;

/// A document that is not what an operation expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordError {
    /// The document is not of the kind the operation expects.
    WrongKind {
        /// The record.
        id: String,
        /// The kind the operation needs.
        expected: &'static str,
        /// The kind the document says it is (empty: it says none).
        found: String,
    },
    /// The named resident is not in the household.
    UnknownResident {
        /// The household.
        household_id: String,
        /// The resident that was asked for.
        resident_id: String,
    },
    /// A field path that does not name a field that can hold a conflict.
    UnknownField {
        /// The path given.
        path: String,
    },
    /// A key that no layout version this code knows defines ([`super::layout`]).
    UnknownKey {
        /// Its path in the document (`visits.3.colour`).
        key: String,
    },
    /// More ops than a change or a record may hold ([`super::limits`]).
    TooManyOps {
        /// Ops counted.
        ops: u64,
        /// The limit.
        max: u64,
    },
    /// More changes than a record's history may hold.
    TooManyChanges {
        /// Changes counted.
        changes: u64,
        /// The limit.
        max: u64,
    },
    /// More bytes than a change or a record may hold, inflated.
    TooLarge {
        /// Bytes counted (at least).
        bytes: u64,
        /// The limit.
        max: u64,
    },
    /// A list or map with more entries than its field may hold.
    ListTooLong {
        /// Its path in the document.
        field: String,
        /// Its entries.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A string longer than its field may hold.
    TextTooLong {
        /// Its path in the document.
        field: String,
        /// Its characters.
        chars: usize,
        /// The limit.
        max: usize,
    },
    /// Automerge took the data but cannot read the document it makes (its internal checks
    /// fail): damaged or hostile changes.
    Unreadable,
}

impl RecordError {
    /// The problem as a message with a stable code.
    pub fn message(&self) -> Message {
        match self {
            RecordError::WrongKind {
                expected, found, ..
            } => Message::new("record.wrong_kind")
                .with("expected", expected)
                .with("found", if found.is_empty() { "none" } else { found }),
            RecordError::UnknownResident { .. } => Message::new("record.unknown_resident"),
            RecordError::UnknownField { path } => {
                Message::new("record.unknown_field").with("path", path)
            }
            RecordError::UnknownKey { key } => Message::new("record.unknown_key").with("key", key),
            RecordError::TooManyOps { ops, max } => Message::new("record.too_many_ops")
                .with("ops", ops.to_string())
                .with("max", max.to_string()),
            RecordError::TooManyChanges { changes, max } => Message::new("record.too_many_changes")
                .with("changes", changes.to_string())
                .with("max", max.to_string()),
            RecordError::TooLarge { bytes, max } => Message::new("record.too_large")
                .with("bytes", bytes.to_string())
                .with("max", max.to_string()),
            RecordError::ListTooLong { field, len, max } => Message::new("record.list_too_long")
                .with("field", field)
                .with("len", len.to_string())
                .with("max", max.to_string()),
            RecordError::TextTooLong { field, chars, max } => Message::new("record.text_too_long")
                .with("field", field)
                .with("chars", chars.to_string())
                .with("max", max.to_string()),
            RecordError::Unreadable => Message::new("record.unreadable"),
        }
    }
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message().render(crate::messages::Lang::En))
    }
}

impl std::error::Error for RecordError {}

/// An error while writing a document: the document is not what the write expects, or
/// automerge itself failed.
#[derive(Debug)]
pub enum WriteError {
    /// The document is not what the write expects.
    Record(RecordError),
    /// Automerge failed.
    Automerge(automerge::AutomergeError),
}

impl From<RecordError> for WriteError {
    fn from(e: RecordError) -> Self {
        WriteError::Record(e)
    }
}

impl From<automerge::AutomergeError> for WriteError {
    fn from(e: automerge::AutomergeError) -> Self {
        WriteError::Automerge(e)
    }
}
