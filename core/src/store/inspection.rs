//! The inspection loop through the store: rectification orders, issue reports, send-backs,
//! to-dos and company ratings. Every action is an event appended to the record's log after the
//! rules said it may happen now; lists come from the projection tables.

use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use super::documents::{self, StoredDoc};
use super::{ChangeEvent, Origin, Store, am_error, commit_options, not_found_kind};
use crate::error::{Error, Result};
use crate::ids::{RecordId, VisitId};
use crate::photos::PhotoRef;
use crate::records::RecordKind;
use crate::records::events::{Event, append_event};
use crate::records::household::{HouseholdWriter, Review};
use crate::records::order::{self, NewOrder, Order};
use crate::records::report::{self, NewReport, Report};
use crate::records::view::RecordView;
use crate::rules::Refusal;
use crate::rules::household::Validation;
use crate::rules::order::{OrderState, OrderStatus};
use crate::rules::permissions::{Actor, Role};
use crate::rules::rating::{OrderFacts, Rating, rate};
use crate::rules::report::{ReportState, ReportStatus};
use crate::time::Timestamp;

/// What someone does to an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum OrderAction {
    /// Inspector: send the draft to the company.
    Issue,
    /// Company: we have seen it.
    Acknowledge,
    /// Company: these items are fixed; here are the after-photos.
    Answer {
        /// Item ids.
        items: Vec<String>,
        /// What was done.
        note: String,
        /// After-photos (at least one).
        photos: Vec<PhotoRef>,
    },
    /// Inspector: every item is fixed.
    Verify,
    /// Inspector: these items are not fixed (the send-back of an answer).
    Reopen {
        /// Item ids.
        items: Vec<String>,
        /// What is still wrong.
        note: String,
    },
    /// Inspector: withdraw the order.
    Cancel {
        /// Why.
        note: String,
    },
    /// Supervisor: urge the company to act (督办), while it owes an answer.
    Urge {
        /// What the company is told.
        note: String,
    },
}

/// What someone does to a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum ReportAction {
    /// Supervisor: give it to someone.
    Assign {
        /// User id.
        assignee: String,
    },
    /// Assignee: working on it.
    Start,
    /// Assignee or supervisor: handled.
    Resolve {
        /// How.
        note: String,
    },
    /// Supervisor: done.
    Close,
    /// Supervisor: not done after all.
    Reopen {
        /// Why.
        note: String,
    },
    /// Supervisor: "has issues", back to the responsible person.
    SendBack {
        /// What is wrong.
        note: String,
    },
}

/// An order with its folded state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderDetail {
    /// The record.
    pub order: Order,
    /// Status, items' states, judged history.
    pub state: OrderState,
}

/// A report with its folded state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportDetail {
    /// The record.
    pub report: Report,
    /// Status, assignee, judged history.
    pub state: ReportState,
}

/// Which orders a list shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderFilter {
    /// Open orders the actor must act on or issued: an inspector's own, a company's.
    MyOpen,
    /// Open orders past their deadline.
    Overdue,
    /// Orders of a company.
    Company(String),
    /// Orders in a compound.
    Compound(String),
    /// Orders in a status.
    Status(OrderStatus),
}

/// Which reports a list shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReportFilter {
    /// Reports in a status.
    Status(ReportStatus),
    /// Reports of a category.
    Category(String),
}

/// One row of an order list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSummary {
    /// The order.
    pub id: RecordId,
    /// Title.
    pub title: String,
    /// Compound code.
    pub compound: String,
    /// Company code.
    pub company: String,
    /// Status.
    pub status: OrderStatus,
    /// Deadline.
    pub deadline: Timestamp,
    /// Items answered of all.
    pub items_answered: u32,
    /// Items.
    pub items_total: u32,
    /// Whether it is past its deadline and open.
    pub overdue: bool,
}

