//! The Open311 GeoReport v2 endpoints (outside `/api`, so outside the OpenAPI document and the
//! CSRF check: partners call them without a session). JSON only: a `.xml` path is a 404.

use std::collections::HashMap;

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde_json::json;

use super::{Filters, Open311Error};
use crate::http::AppState;

pub const PREFIX: &str = "/open311/v2";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope(PREFIX)
            .route("/services.json", web::get().to(services))
            .route("/services/{file}", web::get().to(definition))
            .route("/requests.json", web::get().to(requests))
            .route("/requests.json", web::post().to(submit))
            .route("/requests/{file}", web::get().to(request))
            .route("/tokens/{file}", web::get().to(token))
            .default_service(web::to(|| async {
                error(Open311Error::new(
                    404,
                    "no such Open311 resource (JSON only)",
                ))
            })),
    );
}

fn error(e: Open311Error) -> HttpResponse {
    let status = actix_web::http::StatusCode::from_u16(e.code)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = HttpResponse::build(status);
    if let Some(seconds) = e.retry_after {
        res.insert_header(("retry-after", seconds.to_string()));
    }
    res.json(json!([{"code": e.code, "description": e.description}]))
}

fn respond<T: serde::Serialize>(r: Result<T, Open311Error>) -> HttpResponse {
    match r {
        Ok(v) => HttpResponse::Ok().json(v),
        Err(e) => error(e),
    }
}

/// `name.json` → `name`; anything else (`.xml`…) is not served.
fn json_name(file: &str) -> Result<&str, Open311Error> {
    file.strip_suffix(".json")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| Open311Error::new(404, "only JSON is served: ask for NAME.json"))
}

async fn services() -> HttpResponse {
    HttpResponse::Ok().json(super::services())
}

async fn definition(file: web::Path<String>) -> HttpResponse {
    respond(json_name(&file).and_then(|code| {
        super::definition(code).ok_or_else(|| Open311Error::new(404, "no such service_code"))
    }))
}

async fn requests(
    state: web::Data<AppState>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let filters = match Filters::parse(&query) {
        Ok(f) => f,
        Err(e) => return error(e),
    };
    let now = Utc::now().naive_utc();
    respond(
        state
            .db
            .run(move |conn| super::list(conn, &filters, now))
            .await
            .map_err(Open311Error::from),
    )
}

async fn request(state: web::Data<AppState>, file: web::Path<String>) -> HttpResponse {
    let id = match json_name(&file).and_then(|n| {
        n.parse::<i64>()
            .map_err(|_| Open311Error::new(404, "no such service request"))
    }) {
        Ok(id) => id,
        Err(e) => return error(e),
    };
    match state.db.run(move |conn| super::one(conn, id)).await {
        Ok(Some(r)) => HttpResponse::Ok().json([r]),
        Ok(None) => error(Open311Error::new(404, "no such service request")),
        Err(e) => error(e.into()),
    }
}

async fn token(state: web::Data<AppState>, file: web::Path<String>) -> HttpResponse {
    let token = match json_name(&file) {
        Ok(t) => t.to_owned(),
        Err(e) => return error(e),
    };
    let t = token.clone();
    match state.db.run(move |conn| super::by_token(conn, &t)).await {
        Ok(Some(id)) => {
            HttpResponse::Ok().json(json!([{"service_request_id": id.to_string(), "token": token}]))
        }
        Ok(None) => error(Open311Error::new(404, "no such token")),
        Err(e) => error(e.into()),
    }
}

async fn submit(
    state: web::Data<AppState>,
    form: web::Form<HashMap<String, String>>,
) -> HttpResponse {
    let form = form.into_inner();
    let now = Utc::now().naive_utc();
    let max_per_hour = state.config.open311_max_per_hour;
    let result = state
        .db
        .run(move |conn| Ok(super::submit(conn, &form, max_per_hour, now)))
        .await;
    match result {
        Ok(Ok(s)) => HttpResponse::Created().json([s]),
        Ok(Err(e)) => error(e),
        Err(e) => error(e.into()),
    }
}
