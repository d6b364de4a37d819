//! Every decodable picture comes out right: each colour model, bit depth, transparency and
//! format that phones, scanners and office tools produce, checked by the pixel values of the
//! stored JPEG (paper stays white, a red block red, print black).

mod photo_make;

use image::{DynamicImage, ImageBuffer, ImageFormat, Luma, LumaA, Rgb, Rgba};
use jpeg_encoder::{ColorType, SamplingFactor};
use photo_make::*;

const W: u32 = 400;
const H: u32 = 300;

#[test]
fn the_adobe_cmyk_file_keeps_white_paper_a_red_block_and_a_black_bar() {
    let img = stored(&shared_photo("cmyk_adobe.jpg"), "cmyk_adobe.jpg");
    assert_eq!(img.dimensions(), (400, 300));
    assert_scene(&img, "cmyk_adobe.jpg");
}

#[test]
fn cmyk_and_ycck_jpegs_in_every_convention() {
    let ink = scene_cmyk(W, H);
    // Adobe CMYK (transform 0, stored inverted), as Photoshop writes it.
    let adobe = jpeg(&ink, W, H, ColorType::Cmyk, |_| {});
    assert!(
        find_marker(&adobe, 0xEE).is_some(),
        "jpeg-encoder writes APP14"
    );
    // YCCK (Adobe transform 2), as Photoshop writes CMYK at high quality.
    let ycck = jpeg(&ink, W, H, ColorType::CmykAsYcck, |_| {});
    // Plain CMYK: no Adobe marker, ink stored as it is (0 = none).
    let paper: Vec<u8> = ink.iter().map(|v| 255 - v).collect();
    let plain = without_segment(&jpeg(&paper, W, H, ColorType::Cmyk, |_| {}), 0xEE);
    let progressive = jpeg(&ink, W, H, ColorType::Cmyk, |e| e.set_progressive(true));
    for (what, bytes) in [
        ("Adobe CMYK", adobe),
        ("Adobe YCCK", ycck),
        ("plain CMYK without Adobe marker", plain),
        ("progressive Adobe CMYK", progressive),
    ] {
        assert_scene(&stored(&bytes, what), what);
    }
}

#[test]
fn rgb_and_grey_jpegs_in_every_colour_model() {
    let rgb = scene_rgb(W, H);
    let ycbcr = jpeg(rgb.as_raw(), W, H, ColorType::Rgb, |_| {});
    // Samples stored as RGB without conversion (jpeg-encoder's Ycbcr input is written as is).
    let raw_rgb = jpeg(rgb.as_raw(), W, H, ColorType::Ycbcr, |e| {
        e.set_sampling_factor(SamplingFactor::F_1_1)
    });
    let cases = [
        ("JFIF YCbCr", ycbcr.clone()),
        (
            "Adobe transform 1 (YCbCr)",
            with_adobe_instead_of_jfif(&ycbcr, 1),
        ),
        // libjpeg and browsers read Adobe transform 0 as RGB whatever the component ids.
        (
            "Adobe transform 0 (RGB), ids 1 2 3",
            with_component_ids(&with_adobe_instead_of_jfif(&raw_rgb, 0), &[1, 2, 3]),
        ),
        (
            "RGB by component ids R G B, no markers",
            with_component_ids(&without_segment(&raw_rgb, 0xE0), b"RGB"),
        ),
    ];
    for (what, bytes) in cases {
        assert_scene(&stored(&bytes, what), what);
    }
    let grey = DynamicImage::ImageRgb8(rgb).to_luma8();
    let grey_jpeg = jpeg(grey.as_raw(), W, H, ColorType::Luma, |_| {});
    let img = stored(&grey_jpeg, "grey JPEG");
    assert!(sample(&img, 0.25, 0.4).iter().all(|&v| v >= 240), "paper");
    // Red in grey is its luma: 0.2126 × 255 = 54 (Rec. 709, as `image` converts).
    let red_as_grey = sample(&img, 0.75, 0.4);
    assert!(
        red_as_grey.iter().all(|&v| (40..=90).contains(&v)),
        "{red_as_grey:?}"
    );
    assert!(sample(&img, 0.5, 0.92).iter().all(|&v| v <= 40), "bar");
}

