//! What makes an appended event legal, whatever log it is in (orders and reports share these):
//! the log only grows, ids are not reused, an event claims to have seen no more than stood
//! before it, and it is signed by its sender. The logs themselves and their fold order are
//! [`crate::records::events`].

use super::Refusal;
use super::permissions::Actor;
use crate::messages::Message;
use crate::records::events::Event;

/// The events of `after` that `before` lacks, refusing a log in which one of `before`'s events
/// changed or vanished (the log is append-only), and a new event that reuses another event's
/// id: the id is what tells old events from new, so a reused one would hide a new event from
/// every check.
pub fn appended<'a>(before: &[Event], after: &'a [Event]) -> Result<Vec<&'a Event>, Refusal> {
    if let Some(e) = before.iter().find(|e| !after.contains(e)) {
        return Err(Refusal::Rule(
            Message::new("event.rewritten").with("event_id", &e.id),
        ));
    }
    // Each of `before`'s events accounts for one equal event of `after`; the rest are new.
    let mut old: Vec<&Event> = before.iter().collect();
    let mut new = Vec::new();
    for e in after {
        match old.iter().position(|o| *o == e) {
            Some(i) => {
                old.swap_remove(i);
            }
            None => new.push(e),
        }
    }
    for e in &new {
        if after.iter().filter(|o| o.id == e.id).count() > 1 {
            return Err(Refusal::Rule(
                Message::new("event.id_reused").with("event_id", &e.id),
            ));
        }
    }
    Ok(new)
}

/// Refuses `event` (one of `log`, by reference) if its `seen` claims more events than stand
/// before it in the log. A device appends at the end of what it has, and a merge only ever puts
/// other events in front, so an honest event's place is never below its `seen`; a larger `seen`
/// would claim to have seen the future and move the event later in the fold than it belongs.
pub fn check_seen(log: &[Event], event: &Event) -> Result<(), Refusal> {
    let place = log
        .iter()
        .position(|e| std::ptr::eq(e, event))
        .unwrap_or(log.len());
    if event.seen as usize > place {
        return Err(Refusal::Rule(
            Message::new("event.seen_from_future")
                .with("event_id", &event.id)
                .with("seen", event.seen)
                .with("place", place),
        ));
    }
    Ok(())
}

/// Refuses an event that is not signed by the person who sent it (their id, role and company).
pub fn check_signed(actor: &Actor, e: &Event) -> Result<(), Refusal> {
    if e.by != actor.user_id
        || e.role != actor.role
        || (e.company.is_some() && e.company != actor.company)
    {
        return Err(Refusal::Rule(
            Message::new("event.not_signed").with("event_id", &e.id),
        ));
    }
    Ok(())
}
