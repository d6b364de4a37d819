//! Scopes: which records a signed-in user may see and write, decided here on the server from
//! the user's role and grants, never from anything the device says.
//!
//! | role | scopes |
//! | --- | --- |
//! | grid worker | the households and reports of their grids; the orders and reports of the compounds in them |
//! | supervisor | every grid and compound of their communities (and grids they are given) |
//! | admin | every grid and compound |
//! | inspector | the orders and reports of every compound of the district (or of the compounds they are given), so they can escalate reports into orders; no households, so never a resident's ID number |
//! | company staff | the orders addressed to their company, nothing else (no reports: a report may be about the company) |
//!
//! A report belongs to `grid:<code>` and, when it is in a compound, `compound:<code>`
//! (`RecordView::scopes`); a grid worker whose grid shares a compound with another grid
//! therefore also receives that compound's reports from the other grid.

use gridwalk_core::records::reference::ReferenceKind;
use gridwalk_core::{Role, Store};

use crate::accounts::Session;

/// The scope keys of a session, sorted: `grid:<code>` (households and reports),
/// `compound:<code>` (orders and reports) and `company:<code>` (orders).
pub fn scopes_of(session: &Session, store: &Store) -> gridwalk_core::Result<Vec<String>> {
    let granted = |kind: &'static str| {
        session
            .grants
            .iter()
            .filter(move |g| g.kind == kind)
            .map(|g| g.value.clone())
    };
    let all = |kind: ReferenceKind| -> gridwalk_core::Result<Vec<(String, Option<String>)>> {
        Ok(store
            .reference_items(kind, None)?
            .into_iter()
            .map(|i| (i.id, i.parent_id))
            .collect())
    };
    let (grids, compounds, companies): (Vec<String>, Vec<String>, Vec<String>) =
        match session.actor.role {
            Role::GridWorker => {
                let grids: Vec<String> = granted("grid").collect();
                let compounds = store.compounds_in_grids(&grids)?;
                (grids, compounds, Vec::new())
            }
            Role::Supervisor => {
                let communities: Vec<String> = granted("community").collect();
                let in_area = |items: Vec<(String, Option<String>)>| -> Vec<String> {
                    items
                        .into_iter()
                        .filter(|(_, p)| p.as_ref().is_some_and(|p| communities.contains(p)))
                        .map(|(id, _)| id)
                        .collect()
                };
                let mut grids = in_area(all(ReferenceKind::Grid)?);
                grids.extend(granted("grid"));
                let mut compounds = in_area(all(ReferenceKind::Compound)?);
                compounds.extend(store.compounds_in_grids(&grids)?);
                (grids, compounds, Vec::new())
            }
            Role::Admin => (
                all(ReferenceKind::Grid)?
                    .into_iter()
                    .map(|(id, _)| id)
                    .collect(),
                all(ReferenceKind::Compound)?
                    .into_iter()
                    .map(|(id, _)| id)
                    .collect(),
                Vec::new(),
            ),
            // One server holds one district: a district inspector sees every compound's orders.
            Role::Inspector => {
                let mut compounds: Vec<String> = granted("compound").collect();
                if granted("district").next().is_some() {
                    compounds.extend(all(ReferenceKind::Compound)?.into_iter().map(|(id, _)| id));
                }
                (Vec::new(), compounds, Vec::new())
            }
            Role::CompanyStaff => (Vec::new(), Vec::new(), granted("company").collect()),
        };
    let mut keys: Vec<String> = grids
        .into_iter()
        .map(|g| format!("grid:{g}"))
        .chain(compounds.into_iter().map(|c| format!("compound:{c}")))
        .chain(companies.into_iter().map(|c| format!("company:{c}")))
        .collect();
    keys.sort();
    keys.dedup();
    Ok(keys)
}
