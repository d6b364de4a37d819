//! Projections: the rows every list reads, written from a record's typed view in the same
//! transaction as its document, so a list never loads a document and a crash never leaves
//! the two apart.

use std::collections::BTreeSet;

use rusqlite::{Connection, params};

use crate::error::{Error, Result};
use crate::ids::RecordId;
use crate::records::household::{Household, SpecialGroup};
use crate::records::order::Order;
use crate::records::report::Report;
use crate::records::view::RecordView;
use crate::rules::order::ItemState;
use crate::rules::{self, finding_marks, findings, id_number, todo};
use crate::search_key::{initials_keys, reversed};

/// Every table that is a projection of the documents: rebuilt from them, and equal between two
/// stores holding the same documents. Every other table is the store's own state (documents,
/// outbox columns, cursors, the server's log, photo files).
pub const PROJECTION_TABLES: &[&str] = &[
    "household",
    "resident",
    "resident_key",
    "finding",
    "visit",
    "review",
    "photo_ref",
    "todo",
    "work_order",
    "report",
    "report_event",
    "finding_check",
    // Not one record's rows: counted across households, rebuilt as they are projected.
    "duplicate_id_number",
];

/// Deletes one record: its document and every projection row of it. Rows keyed by the document
/// go by foreign key; the household row (with its residents and findings) is keyed apart.
pub fn delete_record(conn: &Connection, id: &RecordId) -> Result<()> {
    let registered = counted_id_numbers(conn, id.as_str())?;
    conn.execute("DELETE FROM household WHERE id = ?1", [id.as_str()])
        .and_then(|_| conn.execute("DELETE FROM document WHERE id = ?1", [id.as_str()]))
        .map_err(Error::storage("deleting a record"))?;
    recount_duplicates(conn, registered.iter())
}

/// The valid ID numbers of a household's residents still living there: those a
/// duplicate-ID-number finding counts.
fn counted_id_numbers(conn: &Connection, household: &str) -> Result<BTreeSet<String>> {
    conn.prepare_cached(
        "SELECT id_number FROM resident
         WHERE household_id = ?1 AND moved_out = 0 AND id_valid = 1",
    )
    .and_then(|mut st| st.query_map([household], |r| r.get(0))?.collect())
    .map_err(Error::storage("counting duplicate ID numbers"))
}

/// Recounts the households registering each of `numbers` and keeps `duplicate_id_number`
/// holding those with two or more. Called with the numbers a write added or removed, so an
/// import of new households costs one index lookup a resident.
fn recount_duplicates<'a>(
    conn: &Connection,
    numbers: impl Iterator<Item = &'a String>,
) -> Result<()> {
    let err = || Error::storage("counting duplicate ID numbers");
    let mut count = conn
        .prepare_cached(
            "SELECT COUNT(DISTINCT household_id) FROM resident
             WHERE id_number = ?1 AND moved_out = 0 AND id_valid = 1",
        )
        .map_err(err())?;
    let mut keep = conn
        .prepare_cached(
            "INSERT INTO duplicate_id_number (id_number, households) VALUES (?1, ?2)
             ON CONFLICT (id_number) DO UPDATE SET households = excluded.households",
        )
        .map_err(err())?;
    let mut drop = conn
        .prepare_cached("DELETE FROM duplicate_id_number WHERE id_number = ?1")
        .map_err(err())?;
    for number in numbers {
        let households: i64 = count.query_row([number], |r| r.get(0)).map_err(err())?;
        if households > 1 {
            keep.execute(params![number, households]).map_err(err())?;
        } else {
            drop.execute([number]).map_err(err())?;
        }
    }
    Ok(())
}

