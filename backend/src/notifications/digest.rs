//! The daily digest: for people who chose it, one email a day gathering the notifications they
//! would otherwise have received one by one (the kinds they chose for email), and only those
//! they have not already read in the app.
//!
//! Once a day, at [`Config::digest_hour`](crate::config::Config) (UTC), each person's digest is
//! due. Composing it is one transaction per person: a conditional update of
//! `notification_channels.last_digest_at` (only the process that moves it composes, so two
//! processes never send two digests) and the email written to the outbox under a key naming the
//! person and the day (so even a repeated run writes it once). The outbox worker delivers it
//! with its retries.

use std::time::Duration;

use chrono::{NaiveDateTime, NaiveTime, Timelike};
use cortile_shared::community::Channel;
use diesel::prelude::*;

use crate::db::schema::{notification_channels, notification_preferences, notifications, users};
use crate::db::{Db, DbConn};
use crate::error::AppResult;

/// At most this many people are composed per run (the next run goes on).
const BATCH: i64 = 200;
/// At most this many notifications are listed in one digest (the rest are counted).
const MAX_LISTED: usize = 30;

/// The latest digest time at or before `now`: today at `hour`:00, or yesterday's if that is
/// still to come.
pub fn slot(now: NaiveDateTime, hour: u32) -> NaiveDateTime {
    let at = NaiveTime::from_hms_opt(hour.min(23), 0, 0).unwrap_or(NaiveTime::MIN);
    let today = now.date().and_time(at);
    if now >= today {
        today
    } else {
        today - chrono::Duration::days(1)
    }
}

/// Composes the digests due at `now`; returns how many emails were written to the outbox.
pub fn compose_due(conn: &mut DbConn, now: NaiveDateTime, hour: u32) -> AppResult<usize> {
    let slot = slot(now, hour);
    let due: Vec<(i64, String, Option<NaiveDateTime>)> = notification_channels::table
        .filter(notification_channels::daily_digest.eq(true))
        .filter(notification_channels::email_consent.eq(true))
        .filter(
            notification_channels::last_digest_at
                .is_null()
                .or(notification_channels::last_digest_at.lt(slot)),
        )
        .filter(notification_channels::email.is_not_null())
        .order(notification_channels::user_id)
        .limit(BATCH)
        .select((
            notification_channels::user_id,
            notification_channels::email.assume_not_null(),
            notification_channels::last_digest_at,
        ))
        .load(conn)?;
    let mut written = 0;
    for (user_id, to, last) in due {
        if compose_one(conn, user_id, &to, last, slot, now)? {
            written += 1;
        }
    }
    Ok(written)
}

/// One person's digest; `false` when another process took it or there was nothing to say.
fn compose_one(
    conn: &mut DbConn,
    user_id: i64,
    to: &str,
    last: Option<NaiveDateTime>,
    slot: NaiveDateTime,
    now: NaiveDateTime,
) -> AppResult<bool> {
    crate::db::write_tx(conn, |conn| {
        // Only the run that moves the mark composes.
        let moved = diesel::update(
            notification_channels::table
                .filter(notification_channels::user_id.eq(user_id))
                .filter(
                    notification_channels::last_digest_at
                        .is_null()
                        .or(notification_channels::last_digest_at.lt(slot)),
                ),
        )
        .set(notification_channels::last_digest_at.eq(now))
        .execute(conn)?;
        if moved == 0 {
            return Ok(false);
        }
        // Never more than a day back (a first digest, or one after the digest was off).
        let since = last.map_or(slot - chrono::Duration::days(1), |l| {
            l.max(slot - chrono::Duration::days(1))
        });
        let kinds: Vec<String> = notification_preferences::table
            .filter(notification_preferences::user_id.eq(user_id))
            .filter(notification_preferences::channel.eq(Channel::Email.as_str()))
            .filter(notification_preferences::enabled.eq(true))
            .select(notification_preferences::kind)
            .load(conn)?;
        if kinds.is_empty() {
            return Ok(false);
        }
        let rows: Vec<(i64, String, String, String)> = notifications::table
            .filter(notifications::user_id.eq(user_id))
            .filter(notifications::created_at.gt(since))
            .filter(notifications::created_at.le(now))
            .filter(notifications::read_at.is_null())
            .filter(notifications::kind.eq_any(&kinds))
            .order(notifications::id)
            .select((
                notifications::id,
                notifications::kind,
                notifications::data,
                notifications::link,
            ))
            .load(conn)?;
        if rows.is_empty() {
            return Ok(false);
        }
        let locale: String = users::table
            .find(user_id)
            .select(users::locale)
            .first(conn)?;
        let (subject, text) = words(&rows, &locale);
        crate::outbox::enqueue(
            conn,
            "email",
            &format!("digest-{user_id}-{}", slot.format("%Y-%m-%d")),
            &serde_json::json!({"to": to, "subject": subject, "text": text, "link": "/notifications"}),
            now,
        )?;
        Ok(true)
    })
}

