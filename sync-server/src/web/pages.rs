//! The page handlers. Each one: who is asking (a supervisor, else the login page or 403), what
//! their area is, then one read of the store and one template.

// A handler's `Err` is the response it sends instead of the page: it is built once per request
// and returned straight to axum, so boxing it would cost an allocation and buy nothing.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Form, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use gridwalk_core::messages::{Lang, Message};
use gridwalk_core::records::reference::ReferenceKind;
use gridwalk_core::records::view::RecordView;
use gridwalk_core::rules::order::OrderStatus;
use gridwalk_core::store::inspection::OrderFilter;
use gridwalk_core::store::queries::AddressScope;
use gridwalk_core::{RecordId, Timestamp};
use minijinja::context;

use super::names::Names;
use super::{csrf, error_page, lang, render, supervisor};
use crate::accounts::Session;
use crate::api::AppState;
use crate::ledger::{export, import};
use crate::scope::scopes_of;

type Params = Query<HashMap<String, String>>;

/// What a page handler answers: `Ok` with the page, or `Err` with what to send instead (the
/// login page, a 403, a 404, a 500), so that `?` can end a handler early.
type PageResult = Result<Response, Response>;
const PAGE: u32 = 50;

fn day(t: Timestamp) -> String {
    t.china_date().to_string()
}

fn minute(t: Timestamp) -> String {
    let offset = time::UtcOffset::from_hms(8, 0, 0).expect("valid offset");
    // A time at the edge of the calendar (a crafted record) shows as nothing, never a panic.
    time::OffsetDateTime::from_unix_timestamp(t.0 / 1000)
        .ok()
        .and_then(|d| d.checked_to_offset(offset))
        .map(|d| format!("{} {:02}:{:02}", d.date(), d.hour(), d.minute()))
        .unwrap_or_default()
}

/// Everything a page handler needs about the request.
struct Page {
    session: Session,
    lang: String,
    scopes: Vec<String>,
    /// The session's form token, for the hidden field of every form (see `csrf`).
    csrf: String,
    /// Names for the codes records hold, read on first use: a photo or a form post needs none.
    names: std::sync::OnceLock<Names>,
    app: Arc<AppState>,
}

impl Page {
    fn grids(&self) -> Vec<String> {
        self.scopes
            .iter()
            .filter_map(|s| s.strip_prefix("grid:"))
            .map(str::to_owned)
            .collect()
    }

    fn compounds(&self) -> Vec<String> {
        self.scopes
            .iter()
            .filter_map(|s| s.strip_prefix("compound:"))
            .map(str::to_owned)
            .collect()
    }

    /// The reader's language for messages.
    fn language(&self) -> Lang {
        Lang::from_tag(&self.lang)
    }

    /// Names for codes, read once per request when a page first needs one. A failed read shows
    /// codes (logged) rather than failing the page.
    fn names(&self) -> &Names {
        self.names.get_or_init(|| {
            Names::load(&self.app, self.language()).unwrap_or_else(|e| {
                tracing::error!(error = %e, "reading names for a page");
                Names::empty(self.language())
            })
        })
    }

    /// Who is signed in, by name.
    fn user(&self) -> Option<&str> {
        Some(&self.session.display_name)
    }

    /// The reader's grids with their names, for the grid links of a list.
    fn grid_links(&self) -> Vec<minijinja::Value> {
        self.grids()
            .into_iter()
            .map(|g| context! { name => self.names().place(&g), code => g })
            .collect()
    }

    /// The page itself, in the reader's language.
    fn render(&self, app: &AppState, template: &str, ctx: minijinja::Value) -> PageResult {
        Ok(render(
            app,
            template,
            &self.lang,
            self.user(),
            Some(&self.csrf),
            ctx,
        ))
    }

    fn error(&self, app: &AppState, status: StatusCode, key: &str, message: &Message) -> Response {
        error_page(
            app,
            status,
            &self.lang,
            self.user(),
            Some(&self.csrf),
            key,
            message,
        )
    }

    fn not_found(&self, app: &AppState, what: Message) -> Response {
        self.error(app, StatusCode::NOT_FOUND, "not_found", &what)
    }

