//! Rules for households: normalising what a worker typed, and checking a change before it is
//! written (on the device) or accepted (on the server).
//!
//! A change is checked by comparing the household before and after it, field by field, so the
//! same function judges a local edit and a batch of automerge changes a device pushed: each
//! field that differs must be one the role may change, and each new value must be valid.
//! Values already in the record are not judged again: an old ledger's bad ID number is a
//! finding for a worker to check, not a reason to refuse their next visit.

use std::collections::{HashMap, HashSet};

use super::permissions::{Actor, Field, Role, may_change_household};
use super::{Refusal, id_number, phone, text};
use crate::messages::Message;
use crate::records::household::{
    Address, Household, NewHousehold, NewResident, Resident, ResidentPatch,
};
use crate::time::Timestamp;

/// The earliest time a visit or review may carry: 2000-01-01T00:00:00Z. Times come from
/// devices; a range this wide holds every honest one and keeps crafted ones (year 9999, negative)
/// out of the dates the pages and exports print.
pub const EARLIEST_EVENT_AT: Timestamp = Timestamp(946_684_800_000);
/// The time before which a visit or review must be: 2100-01-01T00:00:00Z.
pub const LATEST_EVENT_AT: Timestamp = Timestamp(4_102_444_800_000);

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
    let Some(name) = text::field(&r.name) else {
        return Err(Refusal::MissingField {
            field: "resident_name",
        });
    };
    Ok(NewResident {
        name,
        id_number: normalise_id_number(r.id_number.as_deref(), validation)?,
        phone: normalise_phone(r.phone.as_deref(), validation)?,
        ..r.clone()
    })
}

