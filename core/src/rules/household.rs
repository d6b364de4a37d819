//! Rules for households: normalising what a worker typed, and checking a change before it is
//! written (on the device) or accepted (on the server).
//!
//! A change is checked by comparing the household before and after it, field by field, so the
//! same function judges a local edit and a batch of automerge changes a device pushed: each
//! field that differs must be one the role may change, and each new value must be valid.
//! Values already in the record are not judged again: an old ledger's bad ID number is a
//! finding for a worker to check, not a reason to refuse their next visit.

use std::collections::HashMap;

use super::permissions::{Field, Role, may_change_household};
use super::{Refusal, id_number, phone};
use crate::records::household::{
    Address, Household, NewHousehold, NewResident, Resident, ResidentPatch,
};

/// How strictly new values are judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validation {
    /// Everything a person types on a device or in the web pages: an invalid ID number or
    /// phone is refused.
    Strict,
    /// A ledger import from the office's spreadsheet: invalid ID numbers are kept as written
    /// and show up as findings, so the import does not lose people.
    Ledger,
}

/// Trims and checks a resident's fields; returns them normalised (upper-case X, phone digits).
pub fn normalise_resident(r: &NewResident, validation: Validation) -> Result<NewResident, Refusal> {
    let name = r.name.trim().to_owned();
    if name.is_empty() {
        return Err(Refusal::MissingField {
            field: "resident name",
        });
    }
    Ok(NewResident {
        name,
        id_number: normalise_id_number(r.id_number.as_deref(), validation)?,
        phone: normalise_phone(r.phone.as_deref(), validation)?,
        ..r.clone()
    })
}

/// Trims and checks the fields a patch sets. An empty ID number or phone clears it.
pub fn normalise_patch(p: &ResidentPatch) -> Result<ResidentPatch, Refusal> {
    let name = match p.name.as_deref().map(str::trim) {
        Some("") => {
            return Err(Refusal::MissingField {
                field: "resident name",
            });
        }
        other => other.map(str::to_owned),
    };
    let clearable = |v: Option<String>| v.or(Some(String::new()));
    Ok(ResidentPatch {
        name,
        id_number: match &p.id_number {
            Some(v) => clearable(normalise_id_number(Some(v), Validation::Strict)?),
            None => None,
        },
        phone: match &p.phone {
            Some(v) => clearable(normalise_phone(Some(v), Validation::Strict)?),
            None => None,
        },
        ..p.clone()
    })
}

fn normalise_id_number(v: Option<&str>, validation: Validation) -> Result<Option<String>, Refusal> {
    let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    match (id_number::parse(v), validation) {
        (Ok(id), _) => Ok(Some(id.number)),
        (Err(_), Validation::Ledger) => Ok(Some(v.to_ascii_uppercase())),
        (Err(problem), Validation::Strict) => Err(Refusal::InvalidIdNumber {
            masked: id_number::mask(v),
            problem,
        }),
    }
}

fn normalise_phone(v: Option<&str>, validation: Validation) -> Result<Option<String>, Refusal> {
    let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    match (phone::parse(v), validation) {
        (Ok(p), _) => Ok(Some(p.digits().to_owned())),
        (Err(_), Validation::Ledger) => Ok(Some(v.to_owned())),
        (Err(problem), Validation::Strict) => Err(Refusal::InvalidPhone {
            value: v.to_owned(),
            problem,
        }),
    }
}

/// Checks the address has every part.
pub fn check_address(a: &Address) -> Result<(), Refusal> {
    const NAMES: [&str; 6] = [
        "address: community",
        "address: grid",
        "address: compound",
        "address: building",
        "address: unit",
        "address: room",
    ];
    for ((_, value), field) in a.parts().into_iter().zip(NAMES) {
        if value.trim().is_empty() {
            return Err(Refusal::MissingField { field });
        }
    }
    Ok(())
}

/// Checks a new household's form before anything is written.
pub fn check_new_household(role: Role, new: &NewHousehold) -> Result<(), Refusal> {
    may_change_household(role, Field::NewHousehold)?;
    check_address(&new.address)
}

