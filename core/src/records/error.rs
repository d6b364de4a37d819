//! What can be wrong with a document itself, whatever the rules say: it is another kind of
//! record, or names a resident or field it does not have. The rules wrap these in their
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
