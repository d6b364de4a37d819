//! The issue report (事件, 随手拍): a problem a grid worker photographs on the spot, which goes
//! from reported to resolved, and may be escalated into a rectification order.
//!
//! Document layout (root map):
//!
//! ```text
//! kind: "report"  schema: 1  category  description  grid  compound  reporter  created_at: int
//! lat, lon  photos: [photo]
//! events: [ { id, kind, by, role, at, seen, assignee, link, note } ]  (append-only)
//! ```

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc, ScalarValue};
use serde::{Deserialize, Serialize};

use super::RecordKind;
use super::automerge_read as read;
use super::error::RecordError;
use super::events::{Event, read_events};
use super::household::{Location, read_photos, write_photos};
use super::photo_ref::PhotoRef;
use crate::ids::RecordId;
use crate::time::Timestamp;

/// The typed view of a report document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The record id.
    pub id: RecordId,
    /// Category code from the reference data.
    pub category: String,
    /// What the worker saw.
    pub description: String,
    /// The grid it is in (its scope).
    pub grid: String,
    /// The compound, if in one.
    pub compound: String,
    /// Who reported it.
    pub reporter: String,
    /// When.
    pub created_at: Timestamp,
    /// Where.
    pub location: Option<Location>,
    /// Photos.
    pub photos: Vec<PhotoRef>,
    /// The event log, in document order.
    pub events: Vec<Event>,
}

/// What a worker fills in to report a problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewReport {
    /// Category code.
    pub category: String,
    /// What they saw.
    pub description: String,
    /// The grid.
    pub grid: String,
    /// The compound, if in one.
    pub compound: String,
    /// Where.
    pub location: Option<Location>,
    /// Photos imported with `Store::import_photo`.
    pub photos: Vec<PhotoRef>,
}

/// Reads a report document.
pub fn read(doc: &impl ReadDoc, id: &RecordId) -> Result<Report, RecordError> {
    super::expect_kind(doc, id, RecordKind::Report)?;
    let s = |k: &str| read::string(doc, &ROOT, k).unwrap_or_default();
    let location = match (
        read::float(doc, &ROOT, "lat"),
        read::float(doc, &ROOT, "lon"),
    ) {
        (Some(lat), Some(lon)) => Some(Location { lat, lon }),
        _ => None,
    };
    Ok(Report {
        id: id.clone(),
        category: s("category"),
        description: s("description"),
        grid: s("grid"),
        compound: s("compound"),
        reporter: s("reporter"),
        created_at: Timestamp(read::int(doc, &ROOT, "created_at").unwrap_or(0)),
        location,
        photos: read_photos(doc, &ROOT),
        events: read_events(doc),
    })
}

/// Lays out a new report document.
pub fn write_new(
    doc: &mut AutoCommit,
    new: &NewReport,
    reporter: &str,
    now: Timestamp,
) -> Result<(), automerge::AutomergeError> {
    doc.put(ROOT, "kind", RecordKind::Report.as_str())?;
    doc.put(ROOT, "schema", 1)?;
    doc.put(ROOT, "category", new.category.as_str())?;
    doc.put(ROOT, "description", new.description.as_str())?;
    doc.put(ROOT, "grid", new.grid.as_str())?;
    doc.put(ROOT, "compound", new.compound.as_str())?;
    doc.put(ROOT, "reporter", reporter)?;
    doc.put(ROOT, "created_at", now.0)?;
    if let Some(loc) = new.location {
        doc.put(ROOT, "lat", ScalarValue::F64(loc.lat))?;
        doc.put(ROOT, "lon", ScalarValue::F64(loc.lon))?;
    }
    write_photos(doc, &ROOT, &new.photos)?;
    doc.put_object(ROOT, "events", ObjType::List)?;
    Ok(())
}
