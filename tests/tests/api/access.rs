//! The authorization matrix: every documented route × every role, against someone else's
//! objects (a household in another estate than the scoped roles', another person's session,
//! a correction proposed by someone else), on both databases. A route missing from the table
//! fails the test, so no route escapes it.

use std::collections::BTreeSet;

use cortile::db::schema::{buildings, household_members, households, persons, units};
use cortile_shared::tenancy::{ChangeRequest, PersonHit};
use cortile_tests::{json_of, people_test, Session, TestApp};
use diesel::prelude::*;
use reqwest::Method;
use serde_json::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum R {
    Anon,
    Resident,
    Applicant,
    Committee,
    Custodian,
    BuildingAdmin,
    SocialWorker,
    Operator,
    Staff,
    Moderator,
    Admin,
}

const ROLES: [(R, &str); 11] = [
    (R::Anon, ""),
    (R::Resident, "inquilino"),
    (R::Applicant, "richiedente"),
    (R::Committee, "comitato"),
    (R::Custodian, "custode"),
    (R::BuildingAdmin, "amministratore"),
    (R::SocialWorker, "assistente"),
    (R::Operator, "operatore"),
    (R::Staff, "staff"),
    (R::Moderator, "moderatore"),
    (R::Admin, "admin"),
];

/// Someone else's objects, outside every scoped role's estate.
struct Foreign {
    household: i64,
    surname: String,
    user: i64,
    session: i64,
    change_request: i64,
    /// A person who is not a member of the foreign household.
    non_member: i64,
    estate: i64,
    building: i64,
    /// The other estate's community, and a post in it by its resident.
    community: i64,
    post: i64,
    /// A comment on that post, and the notification it gave the post's author.
    comment: i64,
    notification: i64,
    /// The URL of an image of that post.
    image: String,
    /// The other estate's chat room, a message its resident sent there, their help room.
    room: i64,
    message: i64,
    help_room: i64,
}

async fn arrange(app: &TestApp) -> Foreign {
    let committee = app.login("comitato").await;
    let home_estate = committee.me.grants[0].scope.id().expect("an estate");
    let mut conn = app.connect();
    let (household, estate, building): (i64, i64, i64) = households::table
        .inner_join(units::table.inner_join(buildings::table))
        .filter(buildings::estate_id.ne(home_estate))
        .filter(households::contract_status.eq("active"))
        .order(households::id)
        .select((households::id, buildings::estate_id, buildings::id))
        .first(&mut conn)
        .expect("a household in another estate");
    let (person, code, surname): (i64, String, String) = household_members::table
        .inner_join(persons::table)
        .filter(household_members::household_id.eq(household))
        .filter(household_members::ended_at.is_null())
        .select((persons::id, persons::fiscal_code, persons::surname))
        .first(&mut conn)
        .expect("a member");
    let non_member: i64 = household_members::table
        .filter(household_members::household_id.ne(household))
        .select(household_members::person_id)
        .first(&mut conn)
        .expect("someone else");
    let user = cortile::auth::account::create_account(
        &mut conn,
        &cortile::auth::account::AccountSpec {
            username: "vicino".into(),
            display_name: Some(format!("Vicino {surname}")),
            role: "resident".into(),
            scope: None,
            fiscal_code: Some(code),
            password: cortile_tests::DEMO_PASSWORD.into(),
        },
        chrono::Utc::now().naive_utc(),
    )
    .expect("a resident of the other estate");
    let neighbour = app.login("vicino").await;
    let staff = app.login("staff").await;
    let community: i64 = cortile::db::schema::communities::table
        .filter(cortile::db::schema::communities::name_key.eq(format!("estate:{estate}")))
        .select(cortile::db::schema::communities::id)
        .first(&mut conn)
        .expect("the other estate's community");
    let photo: cortile_shared::upload::Upload = json_of(
        neighbour
            .upload("image/jpeg", cortile_tests::images::jpeg(32, 24))
            .await,
        201,
        "upload",
    )
    .await;
    let post: cortile_shared::community::Post = json_of(
        neighbour
            .post(
                &format!("/api/v1/communities/{community}/posts"),
                json!({"title": "Ascensore fermo", "body": "Da ieri, scala C.",
                       "images": [{"upload": photo.id, "alt": "La pulsantiera spenta"}]}),
            )
            .await,
        201,
        "post",
    )
    .await;
    let admin = app.login("admin").await;
    let cr: ChangeRequest = json_of(
        admin
            .post(
                "/api/v1/registry/change-requests",
                json!({"household_id": household, "person_id": person, "kind": "member_left",
                       "reason": "proposed by the administrator"}),
            )
            .await,
        201,
        "propose",
    )
    .await;
    let comment: cortile_shared::community::Comment = json_of(
        staff
            .post(
                &format!("/api/v1/posts/{}/comments", post.id),
                json!({"body": "Chiamo il tecnico."}),
            )
            .await,
        201,
        "comment",
    )
    .await;
    let room =
        cortile::chat::room_of_community(&mut conn, community, chrono::Utc::now().naive_utc())
            .expect("the room")
            .expect("a room");
    let mut ws = neighbour.ws().await;
    let message = match ws
        .say(
            cortile_shared::realtime::RoomId(room),
            "matrix",
            "Ci vediamo in cortile",
        )
        .await
    {
        cortile_shared::realtime::ServerMsg::Ack { message, .. } => message.0,
        other => panic!("not sent: {other:?}"),
    };
    ws.close().await;
    let help: cortile_shared::realtime::Room = json_of(
        neighbour.post("/api/v1/chat/help", json!({})).await,
        200,
        "help",
    )
    .await;
    let notification: i64 = cortile::db::schema::notifications::table
        .filter(cortile::db::schema::notifications::user_id.eq(user))
        .select(cortile::db::schema::notifications::id)
        .first(&mut conn)
        .expect("the author was told of the comment");
    Foreign {
        household,
        surname,
        user,
        session: neighbour.me.session.0,
        change_request: cr.id.0,
        non_member,
        estate,
        building,
        community,
        post: post.id.0,
        comment: comment.id.0,
        notification,
        image: photo.url,
        room,
        message,
        help_room: help.id.0,
    }
}

