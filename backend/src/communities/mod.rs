//! Communities: the estate's and building's (members by the registry), communities of interest
//! (open, by approval, by invitation), posts with markdown rendered and sanitised at write time,
//! an edit history, comments one level deep, reactions, and the personal feed.
//!
//! Who may do what is decided by [`crate::auth::policy`] (`community_abilities`, `authorize`).

pub mod markdown;
pub mod moderation;
pub mod routes;
mod store;
pub mod targeting;

use std::collections::HashMap;

use chrono::NaiveDateTime;
use cortile_shared::auth::{Role, Scope, UserRef};
use cortile_shared::community::{
    Comment, CommunityKind, CommunityRef, CommunitySummary, EditPost, JoinPolicy, Member,
    MemberStatus, NewComment, NewCommunity, NewPost, NotificationKind, Post, PostRevision,
    PostThread, ReactionCount, ReactionKind, MAX_BODY_LEN, MAX_COMMENT_LEN, MAX_NAME_LEN,
    MAX_TITLE_LEN,
};
use cortile_shared::upload::ImageRef;
use cortile_shared::{
    BuildingId, CommentId, CommunityId, ErrorCode, EstateId, FieldError, Page, PostId, UserId,
};
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Object};
use crate::auth::account::utc;
use crate::auth::policy::{
    authorize, community_abilities, community_visible, Action, CommunityCtx,
};
use crate::auth::Actor;
use crate::db::schema::{
    comments, communities, community_members, post_recipients, post_revisions, posts, reactions,
};
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::uploads::Attachment;

pub use store::sync_vertical;
use store::{CommunityRow, MemberRow};

pub(crate) fn kind_of(row: &CommunityRow) -> CommunityKind {
    CommunityKind::parse(&row.kind).unwrap_or(CommunityKind::Interest)
}

fn policy_of(row: &CommunityRow) -> JoinPolicy {
    JoinPolicy::parse(&row.join_policy).unwrap_or(JoinPolicy::Invite)
}

pub(crate) fn ctx(row: &CommunityRow, member: Option<&MemberRow>, banned: bool) -> CommunityCtx {
    CommunityCtx {
        banned,
        kind: kind_of(row),
        estate_id: row.estate_id,
        building_id: row.building_id,
        policy: policy_of(row),
        status: member.and_then(|m| MemberStatus::parse(&m.status)),
        moderator: member.is_some_and(|m| m.moderator && m.status == "active"),
    }
}

fn principal_id(actor: &Actor) -> AppResult<i64> {
    Ok(actor.require()?.principal.id.0)
}

/// A community and the reader's context in it; 404 when it does not exist or is hidden.
pub(crate) fn load(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
) -> AppResult<(CommunityRow, CommunityCtx)> {
    let me = principal_id(actor)?;
    let hidden = || AppError::not_found(format!("community {id} does not exist"));
    let row = store::get(conn, id)?.ok_or_else(hidden)?;
    let member = store::membership(conn, id, me)?;
    let banned = store::bans_of(conn, me)?.contains(&id);
    let c = ctx(&row, member.as_ref(), banned);
    if !community_visible(actor, &c) {
        return Err(hidden());
    }
    Ok((row, c))
}

fn summary(
    conn: &mut DbConn,
    actor: &Actor,
    row: CommunityRow,
    c: &CommunityCtx,
) -> AppResult<CommunitySummary> {
    let kind = kind_of(&row);
    let members = match kind {
        CommunityKind::Interest => row.members_count,
        // Vertical communities: accounts of the people living there.
        _ => store::residents(conn, row.estate_id, row.building_id, 100_000)?.len() as i64,
    };
    Ok(CommunitySummary {
        id: CommunityId(row.id),
        kind,
        join_policy: policy_of(&row),
        name: row.name,
        description: row.description,
        estate_id: row.estate_id.map(EstateId),
        building_id: row.building_id.map(BuildingId),
        members,
        posts: row.posts_count,
        my_status: match kind {
            CommunityKind::Interest => c.status,
            _ => community_abilities(actor, c)
                .post
                .then_some(MemberStatus::Active),
        },
        abilities: community_abilities(actor, c),
    })
}

