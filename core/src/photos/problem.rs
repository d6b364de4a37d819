//! Why a photo is refused, in terms a grid worker can act on.
//!
//! Every refusal has a stable code (`photo.too_large`, …) and named parameters, so the apps and
//! the supervisors' pages can show it in the worker's language from a message catalogue; the
//! English `Display` text is the fallback and what the logs show.

/// Why a photo cannot be taken in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoProblem {
    /// The file has no bytes at all (a capture that failed, a copy that did not finish).
    #[error("the photo file is empty; please take the photo again")]
    Empty,
    /// The file is larger than a phone should read into memory for one photo.
    #[error(
        "the photo file is too large ({megabytes} MB, at most {max_megabytes} MB); please take \
         the photo again with the phone camera"
    )]
    FileTooLarge {
        /// Size of the file, in MB (rounded up).
        megabytes: u64,
        /// The most a photo file may have, in MB.
        max_megabytes: u64,
    },
    /// The bytes are not a picture in any format the core knows (a document, a video, text).
    #[error("the file is not a photo; please choose a photo or take one with the camera")]
    NotAnImage,
    /// A picture format the core does not decode (HEIC, AVIF: the platform must convert them).
    #[error("{format} photos are not supported; the app must convert them to JPEG first")]
    UnsupportedFormat {
        /// The format, as people know it (`HEIC`, `AVIF`, `PDF`, `JPEG (arithmetic coding)`).
        format: String,
    },
    /// The header says the picture has no pixels (a width or height of 0).
    #[error("the photo is empty ({width}×{height} pixels); please take the photo again")]
    NoPixels {
        /// Width the header claims.
        width: u32,
        /// Height the header claims.
        height: u32,
    },
    /// One side is longer than any camera, panorama or scan makes.
    #[error(
        "the photo is too large ({width}×{height} pixels; a side may have at most {max_side}); \
         please take the photo again with the phone camera"
    )]
    TooLarge {
        /// Width the header claims.
        width: u32,
        /// Height the header claims.
        height: u32,
        /// The longest side allowed.
        max_side: u32,
    },
    /// More pixels than a phone can afford to decode.
    #[error(
        "the photo is too large ({width}×{height} pixels, {megapixels} megapixels; at most \
         {max_megapixels}); please take the photo again with the phone camera"
    )]
    TooManyPixels {
        /// Width the header claims.
        width: u32,
        /// Height the header claims.
        height: u32,
        /// Its pixel count in megapixels (rounded up).
        megapixels: u64,
        /// The most megapixels allowed.
        max_megapixels: u64,
    },
    /// Decoding it would need more memory than a phone can spare (16-bit colour, progressive
    /// JPEG or a frame larger than its picture), though its pixel count is allowed.
    #[error(
        "the photo is too large to open ({width}×{height} pixels would need more than \
         {max_megabytes} MB of memory); please take the photo again with the phone camera"
    )]
    TooMuchMemory {
        /// Width the header claims.
        width: u32,
        /// Height the header claims.
        height: u32,
        /// The memory one photo may use while it is decoded, in MB.
        max_megabytes: u64,
    },
    /// The file is far too short for the picture its header claims: cut off in transfer, or
    /// made to look large.
    #[error(
        "the photo file is incomplete ({width}×{height} pixels claimed, too few bytes); please \
         take the photo again"
    )]
    Truncated {
        /// Width the header claims.
        width: u32,
        /// Height the header claims.
        height: u32,
    },
    /// The bytes look like a picture but cannot be read (damaged).
    #[error("the photo could not be read, it may be damaged; please take it again ({reason})")]
    Undecodable {
        /// What the decoder said (for logs and support, not for the worker).
        reason: String,
    },
    /// Encoding the result failed (should not happen for a decoded picture).
    #[error("the photo could not be saved ({reason}); please try again")]
    Encoding {
        /// What the encoder said.
        reason: String,
    },
}

impl PhotoProblem {
    /// The stable code of this refusal, for message catalogues and the apps (`photo.*`).
    pub fn code(&self) -> &'static str {
        match self {
            PhotoProblem::Empty => "photo.empty",
            PhotoProblem::FileTooLarge { .. } => "photo.file_too_large",
            PhotoProblem::NotAnImage => "photo.not_an_image",
            PhotoProblem::UnsupportedFormat { .. } => "photo.unsupported_format",
            PhotoProblem::NoPixels { .. } => "photo.no_pixels",
            PhotoProblem::TooLarge { .. } => "photo.too_large",
            PhotoProblem::TooManyPixels { .. } => "photo.too_many_pixels",
            PhotoProblem::TooMuchMemory { .. } => "photo.too_much_memory",
            PhotoProblem::Truncated { .. } => "photo.truncated",
            PhotoProblem::Undecodable { .. } => "photo.undecodable",
            PhotoProblem::Encoding { .. } => "photo.encoding",
        }
    }

    /// The problem as a message of the catalogue: [`code`](Self::code) with
    /// [`params`](Self::params).
    pub fn message(&self) -> crate::messages::Message {
        self.params()
            .into_iter()
            .fold(crate::messages::Message::new(self.code()), |m, (k, v)| {
                m.with(k, v)
            })
    }

    /// The named parameters of the message for [`code`](Self::code), as text.
    pub fn params(&self) -> Vec<(&'static str, String)> {
        let size = |w: &u32, h: &u32| vec![("width", w.to_string()), ("height", h.to_string())];
        match self {
            PhotoProblem::Empty | PhotoProblem::NotAnImage => Vec::new(),
            PhotoProblem::FileTooLarge {
                megabytes,
                max_megabytes,
            } => vec![
                ("megabytes", megabytes.to_string()),
                ("max_megabytes", max_megabytes.to_string()),
            ],
            PhotoProblem::UnsupportedFormat { format } => vec![("format", format.clone())],
            PhotoProblem::NoPixels { width, height }
            | PhotoProblem::Truncated { width, height } => size(width, height),
            PhotoProblem::TooLarge {
                width,
                height,
                max_side,
            } => {
                let mut p = size(width, height);
                p.push(("max_side", max_side.to_string()));
                p
            }
            PhotoProblem::TooManyPixels {
                width,
                height,
                megapixels,
                max_megapixels,
            } => {
                let mut p = size(width, height);
                p.push(("megapixels", megapixels.to_string()));
                p.push(("max_megapixels", max_megapixels.to_string()));
                p
            }
            PhotoProblem::TooMuchMemory {
                width,
                height,
                max_megabytes,
            } => {
                let mut p = size(width, height);
                p.push(("max_megabytes", max_megabytes.to_string()));
                p
            }
            PhotoProblem::Undecodable { reason } | PhotoProblem::Encoding { reason } => {
                vec![("reason", reason.clone())]
            }
        }
    }
}
