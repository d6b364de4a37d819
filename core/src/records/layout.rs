//! The keys each record layout defines, by layout version, and the check that a document holds
//! only those, with lists and strings within [`super::limits`].
//!
//! A document is an automerge map; nothing in automerge stops a phone from writing keys the
//! rules never read, which the server would store and relay to every phone of the grid. So the
//! server refuses a record holding a key that no layout version it knows defines. Phones update
//! weeks after the server: a layout version adds keys (never removes or reuses one), the server
//! is updated first and accepts the keys of every version it knows, and a phone that receives
//! keys a newer app wrote keeps them (automerge merges what it does not read) and ignores them
//! ([`KeyPolicy::Keep`]).
//!
//! Keys are paths: `address.grid`; `*` stands for a map entry whose key is data (a resident's
//! id, a tag), `[]` for a list item.

use automerge::{ObjId, ObjType, ROOT, ReadDoc, Value};

use super::RecordKind;
use super::error::RecordError;
use super::limits::{MAX_LIST_LEN, MAX_SHORT_LIST_LEN, MAX_SHORT_TEXT_CHARS, MAX_TEXT_CHARS};

/// The keys one layout version added to a record kind.
#[derive(Debug, Clone, Copy)]
pub struct LayoutVersion {
    /// The version, stored in a document's `schema` field by the app that writes it.
    pub version: i64,
    /// The key paths it added.
    pub added: &'static [&'static str],
}

/// A photo as `write_photos` lays it out, under `<parent>.photos.[]`.
macro_rules! photo_keys {
    ($p:literal) => {
        [
            concat!($p, "photos"),
            concat!($p, "photos.[]"),
            concat!($p, "photos.[].full"),
            concat!($p, "photos.[].thumb"),
            concat!($p, "photos.[].width"),
            concat!($p, "photos.[].height"),
            concat!($p, "photos.[].taken_at"),
            concat!($p, "photos.[].lat"),
            concat!($p, "photos.[].lon"),
        ]
    };
}

/// An event of an order's or a report's log (`events::append_event`).
const EVENT_KEYS: [&str; 14] = [
    "events",
    "events.[]",
    "events.[].id",
    "events.[].kind",
    "events.[].by",
    "events.[].role",
    "events.[].company",
    "events.[].at",
    "events.[].seen",
    "events.[].items",
    "events.[].items.[]",
    "events.[].assignee",
    "events.[].link",
    "events.[].note",
];

const EVENT_PHOTO_KEYS: [&str; 9] = photo_keys!("events.[].");

const HOUSEHOLD_V1: &[&str] = &concat_keys::<49>(&[
    &[
        "kind",
        "schema",
        "created_at",
        "created_by",
        "house_use",
        "notes",
        "address",
        "address.community",
        "address.grid",
        "address.compound",
        "address.building",
        "address.unit",
        "address.room",
        "residents",
        "residents.*",
        "residents.*.name",
        "residents.*.id_number",
        "residents.*.phone",
        "residents.*.relation",
        "residents.*.registration",
        "residents.*.tags",
        "residents.*.tags.*",
        "residents.*.moved_out",
        "residents.*.moved_out_at",
        "visits",
        "visits.[]",
        "visits.[].id",
        "visits.[].at",
        "visits.[].worker",
        "visits.[].purpose",
        "visits.[].notes",
        "visits.[].lat",
        "visits.[].lon",
        "reviews",
        "reviews.[]",
        "reviews.[].id",
        "reviews.[].visit_id",
        "reviews.[].by",
        "reviews.[].note",
        "reviews.[].at",
    ],
    &photo_keys!("visits.[]."),
]);

const ORDER_V1: &[&str] = &concat_keys::<46>(&[
    &[
        "kind",
        "schema",
        "title",
        "compound",
        "company",
        "deadline",
        "issuer",
        "created_at",
        "from_report",
        "items",
        "items.[]",
        "items.[].id",
        "items.[].description",
        "items.[].severity",
    ],
    &photo_keys!("items.[]."),
    &EVENT_KEYS,
    &EVENT_PHOTO_KEYS,
]);

const REPORT_V1: &[&str] = &concat_keys::<42>(&[
    &[
        "kind",
        "schema",
        "category",
        "description",
        "grid",
        "compound",
        "reporter",
        "created_at",
        "lat",
        "lon",
    ],
    &photo_keys!(""),
    &EVENT_KEYS,
    &EVENT_PHOTO_KEYS,
]);