    /// A 403 for a POST without this session's form token (see `csrf`), logged.
    fn form_expired(&self, app: &AppState) -> Response {
        tracing::warn!(user = %self.session.actor.user_id, "refused a POST without the session's form token");
        self.error(
            app,
            StatusCode::FORBIDDEN,
            "forbidden",
            &Message::new("web.form_expired"),
        )
    }

    fn bad_ledger(&self, app: &AppState, why: Message) -> Response {
        self.error(app, StatusCode::BAD_REQUEST, "ledger", &why)
    }

    /// A 403 for a record outside the reader's area, logged: every refusal leaves a trace.
    fn refuse(&self, app: &AppState, what: &str) -> Response {
        tracing::warn!(user = %self.session.actor.user_id, what, "refused a page outside the user's area");
        self.error(
            app,
            StatusCode::FORBIDDEN,
            "forbidden",
            &Message::new("web.outside_area"),
        )
    }

    /// A record by id: missing is a 404, anything else a 500.
    fn found<T>(
        &self,
        app: &AppState,
        id: &str,
        r: gridwalk_core::Result<T>,
    ) -> Result<T, Response> {
        r.map_err(|e| match e {
            gridwalk_core::Error::NotFound { .. } => {
                self.not_found(app, Message::new("web.no_such_record").with("id", id))
            }
            e => failed(e),
        })
    }
}

/// Reference names by id, for showing names where records hold ids.
fn names(app: &AppState, kind: ReferenceKind) -> Result<HashMap<String, String>, Response> {
    Ok(app
        .store
        .reference_items(kind, None)
        .map_err(failed)?
        .into_iter()
        .map(|i| (i.id, i.name))
        .collect())
}

/// The devices whose users work in the reader's area: a supervisor does not learn who works
/// elsewhere, nor when they synced.
fn devices_in_area(
    app: &AppState,
    p: &Page,
) -> Result<Vec<(String, String, Timestamp, u32)>, Response> {
    let mut in_area: HashMap<String, bool> = HashMap::new();
    let mut shown = Vec::new();
    for device in app.accounts.devices().map_err(failed)? {
        let user = &device.1;
        if !in_area.contains_key(user) {
            let theirs = app
                .accounts
                .session_of_user(user, &device.0)
                .map_err(failed)
                .and_then(|s| scopes_of(&s, &app.store).map_err(failed))?;
            in_area.insert(user.clone(), theirs.iter().any(|s| p.scopes.contains(s)));
        }
        if in_area[user] {
            shown.push(device);
        }
    }
    Ok(shown)
}

async fn page(
    app: &Arc<AppState>,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
) -> Result<Page, Response> {
    let lang = lang(headers, q.get("lang").map(String::as_str));
    let session = supervisor(app, headers, &lang).await?;
    let scopes = scopes_of(&session, &app.store).map_err(|e| {
        tracing::error!(error = %e, "reading scopes");
        (StatusCode::INTERNAL_SERVER_ERROR, "the server failed").into_response()
    })?;
    let csrf = super::cookie(headers, "gw_session")
        .map(|t| csrf::for_session(&t))
        .unwrap_or_default();
    Ok(Page {
        session,
        lang,
        scopes,
        csrf,
        names: std::sync::OnceLock::new(),
        app: app.clone(),
    })
}

pub(super) fn failed(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "a page failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "the server failed; try again",
    )
        .into_response()
}

