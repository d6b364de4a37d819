//! Identifiers made offline.
//!
//! Every record, resident and visit gets a UUIDv7 when it is created on a device: unique
//! without asking a server, and sortable by creation time so new records cluster in indexes.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// A fresh id, made on this device without asking anyone.
            pub fn generate() -> Self {
                Self(uuid::Uuid::now_v7().simple().to_string())
            }

            /// Wraps an id that was made elsewhere (read from a document or a request).
            pub fn from_string(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Whether the id has the form [`Self::generate`] issues: 32 lower-case hex
            /// digits. The server refuses a pushed record whose id has any other (empty, a
            /// path, a megabyte), since ids reach file names, URLs and logs.
            pub fn is_issued_form(&self) -> bool {
                self.0.len() == 32
                    && self
                        .0
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }
    };
}

id_type!(
    /// The id of a record: one automerge document (a household, a report, an order).
    RecordId
);
id_type!(
    /// The id of a resident inside a household document.
    ResidentId
);
id_type!(
    /// The id of a visit inside a household document.
    VisitId
);
