//! The device store for the apps: a thin object over `gridwalk_core::Store`.

use std::sync::Arc;

use gridwalk_core::records::household as h;
use gridwalk_core::store::photos::{PhotoSource, PhotoState};
use gridwalk_core::{RecordId, ResidentId, Timestamp};

use crate::error::Result;
use crate::listeners::{ChangeListener, ForeignChangeListener, ListenerHandle};
use crate::types::{
    Actor, Address, BlockedPhoto, Finding, Household, HouseholdList, HouseholdScope, Location,
    NewHousehold, NewResident, NewVisit, PhotoRef, ReferenceItem, ReferenceKind, ResidentHit,
    ResidentPatch, SyncStatus,
};

/// One signed-in user's store on this device.
#[derive(uniffi::Object)]
pub struct GridwalkStore {
    pub(crate) inner: Arc<gridwalk_core::Store>,
}

#[uniffi::export]
impl GridwalkStore {
    /// Opens (creating) the store at `path`, unencrypted. Apps use [`GridwalkStore::open_encrypted`].
    #[uniffi::constructor]
    pub fn open(path: String) -> Result<Arc<Self>> {
        Ok(Arc::new(GridwalkStore {
            inner: Arc::new(gridwalk_core::Store::open(path)?),
        }))
    }

    /// Opens (creating) the store at `path` encrypted with `key`, the 32 bytes the app keeps in
    /// the Android Keystore or iOS Keychain (android/README.md, ios/README.md). A plain store
    /// there is encrypted, with its photos, keeping everything. A key that does not open it
    /// throws `StoreKey` (`store.wrong_key`) and changes nothing.
    #[uniffi::constructor]
    pub fn open_encrypted(path: String, key: Vec<u8>) -> Result<Arc<Self>> {
        let key = gridwalk_core::store::StoreKey::from_bytes(&key)?;
        Ok(Arc::new(GridwalkStore {
            inner: Arc::new(gridwalk_core::Store::open_encrypted(path, &key)?),
        }))
    }

    /// Re-encrypts the store with `new_key` (32 bytes). Keep the new key only once this returns.
    pub fn rekey(&self, new_key: Vec<u8>) -> Result<()> {
        let key = gridwalk_core::store::StoreKey::from_bytes(&new_key)?;
        Ok(self.inner.rekey(&key)?)
    }

