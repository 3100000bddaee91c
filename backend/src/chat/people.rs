//! The people of chat rooms: a room's member list (by name, keyset-paginated, filtered by
//! name), finding people to add to a group (`policy::people_reach`: the people one shares a
//! community with), adding them, renaming a group, and leaving one.
//!
//! - A room's people are one `users` query, whatever the kind: `room_members` rows for
//!   groups, direct and help rooms; for a community's room, the accounts living in its estate
//!   or building (the registry) and its active member rows, less those banned from the
//!   community or removed from the room. One query, so the order (`display_name`, `id`) and
//!   the keyset cursor are the database's own on both backends.
//! - Leaving: a member's row goes. When the last moderator leaves a group that still has
//!   people, moderation passes to the member who has been there longest (so a group never
//!   stays without a moderator while people are in it).

use std::collections::HashSet;

use chrono::NaiveDateTime;
use cortile_shared::auth::UserRef;
use cortile_shared::realtime::{
    AddedMembers, NewMembers, Room, RoomKind, RoomMember, RoomUpdate, MIN_PEOPLE_QUERY,
};
use cortile_shared::{FieldError, Page, UserId};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Bool;

use super::{get, get_row, hidden, me, names, user_ref, RoomRow, MAX_GROUP_MEMBERS};
use crate::auth::policy::{authorize, people_reach, serving_roles, Action, PeopleReach};
use crate::auth::Actor;
use crate::db::schema::{
    buildings, communities, community_bans, community_members, household_members, households,
    persons, role_grants, room_members, room_sanctions, rooms, units, user_blocks, users,
};
use crate::db::{write_tx, DbConn, MultiBackend};
use crate::error::{AppError, AppResult};

/// A condition on `users`, built at run time.
type Cond = Box<dyn BoxableExpression<users::table, MultiBackend, SqlType = Bool>>;

/// Longest name filter.
pub const MAX_QUERY_LEN: usize = 100;
/// Most people a search for people to add returns.
pub const MAX_PEOPLE: i64 = 50;

/// Accounts living now in these estates or buildings (the registry's people).
fn living_in(estates: Vec<i64>, buildings_: Vec<i64>) -> Cond {
    let codes = persons::table
        .inner_join(household_members::table.on(household_members::person_id.eq(persons::id)))
        .inner_join(households::table.on(households::id.eq(household_members::household_id)))
        .inner_join(units::table.on(units::id.eq(households::unit_id)))
        .inner_join(buildings::table.on(buildings::id.eq(units::building_id)))
        .filter(household_members::ended_at.is_null())
        .filter(households::contract_status.eq("active"))
        .filter(
            buildings::estate_id
                .eq_any(estates)
                .or(buildings::id.eq_any(buildings_)),
        )
        .select(persons::fiscal_code);
    Box::new(users::fiscal_code.assume_not_null().eq_any(codes))
}

/// Active members (rows) of these communities.
fn members_of(communities_: Vec<i64>) -> Cond {
    Box::new(
        users::id.eq_any(
            community_members::table
                .filter(community_members::community_id.eq_any(communities_))
                .filter(community_members::status.eq("active"))
                .select(community_members::user_id),
        ),
    )
}

/// People whose roles serve these estates or buildings (or every place).
fn serving(estates: Vec<i64>, buildings_: Vec<i64>) -> Cond {
    let in_estates = buildings::table
        .filter(buildings::estate_id.eq_any(estates.clone()))
        .select(buildings::id.nullable());
    let holders = role_grants::table
        .filter(role_grants::revoked_at.is_null())
        .filter(role_grants::role.eq_any(serving_roles()))
        .filter(
            role_grants::scope_kind
                .eq("global")
                .or(role_grants::scope_kind
                    .eq("estate")
                    .and(role_grants::scope_id.eq_any(estates)))
                .or(role_grants::scope_kind.eq("building").and(
                    role_grants::scope_id
                        .eq_any(buildings_)
                        .or(role_grants::scope_id.eq_any(in_estates)),
                )),
        )
        .select(role_grants::user_id);
    Box::new(users::id.eq_any(holders))
}

