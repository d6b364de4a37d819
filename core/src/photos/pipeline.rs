//! From camera bytes to the JPEGs that travel. Pure: bytes in, bytes out, no I/O.
//!
//! JPEGs are decoded by jpeg-decoder at the smallest DCT scale (1/8, 1/4, 1/2 or 1) that still
//! covers the target size, so a 12-megapixel photo never exists in memory at full size; other
//! formats go through `image`. Then the EXIF orientation is applied, the long edge scaled down,
//! and a JPEG encoded with no metadata at all.

use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageEncoder, RgbImage};

use super::PhotoOptions;

/// Why a photo cannot be taken in.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoProblem {
    /// A format the core does not decode (HEIC: the platform must convert it first).
    #[error("{0} photos are not supported; the app must convert them to JPEG first")]
    UnsupportedFormat(String),
    /// The bytes are not a readable image.
    #[error("the photo could not be read: {0}")]
    Undecodable(String),
    /// Encoding failed (should not happen for a decoded image).
    #[error("the photo could not be encoded: {0}")]
    Encoding(String),
}

impl PhotoProblem {
    /// The problem as a message with a stable code, in words a worker understands.
    pub fn message(&self) -> crate::messages::Message {
        use crate::messages::Message;
        match self {
            PhotoProblem::UnsupportedFormat(f) => {
                Message::new("photo.unsupported_format").with("format", f)
            }
            PhotoProblem::Undecodable(why) => Message::new("photo.undecodable").with("reason", why),
            PhotoProblem::Encoding(why) => Message::new("photo.encoding").with("reason", why),
        }
    }
}

/// A processed photo: the full JPEG and its thumbnail.
#[derive(Debug, Clone)]
pub struct Processed {
    /// The JPEG that travels.
    pub full: Vec<u8>,
    /// Its width and height.
    pub size: (u32, u32),
    /// The thumbnail JPEG.
    pub thumb: Vec<u8>,
    /// Its width and height.
    pub thumb_size: (u32, u32),
}

/// Processes camera bytes.
pub fn process(bytes: &[u8], options: &PhotoOptions) -> Result<Processed, PhotoProblem> {
    if let Some(format) = unsupported_format(bytes) {
        return Err(PhotoProblem::UnsupportedFormat(format.into()));
    }
    let image = if bytes.starts_with(&[0xFF, 0xD8]) {
        decode_jpeg(bytes, options.long_edge)?
    } else {
        decode_other(bytes)?
    };
    let full = scale_to(image, options.long_edge);
    let size = (full.width(), full.height());
    let thumb = scale_to(DynamicImage::ImageRgb8(full.clone()), options.thumb_edge);
    Ok(Processed {
        full: encode(&full, options.quality)?,
        size,
        thumb_size: (thumb.width(), thumb.height()),
        thumb: encode(&thumb, options.quality)?,
    })
}

/// HEIC/HEIF/AVIF files: ISO base media files whose `ftyp` brand names them.
fn unsupported_format(bytes: &[u8]) -> Option<&'static str> {
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return Some(match &bytes[8..12] {
            b"avif" | b"avis" => "AVIF",
            _ => "HEIC",
        });
    }
    None
}

fn decode_jpeg(bytes: &[u8], long_edge: u32) -> Result<DynamicImage, PhotoProblem> {
    let undecodable = |e: jpeg_decoder::Error| PhotoProblem::Undecodable(e.to_string());
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.read_info().map_err(undecodable)?;
    let info = decoder
        .info()
        .ok_or_else(|| PhotoProblem::Undecodable("no JPEG header".into()))?;
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    if w == 0 || h == 0 {
        return Err(PhotoProblem::Undecodable("the image has no pixels".into()));
    }
    // Ask for the smallest DCT scale whose long edge still reaches the target.
    let long = w.max(h);
    if long > long_edge {
        let want_w = (u64::from(w) * u64::from(long_edge)).div_ceil(u64::from(long)) as u16;
        let want_h = (u64::from(h) * u64::from(long_edge)).div_ceil(u64::from(long)) as u16;
        decoder
            .scale(want_w.max(1), want_h.max(1))
            .map_err(undecodable)?;
    }
    let orientation = decoder.exif_data().and_then(orientation_from_exif);
    let pixels = decoder.decode().map_err(undecodable)?;
    let info = decoder
        .info()
        .ok_or_else(|| PhotoProblem::Undecodable("no JPEG header".into()))?;
    let (w, h) = (u32::from(info.width), u32::from(info.height));
    let rgb: Vec<u8> = match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => pixels,
        jpeg_decoder::PixelFormat::L8 => pixels.iter().flat_map(|&l| [l, l, l]).collect(),
        jpeg_decoder::PixelFormat::L16 => pixels
            .chunks_exact(2)
            .flat_map(|c| [c[0], c[0], c[0]])
            .collect(),
        jpeg_decoder::PixelFormat::CMYK32 => pixels
            .chunks_exact(4)
            .flat_map(|p| {
                let k = u16::from(p[3]);
                [p[0], p[1], p[2]].map(|c| ((u16::from(c) * k) / 255) as u8)
            })
            .collect(),
    };
    let image = RgbImage::from_raw(w, h, rgb)
        .ok_or_else(|| PhotoProblem::Undecodable("the decoder returned too few pixels".into()))?;
    let mut image = DynamicImage::ImageRgb8(image);
    if let Some(o) = orientation {
        image.apply_orientation(o);
    }
    Ok(image)
}

fn decode_other(bytes: &[u8]) -> Result<DynamicImage, PhotoProblem> {
    use image::ImageDecoder;
    let reader = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| PhotoProblem::Undecodable(e.to_string()))?;
    let mut decoder = reader
        .into_decoder()
        .map_err(|e| PhotoProblem::Undecodable(e.to_string()))?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder)
        .map_err(|e| PhotoProblem::Undecodable(e.to_string()))?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// The orientation tag of raw EXIF data; a malformed EXIF block counts as no tag.
fn orientation_from_exif(exif: &[u8]) -> Option<Orientation> {
    let exif = exif::Reader::new().read_raw(exif.to_vec()).ok()?;
    let field = exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)?;
    let value = field.value.get_uint(0)?;
    Orientation::from_exif(u8::try_from(value).ok()?)
}

fn scale_to(image: DynamicImage, long_edge: u32) -> RgbImage {
    let (w, h) = (image.width(), image.height());
    let image = image.into_rgb8();
    if w.max(h) <= long_edge {
        return image;
    }
    let (nw, nh) = if w >= h {
        (
            long_edge,
            ((u64::from(h) * u64::from(long_edge) + u64::from(w) / 2) / u64::from(w)).max(1) as u32,
        )
    } else {
        (
            ((u64::from(w) * u64::from(long_edge) + u64::from(h) / 2) / u64::from(h)).max(1) as u32,
            long_edge,
        )
    };
    image::imageops::resize(&image, nw, nh, FilterType::Triangle)
}

fn encode(image: &RgbImage, quality: u8) -> Result<Vec<u8>, PhotoProblem> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality.clamp(1, 100))
        .write_image(
            image.as_raw(),
            image.width(),
            image.height(),
            image::ExtendedColorType::Rgb8,
        )
        .map_err(|e| PhotoProblem::Encoding(e.to_string()))?;
    Ok(out)
}
