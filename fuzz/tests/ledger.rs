//! Fuzz target: the ledger readers (`ledger::import::read_csv`, `read_xlsx`) and the preview
//! that judges their rows, on damaged ledgers as offices and spreadsheet programs make them.
//! Nothing may panic; a ledger is either read (every row judged) or refused with a reason.

use std::sync::OnceLock;
use std::time::Duration;

use gridwalk_core::records::reference::{ReferenceItem, ReferenceKind};
use gridwalk_server::ledger::import;
use gridwalk_server::server::{Data, open_data};

/// One server data directory for the whole run, with the places the ledgers name.
fn data() -> &'static Data {
    static DATA: OnceLock<(tempfile::TempDir, Data)> = OnceLock::new();
    &DATA
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let data = open_data(dir.path(), Duration::from_secs(60)).unwrap();
            use ReferenceKind::*;
            data.store
                .add_reference(&[
                    ReferenceItem::new(Community, "C01", None, "阳光社区"),
                    ReferenceItem::new(Grid, "C01-G01", Some("C01"), "第一网格"),
                    ReferenceItem::new(Compound, "Q1", Some("C01"), "阳光花园").in_grid("C01-G01"),
                    ReferenceItem::new(Building, "B1", Some("Q1"), "1号楼"),
                    ReferenceItem::new(Building, "B2", Some("Q1"), "2号楼"),
                ])
                .unwrap();
            (dir, data)
        })
        .1
}

fn target(bytes: &[u8]) {
    for rows in [import::read_csv(bytes), import::read_xlsx(bytes)]
        .into_iter()
        .flatten()
    {
        let _ = import::preview(rows, &data().store, None);
    }
}

#[test]
fn ledger() {
    gridwalk_fuzz::run("ledger", target);
}
