//! Records and enums for what the screens show, each a copy of a core type with `From`
//! conversions. Times are milliseconds since the epoch.

use gridwalk_core::records::household as h;
use gridwalk_core::records::reference as r;
use gridwalk_core::store::queries;

/// A role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Role {
    /// 网格员.
    GridWorker,
    /// 物业督查员.
    Inspector,
    /// Property-company staff.
    CompanyStaff,
    /// Supervisor.
    Supervisor,
    /// Administrator.
    Admin,
}

impl From<gridwalk_core::Role> for Role {
    fn from(r: gridwalk_core::Role) -> Self {
        use gridwalk_core::Role as R;
        match r {
            R::GridWorker => Role::GridWorker,
            R::Inspector => Role::Inspector,
            R::CompanyStaff => Role::CompanyStaff,
            R::Supervisor => Role::Supervisor,
            R::Admin => Role::Admin,
        }
    }
}

impl From<Role> for gridwalk_core::Role {
    fn from(r: Role) -> Self {
        use gridwalk_core::Role as R;
        match r {
            Role::GridWorker => R::GridWorker,
            Role::Inspector => R::Inspector,
            Role::CompanyStaff => R::CompanyStaff,
            Role::Supervisor => R::Supervisor,
            Role::Admin => R::Admin,
        }
    }
}

/// The signed-in person.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Actor {
    /// Login name.
    pub user_id: String,
    /// Role.
    pub role: Role,
    /// Company, for company staff.
    pub company: Option<String>,
}

impl From<Actor> for gridwalk_core::Actor {
    fn from(a: Actor) -> Self {
        gridwalk_core::Actor {
            company: a.company,
            ..gridwalk_core::Actor::new(a.user_id, a.role.into())
        }
    }
}

/// A standard address.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Address {
    /// Community code.
    pub community: String,
    /// Grid code.
    pub grid: String,
    /// Compound code.
    pub compound: String,
    /// Building code.
    pub building: String,
    /// Unit.
    pub unit: String,
    /// Room.
    pub room: String,
}

impl From<Address> for h::Address {
    fn from(a: Address) -> Self {
        h::Address {
            community: a.community,
            grid: a.grid,
            compound: a.compound,
            building: a.building,
            unit: a.unit,
            room: a.room,
        }
    }
}

impl From<h::Address> for Address {
    fn from(a: h::Address) -> Self {
        Address {
            community: a.community,
            grid: a.grid,
            compound: a.compound,
            building: a.building,
            unit: a.unit,
            room: a.room,
        }
    }
}

/// A resident as typed into the form.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NewResident {
    /// Name.
    pub name: String,
    /// ID number as typed.
    pub id_number: Option<String>,
    /// Phone as typed.
    pub phone: Option<String>,
    /// Relation to the head (`head`, `spouse`, `child`, …).
    pub relation: String,
    /// Registration (`local`, `migrant`, `foreign`).
    pub registration: String,
    /// Special-group tags (`elderly_alone`, `disabled`, …).
    pub tags: Vec<String>,
}

impl From<NewResident> for h::NewResident {
    fn from(r: NewResident) -> Self {
        h::NewResident {
            name: r.name,
            id_number: r.id_number,
            phone: r.phone,
            relation: h::Relation::parse(&r.relation),
            registration: h::Registration::parse(&r.registration),
            tags: r.tags.iter().map(|t| h::SpecialGroup::parse(t)).collect(),
        }
    }
}

/// A household as typed into the form.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NewHousehold {
    /// Address.
    pub address: Address,
    /// House use (`owner_occupied`, `rented`, `vacant`, `business`).
    pub house_use: String,
    /// Notes.
    pub notes: String,
    /// Residents.
    pub residents: Vec<NewResident>,
}

impl From<NewHousehold> for h::NewHousehold {
    fn from(n: NewHousehold) -> Self {
        h::NewHousehold {
            address: n.address.into(),
            house_use: h::HouseUse::parse(&n.house_use),
            notes: n.notes,
            residents: n.residents.into_iter().map(Into::into).collect(),
        }
    }
}

