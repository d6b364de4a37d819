//! Scopes: which records a signed-in user may see and write, decided here on the server from
//! the user's role and grants, never from anything the device says.
//!
//! | role | scopes |
//! | --- | --- |
//! | grid worker | the households of their grids |
//! | supervisor | the households of every grid in their communities (and grids they are given) |
//! | admin | every grid |
//! | inspector, company staff | no households: they work on compounds and orders, and so never receive a resident's ID number |

use gridwalk_core::records::reference::ReferenceKind;
use gridwalk_core::{Role, Store};

use crate::accounts::Session;

/// The scope keys (`grid:<code>`) of a session, sorted.
pub fn scopes_of(session: &Session, store: &Store) -> gridwalk_core::Result<Vec<String>> {
    let granted = |kind: &'static str| {
        session
            .grants
            .iter()
            .filter(move |g| g.kind == kind)
            .map(|g| g.value.clone())
    };
    let mut grids: Vec<String> = match session.actor.role {
        Role::GridWorker => granted("grid").collect(),
        Role::Supervisor => {
            let communities: Vec<String> = granted("community").collect();
            let mut grids: Vec<String> = store
                .reference_items(ReferenceKind::Grid, None)?
                .into_iter()
                .filter(|g| {
                    g.parent_id
                        .as_ref()
                        .is_some_and(|p| communities.contains(p))
                })
                .map(|g| g.id)
                .collect();
            grids.extend(granted("grid"));
            grids
        }
        Role::Admin => store
            .reference_items(ReferenceKind::Grid, None)?
            .into_iter()
            .map(|g| g.id)
            .collect(),
        Role::Inspector | Role::CompanyStaff => Vec::new(),
    };
    grids.sort();
    grids.dedup();
    Ok(grids.into_iter().map(|g| format!("grid:{g}")).collect())
}
