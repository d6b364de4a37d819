//! Any record, read from its document: what the store, the change log and the rules need
//! without knowing which kind of record they hold.

use automerge::ReadDoc;

use super::RecordKind;
use super::error::RecordError;
use super::household::{self, Household};
use super::order::{self, Order};
use super::photo_ref::PhotoRef;
use super::report::{self, Report};
use crate::ids::RecordId;

/// A typed view of a record of any kind.
#[derive(Debug, Clone, PartialEq)]
pub enum RecordView {
    /// A household.
    Household(Household),
    /// A rectification order.
    Order(Order),
    /// An issue report.
    Report(Report),
}

impl RecordView {
    /// Reads the document as a record of `kind`.
    pub fn read(
        kind: RecordKind,
        doc: &impl ReadDoc,
        id: &RecordId,
    ) -> Result<RecordView, RecordError> {
        Ok(match kind {
            RecordKind::Household => RecordView::Household(household::read(doc, id)?),
            RecordKind::Order => RecordView::Order(order::read(doc, id)?),
            RecordKind::Report => RecordView::Report(report::read(doc, id)?),
        })
    }

    /// The record's id.
    pub fn id(&self) -> &RecordId {
        match self {
            RecordView::Household(h) => &h.id,
            RecordView::Order(o) => &o.id,
            RecordView::Report(r) => &r.id,
        }
    }

    /// The record's kind.
    pub fn kind(&self) -> RecordKind {
        match self {
            RecordView::Household(_) => RecordKind::Household,
            RecordView::Order(_) => RecordKind::Order,
            RecordView::Report(_) => RecordKind::Report,
        }
    }

    /// The scopes the record belongs to: a device receives it if it has any of them.
    /// Households belong to their grid; reports to their grid and, when in one, their compound
    /// (inspectors hold compounds, not grids, and escalate reports into orders; company staff
    /// hold only `company:` scopes, so reports never reach them); orders to their compound and
    /// their company.
    pub fn scopes(&self) -> Vec<String> {
        match self {
            RecordView::Household(h) => vec![format!("grid:{}", h.address.grid)],
            RecordView::Report(r) if r.compound.is_empty() => vec![format!("grid:{}", r.grid)],
            RecordView::Report(r) => vec![
                format!("grid:{}", r.grid),
                format!("compound:{}", r.compound),
            ],
            RecordView::Order(o) => vec![
                format!("compound:{}", o.compound),
                format!("company:{}", o.company),
            ],
        }
    }

    /// Every photo the record refers to, with its role (`full` or `thumb`).
    pub fn photo_hashes(&self) -> Vec<(&str, &'static str)> {
        let refs: Vec<&PhotoRef> = match self {
            RecordView::Household(h) => h.photos().collect(),
            RecordView::Report(r) => r
                .photos
                .iter()
                .chain(r.events.iter().flat_map(|e| e.photos.iter()))
                .collect(),
            RecordView::Order(o) => o
                .items
                .iter()
                .flat_map(|i| i.before_photos.iter())
                .chain(o.events.iter().flat_map(|e| e.photos.iter()))
                .collect(),
        };
        refs.into_iter()
            .flat_map(|p| [(p.full.as_str(), "full"), (p.thumb.as_str(), "thumb")])
            .collect()
    }
}
