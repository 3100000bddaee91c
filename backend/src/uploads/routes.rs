//! HTTP handlers of uploads. Thin: the body is read under a limit, the image is cleaned on the
//! blocking pool (a few at a time: decoding is heavy), the rules live in `super`.

use actix_web::http::header;
use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use chrono::Utc;
use cortile_shared::upload::{Upload, MAX_UPLOAD_BYTES};
use cortile_shared::Problem;

use crate::auth::policy::{authorize, Action};
use crate::auth::Actor;
use crate::error::{AppError, AppResult};
use crate::http::AppState;

/// How long browsers may keep an image (they still ask again after; it never changes).
const CACHE_CONTROL: &str = "private, max-age=86400";

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(create_upload)
        .service(get_upload)
        .service(delete_upload);
}

fn too_large() -> AppError {
    super::sanitize::too_large(format!(
        "the file is larger than {} MiB",
        MAX_UPLOAD_BYTES / (1024 * 1024)
    ))
}

/// Upload an image (the request body: JPEG, PNG or WebP, at most 10 MiB). Its type is judged by
/// its content; it is turned upright, scaled to at most 2048 pixels a side and encoded again
/// without any metadata (EXIF, GPS, XMP). Then attach it, with an alt text, to a post.
#[utoipa::path(
    tag = "uploads",
    request_body(
        description = "The image itself (not multipart)",
        content(("image/jpeg"), ("image/png"), ("image/webp"))
    ),
    responses(
        (status = 201, body = Upload),
        (status = 413, description = "`upload_too_large`: over 10 MiB, or too many pixels", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "`upload_unsupported_type`: not a JPEG, PNG or WebP by its content", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`upload_unreadable`: the image is damaged", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many uploads", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/uploads")]
pub async fn create_upload(
    state: web::Data<AppState>,
    actor: Actor,
    req: HttpRequest,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    // Who, and whether they may, before reading a byte of the body.
    authorize(&actor, &Action::Upload)?;
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > MAX_UPLOAD_BYTES as u64) {
        return Err(too_large());
    }
    let now = Utc::now().naive_utc();
    let checking = actor.clone();
    state
        .db
        .run(move |conn| super::check_rate(conn, &checking, now))
        .await?;
    let body = match payload.to_bytes_limited(MAX_UPLOAD_BYTES).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => return Err(AppError::bad_request(format!("the upload failed: {e}"))),
        Err(_) => return Err(too_large()),
    };
    let cleaned = {
        let _permit = state
            .image_permits
            .acquire()
            .await
            .map_err(AppError::internal)?;
        tokio::task::spawn_blocking(move || super::sanitize::clean(&body)).await??
    };
    let upload = state
        .db
        .run(move |conn| super::create(conn, &actor, cleaned, now))
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, upload.url.clone()))
        .json(upload))
}

/// An uploaded image. Its owner sees it until it is attached; then whoever may read what it
/// is attached to (a post: whoever may read the post). Anyone else: 404.
#[utoipa::path(
    tag = "uploads",
    params(("token" = String, Path, description = "The upload's token")),
    responses(
        (status = 200, description = "The image", content(("image/jpeg"), ("image/png"))),
        (status = 304, description = "Not modified (`If-None-Match`)"),
        (status = 404, description = "No such upload, or hidden from the reader", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/uploads/{token}")]
pub async fn get_upload(
    state: web::Data<AppState>,
    actor: Actor,
    req: HttpRequest,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let etag = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let served = state
        .db
        .run(move |conn| super::read(conn, &actor, &token, etag.as_deref()))
        .await?;
    let mut res = match served.data {
        Some(_) => HttpResponse::Ok(),
        None => HttpResponse::NotModified(),
    };
    res.insert_header((header::ETAG, format!("\"{}\"", served.sha256)))
        .insert_header((header::CACHE_CONTROL, CACHE_CONTROL))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        // Opened on its own, the image can run nothing; other sites cannot embed it.
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        ))
        .insert_header(("Cross-Origin-Resource-Policy", "same-origin"));
    Ok(match served.data {
        Some(data) => res
            .insert_header((header::CONTENT_TYPE, served.mime))
            .body(data),
        None => res.finish(),
    })
}

/// Delete an upload of mine that is not attached to anything (picked by mistake).
#[utoipa::path(
    tag = "uploads",
    params(("token" = String, Path, description = "The upload's token")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such upload of mine", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Attached: edit what it is attached to instead", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/uploads/{token}")]
pub async fn delete_upload(
    state: web::Data<AppState>,
    actor: Actor,
    token: web::Path<String>,
) -> AppResult<HttpResponse> {
    let token = token.into_inner();
    let now = Utc::now().naive_utc();
    state
        .db
        .run(move |conn| super::delete(conn, &actor, &token, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
