//! The durable store: one SQLite file in WAL mode, one writer connection and a few readers.
//!
//! Every write runs the rules, appends the document's new automerge chunk and rewrites its
//! projection rows in one transaction, committed with `synchronous = FULL` before the call
//! returns: a write that returned `Ok` survives the phone dying a moment later. Lists and
//! searches read projections through reader connections and never wait for a write.
//!
//! The same store runs on a device and on the server ([`StoreKind`]). On the server each write
//! also appends its automerge changes to the change log ([`change_log`]) in the same
//! transaction; on a device the outbox ([`outbox`]) tracks what the server has acknowledged.

pub mod change_log;
pub mod coverage;
pub mod crypt;
mod documents;
mod download_left;
pub mod finding_marks;
mod findings_query;
mod forget;
pub mod heal;
pub mod household_pages;
pub mod inspection;
pub mod ledger_rows;
pub mod log_identity;
pub mod merge;
pub mod migrations;
pub mod notify;
pub mod order_pages;
pub mod outbox;
mod photo_cleanup;
pub mod photo_grants;
pub mod photos;
mod projection;
pub use projection::PROJECTION_TABLES;
pub mod queries;
pub mod reference;
pub mod report_pages;
pub mod visit_days;
pub mod visit_pages;
pub mod wipe;
pub mod workload;

pub use crypt::StoreKey;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use automerge::ActorId;
use automerge::transaction::CommitOptions;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::error::{Error, Result};
use crate::ids::{RecordId, ResidentId, VisitId};
use crate::records::household::{
    self, HouseUse, Household, HouseholdWriter, NewHousehold, NewResident, NewVisit, ResidentPatch,
    SpecialGroup, WriteError,
};
use crate::records::layout::KeyPolicy;
use crate::records::view::RecordView;
use crate::records::{RecordError, RecordKind};
use crate::rules::household::{
    Validation, check_new_household, normalise_patch, normalise_resident,
};
use crate::rules::permissions::Actor;
use crate::time::Timestamp;
use documents::StoredDoc;

/// Why an edit passed to [`Store::edit_record`] stopped: the document is not what it expected
/// or automerge failed ([`WriteError`]), or the rules refused the event it was about to append.
#[derive(Debug)]
pub(crate) enum EditError {
    /// Writing the document failed.
    Write(WriteError),
    /// The rules refused.
    Refused(crate::rules::Refusal),
}

impl From<WriteError> for EditError {
    fn from(e: WriteError) -> Self {
        EditError::Write(e)
    }
}

impl From<crate::rules::Refusal> for EditError {
    fn from(r: crate::rules::Refusal) -> Self {
        EditError::Refused(r)
    }
}

impl From<automerge::AutomergeError> for EditError {
    fn from(e: automerge::AutomergeError) -> Self {
        EditError::Write(WriteError::Automerge(e))
    }
}
pub use merge::{ChangeBundle, StoreHeads};
pub use notify::{ChangeEvent, ChangeListener, Origin, Subscription};

/// What a ledger import changes in one existing household ([`Store::update_household_from_ledger`]).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LedgerUpdate {
    /// The new house use, when it changed.
    pub house_use: Option<HouseUse>,
    /// Residents whose profile changed: the patch, and special groups to add and to remove.
    pub changed: Vec<(ResidentId, ResidentPatch, Option<TagChange>)>,
    /// Residents to add.
    pub added: Vec<NewResident>,
    /// Residents who moved out (to another household of the ledger).
    pub moved_out: Vec<ResidentId>,
}

/// Special groups to add and to remove.
pub type TagChange = (Vec<SpecialGroup>, Vec<SpecialGroup>);

/// What applying received records did.
#[derive(Debug, Default)]
pub struct Applied {
    /// Records that changed.
    pub changed: Vec<RecordId>,
    /// Records not applied because they break the limits, with the reason.
    pub set_aside: Vec<(RecordId, crate::records::RecordError)>,
}

/// Households written per transaction by a bulk import or a merge, so the write lock is never
/// held for long and the app stays usable while a large batch goes in.
const BATCH: usize = 250;

/// Where a store runs, which decides what its writes also record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    /// A phone: one signed-in user's records and an outbox of what the server has not confirmed.
    Device,
    /// The sync server: every record of a district, and the change log devices pull from.
    Server,
}

/// How to open a store.
#[derive(Debug, Clone, Copy)]
pub struct StoreOptions {
    /// Device or server.
    pub kind: StoreKind,
    /// Read-only connections for lists and pulls: one on a phone, a few on the server.
    pub readers: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            kind: StoreKind::Device,
            readers: 1,
        }
    }
}

