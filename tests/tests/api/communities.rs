//! Communities, posts, comments, reactions and the feed over HTTP, on both databases.

use cortile::db::schema::household_members;
use cortile_shared::community::{
    Comment, CommunityKind, CommunitySummary, Member, MemberStatus, Post, PostRevision, PostThread,
    ReactionKind, Reactions,
};
use cortile_shared::{ErrorCode, Page};
use cortile_tests::{expect_problem, json_of, people_test};

use crate::support::neighbour;
use diesel::prelude::*;
use serde_json::json;

fn find(list: &[CommunitySummary], kind: CommunityKind) -> CommunitySummary {
    list.iter()
        .find(|c| c.kind == kind)
        .cloned()
        .unwrap_or_else(|| panic!("no {kind:?} community in {list:?}"))
}

people_test!(
    async fn the_registry_makes_estate_and_building_communities(app) {
        let me = app.login("inquilino").await;
        let mine: Vec<CommunitySummary> = me.get_json("/api/v1/communities").await;
        let estate = find(&mine, CommunityKind::Estate);
        let building = find(&mine, CommunityKind::Building);
        let home = me.me.residence.clone().expect("home").home;
        assert_eq!(estate.estate_id, Some(home.estate_id));
        assert_eq!(building.building_id, Some(home.building_id));
        assert!(estate.abilities.post && !estate.abilities.join && !estate.abilities.leave);
        assert_eq!(estate.my_status, Some(MemberStatus::Active));
        assert!(building.name.contains(&home.building_address));

        let same = neighbour(app, "stessa", true).await;
        let other = neighbour(app, "altra", false).await;
        // A post in the building's community reaches the building, not the rest of the estate.
        let post: Post = json_of(
            me.post(
                &format!("/api/v1/communities/{}/posts", building.id),
                json!({"title": "Pulizia scale", "body": "Sabato alle **10**. <script>alert(1)</script>"}),
            )
            .await,
            201,
            "post",
        )
        .await;
        assert!(post.body_html.contains("<strong>10</strong>"), "{}", post.body_html);
        assert!(!post.body_html.contains("script"), "{}", post.body_html);
        let feed: Page<Post> = same.get_json("/api/v1/feed").await;
        assert_eq!(feed.items.first().map(|p| p.id), Some(post.id));
        let feed: Page<Post> = other.get_json("/api/v1/feed").await;
        assert!(feed.items.iter().all(|p| p.id != post.id));
        let p = expect_problem(other.get(&format!("/api/v1/posts/{}", post.id)).await, 404).await;
        assert_eq!(p.code, ErrorCode::NotFound);
        // The estate's community reaches both.
        let news: Post = json_of(
            other
                .post(
                    &format!("/api/v1/communities/{}/posts", estate.id),
                    json!({"title": "Festa del cortile", "body": "Domenica."}),
                )
                .await,
            201,
            "post",
        )
        .await;
        for s in [&me, &same] {
            let feed: Page<Post> = s.get_json("/api/v1/feed").await;
            assert!(feed.items.iter().any(|p| p.id == news.id));
        }
        // Nobody joins or leaves by clicking.
        let p = expect_problem(me.post(&format!("/api/v1/communities/{}/join", estate.id), json!({})).await, 403).await;
        assert_eq!(p.code, ErrorCode::Forbidden);
        let members: Vec<Member> = me.get_json(&format!("/api/v1/communities/{}/members", building.id)).await;
        assert!(members.iter().any(|m| m.user.id == me.me.id));
        assert!(members.iter().any(|m| m.user.id == same.me.id));
        assert!(members.iter().all(|m| m.user.id != other.me.id));

        // Moving out (the registry says so): the building's community goes at once.
        let mut conn = app.connect();
        diesel::update(
            household_members::table
                .filter(household_members::person_id.eq(me.me.residence.as_ref().expect("home").person_id.0))
                .filter(household_members::ended_at.is_null()),
        )
        .set(household_members::ended_at.eq(chrono::Utc::now().naive_utc()))
        .execute(&mut conn)
        .expect("move out");
        let mine: Vec<CommunitySummary> = me.get_json("/api/v1/communities").await;
        assert!(mine.iter().all(|c| c.kind == CommunityKind::Interest));
        expect_problem(me.get(&format!("/api/v1/posts/{}", post.id)).await, 404).await;
        let feed: Page<Post> = me.get_json("/api/v1/feed").await;
        assert!(feed.items.is_empty());
    }
);

