//! Photos in a sync: uploads of the device's photos once the server has their records,
//! thumbnails downloaded eagerly, full photos when opened (DESIGN.md, "Photos"). After the
//! server was restored, a photo it confirmed before is asked about (`HEAD`) before its bytes
//! go up again (`sync::heal`).

use std::sync::Arc;

use serde::Deserialize;

use super::{
    PHOTO_MISSING, PHOTO_REFUSED, SyncClient, SyncProgress, SyncReport, blocking, check, network,
};
use crate::error::{Error, Result};
use crate::store::Store;
use crate::store::photos::{PhotoRole, PhotoState, UploadBlock};
use crate::sync::wire::RefusedRecord;
use crate::time::Timestamp;

impl SyncClient {
    /// Uploads every photo whose record the server has, until the server confirms its hash.
    /// A photo the server refuses, or whose file is gone, is set aside and reported, so it
    /// neither fails this sync nor is tried on every later one.
    pub(super) async fn upload_photos(
        &self,
        store: &Arc<Store>,
        token: &str,
        report: &mut SyncReport,
        on_progress: &(dyn Fn(&SyncProgress) + Send + Sync),
    ) -> Result<()> {
        let s = store.clone();
        let (hashes, to_check) =
            blocking(move || Ok((s.photos_to_upload()?, s.photos_to_check()?))).await?;
        for hash in hashes {
            // Confirmed before the server was restored: ask whether it still has the photo
            // before sending the bytes again.
            if to_check.contains(&hash) && self.server_has_photo(token, &hash).await? {
                let s = store.clone();
                blocking(move || s.mark_photo_uploaded(&hash)).await?;
                continue;
            }
            let s = store.clone();
            let h = hash.clone();
            let Some(bytes) = blocking(move || s.photo_bytes(&h)).await? else {
                tracing::warn!(
                    photo = %hash,
                    "a photo's file is missing on this device; it cannot be uploaded"
                );
                self.block_photo(
                    store,
                    report,
                    &hash,
                    UploadBlock::Missing,
                    PHOTO_MISSING,
                    "the photo's file is missing on this device",
                )
                .await?;
                on_progress(&report.progress);
                continue;
            };
            let len = bytes.len() as u64;
            let resp = self
                .http
                .put(format!("{}/v1/photos/{hash}", self.base_url))
                .bearer_auth(token)
                .header(reqwest::header::CONTENT_TYPE, "image/jpeg")
                .body(upload_body(bytes))
                .send()
                .await
                .map_err(network)?;
            let resp = match check(resp).await {
                Ok(resp) => resp,
                // Not a passing fault: no record the server has in this user's scopes refers to
                // the photo (its record's change was refused, or moved out of scope). Trying
                // again on every sync would fail the same way.
                Err(Error::Server {
                    status: status @ (403 | 404),
                    code,
                    message,
                    ..
                }) => {
                    tracing::warn!(photo = %hash, status, code, message, "the server refused a photo");
                    self.block_photo(
                        store,
                        report,
                        &hash,
                        UploadBlock::Refused,
                        PHOTO_REFUSED,
                        &message,
                    )
                    .await?;
                    on_progress(&report.progress);
                    continue;
                }
                Err(e) => return Err(e),
            };
            let confirmed: StoredPhoto = resp.json().await.map_err(network)?;
            // Only the server's own hash of what it stored counts as a confirmation.
            if confirmed.hash != hash {
                return Err(Error::PhotoHashMismatch {
                    expected: hash,
                    actual: confirmed.hash,
                });
            }
            let s = store.clone();
            blocking(move || s.mark_photo_uploaded(&hash)).await?;
            report.progress.photos_up += 1;
            report.progress.bytes_up += len;
            on_progress(&report.progress);
        }
        Ok(())
    }

    /// Whether the server has a photo (`HEAD`): only a 200 counts as yes.
    async fn server_has_photo(&self, token: &str, hash: &str) -> Result<bool> {
        let resp = self
            .http
            .head(format!("{}/v1/photos/{hash}", self.base_url))
            .bearer_auth(token)
            .send()
            .await
            .map_err(network)?;
        Ok(resp.status() == reqwest::StatusCode::OK)
    }

