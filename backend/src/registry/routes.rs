//! HTTP handlers of the public registry. Thin: parse, call the domain function, map the result.

use actix_web::{get, post, web, HttpResponse};
use cortile_shared::registry::{BuildingDetail, EstateDetail, EstateSummary};
use cortile_shared::{Page, Problem};

use crate::error::{AppError, AppResult};
use crate::http::{parse_id, AppState};
use crate::pagination::ListParams;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_estates)
        .service(get_estate)
        .service(get_building)
        .service(city_map)
        .service(upload_import)
        .service(list_imports);
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

/// Largest export accepted by the upload (60,000 persons take about 12 MB).
pub const MAX_IMPORT_BYTES: usize = 32 * 1024 * 1024;

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Import the good rows even when some are rejected.
    #[serde(default)]
    pub partial: bool,
    /// Only report what would change.
    #[serde(default)]
    pub dry_run: bool,
    /// The file's name, for the record.
    pub name: Option<String>,
}

/// Import the housing manager's export (the file is the request body, as CSV). All-or-nothing
/// unless `partial`; every rejected row is reported with its line and column.
#[utoipa::path(
    tag = "registry",
    params(ImportQuery),
    request_body(content = String, content_type = "text/csv"),
    responses(
        (status = 200, description = "The report (applied, rejected or dry run)", body = cortile_shared::import::ImportReport),
        (status = 403, description = "Not staff", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "File too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The file cannot be read at all", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/registry/imports")]
pub async fn upload_import(
    state: web::Data<AppState>,
    actor: crate::auth::Actor,
    query: web::Query<ImportQuery>,
    payload: web::Payload,
) -> AppResult<HttpResponse> {
    let body = match payload.to_bytes_limited(MAX_IMPORT_BYTES).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => return Err(AppError::bad_request(format!("the upload failed: {e}"))),
        Err(_) => {
            return Err(
                AppError::new(cortile_shared::ErrorCode::PayloadTooLarge).with_detail(format!(
                    "the file is larger than {} MB",
                    MAX_IMPORT_BYTES / (1024 * 1024)
                )),
            )
        }
    };
    let ImportQuery {
        partial,
        dry_run,
        name,
    } = query.into_inner();
    let now = chrono::Utc::now().naive_utc();
    let report = state
        .db
        .run(move |conn| {
            super::import::upload(conn, &actor, &body, partial, dry_run, name.as_deref(), now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// The last 50 imports, newest first.
#[utoipa::path(
    tag = "registry",
    responses((status = 200, body = Vec<cortile_shared::import::ImportSummary>))
)]
#[get("/registry/imports")]
pub async fn list_imports(
    state: web::Data<AppState>,
    actor: crate::auth::Actor,
) -> AppResult<HttpResponse> {
    let list = state
        .db
        .run(move |conn| super::import::recent(conn, &actor, 50))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}
