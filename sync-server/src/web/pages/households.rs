//! Households: the list of a grid's households (`/web/households`: searched, filtered, sorted,
//! a page at a time with the totals), one household with its residents and visits
//! (`/web/households/{id}`), a visit sent back with a reason
//! (`POST /web/households/{id}/visits/{visit}/send-back`) and a conflict between offline edits
//! ended with the value a supervisor chose (`POST /web/households/{id}/conflicts`).

use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use gridwalk_core::messages::Message;
use gridwalk_core::rules::{findings, id_number, phone, text};
use gridwalk_core::store::household_pages::{HouseholdQuery, HouseholdSort};
use gridwalk_core::{RecordId, Timestamp, VisitId};
use serde::{Deserialize, Serialize};

use super::household_findings::{FindingsSection, findings_section};
use super::{GridLink, PAGE_ROWS, Paging, encode, grid_links, names, page_number};
use crate::state::AppState;
use crate::web::extract::{PageLang, Supervisor};
use crate::web::names::{NOTHING, Names};
use crate::web::view::{PageView, template};
use crate::web::{PageError, blocking, minute};

/// The households list's query: the grid, `q` what the reader typed (a name, pinyin initials,
/// the last digits of an ID number or phone, a room or a place's name), `never=1` only never
/// visited, `group` a special group, `sort`, `page` from 1.
#[derive(Deserialize, Default)]
pub(crate) struct ListQuery {
    grid: Option<String>,
    #[serde(default)]
    q: String,
    #[serde(default)]
    never: String,
    #[serde(default)]
    group: String,
    #[serde(default)]
    sort: String,
    page: Option<String>,
}

/// A grid's households, a page at a time.
#[derive(Serialize)]
pub(crate) struct HouseholdsPage {
    grids: Vec<GridLink>,
    grid: Option<String>,
    grid_name: Option<String>,
    households: Vec<HouseholdRow>,
    count: u32,
    residents: u32,
    q: String,
    never: bool,
    group: String,
    groups: Vec<Choice>,
    sort: &'static str,
    sorts: Vec<Choice>,
    paging: Option<Paging>,
}
template!(HouseholdsPage, "households.html");

/// An option of a menu: its code and its words.
#[derive(Serialize)]
struct Choice {
    code: &'static str,
    name: String,
}

/// A household's line.
#[derive(Serialize)]
struct HouseholdRow {
    id: String,
    address: String,
    head: String,
    residents: u32,
    last_visit: String,
    never: bool,
    findings: u32,
}

const SORTS: [(&str, HouseholdSort, &str); 3] = [
    ("address", HouseholdSort::Address, "sort_address"),
    (
        "visit",
        HouseholdSort::LeastRecentlyVisited,
        "sort_least_visited",
    ),
    (
        "findings",
        HouseholdSort::MostFindings,
        "sort_most_findings",
    ),
];

const GROUPS: [&str; 5] = [
    "elderly_alone",
    "disabled",
    "low_income",
    "veteran",
    "left_behind_child",
];