pub(super) async fn overview(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Params,
) -> PageResult {
    let p = page(&app, &headers, &q).await?;
    let now = Timestamp::now();
    let store = &app.store;
    let names = names(&app, ReferenceKind::Grid)?;
    let mut grids = Vec::new();
    for g in p.grids() {
        let list = store
            .list_households(&AddressScope::Grid(g.clone()), 0, 0)
            .map_err(failed)?;
        grids.push(context! {
            name => names.get(&g).cloned().unwrap_or_else(|| g.clone()),
            households => list.household_count,
            residents => list.resident_count,
            visits => store.visits_since(&g, now.minus_days(30), now).map_err(failed)?,
            findings => store.needs_checking(&g, now).map_err(failed)?.len(),
            grid => g,
        });
    }
    let (mut open, mut overdue) = (0, 0);
    for c in p.compounds() {
        let (o, d) = store.order_counts(&c, now).map_err(failed)?;
        open += o;
        overdue += d;
    }
    let devices: Vec<_> = devices_in_area(&app, &p)?
        .into_iter()
        .map(|(_, user, at, pending)| context! { name => p.names().person(&user), user => user, last_sync => minute(at), pending => pending })
        .collect();
    p.render(&app, "overview.html", context! { grids => grids, open_orders => open, overdue_orders => overdue, devices => devices })
}

pub(super) async fn households(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Params,
) -> PageResult {
    let p = page(&app, &headers, &q).await?;
    let grids = p.grids();
    let grid = q.get("grid").cloned().or_else(|| grids.first().cloned());
    let Some(grid) = grid else {
        return p.render(
            &app,
            "households.html",
            context! { grids => p.grid_links() },
        );
    };
    if !grids.contains(&grid) {
        return Err(p.refuse(&app, "households of another grid"));
    }
    let page_no: u32 = q.get("page").and_then(|v| v.parse().ok()).unwrap_or(0);
    let list = app
        .store
        .list_households(&AddressScope::Grid(grid.clone()), page_no * PAGE, PAGE)
        .map_err(failed)?;
    let rows: Vec<_> = list
        .households
        .iter()
        .map(|h| {
            context! {
                id => h.id.to_string(),
                address => p.names().address(&h.compound, &h.building, &h.unit, &h.room),
                head => if h.head_name.is_empty() { super::names::NOTHING.to_owned() } else { h.head_name.clone() },
                residents => h.resident_count,
                last_visit => p.names().last_visit(h.last_visit_at), never => h.last_visit_at.is_none(),
                findings => h.finding_count,
            }
        })
        .collect();
    let more = (page_no + 1) * PAGE < list.household_count;
    p.render(
        &app,
        "households.html",
        context! {
            grids => p.grid_links(), grid_name => p.names().place(&grid), grid => grid,
            households => rows, count => list.household_count,
            residents => list.resident_count,
            prev => page_no.checked_sub(1), next => more.then_some(page_no + 1),
        },
    )
}

pub(super) async fn household(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Params,
) -> PageResult {
    let p = page(&app, &headers, &q).await?;
    let h = p.found(&app, &id, app.store.household(&RecordId::from(id.as_str())))?;
    if !p.grids().contains(&h.address.grid) {
        return Err(p.refuse(&app, "a household of another grid"));
    }
    use gridwalk_core::rules::{id_number, phone};
    let residents: Vec<_> = h
        .residents
        .iter()
        .map(|r| {
            context! {
                name => r.name, moved_out => r.moved_out,
                id_number => r.id_number.as_deref().map(id_number::mask).unwrap_or_default(),
                phone => r.phone.as_deref().map(phone::mask).unwrap_or_default(),
                relation => p.names().term("relation", r.relation.as_str()),
                tags => r.tags.iter().map(|t| p.names().term("special_group", t.as_str())).collect::<Vec<_>>().join("、"),
            }
        })
        .collect();
    let visits: Vec<_> = h
        .visits
        .iter()
        .rev()
        .map(|v| {
            let photos: Vec<_> = v.photos.iter().map(|ph| context! { full => ph.full, thumb => ph.thumb }).collect();
            context! {
                at => minute(v.at), worker => v.worker, worker_name => p.names().person(&v.worker),
                purpose => p.names().term("purpose", v.purpose.as_str()), notes => v.notes, photos => photos,
            }
        })
        .collect();
    let a = &h.address;
    let label = p
        .names()
        .address(&a.compound, &a.building, &a.unit, &a.room);
    p.render(&app, "household.html", context! {
        label => label, grid => p.names().place(&a.grid), grid_code => a.grid, compound => p.names().place(&a.compound),
        house_use => p.names().term("house_use", h.house_use.as_str()), residents => residents, visits => visits,
    })
}

