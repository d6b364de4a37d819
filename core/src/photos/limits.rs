//! What a photo may claim, decided from its header before any pixel buffer is allocated.
//!
//! A picture's header is a promise its bytes need not keep: a 625-byte JPEG can claim
//! 65,500 × 65,500 pixels, and a decoder that believes it allocates gigabytes and then decodes
//! nothing for minutes. So every format's header is read first (JPEG by [`JpegHeader`], the
//! others by their `image` decoder, which reads only the header when it is made), and the
//! claimed size is judged against the limits of [`PhotoOptions`]: sides, pixel count, the memory
//! decoding would need (which depends on format, bit depth and progressive coding, not only on
//! pixels), and for JPEG whether the file is long enough to hold that many pixels at all. The
//! decoders then get the same memory limit as a second fence.

use super::PhotoOptions;
use super::problem::PhotoProblem;

/// The most pixels a photo may claim: 50 megapixels. Phones take 12 MP (binned 48–200 MP
/// sensors still save 12 MP by default) and an A4 page scanned at 600 dpi is 35 MP; beyond 50 MP
/// a picture is a rare full-resolution mode or a bomb, and formats decoded at full size (PNG,
/// WebP, TIFF) would need 150–200 MB of a phone's memory for it.
pub const MAX_PIXELS: u64 = 50_000_000;

/// The longest side a photo may claim: 20,000 pixels. Phone panoramas reach about 16,000 and an
/// A3 scan at 600 dpi 9,921; a longer side is a bomb that keeps its pixel count low (1 × 60,000)
/// while row buffers and resampling work grow with the side.
pub const MAX_SIDE: u32 = 20_000;

/// The most memory decoding one photo may need: 256 MiB. A phone with 3 GB of memory can give
/// a foreground app this much for a moment without the system killing it; a 50 MP picture with
/// transparency (4 bytes a pixel) fits, a 50 MP 16-bit one does not.
pub const MAX_DECODE_BYTES: u64 = 256 << 20;

/// The largest photo file read into memory: 64 MiB. A 50 MP phone JPEG is about 25 MB and an
/// A4 colour scan as PNG at 600 dpi 30–60 MB; the file is held in memory while it is decoded.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// [`MAX_PIXELS`], for `serde` defaults of older saved options.
pub(crate) fn default_max_pixels() -> u64 {
    MAX_PIXELS
}

/// [`MAX_SIDE`], for `serde` defaults of older saved options.
pub(crate) fn default_max_side() -> u32 {
    MAX_SIDE
}

/// [`MAX_DECODE_BYTES`], for `serde` defaults of older saved options.
pub(crate) fn default_max_decode_bytes() -> u64 {
    MAX_DECODE_BYTES
}

/// [`MAX_FILE_BYTES`], for `serde` defaults of older saved options.
pub(crate) fn default_max_file_bytes() -> u64 {
    MAX_FILE_BYTES
}

const MB: u64 = 1 << 20;

/// Refuses a picture whose claimed size is empty, has too many pixels or too long a side.
pub(crate) fn check_size(
    width: u32,
    height: u32,
    options: &PhotoOptions,
) -> Result<(), PhotoProblem> {
    if width == 0 || height == 0 {
        return Err(PhotoProblem::NoPixels { width, height });
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > options.max_pixels {
        return Err(PhotoProblem::TooManyPixels {
            width,
            height,
            megapixels: pixels.div_ceil(1_000_000),
            max_megapixels: options.max_pixels / 1_000_000,
        });
    }
    if width.max(height) > options.max_side {
        return Err(PhotoProblem::TooLarge {
            width,
            height,
            max_side: options.max_side,
        });
    }
    Ok(())
}

/// Checks bytes that claim to be a photo the pipeline made (a device's upload of a full photo
/// or thumbnail, which the server stores and serves as `image/jpeg`): a JPEG by its first
/// bytes, with a header that reads and a size within `options`' limits. Reads only the
/// markers before the first scan; decodes nothing. Returns the width and height.
pub fn check_uploaded_jpeg(
    bytes: &[u8],
    options: &PhotoOptions,
) -> Result<(u32, u32), PhotoProblem> {
    if bytes.is_empty() {
        return Err(PhotoProblem::Empty);
    }
    if !bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Err(PhotoProblem::NotAnImage);
    }
    if bytes.len() as u64 > options.max_file_bytes {
        return Err(PhotoProblem::FileTooLarge {
            megabytes: (bytes.len() as u64).div_ceil(MB),
            max_megabytes: options.max_file_bytes / MB,
        });
    }
    let header = JpegHeader::read(bytes)?;
    check_size(header.width, header.height, options)?;
    if header.too_short() {
        return Err(PhotoProblem::Truncated {
            width: header.width,
            height: header.height,
        });
    }
    Ok((header.width, header.height))
}

/// Refuses a picture whose decoding would need more than the memory limit.
pub(crate) fn check_memory(
    width: u32,
    height: u32,
    needed: u64,
    options: &PhotoOptions,
) -> Result<(), PhotoProblem> {
    if needed > options.max_decode_bytes {
        return Err(too_much_memory(width, height, options));
    }
    Ok(())
}