/// Trims and checks the fields a patch sets. An empty ID number or phone clears it.
pub fn normalise_patch(p: &ResidentPatch) -> Result<ResidentPatch, Refusal> {
    let name = match p.name.as_deref().map(text::clean) {
        Some(n) if n.is_empty() => {
            return Err(Refusal::MissingField {
                field: "resident_name",
            });
        }
        other => other,
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
    let Some(v) = v.and_then(text::identifier_field) else {
        return Ok(None);
    };
    match (id_number::parse_on(&v, latest_birth_date()), validation) {
        (Ok(id), _) => Ok(Some(id.number)),
        (Err(_), Validation::Ledger) => Ok(Some(v.to_ascii_uppercase())),
        (Err(problem), Validation::Strict) => Err(Refusal::InvalidIdNumber {
            masked: id_number::mask(&v),
            problem,
        }),
    }
}

fn normalise_phone(v: Option<&str>, validation: Validation) -> Result<Option<String>, Refusal> {
    let Some(v) = v.and_then(text::identifier_field) else {
        return Ok(None);
    };
    match (phone::parse(&v), validation) {
        (Ok(p), _) => Ok(Some(p.digits().to_owned())),
        (Err(_), Validation::Ledger) => Ok(Some(v)),
        (Err(problem), Validation::Strict) => Err(Refusal::InvalidPhone {
            masked: phone::mask(&v),
            problem,
        }),
    }
}

/// The canonical form of a value written to the resident field `key` (`id_number`, `phone`,
/// `name`, …) when a person picks it to end a conflict: what [`check_change`] requires. A value
/// that does not parse is returned as given, so the check refuses it with its reason, unless it
/// is the value the record already held.
pub fn canonical_resident_value(key: &str, value: &str) -> String {
    let cleaned = text::identifier(value);
    match key {
        "id_number" => id_number::parse(&cleaned)
            .map(|id| id.number)
            .unwrap_or_else(|_| value.to_owned()),
        "phone" if cleaned.is_empty() => String::new(),
        "phone" => phone::parse(&cleaned)
            .map(|p| p.digits().to_owned())
            .unwrap_or_else(|_| value.to_owned()),
        "name" => text::clean(value),
        _ => value.to_owned(),
    }
}

/// The canonical form of a value written to the household field at `path` (as a
/// [`crate::records::household::FieldConflict`] names it) when a person picks it to end a
/// conflict: resident fields as [`canonical_resident_value`], notes cleaned.
pub fn canonical_field_value(path: &str, value: &str) -> String {
    match path
        .strip_prefix("residents.")
        .and_then(|r| r.rsplit_once('.'))
    {
        Some((_, key)) => canonical_resident_value(key, value),
        None if path == "notes" => text::clean(value),
        None => value.to_owned(),
    }
}

/// The latest birth date a new ID number may carry: tomorrow in China by this machine's clock.
///
/// The one place the rules read the clock, because "born in the future" has no meaning
/// without one and [`check_change`] is not given the time. The day of slack keeps a device and
/// the server whose clocks differ by hours from disagreeing about a baby born today. Only new
/// values are judged with it, so a decision never changes later.
fn latest_birth_date() -> time::Date {
    let today = Timestamp::now().china_date();
    today.next_day().unwrap_or(today)
}

/// The address as it is stored: each part (a reference code, a unit or room number) in the
/// form [`text::identifier`] gives, so `Ｂ０１` typed with an IME and `B01` are one place.
pub fn normalise_address(a: &Address) -> Address {
    Address {
        community: text::identifier(&a.community),
        grid: text::identifier(&a.grid),
        compound: text::identifier(&a.compound),
        building: text::identifier(&a.building),
        unit: text::identifier(&a.unit),
        room: text::identifier(&a.room),
    }
}

/// A new household with its address normalised and its notes cleaned; residents are
/// normalised on their own ([`normalise_resident`]).
pub fn normalise_new_household(new: &NewHousehold) -> NewHousehold {
    NewHousehold {
        address: normalise_address(&new.address),
        notes: text::clean(&new.notes),
        ..new.clone()
    }
}

/// Checks the address has every part, each in the form [`normalise_address`] stores (the
/// server refuses a part a device did not normalise, so one place is never two addresses).
pub fn check_address(a: &Address) -> Result<(), Refusal> {
    const NAMES: [&str; 6] = [
        "address_community",
        "address_grid",
        "address_compound",
        "address_building",
        "address_unit",
        "address_room",
    ];
    for ((_, value), field) in a.parts().into_iter().zip(NAMES) {
        if text::identifier(value).is_empty() {
            return Err(Refusal::MissingField { field });
        }
        if text::identifier(value) != value {
            return Err(Refusal::Rule(
                Message::new("text.not_canonical").with("field", field),
            ));
        }
    }
    Ok(())
}

/// Checks a new household's form before anything is written.
pub fn check_new_household(role: Role, new: &NewHousehold) -> Result<(), Refusal> {
    may_change_household(role, Field::NewHousehold)?;
    check_address(&new.address)
}

/// Checks a change from `before` (`None` for a new record) to `after` made by `actor`: everything
/// [`check_change`] checks for the actor's role, and that each new visit and review is in the
/// actor's own name.
///
/// Every role is held to authorship, administrators too: every honest write path records a
/// visit or review under the signed-in user, and a visit is a claim that this person was at the
/// door, which nobody can make for someone else (a supervisor correcting a record does so by
/// editing fields, not by adding visits in a worker's trail).
pub fn check_change_by(
    actor: &Actor,
    before: Option<&Household>,
    after: &Household,
    validation: Validation,
) -> Result<(), Refusal> {
    check_change(actor.role, before, after, validation)?;
    super::finding_marks::check_marks_own(actor, before, after)?;
    let old_visits: HashSet<_> = before
        .into_iter()
        .flat_map(|b| b.visits.iter().map(|v| &v.id))
        .collect();
    for v in after.visits.iter().filter(|v| !old_visits.contains(&v.id)) {
        if v.worker != actor.user_id {
            return Err(Refusal::Rule(
                Message::new("household.visit_not_own").with("visit_id", &v.id),
            ));
        }
    }
    let old_reviews: HashSet<_> = before
        .into_iter()
        .flat_map(|b| b.reviews.iter().map(|r| &r.id))
        .collect();
    for r in after
        .reviews
        .iter()
        .filter(|r| !old_reviews.contains(&r.id))
    {
        if r.by != actor.user_id {
            return Err(Refusal::Rule(
                Message::new("household.review_not_own").with("review_id", &r.id),
            ));
        }
    }
    Ok(())
}

/// Checks a change from `before` (`None` for a new record) to `after` made by `role`.
///
/// This judges what a role may do but cannot know who the user is: callers that have the
/// [`Actor`] should use [`check_change_by`], which also checks that new visits and reviews are
/// in the actor's name.
///
/// Besides the winning value of each field, every value concurrent edits left in a field (the
/// values a person may later pick, see [`Household::conflicts`]) is judged too when it is new,
/// so a pushed edit that loses the merge cannot store what the rules would refuse.
pub fn check_change(
    role: Role,
    before: Option<&Household>,
    after: &Household,
    validation: Validation,
) -> Result<(), Refusal> {
    check_ids_unique(before, after)?;
    super::finding_marks::check_marks(role, before, after)?;
    let Some(before) = before else {
        may_change_household(role, Field::NewHousehold)?;
        check_address(&after.address)?;
        for r in &after.residents {
            check_new_resident(role, r, validation)?;
        }
        if !after.visits.is_empty() {
            may_change_household(role, Field::NewVisit)?;
        }
        for v in &after.visits {
            check_event_time("visit", &v.id.to_string(), v.at)?;
        }
        if !after.reviews.is_empty() {
            may_change_household(role, Field::Review)?;
        }
        for r in &after.reviews {
            check_event_time("review", &r.id, r.at)?;
        }
        return check_conflicts(role, None, after, validation);
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
    let old_visits: HashSet<_> = before.visits.iter().map(|v| &v.id).collect();
    for v in after.visits.iter().filter(|v| !old_visits.contains(&v.id)) {
        check_event_time("visit", &v.id.to_string(), v.at)?;
    }
    for r in &before.reviews {
        if !after.reviews.contains(r) {
            return Err(Refusal::Rule(
                Message::new("household.review_rewritten").with("review_id", &r.id),
            ));
        }
    }
    for r in after
        .reviews
        .iter()
        .filter(|r| !before.reviews.iter().any(|b| b.id == r.id))
    {
        may_change_household(role, Field::Review)?;
        check_event_time("review", &r.id, r.at)?;
        if r.note.trim().is_empty() {
            return Err(Refusal::MissingField {
                field: "review_comment",
            });
        }
        if !after.visits.iter().any(|v| v.id.as_str() == r.visit_id) {
            return Err(Refusal::Rule(
                Message::new("household.no_such_visit").with("visit_id", &r.visit_id),
            ));
        }
    }
    check_conflicts(role, Some(before), after, validation)
}

/// Refuses a change that gives a visit or review an id another one of the household already
/// has. The rules tell old visits from new by id, so a reused id would let a new visit pass as
/// an old one (escaping the authorship and date checks) and then make every later edit look
/// like a rewrite. Ids already repeated before the change are left alone, so an old record is
/// never frozen by what it holds.
fn check_ids_unique(before: Option<&Household>, after: &Household) -> Result<(), Refusal> {
    fn counts<'a>(ids: impl Iterator<Item = &'a str>) -> HashMap<&'a str, usize> {
        let mut n = HashMap::new();
        for id in ids {
            *n.entry(id).or_insert(0) += 1;
        }
        n
    }
    let visits_before = counts(
        before
            .into_iter()
            .flat_map(|b| b.visits.iter().map(|v| v.id.as_str())),
    );
    let reviews_before = counts(
        before
            .into_iter()
            .flat_map(|b| b.reviews.iter().map(|r| r.id.as_str())),
    );
    for (id, n) in counts(after.visits.iter().map(|v| v.id.as_str())) {
        if n > 1 && n > visits_before.get(id).copied().unwrap_or(0) {
            return Err(Refusal::Rule(
                Message::new("household.visit_id_reused").with("visit_id", id),
            ));
        }
    }
    for (id, n) in counts(after.reviews.iter().map(|r| r.id.as_str())) {
        if n > 1 && n > reviews_before.get(id).copied().unwrap_or(0) {
            return Err(Refusal::Rule(
                Message::new("household.review_id_reused").with("review_id", id),
            ));
        }
    }
    Ok(())
}

