//! Login rate limiting, shared by every process through the database.
//!
//! At most [`MAX_FAILURES_PER_USER`] failed logins per username and [`MAX_FAILURES_PER_IP`] per
//! address within [`WINDOW`]; failures before the username's last successful login do not count.
//! Beyond that, login answers 429 with `Retry-After` until the oldest counted failure leaves the
//! window. [`wait_for`] is that window, also used for Open311 partner keys.

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
    let wait = |times: &[NaiveDateTime], max: i64| wait_for(times, max, WINDOW, now);
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

/// The sliding window shared by the database rate limits (failed logins here, Open311
/// submissions per partner key): given the times of the latest counted events, newest first
/// (at most `max` of them, those within `window`), the seconds to wait until the oldest leaves
/// the window when `max` are already counted; `None` when one more is allowed.
pub fn wait_for(
    latest: &[NaiveDateTime],
    max: i64,
    window: Duration,
    now: NaiveDateTime,
) -> Option<i64> {
    (latest.len() as i64 >= max)
        .then(|| latest.last().copied())
        .flatten()
        .map(|oldest| (oldest + window - now).num_seconds().max(1))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_opens_when_the_oldest_counted_event_leaves_it() {
        let now = chrono::DateTime::UNIX_EPOCH.naive_utc() + Duration::days(1);
        let window = Duration::minutes(60);
        let times = [now - Duration::minutes(1), now - Duration::minutes(50)];
        assert_eq!(wait_for(&times, 3, window, now), None);
        assert_eq!(wait_for(&times, 2, window, now), Some(600));
        assert_eq!(wait_for(&[], 1, window, now), None);
        // Never "wait 0 seconds".
        assert_eq!(wait_for(&[now - window], 1, window, now), Some(1));
    }
}
