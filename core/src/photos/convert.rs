//! Pixel conversions: every colour model and bit depth to 8-bit RGB, transparency onto white,
//! and a cheap shrink of pictures decoded at full size.

use image::{DynamicImage, RgbImage};

/// jpeg-decoder's samples as 8-bit RGB. `inverted` says whether four-component samples were
/// stored Adobe-inverted; `precision` is the JPEG's bits per sample.
///
/// jpeg-decoder hands four-component samples back as 255 minus what libjpeg would (for CMYK and
/// for YCCK after its YCC step), so an Adobe-inverted file (stored 255 = no ink) arrives as
/// plain ink amounts, and a plain one as inverted. Conversion is the naive one, without an ICC
/// profile: paper white stays white and a red block red, which is what evidence needs.
pub(crate) fn jpeg_to_rgb(
    pixels: Vec<u8>,
    format: jpeg_decoder::PixelFormat,
    precision: u8,
    inverted: bool,
) -> Vec<u8> {
    use jpeg_decoder::PixelFormat as F;
    // Lossless JPEGs deeper than 8 bits come as native-endian u16 for every component count.
    let pixels = if precision > 8 {
        let max = (1u32 << precision.min(16)) - 1;
        pixels
            .chunks_exact(2)
            .map(|c| {
                ((u32::from(u16::from_ne_bytes([c[0], c[1]])).min(max) * 255 + max / 2) / max) as u8
            })
            .collect()
    } else {
        pixels
    };
    match format {
        F::RGB24 => pixels,
        F::L8 | F::L16 => pixels.iter().flat_map(|&l| [l, l, l]).collect(),
        F::CMYK32 => pixels
            .chunks_exact(4)
            .flat_map(|p| {
                // `paper` is how much of each channel's light the paper reflects (255 = no ink).
                let paper = |v: u8| {
                    if inverted {
                        255 - u16::from(v)
                    } else {
                        u16::from(v)
                    }
                };
                let k = paper(p[3]);
                [p[0], p[1], p[2]].map(|c| ((paper(c) * k + 127) / 255) as u8)
            })
            .collect(),
    }
}

/// Any decoded picture as 8-bit RGB, transparent parts composited onto white: a scanned notice
/// with a transparent background must stay black on white, not turn black on black (most
/// tools store fully transparent pixels as black).
pub(crate) fn flatten_onto_white(image: DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.into_rgb8();
    }
    let (w, h) = (image.width(), image.height());
    // Free when already RGBA8 (PNG, GIF, WebP, BMP with alpha); deeper ones lose their low
    // bits here, which the 8-bit JPEG would lose anyway.
    let mut buf = image.into_rgba8().into_raw();
    // Blend and pack RGBA into RGB in place: the write position (3i) never passes the read
    // position (4i), so no second full-size buffer is needed.
    let pixels = buf.len() / 4;
    for i in 0..pixels {
        let a = u32::from(buf[4 * i + 3]);
        for c in 0..3 {
            let v = u32::from(buf[4 * i + c]);
            buf[3 * i + c] = ((v * a + 255 * (255 - a) + 127) / 255) as u8;
        }
    }
    buf.truncate(pixels * 3);
    RgbImage::from_raw(w, h, buf).expect("three bytes a pixel")
}

/// Shrinks by an integer factor, averaging each factor × factor box (the edge boxes may be
/// smaller). Used before the fine resize when a picture decoded at full size is at least twice
/// the target, so resampling works on a small picture (less time, and far less memory: the
/// resizer keeps a floating-point copy as wide as its input).
pub(crate) fn shrink(image: &RgbImage, factor: u32) -> RgbImage {
    let (w, h) = image.dimensions();
    let (nw, nh) = (w.div_ceil(factor), h.div_ceil(factor));
    let f = factor as usize;
    let mut out = Vec::with_capacity(nw as usize * nh as usize * 3);
    let mut sums = vec![0u32; nw as usize * 3];
    let src = image.as_raw();
    let row = w as usize * 3;
    for by in 0..nh as usize {
        sums.fill(0);
        let rows = by * f..((by + 1) * f).min(h as usize);
        let n_rows = rows.len() as u32;
        for y in rows {
            let line = &src[y * row..(y + 1) * row];
            for (x, px) in line.chunks_exact(3).enumerate() {
                let s = &mut sums[(x / f) * 3..(x / f) * 3 + 3];
                s[0] += u32::from(px[0]);
                s[1] += u32::from(px[1]);
                s[2] += u32::from(px[2]);
            }
        }
        for bx in 0..nw as usize {
            let cols = (((bx + 1) * f).min(w as usize) - bx * f) as u32;
            let n = cols * n_rows;
            for c in 0..3 {
                out.push(((sums[bx * 3 + c] + n / 2) / n) as u8);
            }
        }
    }
    RgbImage::from_raw(nw, nh, out).expect("three bytes a pixel")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transparent_black_becomes_white_and_half_transparent_red_pink() {
        let rgba =
            image::RgbaImage::from_raw(3, 1, vec![0, 0, 0, 0, 255, 0, 0, 128, 10, 20, 30, 255])
                .unwrap();
        let rgb = flatten_onto_white(DynamicImage::ImageRgba8(rgba));
        assert_eq!(rgb.as_raw(), &[255, 255, 255, 255, 127, 127, 10, 20, 30]);
    }

    #[test]
    fn shrinking_averages_boxes_including_the_short_edge_ones() {
        let img = RgbImage::from_fn(5, 3, |x, _| image::Rgb([if x < 2 { 0 } else { 200 }; 3]));
        let small = shrink(&img, 2);
        assert_eq!(small.dimensions(), (3, 2));
        assert_eq!(small.get_pixel(0, 0).0, [0; 3]);
        assert_eq!(small.get_pixel(1, 1).0, [200; 3]);
        assert_eq!(small.get_pixel(2, 1).0, [200; 3]);
    }

    #[test]
    fn adobe_and_plain_cmyk_give_the_same_colours() {
        use jpeg_decoder::PixelFormat::CMYK32;
        // jpeg-decoder's view: Adobe-inverted files arrive as ink amounts.
        let white_red_black = vec![0, 0, 0, 0, 0, 255, 255, 0, 0, 0, 0, 255];
        let inverted: Vec<u8> = white_red_black.iter().map(|v| 255 - v).collect();
        let expected = vec![255, 255, 255, 255, 0, 0, 0, 0, 0];
        assert_eq!(jpeg_to_rgb(white_red_black, CMYK32, 8, true), expected);
        assert_eq!(jpeg_to_rgb(inverted, CMYK32, 8, false), expected);
    }
}
