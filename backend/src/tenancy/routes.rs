//! HTTP handlers of tenant files, applications and change requests. Thin: parse, call, map.

use actix_web::{get, post, web, HttpResponse};
use chrono::Utc;
use cortile_shared::tenancy::{
    Application, ChangeDecision, ChangeRequest, ChangeStatus, NewChangeRequest, PersonHit,
    TenantFile,
};
use cortile_shared::Problem;
use serde::Deserialize;

use crate::auth::Actor;
use crate::error::{AppError, AppResult};
use crate::http::{parse_id, AppState};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(my_applications)
        .service(search_registry)
        .service(open_tenant_file)
        .service(list_change_requests)
        .service(propose_change)
        .service(decide_change);
}

/// My housing applications and where each stands.
#[utoipa::path(tag = "tenancy", responses((status = 200, body = Vec<Application>)))]
#[get("/me/applications")]
pub async fn my_applications(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let list = state
        .db
        .run(move |conn| super::my_applications(conn, &actor))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// A fiscal code, or at least 3 characters of a name.
    pub q: String,
}

/// Search persons of the registry (within the reader's scope).
#[utoipa::path(
    tag = "tenancy",
    params(SearchQuery),
    responses(
        (status = 200, body = Vec<PersonHit>),
        (status = 403, description = "Not a registry reader", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/registry/search")]
pub async fn search_registry(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<SearchQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner().q;
    let hits = state
        .db
        .run(move |conn| super::search(conn, &actor, &q))
        .await?;
    Ok(HttpResponse::Ok().json(hits))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PurposeQuery {
    /// Why the file is opened (at least 5 characters); recorded in the audit log.
    #[serde(default)]
    pub purpose: String,
}

/// Open a household's tenant file. Every opening is audited with its purpose.
#[utoipa::path(
    tag = "tenancy",
    params(("id" = i64, Path, description = "Household id"), PurposeQuery),
    responses(
        (status = 200, body = TenantFile),
        (status = 404, description = "No such household, or not in the reader's scope", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No purpose given", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/registry/households/{id}")]
pub async fn open_tenant_file(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: web::Query<PurposeQuery>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let purpose = query.into_inner().purpose;
    let now = Utc::now().naive_utc();
    let file = state
        .db
        .run(move |conn| super::tenant_file(conn, &actor, id, &purpose, now))
        .await?;
    Ok(HttpResponse::Ok().json(file))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChangeQuery {
    /// `pending`, `approved` or `rejected`; all when absent.
    pub status: Option<String>,
}

/// Registry corrections the reader may see, newest first.
#[utoipa::path(tag = "tenancy", params(ChangeQuery), responses((status = 200, body = Vec<ChangeRequest>)))]
#[get("/registry/change-requests")]
pub async fn list_change_requests(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<ChangeQuery>,
) -> AppResult<HttpResponse> {
    let status = match query.into_inner().status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(ChangeStatus::parse(raw).ok_or_else(|| {
            AppError::invalid(
                "status",
                "invalid_value",
                "status is pending, approved or rejected",
            )
        })?),
    };
    let list = state
        .db
        .run(move |conn| super::list_change_requests(conn, &actor, status))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Propose a correction of a household's registry data (committees, staff).
#[utoipa::path(
    tag = "tenancy",
    request_body = NewChangeRequest,
    responses(
        (status = 201, body = ChangeRequest),
        (status = 404, description = "No such household in the proposer's scope", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The same correction is already waiting", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/registry/change-requests")]
pub async fn propose_change(
    state: web::Data<AppState>,
    actor: Actor,
    body: web::Json<NewChangeRequest>,
) -> AppResult<HttpResponse> {
    let new = body.into_inner();
    let now = Utc::now().naive_utc();
    let created = state
        .db
        .run(move |conn| super::propose_change(conn, &actor, &new, now))
        .await?;
    Ok(HttpResponse::Created().json(created))
}

/// Approve (and apply) or reject a correction. Staff only, never the proposer.
#[utoipa::path(
    tag = "tenancy",
    params(("id" = i64, Path, description = "Change request id")),
    request_body = ChangeDecision,
    responses(
        (status = 200, body = ChangeRequest),
        (status = 403, description = "Not a decider, or the proposer", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already decided", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/registry/change-requests/{id}/decision")]
pub async fn decide_change(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<ChangeDecision>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let decision = body.into_inner();
    let now = Utc::now().naive_utc();
    let decided = state
        .db
        .run(move |conn| super::decide_change(conn, &actor, id, &decision, now))
        .await?;
    Ok(HttpResponse::Ok().json(decided))
}
