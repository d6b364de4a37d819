//! The roles of the people who use Gridwalk. A record stores the role its events were made in,
//! so the role is part of the records; what each role may do is the rules' business
//! ([`crate::rules::permissions`]).

use serde::{Deserialize, Serialize};
use std::fmt;

/// The roles of the people who use Gridwalk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 网格员: keeps the households of their grids.
    GridWorker,
    /// 物业督查员: inspects compounds and issues rectification orders.
    Inspector,
    /// Property-company staff: answers the orders addressed to their company.
    CompanyStaff,
    /// Street, community or district supervisor: reviews and corrects what was synced.
    Supervisor,
    /// Runs the server: users, grids, reference data.
    Admin,
}

impl Role {
    /// The role's name as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::GridWorker => "grid_worker",
            Role::Inspector => "inspector",
            Role::CompanyStaff => "company_staff",
            Role::Supervisor => "supervisor",
            Role::Admin => "admin",
        }
    }

    /// Parses a role's stored name.
    pub fn parse(s: &str) -> Option<Role> {
        [
            Role::GridWorker,
            Role::Inspector,
            Role::CompanyStaff,
            Role::Supervisor,
            Role::Admin,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }
}

/// The role's English words, from the catalogue.
impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::messages::term(
            "role",
            self.as_str(),
            crate::messages::Lang::En,
        ))
    }
}
