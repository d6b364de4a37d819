//! Orders, reports, to-dos and ratings for the apps: records for the screens and methods on
//! `GridwalkStore` that call the core's inspection API.

use gridwalk_core::records::order as o;
use gridwalk_core::records::report as r;
use gridwalk_core::rules;
use gridwalk_core::rules::order::OrderStatus as CoreOrderStatus;
use gridwalk_core::rules::report::ReportStatus as CoreReportStatus;
use gridwalk_core::store::inspection as i;
use gridwalk_core::{RecordId, Timestamp, VisitId};

use crate::error::Result;
use crate::store::GridwalkStore;
use crate::types::{Actor, Location, PhotoRef};

/// A status of a rectification order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum OrderStatus {
    /// Being written by the inspector; the company does not see a demand yet.
    Draft,
    /// Sent to the company.
    Issued,
    /// The company has seen it.
    Acknowledged,
    /// Every item answered; waiting for the inspector.
    Answered,
    /// The inspector sent items back.
    Reopened,
    /// Done.
    Verified,
    /// Withdrawn.
    Cancelled,
}

impl From<CoreOrderStatus> for OrderStatus {
    fn from(s: CoreOrderStatus) -> Self {
        use CoreOrderStatus as S;
        match s {
            S::Draft => OrderStatus::Draft,
            S::Issued => OrderStatus::Issued,
            S::Acknowledged => OrderStatus::Acknowledged,
            S::Answered => OrderStatus::Answered,
            S::Reopened => OrderStatus::Reopened,
            S::Verified => OrderStatus::Verified,
            S::Cancelled => OrderStatus::Cancelled,
        }
    }
}

impl From<OrderStatus> for CoreOrderStatus {
    fn from(s: OrderStatus) -> Self {
        use CoreOrderStatus as S;
        match s {
            OrderStatus::Draft => S::Draft,
            OrderStatus::Issued => S::Issued,
            OrderStatus::Acknowledged => S::Acknowledged,
            OrderStatus::Answered => S::Answered,
            OrderStatus::Reopened => S::Reopened,
            OrderStatus::Verified => S::Verified,
            OrderStatus::Cancelled => S::Cancelled,
        }
    }
}

/// Where one item of an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ItemState {
    /// Not answered yet.
    Open,
    /// Answered with after-photos.
    Answered,
    /// Sent back by the inspector.
    Reopened,
}

impl From<rules::order::ItemState> for ItemState {
    fn from(s: rules::order::ItemState) -> Self {
        use rules::order::ItemState as S;
        match s {
            S::Open => ItemState::Open,
            S::Answered => ItemState::Answered,
            S::Reopened => ItemState::Reopened,
        }
    }
}

/// How serious an item is; weighs in the company's rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Severity {
    /// 一般.
    Minor,
    /// 较重.
    Major,
    /// 严重: a safety risk.
    Critical,
}

impl From<Severity> for o::Severity {
    fn from(s: Severity) -> Self {
        match s {
            Severity::Minor => o::Severity::Minor,
            Severity::Major => o::Severity::Major,
            Severity::Critical => o::Severity::Critical,
        }
    }
}

impl From<o::Severity> for Severity {
    fn from(s: o::Severity) -> Self {
        match s {
            o::Severity::Major => Severity::Major,
            o::Severity::Critical => Severity::Critical,
            // A severity from a newer app: it weighs as minor in ratings, and shows so.
            o::Severity::Minor | o::Severity::Other(_) => Severity::Minor,
        }
    }
}

/// A status of an issue report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ReportStatus {
    /// Reported, nobody assigned.
    Reported,
    /// Someone is to handle it.
    Assigned,
    /// Being handled.
    InProgress,
    /// Handled; waiting for a supervisor to close it.
    Resolved,
    /// Done.
    Closed,
    /// Sent back after being resolved or closed.
    Reopened,
}

impl From<CoreReportStatus> for ReportStatus {
    fn from(s: CoreReportStatus) -> Self {
        use CoreReportStatus as S;
        match s {
            S::Reported => ReportStatus::Reported,
            S::Assigned => ReportStatus::Assigned,
            S::InProgress => ReportStatus::InProgress,
            S::Resolved => ReportStatus::Resolved,
            S::Closed => ReportStatus::Closed,
            S::Reopened => ReportStatus::Reopened,
        }
    }
}

impl From<ReportStatus> for CoreReportStatus {
    fn from(s: ReportStatus) -> Self {
        use CoreReportStatus as S;
        match s {
            ReportStatus::Reported => S::Reported,
            ReportStatus::Assigned => S::Assigned,
            ReportStatus::InProgress => S::InProgress,
            ReportStatus::Resolved => S::Resolved,
            ReportStatus::Closed => S::Closed,
            ReportStatus::Reopened => S::Reopened,
        }
    }
}

/// A company's colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RatingColor {
    /// Handles its orders well.
    Green,
    /// Warned.
    Yellow,
    /// Called in for an interview.
    Red,
}

