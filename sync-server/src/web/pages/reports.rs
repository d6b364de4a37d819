//! Issue reports (随手拍): the list of the reader's grids' reports (`/web/reports`: by status,
//! each status counted, newest first, a page at a time with the total), one report with its
//! photos and timeline (`/web/reports/{id}`), and the supervisor's actions on it
//! (`POST /web/reports/{id}/{assign|send-back|close|reopen}`), each through the core's
//! `Store::act_on_report` as the signed-in supervisor: the rules decide, a refusal is shown on
//! the report's page in the reader's language, and the new event reaches the phones of the
//! report's grid on their next sync like any other change.

use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use gridwalk_core::messages::Message;
use gridwalk_core::records::reference::ReferenceKind;
use gridwalk_core::rules::report::{self, ReportStatus};
use gridwalk_core::rules::text;
use gridwalk_core::store::inspection::ReportAction;
use gridwalk_core::store::report_pages::ReportQuery;
use gridwalk_core::{RecordId, Timestamp};
use serde::{Deserialize, Serialize};

use super::{PAGE_ROWS, Paging, names, page_number};
use crate::state::AppState;
use crate::web::extract::{PageLang, Supervisor};
use crate::web::names::NOTHING;
use crate::web::view::{PageView, template};
use crate::web::{PageError, blocking, day, minute};

/// The statuses the list filters by, in the order of a report's life.
const STATUSES: [ReportStatus; 6] = [
    ReportStatus::Reported,
    ReportStatus::Assigned,
    ReportStatus::InProgress,
    ReportStatus::Resolved,
    ReportStatus::Reopened,
    ReportStatus::Closed,
];

/// The reports list's query: `status` (a status's stored name; empty: all), `overdue=1` only
/// those past their 权责清单 deadline, `page` from 1.
#[derive(Deserialize)]
pub(crate) struct ReportsQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    overdue: String,
    page: Option<String>,
}

/// The reader's reports, a page at a time.
#[derive(Serialize)]
pub(crate) struct ReportsPage {
    reports: Vec<ReportRow>,
    /// Every report of the reader's grids, whatever its status.
    all: u32,
    statuses: Vec<StatusLink>,
    status: String,
    /// Reports past their deadline in the reader's grids, and whether only they are shown.
    overdue_count: u32,
    overdue: bool,
    paging: Paging,
}
template!(ReportsPage, "reports.html");

/// A report's line.
#[derive(Serialize)]
struct ReportRow {
    id: String,
    category: String,
    description: String,
    grid: String,
    status: String,
    reporter: String,
    assignee: String,
    reported: String,
    /// The 权责清单 deadline (minute), or "—" for a category without a time limit.
    deadline: String,
    overdue: bool,
}

/// A status to filter by, with how many reports it would show.
#[derive(Serialize)]
struct StatusLink {
    code: &'static str,
    name: String,
    count: u32,
}

/// `GET /web/reports?status=&page=`: the reports of the reader's grids, newest first.
pub(crate) async fn reports(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    lang: PageLang,
    Query(q): Query<ReportsQuery>,
) -> Result<PageView<ReportsPage>, PageError> {
    let page_no = page_number(q.page.as_deref());
    let mut query = ReportQuery {
        grids: sup.grids(),
        status: None,
        overdue: q.overdue == "1",
        now: Some(Timestamp::now()),
    };
    if !q.status.is_empty() {
        match ReportStatus::parse(&q.status) {
            Some(s) => query.status = Some(s),
            // An unknown status shows nothing, as the orders list does.
            None => query.grids.clear(),
        }
    }
    let status = q.status;
    let page = blocking(&app, move |app| {
        let found = app
            .store
            .page_reports(&query, (page_no - 1) * PAGE_ROWS, PAGE_ROWS)?;
        let names = names(app, lang.lang());
        let reports = found
            .reports
            .iter()
            .map(|r| ReportRow {
                id: r.id.to_string(),
                category: names.category(&r.category),
                description: r.description.clone(),
                grid: names.place(&r.grid),
                status: names.term("report_status", r.status.as_str()),
                reporter: names.person(&r.reporter),
                assignee: names.person(r.assignee.as_deref().unwrap_or_default()),
                reported: day(r.created_at),
                deadline: r.deadline.map_or_else(|| NOTHING.to_owned(), minute),
                overdue: r.overdue,
            })
            .collect();
        let count = |s: ReportStatus| {
            found
                .by_status
                .iter()
                .find(|(t, _)| *t == s)
                .map_or(0, |(_, n)| *n)
        };
        let statuses = STATUSES
            .iter()
            .map(|s| StatusLink {
                code: s.as_str(),
                name: names.term("report_status", s.as_str()),
                count: count(*s),
            })
            .collect();
        let overdue = query.overdue;
        let base = format!(
            "/web/reports?status={}&{}",
            super::encode(&status),
            if overdue { "overdue=1&" } else { "" }
        );
        Ok(ReportsPage {
            reports,
            all: found.by_status.iter().map(|(_, n)| n).sum(),
            statuses,
            overdue_count: found.overdue,
            overdue,
            paging: Paging::new(found.total, page_no, &base, lang.lang()),
            status,
        })
    })
    .await?;
    Ok(PageView::new(page))
}