/// The subject and text of a digest in the person's language.
fn words(rows: &[(i64, String, String, String)], locale: &str) -> (String, String) {
    let en = locale == "en";
    let n = rows.len();
    let subject = match (en, n) {
        (true, 1) => "Cortile: 1 new notification today".to_owned(),
        (true, _) => format!("Cortile: {n} new notifications today"),
        (false, 1) => "Cortile: 1 novità di oggi".to_owned(),
        (false, _) => format!("Cortile: {n} novità di oggi"),
    };
    let mut text = String::from(if en {
        "Here is what happened for you on Cortile since the last summary:\n\n"
    } else {
        "Ecco che cosa è successo per te su Cortile dall'ultimo riepilogo:\n\n"
    });
    for (_, kind, data, _) in rows.iter().take(MAX_LISTED) {
        let data: serde_json::Value = serde_json::from_str(data).unwrap_or_default();
        let (_, line) = super::words(super::kind(kind), &data, locale);
        text.push_str("- ");
        text.push_str(&line);
        text.push('\n');
    }
    if n > MAX_LISTED {
        let more = n - MAX_LISTED;
        text.push_str(&if en {
            format!("… and {more} more.\n")
        } else {
            format!("… e altre {more}.\n")
        });
    }
    (subject, text)
}

/// Composes due digests every `every` until the process ends.
pub fn spawn(db: Db, hour: u32, every: Duration) {
    tokio::spawn(async move {
        loop {
            let now = chrono::Utc::now().naive_utc().with_nanosecond(0);
            if let Some(now) = now {
                match db.run(move |conn| compose_due(conn, now, hour)).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(digests = n, "daily digests composed"),
                    Err(e) => tracing::warn!(error = %e, "daily digest"),
                }
            }
            tokio::time::sleep(every).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(d: u32, h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 11, d)
            .and_then(|d| d.and_hms_opt(h, m, 0))
            .expect("valid")
    }

    #[test]
    fn the_slot_is_the_last_digest_time_not_after_now() {
        assert_eq!(slot(at(29, 6, 0), 6), at(29, 6, 0));
        assert_eq!(slot(at(29, 23, 59), 6), at(29, 6, 0));
        assert_eq!(slot(at(29, 5, 59), 6), at(28, 6, 0));
        assert_eq!(slot(at(29, 0, 0), 0), at(29, 0, 0));
    }

    #[test]
    fn a_digest_lists_each_notification_in_the_readers_language() {
        let row = |id: i64, title: &str| {
            (
                id,
                "comment_on_post".to_owned(),
                serde_json::json!({"actor": "Anna", "title": title}).to_string(),
                "/posts/1".to_owned(),
            )
        };
        let (subject, text) = words(&[row(1, "Festa"), row(2, "Orto")], "it");
        assert_eq!(subject, "Cortile: 2 novità di oggi");
        assert!(
            text.contains("Anna ha commentato il tuo messaggio «Festa»."),
            "{text}"
        );
        assert!(text.contains("«Orto»"), "{text}");
        let many: Vec<_> = (0..35).map(|i| row(i, "x")).collect();
        let (subject, text) = words(&many, "en");
        assert_eq!(subject, "Cortile: 35 new notifications today");
        assert!(text.ends_with("… and 5 more.\n"), "{text}");
    }
}
