//! Findings: what a grid worker must go and check (需核实). Seed platforms report that about 5%
//! of a community's ledger is wrong; finding those and pushing them back to the worker is half
//! the system's job.
//!
//! Findings about one household are computed from it alone ([`household_findings`]); the one
//! that spans households (an ID number registered twice) from a list of them
//! ([`duplicate_id_numbers`]). The store keeps both in projection tables so the list per grid
//! is one query; the tests hold the store's list equal to these functions.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::finding_marks::is_checked;
use super::{clock, id_number, phone};
use crate::messages::Message;
use crate::records::household::{Household, Resident, SpecialGroup};
use crate::time::Timestamp;

/// Age from which a resident living alone is elderly (老年人, 60 and over).
pub const ELDERLY_AGE: i32 = 60;
/// Days after which an elderly resident living alone is overdue a visit.
pub const ELDERLY_VISIT_DAYS: i64 = 30;
/// Days after which any household is overdue a visit.
pub const HOUSEHOLD_VISIT_DAYS: i64 = 180;

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// An ID number whose check digit, birth date or length is wrong.
    BadIdNumber,
    /// The same ID number in two or more households.
    DuplicateIdNumber,
    /// A phone that is not a mainland mobile number.
    NotAMobileNumber,
    /// An elderly resident living alone not visited for [`ELDERLY_VISIT_DAYS`].
    ElderlyAloneNotVisited,
    /// A household with no visit for [`HOUSEHOLD_VISIT_DAYS`].
    NoRecentVisit,
    /// Two offline edits of one field that conflict; a person must pick one.
    ConflictingEdits,
    /// A visit or review dated more than a day after now: the phone's clock is probably wrong.
    /// It is kept but counts for no time-based finding until its date comes.
    DatedInFuture,
}

