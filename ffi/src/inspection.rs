//! Orders, reports, to-dos and ratings for the apps: records for the screens and methods on
//! `GridwalkStore` that call the core's inspection API.

use gridwalk_core::records::order as o;
use gridwalk_core::records::report as r;
use gridwalk_core::rules::order::OrderStatus;
use gridwalk_core::rules::report::ReportStatus;
use gridwalk_core::store::inspection as i;
use gridwalk_core::{RecordId, Timestamp};

use crate::error::{GridwalkError, Result};
use crate::store::GridwalkStore;
use crate::types::{Actor, PhotoRef};

/// One item of a new order.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NewOrderItem {
    /// What is wrong.
    pub description: String,
    /// `minor`, `major` or `critical`.
    pub severity: String,
    /// Photos of the problem.
    pub before_photos: Vec<PhotoRef>,
}

/// A new rectification order.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NewOrder {
    /// Title.
    pub title: String,
    /// Compound code.
    pub compound: String,
    /// Company code.
    pub company: String,
    /// Deadline (ms).
    pub deadline: i64,
    /// Items.
    pub items: Vec<NewOrderItem>,
}

impl From<NewOrder> for o::NewOrder {
    fn from(n: NewOrder) -> Self {
        o::NewOrder {
            title: n.title,
            compound: n.compound,
            company: n.company,
            deadline: Timestamp(n.deadline),
            items: n
                .items
                .into_iter()
                .map(|x| o::NewOrderItem {
                    description: x.description,
                    severity: o::Severity::parse(&x.severity),
                    before_photos: x.before_photos.into_iter().map(Into::into).collect(),
                })
                .collect(),
            from_report: None,
        }
    }
}

/// Something done to an order.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum OrderAction {
    /// Inspector: issue the draft.
    Issue,
    /// Company: acknowledge.
    Acknowledge,
    /// Company: answer items with after-photos.
    Answer {
        /// Item ids.
        items: Vec<String>,
        /// What was done.
        note: String,
        /// After-photos.
        photos: Vec<PhotoRef>,
    },
    /// Inspector: verify.
    Verify,
    /// Inspector: send items back.
    Reopen {
        /// Item ids.
        items: Vec<String>,
        /// What is still wrong.
        note: String,
    },
    /// Inspector: cancel.
    Cancel {
        /// Why.
        note: String,
    },
}

impl From<OrderAction> for i::OrderAction {
    fn from(a: OrderAction) -> Self {
        match a {
            OrderAction::Issue => i::OrderAction::Issue,
            OrderAction::Acknowledge => i::OrderAction::Acknowledge,
            OrderAction::Answer {
                items,
                note,
                photos,
            } => i::OrderAction::Answer {
                items,
                note,
                photos: photos.into_iter().map(Into::into).collect(),
            },
            OrderAction::Verify => i::OrderAction::Verify,
            OrderAction::Reopen { items, note } => i::OrderAction::Reopen { items, note },
            OrderAction::Cancel { note } => i::OrderAction::Cancel { note },
        }
    }
}

/// A row of an order list, or an order's headline.
#[derive(Debug, Clone, uniffi::Record)]
pub struct OrderSummary {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Compound.
    pub compound: String,
    /// Company.
    pub company: String,
    /// `draft`, `issued`, `acknowledged`, `answered`, `reopened`, `verified`, `cancelled`.
    pub status: String,
    /// Deadline (ms).
    pub deadline: i64,
    /// Past its deadline and open.
    pub overdue: bool,
    /// Items answered.
    pub items_answered: u32,
    /// Items.
    pub items_total: u32,
}

impl From<i::OrderSummary> for OrderSummary {
    fn from(s: i::OrderSummary) -> Self {
        OrderSummary {
            id: s.id.to_string(),
            title: s.title,
            compound: s.compound,
            company: s.company,
            status: s.status.as_str().into(),
            deadline: s.deadline.0,
            overdue: s.overdue,
            items_answered: s.items_answered,
            items_total: s.items_total,
        }
    }
}

/// One event of a history, as the fold judged it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct HistoryEntry {
    /// Kind (`issue`, `answer`, …).
    pub kind: String,
    /// Who.
    pub by: String,
    /// When (ms).
    pub at: i64,
    /// Comment.
    pub note: String,
    /// Whether it counted.
    pub counted: bool,
    /// Why not.
    pub reason: Option<String>,
}

