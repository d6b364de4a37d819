//! Marking a household's findings on the store: checked (核实) by a worker or supervisor, or
//! handed to a grid worker as a to-do by a supervisor (`rules::finding_marks` decides who may
//! and what a mark means); and the findings of one household, for its page.

use rusqlite::params;

use super::{EditError, Store};
use crate::error::{Error, Result};
use crate::ids::RecordId;
use crate::messages::Message;
use crate::records::RecordKind;
use crate::records::household::{FindingMark, Household, HouseholdWriter};
use crate::records::view::RecordView;
use crate::rules::finding_marks::{ASSIGNED, CHECKED, fingerprint};
use crate::rules::findings::{self, Finding, FindingKind};
use crate::rules::{Refusal, permissions::Actor};
use crate::time::Timestamp;

/// What to do about one finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FindingAction {
    /// It was checked and the value is right as it stands; the note says how.
    Checked {
        /// How it was checked (e.g. 已核对户口本，号码无误).
        note: String,
    },
    /// A grid worker is to check it: a to-do on their phone.
    Assigned {
        /// The worker's user id.
        worker: String,
        /// What to check.
        note: String,
    },
}

impl Store {
    /// Marks the finding of `kind` about resident `subject` of `household`, as `actor`. The
    /// mark holds to the value the finding is about now. Refused (with a message) when the
    /// finding cannot be marked, the resident does not live there, or the actor's role may not.
    pub fn mark_finding(
        &self,
        actor: &Actor,
        household: &RecordId,
        kind: FindingKind,
        subject: &str,
        action: &FindingAction,
        now: Timestamp,
    ) -> Result<()> {
        let (stored, assignee, note) = match action {
            FindingAction::Checked { note } => (CHECKED, None, note),
            FindingAction::Assigned { worker, note } => (ASSIGNED, Some(worker.clone()), note),
        };
        self.edit_record(
            actor,
            household,
            RecordKind::Household,
            now,
            |doc, before| {
                let RecordView::Household(h) = before else {
                    unreachable!("read as a household")
                };
                let fingerprint = fingerprint(h, kind, subject).ok_or_else(|| {
                    EditError::Refused(Refusal::Rule(
                        Message::new("household.finding_mark_invalid")
                            .with("mark_id", kind.as_str()),
                    ))
                })?;
                let mark = FindingMark {
                    id: uuid::Uuid::now_v7().simple().to_string(),
                    action: stored.to_owned(),
                    kind: kind.as_str().to_owned(),
                    subject: subject.to_owned(),
                    fingerprint,
                    assignee,
                    by: actor.user_id.clone(),
                    note: note.trim().to_owned(),
                    at: now,
                };
                Ok(HouseholdWriter::new(doc, household).add_finding_mark(&mark)?)
            },
        )
    }

    /// What household `h` asks to be checked at `now`: its own findings
    /// ([`findings::household_findings`]) and its residents' duplicate ID numbers, less those
    /// marked checked, sorted as the grid's list. Takes the household its caller has read.
    pub fn household_needs_checking(&self, h: &Household, now: Timestamp) -> Result<Vec<Finding>> {
        let household = &h.id;
        let mut out = findings::household_findings(h, now);
        let conn = self.reader();
        let mut st = conn
            .prepare_cached(
                "SELECT r.id, r.name, r.id_number, d.households FROM duplicate_id_number d
                 JOIN resident r ON r.id_number = d.id_number
                 WHERE r.household_id = ?1 AND r.moved_out = 0 AND r.id_valid = 1
                   AND NOT EXISTS (SELECT 1 FROM finding_check k
                                   WHERE k.household_id = r.household_id
                                     AND k.kind = 'duplicate_id_number' AND k.subject = r.id)",
            )
            .map_err(Error::storage("listing findings"))?;
        let rows = st
            .query_map(params![household.as_str()], |r| {
                let number: String = r.get(2)?;
                let name: String = r.get(1)?;
                Ok(Finding {
                    household_id: household.to_string(),
                    kind: FindingKind::DuplicateIdNumber,
                    subject: r.get(0)?,
                    detail: findings::duplicate_detail(
                        &name,
                        &number,
                        r.get::<_, i64>(3)? as usize,
                    ),
                })
            })
            .map_err(Error::storage("listing findings"))?;
        for row in rows {
            out.push(row.map_err(Error::storage("listing findings"))?);
        }
        out.sort_by(|a, b| (a.kind, &a.subject).cmp(&(b.kind, &b.subject)));
        Ok(out)
    }
}