/// A photo as a record refers to it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct PhotoRef {
    /// SHA-256 of the full photo.
    pub full: String,
    /// SHA-256 of the thumbnail.
    pub thumb: String,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
    /// When taken (ms).
    pub taken_at: Option<i64>,
    /// Where taken, as the app gave it.
    pub location: Option<Location>,
}

impl From<gridwalk_core::photos::PhotoRef> for PhotoRef {
    fn from(p: gridwalk_core::photos::PhotoRef) -> Self {
        PhotoRef {
            full: p.full,
            thumb: p.thumb,
            width: p.width,
            height: p.height,
            taken_at: p.taken_at.map(|t| t.0),
            location: p.location.map(Into::into),
        }
    }
}

impl From<PhotoRef> for gridwalk_core::photos::PhotoRef {
    fn from(p: PhotoRef) -> Self {
        gridwalk_core::photos::PhotoRef {
            full: p.full,
            thumb: p.thumb,
            width: p.width,
            height: p.height,
            taken_at: p.taken_at.map(gridwalk_core::Timestamp),
            location: p.location.map(Into::into),
        }
    }
}

/// A record whose change the server refused, with its reason.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RefusedChange {
    /// The record.
    pub record_id: String,
    /// The server's reason, for a person.
    pub reason: String,
}

/// What the app shows about sync.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SyncStatus {
    /// Records with changes the server has not confirmed.
    pub pending: u32,
    /// Records the server refused; they stay until edited again or their changes discarded.
    pub refused: Vec<RefusedChange>,
    /// When the last sync finished (ms).
    pub last_success_at: Option<i64>,
    /// When the last sync failed (ms).
    pub last_error_at: Option<i64>,
    /// Why it failed.
    pub last_error: Option<String>,
    /// The server's clock minus this phone's, in ms, from the last sync (none before one):
    /// a large value means the phone's clock is wrong.
    pub clock_offset_ms: Option<i64>,
}

impl From<gridwalk_core::store::outbox::SyncStatus> for SyncStatus {
    fn from(s: gridwalk_core::store::outbox::SyncStatus) -> Self {
        SyncStatus {
            pending: s.pending,
            refused: s
                .refused
                .into_iter()
                .map(|(id, reason)| RefusedChange {
                    record_id: id.to_string(),
                    reason,
                })
                .collect(),
            last_success_at: s.last_success_at.map(|t| t.0),
            last_error_at: s.last_error_at.map(|t| t.0),
            last_error: s.last_error,
            clock_offset_ms: s.clock_offset_ms,
        }
    }
}

/// Why a photo's upload has stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum UploadBlock {
    /// The server refused it: no record it holds in the user's area refers to it (say, the
    /// record's change was refused). Tried again once such a record is accepted.
    Refused,
    /// Its file is gone from this device; import the photo again.
    Missing,
}

/// A photo whose upload has stopped, for the app to show.
#[derive(Debug, Clone, uniffi::Record)]
pub struct BlockedPhoto {
    /// The photo's hash.
    pub hash: String,
    /// Why.
    pub block: UploadBlock,
    /// The server's message, or what is wrong on the device.
    pub reason: String,
    /// The records that refer to it.
    pub record_ids: Vec<String>,
}

impl From<gridwalk_core::store::photos::BlockedPhoto> for BlockedPhoto {
    fn from(b: gridwalk_core::store::photos::BlockedPhoto) -> Self {
        use gridwalk_core::store::photos::UploadBlock as U;
        BlockedPhoto {
            hash: b.hash,
            block: match b.block {
                U::Refused => UploadBlock::Refused,
                U::Missing => UploadBlock::Missing,
            },
            reason: b.reason,
            record_ids: b.records.iter().map(ToString::to_string).collect(),
        }
    }
}

/// A place, from the phone's location service.
#[derive(Debug, Clone, Copy, uniffi::Record)]
pub struct Location {
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lon: f64,
}

impl From<Location> for h::Location {
    fn from(l: Location) -> Self {
        h::Location {
            lat: l.lat,
            lon: l.lon,
        }
    }
}

impl From<h::Location> for Location {
    fn from(l: h::Location) -> Self {
        Location {
            lat: l.lat,
            lon: l.lon,
        }
    }
}

