//! Small steps the community tests share: find my estate's community, post, comment, save
//! notification settings.

use cortile_shared::community::{
    Comment, CommunityKind, CommunitySummary, NotificationSettings, Post,
};
use cortile_tests::{json_of, Session};

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
