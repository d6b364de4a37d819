//! Merging between stores without a server: one store says what it has (its heads per
//! record), the other exports the changes it lacks, and the first applies them.
//!
//! Automerge changes are content-addressed, so applying a bundle twice, or a bundle that
//! overlaps what a store already has, changes nothing. The sync protocol reuses these pieces.

use std::collections::BTreeMap;

use automerge::ChangeHash;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::RecordId;

/// What a store has: the heads of every record, as 32-byte hashes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreHeads {
    /// Heads per record id.
    pub records: BTreeMap<RecordId, Vec<ByteHash>>,
}

/// A change hash as it travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ByteHash(#[serde(with = "serde_bytes")] pub [u8; 32]);

impl From<ChangeHash> for ByteHash {
    fn from(h: ChangeHash) -> Self {
        ByteHash(h.0)
    }
}

impl From<ByteHash> for ChangeHash {
    fn from(h: ByteHash) -> Self {
        ChangeHash(h.0)
    }
}

/// Changes of one record that another store lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordChanges {
    /// The record.
    pub id: RecordId,
    /// Its kind, so a store that has never seen it knows what it is.
    pub kind: String,
    /// The automerge data.
    pub data: RecordData,
}

/// Automerge data for one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordData {
    /// The whole compacted document, for a store that has none of it: smaller and faster to
    /// load than its history of changes.
    Document(#[serde(with = "serde_bytes")] Vec<u8>),
    /// The changes the other store lacks, one encoded automerge change each.
    Changes(Vec<serde_bytes::ByteBuf>),
}

impl RecordData {
    /// Bytes of automerge data carried.
    pub fn len(&self) -> usize {
        match self {
            RecordData::Document(d) => d.len(),
            RecordData::Changes(c) => c.iter().map(|c| c.len()).sum(),
        }
    }

    /// Whether it carries nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Merges the data into `doc`, refusing anything that does not decode whole: bytes from
    /// elsewhere are untrusted, and half a change list applied would be worse than none.
    pub fn apply_to(&self, doc: &mut automerge::AutoCommit) -> std::result::Result<(), String> {
        match self {
            RecordData::Document(bytes) => {
                if bytes.is_empty() {
                    return Err("an empty document".into());
                }
                let options =
                    automerge::LoadOptions::new().on_partial_load(automerge::OnPartialLoad::Error);
                let mut other = automerge::AutoCommit::load_with_options(bytes, options)
                    .map_err(|e| e.to_string())?;
                doc.merge(&mut other).map_err(|e| e.to_string())?;
            }
            RecordData::Changes(changes) => {
                let changes = changes
                    .iter()
                    .map(|c| automerge::Change::from_bytes(c.to_vec()).map_err(|e| e.to_string()))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                doc.apply_changes(changes).map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }
}

/// A set of record changes, as one store hands them to another.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeBundle {
    /// Format version of the bundle.
    pub version: u32,
    /// The changes, one entry per record.
    pub records: Vec<RecordChanges>,
}

/// The bundle format version this code writes and reads.
pub const BUNDLE_VERSION: u32 = 1;

impl ChangeBundle {
    /// Encodes the bundle as CBOR.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        ciborium::into_writer(self, &mut out).expect("writing CBOR to memory cannot fail");
        out
    }

    /// Decodes a bundle, refusing anything that is not one of this version.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let bundle: ChangeBundle =
            ciborium::from_reader(bytes).map_err(|e| Error::InvalidChanges {
                reason: format!("not a change bundle: {e}"),
            })?;
        if bundle.version != BUNDLE_VERSION {
            return Err(Error::InvalidChanges {
                reason: format!(
                    "bundle version {} is not the supported version {BUNDLE_VERSION}",
                    bundle.version
                ),
            });
        }
        Ok(bundle)
    }

    /// Number of bytes of automerge data the bundle carries.
    pub fn data_len(&self) -> usize {
        self.records.iter().map(|r| r.data.len()).sum()
    }
}