/// One report, with what the reader may do to it now.
#[derive(Serialize)]
pub(crate) struct ReportPage {
    id: String,
    category: String,
    description: String,
    status: String,
    grid: String,
    grid_code: String,
    place: String,
    reporter: String,
    reported: String,
    /// The category's handling department and deadline from the 权责清单 ("—" without).
    department: String,
    deadline: String,
    overdue: bool,
    assignee: String,
    /// The assignee's user id, selected in the assign form.
    assignee_id: String,
    /// A send-back waiting for the assignee: its note.
    sent_back: Option<String>,
    /// The order it was escalated into, when it is in the reader's area.
    order: Option<String>,
    photos: Vec<PhotoLink>,
    history: Vec<EventRow>,
    /// The grid's workers, for the assign form.
    workers: Vec<Person>,
    can_assign: bool,
    can_send_back: bool,
    can_close: bool,
    can_reopen: bool,
    /// What the last action did (`page.done_*`).
    done: Option<&'static str>,
    /// Why the action just tried was refused, in the reader's language.
    refusal: Option<String>,
    /// The action refused (its path segment), whose confirmation opens again, and the note
    /// its form held, to fill it in again.
    refused_action: String,
    note: String,
}
template!(ReportPage, "report.html");

/// A photo's full and thumbnail hashes.
#[derive(Serialize)]
struct PhotoLink {
    full: String,
    thumb: String,
}

/// An event of the timeline; one the rules did not count says why.
#[derive(Serialize)]
struct EventRow {
    at: String,
    by: String,
    kind: String,
    assignee: String,
    note: String,
    counted: bool,
    reason: Option<String>,
}

/// A worker to assign to.
#[derive(Serialize)]
struct Person {
    id: String,
    name: String,
}

/// The report page's query: what the action just made did.
#[derive(Deserialize)]
pub(crate) struct ReportQueryString {
    done: Option<String>,
}

/// The actions of the report page, by their path segment: (segment, `page.done_*` word).
const ACTIONS: [(&str, &str); 4] = [
    ("assign", "done_assign"),
    ("send-back", "done_send_back"),
    ("close", "done_close"),
    ("reopen", "done_reopen"),
];

/// `GET /web/reports/{id}`.
pub(crate) async fn report(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    lang: PageLang,
    Path(id): Path<String>,
    Query(q): Query<ReportQueryString>,
) -> Result<PageView<ReportPage>, PageError> {
    let done = ACTIONS
        .iter()
        .find(|(a, _)| Some(*a) == q.done.as_deref())
        .map(|(_, word)| *word);
    let page = blocking(&app, move |app| {
        let mut page = report_page(app, &sup, &lang, &id)?;
        page.done = done;
        Ok(page)
    })
    .await?;
    Ok(PageView::new(page))
}

