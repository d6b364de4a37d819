//! What people do about a household's findings (issue 15, part 6): a grid worker or supervisor
//! marks one checked (核实: the value is right as it stands, with a note), or a supervisor hands
//! it to a grid worker as a to-do. Marks are [`FindingMark`]s in the household's document,
//! appended, never changed.
//!
//! A mark holds to the value its finding was about through a [`fingerprint`] (a short hash of
//! the resident's ID number or phone, so the mark keeps no personal data of its own): a check
//! lapses, and the finding comes back, when the value changes; a hand-over's to-do ends when the
//! value changes or the finding is checked. Only findings about a value someone typed can be
//! marked ([`CHECKABLE`]); the others end by themselves (a visit ends a visit finding, picking a
//! value ends a conflict).

use std::collections::{HashMap, HashSet};

use sha2::{Digest, Sha256};

use super::Refusal;
use super::findings::FindingKind;
use super::permissions::{Actor, Role};
use crate::messages::Message;
use crate::records::household::{FindingMark, Household};

/// The stored action of a check.
pub const CHECKED: &str = "checked";
/// The stored action of a hand-over to a worker.
pub const ASSIGNED: &str = "assigned";

/// The finding kinds a person can mark: those about a value someone typed.
pub const CHECKABLE: [FindingKind; 3] = [
    FindingKind::BadIdNumber,
    FindingKind::DuplicateIdNumber,
    FindingKind::NotAMobileNumber,
];

/// The fingerprint of the value a finding of `kind` about resident `subject` is about: the
/// first 16 hex digits of SHA-256 over the kind and the resident's ID number (bad or duplicate
/// ID number) or phone. None when the kind cannot be marked or the resident no longer lives
/// there or has no such value.
pub fn fingerprint(h: &Household, kind: FindingKind, subject: &str) -> Option<String> {
    let r = h.active_residents().find(|r| r.id.as_str() == subject)?;
    let value = match kind {
        FindingKind::BadIdNumber | FindingKind::DuplicateIdNumber => r.id_number.as_deref()?,
        FindingKind::NotAMobileNumber => r.phone.as_deref()?,
        _ => return None,
    };
    let digest = Sha256::digest(format!("{}:{value}", kind.as_str()).as_bytes());
    Some(digest[..8].iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether the finding of `kind` about `subject` is marked checked and its value is unchanged
/// since.
pub fn is_checked(h: &Household, kind: FindingKind, subject: &str) -> bool {
    checked_by(h, kind, subject).is_some()
}

/// The check that holds for the finding of `kind` about `subject`, the latest if several.
pub fn checked_by<'h>(
    h: &'h Household,
    kind: FindingKind,
    subject: &str,
) -> Option<&'h FindingMark> {
    let now = fingerprint(h, kind, subject)?;
    h.finding_marks.iter().rev().find(|m| {
        m.action == CHECKED
            && m.kind == kind.as_str()
            && m.subject == subject
            && m.fingerprint == now
    })
}

/// The hand-overs still open: a worker is to check the finding, it is not checked since, and
/// its value is unchanged. Each with its assignee.
pub fn open_assignments(h: &Household) -> Vec<&FindingMark> {
    h.finding_marks
        .iter()
        .enumerate()
        .filter(|(_, m)| m.action == ASSIGNED && m.assignee.is_some())
        .filter(|(i, m)| {
            let Some(kind) = FindingKind::parse(&m.kind) else {
                return false;
            };
            let unchanged = fingerprint(h, kind, &m.subject).as_deref() == Some(&m.fingerprint);
            let checked_since = h.finding_marks[i + 1..].iter().any(|later| {
                later.action == CHECKED && later.kind == m.kind && later.subject == m.subject
            });
            unchanged && !checked_since
        })
        .map(|(_, m)| m)
        .collect()
}

fn refuse(code: &str, mark: &FindingMark) -> Refusal {
    Refusal::Rule(Message::new(code).with("mark_id", &mark.id))
}

/// Checks the marks a change adds, for `role`: none changed or removed, none with an id used
/// before, each a known action on a markable kind about a resident of the household; a check
/// by a grid worker, supervisor or administrator; a hand-over by a supervisor or administrator,
/// naming the worker.
pub fn check_marks(
    role: Role,
    before: Option<&Household>,
    after: &Household,
) -> Result<(), Refusal> {
    let old: &[FindingMark] = before.map_or(&[], |b| &b.finding_marks);
    for m in old {
        if !after.finding_marks.contains(m) {
            return Err(refuse("household.finding_mark_rewritten", m));
        }
    }
    let old_ids: HashSet<&str> = old.iter().map(|m| m.id.as_str()).collect();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for m in &after.finding_marks {
        *counts.entry(m.id.as_str()).or_insert(0) += 1;
    }
    for m in after
        .finding_marks
        .iter()
        .filter(|m| !old_ids.contains(m.id.as_str()))
    {
        if counts[m.id.as_str()] > 1 {
            return Err(refuse("household.finding_mark_id_reused", m));
        }
        let allowed = match m.action.as_str() {
            CHECKED => matches!(role, Role::GridWorker | Role::Supervisor | Role::Admin),
            ASSIGNED => matches!(role, Role::Supervisor | Role::Admin),
            _ => return Err(refuse("household.finding_mark_invalid", m)),
        };
        if !allowed {
            return Err(Refusal::Rule(
                Message::new("household.finding_mark_forbidden")
                    .with("action", &m.action)
                    .with("role", role.as_str()),
            ));
        }
        let markable = FindingKind::parse(&m.kind).is_some_and(|k| CHECKABLE.contains(&k));
        let about_resident = after.active_residents().any(|r| r.id.as_str() == m.subject);
        let names_worker =
            m.action != ASSIGNED || m.assignee.as_deref().is_some_and(|a| !a.is_empty());
        if !markable || !about_resident || !names_worker {
            return Err(refuse("household.finding_mark_invalid", m));
        }
        if m.note.trim().is_empty() {
            return Err(Refusal::MissingField {
                field: "finding_mark_note",
            });
        }
        super::household::check_event_time("finding_mark", &m.id, m.at)?;
    }
    Ok(())
}

/// Every mark a change adds is in `actor`'s own name (what [`check_marks`] cannot know).
pub fn check_marks_own(
    actor: &Actor,
    before: Option<&Household>,
    after: &Household,
) -> Result<(), Refusal> {
    let old: HashSet<&str> = before
        .into_iter()
        .flat_map(|b| b.finding_marks.iter().map(|m| m.id.as_str()))
        .collect();
    for m in after
        .finding_marks
        .iter()
        .filter(|m| !old.contains(m.id.as_str()))
    {
        if m.by != actor.user_id {
            return Err(refuse("household.finding_mark_not_own", m));
        }
    }
    Ok(())
}
