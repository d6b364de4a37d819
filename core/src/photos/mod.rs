//! Photos: evidence from the camera file to every device that may see it (DESIGN.md, "Photos").
//!
//! [`pipeline`] turns a camera file into what travels: upright, scaled, re-encoded without EXIF
//! (so no hidden GPS), plus a thumbnail, both named by their SHA-256. The store keeps them as
//! files with a row each ([`crate::store::photos`]); records refer to them by hash.
//!
//! Photos come from phones, scanners and office tools, and some are hostile: [`limits`] decides
//! from the header alone, before any pixel buffer exists, whether a picture is one a phone can
//! afford to decode, and [`problem`] says why one is refused.

mod convert;
pub mod limits;
pub mod pipeline;
pub mod problem;

use serde::{Deserialize, Serialize};

pub use crate::records::photo_ref::PhotoRef;

/// How photos are scaled and encoded, and the limits a photo must keep to be decoded at all
/// (see [`limits`] for why each default is what it is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoOptions {
    /// Long edge of the photo that travels, in pixels.
    pub long_edge: u32,
    /// Long edge of the thumbnail.
    pub thumb_edge: u32,
    /// JPEG quality, 1–100.
    pub quality: u8,
    /// The most pixels (width × height, as the header claims) a photo may have.
    #[serde(default = "limits::default_max_pixels")]
    pub max_pixels: u64,
    /// The longest side a photo may have, in pixels.
    #[serde(default = "limits::default_max_side")]
    pub max_side: u32,
    /// The most memory, in bytes, decoding one photo may need (also given to the decoders as
    /// their allocation limit).
    #[serde(default = "limits::default_max_decode_bytes")]
    pub max_decode_bytes: u64,
    /// The largest photo file, in bytes, that is read into memory.
    #[serde(default = "limits::default_max_file_bytes")]
    pub max_file_bytes: u64,
}

impl Default for PhotoOptions {
    fn default() -> Self {
        PhotoOptions {
            long_edge: 1600,
            thumb_edge: 320,
            quality: 80,
            max_pixels: limits::MAX_PIXELS,
            max_side: limits::MAX_SIDE,
            max_decode_bytes: limits::MAX_DECODE_BYTES,
            max_file_bytes: limits::MAX_FILE_BYTES,
        }
    }
}

/// Why a photo file could not be read into memory.
#[derive(Debug)]
pub(crate) enum ReadProblem {
    /// The file system refused.
    Io(std::io::Error),
    /// The file is over the size limit.
    Photo(problem::PhotoProblem),
}

/// Reads a photo file, refusing one over `max` bytes before reading it: a hostile or mistaken
/// pick (a video, a disk image) must not be read whole into a phone's memory. A file that grows
/// while it is read is cut at `max + 1` bytes, which the pipeline refuses.
pub(crate) fn read_limited(path: &std::path::Path, max: u64) -> Result<Vec<u8>, ReadProblem> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(ReadProblem::Io)?;
    let len = file.metadata().map_err(ReadProblem::Io)?.len();
    if len > max {
        return Err(ReadProblem::Photo(problem::PhotoProblem::FileTooLarge {
            megabytes: len.div_ceil(1 << 20),
            max_megabytes: max >> 20,
        }));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadProblem::Io)?;
    Ok(bytes)
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