/// The report `id` as its page shows it, if it is in the reader's grids (403 otherwise, 404
/// when there is none). Called on the blocking pool.
fn report_page(
    app: &AppState,
    sup: &Supervisor,
    lang: &PageLang,
    id: &str,
) -> Result<ReportPage, PageError> {
    let detail = app
        .store
        .report(&RecordId::from(id))
        .map_err(|e| PageError::from_lookup(id, e))?;
    let r = &detail.report;
    let state = &detail.state;
    if !sup.grids().contains(&r.grid) {
        return Err(sup.refuse("a report of another grid"));
    }
    let names = names(app, lang.lang());
    let workers = app
        .accounts
        .grid_workers(&r.grid)?
        .into_iter()
        .map(|(id, name)| Person { id, name })
        .collect();
    let history = state
        .history
        .iter()
        .map(|e| EventRow {
            at: minute(e.event.at),
            by: names.person(&e.event.by),
            kind: names.term("event", &e.event.kind),
            assignee: e
                .event
                .assignee
                .as_deref()
                .map(|a| names.person(a))
                .unwrap_or_default(),
            note: e.event.note.clone(),
            counted: e.counted,
            reason: e.reason.as_ref().map(|m| m.render(lang.lang())),
        })
        .collect();
    // The escalated order is linked only when the reader may open it.
    let order = state.escalated_to.clone().filter(|o| {
        app.store
            .order(&RecordId::from(o.as_str()))
            .is_ok_and(|d| sup.compounds().contains(&d.order.compound))
    });
    use ReportStatus::*;
    let status = state.status;
    let category = app
        .store
        .reference_items(ReferenceKind::Category, None)?
        .into_iter()
        .find(|c| c.id == r.category);
    let deadline = report::deadline(r.created_at, category.as_ref().and_then(|c| c.limit_hours));
    Ok(ReportPage {
        department: category
            .and_then(|c| c.department)
            .unwrap_or_else(|| NOTHING.to_owned()),
        deadline: deadline.map_or_else(|| NOTHING.to_owned(), minute),
        overdue: report::is_overdue(
            status,
            state.escalated_to.is_some(),
            deadline,
            Timestamp::now(),
        ),
        id: r.id.to_string(),
        category: names.category(&r.category),
        description: r.description.clone(),
        status: names.term("report_status", status.as_str()),
        grid: names.place(&r.grid),
        grid_code: r.grid.clone(),
        place: if r.compound.is_empty() {
            NOTHING.to_owned()
        } else {
            names.place(&r.compound)
        },
        reporter: names.person(&r.reporter),
        reported: minute(r.created_at),
        assignee: names.person(state.assignee.as_deref().unwrap_or_default()),
        assignee_id: state.assignee.clone().unwrap_or_default(),
        sent_back: state.sent_back.clone(),
        order,
        photos: r
            .photos
            .iter()
            .map(|p| PhotoLink {
                full: p.full.clone(),
                thumb: p.thumb.clone(),
            })
            .collect(),
        history,
        workers,
        // What `rules::report::check_event` lets a supervisor do in this status.
        can_assign: matches!(status, Reported | Assigned | Reopened),
        can_send_back: state.assignee.is_some()
            && matches!(status, Assigned | InProgress | Reopened),
        can_close: status == Resolved,
        can_reopen: matches!(status, Resolved | Closed),
        done: None,
        refusal: None,
        refused_action: String::new(),
        note: String::new(),
    })
}

/// An action's form: the form token, and the assignee or the note its action needs.
#[derive(Deserialize)]
pub(crate) struct ActionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    note: String,
}

/// `POST /web/reports/{id}/{action}`: assigns (to a worker of the report's grid), sends back
/// or reopens (with a note) or closes the report as the signed-in supervisor. Done, the report's
/// page again (303) saying so; refused by the rules, the page with the reason (409).
pub(crate) async fn act(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    lang: PageLang,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    form: Result<Form<ActionForm>, FormRejection>,
) -> Result<Response, PageError> {
    let form = sup.checked_form(&headers, form)?;
    if !ACTIONS.iter().any(|(a, _)| *a == action) {
        return Err(PageError::NotFound(
            Message::new("web.no_such_record").with("id", &id),
        ));
    }
    let note = text::clean(&form.note);
    let outcome = blocking(&app, move |app| {
        let record = RecordId::from(id.as_str());
        let detail = app
            .store
            .report(&record)
            .map_err(|e| PageError::from_lookup(&id, e))?;
        if !sup.grids().contains(&detail.report.grid) {
            return Err(sup.refuse("acting on a report of another grid"));
        }
        let act = match action.as_str() {
            "assign" => {
                // Only a worker of the report's grid: the select offers no one else, and a
                // forged form names no one else either.
                let workers = app.accounts.grid_workers(&detail.report.grid)?;
                if !workers.iter().any(|(w, _)| *w == form.assignee) {
                    let refused = Message::new("web.not_a_grid_worker");
                    return refused_page(app, &sup, &lang, (&id, &action), refused, note);
                }
                ReportAction::Assign {
                    assignee: form.assignee.clone(),
                }
            }
            "send-back" => ReportAction::SendBack { note: note.clone() },
            "reopen" => ReportAction::Reopen { note: note.clone() },
            _ => ReportAction::Close,
        };
        match app
            .store
            .act_on_report(&sup.session.actor, &record, &act, Timestamp::now())
        {
            Ok(()) => {
                tracing::info!(user = %sup.user_id(), report = %id, action, "report acted on");
                Ok(Redirect::to(&format!("/web/reports/{id}?done={action}")).into_response())
            }
            Err(gridwalk_core::Error::Refused(r)) => {
                refused_page(app, &sup, &lang, (&id, &action), r.message(), note)
            }
            Err(e) => Err(PageError::internal(e)),
        }
    })
    .await?;
    Ok(outcome)
}

/// The report's page with why the action (report id, action) was refused, its confirmation
/// open with the note typed, as a 409.
fn refused_page(
    app: &AppState,
    sup: &Supervisor,
    lang: &PageLang,
    (id, action): (&str, &str),
    why: Message,
    note: String,
) -> Result<Response, PageError> {
    let mut page = report_page(app, sup, lang, id)?;
    page.refusal = Some(why.render(lang.lang()));
    page.refused_action = action.to_owned();
    page.note = note;
    Ok((StatusCode::CONFLICT, PageView::new(page)).into_response())
}

crate::web::extract::form_token!(ActionForm);
