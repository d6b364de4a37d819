//! Gridwalk's offline-first core.
//!
//! A grid worker's phone holds a whole community of households as automerge documents in one
//! SQLite file. This crate owns everything that must behave the same on every platform and on
//! the server:
//!
//! * [`messages`]: every refusal, finding and error as a stable code with named parameters,
//!   and its zh-CN and English texts;
//! * [`records`]: the record types (one automerge document per record) and typed views of them;
//! * [`rules`]: validation, permissions and findings as pure functions, run on the device
//!   before a write and on the server on every change it receives;
//! * [`store`]: the durable local store (documents, projections for every list, merge,
//!   change notifications);
//! * [`demo`]: a generator of realistic communities for demos, tests and benchmarks.
//!
//! The crate knows nothing about the platform it runs on; `gridwalk-ffi` wraps it for the apps.

pub mod demo;
pub mod error;
pub mod ids;
pub mod kill_point;
pub mod messages;
pub mod photos;
pub mod records;
pub mod rules;
pub mod search_key;
pub mod store;
pub mod sync;
pub mod time;

pub use error::{Error, Result};
pub use ids::{RecordId, ResidentId, VisitId};
pub use records::household::{
    Address, FieldConflict, HouseUse, Household, NewHousehold, NewResident, NewVisit, Resident,
    ResidentPatch, SpecialGroup, Visit,
};
pub use rules::permissions::{Actor, Role};
pub use store::Store;
pub use time::Timestamp;
