//! Login rate limiting, shared by every process through the database.
//!
//! At most [`MAX_FAILURES_PER_USER`] failed logins per username and [`MAX_FAILURES_PER_IP`] per
//! address within [`WINDOW`]; failures before the username's last successful login do not count.
//! Beyond that, login answers 429 with `Retry-After` until the oldest counted failure leaves the
//! window.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::schema::login_attempts;
use crate::db::DbConn;
use crate::error::AppResult;

pub const WINDOW: Duration = Duration::minutes(15);
pub const MAX_FAILURES_PER_USER: i64 = 5;
pub const MAX_FAILURES_PER_IP: i64 = 30;

/// Seconds to wait before trying again, if the limit is reached.
pub fn retry_after(
    conn: &mut DbConn,
    username: &str,
    ip: &str,
    now: NaiveDateTime,
) -> AppResult<Option<i64>> {
    let since = now - WINDOW;
    let last_success: Option<NaiveDateTime> = login_attempts::table
        .filter(login_attempts::username.eq(username))
        .filter(login_attempts::succeeded.eq(true))
        .select(diesel::dsl::max(login_attempts::at))
        .first(conn)?;
    let user_since = last_success.map_or(since, |t| t.max(since));
    let user_failures: Vec<NaiveDateTime> = login_attempts::table
        .filter(login_attempts::username.eq(username))
        .filter(login_attempts::succeeded.eq(false))
        .filter(login_attempts::at.gt(user_since))
        .order(login_attempts::at.desc())
        .limit(MAX_FAILURES_PER_USER)
        .select(login_attempts::at)
        .load(conn)?;
    let wait = |times: &[NaiveDateTime], max: i64| -> Option<i64> {
        (times.len() as i64 >= max)
            .then(|| times.last().copied())
            .flatten()
            .map(|oldest| (oldest + WINDOW - now).num_seconds().max(1))
    };
    if let Some(secs) = wait(&user_failures, MAX_FAILURES_PER_USER) {
        return Ok(Some(secs));
    }
    let ip_failures: Vec<NaiveDateTime> = login_attempts::table
        .filter(login_attempts::ip.eq(ip))
        .filter(login_attempts::succeeded.eq(false))
        .filter(login_attempts::at.gt(since))
        .order(login_attempts::at.desc())
        .limit(MAX_FAILURES_PER_IP)
        .select(login_attempts::at)
        .load(conn)?;
    Ok(wait(&ip_failures, MAX_FAILURES_PER_IP))
}

pub fn record(
    conn: &mut DbConn,
    username: &str,
    ip: &str,
    succeeded: bool,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::insert_into(login_attempts::table)
        .values((
            login_attempts::username.eq(username),
            login_attempts::ip.eq(ip),
            login_attempts::succeeded.eq(succeeded),
            login_attempts::at.eq(now),
        ))
        .execute(conn)?;
    // Keep the table small: attempts older than a day serve no purpose.
    diesel::delete(login_attempts::table.filter(login_attempts::at.lt(now - Duration::days(1))))
        .execute(conn)?;
    Ok(())
}