people_test!(
    async fn communities_of_interest_are_open_by_approval_or_by_invitation(app) {
        let founder = app.login("assistente").await;
        let p = expect_problem(
            founder
                .post("/api/v1/communities", json!({"name": "x", "description": "", "join_policy": "registry"}))
                .await,
            422,
        )
        .await;
        let fields: Vec<&str> = p.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "join_policy"]);
        let garden: CommunitySummary = json_of(
            founder
                .post(
                    "/api/v1/communities",
                    json!({"name": "Orto  condiviso", "description": "Chi coltiva il cortile", "join_policy": "open"}),
                )
                .await,
            201,
            "create",
        )
        .await;
        assert_eq!(garden.name, "Orto condiviso");
        assert!(garden.abilities.moderate && garden.abilities.post);
        assert_eq!(garden.members, 1);
        let dup = founder
            .post("/api/v1/communities", json!({"name": "orto condiviso", "join_policy": "open"}))
            .await;
        assert_eq!(expect_problem(dup, 409).await.code, ErrorCode::Conflict);
        let club: CommunitySummary = json_of(
            founder
                .post("/api/v1/communities", json!({"name": "Lettura ad alta voce", "join_policy": "approval"}))
                .await,
            201,
            "create",
        )
        .await;
        let secret: CommunitySummary = json_of(
            founder
                .post("/api/v1/communities", json!({"name": "Gruppo di sostegno", "join_policy": "invite"}))
                .await,
            201,
            "create",
        )
        .await;

        let resident = app.login("inquilino").await;
        let discover: Vec<CommunitySummary> = resident.get_json("/api/v1/communities?view=discover").await;
        let ids: Vec<_> = discover.iter().map(|c| c.id).collect();
        assert!(ids.contains(&garden.id) && ids.contains(&club.id));
        assert!(!ids.contains(&secret.id), "invitation-only communities are not listed");
        expect_problem(resident.get(&format!("/api/v1/communities/{}", secret.id)).await, 404).await;
        // Open: posts readable before joining, joined at once.
        let hello: Post = json_of(
            founder
                .post(&format!("/api/v1/communities/{}/posts", garden.id), json!({"title": "Benvenuti", "body": "Semi!"}))
                .await,
            201,
            "post",
        )
        .await;
        let page: Page<Post> = resident.get_json(&format!("/api/v1/communities/{}/posts", garden.id)).await;
        assert_eq!(page.items.len(), 1);
        let p = expect_problem(
            resident
                .post(&format!("/api/v1/posts/{}/comments", hello.id), json!({"body": "Io ci sono"}))
                .await,
            403,
        )
        .await;
        assert_eq!(p.code, ErrorCode::Forbidden, "members comment");
        let joined: CommunitySummary =
            json_of(resident.post(&format!("/api/v1/communities/{}/join", garden.id), json!({})).await, 200, "join").await;
        assert_eq!(joined.my_status, Some(MemberStatus::Active));
        assert_eq!(joined.members, 2);
        let feed: Page<Post> = resident.get_json("/api/v1/feed").await;
        assert!(feed.items.iter().any(|p| p.id == hello.id));
        // By approval: a request, then the moderator accepts it.
        let asked: CommunitySummary =
            json_of(resident.post(&format!("/api/v1/communities/{}/join", club.id), json!({})).await, 200, "ask").await;
        assert_eq!(asked.my_status, Some(MemberStatus::Pending));
        assert!(!asked.abilities.read);
        expect_problem(resident.get(&format!("/api/v1/communities/{}/posts", club.id)).await, 404).await;
        let members: Vec<Member> = founder.get_json(&format!("/api/v1/communities/{}/members", club.id)).await;
        assert!(members.iter().any(|m| m.user.id == resident.me.id && m.status == MemberStatus::Pending));
        let p = expect_problem(
            resident
                .post(&format!("/api/v1/communities/{}/members/{}/approve", club.id, resident.me.id), json!({}))
                .await,
            403,
        )
        .await;
        assert_eq!(p.code, ErrorCode::Forbidden);
        let res = founder
            .post(&format!("/api/v1/communities/{}/members/{}/approve", club.id, resident.me.id), json!({}))
            .await;
        assert_eq!(res.status(), 204);
        let club_now: CommunitySummary = resident.get_json(&format!("/api/v1/communities/{}", club.id)).await;
        assert_eq!(club_now.my_status, Some(MemberStatus::Active));
        assert!(club_now.abilities.post);
        // Leaving.
        assert_eq!(resident.post(&format!("/api/v1/communities/{}/leave", garden.id), json!({})).await.status(), 204);
        let after: CommunitySummary = resident.get_json(&format!("/api/v1/communities/{}", garden.id)).await;
        assert_eq!(after.members, 1);
        assert!(after.my_status.is_none());
    }
);

