//! The outbox: side effects written in the same transaction as the event that causes them,
//! delivered afterwards by a worker, with retries.
//!
//! - Each row has a `dedup_key` (unique): enqueuing the same delivery twice writes it once.
//! - A worker claims a due row with a conditional `UPDATE … WHERE locked_until IS NULL OR
//!   locked_until < now` (one winner, on SQLite and PostgreSQL alike, across processes), delivers
//!   it, and marks it done; a failure schedules a retry with backoff (1, 5, 30 minutes, then
//!   2 and 6 hours), and after [`MAX_ATTEMPTS`] the row is marked failed.
//! - A crash between delivery and marking leads to a second delivery of the same message with
//!   the same `Message-ID` (the dedup key), which mail systems recognise; nothing is lost.

pub mod email;
pub mod io;

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::outbox;
use crate::db::{Db, DbConn};
use crate::error::{AppError, AppResult};

pub const MAX_ATTEMPTS: i32 = 6;
/// How long a claim holds a row.
const LEASE: chrono::Duration = chrono::Duration::minutes(2);

/// Adds a delivery unless one with the same key exists. Call it inside the event's transaction.
pub fn enqueue(
    conn: &mut DbConn,
    topic: &str,
    dedup_key: &str,
    payload: &serde_json::Value,
    now: NaiveDateTime,
) -> AppResult<()> {
    let exists: i64 = outbox::table
        .filter(outbox::dedup_key.eq(dedup_key))
        .count()
        .get_result(conn)?;
    if exists == 0 {
        diesel::insert_into(outbox::table)
            .values((
                outbox::topic.eq(topic),
                outbox::dedup_key.eq(dedup_key),
                outbox::payload.eq(payload.to_string()),
                outbox::created_at.eq(now),
                outbox::next_attempt_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

fn backoff(attempts: i32) -> chrono::Duration {
    match attempts {
        ..=1 => chrono::Duration::minutes(1),
        2 => chrono::Duration::minutes(5),
        3 => chrono::Duration::minutes(30),
        4 => chrono::Duration::hours(2),
        _ => chrono::Duration::hours(6),
    }
}

/// One claimed delivery.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub topic: String,
    pub dedup_key: String,
    pub payload: serde_json::Value,
    pub attempts: i32,
}

/// Claims up to `limit` due deliveries of these topics.
pub fn claim(
    conn: &mut DbConn,
    topics: &[&str],
    limit: i64,
    now: NaiveDateTime,
) -> AppResult<Vec<Claimed>> {
    let due: Vec<(i64, String, String, String, i32)> = outbox::table
        .filter(outbox::done_at.is_null())
        .filter(outbox::failed_at.is_null())
        .filter(outbox::next_attempt_at.le(now))
        .filter(outbox::topic.eq_any(topics))
        .filter(
            outbox::locked_until
                .is_null()
                .or(outbox::locked_until.lt(now)),
        )
        .order(outbox::id)
        .limit(limit)
        .select((
            outbox::id,
            outbox::topic,
            outbox::dedup_key,
            outbox::payload,
            outbox::attempts,
        ))
        .load(conn)?;
    let mut claimed = Vec::new();
    for (id, topic, dedup_key, payload, attempts) in due {
        let won = diesel::update(
            outbox::table
                .filter(outbox::id.eq(id))
                .filter(outbox::done_at.is_null())
                .filter(
                    outbox::locked_until
                        .is_null()
                        .or(outbox::locked_until.lt(now)),
                ),
        )
        .set((
            outbox::locked_until.eq(now + LEASE),
            outbox::attempts.eq(outbox::attempts + 1),
        ))
        .execute(conn)?;
        if won == 1 {
            claimed.push(Claimed {
                id,
                topic,
                dedup_key,
                payload: serde_json::from_str(&payload).unwrap_or(serde_json::Value::Null),
                attempts: attempts + 1,
            });
        }
    }
    Ok(claimed)
}

pub fn mark_done(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> AppResult<()> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::done_at.eq(now),
            outbox::locked_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn mark_failed(
    conn: &mut DbConn,
    c: &Claimed,
    error: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    let error: String = error.chars().take(500).collect();
    if c.attempts >= MAX_ATTEMPTS {
        diesel::update(outbox::table.find(c.id))
            .set((
                outbox::failed_at.eq(now),
                outbox::last_error.eq(error),
                outbox::locked_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
    } else {
        diesel::update(outbox::table.find(c.id))
            .set((
                outbox::next_attempt_at.eq(now + backoff(c.attempts)),
                outbox::last_error.eq(error),
                outbox::locked_until.eq(None::<NaiveDateTime>),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The adapters this process can deliver with.
pub struct Adapters {
    pub email: Option<email::Mailer>,
    pub io: Option<io::IoClient>,
}

impl Adapters {
    fn topics(&self) -> Vec<&'static str> {
        let mut t = Vec::new();
        if self.email.is_some() {
            t.push("email");
        }
        if self.io.is_some() {
            t.push("io");
        }
        t
    }
}

/// Delivers due rows until the process ends, every `poll`.
pub fn spawn_worker(db: Db, adapters: Adapters, poll: Duration) {
    let topics = adapters.topics();
    if topics.is_empty() {
        return;
    }
    tokio::spawn(async move {
        loop {
            if let Err(e) = run_once(&db, &adapters, &topics).await {
                tracing::warn!(error = %e, "outbox worker");
            }
            tokio::time::sleep(poll).await;
        }
    });
}

/// Claims and delivers one batch; returns how many were delivered.
pub async fn run_once(db: &Db, adapters: &Adapters, topics: &[&'static str]) -> AppResult<usize> {
    let topics_owned: Vec<&'static str> = topics.to_vec();
    let now = chrono::Utc::now().naive_utc();
    let batch = db
        .run(move |conn| claim(conn, &topics_owned, 20, now))
        .await?;
    let mut delivered = 0;
    for c in batch {
        let result = match (c.topic.as_str(), &adapters.email, &adapters.io) {
            ("email", Some(mailer), _) => mailer.send(&c.dedup_key, &c.payload).await,
            ("io", _, Some(io)) => io.send(&c.payload).await,
            _ => Err(AppError::internal(anyhow::anyhow!(
                "no adapter for {}",
                c.topic
            ))),
        };
        let now = chrono::Utc::now().naive_utc();
        match result {
            Ok(()) => {
                delivered += 1;
                let id = c.id;
                db.run(move |conn| mark_done(conn, id, now)).await?;
            }
            Err(e) => {
                let message = format!("{e}");
                tracing::warn!(topic = %c.topic, id = c.id, attempts = c.attempts, error = %message, "delivery failed");
                db.run(move |conn| mark_failed(conn, &c, &message, now))
                    .await?;
            }
        }
    }
    Ok(delivered)
}
