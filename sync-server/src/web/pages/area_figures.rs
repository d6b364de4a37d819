//! The figures of the reader's area that the overview (`/web`) and the 大屏 (`/web/screen`)
//! both show, gathered by one function so the two pages can never disagree: households
//! visited of how many in a period, per grid and per building, never visited; elderly people
//! living alone due a visit; findings by kind; open and overdue orders (the most overdue
//! listed); issue reports past their 权责清单 deadline; companies rated red or yellow;
//! devices not synced for three days.

use std::collections::HashMap;

use gridwalk_core::Timestamp;
use gridwalk_core::rules::findings::FindingKind;
use gridwalk_core::rules::rating::Color;
use gridwalk_core::store::coverage::BuildingCoverage;
use gridwalk_core::store::order_pages::{OrderQuery, OrderSort};
use gridwalk_core::store::report_pages::ReportQuery;
use serde::Serialize;

use super::encode;
use crate::scope::scopes_of;
use crate::state::AppState;
use crate::web::extract::Supervisor;
use crate::web::names::Names;
use crate::web::{PageError, minute};

/// A device not synced for this long is shown as stale (the "three days").
const STALE_DAYS: i64 = 3;
/// The most overdue orders listed; the rest are one click away.
const OVERDUE_SHOWN: u32 = 10;

/// The area's figures for a period, as the templates read them (the overview flattens them
/// into its page; the 大屏 shows the totals and a few lists).
#[derive(Serialize)]
pub(crate) struct AreaFigures {
    totals: Totals,
    grids: Vec<GridRow>,
    kinds: Vec<KindCount>,
    overdue: Vec<OverdueRow>,
    companies: Vec<CompanyRow>,
    devices: Vec<DeviceRow>,
}

/// The area's key figures.
#[derive(Serialize, Default)]
pub(crate) struct Totals {
    households: u32,
    visited: u32,
    percent: u32,
    never_visited: u32,
    elderly_due: u32,
    findings: u32,
    open_orders: u32,
    overdue_orders: u32,
    /// Issue reports past their 权责清单 deadline.
    overdue_reports: u32,
    red: u32,
    yellow: u32,
    stale_devices: u32,
}

/// A grid's line, with its buildings for the heat grid.
#[derive(Serialize)]
struct GridRow {
    name: String,
    grid: String,
    households: u32,
    residents: u32,
    visited: u32,
    percent: u32,
    never_visited: u32,
    findings: u32,
    buildings: Vec<BuildingCell>,
}

/// A building's cell of the heat grid.
#[derive(Serialize)]
struct BuildingCell {
    /// Compound and building by name.
    name: String,
    /// The households list searched by the building's name.
    link: String,
    households: u32,
    visited: u32,
    percent: u32,
    /// 0 (none visited) to 5 (all visited): the cell's shade.
    heat: u32,
}

/// A finding kind's count in the area.
#[derive(Serialize)]
struct KindCount {
    kind: &'static str,
    count: u32,
    /// The findings list of the first grid that has this kind, filtered to it.
    link: String,
}

/// An overdue order.
#[derive(Serialize)]
struct OverdueRow {
    id: String,
    title: String,
    place: String,
    company: String,
    days: i64,
}

/// A company rated red or yellow.
#[derive(Serialize)]
struct CompanyRow {
    name: String,
    color: &'static str,
    score: i64,
    overdue: u32,
}

