//! Uploaded images, for every domain that takes photos (posts, maintenance reports and
//! time-bank listings).
//!
//! The life of an upload:
//! 1. `POST /api/v1/uploads` with the image as the body: checked by content, decoded under
//!    limits and re-encoded without metadata ([`sanitize::clean`]), stored in the database with a
//!    random token. Only its owner sees it.
//! 2. The owner attaches it, with an alt text, when writing the thing it belongs to
//!    ([`attach`], in that write's transaction). From then on whoever may read that thing sees
//!    the image, and nobody else ([`may_read`]: a denied read is a 404, like the thing's own).
//! 3. Left out of the thing at an edit, or deleted by its owner while unattached: its bytes are
//!    emptied at once ([`tombstone`]); the row stays for the rate limit's window. Uploads never
//!    attached are purged after [`UNATTACHED_TTL`].
//!
//! Each kind of thing keeps its attachments in a table of its own (`post_images` for posts,
//! `report_images` for maintenance reports, `listing_images` for listings);
//! [`Attachment`] names them, and [`may_read`] and [`attach`] are the only places that know.

pub mod routes;
pub mod sanitize;
mod store;

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use cortile_shared::upload::{
    upload_url, ImageRef, PostImage, Upload, UploadToken, MAX_ALT_LEN, MAX_POST_IMAGES,
};
use cortile_shared::{ErrorCode, FieldError};
use serde_json::json;

use crate::audit::{self, Object};
use crate::auth::policy::{authorize, Action};
use crate::auth::Actor;
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult};

pub use sanitize::Cleaned;
use store::UploadMeta;

/// Uploads one person may make in [`RATE_WINDOW`] (six photos for each of five posts).
pub const MAX_UPLOADS_PER_WINDOW: i64 = 30;
pub const RATE_WINDOW: chrono::Duration = chrono::Duration::minutes(10);
/// How long an upload may wait to be attached before it is purged.
pub const UNATTACHED_TTL: chrono::Duration = chrono::Duration::hours(24);

/// What an upload is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attachment {
    Post(i64),
    /// A maintenance report's own photos.
    Report(i64),
    /// The photos of one step of a report's history (a reopening: "still broken").
    ReportStep {
        report: i64,
        step: i64,
    },
    /// A time-bank or marketplace listing's photos.
    Listing(i64),
}

fn hidden() -> AppError {
    AppError::not_found("no such upload")
}

/// Refuses an upload beyond the rate limit (429 with Retry-After), before any decoding.
pub fn check_rate(conn: &mut DbConn, actor: &Actor, now: NaiveDateTime) -> AppResult<()> {
    authorize(actor, &Action::Upload)?;
    let me = actor.require()?.principal.id.0;
    let times = store::recent_of(conn, me, now - RATE_WINDOW, MAX_UPLOADS_PER_WINDOW)?;
    match times.last() {
        Some(oldest) if times.len() as i64 >= MAX_UPLOADS_PER_WINDOW => {
            let wait = (*oldest + RATE_WINDOW - now).num_seconds().max(1);
            Err(AppError::rate_limited(u64::try_from(wait).unwrap_or(60)))
        }
        _ => Ok(()),
    }
}

/// Stores a cleaned image as the actor's upload; purges what has expired on the way.
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    img: Cleaned,
    now: NaiveDateTime,
) -> AppResult<Upload> {
    authorize(actor, &Action::Upload)?;
    let me = actor.require()?.principal.id.0;
    let token = UploadToken(uuid::Uuid::new_v4().to_string());
    let bytes = img.data.len() as i64;
    write_tx(conn, |conn| -> AppResult<()> {
        store::purge(conn, now - UNATTACHED_TTL, now - RATE_WINDOW)?;
        let id = store::insert(conn, &token, me, &img, now)?;
        if actor.operator().is_some() {
            audit::record(
                conn,
                actor,
                "upload.create",
                Some(Object { kind: "upload", id }),
                None,
                json!({}),
                now,
            )?;
        }
        Ok(())
    })?;
    Ok(Upload {
        url: upload_url(&token),
        id: token,
        width: img.width,
        height: img.height,
        mime: img.mime.to_owned(),
        bytes,
    })
}

