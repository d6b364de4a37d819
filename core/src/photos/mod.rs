//! Photos: evidence from the camera file to every device that may see it (DESIGN.md, "Photos").
//!
//! [`pipeline`] turns a camera file into what travels: upright, scaled, re-encoded without EXIF
//! (so no hidden GPS), plus a thumbnail, both named by their SHA-256. The store keeps them as
//! files with a row each ([`crate::store::photos`]); records refer to them by hash.

pub mod pipeline;

use serde::{Deserialize, Serialize};

pub use crate::records::photo_ref::PhotoRef;

/// How photos are scaled and encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoOptions {
    /// Long edge of the photo that travels, in pixels.
    pub long_edge: u32,
    /// Long edge of the thumbnail.
    pub thumb_edge: u32,
    /// JPEG quality, 1–100.
    pub quality: u8,
}

impl Default for PhotoOptions {
    fn default() -> Self {
        PhotoOptions {
            long_edge: 1600,
            thumb_edge: 320,
            quality: 80,
        }
    }
}

/// The hex SHA-256 of bytes: how photos are named everywhere.
pub fn content_hash(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether text is a photo name: 64 lower-case hex digits.
pub fn is_content_hash(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
