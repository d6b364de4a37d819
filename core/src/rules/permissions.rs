//! Who may change what. Scopes (which records a user may see at all) are decided by the server
//! from the signed-in user; this module decides, for a record in scope, which fields a role may
//! write.

use serde::{Deserialize, Serialize};
use std::fmt;

use super::Refusal;

pub use crate::records::role::Role;

/// Who is making a change: the signed-in user of a device, or of the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The user's id (their login name).
    pub user_id: String,
    /// Their role.
    pub role: Role,
    /// For property-company staff: the company they answer for.
    #[serde(default)]
    pub company: Option<String>,
}

impl Actor {
    /// An actor with the given user id and role.
    pub fn new(user_id: impl Into<String>, role: Role) -> Self {
        Actor {
            user_id: user_id.into(),
            role,
            company: None,
        }
    }

    /// A property-company staff member answering for `company`.
    pub fn company_staff(user_id: impl Into<String>, company: impl Into<String>) -> Self {
        Actor {
            company: Some(company.into()),
            ..Actor::new(user_id, Role::CompanyStaff)
        }
    }
}

/// The fields of a household a change can touch, at the granularity permissions care about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Field {
    /// Creating the household at all.
    NewHousehold,
    /// The standard address (community, grid, compound, building, unit, room).
    Address,
    /// House use (owner-occupied, rented, …).
    HouseUse,
    /// Free-text notes.
    Notes,
    /// Adding a resident.
    NewResident,
    /// A resident's name.
    ResidentName,
    /// A resident's ID number.
    ResidentIdNumber,
    /// A resident's phone.
    ResidentPhone,
    /// Relation to the head of household.
    ResidentRelation,
    /// Registration type (户籍, 流动, …).
    ResidentRegistration,
    /// Special-group tags.
    ResidentTags,
    /// Moved out or not.
    ResidentMovedOut,
    /// Appending a visit.
    NewVisit,
    /// Sending a visit back ("has issues").
    Review,
}

impl Field {
    /// The field's term code in the message catalogue (`field.<code>`).
    pub fn as_str(self) -> &'static str {
        match self {
            Field::NewHousehold => "new_household",
            Field::Address => "address",
            Field::HouseUse => "house_use",
            Field::Notes => "notes",
            Field::NewResident => "new_resident",
            Field::ResidentName => "resident_name",
            Field::ResidentIdNumber => "resident_id_number",
            Field::ResidentPhone => "resident_phone",
            Field::ResidentRelation => "resident_relation",
            Field::ResidentRegistration => "resident_registration",
            Field::ResidentTags => "resident_tags",
            Field::ResidentMovedOut => "resident_moved_out",
            Field::NewVisit => "new_visit",
            Field::Review => "review",
        }
    }
}

/// The field's English words, from the catalogue.
impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::messages::term(
            "field",
            self.as_str(),
            crate::messages::Lang::En,
        ))
    }
}

/// Whether `role` may change `field` of a household in its scope.
///
/// Grid workers keep their households but do not move them: an address is the key every list
/// and every scope hangs on, so re-addressing is a supervisor's decision. Inspectors and
/// company staff work on compounds and orders, never on residents.
pub fn may_change_household(role: Role, field: Field) -> Result<(), Refusal> {
    let allowed = match role {
        Role::Supervisor | Role::Admin => true,
        Role::GridWorker => !matches!(field, Field::Address | Field::Review),
        Role::Inspector | Role::CompanyStaff => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(Refusal::NotPermitted { role, field })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_workers_keep_households_but_do_not_move_them() {
        assert!(may_change_household(Role::GridWorker, Field::ResidentPhone).is_ok());
        assert!(may_change_household(Role::GridWorker, Field::NewVisit).is_ok());
        assert_eq!(
            may_change_household(Role::GridWorker, Field::Address),
            Err(Refusal::NotPermitted {
                role: Role::GridWorker,
                field: Field::Address
            })
        );
        assert!(may_change_household(Role::Supervisor, Field::Address).is_ok());
    }

    #[test]
    fn inspectors_and_companies_never_write_households() {
        for field in [Field::NewHousehold, Field::ResidentName, Field::NewVisit] {
            assert!(may_change_household(Role::Inspector, field).is_err());
            assert!(may_change_household(Role::CompanyStaff, field).is_err());
        }
    }

    #[test]
    fn roles_round_trip_their_names() {
        for r in [
            Role::GridWorker,
            Role::Inspector,
            Role::CompanyStaff,
            Role::Supervisor,
            Role::Admin,
        ] {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }
}