    /// Sets a photo's upload aside and reports it against every record that refers to it.
    async fn block_photo(
        &self,
        store: &Arc<Store>,
        report: &mut SyncReport,
        hash: &str,
        block: UploadBlock,
        code: &str,
        reason: &str,
    ) -> Result<()> {
        let s = store.clone();
        let (h, r) = (hash.to_owned(), reason.to_owned());
        let records = blocking(move || s.mark_photo_blocked(&h, block, &r)).await?;
        report
            .refused
            .extend(records.into_iter().map(|id| RefusedRecord {
                id,
                code: code.to_owned(),
                reason: format!("photo {hash}: {reason}"),
                message: Some(
                    crate::messages::Message::new(&format!("sync.{code}")).with("photo", hash),
                ),
            }));
        Ok(())
    }

    /// Downloads the thumbnails of every photo the device's records refer to, except those the
    /// server did not give recently: each miss is remembered with a growing wait, so an idle
    /// sync stays one round trip.
    pub(super) async fn download_thumbnails(
        &self,
        store: &Arc<Store>,
        token: &str,
        report: &mut SyncReport,
        on_progress: &(dyn Fn(&SyncProgress) + Send + Sync),
    ) -> Result<()> {
        let s = store.clone();
        let missing = blocking(move || s.thumbnails_to_download(Timestamp::now())).await?;
        for hash in missing {
            match self.download(store, token, &hash, PhotoRole::Thumb).await {
                Ok(n) => {
                    report.progress.photos_down += 1;
                    report.progress.bytes_down += n;
                    on_progress(&report.progress);
                }
                // Not uploaded by its device yet: it comes with a later sync. Or its record is no
                // longer in this user's scopes: nothing to show, and no reason to fail the sync.
                Err(Error::Server {
                    status: status @ (404 | 403),
                    ..
                }) => {
                    let s = store.clone();
                    blocking(move || s.record_thumbnail_miss(&hash, status, Timestamp::now()))
                        .await?;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Downloads a full photo the worker opened. Returns where it is on the device.
    pub async fn fetch_photo(&self, store: Arc<Store>, hash: &str) -> Result<std::path::PathBuf> {
        let token = self.token.clone().ok_or_else(|| Error::Unauthorized {
            reason: "sign in before downloading photos".into(),
        })?;
        if let PhotoState::Local(path) = store.photo(hash)? {
            return Ok(path);
        }
        self.download(&store, &token, hash, PhotoRole::Full).await?;
        match store.photo(hash)? {
            PhotoState::Local(path) => Ok(path),
            PhotoState::NotDownloaded => Err(Error::PhotoFile {
                path: hash.to_owned(),
                reason: "downloaded but not stored".into(),
            }),
        }
    }

    async fn download(
        &self,
        store: &Arc<Store>,
        token: &str,
        hash: &str,
        role: PhotoRole,
    ) -> Result<u64> {
        let resp = self
            .http
            .get(format!("{}/v1/photos/{hash}", self.base_url))
            .bearer_auth(token)
            .send()
            .await
            .map_err(network)?;
        let bytes = check(resp).await?.bytes().await.map_err(network)?;
        let n = bytes.len() as u64;
        let s = store.clone();
        let h = hash.to_owned();
        // save_photo checks the hash: a damaged download is refused, not kept.
        blocking(move || s.save_photo(&h, role, &bytes, true)).await?;
        Ok(n)
    }
}

/// A photo's bytes as a request body; in the crash tests (feature `failpoints`, point
/// `photo.mid_upload` armed) one that dies half-way through.
fn upload_body(bytes: Vec<u8>) -> reqwest::Body {
    #[cfg(feature = "failpoints")]
    if crate::kill_point::is_armed("photo.mid_upload") {
        return crate::kill_point::body_dying_half_way(bytes, "photo.mid_upload");
    }
    reqwest::Body::from(bytes)
}

/// The server's answer to a stored photo.
#[derive(Debug, Deserialize)]
struct StoredPhoto {
    hash: String,
}
