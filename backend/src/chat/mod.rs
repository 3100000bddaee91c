//! Chat: rooms (one per community, groups, direct messages, help rooms), messages with a
//! durable per-room sequence, read markers, blocks, and moderation.
//!
//! - Every event of a room (a message, an edit, a delete) is stored in `room_events` with the
//!   room's next sequence number, in the same transaction as the change: `rooms.last_seq` is
//!   raised first (which on PostgreSQL locks the room's row until commit, and on SQLite the
//!   write lock is already held), so numbers are dense and follow commit order. A message is
//!   stored before it is acknowledged; `(room, sender, client_msg_id)` is unique, so a resend
//!   returns the stored message instead of a second one.
//! - A community room's members are its community's: `auth::policy::room_abilities` asks
//!   `community_abilities`, so the registry, joins, leaves and bans decide, with nothing copied.
//!   Group, direct and help rooms have rows in `room_members`.
//! - Moderators' mutes and removals are rows of `room_sanctions`; a block (`user_blocks`)
//!   stops direct messages both ways.
//! - Fanning events out to sockets is `crate::realtime`'s job, after the transaction commits.

pub mod people;
pub mod routes;

use std::collections::HashMap;

use chrono::NaiveDateTime;
use cortile_shared::auth::UserRef;
use cortile_shared::realtime::{
    Block, ChatMessage, History, MessageId, NewGroupRoom, NewMute, NewRemoval, ReadMark, Room,
    RoomId, RoomKind, ServerMsg, MAX_CLIENT_MSG_ID_LEN, MAX_MESSAGE_LEN, MAX_REPLAY,
};
use cortile_shared::{CommunityId, ErrorCode, UserId};
use diesel::prelude::*;

use crate::auth::account::utc;
use crate::auth::policy::{authorize, room_abilities, Action, RoomCtx};
use crate::auth::Actor;
use crate::db::schema::{
    messages, read_markers, room_events, room_members, room_sanctions, rooms, user_blocks, users,
};
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult};

/// Most people in a group room.
pub const MAX_GROUP_MEMBERS: usize = 1_000;
/// Longest group name.
pub const MAX_ROOM_NAME_LEN: usize = 80;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rooms)]
pub struct RoomRow {
    pub id: i64,
    pub kind: String,
    pub room_key: Option<String>,
    pub name: String,
    pub community_id: Option<i64>,
    pub created_by: Option<i64>,
    pub help_user_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub waiting_since: Option<NaiveDateTime>,
    pub last_seq: i64,
    pub created_at: NaiveDateTime,
}

impl RoomRow {
    pub fn kind(&self) -> RoomKind {
        RoomKind::parse(&self.kind).unwrap_or(RoomKind::Group)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = messages)]
struct MessageRow {
    id: i64,
    room_id: i64,
    seq: i64,
    sender_id: i64,
    body: String,
    html: String,
    reply_to: Option<i64>,
    created_at: NaiveDateTime,
    edited_at: Option<NaiveDateTime>,
    deleted_at: Option<NaiveDateTime>,
}

fn me(actor: &Actor) -> AppResult<i64> {
    Ok(actor.require()?.principal.id.0)
}

fn hidden(id: i64) -> AppError {
    AppError::not_found(format!("room {id} does not exist"))
}

fn names(conn: &mut DbConn, ids: &[i64]) -> AppResult<HashMap<i64, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::display_name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

fn user_ref(id: i64, names: &HashMap<i64, String>) -> UserRef {
    UserRef {
        id: UserId(id),
        display_name: names.get(&id).cloned().unwrap_or_default(),
    }
}

fn message_of(row: MessageRow, sender: UserRef) -> ChatMessage {
    let deleted = row.deleted_at.is_some();
    ChatMessage {
        id: MessageId(row.id),
        room: RoomId(row.room_id),
        seq: row.seq,
        sender,
        text: if deleted { String::new() } else { row.body },
        html: if deleted { String::new() } else { row.html },
        reply_to: row.reply_to.map(MessageId),
        created_at: utc(row.created_at),
        edited_at: row.edited_at.map(utc),
        deleted,
    }
}

pub fn get_row(conn: &mut DbConn, id: i64) -> AppResult<Option<RoomRow>> {
    Ok(rooms::table
        .find(id)
        .select(RoomRow::as_select())
        .first(conn)
        .optional()?)
}

/// The reader's place in a room, for the permission check.
pub fn ctx_of(
    conn: &mut DbConn,
    actor: &Actor,
    row: &RoomRow,
    now: NaiveDateTime,
) -> AppResult<RoomCtx> {
    let me = me(actor)?;
    let community = match row.community_id {
        Some(cid) => match crate::communities::load(conn, actor, cid) {
            Ok((_, c)) => Some(c),
            Err(e) if e.code == ErrorCode::NotFound => None,
            Err(e) => return Err(e),
        },
        None => None,
    };
    let member: Option<bool> = room_members::table
        .filter(room_members::room_id.eq(row.id))
        .filter(room_members::user_id.eq(me))
        .select(room_members::moderator)
        .first(conn)
        .optional()?;
    let sanctions: Vec<(String, Option<NaiveDateTime>)> = room_sanctions::table
        .filter(room_sanctions::room_id.eq(row.id))
        .filter(room_sanctions::user_id.eq(me))
        .filter(room_sanctions::lifted_at.is_null())
        .select((room_sanctions::kind, room_sanctions::until))
        .load(conn)?;
    let removed = sanctions.iter().any(|(k, _)| k == "remove");
    let muted = sanctions
        .iter()
        .any(|(k, until)| k == "mute" && until.is_none_or(|u| u > now));
    Ok(RoomCtx {
        kind: row.kind(),
        community,
        member: member.is_some(),
        room_moderator: member == Some(true),
        help_owner: row.help_user_id == Some(me),
        removed,
        muted,
    })
}

