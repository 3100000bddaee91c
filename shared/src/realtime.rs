//! Chat and live updates: the WebSocket protocol of `/api/v1/ws` and the chat's REST bodies.
//!
//! ## The socket
//!
//! One socket per browser tab, authenticated by the session cookie; the server checks that the
//! `Origin` is the site's own (`CORTILE_PUBLIC_URL`) and refuses others with 403 before
//! upgrading. Every frame is one JSON text message: a [`ClientMsg`] from the browser, a
//! [`ServerMsg`] from the server, each tagged by `type` (snake_case).
//!
//! - On connecting the server sends [`ServerMsg::Hello`]. The socket is already subscribed to
//!   the person's own channel (notifications and domain events such as a report's status or an
//!   exchange's state arrive as [`ServerMsg::Notification`] and [`ServerMsg::Domain`]).
//! - **Rooms.** [`ClientMsg::Subscribe`] names rooms, each with the last sequence number the
//!   client has seen (`last_seq`, or none for "only new events"). The server answers
//!   [`ServerMsg::Subscribed`] (or an [`ServerMsg::Error`] per refused room), then sends the
//!   missed events in order, then the live ones. Every event of a room (message, edit, delete)
//!   carries the room's sequence number `seq`: 1, 2, 3… with no gaps and no repeats on one
//!   socket. A client that reconnects sends the highest `seq` it saw and gets exactly what it
//!   missed. (Missed events are sent from the database; a resume further back than
//!   [`MAX_REPLAY`] events gets the newest ones and [`ServerMsg::Subscribed::truncated`]; page
//!   back with the history route.)
//! - **Sending.** [`ClientMsg::Send`] carries a `client_msg_id` chosen by the client (a UUID):
//!   the server stores the message, gives it its `seq`, and only then answers
//!   [`ServerMsg::Ack`]. Resending the same `client_msg_id` after a lost ack stores nothing new
//!   and acks the same `seq` again. The message itself also comes back as a
//!   [`ServerMsg::Message`] event, like everyone else's.
//! - Ephemeral, not stored, no `seq`: [`ServerMsg::Typing`], [`ServerMsg::Presence`] (who joined
//!   and left, coalesced twice a second; the full list is in [`ServerMsg::Subscribed`]),
//!   [`ServerMsg::ReadMarker`].
//! - **Removal.** When a person is removed from a room, banned from its community, or loses
//!   access otherwise, their sockets get [`ServerMsg::Removed`] for that room within a second
//!   and receive nothing more from it.
//! - **Heartbeats.** The server pings every [`HEARTBEAT_SECS`] seconds and closes a socket that
//!   has not answered for [`CLIENT_TIMEOUT_SECS`]; a client may send [`ClientMsg::Ping`] and
//!   gets [`ServerMsg::Pong`] (useful where the browser hides WebSocket pings).
//! - Errors are [`ServerMsg::Error`] with a stable [`ErrorCode`], echoing the `client_msg_id`
//!   or `room` they concern; the socket stays open (a malformed frame is `bad_request`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::UserRef;
use crate::error::ErrorCode;
use crate::ids::{CommunityId, UserId};

/// Seconds between the server's pings.
pub const HEARTBEAT_SECS: u64 = 20;
/// Seconds without any frame from the client after which the server closes the socket.
pub const CLIENT_TIMEOUT_SECS: u64 = 60;
/// Longest message text (markdown), in characters.
pub const MAX_MESSAGE_LEN: usize = 4_000;
/// Most events replayed at a subscription (older ones: the history route).
pub const MAX_REPLAY: i64 = 500;
/// Longest `client_msg_id`.
pub const MAX_CLIENT_MSG_ID_LEN: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct RoomId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct MessageId(pub i64);

impl std::fmt::Display for RoomId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// What a room is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RoomKind {
    /// The room of a community: its members are the community's (the registry's, for estates
    /// and buildings), never copied.
    Community,
    /// A group of people chosen by its creator.
    Group,
    /// Two people.
    Direct,
    /// A resident and the operators on duty ("talk to a person").
    Help,
}

impl RoomKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoomKind::Community => "community",
            RoomKind::Group => "group",
            RoomKind::Direct => "direct",
            RoomKind::Help => "help",
        }
    }

    pub fn parse(raw: &str) -> Option<RoomKind> {
        match raw {
            "community" => Some(RoomKind::Community),
            "group" => Some(RoomKind::Group),
            "direct" => Some(RoomKind::Direct),
            "help" => Some(RoomKind::Help),
            _ => None,
        }
    }
}

