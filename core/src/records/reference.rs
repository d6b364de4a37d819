//! Reference data: the communities, grids, compounds and buildings that addresses point to.
//!
//! Written by the server only; a device keeps a read-only copy so it can show names and offer
//! the right choices offline.

use serde::{Deserialize, Serialize};

/// The levels of the standard address that reference data names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceKind {
    /// 社区: a community, several grids.
    Community,
    /// 网格: a grid, the patch one grid worker keeps.
    Grid,
    /// 小区: a residential compound, under one property company.
    Compound,
    /// 楼栋: a building in a compound.
    Building,
    /// 物业公司: a property company.
    Company,
    /// 事件类别: a category of issue report.
    Category,
}

impl ReferenceKind {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ReferenceKind::Community => "community",
            ReferenceKind::Grid => "grid",
            ReferenceKind::Compound => "compound",
            ReferenceKind::Building => "building",
            ReferenceKind::Company => "company",
            ReferenceKind::Category => "category",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Community,
            Self::Grid,
            Self::Compound,
            Self::Building,
            Self::Company,
            Self::Category,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One named place in the reference data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceItem {
    /// Which level it is.
    pub kind: ReferenceKind,
    /// Its code, as addresses refer to it.
    pub id: String,
    /// The code of the item it belongs to: a grid's and a compound's community, a building's
    /// compound.
    pub parent_id: Option<String>,
    /// Its display name, for example 阳光花园 or 3号楼.
    pub name: String,
    /// For a compound or a building: the grid it lies in. A building without one lies in its
    /// compound's grid; a compound split between grids names none and its buildings each name
    /// theirs. Scopes follow from this, never from what records say (see `rules::places`).
    /// Absent from servers older than layout 13, hence the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid_id: Option<String>,
    /// For a compound: the property company (物业公司) that serves it, to which its
    /// rectification orders are addressed and whose rating they count in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub company_id: Option<String>,
    /// For an issue-report category: the department that handles its reports, as the
    /// district's 权责清单 (list of powers and responsibilities) names it, for example
    /// 区城市管理局. Absent from servers older than schema 18, hence the default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// For an issue-report category: the 处置时限, hours from a report being made to its being
    /// handled, as the 权责清单 gives it (calendar hours: the lists that count working days
    /// are converted when loaded). None: reports of it have no deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_hours: Option<u32>,
}

impl ReferenceItem {
    /// An item with no grid or company: a community, grid, company or category, or a place
    /// whose grid is given by [`ReferenceItem::in_grid`].
    pub fn new(kind: ReferenceKind, id: &str, parent_id: Option<&str>, name: &str) -> Self {
        ReferenceItem {
            kind,
            id: id.to_owned(),
            parent_id: parent_id.map(str::to_owned),
            name: name.to_owned(),
            grid_id: None,
            company_id: None,
            department: None,
            limit_hours: None,
        }
    }

    /// A report category of the 权责清单: handled by `department` within `limit_hours`.
    pub fn category(id: &str, name: &str, department: &str, limit_hours: u32) -> Self {
        ReferenceItem {
            department: Some(department.to_owned()),
            limit_hours: Some(limit_hours),
            ..ReferenceItem::new(ReferenceKind::Category, id, None, name)
        }
    }

    /// The same item, lying in `grid` (compounds and buildings).
    pub fn in_grid(mut self, grid: &str) -> Self {
        self.grid_id = Some(grid.to_owned());
        self
    }

    /// The same compound, served by `company`.
    pub fn served_by(mut self, company: &str) -> Self {
        self.company_id = Some(company.to_owned());
        self
    }
}
