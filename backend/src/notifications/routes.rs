//! HTTP handlers of the notification centre.

use actix_web::{get, post, put, web, HttpResponse};
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
        .service(read_one)
        .service(get_settings)
        .service(put_settings);
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

/// Where and how I want to be reached besides the app (nothing until I choose).
#[utoipa::path(tag = "notifications", responses((status = 200, body = cortile_shared::community::NotificationSettings)))]
#[get("/me/notification-settings")]
pub async fn get_settings(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let s = state
        .db
        .run(move |conn| {
            let me = actor.require()?.principal.id.0;
            super::settings_of(conn, me)
        })
        .await?;
    Ok(HttpResponse::Ok().json(s))
}

/// Save where and how I want to be reached.
#[utoipa::path(
    tag = "notifications",
    request_body = cortile_shared::community::NotificationSettings,
    responses((status = 200, body = cortile_shared::community::NotificationSettings))
)]
#[put("/me/notification-settings")]
pub async fn put_settings(
    state: web::Data<AppState>,
    actor: Actor,
    body: web::Json<cortile_shared::community::NotificationSettings>,
) -> AppResult<HttpResponse> {
    let settings = body.into_inner();
    let now = chrono::Utc::now().naive_utc();
    let saved = state
        .db
        .run(move |conn| super::save_settings(conn, &actor, &settings, now))
        .await?;
    Ok(HttpResponse::Ok().json(saved))
}