struct Case {
    method: Method,
    /// The route as the OpenAPI document names it.
    route: &'static str,
    path: String,
    body: Option<serde_json::Value>,
    expect: fn(R) -> u16,
}

fn public(_: R) -> u16 {
    200
}

fn signed(ok: u16) -> impl Fn(R) -> u16 {
    move |r| if r == R::Anon { 401 } else { ok }
}

/// Who reads another estate's community: the roles that serve every estate.
fn reader(r: R) -> u16 {
    use R::*;
    match r {
        Anon => 401,
        SocialWorker | Operator | Staff | Moderator | Admin => 200,
        _ => 404,
    }
}

/// Who moderates another estate's community: global moderators get `ok`, the other readers
/// 403, everyone else 404.
fn moderator(ok: u16) -> fn(R) -> u16 {
    match ok {
        422 => |r| match r {
            R::Staff | R::Admin | R::Moderator => 422,
            other => match reader(other) {
                200 => 403,
                x => x,
            },
        },
        200 => |r| match r {
            R::Staff | R::Admin | R::Moderator => 200,
            other => match reader(other) {
                200 => 403,
                x => x,
            },
        },
        _ => |r| match r {
            R::Staff | R::Admin | R::Moderator => 404,
            other => match reader(other) {
                200 => 403,
                x => x,
            },
        },
    }
}