impl From<rules::rating::Color> for RatingColor {
    fn from(c: rules::rating::Color) -> Self {
        use rules::rating::Color as C;
        match c {
            C::Green => RatingColor::Green,
            C::Yellow => RatingColor::Yellow,
            C::Red => RatingColor::Red,
        }
    }
}

/// Which orders a list shows.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum OrderFilter {
    /// Open orders the actor must act on or issued: an inspector's own, a company's.
    MyOpen,
    /// Open orders past their deadline.
    Overdue,
    /// Orders of a company.
    Company {
        /// Company code.
        company: String,
    },
    /// Orders in a compound.
    Compound {
        /// Compound code.
        compound: String,
    },
    /// Orders in a status.
    Status {
        /// The status.
        status: OrderStatus,
    },
}

impl From<OrderFilter> for i::OrderFilter {
    fn from(f: OrderFilter) -> Self {
        match f {
            OrderFilter::MyOpen => i::OrderFilter::MyOpen,
            OrderFilter::Overdue => i::OrderFilter::Overdue,
            OrderFilter::Company { company } => i::OrderFilter::Company(company),
            OrderFilter::Compound { compound } => i::OrderFilter::Compound(compound),
            OrderFilter::Status { status } => i::OrderFilter::Status(status.into()),
        }
    }
}

/// Which reports a list shows.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum ReportFilter {
    /// Reports in a status.
    Status {
        /// The status.
        status: ReportStatus,
    },
    /// Reports of a category.
    Category {
        /// Category code (reference data of kind `Category`).
        category: String,
    },
}

impl From<ReportFilter> for i::ReportFilter {
    fn from(f: ReportFilter) -> Self {
        match f {
            ReportFilter::Status { status } => i::ReportFilter::Status(status.into()),
            ReportFilter::Category { category } => i::ReportFilter::Category(category),
        }
    }
}

/// One item of a new order.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NewOrderItem {
    /// What is wrong.
    pub description: String,
    /// How serious.
    pub severity: Severity,
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
                    severity: x.severity.into(),
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

/// A row of an order list.
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
    /// Status.
    pub status: OrderStatus,
    /// Deadline (ms).
    pub deadline: i64,
    /// Past its deadline and waiting for the company.
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
            status: s.status.into(),
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
    /// Items it names.
    pub items: Vec<String>,
    /// Photos it carries (after-photos of an answer).
    pub photos: Vec<PhotoRef>,
    /// Whether it counted.
    pub counted: bool,
    /// Why not.
    pub reason: Option<crate::messages::Message>,
}

fn history(h: Vec<rules::order::FoldedEvent>) -> Vec<HistoryEntry> {
    h.into_iter()
        .map(|e| HistoryEntry {
            kind: e.event.kind,
            by: e.event.by,
            at: e.event.at.0,
            note: e.event.note,
            items: e.event.items,
            photos: e.event.photos.into_iter().map(Into::into).collect(),
            counted: e.counted,
            reason: e.reason.map(Into::into),
        })
        .collect()
}

/// An item and where it stands.
#[derive(Debug, Clone, uniffi::Record)]
pub struct OrderItemState {
    /// Item id.
    pub id: String,
    /// Description.
    pub description: String,
    /// How serious.
    pub severity: Severity,
    /// Photos of the problem.
    pub before_photos: Vec<PhotoRef>,
    /// Where it stands.
    pub state: ItemState,
}

/// An order's detail screen.
#[derive(Debug, Clone, uniffi::Record)]
pub struct OrderDetail {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Compound.
    pub compound: String,
    /// Company.
    pub company: String,
    /// Who issued it.
    pub issuer: String,
    /// Deadline (ms).
    pub deadline: i64,
    /// Past its deadline and waiting for the company, at the time asked.
    pub overdue: bool,
    /// The report it was escalated from.
    pub from_report: Option<String>,
    /// Status.
    pub status: OrderStatus,
    /// Items.
    pub items: Vec<OrderItemState>,
    /// History.
    pub history: Vec<HistoryEntry>,
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
    /// Grid.
    pub grid: String,
    /// Compound (empty when none).
    pub compound: String,
    /// Who reported it.
    pub reporter: String,
    /// When (ms).
    pub created_at: i64,
    /// Where.
    pub location: Option<Location>,
    /// Photos.
    pub photos: Vec<PhotoRef>,
    /// Status.
    pub status: ReportStatus,
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
    pub status: ReportStatus,
    /// Reporter.
    pub reporter: String,
    /// Assignee.
    pub assignee: Option<String>,
    /// When reported (ms).
    pub created_at: i64,
}

impl From<i::ReportSummary> for ReportSummary {
    fn from(s: i::ReportSummary) -> Self {
        ReportSummary {
            id: s.id.to_string(),
            category: s.category,
            description: s.description,
            status: s.status.into(),
            reporter: s.reporter,
            assignee: s.assignee,
            created_at: s.created_at.0,
        }
    }
}

