//! The ledger page (`/web/ledger`): upload a 台账 for a preview (`/web/ledger/preview`), then
//! commit its good rows (`/web/ledger/commit`). The import itself is `crate::ledger::import`;
//! the preview waits for its commit in accounts.db (`accounts::previews`).

use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Multipart, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use gridwalk_core::Timestamp;
use gridwalk_core::messages::{Lang, Message};
use serde::{Deserialize, Serialize};

use crate::accounts::StoredPreview;
use crate::ledger::import;
use crate::state::AppState;
use crate::web::extract::{PageLang, Supervisor};
use crate::web::view::{PageView, template};
use crate::web::{PageError, blocking, csrf};

/// The ledger page's query: how many households the last commit imported.
#[derive(Deserialize)]
pub(crate) struct LedgerQuery {
    committed: Option<String>,
}

/// The ledger page, with a preview after an upload.
#[derive(Serialize)]
pub(crate) struct LedgerPage {
    committed: Option<String>,
    preview: Option<PreviewView>,
}
template!(LedgerPage, "ledger.html");

/// What an upload would import.
#[derive(Serialize)]
struct PreviewView {
    rows: usize,
    households: usize,
    residents: usize,
    new: usize,
    changed: usize,
    unchanged: usize,
    moved: usize,
    bad_count: usize,
    bad: Vec<RowReason>,
    to_check_count: usize,
    to_check: Vec<RowReason>,
    shown_note: Option<String>,
    warnings: Vec<String>,
    /// Rows that are not people and were skipped, counted by why.
    skipped: Vec<String>,
    ignored: Vec<String>,
    created: Vec<Created>,
    changes: Vec<Change>,
    /// The stored preview's id, for the commit and the bad rows' download.
    upload: String,
}

/// A row refused or to check, and why.
#[derive(Serialize)]
struct RowReason {
    line: usize,
    who: String,
    reason: String,
}

/// A place the import would create.
#[derive(Serialize)]
struct Created {
    /// A `page.*` word.
    kind: &'static str,
    name: String,
    code: String,
}

/// A changed field of a known resident.
#[derive(Serialize)]
struct Change {
    who: String,
    field: &'static str,
    old: String,
    new: String,
}

