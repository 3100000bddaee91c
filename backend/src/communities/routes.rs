//! HTTP handlers of communities, posts, comments, reactions and the feed. Thin.

use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::Utc;
use cortile_shared::community::{
    Ban, Comment, CommunitySummary, EditPost, Flag, Member, Moderate, ModerationLogEntry, NewBan,
    NewComment, NewCommunity, NewFlag, NewPost, Post, PostRevision, PostThread, ReactionKind,
    Reactions,
};
use cortile_shared::{Page, Problem};
use serde::Deserialize;

use crate::auth::Actor;
use crate::error::{AppError, AppResult};
use crate::http::{parse_id, AppState};
use crate::pagination::ListParams;

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_communities)
        .service(create_community)
        .service(get_community)
        .service(list_members)
        .service(join_community)
        .service(leave_community)
        .service(approve_member)
        .service(list_posts)
        .service(create_post)
        .service(get_post)
        .service(edit_post)
        .service(post_history)
        .service(add_comment)
        .service(add_reaction)
        .service(remove_reaction)
        .service(feed)
        .service(flag_post)
        .service(flag_comment)
        .service(moderation_queue)
        .service(moderate_post)
        .service(moderate_comment)
        .service(list_bans)
        .service(ban_user)
        .service(unban_user)
        .service(moderation_log)
        .service(reach);
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ViewQuery {
    /// `mine` (default) or `discover`.
    pub view: Option<String>,
}

