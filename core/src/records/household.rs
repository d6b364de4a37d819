//! The household record (户): standard address, house use, residents, visits and notes.
//!
//! Document layout (root map):
//!
//! ```text
//! kind: "household"   schema: 1   created_at: int   created_by: str
//! address: { community, grid, compound, building, unit, room }
//! house_use: str      notes: str
//! residents: { <resident id>: { name, id_number, phone, relation, registration,
//!                               tags: { <tag>: true }, moved_out: bool, moved_out_at: int } }
//! visits: [ { id, at, worker, purpose, notes, lat, lon,
//!             photos: [ { full, thumb, width, height, taken_at, lat, lon } ] } ]  (append-only)
//! ```
//!
//! Residents are a map keyed by id so two devices adding different residents never collide;
//! tags are a map so adding two tags offline keeps both; visits are a list only ever appended
//! to, so two visits recorded offline both survive.

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, ScalarValue};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

use super::automerge_read as read;
use super::error::RecordError;
pub use super::error::WriteError;
pub use super::photo_ref::{Location, PhotoRef};
use super::{RecordKind, stored_enum};
use crate::ids::{RecordId, ResidentId, VisitId};
use crate::time::Timestamp;

/// The layout version this code writes.
pub const SCHEMA: i64 = 2;

/// The standard address (一标三实): codes of the community, grid, compound and building from the
/// reference data, then unit and room as written on the door.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Address {
    /// Community (社区) code.
    pub community: String,
    /// Grid (网格) code.
    pub grid: String,
    /// Compound (小区) code.
    pub compound: String,
    /// Building (楼栋) code.
    pub building: String,
    /// Unit (单元), for example `2`.
    pub unit: String,
    /// Room (室), for example `301`.
    pub room: String,
}

impl Address {
    /// The address parts with their names, in order from the widest.
    pub fn parts(&self) -> [(&'static str, &str); 6] {
        [
            ("community", &self.community),
            ("grid", &self.grid),
            ("compound", &self.compound),
            ("building", &self.building),
            ("unit", &self.unit),
            ("room", &self.room),
        ]
    }

    /// A short label for lists: `B03-2-301`.
    pub fn label(&self) -> String {
        format!("{}-{}-{}", self.building, self.unit, self.room)
    }
}

stored_enum!(
    /// What a dwelling is used for.
    HouseUse {
        /// 自住.
        OwnerOccupied => "owner_occupied",
        /// 出租.
        Rented => "rented",
        /// 空置.
        Vacant => "vacant",
        /// 经营: a shop or office.
        Business => "business",
    }
);

stored_enum!(
    /// A resident's relation to the head of the household.
    Relation {
        /// 户主.
        Head => "head",
        /// 配偶.
        Spouse => "spouse",
        /// 子女.
        Child => "child",
        /// 父母.
        Parent => "parent",
        /// 孙辈.
        Grandchild => "grandchild",
        /// 租户.
        Tenant => "tenant",
        /// 其他亲属.
        Relative => "relative",
    }
);

stored_enum!(
    /// How a resident is registered here.
    Registration {
        /// 户籍人口: household registration here.
        Local => "local",
        /// 流动人口: lives here, registered elsewhere.
        Migrant => "migrant",
        /// 境外人员.
        Foreign => "foreign",
    }
);

stored_enum!(
    /// Special groups (重点人群) a grid worker looks after.
    SpecialGroup {
        /// 独居老人: elderly living alone.
        ElderlyAlone => "elderly_alone",
        /// 残疾人.
        Disabled => "disabled",
        /// 低保户: low-income support.
        LowIncome => "low_income",
        /// 退役军人.
        Veteran => "veteran",
        /// 留守儿童.
        LeftBehindChild => "left_behind_child",
    }
);

stored_enum!(
    /// Why a visit was made.
    VisitPurpose {
        /// 日常走访.
        Routine => "routine",
        /// 信息核实: checking a finding.
        Verification => "verification",
        /// 关怀: care visit to a special group.
        Care => "care",
        /// 矛盾调解: mediation.
        Mediation => "mediation",
    }
);

/// A resident as the household document holds them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resident {
    /// Made on the device that added them.
    pub id: ResidentId,
    /// Full name.
    pub name: String,
    /// 18-character ID number, upper-case X; may be invalid if imported from an old ledger.
    pub id_number: Option<String>,
    /// Normalised phone digits.
    pub phone: Option<String>,
    /// Relation to the head of the household.
    pub relation: Relation,
    /// Registration type.
    pub registration: Registration,
    /// Special groups.
    pub tags: BTreeSet<SpecialGroup>,
    /// Moved out: kept for history, left out of counts and searches by default.
    pub moved_out: bool,
    /// When they were marked as moved out.
    pub moved_out_at: Option<Timestamp>,
}

