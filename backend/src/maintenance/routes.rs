//! HTTP handlers of maintenance reports, their views and planned works. Thin.

use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::{NaiveDateTime, Utc};
use cortile_shared::maintenance::{
    Assign, AssigneeCount, Board, BulkResult, BulkStatus, Category, Escalate, Merge, NewReport,
    NewReportComment, NewWorks, PointEstate, Rating, Report, ReportComment, ReportSummary,
    StatusUpdate, Works,
};
use cortile_shared::{Page, Problem};
use serde::{Deserialize, Serialize};

use crate::auth::Actor;
use crate::error::{AppError, AppResult};
use crate::http::{parse_id, AppState};
use crate::pagination::ListParams;

use super::views::QueueFilter;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(categories)
        .service(create_report)
        .service(my_reports)
        .service(similar_reports)
        .service(get_report)
        .service(change_status)
        .service(support)
        .service(unsupport)
        .service(comment)
        .service(assign)
        .service(escalate)
        .service(merge)
        .service(rate)
        .service(building_reports)
        .service(estate_map)
        .service(board)
        .service(board_csv)
        .service(queue)
        .service(assignees)
        .service(estate_at)
        .service(bulk_status)
        .service(announce_works)
        .service(list_works)
        .service(get_works)
        .service(rate_works);
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// One category with its default priority and service level.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryInfo {
    pub category: Category,
    pub name_it: &'static str,
    pub name_en: &'static str,
    /// Priority when it neither blocks access nor is a danger.
    pub priority: cortile_shared::maintenance::Priority,
    /// Hours to resolve at that priority, when it blocks access, when it is a danger.
    pub sla_hours: i64,
    pub sla_hours_blocking: i64,
    pub sla_hours_danger: i64,
}

/// The categories of problems, with how urgent each is and its service level (public).
#[utoipa::path(tag = "maintenance", responses((status = 200, body = Vec<CategoryInfo>)))]
#[get("/maintenance/categories")]
pub async fn categories() -> HttpResponse {
    let hours = |c: Category, blocks: bool, danger: bool| {
        super::sla(c, super::priority(c, blocks, danger)).num_hours()
    };
    let list: Vec<CategoryInfo> = Category::ALL
        .iter()
        .map(|c| CategoryInfo {
            category: *c,
            name_it: c.name_it(),
            name_en: c.name_en(),
            priority: super::priority(*c, false, false),
            sla_hours: hours(*c, false, false),
            sla_hours_blocking: hours(*c, true, false),
            sla_hours_danger: hours(*c, false, true),
        })
        .collect();
    HttpResponse::Ok().json(list)
}

