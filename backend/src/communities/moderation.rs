//! Moderation: anyone who reads a post may flag it (or a comment); the community's moderators
//! (and staff) work a queue, hide, remove, lock, dismiss and ban with a reason; the author is
//! told; every act goes to the community's public log and to the audit log.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use cortile_shared::auth::UserRef;
use cortile_shared::community::{
    Ban, CommunityRef, Flag, FlagReason, Moderate, ModerationAction, ModerationLogEntry, NewBan,
    NewFlag, NotificationKind, Post,
};
use cortile_shared::{CommentId, CommunityId, ErrorCode, PostId, UserId};
use diesel::prelude::*;
use serde_json::json;

use super::{community_abilities, kind_of, load, load_post, post, store};
use crate::audit::{self, Object};
use crate::auth::account::utc;
use crate::auth::policy::{authorize, Action};
use crate::auth::Actor;
use crate::db::schema::{comments, community_bans, moderation_flags, moderation_log, posts};
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult};

/// Flags a post, or one of its comments. One open flag per person and thing.
pub fn flag(
    conn: &mut DbConn,
    actor: &Actor,
    post_id: i64,
    comment_id: Option<i64>,
    new: &NewFlag,
    now: NaiveDateTime,
) -> AppResult<i64> {
    let (row, _) = load_post(conn, actor, post_id)?;
    let me = actor.require()?.principal.id.0;
    if new.note.chars().count() > 1_000 {
        return Err(AppError::invalid(
            "note",
            "too_long",
            "the note must have at most 1000 characters",
        ));
    }
    write_tx(conn, |conn| -> AppResult<i64> {
        let mut q = moderation_flags::table
            .filter(moderation_flags::post_id.eq(post_id))
            .filter(moderation_flags::reporter_id.eq(me))
            .filter(moderation_flags::status.eq("open"))
            .into_boxed();
        q = match comment_id {
            Some(c) => q.filter(moderation_flags::comment_id.eq(c)),
            None => q.filter(moderation_flags::comment_id.is_null()),
        };
        let open: i64 = q.count().get_result(conn)?;
        if open > 0 {
            return Err(
                AppError::new(ErrorCode::Conflict).with_detail("you have already flagged this")
            );
        }
        Ok(crate::insert_returning_id!(
            conn,
            moderation_flags::table,
            moderation_flags::id,
            (
                moderation_flags::community_id.eq(row.community_id),
                moderation_flags::post_id.eq(post_id),
                moderation_flags::comment_id.eq(comment_id),
                moderation_flags::reporter_id.eq(me),
                moderation_flags::reason.eq(new.reason.as_str()),
                moderation_flags::note.eq(new.note.trim()),
                moderation_flags::status.eq("open"),
                moderation_flags::created_at.eq(now),
            )
        )?)
    })
}

/// The post a comment belongs to (404 when there is no such comment).
pub fn post_of_comment(conn: &mut DbConn, comment_id: i64) -> AppResult<i64> {
    comments::table
        .find(comment_id)
        .filter(comments::removed_at.is_null())
        .select(comments::post_id)
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found(format!("comment {comment_id} does not exist")))
}

