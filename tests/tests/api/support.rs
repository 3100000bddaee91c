//! Small steps the community tests share: a neighbour's account, find my estate's community,
//! post, comment, save notification settings.

use cortile::db::schema::{buildings, household_members, households, persons, units};
use cortile_shared::community::{
    Comment, CommunityKind, CommunitySummary, NotificationSettings, Post,
};
use cortile_tests::{json_of, Session, TestApp};
use diesel::prelude::*;

/// Makes an account for someone living (now) in the building, or in another building of the
/// same estate, as the demo resident; and logs them in.
pub async fn neighbour(app: &TestApp, username: &str, same_building: bool) -> Session {
    let me = app.login("inquilino").await;
    let residence = me.me.residence.clone().expect("home");
    let home = residence.home;
    let mut conn = app.connect();
    let mut q = household_members::table
        .inner_join(persons::table)
        .inner_join(households::table.inner_join(units::table.inner_join(buildings::table)))
        .filter(household_members::ended_at.is_null())
        .filter(households::id.ne(residence.household_id.0))
        .filter(buildings::estate_id.eq(home.estate_id.0))
        .into_boxed();
    q = if same_building {
        q.filter(buildings::id.eq(home.building_id.0))
    } else {
        q.filter(buildings::id.ne(home.building_id.0))
    };
    let code: String = q
        .order(household_members::id)
        .select(persons::fiscal_code)
        .first(&mut conn)
        .expect("a neighbour");
    cortile::auth::account::create_account(
        &mut conn,
        &cortile::auth::account::AccountSpec {
            username: username.into(),
            display_name: Some(format!("Vicina {username}")),
            role: "resident".into(),
            scope: None,
            fiscal_code: Some(code),
            password: cortile_tests::DEMO_PASSWORD.into(),
        },
        chrono::Utc::now().naive_utc(),
    )
    .expect("account");
    app.login(username).await
}

/// The reader's estate community (from the registry).
pub async fn estate_community(s: &Session) -> CommunitySummary {
    let mine: Vec<CommunitySummary> = s.get_json("/api/v1/communities").await;
    mine.into_iter()
        .find(|c| c.kind == CommunityKind::Estate)
        .expect("the estate's community")
}

/// Writes a post (which must succeed).
pub async fn write_post(
    s: &Session,
    community: &CommunitySummary,
    title: &str,
    body: &str,
) -> Post {
    json_of(
        s.post(
            &format!("/api/v1/communities/{}/posts", community.id),
            serde_json::json!({"title": title, "body": body}),
        )
        .await,
        201,
        "post",
    )
    .await
}

/// Comments on a post (which must succeed).
pub async fn comment(s: &Session, post: &Post, body: &str) -> Comment {
    json_of(
        s.post(
            &format!("/api/v1/posts/{}/comments", post.id),
            serde_json::json!({"body": body}),
        )
        .await,
        201,
        "comment",
    )
    .await
}

/// Saves notification settings (which must be accepted).
pub async fn save_settings(s: &Session, settings: serde_json::Value) -> NotificationSettings {
    json_of(
        s.send(
            reqwest::Method::PUT,
            "/api/v1/me/notification-settings",
            Some(settings),
        )
        .await,
        200,
        "settings",
    )
    .await
}