fn cases(f: &Foreign) -> Vec<Case> {
    use R::*;
    let c = |method: Method,
             route: &'static str,
             path: String,
             body: Option<serde_json::Value>,
             expect: fn(R) -> u16| Case {
        method,
        route,
        path,
        body,
        expect,
    };
    vec![
        c(
            Method::GET,
            "/api/v1/estates",
            "/api/v1/estates".into(),
            None,
            public,
        ),
        c(
            Method::GET,
            "/api/v1/estates/{id}",
            format!("/api/v1/estates/{}", f.estate),
            None,
            public,
        ),
        c(
            Method::GET,
            "/api/v1/buildings/{id}",
            format!("/api/v1/buildings/{}", f.building),
            None,
            public,
        ),
        c(
            Method::GET,
            "/api/v1/map/estates",
            "/api/v1/map/estates".into(),
            None,
            public,
        ),
        c(
            Method::GET,
            "/api/v1/meta",
            "/api/v1/meta".into(),
            None,
            public,
        ),
        c(
            Method::GET,
            "/api/v1/auth/options",
            "/api/v1/auth/options".into(),
            None,
            public,
        ),
        c(
            Method::POST,
            "/api/v1/auth/login",
            "/api/v1/auth/login".into(),
            Some(json!({"username": "nobody", "password": "wrong password"})),
            |_| 401,
        ),
        c(Method::GET, "/api/v1/me", "/api/v1/me".into(), None, |r| {
            signed(200)(r)
        }),
        c(
            Method::GET,
            "/api/v1/me/sessions",
            "/api/v1/me/sessions".into(),
            None,
            |r| signed(200)(r),
        ),
        c(
            Method::DELETE,
            "/api/v1/me/sessions/{id}",
            format!("/api/v1/me/sessions/{}", f.session),
            None,
            |r| signed(404)(r),
        ),
        c(
            Method::DELETE,
            "/api/v1/me/sessions",
            "/api/v1/me/sessions".into(),
            None,
            |r| signed(204)(r),
        ),
        c(
            Method::GET,
            "/api/v1/me/export",
            "/api/v1/me/export".into(),
            None,
            |r| signed(200)(r),
        ),
        c(
            Method::DELETE,
            "/api/v1/me",
            "/api/v1/me".into(),
            Some(json!({"confirm": "no"})),
            |r| signed(422)(r),
        ),
        c(
            Method::GET,
            "/api/v1/me/applications",
            "/api/v1/me/applications".into(),
            None,
            |r| signed(200)(r),
        ),
        c(
            Method::GET,
            "/api/v1/assist/candidates",
            format!("/api/v1/assist/candidates?q={}", f.surname),
            None,
            |r| match r {
                Anon => 401,
                Operator | Staff => 200,
                _ => 403,
            },
        ),
        c(
            Method::POST,
            "/api/v1/assist",
            "/api/v1/assist".into(),
            Some(json!({"user_id": f.user, "purpose": "authorization matrix"})),
            |r| match r {
                Anon => 401,
                Operator | Staff => 200,
                _ => 403,
            },
        ),
        c(
            Method::DELETE,
            "/api/v1/assist",
            "/api/v1/assist".into(),
            None,
            |r| match r {
                Anon => 401,
                Operator | Staff => 200,
                _ => 409,
            },
        ),
        c(
            Method::GET,
            "/api/v1/registry/search",
            format!("/api/v1/registry/search?q={}", f.surname),
            None,
            |r| match r {
                Anon => 401,
                Committee | Custodian | BuildingAdmin | Operator | Staff | Admin => 200,
                _ => 403,
            },
        ),
        c(
            Method::GET,
            "/api/v1/registry/households/{id}",
            format!(
                "/api/v1/registry/households/{}?purpose=authorization%20matrix",
                f.household
            ),
            None,
            |r| match r {
                Anon => 401,
                Operator | Staff | Admin => 200,
                _ => 404,
            },
        ),
        c(
            Method::GET,
            "/api/v1/registry/change-requests",
            "/api/v1/registry/change-requests".into(),
            None,
            |r| signed(200)(r),
        ),
        c(
            Method::POST,
            "/api/v1/registry/change-requests",
            "/api/v1/registry/change-requests".into(),
            Some(
                json!({"household_id": f.household, "person_id": f.non_member, "kind": "member_left",
                      "reason": "authorization matrix"}),
            ),
            |r| match r {
                Anon => 401,
                Staff | Admin => 422,
                _ => 404,
            },
        ),
        c(
            Method::POST,
            "/api/v1/registry/change-requests/{id}/decision",
            format!(
                "/api/v1/registry/change-requests/{}/decision",
                f.change_request
            ),
            Some(json!({"approve": false, "note": ""})),
            |r| match r {
                Anon => 401,
                Staff => 422,
                Admin => 403,
                _ => 404,
            },
        ),
        c(
            Method::GET,
            "/api/v1/audit",
            "/api/v1/audit".into(),
            None,
            |r| match r {
                Anon => 401,
                Admin => 200,
                _ => 403,
            },
        ),
        c(
            Method::GET,
            "/api/v1/registry/imports",
            "/api/v1/registry/imports".into(),
            None,
            |r| match r {
                Anon => 401,
                Staff | Admin => 200,
                _ => 403,
            },
        ),
        c(
            Method::POST,
            "/api/v1/registry/imports",
            "/api/v1/registry/imports".into(),
            None,
            |r| match r {
                Anon => 401,
                Staff | Admin => 422,
                _ => 403,
            },
        ),
        // OpenID Connect is not configured in this test: nobody can start it.
        c(
            Method::GET,
            "/api/v1/auth/oidc/start",
            "/api/v1/auth/oidc/start".into(),
            None,
            |_| 404,
        ),
        c(
            Method::GET,
            "/api/v1/auth/oidc/callback",
            "/api/v1/auth/oidc/callback?code=x&state=y".into(),
            None,
            |_| 404,
        ),
        // Communities: the other estate's community and a post in it. Roles serving everyone
        // read and post there; scoped roles and residents of elsewhere do not see it.
        c(
            Method::GET,
            "/api/v1/communities",
            "/api/v1/communities".into(),
            None,
            |r| signed(200)(r),
        ),
        c(
            Method::POST,
            "/api/v1/communities",
            "/api/v1/communities".into(),
            Some(json!({"name": "", "join_policy": "open"})),
            |r| match r {
                Anon => 401,
                Resident | Committee | SocialWorker | Staff | Admin => 422,
                _ => 403,
            },
        ),
        c(
            Method::GET,
            "/api/v1/communities/{id}",
            format!("/api/v1/communities/{}", f.community),
            None,
            reader,
        ),
        c(
            Method::GET,
            "/api/v1/communities/{id}/members",
            format!("/api/v1/communities/{}/members", f.community),
            None,
            reader,
        ),
        c(
            Method::POST,
            "/api/v1/communities/{id}/join",
            format!("/api/v1/communities/{}/join", f.community),
            None,
            |r| match reader(r) {
                200 => 403,
                other => other,
            },
        ),
        c(
            Method::POST,
            "/api/v1/communities/{id}/leave",
            format!("/api/v1/communities/{}/leave", f.community),
            None,
            |r| match reader(r) {
                200 => 409,
                other => other,
            },
        ),
        c(
            Method::POST,
            "/api/v1/communities/{id}/members/{user_id}/approve",
            format!(
                "/api/v1/communities/{}/members/{}/approve",
                f.community, f.user
            ),
            None,
            |r| match r {
                Anon => 401,
                SocialWorker | Operator => 403,
                _ => 404,
            },
        ),
        c(
            Method::GET,
            "/api/v1/communities/{id}/posts",
            format!("/api/v1/communities/{}/posts", f.community),
            None,
            reader,
        ),
        c(
            Method::POST,
            "/api/v1/communities/{id}/posts",
            format!("/api/v1/communities/{}/posts", f.community),
            Some(json!({"title": "", "body": ""})),
            |r| match reader(r) {
                200 => 422,
                other => other,
            },
        ),
        c(
            Method::GET,
            "/api/v1/posts/{id}",
            format!("/api/v1/posts/{}", f.post),
            None,
            reader,
        ),
        c(
            Method::PUT,
            "/api/v1/posts/{id}",
            format!("/api/v1/posts/{}", f.post),
            Some(json!({"title": "Cambiato", "body": "da altri"})),
            |r| match reader(r) {
                200 => 403,
                other => other,
            },
        ),
        c(
            Method::GET,
            "/api/v1/posts/{id}/history",
            format!("/api/v1/posts/{}/history", f.post),
            None,
            reader,
        ),
        c(
            Method::POST,
            "/api/v1/posts/{id}/comments",
            format!("/api/v1/posts/{}/comments", f.post),
            Some(json!({"body": ""})),
            |r| match reader(r) {
                200 => 422,
                other => other,
            },
        ),
        c(
            Method::PUT,
            "/api/v1/posts/{id}/reactions/{kind}",
            format!("/api/v1/posts/{}/reactions/like", f.post),
            None,
            reader,
        ),
        c(
            Method::DELETE,
            "/api/v1/posts/{id}/reactions/{kind}",
            format!("/api/v1/posts/{}/reactions/like", f.post),
            None,
            reader,
        ),
        c(
            Method::GET,
            "/api/v1/feed",
            "/api/v1/feed".into(),
            None,
            |r| signed(200)(r),
        ),
        // Moderation of the other estate's community: the roles that serve everyone read and
        // flag; only global moderators (staff, admin, moderator) act.
        c(
            Method::POST,
            "/api/v1/posts/{id}/flags",
            format!("/api/v1/posts/{}/flags", f.post),
            Some(json!({"reason": "spam"})),
            |r| match reader(r) {
                200 => 201,
                other => other,
            },
        ),
        c(
            Method::POST,
            "/api/v1/comments/{id}/flags",
            format!("/api/v1/comments/{}/flags", f.comment),
            Some(json!({"reason": "offensive"})),
            |r| match reader(r) {
                200 => 201,
                other => other,
            },
        ),
        c(
            Method::GET,
            "/api/v1/moderation/queue",
            "/api/v1/moderation/queue".into(),
            None,
            |r| signed(200)(r),
        ),
        c(
            Method::POST,
            "/api/v1/posts/{id}/moderation",
            format!("/api/v1/posts/{}/moderation", f.post),
            Some(json!({"action": "hide", "reason": ""})),
            moderator(422),
        ),
        c(
            Method::POST,
            "/api/v1/comments/{id}/moderation",
            format!("/api/v1/comments/{}/moderation", f.comment),
            Some(json!({"action": "hide", "reason": ""})),
            moderator(422),
        ),
        c(
            Method::GET,
            "/api/v1/communities/{id}/bans",
            format!("/api/v1/communities/{}/bans", f.community),
            None,
            moderator(200),
        ),
        c(
            Method::POST,
            "/api/v1/communities/{id}/bans",
            format!("/api/v1/communities/{}/bans", f.community),
            Some(json!({"user_id": f.user, "reason": ""})),
            moderator(422),
        ),
        c(
            Method::DELETE,
            "/api/v1/communities/{id}/bans/{user_id}",
            format!("/api/v1/communities/{}/bans/{}", f.community, f.user),
            None,
            moderator(404),
        ),
        c(
            Method::GET,
            "/api/v1/communities/{id}/moderation-log",
            format!("/api/v1/communities/{}/moderation-log", f.community),
            None,
            reader,
        ),
        // Notifications: mine only; someone else's is not found.
        c(
            Method::GET,
            "/api/v1/notifications",
            "/api/v1/notifications".into(),
            None,
            |r| signed(200)(r),
        ),
        c(
            Method::GET,
            "/api/v1/notifications/unread",
            "/api/v1/notifications/unread".into(),
            None,
            |r| signed(200)(r),
        ),
        c(
            Method::POST,
            "/api/v1/notifications/read",
            "/api/v1/notifications/read".into(),
            None,
            |r| signed(204)(r),
        ),
        c(
            Method::POST,
            "/api/v1/notifications/{id}/read",
            format!("/api/v1/notifications/{}/read", f.notification),
            None,
            |r| signed(404)(r),
        ),
        c(
            Method::GET,
            "/api/v1/me/profile",
            "/api/v1/me/profile".into(),
            None,
            |r| signed(200)(r),
        ),
        c(
            Method::PUT,
            "/api/v1/me/profile",
            "/api/v1/me/profile".into(),
            Some(json!({"interests": ["gardening"], "languages": ["it"]})),
            |r| signed(200)(r),
        ),
        c(
            Method::POST,
            "/api/v1/communities/{id}/reach",
            format!("/api/v1/communities/{}/reach", f.community),
            Some(json!({})),
            |r| match r {
                R::Anon => 401,
                R::SocialWorker | R::Staff | R::Admin | R::Moderator => 200,
                R::Operator => 403,
                _ => 404,
            },
        ),
        c(
            Method::GET,
            "/api/v1/me/notification-settings",
            "/api/v1/me/notification-settings".into(),
            None,
            |r| signed(200)(r),
        ),
        c(
            Method::PUT,
            "/api/v1/me/notification-settings",
            "/api/v1/me/notification-settings".into(),
            Some(json!({"email_consent": false})),
            |r| signed(200)(r),
        ),
        // Uploads: anyone signed in uploads (an empty body is no image); an image of the other
        // estate's post is seen by whoever reads the post; nobody deletes someone else's.
        c(
            Method::POST,
            "/api/v1/uploads",
            "/api/v1/uploads".into(),
            None,
            |r| signed(415)(r),
        ),
        c(
            Method::GET,
            "/api/v1/uploads/{token}",
            f.image.clone(),
            None,
            reader,
        ),
        c(
            Method::DELETE,
            "/api/v1/uploads/{token}",
            f.image.clone(),
            None,
            |r| signed(404)(r),
        ),
        // Chat. The socket refuses a request without the site's Origin before anything else.
        c(Method::GET, "/api/v1/ws", "/api/v1/ws".into(), None, |_| {
            403
        }),
        c(
            Method::GET,
            "/api/v1/chat/rooms",
            "/api/v1/chat/rooms".into(),
            None,
            |r| signed(200)(r),
        ),
        c(
            Method::POST,
            "/api/v1/chat/rooms",
            "/api/v1/chat/rooms".into(),
            Some(json!({"name": ""})),
            |r| signed(422)(r),
        ),
        // The other estate's room: its community's readers read it.
        c(
            Method::GET,
            "/api/v1/chat/rooms/{id}",
            format!("/api/v1/chat/rooms/{}", f.room),
            None,
            reader,
        ),
        c(
            Method::GET,
            "/api/v1/chat/rooms/{id}/messages",
            format!("/api/v1/chat/rooms/{}/messages", f.room),
            None,
            reader,
        ),
        // The first global moderator deletes the message; those after find it deleted.
        c(
            Method::DELETE,
            "/api/v1/chat/rooms/{id}/messages/{message_id}",
            format!("/api/v1/chat/rooms/{}/messages/{}", f.room, f.message),
            None,
            |r| match r {
                R::Staff => 204,
                R::Moderator | R::Admin => 409,
                other => match reader(other) {
                    200 => 403,
                    x => x,
                },
            },
        ),
        c(
            Method::POST,
            "/api/v1/chat/rooms/{id}/mutes",
            format!("/api/v1/chat/rooms/{}/mutes", f.room),
            Some(json!({"user_id": f.user, "minutes": 0})),
            moderator(422),
        ),
        c(
            Method::POST,
            "/api/v1/chat/rooms/{id}/removals",
            format!("/api/v1/chat/rooms/{}/removals", f.room),
            Some(json!({"user_id": i64::MAX})),
            moderator(422),
        ),
        c(
            Method::POST,
            "/api/v1/chat/direct",
            "/api/v1/chat/direct".into(),
            Some(json!({"user_id": f.user})),
            |r| signed(200)(r),
        ),
        c(
            Method::GET,
            "/api/v1/chat/blocks",
            "/api/v1/chat/blocks".into(),
            None,
            |r| signed(200)(r),
        ),
        c(
            Method::PUT,
            "/api/v1/chat/blocks/{user_id}",
            format!("/api/v1/chat/blocks/{}", f.user),
            None,
            |r| signed(204)(r),
        ),
        c(
            Method::DELETE,
            "/api/v1/chat/blocks/{user_id}",
            format!("/api/v1/chat/blocks/{}", f.user),
            None,
            |r| signed(204)(r),
        ),
        c(
            Method::POST,
            "/api/v1/chat/help",
            "/api/v1/chat/help".into(),
            None,
            |r| signed(200)(r),
        ),
        c(
            Method::GET,
            "/api/v1/chat/help",
            "/api/v1/chat/help".into(),
            None,
            |r| match r {
                Anon => 401,
                Operator | Staff => 200,
                _ => 403,
            },
        ),
        // The other estate's resident asked for help: the operator takes it, staff is late.
        c(
            Method::POST,
            "/api/v1/chat/help/{id}/take",
            format!("/api/v1/chat/help/{}/take", f.help_room),
            None,
            |r| match r {
                Anon => 401,
                Operator => 200,
                Staff => 409,
                _ => 403,
            },
        ),
        // Last: it ends the session.
        c(
            Method::POST,
            "/api/v1/auth/logout",
            "/api/v1/auth/logout".into(),
            None,
            |_| 204,
        ),
    ]
}