/// Changes to a resident: only the fields given are changed.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct ResidentPatch {
    /// New name.
    pub name: Option<String>,
    /// New ID number as typed.
    pub id_number: Option<String>,
    /// New phone as typed.
    pub phone: Option<String>,
    /// New relation to the head (`head`, `spouse`, `child`, …).
    pub relation: Option<String>,
    /// New registration (`local`, `migrant`, `foreign`).
    pub registration: Option<String>,
}

impl From<ResidentPatch> for h::ResidentPatch {
    fn from(p: ResidentPatch) -> Self {
        h::ResidentPatch {
            name: p.name,
            id_number: p.id_number,
            phone: p.phone,
            relation: p.relation.as_deref().map(h::Relation::parse),
            registration: p.registration.as_deref().map(h::Registration::parse),
        }
    }
}

/// Which households a list shows.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum HouseholdScope {
    /// Every household of a grid.
    Grid {
        /// Grid code.
        grid: String,
    },
    /// Every household of a compound.
    Compound {
        /// Compound code.
        compound: String,
    },
    /// Every household of a building.
    Building {
        /// Building code.
        building: String,
    },
    /// One unit of a building.
    Unit {
        /// Building code.
        building: String,
        /// Unit as written.
        unit: String,
    },
}

impl From<HouseholdScope> for queries::AddressScope {
    fn from(s: HouseholdScope) -> Self {
        use queries::AddressScope as A;
        match s {
            HouseholdScope::Grid { grid } => A::Grid(grid),
            HouseholdScope::Compound { compound } => A::Compound(compound),
            HouseholdScope::Building { building } => A::Building(building),
            HouseholdScope::Unit { building, unit } => A::Unit { building, unit },
        }
    }
}

/// A kind of reference data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ReferenceKind {
    /// 社区.
    Community,
    /// 网格.
    Grid,
    /// 小区.
    Compound,
    /// 楼栋.
    Building,
    /// 物业公司.
    Company,
    /// 事件类别: an issue report's category.
    Category,
}

impl From<ReferenceKind> for r::ReferenceKind {
    fn from(k: ReferenceKind) -> Self {
        use r::ReferenceKind as K;
        match k {
            ReferenceKind::Community => K::Community,
            ReferenceKind::Grid => K::Grid,
            ReferenceKind::Compound => K::Compound,
            ReferenceKind::Building => K::Building,
            ReferenceKind::Company => K::Company,
            ReferenceKind::Category => K::Category,
        }
    }
}

/// A reference item: a community, grid, compound, building, company or category.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ReferenceItem {
    /// Code.
    pub id: String,
    /// The code of what it belongs to (a building's compound, …).
    pub parent_id: Option<String>,
    /// Name to show.
    pub name: String,
    /// For a compound or building: the grid it lies in (a building without one lies in its
    /// compound's). The app offers a grid's compounds and buildings from these.
    pub grid_id: Option<String>,
    /// For a compound: the property company that serves it (an order's company).
    pub company_id: Option<String>,
    /// For a report category: the department that handles it (权责清单).
    pub department: Option<String>,
    /// For a report category: hours a report of it has to be handled (处置时限).
    pub limit_hours: Option<u32>,
}

impl From<r::ReferenceItem> for ReferenceItem {
    fn from(i: r::ReferenceItem) -> Self {
        ReferenceItem {
            id: i.id,
            parent_id: i.parent_id,
            name: i.name,
            grid_id: i.grid_id,
            company_id: i.company_id,
            department: i.department,
            limit_hours: i.limit_hours,
        }
    }
}

/// A visit as recorded.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NewVisit {
    /// When (ms).
    pub at: i64,
    /// Purpose (`routine`, `verification`, `care`, `mediation`).
    pub purpose: String,
    /// Notes.
    pub notes: String,
    /// Where.
    pub location: Option<Location>,
    /// Photos from `import_photo`.
    pub photos: Vec<PhotoRef>,
}

