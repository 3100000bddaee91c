//! Idempotency keys of retryable writes (`Idempotency-Key` header), for any domain.
//!
//! A client that may retry a write (a payment, a booking…) sends a key of its choosing. The
//! domain function, inside its own write transaction:
//! 1. [`claim`]s the key first: a row under a unique `(user_id, key)` constraint, holding the
//!    hash of the operation and of the normalised request. On PostgreSQL a concurrent claim of
//!    the same key waits for the first transaction and then finds its row; on SQLite writers
//!    are serialised by `BEGIN IMMEDIATE`.
//! 2. does its work;
//! 3. [`complete`]s the key with the response (status and body) in the same transaction.
//!
//! A path that does its work first may instead [`record`] the key with its response at the
//! end, in one write, if a key already used makes it roll back and take the claiming path (the
//! time bank's payments do so on SQLite, see `timebank::fast`).
//!
//! A retry with the same key and the same request gets the stored response again and changes
//! nothing; the same key with another request is refused (`idempotency_key_reused`). Keys of
//! requests that failed are not kept (the transaction rolled back), so such a request may be
//! retried with the same key.

use chrono::NaiveDateTime;
use cortile_shared::{ErrorCode, FieldError};
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::schema::idempotency_keys;
use crate::db::{cached_as, DbConn};
use crate::error::{AppError, AppResult};

