//! Fuzz target: the photo pipeline (`photos::pipeline::process`) on damaged pictures of every
//! format a phone or an office sends. Nothing may panic; a picture is either refused with a
//! `PhotoProblem` or comes out as a JPEG within the limits.

use gridwalk_core::photos::{PhotoOptions, pipeline};

fn target(bytes: &[u8]) {
    let options = PhotoOptions::default();
    if let Ok(done) = pipeline::process(bytes, &options) {
        assert!(done.full.starts_with(&[0xFF, 0xD8]), "the photo is a JPEG");
        assert!(
            done.thumb.starts_with(&[0xFF, 0xD8]),
            "the thumbnail is a JPEG"
        );
    }
}

#[test]
fn photos() {
    gridwalk_fuzz::run("photos", target);
}
