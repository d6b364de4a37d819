//! Sync with the server (DESIGN.md, "Sync").
//!
//! [`wire`] holds the protocol's message types, shared by the device client and the server so
//! the two can never disagree on them. [`client`] (feature `client`) is the device side: an
//! async `sync` over HTTP that pushes the outbox and pulls every scope after its cursor;
//! [`heal`] its handling of a restored server and of the device's clock; [`engine`] decides
//! when to sync (after writes, on a timer, on the app's triggers, with backoff).

#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "client")]
pub mod engine;
#[cfg(feature = "client")]
pub mod heal;
pub mod wire;