/// `GET /web/ledger`.
pub(crate) async fn ledger(_sup: Supervisor, Query(q): Query<LedgerQuery>) -> PageView<LedgerPage> {
    PageView::new(LedgerPage {
        committed: q.committed,
        preview: None,
    })
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

fn view(preview: &import::Preview, upload: String, lang: Lang) -> PreviewView {
    let listed = |rows: &[import::BadRow]| {
        rows.iter()
            .take(import::SHOWN_BAD_ROWS)
            .map(|b| RowReason {
                line: b.line,
                who: b.who.clone(),
                reason: b.reason.render(lang),
            })
            .collect::<Vec<_>>()
    };
    PreviewView {
        rows: preview.rows,
        households: preview.households.len(),
        residents: preview.residents(),
        new: preview.count(import::Status::New),
        changed: preview.count(import::Status::Changed),
        unchanged: preview.count(import::Status::Unchanged),
        moved: preview.moved(),
        bad_count: preview.bad.len(),
        bad: listed(&preview.bad),
        to_check_count: preview.to_check.len(),
        to_check: listed(&preview.to_check),
        shown_note: shown_note(preview, lang),
        warnings: preview.warnings.iter().map(|w| w.render(lang)).collect(),
        skipped: preview
            .skipped_counts()
            .iter()
            .map(|m| m.render(lang))
            .collect(),
        ignored: preview.ignored.clone(),
        created: preview
            .created
            .iter()
            .map(|i| Created {
                kind: i.kind.as_str(),
                name: i.name.clone(),
                code: i.id.clone(),
            })
            .collect(),
        changes: preview
            .households
            .iter()
            .flat_map(|h| &h.changes)
            .take(import::SHOWN_BAD_ROWS)
            .map(|c| Change {
                who: c.who.clone(),
                field: c.field,
                old: c.old.clone(),
                new: c.new.clone(),
            })
            .collect(),
        upload,
    }
}

/// `POST /web/ledger/preview` (multipart: the form token, then the file).
pub(crate) async fn preview(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    lang: PageLang,
    headers: HeaderMap,
    mut form: Multipart,
) -> Result<PageView<LedgerPage>, PageError> {
    // The form token comes first (the form puts its hidden field before the file), so nothing
    // of a forged upload is read beyond it.
    let token = match form.next_field().await {
        Ok(Some(field)) if field.name() == Some(csrf::FIELD) => field.text().await.ok(),
        _ => None,
    };
    if !token.is_some_and(|t| csrf::session_token_matches(&headers, &t)) {
        return Err(sup.form_expired());
    }
    let upload_failed = |e: axum::extract::multipart::MultipartError| {
        PageError::bad_ledger(Message::new("web.upload_failed").with("reason", e))
    };
    let mut file: Option<Vec<u8>> = None;
    // A cut upload or one over the body limit says so, not "choose a file".
    while let Some(field) = form.next_field().await.map_err(upload_failed)? {
        file = Some(field.bytes().await.map_err(upload_failed)?.to_vec());
    }
    // The file's name is not trusted for its type: `import::read` looks at its bytes.
    let Some(bytes) = file.filter(|b| !b.is_empty()) else {
        return Err(PageError::bad_ledger(Message::new(
            "web.choose_ledger_file",
        )));
    };
    let lang = lang.lang();
    let owner = sup.user_id().to_owned();
    let preview = blocking(&app, move |app| {
        let grids = sup.grids();
        let preview = import::read(&bytes)
            .and_then(|rows| import::preview(rows, &app.store, Some(&grids)))
            .map_err(|e| PageError::bad_ledger(e.message()))?;
        let upload = gridwalk_core::RecordId::generate().to_string();
        let shown = view(&preview, upload.clone(), lang);
        // The preview waits for its commit in accounts.db, serialised.
        let body = serde_json::to_vec(&preview).map_err(PageError::internal)?;
        app.accounts
            .put_preview(&upload, &owner, &body, Timestamp::now())?;
        Ok(shown)
    })
    .await?;
    Ok(PageView::new(LedgerPage {
        committed: None,
        preview: Some(preview),
    }))
}

/// The reader's own stored preview `upload` (removed with `take`), or the page saying it has
/// expired (also for another user's preview, which is not told apart from none). Called on the
/// blocking pool.
pub(crate) fn stored_preview(
    app: &AppState,
    owner: &str,
    upload: &str,
    take: bool,
) -> Result<import::Preview, PageError> {
    match app
        .accounts
        .preview(upload, owner, Timestamp::now(), take)?
    {
        StoredPreview::Found(body) => serde_json::from_slice(&body).map_err(PageError::internal),
        _ => Err(PageError::NotFound(Message::new("web.preview_expired"))),
    }
}

/// The commit form.
#[derive(Deserialize)]
pub(crate) struct CommitForm {
    upload: String,
    #[serde(default)]
    csrf: String,
}

/// `POST /web/ledger/commit`: the good rows of the reader's preview written as the reader.
pub(crate) async fn commit(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    headers: HeaderMap,
    form: Result<Form<CommitForm>, FormRejection>,
) -> Result<Response, PageError> {
    let form = sup.checked_form(&headers, form)?;
    let owner = sup.user_id().to_owned();
    let actor = sup.session.actor.clone();
    let ids = blocking(&app, move |app| {
        let preview = stored_preview(app, &actor.user_id, &form.upload, true)?;
        import::commit(&app.store, &actor, &preview).map_err(|e| PageError::bad_ledger(e.message()))
    })
    .await?;
    tracing::info!(user = %owner, households = ids.len(), "ledger imported");
    Ok(Redirect::to(&format!("/web/ledger?committed={}", ids.len())).into_response())
}

crate::web::extract::form_token!(CommitForm);
