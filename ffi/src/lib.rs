//! uniffi bindings over `gridwalk-core`: the one cdylib the Android and iOS apps load.
//!
//! The bindings themselves (objects over the store and sync client, the public error enum,
//! listeners) are the mobile-bindings issue's work; until then this crate only holds its
//! place in the workspace so the layout of DESIGN.md is already the layout of the code.
