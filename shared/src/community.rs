//! Communities, posts, comments, reactions and the personal feed.
//!
//! Vertical communities (one per estate, one per building) are made from the registry and their
//! members are the residents the registry puts there, without anyone joining. Horizontal
//! communities (interests) are created by residents or social workers and are open, by
//! approval, or by invitation.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::UserRef;
use crate::ids::{BuildingId, CommentId, CommunityId, EstateId, PostId};

/// Longest community name, post title; longest post and comment body (markdown).
pub const MAX_NAME_LEN: usize = 80;
pub const MAX_TITLE_LEN: usize = 140;
pub const MAX_BODY_LEN: usize = 20_000;
pub const MAX_COMMENT_LEN: usize = 5_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CommunityKind {
    /// Everyone living in an estate.
    Estate,
    /// Everyone living in a building.
    Building,
    /// People who share an interest.
    Interest,
}

impl CommunityKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CommunityKind::Estate => "estate",
            CommunityKind::Building => "building",
            CommunityKind::Interest => "interest",
        }
    }

    pub fn parse(raw: &str) -> Option<CommunityKind> {
        match raw {
            "estate" => Some(CommunityKind::Estate),
            "building" => Some(CommunityKind::Building),
            "interest" => Some(CommunityKind::Interest),
            _ => None,
        }
    }
}

/// How one becomes a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JoinPolicy {
    /// By living there (vertical communities): the registry decides.
    Registry,
    /// Anyone may join.
    Open,
    /// Anyone may ask; a moderator approves.
    Approval,
    /// Only people invited by a moderator.
    Invite,
}

impl JoinPolicy {
    pub fn as_str(self) -> &'static str {
        match self {
            JoinPolicy::Registry => "registry",
            JoinPolicy::Open => "open",
            JoinPolicy::Approval => "approval",
            JoinPolicy::Invite => "invite",
        }
    }

    pub fn parse(raw: &str) -> Option<JoinPolicy> {
        match raw {
            "registry" => Some(JoinPolicy::Registry),
            "open" => Some(JoinPolicy::Open),
            "approval" => Some(JoinPolicy::Approval),
            "invite" => Some(JoinPolicy::Invite),
            _ => None,
        }
    }
}

/// Where a person stands in a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    /// A member (for vertical communities: by the registry).
    Active,
    /// Asked to join; waiting for a moderator.
    Pending,
    /// Invited; not yet accepted.
    Invited,
}

impl MemberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Active => "active",
            MemberStatus::Pending => "pending",
            MemberStatus::Invited => "invited",
        }
    }

    pub fn parse(raw: &str) -> Option<MemberStatus> {
        match raw {
            "active" => Some(MemberStatus::Active),
            "pending" => Some(MemberStatus::Pending),
            "invited" => Some(MemberStatus::Invited),
            _ => None,
        }
    }
}

/// What the reader may do in a community.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommunityAbilities {
    pub read: bool,
    pub post: bool,
    pub join: bool,
    pub leave: bool,
    pub moderate: bool,
    /// May pin announcements (staff, committees, moderators).
    pub pin: bool,
}

/// A community in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommunitySummary {
    pub id: CommunityId,
    pub kind: CommunityKind,
    pub name: String,
    pub description: String,
    pub join_policy: JoinPolicy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estate_id: Option<EstateId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub building_id: Option<BuildingId>,
    /// Members of a community of interest (vertical communities count residents instead).
    pub members: i64,
    pub posts: i64,
    /// The reader's standing, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub my_status: Option<MemberStatus>,
    pub abilities: CommunityAbilities,
}

/// `POST /api/v1/communities`: a community of interest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewCommunity {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// `open`, `approval` or `invite`.
    pub join_policy: JoinPolicy,
}

/// A member as others see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    pub user: UserRef,
    pub moderator: bool,
    pub status: MemberStatus,
    pub since: DateTime<Utc>,
}

/// How many people reacted, and whether the reader did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ReactionKind {
    Like,
    Thanks,
    Support,
}

impl ReactionKind {
    pub const ALL: [ReactionKind; 3] = [
        ReactionKind::Like,
        ReactionKind::Thanks,
        ReactionKind::Support,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReactionKind::Like => "like",
            ReactionKind::Thanks => "thanks",
            ReactionKind::Support => "support",
        }
    }

    pub fn parse(raw: &str) -> Option<ReactionKind> {
        ReactionKind::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReactionCount {
    pub kind: ReactionKind,
    pub count: i64,
    pub mine: bool,
}

/// A community named in a post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommunityRef {
    pub id: CommunityId,
    pub name: String,
    pub kind: CommunityKind,
}

