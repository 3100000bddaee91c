//! Images made in the tests: a camera-like JPEG with EXIF (orientation, GPS position, camera
//! details), a PNG, and a check that bytes carry no metadata.

use image::{DynamicImage, ImageFormat, RgbImage};

/// Text planted in the EXIF of [`jpeg_with_exif`]: it must never come back.
pub const EXIF_SECRET: &str = "CORTILE-SECRET-CAMERA";

/// A `width` × `height` JPEG (a gradient, so that it compresses like a photo).
pub fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let img = RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([
            (x * 255 / width.max(1)) as u8,
            (y * 255 / height.max(1)) as u8,
            90,
        ])
    });
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), ImageFormat::Jpeg)
        .expect("encode a JPEG");
    out
}

/// A `width` × `height` PNG.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let img = RgbImage::from_pixel(width, height, image::Rgb([200, 120, 40]));
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), ImageFormat::Png)
        .expect("encode a PNG");
    out
}

/// An EXIF block (TIFF, little endian) as cameras write it: IFD0 with the make, the
/// orientation and a pointer to a GPS IFD with a position in Milan.
pub fn exif_block(orientation: u16) -> Vec<u8> {
    fn u16le(v: u16) -> [u8; 2] {
        v.to_le_bytes()
    }
    fn u32le(v: u32) -> [u8; 4] {
        v.to_le_bytes()
    }
    let make = format!("{EXIF_SECRET}\0");
    // Layout: header (8) | IFD0 (2 + 3×12 + 4 = 42) | GPS IFD (2 + 4×12 + 4 = 54) | data
    let ifd0 = 8u32;
    let gps_ifd = ifd0 + 42;
    let data = gps_ifd + 54;
    let make_at = data;
    let lat_at = make_at + make.len() as u32;
    let lon_at = lat_at + 24;
    let mut t = Vec::new();
    t.extend_from_slice(b"II");
    t.extend_from_slice(&u16le(42));
    t.extend_from_slice(&u32le(ifd0));
    // IFD0: Make (ASCII), Orientation (SHORT), GPSInfo (LONG offset).
    t.extend_from_slice(&u16le(3));
    t.extend_from_slice(&u16le(0x010F));
    t.extend_from_slice(&u16le(2));
    t.extend_from_slice(&u32le(make.len() as u32));
    t.extend_from_slice(&u32le(make_at));
    t.extend_from_slice(&u16le(0x0112));
    t.extend_from_slice(&u16le(3));
    t.extend_from_slice(&u32le(1));
    t.extend_from_slice(&u16le(orientation));
    t.extend_from_slice(&u16le(0));
    t.extend_from_slice(&u16le(0x8825));
    t.extend_from_slice(&u16le(4));
    t.extend_from_slice(&u32le(1));
    t.extend_from_slice(&u32le(gps_ifd));
    t.extend_from_slice(&u32le(0));
    // GPS IFD: LatitudeRef N, Latitude 45°28'N, LongitudeRef E, Longitude 9°11'E.
    t.extend_from_slice(&u16le(4));
    for (tag, kind, count, value) in [
        (1u16, 2u16, 2u32, u32::from_le_bytes(*b"N\0\0\0")),
        (2, 5, 3, lat_at),
        (3, 2, 2, u32::from_le_bytes(*b"E\0\0\0")),
        (4, 5, 3, lon_at),
    ] {
        t.extend_from_slice(&u16le(tag));
        t.extend_from_slice(&u16le(kind));
        t.extend_from_slice(&u32le(count));
        t.extend_from_slice(&u32le(value));
    }
    t.extend_from_slice(&u32le(0));
    assert_eq!(t.len() as u32, data, "EXIF layout");
    t.extend_from_slice(make.as_bytes());
    for (deg, min) in [(45u32, 28u32), (9, 11)] {
        for (num, den) in [(deg, 1u32), (min, 1), (1234, 100)] {
            t.extend_from_slice(&u32le(num));
            t.extend_from_slice(&u32le(den));
        }
    }
    t
}

/// A `width` × `height` JPEG (as stored, before turning) with an APP1 EXIF segment right
/// after SOI, as a phone camera writes it. `orientation` 6 means "turn 90° clockwise to view".
pub fn jpeg_with_exif(width: u32, height: u32, orientation: u16) -> Vec<u8> {
    let plain = jpeg(width, height);
    assert_eq!(&plain[..2], &[0xFF, 0xD8], "SOI");
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&exif_block(orientation));
    let len = u16::try_from(payload.len() + 2).expect("segment length");
    let mut out = vec![0xFF, 0xD8, 0xFF, 0xE1];
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&payload);
    out.extend_from_slice(&plain[2..]);
    out
}

/// Whether `needle` occurs in `bytes`.
pub fn contains(bytes: &[u8], needle: &[u8]) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle)
}