/// The store of one signed-in user on one device, or of the server.
pub struct Store {
    path: PathBuf,
    kind: StoreKind,
    // Declared before the writer so they close first: the writer, closing last, checkpoints the
    // WAL into the main file, which a read-only connection cannot do.
    readers: Vec<Mutex<Connection>>,
    next_reader: std::sync::atomic::AtomicUsize,
    writer: Mutex<Writer>,
    listeners: notify::Listeners,
    /// The photo files' key, on a store opened with a key ([`crypt`]); photos are plain without.
    photo_key: Option<crypt::PhotoKey>,
    /// The key the file is encrypted with now (reader connections are reopened with it).
    key: Mutex<Option<StoreKey>>,
}

pub(crate) struct Writer {
    pub(crate) conn: Connection,
    pub(crate) actor: ActorId,
}

fn open_connection(path: &Path, read_only: bool, key: Option<&StoreKey>) -> Result<Connection> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let mut conn =
        Connection::open_with_flags(path, flags).map_err(Error::storage("opening the store"))?;
    // Keyed and checked before anything else touches the file: a wrong key fails here, having
    // written nothing.
    crypt::key_connection(&conn, key)?;
    // FULL: a commit is on disk (WAL synced) before it returns; NORMAL could lose the last
    // writes when the phone loses power.
    conn.execute_batch(
        "PRAGMA busy_timeout = 5000;
         PRAGMA foreign_keys = ON;
         PRAGMA synchronous = FULL;",
    )
    .map_err(Error::storage("configuring the store"))?;
    conn.set_prepared_statement_cache_capacity(64);
    // Every write transaction takes the file's write lock when it begins, so a document read
    // inside it is the latest one even with another handle or process writing the file (an
    // admin command beside the server; a second handle an app opened by mistake). Deferred,
    // the read would see an older snapshot and the write fail, or worse, follow a stale copy.
    if !read_only {
        conn.set_transaction_behavior(rusqlite::TransactionBehavior::Immediate);
    }
    Ok(conn)
}

impl Store {
    /// Opens (creating if needed) a device store at `path`, upgrading its schema.
    pub fn open(path: impl AsRef<Path>) -> Result<Store> {
        Self::open_with(path, StoreOptions::default())
    }

    /// Opens (creating if needed) a device store at `path` encrypted with `key` ([`crypt`]):
    /// a plain store there is encrypted first, its photos too, keeping everything. A key that
    /// does not open the store is [`Error::WrongStoreKey`], and the store is left untouched.
    pub fn open_encrypted(path: impl AsRef<Path>, key: &StoreKey) -> Result<Store> {
        Self::open_keyed(path, StoreOptions::default(), Some(key))
    }

    /// Opens (creating if needed) the store at `path` with `options`, unencrypted (the
    /// server's store; an encrypted file is [`Error::WrongStoreKey`]).
    pub fn open_with(path: impl AsRef<Path>, options: StoreOptions) -> Result<Store> {
        Self::open_keyed(path, options, None)
    }

    /// Opens the store at `path` with `options`, encrypted with `key` when one is given.
    pub fn open_keyed(
        path: impl AsRef<Path>,
        options: StoreOptions,
        key: Option<&StoreKey>,
    ) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        if let Some(key) = key {
            crypt::encrypt_plain_store(&path, key)?;
        }
        let mut conn = open_connection(&path, false, key)?;
        let mode: String = conn
            .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
            .map_err(Error::storage("switching the store to WAL"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(mode, "store is not in WAL mode");
        }
        let upgrade = migrations::migrate_to(&mut conn, migrations::latest_version())?;
        let actor = load_or_make_actor(&conn)?;
        let photo_key = key
            .map(|_| crypt::PhotoKey::load_or_make(&conn))
            .transpose()?;
        let readers = (0..options.readers.max(1))
            .map(|_| open_connection(&path, true, key).map(Mutex::new))
            .collect::<Result<Vec<_>>>()?;
        let store = Store {
            path,
            kind: options.kind,
            readers,
            next_reader: Default::default(),
            writer: Mutex::new(Writer { conn, actor }),
            listeners: notify::Listeners::default(),
            photo_key,
            key: Mutex::new(key.cloned()),
        };
        // Photo files written before the store had a key (or a pass cut short) are encrypted.
        if store.photo_key.is_some() {
            store.encrypt_plain_photos()?;
        }
        // `reproject` comes from the database (see `migrations::NEEDS_REPROJECT`), so a rebuild
        // cut short by the app dying is done again on this open.
        if upgrade.reproject {
            tracing::info!(
                from = upgrade.from,
                to = upgrade.to,
                "rebuilding projections"
            );
            store.reproject_all()?;
        }
        // Photos whose records left while the app was closed, or a clean-up cut short.
        if let Err(e) = store.clean_up_photos() {
            tracing::warn!(error = %e, "cleaning up photos at open failed; tried again later");
        }
        Ok(store)
    }

    /// The file this store lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether this store is encrypted (opened with a key).
    pub fn is_encrypted(&self) -> bool {
        self.photo_key.is_some()
    }

