//! Cross-site request forgery protection, for every state-changing API request.
//!
//! A POST, PUT, PATCH or DELETE under `/api/` is refused (403 `csrf_failed`) when:
//! - it comes from another site: an `Origin` header naming another origin than the server's
//!   own, or `Sec-Fetch-Site: cross-site`;
//! - it carries a session cookie but not that session's token in `X-CSRF-Token` (the token is
//!   derived from the cookie, see [`super::session::csrf_token`], and given out by `/me`).
//!
//! Login is the one exception to the second rule (a stale cookie must not prevent logging in
//! again); it is covered by the first rule and by requiring a JSON body.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::ResponseError;
use cortile_shared::ErrorCode;

use super::session::{csrf_matches, CSRF_HEADER, SESSION_COOKIE};
use crate::error::AppError;

/// Paths exempt from the session-token rule (still checked for their origin).
const TOKEN_EXEMPT: &[&str] = &["/api/v1/auth/login"];

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Why a request is refused, if it is.
fn refusal(req: &ServiceRequest) -> Option<String> {
    if !is_unsafe(req.method()) || !req.path().starts_with("/api/") {
        return None;
    }
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site.eq_ignore_ascii_case("cross-site") {
            return Some("the request came from another site".into());
        }
    }
    if let Some(origin) = headers.get("origin").and_then(|v| v.to_str().ok()) {
        let host = req.connection_info().host().to_owned();
        let same = url::Url::parse(origin).ok().is_some_and(|u| {
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            u.host_str()
                .is_some_and(|h| format!("{h}{port}").eq_ignore_ascii_case(&host))
        });
        if !same {
            return Some(format!("the request came from another origin ({origin})"));
        }
    }
    if TOKEN_EXEMPT.contains(&req.path()) {
        return None;
    }
    let cookie = req.cookie(SESSION_COOKIE)?;
    let presented = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if csrf_matches(cookie.value(), presented) {
        None
    } else {
        Some(format!(
            "send the session's CSRF token (from GET /api/v1/me) in the {CSRF_HEADER} header"
        ))
    }
}

pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if let Some(reason) = refusal(&req) {
        let response = AppError::new(ErrorCode::CsrfFailed)
            .with_detail(reason)
            .error_response();
        return Ok(req.into_response(response).map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}
