//! Downloads: the ledgers of the reader's area (`/web/export/{households|residents|visits|findings|orders}.{xlsx|csv}`),
//! the refused rows of the reader's own preview (`/web/ledger/bad-rows/{upload}`) and a ledger
//! template whose example lies in the reader's area (`/web/ledger/template.xlsx`). Every export
//! of personal data is logged: who, what, how many rows; never the data.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use gridwalk_core::Timestamp;
use gridwalk_core::messages::{Lang, Message};
use gridwalk_core::records::reference::{ReferenceItem, ReferenceKind};

use super::ledger::stored_preview;
use super::workers::{self, PeriodQuery};
use crate::ledger::export;
use crate::state::AppState;
use crate::web::extract::Supervisor;
use crate::web::{PageError, blocking, i18n, minute};

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
fn area_name(app: &AppState, sup: &Supervisor) -> Result<String, PageError> {
    let items = app.store.all_reference_items()?;
    let item = |kind: ReferenceKind, id: &str| {
        items.iter().find(|i| i.kind == kind && i.id == id).cloned()
    };
    let mut names: Vec<String> = Vec::new();
    for g in sup.grids() {
        let name = item(ReferenceKind::Grid, &g)
            .and_then(|g| g.parent_id)
            .and_then(|c| item(ReferenceKind::Community, &c))
            .map_or(g, |c| c.name);
        if !names.contains(&name) {
            names.push(name);
        }
    }
    if names.is_empty() {
        names = sup
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

/// The visits export's 走访人 column by the workers' display names, not their accounts.
fn name_the_workers(app: &AppState, rows: &mut [Vec<String>]) -> Result<(), PageError> {
    let Some(col) = rows
        .first()
        .and_then(|h| h.iter().position(|c| c == export::VISIT_WORKER))
    else {
        return Ok(());
    };
    let names = app.accounts.display_names()?;
    for row in rows.iter_mut().skip(1) {
        if let Some(name) = row.get(col).and_then(|id| names.get(id)) {
            row[col] = name.clone();
        }
    }
    Ok(())
}

/// `GET /web/export/{file}`: `households`, `residents`, `visits`, `findings` or `orders`, as
/// `.xlsx` or `.csv`.
pub(crate) async fn export(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    Path(file): Path<String>,
) -> Result<Response, PageError> {
    let no_such_file = || PageError::NotFound(Message::new("web.no_such_file").with("file", &file));
    let (name, ext) = file.rsplit_once('.').unwrap_or((&file, ""));
    let (table, title) = match name {
        "households" => (export::Table::Households, "住户台账"),
        "residents" => (export::Table::Residents, "居民台账"),
        "orders" => (export::Table::Orders, "整改工单"),
        "visits" => (export::Table::Visits, "走访记录"),
        "findings" => (export::Table::Findings, "待核实"),
        _ => return Err(no_such_file()),
    };
    if !matches!(ext, "csv" | "xlsx") {
        return Err(no_such_file());
    }
    let (name, ext) = (name.to_owned(), ext.to_owned());
    let user = sup.user_id().to_owned();
    let csv = ext == "csv";
    let (body, mime, rows, area) = blocking(&app, move |app| {
        let mut rows = export::rows(&app.store, &sup.session.actor, &sup.scopes, table)
            .map_err(PageError::internal)?;
        if table == export::Table::Visits {
            name_the_workers(app, &mut rows)?;
        }
        let (body, mime) = if csv {
            (export::to_csv(&rows), "text/csv; charset=utf-8")
        } else {
            (
                export::to_xlsx(&rows, title).map_err(PageError::internal)?,
                XLSX,
            )
        };
        Ok((body, mime, rows.len(), area_name(app, &sup)?))
    })
    .await?;
    // Every export of personal data leaves a trace: who, what, how many rows; never the data.
    tracing::info!(
        user = %user,
        table = name,
        format = ext,
        rows = rows.saturating_sub(1),
        "ledger exported"
    );
    let time = file_time(Timestamp::now());
    let full_name = if area.is_empty() {
        format!("{title}_{time}.{ext}")
    } else {
        format!("{title}_{area}_{time}.{ext}")
    };
    let disposition = attachment(&format!("{name}_{time}.{ext}"), &full_name);
    Ok(download(mime, disposition, body))
}

/// `GET /web/workers.xlsx?from=&to=`: the monthly workload sheet (网格员工作量考核表) of the
/// workers page's period: a title row with the area and the period, one row per worker
/// (`workers::gather`, the page's own figures) with their grids, visits, households covered,
/// reports filed and handled, last sync and open to-dos, and a totals row. In Chinese, the
/// office's language, whatever the reader's; logged like every export of personal data.
pub(crate) async fn workload(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    Query(q): Query<PeriodQuery>,
) -> Result<Response, PageError> {
    let days = q.days(Timestamp::now());
    let user = sup.user_id().to_owned();
    let (body, count, area) = blocking(&app, move |app| {
        let names = super::names(app, Lang::ZhCn);
        let workload = workers::gather(app, &sup, &names, days)?;
        let word = |key: &str| i18n::word("zh", key);
        let mut rows = vec![
            [
                "worker",
                "worker_grids",
                "visit_count",
                "households_covered",
                "reports_filed",
                "reports_handled",
                "last_sync",
                "open_todos",
            ]
            .map(word)
            .to_vec(),
        ];
        for w in &workload.rows {
            rows.push(vec![
                w.name.clone(),
                w.grids.clone(),
                w.visits.to_string(),
                w.households.to_string(),
                w.reports_filed.to_string(),
                w.reports_handled.to_string(),
                w.last_sync.clone(),
                w.open_todos.to_string(),
            ]);
        }
        let t = &workload.totals;
        rows.push(vec![
            word("total"),
            String::new(),
            t.visits.to_string(),
            t.households.to_string(),
            t.reports_filed.to_string(),
            t.reports_handled.to_string(),
            String::new(),
            t.open_todos.to_string(),
        ]);
        let area = area_name(app, &sup)?;
        let title = format!(
            "{}（{}{} 至 {}）",
            word("workload_sheet"),
            if area.is_empty() {
                String::new()
            } else {
                format!("{area} ")
            },
            days.from,
            days.to
        );
        let body = export::workload_xlsx(&title, &rows, 2).map_err(PageError::internal)?;
        Ok((body, workload.rows.len(), area))
    })
    .await?;
    tracing::info!(
        user = %user,
        table = "workload",
        format = "xlsx",
        rows = count,
        "ledger exported"
    );
    let sheet = i18n::word("zh", "workload_sheet");
    let span = format!(
        "{}-{}",
        days.from.to_string().replace('-', ""),
        days.to.to_string().replace('-', "")
    );
    let full_name = if area.is_empty() {
        format!("{sheet}_{span}.xlsx")
    } else {
        format!("{sheet}_{area}_{span}.xlsx")
    };
    let disposition = attachment(&format!("workload_{span}.xlsx"), &full_name);
    Ok(download(XLSX, disposition, body))
}

/// `GET /web/ledger/bad-rows/{upload}`: the refused rows of the reader's own preview as an
/// XLSX to fix and upload again.
pub(crate) async fn bad_rows(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    Path(upload): Path<String>,
) -> Result<Response, PageError> {
    let owner = sup.user_id().to_owned();
    let (body, count) = blocking(&app, move |app| {
        let preview = stored_preview(app, &owner, &upload, false)?;
        let body = export::bad_rows_xlsx(&preview).map_err(PageError::internal)?;
        Ok((body, preview.refused.len()))
    })
    .await?;
    tracing::info!(
        user = %sup.user_id(),
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

/// `GET /web/ledger/template.xlsx`: a ledger template whose example row lies in the reader's
/// area (their first grid, its community, a compound and building there if the reference data
/// has them).
pub(crate) async fn template(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
) -> Result<Response, PageError> {
    let body = blocking(&app, move |app| {
        let items = app.store.all_reference_items()?;
        let find = |kind: ReferenceKind, pred: &dyn Fn(&ReferenceItem) -> bool| {
            items.iter().find(|i| i.kind == kind && pred(i)).cloned()
        };
        let grid = sup
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
        let name = |i: Option<ReferenceItem>, or: &str| i.map_or(or.to_owned(), |i| i.name);
        let example = export::template_example(
            name(community, "阳光社区"),
            name(grid, "第一网格"),
            name(compound, "阳光花园"),
            name(building, "1号楼"),
        );
        export::template_xlsx(&example).map_err(PageError::internal)
    })
    .await?;
    let disposition = attachment("ledger_template.xlsx", "台账模板.xlsx");
    Ok(download(XLSX, disposition, body))
}