    /// Re-encrypts this encrypted store with `new` (key rotation), waiting for writes and
    /// reads in progress. Photo files keep their key, which lives inside the store. On success
    /// the app keeps `new` in place of the old key; on failure the old key still opens it.
    pub fn rekey(&self, new: &StoreKey) -> Result<()> {
        if !self.is_encrypted() {
            return Err(Error::Storage {
                context: "changing the store key",
                reason: "the store is not encrypted; open it with a key first".into(),
            });
        }
        let writer = self.writer();
        // Every reader closed: SQLCipher rekeys in a rollback journal, which needs the writer
        // alone on the file, and a reader keyed with the old key could not read on after it.
        let mut readers: Vec<MutexGuard<'_, Connection>> = self
            .readers
            .iter()
            .map(|r| r.lock().unwrap_or_else(|p| p.into_inner()))
            .collect();
        for r in readers.iter_mut() {
            let placeholder =
                Connection::open_in_memory().map_err(Error::storage("changing the store key"))?;
            drop(std::mem::replace(&mut **r, placeholder));
        }
        let mut key = self.key.lock().unwrap_or_else(|p| p.into_inner());
        let result = crypt::rekey(&writer.conn, new);
        if result.is_ok() {
            *key = Some(new.clone());
        }
        // Readers come back with whichever key now opens the file.
        for r in readers.iter_mut() {
            **r = open_connection(&self.path, true, key.as_ref())?;
        }
        result
    }

    /// The durability settings of every connection, writer first: (`writer`/`reader`, journal
    /// mode, `synchronous` level: 2 is FULL). What "acknowledged means durable" rests on, read
    /// back from SQLite rather than assumed from the code that set it.
    pub fn connection_settings(&self) -> Result<Vec<(&'static str, String, i64)>> {
        let read = |conn: &Connection| -> rusqlite::Result<(String, i64)> {
            Ok((
                conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?,
                conn.pragma_query_value(None, "synchronous", |r| r.get(0))?,
            ))
        };
        let err = Error::storage("reading the connection settings");
        let (mode, sync) = read(&self.writer().conn).map_err(err)?;
        let mut out = vec![("writer", mode, sync)];
        for r in &self.readers {
            let guard = r.lock().unwrap_or_else(|p| p.into_inner());
            let (mode, sync) =
                read(&guard).map_err(Error::storage("reading the connection settings"))?;
            out.push(("reader", mode, sync));
        }
        Ok(out)
    }

    /// Subscribes to committed changes; see [`notify`].
    pub fn subscribe(&self, listener: Arc<dyn ChangeListener>) -> Subscription {
        self.listeners.subscribe(listener)
    }

    pub(crate) fn writer(&self) -> MutexGuard<'_, Writer> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A reader connection: a free one if there is one, else the next in turn.
    pub(crate) fn reader(&self) -> MutexGuard<'_, Connection> {
        for r in &self.readers {
            if let Ok(guard) = r.try_lock() {
                return guard;
            }
        }
        let i = self
            .next_reader
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            % self.readers.len();
        self.readers[i].lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether this is a device's or the server's store.
    pub fn kind(&self) -> StoreKind {
        self.kind
    }

    /// Writes a changed document and everything that follows from it inside `tx`: the new
    /// chunk, the projections and, on the server, the change log. Returns whether it changed.
    pub(crate) fn persist(
        &self,
        tx: &Connection,
        d: &mut StoredDoc,
        before: Option<&RecordView>,
        after: &RecordView,
        device: &str,
        now: Timestamp,
    ) -> Result<bool> {
        let logged = (self.kind == StoreKind::Server).then(|| d.doc.get_changes(&d.saved_heads));
        if !documents::save(tx, after.id(), d, now)? {
            return Ok(false);
        }
        projection::project(tx, after)?;
        if let Some(changes) = logged {
            change_log::append(tx, before, after, &changes, device)?;
        }
        Ok(true)
    }

    // -----------------------------------------------------------------------------------------
    // Households

    /// Creates a household with its first residents. Returns its new id.
    pub fn create_household(
        &self,
        actor: &Actor,
        new: &NewHousehold,
        now: Timestamp,
    ) -> Result<RecordId> {
        let mut ids =
            self.import_households(actor, std::slice::from_ref(new), Validation::Strict, now)?;
        Ok(ids.remove(0))
    }

