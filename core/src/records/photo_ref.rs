//! How records refer to photos and places: a [`PhotoRef`] names a photo by the SHA-256 of its
//! bytes (the files themselves are [`crate::photos`]' and the store's business), and a
//! [`Location`] is a point the phone's location service gave.

use serde::{Deserialize, Serialize};

use crate::time::Timestamp;

/// A point on the map, as the phone's location service gave it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Location {
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lon: f64,
}

/// A photo as a record refers to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoRef {
    /// SHA-256 (hex) of the full photo's JPEG bytes.
    pub full: String,
    /// SHA-256 (hex) of the thumbnail's JPEG bytes.
    pub thumb: String,
    /// Width of the full photo.
    pub width: u32,
    /// Height of the full photo.
    pub height: u32,
    /// When it was taken, as the app says (the file's EXIF is not kept).
    pub taken_at: Option<Timestamp>,
    /// Where it was taken, as the app says.
    pub location: Option<Location>,
}