/// The refusal for a picture over the memory limit (also when a decoder's own fence trips).
pub(crate) fn too_much_memory(width: u32, height: u32, options: &PhotoOptions) -> PhotoProblem {
    PhotoProblem::TooMuchMemory {
        width,
        height,
        max_megabytes: options.max_decode_bytes / MB,
    }
}

/// One component of a JPEG frame.
#[derive(Debug, Clone, Copy)]
struct Component {
    h: u8,
    v: u8,
}

/// What a JPEG's markers up to its first scan say: size, coding, colour model.
#[derive(Debug, Clone)]
pub(crate) struct JpegHeader {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Bits per sample (8 for nearly every JPEG; 2–16 for lossless ones).
    pub precision: u8,
    components: Vec<Component>,
    progressive: bool,
    /// Lossless JPEG (SOF3): not DCT-coded, so never decoded at a smaller scale.
    pub lossless: bool,
    jfif: bool,
    adobe_transform: Option<u8>,
    /// Bytes from the first scan's header to the end of the file.
    scan_bytes: u64,
}

impl JpegHeader {
    /// Reads the markers from SOI to the first SOS (or the end). Tolerates stray bytes between
    /// markers as libjpeg and jpeg-decoder do; reads nothing past the first scan header.
    pub fn read(bytes: &[u8]) -> Result<JpegHeader, PhotoProblem> {
        let bad = |what: &str| PhotoProblem::Undecodable {
            reason: format!("JPEG header: {what}"),
        };
        let mut header: Option<JpegHeader> = None;
        let (mut jfif, mut adobe) = (false, None);
        let mut i = 2; // after SOI
        loop {
            // Find the next marker: 0xFF, any fill bytes, then a non-zero code.
            while i < bytes.len() && bytes[i] != 0xFF {
                i += 1;
            }
            while i < bytes.len() && bytes[i] == 0xFF {
                i += 1;
            }
            let Some(&code) = bytes.get(i) else { break };
            i += 1;
            if code == 0x00 || code == 0x01 || (0xD0..=0xD8).contains(&code) {
                continue; // stuffing, TEM, RSTn, SOI: no length
            }
            if code == 0xD9 {
                break; // EOI
            }
            let len = match bytes.get(i..i + 2) {
                Some(b) => usize::from(u16::from_be_bytes([b[0], b[1]])),
                None => break,
            };
            if len < 2 {
                return Err(bad("a marker with an impossible length"));
            }
            let body = &bytes[(i + 2).min(bytes.len())..(i + len).min(bytes.len())];
            match code {
                0xE0 if body.starts_with(b"JFIF\0") => jfif = true,
                0xEE if body.starts_with(b"Adobe") && body.len() >= 12 => adobe = Some(body[11]),
                // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC).
                0xC0..=0xCF if !matches!(code, 0xC4 | 0xC8 | 0xCC) => {
                    if body.len() < 6 {
                        return Err(bad("a frame header cut short"));
                    }
                    let n = usize::from(body[5]);
                    let comps = body
                        .get(6..6 + 3 * n)
                        .ok_or_else(|| bad("a frame header cut short"))?;
                    let components = comps
                        .chunks_exact(3)
                        .map(|c| Component {
                            h: (c[1] >> 4).max(1),
                            v: (c[1] & 0x0F).max(1),
                        })
                        .collect::<Vec<_>>();
                    if header.is_none() {
                        header = Some(JpegHeader {
                            precision: body[0],
                            height: u32::from(u16::from_be_bytes([body[1], body[2]])),
                            width: u32::from(u16::from_be_bytes([body[3], body[4]])),
                            components,
                            progressive: matches!(code, 0xC2 | 0xC6 | 0xCA | 0xCE),
                            lossless: matches!(code, 0xC3 | 0xC7 | 0xCB | 0xCF),
                            jfif: false,
                            adobe_transform: None,
                            scan_bytes: 0,
                        });
                    }
                }
                0xDA => {
                    let h = header
                        .as_mut()
                        .ok_or_else(|| bad("a scan before the frame"))?;
                    h.scan_bytes = (bytes.len() - i) as u64;
                    break;
                }
                _ => {}
            }
            i += len;
        }
        let mut header = header.ok_or_else(|| bad("no frame header"))?;
        if header.components.is_empty() {
            return Err(bad("a frame without components"));
        }
        header.jfif = jfif;
        header.adobe_transform = adobe;
        Ok(header)
    }

    /// The number of 8×8 blocks of each component, padded to whole MCUs as decoders store them.
    fn blocks(&self) -> Vec<u64> {
        let hmax = u64::from(self.components.iter().map(|c| c.h).max().unwrap_or(1));
        let vmax = u64::from(self.components.iter().map(|c| c.v).max().unwrap_or(1));
        let mcus_x = u64::from(self.width).div_ceil(8 * hmax);
        let mcus_y = u64::from(self.height).div_ceil(8 * vmax);
        self.components
            .iter()
            .map(|c| mcus_x * u64::from(c.h) * mcus_y * u64::from(c.v))
            .collect()
    }