people_test!(
    async fn posts_are_edited_with_history_commented_one_level_and_reacted_to(app) {
        let me = app.login("inquilino").await;
        let mine: Vec<CommunitySummary> = me.get_json("/api/v1/communities").await;
        let estate = find(&mine, CommunityKind::Estate);
        assert!(!estate.abilities.pin, "residents do not pin announcements");
        let p = expect_problem(
            me.post(
                &format!("/api/v1/communities/{}/posts", estate.id),
                json!({"title": "Avviso", "body": "x", "pinned": true}),
            )
            .await,
            403,
        )
        .await;
        assert_eq!(p.code, ErrorCode::Forbidden);
        let p = expect_problem(
            me.post(&format!("/api/v1/communities/{}/posts", estate.id), json!({"title": "", "body": ""}))
                .await,
            422,
        )
        .await;
        assert_eq!(p.errors.len(), 2);
        // The committee pins an announcement in its estate.
        let committee = app.login("comitato").await;
        let notice: Post = json_of(
            committee
                .post(
                    &format!("/api/v1/communities/{}/posts", estate.id),
                    json!({"title": "Assemblea", "body": "Giovedì [ordine del giorno](https://example.org/odg)", "pinned": true}),
                )
                .await,
            201,
            "pin",
        )
        .await;
        assert!(notice.pinned);
        assert!(notice.body_html.contains("rel=\"nofollow noopener noreferrer\""), "{}", notice.body_html);
        let pinned: Page<Post> = me
            .get_json(&format!("/api/v1/communities/{}/posts?pinned=true", estate.id))
            .await;
        assert_eq!(pinned.items.iter().map(|p| p.id).collect::<Vec<_>>(), [notice.id]);

        let post: Post = json_of(
            me.post(&format!("/api/v1/communities/{}/posts", estate.id), json!({"title": "Bici rubata", "body": "Rossa"}))
                .await,
            201,
            "post",
        )
        .await;
        assert!(post.can_edit && post.body_markdown.as_deref() == Some("Rossa"));
        let p = expect_problem(
            committee
                .send(reqwest::Method::PUT, &format!("/api/v1/posts/{}", post.id), Some(json!({"title": "Altro", "body": "x"})))
                .await,
            403,
        )
        .await;
        assert_eq!(p.code, ErrorCode::Forbidden);
        let edited: Post = json_of(
            me.send(reqwest::Method::PUT, &format!("/api/v1/posts/{}", post.id), Some(json!({"title": "Bici rubata", "body": "Rossa, con cestino"})))
                .await,
            200,
            "edit",
        )
        .await;
        assert!(edited.edited_at.is_some());
        let history: Vec<PostRevision> = committee.get_json(&format!("/api/v1/posts/{}/history", post.id)).await;
        assert_eq!(history.len(), 1);
        assert!(history[0].body_html.contains("Rossa") && !history[0].body_html.contains("cestino"));

        // Comments, one level deep.
        let first: Comment = json_of(
            committee.post(&format!("/api/v1/posts/{}/comments", post.id), json!({"body": "L'ho vista in via Preneste"})).await,
            201,
            "comment",
        )
        .await;
        let reply: Comment = json_of(
            me.post(&format!("/api/v1/posts/{}/comments", post.id), json!({"body": "Grazie!", "parent_id": first.id})).await,
            201,
            "reply",
        )
        .await;
        let p = expect_problem(
            committee.post(&format!("/api/v1/posts/{}/comments", post.id), json!({"body": "e poi", "parent_id": reply.id})).await,
            422,
        )
        .await;
        assert_eq!((p.errors[0].field.as_str(), p.errors[0].code.as_str()), ("parent_id", "too_deep"));
        let thread: PostThread = me.get_json(&format!("/api/v1/posts/{}", post.id)).await;
        assert_eq!(thread.comments.len(), 2);
        assert_eq!(thread.comments[1].parent_id, Some(first.id));
        assert_eq!(thread.post.comments, 2);
        assert!(thread.can_comment);

        // Reactions are idempotent and counted per kind.
        for _ in 0..2 {
            let r: Reactions = json_of(
                committee.send(reqwest::Method::PUT, &format!("/api/v1/posts/{}/reactions/support", post.id), None).await,
                200,
                "react",
            )
            .await;
            let support = r.reactions.iter().find(|c| c.kind == ReactionKind::Support).expect("support");
            assert_eq!((support.count, support.mine), (1, true));
        }
        let r: Reactions = json_of(
            me.send(reqwest::Method::PUT, &format!("/api/v1/posts/{}/reactions/support", post.id), None).await,
            200,
            "react",
        )
        .await;
        assert_eq!(r.reactions.iter().find(|c| c.kind == ReactionKind::Support).map(|c| c.count), Some(2));
        let r: Reactions = json_of(
            committee.delete(&format!("/api/v1/posts/{}/reactions/support", post.id)).await,
            200,
            "unreact",
        )
        .await;
        let support = r.reactions.iter().find(|c| c.kind == ReactionKind::Support).expect("support");
        assert_eq!((support.count, support.mine), (1, false));
        let p = expect_problem(
            me.send(reqwest::Method::PUT, &format!("/api/v1/posts/{}/reactions/love", post.id), None).await,
            422,
        )
        .await;
        assert_eq!(p.errors[0].field, "kind");
    }
);

people_test!(
    async fn the_feed_pages_newest_first_without_gaps(app) {
        let me = app.login("inquilino").await;
        let mine: Vec<CommunitySummary> = me.get_json("/api/v1/communities").await;
        let building = find(&mine, CommunityKind::Building);
        let mut made = Vec::new();
        for i in 0..7 {
            let post: Post = json_of(
                me.post(&format!("/api/v1/communities/{}/posts", building.id), json!({"title": format!("Avviso {i}"), "body": "…"}))
                    .await,
                201,
                "post",
            )
            .await;
            made.push(post.id);
        }
        made.reverse();
        let mut seen = Vec::new();
        let mut path = "/api/v1/feed?limit=3".to_owned();
        loop {
            let page: Page<Post> = me.get_json(&path).await;
            seen.extend(page.items.iter().map(|p| p.id));
            match page.next {
                Some(next) => path = format!("/api/v1/feed?limit=3&after={next}"),
                None => break,
            }
        }
        assert_eq!(seen, made);
        let p = expect_problem(me.get("/api/v1/feed?after=garbage").await, 422).await;
        assert_eq!(p.errors[0].field, "after");
    }
);
