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
    /// A time bank transfer by the other estate's resident.
    transfer: i64,
    /// The other estate's chat room, a message its resident sent there, their help room.
    room: i64,
    message: i64,
    help_room: i64,
    /// A group room of the other estate's two residents.
    group: i64,
    /// The other estate's resident's listing (for their estate), an exchange on it with a
    /// neighbour of theirs, and their organisation (verified).
    listing: i64,
    exchange: i64,
    organisation: i64,
    /// The URL of an image of that post.
    image: String,
    /// A maintenance report by the other estate's resident, about their building.
    report: i64,
    /// Works announced by staff in that building.
    works: i64,
    /// That building's point (inside the other estate).
    point: (f64, f64),
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
    let report: cortile_shared::maintenance::Report = json_of(
        neighbour
            .post(
                "/api/v1/maintenance/reports",
                json!({"category": "lift", "place": "building", "building_id": building,
                       "description": "L'ascensore è fermo al piano terra."}),
            )
            .await,
        201,
        "report",
    )
    .await;
    let works: cortile_shared::maintenance::Works = json_of(
        staff
            .post(
                "/api/v1/maintenance/works",
                json!({"title": "Rifacimento del tetto", "description": "Ponteggi sul lato cortile.",
                       "building_ids": [building], "starts_on": "2026-01-10", "ends_on": "2026-02-10",
                       "disruptions": ["cortile chiuso"]}),
            )
            .await,
        201,
        "works",
    )
    .await;
    let payee = cortile_tests::ledger::residents_with_sessions(&mut conn, 1);
    let transfer: cortile_shared::timebank::Transfer = json_of(
        neighbour
            .post_keyed(
                "/api/v1/timebank/transfers",
                "matrix-arrange",
                json!({"to": payee[0].user_id, "minutes": 10, "memo": "spesa"}),
            )
            .await,
        201,
        "transfer",
    )
    .await;
    // The marketplace: a listing for the other estate, an exchange on it between two of its
    // residents, and an organisation.
    let other_code: String = household_members::table
        .inner_join(persons::table)
        .inner_join(households::table.inner_join(units::table.inner_join(buildings::table)))
        .filter(buildings::estate_id.eq(estate))
        .filter(household_members::ended_at.is_null())
        .filter(households::contract_status.eq("active"))
        .filter(household_members::household_id.ne(household))
        .select(persons::fiscal_code)
        .first(&mut conn)
        .expect("another resident of the other estate");
    cortile::auth::account::create_account(
        &mut conn,
        &cortile::auth::account::AccountSpec {
            username: "vicino2".into(),
            display_name: Some("Secondo Vicino".into()),
            role: "resident".into(),
            scope: None,
            fiscal_code: Some(other_code),
            password: cortile_tests::DEMO_PASSWORD.into(),
        },
        chrono::Utc::now().naive_utc(),
    )
    .expect("a second resident of the other estate");
    let neighbour2 = app.login("vicino2").await;
    let group: cortile_shared::realtime::Room = json_of(
        neighbour
            .post(
                "/api/v1/chat/rooms",
                json!({"name": "Scala C", "members": [neighbour2.me.id]}),
            )
            .await,
        201,
        "group",
    )
    .await;
    let listing: cortile_shared::market::Listing = json_of(
        neighbour
            .post(
                "/api/v1/market/listings",
                json!({"kind": "offer", "category": "errands", "title": "Spesa per gli anziani",
                       "price_type": "hours", "price_amount": 30, "reach": "estate"}),
            )
            .await,
        201,
        "listing",
    )
    .await;
    let exchange: cortile_shared::market::Exchange = json_of(
        neighbour2
            .post(
                &format!("/api/v1/market/listings/{}/exchanges", listing.id),
                json!({"message": "Grazie!"}),
            )
            .await,
        201,
        "exchange",
    )
    .await;
    let organisation: cortile_shared::market::Organisation = json_of(
        neighbour
            .post(
                "/api/v1/market/organisations",
                json!({"name": "Bottega del quartiere", "kind": "shop"}),
            )
            .await,
        201,
        "organisation",
    )
    .await;
    json_of::<cortile_shared::market::Organisation>(
        staff
            .post(
                &format!(
                    "/api/v1/market/organisations/{}/verification",
                    organisation.id
                ),
                json!({}),
            )
            .await,
        200,
        "verify",
    )
    .await;
    let point: (f64, f64) = buildings::table
        .find(building)
        .select((buildings::lat, buildings::lon))
        .first(&mut app.connect())
        .expect("the building's point");
    Foreign {
        point,
        listing: listing.id.0,
        exchange: exchange.id.0,
        organisation: organisation.id.0,
        transfer: transfer.id.0,
        report: report.summary.id,
        works: works.id,
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
        group: group.id.0,
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

/// Who reads another estate's maintenance report: the manager's people serving every estate
/// get `ok`; anyone else signed in 404.
fn report_reader(r: R, ok: u16) -> u16 {
    match r {
        R::Anon => 401,
        R::Operator | R::Staff | R::Admin => ok,
        _ => 404,
    }
}

/// Who reads the reports of another estate's places (public places: 403 to the others).
fn place_reader(r: R) -> u16 {
    match r {
        R::Anon => 401,
        R::Operator | R::Staff | R::Admin => 200,
        _ => 403,
    }
}

/// Members of the time bank are residents; everyone else signed in is refused (403).
fn timebank_member(r: R) -> u16 {
    match r {
        R::Anon => 401,
        R::Resident => 200,
        _ => 403,
    }
}

/// Staff functions of the time bank: `ok` for staff and admins, 403 for other roles.
fn timebank_staff(ok: u16) -> impl Fn(R) -> u16 {
    move |r| match r {
        R::Anon => 401,
        R::Staff | R::Admin => ok,
        _ => 403,
    }
}

/// Who sees another estate's listing or exchange: staff and admins (mediators); everyone
/// else signed in is told it does not exist.
fn market_staff(ok: u16) -> impl Fn(R) -> u16 {
    move |r| match r {
        R::Anon => 401,
        R::Staff | R::Admin => ok,
        _ => 404,
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
        // Maintenance: a report about the other estate's building, by its resident. The roles
        // serving every estate on the manager's side (operator, staff, admin) read it; the
        // others do not see it (404), and see no place they may not report in (403).
        c(
            Method::GET,
            "/api/v1/maintenance/categories",
            "/api/v1/maintenance/categories".into(),
            None,
            public,
        ),
        c(
            Method::POST,
            "/api/v1/maintenance/reports",
            "/api/v1/maintenance/reports".into(),
            Some(
                json!({"category": "lift", "place": "building", "building_id": f.building,
                        "description": ""}),
            ),
            |r| match r {
                Anon => 401,
                Operator | Staff | Admin => 422,
                _ => 403,
            },
        ),
        c(
            Method::GET,
            "/api/v1/maintenance/reports/mine",
            "/api/v1/maintenance/reports/mine".into(),
            None,
            |r| signed(200)(r),
        ),
        c(
            Method::GET,
            "/api/v1/maintenance/reports/similar",
            format!(
                "/api/v1/maintenance/reports/similar?category=lift&building_id={}",
                f.building
            ),
            None,
            place_reader,
        ),
        c(
            Method::GET,
            "/api/v1/maintenance/reports/{id}",
            format!("/api/v1/maintenance/reports/{}", f.report),
            None,
            |r| report_reader(r, 200),
        ),
        c(
            Method::POST,
            "/api/v1/maintenance/reports/{id}/status",
            format!("/api/v1/maintenance/reports/{}/status", f.report),
            Some(json!({"to": "resolved"})),
            |r| match r {
                Staff | Admin => 409,
                Operator => 403,
                other => report_reader(other, 0),
            },
        ),
        c(
            Method::PUT,
            "/api/v1/maintenance/reports/{id}/support",
            format!("/api/v1/maintenance/reports/{}/support", f.report),
            None,
            |r| report_reader(r, 403),
        ),
        c(
            Method::DELETE,
            "/api/v1/maintenance/reports/{id}/support",
            format!("/api/v1/maintenance/reports/{}/support", f.report),
            None,
            |r| report_reader(r, 403),
        ),
        c(
            Method::POST,
            "/api/v1/maintenance/reports/{id}/comments",
            format!("/api/v1/maintenance/reports/{}/comments", f.report),
            Some(json!({"body": ""})),
            |r| report_reader(r, 422),
        ),
        c(
            Method::POST,
            "/api/v1/maintenance/reports/{id}/assign",
            format!("/api/v1/maintenance/reports/{}/assign", f.report),
            Some(json!({"user_id": 1, "contractor": "Ditta Rossi"})),
            |r| report_reader(r, 422),
        ),
        c(
            Method::POST,
            "/api/v1/maintenance/reports/{id}/escalate",
            format!("/api/v1/maintenance/reports/{}/escalate", f.report),
            Some(json!({"level": "first_line"})),
            |r| report_reader(r, 409),
        ),
        c(
            Method::POST,
            "/api/v1/maintenance/reports/{id}/merge",
            format!("/api/v1/maintenance/reports/{}/merge", f.report),
            Some(json!({"into": f.report})),
            |r| match r {
                Staff | Admin => 422,
                Operator => 403,
                other => report_reader(other, 0),
            },
        ),
        c(
            Method::POST,
            "/api/v1/maintenance/reports/{id}/rating",
            format!("/api/v1/maintenance/reports/{}/rating", f.report),
            Some(json!({"rating": 9})),
            |r| report_reader(r, 403),
        ),
        c(
            Method::GET,
            "/api/v1/maintenance/buildings/{id}/reports",
            format!("/api/v1/maintenance/buildings/{}/reports", f.building),
            None,
            place_reader,
        ),
        c(
            Method::GET,
            "/api/v1/maintenance/estates/{id}/map",
            format!("/api/v1/maintenance/estates/{}/map", f.estate),
            None,
            place_reader,
        ),
        c(
            Method::GET,
            "/api/v1/maintenance/estates/{id}/board",
            format!("/api/v1/maintenance/estates/{}/board", f.estate),
            None,
            |r| match r {
                Anon => 401,
                Staff | Admin => 200,
                _ => 403,
            },
        ),
        c(
            Method::GET,
            "/api/v1/maintenance/estates/{id}/board.csv",
            format!("/api/v1/maintenance/estates/{}/board.csv", f.estate),
            None,
            |r| match r {
                Anon => 401,
                Staff | Admin => 200,
                _ => 403,
            },
        ),
        c(
            Method::GET,
            "/api/v1/maintenance/queue",
            "/api/v1/maintenance/queue".into(),
            None,
            |r| match r {
                Anon => 401,
                Custodian | BuildingAdmin | Operator | Staff | Admin => 200,
                _ => 403,
            },
        ),
        c(
            Method::GET,
            "/api/v1/maintenance/assignees",
            "/api/v1/maintenance/assignees".into(),
            None,
            |r| match r {
                Anon => 401,
                Custodian | BuildingAdmin | Operator | Staff | Admin => 200,
                _ => 403,
            },
        ),
        c(
            Method::GET,
            "/api/v1/maintenance/estate-at",
            format!(
                "/api/v1/maintenance/estate-at?lat={}&lon={}",
                f.point.0, f.point.1
            ),
            None,
            place_reader,
        ),
        c(
            Method::POST,
            "/api/v1/maintenance/queue/status",
            "/api/v1/maintenance/queue/status".into(),
            Some(json!({"ids": [], "to": "acknowledged"})),
            |r| match r {
                Anon => 401,
                Custodian | BuildingAdmin | Operator | Staff | Admin => 422,
                _ => 403,
            },
        ),
        c(
            Method::POST,
            "/api/v1/maintenance/works",
            "/api/v1/maintenance/works".into(),
            Some(
                json!({"title": "", "description": "", "building_ids": [f.building],
                        "starts_on": "2026-01-10", "ends_on": "2026-02-10"}),
            ),
            |r| match r {
                Anon => 401,
                Staff | Admin => 422,
                _ => 403,
            },
        ),
        c(
            Method::GET,
            "/api/v1/maintenance/works",
            "/api/v1/maintenance/works".into(),
            None,
            |r| signed(200)(r),
        ),
        c(
            Method::GET,
            "/api/v1/maintenance/works/{id}",
            format!("/api/v1/maintenance/works/{}", f.works),
            None,
            |r| report_reader(r, 200),
        ),
        c(
            Method::POST,
            "/api/v1/maintenance/works/{id}/rating",
            format!("/api/v1/maintenance/works/{}/rating", f.works),
            Some(json!({"rating": 3})),
            |r| report_reader(r, 403),
        ),
        c(
            Method::POST,
            "/api/v1/timebank/transfers",
            "/api/v1/timebank/transfers".into(),
            Some(json!({"to": f.user, "minutes": 1, "memo": "matrice"})),
            |r| match r {
                Anon => 401,
                Resident => 201,
                _ => 403,
            },
        ),
        c(
            Method::GET,
            "/api/v1/timebank/transfers/{id}",
            format!("/api/v1/timebank/transfers/{}", f.transfer),
            None,
            |r| match r {
                Anon => 401,
                Staff | Admin => 200,
                _ => 404,
            },
        ),
        c(
            Method::POST,
            "/api/v1/timebank/transfers/{id}/reversal",
            format!("/api/v1/timebank/transfers/{}/reversal", f.transfer),
            Some(json!({"reason": "matrice"})),
            // Staff reverse it; the admin, after them, finds it reversed.
            |r| match r {
                Anon => 401,
                Staff => 201,
                Admin => 409,
                _ => 403,
            },
        ),
        c(
            Method::GET,
            "/api/v1/timebank/accounts/me",
            "/api/v1/timebank/accounts/me".into(),
            None,
            timebank_member,
        ),
        c(
            Method::GET,
            "/api/v1/timebank/accounts/me/statement",
            "/api/v1/timebank/accounts/me/statement".into(),
            None,
            timebank_member,
        ),
        c(
            Method::GET,
            "/api/v1/timebank/accounts/me/statement.csv",
            "/api/v1/timebank/accounts/me/statement.csv".into(),
            None,
            timebank_member,
        ),
        c(
            Method::POST,
            "/api/v1/timebank/accounts/{user_id}/adjustments",
            format!("/api/v1/timebank/accounts/{}/adjustments", f.user),
            Some(json!({"minutes": 5, "reason": "matrice"})),
            |r| timebank_staff(201)(r),
        ),
        c(
            Method::PUT,
            "/api/v1/timebank/banks/{id}/credit-limit",
            "/api/v1/timebank/banks/1/credit-limit".into(),
            Some(json!({"credit_limit_minutes": -600})),
            |r| timebank_staff(200)(r),
        ),
        // The marketplace: another estate's listing (for its estate) and an exchange between
        // two of its residents. Staff mediate and see them (but are no party); everyone else
        // signed in gets 404.
        c(
            Method::GET,
            "/api/v1/market/listings",
            "/api/v1/market/listings".into(),
            None,
            |r| signed(200)(r),
        ),
        c(
            Method::POST,
            "/api/v1/market/listings",
            "/api/v1/market/listings".into(),
            Some(
                json!({"kind": "offer", "category": "errands", "title": "", "price_type": "free", "reach": "city"}),
            ),
            |r| match r {
                Anon => 401,
                Resident => 422,
                _ => 403,
            },
        ),
        c(
            Method::GET,
            "/api/v1/market/listings/{id}",
            format!("/api/v1/market/listings/{}", f.listing),
            None,
            |r| market_staff(200)(r),
        ),
        c(
            Method::PUT,
            "/api/v1/market/listings/{id}",
            format!("/api/v1/market/listings/{}", f.listing),
            Some(
                json!({"kind": "offer", "category": "errands", "title": "Presa", "price_type": "free", "reach": "city"}),
            ),
            |r| market_staff(403)(r),
        ),
        c(
            Method::DELETE,
            "/api/v1/market/listings/{id}",
            format!("/api/v1/market/listings/{}", f.listing),
            None,
            |r| market_staff(403)(r),
        ),
        c(
            Method::GET,
            "/api/v1/market/listings/{id}/exchanges",
            format!("/api/v1/market/listings/{}/exchanges", f.listing),
            None,
            |r| market_staff(200)(r),
        ),
        c(
            Method::POST,
            "/api/v1/market/listings/{id}/exchanges",
            format!("/api/v1/market/listings/{}/exchanges", f.listing),
            Some(json!({})),
            |r| market_staff(403)(r),
        ),
        c(
            Method::GET,
            "/api/v1/market/exchanges",
            "/api/v1/market/exchanges".into(),
            None,
            |r| signed(200)(r),
        ),
        c(
            Method::GET,
            "/api/v1/market/exchanges/{id}",
            format!("/api/v1/market/exchanges/{}", f.exchange),
            None,
            |r| market_staff(200)(r),
        ),
        c(
            Method::POST,
            "/api/v1/market/exchanges/{id}/accept",
            format!("/api/v1/market/exchanges/{}/accept", f.exchange),
            None,
            |r| market_staff(403)(r),
        ),
        c(
            Method::POST,
            "/api/v1/market/exchanges/{id}/complete",
            format!("/api/v1/market/exchanges/{}/complete", f.exchange),
            None,
            |r| market_staff(403)(r),
        ),
        c(
            Method::POST,
            "/api/v1/market/exchanges/{id}/confirm",
            format!("/api/v1/market/exchanges/{}/confirm", f.exchange),
            None,
            |r| market_staff(403)(r),
        ),
        c(
            Method::POST,
            "/api/v1/market/exchanges/{id}/cancel",
            format!("/api/v1/market/exchanges/{}/cancel", f.exchange),
            None,
            |r| market_staff(403)(r),
        ),
        c(
            Method::POST,
            "/api/v1/market/exchanges/{id}/dispute",
            format!("/api/v1/market/exchanges/{}/dispute", f.exchange),
            Some(json!({"reason": "matrice"})),
            |r| market_staff(403)(r),
        ),
        c(
            Method::POST,
            "/api/v1/market/exchanges/{id}/resolution",
            format!("/api/v1/market/exchanges/{}/resolution", f.exchange),
            Some(json!({"outcome": "cancel", "note": "matrice"})),
            // Only staff resolve, and only disputes (this one is proposed).
            |r| timebank_staff(409)(r),
        ),
        c(
            Method::GET,
            "/api/v1/market/disputes",
            "/api/v1/market/disputes".into(),
            None,
            |r| timebank_staff(200)(r),
        ),
        c(
            Method::GET,
            "/api/v1/market/exchanges/{id}/messages",
            format!("/api/v1/market/exchanges/{}/messages", f.exchange),
            None,
            |r| market_staff(200)(r),
        ),
        c(
            Method::POST,
            "/api/v1/market/exchanges/{id}/messages",
            format!("/api/v1/market/exchanges/{}/messages", f.exchange),
            Some(json!({"body": ""})),
            // Staff mediating may write in the thread.
            |r| market_staff(422)(r),
        ),
        c(
            Method::GET,
            "/api/v1/market/exchanges/{id}/reviews",
            format!("/api/v1/market/exchanges/{}/reviews", f.exchange),
            None,
            |r| market_staff(200)(r),
        ),
        c(
            Method::POST,
            "/api/v1/market/exchanges/{id}/reviews",
            format!("/api/v1/market/exchanges/{}/reviews", f.exchange),
            Some(json!({"rating": 5})),
            |r| market_staff(403)(r),
        ),
        c(
            Method::GET,
            "/api/v1/market/members/{id}/reviews",
            format!("/api/v1/market/members/{}/reviews", f.user),
            None,
            // Someone never reviewed, publishing nothing, met in no exchange: staff only.
            |r| market_staff(200)(r),
        ),
        c(
            Method::GET,
            "/api/v1/market/organisations",
            "/api/v1/market/organisations".into(),
            None,
            |r| signed(200)(r),
        ),
        c(
            Method::POST,
            "/api/v1/market/organisations",
            "/api/v1/market/organisations".into(),
            Some(json!({"name": "", "kind": "shop"})),
            |r| signed(422)(r),
        ),
        c(
            Method::POST,
            "/api/v1/market/organisations/{id}/verification",
            format!(
                "/api/v1/market/organisations/{}/verification",
                f.organisation
            ),
            None,
            |r| timebank_staff(200)(r),
        ),
        c(
            Method::POST,
            "/api/v1/market/organisations/{id}/members",
            format!("/api/v1/market/organisations/{}/members", f.organisation),
            Some(json!({"user_id": f.user})),
            |r| timebank_staff(200)(r),
        ),
        c(
            Method::GET,
            "/api/v1/market/reports/monthly",
            "/api/v1/market/reports/monthly".into(),
            None,
            public,
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
        c(
            Method::GET,
            "/api/v1/chat/rooms/{id}/reads",
            format!("/api/v1/chat/rooms/{}/reads", f.room),
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
        // The people of a room: its readers, and staff (the other estate's group: staff only).
        c(
            Method::GET,
            "/api/v1/chat/rooms/{id}/members",
            format!("/api/v1/chat/rooms/{}/members", f.room),
            None,
            reader,
        ),
        c(
            Method::GET,
            "/api/v1/chat/rooms/{id}/members",
            format!("/api/v1/chat/rooms/{}/members", f.group),
            None,
            |r| match r {
                R::Anon => 401,
                R::Staff | R::Admin => 200,
                _ => 404,
            },
        ),
        // Renaming, adding and leaving are for groups: a community's readers are refused.
        c(
            Method::PUT,
            "/api/v1/chat/rooms/{id}",
            format!("/api/v1/chat/rooms/{}", f.room),
            Some(json!({"name": "Nuovo nome"})),
            |r| match reader(r) {
                200 => 403,
                x => x,
            },
        ),
        c(
            Method::PUT,
            "/api/v1/chat/rooms/{id}",
            format!("/api/v1/chat/rooms/{}", f.group),
            Some(json!({"name": "Nuovo nome"})),
            |r| signed(404)(r),
        ),
        c(
            Method::POST,
            "/api/v1/chat/rooms/{id}/members",
            format!("/api/v1/chat/rooms/{}/members", f.room),
            Some(json!({"members": [f.user]})),
            |r| match reader(r) {
                200 => 403,
                x => x,
            },
        ),
        c(
            Method::POST,
            "/api/v1/chat/rooms/{id}/members",
            format!("/api/v1/chat/rooms/{}/members", f.group),
            Some(json!({"members": [f.user]})),
            |r| signed(404)(r),
        ),
        c(
            Method::POST,
            "/api/v1/chat/rooms/{id}/leave",
            format!("/api/v1/chat/rooms/{}/leave", f.room),
            None,
            |r| match reader(r) {
                200 => 403,
                x => x,
            },
        ),
        c(
            Method::POST,
            "/api/v1/chat/rooms/{id}/leave",
            format!("/api/v1/chat/rooms/{}/leave", f.group),
            None,
            |r| signed(404)(r),
        ),
        c(
            Method::GET,
            "/api/v1/chat/people",
            "/api/v1/chat/people?q=Vicino".into(),
            None,
            |r| signed(200)(r),
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
                // Payments carry an Idempotency-Key (a new one each time).
                let key = uuid::Uuid::new_v4().to_string();
                let headers: &[(&str, &str)] = if case.route.starts_with("/api/v1/timebank/") {
                    &[("idempotency-key", &key)]
                } else {
                    &[]
                };
                let res = session.send_with(case.method.clone(), &case.path, body, headers).await;
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
                if got == 200 && case.route == "/api/v1/maintenance/queue" {
                    let page: cortile_shared::Page<cortile_shared::maintenance::ReportSummary> =
                        serde_json::from_str(&body).expect("queue");
                    let sees = page.items.iter().any(|r| r.id == foreign.report);
                    let global = matches!(role, R::Operator | R::Staff | R::Admin);
                    assert_eq!(sees, global, "{role:?}'s queue has the other estate's report: {sees}");
                }
                if got == 200 && case.route == "/api/v1/maintenance/works" {
                    let list: Vec<cortile_shared::maintenance::Works> =
                        serde_json::from_str(&body).expect("works");
                    let sees = list.iter().any(|w| w.id == foreign.works);
                    let global = matches!(role, R::Operator | R::Staff | R::Admin);
                    assert_eq!(sees, global, "{role:?} sees the other estate's works: {sees}");
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