/// One row of a report list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSummary {
    /// The report.
    pub id: RecordId,
    /// Category code.
    pub category: String,
    /// Description.
    pub description: String,
    /// Status.
    pub status: ReportStatus,
    /// Reporter.
    pub reporter: String,
    /// Assignee.
    pub assignee: Option<String>,
    /// When reported.
    pub created_at: Timestamp,
}

/// One of my to-dos.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TodoItem {
    /// The record to act on.
    pub record_id: RecordId,
    /// What to do (see `rules::todo`).
    pub kind: String,
    /// The comment that came with it.
    pub note: String,
    /// Since when.
    pub since: Timestamp,
}

fn event_of(actor: &Actor, kind: &str, now: Timestamp) -> Event {
    Event::new(kind, actor, now)
}

/// Refuses a report category the reference data does not list. A store whose reference data
/// lists no categories at all (an older server's) accepts any, so reporting keeps working
/// until categories are configured. Meant for both sides: the device calls it before filing,
/// and the server should call it on a pushed new report (see `Store::accept_pushed`).
pub(crate) fn check_category(conn: &Connection, category: &str) -> Result<()> {
    let (any, known): (bool, bool) = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM reference_item WHERE kind = 'category'),
                    EXISTS (SELECT 1 FROM reference_item WHERE kind = 'category' AND id = ?1)",
        )
        .and_then(|mut st| st.query_row([category], |r| Ok((r.get(0)?, r.get(1)?))))
        .map_err(Error::storage("reading report categories"))?;
    if any && !known {
        return Err(Refusal::Rule(
            crate::messages::Message::new("report.unknown_category").with("category", category),
        )
        .into());
    }
    Ok(())
}

impl Store {
    /// Inspector: drafts an order. Issue it with [`OrderAction::Issue`].
    pub fn create_order(&self, actor: &Actor, new: &NewOrder, now: Timestamp) -> Result<RecordId> {
        self.create_record(actor, RecordKind::Order, now, |doc| {
            order::write_new(doc, new, &actor.user_id, now)
        })
    }

    /// Acts on an order; refused with the reason unless the rules allow it now.
    pub fn act_on_order(
        &self,
        actor: &Actor,
        id: &RecordId,
        action: &OrderAction,
        now: Timestamp,
    ) -> Result<()> {
        let mut event = match action {
            OrderAction::Issue => event_of(actor, "issue", now),
            OrderAction::Acknowledge => event_of(actor, "acknowledge", now),
            OrderAction::Answer {
                items,
                note,
                photos,
            } => Event {
                items: items.clone(),
                note: note.clone(),
                photos: photos.clone(),
                ..event_of(actor, "answer", now)
            },
            OrderAction::Verify => event_of(actor, "verify", now),
            OrderAction::Reopen { items, note } => Event {
                items: items.clone(),
                note: note.clone(),
                ..event_of(actor, "reopen", now)
            },
            OrderAction::Cancel { note } => Event {
                note: note.clone(),
                ..event_of(actor, "cancel", now)
            },
            OrderAction::Urge { note } => Event {
                note: note.clone(),
                ..event_of(actor, "urge", now)
            },
        };
        self.edit_record(actor, id, RecordKind::Order, now, |doc, before| {
            let RecordView::Order(o) = before else {
                unreachable!("edit_record reads the kind it is given")
            };
            event.seen = o.events.len() as u32;
            crate::rules::order::check_event(o, &crate::rules::order::fold(o), &event)?;
            Ok(append_event(doc, &event)?)
        })
    }

    /// An order and its state.
    pub fn order(&self, id: &RecordId) -> Result<OrderDetail> {
        match self.record(id)? {
            RecordView::Order(order) => Ok(OrderDetail {
                state: crate::rules::order::fold(&order),
                order,
            }),
            _ => Err(super::not_found_kind(RecordKind::Order, id)),
        }
    }