fn or(a: Cond, b: Cond) -> Cond {
    Box::new(a.or(b))
}

/// Who is in a room, as a condition on `users`.
fn people_of_room(conn: &mut DbConn, row: &RoomRow) -> AppResult<Cond> {
    let removed = room_sanctions::table
        .filter(room_sanctions::room_id.eq(row.id))
        .filter(room_sanctions::kind.eq("remove"))
        .filter(room_sanctions::lifted_at.is_null())
        .select(room_sanctions::user_id);
    match (row.kind(), row.community_id) {
        (RoomKind::Community, Some(cid)) => {
            let (estate, building): (Option<i64>, Option<i64>) = communities::table
                .find(cid)
                .select((communities::estate_id, communities::building_id))
                .first(conn)?;
            let mut cond = members_of(vec![cid]);
            if let Some(b) = building {
                cond = or(cond, living_in(Vec::new(), vec![b]));
            } else if let Some(e) = estate {
                cond = or(cond, living_in(vec![e], Vec::new()));
            }
            let banned = community_bans::table
                .filter(community_bans::community_id.eq(cid))
                .filter(community_bans::lifted_at.is_null())
                .select(community_bans::user_id);
            Ok(Box::new(
                cond.and(users::id.ne_all(banned))
                    .and(users::id.ne_all(removed)),
            ))
        }
        _ => Ok(Box::new(
            users::id.eq_any(
                room_members::table
                    .filter(room_members::room_id.eq(row.id))
                    .select(room_members::user_id),
            ),
        )),
    }
}

/// Whom the actor may find and add, as a condition on `users` (`None`: anyone).
fn reach_of(conn: &mut DbConn, actor: &Actor) -> AppResult<Option<Cond>> {
    let me_id = me(actor)?;
    match people_reach(actor)? {
        PeopleReach::Anyone => Ok(None),
        PeopleReach::Places { estates, buildings } => {
            let mine: Vec<i64> = community_members::table
                .filter(community_members::user_id.eq(me_id))
                .filter(community_members::status.eq("active"))
                .select(community_members::community_id)
                .load(conn)?;
            let cond = or(
                or(
                    living_in(estates.clone(), buildings.clone()),
                    serving(estates, buildings),
                ),
                members_of(mine),
            );
            Ok(Some(cond))
        }
    }
}

/// Active accounts.
fn active<'a>() -> users::BoxedQuery<'a, MultiBackend> {
    users::table
        .filter(users::disabled.eq(false))
        .filter(users::erased_at.is_null())
        .into_boxed()
}

fn name_filter(q: Option<&str>) -> AppResult<Option<Cond>> {
    let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) else {
        return Ok(None);
    };
    if q.chars().count() > MAX_QUERY_LEN {
        return Err(AppError::invalid(
            "q",
            "too_long",
            format!("search with at most {MAX_QUERY_LEN} characters"),
        ));
    }
    let pattern = crate::tenancy::like_pattern(q);
    Ok(Some(Box::new(
        sql::<Bool>("LOWER(users.display_name) LIKE ").bind::<diesel::sql_types::Text, _>(pattern),
    )))
}

