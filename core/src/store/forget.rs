//! Device: forgetting records that have left the user's scopes.
//!
//! Resident records are personal data: a worker moved to another grid must stop carrying the
//! old grid's households, and a household re-addressed to another grid must leave the old grid's
//! phones. The server tells the device its scopes on every sync (the cursors it sends back are
//! exactly those); after a sync that pulled something or lost a scope, the records that belong
//! to none of the device's scopes are deleted with their lists. A record with changes the server
//! has not taken yet is kept: forgetting it would lose the worker's work; the server refuses it
//! as out of scope instead, and the app shows that. The forgotten records' photos are removed
//! with them (`photo_cleanup`).

use std::collections::BTreeSet;

use super::{ChangeEvent, Origin, Store, documents, projection};
use crate::error::{Error, Result};
use crate::ids::RecordId;
use crate::records::RecordKind;
use crate::records::view::RecordView;

impl Store {
    /// Device: deletes every record, with its list rows, that belongs to none of `scopes` and
    /// has nothing waiting to be uploaded; returns their ids. One transaction: a crash leaves
    /// all of them or none. Subscribers hear of them as merged changes.
    pub fn forget_out_of_scope(&self, scopes: &BTreeSet<String>) -> Result<Vec<RecordId>> {
        let err = || Error::storage("forgetting records out of scope");
        let forgotten = {
            let mut guard = self.writer();
            let w = &mut *guard;
            let tx = w.conn.transaction().map_err(err())?;
            // Candidates from the lists, so that a sync does not read every document; each is
            // then judged by its document's own scopes, the rule the server applies.
            let listed: Vec<(String, String, Option<String>)> = tx
                .prepare(
                    "SELECT h.id, 'grid:' || h.grid_id, NULL FROM household h
                     UNION ALL SELECT o.id, 'compound:' || o.compound_id, 'company:' || o.company_id
                         FROM work_order o
                     UNION ALL SELECT r.id, 'grid:' || r.grid_id,
                         CASE WHEN r.compound_id = '' THEN NULL ELSE 'compound:' || r.compound_id END
                         FROM report r",
                )
                .and_then(|mut st| {
                    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                        .collect()
                })
                .map_err(err())?;
            let candidates = listed.into_iter().filter(|(_, a, b)| {
                !scopes.contains(a) && !b.as_ref().is_some_and(|b| scopes.contains(b))
            });
            let mut settled = tx
                .prepare_cached("SELECT acked_heads IS heads FROM document WHERE id = ?1")
                .map_err(err())?;
            let mut forgotten = Vec::new();
            for (id, _, _) in candidates {
                if !settled
                    .query_row([&id], |r| r.get::<_, bool>(0))
                    .map_err(err())?
                {
                    continue;
                }
                let id = RecordId::from_string(id);
                let Some(d) = documents::load(&tx, &id, &w.actor)? else {
                    continue;
                };
                let Some(kind) = RecordKind::parse(&d.kind) else {
                    continue;
                };
                let view = RecordView::read(kind, &d.doc, &id)?;
                if view.scopes().iter().any(|s| scopes.contains(s)) {
                    continue;
                }
                projection::delete_record(&tx, &id)?;
                forgotten.push((id, kind));
            }
            drop(settled);
            tx.commit().map_err(err())?;
            forgotten
        };
        if !forgotten.is_empty() {
            tracing::info!(
                records = forgotten.len(),
                "forgot records that left this user's scopes"
            );
            self.listeners.notify(ChangeEvent {
                records: forgotten.clone(),
                origin: Origin::Merged,
            });
            // Their photos go with them, unless another record still refers to one or it is
            // still waiting to go up.
            self.clean_up_photos()?;
        }
        Ok(forgotten.into_iter().map(|(id, _)| id).collect())
    }
}