    /// Grid worker: reports a problem.
    pub fn create_report(
        &self,
        actor: &Actor,
        new: &NewReport,
        now: Timestamp,
    ) -> Result<RecordId> {
        check_category(&self.reader(), &new.category)?;
        self.create_record(actor, RecordKind::Report, now, |doc| {
            report::write_new(doc, new, &actor.user_id, now)
        })
    }

    /// Acts on a report; refused with the reason unless the rules allow it now.
    pub fn act_on_report(
        &self,
        actor: &Actor,
        id: &RecordId,
        action: &ReportAction,
        now: Timestamp,
    ) -> Result<()> {
        let event = match action {
            ReportAction::Assign { assignee } => Event {
                assignee: Some(assignee.clone()),
                ..event_of(actor, "assign", now)
            },
            ReportAction::Start => event_of(actor, "start", now),
            ReportAction::Resolve { note } => Event {
                note: note.clone(),
                ..event_of(actor, "resolve", now)
            },
            ReportAction::Close => event_of(actor, "close", now),
            ReportAction::Reopen { note } => Event {
                note: note.clone(),
                ..event_of(actor, "reopen", now)
            },
            ReportAction::SendBack { note } => Event {
                note: note.clone(),
                ..event_of(actor, "send_back", now)
            },
        };
        self.append_report_event(actor, id, event, now)
    }

    fn append_report_event(
        &self,
        actor: &Actor,
        id: &RecordId,
        mut event: Event,
        now: Timestamp,
    ) -> Result<()> {
        self.edit_record(actor, id, RecordKind::Report, now, |doc, before| {
            let RecordView::Report(r) = before else {
                unreachable!("edit_record reads the kind it is given")
            };
            event.seen = r.events.len() as u32;
            crate::rules::report::check_event(r, &crate::rules::report::fold(r), &event)?;
            Ok(append_event(doc, &event)?)
        })
    }

    /// Escalates a report into a new order; both keep the link. Returns the order's id.
    ///
    /// The order and the report's `escalate` event are written in one transaction, so no crash
    /// or refusal leaves an order without its report's link or a link to no order, and one sync
    /// carries both.
    pub fn escalate_report(
        &self,
        actor: &Actor,
        report: &RecordId,
        new: &NewOrder,
        now: Timestamp,
    ) -> Result<RecordId> {
        let order_id = RecordId::generate();
        let new = NewOrder {
            from_report: Some(report.clone()),
            ..new.clone()
        };
        {
            let mut guard = self.writer();
            let w = &mut *guard;
            // Transaction first: the report is read under the file's write lock (see
            // `Store::edit_record`).
            let tx = w
                .conn
                .transaction()
                .map_err(Error::storage("starting a write"))?;
            let mut rd = documents::load(&tx, report, &w.actor)?
                .filter(|d| d.kind == RecordKind::Report.as_str())
                .ok_or_else(|| not_found_kind(RecordKind::Report, report))?;
            let report_before = RecordView::read(RecordKind::Report, &rd.doc, report)?;
            let RecordView::Report(r) = &report_before else {
                unreachable!("read as a report")
            };
            let event = Event {
                link: Some(order_id.to_string()),
                seen: r.events.len() as u32,
                ..event_of(actor, "escalate", now)
            };
            crate::rules::report::check_event(r, &crate::rules::report::fold(r), &event)?;
            append_event(&mut rd.doc, &event).map_err(am_error(report))?;
            let report_after = RecordView::read(RecordKind::Report, &rd.doc, report)?;
            crate::rules::check_change(
                actor,
                Some(&report_before),
                &report_after,
                Validation::Strict,
            )?;

            let mut od = StoredDoc::new(RecordKind::Order.as_str(), &w.actor);
            order::write_new(&mut od.doc, &new, &actor.user_id, now)
                .map_err(am_error(&order_id))?;
            let order_after = RecordView::read(RecordKind::Order, &od.doc, &order_id)?;
            crate::rules::check_change(actor, None, &order_after, Validation::Strict)?;

            rd.doc.commit_with(commit_options(now));
            od.doc.commit_with(commit_options(now));
            self.persist(&tx, &mut od, None, &order_after, "", now)?;
            self.persist(&tx, &mut rd, Some(&report_before), &report_after, "", now)?;
            tx.commit().map_err(Error::storage("committing a write"))?;
        }
        self.listeners.notify(ChangeEvent {
            records: vec![
                (order_id.clone(), RecordKind::Order),
                (report.clone(), RecordKind::Report),
            ],
            origin: Origin::Local,
        });
        Ok(order_id)
    }

