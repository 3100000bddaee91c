//! Turning untrusted bytes into a clean image: no I/O, no database, unit-tested.
//!
//! 1. The type is sniffed from the first bytes (`image::guess_format`); only JPEG, PNG and WebP
//!    are accepted, whatever the file's name or `Content-Type` say.
//! 2. The header is read first: a side over [`MAX_DECODE_SIDE`] or a decoded size over
//!    [`MAX_DECODE_BYTES`] is refused before any pixel is decoded (decompression bombs).
//! 3. The pixels are decoded, turned upright by the EXIF orientation, scaled down to
//!    [`MAX_IMAGE_SIDE`] and encoded again: JPEG at quality [`JPEG_QUALITY`], or PNG when the
//!    upload was a PNG or has transparency. The encoders write pixels only, so no EXIF, XMP,
//!    IPTC, GPS or comment of the original survives.

use std::io::Cursor;

use cortile_shared::upload::{MAX_DECODE_SIDE, MAX_IMAGE_SIDE, MAX_UPLOAD_BYTES};
use cortile_shared::ErrorCode;
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

use crate::error::{AppError, AppResult};

/// Most bytes the decoded pixels of an upload may take (e.g. 12,000 × 8,000 RGB).
pub const MAX_DECODE_BYTES: u64 = 320 * 1024 * 1024;
/// Quality of the JPEGs we write: good for photos, about a tenth of the original's size.
pub const JPEG_QUALITY: u8 = 85;

/// A cleaned image, ready to store.
#[derive(Debug, Clone)]
pub struct Cleaned {
    pub mime: &'static str,
    pub width: u32,
    pub height: u32,
    pub data: Vec<u8>,
    /// Hex SHA-256 of `data`.
    pub sha256: String,
}

pub fn too_large(detail: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::UploadTooLarge).with_detail(detail)
}

fn unsupported() -> AppError {
    AppError::new(ErrorCode::UploadUnsupportedType)
        .with_detail("the file is not a JPEG, PNG or WebP image (judged by its content)")
}

fn unreadable(e: impl std::fmt::Display) -> AppError {
    AppError::new(ErrorCode::UploadUnreadable).with_detail(format!("the image cannot be read: {e}"))
}

/// Maps a decoding failure: over a limit is "too large", anything else "unreadable".
fn decode_error(e: image::ImageError) -> AppError {
    match e {
        image::ImageError::Limits(_) => too_large(format!(
            "the image is larger than {MAX_DECODE_SIDE} pixels on a side, or too large to decode"
        )),
        image::ImageError::Unsupported(_) => unsupported(),
        other => unreadable(other),
    }
}

/// The accepted format of these bytes, judged by their content alone.
pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    image::guess_format(bytes)
        .ok()
        .filter(|f| matches!(f, ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP))
}

/// Checks, decodes, orients, shrinks and re-encodes an uploaded image.
pub fn clean(bytes: &[u8]) -> AppResult<Cleaned> {
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(too_large(format!(
            "the file is larger than {} MiB",
            MAX_UPLOAD_BYTES / (1024 * 1024)
        )));
    }
    let format = sniff(bytes).ok_or_else(unsupported)?;
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODE_SIDE);
    limits.max_image_height = Some(MAX_DECODE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    // Reads the header only; the side limits are checked here.
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    if decoder.total_bytes() > MAX_DECODE_BYTES {
        return Err(too_large(
            "the image has too many pixels to decode; send a smaller one",
        ));
    }
    let orientation = decoder.orientation().map_err(decode_error)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    img.apply_orientation(orientation);
    if img.width().max(img.height()) > MAX_IMAGE_SIDE {
        img = img.resize(MAX_IMAGE_SIDE, MAX_IMAGE_SIDE, FilterType::CatmullRom);
    }
    let keep_png = format == ImageFormat::Png || img.color().has_alpha();
    let mut data = Vec::new();
    let mime = if keep_png {
        let img = if img.color().has_alpha() {
            DynamicImage::ImageRgba8(img.to_rgba8())
        } else {
            DynamicImage::ImageRgb8(img.to_rgb8())
        };
        img.write_with_encoder(PngEncoder::new(&mut data))
            .map_err(AppError::internal)?;
        "image/png"
    } else {
        let rgb = img.to_rgb8();
        JpegEncoder::new_with_quality(&mut data, JPEG_QUALITY)
            .encode_image(&rgb)
            .map_err(AppError::internal)?;
        "image/jpeg"
    };
    let sha256 = Sha256::digest(&data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(Cleaned {
        mime,
        width: img.width(),
        height: img.height(),
        data,
        sha256,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32, alpha: bool) -> Vec<u8> {
        let img = if alpha {
            DynamicImage::ImageRgba8(image::RgbaImage::from_pixel(
                w,
                h,
                image::Rgba([10, 20, 30, 128]),
            ))
        } else {
            DynamicImage::ImageRgb8(image::RgbImage::from_pixel(w, h, image::Rgb([1, 2, 3])))
        };
        let mut out = Vec::new();
        img.write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .expect("png");
        out
    }

    #[test]
    fn text_is_not_an_image_whatever_its_name() {
        let e = clean(b"GIF89a is not accepted either").expect_err("refused");
        assert_eq!(e.code, ErrorCode::UploadUnsupportedType);
        let e = clean(b"hello, I am a .jpg").expect_err("refused");
        assert_eq!(e.code, ErrorCode::UploadUnsupportedType);
        assert_eq!(
            clean(b"").expect_err("refused").code,
            ErrorCode::UploadUnsupportedType
        );
    }

    #[test]
    fn a_truncated_image_is_unreadable() {
        let mut bytes = png(40, 30, false);
        bytes.truncate(bytes.len() / 2);
        assert_eq!(
            clean(&bytes).expect_err("refused").code,
            ErrorCode::UploadUnreadable
        );
    }

    #[test]
    fn pngs_stay_png_and_big_ones_shrink() {
        let c = clean(&png(3000, 1500, false)).expect("clean");
        assert_eq!((c.mime, c.width, c.height), ("image/png", 2048, 1024));
        assert_eq!(c.sha256.len(), 64);
        let c = clean(&png(20, 10, true)).expect("clean");
        assert_eq!((c.mime, c.width, c.height), ("image/png", 20, 10));
    }

    /// CRC-32 (ISO-HDLC, as PNG chunks use it).
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for b in bytes {
            crc ^= u32::from(*b);
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

    #[test]
    fn a_bomb_is_refused_before_decoding() {
        // A valid PNG header claiming 20,000 × 20,000 pixels (the pixels need not follow).
        let mut bytes = png(1, 1, false);
        bytes[16..20].copy_from_slice(&20_000u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&20_000u32.to_be_bytes());
        let crc = crc32(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        let e = clean(&bytes).expect_err("refused");
        assert_eq!(e.code, ErrorCode::UploadTooLarge, "{e}");
        // Within the sides, but too many pixels for the decoding budget.
        let mut bytes = png(1, 1, false);
        bytes[16..20].copy_from_slice(&11_900u32.to_be_bytes());
        bytes[20..24].copy_from_slice(&11_900u32.to_be_bytes());
        let crc = crc32(&bytes[12..29]);
        bytes[29..33].copy_from_slice(&crc.to_be_bytes());
        let e = clean(&bytes).expect_err("refused");
        assert_eq!(e.code, ErrorCode::UploadTooLarge, "{e}");
    }
}