/// A room's people by name (`display_name`, then id), `limit` after the cursor, with names
/// containing `q`; whether each moderates, is muted, and is online (`online`: the people
/// this process sees in the room).
#[allow(clippy::too_many_arguments)]
pub fn members(
    conn: &mut DbConn,
    actor: &Actor,
    room: i64,
    q: Option<&str>,
    after: Option<(String, i64)>,
    limit: i64,
    online: &HashSet<i64>,
    now: NaiveDateTime,
) -> AppResult<Page<RoomMember>> {
    let row = get_row(conn, room)?.ok_or_else(|| hidden(room))?;
    let c = super::ctx_of(conn, actor, &row, now)?;
    authorize(actor, &Action::ListRoomMembers(c))?;
    let name = name_filter(q)?;
    let mut query = active().filter(people_of_room(conn, &row)?);
    if let Some(n) = name {
        query = query.filter(n);
    }
    if let Some((a, id)) = after {
        query = query.filter(
            users::display_name
                .gt(a.clone())
                .or(users::display_name.eq(a).and(users::id.gt(id))),
        );
    }
    let mut found: Vec<(i64, String)> = query
        .order((users::display_name.asc(), users::id.asc()))
        .limit(limit + 1)
        .select((users::id, users::display_name))
        .load(conn)?;
    let more = found.len() as i64 > limit;
    found.truncate(limit as usize);
    let ids: Vec<i64> = found.iter().map(|f| f.0).collect();
    let moderators: HashSet<i64> = match (row.kind(), row.community_id) {
        (RoomKind::Community, Some(cid)) => community_members::table
            .filter(community_members::community_id.eq(cid))
            .filter(community_members::user_id.eq_any(&ids))
            .filter(community_members::moderator.eq(true))
            .filter(community_members::status.eq("active"))
            .select(community_members::user_id)
            .load::<i64>(conn)?,
        _ => room_members::table
            .filter(room_members::room_id.eq(row.id))
            .filter(room_members::user_id.eq_any(&ids))
            .filter(room_members::moderator.eq(true))
            .select(room_members::user_id)
            .load::<i64>(conn)?,
    }
    .into_iter()
    .collect();
    let muted: HashSet<i64> = room_sanctions::table
        .filter(room_sanctions::room_id.eq(row.id))
        .filter(room_sanctions::user_id.eq_any(&ids))
        .filter(room_sanctions::kind.eq("mute"))
        .filter(room_sanctions::lifted_at.is_null())
        .filter(
            room_sanctions::until
                .is_null()
                .or(room_sanctions::until.gt(now)),
        )
        .select(room_sanctions::user_id)
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    let next = if more {
        found
            .last()
            .map(|(id, n)| crate::pagination::encode_cursor(&(n, id)))
    } else {
        None
    };
    Ok(Page {
        items: found
            .into_iter()
            .map(|(id, display_name)| RoomMember {
                moderator: moderators.contains(&id),
                muted: muted.contains(&id),
                online: online.contains(&id),
                user: UserRef {
                    id: UserId(id),
                    display_name,
                },
            })
            .collect(),
        next,
    })
}

