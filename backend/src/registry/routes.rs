//! HTTP handlers of the public registry. Thin: parse, call the domain function, map the result.

use actix_web::{get, web, HttpResponse};
use cortile_shared::registry::{BuildingDetail, EstateDetail, EstateSummary};
use cortile_shared::{Page, Problem};

use crate::error::{AppError, AppResult};
use crate::http::{parse_id, AppState};
use crate::pagination::ListParams;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_estates)
        .service(get_estate)
        .service(get_building)
        .service(city_map);
}

/// List the estates, in name order, with their counts of buildings and homes.
#[utoipa::path(
    tag = "registry",
    params(ListParams),
    responses(
        (status = 200, description = "A page of estates", body = Page<EstateSummary>),
        (status = 422, description = "Invalid `limit` or `after`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/estates")]
pub async fn list_estates(
    state: web::Data<AppState>,
    params: web::Query<ListParams>,
) -> AppResult<HttpResponse> {
    let limit = params.limit()?;
    let after = params.after::<super::EstateKey>()?;
    let page = state
        .db
        .run(move |conn| super::list_estates(conn, after, limit))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// One estate with its buildings, boundary and a GeoJSON FeatureCollection for its map.
#[utoipa::path(
    tag = "registry",
    params(("id" = i64, Path, description = "Estate id")),
    responses(
        (status = 200, description = "The estate", body = EstateDetail),
        (status = 404, description = "No such estate", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a number", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/estates/{id}")]
pub async fn get_estate(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let estate = state
        .db
        .run(move |conn| super::estate_detail(conn, id))
        .await?
        .ok_or_else(|| AppError::not_found(format!("estate {id} does not exist")))?;
    Ok(HttpResponse::Ok().json(estate))
}

/// One building with its housing units.
#[utoipa::path(
    tag = "registry",
    params(("id" = i64, Path, description = "Building id")),
    responses(
        (status = 200, description = "The building", body = BuildingDetail),
        (status = 404, description = "No such building", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The id is not a number", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/buildings/{id}")]
pub async fn get_building(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let building = state
        .db
        .run(move |conn| super::building_detail(conn, id))
        .await?
        .ok_or_else(|| AppError::not_found(format!("building {id} does not exist")))?;
    Ok(HttpResponse::Ok().json(building))
}

/// All estates' boundaries and all buildings as one GeoJSON FeatureCollection, for the city map.
/// Each feature's `kind` property is `estate` (a Polygon) or `building` (a Point).
#[utoipa::path(
    tag = "registry",
    responses(
        (status = 200, description = "GeoJSON FeatureCollection", body = Object, content_type = "application/geo+json"),
    )
)]
#[get("/map/estates")]
pub async fn city_map(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let collection = state.db.run(super::city_map).await?;
    Ok(HttpResponse::Ok()
        .content_type("application/geo+json")
        .json(collection))
}