pub(super) async fn findings(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Params,
) -> PageResult {
    let p = page(&app, &headers, &q).await?;
    let grids = p.grids();
    let grid = q.get("grid").cloned().or_else(|| grids.first().cloned());
    let Some(grid) = grid else {
        return p.render(&app, "findings.html", context! { grids => p.grid_links() });
    };
    if !grids.contains(&grid) {
        return Err(p.refuse(&app, "findings of another grid"));
    }
    let list = app
        .store
        .needs_checking(&grid, Timestamp::now())
        .map_err(failed)?;
    // Each finding's household by its address, from the grid's list.
    let addresses: HashMap<String, String> = app
        .store
        .list_households(&AddressScope::Grid(grid.clone()), 0, u32::MAX)
        .map_err(failed)?
        .households
        .into_iter()
        .map(|h| {
            let label = p
                .names()
                .address(&h.compound, &h.building, &h.unit, &h.room);
            (h.id.to_string(), label)
        })
        .collect();
    let rows: Vec<_> = list
        .iter()
        .map(|f| {
            context! {
                kind => f.kind.as_str(), household_id => f.household_id,
                household => addresses.get(&f.household_id).cloned().unwrap_or_else(|| super::names::NOTHING.to_owned()),
                detail => named_detail(&f.detail, addresses.get(&f.household_id)).render(p.language()),
            }
        })
        .collect();
    p.render(
        &app,
        "findings.html",
        context! { grids => p.grid_links(), grid => grid, grid_name => p.names().place(&grid), findings => rows },
    )
}

/// A finding's detail with the household's address by name: the stored message names it by
/// its codes (the phone has no names for every place when it decides a finding).
fn named_detail(detail: &Message, address: Option<&String>) -> Message {
    match address {
        Some(a) if detail.params.contains_key("address") => detail.clone().with("address", a),
        _ => detail.clone(),
    }
}

pub(super) async fn orders(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Params,
) -> PageResult {
    let p = page(&app, &headers, &q).await?;
    let now = Timestamp::now();
    let filter = q.get("filter").cloned().unwrap_or_default();
    let compounds = p.compounds();
    let mut rows = Vec::new();
    for c in &compounds {
        let list = app
            .store
            .list_orders(
                &p.session.actor,
                &OrderFilter::Compound(c.clone()),
                now,
                1000,
            )
            .map_err(failed)?;
        for o in list {
            let keep = match filter.split_once(':') {
                _ if filter.is_empty() => o.status != OrderStatus::Draft,
                None if filter == "overdue" => o.overdue,
                Some(("status", s)) => o.status.as_str() == s,
                Some(("company", c)) => o.company == c && o.status != OrderStatus::Draft,
                _ => false,
            };
            if keep {
                rows.push(o);
            }
        }
    }
    rows.sort_by(|a, b| (a.deadline, &a.id).cmp(&(b.deadline, &b.id)));
    let rows: Vec<_> = rows
        .iter()
        .map(|o| {
            context! {
                id => o.id.to_string(), title => o.title, compound => p.names().place(&o.compound),
                company => p.names().place(&o.company),
                status => p.names().term("order_status", o.status.as_str()), overdue => o.overdue, deadline => day(o.deadline),
                items => format!("{}/{}", o.items_answered, o.items_total),
            }
        })
        .collect();
    let statuses = [
        "issued",
        "acknowledged",
        "answered",
        "reopened",
        "verified",
        "cancelled",
    ];
    p.render(
        &app,
        "orders.html",
        context! {
            orders => rows,
            statuses => statuses.iter().map(|s| context! { code => s, name => p.names().term("order_status", s) }).collect::<Vec<_>>(),
        },
    )
}