/// Refuses a visit or review time outside [`EARLIEST_EVENT_AT`]..[`LATEST_EVENT_AT`].
pub(crate) fn check_event_time(what: &str, id: &str, at: Timestamp) -> Result<(), Refusal> {
    if (EARLIEST_EVENT_AT..LATEST_EVENT_AT).contains(&at) {
        Ok(())
    } else {
        Err(Refusal::Rule(
            Message::new("household.time_out_of_range")
                .with("what", what)
                .with("id", id)
                .with("at_ms", at.0),
        ))
    }
}

/// Judges every value concurrent edits left in a field that `before` did not already hold,
/// as if it had been written: the role must be allowed to change the field, and ID numbers and
/// phones must be valid and canonical. The typed view holds only each field's winning value,
/// so without this a losing value would be stored unjudged and offered to a person to pick.
fn check_conflicts(
    role: Role,
    before: Option<&Household>,
    after: &Household,
    validation: Validation,
) -> Result<(), Refusal> {
    for c in &after.conflicts {
        let known = before
            .map(|b| known_values(b, &c.field))
            .unwrap_or_default();
        let mut new_values = c.values.iter().filter(|v| !known.contains(*v)).peekable();
        if new_values.peek().is_none() {
            continue;
        }
        let (field, resident_key) = conflict_field(&c.field).ok_or_else(|| {
            Refusal::Record(crate::records::RecordError::UnknownField {
                path: c.field.clone(),
            })
        })?;
        // Creating a household includes writing every field of it; the role was judged for that.
        if before.is_some() {
            may_change_household(role, field)?;
        }
        for v in new_values {
            match resident_key {
                Some("name") if v.trim().is_empty() => {
                    return Err(Refusal::MissingField {
                        field: "resident_name",
                    });
                }
                // An empty ID number or phone is a cleared one, which is always allowed.
                Some("id_number") if !v.is_empty() && validation == Validation::Strict => {
                    check_id_number(v)?
                }
                Some("phone") if !v.is_empty() && validation == Validation::Strict => {
                    check_phone(v)?
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// The permission a conflict path needs, and for a resident field its key.
fn conflict_field(path: &str) -> Option<(Field, Option<&str>)> {
    if let Some(rest) = path.strip_prefix("residents.") {
        let (_, key) = rest.rsplit_once('.')?;
        let field = match key {
            "name" => Field::ResidentName,
            "id_number" => Field::ResidentIdNumber,
            "phone" => Field::ResidentPhone,
            "relation" => Field::ResidentRelation,
            "registration" => Field::ResidentRegistration,
            "moved_out" => Field::ResidentMovedOut,
            _ => return None,
        };
        return Some((field, Some(key)));
    }
    match path {
        "house_use" => Some((Field::HouseUse, None)),
        "notes" => Some((Field::Notes, None)),
        p if p.starts_with("address.") => Some((Field::Address, None)),
        _ => None,
    }
}

/// Every value the field at `path` held in `h`, as [`Household::conflicts`] writes values: its
/// conflicting values if it had any, and its winning value.
fn known_values(h: &Household, path: &str) -> Vec<String> {
    let mut out: Vec<String> = h
        .conflicts
        .iter()
        .filter(|c| c.field == path)
        .flat_map(|c| c.values.iter().cloned())
        .collect();
    let winning = if let Some(rest) = path.strip_prefix("residents.") {
        rest.rsplit_once('.').and_then(|(rid, key)| {
            let r = h.residents.iter().find(|r| r.id.as_str() == rid)?;
            Some(match key {
                "name" => r.name.clone(),
                "id_number" => r.id_number.clone().unwrap_or_default(),
                "phone" => r.phone.clone().unwrap_or_default(),
                "relation" => r.relation.as_str().to_owned(),
                "registration" => r.registration.as_str().to_owned(),
                "moved_out" => r.moved_out.to_string(),
                _ => return None,
            })
        })
    } else if let Some(key) = path.strip_prefix("address.") {
        h.address
            .parts()
            .into_iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.to_owned())
    } else {
        match path {
            "house_use" => Some(h.house_use.as_str().to_owned()),
            "notes" => Some(h.notes.clone()),
            _ => None,
        }
    };
    out.extend(winning);
    out
}

fn check_new_resident(role: Role, r: &Resident, validation: Validation) -> Result<(), Refusal> {
    may_change_household(role, Field::NewResident)?;
    if r.name.trim().is_empty() {
        return Err(Refusal::MissingField {
            field: "resident_name",
        });
    }
    check_name_form(&r.name, validation)?;
    check_values(r, None, validation)
}

/// Refuses a new name not in the form [`text::clean`] stores (invisible characters, full-width
/// letters), so every replica holds one form and search finds it. The ledger cleans its names
/// itself; this keeps out what a device skipped.
fn check_name_form(name: &str, validation: Validation) -> Result<(), Refusal> {
    if validation == Validation::Strict && !text::is_clean(name) {
        return Err(Refusal::Rule(
            Message::new("text.not_canonical").with("field", "resident_name"),
        ));
    }
    Ok(())
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
            field: "resident_name",
        });
    }
    if was.name != now.name {
        check_name_form(&now.name, validation)?;
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
        check_id_number(id)?;
    }
    if let Some(p) = &r.phone
        && was.and_then(|w| w.phone.as_ref()) != Some(p)
    {
        check_phone(p)?;
    }
    Ok(())
}

/// A new ID number must be valid, born no later than today, and canonical: a lower-case x or
/// spaces would make the same person two people to duplicate checks and searches.
fn check_id_number(id: &str) -> Result<(), Refusal> {
    let refuse = |problem| Refusal::InvalidIdNumber {
        masked: id_number::mask(id),
        problem,
    };
    let parsed = id_number::parse_on(id, latest_birth_date()).map_err(refuse)?;
    if parsed.number != id {
        return Err(refuse(id_number::IdNumberProblem::NotCanonical));
    }
    Ok(())
}

/// A new phone must parse and be stored as its digits alone, as [`normalise_resident`] writes it.
fn check_phone(p: &str) -> Result<(), Refusal> {
    let refuse = |problem| Refusal::InvalidPhone {
        masked: phone::mask(p),
        problem,
    };
    let parsed = phone::parse(p).map_err(refuse)?;
    if parsed.digits() != p {
        return Err(refuse(phone::PhoneProblem::NotCanonical));
    }
    Ok(())
}