impl FindingKind {
    /// The kind's stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::BadIdNumber => "bad_id_number",
            FindingKind::DuplicateIdNumber => "duplicate_id_number",
            FindingKind::NotAMobileNumber => "not_a_mobile_number",
            FindingKind::ElderlyAloneNotVisited => "elderly_alone_not_visited",
            FindingKind::NoRecentVisit => "no_recent_visit",
            FindingKind::ConflictingEdits => "conflicting_edits",
            FindingKind::DatedInFuture => "dated_in_future",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        use FindingKind::*;
        [
            BadIdNumber,
            DuplicateIdNumber,
            NotAMobileNumber,
            ElderlyAloneNotVisited,
            NoRecentVisit,
            ConflictingEdits,
            DatedInFuture,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One thing for a worker to check.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Finding {
    /// The household.
    pub household_id: String,
    /// What kind of finding.
    pub kind: FindingKind,
    /// What in the household: a resident id, a field path, or empty for the whole household.
    pub subject: String,
    /// Details for the worker (personal data masked), as a message with a code.
    pub detail: Message,
}

/// Findings that follow from the household alone and do not change with time, less those
/// marked checked ([`super::finding_marks`]).
pub fn record_findings(h: &Household) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = |kind, subject: String, detail: Message| {
        // Marked checked, about the value it still holds: not to be checked again.
        if is_checked(h, kind, &subject) {
            return;
        }
        out.push(Finding {
            household_id: h.id.to_string(),
            kind,
            subject,
            detail,
        })
    };
    for r in h.active_residents() {
        if let Some(id) = &r.id_number
            && let Err(problem) = id_number::parse(id)
        {
            push(
                FindingKind::BadIdNumber,
                r.id.to_string(),
                Message::new("finding.bad_id_number")
                    .with("name", &r.name)
                    .with_message("problem", &problem.message(&id_number::mask(id))),
            );
        }
        if let Some(p) = &r.phone
            && !phone::is_mobile(p)
        {
            push(
                FindingKind::NotAMobileNumber,
                r.id.to_string(),
                Message::new("finding.not_a_mobile_number")
                    .with("name", &r.name)
                    .with("masked", phone::mask(p)),
            );
        }
    }
    for c in &h.conflicts {
        push(
            FindingKind::ConflictingEdits,
            c.field.clone(),
            conflict_detail(h, &c.field, &c.values),
        );
    }
    out
}

/// The detail of a conflicting-edits finding: which field (by its term, and the resident's
/// name for a resident field) and the values, masked when the field holds personal data and
/// shown by their terms when they are codes (relation, registration, house use), so a
/// supervisor reads 配偶 | 子女, never `spouse | child`.
pub fn conflict_detail(h: &Household, path: &str, values: &[String]) -> Message {
    let (field, resident, key) = match path.strip_prefix("residents.") {
        Some(rest) => match rest.rsplit_once('.') {
            Some((rid, key)) => (
                format!("resident_{key}"),
                h.residents.iter().find(|r| r.id.as_str() == rid),
                key,
            ),
            None => (path.to_owned(), None, path),
        },
        None => (path.replace('.', "_"), None, path),
    };
    let mask: fn(&str) -> String = match (resident.is_some(), key) {
        (true, "id_number") => id_number::mask,
        (true, "phone") => phone::mask,
        _ => str::to_owned,
    };
    let terms = match key {
        "relation" | "registration" | "house_use" | "moved_out" => key,
        _ => "value",
    };
    let masked: Vec<String> = values.iter().map(|v| mask(v)).collect();
    let rest: String = masked.iter().skip(2).map(|v| format!(" | {v}")).collect();
    let message = match resident {
        Some(r) => Message::new("finding.conflicting_resident_edits").with("name", &r.name),
        None => Message::new("finding.conflicting_edits"),
    };
    message
        .with("field", field)
        .with("path", path)
        .with("terms", terms)
        .with("a", masked.first().map(String::as_str).unwrap_or(""))
        .with("b", masked.get(1).map(String::as_str).unwrap_or(""))
        .with("rest", rest)
        .with("values", masked.join(" | "))
}

/// The resident that makes this household an elderly person living alone on `today`: one
/// tagged so, or the only resident left, aged [`ELDERLY_AGE`] or more.
pub fn elderly_alone(h: &Household, today: time::Date) -> Option<&Resident> {
    if let Some(r) = h
        .active_residents()
        .find(|r| r.tags.contains(&SpecialGroup::ElderlyAlone))
    {
        return Some(r);
    }
    let mut active = h.active_residents();
    let only = active.next()?;
    if active.next().is_some() {
        return None;
    }
    let birth = only
        .id_number
        .as_deref()
        .and_then(|id| id_number::parse(id).ok())?;
    (birth.age_on(today) >= ELDERLY_AGE).then_some(only)
}

/// The household's last visit that counts at `now`: visits dated in the future (a phone's clock
/// ahead, see [`super::clock`]) do not, or one such visit would hide the household from every
/// time-based finding until its date came.
pub fn last_counted_visit(h: &Household, now: Timestamp) -> Option<Timestamp> {
    h.visits
        .iter()
        .map(|v| v.at)
        .filter(|at| !clock::is_dated_ahead(*at, now))
        .max()
}

/// Findings that depend on how long ago the household was visited, and visits dated in the
/// future.
pub fn visit_findings(h: &Household, now: Timestamp) -> Vec<Finding> {
    let last = last_counted_visit(h, now).unwrap_or(Timestamp(i64::MIN));
    let mut out = Vec::new();
    for v in h.visits.iter().filter(|v| clock::is_dated_ahead(v.at, now)) {
        out.push(Finding {
            household_id: h.id.to_string(),
            kind: FindingKind::DatedInFuture,
            subject: v.id.to_string(),
            detail: future_detail("visit", v.at),
        });
    }
    for r in h
        .reviews
        .iter()
        .filter(|r| clock::is_dated_ahead(r.at, now))
    {
        out.push(Finding {
            household_id: h.id.to_string(),
            kind: FindingKind::DatedInFuture,
            subject: r.id.clone(),
            detail: future_detail("review", r.at),
        });
    }
    if let Some(r) = elderly_alone(h, now.china_date())
        && last < now.minus_days(ELDERLY_VISIT_DAYS)
    {
        out.push(Finding {
            household_id: h.id.to_string(),
            kind: FindingKind::ElderlyAloneNotVisited,
            subject: r.id.to_string(),
            detail: Message::new("finding.elderly_alone_not_visited").with("name", &r.name),
        });
    }
    if last < now.minus_days(HOUSEHOLD_VISIT_DAYS) {
        out.push(Finding {
            household_id: h.id.to_string(),
            kind: FindingKind::NoRecentVisit,
            subject: String::new(),
            detail: Message::new("finding.no_recent_visit").with("address", h.address.label()),
        });
    }
    out
}

/// Every finding about one household at time `now`.
pub fn household_findings(h: &Household, now: Timestamp) -> Vec<Finding> {
    let mut out = record_findings(h);
    out.extend(visit_findings(h, now));
    out
}

/// The detail of a duplicate-ID finding: who, the masked number, and in how many households.
pub fn duplicate_detail(name: &str, number: &str, households: usize) -> Message {
    Message::new("finding.duplicate_id_number")
        .with("name", name)
        .with("masked", id_number::mask(number))
        .with("households", households)
}

/// The detail of a dated-in-future finding about a `what` (`visit`, `review`) dated `at`.
pub fn future_detail(what: &str, at: Timestamp) -> Message {
    Message::new("finding.dated_in_future")
        .with("what", what)
        .with("at", clock::format_date(at))
}

/// The same valid ID number held by active residents of two or more households: one finding
/// per resident involved.
pub fn duplicate_id_numbers<'a>(
    households: impl IntoIterator<Item = &'a Household>,
) -> Vec<Finding> {
    let mut by_number: BTreeMap<&str, Vec<(&Household, &Resident)>> = BTreeMap::new();
    for h in households {
        for r in h.active_residents() {
            if let Some(id) = r
                .id_number
                .as_deref()
                .filter(|id| id_number::parse(id).is_ok())
            {
                by_number.entry(id).or_default().push((h, r));
            }
        }
    }
    let mut out = Vec::new();
    for (number, holders) in by_number {
        let mut households: Vec<&str> = holders.iter().map(|(h, _)| h.id.as_str()).collect();
        households.sort();
        households.dedup();
        if households.len() < 2 {
            continue;
        }
        // A checked one is left out (it still counts towards the others' "in N households").
        for (h, r) in holders
            .into_iter()
            .filter(|(h, r)| !is_checked(h, FindingKind::DuplicateIdNumber, r.id.as_str()))
        {
            out.push(Finding {
                household_id: h.id.to_string(),
                kind: FindingKind::DuplicateIdNumber,
                subject: r.id.to_string(),
                detail: duplicate_detail(&r.name, number, households.len()),
            });
        }
    }
    out
}
