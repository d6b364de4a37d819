//! Records: one automerge document each (DESIGN.md, "Records").
//!
//! A document's root map always has a `kind` string so a store or a server can tell what it
//! holds without knowing it in advance. Each record type has a module with its typed view
//! (read from the document) and the operations that write it.

pub mod automerge_read;
pub mod error;
pub mod events;
pub mod household;
pub mod layout;
pub mod limits;
pub mod measure;
pub mod order;
pub mod photo_ref;
pub mod reference;
pub mod report;
pub mod role;
pub mod view;

pub use error::{RecordError, WriteError};
pub use role::Role;

use serde::{Deserialize, Serialize};

/// The kinds of record, one automerge document each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A household (户) with its residents and visits.
    Household,
    /// A rectification order (整改单).
    Order,
    /// An issue report (事件, 随手拍).
    Report,
}

impl RecordKind {
    /// The name stored in the document's `kind` field and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Household => "household",
            RecordKind::Order => "order",
            RecordKind::Report => "report",
        }
    }

    /// Parses a stored kind name.
    pub fn parse(s: &str) -> Option<RecordKind> {
        match s {
            "household" => Some(RecordKind::Household),
            "order" => Some(RecordKind::Order),
            "report" => Some(RecordKind::Report),
            _ => None,
        }
    }
}

/// Refuses a document whose `kind` is not `expected`.
pub(crate) fn expect_kind(
    doc: &impl automerge::ReadDoc,
    id: &crate::ids::RecordId,
    expected: RecordKind,
) -> Result<(), RecordError> {
    let kind = automerge_read::string(doc, &automerge::ROOT, "kind").unwrap_or_default();
    if kind == expected.as_str() {
        return Ok(());
    }
    Err(RecordError::WrongKind {
        id: id.to_string(),
        expected: expected.as_str(),
        found: kind,
    })
}

/// The scope a household belongs to: its grid. Scopes decide which devices receive a record;
/// the server keeps its change log per scope and each device a cursor per scope.
pub fn household_scope(h: &household::Household) -> String {
    format!("grid:{}", h.address.grid)
}

/// Declares an enum stored as a snake_case string in documents, with an `Other` variant so a
/// value written by a newer app version survives a round trip through an older one.
macro_rules! stored_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
            /// A value this version does not know, kept as written.
            Other(String),
        }

        impl $name {
            /// The value as stored in the document.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Other(s) => s,
                }
            }

            /// Reads a stored value.
            pub fn parse(s: &str) -> Self {
                match s {
                    $($text => $name::$variant,)+
                    other => $name::Other(other.to_owned()),
                }
            }
        }
    };
}
pub(crate) use stored_enum;