pub(super) async fn order(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Params,
) -> PageResult {
    let p = page(&app, &headers, &q).await?;
    let detail = p.found(&app, &id, app.store.order(&RecordId::from(id.as_str())))?;
    let o = &detail.order;
    if !RecordView::Order(o.clone())
        .scopes()
        .iter()
        .any(|s| p.scopes.contains(s))
    {
        return Err(p.refuse(&app, "an order of another area"));
    }
    let items: Vec<_> = o
        .items
        .iter()
        .zip(&detail.state.items)
        .map(|(i, (_, state))| {
            context! {
                description => i.description, severity => p.names().term("severity", i.severity.as_str()),
                state => p.names().term("item_state", &format!("{state:?}").to_lowercase()),
                photos => i.before_photos.iter().map(|ph| ph.thumb.clone()).collect::<Vec<_>>(),
            }
        })
        .collect();
    let history: Vec<_> = detail
        .state
        .history
        .iter()
        .map(|e| {
            context! {
                at => minute(e.event.at), by => p.names().person(&e.event.by), kind => p.names().term("event", &e.event.kind), note => e.event.note,
                counted => e.counted, reason => e.reason.as_ref().map(|r| r.render(p.language())),
                photos => e.event.photos.iter().map(|ph| ph.thumb.clone()).collect::<Vec<_>>(),
            }
        })
        .collect();
    let overdue = gridwalk_core::rules::order::is_overdue(o, &detail.state, Timestamp::now());
    p.render(&app, "order.html", context! {
            title => o.title, status => p.names().term("order_status", detail.state.status.as_str()), overdue => overdue,
            company => p.names().place(&o.company), compound => p.names().place(&o.compound),
            deadline => day(o.deadline), items => items, history => history,
        })
}

pub(super) async fn ratings(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Params,
) -> PageResult {
    let p = page(&app, &headers, &q).await?;
    let names = names(&app, ReferenceKind::Company)?;
    // Companies serving the reader's compounds; each rated on all its orders in the district.
    let in_area = app
        .store
        .companies_in_compounds(&p.compounds())
        .map_err(failed)?;
    let ratings: Vec<_> = app
        .store
        .company_ratings(Timestamp::now())
        .map_err(failed)?
        .into_iter()
        .filter(|r| in_area.contains(&r.company))
    .map(|r| {
        context! {
            company => r.company, name => names.get(&r.company).cloned().unwrap_or_else(|| r.company.clone()),
            score => r.score, color => format!("{:?}", r.color).to_lowercase(),
            on_time => format!("{:.0}%", r.on_time_rate * 100.0), overdue => r.overdue, reopened => r.reopened,
        }
    })
    .collect();
    p.render(&app, "ratings.html", context! { ratings => ratings })
}

pub(super) async fn worker(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(user): Path<String>,
    Query(q): Params,
) -> PageResult {
    let p = page(&app, &headers, &q).await?;
    if !p.names().knows_person(&user) {
        return Err(p.not_found(&app, Message::new("web.no_such_person")));
    }
    let grids = p.grids();
    let rows: Vec<_> = app
        .store
        .visits_by_worker(&user, &grids, 500)
        .map_err(failed)?
        .into_iter()
        .map(|v| {
            context! {
                household => v.household_id.to_string(),
                label => p.names().address(&v.compound, &v.building, &v.unit, &v.room), at => minute(v.at),
                purpose => p.names().term("purpose", &v.purpose), notes => v.notes,
            }
        })
        .collect();
    p.render(
        &app,
        "worker.html",
        context! { worker => p.names().person(&user), visits => rows },
    )
}

pub(super) async fn ledger(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Query(q): Params,
) -> PageResult {
    let p = page(&app, &headers, &q).await?;
    let committed = q.get("committed").cloned();
    p.render(&app, "ledger.html", context! { committed => committed })
}