/// Report a problem (a resident, an operator on their behalf, a custodian…).
#[utoipa::path(
    tag = "maintenance",
    request_body = NewReport,
    responses(
        (status = 201, body = Report),
        (status = 403, description = "Not a place the reader may report in", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields (`place`, `building_id`, `staircase`, `point`, `description`, `images`)", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many reports in 10 minutes", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/maintenance/reports")]
pub async fn create_report(
    state: web::Data<AppState>,
    actor: Actor,
    body: web::Json<NewReport>,
) -> AppResult<HttpResponse> {
    let new = body.into_inner();
    let now = now();
    let r = state
        .db
        .run(move |conn| super::reports::create(conn, &actor, &new, now))
        .await?;
    Ok(HttpResponse::Created().json(r))
}

/// The reports I made or said "me too" on, newest first.
#[utoipa::path(tag = "maintenance", params(ListParams), responses((status = 200, body = Page<ReportSummary>)))]
#[get("/maintenance/reports/mine")]
pub async fn my_reports(
    state: web::Data<AppState>,
    actor: Actor,
    page: web::Query<ListParams>,
) -> AppResult<HttpResponse> {
    let limit = page.limit()?;
    let after = page.after::<i64>()?;
    let now = now();
    let list = state
        .db
        .run(move |conn| super::views::mine(conn, &actor, after, limit, now))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SimilarQuery {
    /// The category of the problem about to be reported.
    pub category: String,
    /// The building (default: the reader's own).
    pub building_id: Option<String>,
}

fn category_param(raw: &str) -> AppResult<Category> {
    Category::parse(raw.trim())
        .ok_or_else(|| AppError::invalid("category", "invalid_value", "no such category"))
}

fn optional_id(raw: Option<&str>, field: &str) -> AppResult<Option<i64>> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => parse_id(r, field).map(Some),
        None => Ok(None),
    }
}

/// Before reporting: open reports of the same category in the same building, to say "me
/// too" instead of reporting it again.
#[utoipa::path(tag = "maintenance", params(SimilarQuery), responses((status = 200, body = Vec<ReportSummary>)))]
#[get("/maintenance/reports/similar")]
pub async fn similar_reports(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<SimilarQuery>,
) -> AppResult<HttpResponse> {
    let category = category_param(&query.category)?;
    let building = optional_id(query.building_id.as_deref(), "building_id")?;
    let now = now();
    let list = state
        .db
        .run(move |conn| super::views::similar(conn, &actor, building, category, now))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// A report with its history, photos and thread (internal notes for staff only).
#[utoipa::path(
    tag = "maintenance",
    params(("id" = i64, Path, description = "Report id")),
    responses(
        (status = 200, body = Report),
        (status = 404, description = "No such report, or hidden from the reader", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/maintenance/reports/{id}")]
pub async fn get_report(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let now = now();
    let r = state
        .db
        .run(move |conn| super::reports::get(conn, &actor, id, now))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// Change a report's status: staff acknowledge, schedule (with a date), start, resolve,
/// reject (with a reason) or pass it on (`not_our_responsibility`, saying who); the reporter
/// confirms or reopens (with a reason and photos).
#[utoipa::path(
    tag = "maintenance",
    params(("id" = i64, Path, description = "Report id")),
    request_body = StatusUpdate,
    responses(
        (status = 200, body = Report),
        (status = 403, description = "The reader may not make this change", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such report, or hidden from the reader", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_transition`: not allowed from the current status", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing `reason`, `scheduled_for`, `responsible`; bad `images`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/maintenance/reports/{id}/status")]
pub async fn change_status(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<StatusUpdate>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let u = body.into_inner();
    let now = now();
    let r = state
        .db
        .run(move |conn| super::reports::change_status(conn, &actor, id, &u, now))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// How many people support a report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Supporters {
    pub supporters: i64,
    pub supporting: bool,
}

/// "Me too" (idempotent).
#[utoipa::path(
    tag = "maintenance",
    params(("id" = i64, Path, description = "Report id")),
    responses(
        (status = 200, body = Supporters),
        (status = 409, description = "The report is no longer open", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/maintenance/reports/{id}/support")]
pub async fn support(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let now = now();
    let n = state
        .db
        .run(move |conn| super::reports::support(conn, &actor, id, true, now))
        .await?;
    Ok(HttpResponse::Ok().json(Supporters {
        supporters: n,
        supporting: true,
    }))
}

/// Take back my "me too" (idempotent).
#[utoipa::path(tag = "maintenance", params(("id" = i64, Path, description = "Report id")), responses((status = 200, body = Supporters)))]
#[delete("/maintenance/reports/{id}/support")]
pub async fn unsupport(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let now = now();
    let n = state
        .db
        .run(move |conn| super::reports::support(conn, &actor, id, false, now))
        .await?;
    Ok(HttpResponse::Ok().json(Supporters {
        supporters: n,
        supporting: false,
    }))
}

/// Comment on a report: public, or an internal note (staff).
#[utoipa::path(
    tag = "maintenance",
    params(("id" = i64, Path, description = "Report id")),
    request_body = NewReportComment,
    responses((status = 201, body = ReportComment), (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"))
)]
#[post("/maintenance/reports/{id}/comments")]
pub async fn comment(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<NewReportComment>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let new = body.into_inner();
    let now = now();
    let c = state
        .db
        .run(move |conn| super::reports::comment(conn, &actor, id, &new, now))
        .await?;
    Ok(HttpResponse::Created().json(c))
}

/// Assign a report to a member of staff or to a contractor (both absent: to nobody).
#[utoipa::path(tag = "maintenance", params(("id" = i64, Path, description = "Report id")), request_body = Assign, responses((status = 200, body = Report)))]
#[post("/maintenance/reports/{id}/assign")]
pub async fn assign(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<Assign>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let a = body.into_inner();
    let now = now();
    let r = state
        .db
        .run(move |conn| super::reports::assign(conn, &actor, id, &a, now))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// Move a report to another level: first line, technical office, contractor.
#[utoipa::path(tag = "maintenance", params(("id" = i64, Path, description = "Report id")), request_body = Escalate, responses((status = 200, body = Report)))]
#[post("/maintenance/reports/{id}/escalate")]
pub async fn escalate(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<Escalate>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let e = body.into_inner();
    let now = now();
    let r = state
        .db
        .run(move |conn| super::reports::escalate(conn, &actor, id, &e, now))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// Merge this report (a duplicate) into another: answers the survivor.
#[utoipa::path(tag = "maintenance", params(("id" = i64, Path, description = "The duplicate")), request_body = Merge, responses((status = 200, body = Report)))]
#[post("/maintenance/reports/{id}/merge")]
pub async fn merge(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<Merge>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let into = body.into_inner().into;
    let now = now();
    let r = state
        .db
        .run(move |conn| super::reports::merge(conn, &actor, id, into, now))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// The reporter rates the repair (1–5), once, after confirming it.
#[utoipa::path(tag = "maintenance", params(("id" = i64, Path, description = "Report id")), request_body = Rating, responses((status = 200, body = Report)))]
#[post("/maintenance/reports/{id}/rating")]
pub async fn rate(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<Rating>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let r = body.into_inner();
    let now = now();
    let report = state
        .db
        .run(move |conn| super::reports::rate(conn, &actor, id, &r, now))
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CategoryQuery {
    /// Only this category.
    pub category: Option<String>,
}

/// A building's open reports (not other people's homes).
#[utoipa::path(tag = "maintenance", params(("id" = i64, Path, description = "Building id"), CategoryQuery), responses((status = 200, body = Vec<ReportSummary>)))]
#[get("/maintenance/buildings/{id}/reports")]
pub async fn building_reports(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: web::Query<CategoryQuery>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let category = match query.category.as_deref().filter(|c| !c.trim().is_empty()) {
        Some(c) => Some(category_param(c)?),
        None => None,
    };
    let now = now();
    let list = state
        .db
        .run(move |conn| super::views::building(conn, &actor, id, category, now))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// An estate's open (and lately resolved) reports as a GeoJSON FeatureCollection of points;
/// homes are rounded to about 100 m.
#[utoipa::path(tag = "maintenance", params(("id" = i64, Path, description = "Estate id")), responses((status = 200, description = "GeoJSON FeatureCollection", content_type = "application/geo+json")))]
#[get("/maintenance/estates/{id}/map")]
pub async fn estate_map(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let now = now();
    let fc = state
        .db
        .run(move |conn| super::views::map(conn, &actor, id, now))
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("application/geo+json")
        .body(fc.to_string()))
}

/// The committee board of an estate: open reports by category and age, overdue, reopened,
/// mean days to resolve.
#[utoipa::path(tag = "maintenance", params(("id" = i64, Path, description = "Estate id")), responses((status = 200, body = Board)))]
#[get("/maintenance/estates/{id}/board")]
pub async fn board(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let now = now();
    let b = state
        .db
        .run(move |conn| super::views::board(conn, &actor, id, now))
        .await?;
    Ok(HttpResponse::Ok().json(b))
}

/// The committee board as CSV (`;`-separated, UTF-8), for meetings with the manager.
#[utoipa::path(tag = "maintenance", params(("id" = i64, Path, description = "Estate id")), responses((status = 200, description = "CSV", content_type = "text/csv")))]
#[get("/maintenance/estates/{id}/board.csv")]
pub async fn board_csv(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let now = now();
    let b = state
        .db
        .run(move |conn| super::views::board(conn, &actor, id, now))
        .await?;
    let csv = super::views::board_csv(&b)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "content-disposition",
            format!(
                "attachment; filename=\"segnalazioni-{}-{}.csv\"",
                b.estate_id,
                now.date()
            ),
        ))
        .body(csv))
}

/// The staff queue: reports of the reader's reach, filtered, the earliest due first.
#[utoipa::path(tag = "maintenance", params(QueueFilter, ListParams), responses((status = 200, body = Page<ReportSummary>), (status = 422, description = "A bad filter, named in `errors`", body = Problem, content_type = "application/problem+json")))]
#[get("/maintenance/queue")]
pub async fn queue(
    state: web::Data<AppState>,
    actor: Actor,
    filter: web::Query<QueueFilter>,
    page: web::Query<ListParams>,
) -> AppResult<HttpResponse> {
    let limit = page.limit()?;
    let after = page.after::<(NaiveDateTime, i64)>()?;
    let me = actor.require()?.principal.id.0;
    let f = filter.parse(me)?;
    let now = now();
    let list = state
        .db
        .run(move |conn| super::views::queue(conn, &actor, &f, after, limit, now))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// The people with open reports assigned in the reader's reach, with how many (the queue's
/// filter by assignee).
#[utoipa::path(tag = "maintenance", responses((status = 200, body = Vec<AssigneeCount>)))]
#[get("/maintenance/assignees")]
pub async fn assignees(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let list = state
        .db
        .run(move |conn| super::views::assignees(conn, &actor))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PointQuery {
    /// Latitude in degrees (a comma is read as the decimal point).
    pub lat: String,
    /// Longitude in degrees.
    pub lon: String,
}

/// The estate whose boundary holds a point (point-in-polygon), if the reader may report a
/// problem there: what a report on that point of the map would be filed under.
#[utoipa::path(
    tag = "maintenance",
    params(PointQuery),
    responses(
        (status = 200, body = PointEstate),
        (status = 422, description = "Not a point, or outside every estate (`point`)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The reader may not report in that estate", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/maintenance/estate-at")]
pub async fn estate_at(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<PointQuery>,
) -> AppResult<HttpResponse> {
    let number = |v: &str| v.trim().replace(',', ".").parse::<f64>().ok();
    let (Some(lat), Some(lon)) = (number(&query.lat), number(&query.lon)) else {
        return Err(AppError::invalid(
            "point",
            "invalid_value",
            "lat and lon are numbers in degrees",
        ));
    };
    let point = cortile_shared::geo::LatLon { lat, lon };
    let found = state
        .db
        .run(move |conn| super::views::estate_at_point(conn, &actor, point))
        .await?;
    Ok(HttpResponse::Ok().json(found))
}

/// One status change for many reports; per-row results (each row is applied or refused on
/// its own, like a single change).
#[utoipa::path(tag = "maintenance", request_body = BulkStatus, responses((status = 200, body = BulkResult)))]
#[post("/maintenance/queue/status")]
pub async fn bulk_status(
    state: web::Data<AppState>,
    actor: Actor,
    body: web::Json<BulkStatus>,
) -> AppResult<HttpResponse> {
    let b = body.into_inner();
    let now = now();
    let r = state
        .db
        .run(move |conn| super::views::bulk_status(conn, &actor, &b, now))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}

/// Announce extraordinary works: a pinned post in each affected building's community.
#[utoipa::path(tag = "maintenance", request_body = NewWorks, responses((status = 201, body = Works), (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json")))]
#[post("/maintenance/works")]
pub async fn announce_works(
    state: web::Data<AppState>,
    actor: Actor,
    body: web::Json<NewWorks>,
) -> AppResult<HttpResponse> {
    let new = body.into_inner();
    let now = now();
    let w = state
        .db
        .run(move |conn| super::works::announce(conn, &actor, &new, now))
        .await?;
    Ok(HttpResponse::Created().json(w))
}

/// The works announced in the places the reader may see, newest first.
#[utoipa::path(tag = "maintenance", responses((status = 200, body = Vec<Works>)))]
#[get("/maintenance/works")]
pub async fn list_works(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let now = now();
    let list = state
        .db
        .run(move |conn| super::works::list(conn, &actor, now))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// One announcement of works.
#[utoipa::path(tag = "maintenance", params(("id" = i64, Path, description = "Works id")), responses((status = 200, body = Works)))]
#[get("/maintenance/works/{id}")]
pub async fn get_works(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let now = now();
    let w = state
        .db
        .run(move |conn| super::works::get(conn, &actor, id, now))
        .await?;
    Ok(HttpResponse::Ok().json(w))
}

/// A resident of an affected building rates the outcome (1–5), once the works are over.
#[utoipa::path(tag = "maintenance", params(("id" = i64, Path, description = "Works id")), request_body = Rating, responses((status = 200, body = Works)))]
#[post("/maintenance/works/{id}/rating")]
pub async fn rate_works(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<Rating>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let r = body.into_inner();
    let now = now();
    let w = state
        .db
        .run(move |conn| super::works::rate(conn, &actor, id, &r, now))
        .await?;
    Ok(HttpResponse::Ok().json(w))
}