/// A visit: who came, when, why, and what they noted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    /// Made on the device that recorded it.
    pub id: VisitId,
    /// When it happened.
    pub at: Timestamp,
    /// The worker's user id.
    pub worker: String,
    /// Why.
    pub purpose: VisitPurpose,
    /// What they noted.
    pub notes: String,
    /// Where the phone was, if the app could tell.
    pub location: Option<Location>,
    /// Photos taken on the visit.
    pub photos: Vec<PhotoRef>,
}

/// Two or more values left in one field by offline edits that did not see each other. Both are
/// kept; a person picks one with `Store::resolve_conflict`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldConflict {
    /// The field, as a path: `house_use`, `address.room`, `residents.<id>.phone`.
    pub field: String,
    /// Every value, sorted. The first shown is not a decision.
    pub values: Vec<String>,
}

/// The typed view of a household document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Household {
    /// The record id.
    pub id: RecordId,
    /// Standard address.
    pub address: Address,
    /// House use.
    pub house_use: HouseUse,
    /// Residents, present and moved out, ordered by id (so by time added).
    pub residents: Vec<Resident>,
    /// Visits in the document's list order.
    pub visits: Vec<Visit>,
    /// Free-text notes.
    pub notes: String,
    /// When the household was created.
    pub created_at: Timestamp,
    /// Reviewers' send-backs of visits ("has issues"), oldest first.
    pub reviews: Vec<Review>,
    /// Fields where offline edits conflict.
    pub conflicts: Vec<FieldConflict>,
    /// What supervisors and workers did about its findings (checked, or handed to a worker),
    /// oldest first.
    pub finding_marks: Vec<FindingMark>,
}

/// Someone's word on one finding of the household: it was checked (核实) and is right as it
/// stands, or a supervisor handed it to a worker to check. A check holds while the value it
/// was about is unchanged (`rules::findings::fingerprint`); a hand-over is a to-do for the
/// worker until the finding is checked or gone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingMark {
    /// Made on the marking device.
    pub id: String,
    /// `checked` or `assigned`.
    pub action: String,
    /// The finding's kind, by its stored name (`rules::findings::FindingKind::as_str`).
    pub kind: String,
    /// The finding's subject: a resident id, or empty for the whole household.
    pub subject: String,
    /// The fingerprint of the value the finding was about when marked.
    pub fingerprint: String,
    /// For `assigned`: the worker's user id.
    pub assignee: Option<String>,
    /// Who marked it.
    pub by: String,
    /// What they found, or what the worker is to check.
    pub note: String,
    /// When.
    pub at: Timestamp,
}

/// A reviewer's send-back of a visit: it "has issues", with a comment. It becomes a to-do for
/// the visit's worker until they record a later visit to the household.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Review {
    /// Made on the reviewer's device.
    pub id: String,
    /// The visit sent back.
    pub visit_id: String,
    /// The reviewer.
    pub by: String,
    /// What is wrong.
    pub note: String,
    /// When.
    pub at: Timestamp,
}

impl Household {
    /// Residents who still live here.
    pub fn active_residents(&self) -> impl Iterator<Item = &Resident> {
        self.residents.iter().filter(|r| !r.moved_out)
    }

    /// The resident with this id.
    pub fn resident(&self, id: &ResidentId) -> Option<&Resident> {
        self.residents.iter().find(|r| &r.id == id)
    }