    /// Creates many households at once (a ledger import, a demo community), in batches that
    /// each commit on their own. `Validation::Ledger` keeps invalid ID numbers, flagged.
    pub fn import_households(
        &self,
        actor: &Actor,
        households: &[NewHousehold],
        validation: Validation,
        now: Timestamp,
    ) -> Result<Vec<RecordId>> {
        let mut prepared = Vec::with_capacity(households.len());
        for new in households {
            let new = crate::rules::household::normalise_new_household(new);
            check_new_household(actor.role, &new)?;
            let residents = new
                .residents
                .iter()
                .map(|r| Ok((ResidentId::generate(), normalise_resident(r, validation)?)))
                .collect::<Result<Vec<_>>>()?;
            prepared.push((RecordId::generate(), new, residents));
        }
        let mut ids = Vec::with_capacity(prepared.len());
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        for batch in prepared.chunks(BATCH) {
            let mut changed = Vec::with_capacity(batch.len());
            {
                let mut guard = self.writer();
                let w = &mut *guard;
                // The documents are written, read back and judged on every core (automerge
                // work, most of an import's time); the database writes follow one by one.
                let server = self.kind == StoreKind::Server;
                let built =
                    build_households(batch, &w.actor, actor, validation, now, server, workers)?;
                let tx = w
                    .conn
                    .transaction()
                    .map_err(Error::storage("starting a write"))?;
                for (id, mut d, after, changes) in built {
                    reference::Places(&tx).check(None, &after)?;
                    if documents::save(&tx, after.id(), &mut d, now)? {
                        projection::project(&tx, &after)?;
                        if let Some(changes) = changes {
                            change_log::append(&tx, None, &after, &changes, "")?;
                        }
                    }
                    changed.push((id.clone(), RecordKind::Household));
                    ids.push(id);
                }
                tx.commit().map_err(Error::storage("committing a write"))?;
            }
            self.listeners.notify(ChangeEvent {
                records: changed,
                origin: Origin::Local,
            });
        }
        Ok(ids)
    }