impl From<NewVisit> for h::NewVisit {
    fn from(v: NewVisit) -> Self {
        h::NewVisit {
            at: gridwalk_core::Timestamp(v.at),
            purpose: h::VisitPurpose::parse(&v.purpose),
            notes: v.notes,
            location: v.location.map(Into::into),
            photos: v.photos.into_iter().map(Into::into).collect(),
        }
    }
}

/// A resident on the detail screen (ID number masked).
#[derive(Debug, Clone, uniffi::Record)]
pub struct Resident {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// ID number, masked.
    pub id_number_masked: Option<String>,
    /// Phone, masked.
    pub phone_masked: Option<String>,
    /// Relation.
    pub relation: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Moved out.
    pub moved_out: bool,
}

/// A visit on the detail screen.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Visit {
    /// Id.
    pub id: String,
    /// When (ms).
    pub at: i64,
    /// Worker.
    pub worker: String,
    /// Purpose.
    pub purpose: String,
    /// Notes.
    pub notes: String,
    /// Photos.
    pub photos: Vec<PhotoRef>,
}

/// Two values left in one field by offline edits.
#[derive(Debug, Clone, uniffi::Record)]
pub struct FieldConflict {
    /// Field path.
    pub field: String,
    /// Values.
    pub values: Vec<String>,
}

/// The household detail screen.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Household {
    /// Id.
    pub id: String,
    /// Address.
    pub address: Address,
    /// House use.
    pub house_use: String,
    /// Residents.
    pub residents: Vec<Resident>,
    /// Visits.
    pub visits: Vec<Visit>,
    /// Notes.
    pub notes: String,
    /// Conflicts to resolve.
    pub conflicts: Vec<FieldConflict>,
}

impl From<h::Household> for Household {
    fn from(x: h::Household) -> Self {
        use gridwalk_core::rules::{id_number, phone};
        Household {
            id: x.id.to_string(),
            address: x.address.into(),
            house_use: x.house_use.as_str().to_owned(),
            residents: x
                .residents
                .into_iter()
                .map(|r| Resident {
                    id: r.id.to_string(),
                    name: r.name,
                    id_number_masked: r.id_number.as_deref().map(id_number::mask),
                    phone_masked: r.phone.as_deref().map(phone::mask),
                    relation: r.relation.as_str().to_owned(),
                    tags: r.tags.iter().map(|t| t.as_str().to_owned()).collect(),
                    moved_out: r.moved_out,
                })
                .collect(),
            visits: x
                .visits
                .into_iter()
                .map(|v| Visit {
                    id: v.id.to_string(),
                    at: v.at.0,
                    worker: v.worker,
                    purpose: v.purpose.as_str().to_owned(),
                    notes: v.notes,
                    photos: v.photos.into_iter().map(Into::into).collect(),
                })
                .collect(),
            notes: x.notes,
            conflicts: x
                .conflicts
                .into_iter()
                .map(|c| FieldConflict {
                    field: c.field,
                    values: c.values,
                })
                .collect(),
        }
    }
}

/// A row of a household list.
#[derive(Debug, Clone, uniffi::Record)]
pub struct HouseholdSummary {
    /// Id.
    pub id: String,
    /// Building code.
    pub building: String,
    /// Unit.
    pub unit: String,
    /// Room.
    pub room: String,
    /// Head of household.
    pub head_name: String,
    /// Residents living here.
    pub resident_count: u32,
    /// Last visit (ms).
    pub last_visit_at: Option<i64>,
    /// Findings.
    pub finding_count: u32,
}

/// A page of households with the totals of the scope.
#[derive(Debug, Clone, uniffi::Record)]
pub struct HouseholdList {
    /// The page.
    pub households: Vec<HouseholdSummary>,
    /// Households in the scope.
    pub household_count: u32,
    /// Residents in the scope.
    pub resident_count: u32,
}

impl From<queries::HouseholdList> for HouseholdList {
    fn from(l: queries::HouseholdList) -> Self {
        HouseholdList {
            households: l
                .households
                .into_iter()
                .map(|s| HouseholdSummary {
                    id: s.id.to_string(),
                    building: s.building,
                    unit: s.unit,
                    room: s.room,
                    head_name: s.head_name,
                    resident_count: s.resident_count,
                    last_visit_at: s.last_visit_at.map(|t| t.0),
                    finding_count: s.finding_count,
                })
                .collect(),
            household_count: l.household_count,
            resident_count: l.resident_count,
        }
    }
}