pub(super) async fn ledger_preview(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    mut form: Multipart,
) -> PageResult {
    let p = page(&app, &headers, &HashMap::new()).await?;
    // The form token comes first (the form puts its hidden field before the file), so nothing
    // of a forged upload is read beyond it.
    let token = match form.next_field().await {
        Ok(Some(field)) if field.name() == Some(csrf::FIELD) => field.text().await.ok(),
        _ => None,
    };
    if !token.is_some_and(|t| csrf::session_token_matches(&headers, &t)) {
        return Err(p.form_expired(&app));
    }
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        // A cut upload or one over the body limit says so, not "choose a file".
        let field = match form.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                return Err(p.bad_ledger(&app, Message::new("web.upload_failed").with("reason", e)));
            }
        };
        let name = field.file_name().unwrap_or_default().to_lowercase();
        match field.bytes().await {
            Ok(bytes) => file = Some((name, bytes.to_vec())),
            Err(e) => {
                return Err(p.bad_ledger(&app, Message::new("web.upload_failed").with("reason", e)));
            }
        }
    }
    // The file's name is not trusted for its type: `import::read` looks at its bytes.
    let Some((_, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return Err(p.bad_ledger(&app, Message::new("web.choose_ledger_file")));
    };
    let rows = import::read(&bytes);
    let app2 = app.clone();
    let grids = p.grids();
    let result = tokio::task::spawn_blocking(move || {
        rows.and_then(|rows| import::preview(rows, &app2.store, Some(&grids)))
    })
    .await;
    let preview = match result.map_err(failed)? {
        Ok(preview) => preview,
        Err(e) => return Err(p.bad_ledger(&app, e.message())),
    };
    let upload = gridwalk_core::RecordId::generate().to_string();
    let lang = p.language();
    let listed = |rows: &[import::BadRow]| {
        rows.iter()
            .take(import::SHOWN_BAD_ROWS)
            .map(|b| context! { line => b.line, who => b.who, reason => b.reason.render(lang) })
            .collect::<Vec<_>>()
    };
    let changes: Vec<_> = preview
        .households
        .iter()
        .flat_map(|h| &h.changes)
        .take(import::SHOWN_BAD_ROWS)
        .map(|c| context! { who => c.who, field => c.field, old => c.old, new => c.new })
        .collect();
    let view = context! {
        rows => preview.rows, households => preview.households.len(), residents => preview.residents(),
        new => preview.count(import::Status::New), changed => preview.count(import::Status::Changed),
        unchanged => preview.count(import::Status::Unchanged), moved => preview.moved(),
        bad_count => preview.bad.len(), bad => listed(&preview.bad),
        to_check_count => preview.to_check.len(), to_check => listed(&preview.to_check),
        shown_note => shown_note(&preview, lang),
        warnings => preview.warnings.iter().map(|w| w.render(lang)).collect::<Vec<_>>(),
        ignored => preview.ignored.clone(),
        created => preview.created.iter().map(|i| context! { kind => i.kind.as_str(), name => i.name, code => i.id }).collect::<Vec<_>>(),
        changes => changes,
        upload => upload,
    };
    // The preview waits for its commit in accounts.db, serialised (see `accounts::previews`).
    let app2 = app.clone();
    let owner = p.session.actor.user_id.clone();
    tokio::task::spawn_blocking(move || {
        let body = serde_json::to_vec(&preview).map_err(failed)?;
        app2.accounts
            .put_preview(&upload, &owner, &body, Timestamp::now())
            .map_err(failed)
    })
    .await
    .map_err(failed)??;
    p.render(&app, "ledger.html", context! { preview => view })
}

/// When more refused rows than the page lists: how many it lists of how many (all are in the
/// download; the rows to check are counted in the counts line).
fn shown_note(preview: &import::Preview, lang: Lang) -> Option<String> {
    let total = preview.bad.len();
    (total > import::SHOWN_BAD_ROWS).then(|| {
        Message::new("ledger.rows_shown")
            .with("shown", import::SHOWN_BAD_ROWS)
            .with("total", total)
            .render(lang)
    })
}

/// The reader's own stored preview `upload` (removed with `take`), or the page saying it has
/// expired (also for another user's preview, which is not told apart from none).
async fn stored_preview(
    app: &Arc<AppState>,
    p: &Page,
    upload: String,
    take: bool,
) -> Result<import::Preview, Response> {
    let accounts = app.accounts.clone();
    let owner = p.session.actor.user_id.clone();
    let stored = tokio::task::spawn_blocking(move || {
        accounts.preview(&upload, &owner, Timestamp::now(), take)
    })
    .await
    .map_err(failed)?
    .map_err(failed)?;
    match stored {
        crate::accounts::StoredPreview::Found(body) => {
            tokio::task::spawn_blocking(move || serde_json::from_slice(&body))
                .await
                .map_err(failed)?
                .map_err(failed)
        }
        _ => Err(p.not_found(app, Message::new("web.preview_expired"))),
    }
}