    /// A ledger import's changes to one existing household, in one write: its house use,
    /// residents changed (profile and special groups), added and moved out. Values are judged
    /// as a ledger's are (`Validation::Ledger`: an invalid ID number is kept and becomes a
    /// finding); the import has normalised them already.
    pub fn update_household_from_ledger(
        &self,
        actor: &Actor,
        id: &RecordId,
        update: &LedgerUpdate,
        now: Timestamp,
    ) -> Result<()> {
        let added = update
            .added
            .iter()
            .map(|r| {
                Ok((
                    ResidentId::generate(),
                    normalise_resident(r, Validation::Ledger)?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        self.edit_record_with(
            actor,
            id,
            RecordKind::Household,
            now,
            Validation::Ledger,
            |doc, _| {
                let mut w = HouseholdWriter::new(doc, id);
                if let Some(house_use) = &update.house_use {
                    w.set_house_use(house_use)?;
                }
                for (rid, patch, tags) in &update.changed {
                    w.patch_resident(rid, patch)?;
                    if let Some((on, off)) = tags {
                        for t in on {
                            w.set_tag(rid, t, true)?;
                        }
                        for t in off {
                            w.set_tag(rid, t, false)?;
                        }
                    }
                }
                for (rid, r) in &added {
                    w.add_resident(rid, r)?;
                }
                for rid in &update.moved_out {
                    w.set_moved_out(rid, true, now)?;
                }
                Ok(())
            },
        )
    }

    /// Changes the house use.
    pub fn set_house_use(
        &self,
        actor: &Actor,
        id: &RecordId,
        value: &HouseUse,
        now: Timestamp,
    ) -> Result<()> {
        self.edit_household(actor, id, now, |w| w.set_house_use(value))
    }

    /// Replaces the notes.
    pub fn set_notes(
        &self,
        actor: &Actor,
        id: &RecordId,
        notes: &str,
        now: Timestamp,
    ) -> Result<()> {
        let notes = crate::rules::text::clean(notes);
        self.edit_household(actor, id, now, |w| w.set_notes(&notes))
    }

    /// Moves the household to another address (supervisors only).
    pub fn set_address(
        &self,
        actor: &Actor,
        id: &RecordId,
        address: &household::Address,
        now: Timestamp,
    ) -> Result<()> {
        let address = crate::rules::household::normalise_address(address);
        self.edit_household(actor, id, now, |w| w.set_address(&address))
    }

    /// Adds a resident (a newborn, a new tenant). Returns the resident's id.
    pub fn add_resident(
        &self,
        actor: &Actor,
        id: &RecordId,
        resident: &NewResident,
        now: Timestamp,
    ) -> Result<ResidentId> {
        let resident = normalise_resident(resident, Validation::Strict)?;
        let rid = ResidentId::generate();
        self.edit_household(actor, id, now, |w| w.add_resident(&rid, &resident))?;
        Ok(rid)
    }

    /// Changes a resident's profile.
    pub fn update_resident(
        &self,
        actor: &Actor,
        id: &RecordId,
        resident: &ResidentId,
        patch: &ResidentPatch,
        now: Timestamp,
    ) -> Result<()> {
        let patch = normalise_patch(patch)?;
        self.edit_household(actor, id, now, |w| w.patch_resident(resident, &patch))
    }

    /// Marks a resident as moved out; they stay in the record's history.
    pub fn move_out_resident(
        &self,
        actor: &Actor,
        id: &RecordId,
        resident: &ResidentId,
        now: Timestamp,
    ) -> Result<()> {
        self.edit_household(actor, id, now, |w| w.set_moved_out(resident, true, now))
    }

    /// Adds or removes a special-group tag on a resident.
    pub fn tag_resident(
        &self,
        actor: &Actor,
        id: &RecordId,
        resident: &ResidentId,
        tag: &SpecialGroup,
        on: bool,
        now: Timestamp,
    ) -> Result<()> {
        self.edit_household(actor, id, now, |w| w.set_tag(resident, tag, on))
    }

    /// Records a visit by the actor. Returns the visit's id.
    pub fn record_visit(
        &self,
        actor: &Actor,
        id: &RecordId,
        visit: &NewVisit,
        now: Timestamp,
    ) -> Result<VisitId> {
        let vid = VisitId::generate();
        let visit = NewVisit {
            notes: crate::rules::text::clean(&visit.notes),
            ..visit.clone()
        };
        self.edit_household(actor, id, now, |w| {
            w.append_visit(&vid, &actor.user_id, &visit)
        })?;
        Ok(vid)
    }

    /// Ends a conflict between offline edits by writing the value a person picked.
    pub fn resolve_conflict(
        &self,
        actor: &Actor,
        id: &RecordId,
        field: &str,
        value: &str,
        now: Timestamp,
    ) -> Result<()> {
        let value = crate::rules::household::canonical_field_value(field, value);
        self.edit_household(actor, id, now, |w| w.put_field(field, &value))
    }

    /// Applies `edit` to the household through a [`HouseholdWriter`]; see [`Store::edit_record`].
    fn edit_household<T>(
        &self,
        actor: &Actor,
        id: &RecordId,
        now: Timestamp,
        edit: impl FnOnce(&mut HouseholdWriter<'_>) -> Result<T, WriteError>,
    ) -> Result<T> {
        self.edit_record(actor, id, RecordKind::Household, now, |doc, _| {
            Ok(edit(&mut HouseholdWriter::new(doc, id))?)
        })
    }

    /// Loads a record of `kind`, applies `edit` (which sees the record before the edit), checks
    /// the result against the rules of its kind, and commits document, projections and (on the
    /// server) change log together. A refused edit writes nothing.
    pub(crate) fn edit_record<T>(
        &self,
        actor: &Actor,
        id: &RecordId,
        kind: RecordKind,
        now: Timestamp,
        edit: impl FnOnce(&mut automerge::AutoCommit, &RecordView) -> Result<T, EditError>,
    ) -> Result<T> {
        self.edit_record_with(actor, id, kind, now, Validation::Strict, edit)
    }

    /// [`Store::edit_record`] judging new values with `validation`.
    fn edit_record_with<T>(
        &self,
        actor: &Actor,
        id: &RecordId,
        kind: RecordKind,
        now: Timestamp,
        validation: Validation,
        edit: impl FnOnce(&mut automerge::AutoCommit, &RecordView) -> Result<T, EditError>,
    ) -> Result<T> {
        let out = {
            let mut guard = self.writer();
            let w = &mut *guard;
            // The transaction first (IMMEDIATE: the file's write lock), then the document: read
            // under the lock, a record another handle or process just wrote is seen, and the
            // change made here follows it instead of reusing its sequence number.
            let tx = w
                .conn
                .transaction()
                .map_err(Error::storage("starting a write"))?;
            let mut d = documents::load(&tx, id, &w.actor)?
                .filter(|d| d.kind == kind.as_str())
                .ok_or_else(|| not_found_kind(kind, id))?;
            let before = RecordView::read(kind, &d.doc, id)?;
            let out = match edit(&mut d.doc, &before) {
                Ok(out) => out,
                Err(EditError::Write(WriteError::Record(r))) => {
                    return Err(crate::rules::Refusal::from(r).into());
                }
                Err(EditError::Write(WriteError::Automerge(e))) => return Err(am_error(id)(e)),
                Err(EditError::Refused(r)) => return Err(r.into()),
            };
            let after = RecordView::read(kind, &d.doc, id)?;
            crate::rules::check_change(actor, Some(&before), &after, validation)?;
            crate::rules::clock::check_new_events_not_ahead(Some(&before), &after, now)?;
            reference::Places(&tx).check(Some(&before), &after)?;
            d.doc.commit_with(commit_options(now));
            self.persist(&tx, &mut d, Some(&before), &after, "", now)?;
            tx.commit().map_err(Error::storage("committing a write"))?;
            out
        };
        self.listeners.notify(ChangeEvent {
            records: vec![(id.clone(), kind)],
            origin: Origin::Local,
        });
        Ok(out)
    }

    /// Creates a record of `kind`: `write` lays out the new document, the rules check it, and
    /// it is committed like any edit.
    pub(crate) fn create_record(
        &self,
        actor: &Actor,
        kind: RecordKind,
        now: Timestamp,
        write: impl FnOnce(&mut automerge::AutoCommit) -> Result<(), automerge::AutomergeError>,
    ) -> Result<RecordId> {
        let id = RecordId::generate();
        {
            let mut guard = self.writer();
            let w = &mut *guard;
            let mut d = StoredDoc::new(kind.as_str(), &w.actor);
            write(&mut d.doc).map_err(am_error(&id))?;
            let after = RecordView::read(kind, &d.doc, &id)?;
            crate::rules::check_change(actor, None, &after, Validation::Strict)?;
            crate::rules::clock::check_new_events_not_ahead(None, &after, now)?;
            reference::Places(&w.conn).check(None, &after)?;
            d.doc.commit_with(commit_options(now));
            let tx = w
                .conn
                .transaction()
                .map_err(Error::storage("starting a write"))?;
            self.persist(&tx, &mut d, None, &after, "", now)?;
            tx.commit().map_err(Error::storage("committing a write"))?;
        }
        self.listeners.notify(ChangeEvent {
            records: vec![(id.clone(), kind)],
            origin: Origin::Local,
        });
        Ok(id)
    }

    /// A record of any kind, read from its document.
    pub fn record(&self, id: &RecordId) -> Result<RecordView> {
        let conn = self.reader();
        let d = documents::load(&conn, id, &ActorId::random())?.ok_or_else(|| not_found(id))?;
        let kind = RecordKind::parse(&d.kind).ok_or_else(|| Error::CorruptDocument {
            id: id.to_string(),
            reason: format!("unknown kind {:?}", d.kind),
        })?;
        Ok(RecordView::read(kind, &d.doc, id)?)
    }

    /// The household's full detail, read from its document.
    pub fn household(&self, id: &RecordId) -> Result<Household> {
        let conn = self.reader();
        let actor = ActorId::random();
        let d = documents::load(&conn, id, &actor)?.ok_or_else(|| not_found(id))?;
        Ok(household::read(&d.doc, id)?)
    }

    // -----------------------------------------------------------------------------------------
    // Merging

    /// What this store has: the heads of every record.
    pub fn heads(&self) -> Result<StoreHeads> {
        let conn = self.reader();
        let mut st = conn
            .prepare_cached("SELECT id, heads FROM document")
            .map_err(Error::storage("reading heads"))?;
        let rows = st
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?))
            })
            .map_err(Error::storage("reading heads"))?;
        let mut out = StoreHeads::default();
        for row in rows {
            let (id, heads) = row.map_err(Error::storage("reading heads"))?;
            let heads = documents::decode_heads(&heads)
                .into_iter()
                .map(Into::into)
                .collect();
            out.records.insert(RecordId::from_string(id), heads);
        }
        Ok(out)
    }

    /// The changes this store has that a store with `theirs` lacks.
    pub fn export_changes(&self, theirs: &StoreHeads) -> Result<ChangeBundle> {
        let conn = self.reader();
        let ours: Vec<(String, String, Vec<u8>)> = {
            let mut st = conn
                .prepare_cached("SELECT id, kind, heads FROM document ORDER BY id")
                .map_err(Error::storage("exporting changes"))?;
            st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .and_then(|rows| rows.collect::<rusqlite::Result<_>>())
                .map_err(Error::storage("exporting changes"))?
        };
        let actor = ActorId::random();
        let mut bundle = ChangeBundle {
            version: merge::BUNDLE_VERSION,
            records: Vec::new(),
        };
        for (id, kind, heads) in ours {
            let id = RecordId::from_string(id);
            let their_heads: Option<Vec<automerge::ChangeHash>> = theirs
                .records
                .get(&id)
                .map(|h| h.iter().copied().map(Into::into).collect());
            if let Some(their) = &their_heads
                && documents::encode_heads(their) == heads
            {
                continue;
            }
            let Some(mut d) = documents::load(&conn, &id, &actor)? else {
                continue;
            };
            let data = match their_heads {
                None => merge::RecordData::Document(d.doc.save()),
                Some(their) => {
                    // Heads they have that we have never seen say nothing about what they lack.
                    let unknown = d.doc.get_missing_deps(&their);
                    let known: Vec<_> =
                        their.into_iter().filter(|h| !unknown.contains(h)).collect();
                    let changes = d.doc.get_changes(&known);
                    merge::RecordData::Changes(
                        changes
                            .iter()
                            .map(|c| serde_bytes::ByteBuf::from(c.raw_bytes()))
                            .collect(),
                    )
                }
            };
            if !data.is_empty() {
                bundle.records.push(merge::RecordChanges { id, kind, data });
            }
        }
        Ok(bundle)
    }

    /// Applies changes from another store. Returns the records that changed. Applying the same
    /// bundle twice changes nothing the second time. A record that breaks the limits is set
    /// aside (logged, not applied) and the rest apply.
    pub fn apply_changes(&self, bundle: &ChangeBundle, now: Timestamp) -> Result<Vec<RecordId>> {
        Ok(self.apply_records(&bundle.records, false, now)?.changed)
    }

    /// Applies records in batches; `from_server` also marks what the server has as acknowledged.
    pub(crate) fn apply_records(
        &self,
        records: &[merge::RecordChanges],
        from_server: bool,
        now: Timestamp,
    ) -> Result<Applied> {
        let mut applied = Applied::default();
        for batch in records.chunks(BATCH) {
            let mut changed = Vec::new();
            {
                let mut guard = self.writer();
                let w = &mut *guard;
                let tx = w
                    .conn
                    .transaction()
                    .map_err(Error::storage("starting a merge"))?;
                for rc in batch {
                    match self.apply_record(&tx, &w.actor, rc, from_server, now)? {
                        Ok(Some(kind)) => changed.push((rc.id.clone(), kind)),
                        Ok(None) => {}
                        Err(reason) => {
                            tracing::warn!(record = %rc.id, %reason, "set aside a received record");
                            applied.set_aside.push((rc.id.clone(), reason));
                        }
                    }
                }
                tx.commit().map_err(Error::storage("committing a merge"))?;
            }
            applied
                .changed
                .extend(changed.iter().map(|(id, _)| id.clone()));
            self.listeners.notify(ChangeEvent {
                records: changed,
                origin: Origin::Merged,
            });
        }
        Ok(applied)
    }

    /// Applies one record's changes inside the caller's transaction; returns its kind if it
    /// changed, or why it was set aside: data over the limits ([`merge::RecordData::check_limits`],
    /// judged before it is loaded) or a record that would be (keys a newer app wrote are kept).
    fn apply_record(
        &self,
        tx: &Connection,
        actor: &ActorId,
        rc: &merge::RecordChanges,
        from_server: bool,
        now: Timestamp,
    ) -> Result<std::result::Result<Option<RecordKind>, RecordError>> {
        let kind = RecordKind::parse(&rc.kind).ok_or_else(|| Error::InvalidChanges {
            reason: format!("record {} is of unknown kind {:?}", rc.id, rc.kind),
        })?;
        match rc.data.check_limits() {
            Ok(_) => {}
            Err(merge::LimitProblem::Limit(e)) => return Ok(Err(e)),
            Err(merge::LimitProblem::Malformed(reason)) => {
                return Err(Error::InvalidChanges {
                    reason: format!("record {}: {reason}", rc.id),
                });
            }
        }
        let mut d = match documents::load(tx, &rc.id, actor)? {
            Some(d) => d,
            None => StoredDoc::new(kind.as_str(), actor),
        };
        let before = if d.saved_heads.is_empty() {
            None
        } else {
            Some(RecordView::read(kind, &d.doc, &rc.id)?)
        };
        let heads_before =
            (!d.saved_heads.is_empty()).then(|| documents::encode_heads(&d.saved_heads));
        rc.data
            .apply_to(&mut d.doc)
            .map_err(|e| Error::InvalidChanges {
                reason: format!("record {}: {e}", rc.id),
            })?;
        if let Err(e) = merge::check_merged(&d.doc, kind, KeyPolicy::Keep) {
            return Ok(Err(e));
        }
        // Changes whose dependencies have not arrived wait inside automerge and are not saved;
        // the next exchange brings them again with what they depend on.
        let after = RecordView::read(kind, &d.doc, &rc.id)?;
        let changed = self.persist(tx, &mut d, before.as_ref(), &after, "", now)?;
        if from_server {
            if changed {
                outbox::acknowledge_pulled(tx, &rc.id, heads_before.as_deref())?;
            }
            // Even when it changed nothing here: a whole document says what the server holds,
            // which a device healing from a restored server needs to know (`heal`).
            if let merge::RecordData::Document(bytes) = &rc.data {
                heal::acknowledge_whole(tx, &rc.id, bytes)?;
            }
        }
        Ok(Ok(changed.then_some(kind)))
    }

    /// Rebuilds every projection row from the documents (after a migration that changed them).
    ///
    /// One transaction: the lists are emptied, rebuilt, and the "needs rebuilding" fact cleared
    /// together, so a crash leaves either the old lists with the fact still set (rebuilt on the
    /// next open) or the new lists without it.
    fn reproject_all(&self) -> Result<()> {
        let mut w = self.writer();
        let w = &mut *w;
        let tx = w
            .conn
            .transaction()
            .map_err(Error::storage("rebuilding lists"))?;
        // Emptied first so rows of an older shape (or left by an older app's bugs) do not
        // outlive the rebuild. Residents and findings go with their household.
        for table in PROJECTION_TABLES {
            tx.execute(&format!("DELETE FROM {table}"), [])
                .map_err(Error::storage("rebuilding lists"))?;
        }
        let ids: Vec<String> = tx
            .prepare("SELECT id FROM document")
            .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
            .map_err(Error::storage("rebuilding lists"))?;
        for id in ids {
            let id = RecordId::from_string(id);
            if let Some(d) = documents::load(&tx, &id, &w.actor)?
                && let Some(kind) = RecordKind::parse(&d.kind)
            {
                projection::project(&tx, &RecordView::read(kind, &d.doc, &id)?)?;
            }
        }
        migrations::clear_needs_reproject(&tx)?;
        tx.commit().map_err(Error::storage("rebuilding lists"))?;
        tracing::info!("rebuilt projections after a schema upgrade");
        Ok(())
    }

    // -----------------------------------------------------------------------------------------
    // Device

    /// This store's device id, made when the store was created; the server binds tokens to it.
    pub fn device_id(&self) -> Result<String> {
        let bytes: Vec<u8> = self
            .reader()
            .query_row("SELECT value FROM meta WHERE key = 'actor'", [], |r| {
                r.get(0)
            })
            .map_err(Error::storage("reading the device id"))?;
        Ok(ActorId::from(bytes).to_hex_string())
    }
}

pub(crate) fn commit_options(now: Timestamp) -> CommitOptions {
    CommitOptions::default().with_time(now.0 / 1000)
}

pub(crate) fn not_found_kind(kind: RecordKind, id: &RecordId) -> Error {
    Error::NotFound {
        kind: kind.as_str(),
        id: id.to_string(),
    }
}

pub(crate) fn not_found(id: &RecordId) -> Error {
    Error::NotFound {
        kind: "household",
        id: id.to_string(),
    }
}

fn am_error(id: &RecordId) -> impl FnOnce(automerge::AutomergeError) -> Error + '_ {
    move |e| Error::CorruptDocument {
        id: id.to_string(),
        reason: e.to_string(),
    }
}