#[test]
fn progressive_restart_marker_and_large_jpegs_scale_down_right() {
    // 3,200 × 2,400: decoded at half scale, then resampled to 1,600 × 1,200.
    let (w, h) = (3200, 2400);
    let rgb = scene_rgb(w, h);
    let cases = [
        (
            "progressive",
            jpeg(rgb.as_raw(), w, h, ColorType::Rgb, |e| {
                e.set_progressive(true)
            }),
        ),
        (
            "restart markers",
            jpeg(rgb.as_raw(), w, h, ColorType::Rgb, |e| {
                e.set_restart_interval(4)
            }),
        ),
        (
            "progressive with restart markers",
            jpeg(rgb.as_raw(), w, h, ColorType::Rgb, |e| {
                e.set_progressive(true);
                e.set_restart_interval(2);
            }),
        ),
    ];
    for (what, bytes) in cases {
        let img = stored(&bytes, what);
        assert_eq!(img.dimensions(), (1600, 1200), "{what}");
        assert_scene(&img, what);
    }
}

#[test]
fn png_in_every_colour_model_and_bit_depth() {
    let rgb = scene_rgb(W, H);
    let rgba = scene_transparent(W, H);
    let wide = |v: u8| u16::from(v) * 257;
    let rgb16: ImageBuffer<Rgb<u16>, Vec<u16>> =
        ImageBuffer::from_fn(W, H, |x, y| Rgb(rgb.get_pixel(x, y).0.map(wide)));
    let rgba16: ImageBuffer<Rgba<u16>, Vec<u16>> =
        ImageBuffer::from_fn(W, H, |x, y| Rgba(rgba.get_pixel(x, y).0.map(wide)));
    for (what, img) in [
        ("RGB 8-bit", DynamicImage::ImageRgb8(rgb.clone())),
        ("RGB 16-bit", DynamicImage::ImageRgb16(rgb16)),
        (
            "RGBA 8-bit, transparent paper",
            DynamicImage::ImageRgba8(rgba.clone()),
        ),
        (
            "RGBA 16-bit, transparent paper",
            DynamicImage::ImageRgba16(rgba16),
        ),
    ] {
        assert_scene(&stored(&encoded(&img, ImageFormat::Png), what), what);
    }
    assert_scene(
        &stored(&palette_png_with_trns(), "palette + tRNS"),
        "palette + tRNS",
    );
}

/// A palette PNG whose paper entry is fully transparent (tRNS), as office tools save
/// screenshots and stamps.
fn palette_png_with_trns() -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, W, H);
    enc.set_color(png::ColorType::Indexed);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_palette(vec![0, 0, 0, 255, 0, 0, 0, 0, 0]);
    enc.set_trns(vec![0u8, 255, 255]); // index 0: transparent black paper
    let mut writer = enc.write_header().unwrap();
    let indices: Vec<u8> = scene_rgb(W, H)
        .pixels()
        .map(|p| match p.0 {
            [255, 255, 255] => 0,
            [255, 0, 0] => 1,
            _ => 2,
        })
        .collect();
    writer.write_image_data(&indices).unwrap();
    writer.finish().unwrap();
    out
}