    /// Every photo the household's record refers to.
    pub fn photos(&self) -> impl Iterator<Item = &PhotoRef> {
        self.visits.iter().flat_map(|v| v.photos.iter())
    }

    /// The time of the latest visit.
    pub fn last_visit_at(&self) -> Option<Timestamp> {
        self.visits.iter().map(|v| v.at).max()
    }

    /// The head of the household, or the first active resident.
    pub fn head(&self) -> Option<&Resident> {
        self.active_residents()
            .find(|r| r.relation == Relation::Head)
            .or_else(|| self.active_residents().next())
    }
}

/// What a worker fills in to add a household.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewHousehold {
    /// Standard address.
    pub address: Address,
    /// House use.
    pub house_use: HouseUse,
    /// Free-text notes.
    pub notes: String,
    /// Residents to add with it.
    pub residents: Vec<NewResident>,
}

/// What a worker fills in to add a resident. Raw input: the store normalises it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewResident {
    /// Full name.
    pub name: String,
    /// ID number as typed.
    pub id_number: Option<String>,
    /// Phone as typed.
    pub phone: Option<String>,
    /// Relation to the head.
    pub relation: Relation,
    /// Registration type.
    pub registration: Registration,
    /// Special groups.
    pub tags: BTreeSet<SpecialGroup>,
}

/// Changes to a resident's profile; `None` leaves a field as it is, `Some("")` clears an
/// optional one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResidentPatch {
    /// New name.
    pub name: Option<String>,
    /// New ID number as typed.
    pub id_number: Option<String>,
    /// New phone as typed.
    pub phone: Option<String>,
    /// New relation.
    pub relation: Option<Relation>,
    /// New registration type.
    pub registration: Option<Registration>,
}

/// What a worker records for a visit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewVisit {
    /// When it happened.
    pub at: Timestamp,
    /// Why.
    pub purpose: VisitPurpose,
    /// What they noted.
    pub notes: String,
    /// Where the phone was.
    pub location: Option<Location>,
    /// Photos imported with `Store::import_photo`.
    pub photos: Vec<PhotoRef>,
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Reads the typed view of a household document.
pub fn read(doc: &impl ReadDoc, id: &RecordId) -> Result<Household, RecordError> {
    let kind = read::string(doc, &ROOT, "kind").unwrap_or_default();
    if kind != RecordKind::Household.as_str() {
        return Err(RecordError::WrongKind {
            id: id.to_string(),
            expected: "household",
            found: if kind.is_empty() { String::new() } else { kind },
        });
    }
    let mut conflicts = Vec::new();
    let mut note_conflict = |field: String, obj: &ObjId, key: &str| {
        let values = read::conflicting_values(doc, obj, key);
        if !values.is_empty() {
            conflicts.push(FieldConflict { field, values });
        }
    };

    let mut address = Address::default();
    if let Some(obj) = read::object(doc, &ROOT, "address", ObjType::Map) {
        let s = |k: &str| read::string(doc, &obj, k).unwrap_or_default();
        address = Address {
            community: s("community"),
            grid: s("grid"),
            compound: s("compound"),
            building: s("building"),
            unit: s("unit"),
            room: s("room"),
        };
        for (key, _) in address.parts() {
            note_conflict(format!("address.{key}"), &obj, key);
        }
    }
    note_conflict("house_use".into(), &ROOT, "house_use");
    note_conflict("notes".into(), &ROOT, "notes");

    let mut residents = Vec::new();
    if let Some(map) = read::object(doc, &ROOT, "residents", ObjType::Map) {
        for item in doc.map_range(&map, ..) {
            let Some(obj) = read::object(doc, &map, item.key.as_ref(), ObjType::Map) else {
                continue;
            };
            let rid = item.key.to_string();
            for key in RESIDENT_FIELDS {
                note_conflict(format!("residents.{rid}.{key}"), &obj, key);
            }
            residents.push(read_resident(doc, &obj, ResidentId::from_string(rid)));
        }
    }

    let mut visits = Vec::new();
    if let Some(list) = read::object(doc, &ROOT, "visits", ObjType::List) {
        for item in doc.list_range(&list, ..) {
            let obj = match item.value {
                automerge::ValueRef::Object(ObjType::Map) => item.id(),
                _ => continue,
            };
            visits.push(read_visit(doc, &obj));
        }
    }

    Ok(Household {
        id: id.clone(),
        address,
        house_use: HouseUse::parse(&read::string(doc, &ROOT, "house_use").unwrap_or_default()),
        residents,
        visits,
        notes: read::string(doc, &ROOT, "notes").unwrap_or_default(),
        created_at: Timestamp(read::int(doc, &ROOT, "created_at").unwrap_or(0)),
        reviews: read_reviews(doc),
        finding_marks: read_finding_marks(doc),
        conflicts,
    })
}