/// Open flags in the communities the reader moderates, one entry per flagged thing.
pub fn queue(conn: &mut DbConn, actor: &Actor) -> AppResult<Vec<Flag>> {
    let me = actor.require()?.principal.id.0;
    #[allow(clippy::type_complexity)]
    let rows: Vec<(i64, i64, i64, Option<i64>, String, String, NaiveDateTime)> =
        moderation_flags::table
            .filter(moderation_flags::status.eq("open"))
            .order(moderation_flags::id)
            .limit(2_000)
            .select((
                moderation_flags::id,
                moderation_flags::community_id,
                moderation_flags::post_id,
                moderation_flags::comment_id,
                moderation_flags::reason,
                moderation_flags::note,
                moderation_flags::created_at,
            ))
            .load(conn)?;
    let mut community_ids: Vec<i64> = rows.iter().map(|r| r.1).collect();
    community_ids.sort_unstable();
    community_ids.dedup();
    let mine = store::memberships(conn, me)?;
    let moderated: HashMap<i64, store::CommunityRow> = store::by_ids(conn, &community_ids)?
        .into_iter()
        .filter(|c| {
            let ctx = super::ctx(c, mine.get(&c.id), false);
            community_abilities(actor, &ctx).moderate
        })
        .map(|c| (c.id, c))
        .collect();
    let mut grouped: Vec<Flag> = Vec::new();
    for (id, community, post_id, comment_id, reason, note, at) in rows {
        let Some(c) = moderated.get(&community) else {
            continue;
        };
        if let Some(existing) = grouped
            .iter_mut()
            .find(|f| f.post_id.0 == post_id && f.comment_id.map(|c| c.0) == comment_id)
        {
            existing.flags += 1;
            continue;
        }
        let (excerpt, author) = match comment_id {
            Some(cid) => comments::table
                .find(cid)
                .select((comments::body_md, comments::author_id))
                .first::<(String, i64)>(conn)?,
            None => posts::table
                .find(post_id)
                .select((posts::title, posts::author_id))
                .first::<(String, i64)>(conn)?,
        };
        grouped.push(Flag {
            id,
            community: CommunityRef {
                id: CommunityId(c.id),
                name: c.name.clone(),
                kind: kind_of(c),
            },
            post_id: PostId(post_id),
            comment_id: comment_id.map(CommentId),
            excerpt: excerpt.chars().take(200).collect(),
            author: UserRef {
                id: UserId(author),
                display_name: String::new(),
            },
            reason: FlagReason::parse(&reason).unwrap_or(FlagReason::Other),
            note,
            flags: 1,
            created_at: utc(at),
        });
    }
    let ids: Vec<i64> = grouped.iter().map(|f| f.author.id.0).collect();
    let names = store::names(conn, &ids)?;
    for f in &mut grouped {
        f.author.display_name = names.get(&f.author.id.0).cloned().unwrap_or_default();
    }
    Ok(grouped)
}

fn check_reason(action: ModerationAction, reason: &str) -> AppResult<String> {
    let reason = reason.trim();
    let needs = matches!(
        action,
        ModerationAction::Hide | ModerationAction::Remove | ModerationAction::Lock
    );
    if needs && reason.chars().count() < 3 {
        return Err(AppError::invalid(
            "reason",
            "required",
            "say why: the author is told and the community's log shows it",
        ));
    }
    if reason.chars().count() > 500 {
        return Err(AppError::invalid(
            "reason",
            "too_long",
            "the reason must have at most 500 characters",
        ));
    }
    Ok(reason.to_owned())
}

#[allow(clippy::too_many_arguments)]
fn log_and_tell(
    conn: &mut DbConn,
    actor: &Actor,
    community: i64,
    action: &str,
    target: &str,
    post_id: Option<i64>,
    comment_id: Option<i64>,
    user: Option<i64>,
    reason: &str,
    tell: Option<(i64, serde_json::Value, String)>,
    now: NaiveDateTime,
) -> AppResult<()> {
    let moderator = actor.keyboard_user().map(|u| u.id.0);
    diesel::insert_into(moderation_log::table)
        .values((
            moderation_log::community_id.eq(community),
            moderation_log::moderator_id.eq(moderator),
            moderation_log::action.eq(action),
            moderation_log::target.eq(target),
            moderation_log::post_id.eq(post_id),
            moderation_log::comment_id.eq(comment_id),
            moderation_log::user_id.eq(user),
            moderation_log::reason.eq(reason),
            moderation_log::created_at.eq(now),
        ))
        .execute(conn)?;
    let object_id = comment_id.or(post_id).or(user).unwrap_or(community);
    audit::record(
        conn,
        actor,
        &format!("moderation.{action}"),
        Some(Object {
            kind: target,
            id: object_id,
        }),
        None,
        json!({"community": community, "reason": reason}),
        now,
    )?;
    if let Some((user, data, link)) = tell {
        let kind = if action == "ban" {
            NotificationKind::Banned
        } else {
            NotificationKind::Moderated
        };
        crate::notifications::notify(conn, user, kind, data, &link, now)?;
    }
    Ok(())
}

fn resolve_flags(
    conn: &mut DbConn,
    actor: &Actor,
    post_id: i64,
    comment_id: Option<i64>,
    now: NaiveDateTime,
) -> AppResult<()> {
    let by = actor.keyboard_user().map(|u| u.id.0);
    let q = moderation_flags::table
        .filter(moderation_flags::post_id.eq(post_id))
        .filter(moderation_flags::status.eq("open"));
    match comment_id {
        Some(c) => diesel::update(q.filter(moderation_flags::comment_id.eq(c)))
            .set((
                moderation_flags::status.eq("resolved"),
                moderation_flags::resolved_by.eq(by),
                moderation_flags::resolved_at.eq(now),
            ))
            .execute(conn)?,
        None => diesel::update(q.filter(moderation_flags::comment_id.is_null()))
            .set((
                moderation_flags::status.eq("resolved"),
                moderation_flags::resolved_by.eq(by),
                moderation_flags::resolved_at.eq(now),
            ))
            .execute(conn)?,
    };
    Ok(())
}

