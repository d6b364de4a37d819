//! Device: removing photo files no record needs any more, so that photos leave the phone with
//! their records (security issue 12, part 5): a worker moved to another grid, or a household
//! re-addressed away, takes its photos off the device with it.
//!
//! A photo is removed when no record on the device refers to it and the server has it
//! (`uploaded`): nothing is lost, and a photo still waiting to go up (its record not yet
//! written or not yet sent) stays. Clean-up runs by itself after a sync forgot records
//! ([`Store::forget_out_of_scope`]) and when a device store opens; never on the server, whose
//! photo folder is the archive.
//!
//! **Against a photo taken in at the same moment.** Each row is deleted, after checking again
//! that it is still unused and uploaded, and its file removed, under the writer lock. Taking a
//! photo in writes its files, then under the same lock writes them again if they are gone and
//! writes its row, marking a photo taken in again as not uploaded until a record refers to it;
//! so clean-up either runs wholly before (and the import puts the files back) or finds the
//! photo in use.

use super::{Store, StoreKind};
use crate::error::{Error, Result};

impl Store {
    /// Device: removes photos no record refers to any more and the server has. Never removes a
    /// photo still referred to, or not yet uploaded. Returns how many photos were removed. Does
    /// nothing on the server.
    pub fn clean_up_photos(&self) -> Result<usize> {
        if self.kind == StoreKind::Server {
            return Ok(0);
        }
        let hashes: Vec<String> = self
            .reader()
            .prepare_cached(
                "SELECT p.hash FROM photo p WHERE p.uploaded = 1
                 AND NOT EXISTS (SELECT 1 FROM photo_ref r WHERE r.hash = p.hash)",
            )
            .and_then(|mut st| st.query_map([], |r| r.get(0))?.collect())
            .map_err(Error::storage("listing photos to clean up"))?;
        if hashes.is_empty() {
            return Ok(0);
        }
        let dir = self.photos_dir();
        let guard = self.writer();
        let mut removed = 0;
        for hash in &hashes {
            // Checked again under the writer lock: a merge may have referred to it meanwhile,
            // or an import taken it in again. The row goes first: a crash in between leaves a
            // stray file, never a dangling row. The file goes before the lock is let go.
            let deleted = guard
                .conn
                .prepare_cached(
                    "DELETE FROM photo WHERE hash = ?1 AND uploaded = 1
                     AND NOT EXISTS (SELECT 1 FROM photo_ref r WHERE r.hash = photo.hash)",
                )
                .and_then(|mut st| st.execute([hash]))
                .map_err(Error::storage("cleaning up photos"))?;
            if deleted > 0 {
                if let Err(e) = std::fs::remove_file(dir.join(hash))
                    && e.kind() != std::io::ErrorKind::NotFound
                {
                    tracing::warn!(photo = %hash, error = %e, "a photo's file could not be removed");
                }
                removed += 1;
            }
        }
        drop(guard);
        if removed > 0 {
            tracing::info!(photos = removed, "removed photos no record refers to");
        }
        Ok(removed)
    }
}
