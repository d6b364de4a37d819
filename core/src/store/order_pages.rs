//! Pages of an orders list for the supervisors' pages: the filters, the search and the sort in
//! SQL, with `COUNT(*)` for the total and `LIMIT`/`OFFSET` for the page, so a district's orders
//! are never all read and none are silently left off.

use rusqlite::types::Value;

use super::Store;
use super::inspection::OrderSummary;
use crate::rules::order::OrderStatus;
use crate::{Error, RecordId, Result, Timestamp};

/// How a page of orders is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OrderSort {
    /// Soonest deadline first (the default: what is due first).
    #[default]
    Deadline,
    /// Latest deadline first.
    DeadlineLatest,
    /// By title.
    Title,
}

/// Which orders a list shows.
#[derive(Debug, Clone, Default)]
pub struct OrderQuery {
    /// The compounds of the reader's area; no compound, no orders.
    pub compounds: Vec<String>,
    /// Only this status (drafts only when asked for); otherwise every status but drafts.
    pub status: Option<OrderStatus>,
    /// Only this company's orders.
    pub company: Option<String>,
    /// Only orders past their deadline that still await the company.
    pub overdue: bool,
    /// A part of the title (empty: any).
    pub search: String,
    /// The order of the rows.
    pub sort: OrderSort,
}

/// A page of orders and the number of orders the query matches in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderPage {
    /// The orders of this page.
    pub orders: Vec<OrderSummary>,
    /// Orders matching the query, on every page.
    pub total: u32,
}

impl Store {
    /// Up to `limit` orders matching `query` from the `offset`th, and their total.
    pub fn page_orders(
        &self,
        query: &OrderQuery,
        now: Timestamp,
        offset: u32,
        limit: u32,
    ) -> Result<OrderPage> {
        if query.compounds.is_empty() {
            return Ok(OrderPage {
                orders: Vec::new(),
                total: 0,
            });
        }
        let mut args: Vec<Value> = Vec::new();
        let marks = vec!["?"; query.compounds.len()].join(", ");
        args.extend(query.compounds.iter().cloned().map(Value::from));
        let mut clause = format!("compound_id IN ({marks})");
        match query.status {
            Some(s) => {
                clause.push_str(" AND status = ?");
                args.push(s.as_str().to_owned().into());
            }
            None => clause.push_str(" AND status <> 'draft'"),
        }
        if let Some(c) = &query.company {
            clause.push_str(" AND company_id = ?");
            args.push(c.clone().into());
        }
        if query.overdue {
            // `rules::order::awaits_company`, and past the deadline.
            clause
                .push_str(" AND status IN ('issued', 'acknowledged', 'reopened') AND deadline < ?");
            args.push(now.0.into());
        }
        let search = query.search.trim();
        if !search.is_empty() {
            clause.push_str(r" AND title LIKE ? ESCAPE '\'");
            let escaped = search
                .replace('\\', r"\\")
                .replace('%', r"\%")
                .replace('_', r"\_");
            args.push(format!("%{escaped}%").into());
        }
        let order_by = match query.sort {
            OrderSort::Deadline => "deadline, id",
            OrderSort::DeadlineLatest => "deadline DESC, id",
            OrderSort::Title => "title, id",
        };
        let conn = self.reader();
        let err = || Error::storage("listing orders");
        let total: u32 = conn
            .prepare_cached(&format!("SELECT COUNT(*) FROM work_order WHERE {clause}"))
            .and_then(|mut st| st.query_row(rusqlite::params_from_iter(&args), |r| r.get(0)))
            .map_err(err())?;
        let mut page_args = args;
        page_args.push(i64::from(limit).into());
        page_args.push(i64::from(offset).into());
        let mut st = conn
            .prepare_cached(&format!(
                "SELECT id, title, compound_id, company_id, status, deadline, items_answered, items_total
                 FROM work_order WHERE {clause} ORDER BY {order_by} LIMIT ? OFFSET ?"
            ))
            .map_err(err())?;
        let orders = st
            .query_map(rusqlite::params_from_iter(&page_args), |r| {
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
            .map_err(err())?;
        Ok(OrderPage { orders, total })
    }
}