/// The resident fields that hold one value and so can conflict.
const RESIDENT_FIELDS: [&str; 6] = [
    "name",
    "id_number",
    "phone",
    "relation",
    "registration",
    "moved_out",
];

fn read_resident(doc: &impl ReadDoc, obj: &ObjId, id: ResidentId) -> Resident {
    let s = |k: &str| read::string(doc, obj, k);
    let non_empty = |v: Option<String>| v.filter(|v| !v.is_empty());
    let tags = read::object(doc, obj, "tags", ObjType::Map)
        .map(|tags| {
            doc.map_range(&tags, ..)
                .filter(|item| read::boolean(doc, &tags, item.key.as_ref()) == Some(true))
                .map(|item| SpecialGroup::parse(item.key.as_ref()))
                .collect()
        })
        .unwrap_or_default();
    Resident {
        id,
        name: s("name").unwrap_or_default(),
        id_number: non_empty(s("id_number")),
        phone: non_empty(s("phone")),
        relation: Relation::parse(&s("relation").unwrap_or_default()),
        registration: Registration::parse(&s("registration").unwrap_or_default()),
        tags,
        moved_out: read::boolean(doc, obj, "moved_out").unwrap_or(false),
        moved_out_at: read::int(doc, obj, "moved_out_at").map(Timestamp),
    }
}

fn read_visit(doc: &impl ReadDoc, obj: &ObjId) -> Visit {
    let s = |k: &str| read::string(doc, obj, k).unwrap_or_default();
    let location = match (read::float(doc, obj, "lat"), read::float(doc, obj, "lon")) {
        (Some(lat), Some(lon)) => Some(Location { lat, lon }),
        _ => None,
    };
    Visit {
        id: VisitId::from_string(s("id")),
        at: Timestamp(read::int(doc, obj, "at").unwrap_or(0)),
        worker: s("worker"),
        purpose: VisitPurpose::parse(&s("purpose")),
        notes: s("notes"),
        location,
        photos: read_photos(doc, obj),
    }
}

fn read_finding_marks(doc: &impl ReadDoc) -> Vec<FindingMark> {
    let objs = read::list_of_maps(doc, &ROOT, "finding_marks");
    objs.iter()
        .map(|obj| {
            let s = |k: &str| read::string(doc, obj, k).unwrap_or_default();
            FindingMark {
                id: s("id"),
                action: s("action"),
                kind: s("kind"),
                subject: s("subject"),
                fingerprint: s("fingerprint"),
                assignee: read::string(doc, obj, "assignee"),
                by: s("by"),
                note: s("note"),
                at: Timestamp(read::int(doc, obj, "at").unwrap_or(0)),
            }
        })
        .collect()
}

fn read_reviews(doc: &impl ReadDoc) -> Vec<Review> {
    let objs = read::list_of_maps(doc, &ROOT, "reviews");
    objs.iter()
        .map(|obj| {
            let s = |k: &str| read::string(doc, obj, k).unwrap_or_default();
            Review {
                id: s("id"),
                visit_id: s("visit_id"),
                by: s("by"),
                note: s("note"),
                at: Timestamp(read::int(doc, obj, "at").unwrap_or(0)),
            }
        })
        .collect()
}

