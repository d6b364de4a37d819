//! From camera bytes to the JPEGs that travel. Pure: bytes in, bytes out, no I/O.
//!
//! First the format is recognised from its magic bytes and its header read, and the picture is
//! refused unless a phone can afford it ([`super::limits`]): nothing proportional to the claimed
//! size is allocated before that. JPEGs are then decoded by jpeg-decoder at the smallest DCT
//! scale (1/8, 1/4, 1/2 or 1) that still covers the target size, so a 12-megapixel photo never
//! exists in memory at full size, with the colour model chosen as libjpeg chooses it (CMYK and
//! YCCK, Adobe-inverted or not); other formats go through `image` with its allocation limit set.
//! Transparency is composited onto white, the long edge scaled down, the EXIF orientation
//! applied, and a JPEG encoded with no metadata at all.

use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, RgbImage};

use super::PhotoOptions;
use super::convert::{flatten_onto_white, jpeg_to_rgb, shrink};
use super::limits::{JpegHeader, check_memory, check_size, too_much_memory};
pub use super::problem::PhotoProblem;

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

/// Processes camera bytes, or refuses them with a [`PhotoProblem`] a worker can act on.
pub fn process(bytes: &[u8], options: &PhotoOptions) -> Result<Processed, PhotoProblem> {
    if bytes.is_empty() {
        return Err(PhotoProblem::Empty);
    }
    if bytes.len() as u64 > options.max_file_bytes {
        return Err(PhotoProblem::FileTooLarge {
            megabytes: (bytes.len() as u64).div_ceil(1 << 20),
            max_megabytes: options.max_file_bytes >> 20,
        });
    }
    if let Some(format) = unsupported_format(bytes) {
        return Err(PhotoProblem::UnsupportedFormat {
            format: format.into(),
        });
    }
    let (image, orientation) = if bytes.starts_with(&[0xFF, 0xD8]) {
        decode_jpeg(bytes, options)?
    } else {
        decode_other(bytes, options)?
    };
    // Turned upright after scaling: the same picture, but rotating a small one costs little
    // (the long edge, which scaling keeps to, is the same either way up).
    let mut full = DynamicImage::ImageRgb8(scale_to(image, options.long_edge));
    full.apply_orientation(orientation);
    let full = full.into_rgb8();
    let size = (full.width(), full.height());
    let thumb = scale_to(full.clone(), options.thumb_edge);
    Ok(Processed {
        full: encode(&full, options.quality)?,
        size,
        thumb_size: (thumb.width(), thumb.height()),
        thumb: encode(&thumb, options.quality)?,
    })
}

/// Formats a phone or office hands over that the core does not decode: HEIC/HEIF/AVIF (ISO
/// base media files whose `ftyp` brand names them) and PDF.
fn unsupported_format(bytes: &[u8]) -> Option<&'static str> {
    if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        return Some(match &bytes[8..12] {
            b"avif" | b"avis" => "AVIF",
            _ => "HEIC",
        });
    }
    if bytes.starts_with(b"%PDF") {
        return Some("PDF");
    }
    None
}

/// A decoded picture as 8-bit RGB, and how to turn it upright.
type Decoded = (RgbImage, Orientation);

fn undecodable(e: impl std::fmt::Display) -> PhotoProblem {
    PhotoProblem::Undecodable {
        reason: e.to_string(),
    }
}

fn decode_jpeg(bytes: &[u8], options: &PhotoOptions) -> Result<Decoded, PhotoProblem> {
    let header = JpegHeader::read(bytes)?;
    let (w, h) = (header.width, header.height);
    check_size(w, h, options)?;
    check_memory(w, h, header.decode_bytes(options.long_edge), options)?;
    if header.too_short() {
        return Err(PhotoProblem::Truncated {
            width: w,
            height: h,
        });
    }
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    if let Some(transform) = header.color_transform() {
        decoder.set_color_transform(transform);
    }
    // The second fence: jpeg-decoder checks its output buffer against this.
    decoder.set_max_decoding_buffer_size(
        usize::try_from(options.max_decode_bytes).unwrap_or(usize::MAX),
    );
    let jpeg_error = |e: jpeg_decoder::Error| match e {
        jpeg_decoder::Error::Unsupported(feature) => PhotoProblem::UnsupportedFormat {
            format: format!("JPEG ({})", unsupported_jpeg(&feature)),
        },
        jpeg_decoder::Error::Format(m) if m.contains("exceeds maximum allowed size") => {
            too_much_memory(w, h, options)
        }
        e => undecodable(e),
    };
    decoder.read_info().map_err(jpeg_error)?;
    if !header.lossless && w.max(h) > options.long_edge {
        let (tw, th) = header.target(options.long_edge);
        decoder.scale(tw, th).map_err(jpeg_error)?;
    }
    let pixels = decoder.decode().map_err(jpeg_error)?;
    let orientation = decoder.exif_data().and_then(orientation_from_exif);
    let info = decoder.info().ok_or_else(|| undecodable("no JPEG frame"))?;
    let rgb = jpeg_to_rgb(
        pixels,
        info.pixel_format,
        header.precision,
        header.inverted_cmyk(),
    );
    let image = RgbImage::from_raw(u32::from(info.width), u32::from(info.height), rgb)
        .ok_or_else(|| undecodable("the decoder returned too few pixels"))?;
    Ok((image, orientation.unwrap_or(Orientation::NoTransforms)))
}

