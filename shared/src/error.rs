//! The error body of every failed API call: RFC 7807 `application/problem+json`.
//!
//! `code` is the stable, machine-readable kind. It is an enum here so the server can only send
//! kinds that exist and the web app matches on the very same enum. New kinds may be added; an old
//! client decodes an unknown kind as [`ErrorCode::Unknown`] instead of failing.

use serde::{Deserialize, Serialize};

/// Media type of [`Problem`] bodies.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// Stable error kinds. The wire form is snake_case (`not_found`, `validation_failed`…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The route exists but the object asked for does not (or the caller may not see it).
    NotFound,
    /// No API route matches the path.
    RouteNotFound,
    /// The route exists but not with this HTTP method.
    MethodNotAllowed,
    /// The request body or parameters are malformed (not JSON, wrong shape).
    BadRequest,
    /// The request is well formed but some fields are invalid; see `errors`.
    ValidationFailed,
    /// The request body is larger than the server accepts.
    PayloadTooLarge,
    /// An uploaded file is larger than the server accepts (in bytes, or in pixels).
    UploadTooLarge,
    /// An uploaded file is not of an accepted type, judged by its content (not its name or
    /// `Content-Type`): images must be JPEG, PNG or WebP.
    UploadUnsupportedType,
    /// An uploaded file has the signature of an accepted type but cannot be decoded.
    UploadUnreadable,
    /// The caller must log in first.
    Unauthenticated,
    /// The username or password is wrong (or the account cannot log in).
    InvalidCredentials,
    /// The caller is known but not allowed to do this.
    Forbidden,
    /// The person has blocked the caller (no direct messages between them).
    Blocked,
    /// The caller is muted in this room for a while.
    Muted,
    /// A state-changing request lacked the session's CSRF token, or came from another site.
    CsrfFailed,
    /// The request conflicts with the current state (duplicate, stale version…).
    Conflict,
    /// A status change that the thing's current status does not allow (e.g. confirming a
    /// maintenance report that is not resolved, or an exchange that is not completed).
    InvalidTransition,
    /// Too many requests in a short time.
    RateLimited,
    /// A retryable write came without its `Idempotency-Key` header (or with a malformed one).
    IdempotencyKeyMissing,
    /// The `Idempotency-Key` was already used for a different request.
    IdempotencyKeyReused,
    /// The payer's balance would fall below its credit limit; nothing moved.
    InsufficientBalance,
    /// The transfer has already been reversed.
    AlreadyReversed,
    /// The listing is closed: it takes no new exchanges.
    ListingClosed,
    /// This person has already reviewed this exchange.
    AlreadyReviewed,
    /// A dependency (database, search index) is not reachable right now.
    ServiceUnavailable,
    /// A fault on the server; the request may be retried later.
    Internal,
    /// A kind this client does not know yet (sent by a newer server).
    #[serde(other)]
    Unknown,
}