/// An upload as served: its type, its ETag, and its bytes unless the client has them.
pub struct Served {
    pub mime: String,
    pub sha256: String,
    /// `None` when `If-None-Match` named the current version (304).
    pub data: Option<Vec<u8>>,
}

/// Whether the actor may see this upload: the owner while it is unattached; then whoever may
/// read what it is attached to. Every denial is the same 404.
fn may_read(conn: &mut DbConn, actor: &Actor, meta: &UploadMeta) -> AppResult<()> {
    actor.require()?;
    match store::attachment_of(conn, meta.id)? {
        Some(Attachment::Report(report) | Attachment::ReportStep { report, .. }) => {
            crate::maintenance::load_readable(conn, actor, report)
                .map(|_| ())
                .map_err(|e| {
                    if e.code == ErrorCode::NotFound {
                        hidden()
                    } else {
                        e
                    }
                })
        }
        Some(Attachment::Listing(listing)) => crate::market::load_listing(conn, actor, listing)
            .map(|_| ())
            .map_err(|e| {
                if e.code == ErrorCode::NotFound {
                    hidden()
                } else {
                    e
                }
            }),
        Some(Attachment::Post(post)) => crate::communities::load_post(conn, actor, post)
            .map(|_| ())
            .map_err(|e| {
                if e.code == ErrorCode::NotFound {
                    hidden()
                } else {
                    e
                }
            }),
        None => authorize(
            actor,
            &Action::OwnUpload {
                owner: meta.owner_id,
            },
        )
        .map(|_| ())
        .map_err(|e| {
            if e.code == ErrorCode::NotFound {
                hidden()
            } else {
                e
            }
        }),
    }
}

/// Serves an upload to whoever may see it (`etag`: the client's `If-None-Match`).
pub fn read(
    conn: &mut DbConn,
    actor: &Actor,
    token: &str,
    etag: Option<&str>,
) -> AppResult<Served> {
    actor.require()?;
    let meta = store::meta(conn, token)?.ok_or_else(hidden)?;
    may_read(conn, actor, &meta)?;
    let fresh = etag.is_some_and(|tags| {
        tags.split(',')
            .map(|t| t.trim().trim_start_matches("W/").trim_matches('"'))
            .any(|t| t == meta.sha256 || t == "*")
    });
    let data = if fresh {
        None
    } else {
        Some(store::data(conn, meta.id)?)
    };
    Ok(Served {
        mime: meta.mime,
        sha256: meta.sha256,
        data,
    })
}

/// The owner deletes an upload they have not attached (e.g. picked by mistake).
pub fn delete(conn: &mut DbConn, actor: &Actor, token: &str, now: NaiveDateTime) -> AppResult<()> {
    actor.require()?;
    let meta = store::meta(conn, token)?.ok_or_else(hidden)?;
    authorize(
        actor,
        &Action::OwnUpload {
            owner: meta.owner_id,
        },
    )
    .map_err(|_| hidden())?;
    write_tx(conn, |conn| -> AppResult<()> {
        if store::attachment_of(conn, meta.id)?.is_some() {
            return Err(AppError::new(ErrorCode::Conflict)
                .with_detail("the image is attached: edit what it is attached to, to remove it"));
        }
        store::tombstone(conn, &[meta.id], now)?;
        Ok(())
    })
}

/// Checks the shape of a list of images (how many, alt texts), adding field errors named
/// `images` and `images[i].alt`. Ownership is checked by [`attach`].
pub fn check_refs(images: &[ImageRef], errors: &mut Vec<FieldError>) {
    if images.len() > MAX_POST_IMAGES {
        errors.push(FieldError::new(
            "images",
            "too_many",
            format!("at most {MAX_POST_IMAGES} images"),
        ));
        return;
    }
    for (i, image) in images.iter().enumerate() {
        let n = image.alt.trim().chars().count();
        let field = format!("images[{i}].alt");
        if n == 0 {
            errors.push(FieldError::new(
                field,
                "required",
                "describe the image for people who cannot see it",
            ));
        } else if n > MAX_ALT_LEN {
            errors.push(FieldError::new(
                field,
                "too_long",
                format!("the description must have at most {MAX_ALT_LEN} characters"),
            ));
        }
    }
}

