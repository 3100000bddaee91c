//! HTTP handlers of the chat (next to the socket, `/api/v1/ws`). Thin: events that follow a
//! change are published after its transaction has committed.

use actix_web::{delete, get, post, put, web, HttpRequest, HttpResponse};
use chrono::Utc;
use cortile_shared::auth::UserRef;
use cortile_shared::realtime::{
    AddedMembers, Block, History, NewDirect, NewGroupRoom, NewMembers, NewMute, NewRemoval,
    ReadMark, Room, RoomId, RoomMember, RoomUpdate, ServerMsg,
};
use cortile_shared::{Page, Problem};
use serde::Deserialize;

use crate::auth::Actor;
use crate::error::AppResult;
use crate::http::{parse_id, AppState};
use crate::realtime::Channel;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(crate::realtime::ws::socket)
        .service(list_rooms)
        .service(create_group)
        .service(get_room)
        .service(rename_room)
        .service(list_members)
        .service(add_members)
        .service(leave_room)
        .service(find_people)
        .service(history)
        .service(reads)
        .service(delete_message)
        .service(mute)
        .service(remove)
        .service(open_direct)
        .service(list_blocks)
        .service(block)
        .service(unblock)
        .service(ask_help)
        .service(help_queue)
        .service(take_help);
}

/// My rooms, with unread counts.
#[utoipa::path(tag = "chat", responses((status = 200, body = Vec<Room>)))]
#[get("/chat/rooms")]
pub async fn list_rooms(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let now = Utc::now().naive_utc();
    let rooms = state
        .db
        .run(move |conn| super::list_rooms(conn, &actor, now))
        .await?;
    Ok(HttpResponse::Ok().json(rooms))
}

/// Create a group room (I am its moderator) with people I share a community with. Takes an
/// optional `Idempotency-Key`: a retry with the same key and body answers the first room
/// (`Idempotent-Replayed: true`) and makes nothing.
#[utoipa::path(
    tag = "chat",
    request_body = NewGroupRoom,
    params(("Idempotency-Key" = Option<String>, Header, description = "A key of the client's choosing (e.g. a UUID), the same for every retry")),
    responses(
        (status = 201, body = Room),
        (status = 400, description = "Malformed Idempotency-Key (`idempotency_key_missing`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, or the key was used for another request (`idempotency_key_reused`)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/chat/rooms")]
pub async fn create_group(
    state: web::Data<AppState>,
    actor: Actor,
    req: HttpRequest,
    body: web::Json<NewGroupRoom>,
) -> AppResult<HttpResponse> {
    let new = body.into_inner();
    let key = crate::idempotency::optional_key(&req)?;
    let now = Utc::now().naive_utc();
    let created = state
        .db
        .run(move |conn| super::create_group(conn, &actor, &new, key.as_ref(), now))
        .await?;
    if !created.members.is_empty() {
        if let Ok(room) = serde_json::from_str::<Room>(&created.stored.body) {
            for m in &created.members {
                tell_added(&state, *m, room.id);
            }
        }
    }
    Ok(crate::idempotency::created_response(&created.stored))
}

/// Tells a person's open pages that they are in a new room (their app lists and follows it).
fn tell_added(state: &AppState, user: i64, room: RoomId) {
    state.realtime.publish(
        Channel::User(user),
        ServerMsg::Domain {
            topic: "chat.room_added".into(),
            data: serde_json::json!({ "room": room }),
        },
    );
}

/// Tells a room's open pages that its people (or name) changed.
fn room_changed(
    state: &AppState,
    room: i64,
    name: Option<String>,
    added: Vec<UserRef>,
    gone: Vec<i64>,
    moderators: Vec<i64>,
) {
    state.realtime.publish(
        Channel::Room(room),
        ServerMsg::RoomChanged {
            room: RoomId(room),
            name,
            added,
            gone: gone.into_iter().map(cortile_shared::UserId).collect(),
            moderators: moderators.into_iter().map(cortile_shared::UserId).collect(),
        },
    );
}