/// The longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// A validated key: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Parses the header's value; a missing or malformed key is a 400 `idempotency_key_missing`
    /// naming the header.
    pub fn parse(raw: Option<&str>) -> AppResult<IdempotencyKey> {
        let header = cortile_shared::timebank::IDEMPOTENCY_KEY_HEADER;
        let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
            return Err(missing(
                FieldError::new(
                    header,
                    "required",
                    "send an Idempotency-Key header (e.g. a random UUID) so the request can be retried safely",
                ),
            ));
        };
        if raw.len() > MAX_KEY_LEN || !raw.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(missing(FieldError::new(
                header,
                "invalid_format",
                format!("the key must be 1 to {MAX_KEY_LEN} visible ASCII characters"),
            )));
        }
        Ok(IdempotencyKey(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn missing(field: FieldError) -> AppError {
    AppError {
        errors: vec![field],
        ..AppError::new(ErrorCode::IdempotencyKeyMissing)
            .with_detail("this request needs a valid Idempotency-Key header")
    }
}

/// The hash that tells two requests under one key apart: the operation and its normalised
/// request (serde_json writes object members in a fixed order).
pub fn request_hash<T: Serialize>(scope: &str, request: &T) -> String {
    let body = serde_json::to_string(request).unwrap_or_default();
    let mut h = Sha256::new();
    h.update(scope.as_bytes());
    h.update([0]);
    h.update(body.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A response kept under a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub status: u16,
    /// JSON.
    pub body: String,
    /// True when this is the answer to an earlier request with the same key.
    pub replayed: bool,
}

/// The optional `Idempotency-Key` header of a request that may be retried: `None` when there
/// is none; a malformed one is refused (400), never ignored.
pub fn optional_key(req: &actix_web::HttpRequest) -> AppResult<Option<IdempotencyKey>> {
    raw_key(req)
        .map(|k| IdempotencyKey::parse(Some(&k)))
        .transpose()
}

/// The raw `Idempotency-Key` header, if any, for a domain that checks it itself (after its
/// permissions); a header that is not text reads as a key that [`IdempotencyKey::parse`]
/// refuses.
pub fn raw_key(req: &actix_web::HttpRequest) -> Option<String> {
    req.headers()
        .get(cortile_shared::timebank::IDEMPOTENCY_KEY_HEADER)
        .map(|v| {
            v.to_str()
                .map(str::to_owned)
                .unwrap_or_else(|_| "\u{7f}".into())
        })
}

/// A stored (or just made) creation answered as it was first given: 201, its JSON, and
/// `Idempotent-Replayed: true` for a retry.
pub fn created_response(stored: &Stored) -> actix_web::HttpResponse {
    let mut res = actix_web::HttpResponse::Created();
    res.insert_header((actix_web::http::header::CONTENT_TYPE, "application/json"));
    if stored.replayed {
        res.insert_header(("Idempotent-Replayed", "true"));
    }
    res.body(stored.body.clone())
}

/// What claiming a key found.
#[derive(Debug)]
pub enum Claim {
    /// The key is new: do the work, then [`complete`] this row.
    New(i64),
    /// The same request was done before: answer this.
    Replay(Stored),
}

/// Claims `key` for `user_id` inside the caller's write transaction (see the module doc).
pub fn claim(
    conn: &mut DbConn,
    user_id: i64,
    key: &IdempotencyKey,
    scope: &str,
    hash: &str,
    now: NaiveDateTime,
) -> AppResult<Claim> {
    let inserted = insert_key(conn, user_id, key, scope, hash, None, now)?;
    if let Some(id) = inserted {
        return Ok(Claim::New(id));
    }
    let (old_scope, old_hash, status, body): (String, String, Option<i32>, Option<String>) =
        idempotency_keys::table
            .filter(idempotency_keys::user_id.eq(user_id))
            .filter(idempotency_keys::key.eq(key.as_str()))
            .select((
                idempotency_keys::scope,
                idempotency_keys::request_hash,
                idempotency_keys::response_status,
                idempotency_keys::response_body,
            ))
            .first(conn)?;
    if old_scope != scope || old_hash != hash {
        return Err(AppError::new(ErrorCode::IdempotencyKeyReused).with_detail(
            "this Idempotency-Key was already used for a different request; use a new key",
        ));
    }
    match (status.and_then(|s| u16::try_from(s).ok()), body) {
        (Some(status), Some(body)) => Ok(Claim::Replay(Stored {
            status,
            body,
            replayed: true,
        })),
        // Cannot happen: a key and its response commit together.
        _ => Err(AppError::internal(anyhow::anyhow!(
            "idempotency key {} of user {user_id} has no response",
            key.as_str()
        ))),
    }
}

/// Stores the response of a claimed key (same transaction as the work).
pub fn complete(
    conn: &mut DbConn,
    claim_id: i64,
    status: u16,
    body: &str,
    resource_id: Option<i64>,
) -> AppResult<Stored> {
    struct Complete;
    crate::on_backend!(conn, c => cached_as::<Complete, _>(
        diesel::update(idempotency_keys::table.find(claim_id)).set((
            idempotency_keys::response_status.eq(i32::from(status)),
            idempotency_keys::response_body.eq(body),
            idempotency_keys::resource_id.eq(resource_id),
        )),
    )
    .execute(c))?;
    Ok(Stored {
        status,
        body: body.to_owned(),
        replayed: false,
    })
}

/// Records a key with its response in one write, for a caller that did the work first in the
/// same transaction (the payment's fast path on SQLite, where a writer holds the database
/// alone). `false`: the key was used before — the caller rolls back and takes the path that
/// [`claim`]s first, which replays or refuses.
#[allow(clippy::too_many_arguments)]
pub fn record(
    conn: &mut DbConn,
    user_id: i64,
    key: &IdempotencyKey,
    scope: &str,
    hash: &str,
    status: u16,
    body: &str,
    resource_id: Option<i64>,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let response = Some((status, body, resource_id));
    Ok(insert_key(conn, user_id, key, scope, hash, response, now)?.is_some())
}

/// Inserts a key (with its response, when the work is already done) unless the user has used
/// it before: its id, or `None`. One statement for [`claim`] and [`record`], kept prepared
/// (see `db::cached`): it runs at every retryable write.
fn insert_key(
    conn: &mut DbConn,
    user_id: i64,
    key: &IdempotencyKey,
    scope: &str,
    hash: &str,
    response: Option<(u16, &str, Option<i64>)>,
    now: NaiveDateTime,
) -> AppResult<Option<i64>> {
    struct InsertKey;
    let (status, body, resource_id) = match response {
        Some((status, body, resource_id)) => (Some(i32::from(status)), Some(body), resource_id),
        None => (None, None, None),
    };
    Ok(
        crate::on_backend!(conn, c => cached_as::<InsertKey, _>(diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::user_id.eq(user_id),
            idempotency_keys::key.eq(key.as_str()),
            idempotency_keys::scope.eq(scope),
            idempotency_keys::request_hash.eq(hash),
            idempotency_keys::response_status.eq(status),
            idempotency_keys::response_body.eq(body),
            idempotency_keys::resource_id.eq(resource_id),
            idempotency_keys::created_at.eq(now),
        ))
        .on_conflict((idempotency_keys::user_id, idempotency_keys::key))
        .do_nothing()
        .returning(idempotency_keys::id))
        .get_result::<i64>(c)
        .optional())?,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii() {
        assert!(IdempotencyKey::parse(Some("abc-123")).is_ok());
        let e = IdempotencyKey::parse(None).expect_err("missing");
        assert_eq!(e.code, ErrorCode::IdempotencyKeyMissing);
        assert_eq!(e.errors[0].code, "required");
        let e = IdempotencyKey::parse(Some("a b")).expect_err("space");
        assert_eq!(e.errors[0].code, "invalid_format");
        assert!(IdempotencyKey::parse(Some(&"x".repeat(256))).is_err());
    }

    #[test]
    fn hashes_depend_on_scope_and_request() {
        let a = request_hash("s", &serde_json::json!({"a": 1, "b": 2}));
        assert_eq!(a, request_hash("s", &serde_json::json!({"b": 2, "a": 1})));
        assert_ne!(a, request_hash("t", &serde_json::json!({"a": 1, "b": 2})));
        assert_ne!(a, request_hash("s", &serde_json::json!({"a": 1, "b": 3})));
    }
}