/// This store's automerge actor: made once, kept in `meta`, so every change this device makes
/// carries the same actor and sequence numbers stay compact.
fn load_or_make_actor(conn: &Connection) -> Result<ActorId> {
    let existing: Option<Vec<u8>> = conn
        .query_row("SELECT value FROM meta WHERE key = 'actor'", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(Error::storage("reading the device's actor id"))?;
    if let Some(bytes) = existing {
        return Ok(ActorId::from(bytes));
    }
    let actor = ActorId::random();
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('actor', ?1)",
        [actor.to_bytes()],
    )
    .map_err(Error::storage("saving the device's actor id"))?;
    Ok(actor)
}

/// A new household normalised for [`Store::import_households`], with its ids.
type PreparedHousehold = (RecordId, NewHousehold, Vec<(ResidentId, NewResident)>);

/// A household document built for [`Store::import_households`]: its id, the document, its view,
/// and (on a server) the changes for the change log.
type BuiltHousehold = (
    RecordId,
    StoredDoc,
    RecordView,
    Option<Vec<automerge::Change>>,
);

/// Writes, reads back and judges new households' documents, split over `workers` threads,
/// in order; on a `server`, with the changes for its change log. Nothing touches the database.
fn build_households(
    batch: &[PreparedHousehold],
    doc_actor: &automerge::ActorId,
    actor: &Actor,
    validation: Validation,
    now: Timestamp,
    server: bool,
    workers: usize,
) -> Result<Vec<BuiltHousehold>> {
    let build =
        |(id, new, residents): &PreparedHousehold, server: bool| -> Result<BuiltHousehold> {
            let mut d = StoredDoc::new(RecordKind::Household.as_str(), doc_actor);
            household::write_new(&mut d.doc, new, residents, &actor.user_id, now)
                .map_err(am_error(id))?;
            let after = RecordView::Household(household::read(&d.doc, id)?);
            crate::rules::check_change(actor, None, &after, validation)?;
            crate::rules::clock::check_new_events_not_ahead(None, &after, now)?;
            d.doc.commit_with(commit_options(now));
            let changes = server.then(|| d.doc.get_changes(&d.saved_heads));
            Ok((id.clone(), d, after, changes))
        };
    let per = batch.len().div_ceil(workers.max(1)).max(1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = batch
            .chunks(per)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|h| build(h, server))
                        .collect::<Result<Vec<_>>>()
                })
            })
            .collect();
        let mut out = Vec::with_capacity(batch.len());
        for h in handles {
            out.extend(h.join().expect("a household builder panicked")?);
        }
        Ok(out)
    })
}
