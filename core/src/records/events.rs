//! Append-only event logs inside a document, shared by orders and reports.
//!
//! State with a lifecycle is a log of events, not a field (DESIGN.md): each device appends,
//! automerge keeps every append, and the state is a deterministic fold of the log. Each event
//! records `seen`, the number of events its author's log held when they acted; the fold orders
//! events by `seen` (so an event always comes after every event its author saw), then by the
//! kind's priority (so of two concurrent events the more cautious counts first), then by id.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};
use serde::{Deserialize, Serialize};

use super::automerge_read as read;
use super::photo_ref::PhotoRef;
use super::role::Role;
use crate::time::Timestamp;

/// One event as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Made on the device that appended it.
    pub id: String,
    /// What happened (`issue`, `answer`, `assign`, …).
    pub kind: String,
    /// Who did it.
    pub by: String,
    /// In which role.
    pub role: Role,
    /// For company staff: the company they acted for.
    pub company: Option<String>,
    /// When, by the author's clock.
    pub at: Timestamp,
    /// How many events the author's log held when they acted.
    pub seen: u32,
    /// The items it concerns (orders).
    pub items: Vec<String>,
    /// A person: the assignee of a report.
    pub assignee: Option<String>,
    /// A linked record: the order a report was escalated into.
    pub link: Option<String>,
    /// A comment.
    pub note: String,
    /// Photos (an answer's after-photos).
    pub photos: Vec<PhotoRef>,
}

impl Event {
    /// A new event of `kind` by `actor`, to be completed by the caller.
    pub fn new(kind: &str, actor: &crate::Actor, at: Timestamp) -> Event {
        Event {
            id: uuid::Uuid::now_v7().simple().to_string(),
            kind: kind.to_owned(),
            by: actor.user_id.clone(),
            role: actor.role,
            company: actor.company.clone(),
            at,
            seen: 0,
            items: Vec::new(),
            assignee: None,
            link: None,
            note: String::new(),
            photos: Vec::new(),
        }
    }
}

/// Reads the `events` list of a document, in list order.
pub fn read_events(doc: &impl ReadDoc) -> Vec<Event> {
    let objs = read::list_of_maps(doc, &ROOT, "events");
    objs.iter()
        .map(|obj| {
            let s = |k: &str| read::string(doc, obj, k).unwrap_or_default();
            let opt = |k: &str| read::string(doc, obj, k).filter(|v| !v.is_empty());
            let items = read::object(doc, obj, "items", ObjType::List)
                .map(|l| {
                    doc.list_range(&l, ..)
                        .filter_map(|i| match i.value {
                            automerge::ValueRef::Scalar(automerge::ScalarValueRef::Str(s)) => {
                                Some(s.to_string())
                            }
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default();
            Event {
                id: s("id"),
                kind: s("kind"),
                by: s("by"),
                role: Role::parse(&s("role")).unwrap_or(Role::GridWorker),
                company: opt("company"),
                at: Timestamp(read::int(doc, obj, "at").unwrap_or(0)),
                seen: read::int(doc, obj, "seen")
                    .unwrap_or(0)
                    .clamp(0, i64::from(u32::MAX)) as u32,
                items,
                assignee: opt("assignee"),
                link: opt("link"),
                note: s("note"),
                photos: super::household::read_photos(doc, obj),
            }
        })
        .collect()
}

/// Appends an event at the end of the list; `seen` is set to the current length.
pub fn append_event(doc: &mut AutoCommit, event: &Event) -> Result<(), automerge::AutomergeError> {
    let list = match read::object(doc, &ROOT, "events", ObjType::List) {
        Some(l) => l,
        None => doc.put_object(ROOT, "events", ObjType::List)?,
    };
    let at = doc.length(&list);
    let obj = doc.insert_object(&list, at, ObjType::Map)?;
    doc.put(&obj, "id", event.id.as_str())?;
    doc.put(&obj, "kind", event.kind.as_str())?;
    doc.put(&obj, "by", event.by.as_str())?;
    doc.put(&obj, "role", event.role.as_str())?;
    if let Some(c) = &event.company {
        doc.put(&obj, "company", c.as_str())?;
    }
    doc.put(&obj, "at", event.at.0)?;
    doc.put(&obj, "seen", at as i64)?;
    if !event.items.is_empty() {
        let items = doc.put_object(&obj, "items", ObjType::List)?;
        for (i, item) in event.items.iter().enumerate() {
            doc.insert(&items, i, item.as_str())?;
        }
    }
    if let Some(a) = &event.assignee {
        doc.put(&obj, "assignee", a.as_str())?;
    }
    if let Some(l) = &event.link {
        doc.put(&obj, "link", l.as_str())?;
    }
    doc.put(&obj, "note", event.note.as_str())?;
    super::household::write_photos(doc, &obj, &event.photos)?;
    Ok(())
}

/// The events in fold order: by `seen`, then by the priority `rank` gives the kind, then by id.
pub fn fold_order(mut events: Vec<Event>, rank: impl Fn(&str) -> u8) -> Vec<Event> {
    events.sort_by(|a, b| (a.seen, rank(&a.kind), &a.id).cmp(&(b.seen, rank(&b.kind), &b.id)));
    events
}
