//! `GET /api/v1/audit`: the audit log, for administrators.

use actix_web::{get, web, HttpResponse};
use cortile_shared::tenancy::AuditEntry;
use cortile_shared::{Page, Problem};

use super::AuditFilter;
use crate::auth::policy::{authorize, Action};
use crate::auth::Actor;
use crate::error::AppResult;
use crate::http::AppState;
use crate::pagination::ListParams;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_audit);
}

/// The audit log, newest first.
#[utoipa::path(
    tag = "audit",
    params(ListParams, AuditFilter),
    responses(
        (status = 200, description = "A page of audit entries", body = Page<AuditEntry>),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an administrator", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/audit")]
pub async fn list_audit(
    state: web::Data<AppState>,
    actor: Actor,
    page: web::Query<ListParams>,
    filter: web::Query<AuditFilter>,
) -> AppResult<HttpResponse> {
    authorize(&actor, &Action::ViewAuditLog)?;
    let limit = page.limit()?;
    let after = page.after::<i64>()?;
    let filter = filter.into_inner();
    let page = state
        .db
        .run(move |conn| super::list(conn, &filter, after, limit))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}
