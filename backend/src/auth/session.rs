//! Server-side sessions.
//!
//! - The cookie `cortile_session` holds 32 random bytes (base64url); the database keeps only
//!   their SHA-256 digest, so a copy of the database does not let anyone log in.
//! - A new session (and token) at every login; the old one, if the browser sent it, is revoked.
//! - Idle expiry: 30 minutes without a request. Absolute expiry: 12 hours after login.
//! - The CSRF token is derived from the session token (SHA-256 with a label), so the server can
//!   check it without a lookup and a page can only learn it from `GET /api/v1/me`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use rand::TryRngCore;
use sha2::{Digest, Sha256};

use crate::db::schema::{sessions, users};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "cortile_session";
/// Header carrying the CSRF token on state-changing requests.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// A session ends after this long without a request.
pub const IDLE_TIMEOUT: Duration = Duration::minutes(30);
/// A session ends this long after login, whatever happens.
pub const ABSOLUTE_TIMEOUT: Duration = Duration::hours(12);
/// `last_seen_at` is written at most this often (not on every request).
const TOUCH_EVERY: Duration = Duration::seconds(60);

/// A fresh random session token.
pub fn new_token() -> AppResult<String> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| AppError::internal(anyhow::anyhow!("no randomness for a session: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// A random URL-safe string of `bytes` random bytes (for OpenID Connect state and the like).
pub fn random_string(bytes: usize) -> AppResult<String> {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng
        .try_fill_bytes(&mut buf)
        .map_err(|e| AppError::internal(anyhow::anyhow!("no randomness: {e}")))?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

/// What the database stores for a token.
pub fn token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// The CSRF token that goes with a session token.
pub fn csrf_token(token: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"cortile-csrf\0");
    h.update(token.as_bytes());
    URL_SAFE_NO_PAD.encode(h.finalize())
}

/// Whether `presented` is the CSRF token of `token`, compared in constant time.
pub fn csrf_matches(token: &str, presented: &str) -> bool {
    use subtle::ConstantTimeEq;
    let expected = csrf_token(token);
    expected.as_bytes().ct_eq(presented.as_bytes()).into()
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: i64,
    pub user_id: i64,
    pub assisted_user_id: Option<i64>,
    pub assist_purpose: Option<String>,
    pub method: String,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

impl SessionRow {
    pub fn idle_expires_at(&self) -> NaiveDateTime {
        (self.last_seen_at + IDLE_TIMEOUT).min(self.expires_at)
    }
}

/// Where a login came from, for the session list.
#[derive(Debug, Clone, Default)]
pub struct ClientInfo {
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

/// Opens a session for `user_id`; returns its id and the token for the cookie.
pub fn create(
    conn: &mut DbConn,
    user_id: i64,
    method: &str,
    client: &ClientInfo,
    now: NaiveDateTime,
) -> AppResult<(i64, String)> {
    let token = new_token()?;
    let user_agent = client
        .user_agent
        .as_deref()
        .map(|ua| ua.chars().take(300).collect::<String>());
    let id = crate::insert_returning_id!(
        conn,
        sessions::table,
        sessions::id,
        (
            sessions::token_hash.eq(token_hash(&token)),
            sessions::user_id.eq(user_id),
            sessions::method.eq(method),
            sessions::user_agent.eq(user_agent),
            sessions::ip.eq(client.ip.as_deref()),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(now + ABSOLUTE_TIMEOUT),
        )
    )?;
    Ok((id, token))
}

/// The live session a token names, with its user's row (one query: this runs at every
/// request), touching its idle clock. `None` when unknown, revoked, idle for too long or past
/// its absolute expiry.
pub fn load_live(
    conn: &mut DbConn,
    token: &str,
    now: NaiveDateTime,
) -> AppResult<Option<(SessionRow, super::store::UserRow)>> {
    let found: Option<(SessionRow, super::store::UserRow)> = sessions::table
        .inner_join(users::table.on(users::id.eq(sessions::user_id)))
        .filter(sessions::token_hash.eq(token_hash(token)))
        .filter(sessions::revoked_at.is_null())
        .select((SessionRow::as_select(), super::store::UserRow::as_select()))
        .first(conn)
        .optional()?;
    let Some((mut row, user)) = found else {
        return Ok(None);
    };
    if now >= row.expires_at || now >= row.last_seen_at + IDLE_TIMEOUT {
        return Ok(None);
    }
    if now - row.last_seen_at >= TOUCH_EVERY {
        diesel::update(sessions::table.find(row.id))
            .set(sessions::last_seen_at.eq(now))
            .execute(conn)?;
        row.last_seen_at = now;
    }
    Ok(Some((row, user)))
}

/// Revokes a session by token (logout). Unknown tokens are ignored.
pub fn revoke_token(conn: &mut DbConn, token: &str, now: NaiveDateTime) -> AppResult<()> {
    diesel::update(
        sessions::table
            .filter(sessions::token_hash.eq(token_hash(token)))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// Revokes one of `user_id`'s sessions; `false` when it is not theirs or not live.
pub fn revoke_own(
    conn: &mut DbConn,
    user_id: i64,
    session_id: i64,
    now: NaiveDateTime,
) -> AppResult<bool> {
    let n = diesel::update(
        sessions::table
            .filter(sessions::id.eq(session_id))
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(now))
    .execute(conn)?;
    Ok(n == 1)
}

/// Revokes every session of a user except `keep` (log out everywhere else; erasure).
pub fn revoke_all_of(
    conn: &mut DbConn,
    user_id: i64,
    keep: Option<i64>,
    now: NaiveDateTime,
) -> AppResult<usize> {
    let q = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::id.ne(keep.unwrap_or(0)));
    Ok(diesel::update(q)
        .set(sessions::revoked_at.eq(now))
        .execute(conn)?)
}

/// The live sessions of a user, newest first.
pub fn list_live(
    conn: &mut DbConn,
    user_id: i64,
    now: NaiveDateTime,
) -> AppResult<Vec<SessionRow>> {
    let rows: Vec<SessionRow> = sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .filter(sessions::last_seen_at.gt(now - IDLE_TIMEOUT))
        .order(sessions::id.desc())
        .select(SessionRow::as_select())
        .load(conn)?;
    Ok(rows)
}

/// Starts or ends assisted mode on a session.
pub fn set_assisting(
    conn: &mut DbConn,
    session_id: i64,
    assisted: Option<(i64, &str)>,
) -> AppResult<()> {
    diesel::update(sessions::table.find(session_id))
        .set((
            sessions::assisted_user_id.eq(assisted.map(|(id, _)| id)),
            sessions::assist_purpose.eq(assisted.map(|(_, p)| p)),
        ))
        .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let a = new_token().expect("token");
        let b = new_token().expect("token");
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), a);
    }

    #[test]
    fn csrf_tokens_belong_to_their_session() {
        let a = new_token().expect("token");
        let b = new_token().expect("token");
        assert!(csrf_matches(&a, &csrf_token(&a)));
        assert!(!csrf_matches(&a, &csrf_token(&b)));
        assert!(!csrf_matches(&a, ""));
        assert_ne!(csrf_token(&a), token_hash(&a), "not the stored digest");
    }
}