/// A post. `body_html` is rendered from markdown and sanitised on the server; show it as is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Post {
    pub id: PostId,
    pub community: CommunityRef,
    pub author: UserRef,
    pub title: String,
    pub body_html: String,
    /// The markdown, for its author's editor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_markdown: Option<String>,
    pub pinned: bool,
    pub locked: bool,
    /// Hidden by a moderator: only moderators see it (to undo).
    #[serde(default)]
    pub hidden: bool,
    /// Addressed to part of the community (the reader is in it, or wrote it).
    #[serde(default)]
    pub targeted: bool,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<DateTime<Utc>>,
    pub comments: i64,
    pub reactions: Vec<ReactionCount>,
    pub can_edit: bool,
    /// Its images, in order (at most [`crate::upload::MAX_POST_IMAGES`]).
    #[serde(default)]
    pub images: Vec<crate::upload::PostImage>,
}

/// `POST /api/v1/communities/{id}/posts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewPost {
    pub title: String,
    /// Markdown.
    pub body: String,
    /// Pin as an announcement (staff, committees, moderators).
    #[serde(default)]
    pub pinned: bool,
    /// Address it to part of the community only (those who may pin announcements).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<crate::profile::Audience>,
    /// Images: uploads of mine not attached to anything yet, each with its alt text.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<crate::upload::ImageRef>,
}

/// `PUT /api/v1/posts/{id}`: the author edits; the previous text is kept in the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EditPost {
    pub title: String,
    pub body: String,
    /// The images the post has after the edit, in order: its own (to keep, reorder or give a
    /// new alt text) and new uploads of mine. Those left out are deleted. Absent: unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<Vec<crate::upload::ImageRef>>,
}

/// One earlier version of a post (`GET /api/v1/posts/{id}/history`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PostRevision {
    pub title: String,
    pub body_html: String,
    pub edited_by: UserRef,
    /// When this version was replaced.
    pub replaced_at: DateTime<Utc>,
}

/// A comment; replies are one level deep (`parent_id` names a top-level comment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Comment {
    pub id: CommentId,
    pub post_id: PostId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<CommentId>,
    pub author: UserRef,
    pub body_html: String,
    pub created_at: DateTime<Utc>,
}

/// `POST /api/v1/posts/{id}/comments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewComment {
    pub body: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<CommentId>,
}

/// `PUT /api/v1/posts/{id}/reactions/{kind}` and `DELETE` the same: my reaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reactions {
    pub reactions: Vec<ReactionCount>,
}

/// A post with its comments (`GET /api/v1/posts/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PostThread {
    pub post: Post,
    pub comments: Vec<Comment>,
    pub can_comment: bool,
    /// Whether the reader moderates this post's community.
    #[serde(default)]
    pub can_moderate: bool,
}

/// Why something is flagged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FlagReason {
    Spam,
    Offensive,
    /// Someone's personal data (an address, a phone number, a health matter…).
    PersonalData,
    Other,
}

impl FlagReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FlagReason::Spam => "spam",
            FlagReason::Offensive => "offensive",
            FlagReason::PersonalData => "personal_data",
            FlagReason::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Option<FlagReason> {
        [
            FlagReason::Spam,
            FlagReason::Offensive,
            FlagReason::PersonalData,
            FlagReason::Other,
        ]
        .into_iter()
        .find(|r| r.as_str() == raw)
    }
}

/// `POST /api/v1/posts/{id}/flags` and `POST /api/v1/comments/{id}/flags`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewFlag {
    pub reason: FlagReason,
    #[serde(default)]
    pub note: String,
}

/// An open flag in a moderator's queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Flag {
    pub id: i64,
    pub community: CommunityRef,
    pub post_id: PostId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment_id: Option<CommentId>,
    /// The flagged post's title, or an excerpt of the flagged comment.
    pub excerpt: String,
    pub author: UserRef,
    pub reason: FlagReason,
    pub note: String,
    /// How many people flagged the same thing.
    pub flags: i64,
    pub created_at: DateTime<Utc>,
}

/// What a moderator does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ModerationAction {
    /// Hidden from readers; the author still sees it and may be told why.
    Hide,
    Unhide,
    /// Removed for good.
    Remove,
    /// No more comments.
    Lock,
    Unlock,
    /// Keep it: the flags were unfounded.
    Dismiss,
}

impl ModerationAction {
    pub fn as_str(self) -> &'static str {
        match self {
            ModerationAction::Hide => "hide",
            ModerationAction::Unhide => "unhide",
            ModerationAction::Remove => "remove",
            ModerationAction::Lock => "lock",
            ModerationAction::Unlock => "unlock",
            ModerationAction::Dismiss => "dismiss",
        }
    }
}