/// Layout 2: what was done about a household's findings (`household::FindingMark`).
const HOUSEHOLD_V2: &[&str] = &[
    "finding_marks",
    "finding_marks.[]",
    "finding_marks.[].id",
    "finding_marks.[].action",
    "finding_marks.[].kind",
    "finding_marks.[].subject",
    "finding_marks.[].fingerprint",
    "finding_marks.[].assignee",
    "finding_marks.[].by",
    "finding_marks.[].note",
    "finding_marks.[].at",
];

/// Joins key lists at compile time (`N` is checked: a wrong count does not compile).
const fn concat_keys<const N: usize>(parts: &[&[&'static str]]) -> [&'static str; N] {
    let mut out = [""; N];
    let mut n = 0;
    let mut p = 0;
    while p < parts.len() {
        let mut k = 0;
        while k < parts[p].len() {
            out[n] = parts[p][k];
            n += 1;
            k += 1;
        }
        p += 1;
    }
    assert!(n == N, "the key count is wrong");
    out
}

/// The household's layout versions, oldest first.
pub const HOUSEHOLD: &[LayoutVersion] = &[
    LayoutVersion {
        version: 1,
        added: HOUSEHOLD_V1,
    },
    LayoutVersion {
        version: 2,
        added: HOUSEHOLD_V2,
    },
    #[cfg(any(test, feature = "future-layout"))]
    FUTURE_HOUSEHOLD,
];

/// Tests only (`feature = "future-layout"`): a layout version no app writes yet, so a test can
/// play a newer app that writes a key an older one does not know, through a server that knows
/// it.
#[cfg(any(test, feature = "future-layout"))]
pub const FUTURE_HOUSEHOLD: LayoutVersion = LayoutVersion {
    version: 3,
    added: &["future_note"],
};

/// The order's layout versions, oldest first.
pub const ORDER: &[LayoutVersion] = &[LayoutVersion {
    version: 1,
    added: ORDER_V1,
}];

/// The report's layout versions, oldest first.
pub const REPORT: &[LayoutVersion] = &[LayoutVersion {
    version: 1,
    added: REPORT_V1,
}];

/// The layout versions of a kind, oldest first.
pub fn versions(kind: RecordKind) -> &'static [LayoutVersion] {
    match kind {
        RecordKind::Household => HOUSEHOLD,
        RecordKind::Order => ORDER,
        RecordKind::Report => REPORT,
    }
}

/// What to do with a key no known layout version defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPolicy {
    /// Refuse the record: the server, judging what a phone pushed.
    Refuse,
    /// Keep it unread (a newer app wrote it): a phone, receiving from the server.
    Keep,
}

/// Checks every key at every level of a document of `kind` against the layout versions this
/// code knows (as `policy` says), every list and map against [`MAX_LIST_LEN`] (photos, tags
/// and an event's items against [`MAX_SHORT_LIST_LEN`]) and every string and map key against
/// [`MAX_TEXT_CHARS`] (free text) or [`MAX_SHORT_TEXT_CHARS`]. Values that lost a conflict are
/// checked too: they are stored and relayed like the rest.
pub fn check_document(
    doc: &impl ReadDoc,
    kind: RecordKind,
    policy: KeyPolicy,
) -> Result<(), RecordError> {
    let known: Vec<&str> = versions(kind)
        .iter()
        .flat_map(|v| v.added.iter().copied())
        .collect();
    let walker = Walker { doc, known, policy };
    walker.object(&ROOT, ObjType::Map, "", "")
}

struct Walker<'a, D> {
    doc: &'a D,
    known: Vec<&'static str>,
    policy: KeyPolicy,
}