fn history(h: Vec<gridwalk_core::rules::order::FoldedEvent>) -> Vec<HistoryEntry> {
    h.into_iter()
        .map(|e| HistoryEntry {
            kind: e.event.kind,
            by: e.event.by,
            at: e.event.at.0,
            note: e.event.note,
            counted: e.counted,
            reason: e.reason,
        })
        .collect()
}

/// An order's detail screen.
#[derive(Debug, Clone, uniffi::Record)]
pub struct OrderDetail {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Status.
    pub status: String,
    /// Items: (id, description, state).
    pub items: Vec<OrderItemState>,
    /// History.
    pub history: Vec<HistoryEntry>,
}

/// An item and its state.
#[derive(Debug, Clone, uniffi::Record)]
pub struct OrderItemState {
    /// Item id.
    pub id: String,
    /// Description.
    pub description: String,
    /// `open`, `answered` or `reopened`.
    pub state: String,
}

/// A report's detail screen.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ReportDetail {
    /// Id.
    pub id: String,
    /// Category.
    pub category: String,
    /// Description.
    pub description: String,
    /// `reported`, `assigned`, `in_progress`, `resolved`, `closed`, `reopened`.
    pub status: String,
    /// Assignee.
    pub assignee: Option<String>,
    /// The order it was escalated into.
    pub escalated_to: Option<String>,
    /// History.
    pub history: Vec<HistoryEntry>,
}

/// A row of a report list.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ReportSummary {
    /// Id.
    pub id: String,
    /// Category.
    pub category: String,
    /// Description.
    pub description: String,
    /// Status.
    pub status: String,
    /// Reporter.
    pub reporter: String,
    /// Assignee.
    pub assignee: Option<String>,
    /// When reported (ms).
    pub created_at: i64,
}

/// A new issue report.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NewReport {
    /// Category code.
    pub category: String,
    /// Description.
    pub description: String,
    /// Grid.
    pub grid: String,
    /// Compound (may be empty).
    pub compound: String,
    /// Photos.
    pub photos: Vec<PhotoRef>,
}

/// Something done to a report.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum ReportAction {
    /// Supervisor: assign.
    Assign {
        /// User id.
        assignee: String,
    },
    /// Assignee: start.
    Start,
    /// Resolve.
    Resolve {
        /// How.
        note: String,
    },
    /// Supervisor: close.
    Close,
    /// Supervisor: reopen.
    Reopen {
        /// Why.
        note: String,
    },
    /// Supervisor: send back.
    SendBack {
        /// What is wrong.
        note: String,
    },
}

impl From<ReportAction> for i::ReportAction {
    fn from(a: ReportAction) -> Self {
        match a {
            ReportAction::Assign { assignee } => i::ReportAction::Assign { assignee },
            ReportAction::Start => i::ReportAction::Start,
            ReportAction::Resolve { note } => i::ReportAction::Resolve { note },
            ReportAction::Close => i::ReportAction::Close,
            ReportAction::Reopen { note } => i::ReportAction::Reopen { note },
            ReportAction::SendBack { note } => i::ReportAction::SendBack { note },
        }
    }
}

/// One of my to-dos.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Todo {
    /// Record to act on.
    pub record_id: String,
    /// What to do.
    pub kind: String,
    /// Comment.
    pub note: String,
    /// Since (ms).
    pub since: i64,
}

/// A company's rating.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CompanyRating {
    /// Company.
    pub company: String,
    /// 0–100.
    pub score: i32,
    /// `green`, `yellow` or `red`.
    pub color: String,
    /// Open orders past their deadline.
    pub overdue: u32,
}

fn parse_order_status(s: &str) -> Result<OrderStatus> {
    OrderStatus::parse(s).ok_or_else(|| GridwalkError::Refused {
        reason: format!("{s:?} is not an order status"),
    })
}

#[uniffi::export]
impl GridwalkStore {
    /// Inspector: drafts an order; returns its id.
    pub fn create_order(&self, actor: Actor, order: NewOrder, now_ms: i64) -> Result<String> {
        Ok(self
            .inner
            .create_order(&actor.into(), &order.into(), Timestamp(now_ms))?
            .to_string())
    }

    /// Acts on an order (refused with the reason if the rules do not allow it now).
    pub fn act_on_order(
        &self,
        actor: Actor,
        order_id: String,
        action: OrderAction,
        now_ms: i64,
    ) -> Result<()> {
        Ok(self.inner.act_on_order(
            &actor.into(),
            &RecordId::from(order_id.as_str()),
            &action.into(),
            Timestamp(now_ms),
        )?)
    }