/// Rename a group room (its moderators).
#[utoipa::path(
    tag = "chat",
    params(("id" = i64, Path, description = "Room id")),
    request_body = RoomUpdate,
    responses(
        (status = 200, body = Room),
        (status = 403, description = "Not a moderator of this group, or not a group", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such room, or not mine", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid name", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/chat/rooms/{id}")]
pub async fn rename_room(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<RoomUpdate>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let update = body.into_inner();
    let now = Utc::now().naive_utc();
    let room = state
        .db
        .run(move |conn| super::people::rename(conn, &actor, id, &update, now))
        .await?;
    room_changed(
        &state,
        id,
        Some(room.name.clone()),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    );
    Ok(HttpResponse::Ok().json(room))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MembersQuery {
    /// Only people whose name contains this (any case).
    pub q: Option<String>,
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// 1 to 200 (default 50).
    pub limit: Option<String>,
}

/// The people of a room, by name, a page at a time: whether each moderates, is muted, is
/// online. Its readers, and staff.
#[utoipa::path(
    tag = "chat",
    params(("id" = i64, Path, description = "Room id"), MembersQuery),
    responses(
        (status = 200, body = Page<RoomMember>),
        (status = 404, description = "No such room, or not mine", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid cursor, limit or filter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/chat/rooms/{id}/members")]
pub async fn list_members(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: web::Query<MembersQuery>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let q = query.into_inner();
    let params = crate::pagination::ListParams {
        after: q.after,
        limit: q.limit,
    };
    let limit = params.limit()?;
    let after = params.after::<(String, i64)>()?;
    let online: std::collections::HashSet<i64> = state
        .realtime
        .hub()
        .online(id)
        .into_iter()
        .map(|u| u.0)
        .collect();
    let now = Utc::now().naive_utc();
    let page = state
        .db
        .run(move |conn| {
            super::people::members(conn, &actor, id, q.q.as_deref(), after, limit, &online, now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// Add people to a group room (its moderators): people I share a community with. Adding
/// someone already in it changes nothing.
#[utoipa::path(
    tag = "chat",
    params(("id" = i64, Path, description = "Room id")),
    request_body = NewMembers,
    responses(
        (status = 200, body = AddedMembers),
        (status = 403, description = "Not a moderator of this group, or not a group", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such room, or not mine", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No one, unknown people, or people out of my reach", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/chat/rooms/{id}/members")]
pub async fn add_members(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<NewMembers>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let new = body.into_inner();
    let now = Utc::now().naive_utc();
    let added = state
        .db
        .run(move |conn| super::people::add_members(conn, &actor, id, &new, now))
        .await?;
    for u in &added.added {
        // A person removed before and added again: their sockets may follow the room again.
        state.realtime.recheck_user(u.id.0);
        tell_added(&state, u.id.0, RoomId(id));
    }
    if !added.added.is_empty() {
        room_changed(
            &state,
            id,
            None,
            added.added.clone(),
            Vec::new(),
            Vec::new(),
        );
    }
    Ok(HttpResponse::Ok().json(added))
}

/// Leave a group room. The last moderator to leave hands moderation to the member who has
/// been in it longest. My sockets stop receiving the room's events at once.
#[utoipa::path(
    tag = "chat",
    params(("id" = i64, Path, description = "Room id")),
    responses(
        (status = 204, description = "Left"),
        (status = 403, description = "Not a group room (a community's room is left by leaving the community)", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such room, or not mine", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/chat/rooms/{id}/leave")]
pub async fn leave_room(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let me = actor.require()?.principal.id.0;
    let now = Utc::now().naive_utc();
    let left = state
        .db
        .run(move |conn| super::people::leave(conn, &actor, id, now))
        .await?;
    state.realtime.recheck_user(me);
    room_changed(
        &state,
        id,
        None,
        Vec::new(),
        vec![me],
        left.new_moderator.into_iter().collect(),
    );
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PeopleQuery {
    /// At least 2 characters of a name.
    pub q: Option<String>,
    /// 1 to 50 (default 20).
    pub limit: Option<String>,
}

/// People I may add to a group, by name: those I share a community with (anyone, for the
/// roles that serve every resident); never people blocked either way.
#[utoipa::path(
    tag = "chat",
    params(PeopleQuery),
    responses(
        (status = 200, body = Vec<UserRef>),
        (status = 422, description = "Too short a name", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/chat/people")]
pub async fn find_people(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<PeopleQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let limit = match q.limit.as_deref().map(str::trim) {
        None | Some("") => 20,
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if (1..=super::people::MAX_PEOPLE).contains(&n) => n,
            _ => {
                return Err(crate::error::AppError::invalid(
                    "limit",
                    "out_of_range",
                    format!("limit is 1 to {}", super::people::MAX_PEOPLE),
                ))
            }
        },
    };
    let text = q.q.unwrap_or_default();
    let list = state
        .db
        .run(move |conn| super::people::find_people(conn, &actor, &text, limit))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// One room.
#[utoipa::path(
    tag = "chat",
    params(("id" = i64, Path, description = "Room id")),
    responses(
        (status = 200, body = Room),
        (status = 404, description = "No such room, or not mine", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/chat/rooms/{id}")]
pub async fn get_room(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let now = Utc::now().naive_utc();
    let room = state
        .db
        .run(move |conn| super::get(conn, &actor, id, now))
        .await?;
    Ok(HttpResponse::Ok().json(room))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Messages with a `seq` below this one (the `before` of the previous page).
    pub before: Option<String>,
    /// 1 to 200 (default 50).
    pub limit: Option<String>,
}

/// A room's messages, newest first, paginated backwards.
#[utoipa::path(
    tag = "chat",
    params(("id" = i64, Path, description = "Room id"), HistoryQuery),
    responses(
        (status = 200, body = History),
        (status = 404, description = "No such room, or not mine", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/chat/rooms/{id}/messages")]
pub async fn history(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    query: web::Query<HistoryQuery>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let q = query.into_inner();
    let before = match q.before.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(parse_id(raw, "before")?),
    };
    let limit = crate::pagination::ListParams {
        after: None,
        limit: q.limit,
    }
    .limit()?;
    let now = Utc::now().naive_utc();
    let page = state
        .db
        .run(move |conn| super::history(conn, &actor, id, before, limit, now))
        .await?;
    Ok(HttpResponse::Ok().json(page))
}

/// How far the others have read the room ("seen by"), the furthest first.
#[utoipa::path(
    tag = "chat",
    params(("id" = i64, Path, description = "Room id")),
    responses(
        (status = 200, body = Vec<ReadMark>),
        (status = 404, description = "No such room, or not mine", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/chat/rooms/{id}/reads")]
pub async fn reads(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let now = Utc::now().naive_utc();
    let list = state
        .db
        .run(move |conn| super::reads(conn, &actor, id, now))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Delete a message: its sender, or a moderator of the room (it stays shown as deleted).
#[utoipa::path(
    tag = "chat",
    params(("id" = i64, Path, description = "Room id"), ("message_id" = i64, Path, description = "Message id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not mine and not a moderator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such room or message", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/chat/rooms/{id}/messages/{message_id}")]
pub async fn delete_message(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, message) = path.into_inner();
    let id = parse_id(&id, "id")?;
    let message = parse_id(&message, "message_id")?;
    let now = Utc::now().naive_utc();
    let event = state
        .db
        .run(move |conn| super::delete(conn, &actor, id, message, now))
        .await?;
    state.realtime.publish(Channel::Room(id), event);
    Ok(HttpResponse::NoContent().finish())
}

/// Mute someone in a room for some minutes (room moderators, staff).
#[utoipa::path(
    tag = "chat",
    params(("id" = i64, Path, description = "Room id")),
    request_body = NewMute,
    responses(
        (status = 204, description = "Muted"),
        (status = 403, description = "Not a moderator of the room", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such room", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/chat/rooms/{id}/mutes")]
pub async fn mute(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<NewMute>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let m = body.into_inner();
    let user = m.user_id.0;
    let now = Utc::now().naive_utc();
    state
        .db
        .run(move |conn| super::mute(conn, &actor, id, &m, now))
        .await?;
    state.realtime.recheck_user(user);
    room_changed(&state, id, None, Vec::new(), Vec::new(), Vec::new());
    Ok(HttpResponse::NoContent().finish())
}

/// Remove someone from a room (room moderators, staff): their sockets leave it within a second.
#[utoipa::path(
    tag = "chat",
    params(("id" = i64, Path, description = "Room id")),
    request_body = NewRemoval,
    responses(
        (status = 204, description = "Removed"),
        (status = 403, description = "Not a moderator of the room", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such room", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/chat/rooms/{id}/removals")]
pub async fn remove(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<NewRemoval>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let r = body.into_inner();
    let user = r.user_id.0;
    let now = Utc::now().naive_utc();
    state
        .db
        .run(move |conn| super::remove(conn, &actor, id, &r, now))
        .await?;
    state.realtime.recheck_user(user);
    room_changed(&state, id, None, Vec::new(), vec![user], Vec::new());
    Ok(HttpResponse::NoContent().finish())
}

/// Open (or find) my direct room with someone; 403 `blocked` when either blocks the other.
#[utoipa::path(
    tag = "chat",
    request_body = NewDirect,
    responses(
        (status = 200, body = Room),
        (status = 403, description = "Blocked", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such person, or myself", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/chat/direct")]
pub async fn open_direct(
    state: web::Data<AppState>,
    actor: Actor,
    body: web::Json<NewDirect>,
) -> AppResult<HttpResponse> {
    let other = body.into_inner().user_id.0;
    let now = Utc::now().naive_utc();
    let room = state
        .db
        .run(move |conn| super::open_direct(conn, &actor, other, now))
        .await?;
    Ok(HttpResponse::Ok().json(room))
}

/// The people I block.
#[utoipa::path(tag = "chat", responses((status = 200, body = Vec<Block>)))]
#[get("/chat/blocks")]
pub async fn list_blocks(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let list = state
        .db
        .run(move |conn| super::blocks(conn, &actor))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Block someone: they can no longer send me direct messages (nor I them).
#[utoipa::path(
    tag = "chat",
    params(("user_id" = i64, Path, description = "The person to block")),
    responses(
        (status = 204, description = "Blocked"),
        (status = 404, description = "No such person", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Myself", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/chat/blocks/{user_id}")]
pub async fn block(
    state: web::Data<AppState>,
    actor: Actor,
    user: web::Path<String>,
) -> AppResult<HttpResponse> {
    let user = parse_id(&user, "user_id")?;
    let now = Utc::now().naive_utc();
    state
        .db
        .run(move |conn| super::block(conn, &actor, user, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Unblock someone.
#[utoipa::path(
    tag = "chat",
    params(("user_id" = i64, Path, description = "The person to unblock")),
    responses(
        (status = 204, description = "Unblocked"),
        (status = 404, description = "Not blocked", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/chat/blocks/{user_id}")]
pub async fn unblock(
    state: web::Data<AppState>,
    actor: Actor,
    user: web::Path<String>,
) -> AppResult<HttpResponse> {
    let user = parse_id(&user, "user_id")?;
    state
        .db
        .run(move |conn| super::unblock(conn, &actor, user))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// "Talk to a person": my help room, now waiting for an operator on duty.
#[utoipa::path(tag = "chat", responses((status = 200, body = Room)))]
#[post("/chat/help")]
pub async fn ask_help(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let now = Utc::now().naive_utc();
    let room = state
        .db
        .run(move |conn| super::ask_help(conn, &actor, now))
        .await?;
    if room.waiting {
        state.realtime.publish(
            Channel::Help,
            cortile_shared::realtime::ServerMsg::Domain {
                topic: "help.waiting".into(),
                data: serde_json::json!({"room": room.id, "name": room.name}),
            },
        );
    }
    Ok(HttpResponse::Ok().json(room))
}

/// Help rooms waiting for an operator, and those I took (operators and staff).
#[utoipa::path(
    tag = "chat",
    responses(
        (status = 200, body = Vec<Room>),
        (status = 403, description = "Not an operator", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/chat/help")]
pub async fn help_queue(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let now = Utc::now().naive_utc();
    let list = state
        .db
        .run(move |conn| super::help_queue(conn, &actor, now))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Take a waiting help room (operators and staff); 409 when another operator has it.
#[utoipa::path(
    tag = "chat",
    params(("id" = i64, Path, description = "Room id")),
    responses(
        (status = 200, body = Room),
        (status = 403, description = "Not an operator", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such help room", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Taken by another operator", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/chat/help/{id}/take")]
pub async fn take_help(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let now = Utc::now().naive_utc();
    let room = state
        .db
        .run(move |conn| super::take_help(conn, &actor, id, now))
        .await?;
    state.realtime.publish(
        Channel::Help,
        cortile_shared::realtime::ServerMsg::Domain {
            topic: "help.taken".into(),
            data: serde_json::json!({"room": RoomId(id), "assignee": room.assignee}),
        },
    );
    Ok(HttpResponse::Ok().json(room))
}