/// A JPEG feature jpeg-decoder does not decode, as a worker's support person would name it.
fn unsupported_jpeg(feature: &jpeg_decoder::UnsupportedFeature) -> String {
    use jpeg_decoder::UnsupportedFeature as U;
    match feature {
        U::Hierarchical => "hierarchical".into(),
        U::ArithmeticEntropyCoding => "arithmetic coding".into(),
        U::SamplePrecision(bits) => format!("{bits}-bit"),
        U::ComponentCount(n) => format!("{n} colour components"),
        other => format!("{other:?}"),
    }
}

/// PNG, WebP, GIF, BMP and TIFF through `image`. Making the decoder reads only the header;
/// the claimed size and the buffer it needs are judged before any pixel is decoded, and the
/// decoder gets the memory limit for what it allocates on the way (a GIF frame larger than its
/// screen, PNG and TIFF intermediate buffers).
fn decode_other(bytes: &[u8], options: &PhotoOptions) -> Result<Decoded, PhotoProblem> {
    let format = image::guess_format(bytes).map_err(|_| PhotoProblem::NotAnImage)?;
    if !matches!(
        format,
        ImageFormat::Png
            | ImageFormat::WebP
            | ImageFormat::Gif
            | ImageFormat::Bmp
            | ImageFormat::Tiff
    ) {
        return Err(PhotoProblem::UnsupportedFormat {
            format: format_name(format),
        });
    }
    let mut limits = image::Limits::no_limits();
    limits.max_alloc = Some(options.max_decode_bytes);
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    reader.limits(limits.clone());
    let mut decoder = reader
        .into_decoder()
        .map_err(image_error(format, 0, 0, options))?;
    let (w, h) = decoder.dimensions();
    check_size(w, h, options)?;
    if format == ImageFormat::Gif && gif_too_short(bytes.len() as u64, w, h) {
        return Err(PhotoProblem::Truncated {
            width: w,
            height: h,
        });
    }
    // The decoded buffer, plus the 8-bit RGB(A) copy made from anything not already 8-bit.
    let color = decoder.color_type();
    let pixels = u64::from(w) * u64::from(h);
    let copy = match color {
        image::ColorType::Rgb8 | image::ColorType::Rgba8 => 0,
        c if c.has_alpha() => pixels * 4,
        _ => pixels * 3,
    };
    check_memory(w, h, decoder.total_bytes().saturating_add(copy), options)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    // What the decoder may allocate besides the picture itself (`image`'s TIFF decoder takes
    // its picture buffer off the limit itself).
    if format != ImageFormat::Tiff {
        limits
            .reserve(decoder.total_bytes())
            .map_err(image_error(format, w, h, options))?;
    }
    limits.max_image_width = Some(options.max_side);
    limits.max_image_height = Some(options.max_side);
    decoder
        .set_limits(limits)
        .map_err(image_error(format, w, h, options))?;
    let image = DynamicImage::from_decoder(decoder).map_err(image_error(format, w, h, options))?;
    Ok((flatten_onto_white(image), orientation))
}

/// Whether a GIF is too short to fill its screen. An LZW code has at least 2 bits and stands
/// for at most 4,096 pixels (the dictionary's longest entry), so a byte fills at most 16,384
/// pixels. A shorter GIF is cut off, or a tiny frame on a huge screen (35 bytes claiming
/// 7,000 × 7,000 took 200 MB and seconds to paint): `image` allocates and paints the whole
/// screen whatever the frame covers.
fn gif_too_short(len: u64, w: u32, h: u32) -> bool {
    len.saturating_mul(16_384) < u64::from(w) * u64::from(h)
}

/// `image`'s errors as problems: its limits as the memory refusal, what it was built without
/// as an unsupported format, everything else as damage.
fn image_error(
    format: ImageFormat,
    w: u32,
    h: u32,
    options: &PhotoOptions,
) -> impl Fn(image::ImageError) -> PhotoProblem + '_ {
    move |e| match e {
        image::ImageError::Limits(_) => too_much_memory(w, h, options),
        image::ImageError::Unsupported(u) => {
            tracing::info!(error = %u, "photo in an unsupported variant of its format");
            PhotoProblem::UnsupportedFormat {
                format: format_name(format),
            }
        }
        e => undecodable(e),
    }
}

/// A format's name as people write it (`PNG`, `WEBP`, `TIFF`).
fn format_name(format: ImageFormat) -> String {
    format!("{format:?}").to_uppercase()
}

/// The orientation tag of raw EXIF data; a malformed EXIF block counts as no tag.
fn orientation_from_exif(exif: &[u8]) -> Option<Orientation> {
    let exif = exif::Reader::new().read_raw(exif.to_vec()).ok()?;
    let field = exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)?;
    let value = field.value.get_uint(0)?;
    Orientation::from_exif(u8::try_from(value).ok()?)
}

/// Scales so the long edge is at most `long_edge`, keeping the aspect ratio (a side never
/// below 1 px, so 1 × 60,000 strips survive). A picture more than twice the target is first
/// shrunk by whole boxes, which is what the JPEG decoder's DCT scaling does for JPEGs.
fn scale_to(mut image: RgbImage, long_edge: u32) -> RgbImage {
    let (w, h) = image.dimensions();
    let long_edge = long_edge.max(1);
    if w.max(h) <= long_edge {
        return image;
    }
    let factor = w.max(h) / long_edge;
    if factor >= 2 {
        image = shrink(&image, factor);
    }
    let (sw, sh) = (u64::from(image.width()), u64::from(image.height()));
    let side = |s: u64, long: u64| ((s * u64::from(long_edge) + long / 2) / long).max(1) as u32;
    let (nw, nh) = if w >= h {
        (long_edge, side(sh, sw))
    } else {
        (side(sw, sh), long_edge)
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
        .map_err(|e| PhotoProblem::Encoding {
            reason: e.to_string(),
        })?;
    Ok(out)
}