/// The communities whose posts make the reader's feed: their estate's and building's (by the
/// registry), those of the places their roles serve, and the communities of interest they are
/// active members of.
fn my_community_rows(
    conn: &mut DbConn,
    actor: &Actor,
) -> AppResult<Vec<(CommunityRow, CommunityCtx)>> {
    let signed = actor.require()?;
    let p = &signed.principal;
    let mut estates_ = Vec::new();
    let mut buildings_ = Vec::new();
    if let Some(r) = &p.residence {
        estates_.push(r.home.estate_id.0);
        buildings_.push(r.home.building_id.0);
    }
    for g in &p.grants {
        match g.scope {
            Scope::Estate(e) if g.role != Role::Resident => estates_.push(e.0),
            Scope::Building(b) if g.role != Role::Resident => buildings_.push(b.0),
            _ => {}
        }
    }
    let mine = store::memberships(conn, p.id.0)?;
    let bans = store::bans_of(conn, p.id.0)?;
    let mut rows = store::vertical_and_joined(conn, &estates_, &buildings_, p.id.0)?;
    rows.sort_by(|a, b| {
        (a.kind != "estate", a.kind != "building", &a.name).cmp(&(
            b.kind != "estate",
            b.kind != "building",
            &b.name,
        ))
    });
    rows.dedup_by_key(|r| r.id);
    Ok(rows
        .into_iter()
        .map(|r| {
            let c = ctx(&r, mine.get(&r.id), bans.contains(&r.id));
            (r, c)
        })
        .filter(|(_, c)| community_abilities(actor, c).read)
        .collect())
}

/// Which list: mine, or communities of interest to discover.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Mine,
    Discover,
}

pub fn list(conn: &mut DbConn, actor: &Actor, view: View) -> AppResult<Vec<CommunitySummary>> {
    let me = principal_id(actor)?;
    let rows = match view {
        View::Mine => my_community_rows(conn, actor)?,
        View::Discover => {
            let mine = store::memberships(conn, me)?;
            let bans = store::bans_of(conn, me)?;
            store::interest(conn)?
                .into_iter()
                .map(|r| {
                    let c = ctx(&r, mine.get(&r.id), bans.contains(&r.id));
                    (r, c)
                })
                .filter(|(_, c)| {
                    c.status != Some(MemberStatus::Active) && community_visible(actor, c)
                })
                .collect()
        }
    };
    rows.into_iter()
        .map(|(r, c)| summary(conn, actor, r, &c))
        .collect()
}

