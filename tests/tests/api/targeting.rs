//! Targeted posts and the profile they read, over HTTP on both databases: the reach preview
//! counts without naming, only the audience sees the post, authors never see attributes.

use cortile::db::schema::{buildings, household_members, households, persons, units};
use cortile_shared::community::{CommunityKind, CommunitySummary, Post};
use cortile_shared::profile::{Profile, Reach};
use cortile_shared::{ErrorCode, Page};
use cortile_tests::{expect_problem, json_of, people_test, Session, TestApp};
use diesel::prelude::*;
use serde_json::json;

/// An account for a resident of another building of the demo resident's estate.
async fn other_building_neighbour(app: &TestApp) -> Session {
    let me = app.login("inquilino").await;
    let home = me.me.residence.clone().expect("home").home;
    let mut conn = app.connect();
    let code: String = household_members::table
        .inner_join(persons::table)
        .inner_join(households::table.inner_join(units::table.inner_join(buildings::table)))
        .filter(household_members::ended_at.is_null())
        .filter(buildings::estate_id.eq(home.estate_id.0))
        .filter(buildings::id.ne(home.building_id.0))
        .order(household_members::id)
        .select(persons::fiscal_code)
        .first(&mut conn)
        .expect("a neighbour in another building");
    cortile::auth::account::create_account(
        &mut conn,
        &cortile::auth::account::AccountSpec {
            username: "dirimpetto".into(),
            display_name: Some("Vicino di fronte".into()),
            role: "resident".into(),
            scope: None,
            fiscal_code: Some(code),
            password: cortile_tests::DEMO_PASSWORD.into(),
        },
        chrono::Utc::now().naive_utc(),
    )
    .expect("account");
    app.login("dirimpetto").await
}

people_test!(
    async fn an_announcement_reaches_its_audience_only(app) {
        let resident = app.login("inquilino").await;
        let other = other_building_neighbour(app).await;
        let committee = app.login("comitato").await;
        let home = resident.me.residence.clone().expect("home").home;
        let mine: Vec<CommunitySummary> = committee.get_json("/api/v1/communities").await;
        let estate = mine
            .iter()
            .find(|c| c.kind == CommunityKind::Estate)
            .expect("the committee's estate")
            .clone();
        let reach_of = |audience: serde_json::Value| {
            let committee = &committee;
            let path = format!("/api/v1/communities/{}/reach", estate.id);
            async move { json_of::<Reach>(committee.post(&path, audience).await, 200, "reach").await.people }
        };
        let everyone = reach_of(json!({})).await;
        assert!(everyone >= 2, "both neighbours have accounts: {everyone}");
        // The building's two demo residents with an account: `inquilino` and `condomino`.
        assert_eq!(reach_of(json!({"buildings": [home.building_id]})).await, 2);
        assert_eq!(reach_of(json!({"languages": ["ar"]})).await, 0);
        // The resident tells Cortile they speak Arabic; the committee learns a number, not who.
        let saved: Profile = json_of(
            resident
                .send(reqwest::Method::PUT, "/api/v1/me/profile", Some(json!({"languages": ["it", "ar", "ar"], "interests": ["gardening"]})))
                .await,
            200,
            "profile",
        )
        .await;
        assert_eq!(saved.languages, ["ar", "it"]);
        let reach = committee
            .post(&format!("/api/v1/communities/{}/reach", estate.id), json!({"languages": ["ar"]}))
            .await;
        let body = reach.text().await.expect("body");
        assert_eq!(body, r#"{"people":1}"#, "only a count");
        // Bad audiences are refused by field; residents do not target.
        let p = expect_problem(
            committee
                .post(
                    &format!("/api/v1/communities/{}/reach", estate.id),
                    json!({"buildings": [999999], "age_min": 70, "age_max": 60, "languages": ["xx"]}),
                )
                .await,
            422,
        )
        .await;
        let fields: Vec<&str> = p.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["audience.buildings", "audience.age_max", "audience.languages"]);
        let p = expect_problem(
            resident.post(&format!("/api/v1/communities/{}/reach", estate.id), json!({})).await,
            403,
        )
        .await;
        assert_eq!(p.code, ErrorCode::Forbidden);

        // An announcement to the resident's building.
        let notice: Post = json_of(
            committee
                .post(
                    &format!("/api/v1/communities/{}/posts", estate.id),
                    json!({"title": "Ascensore: lavori lunedì", "body": "Solo per la vostra scala.",
                           "audience": {"buildings": [home.building_id]}}),
                )
                .await,
            201,
            "announce",
        )
        .await;
        assert!(notice.targeted);
        let feed: Page<Post> = resident.get_json("/api/v1/feed").await;
        assert!(feed.items.iter().any(|p| p.id == notice.id), "the audience sees it");
        resident.get_json::<cortile_shared::community::PostThread>(&format!("/api/v1/posts/{}", notice.id)).await;
        let feed: Page<Post> = other.get_json("/api/v1/feed").await;
        assert!(feed.items.iter().all(|p| p.id != notice.id), "the rest of the estate does not");
        let list: Page<Post> = other.get_json(&format!("/api/v1/communities/{}/posts", estate.id)).await;
        assert!(list.items.iter().all(|p| p.id != notice.id));
        expect_problem(other.get(&format!("/api/v1/posts/{}", notice.id)).await, 404).await;
        let own: Page<Post> = committee.get_json(&format!("/api/v1/communities/{}/posts", estate.id)).await;
        assert!(own.items.iter().any(|p| p.id == notice.id), "the author sees it");
        // Residents cannot address posts.
        let p = expect_problem(
            resident
                .post(
                    &format!("/api/v1/communities/{}/posts", estate.id),
                    json!({"title": "Solo per alcuni", "body": "x", "audience": {"with_elderly": true}}),
                )
                .await,
            403,
        )
        .await;
        assert_eq!(p.code, ErrorCode::Forbidden);
        // Unknown profile codes are refused by field.
        let p = expect_problem(
            resident
                .send(reqwest::Method::PUT, "/api/v1/me/profile", Some(json!({"interests": ["knitting"]})))
                .await,
            422,
        )
        .await;
        assert_eq!(p.errors[0].field, "interests");
        let data: serde_json::Value = resident.get_json("/api/v1/me/export").await;
        assert_eq!(data["profile"]["languages"], json!(["ar", "it"]));
    }
);