/// My communities, or communities of interest to discover.
#[utoipa::path(tag = "communities", params(ViewQuery), responses((status = 200, body = Vec<CommunitySummary>)))]
#[get("/communities")]
pub async fn list_communities(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<ViewQuery>,
) -> AppResult<HttpResponse> {
    let view = match query.into_inner().view.as_deref() {
        None | Some("") | Some("mine") => super::View::Mine,
        Some("discover") => super::View::Discover,
        Some(_) => {
            return Err(AppError::invalid(
                "view",
                "invalid_value",
                "view is mine or discover",
            ))
        }
    };
    let list = state
        .db
        .run(move |conn| super::list(conn, &actor, view))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Create a community of interest.
#[utoipa::path(
    tag = "communities",
    request_body = NewCommunity,
    responses(
        (status = 201, body = CommunitySummary),
        (status = 409, description = "The name is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/communities")]
pub async fn create_community(
    state: web::Data<AppState>,
    actor: Actor,
    body: web::Json<NewCommunity>,
) -> AppResult<HttpResponse> {
    let new = body.into_inner();
    let now = Utc::now().naive_utc();
    let created = state
        .db
        .run(move |conn| super::create(conn, &actor, &new, now))
        .await?;
    Ok(HttpResponse::Created().json(created))
}

/// One community.
#[utoipa::path(
    tag = "communities",
    params(("id" = i64, Path, description = "Community id")),
    responses(
        (status = 200, body = CommunitySummary),
        (status = 404, description = "No such community, or hidden from the reader", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/communities/{id}")]
pub async fn get_community(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let c = state
        .db
        .run(move |conn| super::get(conn, &actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(c))
}

/// Members of a community (pending requests too, for its moderators).
#[utoipa::path(tag = "communities", params(("id" = i64, Path, description = "Community id")), responses((status = 200, body = Vec<Member>)))]
#[get("/communities/{id}/members")]
pub async fn list_members(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let list = state
        .db
        .run(move |conn| super::members(conn, &actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Join a community of interest (open), or ask to (by approval), or accept an invitation.
#[utoipa::path(tag = "communities", params(("id" = i64, Path, description = "Community id")), responses((status = 200, body = CommunitySummary)))]
#[post("/communities/{id}/join")]
pub async fn join_community(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let now = Utc::now().naive_utc();
    let c = state
        .db
        .run(move |conn| super::join(conn, &actor, id, now))
        .await?;
    Ok(HttpResponse::Ok().json(c))
}

/// Leave a community of interest (or withdraw a request).
#[utoipa::path(tag = "communities", params(("id" = i64, Path, description = "Community id")), responses((status = 204, description = "Left")))]
#[post("/communities/{id}/leave")]
pub async fn leave_community(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let now = Utc::now().naive_utc();
    let me = actor.principal().map(|p| p.id.0);
    state
        .db
        .run(move |conn| super::leave(conn, &actor, id, now))
        .await?;
    // Their sockets leave the community's chat room.
    if let Some(me) = me {
        state.realtime.recheck_user(me);
    }
    Ok(HttpResponse::NoContent().finish())
}

/// Moderators: accept a request to join.
#[utoipa::path(
    tag = "communities",
    params(("id" = i64, Path, description = "Community id"), ("user_id" = i64, Path, description = "Who asked")),
    responses((status = 204, description = "Accepted"))
)]
#[post("/communities/{id}/members/{user_id}/approve")]
pub async fn approve_member(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, user) = path.into_inner();
    let id = parse_id(&id, "id")?;
    let user = parse_id(&user, "user_id")?;
    let now = Utc::now().naive_utc();
    state
        .db
        .run(move |conn| super::approve(conn, &actor, id, user, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PinnedQuery {
    /// Only pinned announcements (`true`) or only the others (`false`).
    pub pinned: Option<bool>,
}

/// Posts of a community, newest first.
#[utoipa::path(tag = "communities", params(("id" = i64, Path, description = "Community id"), ListParams, PinnedQuery), responses((status = 200, body = Page<Post>)))]
#[get("/communities/{id}/posts")]
pub async fn list_posts(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    page: web::Query<ListParams>,
    pinned: web::Query<PinnedQuery>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let limit = page.limit()?;
    let after = page.after::<i64>()?;
    let pinned = pinned.into_inner().pinned;
    let list = state
        .db
        .run(move |conn| super::list_posts(conn, &actor, id, pinned, after, limit))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Post in a community (markdown; rendered and sanitised by the server).
#[utoipa::path(
    tag = "communities",
    params(("id" = i64, Path, description = "Community id")),
    request_body = NewPost,
    responses((status = 201, body = Post), (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"))
)]
#[post("/communities/{id}/posts")]
pub async fn create_post(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<NewPost>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let new = body.into_inner();
    let now = Utc::now().naive_utc();
    let post = state
        .db
        .run(move |conn| super::create_post(conn, &actor, id, &new, now))
        .await?;
    Ok(HttpResponse::Created().json(post))
}

/// A post with its comments.
#[utoipa::path(tag = "communities", params(("id" = i64, Path, description = "Post id")), responses((status = 200, body = PostThread)))]
#[get("/posts/{id}")]
pub async fn get_post(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let thread = state
        .db
        .run(move |conn| super::thread(conn, &actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(thread))
}

/// The author edits a post; the previous version is kept.
#[utoipa::path(tag = "communities", params(("id" = i64, Path, description = "Post id")), request_body = EditPost, responses((status = 200, body = Post)))]
#[put("/posts/{id}")]
pub async fn edit_post(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<EditPost>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let edit = body.into_inner();
    let now = Utc::now().naive_utc();
    let post = state
        .db
        .run(move |conn| super::edit_post(conn, &actor, id, &edit, now))
        .await?;
    Ok(HttpResponse::Ok().json(post))
}

/// Earlier versions of a post, newest first.
#[utoipa::path(tag = "communities", params(("id" = i64, Path, description = "Post id")), responses((status = 200, body = Vec<PostRevision>)))]
#[get("/posts/{id}/history")]
pub async fn post_history(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let list = state
        .db
        .run(move |conn| super::history(conn, &actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Comment on a post, or reply to a comment (one level deep).
#[utoipa::path(tag = "communities", params(("id" = i64, Path, description = "Post id")), request_body = NewComment, responses((status = 201, body = Comment)))]
#[post("/posts/{id}/comments")]
pub async fn add_comment(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<NewComment>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let new = body.into_inner();
    let now = Utc::now().naive_utc();
    let c = state
        .db
        .run(move |conn| super::add_comment(conn, &actor, id, &new, now))
        .await?;
    Ok(HttpResponse::Created().json(c))
}

fn reaction_path(path: (String, String)) -> AppResult<(i64, ReactionKind)> {
    let id = parse_id(&path.0, "id")?;
    let kind = ReactionKind::parse(&path.1).ok_or_else(|| {
        AppError::invalid(
            "kind",
            "invalid_value",
            "the reaction is like, thanks or support",
        )
    })?;
    Ok((id, kind))
}

/// Add my reaction to a post (idempotent).
#[utoipa::path(
    tag = "communities",
    params(("id" = i64, Path, description = "Post id"), ("kind" = String, Path, description = "like, thanks or support")),
    responses((status = 200, body = Reactions))
)]
#[put("/posts/{id}/reactions/{kind}")]
pub async fn add_reaction(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, kind) = reaction_path(path.into_inner())?;
    let now = Utc::now().naive_utc();
    let reactions = state
        .db
        .run(move |conn| super::react(conn, &actor, id, kind, true, now))
        .await?;
    Ok(HttpResponse::Ok().json(Reactions { reactions }))
}

/// Take back my reaction (idempotent).
#[utoipa::path(
    tag = "communities",
    params(("id" = i64, Path, description = "Post id"), ("kind" = String, Path, description = "like, thanks or support")),
    responses((status = 200, body = Reactions))
)]
#[delete("/posts/{id}/reactions/{kind}")]
pub async fn remove_reaction(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, kind) = reaction_path(path.into_inner())?;
    let now = Utc::now().naive_utc();
    let reactions = state
        .db
        .run(move |conn| super::react(conn, &actor, id, kind, false, now))
        .await?;
    Ok(HttpResponse::Ok().json(Reactions { reactions }))
}

/// My feed: posts of my communities, newest first.
#[utoipa::path(tag = "communities", params(ListParams), responses((status = 200, body = Page<Post>)))]
#[get("/feed")]
pub async fn feed(
    state: web::Data<AppState>,
    actor: Actor,
    page: web::Query<ListParams>,
) -> AppResult<HttpResponse> {
    let limit = page.limit()?;
    let after = page.after::<i64>()?;
    let list = state
        .db
        .run(move |conn| super::feed(conn, &actor, after, limit))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Flag a post for the moderators.
#[utoipa::path(
    tag = "moderation",
    params(("id" = i64, Path, description = "Post id")),
    request_body = NewFlag,
    responses((status = 201, description = "Flagged"), (status = 409, description = "Already flagged by me", body = Problem, content_type = "application/problem+json"))
)]
#[post("/posts/{id}/flags")]
pub async fn flag_post(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<NewFlag>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let new = body.into_inner();
    let now = Utc::now().naive_utc();
    let flag = state
        .db
        .run(move |conn| super::moderation::flag(conn, &actor, id, None, &new, now))
        .await?;
    Ok(HttpResponse::Created().json(serde_json::json!({"id": flag})))
}

/// Flag a comment for the moderators.
#[utoipa::path(
    tag = "moderation",
    params(("id" = i64, Path, description = "Comment id")),
    request_body = NewFlag,
    responses((status = 201, description = "Flagged"))
)]
#[post("/comments/{id}/flags")]
pub async fn flag_comment(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<NewFlag>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let new = body.into_inner();
    let now = Utc::now().naive_utc();
    let flag = state
        .db
        .run(move |conn| {
            let post = super::moderation::post_of_comment(conn, id)?;
            super::moderation::flag(conn, &actor, post, Some(id), &new, now)
        })
        .await?;
    Ok(HttpResponse::Created().json(serde_json::json!({"id": flag})))
}

/// Open flags in the communities I moderate.
#[utoipa::path(tag = "moderation", responses((status = 200, body = Vec<Flag>)))]
#[get("/moderation/queue")]
pub async fn moderation_queue(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let list = state
        .db
        .run(move |conn| super::moderation::queue(conn, &actor))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Moderators: hide, unhide, remove, lock, unlock a post, or dismiss its flags. The author is told.
#[utoipa::path(
    tag = "moderation",
    params(("id" = i64, Path, description = "Post id")),
    request_body = Moderate,
    responses((status = 200, description = "The post as it is now", body = Post), (status = 204, description = "Removed"))
)]
#[post("/posts/{id}/moderation")]
pub async fn moderate_post(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<Moderate>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let m = body.into_inner();
    let now = Utc::now().naive_utc();
    let post = state
        .db
        .run(move |conn| super::moderation::moderate_post(conn, &actor, id, &m, now))
        .await?;
    Ok(match post {
        Some(p) => HttpResponse::Ok().json(p),
        None => HttpResponse::NoContent().finish(),
    })
}

/// Moderators: hide or remove a comment, or dismiss its flags. The author is told.
#[utoipa::path(
    tag = "moderation",
    params(("id" = i64, Path, description = "Comment id")),
    request_body = Moderate,
    responses((status = 204, description = "Done"))
)]
#[post("/comments/{id}/moderation")]
pub async fn moderate_comment(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<Moderate>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let m = body.into_inner();
    let now = Utc::now().naive_utc();
    state
        .db
        .run(move |conn| super::moderation::moderate_comment(conn, &actor, id, &m, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Moderators: ban someone from posting in a community.
#[utoipa::path(
    tag = "moderation",
    params(("id" = i64, Path, description = "Community id")),
    request_body = NewBan,
    responses((status = 204, description = "Banned"))
)]
#[post("/communities/{id}/bans")]
pub async fn ban_user(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<NewBan>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let new = body.into_inner();
    let banned = new.user_id.0;
    let now = Utc::now().naive_utc();
    state
        .db
        .run(move |conn| super::moderation::ban(conn, &actor, id, &new, now))
        .await?;
    // A ban also keeps them out of the community's chat: their sockets leave it now.
    state.realtime.recheck_user(banned);
    Ok(HttpResponse::NoContent().finish())
}

/// Moderators: the bans in force in a community.
#[utoipa::path(
    tag = "moderation",
    params(("id" = i64, Path, description = "Community id")),
    responses((status = 200, body = Vec<Ban>))
)]
#[get("/communities/{id}/bans")]
pub async fn list_bans(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let list = state
        .db
        .run(move |conn| super::moderation::bans(conn, &actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Moderators: lift a ban.
#[utoipa::path(
    tag = "moderation",
    params(("id" = i64, Path, description = "Community id"), ("user_id" = i64, Path, description = "Who was banned")),
    responses((status = 204, description = "Lifted"))
)]
#[delete("/communities/{id}/bans/{user_id}")]
pub async fn unban_user(
    state: web::Data<AppState>,
    actor: Actor,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (id, user) = path.into_inner();
    let id = parse_id(&id, "id")?;
    let user = parse_id(&user, "user_id")?;
    let now = Utc::now().naive_utc();
    state
        .db
        .run(move |conn| super::moderation::unban(conn, &actor, id, user, now))
        .await?;
    state.realtime.recheck_user(user);
    Ok(HttpResponse::NoContent().finish())
}

/// A community's public moderation log.
#[utoipa::path(tag = "moderation", params(("id" = i64, Path, description = "Community id")), responses((status = 200, body = Vec<ModerationLogEntry>)))]
#[get("/communities/{id}/moderation-log")]
pub async fn moderation_log(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let list = state
        .db
        .run(move |conn| super::moderation::log(conn, &actor, id))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// How many people an audience reaches in a community, before publishing (no names).
#[utoipa::path(
    tag = "communities",
    params(("id" = i64, Path, description = "Community id")),
    request_body = cortile_shared::profile::Audience,
    responses(
        (status = 200, body = cortile_shared::profile::Reach),
        (status = 403, description = "May not address announcements here", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/communities/{id}/reach")]
pub async fn reach(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
    body: web::Json<cortile_shared::profile::Audience>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let audience = body.into_inner();
    let today = Utc::now().date_naive();
    let r = state
        .db
        .run(move |conn| super::reach(conn, &actor, id, &audience, today))
        .await?;
    Ok(HttpResponse::Ok().json(r))
}