/// Reads a `photos` list under `obj`.
pub(crate) fn read_photos(doc: &impl ReadDoc, obj: &ObjId) -> Vec<PhotoRef> {
    let Some(list) = read::object(doc, obj, "photos", ObjType::List) else {
        return Vec::new();
    };
    doc.list_range(&list, ..)
        .filter_map(|item| match item.value {
            automerge::ValueRef::Object(ObjType::Map) => Some(item.id()),
            _ => None,
        })
        .map(|p| {
            let s = |k: &str| read::string(doc, &p, k).unwrap_or_default();
            let location = match (read::float(doc, &p, "lat"), read::float(doc, &p, "lon")) {
                (Some(lat), Some(lon)) => Some(Location { lat, lon }),
                _ => None,
            };
            PhotoRef {
                full: s("full"),
                thumb: s("thumb"),
                width: read::int(doc, &p, "width").unwrap_or(0) as u32,
                height: read::int(doc, &p, "height").unwrap_or(0) as u32,
                taken_at: read::int(doc, &p, "taken_at").map(Timestamp),
                location,
            }
        })
        .collect()
}

/// Writes a `photos` list under `parent` (nothing when there are none).
pub(crate) fn write_photos(
    doc: &mut AutoCommit,
    parent: &ObjId,
    photos: &[PhotoRef],
) -> AmResult<()> {
    if photos.is_empty() {
        return Ok(());
    }
    let list = doc.put_object(parent, "photos", ObjType::List)?;
    for (i, photo) in photos.iter().enumerate() {
        let p = doc.insert_object(&list, i, ObjType::Map)?;
        doc.put(&p, "full", photo.full.as_str())?;
        doc.put(&p, "thumb", photo.thumb.as_str())?;
        doc.put(&p, "width", i64::from(photo.width))?;
        doc.put(&p, "height", i64::from(photo.height))?;
        if let Some(t) = photo.taken_at {
            doc.put(&p, "taken_at", t.0)?;
        }
        if let Some(loc) = photo.location {
            doc.put(&p, "lat", ScalarValue::F64(loc.lat))?;
            doc.put(&p, "lon", ScalarValue::F64(loc.lon))?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Writing. Values arrive already normalised by the rules; these functions only lay them out.

type AmResult<T> = Result<T, automerge::AutomergeError>;

/// Lays out a new household document.
pub fn write_new(
    doc: &mut AutoCommit,
    new: &NewHousehold,
    residents: &[(ResidentId, NewResident)],
    created_by: &str,
    now: Timestamp,
) -> AmResult<()> {
    doc.put(ROOT, "kind", RecordKind::Household.as_str())?;
    doc.put(ROOT, "schema", SCHEMA)?;
    doc.put(ROOT, "created_at", now.0)?;
    doc.put(ROOT, "created_by", created_by)?;
    let address = doc.put_object(ROOT, "address", ObjType::Map)?;
    for (key, value) in new.address.parts() {
        doc.put(&address, key, value)?;
    }
    doc.put(ROOT, "house_use", new.house_use.as_str())?;
    doc.put(ROOT, "notes", new.notes.as_str())?;
    doc.put_object(ROOT, "residents", ObjType::Map)?;
    doc.put_object(ROOT, "visits", ObjType::List)?;
    for (rid, resident) in residents {
        add_resident(doc, rid, resident)?;
    }
    Ok(())
}

fn map_at(doc: &mut AutoCommit, parent: &ObjId, key: &str, kind: ObjType) -> AmResult<ObjId> {
    match read::object(doc, parent, key, kind) {
        Some(obj) => Ok(obj),
        None => doc.put_object(parent, key, kind),
    }
}

fn resident_obj(
    doc: &AutoCommit,
    household: &RecordId,
    rid: &ResidentId,
) -> Result<ObjId, RecordError> {
    read::object(doc, &ROOT, "residents", ObjType::Map)
        .and_then(|map| read::object(doc, &map, rid.as_str(), ObjType::Map))
        .ok_or_else(|| RecordError::UnknownResident {
            household_id: household.to_string(),
            resident_id: rid.to_string(),
        })
}

/// Adds a resident under a fresh id.
pub fn add_resident(doc: &mut AutoCommit, rid: &ResidentId, r: &NewResident) -> AmResult<()> {
    let residents = map_at(doc, &ROOT, "residents", ObjType::Map)?;
    let obj = doc.put_object(&residents, rid.as_str(), ObjType::Map)?;
    doc.put(&obj, "name", r.name.as_str())?;
    doc.put(&obj, "id_number", r.id_number.clone().unwrap_or_default())?;
    doc.put(&obj, "phone", r.phone.clone().unwrap_or_default())?;
    doc.put(&obj, "relation", r.relation.as_str())?;
    doc.put(&obj, "registration", r.registration.as_str())?;
    doc.put(&obj, "moved_out", false)?;
    let tags = doc.put_object(&obj, "tags", ObjType::Map)?;
    for tag in &r.tags {
        doc.put(&tags, tag.as_str(), true)?;
    }
    Ok(())
}

/// The write operations on an existing household document, each refusing an unknown resident.
pub struct HouseholdWriter<'a> {
    doc: &'a mut AutoCommit,
    id: &'a RecordId,
}

impl<'a> HouseholdWriter<'a> {
    /// Writes to the household document `doc` whose record id is `id`.
    pub fn new(doc: &'a mut AutoCommit, id: &'a RecordId) -> Self {
        HouseholdWriter { doc, id }
    }

    /// Sets one field of the address.
    pub fn set_address(&mut self, address: &Address) -> Result<(), WriteError> {
        let obj = map_at(self.doc, &ROOT, "address", ObjType::Map)?;
        for (key, value) in address.parts() {
            if read::string(self.doc, &obj, key).as_deref() != Some(value) {
                self.doc.put(&obj, key, value)?;
            }
        }
        Ok(())
    }

    /// Sets the house use.
    pub fn set_house_use(&mut self, use_: &HouseUse) -> Result<(), WriteError> {
        self.doc.put(ROOT, "house_use", use_.as_str())?;
        Ok(())
    }

    /// Sets the notes.
    pub fn set_notes(&mut self, notes: &str) -> Result<(), WriteError> {
        self.doc.put(ROOT, "notes", notes)?;
        Ok(())
    }

    /// Adds a resident.
    pub fn add_resident(&mut self, rid: &ResidentId, r: &NewResident) -> Result<(), WriteError> {
        Ok(add_resident(self.doc, rid, r)?)
    }

    /// Changes a resident's profile fields that the patch names (values normalised already).
    pub fn patch_resident(
        &mut self,
        rid: &ResidentId,
        patch: &ResidentPatch,
    ) -> Result<(), WriteError> {
        let obj = resident_obj(self.doc, self.id, rid)?;
        let fields: [(&str, Option<&str>); 5] = [
            ("name", patch.name.as_deref()),
            ("id_number", patch.id_number.as_deref()),
            ("phone", patch.phone.as_deref()),
            ("relation", patch.relation.as_ref().map(Relation::as_str)),
            (
                "registration",
                patch.registration.as_ref().map(Registration::as_str),
            ),
        ];
        for (key, value) in fields {
            if let Some(value) = value {
                self.doc.put(&obj, key, value)?;
            }
        }
        Ok(())
    }

    /// Marks a resident as moved out (or back in).
    pub fn set_moved_out(
        &mut self,
        rid: &ResidentId,
        moved_out: bool,
        at: Timestamp,
    ) -> Result<(), WriteError> {
        let obj = resident_obj(self.doc, self.id, rid)?;
        self.doc.put(&obj, "moved_out", moved_out)?;
        if moved_out {
            self.doc.put(&obj, "moved_out_at", at.0)?;
        } else {
            self.doc.delete(&obj, "moved_out_at")?;
        }
        Ok(())
    }

    /// Adds or removes a special-group tag.
    pub fn set_tag(
        &mut self,
        rid: &ResidentId,
        tag: &SpecialGroup,
        on: bool,
    ) -> Result<(), WriteError> {
        let obj = resident_obj(self.doc, self.id, rid)?;
        let tags = map_at(self.doc, &obj, "tags", ObjType::Map)?;
        if on {
            self.doc.put(&tags, tag.as_str(), true)?;
        } else {
            self.doc.delete(&tags, tag.as_str())?;
        }
        Ok(())
    }

    /// Appends a visit.
    pub fn append_visit(
        &mut self,
        vid: &VisitId,
        worker: &str,
        v: &NewVisit,
    ) -> Result<(), WriteError> {
        let list = map_at(self.doc, &ROOT, "visits", ObjType::List)?;
        let at = self.doc.length(&list);
        let obj = self.doc.insert_object(&list, at, ObjType::Map)?;
        self.doc.put(&obj, "id", vid.as_str())?;
        self.doc.put(&obj, "at", v.at.0)?;
        self.doc.put(&obj, "worker", worker)?;
        self.doc.put(&obj, "purpose", v.purpose.as_str())?;
        self.doc.put(&obj, "notes", v.notes.as_str())?;
        if let Some(loc) = v.location {
            self.doc.put(&obj, "lat", ScalarValue::F64(loc.lat))?;
            self.doc.put(&obj, "lon", ScalarValue::F64(loc.lon))?;
        }
        write_photos(self.doc, &obj, &v.photos)?;
        Ok(())
    }

    /// Sends a visit back to its worker with a comment.
    pub fn add_review(&mut self, review: &Review) -> Result<(), WriteError> {
        let list = map_at(self.doc, &ROOT, "reviews", ObjType::List)?;
        let at = self.doc.length(&list);
        let obj = self.doc.insert_object(&list, at, ObjType::Map)?;
        self.doc.put(&obj, "id", review.id.as_str())?;
        self.doc.put(&obj, "visit_id", review.visit_id.as_str())?;
        self.doc.put(&obj, "by", review.by.as_str())?;
        self.doc.put(&obj, "note", review.note.as_str())?;
        self.doc.put(&obj, "at", review.at.0)?;
        Ok(())
    }

    /// Adds a mark on one of the household's findings.
    pub fn add_finding_mark(&mut self, mark: &FindingMark) -> Result<(), WriteError> {
        let list = map_at(self.doc, &ROOT, "finding_marks", ObjType::List)?;
        let at = self.doc.length(&list);
        let obj = self.doc.insert_object(&list, at, ObjType::Map)?;
        self.doc.put(&obj, "id", mark.id.as_str())?;
        self.doc.put(&obj, "action", mark.action.as_str())?;
        self.doc.put(&obj, "kind", mark.kind.as_str())?;
        self.doc.put(&obj, "subject", mark.subject.as_str())?;
        self.doc
            .put(&obj, "fingerprint", mark.fingerprint.as_str())?;
        if let Some(a) = &mark.assignee {
            self.doc.put(&obj, "assignee", a.as_str())?;
        }
        self.doc.put(&obj, "by", mark.by.as_str())?;
        self.doc.put(&obj, "note", mark.note.as_str())?;
        self.doc.put(&obj, "at", mark.at.0)?;
        Ok(())
    }

    /// Writes one value to the field a [`FieldConflict`] names, which ends the conflict. A
    /// resident's ID number or phone is normalised first.
    pub fn put_field(&mut self, path: &str, value: &str) -> Result<(), WriteError> {
        let unknown = || RecordError::UnknownField {
            path: path.to_owned(),
        };
        let parts: Vec<&str> = path.split('.').collect();
        match parts.as_slice() {
            ["house_use" | "notes"] => {
                self.doc.put(ROOT, parts[0], value)?;
            }
            ["address", key] if Address::default().parts().iter().any(|(k, _)| k == key) => {
                let obj = map_at(self.doc, &ROOT, "address", ObjType::Map)?;
                self.doc.put(&obj, *key, value)?;
            }
            ["residents", rid, "moved_out"] => {
                let obj = resident_obj(self.doc, self.id, &ResidentId::from(*rid))?;
                let on = matches!(value, "true" | "1");
                self.doc.put(&obj, "moved_out", on)?;
            }
            ["residents", rid, key] if RESIDENT_FIELDS.contains(key) => {
                let obj = resident_obj(self.doc, self.id, &ResidentId::from(*rid))?;
                // The caller passes the canonical form (`rules::household::
                // canonical_resident_value`), which the check then accepts.
                self.doc.put(&obj, *key, value)?;
            }
            _ => return Err(unknown().into()),
        }
        Ok(())
    }
}