/// `POST /api/v1/posts/{id}/moderation` and `POST /api/v1/comments/{id}/moderation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Moderate {
    pub action: ModerationAction,
    /// Told to the author and written in the community's public log.
    pub reason: String,
}

/// `POST /api/v1/communities/{id}/bans`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewBan {
    pub user_id: crate::ids::UserId,
    pub reason: String,
}

/// `GET /api/v1/communities/{id}/bans` (moderators): who may not post here now, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ban {
    pub user: crate::auth::UserRef,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

/// One entry of a community's public moderation log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModerationLogEntry {
    pub id: i64,
    /// `hide`, `unhide`, `remove`, `lock`, `unlock`, `dismiss`, `ban`, `unban`.
    pub action: String,
    /// `post`, `comment` or `user`.
    pub target: String,
    /// The post's title (absent for comments and bans: their text is not repeated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// Someone commented on my post.
    CommentOnPost,
    /// Someone replied to my comment.
    ReplyToComment,
    /// A moderator acted on my post or comment.
    Moderated,
    /// My request to join was accepted.
    JoinApproved,
    /// I can no longer post in a community.
    Banned,
    /// A maintenance report I made or support changed status.
    ReportStatus,
    /// Someone commented on a maintenance report I made or support.
    ReportComment,
    /// Someone asked for my offer, or offered help with my request (`actor`, `title`).
    ExchangeProposed,
    /// The other party accepted our exchange.
    ExchangeAccepted,
    /// The provider says the help was given: confirm it (or dispute it).
    ExchangeCompleted,
    /// The receiver confirmed: the minutes were paid (`minutes`).
    ExchangeConfirmed,
    /// The other party cancelled our exchange (`reason`).
    ExchangeCancelled,
    /// The other party disputed our exchange; staff will mediate (`reason`).
    ExchangeDisputed,
    /// Staff resolved the dispute (`outcome`, `reason`).
    ExchangeResolved,
    /// A new message in one of my exchanges.
    ExchangeMessage,
    /// Someone reviewed me after an exchange (`rating`).
    ReviewReceived,
    /// Staff verified my organisation (`name`).
    OrganisationVerified,
    /// A kind this client does not know yet.
    #[serde(other)]
    Other,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::CommentOnPost => "comment_on_post",
            NotificationKind::ReplyToComment => "reply_to_comment",
            NotificationKind::Moderated => "moderated",
            NotificationKind::JoinApproved => "join_approved",
            NotificationKind::Banned => "banned",
            NotificationKind::ReportStatus => "report_status",
            NotificationKind::ReportComment => "report_comment",
            NotificationKind::ExchangeProposed => "exchange_proposed",
            NotificationKind::ExchangeAccepted => "exchange_accepted",
            NotificationKind::ExchangeCompleted => "exchange_completed",
            NotificationKind::ExchangeConfirmed => "exchange_confirmed",
            NotificationKind::ExchangeCancelled => "exchange_cancelled",
            NotificationKind::ExchangeDisputed => "exchange_disputed",
            NotificationKind::ExchangeResolved => "exchange_resolved",
            NotificationKind::ExchangeMessage => "exchange_message",
            NotificationKind::ReviewReceived => "review_received",
            NotificationKind::OrganisationVerified => "organisation_verified",
            NotificationKind::Other => "other",
        }
    }
}

/// One in-app notification. The web app words it from `kind` and `data` in the reader's
/// language; `link` is the page to open.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Notification {
    pub id: i64,
    pub kind: NotificationKind,
    /// Names and titles the message needs: `actor`, `title`, `community`, `action`, `reason`.
    pub data: serde_json::Value,
    pub link: String,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_at: Option<DateTime<Utc>>,
}

/// `GET /api/v1/notifications/unread`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnreadCount {
    pub unread: i64,
}

/// A way to reach a person besides the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    /// The app IO of Italian public services.
    Io,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Io => "io",
        }
    }
}

/// One choice: this kind of notification on this channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Preference {
    pub kind: NotificationKind,
    pub channel: Channel,
    pub enabled: bool,
}

/// `GET/PUT /api/v1/me/notification-settings`: where to reach me, my consent per channel,
/// and which notifications go there (none until I choose).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NotificationSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default)]
    pub email_consent: bool,
    #[serde(default)]
    pub io_consent: bool,
    /// One email a day with everything, instead of one per notification.
    #[serde(default)]
    pub daily_digest: bool,
    #[serde(default)]
    pub preferences: Vec<Preference>,
}
