//! One error type for every request: [`AppError`] becomes an RFC 7807 problem+json response.
//!
//! Policy (after crates.io's `util/errors.rs`):
//! - A handler returns `Result<_, AppError>`; the `code` comes from [`ErrorCode`] in `shared`, so
//!   the web app matches on the same enum.
//! - Caller faults are 4xx with a specific code and, for invalid fields, `errors[]` naming each
//!   field. Bad input never produces a 500.
//! - diesel's `NotFound` becomes 404 `not_found`; a pool timeout is 503 `service_unavailable`.
//! - Anything else is 500 `internal`: the cause is logged with the request id, never sent.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use cortile_shared::{ErrorCode, FieldError, Problem};

#[derive(Debug)]
pub struct AppError {
    pub code: ErrorCode,
    pub detail: Option<String>,
    pub errors: Vec<FieldError>,
    /// For 5xx: what went wrong, for the log only.
    pub source: Option<anyhow::Error>,
    /// For 429 and 503: seconds after which the caller may try again (`Retry-After`).
    pub retry_after: Option<u64>,
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn new(code: ErrorCode) -> Self {
        AppError {
            code,
            detail: None,
            errors: Vec::new(),
            source: None,
            retry_after: None,
        }
    }

    /// Too many requests; try again after `seconds`.
    pub fn rate_limited(seconds: u64) -> Self {
        AppError {
            retry_after: Some(seconds),
            ..AppError::new(ErrorCode::RateLimited)
                .with_detail(format!("too many attempts: try again in {seconds} seconds"))
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        AppError::new(ErrorCode::NotFound).with_detail(what)
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        AppError::new(ErrorCode::BadRequest).with_detail(detail)
    }

    /// One invalid field.
    pub fn invalid(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        AppError::validation(vec![FieldError::new(field, code, message)])
    }

    /// Several invalid fields at once.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        AppError {
            code: ErrorCode::ValidationFailed,
            detail: Some(detail),
            errors,
            source: None,
            retry_after: None,
        }
    }

    pub fn unavailable(cause: impl Into<anyhow::Error>) -> Self {
        AppError {
            source: Some(cause.into()),
            ..AppError::new(ErrorCode::ServiceUnavailable)
                .with_detail("the database is not reachable right now; try again shortly")
        }
    }

    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        AppError {
            source: Some(cause.into()),
            ..AppError::new(ErrorCode::Internal)
        }
    }

    pub fn to_problem(&self) -> Problem {
        let mut p = Problem::new(self.code).with_errors(self.errors.clone());
        p.detail = self.detail.clone();
        p
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.to_problem())?;
        if let Some(source) = &self.source {
            write!(f, " (cause: {source:#})")?;
        }
        Ok(())
    }
}

impl std::error::Error for AppError {}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        if let Some(source) = &self.source {
            if self.code == ErrorCode::Internal {
                tracing::error!(code = %self.code, error = %format!("{source:#}"), "request failed");
            } else {
                tracing::warn!(code = %self.code, error = %format!("{source:#}"), "request failed");
            }
        }
        let mut response = problem_response(&self.to_problem());
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        }
        response
    }
}

/// Serializes a problem with its status and media type.
pub fn problem_response(problem: &Problem) -> HttpResponse {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_string(problem).unwrap_or_else(|_| {
        r#"{"type":"urn:cortile:problem:internal","title":"Internal error","status":500,"code":"internal"}"#
            .to_owned()
    });
    HttpResponse::build(status)
        .insert_header((
            header::CONTENT_TYPE,
            cortile_shared::error::PROBLEM_CONTENT_TYPE,
        ))
        .body(body)
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::NotFound => AppError::not_found("no such object"),
            // The connection to the database was lost: the caller may retry shortly.
            e @ diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ClosedConnection,
                _,
            ) => AppError::unavailable(e),
            other => AppError::internal(other),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        AppError::unavailable(e)
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::internal(e)
    }
}

/// Maps actix's extractor failures (malformed JSON, query or path) to problems.
pub mod extractors {
    use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
    use actix_web::HttpRequest;
    use cortile_shared::ErrorCode;

    use super::AppError;

    pub fn json(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
        let app = match &err {
            JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
                AppError::new(ErrorCode::PayloadTooLarge).with_detail(err.to_string())
            }
            JsonPayloadError::ContentType => {
                AppError::bad_request("the body must be JSON (Content-Type: application/json)")
            }
            JsonPayloadError::Deserialize(e) => {
                AppError::bad_request(format!("the JSON body is not valid: {e}"))
            }
            other => AppError::bad_request(other.to_string()),
        };
        app.into()
    }

    pub fn query(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
        AppError::bad_request(format!("the query string is not valid: {err}")).into()
    }

    pub fn path(err: PathError, _req: &HttpRequest) -> actix_web::Error {
        AppError::bad_request(format!("the path is not valid: {err}")).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diesel_not_found_is_404() {
        let e: AppError = diesel::result::Error::NotFound.into();
        assert_eq!(e.code, ErrorCode::NotFound);
        assert_eq!(e.status_code(), StatusCode::NOT_FOUND);
    }

    #[test]
    fn a_lost_connection_is_503() {
        let e: AppError = diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ClosedConnection,
            Box::new("server closed the connection".to_owned()),
        )
        .into();
        assert_eq!(e.code, ErrorCode::ServiceUnavailable);
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let e = AppError::internal(anyhow::anyhow!("password=hunter2"));
        let p = e.to_problem();
        assert_eq!(p.status, 500);
        assert!(!serde_json::to_string(&p).expect("json").contains("hunter2"));
    }

    #[test]
    fn validation_lists_fields() {
        let e = AppError::invalid("limit", "out_of_range", "limit must be between 1 and 200");
        let p = e.to_problem();
        assert_eq!(p.status, 422);
        assert_eq!(p.errors[0].field, "limit");
    }
}