    /// A report and its state.
    pub fn report(&self, id: &RecordId) -> Result<ReportDetail> {
        match self.record(id)? {
            RecordView::Report(report) => Ok(ReportDetail {
                state: crate::rules::report::fold(&report),
                report,
            }),
            _ => Err(super::not_found_kind(RecordKind::Report, id)),
        }
    }

    /// Reviewer: marks a visit "has issues"; it becomes a to-do for the visit's worker.
    pub fn send_back_visit(
        &self,
        actor: &Actor,
        household: &RecordId,
        visit: &VisitId,
        note: &str,
        now: Timestamp,
    ) -> Result<()> {
        let review = Review {
            id: uuid::Uuid::now_v7().simple().to_string(),
            visit_id: visit.to_string(),
            by: actor.user_id.clone(),
            note: note.to_owned(),
            at: now,
        };
        self.edit_record(actor, household, RecordKind::Household, now, |doc, _| {
            Ok(HouseholdWriter::new(doc, household).add_review(&review)?)
        })
    }

    /// A list of orders, soonest deadline first.
    pub fn list_orders(
        &self,
        actor: &Actor,
        filter: &OrderFilter,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<OrderSummary>> {
        const OPEN: &str = "status NOT IN ('draft', 'verified', 'cancelled')";
        let (clause, arg): (String, rusqlite::types::Value) = match filter {
            OrderFilter::MyOpen => match (actor.role, &actor.company) {
                (Role::CompanyStaff, Some(c)) => {
                    (format!("company_id = ?1 AND {OPEN}"), c.clone().into())
                }
                _ => (
                    "issuer = ?1 AND status NOT IN ('verified', 'cancelled')".to_owned(),
                    actor.user_id.clone().into(),
                ),
            },
            // Only what still awaits the company; the OPEN term keeps the partial index usable.
            OrderFilter::Overdue => (
                format!("{OPEN} AND status <> 'answered' AND deadline < ?1"),
                now.0.into(),
            ),
            OrderFilter::Company(c) => ("company_id = ?1".into(), c.clone().into()),
            OrderFilter::Compound(c) => ("compound_id = ?1".into(), c.clone().into()),
            OrderFilter::Status(s) => ("status = ?1".into(), s.as_str().to_owned().into()),
        };
        let sql = format!(
            "SELECT id, title, compound_id, company_id, status, deadline, items_answered, items_total
             FROM work_order WHERE {clause} ORDER BY deadline, id LIMIT {limit}"
        );
        let conn = self.reader();
        let mut st = conn
            .prepare_cached(&sql)
            .map_err(Error::storage("listing orders"))?;
        let rows = st
            .query_map([arg], |r| {
                let status =
                    OrderStatus::parse(&r.get::<_, String>(4)?).unwrap_or(OrderStatus::Draft);
                let deadline = Timestamp(r.get(5)?);
                Ok(OrderSummary {
                    id: RecordId::from_string(r.get::<_, String>(0)?),
                    title: r.get(1)?,
                    compound: r.get(2)?,
                    company: r.get(3)?,
                    overdue: crate::rules::order::awaits_company(status) && now > deadline,
                    status,
                    deadline,
                    items_answered: r.get(6)?,
                    items_total: r.get(7)?,
                })
            })
            .and_then(|rows| rows.collect::<rusqlite::Result<Vec<_>>>())
            .map_err(Error::storage("listing orders"))?;
        Ok(rows)
    }

    /// A list of reports, newest first.
    pub fn list_reports(&self, filter: &ReportFilter, limit: u32) -> Result<Vec<ReportSummary>> {
        let (clause, arg) = match filter {
            ReportFilter::Status(s) => ("status = ?1", s.as_str().to_owned()),
            ReportFilter::Category(c) => ("category = ?1", c.clone()),
        };
        let conn = self.reader();
        conn.prepare_cached(&format!(
            "SELECT id, category, description, status, reporter, assignee, created_at FROM report
             WHERE {clause} ORDER BY created_at DESC, id LIMIT {limit}"
        ))
        .and_then(|mut st| {
            st.query_map([arg], |r| {
                Ok(ReportSummary {
                    id: RecordId::from_string(r.get::<_, String>(0)?),
                    category: r.get(1)?,
                    description: r.get(2)?,
                    status: ReportStatus::parse(&r.get::<_, String>(3)?)
                        .unwrap_or(ReportStatus::Reported),
                    reporter: r.get(4)?,
                    assignee: r.get(5)?,
                    created_at: Timestamp(r.get(6)?),
                })
            })?
            .collect()
        })
        .map_err(Error::storage("listing reports"))
    }

    /// The actor's to-dos, oldest first: their own and, for company staff, their company's.
    pub fn my_todos(&self, actor: &Actor) -> Result<Vec<TodoItem>> {
        let me = format!("user:{}", actor.user_id);
        let company = actor
            .company
            .as_ref()
            .map(|c| format!("company:{c}"))
            .unwrap_or_default();
        let conn = self.reader();
        conn.prepare_cached(
            "SELECT record_id, kind, note, since FROM todo WHERE assignee IN (?1, ?2) ORDER BY since, record_id",
        )
        .and_then(|mut st| {
            st.query_map(params![me, company], |r| {
                Ok(TodoItem {
                    record_id: RecordId::from_string(r.get::<_, String>(0)?),
                    kind: r.get(1)?,
                    note: r.get(2)?,
                    since: Timestamp(r.get(3)?),
                })
            })?
            .collect()
        })
        .map_err(Error::storage("listing to-dos"))
    }

    /// The rating of every company with orders, at `now`, best first.
    ///
    /// When the company last answered is not in the order list, so it is folded from the
    /// documents of the orders whose rating needs it (verified and answered ones).
    pub fn company_ratings(&self, now: Timestamp) -> Result<Vec<Rating>> {
        let rows: Vec<(String, OrderFacts)> = {
            let conn = self.reader();
            conn.prepare_cached(
                "SELECT company_id, status, deadline, finished_at, answered_at, reopen_count, severity
                 FROM work_order ORDER BY company_id",
            )
            .and_then(|mut st| {
                st.query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        OrderFacts {
                            status: OrderStatus::parse(&r.get::<_, String>(1)?).unwrap_or(OrderStatus::Draft),
                            deadline: Timestamp(r.get(2)?),
                            finished_at: r.get::<_, Option<i64>>(3)?.map(Timestamp),
                            answered_at: r.get::<_, Option<i64>>(4)?.map(Timestamp),
                            reopen_count: r.get(5)?,
                            severity: r.get(6)?,
                        },
                    ))
                })?
                .collect()
            })
            .map_err(Error::storage("rating companies"))?
        };
        let mut ratings = Vec::new();
        for chunk in rows.chunk_by(|a, b| a.0 == b.0) {
            let facts: Vec<OrderFacts> = chunk.iter().map(|(_, f)| f.clone()).collect();
            ratings.push(rate(&chunk[0].0, &facts, now));
        }
        ratings.sort_by(|a, b| b.score.cmp(&a.score).then(a.company.cmp(&b.company)));
        Ok(ratings)
    }
}
