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
use crate::records::RecordError;
use crate::records::limits::{
    MAX_CHANGE_BYTES, MAX_CHANGE_OPS, MAX_RECORD_BYTES, MAX_RECORD_CHANGES, MAX_RECORD_OPS,
};
use crate::records::measure::{Measure, MeasureError, measure};

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

    /// Measures the data from its chunk headers and column runs, before anything is loaded, and
    /// refuses it when a change or the whole breaks the limits ([`crate::records::limits`]).
    pub fn check_limits(&self) -> std::result::Result<Measure, LimitProblem> {
        let over_bytes = |e: MeasureError, max: u64| match e {
            MeasureError::Inflates { limit } => LimitProblem::Limit(RecordError::TooLarge {
                bytes: limit.saturating_add(1),
                max,
            }),
            MeasureError::Malformed(why) => LimitProblem::Malformed(why.to_owned()),
        };
        let mut total = Measure::default();
        match self {
            RecordData::Document(bytes) => {
                total = measure(bytes, MAX_RECORD_BYTES)
                    .map_err(|e| over_bytes(e, MAX_RECORD_BYTES))?;
            }
            RecordData::Changes(changes) => {
                for c in changes {
                    let m = measure(c, MAX_CHANGE_BYTES)
                        .map_err(|e| over_bytes(e, MAX_CHANGE_BYTES))?;
                    if m.changes != 1 {
                        return Err(LimitProblem::Malformed("not one change".into()));
                    }
                    if m.ops > MAX_CHANGE_OPS {
                        return Err(LimitProblem::Limit(RecordError::TooManyOps {
                            ops: m.ops,
                            max: MAX_CHANGE_OPS,
                        }));
                    }
                    total.add(m);
                    if total.bytes > MAX_RECORD_BYTES {
                        return Err(LimitProblem::Limit(RecordError::TooLarge {
                            bytes: total.bytes,
                            max: MAX_RECORD_BYTES,
                        }));
                    }
                }
            }
        }
        check_totals(total.ops, total.changes).map_err(LimitProblem::Limit)?;
        Ok(total)
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

/// Why data was not taken: a limit it breaks, or it is not automerge data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitProblem {
    /// It breaks a limit: refused with this reason, the rest of a batch goes on.
    Limit(RecordError),
    /// It does not decode (as before limits: the whole request or bundle is refused).
    Malformed(String),
}

/// Refuses a record whose history holds more ops or changes than a record may.
pub fn check_totals(ops: u64, changes: u64) -> std::result::Result<(), RecordError> {
    if ops > MAX_RECORD_OPS {
        return Err(RecordError::TooManyOps {
            ops,
            max: MAX_RECORD_OPS,
        });
    }
    if changes > MAX_RECORD_CHANGES {
        return Err(RecordError::TooManyChanges {
            changes,
            max: MAX_RECORD_CHANGES,
        });
    }
    Ok(())
}

/// Checks a document after data was merged into it and before it is stored: its history
/// within the limits, every key one `policy` allows, lists and strings within theirs.
pub fn check_merged(
    doc: &automerge::AutoCommit,
    kind: crate::records::RecordKind,
    policy: crate::records::layout::KeyPolicy,
) -> std::result::Result<(), RecordError> {
    use automerge::ReadDoc;
    // The gate for merged data from elsewhere: automerge can take changes whose document then
    // fails its own assertions when read (found by fuzzing `accept_pushed`), so a panic while
    // judging it is the document's fault and refuses it, never the server's or the phone's.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let stats = doc.stats();
        check_totals(stats.num_ops, stats.num_changes)?;
        crate::records::layout::check_document(doc, kind, policy)
    }))
    .unwrap_or(Err(RecordError::Unreadable))
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
