//! The Gridwalk sync server: accounts and scopes, the sync endpoint, the admin commands and the
//! demo. It shares the core's records, rules, store and wire types, and never depends on the
//! FFI crate.

pub mod accounts;
pub mod api;
pub mod cli;
pub mod connections;
pub mod demo;
pub mod ledger;
pub mod routes;
pub mod scope;
pub mod server;
pub mod state;
pub mod web;