/// Makes `images` the attachments of `target`, in order, inside the caller's transaction.
/// Each must be an upload of `owner` attached to nothing yet, or one already attached to
/// `target` (kept at an edit, whoever uploaded it: a listing's organisation has several
/// editors); otherwise a field error `images[i].upload`. Former attachments left out are
/// deleted. Call [`check_refs`] first.
pub fn attach(
    conn: &mut DbConn,
    owner: i64,
    target: Attachment,
    images: &[ImageRef],
    now: NaiveDateTime,
) -> AppResult<()> {
    let tokens: Vec<&str> = images.iter().map(|i| i.upload.0.as_str()).collect();
    let found: HashMap<String, UploadMeta> = store::metas(conn, &tokens)?
        .into_iter()
        .map(|m| (m.token.clone(), m))
        .collect();
    let ids: Vec<i64> = found.values().map(|m| m.id).collect();
    let attached = store::attachments_of(conn, &ids)?;
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    let mut chosen = Vec::new();
    for (i, image) in images.iter().enumerate() {
        let field = format!("images[{i}].upload");
        let usable = found
            .get(&image.upload.0)
            .filter(|m| match attached.get(&m.id) {
                Some(a) => *a == target,
                None => m.owner_id == owner,
            });
        match usable {
            None => errors.push(FieldError::new(
                field,
                "not_available",
                "no such upload of yours, or it is attached to something else",
            )),
            Some(m) if !seen.insert(m.id) => errors.push(FieldError::new(
                field,
                "duplicate",
                "the same image is in the list twice",
            )),
            Some(m) => chosen.push((m.id, image.alt.trim().to_owned())),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let before = store::attached_to(conn, target)?;
    store::set_attachments(conn, target, &chosen)?;
    let dropped: Vec<i64> = before
        .into_iter()
        .filter(|id| !chosen.iter().any(|(c, _)| c == id))
        .collect();
    store::tombstone(conn, &dropped, now)
}

/// The images of posts, in order, by post.
pub fn post_images(conn: &mut DbConn, posts: &[i64]) -> AppResult<HashMap<i64, Vec<PostImage>>> {
    let mut out: HashMap<i64, Vec<PostImage>> = HashMap::new();
    for row in store::images_of_posts(conn, posts)? {
        let upload = UploadToken(row.token);
        out.entry(row.post_id).or_default().push(PostImage {
            url: upload_url(&upload),
            upload,
            alt: row.alt,
            width: u32::try_from(row.width).unwrap_or(0),
            height: u32::try_from(row.height).unwrap_or(0),
        });
    }
    Ok(out)
}

/// The images of listings, in order, by listing.
pub fn listing_images(
    conn: &mut DbConn,
    listings: &[i64],
) -> AppResult<HashMap<i64, Vec<PostImage>>> {
    let mut out: HashMap<i64, Vec<PostImage>> = HashMap::new();
    for row in store::images_of_listings(conn, listings)? {
        let upload = UploadToken(row.token);
        out.entry(row.listing_id).or_default().push(PostImage {
            url: upload_url(&upload),
            upload,
            alt: row.alt,
            width: u32::try_from(row.width).unwrap_or(0),
            height: u32::try_from(row.height).unwrap_or(0),
        });
    }
    Ok(out)
}

/// The images of a report, in order, by history step (`None`: the report's own).
pub fn report_images(
    conn: &mut DbConn,
    report: i64,
) -> AppResult<HashMap<Option<i64>, Vec<PostImage>>> {
    let mut out: HashMap<Option<i64>, Vec<PostImage>> = HashMap::new();
    for row in store::images_of_report(conn, report)? {
        let upload = UploadToken(row.token);
        out.entry(row.step).or_default().push(PostImage {
            url: upload_url(&upload),
            upload,
            alt: row.alt,
            width: u32::try_from(row.width).unwrap_or(0),
            height: u32::try_from(row.height).unwrap_or(0),
        });
    }
    Ok(out)
}

/// At erasure: the person's uploads attached to nothing are deleted at once.
pub fn erase_unattached(conn: &mut DbConn, owner: i64, now: NaiveDateTime) -> AppResult<()> {
    let ids = store::unattached_of(conn, owner)?;
    store::tombstone(conn, &ids, now)
}
