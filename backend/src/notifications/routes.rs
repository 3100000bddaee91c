//! HTTP handlers of the notification centre.

use actix_web::{get, post, web, HttpResponse};
use chrono::Utc;
use cortile_shared::community::{Notification, UnreadCount};
use cortile_shared::Page;

use crate::auth::Actor;
use crate::error::AppResult;
use crate::http::{parse_id, AppState};
use crate::pagination::ListParams;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list)
        .service(unread)
        .service(read_all)
        .service(read_one);
}

/// My notifications, newest first.
#[utoipa::path(tag = "notifications", params(ListParams), responses((status = 200, body = Page<Notification>)))]
#[get("/notifications")]
pub async fn list(
    state: web::Data<AppState>,
    actor: Actor,
    page: web::Query<ListParams>,
) -> AppResult<HttpResponse> {
    let limit = page.limit()?;
    let after = page.after::<i64>()?;
    let list = state
        .db
        .run(move |conn| super::list(conn, &actor, after, limit))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// How many of my notifications are unread.
#[utoipa::path(tag = "notifications", responses((status = 200, body = UnreadCount)))]
#[get("/notifications/unread")]
pub async fn unread(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let n = state
        .db
        .run(move |conn| super::unread(conn, &actor))
        .await?;
    Ok(HttpResponse::Ok().json(n))
}

/// Mark all my notifications read.
#[utoipa::path(tag = "notifications", responses((status = 204, description = "Done")))]
#[post("/notifications/read")]
pub async fn read_all(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let now = Utc::now().naive_utc();
    state
        .db
        .run(move |conn| super::mark_all_read(conn, &actor, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Mark one of my notifications read.
#[utoipa::path(tag = "notifications", params(("id" = i64, Path, description = "Notification id")), responses((status = 204, description = "Done")))]
#[post("/notifications/{id}/read")]
pub async fn read_one(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let now = Utc::now().naive_utc();
    state
        .db
        .run(move |conn| super::mark_read(conn, &actor, id, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
