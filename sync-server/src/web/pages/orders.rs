//! Rectification orders: the list of the reader's compounds' orders (`/web/orders`: filtered by
//! overdue, status or company, searched by title, sorted, a page at a time with the total) and
//! one order with its items and timeline (`/web/orders/{id}`).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use gridwalk_core::records::view::RecordView;
use gridwalk_core::rules::order::OrderStatus;
use gridwalk_core::store::order_pages::{OrderQuery, OrderSort};
use gridwalk_core::{RecordId, Timestamp};
use serde::{Deserialize, Serialize};

use super::{PAGE_ROWS, Paging, encode, names, page_number};
use crate::state::AppState;
use crate::web::extract::{PageLang, Supervisor};
use crate::web::view::{PageView, template};
use crate::web::{PageError, blocking, day, minute};

/// The statuses the list filters by, in the order of an order's life.
const STATUSES: [&str; 6] = [
    "issued",
    "acknowledged",
    "answered",
    "reopened",
    "verified",
    "cancelled",
];

/// The orders list's query: `filter=overdue`, `status:<s>` or `company:<code>`; `q` a part of
/// the title; `sort`; `page` from 1.
#[derive(Deserialize)]
pub(crate) struct OrdersQuery {
    #[serde(default)]
    filter: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: String,
    page: Option<String>,
}

/// The reader's orders, a page at a time.
#[derive(Serialize)]
pub(crate) struct OrdersPage {
    orders: Vec<OrderRow>,
    statuses: Vec<StatusLink>,
    filter: String,
    q: String,
    sort: &'static str,
    sorts: Vec<SortOption>,
    paging: Paging,
}
template!(OrdersPage, "orders.html");

/// An order's line.
#[derive(Serialize)]
struct OrderRow {
    id: String,
    title: String,
    compound: String,
    company: String,
    status: String,
    overdue: bool,
    deadline: String,
    items: String,
}

/// A status to filter by.
#[derive(Serialize)]
struct StatusLink {
    code: &'static str,
    name: String,
}

/// A way to sort, for the sort menu.
#[derive(Serialize)]
struct SortOption {
    code: &'static str,
    /// A `page.*` word.
    word: &'static str,
}

const SORTS: [(&str, OrderSort, &str); 3] = [
    ("deadline", OrderSort::Deadline, "sort_deadline"),
    ("latest", OrderSort::DeadlineLatest, "sort_deadline_latest"),
    ("title", OrderSort::Title, "sort_title"),
];

/// `GET /web/orders?filter=&q=&sort=&page=`: every matching order, a page at a time, with the
/// total (no cap).
pub(crate) async fn orders(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    lang: PageLang,
    Query(q): Query<OrdersQuery>,
) -> Result<PageView<OrdersPage>, PageError> {
    let page_no = page_number(q.page.as_deref());
    let (sort_code, sort, _) = SORTS
        .iter()
        .find(|(code, _, _)| *code == q.sort)
        .copied()
        .unwrap_or(SORTS[0]);
    let mut query = OrderQuery {
        compounds: sup.compounds(),
        search: q.q.trim().to_owned(),
        sort,
        ..OrderQuery::default()
    };
    let filter = q.filter;
    match filter.split_once(':') {
        _ if filter.is_empty() => {}
        None if filter == "overdue" => query.overdue = true,
        Some(("status", s)) => match OrderStatus::parse(s) {
            Some(s) => query.status = Some(s),
            None => query.compounds.clear(),
        },
        Some(("company", c)) => query.company = Some(c.to_owned()),
        // An unknown filter shows nothing, as before.
        _ => query.compounds.clear(),
    }
    let page = blocking(&app, move |app| {
        let now = Timestamp::now();
        let found = app
            .store
            .page_orders(&query, now, (page_no - 1) * PAGE_ROWS, PAGE_ROWS)?;
        let names = names(app, lang.lang());
        let orders = found
            .orders
            .iter()
            .map(|o| OrderRow {
                id: o.id.to_string(),
                title: o.title.clone(),
                compound: names.place(&o.compound),
                company: names.place(&o.company),
                status: names.term("order_status", o.status.as_str()),
                overdue: o.overdue,
                deadline: day(o.deadline),
                items: format!("{}/{}", o.items_answered, o.items_total),
            })
            .collect();
        let statuses = STATUSES
            .iter()
            .map(|s| StatusLink {
                code: s,
                name: names.term("order_status", s),
            })
            .collect();
        let base = format!(
            "/web/orders?filter={}&q={}&sort={sort_code}&",
            encode(&filter),
            encode(&query.search)
        );
        Ok(OrdersPage {
            orders,
            statuses,
            paging: Paging::new(found.total, page_no, &base, lang.lang()),
            filter,
            q: query.search,
            sort: sort_code,
            sorts: SORTS
                .iter()
                .map(|(code, _, word)| SortOption { code, word })
                .collect(),
        })
    })
    .await?;
    Ok(PageView::new(page))
}

/// One order.
#[derive(Serialize)]
pub(crate) struct OrderPage {
    title: String,
    status: String,
    overdue: bool,
    company: String,
    compound: String,
    deadline: String,
    items: Vec<ItemRow>,
    history: Vec<EventRow>,
}
template!(OrderPage, "order.html");

/// An item's line.
#[derive(Serialize)]
struct ItemRow {
    description: String,
    severity: String,
    state: String,
    /// Thumbnails of the photos taken before.
    photos: Vec<String>,
}

/// An event of the timeline; one the rules did not count says why.
#[derive(Serialize)]
struct EventRow {
    at: String,
    by: String,
    kind: String,
    note: String,
    counted: bool,
    reason: Option<String>,
    photos: Vec<String>,
}

/// `GET /web/orders/{id}`.
pub(crate) async fn order(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    lang: PageLang,
    Path(id): Path<String>,
) -> Result<PageView<OrderPage>, PageError> {
    let page = blocking(&app, move |app| {
        let detail = app
            .store
            .order(&RecordId::from(id.as_str()))
            .map_err(|e| PageError::from_lookup(&id, e))?;
        let o = &detail.order;
        if !RecordView::Order(o.clone())
            .scopes()
            .iter()
            .any(|s| sup.scopes.contains(s))
        {
            return Err(sup.refuse("an order of another area"));
        }
        let names = names(app, lang.lang());
        let items = o
            .items
            .iter()
            .zip(&detail.state.items)
            .map(|(i, (_, state))| ItemRow {
                description: i.description.clone(),
                severity: names.term("severity", i.severity.as_str()),
                state: names.term("item_state", &format!("{state:?}").to_lowercase()),
                photos: i.before_photos.iter().map(|ph| ph.thumb.clone()).collect(),
            })
            .collect();
        let history = detail
            .state
            .history
            .iter()
            .map(|e| EventRow {
                at: minute(e.event.at),
                by: names.person(&e.event.by),
                kind: names.term("event", &e.event.kind),
                note: e.event.note.clone(),
                counted: e.counted,
                reason: e.reason.as_ref().map(|r| r.render(lang.lang())),
                photos: e.event.photos.iter().map(|ph| ph.thumb.clone()).collect(),
            })
            .collect();
        let overdue = gridwalk_core::rules::order::is_overdue(o, &detail.state, Timestamp::now());
        Ok(OrderPage {
            title: o.title.clone(),
            status: names.term("order_status", detail.state.status.as_str()),
            overdue,
            company: names.place(&o.company),
            compound: names.place(&o.compound),
            deadline: day(o.deadline),
            items,
            history,
        })
    })
    .await?;
    Ok(PageView::new(page))
}