    /// The DCT scale (n/8, n = 1, 2, 4 or 8) jpeg-decoder picks for a target long edge: the
    /// smallest whose output still covers the target in one axis.
    pub fn dct_scale(&self, long_edge: u32) -> u32 {
        let target = self.target(long_edge);
        let scaled = |len: u32, n: u32| (u64::from(len) * u64::from(n)).div_ceil(8);
        if self.lossless {
            return 8;
        }
        [1, 2, 4]
            .into_iter()
            .find(|&n| {
                scaled(self.width, n) >= u64::from(target.0)
                    || scaled(self.height, n) >= u64::from(target.1)
            })
            .unwrap_or(8)
    }

    /// The size to ask jpeg-decoder for: the picture scaled so its long edge is `long_edge`
    /// (never larger than the picture, never more than jpeg-decoder's 16-bit sizes).
    pub fn target(&self, long_edge: u32) -> (u16, u16) {
        let (w, h) = (u64::from(self.width), u64::from(self.height));
        let long = w.max(h).max(1);
        let edge = u64::from(long_edge).clamp(1, long);
        let side = |s: u64| (s * edge).div_ceil(long).clamp(1, u64::from(u16::MAX)) as u16;
        (side(w), side(h))
    }

    /// The memory decoding needs at the scale chosen for `long_edge`: jpeg-decoder's planes and
    /// interleaved output, our RGB copy, and for progressive JPEG the coefficients of the whole
    /// picture (kept at full size until the last scan, whatever the output scale).
    pub fn decode_bytes(&self, long_edge: u32) -> u64 {
        let n = u64::from(self.dct_scale(long_edge));
        let out =
            (u64::from(self.width) * n).div_ceil(8) * (u64::from(self.height) * n).div_ceil(8);
        let comps = self.components.len() as u64;
        let sample = if self.precision > 8 { 2 } else { 1 };
        let mut bytes = out * (comps * sample * 2 + 3);
        if self.progressive {
            bytes += self.blocks().iter().sum::<u64>() * 64 * 2;
        }
        bytes
    }

    /// Whether the file is too short for its claimed size. Every block of every component
    /// carries at least a DC code of one bit or more (Huffman codes are 1–16 bits; arithmetic
    /// coding is not decoded), so a complete picture needs at least a bit per block of the
    /// smallest component. Decoders pad a short file with zeros and decode all of it, which is
    /// how 625 bytes claiming 7,000 × 7,000 pixels cost seconds.
    pub fn too_short(&self) -> bool {
        let least = if self.lossless {
            u64::from(self.width) * u64::from(self.height)
        } else {
            self.blocks().into_iter().min().unwrap_or(0)
        };
        self.scan_bytes < least / 8
    }

    /// The colour transform libjpeg would choose (JFIF, then the Adobe marker, then component
    /// ids), where it differs from jpeg-decoder's own choice: jpeg-decoder looks at component
    /// ids before the Adobe marker, so an Adobe RGB JPEG with ids 1, 2, 3 would come out as
    /// YCbCr, and it refuses four components with Adobe transform 1 that libjpeg reads as YCCK.
    pub fn color_transform(&self) -> Option<jpeg_decoder::ColorTransform> {
        use jpeg_decoder::ColorTransform as T;
        match (self.components.len(), self.adobe_transform) {
            (3, Some(0)) if !self.jfif => Some(T::RGB),
            (3, Some(_)) if !self.jfif => Some(T::YCbCr),
            (4, Some(0)) | (4, None) => Some(T::CMYK),
            (4, Some(_)) => Some(T::YCCK),
            _ => None,
        }
    }

    /// Whether four-component samples are stored inverted (0 = full ink), as Adobe writes them
    /// and says so with its APP14 marker. Without the marker CMYK is taken as plain ink values
    /// (as libvips does).
    pub fn inverted_cmyk(&self) -> bool {
        self.adobe_transform.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_frame_header_is_read() {
        // SOI, APP14 Adobe transform 2, SOF2 1000×500 with three components, SOS.
        let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xEE, 0, 14];
        jpeg.extend_from_slice(b"Adobe\0\x64\0\0\0\0\x02");
        jpeg.extend_from_slice(&[0xFF, 0xC2, 0, 17, 8, 0x01, 0xF4, 0x03, 0xE8, 3]);
        jpeg.extend_from_slice(&[1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
        jpeg.extend_from_slice(&[0xFF, 0xDA, 0, 8, 1, 1, 0, 0, 0, 0]);
        let h = JpegHeader::read(&jpeg).unwrap();
        assert_eq!((h.width, h.height, h.precision), (1000, 500, 8));
        assert!(h.progressive && !h.lossless && h.inverted_cmyk());
        assert_eq!(h.blocks(), vec![63 * 2 * 32 * 2, 63 * 32, 63 * 32]);
        assert!(h.too_short(), "a few bytes cannot hold 8,000 blocks");
        assert_eq!(h.dct_scale(1600), 8);
        assert_eq!(h.dct_scale(200), 2);
        assert_eq!(h.target(200), (200, 100));
    }
}
