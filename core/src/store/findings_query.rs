//! The "needs checking" list of a grid, from projection tables.
//!
//! Findings that follow from one record alone are stored with it (`finding`). The others are
//! decided at query time, with the thresholds and wording of [`crate::rules::findings`]: the
//! time-based ones (they change as days pass without any write) and duplicate ID numbers
//! (they change when another household changes).

use std::collections::BTreeMap;

use rusqlite::params;

use super::Store;
use super::projection::birth_yyyymmdd;
use crate::error::{Error, Result};
use crate::messages::Message;
use crate::rules::clock;
use crate::rules::findings::{
    self, ELDERLY_AGE, ELDERLY_VISIT_DAYS, Finding, FindingKind, HOUSEHOLD_VISIT_DAYS,
};
use crate::time::Timestamp;

impl Store {
    /// Everything a worker must check in `grid` at time `now`, sorted by kind and household.
    pub fn needs_checking(&self, grid: &str, now: Timestamp) -> Result<Vec<Finding>> {
        let conn = self.reader();
        let err = || Error::storage("listing findings");
        let mut out: Vec<Finding> = Vec::new();

        let mut st = conn
            .prepare_cached(
                "SELECT household_id, kind, subject, detail FROM finding WHERE grid_id = ?1",
            )
            .map_err(err())?;
        let rows = st
            .query_map([grid], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get(2)?,
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(err())?;
        for row in rows {
            let (household_id, kind, subject, detail) = row.map_err(err())?;
            if let Some(kind) = FindingKind::parse(&kind) {
                out.push(Finding {
                    household_id,
                    kind,
                    subject,
                    detail: Message::from_json(&detail),
                });
            }
        }

        let (elderly_born_by, latest) = time_bounds(now);
        let mut st = conn
            .prepare_cached(&format!(
                "SELECT h.id, h.alone_resident_id, r.name {ELDERLY_DUE}"
            ))
            .map_err(err())?;
        let rows = st
            .query_map(
                params![
                    grid,
                    elderly_born_by,
                    now.minus_days(ELDERLY_VISIT_DAYS).0,
                    latest
                ],
                |r| {
                    let name: String = r.get(2)?;
                    Ok(Finding {
                        household_id: r.get(0)?,
                        kind: FindingKind::ElderlyAloneNotVisited,
                        subject: r.get(1)?,
                        detail: Message::new("finding.elderly_alone_not_visited")
                            .with("name", name),
                    })
                },
            )
            .map_err(err())?;
        for row in rows {
            out.push(row.map_err(err())?);
        }

        let mut st = conn
            .prepare_cached(&format!(
                "SELECT h.id, h.building_id || '-' || h.unit || '-' || h.room {NOT_VISITED_RECENTLY}"
            ))
            .map_err(err())?;
        let rows = st
            .query_map(
                params![grid, now.minus_days(HOUSEHOLD_VISIT_DAYS).0, latest],
                |r| {
                    let address: String = r.get(1)?;
                    Ok(Finding {
                        household_id: r.get(0)?,
                        kind: FindingKind::NoRecentVisit,
                        subject: String::new(),
                        detail: Message::new("finding.no_recent_visit").with("address", address),
                    })
                },
            )
            .map_err(err())?;
        for row in rows {
            out.push(row.map_err(err())?);
        }

        // Visits and reviews dated in the future (a phone's clock ahead), both by grid and time.
        let mut st = conn.prepare_cached(DATED_AHEAD).map_err(err())?;
        let rows = st
            .query_map(params![grid, latest], |r| {
                let what: String = r.get(3)?;
                Ok(Finding {
                    household_id: r.get(0)?,
                    kind: FindingKind::DatedInFuture,
                    subject: r.get(1)?,
                    detail: findings::future_detail(&what, Timestamp(r.get(2)?)),
                })
            })
            .map_err(err())?;
        for row in rows {
            out.push(row.map_err(err())?);
        }

        let mut st = conn
            .prepare_cached(&format!(
                "SELECT r.household_id, r.id, r.name, r.id_number, d.households {DUPLICATES}"
            ))
            .map_err(err())?;
        let rows = st
            .query_map([grid], |r| {
                let number: String = r.get(3)?;
                let name: String = r.get(2)?;
                Ok(Finding {
                    household_id: r.get(0)?,
                    kind: FindingKind::DuplicateIdNumber,
                    subject: r.get(1)?,
                    detail: findings::duplicate_detail(
                        &name,
                        &number,
                        r.get::<_, i64>(4)? as usize,
                    ),
                })
            })
            .map_err(err())?;
        for row in rows {
            out.push(row.map_err(err())?);
        }

        out.sort_by(|a, b| {
            (a.kind, &a.household_id, &a.subject).cmp(&(b.kind, &b.household_id, &b.subject))
        });
        Ok(out)
    }

    /// How many findings of each kind [`Store::needs_checking`] lists for `grid` at `now`,
    /// counted in SQL from the same conditions: the overview's figures for a district of
    /// 30,000 households without building 15,000 findings' messages. Kinds with none are left
    /// out.
    pub fn finding_counts(&self, grid: &str, now: Timestamp) -> Result<BTreeMap<FindingKind, u32>> {
        let conn = self.reader();
        let err = || Error::storage("counting findings");
        let mut counts = BTreeMap::new();
        let mut st = conn
            .prepare_cached("SELECT kind, COUNT(*) FROM finding WHERE grid_id = ?1 GROUP BY kind")
            .map_err(err())?;
        let rows = st
            .query_map([grid], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?))
            })
            .map_err(err())?;
        for row in rows {
            let (kind, n) = row.map_err(err())?;
            if let Some(kind) = FindingKind::parse(&kind) {
                counts.insert(kind, n);
            }
        }
        let (elderly_born_by, latest) = time_bounds(now);
        let count = |sql: &str, params: &[&dyn rusqlite::ToSql]| -> Result<u32> {
            conn.prepare_cached(&format!("SELECT COUNT(*) {sql}"))
                .and_then(|mut st| st.query_row(params, |r| r.get(0)))
                .map_err(err())
        };
        let computed = [
            (
                FindingKind::ElderlyAloneNotVisited,
                count(
                    ELDERLY_DUE,
                    params![
                        grid,
                        elderly_born_by,
                        now.minus_days(ELDERLY_VISIT_DAYS).0,
                        latest
                    ],
                )?,
            ),
            (
                FindingKind::NoRecentVisit,
                count(
                    NOT_VISITED_RECENTLY,
                    params![grid, now.minus_days(HOUSEHOLD_VISIT_DAYS).0, latest],
                )?,
            ),
            (
                FindingKind::DatedInFuture,
                count(&format!("FROM ({DATED_AHEAD})"), params![grid, latest])?,
            ),
            (
                FindingKind::DuplicateIdNumber,
                count(DUPLICATES, params![grid])?,
            ),
        ];
        for (kind, n) in computed.into_iter().filter(|(_, n)| *n > 0) {
            *counts.entry(kind).or_insert(0) += n;
        }
        Ok(counts)
    }
}

