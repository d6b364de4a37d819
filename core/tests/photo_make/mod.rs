//! Making the pictures phones, scanners and office tools produce, and hostile ones, for the
//! photo tests and the photo benchmark: every colour model and format from one scene, and
//! headers patched to claim what their bytes are not.
#![allow(dead_code)] // each test file uses a part

use std::io::Cursor;
use std::path::PathBuf;

use gridwalk_core::photos::PhotoOptions;
use gridwalk_core::photos::pipeline::{PhotoProblem, Processed, process};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use jpeg_encoder::{ColorType, SamplingFactor};

/// A file of `../shared/data/photos/`.
pub fn shared_photo(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/photos")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The pipeline with default options.
pub fn run(bytes: &[u8]) -> Result<Processed, PhotoProblem> {
    process(bytes, &PhotoOptions::default())
}

/// The stored full JPEG of a picture, decoded again as RGB.
pub fn stored(bytes: &[u8], what: &str) -> RgbImage {
    let out = run(bytes).unwrap_or_else(|e| panic!("{what}: refused: {e:?}"));
    image::load_from_memory_with_format(&out.full, ImageFormat::Jpeg)
        .unwrap_or_else(|e| panic!("{what}: the stored JPEG does not decode: {e}"))
        .to_rgb8()
}

/// The colours of the test scene, as a worker would name them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Colour {
    /// Paper: every channel ≥ 240.
    White,
    /// A red block: red ≥ 200, green and blue ≤ 60.
    Red,
    /// Print: every channel ≤ 40.
    Black,
}

impl Colour {
    fn holds(self, [r, g, b]: [u8; 3]) -> bool {
        match self {
            Colour::White => r >= 240 && g >= 240 && b >= 240,
            Colour::Red => r >= 200 && g <= 60 && b <= 60,
            Colour::Black => r <= 40 && g <= 40 && b <= 40,
        }
    }
}

/// The test scene, as `cmyk_adobe.jpg` has it: white paper on the left, a red block on the
/// right, a black bar along the bottom (the bottom fifth).
pub fn scene_colour(x: f64, y: f64) -> Colour {
    if y >= 0.8 {
        Colour::Black
    } else if x >= 0.5 {
        Colour::Red
    } else {
        Colour::White
    }
}

/// Where the scene is checked: the middle of each region, away from edges that blur.
pub const SCENE_POINTS: [(f64, f64); 3] = [(0.25, 0.4), (0.75, 0.4), (0.5, 0.92)];

/// Checks the scene's three colours in a stored picture (3×3 average around each point).
pub fn assert_scene(img: &RgbImage, what: &str) {
    for (x, y) in SCENE_POINTS {
        let expected = scene_colour(x, y);
        let got = sample(img, x, y);
        assert!(
            expected.holds(got),
            "{what}: at ({x}, {y}) expected {expected:?}, got {got:?}"
        );
    }
}

/// The mean colour of the 3×3 pixels around a point given as fractions of width and height.
pub fn sample(img: &RgbImage, x: f64, y: f64) -> [u8; 3] {
    let (w, h) = img.dimensions();
    let cx = ((x * f64::from(w)) as u32).min(w - 1);
    let cy = ((y * f64::from(h)) as u32).min(h - 1);
    let mut sum = [0u32; 3];
    let mut n = 0;
    for py in cy.saturating_sub(1)..=(cy + 1).min(h - 1) {
        for px in cx.saturating_sub(1)..=(cx + 1).min(w - 1) {
            let p = img.get_pixel(px, py).0;
            for c in 0..3 {
                sum[c] += u32::from(p[c]);
            }
            n += 1;
        }
    }
    sum.map(|s| (s / n) as u8)
}

/// The scene as 8-bit RGB.
pub fn scene_rgb(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        Rgb(
            match scene_colour(f64::from(x) / f64::from(w), f64::from(y) / f64::from(h)) {
                Colour::White => [255, 255, 255],
                Colour::Red => [255, 0, 0],
                Colour::Black => [0, 0, 0],
            },
        )
    })
}

/// The scene with a transparent background: the paper is fully transparent (and black, as
/// most tools store transparent pixels), the red block and the black bar are opaque.
pub fn scene_transparent(w: u32, h: u32) -> RgbaImage {
    RgbaImage::from_fn(w, h, |x, y| {
        Rgba(
            match scene_colour(f64::from(x) / f64::from(w), f64::from(y) / f64::from(h)) {
                Colour::White => [0, 0, 0, 0],
                Colour::Red => [255, 0, 0, 255],
                Colour::Black => [0, 0, 0, 255],
            },
        )
    })
}

