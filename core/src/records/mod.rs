//! Records: one automerge document each (DESIGN.md, "Records").
//!
//! A document's root map always has a `kind` string so a store or a server can tell what it
//! holds without knowing it in advance. Each record type has a module with its typed view
//! (read from the document) and the operations that write it.

pub mod automerge_read;
pub mod household;
pub mod reference;

use serde::{Deserialize, Serialize};

/// The kinds of record, one automerge document each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordKind {
    /// A household (户) with its residents and visits.
    Household,
}

impl RecordKind {
    /// The name stored in the document's `kind` field and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordKind::Household => "household",
        }
    }

    /// Parses a stored kind name.
    pub fn parse(s: &str) -> Option<RecordKind> {
        match s {
            "household" => Some(RecordKind::Household),
            _ => None,
        }
    }
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
