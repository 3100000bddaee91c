//! In-app notifications: written in the same transaction as the event they announce, read in
//! the notification centre, counted in the header. The web app words them from `kind` and
//! `data` in the reader's language. (Email and app IO deliveries will go through the outbox.)

pub mod routes;

use chrono::NaiveDateTime;
use cortile_shared::community::{Notification, NotificationKind, UnreadCount};
use cortile_shared::Page;
use diesel::prelude::*;

use crate::auth::account::utc;
use crate::auth::Actor;
use crate::db::schema::notifications;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};

/// Tells `user_id` about something. Call it inside the transaction of the event.
pub fn notify(
    conn: &mut DbConn,
    user_id: i64,
    kind: NotificationKind,
    data: serde_json::Value,
    link: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::insert_into(notifications::table)
        .values((
            notifications::user_id.eq(user_id),
            notifications::kind.eq(kind.as_str()),
            notifications::data.eq(data.to_string()),
            notifications::link.eq(link),
            notifications::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

fn kind(raw: &str) -> NotificationKind {
    serde_json::from_value(serde_json::Value::String(raw.to_owned()))
        .unwrap_or(NotificationKind::Other)
}

/// My notifications, newest first.
pub fn list(
    conn: &mut DbConn,
    actor: &Actor,
    after: Option<i64>,
    limit: i64,
) -> AppResult<Page<Notification>> {
    let me = actor.require()?.principal.id.0;
    let mut q = notifications::table
        .filter(notifications::user_id.eq(me))
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(notifications::id.lt(after));
    }
    let mut rows: Vec<(
        i64,
        String,
        String,
        String,
        NaiveDateTime,
        Option<NaiveDateTime>,
    )> = q
        .order(notifications::id.desc())
        .limit(limit + 1)
        .select((
            notifications::id,
            notifications::kind,
            notifications::data,
            notifications::link,
            notifications::created_at,
            notifications::read_at,
        ))
        .load(conn)?;
    let limit = usize::try_from(limit).unwrap_or(0);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = if more {
        rows.last().map(|r| crate::pagination::encode_cursor(&r.0))
    } else {
        None
    };
    Ok(Page {
        items: rows
            .into_iter()
            .map(|(id, k, data, link, at, read)| Notification {
                id,
                kind: kind(&k),
                data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
                link,
                created_at: utc(at),
                read_at: read.map(utc),
            })
            .collect(),
        next,
    })
}

pub fn unread(conn: &mut DbConn, actor: &Actor) -> AppResult<UnreadCount> {
    let me = actor.require()?.principal.id.0;
    let n: i64 = notifications::table
        .filter(notifications::user_id.eq(me))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(UnreadCount { unread: n })
}

/// Marks one of my notifications read; 404 if it is not mine.
pub fn mark_read(conn: &mut DbConn, actor: &Actor, id: i64, now: NaiveDateTime) -> AppResult<()> {
    let me = actor.require()?.principal.id.0;
    let mine: i64 = notifications::table
        .filter(notifications::id.eq(id))
        .filter(notifications::user_id.eq(me))
        .count()
        .get_result(conn)?;
    if mine == 0 {
        return Err(AppError::not_found(format!(
            "notification {id} does not exist"
        )));
    }
    diesel::update(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(now))
    .execute(conn)?;
    Ok(())
}

pub fn mark_all_read(conn: &mut DbConn, actor: &Actor, now: NaiveDateTime) -> AppResult<()> {
    let me = actor.require()?.principal.id.0;
    diesel::update(
        notifications::table
            .filter(notifications::user_id.eq(me))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(now))
    .execute(conn)?;
    Ok(())
}