/// A room and where I stand in it (`GET /api/v1/chat/rooms`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Room {
    pub id: RoomId,
    pub kind: RoomKind,
    /// The community's name, the group's name, the other person's name, or the resident's
    /// name for a help room.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub community_id: Option<CommunityId>,
    /// The other person of a direct room.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<UserRef>,
    /// The room's newest sequence number.
    pub last_seq: i64,
    /// My read marker.
    pub read_seq: i64,
    /// Messages of others after my read marker (deleted ones not counted).
    pub unread: i64,
    pub abilities: RoomAbilities,
    /// Help rooms: the operator who took it, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<UserRef>,
    /// Help rooms: whether it waits for an operator.
    #[serde(default)]
    pub waiting: bool,
    /// The newest message (shown as deleted when it was), for the room list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message: Option<ChatMessage>,
}

/// How far someone has read a room (`GET /api/v1/chat/rooms/{id}/reads`): the "seen by" of a
/// page just opened, before the live [`ServerMsg::ReadMarker`] events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReadMark {
    pub user: UserRef,
    /// Everything up to this `seq` has been read.
    pub seq: i64,
}

/// What I may do in a room (decided by the server's one permission check).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoomAbilities {
    pub read: bool,
    pub send: bool,
    pub moderate: bool,
}

/// A message as it is now. A deleted one keeps its place with `deleted: true` and no text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChatMessage {
    pub id: MessageId,
    pub room: RoomId,
    /// The sequence number the message was given when sent.
    pub seq: i64,
    pub sender: UserRef,
    /// Markdown as written (empty when deleted).
    pub text: String,
    /// Sanitised HTML rendered from `text` (empty when deleted).
    pub html: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<MessageId>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub deleted: bool,
}

/// One room and the last sequence number the client saw there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomCursor {
    pub room: RoomId,
    /// The highest `seq` seen; `None` for "only what comes from now on".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seq: Option<i64>,
}

/// From the browser to the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMsg {
    Subscribe {
        rooms: Vec<RoomCursor>,
    },
    Unsubscribe {
        rooms: Vec<RoomId>,
    },
    Send {
        room: RoomId,
        /// Chosen by the client, unique per room and sender (a UUID): a resend is not stored twice.
        client_msg_id: String,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reply_to: Option<MessageId>,
    },
    Edit {
        room: RoomId,
        message: MessageId,
        text: String,
    },
    Delete {
        room: RoomId,
        message: MessageId,
    },
    /// "I am typing" (send at most every few seconds while typing).
    Typing {
        room: RoomId,
    },
    /// I have read up to `seq`.
    Read {
        room: RoomId,
        seq: i64,
    },
    Ping {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonce: Option<u64>,
    },
}

/// From the server to the browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMsg {
    /// First frame: who the socket belongs to.
    Hello {
        user: UserId,
        heartbeat_secs: u64,
    },
    /// A subscription is in place; missed events follow (from `after`), then live ones.
    Subscribed {
        room: RoomId,
        /// The room's newest `seq` when subscribing.
        last_seq: i64,
        /// Missed events are replayed from this `seq` on (exclusive).
        after: i64,
        /// More than [`MAX_REPLAY`] events were missed: only the newest are replayed.
        #[serde(default)]
        truncated: bool,
        /// Who is online in the room (on this server).
        online: Vec<UserId>,
    },
    Message {
        room: RoomId,
        seq: i64,
        message: ChatMessage,
    },
    Edit {
        room: RoomId,
        seq: i64,
        message: ChatMessage,
    },
    Delete {
        room: RoomId,
        seq: i64,
        message: MessageId,
    },
    /// Who came online or went offline in a room since the last one (coalesced). `online` is
    /// the count; `joined`/`left` are omitted (empty) when more than a few changed at once.
    Presence {
        room: RoomId,
        online: u32,
        joined: Vec<UserId>,
        left: Vec<UserId>,
    },
    Typing {
        room: RoomId,
        user: UserRef,
    },
    ReadMarker {
        room: RoomId,
        user: UserId,
        seq: i64,
    },
    /// A new notification for me (as in `GET /api/v1/notifications`).
    Notification {
        notification: crate::community::Notification,
    },
    /// Something else changed that an open page may show: `topic` names it (for example
    /// `report.status`, `exchange.state`, `help.waiting`), `data` is its body.
    Domain {
        topic: String,
        data: serde_json::Value,
    },
    /// My message is stored with this `seq`.
    Ack {
        client_msg_id: String,
        room: RoomId,
        seq: i64,
        message: MessageId,
    },
    /// I may no longer see this room (removed, banned, left): no more events from it.
    Removed {
        room: RoomId,
    },
    /// A room's people or name changed (ephemeral, no `seq`): a group renamed (`name`), people
    /// added or gone (left or removed), or someone muted. Open member lists read their page
    /// again; the room list takes the new name.
    RoomChanged {
        room: RoomId,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        added: Vec<UserRef>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        gone: Vec<UserId>,
        /// Who is a moderator now, when moderation was handed on.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        moderators: Vec<UserId>,
    },
    Error {
        code: ErrorCode,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        room: Option<RoomId>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_msg_id: Option<String>,
    },
    Pong {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nonce: Option<u64>,
    },
}