#[test]
fn grey_pictures_with_and_without_transparency() {
    // A scanned notice: black print on transparent (black) paper, as grey + alpha.
    let notice = ImageBuffer::from_fn(W, H, |_, y| {
        if y >= H * 4 / 5 {
            LumaA([0u8, 255])
        } else {
            LumaA([0, 0])
        }
    });
    let notice16: ImageBuffer<LumaA<u16>, Vec<u16>> = ImageBuffer::from_fn(W, H, |x, y| {
        LumaA(notice.get_pixel(x, y).0.map(|v| u16::from(v) * 257))
    });
    let grey16: ImageBuffer<Luma<u16>, Vec<u16>> =
        ImageBuffer::from_fn(W, H, |_, y| Luma([if y >= H * 4 / 5 { 0 } else { 65535 }]));
    let grey8 = DynamicImage::ImageLuma16(grey16.clone()).to_luma8();
    for (what, img) in [
        ("grey + alpha 8-bit", DynamicImage::ImageLumaA8(notice)),
        ("grey + alpha 16-bit", DynamicImage::ImageLumaA16(notice16)),
        ("grey 16-bit", DynamicImage::ImageLuma16(grey16)),
        ("grey 8-bit", DynamicImage::ImageLuma8(grey8)),
    ] {
        let out = stored(&encoded(&img, ImageFormat::Png), what);
        let paper = sample(&out, 0.5, 0.4);
        let print = sample(&out, 0.5, 0.92);
        assert!(
            paper.iter().all(|&v| v >= 240),
            "{what}: paper is {paper:?}"
        );
        assert!(print.iter().all(|&v| v <= 40), "{what}: print is {print:?}");
    }
}

#[test]
fn gif_bmp_tiff_and_webp_with_and_without_transparency() {
    let rgb = DynamicImage::ImageRgb8(scene_rgb(W, H));
    let rgba = DynamicImage::ImageRgba8(scene_transparent(W, H));
    for (what, format, img) in [
        ("GIF with a transparent colour", ImageFormat::Gif, &rgba),
        ("BMP", ImageFormat::Bmp, &rgb),
        ("BMP with alpha", ImageFormat::Bmp, &rgba),
        ("TIFF", ImageFormat::Tiff, &rgb),
        ("TIFF with alpha", ImageFormat::Tiff, &rgba),
        ("WebP lossless", ImageFormat::WebP, &rgb),
        ("WebP lossless with alpha", ImageFormat::WebP, &rgba),
    ] {
        assert_scene(&stored(&encoded(img, format), what), what);
    }
    assert_scene(&stored(&cmyk_tiff(), "CMYK TIFF"), "CMYK TIFF");
}

/// A CMYK TIFF (ink amounts, 0 = none), as print shops and some scanners send.
fn cmyk_tiff() -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    tiff::encoder::TiffEncoder::new(&mut out)
        .unwrap()
        .write_image::<tiff::encoder::colortype::CMYK8>(W, H, &scene_cmyk(W, H))
        .unwrap();
    out.into_inner()
}

#[test]
fn extreme_aspect_ratios_keep_a_pixel_and_their_colour() {
    let strip = |w: u32, h: u32| {
        DynamicImage::ImageRgb8(image::RgbImage::from_pixel(w, h, Rgb([255, 0, 0])))
    };
    for (what, bytes, expected) in [
        (
            "PNG 1 × 5,000",
            encoded(&strip(1, 5000), ImageFormat::Png),
            (1, 1600),
        ),
        (
            "PNG 5,000 × 1",
            encoded(&strip(5000, 1), ImageFormat::Png),
            (1600, 1),
        ),
        (
            "PNG 3 × 19,999",
            encoded(&strip(3, 19_999), ImageFormat::Png),
            (1, 1600),
        ),
        (
            "JPEG 8 × 4,000",
            jpeg(strip(8, 4000).as_bytes(), 8, 4000, ColorType::Rgb, |_| {}),
            (3, 1600),
        ),
        (
            "JPEG 4,000 × 8",
            jpeg(strip(4000, 8).as_bytes(), 4000, 8, ColorType::Rgb, |_| {}),
            (1600, 3),
        ),
    ] {
        let out = run(&bytes).unwrap_or_else(|e| panic!("{what}: {e:?}"));
        assert_eq!(out.size, expected, "{what}");
        let img = image::load_from_memory(&out.full).unwrap().to_rgb8();
        let [r, g, b] = sample(&img, 0.5, 0.5);
        assert!(r >= 200 && g <= 60 && b <= 60, "{what}: {:?}", [r, g, b]);
    }
}