/// A room the actor may read, with their context in it; 404 otherwise.
pub fn load_readable(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> AppResult<(RoomRow, RoomCtx)> {
    let row = get_row(conn, id)?.ok_or_else(|| hidden(id))?;
    let c = ctx_of(conn, actor, &row, now)?;
    authorize(actor, &Action::ReadRoom(c))?;
    Ok((row, c))
}

/// Raises the room's sequence and returns the new number. Call inside the write transaction:
/// on PostgreSQL the `UPDATE` locks the room's row until commit.
fn next_seq(conn: &mut DbConn, room: i64) -> AppResult<i64> {
    diesel::update(rooms::table.find(room))
        .set(rooms::last_seq.eq(rooms::last_seq + 1))
        .execute(conn)?;
    Ok(rooms::table
        .find(room)
        .select(rooms::last_seq)
        .first(conn)?)
}

fn insert_event(
    conn: &mut DbConn,
    room: i64,
    seq: i64,
    kind: &str,
    message: i64,
    event: &ServerMsg,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::insert_into(room_events::table)
        .values((
            room_events::room_id.eq(room),
            room_events::seq.eq(seq),
            room_events::kind.eq(kind),
            room_events::message_id.eq(message),
            room_events::payload.eq(serde_json::to_string(event).map_err(AppError::internal)?),
            room_events::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

fn check_text(text: &str) -> AppResult<String> {
    let t = text.trim();
    let n = t.chars().count();
    if n == 0 {
        return Err(AppError::invalid(
            "text",
            "required",
            "write something first",
        ));
    }
    if n > MAX_MESSAGE_LEN {
        return Err(AppError::invalid(
            "text",
            "too_long",
            format!("a message has at most {MAX_MESSAGE_LEN} characters"),
        ));
    }
    Ok(t.to_owned())
}

/// Whether `a` blocks `b` or `b` blocks `a`; `Some(true)` when `b` is the one who blocked.
fn block_between(conn: &mut DbConn, a: i64, b: i64) -> AppResult<Option<bool>> {
    let rows: Vec<i64> = user_blocks::table
        .filter(
            user_blocks::blocker_id
                .eq(a)
                .and(user_blocks::blocked_id.eq(b))
                .or(user_blocks::blocker_id
                    .eq(b)
                    .and(user_blocks::blocked_id.eq(a))),
        )
        .select(user_blocks::blocker_id)
        .load(conn)?;
    Ok(if rows.contains(&b) {
        Some(true)
    } else if rows.contains(&a) {
        Some(false)
    } else {
        None
    })
}

fn blocked_error(they_blocked: bool) -> AppError {
    AppError::new(ErrorCode::Blocked).with_detail(if they_blocked {
        "this person does not accept your messages"
    } else {
        "you have blocked this person: unblock them first"
    })
}

/// The other member of a direct room.
fn peer_of(conn: &mut DbConn, room: i64, me: i64) -> AppResult<Option<i64>> {
    Ok(room_members::table
        .filter(room_members::room_id.eq(room))
        .filter(room_members::user_id.ne(me))
        .select(room_members::user_id)
        .first(conn)
        .optional()?)
}

/// A sent message: stored, with its `seq`, and the event to fan out (`None` when it was a
/// resend of a message already stored, which was fanned out then).
pub struct Sent {
    pub message: ChatMessage,
    pub event: Option<ServerMsg>,
}

/// Stores a message (with its `seq`) before anyone is told; a resend of the same
/// `client_msg_id` returns the stored one.
pub fn send(
    conn: &mut DbConn,
    actor: &Actor,
    room: i64,
    client_msg_id: &str,
    text: &str,
    reply_to: Option<i64>,
    now: NaiveDateTime,
) -> AppResult<Sent> {
    let me_id = me(actor)?;
    let row = get_row(conn, room)?.ok_or_else(|| hidden(room))?;
    let c = ctx_of(conn, actor, &row, now)?;
    authorize(actor, &Action::SendIn(c))?;
    if client_msg_id.is_empty() || client_msg_id.len() > MAX_CLIENT_MSG_ID_LEN {
        return Err(AppError::invalid(
            "client_msg_id",
            "invalid_format",
            format!("client_msg_id has 1 to {MAX_CLIENT_MSG_ID_LEN} bytes"),
        ));
    }
    // A resend after a lost acknowledgement: the stored message, nothing new.
    if let Some(existing) = find_sent(conn, room, me_id, client_msg_id)? {
        return Ok(Sent {
            message: existing,
            event: None,
        });
    }
    let text = check_text(text)?;
    if row.kind() == RoomKind::Direct {
        if let Some(peer) = peer_of(conn, room, me_id)? {
            if let Some(they) = block_between(conn, me_id, peer)? {
                return Err(blocked_error(they));
            }
        }
    }
    if let Some(r) = reply_to {
        let n: i64 = messages::table
            .filter(messages::id.eq(r))
            .filter(messages::room_id.eq(room))
            .count()
            .get_result(conn)?;
        if n == 0 {
            return Err(AppError::invalid(
                "reply_to",
                "not_found",
                "the message replied to is not in this room",
            ));
        }
    }
    rate_check(conn, me_id, now)?;
    let html = crate::communities::markdown::render(&text);
    let sender = UserRef {
        id: UserId(me_id),
        display_name: actor.require()?.principal.display_name.clone(),
    };
    let result = write_tx(conn, |conn| -> AppResult<Sent> {
        let seq = next_seq(conn, room)?;
        // Checked again under the room's lock: two resends racing store one message.
        let dup: i64 = messages::table
            .filter(messages::room_id.eq(room))
            .filter(messages::sender_id.eq(me_id))
            .filter(messages::client_msg_id.eq(client_msg_id))
            .count()
            .get_result(conn)?;
        if dup > 0 {
            // Roll back the raised sequence.
            return Err(AppError::new(ErrorCode::Conflict).with_detail("duplicate"));
        }
        let id = crate::insert_returning_id!(
            conn,
            messages::table,
            messages::id,
            (
                messages::room_id.eq(room),
                messages::seq.eq(seq),
                messages::sender_id.eq(me_id),
                messages::client_msg_id.eq(client_msg_id),
                messages::body.eq(&text),
                messages::html.eq(&html),
                messages::reply_to.eq(reply_to),
                messages::created_at.eq(now),
            )
        )?;
        let message = ChatMessage {
            id: MessageId(id),
            room: RoomId(room),
            seq,
            sender: sender.clone(),
            text: text.clone(),
            html: html.clone(),
            reply_to: reply_to.map(MessageId),
            created_at: utc(now),
            edited_at: None,
            deleted: false,
        };
        let event = ServerMsg::Message {
            room: RoomId(room),
            seq,
            message: message.clone(),
        };
        insert_event(conn, room, seq, "message", id, &event, now)?;
        // The sender has read their own message.
        raise_marker(conn, room, me_id, seq, now)?;
        Ok(Sent {
            message,
            event: Some(event),
        })
    });
    match result {
        Err(e) if e.code == ErrorCode::Conflict => {
            match find_sent(conn, room, me_id, client_msg_id)? {
                Some(message) => Ok(Sent {
                    message,
                    event: None,
                }),
                None => Err(e),
            }
        }
        other => other,
    }
}

/// Messages a person may send in [`RATE_WINDOW_SECS`], over all rooms (counted in the
/// database, so every process shares the count). The socket also keeps a faster per-process
/// bucket in front of this (`realtime::RateLimiter`).
pub const MAX_MESSAGES_PER_WINDOW: i64 = 120;
pub const RATE_WINDOW_SECS: i64 = 60;

fn rate_check(conn: &mut DbConn, me: i64, now: NaiveDateTime) -> AppResult<()> {
    let since = now - chrono::Duration::seconds(RATE_WINDOW_SECS);
    let n: i64 = messages::table
        .filter(messages::sender_id.eq(me))
        .filter(messages::created_at.gt(since))
        .count()
        .get_result(conn)?;
    if n >= MAX_MESSAGES_PER_WINDOW {
        return Err(AppError::rate_limited(10));
    }
    Ok(())
}

fn find_sent(
    conn: &mut DbConn,
    room: i64,
    sender: i64,
    client_msg_id: &str,
) -> AppResult<Option<ChatMessage>> {
    let row: Option<MessageRow> = messages::table
        .filter(messages::room_id.eq(room))
        .filter(messages::sender_id.eq(sender))
        .filter(messages::client_msg_id.eq(client_msg_id))
        .select(MessageRow::as_select())
        .first(conn)
        .optional()?;
    match row {
        Some(row) => {
            let n = names(conn, &[sender])?;
            Ok(Some(message_of(row, user_ref(sender, &n))))
        }
        None => Ok(None),
    }
}

fn load_message(conn: &mut DbConn, room: i64, id: i64) -> AppResult<MessageRow> {
    messages::table
        .filter(messages::id.eq(id))
        .filter(messages::room_id.eq(room))
        .select(MessageRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found(format!("message {id} is not in room {room}")))
}

/// The sender edits their message: a new event with the room's next `seq`.
pub fn edit(
    conn: &mut DbConn,
    actor: &Actor,
    room: i64,
    message: i64,
    text: &str,
    now: NaiveDateTime,
) -> AppResult<ServerMsg> {
    let me_id = me(actor)?;
    let row = get_row(conn, room)?.ok_or_else(|| hidden(room))?;
    let c = ctx_of(conn, actor, &row, now)?;
    authorize(actor, &Action::SendIn(c))?;
    let current = load_message(conn, room, message)?;
    if current.sender_id != me_id {
        return Err(
            AppError::new(ErrorCode::Forbidden).with_detail("only its sender edits a message")
        );
    }
    if current.deleted_at.is_some() {
        return Err(AppError::new(ErrorCode::Conflict).with_detail("the message was deleted"));
    }
    let text = check_text(text)?;
    let html = crate::communities::markdown::render(&text);
    let sender = UserRef {
        id: UserId(me_id),
        display_name: actor.require()?.principal.display_name.clone(),
    };
    write_tx(conn, |conn| {
        let seq = next_seq(conn, room)?;
        diesel::update(messages::table.find(message))
            .set((
                messages::body.eq(&text),
                messages::html.eq(&html),
                messages::edited_at.eq(now),
            ))
            .execute(conn)?;
        let updated = load_message(conn, room, message)?;
        let event = ServerMsg::Edit {
            room: RoomId(room),
            seq,
            message: message_of(updated, sender),
        };
        insert_event(conn, room, seq, "edit", message, &event, now)?;
        Ok(event)
    })
}

/// The sender, or a moderator of the room, deletes a message: it stays in its place as
/// deleted, its text is blanked everywhere it was stored (events included).
pub fn delete(
    conn: &mut DbConn,
    actor: &Actor,
    room: i64,
    message: i64,
    now: NaiveDateTime,
) -> AppResult<ServerMsg> {
    let me_id = me(actor)?;
    let (row, c) = load_readable(conn, actor, room, now)?;
    let current = load_message(conn, room, message)?;
    if current.sender_id != me_id {
        authorize(actor, &Action::ModerateRoom(c))?;
    }
    if current.deleted_at.is_some() {
        return Err(AppError::new(ErrorCode::Conflict).with_detail("already deleted"));
    }
    let by = actor.keyboard_user().map(|u| u.id.0);
    write_tx(conn, |conn| {
        let seq = next_seq(conn, row.id)?;
        diesel::update(messages::table.find(message))
            .set((
                messages::body.eq(""),
                messages::html.eq(""),
                messages::deleted_at.eq(now),
                messages::deleted_by.eq(by),
            ))
            .execute(conn)?;
        // Earlier events of this message must not give its text back on a replay.
        let updated = load_message(conn, room, message)?;
        let n = names(conn, &[updated.sender_id])?;
        let blank = message_of(updated, user_ref(current.sender_id, &n));
        let events: Vec<(i64, String)> = room_events::table
            .filter(room_events::room_id.eq(room))
            .filter(room_events::message_id.eq(message))
            .select((room_events::seq, room_events::kind))
            .load(conn)?;
        for (s, kind) in events {
            let scrubbed = if kind == "message" {
                ServerMsg::Message {
                    room: RoomId(room),
                    seq: s,
                    message: blank.clone(),
                }
            } else {
                ServerMsg::Edit {
                    room: RoomId(room),
                    seq: s,
                    message: blank.clone(),
                }
            };
            diesel::update(
                room_events::table
                    .filter(room_events::room_id.eq(room))
                    .filter(room_events::seq.eq(s)),
            )
            .set(
                room_events::payload
                    .eq(serde_json::to_string(&scrubbed).map_err(AppError::internal)?),
            )
            .execute(conn)?;
        }
        let event = ServerMsg::Delete {
            room: RoomId(room),
            seq,
            message: MessageId(message),
        };
        insert_event(conn, room, seq, "delete", message, &event, now)?;
        if actor.keyboard_user().map(|u| u.id.0) != Some(current.sender_id) {
            crate::audit::record(
                conn,
                actor,
                "chat.delete_message",
                Some(crate::audit::Object {
                    kind: "room",
                    id: room,
                }),
                None,
                serde_json::json!({"message": message, "sender": current.sender_id}),
                now,
            )?;
        }
        Ok(event)
    })
}

/// What a socket is sent again: stored events after a cursor.
pub struct Replay {
    /// The room's newest `seq`.
    pub last: i64,
    /// Events are replayed from here (exclusive): the cursor, or later when too far behind.
    pub from: i64,
    /// `(seq, frame)` in order.
    pub events: Vec<(i64, String)>,
}

/// The room's newest `seq` and the stored events after `after` (at most [`MAX_REPLAY`], the
/// newest ones when more were missed), as sent on the socket. Call after authorizing.
pub fn events_after(conn: &mut DbConn, room: i64, after: i64) -> AppResult<Replay> {
    let last: i64 = rooms::table
        .find(room)
        .select(rooms::last_seq)
        .first(conn)?;
    // A cursor past the end (or none: `i64::MAX`) means "from now on".
    let from = after.min(last).max(last - MAX_REPLAY).max(0);
    let events = room_events::table
        .filter(room_events::room_id.eq(room))
        .filter(room_events::seq.gt(from))
        .order(room_events::seq.asc())
        .limit(MAX_REPLAY)
        .select((room_events::seq, room_events::payload))
        .load(conn)?;
    Ok(Replay { last, from, events })
}

/// Messages before `before` (a `seq`), newest first.
pub fn history(
    conn: &mut DbConn,
    actor: &Actor,
    room: i64,
    before: Option<i64>,
    limit: i64,
    now: NaiveDateTime,
) -> AppResult<History> {
    load_readable(conn, actor, room, now)?;
    let mut q = messages::table
        .filter(messages::room_id.eq(room))
        .into_boxed();
    if let Some(b) = before {
        q = q.filter(messages::seq.lt(b));
    }
    let rows: Vec<MessageRow> = q
        .order(messages::seq.desc())
        .limit(limit + 1)
        .select(MessageRow::as_select())
        .load(conn)?;
    let more = rows.len() as i64 > limit;
    let rows: Vec<MessageRow> = rows.into_iter().take(limit as usize).collect();
    let ids: Vec<i64> = rows.iter().map(|r| r.sender_id).collect();
    let n = names(conn, &ids)?;
    let before = if more {
        rows.last().map(|r| r.seq)
    } else {
        None
    };
    Ok(History {
        messages: rows
            .into_iter()
            .map(|r| {
                let s = user_ref(r.sender_id, &n);
                message_of(r, s)
            })
            .collect(),
        before,
    })
}

fn raise_marker(
    conn: &mut DbConn,
    room: i64,
    user: i64,
    seq: i64,
    now: NaiveDateTime,
) -> AppResult<()> {
    let n = diesel::update(
        read_markers::table
            .filter(read_markers::room_id.eq(room))
            .filter(read_markers::user_id.eq(user))
            .filter(read_markers::seq.lt(seq)),
    )
    .set((read_markers::seq.eq(seq), read_markers::updated_at.eq(now)))
    .execute(conn)?;
    if n == 0 {
        crate::on_backend!(conn, c => diesel::insert_into(read_markers::table)
            .values((
                read_markers::room_id.eq(room),
                read_markers::user_id.eq(user),
                read_markers::seq.eq(seq),
                read_markers::updated_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    Ok(())
}

/// I have read up to `seq` (never lowered). Returns the marker to tell the room.
pub fn mark_read(
    conn: &mut DbConn,
    actor: &Actor,
    room: i64,
    seq: i64,
    now: NaiveDateTime,
) -> AppResult<ServerMsg> {
    let (row, _) = load_readable(conn, actor, room, now)?;
    let me_id = me(actor)?;
    let seq = seq.clamp(0, row.last_seq);
    write_tx(conn, |conn| raise_marker(conn, room, me_id, seq, now))?;
    Ok(ServerMsg::ReadMarker {
        room: RoomId(room),
        user: UserId(me_id),
        seq,
    })
}

/// Makes sure each of these communities has its room; returns them by community.
fn community_rooms(
    conn: &mut DbConn,
    communities: &[(i64, String)],
    now: NaiveDateTime,
) -> AppResult<HashMap<i64, RoomRow>> {
    if communities.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<i64> = communities.iter().map(|(id, _)| *id).collect();
    let load = |conn: &mut DbConn| -> AppResult<HashMap<i64, RoomRow>> {
        Ok(rooms::table
            .filter(rooms::community_id.eq_any(&ids))
            .filter(rooms::kind.eq("community"))
            .select(RoomRow::as_select())
            .load(conn)?
            .into_iter()
            .filter_map(|r| r.community_id.map(|c| (c, r)))
            .collect())
    };
    let mut found = load(conn)?;
    let missing: Vec<&(i64, String)> = communities
        .iter()
        .filter(|(id, _)| !found.contains_key(id))
        .collect();
    if !missing.is_empty() {
        for (id, name) in missing {
            let key = format!("community:{id}");
            crate::on_backend!(conn, c => diesel::insert_into(rooms::table)
                .values((
                    rooms::kind.eq("community"),
                    rooms::room_key.eq(&key),
                    rooms::name.eq(name),
                    rooms::community_id.eq(id),
                    rooms::created_at.eq(now),
                ))
                .on_conflict_do_nothing()
                .execute(c))?;
        }
        found = load(conn)?;
    }
    Ok(found)
}

/// The room of a community (made when first needed), if the actor may read it.
pub fn room_of_community(
    conn: &mut DbConn,
    community: i64,
    now: NaiveDateTime,
) -> AppResult<Option<i64>> {
    let name: Option<String> = crate::db::schema::communities::table
        .find(community)
        .select(crate::db::schema::communities::name)
        .first(conn)
        .optional()?;
    let Some(name) = name else { return Ok(None) };
    Ok(community_rooms(conn, &[(community, name)], now)?
        .get(&community)
        .map(|r| r.id))
}

fn room_view(conn: &mut DbConn, actor: &Actor, row: RoomRow, c: &RoomCtx) -> AppResult<Room> {
    let me_id = me(actor)?;
    let read_seq: i64 = read_markers::table
        .filter(read_markers::room_id.eq(row.id))
        .filter(read_markers::user_id.eq(me_id))
        .select(read_markers::seq)
        .first(conn)
        .optional()?
        .unwrap_or(0);
    let unread: i64 = messages::table
        .filter(messages::room_id.eq(row.id))
        .filter(messages::seq.gt(read_seq))
        .filter(messages::sender_id.ne(me_id))
        .filter(messages::deleted_at.is_null())
        .count()
        .get_result(conn)?;
    let kind = row.kind();
    let peer = if kind == RoomKind::Direct {
        peer_of(conn, row.id, me_id)?
    } else {
        None
    };
    let last: Option<MessageRow> = messages::table
        .filter(messages::room_id.eq(row.id))
        .order(messages::seq.desc())
        .select(MessageRow::as_select())
        .first(conn)
        .optional()?;
    let mut ids: Vec<i64> = peer.into_iter().collect();
    ids.extend(row.assignee_id);
    ids.extend(row.help_user_id);
    ids.extend(last.as_ref().map(|m| m.sender_id));
    let n = names(conn, &ids)?;
    let name = match (kind, peer, row.help_user_id) {
        (RoomKind::Direct, Some(p), _) => n.get(&p).cloned().unwrap_or_default(),
        (RoomKind::Help, _, Some(u)) if u != me_id => n.get(&u).cloned().unwrap_or_default(),
        _ => row.name.clone(),
    };
    Ok(Room {
        id: RoomId(row.id),
        kind,
        name,
        community_id: row.community_id.map(CommunityId),
        peer: peer.map(|p| user_ref(p, &n)),
        last_seq: row.last_seq,
        read_seq,
        unread,
        abilities: room_abilities(actor, c),
        assignee: row.assignee_id.map(|a| user_ref(a, &n)),
        waiting: row.waiting_since.is_some(),
        last_message: last.map(|m| {
            let sender = user_ref(m.sender_id, &n);
            message_of(m, sender)
        }),
    })
}

/// Most read markers [`reads`] returns.
pub const MAX_READS: i64 = 200;

/// How far the others have read a room (the furthest readers first, at most [`MAX_READS`]).
pub fn reads(
    conn: &mut DbConn,
    actor: &Actor,
    room: i64,
    now: NaiveDateTime,
) -> AppResult<Vec<ReadMark>> {
    load_readable(conn, actor, room, now)?;
    let me_id = me(actor)?;
    let rows: Vec<(i64, i64)> = read_markers::table
        .filter(read_markers::room_id.eq(room))
        .filter(read_markers::user_id.ne(me_id))
        .filter(read_markers::seq.gt(0))
        .order((read_markers::seq.desc(), read_markers::user_id.asc()))
        .limit(MAX_READS)
        .select((read_markers::user_id, read_markers::seq))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let n = names(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|(u, seq)| ReadMark {
            user: user_ref(u, &n),
            seq,
        })
        .collect())
}

/// My rooms: my communities' (by the registry and by joining), and the group, direct and help
/// rooms I am in, with unread counts.
pub fn list_rooms(conn: &mut DbConn, actor: &Actor, now: NaiveDateTime) -> AppResult<Vec<Room>> {
    let me_id = me(actor)?;
    let communities: Vec<(i64, String)> =
        crate::communities::list(conn, actor, crate::communities::View::Mine)?
            .into_iter()
            .map(|c| (c.id.0, c.name))
            .collect();
    let mut rows: Vec<RoomRow> = community_rooms(conn, &communities, now)?
        .into_values()
        .collect();
    rows.sort_by_key(|r| {
        communities
            .iter()
            .position(|(id, _)| Some(*id) == r.community_id)
    });
    let others: Vec<RoomRow> = rooms::table
        .inner_join(room_members::table)
        .filter(room_members::user_id.eq(me_id))
        .order(rooms::id.desc())
        .select(RoomRow::as_select())
        .load(conn)?;
    rows.extend(others);
    let mut out = Vec::new();
    for row in rows {
        let c = ctx_of(conn, actor, &row, now)?;
        if room_abilities(actor, &c).read {
            out.push(room_view(conn, actor, row, &c)?);
        }
    }
    Ok(out)
}

pub fn get(conn: &mut DbConn, actor: &Actor, id: i64, now: NaiveDateTime) -> AppResult<Room> {
    let (row, c) = load_readable(conn, actor, id, now)?;
    room_view(conn, actor, row, &c)
}

fn active_user(conn: &mut DbConn, id: i64) -> AppResult<bool> {
    Ok(crate::auth::store::get_user(conn, id)?.is_some_and(|u| u.is_active()))
}

fn add_member(
    conn: &mut DbConn,
    room: i64,
    user: i64,
    moderator: bool,
    now: NaiveDateTime,
) -> AppResult<()> {
    crate::on_backend!(conn, c => diesel::insert_into(room_members::table)
        .values((
            room_members::room_id.eq(room),
            room_members::user_id.eq(user),
            room_members::moderator.eq(moderator),
            room_members::created_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(())
}

/// Scope of the idempotency keys of group creation.
const SCOPE_GROUP: &str = "chat.group";

/// A group just made (or, under an `Idempotency-Key` already used for the same request, the
/// answer given then).
pub struct CreatedGroup {
    /// The room as JSON, status 201.
    pub stored: crate::idempotency::Stored,
    /// The people put in it (to tell); none on a replay.
    pub members: Vec<i64>,
}

/// Creates a group room; its creator is its moderator. Its people must be within the
/// creator's reach (`policy::people_reach`); people who block the creator are not added (nor
/// is anyone the creator blocks). With a key, a retry of the same request answers the first
/// room again and makes nothing.
pub fn create_group(
    conn: &mut DbConn,
    actor: &Actor,
    new: &NewGroupRoom,
    key: Option<&crate::idempotency::IdempotencyKey>,
    now: NaiveDateTime,
) -> AppResult<CreatedGroup> {
    use crate::idempotency::{self, Claim, Stored};
    authorize(actor, &Action::StartChat)?;
    let me_id = me(actor)?;
    let mut errors = Vec::new();
    let name = people::check_name(&new.name, &mut errors);
    let members = people::check_people(conn, actor, &new.members, &mut errors)?;
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let hash = idempotency::request_hash(SCOPE_GROUP, &(&name, &members));
    let blocking = people::blocking(conn, me_id, &members)?;
    let members: Vec<i64> = members
        .into_iter()
        .filter(|m| !blocking.contains(m))
        .collect();
    write_tx(conn, |conn| -> AppResult<CreatedGroup> {
        let claim = match key {
            Some(k) => match idempotency::claim(conn, me_id, k, SCOPE_GROUP, &hash, now)? {
                Claim::Replay(stored) => {
                    return Ok(CreatedGroup {
                        stored,
                        members: Vec::new(),
                    })
                }
                Claim::New(id) => Some(id),
            },
            None => None,
        };
        let id = crate::insert_returning_id!(
            conn,
            rooms::table,
            rooms::id,
            (
                rooms::kind.eq("group"),
                rooms::name.eq(&name),
                rooms::created_by.eq(me_id),
                rooms::created_at.eq(now),
            )
        )?;
        add_member(conn, id, me_id, true, now)?;
        for m in &members {
            add_member(conn, id, *m, false, now)?;
        }
        let room = get(conn, actor, id, now)?;
        let body = serde_json::to_string(&room).map_err(AppError::internal)?;
        let stored = match claim {
            Some(c) => idempotency::complete(conn, c, 201, &body, Some(id))?,
            None => Stored {
                status: 201,
                body,
                replayed: false,
            },
        };
        Ok(CreatedGroup { stored, members })
    })
}

/// Opens (or finds) the direct room with someone; refused when either blocks the other.
pub fn open_direct(
    conn: &mut DbConn,
    actor: &Actor,
    other: i64,
    now: NaiveDateTime,
) -> AppResult<Room> {
    authorize(actor, &Action::StartChat)?;
    let me_id = me(actor)?;
    if other == me_id {
        return Err(AppError::invalid(
            "user_id",
            "self",
            "a direct room is with someone else",
        ));
    }
    if !active_user(conn, other)? {
        return Err(AppError::invalid("user_id", "not_found", "no such person"));
    }
    if let Some(they) = block_between(conn, me_id, other)? {
        return Err(blocked_error(they));
    }
    let (lo, hi) = (me_id.min(other), me_id.max(other));
    let key = format!("direct:{lo}:{hi}");
    let id = write_tx(conn, |conn| -> AppResult<i64> {
        crate::on_backend!(conn, c => diesel::insert_into(rooms::table)
            .values((
                rooms::kind.eq("direct"),
                rooms::room_key.eq(&key),
                rooms::name.eq(""),
                rooms::created_by.eq(me_id),
                rooms::created_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(c))?;
        let id: i64 = rooms::table
            .filter(rooms::room_key.eq(&key))
            .select(rooms::id)
            .first(conn)?;
        add_member(conn, id, lo, false, now)?;
        add_member(conn, id, hi, false, now)?;
        Ok(id)
    })?;
    get(conn, actor, id, now)
}

pub fn block(conn: &mut DbConn, actor: &Actor, other: i64, now: NaiveDateTime) -> AppResult<()> {
    authorize(actor, &Action::StartChat)?;
    let me_id = me(actor)?;
    if other == me_id {
        return Err(AppError::invalid(
            "user_id",
            "self",
            "you cannot block yourself",
        ));
    }
    if !active_user(conn, other)? {
        return Err(AppError::not_found(format!("user {other} does not exist")));
    }
    crate::on_backend!(conn, c => diesel::insert_into(user_blocks::table)
        .values((
            user_blocks::blocker_id.eq(me_id),
            user_blocks::blocked_id.eq(other),
            user_blocks::created_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(())
}

pub fn unblock(conn: &mut DbConn, actor: &Actor, other: i64) -> AppResult<()> {
    let me_id = me(actor)?;
    let n = diesel::delete(
        user_blocks::table
            .filter(user_blocks::blocker_id.eq(me_id))
            .filter(user_blocks::blocked_id.eq(other)),
    )
    .execute(conn)?;
    if n == 0 {
        return Err(AppError::not_found(format!(
            "you do not block user {other}"
        )));
    }
    Ok(())
}

pub fn blocks(conn: &mut DbConn, actor: &Actor) -> AppResult<Vec<Block>> {
    let me_id = me(actor)?;
    let rows: Vec<(i64, NaiveDateTime)> = user_blocks::table
        .filter(user_blocks::blocker_id.eq(me_id))
        .order(user_blocks::created_at.desc())
        .select((user_blocks::blocked_id, user_blocks::created_at))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let n = names(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|(u, at)| Block {
            user: user_ref(u, &n),
            created_at: utc(at),
        })
        .collect())
}

fn check_target(conn: &mut DbConn, actor: &Actor, user: i64) -> AppResult<()> {
    if Some(user) == actor.keyboard_user().map(|u| u.id.0) || user == me(actor)? {
        return Err(AppError::invalid("user_id", "self", "not yourself"));
    }
    if !active_user(conn, user)? {
        return Err(AppError::invalid("user_id", "not_found", "no such person"));
    }
    Ok(())
}

/// A moderator's act on a person in a room.
struct Sanction<'a> {
    user: i64,
    /// `mute` or `remove`.
    kind: &'a str,
    until: Option<NaiveDateTime>,
    reason: &'a str,
}

fn sanction(
    conn: &mut DbConn,
    actor: &Actor,
    room: i64,
    s: Sanction<'_>,
    now: NaiveDateTime,
) -> AppResult<()> {
    let Sanction {
        user,
        kind,
        until,
        reason,
    } = s;
    let (row, c) = load_readable(conn, actor, room, now)?;
    authorize(actor, &Action::ModerateRoom(c))?;
    check_target(conn, actor, user)?;
    let reason = reason.trim().chars().take(500).collect::<String>();
    write_tx(conn, |conn| {
        diesel::insert_into(room_sanctions::table)
            .values((
                room_sanctions::room_id.eq(row.id),
                room_sanctions::user_id.eq(user),
                room_sanctions::kind.eq(kind),
                room_sanctions::until.eq(until),
                room_sanctions::reason.eq(&reason),
                room_sanctions::created_by.eq(actor.keyboard_user().map(|u| u.id.0)),
                room_sanctions::created_at.eq(now),
            ))
            .execute(conn)?;
        if kind == "remove" {
            diesel::delete(
                room_members::table
                    .filter(room_members::room_id.eq(row.id))
                    .filter(room_members::user_id.eq(user)),
            )
            .execute(conn)?;
        }
        crate::audit::record(
            conn,
            actor,
            &format!("chat.{kind}"),
            Some(crate::audit::Object {
                kind: "room",
                id: row.id,
            }),
            None,
            serde_json::json!({"user": user, "reason": reason}),
            now,
        )?;
        Ok(())
    })
}

/// A moderator mutes someone in a room for some minutes.
pub fn mute(
    conn: &mut DbConn,
    actor: &Actor,
    room: i64,
    m: &NewMute,
    now: NaiveDateTime,
) -> AppResult<()> {
    let (_, c) = load_readable(conn, actor, room, now)?;
    authorize(actor, &Action::ModerateRoom(c))?;
    if !(1..=10_080).contains(&m.minutes) {
        return Err(AppError::invalid(
            "minutes",
            "out_of_range",
            "1 to 10,080 minutes",
        ));
    }
    let until = now + chrono::Duration::minutes(m.minutes);
    let s = Sanction {
        user: m.user_id.0,
        kind: "mute",
        until: Some(until),
        reason: &m.reason,
    };
    sanction(conn, actor, room, s, now)
}

/// A moderator removes someone from a room; their sockets leave it at once.
pub fn remove(
    conn: &mut DbConn,
    actor: &Actor,
    room: i64,
    r: &NewRemoval,
    now: NaiveDateTime,
) -> AppResult<()> {
    let s = Sanction {
        user: r.user_id.0,
        kind: "remove",
        until: None,
        reason: &r.reason,
    };
    sanction(conn, actor, room, s, now)
}

/// "Talk to a person": the resident's help room (made once), marked as waiting for an operator.
pub fn ask_help(conn: &mut DbConn, actor: &Actor, now: NaiveDateTime) -> AppResult<Room> {
    authorize(actor, &Action::StartChat)?;
    let me_id = me(actor)?;
    let key = format!("help:{me_id}");
    let name = actor.require()?.principal.display_name.clone();
    let id = write_tx(conn, |conn| -> AppResult<i64> {
        crate::on_backend!(conn, c => diesel::insert_into(rooms::table)
            .values((
                rooms::kind.eq("help"),
                rooms::room_key.eq(&key),
                rooms::name.eq(&name),
                rooms::created_by.eq(me_id),
                rooms::help_user_id.eq(me_id),
                rooms::created_at.eq(now),
            ))
            .on_conflict_do_nothing()
            .execute(c))?;
        let id: i64 = rooms::table
            .filter(rooms::room_key.eq(&key))
            .select(rooms::id)
            .first(conn)?;
        add_member(conn, id, me_id, false, now)?;
        // Waiting again unless an operator has it.
        diesel::update(
            rooms::table
                .find(id)
                .filter(rooms::assignee_id.is_null())
                .filter(rooms::waiting_since.is_null()),
        )
        .set(rooms::waiting_since.eq(now))
        .execute(conn)?;
        Ok(id)
    })?;
    get(conn, actor, id, now)
}

/// Help rooms waiting for an operator, and those I took (operators and staff).
pub fn help_queue(conn: &mut DbConn, actor: &Actor, now: NaiveDateTime) -> AppResult<Vec<Room>> {
    authorize(actor, &Action::AnswerHelp)?;
    let me_id = me(actor)?;
    let rows: Vec<RoomRow> = rooms::table
        .filter(rooms::kind.eq("help"))
        .filter(
            rooms::waiting_since
                .is_not_null()
                .or(rooms::assignee_id.eq(me_id)),
        )
        .order((rooms::waiting_since.asc(), rooms::id.asc()))
        .limit(200)
        .select(RoomRow::as_select())
        .load(conn)?;
    let mut out = Vec::new();
    for row in rows {
        let c = ctx_of(conn, actor, &row, now)?;
        out.push(room_view(conn, actor, row, &c)?);
    }
    Ok(out)
}

/// An operator takes a help room: it stops waiting and they join it. 409 when another took it.
pub fn take_help(
    conn: &mut DbConn,
    actor: &Actor,
    room: i64,
    now: NaiveDateTime,
) -> AppResult<Room> {
    authorize(actor, &Action::AnswerHelp)?;
    let me_id = me(actor)?;
    let row = get_row(conn, room)?
        .filter(|r| r.kind() == RoomKind::Help)
        .ok_or_else(|| hidden(room))?;
    write_tx(conn, |conn| -> AppResult<()> {
        let n = diesel::update(
            rooms::table.find(row.id).filter(
                rooms::assignee_id
                    .is_null()
                    .or(rooms::assignee_id.eq(me_id)),
            ),
        )
        .set((
            rooms::assignee_id.eq(me_id),
            rooms::waiting_since.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
        if n == 0 {
            return Err(
                AppError::new(ErrorCode::Conflict).with_detail("another operator has taken it")
            );
        }
        add_member(conn, row.id, me_id, true, now)
    })?;
    get(conn, actor, room, now)
}

/// The person's chat data for their export (GDPR art. 15 and 20): the messages they sent (as
/// stored now: a deleted one has no text), the rooms they are a member of, the people they
/// blocked (by number) and their read markers. Nothing others wrote.
pub fn export_of(conn: &mut DbConn, me: i64) -> AppResult<serde_json::Value> {
    use serde_json::json;
    #[allow(clippy::type_complexity)]
    let sent: Vec<(
        i64,
        i64,
        i64,
        String,
        Option<i64>,
        NaiveDateTime,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
    )> = messages::table
        .filter(messages::sender_id.eq(me))
        .order(messages::id)
        .select((
            messages::id,
            messages::room_id,
            messages::seq,
            messages::body,
            messages::reply_to,
            messages::created_at,
            messages::edited_at,
            messages::deleted_at,
        ))
        .load(conn)?;
    let sent: Vec<serde_json::Value> = sent
        .into_iter()
        .map(|(id, room, seq, body, reply, at, edited, deleted)| {
            json!({"id": id, "room_id": room, "seq": seq, "text": body, "reply_to": reply,
                   "created_at": utc(at), "edited_at": edited.map(utc),
                   "deleted_at": deleted.map(utc)})
        })
        .collect();
    let memberships: Vec<serde_json::Value> = room_members::table
        .inner_join(rooms::table)
        .filter(room_members::user_id.eq(me))
        .order(room_members::id)
        .select((
            room_members::room_id,
            rooms::kind,
            room_members::moderator,
            room_members::created_at,
        ))
        .load::<(i64, String, bool, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(room, kind, moderator, at)| {
            json!({"room_id": room, "kind": kind, "moderator": moderator, "since": utc(at)})
        })
        .collect();
    let blocked: Vec<serde_json::Value> = user_blocks::table
        .filter(user_blocks::blocker_id.eq(me))
        .order(user_blocks::created_at)
        .select((user_blocks::blocked_id, user_blocks::created_at))
        .load::<(i64, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(who, at)| json!({"user_id": who, "since": utc(at)}))
        .collect();
    let markers: Vec<serde_json::Value> = read_markers::table
        .filter(read_markers::user_id.eq(me))
        .order(read_markers::room_id)
        .select((
            read_markers::room_id,
            read_markers::seq,
            read_markers::updated_at,
        ))
        .load::<(i64, i64, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(room, seq, at)| json!({"room_id": room, "read_seq": seq, "at": utc(at)}))
        .collect();
    Ok(json!({
        "messages": sent,
        "rooms": memberships,
        "blocked": blocked,
        "read_markers": markers,
    }))
}

/// Erasure (GDPR art. 17), inside the account's erasure transaction. As for posts, the
/// messages stay in their conversations and show the account's pseudonym (`display_name`):
/// history reads names from `users`, and the stored events, which carry the sender's name as
/// it was, are rewritten with it. Their memberships, blocks (both ways) and read markers go.
pub fn erase_person(conn: &mut DbConn, me: i64, pseudonym: &str) -> AppResult<()> {
    let mine = messages::table
        .filter(messages::sender_id.eq(me))
        .select(messages::id);
    let events: Vec<(i64, i64, String)> = room_events::table
        .filter(room_events::message_id.eq_any(mine))
        .filter(room_events::kind.eq_any(["message", "edit"]))
        .select((room_events::room_id, room_events::seq, room_events::payload))
        .load(conn)?;
    for (room, seq, payload) in events {
        let Ok(mut event) = serde_json::from_str::<ServerMsg>(&payload) else {
            continue;
        };
        match &mut event {
            ServerMsg::Message { message, .. } | ServerMsg::Edit { message, .. }
                if message.sender.id.0 == me =>
            {
                message.sender.display_name = pseudonym.to_owned();
            }
            _ => continue,
        }
        diesel::update(
            room_events::table
                .filter(room_events::room_id.eq(room))
                .filter(room_events::seq.eq(seq)),
        )
        .set(room_events::payload.eq(serde_json::to_string(&event).map_err(AppError::internal)?))
        .execute(conn)?;
    }
    diesel::delete(room_members::table.filter(room_members::user_id.eq(me))).execute(conn)?;
    diesel::delete(
        user_blocks::table.filter(
            user_blocks::blocker_id
                .eq(me)
                .or(user_blocks::blocked_id.eq(me)),
        ),
    )
    .execute(conn)?;
    diesel::delete(read_markers::table.filter(read_markers::user_id.eq(me))).execute(conn)?;
    Ok(())
}
