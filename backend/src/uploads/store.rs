//! Upload queries (diesel DSL, the same text on SQLite and PostgreSQL), and the attachment
//! tables of the domains that take images (`post_images`, `report_images`, `listing_images`).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use cortile_shared::upload::UploadToken;
use diesel::prelude::*;

use super::{Attachment, Cleaned};
use crate::db::schema::{listing_images, post_images, report_images, uploads};
use crate::db::DbConn;
use crate::error::AppResult;

/// An upload without its bytes.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = uploads)]
pub struct UploadMeta {
    pub id: i64,
    pub token: String,
    pub owner_id: i64,
    pub mime: String,
    pub sha256: String,
}

pub fn insert(
    conn: &mut DbConn,
    token: &UploadToken,
    owner: i64,
    img: &Cleaned,
    now: NaiveDateTime,
) -> AppResult<i64> {
    Ok(crate::insert_returning_id!(
        conn,
        uploads::table,
        uploads::id,
        (
            uploads::token.eq(&token.0),
            uploads::owner_id.eq(owner),
            uploads::mime.eq(img.mime),
            uploads::width.eq(i32::try_from(img.width).unwrap_or(i32::MAX)),
            uploads::height.eq(i32::try_from(img.height).unwrap_or(i32::MAX)),
            uploads::byte_size.eq(img.data.len() as i64),
            uploads::sha256.eq(&img.sha256),
            uploads::data.eq(&img.data),
            uploads::created_at.eq(now),
        )
    )?)
}

/// When the owner's latest uploads were made (deleted ones count), newest first.
pub fn recent_of(
    conn: &mut DbConn,
    owner: i64,
    since: NaiveDateTime,
    limit: i64,
) -> AppResult<Vec<NaiveDateTime>> {
    Ok(uploads::table
        .filter(uploads::owner_id.eq(owner))
        .filter(uploads::created_at.gt(since))
        .order(uploads::created_at.desc())
        .limit(limit)
        .select(uploads::created_at)
        .load(conn)?)
}

/// A live upload by its token.
pub fn meta(conn: &mut DbConn, token: &str) -> AppResult<Option<UploadMeta>> {
    Ok(uploads::table
        .filter(uploads::token.eq(token))
        .filter(uploads::deleted_at.is_null())
        .select(UploadMeta::as_select())
        .first(conn)
        .optional()?)
}

/// Live uploads by their tokens.
pub fn metas(conn: &mut DbConn, tokens: &[&str]) -> AppResult<Vec<UploadMeta>> {
    if tokens.is_empty() {
        return Ok(Vec::new());
    }
    Ok(uploads::table
        .filter(uploads::token.eq_any(tokens))
        .filter(uploads::deleted_at.is_null())
        .select(UploadMeta::as_select())
        .load(conn)?)
}

pub fn data(conn: &mut DbConn, id: i64) -> AppResult<Vec<u8>> {
    Ok(uploads::table.find(id).select(uploads::data).first(conn)?)
}