pub fn get(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<CommunitySummary> {
    let (row, c) = load(conn, actor, id)?;
    summary(conn, actor, row, &c)
}

fn check_len(field: &str, value: &str, min: usize, max: usize, errors: &mut Vec<FieldError>) {
    let n = value.trim().chars().count();
    if n < min {
        errors.push(FieldError::new(
            field,
            "required",
            if min <= 1 {
                format!("{field} is required")
            } else {
                format!("{field} must have at least {min} characters")
            },
        ));
    } else if n > max {
        errors.push(FieldError::new(
            field,
            "too_long",
            format!("{field} must have at most {max} characters"),
        ));
    }
}

/// Creates a community of interest; its creator is its first moderator.
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    new: &NewCommunity,
    now: NaiveDateTime,
) -> AppResult<CommunitySummary> {
    authorize(actor, &Action::CreateCommunity)?;
    let me = principal_id(actor)?;
    let mut errors = Vec::new();
    check_len("name", &new.name, 3, MAX_NAME_LEN, &mut errors);
    check_len("description", &new.description, 0, 2_000, &mut errors);
    if new.join_policy == JoinPolicy::Registry {
        errors.push(FieldError::new(
            "join_policy",
            "invalid_value",
            "a community of interest is open, by approval or by invitation",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let name = new.name.split_whitespace().collect::<Vec<_>>().join(" ");
    let key = format!("interest:{}", name.to_lowercase());
    let id = write_tx(conn, |conn| -> AppResult<i64> {
        let taken: i64 = communities::table
            .filter(communities::name_key.eq(&key))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            return Err(AppError::new(ErrorCode::Conflict)
                .with_detail("a community with this name already exists"));
        }
        let id = crate::insert_returning_id!(
            conn,
            communities::table,
            communities::id,
            (
                communities::kind.eq("interest"),
                communities::name.eq(&name),
                communities::name_key.eq(&key),
                communities::description.eq(new.description.trim()),
                communities::join_policy.eq(new.join_policy.as_str()),
                communities::created_by.eq(me),
                communities::members_count.eq(1_i64),
                communities::created_at.eq(now),
                communities::updated_at.eq(now),
            )
        )?;
        diesel::insert_into(community_members::table)
            .values((
                community_members::community_id.eq(id),
                community_members::user_id.eq(me),
                community_members::status.eq("active"),
                community_members::moderator.eq(true),
                community_members::created_at.eq(now),
                community_members::updated_at.eq(now),
            ))
            .execute(conn)?;
        audited(conn, actor, "community.create", "community", id, now)?;
        Ok(id)
    })?;
    get(conn, actor, id)
}

/// Posts and comments a person may write in [`RATE_WINDOW`].
const MAX_POSTS_PER_WINDOW: i64 = 10;
const MAX_COMMENTS_PER_WINDOW: i64 = 30;
const RATE_WINDOW: chrono::Duration = chrono::Duration::minutes(10);

/// Refuses a post or comment beyond the rate limit (429 with Retry-After).
fn rate_limit(conn: &mut DbConn, what: &str, me: i64, now: NaiveDateTime) -> AppResult<()> {
    let since = now - RATE_WINDOW;
    let (max, times): (i64, Vec<NaiveDateTime>) = if what == "post" {
        (
            MAX_POSTS_PER_WINDOW,
            posts::table
                .filter(posts::author_id.eq(me))
                .filter(posts::created_at.gt(since))
                .order(posts::created_at.desc())
                .limit(MAX_POSTS_PER_WINDOW)
                .select(posts::created_at)
                .load(conn)?,
        )
    } else {
        (
            MAX_COMMENTS_PER_WINDOW,
            comments::table
                .filter(comments::author_id.eq(me))
                .filter(comments::created_at.gt(since))
                .order(comments::created_at.desc())
                .limit(MAX_COMMENTS_PER_WINDOW)
                .select(comments::created_at)
                .load(conn)?,
        )
    };
    match times.last() {
        Some(oldest) if times.len() as i64 >= max => {
            let wait = (*oldest + RATE_WINDOW - now).num_seconds().max(1);
            Err(AppError::rate_limited(u64::try_from(wait).unwrap_or(60)))
        }
        _ => Ok(()),
    }
}

/// An act done for a resident by an operator (assisted mode) goes to the audit log.
fn audited(
    conn: &mut DbConn,
    actor: &Actor,
    action: &str,
    kind: &str,
    id: i64,
    now: NaiveDateTime,
) -> AppResult<()> {
    audit::record_if_assisted(conn, actor, action, Object { kind, id }, json!({}), now)
}

/// Joins a community of interest: at once when open (or invited), as a request when by approval.
pub fn join(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> AppResult<CommunitySummary> {
    let (row, c) = load(conn, actor, id)?;
    let me = principal_id(actor)?;
    if !community_abilities(actor, &c).join {
        return Err(
            AppError::new(ErrorCode::Forbidden).with_detail(match c.kind {
                CommunityKind::Interest => "you cannot join this community",
                _ => "the registry decides who belongs to this community",
            }),
        );
    }
    let status = if c.policy == JoinPolicy::Open || c.status == Some(MemberStatus::Invited) {
        "active"
    } else {
        "pending"
    };
    write_tx(conn, |conn| -> AppResult<()> {
        if c.status.is_some() {
            diesel::update(
                community_members::table
                    .filter(community_members::community_id.eq(row.id))
                    .filter(community_members::user_id.eq(me)),
            )
            .set((
                community_members::status.eq(status),
                community_members::updated_at.eq(now),
            ))
            .execute(conn)?;
        } else {
            diesel::insert_into(community_members::table)
                .values((
                    community_members::community_id.eq(row.id),
                    community_members::user_id.eq(me),
                    community_members::status.eq(status),
                    community_members::created_at.eq(now),
                    community_members::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        if status == "active" {
            refresh_members_count(conn, row.id)?;
        }
        audited(conn, actor, "community.join", "community", row.id, now)
    })?;
    get(conn, actor, id)
}

fn refresh_members_count(conn: &mut DbConn, id: i64) -> AppResult<()> {
    let n: i64 = community_members::table
        .filter(community_members::community_id.eq(id))
        .filter(community_members::status.eq("active"))
        .count()
        .get_result(conn)?;
    diesel::update(communities::table.find(id))
        .set(communities::members_count.eq(n))
        .execute(conn)?;
    Ok(())
}

pub fn leave(conn: &mut DbConn, actor: &Actor, id: i64, now: NaiveDateTime) -> AppResult<()> {
    let (row, c) = load(conn, actor, id)?;
    let me = principal_id(actor)?;
    if c.status.is_none() {
        return Err(
            AppError::new(ErrorCode::Conflict).with_detail(match c.kind {
                CommunityKind::Interest => "you are not a member of this community",
                _ => "the registry decides who belongs to this community",
            }),
        );
    }
    write_tx(conn, |conn| {
        diesel::delete(
            community_members::table
                .filter(community_members::community_id.eq(row.id))
                .filter(community_members::user_id.eq(me)),
        )
        .execute(conn)?;
        refresh_members_count(conn, row.id)?;
        audited(conn, actor, "community.leave", "community", row.id, now)
    })
}

/// A moderator accepts a request to join.
pub fn approve(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    user: i64,
    now: NaiveDateTime,
) -> AppResult<()> {
    let (row, c) = load(conn, actor, id)?;
    authorize(actor, &Action::ModerateCommunity(c))?;
    write_tx(conn, |conn| {
        let n = diesel::update(
            community_members::table
                .filter(community_members::community_id.eq(row.id))
                .filter(community_members::user_id.eq(user))
                .filter(community_members::status.eq("pending")),
        )
        .set((
            community_members::status.eq("active"),
            community_members::updated_at.eq(now),
        ))
        .execute(conn)?;
        if n != 1 {
            return Err(AppError::not_found(format!(
                "user {user} has not asked to join"
            )));
        }
        refresh_members_count(conn, row.id)?;
        crate::notifications::notify(
            conn,
            user,
            NotificationKind::JoinApproved,
            json!({"community": row.name}),
            &format!("/comunita/{}", row.id),
            now,
        )?;
        audit::record(
            conn,
            actor,
            "community.approve_member",
            Some(Object {
                kind: "community",
                id: row.id,
            }),
            None,
            json!({"user": user}),
            now,
        )?;
        Ok(())
    })
}

/// Members, by name: for a vertical community the accounts of the people living there, and
/// its moderators; for a community of interest its rows (pending ones only for moderators).
pub fn members(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<Vec<Member>> {
    let (row, c) = load(conn, actor, id)?;
    let abilities = community_abilities(actor, &c);
    if !abilities.read {
        return Err(AppError::new(ErrorCode::Forbidden)
            .with_detail("join the community to see its members"));
    }
    let rows: Vec<MemberRow> = community_members::table
        .filter(community_members::community_id.eq(row.id))
        .select(MemberRow::as_select())
        .load(conn)?;
    let mut out: Vec<Member> = Vec::new();
    if kind_of(&row) != CommunityKind::Interest {
        for (user, name, since) in store::residents(conn, row.estate_id, row.building_id, 500)? {
            out.push(Member {
                user: UserRef {
                    id: UserId(user),
                    display_name: name,
                },
                moderator: rows.iter().any(|m| m.user_id == user && m.moderator),
                status: MemberStatus::Active,
                since: utc(since),
            });
        }
    }
    let ids: Vec<i64> = rows.iter().map(|m| m.user_id).collect();
    let names = store::names(conn, &ids)?;
    for m in rows {
        let status = MemberStatus::parse(&m.status).unwrap_or(MemberStatus::Pending);
        if status != MemberStatus::Active && !abilities.moderate {
            continue;
        }
        if out.iter().any(|o| o.user.id.0 == m.user_id) {
            continue;
        }
        out.push(Member {
            user: UserRef {
                id: UserId(m.user_id),
                display_name: names.get(&m.user_id).cloned().unwrap_or_default(),
            },
            moderator: m.moderator,
            status,
            since: utc(m.created_at),
        });
    }
    out.sort_by(|a, b| {
        (a.status != MemberStatus::Pending, &a.user.display_name)
            .cmp(&(b.status != MemberStatus::Pending, &b.user.display_name))
    });
    Ok(out)
}

#[derive(Queryable)]
pub(crate) struct PostRow {
    id: i64,
    hidden: bool,
    pub(crate) community_id: i64,
    pub(crate) author_id: i64,
    pub(crate) title: String,
    targeted: bool,
    body_md: String,
    body_html: String,
    pinned: bool,
    locked: bool,
    comments_count: i64,
    created_at: NaiveDateTime,
    edited_at: Option<NaiveDateTime>,
}

macro_rules! post_columns {
    () => {
        (
            posts::id,
            posts::hidden_at.is_not_null(),
            posts::community_id,
            posts::author_id,
            posts::title,
            posts::targeted,
            posts::body_md,
            posts::body_html,
            posts::pinned,
            posts::locked,
            posts::comments_count,
            posts::created_at,
            posts::edited_at,
        )
    };
}

/// Turns rows into posts for this reader (names, reactions, whether they may edit).
fn to_posts(conn: &mut DbConn, actor: &Actor, rows: Vec<PostRow>) -> AppResult<Vec<Post>> {
    to_posts_in(conn, actor, rows, HashMap::new())
}

/// [`to_posts`], given the communities already loaded (the others are looked up).
fn to_posts_in(
    conn: &mut DbConn,
    actor: &Actor,
    rows: Vec<PostRow>,
    mut communities_: HashMap<i64, CommunityRow>,
) -> AppResult<Vec<Post>> {
    let me = principal_id(actor)?;
    let post_ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut user_ids: Vec<i64> = rows.iter().map(|r| r.author_id).collect();
    user_ids.sort_unstable();
    user_ids.dedup();
    let names = store::names(conn, &user_ids)?;
    let mut community_ids: Vec<i64> = rows
        .iter()
        .map(|r| r.community_id)
        .filter(|id| !communities_.contains_key(id))
        .collect();
    community_ids.sort_unstable();
    community_ids.dedup();
    if !community_ids.is_empty() {
        communities_.extend(
            store::by_ids(conn, &community_ids)?
                .into_iter()
                .map(|c| (c.id, c)),
        );
    }
    let mut counts = store::reaction_counts(conn, &post_ids, me)?;
    let mut images = crate::uploads::post_images(conn, &post_ids)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let community = communities_.get(&r.community_id);
            let mine = r.author_id == me;
            Post {
                id: PostId(r.id),
                community: CommunityRef {
                    id: CommunityId(r.community_id),
                    name: community.map(|c| c.name.clone()).unwrap_or_default(),
                    kind: community.map(kind_of).unwrap_or(CommunityKind::Interest),
                },
                author: UserRef {
                    id: UserId(r.author_id),
                    display_name: names.get(&r.author_id).cloned().unwrap_or_default(),
                },
                title: r.title,
                body_html: r.body_html,
                body_markdown: mine.then_some(r.body_md),
                pinned: r.pinned,
                locked: r.locked,
                hidden: r.hidden,
                targeted: r.targeted,
                created_at: utc(r.created_at),
                edited_at: r.edited_at.map(utc),
                comments: r.comments_count,
                reactions: reaction_list(counts.remove(&r.id).unwrap_or_default()),
                can_edit: mine,
                images: images.remove(&r.id).unwrap_or_default(),
            }
        })
        .collect())
}

fn reaction_list(found: store::KindCounts) -> Vec<ReactionCount> {
    ReactionKind::ALL
        .into_iter()
        .map(|kind| {
            let (count, mine) = found
                .iter()
                .find(|(k, _, _)| k == kind.as_str())
                .map(|(_, n, m)| (*n, *m))
                .unwrap_or((0, false));
            ReactionCount { kind, count, mine }
        })
        .collect()
}

/// Posts addressed to everyone in their community, or to `me` (or written by `me`).
fn addressed_to(
    me: i64,
) -> Box<
    dyn BoxableExpression<
        posts::table,
        <DbConn as diesel::Connection>::Backend,
        SqlType = diesel::sql_types::Bool,
    >,
> {
    Box::new(
        posts::targeted
            .eq(false)
            .or(posts::author_id.eq(me))
            .or(posts::id.eq_any(
                post_recipients::table
                    .filter(post_recipients::user_id.eq(me))
                    .select(post_recipients::post_id),
            )),
    )
}

/// Posts of one community, newest first (`after` is the last post id seen).
pub fn list_posts(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    pinned: Option<bool>,
    after: Option<i64>,
    limit: i64,
) -> AppResult<Page<Post>> {
    let (row, c) = load(conn, actor, id)?;
    authorize(actor, &Action::ReadCommunity(c))?;
    let me = principal_id(actor)?;
    let mut q = posts::table
        .filter(posts::community_id.eq(row.id))
        .filter(posts::removed_at.is_null())
        .filter(posts::hidden_at.is_null())
        .into_boxed();
    if !community_abilities(actor, &c).moderate {
        q = q.filter(addressed_to(me));
    }
    if let Some(p) = pinned {
        q = q.filter(posts::pinned.eq(p));
    }
    if let Some(after) = after {
        q = q.filter(posts::id.lt(after));
    }
    let rows: Vec<PostRow> = q
        .order(posts::id.desc())
        .limit(limit + 1)
        .select(post_columns!())
        .load(conn)?;
    page_of(conn, actor, rows, limit, HashMap::from([(row.id, row)]))
}

fn page_of(
    conn: &mut DbConn,
    actor: &Actor,
    mut rows: Vec<PostRow>,
    limit: i64,
    known: HashMap<i64, CommunityRow>,
) -> AppResult<Page<Post>> {
    let limit = usize::try_from(limit).unwrap_or(0);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = if more {
        rows.last().map(|r| crate::pagination::encode_cursor(&r.id))
    } else {
        None
    };
    Ok(Page {
        items: to_posts_in(conn, actor, rows, known)?,
        next,
    })
}

/// The personal feed: posts of my communities, newest first.
pub fn feed(
    conn: &mut DbConn,
    actor: &Actor,
    after: Option<i64>,
    limit: i64,
) -> AppResult<Page<Post>> {
    let known: HashMap<i64, CommunityRow> = my_community_rows(conn, actor)?
        .into_iter()
        .map(|(r, _)| (r.id, r))
        .collect();
    let ids: Vec<i64> = known.keys().copied().collect();
    let me = principal_id(actor)?;
    let mut q = posts::table
        .filter(posts::community_id.eq_any(ids))
        .filter(posts::removed_at.is_null())
        .filter(posts::hidden_at.is_null())
        .into_boxed()
        .filter(addressed_to(me));
    if let Some(after) = after {
        q = q.filter(posts::id.lt(after));
    }
    let rows: Vec<PostRow> = q
        .order(posts::id.desc())
        .limit(limit + 1)
        .select(post_columns!())
        .load(conn)?;
    page_of(conn, actor, rows, limit, known)
}

fn check_post(title: &str, body: &str, images: &[ImageRef]) -> AppResult<()> {
    let mut errors = Vec::new();
    check_len("title", title, 3, MAX_TITLE_LEN, &mut errors);
    check_len("body", body, 1, MAX_BODY_LEN, &mut errors);
    crate::uploads::check_refs(images, &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(errors))
    }
}

pub fn create_post(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    new: &NewPost,
    now: NaiveDateTime,
) -> AppResult<Post> {
    let (row, c) = load(conn, actor, id)?;
    authorize(actor, &Action::PostIn(c))?;
    let audience = new.audience.clone().filter(|a| !a.is_everyone());
    if new.pinned || audience.is_some() {
        authorize(actor, &Action::PinIn(c))?;
    }
    check_post(&new.title, &new.body, &new.images)?;
    let recipients = match &audience {
        Some(a) => {
            targeting::check(conn, &row, a)?;
            Some(targeting::recipients(conn, &row, a, now.date())?)
        }
        None => None,
    };
    let me = principal_id(actor)?;
    rate_limit(conn, "post", me, now)?;
    let html = markdown::render(&new.body);
    let post_id = write_tx(conn, |conn| -> AppResult<i64> {
        let post_id = crate::insert_returning_id!(
            conn,
            posts::table,
            posts::id,
            (
                posts::community_id.eq(row.id),
                posts::author_id.eq(me),
                posts::title.eq(new.title.trim()),
                posts::body_md.eq(&new.body),
                posts::body_html.eq(&html),
                posts::pinned.eq(new.pinned),
                posts::targeted.eq(recipients.is_some()),
                posts::audience.eq(audience
                    .as_ref()
                    .map(|a| serde_json::to_string(a).unwrap_or_default())),
                posts::created_at.eq(now),
                posts::updated_at.eq(now),
            )
        )?;
        for chunk in recipients.as_deref().unwrap_or_default().chunks(500) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|u| {
                    (
                        post_recipients::post_id.eq(post_id),
                        post_recipients::user_id.eq(*u),
                    )
                })
                .collect();
            crate::on_backend!(conn, c => diesel::insert_into(post_recipients::table)
                .values(&rows)
                .execute(c))?;
        }
        if !new.images.is_empty() {
            crate::uploads::attach(conn, me, Attachment::Post(post_id), &new.images, now)?;
        }
        diesel::update(communities::table.find(row.id))
            .set(communities::posts_count.eq(communities::posts_count + 1))
            .execute(conn)?;
        audited(conn, actor, "post.create", "post", post_id, now)?;
        Ok(post_id)
    })?;
    post(conn, actor, post_id)
}

/// Publishes a pinned announcement in a community, inside the caller's transaction, for a
/// domain that has checked its own permission (maintenance works announced by staff). No rate
/// limit: one announcement may go to many buildings at once.
pub(crate) fn publish_pinned(
    conn: &mut DbConn,
    author: i64,
    community: i64,
    title: &str,
    body: &str,
    now: NaiveDateTime,
) -> AppResult<i64> {
    let post_id = crate::insert_returning_id!(
        conn,
        posts::table,
        posts::id,
        (
            posts::community_id.eq(community),
            posts::author_id.eq(author),
            posts::title.eq(title.trim()),
            posts::body_md.eq(body),
            posts::body_html.eq(markdown::render(body)),
            posts::pinned.eq(true),
            posts::targeted.eq(false),
            posts::created_at.eq(now),
            posts::updated_at.eq(now),
        )
    )?;
    diesel::update(communities::table.find(community))
        .set(communities::posts_count.eq(communities::posts_count + 1))
        .execute(conn)?;
    Ok(post_id)
}

/// The id of a building's community (made from the registry), if it exists yet.
pub(crate) fn building_community(conn: &mut DbConn, building: i64) -> AppResult<Option<i64>> {
    Ok(communities::table
        .filter(communities::name_key.eq(format!("building:{building}")))
        .select(communities::id)
        .first(conn)
        .optional()?)
}

/// A post the reader may see, and its community context; 404 otherwise.
pub(crate) fn load_post(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
) -> AppResult<(PostRow, CommunityCtx)> {
    actor.require()?;
    let hidden = || AppError::not_found(format!("post {id} does not exist"));
    let row: PostRow = posts::table
        .find(id)
        .filter(posts::removed_at.is_null())
        .select(post_columns!())
        .first(conn)
        .optional()?
        .ok_or_else(hidden)?;
    let (_, c) = load(conn, actor, row.community_id).map_err(|_| hidden())?;
    authorize(actor, &Action::ReadCommunity(c)).map_err(|_| hidden())?;
    // A hidden post is seen only by the moderators (who may bring it back) and its author; a
    // targeted one by its audience, its author and the moderators.
    let moderate = community_abilities(actor, &c).moderate;
    let me = principal_id(actor)?;
    // Its author still sees a hidden post (marked hidden), to know what was hidden and why.
    if row.hidden && !moderate && row.author_id != me {
        return Err(hidden());
    }
    if row.targeted && !moderate && row.author_id != me {
        let addressed: i64 = post_recipients::table
            .filter(post_recipients::post_id.eq(id))
            .filter(post_recipients::user_id.eq(me))
            .count()
            .get_result(conn)?;
        if addressed == 0 {
            return Err(hidden());
        }
    }
    Ok((row, c))
}

pub(crate) fn post(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<Post> {
    let (row, _) = load_post(conn, actor, id)?;
    to_posts(conn, actor, vec![row])?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::not_found("no such post"))
}

pub fn thread(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<PostThread> {
    let (row, c) = load_post(conn, actor, id)?;
    let locked = row.locked;
    let post = to_posts(conn, actor, vec![row])?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::not_found("no such post"))?;
    let rows: Vec<(i64, Option<i64>, i64, String, NaiveDateTime)> = comments::table
        .filter(comments::post_id.eq(id))
        .filter(comments::removed_at.is_null())
        .order(comments::id)
        .select((
            comments::id,
            comments::parent_id,
            comments::author_id,
            comments::body_html,
            comments::created_at,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.2).collect();
    let names = store::names(conn, &ids)?;
    let comments_ = rows
        .into_iter()
        .map(|(cid, parent, author, html, at)| Comment {
            id: CommentId(cid),
            post_id: PostId(id),
            parent_id: parent.map(CommentId),
            author: UserRef {
                id: UserId(author),
                display_name: names.get(&author).cloned().unwrap_or_default(),
            },
            body_html: html,
            created_at: utc(at),
        })
        .collect();
    let abilities = community_abilities(actor, &c);
    Ok(PostThread {
        post,
        comments: comments_,
        can_comment: !locked && abilities.post,
        can_moderate: abilities.moderate,
    })
}

/// The author edits a post; the replaced version goes to its history.
pub fn edit_post(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    edit: &EditPost,
    now: NaiveDateTime,
) -> AppResult<Post> {
    let (row, _) = load_post(conn, actor, id)?;
    let me = principal_id(actor)?;
    if row.author_id != me {
        return Err(AppError::new(ErrorCode::Forbidden).with_detail("only the author edits a post"));
    }
    check_post(
        &edit.title,
        &edit.body,
        edit.images.as_deref().unwrap_or_default(),
    )?;
    let html = markdown::render(&edit.body);
    write_tx(conn, |conn| -> AppResult<()> {
        diesel::insert_into(post_revisions::table)
            .values((
                post_revisions::post_id.eq(id),
                post_revisions::title.eq(&row.title),
                post_revisions::body_md.eq(&row.body_md),
                post_revisions::body_html.eq(&row.body_html),
                post_revisions::edited_by.eq(me),
                post_revisions::replaced_at.eq(now),
            ))
            .execute(conn)?;
        diesel::update(posts::table.find(id))
            .set((
                posts::title.eq(edit.title.trim()),
                posts::body_md.eq(&edit.body),
                posts::body_html.eq(&html),
                posts::edited_at.eq(now),
                posts::updated_at.eq(now),
            ))
            .execute(conn)?;
        if let Some(images) = &edit.images {
            crate::uploads::attach(conn, me, Attachment::Post(id), images, now)?;
        }
        audited(conn, actor, "post.edit", "post", id, now)
    })?;
    post(conn, actor, id)
}

pub fn history(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<Vec<PostRevision>> {
    load_post(conn, actor, id)?;
    let rows: Vec<(String, String, i64, NaiveDateTime)> = post_revisions::table
        .filter(post_revisions::post_id.eq(id))
        .order(post_revisions::id.desc())
        .select((
            post_revisions::title,
            post_revisions::body_html,
            post_revisions::edited_by,
            post_revisions::replaced_at,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.2).collect();
    let names = store::names(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|(title, body_html, by, at)| PostRevision {
            title,
            body_html,
            edited_by: UserRef {
                id: UserId(by),
                display_name: names.get(&by).cloned().unwrap_or_default(),
            },
            replaced_at: utc(at),
        })
        .collect())
}

pub fn add_comment(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    new: &NewComment,
    now: NaiveDateTime,
) -> AppResult<Comment> {
    let (row, c) = load_post(conn, actor, id)?;
    authorize(actor, &Action::PostIn(c))?;
    if row.locked {
        return Err(
            AppError::new(ErrorCode::Conflict).with_detail("comments on this post are closed")
        );
    }
    let mut errors = Vec::new();
    check_len("body", &new.body, 1, MAX_COMMENT_LEN, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    if let Some(parent) = new.parent_id {
        let top_level: Option<Option<i64>> = comments::table
            .filter(comments::id.eq(parent.0))
            .filter(comments::post_id.eq(id))
            .filter(comments::removed_at.is_null())
            .select(comments::parent_id)
            .first(conn)
            .optional()?;
        match top_level {
            Some(None) => {}
            Some(Some(_)) => {
                return Err(AppError::invalid(
                    "parent_id",
                    "too_deep",
                    "replies are one level deep: reply to the first comment",
                ))
            }
            None => {
                return Err(AppError::invalid(
                    "parent_id",
                    "not_found",
                    "no such comment on this post",
                ))
            }
        }
    }
    let me = principal_id(actor)?;
    rate_limit(conn, "comment", me, now)?;
    let html = markdown::render(&new.body);
    let parent_author: Option<i64> = match new.parent_id {
        Some(p) => comments::table
            .find(p.0)
            .select(comments::author_id)
            .first(conn)
            .optional()?,
        None => None,
    };
    let comment_id = write_tx(conn, |conn| -> AppResult<i64> {
        let cid = crate::insert_returning_id!(
            conn,
            comments::table,
            comments::id,
            (
                comments::post_id.eq(id),
                comments::parent_id.eq(new.parent_id.map(|p| p.0)),
                comments::author_id.eq(me),
                comments::body_md.eq(&new.body),
                comments::body_html.eq(&html),
                comments::created_at.eq(now),
            )
        )?;
        diesel::update(posts::table.find(id))
            .set(posts::comments_count.eq(posts::comments_count + 1))
            .execute(conn)?;
        audited(conn, actor, "comment.create", "comment", cid, now)?;
        let who = actor.require()?.principal.display_name.clone();
        let data = json!({"actor": who, "title": row.title});
        let link = format!("/post/{id}");
        if row.author_id != me {
            crate::notifications::notify(
                conn,
                row.author_id,
                NotificationKind::CommentOnPost,
                data.clone(),
                &link,
                now,
            )?;
        }
        if let Some(parent_author) = parent_author.filter(|a| *a != me && *a != row.author_id) {
            crate::notifications::notify(
                conn,
                parent_author,
                NotificationKind::ReplyToComment,
                data,
                &link,
                now,
            )?;
        }
        Ok(cid)
    })?;
    let name = actor.require()?.principal.display_name.clone();
    Ok(Comment {
        id: CommentId(comment_id),
        post_id: PostId(id),
        parent_id: new.parent_id,
        author: UserRef {
            id: UserId(me),
            display_name: name,
        },
        body_html: html,
        created_at: utc(now),
    })
}

/// Adds (`on`) or takes back the reader's reaction; idempotent either way.
pub fn react(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    kind: ReactionKind,
    on: bool,
    now: NaiveDateTime,
) -> AppResult<Vec<ReactionCount>> {
    let (_, c) = load_post(conn, actor, id)?;
    authorize(actor, &Action::PostIn(c))?;
    let me = principal_id(actor)?;
    write_tx(conn, |conn| -> AppResult<()> {
        let existing: i64 = reactions::table
            .filter(reactions::post_id.eq(id))
            .filter(reactions::user_id.eq(me))
            .filter(reactions::kind.eq(kind.as_str()))
            .count()
            .get_result(conn)?;
        if on && existing == 0 {
            diesel::insert_into(reactions::table)
                .values((
                    reactions::post_id.eq(id),
                    reactions::user_id.eq(me),
                    reactions::kind.eq(kind.as_str()),
                    reactions::created_at.eq(now),
                ))
                .execute(conn)?;
        } else if !on && existing > 0 {
            diesel::delete(
                reactions::table
                    .filter(reactions::post_id.eq(id))
                    .filter(reactions::user_id.eq(me))
                    .filter(reactions::kind.eq(kind.as_str())),
            )
            .execute(conn)?;
        }
        Ok(())
    })?;
    Ok(reaction_list(
        store::reaction_counts(conn, &[id], me)?
            .remove(&id)
            .unwrap_or_default(),
    ))
}

/// How many people an audience reaches in a community (no names: the author never learns who).
pub fn reach(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    audience: &cortile_shared::profile::Audience,
    today: chrono::NaiveDate,
) -> AppResult<cortile_shared::profile::Reach> {
    let (row, c) = load(conn, actor, id)?;
    authorize(actor, &Action::PinIn(c))?;
    targeting::check(conn, &row, audience)?;
    Ok(cortile_shared::profile::Reach {
        people: targeting::recipients(conn, &row, audience, today)?.len() as i64,
    })
}
