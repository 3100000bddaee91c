//! Flags, the moderation queue, hiding, removing, locking, bans, the public log, and the
//! notifications that tell people, over HTTP on both databases.

use cortile_shared::community::{
    Ban, CommunitySummary, Flag, ModerationLogEntry, Notification, NotificationKind, Post,
    PostThread, UnreadCount,
};
use cortile_shared::{ErrorCode, Page};
use cortile_tests::{expect_problem, json_of, people_test, Session, TestApp};

use crate::support::{estate_community, write_post};
use serde_json::json;

async fn notifications(s: &Session) -> Vec<Notification> {
    let page: Page<Notification> = s.get_json("/api/v1/notifications").await;
    page.items
}

async fn setup(app: &TestApp) -> (Session, Session, Session, CommunitySummary) {
    let author = app.login("inquilino").await;
    let committee = app.login("comitato").await;
    let moderator = app.login("moderatore").await;
    let community = estate_community(&author).await;
    (author, committee, moderator, community)
}

people_test!(
    async fn a_flagged_post_is_hidden_by_a_moderator_and_its_author_is_told(app) {
        let (author, committee, moderator, community) = setup(app).await;
        let post = write_post(&author, &community, "Vendo divano", "Testo del messaggio").await;
        // A neighbour flags it, once.
        let flag = committee
            .post(&format!("/api/v1/posts/{}/flags", post.id), json!({"reason": "spam", "note": "pubblicità"}))
            .await;
        assert_eq!(flag.status(), 201);
        let again = committee
            .post(&format!("/api/v1/posts/{}/flags", post.id), json!({"reason": "spam"}))
            .await;
        assert_eq!(expect_problem(again, 409).await.code, ErrorCode::Conflict);
        let bad = committee
            .post(&format!("/api/v1/posts/{}/flags", post.id), json!({"reason": "boring"}))
            .await;
        assert_eq!(bad.status(), 400, "an unknown reason is a malformed body");
        // It is in the moderators' queue, not in a resident's.
        let queue: Vec<Flag> = moderator.get_json("/api/v1/moderation/queue").await;
        let item = queue.iter().find(|f| f.post_id == post.id).expect("queued");
        assert_eq!(item.flags, 1);
        assert_eq!(item.author.id, author.me.id);
        let none: Vec<Flag> = author.get_json("/api/v1/moderation/queue").await;
        assert!(none.is_empty());
        // Residents do not moderate; hiding needs a reason.
        let p = expect_problem(
            author
                .post(&format!("/api/v1/posts/{}/moderation", post.id), json!({"action": "hide", "reason": "no"}))
                .await,
            403,
        )
        .await;
        assert_eq!(p.code, ErrorCode::Forbidden);
        let p = expect_problem(
            moderator
                .post(&format!("/api/v1/posts/{}/moderation", post.id), json!({"action": "hide", "reason": ""}))
                .await,
            422,
        )
        .await;
        assert_eq!(p.errors[0].field, "reason");
        let hidden: Post = json_of(
            moderator
                .post(
                    &format!("/api/v1/posts/{}/moderation", post.id),
                    json!({"action": "hide", "reason": "Annunci commerciali non ammessi"}),
                )
                .await,
            200,
            "hide",
        )
        .await;
        assert!(hidden.hidden);
        // Gone for readers; its author and the moderators still see it, marked hidden; the queue
        // is empty.
        expect_problem(committee.get(&format!("/api/v1/posts/{}", post.id)).await, 404).await;
        let own: PostThread = author.get_json(&format!("/api/v1/posts/{}", post.id)).await;
        assert!(own.post.hidden && !own.can_moderate);
        let thread: PostThread = moderator.get_json(&format!("/api/v1/posts/{}", post.id)).await;
        assert!(thread.post.hidden && thread.can_moderate);
        let feed: Page<Post> = committee.get_json("/api/v1/feed").await;
        assert!(feed.items.iter().all(|p| p.id != post.id));
        let queue: Vec<Flag> = moderator.get_json("/api/v1/moderation/queue").await;
        assert!(queue.iter().all(|f| f.post_id != post.id));
        // The author is told, with the reason.
        let unread: UnreadCount = author.get_json("/api/v1/notifications/unread").await;
        assert_eq!(unread.unread, 1);
        let told = notifications(&author).await;
        assert_eq!(told[0].kind, NotificationKind::Moderated);
        assert_eq!(told[0].data["action"], "hide");
        assert_eq!(told[0].data["reason"], "Annunci commerciali non ammessi");
        assert_eq!(told[0].link, format!("/post/{}", post.id));
        assert_eq!(
            author.post(&format!("/api/v1/notifications/{}/read", told[0].id), json!({})).await.status(),
            204
        );
        let unread: UnreadCount = author.get_json("/api/v1/notifications/unread").await;
        assert_eq!(unread.unread, 0);
        // The community's public log says what and why, not who.
        let log: Vec<ModerationLogEntry> =
            committee.get_json(&format!("/api/v1/communities/{}/moderation-log", community.id)).await;
        assert_eq!(log[0].action, "hide");
        assert_eq!(log[0].title.as_deref(), Some("Vendo divano"));
        assert!(!serde_json::to_string(&log).expect("json").contains("Marco"));
        // Unhiding brings it back.
        json_of::<Post>(
            moderator
                .post(&format!("/api/v1/posts/{}/moderation", post.id), json!({"action": "unhide", "reason": ""}))
                .await,
            200,
            "unhide",
        )
        .await;
        committee.get_json::<PostThread>(&format!("/api/v1/posts/{}", post.id)).await;
    }
);

