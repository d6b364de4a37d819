//! The rectification order (整改单): an inspector's demand that a property company fix listed
//! problems in a compound by a deadline, answered item by item with after-photos.
//!
//! Document layout (root map):
//!
//! ```text
//! kind: "order"  schema: 1  title  compound  company  deadline: int  issuer  created_at: int
//! from_report: str (the issue report it was escalated from, if any)
//! items:  [ { id, description, severity, before_photos: [photo] } ]   (fixed once issued)
//! events: [ { id, kind, by, role, company, at, seen, items: [id], note, photos } ]  (append-only)
//! ```
//!
//! The order's status is not stored: it is [`crate::rules::order::fold`] of the events.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};
use serde::{Deserialize, Serialize};

use super::automerge_read as read;
use super::error::RecordError;
use super::events::{Event, read_events};
use super::household::{read_photos, write_photos};
use super::photo_ref::PhotoRef;
use super::{RecordKind, stored_enum};
use crate::ids::RecordId;
use crate::time::Timestamp;

stored_enum!(
    /// How serious an item is; weighs in the company's rating.
    Severity {
        /// 一般.
        Minor => "minor",
        /// 较重.
        Major => "major",
        /// 严重: a safety risk.
        Critical => "critical",
    }
);

impl Severity {
    /// Weight in ratings: minor 1, major 2, critical 3.
    pub fn weight(&self) -> u32 {
        match self {
            Severity::Minor | Severity::Other(_) => 1,
            Severity::Major => 2,
            Severity::Critical => 3,
        }
    }
}

/// One problem to fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderItem {
    /// Made when the order was drafted.
    pub id: String,
    /// What is wrong.
    pub description: String,
    /// How serious.
    pub severity: Severity,
    /// Photos of the problem.
    pub before_photos: Vec<PhotoRef>,
}

/// The typed view of an order document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// The record id.
    pub id: RecordId,
    /// A short title.
    pub title: String,
    /// Compound code.
    pub compound: String,
    /// Property company code.
    pub company: String,
    /// Deadline.
    pub deadline: Timestamp,
    /// The inspector who drafted it.
    pub issuer: String,
    /// When it was drafted.
    pub created_at: Timestamp,
    /// The issue report it was escalated from.
    pub from_report: Option<RecordId>,
    /// The problems.
    pub items: Vec<OrderItem>,
    /// The event log, in document order.
    pub events: Vec<Event>,
}

/// What an inspector fills in for a new order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewOrder {
    /// A short title.
    pub title: String,
    /// Compound code.
    pub compound: String,
    /// Property company code.
    pub company: String,
    /// Deadline.
    pub deadline: Timestamp,
    /// The problems.
    pub items: Vec<NewOrderItem>,
    /// The issue report it comes from.
    pub from_report: Option<RecordId>,
}

/// One problem of a new order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewOrderItem {
    /// What is wrong.
    pub description: String,
    /// How serious.
    pub severity: Severity,
    /// Photos of the problem.
    pub before_photos: Vec<PhotoRef>,
}

/// Reads an order document.
pub fn read(doc: &impl ReadDoc, id: &RecordId) -> Result<Order, RecordError> {
    super::expect_kind(doc, id, RecordKind::Order)?;
    let s = |k: &str| read::string(doc, &ROOT, k).unwrap_or_default();
    let mut items = Vec::new();
    if let Some(list) = read::object(doc, &ROOT, "items", ObjType::List) {
        for item in doc.list_range(&list, ..) {
            if let automerge::ValueRef::Object(ObjType::Map) = item.value {
                let obj = item.id();
                let g = |k: &str| read::string(doc, &obj, k).unwrap_or_default();
                items.push(OrderItem {
                    id: g("id"),
                    description: g("description"),
                    severity: Severity::parse(&g("severity")),
                    before_photos: read_photos(doc, &obj),
                });
            }
        }
    }
    Ok(Order {
        id: id.clone(),
        title: s("title"),
        compound: s("compound"),
        company: s("company"),
        deadline: Timestamp(read::int(doc, &ROOT, "deadline").unwrap_or(0)),
        issuer: s("issuer"),
        created_at: Timestamp(read::int(doc, &ROOT, "created_at").unwrap_or(0)),
        from_report: read::string(doc, &ROOT, "from_report")
            .filter(|r| !r.is_empty())
            .map(RecordId::from_string),
        items,
        events: read_events(doc),
    })
}

/// Lays out a new order document (a draft: nothing is issued until the issue event).
pub fn write_new(
    doc: &mut AutoCommit,
    new: &NewOrder,
    issuer: &str,
    now: Timestamp,
) -> Result<(), automerge::AutomergeError> {
    doc.put(ROOT, "kind", RecordKind::Order.as_str())?;
    doc.put(ROOT, "schema", 1)?;
    doc.put(ROOT, "title", new.title.as_str())?;
    doc.put(ROOT, "compound", new.compound.as_str())?;
    doc.put(ROOT, "company", new.company.as_str())?;
    doc.put(ROOT, "deadline", new.deadline.0)?;
    doc.put(ROOT, "issuer", issuer)?;
    doc.put(ROOT, "created_at", now.0)?;
    if let Some(r) = &new.from_report {
        doc.put(ROOT, "from_report", r.as_str())?;
    }
    let items = doc.put_object(ROOT, "items", ObjType::List)?;
    for (i, item) in new.items.iter().enumerate() {
        let obj = doc.insert_object(&items, i, ObjType::Map)?;
        doc.put(&obj, "id", format!("item-{}", i + 1))?;
        doc.put(&obj, "description", item.description.as_str())?;
        doc.put(&obj, "severity", item.severity.as_str())?;
        write_photos(doc, &obj, &item.before_photos)?;
    }
    doc.put_object(ROOT, "events", ObjType::List)?;
    Ok(())
}