/// Routes outside `/api/v1` or without an object, answered the same to everyone.
const SERVICE_ROUTES: [&str; 3] = ["/api/openapi.json", "/healthz", "/readyz"];

people_test!(
    async fn every_route_every_role_someone_elses_object(app) {
        let foreign = arrange(app).await;
        let table = cases(&foreign);

        // Every documented route is in the table.
        let doc: serde_json::Value = app.get_json("/api/openapi.json").await;
        let documented: BTreeSet<(String, String)> = doc["paths"]
            .as_object()
            .expect("paths")
            .iter()
            .filter(|(path, _)| !SERVICE_ROUTES.contains(&path.as_str()))
            .flat_map(|(path, item)| {
                item.as_object()
                    .expect("item")
                    .keys()
                    .map(|m| (m.to_uppercase(), path.clone()))
                    .collect::<Vec<_>>()
            })
            .collect();
        let covered: BTreeSet<(String, String)> = table
            .iter()
            .map(|c| (c.method.to_string(), c.route.to_owned()))
            .collect();
        assert_eq!(documented, covered, "the matrix covers exactly the documented routes");

        let mut failures = Vec::new();
        for (role, username) in ROLES {
            let session: Session = if username.is_empty() {
                app.anonymous()
            } else {
                app.login(username).await
            };
            for case in &table {
                // A failed login counts against its username: one username per role.
                let body = if case.route == "/api/v1/auth/login" {
                    Some(json!({"username": format!("nobody-{role:?}"), "password": "wrong password"}))
                } else {
                    case.body.clone()
                };
                let res = session.send(case.method.clone(), &case.path, body).await;
                let got = res.status().as_u16();
                let want = (case.expect)(role);
                let body = res.text().await.unwrap_or_default();
                if got != want {
                    failures.push(format!(
                        "{role:?} {} {}: {got}, expected {want}: {}",
                        case.method,
                        case.path,
                        body.chars().take(200).collect::<String>()
                    ));
                    continue;
                }
                // Denials say nothing about the object.
                if got == 404 {
                    assert!(!body.contains(&foreign.surname), "{role:?} {}: leaked", case.path);
                }
                // Lists and searches only show what the role may see.
                if got == 200 && case.route == "/api/v1/registry/search" {
                    let hits: Vec<PersonHit> = serde_json::from_str(&body).expect("hits");
                    let sees = hits.iter().any(|h| h.household_id.map(|h| h.0) == Some(foreign.household));
                    let global = matches!(role, R::Operator | R::Staff | R::Admin);
                    assert_eq!(sees, global, "{role:?} search reaches the other estate: {sees}");
                    if role == R::Committee {
                        assert!(hits.iter().all(|h| h.fiscal_code.is_none()), "committees see names only");
                    }
                }
                if got == 200 && case.route == "/api/v1/feed" {
                    let page: cortile_shared::Page<cortile_shared::community::Post> =
                        serde_json::from_str(&body).expect("feed");
                    assert!(
                        page.items.iter().all(|p| p.id.0 != foreign.post),
                        "{role:?}'s feed has another estate's post"
                    );
                }
                if got == 200 && case.route == "/api/v1/registry/change-requests" {
                    let list: Vec<ChangeRequest> = serde_json::from_str(&body).expect("list");
                    let sees = list.iter().any(|c| c.id.0 == foreign.change_request);
                    let deciders = matches!(role, R::Staff | R::Admin);
                    assert_eq!(sees, deciders, "{role:?} sees the other estate's correction: {sees}");
                }
            }
        }
        assert!(failures.is_empty(), "{} denials or grants differ:\n{}", failures.len(), failures.join("\n"));
    }
);