#[derive(serde::Deserialize)]
pub(super) struct CommitForm {
    upload: String,
    #[serde(default)]
    csrf: String,
}

pub(super) async fn ledger_commit(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    form: Result<Form<CommitForm>, axum::extract::rejection::FormRejection>,
) -> PageResult {
    let p = page(&app, &headers, &HashMap::new()).await?;
    let form = match form {
        Ok(Form(form)) if csrf::session_token_matches(&headers, &form.csrf) => form,
        _ => return Err(p.form_expired(&app)),
    };
    let preview = stored_preview(&app, &p, form.upload, true).await?;
    let owner = p.session.actor.user_id.clone();
    let app2 = app.clone();
    let actor = p.session.actor.clone();
    let committed =
        tokio::task::spawn_blocking(move || import::commit(&app2.store, &actor, &preview))
            .await
            .map_err(failed)?;
    match committed {
        Ok(ids) => {
            tracing::info!(user = %owner, households = ids.len(), "ledger imported");
            Ok(Redirect::to(&format!("/web/ledger?committed={}", ids.len())).into_response())
        }
        Err(e) => Err(p.bad_ledger(&app, e.message())),
    }
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// China time as a file name carries it: `20261130-2130`.
fn file_time(t: Timestamp) -> String {
    minute(t).replace(['-', ':'], "").replace(' ', "-")
}

/// A download's Content-Disposition (RFC 6266): an ASCII `filename` for old clients and the
/// real name as `filename*=UTF-8''…`, percent-encoded.
fn attachment(ascii: &str, name: &str) -> String {
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

fn download(mime: &str, disposition: String, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// The name of the reader's area for a file name: the communities of their grids (else their
/// grids, else their compounds), joined by 、.
fn area_name(app: &AppState, p: &Page) -> Result<String, Response> {
    let items = app.store.all_reference_items().map_err(failed)?;
    let item = |kind: ReferenceKind, id: &str| {
        items.iter().find(|i| i.kind == kind && i.id == id).cloned()
    };
    let mut names: Vec<String> = Vec::new();
    for g in p.grids() {
        let name = item(ReferenceKind::Grid, &g)
            .and_then(|g| g.parent_id)
            .and_then(|c| item(ReferenceKind::Community, &c))
            .map_or(g, |c| c.name);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if names.is_empty() {
        names = p
            .compounds()
            .iter()
            .map(|c| item(ReferenceKind::Compound, c).map_or(c.clone(), |i| i.name))
            .collect();
    }
    // Nothing that would end the name or leave the download folder.
    let name: String = names
        .join("、")
        .chars()
        .filter(|c| !c.is_control() && !"/\\:*?\"<>|".contains(*c))
        .take(40)
        .collect();
    Ok(name)
}

pub(super) async fn export(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(file): Path<String>,
) -> PageResult {
    let p = page(&app, &headers, &HashMap::new()).await?;
    let (name, ext) = file.rsplit_once('.').unwrap_or((&file, ""));
    let (table, title) = match name {
        "households" => (export::Table::Households, "住户台账"),
        "residents" => (export::Table::Residents, "居民台账"),
        "orders" => (export::Table::Orders, "整改工单"),
        _ => {
            return Err(p.not_found(&app, Message::new("web.no_such_file").with("file", &file)));
        }
    };
    let app2 = app.clone();
    let actor = p.session.actor.clone();
    let scopes = p.scopes.clone();
    let rows =
        tokio::task::spawn_blocking(move || export::rows(&app2.store, &actor, &scopes, table))
            .await
            .map_err(failed)?
            .map_err(failed)?;
    let (body, mime) = match ext {
        "csv" => (export::to_csv(&rows), "text/csv; charset=utf-8"),
        "xlsx" => (export::to_xlsx(&rows, title).map_err(failed)?, XLSX),
        _ => {
            return Err(p.not_found(&app, Message::new("web.no_such_file").with("file", &file)));
        }
    };
    // Every export of personal data leaves a trace: who, what, how many rows; never the data.
    tracing::info!(
        user = %p.session.actor.user_id,
        table = name,
        format = ext,
        rows = rows.len().saturating_sub(1),
        "ledger exported"
    );
    let time = file_time(Timestamp::now());
    let area = area_name(&app, &p)?;
    let full_name = if area.is_empty() {
        format!("{title}_{time}.{ext}")
    } else {
        format!("{title}_{area}_{time}.{ext}")
    };
    let disposition = attachment(&format!("{name}_{time}.{ext}"), &full_name);
    Ok(download(mime, disposition, body))
}

/// The refused rows of the reader's own preview as an XLSX to fix and upload again.
pub(super) async fn ledger_bad_rows(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(upload): Path<String>,
) -> PageResult {
    let p = page(&app, &headers, &HashMap::new()).await?;
    let preview = stored_preview(&app, &p, upload, false).await?;
    let count = preview.refused.len();
    let body = tokio::task::spawn_blocking(move || export::bad_rows_xlsx(&preview))
        .await
        .map_err(failed)?
        .map_err(failed)?;
    tracing::info!(
        user = %p.session.actor.user_id,
        table = "bad_rows",
        format = "xlsx",
        rows = count,
        "ledger exported"
    );
    let time = file_time(Timestamp::now());
    let disposition = attachment(
        &format!("bad_rows_{time}.xlsx"),
        &format!("台账待修改_{time}.xlsx"),
    );
    Ok(download(XLSX, disposition, body))
}

/// A ledger template whose example row lies in the reader's area (their first grid, its
/// community, a compound and building there if the reference data has them).
pub(super) async fn ledger_template(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
) -> PageResult {
    let p = page(&app, &headers, &HashMap::new()).await?;
    let items = app.store.all_reference_items().map_err(failed)?;
    let find =
        |kind: ReferenceKind,
         pred: &dyn Fn(&gridwalk_core::records::reference::ReferenceItem) -> bool| {
            items.iter().find(|i| i.kind == kind && pred(i)).cloned()
        };
    let grid = p
        .grids()
        .first()
        .and_then(|g| find(ReferenceKind::Grid, &|i| &i.id == g));
    let community = grid.as_ref().and_then(|g| {
        find(ReferenceKind::Community, &|i| {
            Some(&i.id) == g.parent_id.as_ref()
        })
    });
    let compound = grid.as_ref().and_then(|g| {
        find(ReferenceKind::Compound, &|i| {
            i.grid_id.as_ref() == Some(&g.id)
        })
    });
    let building = compound.as_ref().and_then(|c| {
        find(ReferenceKind::Building, &|i| {
            i.parent_id.as_ref() == Some(&c.id)
        })
    });
    let name = |i: Option<gridwalk_core::records::reference::ReferenceItem>, or: &str| {
        i.map_or(or.to_owned(), |i| i.name)
    };
    let example = export::template_example(
        name(community, "阳光社区"),
        name(grid, "第一网格"),
        name(compound, "阳光花园"),
        name(building, "1号楼"),
    );
    let body = export::template_xlsx(&example).map_err(failed)?;
    let disposition = attachment("ledger_template.xlsx", "台账模板.xlsx");
    Ok(download(XLSX, disposition, body))
}

pub(super) async fn photo(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    Path(hash): Path<String>,
) -> PageResult {
    let p = page(&app, &headers, &HashMap::new()).await?;
    // Served through a record granted the photo only (`store::photo_grants`).
    let theirs = app.store.photo_reader_scopes(&hash).map_err(failed)?;
    if !theirs.iter().any(|s| p.scopes.contains(s)) {
        return Err(p.refuse(&app, "a photo of another area"));
    }
    match app.store.photo_bytes(&hash).map_err(failed)? {
        Some(bytes) => Ok(([(header::CONTENT_TYPE, "image/jpeg")], bytes).into_response()),
        None => Err(p.not_found(&app, Message::new("web.photo_not_uploaded"))),
    }
}