/// Writes (or rewrites) the household's rows: the household, its residents with their search
/// keys, and its findings.
fn project_household(conn: &Connection, h: &Household) -> Result<()> {
    let err = || Error::storage("updating the household lists");
    let active: Vec<_> = h.active_residents().collect();
    let tagged = active
        .iter()
        .find(|r| r.tags.contains(&SpecialGroup::ElderlyAlone));
    // The one resident whose age decides "elderly living alone" at query time.
    let (alone_id, alone_birth) = match (tagged, active.as_slice()) {
        (Some(r), _) => (Some(r.id.as_str()), None),
        (None, [only]) => (
            Some(only.id.as_str()),
            only.id_number
                .as_deref()
                .and_then(|n| id_number::parse(n).ok())
                .map(|n| birth_yyyymmdd(n.birth_date)),
        ),
        _ => (None, None),
    };
    conn.prepare_cached(
        "INSERT INTO household (id, community_id, grid_id, compound_id, building_id, unit, room,
             house_use, head_name, resident_count, last_visit_at,
             alone_resident_id, alone_birth_date, alone_tagged)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT (id) DO UPDATE SET community_id = ?2, grid_id = ?3, compound_id = ?4,
             building_id = ?5, unit = ?6, room = ?7, house_use = ?8, head_name = ?9,
             resident_count = ?10, last_visit_at = ?11, alone_resident_id = ?12,
             alone_birth_date = ?13, alone_tagged = ?14",
    )
    .and_then(|mut st| {
        let a = &h.address;
        st.execute(params![
            h.id.as_str(),
            a.community,
            a.grid,
            a.compound,
            a.building,
            a.unit,
            a.room,
            h.house_use.as_str(),
            h.head().map(|r| r.name.as_str()).unwrap_or(""),
            active.len() as i64,
            h.last_visit_at().map(|t| t.0),
            alone_id,
            alone_birth,
            tagged.is_some(),
        ])
    })
    .map_err(err())?;

    // The ID numbers this household registered before this write, for the duplicates' count.
    let before = counted_id_numbers(conn, h.id.as_str())?;
    conn.prepare_cached("DELETE FROM resident WHERE household_id = ?1")
        .and_then(|mut st| st.execute([h.id.as_str()]))
        .and_then(|_| conn.prepare_cached("DELETE FROM resident_key WHERE household_id = ?1"))
        .and_then(|mut st| st.execute([h.id.as_str()]))
        .map_err(err())?;
    let mut insert_key = conn
        .prepare_cached(
            "INSERT INTO resident_key (household_id, resident_id, initials, variant, name)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(err())?;
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO resident (id, household_id, name, initials, id_number, id_valid, id_reversed,
                 phone, phone_reversed, moved_out, tags, relation, registration)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )
        .map_err(err())?;
    for r in &h.residents {
        let tags: Vec<&str> = r.tags.iter().map(SpecialGroup::as_str).collect();
        let keys = initials_keys(&r.name);
        insert
            .execute(params![
                r.id.as_str(),
                h.id.as_str(),
                r.name,
                keys.first().map_or("", |k| k.initials.as_str()),
                r.id_number,
                r.id_number
                    .as_deref()
                    .is_some_and(|n| id_number::parse(n).is_ok()),
                r.id_number.as_deref().map(reversed),
                r.phone,
                r.phone.as_deref().map(reversed),
                r.moved_out,
                tags.join(","),
                r.relation.as_str(),
                r.registration.as_str(),
            ])
            .map_err(err())?;
        // Search lists only residents still living here: the others have no keys.
        for key in keys.iter().filter(|_| !r.moved_out) {
            insert_key
                .execute(params![
                    h.id.as_str(),
                    r.id.as_str(),
                    key.initials,
                    key.variant,
                    r.name
                ])
                .map_err(err())?;
        }
    }

    let after = counted_id_numbers(conn, h.id.as_str())?;
    recount_duplicates(conn, before.symmetric_difference(&after))?;

    // The checks that hold (their value unchanged), for the duplicate-ID-number findings the
    // store finds across households; the household's own findings leave checked ones out.
    conn.prepare_cached("DELETE FROM finding_check WHERE household_id = ?1")
        .and_then(|mut st| st.execute([h.id.as_str()]))
        .map_err(err())?;
    let mut insert = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO finding_check (household_id, kind, subject) VALUES (?1, ?2, ?3)",
        )
        .map_err(err())?;
    for m in h
        .finding_marks
        .iter()
        .filter(|m| m.action == finding_marks::CHECKED)
    {
        if let Some(kind) = findings::FindingKind::parse(&m.kind)
            && finding_marks::is_checked(h, kind, &m.subject)
        {
            insert
                .execute(params![h.id.as_str(), m.kind, m.subject])
                .map_err(err())?;
        }
    }

    conn.prepare_cached("DELETE FROM finding WHERE household_id = ?1")
        .and_then(|mut st| st.execute([h.id.as_str()]))
        .map_err(err())?;
    let mut insert = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO finding (household_id, grid_id, kind, subject, detail)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(err())?;
    for f in findings::record_findings(h) {
        insert
            .execute(params![
                h.id.as_str(),
                h.address.grid,
                f.kind.as_str(),
                f.subject,
                f.detail.to_json()
            ])
            .map_err(err())?;
    }

    Ok(())
}

/// Writes (or rewrites) every projection row of a record: its kind's lists, the photos it
/// refers to, and the to-dos it gives people.
pub fn project(conn: &Connection, view: &RecordView) -> Result<()> {
    let err = || Error::storage("updating the lists");
    match view {
        RecordView::Household(h) => {
            project_household(conn, h)?;
            project_visits(conn, h)?;
            project_reviews(conn, h)?;
        }
        RecordView::Order(o) => project_order(conn, o)?,
        RecordView::Report(r) => project_report(conn, r)?,
    }
    let id = view.id().as_str();
    conn.prepare_cached("DELETE FROM photo_ref WHERE record_id = ?1")
        .and_then(|mut st| st.execute([id]))
        .map_err(err())?;
    let mut insert = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO photo_ref (record_id, hash, role) VALUES (?1, ?2, ?3)",
        )
        .map_err(err())?;
    for (hash, role) in view.photo_hashes() {
        insert.execute(params![id, hash, role]).map_err(err())?;
    }
    conn.prepare_cached("DELETE FROM todo WHERE record_id = ?1")
        .and_then(|mut st| st.execute([id]))
        .map_err(err())?;
    let mut insert = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO todo (record_id, assignee, kind, note, since) VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(err())?;
    for t in todo::todos_of(view) {
        insert
            .execute(params![id, t.assignee, t.kind, t.note, t.since.0])
            .map_err(err())?;
    }
    Ok(())
}

