//! uniffi bindings over `gridwalk-core`: the one cdylib the Android and iOS apps load.
//!
//! This crate converts and decides nothing: every type here is a thin record or wrapper with
//! `From` conversions to and from the core's, and every method calls one core method. Rules,
//! storage and sync live in the core, where the server uses them too.
//!
//! * [`store::GridwalkStore`]: the device store (households, search, findings, photos).
//! * [`sync::SyncSession`]: sign in and sync (async, on tokio).
//! * [`engine::SyncEngine`]: the sync engine of a session, its state for a listener.
//! * [`listeners`]: foreign listeners with handles that stop them (changes, sync progress).
//! * [`logging`]: Rust logs forwarded to the app's logger.
//! * [`error::GridwalkError`]: the one error type, a typed exception on the other side,
//!   carrying the core's message code and parameters.
//! * [`messages`]: messages (code, parameters, Chinese text) and rendering in another language.

uniffi::setup_scaffolding!();

pub mod engine;
pub mod error;
pub mod inspection;
pub mod listeners;
pub mod logging;
pub mod messages;
pub mod store;
pub mod sync;
pub mod types;