impl<D: ReadDoc> Walker<'_, D> {
    /// Whether `pattern` is a key path of the layout.
    fn knows(&self, pattern: &str) -> bool {
        self.known.contains(&pattern)
    }

    /// Refuses a string longer than its field allows: free text (and, kept unread, what a newer
    /// layout wrote) up to [`MAX_TEXT_CHARS`], the rest up to [`MAX_SHORT_TEXT_CHARS`].
    fn check_text(&self, pattern: &str, shown: &str, chars: usize) -> Result<(), RecordError> {
        let free_text = ["notes", "note", "description", "title"]
            .iter()
            .any(|f| pattern == *f || pattern.ends_with(&format!(".{f}")));
        let max = if free_text || !self.knows(pattern) {
            MAX_TEXT_CHARS
        } else {
            MAX_SHORT_TEXT_CHARS
        };
        if chars > max {
            return Err(RecordError::TextTooLong {
                field: shown.to_owned(),
                chars,
                max,
            });
        }
        Ok(())
    }

    /// Checks the object at `obj`; `pattern` is its key path with `*` and `[]`, `shown` the
    /// same with the real keys and indices (for the reason given).
    fn object(
        &self,
        obj: &ObjId,
        kind: ObjType,
        pattern: &str,
        shown: &str,
    ) -> Result<(), RecordError> {
        let short_list = pattern.ends_with("photos")
            || pattern.ends_with("tags")
            || pattern.ends_with("items") && pattern.starts_with("events");
        let max = if short_list {
            MAX_SHORT_LIST_LEN
        } else {
            MAX_LIST_LEN
        };
        let len = self.doc.length(obj);
        if len > max {
            return Err(RecordError::ListTooLong {
                field: shown.to_owned(),
                len,
                max,
            });
        }
        match kind {
            ObjType::Map | ObjType::Table => {
                for item in self.doc.map_range(obj, ..) {
                    let key = item.key.as_ref();
                    let by_data = join(pattern, "*");
                    let named = join(pattern, key);
                    let child = if self.knows(&by_data) {
                        by_data
                    } else if self.knows(&named) || self.policy == KeyPolicy::Keep {
                        named
                    } else {
                        return Err(RecordError::UnknownKey {
                            key: join(shown, key),
                        });
                    };
                    let child_shown = join(shown, key);
                    if key.chars().count() > MAX_SHORT_TEXT_CHARS {
                        return Err(RecordError::TextTooLong {
                            field: child_shown,
                            chars: key.chars().count(),
                            max: MAX_SHORT_TEXT_CHARS,
                        });
                    }
                    let values =
                        self.doc
                            .get_all(obj, key)
                            .map_err(|_| RecordError::UnknownKey {
                                key: child_shown.clone(),
                            })?;
                    for (value, id) in values {
                        self.value(value, &id, child.clone(), child_shown.clone())?;
                    }
                }
            }
            ObjType::List => {
                for i in 0..len {
                    let values = self.doc.get_all(obj, i).unwrap_or_default();
                    for (value, id) in values {
                        self.value(value, &id, join(pattern, "[]"), join(shown, &i.to_string()))?;
                    }
                }
            }
            ObjType::Text => {
                let chars = self.doc.text(obj).map(|t| t.chars().count()).unwrap_or(0);
                self.check_text(pattern, shown, chars)?;
            }
        }
        Ok(())
    }

    fn value(
        &self,
        value: Value<'_>,
        id: &ObjId,
        pattern: String,
        shown: String,
    ) -> Result<(), RecordError> {
        if pattern.ends_with("[]") && !self.knows(&pattern) && self.policy == KeyPolicy::Refuse {
            return Err(RecordError::UnknownKey { key: shown });
        }
        match value {
            Value::Object(kind) => self.object(id, kind, &pattern, &shown),
            Value::Scalar(s) => match s.as_ref() {
                automerge::ScalarValue::Str(text) => {
                    self.check_text(&pattern, &shown, text.chars().count())
                }
                automerge::ScalarValue::Bytes(b)
                | automerge::ScalarValue::Unknown { bytes: b, .. } => {
                    self.check_text(&pattern, &shown, b.len())
                }
                _ => Ok(()),
            },
        }
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_path_has_its_parent_and_no_version_repeats_a_key() {
        for kind in [RecordKind::Household, RecordKind::Order, RecordKind::Report] {
            let all: Vec<&str> = versions(kind)
                .iter()
                .flat_map(|v| v.added.iter().copied())
                .collect();
            for (i, key) in all.iter().enumerate() {
                assert!(!all[..i].contains(key), "{kind:?}: {key} twice");
                if let Some((parent, _)) = key.rsplit_once('.') {
                    assert!(all.contains(&parent), "{kind:?}: {key} without {parent}");
                }
            }
        }
    }
}