fn project_visits(conn: &Connection, h: &Household) -> Result<()> {
    let err = || Error::storage("updating the visit lists");
    conn.prepare_cached("DELETE FROM visit WHERE household_id = ?1")
        .and_then(|mut st| st.execute([h.id.as_str()]))
        .map_err(err())?;
    // Keyed by (household_id, id) (migration 0007): a replace can only ever meet a repeated
    // visit of this same household, never another household's row.
    let mut insert = conn
        .prepare_cached(
            "INSERT OR REPLACE INTO visit (id, household_id, grid_id, worker, at, purpose, notes, photos)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )
        .map_err(err())?;
    for v in &h.visits {
        insert
            .execute(params![
                v.id.as_str(),
                h.id.as_str(),
                h.address.grid,
                v.worker,
                v.at.0,
                v.purpose.as_str(),
                v.notes,
                v.photos.len() as i64
            ])
            .map_err(err())?;
    }
    Ok(())
}

/// The household's reviews with their times: findings read reviews dated in the future here.
fn project_reviews(conn: &Connection, h: &Household) -> Result<()> {
    let err = || Error::storage("updating the review list");
    conn.prepare_cached("DELETE FROM review WHERE household_id = ?1")
        .and_then(|mut st| st.execute([h.id.as_str()]))
        .map_err(err())?;
    let mut insert = conn
        .prepare_cached(
            "INSERT OR REPLACE INTO review (household_id, id, grid_id, by_user, at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .map_err(err())?;
    for r in &h.reviews {
        insert
            .execute(params![h.id.as_str(), r.id, h.address.grid, r.by, r.at.0])
            .map_err(err())?;
    }
    Ok(())
}

fn project_order(conn: &Connection, o: &Order) -> Result<()> {
    let state = rules::order::fold(o);
    let answered = state
        .items
        .iter()
        .filter(|(_, s)| *s == ItemState::Answered)
        .count();
    let severity = o
        .items
        .iter()
        .map(|i| i.severity.weight())
        .max()
        .unwrap_or(1);
    conn.prepare_cached(
        "INSERT OR REPLACE INTO work_order (id, title, compound_id, company_id, issuer, status, deadline,
             issued_at, finished_at, reopen_count, items_total, items_answered, severity, from_report,
             answered_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )
    .and_then(|mut st| {
        st.execute(params![
            o.id.as_str(),
            o.title,
            o.compound,
            o.company,
            o.issuer,
            state.status.as_str(),
            o.deadline.0,
            state.issued_at.map(|t| t.0),
            state.finished_at.map(|t| t.0),
            state.reopen_count,
            o.items.len() as i64,
            answered as i64,
            severity,
            o.from_report.as_ref().map(|r| r.as_str()),
            state.answered_at.map(|t| t.0),
        ])
    })
    .map_err(Error::storage("updating the order lists"))?;
    Ok(())
}

fn project_report(conn: &Connection, r: &Report) -> Result<()> {
    let state = rules::report::fold(r);
    conn.prepare_cached(
        "INSERT OR REPLACE INTO report (id, category, description, grid_id, compound_id, reporter, assignee,
             status, created_at, order_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )
    .and_then(|mut st| {
        st.execute(params![
            r.id.as_str(),
            r.category,
            r.description,
            r.grid,
            r.compound,
            r.reporter,
            state.assignee,
            state.status.as_str(),
            r.created_at.0,
            state.escalated_to,
        ])
    })
    .map_err(Error::storage("updating the report lists"))?;
    // The counted events, for the workers page (who handled what, when).
    conn.prepare_cached("DELETE FROM report_event WHERE report_id = ?1")
        .and_then(|mut st| st.execute([r.id.as_str()]))
        .map_err(Error::storage("updating the report lists"))?;
    let mut insert = conn
        .prepare_cached(
            "INSERT INTO report_event (report_id, seq, grid_id, kind, by_user, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(Error::storage("updating the report lists"))?;
    for (seq, folded) in state.history.iter().enumerate().filter(|(_, f)| f.counted) {
        let e = &folded.event;
        insert
            .execute(params![
                r.id.as_str(),
                seq as i64,
                r.grid,
                e.kind,
                e.by,
                e.at.0
            ])
            .map_err(Error::storage("updating the report lists"))?;
    }
    Ok(())
}

/// A date as the integer YYYYMMDD, which orders like the date.
pub fn birth_yyyymmdd(d: time::Date) -> i64 {
    i64::from(d.year()) * 10_000 + i64::from(d.month() as u8) * 100 + i64::from(d.day())
}