    /// Whether the store is encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.inner.is_encrypted()
    }

    /// Signs the user out of this store. Refuses with `UnsentChanges` while records or photos
    /// have not reached the server, unless `discard_unsent`. With `wipe`, erases the store from
    /// the device (database, WAL, photos; every call on this object fails afterwards; stop the
    /// sync engine first and delete the key from the keystore after); without, the store stays
    /// for the same user's next sign-in.
    pub fn sign_out(&self, wipe: bool, discard_unsent: bool) -> Result<()> {
        use gridwalk_core::store::wipe::UnsentChanges;
        let unsent = if discard_unsent {
            UnsentChanges::Discard
        } else {
            UnsentChanges::Keep
        };
        if wipe {
            // Counted and erased under the store's writer lock: nothing slips in between.
            return Ok(self.inner.wipe(unsent)?);
        }
        let waiting = self.inner.unsent()?;
        if unsent == UnsentChanges::Keep && !waiting.is_empty() {
            return Err(gridwalk_core::Error::UnsentChanges {
                records: waiting.records,
                photos: waiting.photos,
            }
            .into());
        }
        Ok(())
    }

    /// This device's id, for signing in.
    pub fn device_id(&self) -> Result<String> {
        Ok(self.inner.device_id()?)
    }

    /// Creates a household; returns its id.
    pub fn create_household(
        &self,
        actor: Actor,
        household: NewHousehold,
        now_ms: i64,
    ) -> Result<String> {
        Ok(self
            .inner
            .create_household(&actor.into(), &household.into(), Timestamp(now_ms))?
            .to_string())
    }

    /// Adds a resident; returns their id.
    pub fn add_resident(
        &self,
        actor: Actor,
        household_id: String,
        resident: NewResident,
        now_ms: i64,
    ) -> Result<String> {
        Ok(self
            .inner
            .add_resident(
                &actor.into(),
                &RecordId::from(household_id.as_str()),
                &resident.into(),
                Timestamp(now_ms),
            )?
            .to_string())
    }

    /// Records a visit; returns its id.
    pub fn record_visit(
        &self,
        actor: Actor,
        household_id: String,
        visit: NewVisit,
        now_ms: i64,
    ) -> Result<String> {
        Ok(self
            .inner
            .record_visit(
                &actor.into(),
                &RecordId::from(household_id.as_str()),
                &visit.into(),
                Timestamp(now_ms),
            )?
            .to_string())
    }

    /// Sets the household's notes.
    pub fn set_notes(
        &self,
        actor: Actor,
        household_id: String,
        notes: String,
        now_ms: i64,
    ) -> Result<()> {
        Ok(self.inner.set_notes(
            &actor.into(),
            &RecordId::from(household_id.as_str()),
            &notes,
            Timestamp(now_ms),
        )?)
    }

    /// Sets the house use (`owner_occupied`, `rented`, `vacant`, `business`, …).
    pub fn set_house_use(
        &self,
        actor: Actor,
        household_id: String,
        house_use: String,
        now_ms: i64,
    ) -> Result<()> {
        Ok(self.inner.set_house_use(
            &actor.into(),
            &RecordId::from(household_id.as_str()),
            &h::HouseUse::parse(&house_use),
            Timestamp(now_ms),
        )?)
    }

    /// Corrects the household's standard address.
    pub fn set_address(
        &self,
        actor: Actor,
        household_id: String,
        address: Address,
        now_ms: i64,
    ) -> Result<()> {
        Ok(self.inner.set_address(
            &actor.into(),
            &RecordId::from(household_id.as_str()),
            &address.into(),
            Timestamp(now_ms),
        )?)
    }

    /// Changes the fields of a resident that `patch` gives.
    pub fn update_resident(
        &self,
        actor: Actor,
        household_id: String,
        resident_id: String,
        patch: ResidentPatch,
        now_ms: i64,
    ) -> Result<()> {
        Ok(self.inner.update_resident(
            &actor.into(),
            &RecordId::from(household_id.as_str()),
            &ResidentId::from(resident_id.as_str()),
            &patch.into(),
            Timestamp(now_ms),
        )?)
    }

    /// Marks a resident as moved out (kept in the record, shown as moved out).
    pub fn move_out_resident(
        &self,
        actor: Actor,
        household_id: String,
        resident_id: String,
        now_ms: i64,
    ) -> Result<()> {
        Ok(self.inner.move_out_resident(
            &actor.into(),
            &RecordId::from(household_id.as_str()),
            &ResidentId::from(resident_id.as_str()),
            Timestamp(now_ms),
        )?)
    }

    /// Adds (`on`) or removes a special-group tag (`elderly_alone`, `disabled`, …).
    pub fn tag_resident(
        &self,
        actor: Actor,
        household_id: String,
        resident_id: String,
        tag: String,
        on: bool,
        now_ms: i64,
    ) -> Result<()> {
        Ok(self.inner.tag_resident(
            &actor.into(),
            &RecordId::from(household_id.as_str()),
            &ResidentId::from(resident_id.as_str()),
            &h::SpecialGroup::parse(&tag),
            on,
            Timestamp(now_ms),
        )?)
    }

    /// Settles a conflict: `field` (as `Household.conflicts` names it) takes `value`.
    pub fn resolve_conflict(
        &self,
        actor: Actor,
        household_id: String,
        field: String,
        value: String,
        now_ms: i64,
    ) -> Result<()> {
        Ok(self.inner.resolve_conflict(
            &actor.into(),
            &RecordId::from(household_id.as_str()),
            &field,
            &value,
            Timestamp(now_ms),
        )?)
    }

    /// A household's detail.
    pub fn household(&self, household_id: String) -> Result<Household> {
        Ok(self
            .inner
            .household(&RecordId::from(household_id.as_str()))?
            .into())
    }

    /// A page of the households of a grid, compound, building or unit, with the counts of
    /// the whole list.
    pub fn list_households(
        &self,
        scope: HouseholdScope,
        offset: u32,
        limit: u32,
    ) -> Result<HouseholdList> {
        Ok(self
            .inner
            .list_households(&scope.into(), offset, limit)?
            .into())
    }

    /// Reference data of one kind (optionally only under `parent`): the pickers' contents.
    pub fn reference_items(
        &self,
        kind: ReferenceKind,
        parent: Option<String>,
    ) -> Result<Vec<ReferenceItem>> {
        Ok(self
            .inner
            .reference_items(kind.into(), parent.as_deref())?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Residents matching a part of a name, pinyin initials, or the last digits of an ID
    /// number or phone.
    pub fn search_residents(&self, query: String, limit: u32) -> Result<Vec<ResidentHit>> {
        Ok(self
            .inner
            .search_residents(&query, limit)?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// What a worker must check in a grid.
    pub fn needs_checking(&self, grid: String, now_ms: i64) -> Result<Vec<Finding>> {
        Ok(self
            .inner
            .needs_checking(&grid, Timestamp(now_ms))?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Takes a photo in from a file for a record (upright, scaled, without EXIF); the capture
    /// time and place the app knows go into the record, never into the file.
    pub fn import_photo(
        &self,
        owner_id: String,
        path: String,
        taken_at_ms: Option<i64>,
        location: Option<Location>,
    ) -> Result<PhotoRef> {
        Ok(self
            .inner
            .import_photo(
                &RecordId::from(owner_id.as_str()),
                PhotoSource::File(std::path::Path::new(&path)),
                &Default::default(),
                taken_at_ms.map(Timestamp),
                location.map(Into::into),
            )?
            .into())
    }

    /// A photo's JPEG bytes (decrypted), or none when it is not on this device yet. On an
    /// encrypted store this is how an app shows a photo: its file holds ciphertext.
    pub fn photo_bytes(&self, hash: String) -> Result<Option<Vec<u8>>> {
        Ok(self.inner.photo_bytes(&hash)?)
    }

    /// The path of a photo's file on this device, or none when it is not downloaded yet. On
    /// an encrypted store the file is encrypted: show [`GridwalkStore::photo_bytes`] instead.
    pub fn photo_path(&self, hash: String) -> Result<Option<String>> {
        Ok(match self.inner.photo(&hash)? {
            PhotoState::Local(p) => Some(p.display().to_string()),
            PhotoState::NotDownloaded => None,
        })
    }

    /// Photos whose upload has stopped (refused by the server, or their file gone), with why.
    pub fn blocked_photos(&self) -> Result<Vec<BlockedPhoto>> {
        Ok(self
            .inner
            .blocked_photos()?
            .into_iter()
            .map(Into::into)
            .collect())
    }

    /// Asks the next sync to fetch every thumbnail the server did not have before (a pull to
    /// refresh); otherwise they are asked for again with a growing wait.
    pub fn retry_missing_thumbnails(&self) -> Result<()> {
        Ok(self.inner.retry_missing_thumbnails()?)
    }

    /// Pending and refused records and how the last sync went, for the sync screen.
    pub fn sync_status(&self) -> Result<SyncStatus> {
        Ok(self.inner.sync_status()?.into())
    }

    /// Throws away a record's changes the server has not taken (a refused change the worker
    /// gives up on): the record goes back to what the server has, or away if it never had it.
    pub fn discard_unsent_changes(&self, record_id: String) -> Result<()> {
        Ok(self
            .inner
            .discard_unsent_changes(&RecordId::from(record_id.as_str()))?)
    }

    /// Records with changes the server has not confirmed.
    pub fn pending_count(&self) -> Result<u32> {
        Ok(self.inner.pending_count()?)
    }

    /// Calls `listener` after every committed change until the handle is cancelled.
    pub fn subscribe(&self, listener: Arc<dyn ChangeListener>) -> Arc<ListenerHandle> {
        ListenerHandle::new(
            self.inner
                .subscribe(Arc::new(ForeignChangeListener(listener))),
        )
    }
}