/// A new issue report.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NewReport {
    /// Category code (reference data of kind `Category`).
    pub category: String,
    /// Description.
    pub description: String,
    /// Grid.
    pub grid: String,
    /// Compound (may be empty).
    pub compound: String,
    /// Where.
    pub location: Option<Location>,
    /// Photos.
    pub photos: Vec<PhotoRef>,
}

impl From<NewReport> for r::NewReport {
    fn from(n: NewReport) -> Self {
        r::NewReport {
            category: n.category,
            description: n.description,
            grid: n.grid,
            compound: n.compound,
            location: n.location.map(Into::into),
            photos: n.photos.into_iter().map(Into::into).collect(),
        }
    }
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
    /// Supervisor: send back to the assignee.
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
    /// What to do: `visit_sent_back`, `handle_report`, `report_sent_back`,
    /// `acknowledge_order`, `answer_order`, `verify_order`.
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
    /// Colour from the score.
    pub color: RatingColor,
    /// Issued orders considered.
    pub orders: u32,
    /// On-time rate of due orders, 0–1.
    pub on_time_rate: f64,
    /// Orders past their deadline that still await the company.
    pub overdue: u32,
    /// Reopen events.
    pub reopened: u32,
}

impl From<rules::rating::Rating> for CompanyRating {
    fn from(r: rules::rating::Rating) -> Self {
        CompanyRating {
            company: r.company,
            score: r.score,
            color: r.color.into(),
            orders: r.orders,
            on_time_rate: r.on_time_rate,
            overdue: r.overdue,
            reopened: r.reopened,
        }
    }
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

    /// An order's detail; `overdue` as of `now_ms`.
    pub fn order(&self, order_id: String, now_ms: i64) -> Result<OrderDetail> {
        let d = self.inner.order(&RecordId::from(order_id.as_str()))?;
        let overdue = rules::order::is_overdue(&d.order, &d.state, Timestamp(now_ms));
        Ok(OrderDetail {
            id: d.order.id.to_string(),
            title: d.order.title,
            compound: d.order.compound,
            company: d.order.company,
            issuer: d.order.issuer,
            deadline: d.order.deadline.0,
            overdue,
            from_report: d.order.from_report.map(|r| r.to_string()),
            status: d.state.status.into(),
            items: d
                .order
                .items
                .into_iter()
                .zip(d.state.items)
                .map(|(item, (_, state))| OrderItemState {
                    id: item.id,
                    description: item.description,
                    severity: item.severity.into(),
                    before_photos: item.before_photos.into_iter().map(Into::into).collect(),
                    state: state.into(),
                })
                .collect(),
            history: history(d.state.history),
        })
    }

    /// Orders of a list, as of `now_ms` (for overdue).
    pub fn list_orders(
        &self,
        actor: Actor,
        filter: OrderFilter,
        now_ms: i64,
        limit: u32,
    ) -> Result<Vec<OrderSummary>> {
        Ok(self
            .inner
            .list_orders(&actor.into(), &filter.into(), Timestamp(now_ms), limit)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Grid worker: reports a problem; returns its id.
    pub fn create_report(&self, actor: Actor, report: NewReport, now_ms: i64) -> Result<String> {
        Ok(self
            .inner
            .create_report(&actor.into(), &report.into(), Timestamp(now_ms))?
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

    /// Inspector: turns a report into a draft order of its compound; both keep the link.
    /// Returns the order's id.
    pub fn escalate_report(
        &self,
        actor: Actor,
        report_id: String,
        order: NewOrder,
        now_ms: i64,
    ) -> Result<String> {
        Ok(self
            .inner
            .escalate_report(
                &actor.into(),
                &RecordId::from(report_id.as_str()),
                &order.into(),
                Timestamp(now_ms),
            )?
            .to_string())
    }

    /// Reviewer: marks a visit "has issues"; it comes back to the worker as a to-do.
    pub fn send_back_visit(
        &self,
        actor: Actor,
        household_id: String,
        visit_id: String,
        note: String,
        now_ms: i64,
    ) -> Result<()> {
        Ok(self.inner.send_back_visit(
            &actor.into(),
            &RecordId::from(household_id.as_str()),
            &VisitId::from(visit_id.as_str()),
            &note,
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
            grid: d.report.grid,
            compound: d.report.compound,
            reporter: d.report.reporter,
            created_at: d.report.created_at.0,
            location: d.report.location.map(Into::into),
            photos: d.report.photos.into_iter().map(Into::into).collect(),
            status: d.state.status.into(),
            assignee: d.state.assignee,
            escalated_to: d.state.escalated_to,
            history: history(d.state.history),
        })
    }

    /// Reports of a list, newest first.
    pub fn list_reports(&self, filter: ReportFilter, limit: u32) -> Result<Vec<ReportSummary>> {
        Ok(self
            .inner
            .list_reports(&filter.into(), limit)?
            .into_iter()
            .map(Into::into)
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
            .map(Into::into)
            .collect())
    }
}
