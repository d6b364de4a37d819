//! End-to-end tests of Gridwalk: real stores in real files, real processes killed mid-write,
//! and (with the sync server) real servers on loopback. The tests live in `tests/`; helper
//! programs they drive live in `src/bin/`.