/// A moderator acts on a post.
pub fn moderate_post(
    conn: &mut DbConn,
    actor: &Actor,
    post_id: i64,
    m: &Moderate,
    now: NaiveDateTime,
) -> AppResult<Option<Post>> {
    let (row, c) = load_post(conn, actor, post_id)?;
    authorize(actor, &Action::ModerateCommunity(c))?;
    let reason = check_reason(m.action, &m.reason)?;
    write_tx(conn, |conn| -> AppResult<()> {
        let target = posts::table.find(post_id);
        match m.action {
            ModerationAction::Hide => diesel::update(target)
                .set(posts::hidden_at.eq(now))
                .execute(conn)?,
            ModerationAction::Unhide => diesel::update(target)
                .set(posts::hidden_at.eq(None::<NaiveDateTime>))
                .execute(conn)?,
            ModerationAction::Remove => {
                let n = diesel::update(target)
                    .set(posts::removed_at.eq(now))
                    .execute(conn)?;
                diesel::update(crate::db::schema::communities::table.find(row.community_id))
                    .set(
                        crate::db::schema::communities::posts_count
                            .eq(crate::db::schema::communities::posts_count - 1),
                    )
                    .execute(conn)?;
                n
            }
            ModerationAction::Lock => diesel::update(target)
                .set(posts::locked.eq(true))
                .execute(conn)?,
            ModerationAction::Unlock => diesel::update(target)
                .set(posts::locked.eq(false))
                .execute(conn)?,
            ModerationAction::Dismiss => 0,
        };
        if matches!(
            m.action,
            ModerationAction::Hide | ModerationAction::Remove | ModerationAction::Dismiss
        ) {
            resolve_flags(conn, actor, post_id, None, now)?;
        }
        let tell = matches!(
            m.action,
            ModerationAction::Hide | ModerationAction::Remove | ModerationAction::Lock
        )
        .then(|| {
            (
                row.author_id,
                json!({"action": m.action.as_str(), "title": row.title, "reason": reason}),
                format!("/post/{post_id}"),
            )
        });
        log_and_tell(
            conn,
            actor,
            row.community_id,
            m.action.as_str(),
            "post",
            Some(post_id),
            None,
            None,
            &reason,
            tell,
            now,
        )
    })?;
    if m.action == ModerationAction::Remove {
        return Ok(None);
    }
    post(conn, actor, post_id).map(Some)
}

/// A moderator acts on a comment: hide or remove take it away; dismiss keeps it.
pub fn moderate_comment(
    conn: &mut DbConn,
    actor: &Actor,
    comment_id: i64,
    m: &Moderate,
    now: NaiveDateTime,
) -> AppResult<()> {
    let post_id = post_of_comment(conn, comment_id)?;
    let (row, c) = load_post(conn, actor, post_id)?;
    authorize(actor, &Action::ModerateCommunity(c))?;
    if !matches!(
        m.action,
        ModerationAction::Hide | ModerationAction::Remove | ModerationAction::Dismiss
    ) {
        return Err(AppError::invalid(
            "action",
            "invalid_value",
            "a comment is hidden, removed or kept (dismiss)",
        ));
    }
    let reason = check_reason(m.action, &m.reason)?;
    let author: i64 = comments::table
        .find(comment_id)
        .select(comments::author_id)
        .first(conn)?;
    write_tx(conn, |conn| -> AppResult<()> {
        if m.action != ModerationAction::Dismiss {
            diesel::update(comments::table.find(comment_id))
                .set(comments::removed_at.eq(now))
                .execute(conn)?;
            diesel::update(posts::table.find(post_id))
                .set(posts::comments_count.eq(posts::comments_count - 1))
                .execute(conn)?;
        }
        resolve_flags(conn, actor, post_id, Some(comment_id), now)?;
        let tell = (m.action != ModerationAction::Dismiss).then(|| {
            (
                author,
                json!({"action": m.action.as_str(), "title": row.title, "reason": reason, "comment": true}),
                format!("/post/{post_id}"),
            )
        });
        log_and_tell(
            conn,
            actor,
            row.community_id,
            m.action.as_str(),
            "comment",
            Some(post_id),
            Some(comment_id),
            None,
            &reason,
            tell,
            now,
        )
    })
}