/// A device's line.
#[derive(Serialize)]
struct DeviceRow {
    name: String,
    user: String,
    last_sync: String,
    pending: u32,
    stale: bool,
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

/// 0–5 for a coverage percentage: the heat grid's shades.
fn heat(percent: u32) -> u32 {
    match percent {
        0 => 0,
        1..=24 => 1,
        25..=49 => 2,
        50..=74 => 3,
        75..=99 => 4,
        _ => 5,
    }
}

/// Calendar days (China time) from the deadline's day to today, at least 1 for an order
/// overdue since earlier today: what an office counts as 逾期天数.
fn days_overdue(deadline: Timestamp, now: Timestamp) -> i64 {
    (now.china_date() - deadline.china_date())
        .whole_days()
        .max(1)
}

fn percent(part: u32, whole: u32) -> u32 {
    part.saturating_mul(100).checked_div(whole).unwrap_or(0)
}

fn building_cell(names: &Names, grid: &str, b: &BuildingCoverage) -> BuildingCell {
    let building = names.place(&b.building);
    BuildingCell {
        name: format!("{} {}", names.place(&b.compound), building),
        link: format!(
            "/web/households?grid={}&q={}",
            encode(grid),
            encode(&building)
        ),
        households: b.households,
        visited: b.visited,
        percent: b.percent(),
        heat: heat(b.percent()),
    }
}

/// The figures of the reader's area for visits dated from `since` to `now`. Called on the
/// blocking pool.
pub(crate) fn gather(
    app: &AppState,
    sup: &Supervisor,
    names: &Names,
    since: Timestamp,
    now: Timestamp,
) -> Result<AreaFigures, PageError> {
    let store = &app.store;
    let mut totals = Totals::default();
    let mut grids = Vec::new();
    let mut kinds: Vec<KindCount> = Vec::new();
    for g in sup.grids() {
        let buildings = store.coverage(&g, since, now)?;
        let counts = store.finding_counts(&g, now)?;
        totals.elderly_due += counts
            .get(&FindingKind::ElderlyAloneNotVisited)
            .copied()
            .unwrap_or(0);
        for (kind, count) in &counts {
            match kinds.iter_mut().find(|k| k.kind == kind.as_str()) {
                Some(k) => k.count += count,
                None => kinds.push(KindCount {
                    kind: kind.as_str(),
                    count: *count,
                    link: format!("/web/findings?grid={}&kind={}", encode(&g), kind.as_str()),
                }),
            }
        }
        let findings: u32 = counts.values().sum();
        let households = buildings.iter().map(|b| b.households).sum();
        let visited = buildings.iter().map(|b| b.visited).sum();
        let never_visited = buildings.iter().map(|b| b.never_visited).sum();
        totals.households += households;
        totals.visited += visited;
        totals.never_visited += never_visited;
        totals.findings += findings;
        grids.push(GridRow {
            name: names.place(&g),
            households,
            residents: buildings.iter().map(|b| b.residents).sum(),
            visited,
            percent: percent(visited, households),
            never_visited,
            findings,
            buildings: buildings
                .iter()
                .map(|b| building_cell(names, &g, b))
                .collect(),
            grid: g,
        });
    }
    totals.percent = percent(totals.visited, totals.households);
    kinds.sort_by_key(|k| std::cmp::Reverse(k.count));

    let compounds = sup.compounds();
    for c in &compounds {
        let (o, d) = store.order_counts(c, now)?;
        totals.open_orders += o;
        totals.overdue_orders += d;
    }
    totals.overdue_reports = store
        .page_reports(
            &ReportQuery {
                grids: sup.grids(),
                now: Some(now),
                ..Default::default()
            },
            0,
            0,
        )?
        .overdue;
    let most_overdue = store.page_orders(
        &OrderQuery {
            compounds: compounds.clone(),
            overdue: true,
            sort: OrderSort::Deadline,
            ..Default::default()
        },
        now,
        0,
        OVERDUE_SHOWN,
    )?;
    let overdue = most_overdue
        .orders
        .into_iter()
        .map(|o| OverdueRow {
            id: o.id.to_string(),
            title: o.title,
            place: names.place(&o.compound),
            company: names.place(&o.company),
            days: days_overdue(o.deadline, now),
        })
        .collect();

    let in_area = store.companies_in_compounds(&compounds)?;
    let mut companies: Vec<CompanyRow> = store
        .company_ratings(now)?
        .into_iter()
        .filter(|r| in_area.contains(&r.company) && r.color != Color::Green)
        .map(|r| {
            match r.color {
                Color::Red => totals.red += 1,
                _ => totals.yellow += 1,
            }
            CompanyRow {
                name: names.place(&r.company),
                color: if r.color == Color::Red {
                    "red"
                } else {
                    "yellow"
                },
                score: i64::from(r.score),
                overdue: r.overdue,
            }
        })
        .collect();
    companies.sort_by_key(|c| c.score);

    let stale_before = now.minus_days(STALE_DAYS);
    let mut devices: Vec<DeviceRow> = devices_in_area(app, &sup.scopes)?
        .into_iter()
        .map(|(_, user, at, pending)| DeviceRow {
            name: names.person(&user),
            user,
            last_sync: minute(at),
            pending,
            stale: at < stale_before,
        })
        .collect();
    totals.stale_devices = devices.iter().filter(|d| d.stale).count() as u32;
    // The stale ones first: they are what the supervisor must chase.
    devices.sort_by_key(|d| !d.stale);
    Ok(AreaFigures {
        totals,
        grids,
        kinds,
        overdue,
        companies,
        devices,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heat_shades_never_call_a_partial_building_done() {
        assert_eq!(heat(0), 0);
        assert_eq!(heat(99), 4);
        assert_eq!(heat(100), 5);
        assert_eq!(percent(199, 200), 99);
        assert_eq!(percent(1, 0), 0);
    }

    #[test]
    fn days_overdue_count_calendar_days_in_china() {
        let now = Timestamp(1_796_088_600_000); // 2026-12-01 09:30 in China
        assert_eq!(days_overdue(now.minus_days(5), now), 5);
        assert_eq!(days_overdue(Timestamp(now.0 - 3_600_000), now), 1);
        // 2026-11-30 23:59 in China was yesterday.
        assert_eq!(days_overdue(Timestamp(1_796_054_340_000), now), 1);
    }
}
