//! A household's findings on its page, and what a supervisor does about one (issue 15, part 6):
//! mark it checked with a note (核实), or hand it to one of the grid's workers as a to-do
//! (`POST /web/households/{id}/findings/{check|assign}`), through the core's
//! `Store::mark_finding` as the signed-in supervisor. The rules decide (`rules::finding_marks`);
//! a refusal is shown on the household's page in the reader's language; the mark reaches the
//! grid's phones on their next sync, the worker's as a `check_finding` to-do.

use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use gridwalk_core::records::household::Household;
use gridwalk_core::rules::finding_marks::{self, ASSIGNED, CHECKABLE};
use gridwalk_core::rules::findings::FindingKind;
use gridwalk_core::rules::text;
use gridwalk_core::store::finding_marks::FindingAction;
use gridwalk_core::{RecordId, Timestamp};
use serde::{Deserialize, Serialize};

use super::findings::named_detail;
use super::households::household_page;
use crate::state::AppState;
use crate::web::extract::{PageLang, Supervisor};
use crate::web::names::Names;
use crate::web::view::PageView;
use crate::web::{PageError, blocking, minute};

/// The findings part of a household's page.
#[derive(Serialize, Default)]
pub(crate) struct FindingsSection {
    /// What is to be checked now.
    findings: Vec<FindingRow>,
    /// What was marked (checked, handed over), newest first.
    marks: Vec<MarkRow>,
    /// The grid's workers, to hand a finding to.
    workers: Vec<Worker>,
}

/// A finding to check, with whether it can be marked.
#[derive(Serialize)]
struct FindingRow {
    kind: &'static str,
    kind_name: String,
    subject: String,
    detail: String,
    markable: bool,
    /// Handed to this worker (by name) and not checked since.
    assigned_to: Option<String>,
}

/// A mark, as the page lists it.
#[derive(Serialize)]
struct MarkRow {
    at: String,
    by: String,
    action: String,
    kind_name: String,
    resident: String,
    assignee: String,
    note: String,
    /// Whether it still holds (a check whose value changed since no longer does).
    holds: bool,
}

/// A worker of the grid.
#[derive(Serialize)]
struct Worker {
    id: String,
    name: String,
}

/// The findings section of household `h`'s page at `now`.
pub(crate) fn findings_section(
    app: &AppState,
    h: &Household,
    names: &Names,
    lang: &PageLang,
    now: Timestamp,
) -> Result<FindingsSection, PageError> {
    let open = finding_marks::open_assignments(h);
    // Details that name the household's address by code say it by name, as the findings
    // list does.
    let a = &h.address;
    let address = names.address(&a.compound, &a.building, &a.unit, &a.room);
    let findings = app
        .store
        .household_needs_checking(h, now)?
        .into_iter()
        .map(|f| FindingRow {
            kind: f.kind.as_str(),
            kind_name: names.term("page", f.kind.as_str()),
            assigned_to: open
                .iter()
                .find(|m| m.kind == f.kind.as_str() && m.subject == f.subject)
                .and_then(|m| m.assignee.as_deref())
                .map(|a| names.person(a)),
            markable: CHECKABLE.contains(&f.kind),
            detail: named_detail(&f.detail, Some(&address)).render(lang.lang()),
            subject: f.subject,
        })
        .collect();
    let resident_name = |id: &str| {
        h.residents
            .iter()
            .find(|r| r.id.as_str() == id)
            .map(|r| r.name.clone())
            .unwrap_or_default()
    };
    let marks = h
        .finding_marks
        .iter()
        .rev()
        .map(|m| MarkRow {
            at: minute(m.at),
            by: names.person(&m.by),
            action: names.term("page", &format!("finding_{}", m.action)),
            kind_name: names.term("page", &m.kind),
            resident: resident_name(&m.subject),
            assignee: m
                .assignee
                .as_deref()
                .map(|a| names.person(a))
                .unwrap_or_default(),
            note: m.note.clone(),
            holds: FindingKind::parse(&m.kind).is_some_and(|k| {
                finding_marks::fingerprint(h, k, &m.subject).as_deref() == Some(&m.fingerprint)
            }),
        })
        .collect();
    let workers = app
        .accounts
        .grid_workers(&h.address.grid)?
        .into_iter()
        .map(|(id, name)| Worker { id, name })
        .collect();
    Ok(FindingsSection {
        findings,
        marks,
        workers,
    })
}

/// The mark form: the form token, which finding (kind and resident), the note, and for a
/// hand-over the worker.
#[derive(Deserialize)]
pub(crate) struct MarkForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    worker: String,
}

/// `POST /web/households/{id}/findings/{check|assign}`: the signed-in supervisor marks a
/// finding of the household checked, or hands it to a worker of its grid. Done, the
/// household's page again (303) saying so; refused by the rules (no note, a finding that
/// cannot be marked, a worker of another grid), the page with the reason (409).
pub(crate) async fn mark_finding(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    lang: PageLang,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    form: Result<Form<MarkForm>, FormRejection>,
) -> Result<Response, PageError> {
    let form = sup.checked_form(&headers, form)?;
    let note = text::clean(&form.note);
    blocking(&app, move |app| {
        let record = RecordId::from(id.as_str());
        let h = app
            .store
            .household(&record)
            .map_err(|e| PageError::from_lookup(&id, e))?;
        if !sup.grids().contains(&h.address.grid) {
            return Err(sup.refuse("marking a finding of another grid"));
        }
        let kind = FindingKind::parse(&form.kind)
            .ok_or_else(|| PageError::NotFound(gridwalk_core::messages::Message::new("web.no_such_finding")))?;
        let mark = match action.as_str() {
            "check" => FindingAction::Checked { note: note.clone() },
            "assign" => {
                // Only a worker of the household's grid: the to-do must be theirs to do.
                let workers = app.accounts.grid_workers(&h.address.grid)?;
                if !workers.iter().any(|(w, _)| *w == form.worker) {
                    return Err(PageError::NotFound(gridwalk_core::messages::Message::new(
                        "web.no_such_worker",
                    )));
                }
                FindingAction::Assigned {
                    worker: form.worker.clone(),
                    note: note.clone(),
                }
            }
            _ => {
                return Err(PageError::NotFound(gridwalk_core::messages::Message::new(
                    "web.no_such_action",
                )));
            }
        };
        let outcome = app.store.mark_finding(
            &sup.session.actor,
            &record,
            kind,
            &form.subject,
            &mark,
            Timestamp::now(),
        );
        match outcome {
            Ok(()) => {
                let done = if matches!(mark, FindingAction::Assigned { .. }) {
                    ASSIGNED
                } else {
                    "checked"
                };
                tracing::info!(user = %sup.user_id(), household = %id, kind = kind.as_str(), done, "finding marked");
                Ok(Redirect::to(&format!("/web/households/{id}?done=finding-{done}")).into_response())
            }
            Err(gridwalk_core::Error::Refused(r)) => {
                let mut page = household_page(app, &sup, &lang, &id)?;
                page.refusal = Some(r.message().render(lang.lang()));
                page.note = note;
                Ok((StatusCode::CONFLICT, PageView::new(page)).into_response())
            }
            Err(e) => Err(PageError::internal(e)),
        }
    })
    .await
}

crate::web::extract::form_token!(MarkForm);
