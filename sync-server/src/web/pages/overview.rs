//! The overview (`/web`): the reader's grids with households, residents, visits and findings;
//! open and overdue orders; the devices of the area's workers and when they last synced.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use gridwalk_core::Timestamp;
use gridwalk_core::store::queries::AddressScope;
use serde::Serialize;

use super::names;
use crate::scope::scopes_of;
use crate::state::AppState;
use crate::web::extract::{PageLang, Supervisor};
use crate::web::view::{PageView, template};
use crate::web::{PageError, blocking, minute};

/// The overview.
#[derive(Serialize)]
pub(crate) struct OverviewPage {
    grids: Vec<GridRow>,
    open_orders: u32,
    overdue_orders: u32,
    devices: Vec<DeviceRow>,
}
template!(OverviewPage, "overview.html");

/// A grid's line.
#[derive(Serialize)]
struct GridRow {
    name: String,
    grid: String,
    households: u32,
    residents: u32,
    /// Visits in the last 30 days.
    visits: u32,
    findings: usize,
}

/// A device's line.
#[derive(Serialize)]
struct DeviceRow {
    name: String,
    user: String,
    last_sync: String,
    pending: u32,
}

/// The devices whose users work in the reader's area: a supervisor does not learn who works
/// elsewhere, nor when they synced.
fn devices_in_area(
    app: &AppState,
    scopes: &[String],
) -> Result<Vec<(String, String, Timestamp, u32)>, PageError> {
    let mut in_area: HashMap<String, bool> = HashMap::new();
    let mut shown = Vec::new();
    for device in app.accounts.devices()? {
        let user = &device.1;
        if !in_area.contains_key(user) {
            let session = app.accounts.session_of_user(user, &device.0)?;
            let theirs = scopes_of(&session, &app.store)?;
            in_area.insert(user.clone(), theirs.iter().any(|s| scopes.contains(s)));
        }
        if in_area[user] {
            shown.push(device);
        }
    }
    Ok(shown)
}

/// `GET /web`.
pub(crate) async fn overview(
    State(app): State<Arc<AppState>>,
    sup: Supervisor,
    lang: PageLang,
) -> Result<PageView<OverviewPage>, PageError> {
    let page = blocking(&app, move |app| {
        let now = Timestamp::now();
        let store = &app.store;
        let names = names(app, lang.lang());
        let mut grids = Vec::new();
        for g in sup.grids() {
            let list = store.list_households(&AddressScope::Grid(g.clone()), 0, 0)?;
            grids.push(GridRow {
                name: names.place(&g),
                households: list.household_count,
                residents: list.resident_count,
                visits: store.visits_since(&g, now.minus_days(30), now)?,
                findings: store.needs_checking(&g, now)?.len(),
                grid: g,
            });
        }
        let (mut open_orders, mut overdue_orders) = (0, 0);
        for c in sup.compounds() {
            let (o, d) = store.order_counts(&c, now)?;
            open_orders += o;
            overdue_orders += d;
        }
        let devices = devices_in_area(app, &sup.scopes)?
            .into_iter()
            .map(|(_, user, at, pending)| DeviceRow {
                name: names.person(&user),
                user,
                last_sync: minute(at),
                pending,
            })
            .collect();
        Ok(OverviewPage {
            grids,
            open_orders,
            overdue_orders,
            devices,
        })
    })
    .await?;
    Ok(PageView::new(page))
}