/// `GET /web/households?grid=&q=&never=&group=&sort=&page=`.
pub(crate) async fn households(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    lang: PageLang,
    Query(q): Query<ListQuery>,
) -> Result<PageView<HouseholdsPage>, PageError> {
    let grids = sup.grids();
    let grid = q.grid.clone().or_else(|| grids.first().cloned());
    if let Some(g) = &grid
        && !grids.contains(g)
    {
        return Err(sup.refuse("households of another grid"));
    }
    let page_no = page_number(q.page.as_deref());
    let (sort_code, sort, _) = SORTS
        .iter()
        .find(|(code, _, _)| *code == q.sort)
        .copied()
        .unwrap_or(SORTS[0]);
    let group = GROUPS.iter().find(|g| **g == q.group).copied();
    let never = q.never == "1";
    let search = q.q.trim().to_owned();
    let page = blocking(&app, move |app| {
        let names = names(app, lang.lang());
        let mut page = HouseholdsPage {
            grids: grid_links(&names, &grids),
            grid: None,
            grid_name: None,
            households: Vec::new(),
            count: 0,
            residents: 0,
            never,
            group: group.unwrap_or_default().to_owned(),
            groups: GROUPS
                .iter()
                .map(|g| Choice {
                    code: g,
                    name: names.term("special_group", g),
                })
                .collect(),
            sort: sort_code,
            sorts: SORTS
                .iter()
                .map(|(code, _, word)| Choice {
                    code,
                    name: crate::web::i18n::word(lang.0.as_str(), word),
                })
                .collect(),
            q: search.clone(),
            paging: None,
        };
        let Some(grid) = grid else {
            return Ok(page);
        };
        let query = HouseholdQuery {
            grid: grid.clone(),
            search: search.clone(),
            never_visited: never,
            special_group: group.map(str::to_owned),
            sort,
        };
        let found = app
            .store
            .page_households(&query, (page_no - 1) * PAGE_ROWS, PAGE_ROWS)?;
        page.households = found
            .households
            .iter()
            .map(|h| HouseholdRow {
                id: h.id.to_string(),
                address: names.address(&h.compound, &h.building, &h.unit, &h.room),
                head: if h.head_name.is_empty() {
                    NOTHING.to_owned()
                } else {
                    h.head_name.clone()
                },
                residents: h.resident_count,
                last_visit: names.last_visit(h.last_visit_at),
                never: h.last_visit_at.is_none(),
                findings: h.finding_count,
            })
            .collect();
        let base = format!(
            "/web/households?grid={}&q={}&never={}&group={}&sort={sort_code}&",
            encode(&grid),
            encode(&search),
            if never { "1" } else { "" },
            group.unwrap_or_default(),
        );
        page.paging = Some(Paging::new(found.total, page_no, &base, lang.lang()));
        page.grid_name = Some(names.place(&grid));
        page.grid = Some(grid);
        page.count = found.total;
        page.residents = found.residents;
        Ok(page)
    })
    .await?;
    Ok(PageView::new(page))
}

/// One household.
#[derive(Serialize)]
pub(crate) struct HouseholdPage {
    id: String,
    label: String,
    grid: String,
    grid_code: String,
    compound: String,
    house_use: String,
    residents: Vec<ResidentRow>,
    visits: Vec<VisitRow>,
    /// Fields two offline edits left with two values, each with the values to choose from.
    conflicts: Vec<ConflictRow>,
    /// Its findings, what was marked about them, and the workers to hand one to.
    findings: FindingsSection,
    /// What the last action did (`page.done_*`).
    done: Option<&'static str>,
    /// Why the action just tried was refused, in the reader's language.
    pub(crate) refusal: Option<String>,
    /// The visit whose send-back was refused, and the note typed, to fill its form in again.
    refused_visit: String,
    pub(crate) note: String,
}
template!(HouseholdPage, "household.html");

/// A resident's line, ID number and phone masked.
#[derive(Serialize)]
struct ResidentRow {
    name: String,
    moved_out: bool,
    id_number: String,
    phone: String,
    relation: String,
    tags: String,
}

/// A visit's line, newest first, with its send-backs.
#[derive(Serialize)]
struct VisitRow {
    id: String,
    at: String,
    worker: String,
    worker_name: String,
    purpose: String,
    notes: String,
    photos: Vec<PhotoLink>,
    reviews: Vec<ReviewRow>,
}

/// A reviewer's send-back of a visit.
#[derive(Serialize)]
struct ReviewRow {
    at: String,
    by: String,
    note: String,
}

/// A field with conflicting values, and a choice of one.
#[derive(Serialize)]
struct ConflictRow {
    /// The field's path, for the form.
    field: String,
    /// What the findings list says of it: the field (and resident) and the values.
    label: String,
    /// The values as shown (masked, by their terms), joined: the form sends it back, so a
    /// choice made on a conflict that has changed since is refused rather than misread.
    shown: String,
    /// The values to choose from, by their place in the conflict.
    options: Vec<ConflictOption>,
}

/// One value of a conflict, as shown.
#[derive(Serialize)]
struct ConflictOption {
    index: usize,
    label: String,
}

/// A conflicting field's values as a reader sees them: ID numbers and phones of residents
/// masked, coded values by their terms (as `rules::findings::conflict_detail` shows them).
fn shown_values(names: &Names, path: &str, values: &[String]) -> Vec<String> {
    let resident = path.starts_with("residents.");
    let key = path.rsplit('.').next().unwrap_or(path);
    values
        .iter()
        .map(|v| match (resident, key) {
            (true, "id_number") => id_number::mask(v),
            (true, "phone") => phone::mask(v),
            (_, "relation" | "registration" | "house_use" | "moved_out") => names.term(key, v),
            _ => v.clone(),
        })
        .collect()
}