    /// An order's detail.
    pub fn order(&self, order_id: String) -> Result<OrderDetail> {
        let d = self.inner.order(&RecordId::from(order_id.as_str()))?;
        Ok(OrderDetail {
            id: d.order.id.to_string(),
            title: d.order.title.clone(),
            status: d.state.status.as_str().into(),
            items: d
                .order
                .items
                .iter()
                .zip(&d.state.items)
                .map(|(item, (_, state))| OrderItemState {
                    id: item.id.clone(),
                    description: item.description.clone(),
                    state: format!("{state:?}").to_lowercase(),
                })
                .collect(),
            history: history(d.state.history),
        })
    }

    /// Orders: `filter` is `my_open`, `overdue`, `company:<code>`, `compound:<code>` or
    /// `status:<status>`.
    pub fn list_orders(
        &self,
        actor: Actor,
        filter: String,
        now_ms: i64,
        limit: u32,
    ) -> Result<Vec<OrderSummary>> {
        let filter = match filter.split_once(':') {
            None if filter == "my_open" => i::OrderFilter::MyOpen,
            None if filter == "overdue" => i::OrderFilter::Overdue,
            Some(("company", c)) => i::OrderFilter::Company(c.into()),
            Some(("compound", c)) => i::OrderFilter::Compound(c.into()),
            Some(("status", s)) => i::OrderFilter::Status(parse_order_status(s)?),
            _ => {
                return Err(GridwalkError::Refused {
                    reason: format!("{filter:?} is not an order list"),
                });
            }
        };
        Ok(self
            .inner
            .list_orders(&actor.into(), &filter, Timestamp(now_ms), limit)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Grid worker: reports a problem; returns its id.
    pub fn create_report(&self, actor: Actor, report: NewReport, now_ms: i64) -> Result<String> {
        let new = r::NewReport {
            category: report.category,
            description: report.description,
            grid: report.grid,
            compound: report.compound,
            location: None,
            photos: report.photos.into_iter().map(Into::into).collect(),
        };
        Ok(self
            .inner
            .create_report(&actor.into(), &new, Timestamp(now_ms))?
            .to_string())
    }

    /// Acts on a report.
    pub fn act_on_report(
        &self,
        actor: Actor,
        report_id: String,
        action: ReportAction,
        now_ms: i64,
    ) -> Result<()> {
        Ok(self.inner.act_on_report(
            &actor.into(),
            &RecordId::from(report_id.as_str()),
            &action.into(),
            Timestamp(now_ms),
        )?)
    }

    /// A report's detail.
    pub fn report(&self, report_id: String) -> Result<ReportDetail> {
        let d = self.inner.report(&RecordId::from(report_id.as_str()))?;
        Ok(ReportDetail {
            id: d.report.id.to_string(),
            category: d.report.category,
            description: d.report.description,
            status: d.state.status.as_str().into(),
            assignee: d.state.assignee,
            escalated_to: d.state.escalated_to,
            history: history(d.state.history),
        })
    }

    /// Reports in a status, newest first.
    pub fn list_reports_by_status(&self, status: String, limit: u32) -> Result<Vec<ReportSummary>> {
        let status = ReportStatus::parse(&status).ok_or_else(|| GridwalkError::Refused {
            reason: format!("{status:?} is not a report status"),
        })?;
        Ok(self
            .inner
            .list_reports(&i::ReportFilter::Status(status), limit)?
            .into_iter()
            .map(|s| ReportSummary {
                id: s.id.to_string(),
                category: s.category,
                description: s.description,
                status: s.status.as_str().into(),
                reporter: s.reporter,
                assignee: s.assignee,
                created_at: s.created_at.0,
            })
            .collect())
    }

    /// The actor's to-dos.
    pub fn my_todos(&self, actor: Actor) -> Result<Vec<Todo>> {
        Ok(self
            .inner
            .my_todos(&actor.into())?
            .into_iter()
            .map(|t| Todo {
                record_id: t.record_id.to_string(),
                kind: t.kind,
                note: t.note,
                since: t.since.0,
            })
            .collect())
    }

    /// Every company's rating at `now_ms`.
    pub fn company_ratings(&self, now_ms: i64) -> Result<Vec<CompanyRating>> {
        Ok(self
            .inner
            .company_ratings(Timestamp(now_ms))?
            .into_iter()
            .map(|r| CompanyRating {
                company: r.company,
                score: r.score,
                color: format!("{:?}", r.color).to_lowercase(),
                overdue: r.overdue,
            })
            .collect())
    }
}