/// The scene as CMYK ink amounts (0 = no ink), four bytes a pixel.
pub fn scene_cmyk(w: u32, h: u32) -> Vec<u8> {
    scene_rgb(w, h)
        .pixels()
        .flat_map(|p| match p.0 {
            [255, 255, 255] => [0, 0, 0, 0],
            [255, 0, 0] => [0, 255, 255, 0],
            _ => [0, 0, 0, 255],
        })
        .collect()
}

/// A picture in one of `image`'s formats.
pub fn encoded(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format)
        .unwrap_or_else(|e| panic!("{format:?} of {:?}: {e}", img.color()));
    out.into_inner()
}

/// A JPEG made by jpeg-encoder, which writes CMYK and YCCK with the Adobe marker, progressive
/// scans and restart markers. `set_up` configures the encoder.
pub fn jpeg(
    data: &[u8],
    w: u32,
    h: u32,
    color: jpeg_encoder::ColorType,
    set_up: impl FnOnce(&mut jpeg_encoder::Encoder<&mut Vec<u8>>),
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = jpeg_encoder::Encoder::new(&mut out, 90);
    set_up(&mut enc);
    enc.encode(data, w as u16, h as u16, color).unwrap();
    out
}

/// The offset of the first marker `code` (its 0xFF byte) before the first scan.
pub fn find_marker(jpeg: &[u8], code: u8) -> Option<usize> {
    let mut i = 2;
    while i + 4 <= jpeg.len() && jpeg[i] == 0xFF {
        if jpeg[i + 1] == code {
            return Some(i);
        }
        if jpeg[i + 1] == 0xDA {
            return None;
        }
        i += 2 + usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
    }
    None
}

/// Removes the first marker segment `code` (for example APP14, 0xEE, or APP0, 0xE0).
pub fn without_segment(jpeg: &[u8], code: u8) -> Vec<u8> {
    let i = find_marker(jpeg, code).unwrap_or_else(|| panic!("no marker {code:#x}"));
    let len = 2 + usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
    [&jpeg[..i], &jpeg[i + len..]].concat()
}

/// An Adobe APP14 segment with the given colour transform (0 = none, 1 = YCbCr, 2 = YCCK).
pub fn adobe_segment(transform: u8) -> Vec<u8> {
    let mut s = vec![0xFF, 0xEE, 0, 14];
    s.extend_from_slice(b"Adobe\0\x64\0\0\0\0");
    s.push(transform);
    s
}

/// The JPEG with its JFIF APP0 replaced by an Adobe APP14 marker (as Photoshop writes them).
pub fn with_adobe_instead_of_jfif(jpeg: &[u8], transform: u8) -> Vec<u8> {
    let bare = without_segment(jpeg, 0xE0);
    [&bare[..2], &adobe_segment(transform), &bare[2..]].concat()
}

/// The JPEG with its component ids (in the frame and every scan header) replaced.
pub fn with_component_ids(jpeg: &[u8], ids: &[u8]) -> Vec<u8> {
    let mut out = jpeg.to_vec();
    let mut old_ids = Vec::new();
    let mut i = 2;
    while i + 4 <= out.len() && out[i] == 0xFF {
        let code = out[i + 1];
        let len = usize::from(u16::from_be_bytes([out[i + 2], out[i + 3]]));
        if (0xC0..=0xC2).contains(&code) {
            for (k, id) in ids.iter().enumerate() {
                old_ids.push(out[i + 10 + 3 * k]);
                out[i + 10 + 3 * k] = *id;
            }
        }
        if code == 0xDA {
            // Only the first scan of a baseline JPEG is patched; enough for these tests.
            let n = usize::from(out[i + 4]);
            for k in 0..n {
                let old = out[i + 5 + 2 * k];
                let index = old_ids.iter().position(|&o| o == old).expect("a frame id");
                out[i + 5 + 2 * k] = ids[index];
            }
            break;
        }
        i += 2 + len;
    }
    out
}

/// The JPEG with its frame header claiming another size (nothing else changes).
pub fn jpeg_claiming(jpeg: &[u8], w: u16, h: u16) -> Vec<u8> {
    let mut out = jpeg.to_vec();
    let i = find_marker(jpeg, 0xC0)
        .or_else(|| find_marker(jpeg, 0xC2))
        .expect("a frame header");
    out[i + 5..i + 7].copy_from_slice(&h.to_be_bytes());
    out[i + 7..i + 9].copy_from_slice(&w.to_be_bytes());
    out
}