/// A photo's full and thumbnail hashes.
#[derive(Serialize)]
struct PhotoLink {
    full: String,
    thumb: String,
}

/// The household page's query: what the action just made did.
#[derive(Deserialize)]
pub(crate) struct HouseholdQueryString {
    done: Option<String>,
}

/// `GET /web/households/{id}`.
pub(crate) async fn household(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    lang: PageLang,
    Path(id): Path<String>,
    Query(q): Query<HouseholdQueryString>,
) -> Result<PageView<HouseholdPage>, PageError> {
    let done = match q.done.as_deref() {
        Some("send-back") => Some("done_send_back_visit"),
        Some("resolve") => Some("done_resolve"),
        Some("finding-checked") => Some("done_finding_checked"),
        Some("finding-assigned") => Some("done_finding_assigned"),
        _ => None,
    };
    let page = blocking(&app, move |app| {
        let mut page = household_page(app, &sup, &lang, &id)?;
        page.done = done;
        Ok(page)
    })
    .await?;
    Ok(PageView::new(page))
}

/// The household `id` as its page shows it, if it is in the reader's grids (403 otherwise, 404
/// when there is none). Called on the blocking pool.
pub(crate) fn household_page(
    app: &AppState,
    sup: &Supervisor,
    lang: &PageLang,
    id: &str,
) -> Result<HouseholdPage, PageError> {
    let h = app
        .store
        .household(&RecordId::from(id))
        .map_err(|e| PageError::from_lookup(id, e))?;
    if !sup.grids().contains(&h.address.grid) {
        return Err(sup.refuse("a household of another grid"));
    }
    let names = names(app, lang.lang());
    let residents = h
        .residents
        .iter()
        .map(|r| ResidentRow {
            name: r.name.clone(),
            moved_out: r.moved_out,
            id_number: r
                .id_number
                .as_deref()
                .map(id_number::mask)
                .unwrap_or_default(),
            phone: r.phone.as_deref().map(phone::mask).unwrap_or_default(),
            relation: names.term("relation", r.relation.as_str()),
            tags: r
                .tags
                .iter()
                .map(|t| names.term("special_group", t.as_str()))
                .collect::<Vec<_>>()
                .join("、"),
        })
        .collect();
    let visits = h
        .visits
        .iter()
        .rev()
        .map(|v| VisitRow {
            id: v.id.to_string(),
            at: minute(v.at),
            worker: v.worker.clone(),
            worker_name: names.person(&v.worker),
            purpose: names.term("purpose", v.purpose.as_str()),
            notes: v.notes.clone(),
            photos: v
                .photos
                .iter()
                .map(|ph| PhotoLink {
                    full: ph.full.clone(),
                    thumb: ph.thumb.clone(),
                })
                .collect(),
            reviews: h
                .reviews
                .iter()
                .filter(|r| r.visit_id == v.id.as_str())
                .map(|r| ReviewRow {
                    at: minute(r.at),
                    by: names.person(&r.by),
                    note: r.note.clone(),
                })
                .collect(),
        })
        .collect();
    let conflicts = h
        .conflicts
        .iter()
        .map(|c| {
            let shown = shown_values(&names, &c.field, &c.values);
            ConflictRow {
                field: c.field.clone(),
                label: findings::conflict_detail(&h, &c.field, &c.values).render(lang.lang()),
                shown: shown.join(" | "),
                options: shown
                    .into_iter()
                    .enumerate()
                    .map(|(index, label)| ConflictOption { index, label })
                    .collect(),
            }
        })
        .collect();
    let findings = findings_section(app, &h, &names, lang, Timestamp::now())?;
    let a = &h.address;
    Ok(HouseholdPage {
        findings,
        id: h.id.to_string(),
        label: names.address(&a.compound, &a.building, &a.unit, &a.room),
        grid: names.place(&a.grid),
        grid_code: a.grid.clone(),
        compound: names.place(&a.compound),
        house_use: names.term("house_use", h.house_use.as_str()),
        residents,
        visits,
        conflicts,
        done: None,
        refusal: None,
        refused_visit: String::new(),
        note: String::new(),
    })
}