/// Bans a person from posting in a community.
pub fn ban(
    conn: &mut DbConn,
    actor: &Actor,
    community_id: i64,
    new: &NewBan,
    now: NaiveDateTime,
) -> AppResult<()> {
    let (row, c) = load(conn, actor, community_id)?;
    authorize(actor, &Action::ModerateCommunity(c))?;
    let reason = check_reason(ModerationAction::Hide, &new.reason)?;
    let user = new.user_id.0;
    if Some(user) == actor.keyboard_user().map(|u| u.id.0) {
        return Err(AppError::invalid(
            "user_id",
            "self",
            "you cannot ban yourself",
        ));
    }
    if crate::auth::store::get_user(conn, user)?.is_none() {
        return Err(AppError::invalid("user_id", "not_found", "no such user"));
    }
    write_tx(conn, |conn| -> AppResult<()> {
        if store::bans_of(conn, user)?.contains(&community_id) {
            return Err(AppError::new(ErrorCode::Conflict).with_detail("already banned"));
        }
        diesel::insert_into(community_bans::table)
            .values((
                community_bans::community_id.eq(community_id),
                community_bans::user_id.eq(user),
                community_bans::reason.eq(&reason),
                community_bans::banned_by.eq(actor.keyboard_user().map(|u| u.id.0)),
                community_bans::created_at.eq(now),
            ))
            .execute(conn)?;
        let tell = Some((
            user,
            json!({"community": row.name, "reason": reason}),
            format!("/comunita/{community_id}"),
        ));
        log_and_tell(
            conn,
            actor,
            community_id,
            "ban",
            "user",
            None,
            None,
            Some(user),
            &reason,
            tell,
            now,
        )
    })
}

/// The bans in force in a community, newest first (moderators only).
pub fn bans(conn: &mut DbConn, actor: &Actor, community_id: i64) -> AppResult<Vec<Ban>> {
    let (_, c) = load(conn, actor, community_id)?;
    authorize(actor, &Action::ModerateCommunity(c))?;
    let rows: Vec<(i64, String, NaiveDateTime)> = community_bans::table
        .filter(community_bans::community_id.eq(community_id))
        .filter(community_bans::lifted_at.is_null())
        .order(community_bans::id.desc())
        .select((
            community_bans::user_id,
            community_bans::reason,
            community_bans::created_at,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let names = store::names(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|(user, reason, at)| Ban {
            user: UserRef {
                id: UserId(user),
                display_name: names.get(&user).cloned().unwrap_or_default(),
            },
            reason,
            created_at: utc(at),
        })
        .collect())
}

pub fn unban(
    conn: &mut DbConn,
    actor: &Actor,
    community_id: i64,
    user: i64,
    now: NaiveDateTime,
) -> AppResult<()> {
    let (_, c) = load(conn, actor, community_id)?;
    authorize(actor, &Action::ModerateCommunity(c))?;
    write_tx(conn, |conn| -> AppResult<()> {
        let n = diesel::update(
            community_bans::table
                .filter(community_bans::community_id.eq(community_id))
                .filter(community_bans::user_id.eq(user))
                .filter(community_bans::lifted_at.is_null()),
        )
        .set(community_bans::lifted_at.eq(now))
        .execute(conn)?;
        if n == 0 {
            return Err(AppError::not_found(format!(
                "user {user} is not banned here"
            )));
        }
        log_and_tell(
            conn,
            actor,
            community_id,
            "unban",
            "user",
            None,
            None,
            Some(user),
            "",
            None,
            now,
        )
    })
}

/// The community's public moderation log, newest first (what, why, when; not who).
pub fn log(
    conn: &mut DbConn,
    actor: &Actor,
    community_id: i64,
) -> AppResult<Vec<ModerationLogEntry>> {
    let (_, c) = load(conn, actor, community_id)?;
    authorize(actor, &Action::ReadCommunity(c))?;
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        i64,
        String,
        String,
        Option<i64>,
        Option<i64>,
        String,
        NaiveDateTime,
    )> = moderation_log::table
        .filter(moderation_log::community_id.eq(community_id))
        .order(moderation_log::id.desc())
        .limit(200)
        .select((
            moderation_log::id,
            moderation_log::action,
            moderation_log::target,
            moderation_log::post_id,
            moderation_log::comment_id,
            moderation_log::reason,
            moderation_log::created_at,
        ))
        .load(conn)?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, action, target, post_id, comment_id, reason, at) in rows {
        let title = match (target.as_str(), post_id, comment_id) {
            ("post", Some(p), None) => posts::table
                .find(p)
                .select(posts::title)
                .first(conn)
                .optional()?,
            _ => None,
        };
        out.push(ModerationLogEntry {
            id,
            action,
            target,
            title,
            reason,
            at: utc(at),
        });
    }
    Ok(out)
}