/// A resident found by search.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ResidentHit {
    /// Resident id.
    pub resident_id: String,
    /// Household id.
    pub household_id: String,
    /// Name.
    pub name: String,
    /// ID number, masked.
    pub id_number_masked: Option<String>,
    /// Phone, masked.
    pub phone_masked: Option<String>,
    /// Building-unit-room.
    pub address_label: String,
}

impl From<queries::ResidentHit> for ResidentHit {
    fn from(h: queries::ResidentHit) -> Self {
        ResidentHit {
            resident_id: h.resident_id.to_string(),
            household_id: h.household_id.to_string(),
            name: h.name,
            id_number_masked: h.id_number_masked,
            phone_masked: h.phone_masked,
            address_label: h.address_label,
        }
    }
}

/// Something to check.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Finding {
    /// Household.
    pub household_id: String,
    /// Kind (`bad_id_number`, `duplicate_id_number`, …).
    pub kind: String,
    /// Resident id or field path.
    pub subject: String,
    /// Details, masked: code, parameters and Chinese text.
    pub detail: crate::messages::Message,
}

impl From<gridwalk_core::rules::findings::Finding> for Finding {
    fn from(f: gridwalk_core::rules::findings::Finding) -> Self {
        Finding {
            household_id: f.household_id,
            kind: f.kind.as_str().to_owned(),
            subject: f.subject,
            detail: f.detail.into(),
        }
    }
}

/// Sync progress and totals.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SyncProgress {
    /// Records pushed.
    pub records_up: u64,
    /// Records received.
    pub records_down: u64,
    /// Bytes sent.
    pub bytes_up: u64,
    /// Bytes received.
    pub bytes_down: u64,
    /// Round trips.
    pub round_trips: u32,
    /// Photos uploaded.
    pub photos_up: u32,
    /// Thumbnails downloaded.
    pub photos_down: u32,
}

impl From<gridwalk_core::sync::client::SyncProgress> for SyncProgress {
    fn from(p: gridwalk_core::sync::client::SyncProgress) -> Self {
        SyncProgress {
            records_up: p.records_up,
            records_down: p.records_down,
            bytes_up: p.bytes_up,
            bytes_down: p.bytes_down,
            round_trips: p.round_trips,
            photos_up: p.photos_up,
            photos_down: p.photos_down,
        }
    }
}

/// A record the server refused.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RefusedRecord {
    /// Record id.
    pub id: String,
    /// `rules`, `out_of_scope`, `missing_dependencies` (the server refused the change), or
    /// `photo_refused`, `photo_missing` (a photo of the record cannot be uploaded).
    pub code: String,
    /// Reason, for a person: the message's Chinese text, or the server's words when it sent
    /// no message (an older server).
    pub reason: String,
    /// The reason as a message (code, parameters, Chinese text), when the server sent one.
    pub message: Option<crate::messages::Message>,
}

/// How a sync ended.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SyncReport {
    /// Totals.
    pub progress: SyncProgress,
    /// Refused records.
    pub refused: Vec<RefusedRecord>,
    /// Records still pending.
    pub pending: u32,
}

impl From<gridwalk_core::sync::client::SyncReport> for SyncReport {
    fn from(r: gridwalk_core::sync::client::SyncReport) -> Self {
        SyncReport {
            progress: r.progress.into(),
            refused: r
                .refused
                .into_iter()
                .map(|x| {
                    let message: Option<crate::messages::Message> = x.message.map(Into::into);
                    RefusedRecord {
                        id: x.id.to_string(),
                        code: x.code,
                        reason: message.as_ref().map_or(x.reason, |m| m.text.clone()),
                        message,
                    }
                })
                .collect(),
            pending: r.pending,
        }
    }
}

/// Who signed in.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Session {
    /// Token for the app's keystore.
    pub token: String,
    /// Expiry (ms).
    pub expires_at: i64,
    /// The signed-in person, as `Actor` for store calls.
    pub actor: Actor,
    /// Display name.
    pub display_name: String,
}
