//! Rectification orders: the list of the reader's compounds' orders (`/web/orders`: filtered by
//! overdue, status or company, searched by title, sorted, a page at a time with the total),
//! one order with its items and timeline (`/web/orders/{id}`), and a supervisor's acts on it:
//! urging the company (督办, `POST /web/orders/{id}/urge`) and withdrawing the order with a
//! reason, confirmed (`POST /web/orders/{id}/cancel`).

use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use gridwalk_core::messages::Message;
use gridwalk_core::records::view::RecordView;
use gridwalk_core::rules::order::OrderStatus;
use gridwalk_core::rules::text;
use gridwalk_core::store::inspection::OrderAction;
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
    id: String,
    title: String,
    status: String,
    overdue: bool,
    company: String,
    compound: String,
    deadline: String,
    items: Vec<ItemRow>,
    history: Vec<EventRow>,
    /// The issue report it was escalated from, when it is in the reader's grids.
    from_report: Option<String>,
    /// A supervisor's urge (督办) the company has not acted on since: its note.
    urge_note: Option<String>,
    /// Whether the company owes an answer, so the reader may urge it.
    can_urge: bool,
    /// Whether the order is still open, so the reader may withdraw it.
    can_cancel: bool,
    /// The action whose form was refused (`urge`, `cancel`), opened again.
    refused_action: String,
    /// What the last action did (`page.done_*`).
    done: Option<&'static str>,
    /// Why the urge just tried was refused, in the reader's language, and the note typed.
    refusal: Option<String>,
    note: String,
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

/// The order page's query: what the action just made did.
#[derive(Deserialize)]
pub(crate) struct OrderQueryString {
    done: Option<String>,
}

/// `GET /web/orders/{id}`.
pub(crate) async fn order(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    lang: PageLang,
    Path(id): Path<String>,
    Query(q): Query<OrderQueryString>,
) -> Result<PageView<OrderPage>, PageError> {
    let done = match q.done.as_deref() {
        Some("urge") => Some("done_urge"),
        Some("cancel") => Some("done_cancel_order"),
        _ => None,
    };
    let page = blocking(&app, move |app| {
        let mut page = order_page(app, &sup, &lang, &id)?;
        page.done = done;
        Ok(page)
    })
    .await?;
    Ok(PageView::new(page))
}

/// Whether an order lies in the reader's area (one of its scopes is the reader's).
fn in_area(sup: &Supervisor, o: &gridwalk_core::records::order::Order) -> bool {
    RecordView::Order(o.clone())
        .scopes()
        .iter()
        .any(|s| sup.scopes.contains(s))
}

/// The order `id` as its page shows it, if it is in the reader's area (403 otherwise, 404 when
/// there is none). Called on the blocking pool.
fn order_page(
    app: &AppState,
    sup: &Supervisor,
    lang: &PageLang,
    id: &str,
) -> Result<OrderPage, PageError> {
    let detail = app
        .store
        .order(&RecordId::from(id))
        .map_err(|e| PageError::from_lookup(id, e))?;
    let o = &detail.order;
    if !in_area(sup, o) {
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
        id: o.id.to_string(),
        title: o.title.clone(),
        status: names.term("order_status", detail.state.status.as_str()),
        overdue,
        company: names.place(&o.company),
        compound: names.place(&o.compound),
        deadline: day(o.deadline),
        items,
        history,
        from_report: o.from_report.as_ref().map(ToString::to_string).filter(|r| {
            app.store
                .report(&RecordId::from(r.as_str()))
                .is_ok_and(|d| sup.grids().contains(&d.report.grid))
        }),
        urge_note: detail.state.urge_note.clone(),
        // What `rules::order::check_event` lets a supervisor urge.
        can_urge: gridwalk_core::rules::order::awaits_company(detail.state.status),
        can_cancel: !detail.state.status.is_final(),
        refused_action: String::new(),
        done: None,
        refusal: None,
        note: String::new(),
    })
}

/// The forms of the order page: the form token, the note (what the company is told, or why
/// the order is withdrawn), and for a withdrawal the reader's confirmation.
#[derive(Deserialize)]
pub(crate) struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    confirm: String,
}

/// `POST /web/orders/{id}/{urge|cancel}`: the signed-in supervisor urges the company (督办)
/// with a note, or withdraws the order with a reason and a confirmation, through
/// `Store::act_on_order`; the company's phones get it on their next sync (an urge first in
/// their to-do, a withdrawal ends it). Done, the order's page again (303) saying so; refused by
/// the rules or unconfirmed, the page with the reason (409).
pub(crate) async fn act(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    lang: PageLang,
    headers: HeaderMap,
    Path((id, act)): Path<(String, String)>,
    form: Result<Form<ActionForm>, FormRejection>,
) -> Result<Response, PageError> {
    let form = sup.checked_form(&headers, form)?;
    let note = text::clean(&form.note);
    blocking(&app, move |app| {
        let record = RecordId::from(id.as_str());
        let detail = app
            .store
            .order(&record)
            .map_err(|e| PageError::from_lookup(&id, e))?;
        if !in_area(&sup, &detail.order) {
            return Err(sup.refuse("acting on an order of another area"));
        }
        let refused = |message: String, note: String| -> Result<Response, PageError> {
            let mut page = order_page(app, &sup, &lang, &id)?;
            page.refusal = Some(message);
            page.note = note;
            page.refused_action = act.clone();
            Ok((StatusCode::CONFLICT, PageView::new(page)).into_response())
        };
        let action = match act.as_str() {
            "urge" => OrderAction::Urge { note: note.clone() },
            "cancel" if form.confirm != "1" => {
                let message = Message::new("web.confirm_needed").render(lang.lang());
                return refused(message, note);
            }
            "cancel" => OrderAction::Cancel { note: note.clone() },
            _ => return Err(PageError::NotFound(Message::new("web.no_such_action"))),
        };
        match app
            .store
            .act_on_order(&sup.session.actor, &record, &action, Timestamp::now())
        {
            Ok(()) => {
                tracing::info!(user = %sup.user_id(), order = %id, act, "order acted on");
                Ok(Redirect::to(&format!("/web/orders/{id}?done={act}")).into_response())
            }
            Err(gridwalk_core::Error::Refused(r)) => refused(r.message().render(lang.lang()), note),
            Err(e) => Err(PageError::internal(e)),
        }
    })
    .await
}

crate::web::extract::form_token!(ActionForm);