/// Checks a change from `before` (`None` for a new record) to `after` made by `role`.
pub fn check_change(
    role: Role,
    before: Option<&Household>,
    after: &Household,
    validation: Validation,
) -> Result<(), Refusal> {
    let Some(before) = before else {
        may_change_household(role, Field::NewHousehold)?;
        check_address(&after.address)?;
        for r in &after.residents {
            check_new_resident(role, r, validation)?;
        }
        if !after.visits.is_empty() {
            may_change_household(role, Field::NewVisit)?;
        }
        return Ok(());
    };

    if before.address != after.address {
        may_change_household(role, Field::Address)?;
        check_address(&after.address)?;
    }
    if before.house_use != after.house_use {
        may_change_household(role, Field::HouseUse)?;
    }
    if before.notes != after.notes {
        may_change_household(role, Field::Notes)?;
    }

    let old: HashMap<_, _> = before.residents.iter().map(|r| (&r.id, r)).collect();
    let new: HashMap<_, _> = after.residents.iter().map(|r| (&r.id, r)).collect();
    if let Some(gone) = old.keys().find(|id| !new.contains_key(*id)) {
        return Err(Refusal::ResidentRemoved {
            resident_id: gone.to_string(),
        });
    }
    for r in &after.residents {
        match old.get(&r.id) {
            None => check_new_resident(role, r, validation)?,
            Some(was) => check_resident_edit(role, was, r, validation)?,
        }
    }

    let visits: HashMap<_, _> = after.visits.iter().map(|v| (&v.id, v)).collect();
    for v in &before.visits {
        if visits.get(&v.id) != Some(&v) {
            return Err(Refusal::VisitHistoryRewritten {
                visit_id: v.id.to_string(),
            });
        }
    }
    if after.visits.len() > before.visits.len() {
        may_change_household(role, Field::NewVisit)?;
    }
    for r in &before.reviews {
        if !after.reviews.contains(r) {
            return Err(Refusal::IllegalEvent {
                reason: format!(
                    "review {} was changed or removed; reviews can only be added",
                    r.id
                ),
            });
        }
    }
    for r in after
        .reviews
        .iter()
        .filter(|r| !before.reviews.iter().any(|b| b.id == r.id))
    {
        may_change_household(role, Field::Review)?;
        if r.note.trim().is_empty() {
            return Err(Refusal::MissingField {
                field: "review comment",
            });
        }
        if !after.visits.iter().any(|v| v.id.as_str() == r.visit_id) {
            return Err(Refusal::IllegalEvent {
                reason: format!("the household has no visit {}", r.visit_id),
            });
        }
    }
    Ok(())
}

fn check_new_resident(role: Role, r: &Resident, validation: Validation) -> Result<(), Refusal> {
    may_change_household(role, Field::NewResident)?;
    if r.name.trim().is_empty() {
        return Err(Refusal::MissingField {
            field: "resident name",
        });
    }
    check_values(r, None, validation)
}

fn check_resident_edit(
    role: Role,
    was: &Resident,
    now: &Resident,
    validation: Validation,
) -> Result<(), Refusal> {
    let changes = [
        (was.name != now.name, Field::ResidentName),
        (was.id_number != now.id_number, Field::ResidentIdNumber),
        (was.phone != now.phone, Field::ResidentPhone),
        (was.relation != now.relation, Field::ResidentRelation),
        (
            was.registration != now.registration,
            Field::ResidentRegistration,
        ),
        (was.tags != now.tags, Field::ResidentTags),
        (was.moved_out != now.moved_out, Field::ResidentMovedOut),
    ];
    for (changed, field) in changes {
        if changed {
            may_change_household(role, field)?;
        }
    }
    if was.name != now.name && now.name.trim().is_empty() {
        return Err(Refusal::MissingField {
            field: "resident name",
        });
    }
    check_values(now, Some(was), validation)
}

/// Validates the ID number and phone of `r` where they differ from `was`.
fn check_values(
    r: &Resident,
    was: Option<&Resident>,
    validation: Validation,
) -> Result<(), Refusal> {
    if validation == Validation::Ledger {
        return Ok(());
    }
    if let Some(id) = &r.id_number
        && was.and_then(|w| w.id_number.as_ref()) != Some(id)
    {
        id_number::parse(id).map_err(|problem| Refusal::InvalidIdNumber {
            masked: id_number::mask(id),
            problem,
        })?;
    }
    if let Some(p) = &r.phone
        && was.and_then(|w| w.phone.as_ref()) != Some(p)
    {
        phone::parse(p).map_err(|problem| Refusal::InvalidPhone {
            value: p.clone(),
            problem,
        })?;
    }
    Ok(())
}
