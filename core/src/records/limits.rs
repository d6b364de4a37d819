//! How large a record and each change of it may be: the limits the server applies to what a
//! phone pushes and a phone applies to what it receives, so one hostile document can neither
//! hold the server's writer lock for seconds nor take every phone of its grid down with it.
//!
//! Sizing, from the largest real records (DESIGN.md, "Records"):
//!
//! * a household of 30 residents visited weekly for 10 years: 520 visits; each visit is about
//!   9 ops, and 9 more per photo (3 photos: 37 ops, about 1.5 KB with a note of 200 characters);
//!   30 residents at about 15 ops each; plus the edits of ten years: about 25,000 ops and
//!   1 MB. A grid worker caring for an elderly person living alone visits daily at most:
//!   3,650 visits in 10 years, about 150,000 ops, 6 MB;
//! * an order of 50 items and 200 events: about 5,000 ops and 200 KB;
//! * one change is one write on a phone: a new household with its residents (a ledger row of
//!   30 residents: about 500 ops, 20 KB) or one visit (tens of ops).
//!
//! Each limit is a few times the largest real value, and far below what hurts: loading a
//! document costs about 5 µs and 500 bytes of memory per op on the server (4 M ops: 22.6 s,
//! 2 GB), so 200,000 ops cost about a second and 100 MB at worst.

/// Ops in one pushed or received change. One write on a phone makes one change; the largest
/// is a new household with its residents (about 500 ops).
pub const MAX_CHANGE_OPS: u64 = 20_000;

/// Bytes of one change, inflated. The largest real change (a new household of 30 residents
/// with notes) is about 20 KB.
pub const MAX_CHANGE_BYTES: u64 = 1024 * 1024;

/// Ops in one record, its whole history: daily visits for 10 years are about 150,000.
pub const MAX_RECORD_OPS: u64 = 200_000;

/// Ops one user may add to one record in a day (server; see `Store::accept_pushed_by`). A
/// busy day on one household (a new household of 30 residents, a dozen visits with photos) is
/// about 1,000. History is never compacted, so without this one colleague could spend a
/// record's [`MAX_RECORD_OPS`] in one sync and freeze it for everyone; with it, that takes
/// weeks of daily, logged abuse.
pub const MAX_USER_DAILY_RECORD_OPS: u64 = 10_000;

/// Changes in one record's history: one per write, so daily visits and their edits for 10
/// years are under 10,000.
pub const MAX_RECORD_CHANGES: u64 = 50_000;

/// Bytes of one record sent whole or pushed at once, inflated: 10 years of daily visits with
/// notes and photos are about 6 MB.
pub const MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;

/// Entries of any one list or map of a record: residents, visits, reviews, photos, items,
/// events, tags. Daily visits for 10 years are 3,650; every other list is far shorter (30
/// residents, 50 items, 200 events, 9 photos a visit).
pub const MAX_LIST_LEN: usize = 10_000;

/// Entries of the lists that hold few: photos of one visit, item or event (a phone's picker
/// allows 9), tags of a resident (5 special groups), items an event names.
pub const MAX_SHORT_LIST_LEN: usize = 200;

/// Characters of free text: notes, descriptions, comments, titles (a page of Chinese text is
/// about 800 characters).
pub const MAX_TEXT_CHARS: usize = 10_000;

/// Characters of every other string and of map keys: names, ids, codes, hashes (64), phone
/// numbers, ID numbers (18).
pub const MAX_SHORT_TEXT_CHARS: usize = 200;
