//! Where a record may say it is: the places a household, report or order names must exist in
//! the reference data and agree with it (a building in its compound, the compound in its
//! community, both in the household's grid; an order addressed to the company that serves its
//! compound).
//!
//! Scopes derive from the reference data (`grid:` from grants, `compound:` from the grids the
//! reference data puts compounds in), so a record that names a place the reference data does
//! not put there would otherwise widen its writer's scopes: a worker's household naming another
//! community's compound made the server grant that compound, with all its orders. These checks
//! run on the device before it writes and on the server for every pushed change, like every
//! rule; they judge a record only when it is new or the places it names changed, so a record
//! written before the reference data moved stays editable.

use super::Refusal;
use crate::messages::Message;
use crate::records::reference::{ReferenceItem, ReferenceKind};
use crate::records::view::RecordView;

/// Read access to reference data, by code: the store's table on device and server, a map in
/// tests.
pub trait PlaceBook {
    /// The item of `kind` with code `code`, if the reference data has one.
    fn place(&self, kind: ReferenceKind, code: &str) -> Option<ReferenceItem>;

    /// The grids the buildings of `compound` lie in (buildings that name a grid of their own).
    fn building_grids(&self, compound: &str) -> Vec<String>;
}

/// A [`PlaceBook`] over a list of items, for tests and for callers that already hold them.
impl PlaceBook for [ReferenceItem] {
    fn place(&self, kind: ReferenceKind, code: &str) -> Option<ReferenceItem> {
        self.iter()
            .find(|i| i.kind == kind && i.id == code)
            .cloned()
    }

    fn building_grids(&self, compound: &str) -> Vec<String> {
        let mut grids: Vec<String> = self
            .iter()
            .filter(|i| {
                i.kind == ReferenceKind::Building && i.parent_id.as_deref() == Some(compound)
            })
            .filter_map(|i| i.grid_id.clone())
            .collect();
        grids.sort();
        grids.dedup();
        grids
    }
}

/// A [`PlaceBook`] indexed by code, for judging many records at once (a ledger of 30,000
/// rows) without a scan or a query per row.
#[derive(Debug, Clone, Default)]
pub struct PlaceIndex {
    items: std::collections::HashMap<(ReferenceKind, String), ReferenceItem>,
    building_grids: std::collections::HashMap<String, Vec<String>>,
}

impl PlaceIndex {
    /// Indexes `items`.
    pub fn new(items: impl IntoIterator<Item = ReferenceItem>) -> Self {
        let mut index = PlaceIndex::default();
        for i in items {
            if let (ReferenceKind::Building, Some(c), Some(g)) = (i.kind, &i.parent_id, &i.grid_id)
            {
                let grids = index.building_grids.entry(c.clone()).or_default();
                if !grids.contains(g) {
                    grids.push(g.clone());
                    grids.sort();
                }
            }
            index.items.insert((i.kind, i.id.clone()), i);
        }
        index
    }

    /// Whether it holds no places at all.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl PlaceBook for PlaceIndex {
    fn place(&self, kind: ReferenceKind, code: &str) -> Option<ReferenceItem> {
        self.items.get(&(kind, code.to_owned())).cloned()
    }

    fn building_grids(&self, compound: &str) -> Vec<String> {
        self.building_grids
            .get(compound)
            .cloned()
            .unwrap_or_default()
    }
}

fn unknown(level: &'static str, code: &str) -> Refusal {
    Refusal::Rule(
        Message::new("place.unknown")
            .with("level", level)
            .with("code", code),
    )
}

fn not_in(level: &'static str, code: &str, parent_level: &'static str, parent: &str) -> Refusal {
    Refusal::Rule(
        Message::new("place.not_in")
            .with("level", level)
            .with("code", code)
            .with("parent_level", parent_level)
            .with("parent", parent),
    )
}

fn find(
    book: &(impl PlaceBook + ?Sized),
    kind: ReferenceKind,
    level: &'static str,
    code: &str,
) -> Result<ReferenceItem, Refusal> {
    book.place(kind, code).ok_or_else(|| unknown(level, code))
}

/// The grids a compound lies in: its own, or its buildings' when it is split between grids.
pub fn grids_of_compound(
    book: &(impl PlaceBook + ?Sized),
    compound: &ReferenceItem,
) -> Vec<String> {
    let mut grids = book.building_grids(&compound.id);
    if let Some(g) = &compound.grid_id {
        grids.push(g.clone());
    }
    grids.sort();
    grids.dedup();
    grids
}