impl ErrorCode {
    /// The HTTP status that goes with this kind.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::NotFound | ErrorCode::RouteNotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::BadRequest => 400,
            ErrorCode::ValidationFailed => 422,
            ErrorCode::PayloadTooLarge | ErrorCode::UploadTooLarge => 413,
            ErrorCode::UploadUnsupportedType => 415,
            ErrorCode::UploadUnreadable => 422,
            ErrorCode::Unauthenticated | ErrorCode::InvalidCredentials => 401,
            ErrorCode::Forbidden
            | ErrorCode::CsrfFailed
            | ErrorCode::Blocked
            | ErrorCode::Muted => 403,
            ErrorCode::Conflict | ErrorCode::InvalidTransition => 409,
            ErrorCode::RateLimited => 429,
            ErrorCode::IdempotencyKeyMissing => 400,
            ErrorCode::IdempotencyKeyReused => 422,
            ErrorCode::InsufficientBalance
            | ErrorCode::AlreadyReversed
            | ErrorCode::ListingClosed
            | ErrorCode::AlreadyReviewed => 409,
            ErrorCode::ServiceUnavailable => 503,
            ErrorCode::Internal | ErrorCode::Unknown => 500,
        }
    }

    /// The snake_case wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "not_found",
            ErrorCode::RouteNotFound => "route_not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::UploadTooLarge => "upload_too_large",
            ErrorCode::UploadUnsupportedType => "upload_unsupported_type",
            ErrorCode::UploadUnreadable => "upload_unreadable",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::CsrfFailed => "csrf_failed",
            ErrorCode::Blocked => "blocked",
            ErrorCode::Muted => "muted",
            ErrorCode::Conflict => "conflict",
            ErrorCode::InvalidTransition => "invalid_transition",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::IdempotencyKeyMissing => "idempotency_key_missing",
            ErrorCode::IdempotencyKeyReused => "idempotency_key_reused",
            ErrorCode::InsufficientBalance => "insufficient_balance",
            ErrorCode::AlreadyReversed => "already_reversed",
            ErrorCode::ListingClosed => "listing_closed",
            ErrorCode::AlreadyReviewed => "already_reviewed",
            ErrorCode::ServiceUnavailable => "service_unavailable",
            ErrorCode::Internal => "internal",
            ErrorCode::Unknown => "unknown",
        }
    }

    /// A short English title (the `title` member of the problem).
    pub fn title(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "Not found",
            ErrorCode::RouteNotFound => "No such API route",
            ErrorCode::MethodNotAllowed => "Method not allowed",
            ErrorCode::BadRequest => "Bad request",
            ErrorCode::ValidationFailed => "Some fields are invalid",
            ErrorCode::PayloadTooLarge => "Request body too large",
            ErrorCode::UploadTooLarge => "File too large",
            ErrorCode::UploadUnsupportedType => "File type not accepted",
            ErrorCode::UploadUnreadable => "File cannot be read",
            ErrorCode::Unauthenticated => "Login required",
            ErrorCode::InvalidCredentials => "Wrong username or password",
            ErrorCode::Forbidden => "Not allowed",
            ErrorCode::CsrfFailed => "Request not verified",
            ErrorCode::Blocked => "Blocked",
            ErrorCode::Muted => "Muted",
            ErrorCode::Conflict => "Conflict",
            ErrorCode::InvalidTransition => "Not allowed in the current status",
            ErrorCode::RateLimited => "Too many requests",
            ErrorCode::IdempotencyKeyMissing => "Idempotency key required",
            ErrorCode::IdempotencyKeyReused => "Idempotency key already used",
            ErrorCode::InsufficientBalance => "Insufficient balance",
            ErrorCode::AlreadyReversed => "Already reversed",
            ErrorCode::ListingClosed => "Listing closed",
            ErrorCode::AlreadyReviewed => "Already reviewed",
            ErrorCode::ServiceUnavailable => "Service unavailable",
            ErrorCode::Internal => "Internal error",
            ErrorCode::Unknown => "Unknown error",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// The field's name as sent (a query parameter, a JSON member, a path segment).
    pub field: String,
    /// Stable snake_case reason (`out_of_range`, `invalid_format`, `required`…).
    pub code: String,
    /// Human-readable explanation in English.
    pub message: String,
}

impl FieldError {
    pub fn new(
        field: impl Into<String>,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        FieldError {
            field: field.into(),
            code: code.into(),
            message: message.into(),
        }
    }
}

/// An RFC 7807 problem document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// A URI naming the kind: `urn:cortile:problem:<code>`.
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub code: ErrorCode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    pub fn new(code: ErrorCode) -> Self {
        Problem {
            type_: format!("urn:cortile:problem:{}", code.as_str()),
            title: code.title().to_owned(),
            status: code.status(),
            code,
            detail: None,
            errors: Vec::new(),
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.title, self.code)?;
        if let Some(detail) = &self.detail {
            write!(f, ": {detail}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_as_snake_case() {
        let json = serde_json::to_string(&ErrorCode::ValidationFailed).expect("serialize");
        assert_eq!(json, "\"validation_failed\"");
        let back: ErrorCode = serde_json::from_str("\"route_not_found\"").expect("deserialize");
        assert_eq!(back, ErrorCode::RouteNotFound);
        for code in [
            ErrorCode::NotFound,
            ErrorCode::Internal,
            ErrorCode::RateLimited,
        ] {
            assert_eq!(
                serde_json::to_string(&code).expect("ser"),
                format!("\"{}\"", code.as_str())
            );
        }
    }

    #[test]
    fn unknown_code_from_newer_server_decodes() {
        let back: ErrorCode = serde_json::from_str("\"brand_new_kind\"").expect("deserialize");
        assert_eq!(back, ErrorCode::Unknown);
    }

    #[test]
    fn problem_serializes_type_and_omits_empty_members() {
        let p = Problem::new(ErrorCode::NotFound).with_detail("estate 9 does not exist");
        let v = serde_json::to_value(&p).expect("serialize");
        assert_eq!(v["type"], "urn:cortile:problem:not_found");
        assert_eq!(v["status"], 404);
        assert_eq!(v["code"], "not_found");
        assert!(v.get("errors").is_none());
    }
}