/// People the actor may add to a group, by name (at least [`MIN_PEOPLE_QUERY`] characters),
/// never themselves nor anyone blocked either way; at most `limit`.
pub fn find_people(
    conn: &mut DbConn,
    actor: &Actor,
    q: &str,
    limit: i64,
) -> AppResult<Vec<UserRef>> {
    authorize(actor, &Action::StartChat)?;
    let me_id = me(actor)?;
    if q.trim().chars().count() < MIN_PEOPLE_QUERY {
        return Err(AppError::invalid(
            "q",
            "too_short",
            format!("type at least {MIN_PEOPLE_QUERY} characters of a name"),
        ));
    }
    let name = name_filter(Some(q))?;
    let mut query = active()
        .filter(users::id.ne(me_id))
        .filter(
            users::id.ne_all(
                user_blocks::table
                    .filter(user_blocks::blocker_id.eq(me_id))
                    .select(user_blocks::blocked_id),
            ),
        )
        .filter(
            users::id.ne_all(
                user_blocks::table
                    .filter(user_blocks::blocked_id.eq(me_id))
                    .select(user_blocks::blocker_id),
            ),
        );
    if let Some(n) = name {
        query = query.filter(n);
    }
    if let Some(reach) = reach_of(conn, actor)? {
        query = query.filter(reach);
    }
    Ok(query
        .order((users::display_name.asc(), users::id.asc()))
        .limit(limit.clamp(1, MAX_PEOPLE))
        .select((users::id, users::display_name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .map(|(id, display_name)| UserRef {
            id: UserId(id),
            display_name,
        })
        .collect())
}

/// Of these people, those the actor may add (active, within their reach).
/// Of `ids`, the active people the actor may find (and add to a group, or an organisation).
pub(crate) fn reachable(conn: &mut DbConn, actor: &Actor, ids: &[i64]) -> AppResult<HashSet<i64>> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    let mut query = active().filter(users::id.eq_any(ids.to_vec()));
    if let Some(reach) = reach_of(conn, actor)? {
        query = query.filter(reach);
    }
    Ok(query
        .select(users::id)
        .load::<i64>(conn)?
        .into_iter()
        .collect())
}

/// Checks the people a group is made with or given: each exists and is within the actor's
/// reach. Returns them sorted, without duplicates and without the actor.
pub(super) fn check_people(
    conn: &mut DbConn,
    actor: &Actor,
    people: &[UserId],
    errors: &mut Vec<FieldError>,
) -> AppResult<Vec<i64>> {
    let me_id = me(actor)?;
    let mut ids: Vec<i64> = people.iter().map(|u| u.0).filter(|u| *u != me_id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() > MAX_GROUP_MEMBERS {
        errors.push(FieldError::new(
            "members",
            "too_many",
            format!("a group has at most {MAX_GROUP_MEMBERS} people"),
        ));
        return Ok(ids);
    }
    let existing: HashSet<i64> = active()
        .filter(users::id.eq_any(ids.clone()))
        .select(users::id)
        .load::<i64>(conn)?
        .into_iter()
        .collect();
    if existing.len() != ids.len() {
        errors.push(FieldError::new(
            "members",
            "not_found",
            "some of these people do not exist",
        ));
        return Ok(ids);
    }
    let ok = reachable(conn, actor, &ids)?;
    if ok.len() != ids.len() {
        errors.push(FieldError::new(
            "members",
            "out_of_reach",
            "you may add only people you share a community with",
        ));
    }
    Ok(ids)
}

/// Of these people, those who block the actor or whom the actor blocks (not added).
pub(super) fn blocking(conn: &mut DbConn, me_id: i64, ids: &[i64]) -> AppResult<HashSet<i64>> {
    Ok(user_blocks::table
        .filter(
            user_blocks::blocker_id
                .eq_any(ids.to_vec())
                .and(user_blocks::blocked_id.eq(me_id))
                .or(user_blocks::blocker_id
                    .eq(me_id)
                    .and(user_blocks::blocked_id.eq_any(ids.to_vec()))),
        )
        .select((user_blocks::blocker_id, user_blocks::blocked_id))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .map(|(a, b)| if a == me_id { b } else { a })
        .collect())
}

/// A group's name: spaces collapsed, 1 to [`super::MAX_ROOM_NAME_LEN`] characters.
pub(super) fn check_name(raw: &str, errors: &mut Vec<FieldError>) -> String {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = name.chars().count();
    if n == 0 {
        errors.push(FieldError::new("name", "required", "name the group"));
    } else if n > super::MAX_ROOM_NAME_LEN {
        errors.push(FieldError::new(
            "name",
            "too_long",
            format!("a name has at most {} characters", super::MAX_ROOM_NAME_LEN),
        ));
    }
    name
}

fn load_group(
    conn: &mut DbConn,
    actor: &Actor,
    room: i64,
    now: NaiveDateTime,
) -> AppResult<RoomRow> {
    let row = get_row(conn, room)?.ok_or_else(|| hidden(room))?;
    let c = super::ctx_of(conn, actor, &row, now)?;
    authorize(actor, &Action::ManageGroup(c))?;
    Ok(row)
}

/// A group's moderator renames it.
pub fn rename(
    conn: &mut DbConn,
    actor: &Actor,
    room: i64,
    update: &RoomUpdate,
    now: NaiveDateTime,
) -> AppResult<Room> {
    let row = load_group(conn, actor, room, now)?;
    let mut errors = Vec::new();
    let name = check_name(&update.name, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    write_tx(conn, |conn| {
        diesel::update(rooms::table.find(row.id))
            .set(rooms::name.eq(&name))
            .execute(conn)?;
        crate::audit::record(
            conn,
            actor,
            "chat.rename",
            Some(crate::audit::Object {
                kind: "room",
                id: row.id,
            }),
            None,
            serde_json::json!({"name": name}),
            now,
        )?;
        Ok::<_, AppError>(())
    })?;
    get(conn, actor, room, now)
}

/// A group's moderator adds people (within their reach; people who block them, or whom they
/// block, are left out; people already in it stay as they are). A person a moderator had
/// removed may be added again: the removal is lifted.
pub fn add_members(
    conn: &mut DbConn,
    actor: &Actor,
    room: i64,
    new: &NewMembers,
    now: NaiveDateTime,
) -> AppResult<AddedMembers> {
    let row = load_group(conn, actor, room, now)?;
    let me_id = me(actor)?;
    let mut errors = Vec::new();
    if new.members.is_empty() {
        errors.push(FieldError::new("members", "required", "choose someone"));
        return Err(AppError::validation(errors));
    }
    let ids = check_people(conn, actor, &new.members, &mut errors)?;
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let blocked = blocking(conn, me_id, &ids)?;
    let candidates: Vec<i64> = ids.into_iter().filter(|i| !blocked.contains(i)).collect();
    let added = write_tx(conn, |conn| -> AppResult<Vec<i64>> {
        let present: HashSet<i64> = room_members::table
            .filter(room_members::room_id.eq(row.id))
            .select(room_members::user_id)
            .load::<i64>(conn)?
            .into_iter()
            .collect();
        let added: Vec<i64> = candidates
            .iter()
            .copied()
            .filter(|i| !present.contains(i))
            .collect();
        if present.len() + added.len() > MAX_GROUP_MEMBERS + 1 {
            return Err(AppError::invalid(
                "members",
                "too_many",
                format!("a group has at most {MAX_GROUP_MEMBERS} people"),
            ));
        }
        for m in &added {
            super::add_member(conn, row.id, *m, false, now)?;
        }
        if !added.is_empty() {
            diesel::update(
                room_sanctions::table
                    .filter(room_sanctions::room_id.eq(row.id))
                    .filter(room_sanctions::user_id.eq_any(&added))
                    .filter(room_sanctions::kind.eq("remove"))
                    .filter(room_sanctions::lifted_at.is_null()),
            )
            .set(room_sanctions::lifted_at.eq(now))
            .execute(conn)?;
            crate::audit::record(
                conn,
                actor,
                "chat.add_members",
                Some(crate::audit::Object {
                    kind: "room",
                    id: row.id,
                }),
                None,
                serde_json::json!({"users": added}),
                now,
            )?;
        }
        Ok(added)
    })?;
    let n = names(conn, &added)?;
    let mut added: Vec<UserRef> = added.iter().map(|i| user_ref(*i, &n)).collect();
    added.sort_by(|a, b| (&a.display_name, a.id).cmp(&(&b.display_name, b.id)));
    Ok(AddedMembers { added })
}

/// What leaving changed: who moderates now (when moderation was handed on).
pub struct Left {
    pub new_moderator: Option<i64>,
}

/// A member leaves a group. The last moderator to leave hands moderation to the member who
/// has been there longest.
pub fn leave(conn: &mut DbConn, actor: &Actor, room: i64, now: NaiveDateTime) -> AppResult<Left> {
    let row = get_row(conn, room)?.ok_or_else(|| hidden(room))?;
    let c = super::ctx_of(conn, actor, &row, now)?;
    authorize(actor, &Action::LeaveRoom(c))?;
    let me_id = me(actor)?;
    let new_moderator = write_tx(conn, |conn| -> AppResult<Option<i64>> {
        diesel::delete(
            room_members::table
                .filter(room_members::room_id.eq(row.id))
                .filter(room_members::user_id.eq(me_id)),
        )
        .execute(conn)?;
        let moderators: i64 = room_members::table
            .filter(room_members::room_id.eq(row.id))
            .filter(room_members::moderator.eq(true))
            .count()
            .get_result(conn)?;
        if moderators > 0 {
            return Ok(None);
        }
        let eldest: Option<i64> = room_members::table
            .filter(room_members::room_id.eq(row.id))
            .order((room_members::created_at.asc(), room_members::id.asc()))
            .select(room_members::user_id)
            .first(conn)
            .optional()?;
        if let Some(u) = eldest {
            diesel::update(
                room_members::table
                    .filter(room_members::room_id.eq(row.id))
                    .filter(room_members::user_id.eq(u)),
            )
            .set(room_members::moderator.eq(true))
            .execute(conn)?;
        }
        Ok(eldest)
    })?;
    Ok(Left { new_moderator })
}