/// Checks an address: the community, grid, compound and building exist; the grid and the
/// compound belong to the community, the building to the compound; and the building lies in
/// the grid (the building's own grid, else its compound's).
///
/// Refusals: `place.unknown {level, code}`, `place.not_in {level, code, parent_level, parent}`.
pub fn check_address(
    book: &(impl PlaceBook + ?Sized),
    address: &crate::records::household::Address,
) -> Result<(), Refusal> {
    find(
        book,
        ReferenceKind::Community,
        "community",
        &address.community,
    )?;
    let grid = find(book, ReferenceKind::Grid, "grid", &address.grid)?;
    if grid.parent_id.as_deref() != Some(address.community.as_str()) {
        return Err(not_in("grid", &grid.id, "community", &address.community));
    }
    let compound = find(book, ReferenceKind::Compound, "compound", &address.compound)?;
    if compound.parent_id.as_deref() != Some(address.community.as_str()) {
        return Err(not_in(
            "compound",
            &compound.id,
            "community",
            &address.community,
        ));
    }
    let building = find(book, ReferenceKind::Building, "building", &address.building)?;
    if building.parent_id.as_deref() != Some(address.compound.as_str()) {
        return Err(not_in(
            "building",
            &building.id,
            "compound",
            &address.compound,
        ));
    }
    let lies_in = building.grid_id.as_ref().or(compound.grid_id.as_ref());
    if lies_in != Some(&address.grid) {
        return Err(not_in("building", &building.id, "grid", &address.grid));
    }
    Ok(())
}

/// Checks a report's places: its grid exists, and its compound, when it names one, lies in
/// that grid. (Whether the grid is one of the reporter's is a question of scopes, which the
/// server answers: see `Store::accept_pushed`.)
pub fn check_report_places(
    book: &(impl PlaceBook + ?Sized),
    grid: &str,
    compound: &str,
) -> Result<(), Refusal> {
    find(book, ReferenceKind::Grid, "grid", grid)?;
    if compound.is_empty() {
        return Ok(());
    }
    let c = find(book, ReferenceKind::Compound, "compound", compound)?;
    if !grids_of_compound(book, &c).iter().any(|g| g == grid) {
        return Err(not_in("compound", compound, "grid", grid));
    }
    Ok(())
}

/// Checks an order's places: its compound exists, and when the reference data says which
/// company serves the compound, the order is addressed to that company
/// (`order.wrong_company {company, compound, serving}`).
pub fn check_order_places(
    book: &(impl PlaceBook + ?Sized),
    compound: &str,
    company: &str,
) -> Result<(), Refusal> {
    let c = find(book, ReferenceKind::Compound, "compound", compound)?;
    match &c.company_id {
        Some(serving) if serving != company => Err(Refusal::Rule(
            Message::new("order.wrong_company")
                .with("company", company)
                .with("compound", compound)
                .with("serving", serving),
        )),
        _ => Ok(()),
    }
}

/// Checks the places a record names, when it is new or they changed: [`check_address`],
/// [`check_report_places`], [`check_order_places`].
pub fn check_record(
    book: &(impl PlaceBook + ?Sized),
    before: Option<&RecordView>,
    after: &RecordView,
) -> Result<(), Refusal> {
    match (after, before) {
        (RecordView::Household(a), Some(RecordView::Household(b)))
            if same_places(&a.address, &b.address) =>
        {
            Ok(())
        }
        (RecordView::Household(a), _) => check_address(book, &a.address),
        (RecordView::Report(a), Some(RecordView::Report(b)))
            if a.grid == b.grid && a.compound == b.compound =>
        {
            Ok(())
        }
        (RecordView::Report(a), _) => check_report_places(book, &a.grid, &a.compound),
        (RecordView::Order(a), Some(RecordView::Order(b)))
            if a.compound == b.compound && a.company == b.company =>
        {
            Ok(())
        }
        (RecordView::Order(a), _) => check_order_places(book, &a.compound, &a.company),
    }
}