people_test!(
    async fn comments_notify_locks_close_threads_and_bans_stop_posting(app) {
        let (author, committee, moderator, community) = setup(app).await;
        let post = write_post(&author, &community, "Riunione condominiale", "Testo del messaggio").await;
        let first: cortile_shared::community::Comment = json_of(
            committee.post(&format!("/api/v1/posts/{}/comments", post.id), json!({"body": "Ci sarò"})).await,
            201,
            "comment",
        )
        .await;
        json_of::<cortile_shared::community::Comment>(
            moderator
                .post(&format!("/api/v1/posts/{}/comments", post.id), json!({"body": "Anch'io", "parent_id": first.id}))
                .await,
            201,
            "reply",
        )
        .await;
        let told = notifications(&author).await;
        assert_eq!(told.iter().filter(|n| n.kind == NotificationKind::CommentOnPost).count(), 2);
        assert_eq!(told[0].data["title"], "Riunione condominiale");
        let replied = notifications(&committee).await;
        assert!(replied.iter().any(|n| n.kind == NotificationKind::ReplyToComment));
        assert!(notifications(&moderator).await.is_empty(), "nobody is told of their own acts");

        // A flagged comment is removed; its author is told.
        assert_eq!(
            author.post(&format!("/api/v1/comments/{}/flags", first.id), json!({"reason": "offensive"})).await.status(),
            201
        );
        let res = moderator
            .post(&format!("/api/v1/comments/{}/moderation", first.id), json!({"action": "remove", "reason": "Tono offensivo"}))
            .await;
        assert_eq!(res.status(), 204);
        let thread: PostThread = author.get_json(&format!("/api/v1/posts/{}", post.id)).await;
        assert!(thread.comments.iter().all(|c| c.id != first.id));
        assert_eq!(thread.post.comments, 1);
        assert!(notifications(&committee).await.iter().any(|n| n.kind == NotificationKind::Moderated));

        // Locked: no more comments.
        json_of::<Post>(
            moderator
                .post(&format!("/api/v1/posts/{}/moderation", post.id), json!({"action": "lock", "reason": "Discussione chiusa"}))
                .await,
            200,
            "lock",
        )
        .await;
        let thread: PostThread = committee.get_json(&format!("/api/v1/posts/{}", post.id)).await;
        assert!(thread.post.locked && !thread.can_comment);
        let p = expect_problem(
            committee.post(&format!("/api/v1/posts/{}/comments", post.id), json!({"body": "Ancora"})).await,
            409,
        )
        .await;
        assert_eq!(p.code, ErrorCode::Conflict);

        // Banned: reads, does not post; lifted: posts again.
        let res = moderator
            .post(
                &format!("/api/v1/communities/{}/bans", community.id),
                json!({"user_id": author.me.id, "reason": "Messaggi ripetuti"}),
            )
            .await;
        assert_eq!(res.status(), 204);
        let now: CommunitySummary = author.get_json(&format!("/api/v1/communities/{}", community.id)).await;
        assert!(now.abilities.read && !now.abilities.post);
        let p = expect_problem(
            author
                .post(&format!("/api/v1/communities/{}/posts", community.id), json!({"title": "Di nuovo", "body": "x"}))
                .await,
            403,
        )
        .await;
        assert_eq!(p.code, ErrorCode::Forbidden);
        assert!(notifications(&author).await.iter().any(|n| n.kind == NotificationKind::Banned));
        // Moderators see who is banned and why; the banned person does not.
        let bans: Vec<Ban> = moderator.get_json(&format!("/api/v1/communities/{}/bans", community.id)).await;
        assert_eq!(bans.len(), 1);
        assert_eq!(bans[0].user.id, author.me.id);
        assert_eq!(bans[0].reason, "Messaggi ripetuti");
        let res = author.get(&format!("/api/v1/communities/{}/bans", community.id)).await;
        assert_eq!(res.status(), 403);
        let res = moderator
            .delete(&format!("/api/v1/communities/{}/bans/{}", community.id, author.me.id))
            .await;
        assert_eq!(res.status(), 204);
        let bans: Vec<Ban> = moderator.get_json(&format!("/api/v1/communities/{}/bans", community.id)).await;
        assert!(bans.is_empty(), "lifted: {bans:?}");
        write_post(&author, &community, "Di nuovo qui", "Testo del messaggio").await;
        let log: Vec<ModerationLogEntry> =
            author.get_json(&format!("/api/v1/communities/{}/moderation-log", community.id)).await;
        let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["unban", "ban", "lock", "remove"]);
    }
);

people_test!(
    async fn posting_is_rate_limited(app) {
        let (author, _, _, community) = setup(app).await;
        for i in 0..10 {
            write_post(&author, &community, &format!("Messaggio {i}"), "Testo del messaggio").await;
        }
        let res = author
            .post(&format!("/api/v1/communities/{}/posts", community.id), json!({"title": "Undicesimo", "body": "x"}))
            .await;
        assert!(res.headers().get("retry-after").is_some());
        assert_eq!(expect_problem(res, 429).await.code, ErrorCode::RateLimited);
    }
);