/// The send-back form: the form token and what is wrong with the visit.
#[derive(Deserialize)]
pub(crate) struct SendBackForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    note: String,
}

/// `POST /web/households/{id}/visits/{visit}/send-back`: the signed-in supervisor sends a
/// visit back with a reason (`Store::send_back_visit`, a review in the household's record): a
/// to-do for the visit's worker on their next sync. Done, the household's page again (303)
/// saying so; refused by the rules (no reason given), the page with the reason (409).
pub(crate) async fn send_back_visit(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    lang: PageLang,
    headers: HeaderMap,
    Path((id, visit)): Path<(String, String)>,
    form: Result<Form<SendBackForm>, FormRejection>,
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
            return Err(sup.refuse("sending back a visit of another grid"));
        }
        if !h.visits.iter().any(|v| v.id.as_str() == visit) {
            return Err(PageError::NotFound(Message::new("web.no_such_visit")));
        }
        let outcome = app.store.send_back_visit(
            &sup.session.actor,
            &record,
            &VisitId::from(visit.as_str()),
            &note,
            Timestamp::now(),
        );
        match outcome {
            Ok(()) => {
                tracing::info!(user = %sup.user_id(), household = %id, visit, "visit sent back");
                Ok(Redirect::to(&format!("/web/households/{id}?done=send-back")).into_response())
            }
            Err(gridwalk_core::Error::Refused(r)) => {
                let mut page = household_page(app, &sup, &lang, &id)?;
                page.refusal = Some(r.message().render(lang.lang()));
                page.refused_visit = visit;
                page.note = note;
                Ok((StatusCode::CONFLICT, PageView::new(page)).into_response())
            }
            Err(e) => Err(PageError::internal(e)),
        }
    })
    .await
}

/// The conflict form: the form token, the field, the values as the page showed them, and the
/// chosen value's place among them.
#[derive(Deserialize)]
pub(crate) struct ResolveForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    field: String,
    #[serde(default)]
    shown: String,
    #[serde(default)]
    choice: String,
}

/// `POST /web/households/{id}/conflicts`: the signed-in supervisor ends a conflict between
/// offline edits with the value they chose (`Store::resolve_conflict`), which every phone of the
/// grid gets on its next sync. A conflict that is gone or has changed since the page showed it
/// is not guessed at: the page says so (409), as it does a value the rules refuse.
pub(crate) async fn resolve_conflict(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    lang: PageLang,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Form<ResolveForm>, FormRejection>,
) -> Result<Response, PageError> {
    let form = sup.checked_form(&headers, form)?;
    blocking(&app, move |app| {
        let record = RecordId::from(id.as_str());
        let h = app
            .store
            .household(&record)
            .map_err(|e| PageError::from_lookup(&id, e))?;
        if !sup.grids().contains(&h.address.grid) {
            return Err(sup.refuse("resolving a conflict of another grid"));
        }
        let refused = |why: Message| -> Result<Response, PageError> {
            let mut page = household_page(app, &sup, &lang, &id)?;
            page.refusal = Some(why.render(lang.lang()));
            Ok((StatusCode::CONFLICT, PageView::new(page)).into_response())
        };
        let Some(conflict) = h.conflicts.iter().find(|c| c.field == form.field) else {
            return refused(Message::new("web.conflict_gone"));
        };
        let names = names(app, lang.lang());
        let shown = shown_values(&names, &conflict.field, &conflict.values).join(" | ");
        let chosen = form
            .choice
            .parse::<usize>()
            .ok()
            .and_then(|i| conflict.values.get(i));
        let Some(value) = chosen.filter(|_| shown == form.shown) else {
            return refused(Message::new("web.conflict_changed"));
        };
        match app.store.resolve_conflict(
            &sup.session.actor,
            &record,
            &conflict.field,
            value,
            Timestamp::now(),
        ) {
            Ok(()) => {
                tracing::info!(user = %sup.user_id(), household = %id, field = %conflict.field, "conflict resolved");
                Ok(Redirect::to(&format!("/web/households/{id}?done=resolve")).into_response())
            }
            Err(gridwalk_core::Error::Refused(r)) => refused(r.message()),
            Err(e) => Err(PageError::internal(e)),
        }
    })
    .await
}

crate::web::extract::form_token!(SendBackForm, ResolveForm);
