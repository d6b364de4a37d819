//! Sync with the server (DESIGN.md, "Sync").
//!
//! [`wire`] holds the protocol's message types, shared by the device client and the server so
//! the two can never disagree on them. [`client`] (feature `client`) is the device side: an
//! async `sync` over HTTP that pushes the outbox and pulls every scope after its cursor.

#[cfg(feature = "client")]
pub mod client;
pub mod wire;