/// The birth date (YYYYMMDD) on or before which a resident is elderly at `now`, and the latest
/// visit time that counts at `now` (a visit dated further ahead is a phone's clock ahead).
fn time_bounds(now: Timestamp) -> (i64, i64) {
    let today = now.china_date();
    let elderly_born_by = today
        .replace_year(today.year() - ELDERLY_AGE)
        .or_else(|_| time::Date::from_calendar_date(today.year() - ELDERLY_AGE, today.month(), 28))
        .map(birth_yyyymmdd)
        .unwrap_or(0);
    (elderly_born_by, clock::latest_counted(now).0)
}

/// The last visit that counts, for the household `h`, with the latest counted time as
/// parameter `?N`: `last_visit_at` is the latest of all, which is only wrong when it is dated in
/// the future (rare: a phone's clock ahead), and then the visit list gives the latest that is
/// not.
macro_rules! last_counted {
    ($n:literal) => {
        concat!(
            "COALESCE(CASE WHEN h.last_visit_at > ?",
            $n,
            " THEN
               (SELECT MAX(v.at) FROM visit v WHERE v.household_id = h.id AND v.at <= ?",
            $n,
            ")
             ELSE h.last_visit_at END, -9223372036854775808)"
        )
    };
}

/// Elderly people living alone due a visit: ?1 grid, ?2 born on or before (YYYYMMDD), ?3 last
/// visit before, ?4 latest counted time.
const ELDERLY_DUE: &str = concat!(
    "FROM household h
     JOIN resident r ON r.household_id = h.id AND r.id = h.alone_resident_id
     WHERE h.grid_id = ?1 AND h.alone_resident_id IS NOT NULL
       AND (h.alone_tagged = 1 OR h.alone_birth_date <= ?2)
       AND ",
    last_counted!("4"),
    " < ?3"
);

/// Households not visited recently: ?1 grid, ?2 last visit before, ?3 latest counted time.
const NOT_VISITED_RECENTLY: &str = concat!(
    "FROM household h WHERE h.grid_id = ?1 AND ",
    last_counted!("3"),
    " < ?2"
);

/// Visits and reviews dated in the future (a phone's clock ahead), both by grid and time: ?1
/// grid, ?2 latest counted time.
const DATED_AHEAD: &str =
    "SELECT household_id, id, at, 'visit' FROM visit WHERE grid_id = ?1 AND at > ?2
     UNION ALL
     SELECT household_id, id, at, 'review' FROM review WHERE grid_id = ?1 AND at > ?2";

/// Residents whose valid ID number another household registers too: ?1 grid.
/// Those marked checked (`finding_check`) are left out.
const DUPLICATES: &str = "FROM duplicate_id_number d
     JOIN resident r ON r.id_number = d.id_number
     JOIN household h ON h.id = r.household_id
     WHERE h.grid_id = ?1 AND r.moved_out = 0 AND r.id_valid = 1
       AND NOT EXISTS (SELECT 1 FROM finding_check k
                       WHERE k.household_id = r.household_id
                         AND k.kind = 'duplicate_id_number' AND k.subject = r.id)";
