//! Uploaded images: the limits every domain that takes photos shares (posts now; time-bank
//! listings and maintenance reports later), the answer to an upload, and how a post names
//! and shows its images.
//!
//! An upload is the raw image as the request body of `POST /api/v1/uploads`. The server sniffs
//! the type from the bytes (JPEG, PNG or WebP; never from the file name or the header), decodes
//! it under limits, applies the EXIF orientation, shrinks it to [`MAX_IMAGE_SIDE`] and encodes
//! it again, so that no EXIF, XMP or GPS metadata survives. The answer names it by an
//! unguessable token; a post then attaches it with an alt text.

use serde::{Deserialize, Serialize};

/// Largest request body of an upload (10 MiB); beyond it: 413 `upload_too_large`.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;
/// Longest side, in pixels, of a stored image (larger ones are scaled down).
pub const MAX_IMAGE_SIDE: u32 = 2048;
/// Longest side, in pixels, the server agrees to decode; beyond it: 413 `upload_too_large`.
pub const MAX_DECODE_SIDE: u32 = 12_000;
/// Most images on one post.
pub const MAX_POST_IMAGES: usize = 6;
/// Longest alt text (characters); it is required (at least one).
pub const MAX_ALT_LEN: usize = 250;
/// The media types an upload may have (sniffed from its bytes).
pub const ACCEPTED_TYPES: [&str; 3] = ["image/jpeg", "image/png", "image/webp"];

/// The public name of an upload: a random UUID, so that URLs cannot be enumerated.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct UploadToken(pub String);

impl std::fmt::Display for UploadToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// `POST /api/v1/uploads` answers with the stored image (201).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Upload {
    /// What to send as `upload` when attaching it.
    pub id: UploadToken,
    /// Where the image is served (`/api/v1/uploads/{id}`); only its owner sees it until it is
    /// attached, then whoever may read what it is attached to.
    pub url: String,
    pub width: u32,
    pub height: u32,
    /// `image/jpeg` or `image/png`, whatever was sent (WebP is stored as one of them).
    pub mime: String,
    /// Size of the stored image in bytes.
    pub bytes: i64,
}

/// An image to attach: an upload of mine, and what it shows for people who cannot see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImageRef {
    pub upload: UploadToken,
    /// Required: 1 to [`MAX_ALT_LEN`] characters.
    pub alt: String,
}

/// An image of a post, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PostImage {
    /// The upload, for the author's editor (send it back to keep the image).
    pub upload: UploadToken,
    pub url: String,
    pub alt: String,
    pub width: u32,
    pub height: u32,
}

/// The URL of an upload under the API root.
pub fn upload_url(token: &UploadToken) -> String {
    format!("{}/uploads/{}", crate::API_PREFIX, token.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_travel_as_plain_strings() {
        let r: ImageRef =
            serde_json::from_str(r#"{"upload":"abc","alt":"Il cortile"}"#).expect("decode");
        assert_eq!(r.upload, UploadToken("abc".into()));
        assert_eq!(upload_url(&r.upload), "/api/v1/uploads/abc");
    }
}