/// Empties the bytes of uploads and marks them deleted; detaches them.
pub fn tombstone(conn: &mut DbConn, ids: &[i64], now: NaiveDateTime) -> AppResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    diesel::delete(post_images::table.filter(post_images::upload_id.eq_any(ids))).execute(conn)?;
    diesel::delete(report_images::table.filter(report_images::upload_id.eq_any(ids)))
        .execute(conn)?;
    diesel::delete(listing_images::table.filter(listing_images::upload_id.eq_any(ids)))
        .execute(conn)?;
    diesel::update(uploads::table.filter(uploads::id.eq_any(ids)))
        .set((
            uploads::data.eq(Vec::<u8>::new()),
            uploads::byte_size.eq(0_i64),
            uploads::deleted_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Deletes for good the uploads never attached that were made before `unattached_before`,
/// and the deleted ones older than `deleted_before` (out of the rate limit's window).
pub fn purge(
    conn: &mut DbConn,
    unattached_before: NaiveDateTime,
    deleted_before: NaiveDateTime,
) -> AppResult<()> {
    diesel::delete(
        uploads::table
            .filter(uploads::created_at.lt(unattached_before))
            .filter(diesel::dsl::not(
                uploads::id.eq_any(post_images::table.select(post_images::upload_id)),
            ))
            .filter(diesel::dsl::not(
                uploads::id.eq_any(report_images::table.select(report_images::upload_id)),
            ))
            .filter(diesel::dsl::not(uploads::id.eq_any(
                listing_images::table.select(listing_images::upload_id),
            ))),
    )
    .execute(conn)?;
    diesel::delete(
        uploads::table
            .filter(uploads::deleted_at.is_not_null())
            .filter(uploads::deleted_at.lt(deleted_before)),
    )
    .execute(conn)?;
    Ok(())
}

/// The live uploads of a person attached to nothing.
pub fn unattached_of(conn: &mut DbConn, owner: i64) -> AppResult<Vec<i64>> {
    Ok(uploads::table
        .filter(uploads::owner_id.eq(owner))
        .filter(uploads::deleted_at.is_null())
        .filter(diesel::dsl::not(
            uploads::id.eq_any(post_images::table.select(post_images::upload_id)),
        ))
        .filter(diesel::dsl::not(
            uploads::id.eq_any(report_images::table.select(report_images::upload_id)),
        ))
        .filter(diesel::dsl::not(uploads::id.eq_any(
            listing_images::table.select(listing_images::upload_id),
        )))
        .select(uploads::id)
        .load(conn)?)
}

// Attachments. A new kind of attachment adds its table to the three functions below.

/// What an upload is attached to, if anything.
pub fn attachment_of(conn: &mut DbConn, upload: i64) -> AppResult<Option<Attachment>> {
    Ok(attachments_of(conn, &[upload])?.remove(&upload))
}

/// What each of these uploads is attached to (those attached to nothing are absent).
pub fn attachments_of(conn: &mut DbConn, ids: &[i64]) -> AppResult<HashMap<i64, Attachment>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let mut out: HashMap<i64, Attachment> = post_images::table
        .filter(post_images::upload_id.eq_any(ids))
        .select((post_images::upload_id, post_images::post_id))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .map(|(upload, post)| (upload, Attachment::Post(post)))
        .collect();
    out.extend(
        report_images::table
            .filter(report_images::upload_id.eq_any(ids))
            .select((
                report_images::upload_id,
                report_images::report_id,
                report_images::history_id,
            ))
            .load::<(i64, i64, Option<i64>)>(conn)?
            .into_iter()
            .map(|(upload, report, step)| {
                (
                    upload,
                    match step {
                        Some(step) => Attachment::ReportStep { report, step },
                        None => Attachment::Report(report),
                    },
                )
            }),
    );
    out.extend(
        listing_images::table
            .filter(listing_images::upload_id.eq_any(ids))
            .select((listing_images::upload_id, listing_images::listing_id))
            .load::<(i64, i64)>(conn)?
            .into_iter()
            .map(|(upload, listing)| (upload, Attachment::Listing(listing))),
    );
    Ok(out)
}

/// The uploads attached to a thing.
pub fn attached_to(conn: &mut DbConn, target: Attachment) -> AppResult<Vec<i64>> {
    match target {
        Attachment::Post(post) => Ok(post_images::table
            .filter(post_images::post_id.eq(post))
            .select(post_images::upload_id)
            .load(conn)?),
        Attachment::Report(report) => Ok(report_images::table
            .filter(report_images::report_id.eq(report))
            .filter(report_images::history_id.is_null())
            .select(report_images::upload_id)
            .load(conn)?),
        Attachment::ReportStep { step, .. } => Ok(report_images::table
            .filter(report_images::history_id.eq(step))
            .select(report_images::upload_id)
            .load(conn)?),
        Attachment::Listing(listing) => Ok(listing_images::table
            .filter(listing_images::listing_id.eq(listing))
            .select(listing_images::upload_id)
            .load(conn)?),
    }
}

/// Replaces the attachments of a thing with these uploads and alt texts, in order.
pub fn set_attachments(
    conn: &mut DbConn,
    target: Attachment,
    chosen: &[(i64, String)],
) -> AppResult<()> {
    match target {
        Attachment::Listing(listing) => {
            diesel::delete(listing_images::table.filter(listing_images::listing_id.eq(listing)))
                .execute(conn)?;
            for (position, (upload, alt)) in chosen.iter().enumerate() {
                diesel::insert_into(listing_images::table)
                    .values((
                        listing_images::listing_id.eq(listing),
                        listing_images::upload_id.eq(upload),
                        listing_images::position.eq(i32::try_from(position).unwrap_or(i32::MAX)),
                        listing_images::alt.eq(alt),
                    ))
                    .execute(conn)?;
            }
        }
        Attachment::Post(post) => {
            diesel::delete(post_images::table.filter(post_images::post_id.eq(post)))
                .execute(conn)?;
            for (position, (upload, alt)) in chosen.iter().enumerate() {
                diesel::insert_into(post_images::table)
                    .values((
                        post_images::post_id.eq(post),
                        post_images::upload_id.eq(upload),
                        post_images::position.eq(i32::try_from(position).unwrap_or(i32::MAX)),
                        post_images::alt.eq(alt),
                    ))
                    .execute(conn)?;
            }
        }
        Attachment::Report(report) | Attachment::ReportStep { report, .. } => {
            let step = match target {
                Attachment::ReportStep { step, .. } => Some(step),
                _ => None,
            };
            let mut old = report_images::table
                .filter(report_images::report_id.eq(report))
                .into_boxed();
            old = match step {
                Some(s) => old.filter(report_images::history_id.eq(s)),
                None => old.filter(report_images::history_id.is_null()),
            };
            let old_ids: Vec<i64> = old.select(report_images::id).load(conn)?;
            diesel::delete(report_images::table.filter(report_images::id.eq_any(old_ids)))
                .execute(conn)?;
            for (position, (upload, alt)) in chosen.iter().enumerate() {
                diesel::insert_into(report_images::table)
                    .values((
                        report_images::report_id.eq(report),
                        report_images::history_id.eq(step),
                        report_images::upload_id.eq(upload),
                        report_images::position.eq(i32::try_from(position).unwrap_or(i32::MAX)),
                        report_images::alt.eq(alt),
                    ))
                    .execute(conn)?;
            }
        }
    }
    Ok(())
}

/// An image of a report (`step`: the history step it belongs to, if any).
#[derive(Debug, Queryable)]
pub struct ReportImageRow {
    pub step: Option<i64>,
    pub token: String,
    pub alt: String,
    pub width: i32,
    pub height: i32,
}

/// The images of a report and of its history's steps, in order.
pub fn images_of_report(conn: &mut DbConn, report: i64) -> AppResult<Vec<ReportImageRow>> {
    Ok(report_images::table
        .inner_join(uploads::table)
        .filter(report_images::report_id.eq(report))
        .filter(uploads::deleted_at.is_null())
        .order((report_images::history_id, report_images::position))
        .select((
            report_images::history_id,
            uploads::token,
            report_images::alt,
            uploads::width,
            uploads::height,
        ))
        .load(conn)?)
}

/// An image of a post.
#[derive(Debug, Queryable)]
pub struct PostImageRow {
    pub post_id: i64,
    pub token: String,
    pub alt: String,
    pub width: i32,
    pub height: i32,
}

/// The images of these posts, in order.
pub fn images_of_posts(conn: &mut DbConn, posts: &[i64]) -> AppResult<Vec<PostImageRow>> {
    if posts.is_empty() {
        return Ok(Vec::new());
    }
    Ok(post_images::table
        .inner_join(uploads::table)
        .filter(post_images::post_id.eq_any(posts))
        .filter(uploads::deleted_at.is_null())
        .order((post_images::post_id, post_images::position))
        .select((
            post_images::post_id,
            uploads::token,
            post_images::alt,
            uploads::width,
            uploads::height,
        ))
        .load(conn)?)
}

/// An image of a listing.
#[derive(Debug, Queryable)]
pub struct ListingImageRow {
    pub listing_id: i64,
    pub token: String,
    pub alt: String,
    pub width: i32,
    pub height: i32,
}

/// The images of these listings, in order.
pub fn images_of_listings(conn: &mut DbConn, listings: &[i64]) -> AppResult<Vec<ListingImageRow>> {
    if listings.is_empty() {
        return Ok(Vec::new());
    }
    Ok(listing_images::table
        .inner_join(uploads::table)
        .filter(listing_images::listing_id.eq_any(listings))
        .filter(uploads::deleted_at.is_null())
        .order((listing_images::listing_id, listing_images::position))
        .select((
            listing_images::listing_id,
            uploads::token,
            listing_images::alt,
            uploads::width,
            uploads::height,
        ))
        .load(conn)?)
}