impl ServerMsg {
    /// The room and sequence number of a stored room event.
    pub fn room_seq(&self) -> Option<(RoomId, i64)> {
        match self {
            ServerMsg::Message { room, seq, .. }
            | ServerMsg::Edit { room, seq, .. }
            | ServerMsg::Delete { room, seq, .. } => Some((*room, *seq)),
            _ => None,
        }
    }

    /// The room an event is about, for every room-scoped event (stored or ephemeral).
    pub fn room(&self) -> Option<RoomId> {
        match self {
            ServerMsg::Subscribed { room, .. }
            | ServerMsg::Message { room, .. }
            | ServerMsg::Edit { room, .. }
            | ServerMsg::Delete { room, .. }
            | ServerMsg::Presence { room, .. }
            | ServerMsg::Typing { room, .. }
            | ServerMsg::ReadMarker { room, .. }
            | ServerMsg::Removed { room }
            | ServerMsg::RoomChanged { room, .. } => Some(*room),
            _ => None,
        }
    }
}

/// `GET /api/v1/chat/rooms/{id}/messages?before=&limit=`: newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct History {
    pub messages: Vec<ChatMessage>,
    /// Pass as `before` for older messages; absent at the beginning of the room.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<i64>,
}

/// `POST /api/v1/chat/rooms`: a group room.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewGroupRoom {
    pub name: String,
    /// Who else is in it (the creator always is, as its moderator).
    #[serde(default)]
    pub members: Vec<UserId>,
}

/// `PUT /api/v1/chat/rooms/{id}`: a group's moderators rename it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoomUpdate {
    pub name: String,
}

/// `POST /api/v1/chat/rooms/{id}/members`: a group's moderators add people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewMembers {
    pub members: Vec<UserId>,
}

/// The answer to [`NewMembers`]: who is in the room now that was not before (people already
/// in it, and people who block the adder or whom the adder blocks, are not added).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddedMembers {
    pub added: Vec<UserRef>,
}

/// One person of a room (`GET /api/v1/chat/rooms/{id}/members`, by name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoomMember {
    pub user: UserRef,
    /// Moderates the room (a group's moderator, a community's moderator, the operator of a
    /// help room).
    pub moderator: bool,
    /// Muted by a moderator, for now.
    pub muted: bool,
    /// Has the app open with this room followed, now (on any of the site's processes).
    pub online: bool,
}

/// Fewest characters of a name `GET /api/v1/chat/people?q=` searches with.
pub const MIN_PEOPLE_QUERY: usize = 2;

/// `POST /api/v1/chat/direct`: open (or find) the direct room with someone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewDirect {
    pub user_id: UserId,
}

/// `POST /api/v1/chat/rooms/{id}/mutes`: a moderator stops someone sending for a while.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewMute {
    pub user_id: UserId,
    /// 1 to 10,080 (a week).
    pub minutes: i64,
    #[serde(default)]
    pub reason: String,
}

/// `POST /api/v1/chat/rooms/{id}/removals`: a moderator removes someone from the room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewRemoval {
    pub user_id: UserId,
    #[serde(default)]
    pub reason: String,
}

/// A person I block (`GET /api/v1/chat/blocks`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Block {
    pub user: UserRef,
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_messages_are_tagged_snake_case() {
        let m: ClientMsg = serde_json::from_str(
            r#"{"type":"subscribe","rooms":[{"room":3,"last_seq":7},{"room":4}]}"#,
        )
        .expect("decodes");
        assert_eq!(
            m,
            ClientMsg::Subscribe {
                rooms: vec![
                    RoomCursor {
                        room: RoomId(3),
                        last_seq: Some(7)
                    },
                    RoomCursor {
                        room: RoomId(4),
                        last_seq: None
                    }
                ]
            }
        );
        let send = ClientMsg::Send {
            room: RoomId(1),
            client_msg_id: "a".into(),
            text: "ciao".into(),
            reply_to: None,
        };
        assert_eq!(
            serde_json::to_string(&send).expect("json"),
            r#"{"type":"send","room":1,"client_msg_id":"a","text":"ciao"}"#
        );
    }

    #[test]
    fn errors_carry_the_stable_code() {
        let e = ServerMsg::Error {
            code: ErrorCode::RateLimited,
            message: "slow down".into(),
            room: Some(RoomId(2)),
            client_msg_id: None,
        };
        let json = serde_json::to_string(&e).expect("json");
        assert_eq!(
            json,
            r#"{"type":"error","code":"rate_limited","message":"slow down","room":2}"#
        );
        assert_eq!(serde_json::from_str::<ServerMsg>(&json).expect("back"), e);
    }
}