/// CRC-32 as PNG uses it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The PNG with its IHDR claiming another size (CRC recomputed so decoders read on).
pub fn png_claiming(png: &[u8], w: u32, h: u32) -> Vec<u8> {
    let mut out = png.to_vec();
    assert_eq!(&out[12..16], b"IHDR");
    out[16..20].copy_from_slice(&w.to_be_bytes());
    out[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32(&out[12..29]);
    out[29..33].copy_from_slice(&crc.to_be_bytes());
    out
}

/// The BMP with its header claiming another size (a negative height is a top-down BMP).
pub fn bmp_claiming(bmp: &[u8], w: i32, h: i32) -> Vec<u8> {
    let mut out = bmp.to_vec();
    out[18..22].copy_from_slice(&w.to_le_bytes());
    out[22..26].copy_from_slice(&h.to_le_bytes());
    out
}

/// The little-endian TIFF with its first IFD claiming another size (in one strip, as a
/// consistent hostile file would).
pub fn tiff_claiming(tiff: &[u8], w: u32, h: u32) -> Vec<u8> {
    let mut out = tiff.to_vec();
    assert_eq!(&out[..2], b"II");
    let ifd = u32::from_le_bytes(out[4..8].try_into().unwrap()) as usize;
    let count = usize::from(u16::from_le_bytes([out[ifd], out[ifd + 1]]));
    for k in 0..count {
        let e = ifd + 2 + 12 * k;
        let tag = u16::from_le_bytes([out[e], out[e + 1]]);
        let kind = u16::from_le_bytes([out[e + 2], out[e + 3]]);
        let value = match tag {
            256 => w,
            257 | 278 => h, // ImageLength, RowsPerStrip
            _ => continue,
        };
        out[e + 8..e + 12].fill(0);
        if kind == 3 {
            out[e + 8..e + 10].copy_from_slice(&(value as u16).to_le_bytes());
        } else {
            out[e + 8..e + 12].copy_from_slice(&value.to_le_bytes());
        }
    }
    out
}

/// The lossless WebP with its VP8L header (and VP8X canvas, if any) claiming another size
/// (each at most 16,383: image-webp reads 16,384 as 0).
pub fn webp_claiming(webp: &[u8], w: u32, h: u32) -> Vec<u8> {
    let mut out = webp.to_vec();
    let mut i = 12;
    while i + 8 <= out.len() {
        let size = u32::from_le_bytes(out[i + 4..i + 8].try_into().unwrap()) as usize;
        match &out[i..i + 4] {
            b"VP8X" => {
                out[i + 12..i + 15].copy_from_slice(&(w - 1).to_le_bytes()[..3]);
                out[i + 15..i + 18].copy_from_slice(&(h - 1).to_le_bytes()[..3]);
            }
            b"VP8L" => {
                let bits = u32::from_le_bytes(out[i + 9..i + 13].try_into().unwrap());
                let bits = (bits & !0x0FFF_FFFF) | (w - 1) | ((h - 1) << 14);
                out[i + 9..i + 13].copy_from_slice(&bits.to_le_bytes());
            }
            _ => {}
        }
        i += 8 + size + (size & 1);
    }
    out
}

/// A hand-made GIF: a `screen_w` × `screen_h` logical screen holding one 1×1-pixel's worth of
/// LZW data in a frame that claims `frame_w` × `frame_h`.
pub fn gif_claiming(screen_w: u16, screen_h: u16, frame_w: u16, frame_h: u16) -> Vec<u8> {
    let mut g = b"GIF89a".to_vec();
    g.extend_from_slice(&screen_w.to_le_bytes());
    g.extend_from_slice(&screen_h.to_le_bytes());
    g.extend_from_slice(&[0x80, 0, 0]); // a global colour table of two entries
    g.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
    g.push(0x2C);
    g.extend_from_slice(&[0, 0, 0, 0]);
    g.extend_from_slice(&frame_w.to_le_bytes());
    g.extend_from_slice(&frame_h.to_le_bytes());
    g.push(0);
    // LZW, minimum code size 2: clear (4), index 0, end (5), in 3-bit codes.
    g.extend_from_slice(&[2, 2, 0x44, 0x01, 0, 0x3B]);
    g
}

/// Every bomb: a name, its bytes, and the code it must be refused with.
pub fn bombs() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let small = scene_rgb(64, 48);
    let baseline = jpeg(small.as_raw(), 64, 48, ColorType::Rgb, |_| {});
    let progressive = |sampling| {
        jpeg(small.as_raw(), 64, 48, ColorType::Rgb, |e| {
            e.set_progressive(true);
            e.set_sampling_factor(sampling);
        })
    };
    let png = encoded(&DynamicImage::ImageRgb8(small.clone()), ImageFormat::Png);
    let png16 = encoded(
        &DynamicImage::ImageRgba16(DynamicImage::ImageRgb8(small.clone()).to_rgba16()),
        ImageFormat::Png,
    );
    let webp = encoded(&DynamicImage::ImageRgb8(small.clone()), ImageFormat::WebP);
    let bmp = encoded(&DynamicImage::ImageRgb8(small.clone()), ImageFormat::Bmp);
    // Small enough for one strip, so the patched header stays consistent.
    let tiff = encoded(&DynamicImage::ImageRgb8(scene_rgb(8, 8)), ImageFormat::Tiff);
    vec![
        (
            "bad_bomb_65500x65500.jpg",
            shared_photo("bad_bomb_65500x65500.jpg"),
            "photo.too_many_pixels",
        ),
        (
            "progressive JPEG 20000×20000",
            jpeg_claiming(&progressive(SamplingFactor::F_2_2), 20_000, 20_000),
            "photo.too_many_pixels",
        ),
        // 49 MP is allowed, but progressive 4:4:4 keeps 294 MB of coefficients.
        (
            "progressive 4:4:4 JPEG 7000×7000",
            jpeg_claiming(&progressive(SamplingFactor::F_1_1), 7000, 7000),
            "photo.too_much_memory",
        ),
        (
            "progressive 4:2:0 JPEG 7000×7000, data cut short",
            jpeg_claiming(&progressive(SamplingFactor::F_2_2), 7000, 7000),
            "photo.truncated",
        ),
        (
            "baseline JPEG 7000×7000, data cut short",
            jpeg_claiming(&baseline, 7000, 7000),
            "photo.truncated",
        ),
        (
            "JPEG 1×60000",
            jpeg_claiming(&baseline, 1, 60_000),
            "photo.too_large",
        ),
        (
            "JPEG 0×48",
            jpeg_claiming(&baseline, 0, 48),
            "photo.no_pixels",
        ),
        (
            "PNG 65500×65500",
            png_claiming(&png, 65_500, 65_500),
            "photo.too_many_pixels",
        ),
        (
            "PNG 100000×1",
            png_claiming(&png, 100_000, 1),
            "photo.too_large",
        ),
        (
            "PNG RGBA 16-bit 7000×7000",
            png_claiming(&png16, 7000, 7000),
            "photo.too_much_memory",
        ),
        (
            "WebP 16383×16383",
            webp_claiming(&webp, 16_383, 16_383),
            "photo.too_many_pixels",
        ),
        (
            "GIF 65535×65535",
            gif_claiming(65_535, 65_535, 1, 1),
            "photo.too_many_pixels",
        ),
        (
            "GIF 16×16 with a 65535×65535 frame",
            gif_claiming(16, 16, 65_535, 65_535),
            "photo.too_much_memory",
        ),
        (
            "BMP 65500×65500",
            bmp_claiming(&bmp, 65_500, 65_500),
            "photo.too_many_pixels",
        ),
        (
            "BMP top-down 2×-30000",
            bmp_claiming(&bmp, 2, -30_000),
            "photo.too_large",
        ),
        (
            "TIFF 65500×65500",
            tiff_claiming(&tiff, 65_500, 65_500),
            "photo.too_many_pixels",
        ),
        (
            "TIFF 30000×2",
            tiff_claiming(&tiff, 30_000, 2),
            "photo.too_large",
        ),
        // Claims within the limits whose bytes run out: refused when they do, before the
        // decoder has touched the buffer it was allowed.
        (
            "PNG 7000×7000, data cut short",
            png_claiming(&png, 7000, 7000),
            "photo.undecodable",
        ),
        (
            "WebP 7000×7000, data cut short",
            webp_claiming(&webp, 7000, 7000),
            "photo.undecodable",
        ),
        (
            "GIF 7000×7000, data cut short",
            gif_claiming(7000, 7000, 7000, 7000),
            "photo.truncated",
        ),
        (
            "GIF 7000×7000 screen around a 1×1 frame",
            gif_claiming(7000, 7000, 1, 1),
            "photo.truncated",
        ),
        (
            "BMP 7000×7000, data cut short",
            bmp_claiming(&bmp, 7000, 7000),
            "photo.undecodable",
        ),
        (
            "TIFF 7000×7000, data cut short",
            tiff_claiming(&tiff, 7000, 7000),
            "photo.undecodable",
        ),
    ]
}