/// Whether two addresses name the same community, grid, compound and building (unit and room
/// are the household's own to say).
fn same_places(
    a: &crate::records::household::Address,
    b: &crate::records::household::Address,
) -> bool {
    (&a.community, &a.grid, &a.compound, &a.building)
        == (&b.community, &b.grid, &b.compound, &b.building)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::household::Address;

    fn book() -> Vec<ReferenceItem> {
        use ReferenceKind::*;
        vec![
            ReferenceItem::new(Community, "C01", None, "阳光社区"),
            ReferenceItem::new(Community, "C02", None, "和平社区"),
            ReferenceItem::new(Grid, "G1", Some("C01"), "第一网格"),
            ReferenceItem::new(Grid, "G2", Some("C01"), "第二网格"),
            ReferenceItem::new(Grid, "H1", Some("C02"), "第一网格"),
            ReferenceItem::new(Compound, "Q1", Some("C01"), "阳光花园")
                .in_grid("G1")
                .served_by("P01"),
            ReferenceItem::new(Compound, "Q9", Some("C02"), "和平里").in_grid("H1"),
            // Split between two grids: the buildings say which.
            ReferenceItem::new(Compound, "QS", Some("C01"), "大院"),
            ReferenceItem::new(Building, "B1", Some("Q1"), "1号楼"),
            ReferenceItem::new(Building, "S1", Some("QS"), "1号楼").in_grid("G1"),
            ReferenceItem::new(Building, "S2", Some("QS"), "2号楼").in_grid("G2"),
            ReferenceItem::new(Building, "Z1", Some("Q9"), "1号楼"),
        ]
    }

    fn address(c: &str, g: &str, q: &str, b: &str) -> Address {
        Address {
            community: c.into(),
            grid: g.into(),
            compound: q.into(),
            building: b.into(),
            unit: "1".into(),
            room: "101".into(),
        }
    }

    fn code(r: Result<(), Refusal>) -> String {
        r.err().map(|r| r.code()).unwrap_or_default()
    }

    #[test]
    fn an_address_agrees_with_the_reference_data_or_is_refused() {
        let b = book();
        let b = b.as_slice();
        assert_eq!(
            code(check_address(b, &address("C01", "G1", "Q1", "B1"))),
            ""
        );
        assert_eq!(
            code(check_address(b, &address("C01", "G1", "QS", "S1"))),
            ""
        );
        assert_eq!(
            code(check_address(b, &address("C01", "G2", "QS", "S2"))),
            ""
        );
        // Another community's compound in one's own grid: the attack this rule exists for.
        assert_eq!(
            code(check_address(b, &address("C01", "G1", "Q9", "Z1"))),
            "place.not_in"
        );
        // The building of one half of a split compound in the other half's grid.
        assert_eq!(
            code(check_address(b, &address("C01", "G1", "QS", "S2"))),
            "place.not_in"
        );
        // A building of another compound.
        assert_eq!(
            code(check_address(b, &address("C01", "G1", "Q1", "S1"))),
            "place.not_in"
        );
        // A grid of another community.
        assert_eq!(
            code(check_address(b, &address("C01", "H1", "Q1", "B1"))),
            "place.not_in"
        );
        for (c, g, q, bl) in [
            ("C99", "G1", "Q1", "B1"),
            ("C01", "G9", "Q1", "B1"),
            ("C01", "G1", "Q7", "B1"),
            ("C01", "G1", "Q1", "B7"),
            ("C01", "G1", "Q1", ""),
        ] {
            assert_eq!(
                code(check_address(b, &address(c, g, q, bl))),
                "place.unknown"
            );
        }
    }

    #[test]
    fn a_report_compound_must_lie_in_its_grid() {
        let b = book();
        let b = b.as_slice();
        assert_eq!(code(check_report_places(b, "G1", "")), "");
        assert_eq!(code(check_report_places(b, "G1", "Q1")), "");
        assert_eq!(code(check_report_places(b, "G2", "QS")), "");
        assert_eq!(code(check_report_places(b, "G1", "Q9")), "place.not_in");
        assert_eq!(code(check_report_places(b, "G2", "Q1")), "place.not_in");
        assert_eq!(code(check_report_places(b, "G7", "")), "place.unknown");
    }

    #[test]
    fn an_order_goes_to_the_company_serving_its_compound() {
        let b = book();
        let b = b.as_slice();
        assert_eq!(code(check_order_places(b, "Q1", "P01")), "");
        assert_eq!(
            code(check_order_places(b, "Q1", "P02")),
            "order.wrong_company"
        );
        // No company on record for the compound: the inspector's choice stands.
        assert_eq!(code(check_order_places(b, "Q9", "P02")), "");
        assert_eq!(code(check_order_places(b, "Q0", "P01")), "place.unknown");
    }
}
