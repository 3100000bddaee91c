//! `/api/v1/ws`: one task per socket.
//!
//! The HTTP server hands each upgrade request with its connection to [`upgrade`]. The
//! handshake checks the `Origin` against `CORTILE_PUBLIC_URL` (403 otherwise, before any
//! upgrade: another site's page cannot ride the person's cookie) and resolves the session
//! cookie (401 without one). The socket then speaks WebSocket (tungstenite) on the bare TCP
//! stream, in the connection's own task, which selects over: frames from the client, its wake-up
//! from the hub (new events in its rooms' feeds, queued frames, a recheck), and the heartbeat.
//!
//! Ordering: per room the socket remembers the highest `seq` delivered and copies what
//! follows out of the room's feed ([`super::hub::Feed`]), which is already in order (the feed,
//! shared by the process's sockets, waits for late events and fills gaps from the database).
//! When the feed no longer holds the next event (the socket was slow), the socket reads
//! `room_events` after its cursor itself. Subscribing registers with the hub first and reads
//! the missed events second, so an event committed in between arrives both ways and is sent
//! once. The per-socket state is small (idle sockets are many): the session, the actor, and per
//! room a cursor and the feed.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_codec::Framed;
use actix_http::body::BodySize;
use actix_http::h1::{self, Message};
use actix_http::{ConnectionType, HttpMessage, Request, Response};
use actix_web::cookie::Cookie;
use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse, ResponseError};
use chrono::Utc;
use cortile_shared::auth::{Role as UserRole, UserRef};
use cortile_shared::realtime::{
    ClientMsg, RoomCursor, RoomId, ServerMsg, CLIENT_TIMEOUT_SECS, HEARTBEAT_SECS,
};
use cortile_shared::{ErrorCode, Problem};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::WebSocketStream;

use super::hub::{Channel, Feed, Frame, Signals, Since};
use crate::auth::policy::{room_abilities, Action};
use crate::auth::session::SESSION_COOKIE;
use crate::auth::{resolve_session, session_token, Actor, SignedIn};
use crate::error::{AppError, AppResult};
use crate::http::AppState;

/// Events copied out of a feed at a time.
const BATCH: usize = 64;
/// Re-read the session (and the person's grants) before acting when older than this.
const ACTOR_TTL: Duration = Duration::from_secs(30);
/// Largest frame (and message) a client may send.
const MAX_FRAME: usize = 16 * 1024;
/// The socket's path: the only one that accepts an upgrade.
pub const SOCKET_PATH: &str = "/api/v1/ws";
/// What the socket reads at a time. Client frames are small (a sent message is at most a few
/// KiB); a larger one grows the buffer for as long as it takes to read it.
const READ_BUFFER: usize = 1024;
/// Frames are gathered up to this size and written together (a burst of events in one
/// system call); [`Socket::flush`] writes the rest when a burst ends.
const WRITE_BUFFER: usize = 8 * 1024;
/// Frames queued for a client that reads too slowly before the socket gives up on it.
const MAX_WRITE_BUFFER: usize = 1024 * 1024;
/// Rooms per subscribe frame.
const MAX_ROOMS_PER_FRAME: usize = 100;
/// Typing indicators per room and socket.
const TYPING_EVERY: Duration = Duration::from_secs(2);

/// Whether `origin` is the site's own (scheme, host and port of `CORTILE_PUBLIC_URL`).
pub fn same_origin(origin: &str, public_url: &str) -> bool {
    match (url::Url::parse(origin), url::Url::parse(public_url)) {
        (Ok(a), Ok(b)) => {
            a.scheme() == b.scheme()
                && a.host_str().map(str::to_ascii_lowercase)
                    == b.host_str().map(str::to_ascii_lowercase)
                && a.port_or_known_default() == b.port_or_known_default()
        }
        _ => false,
    }
}

/// Why a handshake is refused: the Origin is not the site's, or there is no live session.
/// Both the upgrade path and the plain route run it, so that they answer alike.
async fn admit(
    state: &AppState,
    origin: Option<&str>,
    cookie_token: Option<String>,
) -> AppResult<(String, SignedIn)> {
    let origin = origin.unwrap_or("");
    if !same_origin(origin, &state.config.public_url) {
        return Err(AppError::new(ErrorCode::Forbidden).with_detail(format!(
            "the socket is only for pages of {} (Origin {origin:?})",
            state.config.public_url
        )));
    }
    let unauthenticated = || {
        AppError::new(ErrorCode::Unauthenticated)
            .with_detail("log in first (or your session has expired)")
    };
    let token = cookie_token.ok_or_else(unauthenticated)?;
    let now = Utc::now().naive_utc();
    let t = token.clone();
    let signed = state
        .db
        .run(move |conn| resolve_session(conn, &t, now))
        .await?
        .ok_or_else(unauthenticated)?;
    Ok((token, signed))
}

/// The realtime socket (chat and live updates). See `cortile_shared::realtime` for the protocol.
///
/// A WebSocket handshake never reaches this route: the HTTP server hands every upgrade
/// request, with its connection, to [`upgrade`]. A plain request gets the same Origin and
/// session checks, then 400.
#[utoipa::path(
    tag = "chat",
    responses(
        (status = 101, description = "Switching to the WebSocket protocol of `cortile_shared::realtime`"),
        (status = 400, description = "Not a WebSocket handshake", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No live session", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The Origin is not the site's own", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/ws")]
pub async fn socket(req: HttpRequest, state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let origin = req
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok());
    admit(&state, origin, session_token(&req)).await?;
    Err(AppError::bad_request(
        "not a WebSocket handshake (Connection: Upgrade, Upgrade: websocket)",
    ))
}

/// The connection of an upgrade request, as the HTTP server hands it over.
pub type Upgraded = Framed<TcpStream, h1::Codec>;

/// Takes over the connection of every HTTP/1.1 upgrade request (see
/// `http::Application::build`). At `/api/v1/ws`, after the Origin and session checks, it
/// answers `101 Switching Protocols` and runs the socket on the bare TCP stream with
/// tungstenite: actix-http's 8 KiB read and write buffers are released here, and the socket
/// reads through a small buffer of its own ([`READ_BUFFER`]), so that an idle socket costs a
/// few KiB. Anything else is refused with a problem.
pub async fn upgrade(
    state: web::Data<AppState>,
    io: (Request, Upgraded),
) -> Result<(), actix_web::Error> {
    // Two steps, each boxed: once the handshake is done, nothing of it (the request, its
    // headers, the HTTP codec and buffers) stays, and the connection's task holds a pointer
    // to the socket's loop while it lives.
    let open = Box::pin(handshake(&state, io)).await?;
    if let Some(open) = open {
        Box::pin(run(state.into_inner(), open)).await;
    }
    Ok(())
}

/// A socket past its handshake.
struct Open {
    token: String,
    actor: Actor,
    ws: WebSocketStream<TcpStream>,
}

/// Answers the handshake: `101` and the socket, or the problem (and `None`).
async fn handshake(
    state: &AppState,
    (req, mut framed): (Request, Upgraded),
) -> Result<Option<Open>, actix_web::Error> {
    let result = if req.path() != SOCKET_PATH {
        Err(AppError::not_found(format!(
            "only {SOCKET_PATH} accepts a protocol upgrade"
        )))
    } else {
        let headers = req.headers();
        let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
        let token = cookie_token(headers);
        match admit(state, origin, token).await {
            Ok(ok) => actix_http::ws::handshake(req.head())
                .map(|b| (ok, b))
                .map_err(|e| AppError::bad_request(format!("not a WebSocket handshake: {e}"))),
            Err(e) => Err(e),
        }
    };
    let ((token, signed), mut accept) = match result {
        Ok(ok) => ok,
        Err(e) => {
            // The same problem response as the routes give, then the connection closes.
            let (res, body) = e.error_response().into_parts();
            let body = actix_web::body::to_bytes(body).await.unwrap_or_default();
            let mut res: Response<()> = res.into();
            res.head_mut().set_connection_type(ConnectionType::Close);
            let len = body.len() as u64;
            framed
                .send(Message::Item((res, BodySize::Sized(len))))
                .await?;
            framed.send(Message::Chunk(Some(body))).await?;
            framed.send(Message::Chunk(None)).await?;
            return Ok(None);
        }
    };
    let res = accept.finish().drop_body();
    framed.send(Message::Item((res, BodySize::None))).await?;
    let ip = req.peer_addr().map(|a| a.ip().to_string());
    let parts = framed.into_parts();
    let _ = parts.io.set_nodelay(true);
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .max_message_size(Some(MAX_FRAME))
        .max_frame_size(Some(MAX_FRAME));
    // Bytes the client sent after its handshake (none, usually) stay in front of the stream;
    // actix-http's buffers go with `parts`.
    let ws = if parts.read_buf.is_empty() {
        WebSocketStream::from_raw_socket(parts.io, Role::Server, Some(config)).await
    } else {
        let early = parts.read_buf.to_vec();
        WebSocketStream::from_partially_read(parts.io, early, Role::Server, Some(config)).await
    };
    Ok(Some(Open {
        token,
        actor: Actor {
            signed_in: Some(Box::new(signed)),
            request_id: None,
            ip,
        },
        ws,
    }))
}

/// The session cookie of a request's `Cookie` headers.
fn cookie_token(headers: &actix_http::header::HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| Cookie::parse_encoded(c.trim()).ok())
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// One subscribed room.
struct Sub {
    feed: Arc<Feed>,
    delivered: i64,
    can_send: bool,
    typed_at: Option<Instant>,
}

struct Socket {
    state: Arc<AppState>,
    id: u64,
    token: String,
    actor: Actor,
    actor_at: Instant,
    rooms: HashMap<i64, Sub>,
    sink: SplitSink<WebSocketStream<TcpStream>, WsMessage>,
    signals: Arc<Signals>,
}

/// Why the loop ends.
struct Closed;

async fn run(state: Arc<AppState>, open: Open) {
    let Open { token, actor, ws } = open;
    let (sink, mut stream): (_, SplitStream<_>) = ws.split();
    let user = actor.principal().map(|p| p.id.0).unwrap_or_default();
    let helper = actor
        .principal()
        .is_some_and(|p| p.has_role(UserRole::Operator) || p.has_role(UserRole::Staff));
    let signals = Arc::new(Signals::default());
    let rt = state.realtime.clone();
    let id = rt.hub().connect(user, signals.clone());
    if helper {
        rt.hub().subscribe(id, Channel::Help);
    }
    let mut s = Socket {
        state,
        id,
        token,
        actor,
        actor_at: Instant::now(),
        rooms: HashMap::new(),
        sink,
        signals: signals.clone(),
    };
    let mut heartbeat = tokio::time::interval_at(
        tokio::time::Instant::now() + Duration::from_secs(HEARTBEAT_SECS),
        Duration::from_secs(HEARTBEAT_SECS),
    );
    let mut last_heard = Instant::now();
    let mut ok = s
        .send(&ServerMsg::Hello {
            user: cortile_shared::UserId(user),
            heartbeat_secs: HEARTBEAT_SECS,
        })
        .await
        .is_ok()
        && s.flush().await.is_ok();
    while ok {
        // The handlers are boxed: this loop's future (one per idle socket) stays small.
        // tungstenite answers pings itself (the pong goes out with the next write or read).
        let step = tokio::select! {
            m = stream.next() => {
                last_heard = Instant::now();
                match m {
                    Some(Ok(WsMessage::Text(text))) => Box::pin(s.handle_text(text.as_str())).await,
                    Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_) | WsMessage::Frame(_))) => Ok(()),
                    Some(Ok(WsMessage::Binary(_))) => {
                        Box::pin(s.error(ErrorCode::BadRequest, "frames are JSON text", None, None)).await
                    }
                    Some(Ok(WsMessage::Close(_))) | None => Err(Closed),
                    Some(Err(e)) => {
                        let _ = Box::pin(s.error(ErrorCode::BadRequest, &format!("protocol error: {e}"), None, None)).await;
                        Err(Closed)
                    }
                }
            }
            _ = signals.wake.notified() => Box::pin(s.woken()).await,
            _ = heartbeat.tick() => {
                if last_heard.elapsed() > Duration::from_secs(CLIENT_TIMEOUT_SECS) {
                    Err(Closed)
                } else {
                    s.sink.send(WsMessage::Ping(Default::default())).await.map_err(|_| Closed)
                }
            }
        };
        ok = match step {
            Ok(()) => s.flush().await.is_ok(),
            Err(Closed) => false,
        };
    }
    rt.hub().disconnect(s.id);
    let going_away = signals.closing.load(Ordering::Acquire);
    let close = going_away.then(|| CloseFrame {
        code: CloseCode::Away,
        reason: "the server is restarting".into(),
    });
    let _ = s.sink.send(WsMessage::Close(close)).await;
    let _ = s.sink.close().await;
}

impl Socket {
    async fn send(&mut self, msg: &ServerMsg) -> Result<(), Closed> {
        let json = serde_json::to_string(msg).map_err(|_| Closed)?;
        self.send_frame(Frame::from(json)).await
    }

    /// Queues a shared frame (a reference count, not a copy); it is written when the write
    /// buffer fills or at the [`Socket::flush`] that ends each step of the loop.
    async fn send_frame(&mut self, frame: Frame) -> Result<(), Closed> {
        self.sink
            .feed(WsMessage::Text(frame))
            .await
            .map_err(|_| Closed)
    }

    /// Writes what is queued.
    async fn flush(&mut self) -> Result<(), Closed> {
        self.sink.flush().await.map_err(|_| Closed)
    }

    /// The hub woke the socket: a recheck, queued frames, new events in its rooms.
    async fn woken(&mut self) -> Result<(), Closed> {
        if self.signals.closing.load(Ordering::Acquire) {
            return Err(Closed);
        }
        if self.signals.recheck.swap(false, Ordering::AcqRel) {
            self.recheck().await?;
        }
        while let Some((room, frame)) = self.signals.pop() {
            // Queued before the socket left the room: not for it any more.
            if room.is_some_and(|r| !self.rooms.contains_key(&r)) {
                continue;
            }
            self.send_frame(frame).await?;
        }
        if self.signals.rooms.swap(false, Ordering::AcqRel) {
            let rooms: Vec<i64> = self.rooms.keys().copied().collect();
            for room in rooms {
                self.catch_up(room).await?;
            }
        }
        Ok(())
    }

    /// Sends what the room's feed has after the socket's cursor.
    async fn catch_up(&mut self, room: i64) -> Result<(), Closed> {
        loop {
            let Some(sub) = self.rooms.get(&room) else {
                return Ok(());
            };
            let after = sub.delivered;
            match sub.feed.since(after, BATCH) {
                Since::Frames(frames) if frames.is_empty() => return Ok(()),
                Since::Frames(frames) => {
                    for (seq, frame) in frames {
                        self.send_frame(frame).await?;
                        match self.rooms.get_mut(&room) {
                            Some(sub) => sub.delivered = seq,
                            None => return Ok(()),
                        }
                    }
                }
                Since::Behind => {
                    self.fill(room).await?;
                    if self.rooms.get(&room).is_none_or(|s| s.delivered == after) {
                        // The database had nothing newer for us: wait for the next wake-up.
                        return Ok(());
                    }
                }
            }
        }
    }

    async fn error(
        &mut self,
        code: ErrorCode,
        message: &str,
        room: Option<RoomId>,
        client_msg_id: Option<String>,
    ) -> Result<(), Closed> {
        self.send(&ServerMsg::Error {
            code,
            message: message.to_owned(),
            room,
            client_msg_id,
        })
        .await
    }

    async fn app_error(
        &mut self,
        e: AppError,
        room: Option<RoomId>,
        client_msg_id: Option<String>,
    ) -> Result<(), Closed> {
        if e.code == ErrorCode::Internal || e.code == ErrorCode::ServiceUnavailable {
            tracing::warn!(error = ?e.source, "realtime socket");
        }
        let message = e
            .detail
            .clone()
            .unwrap_or_else(|| e.code.title().to_owned());
        self.error(e.code, &message, room, client_msg_id).await
    }

    /// The actor, re-read from the session when older than [`ACTOR_TTL`]; `Err` closes the
    /// socket (the session ended).
    async fn actor(&mut self) -> Result<Actor, Closed> {
        if self.actor_at.elapsed() > ACTOR_TTL {
            self.refresh_actor().await?;
        }
        Ok(self.actor.clone())
    }

    async fn refresh_actor(&mut self) -> Result<(), Closed> {
        let token = self.token.clone();
        let now = Utc::now().naive_utc();
        match self
            .state
            .db
            .run(move |conn| resolve_session(conn, &token, now))
            .await
        {
            Ok(Some(signed)) => {
                self.actor.signed_in = Some(Box::new(signed));
                self.actor_at = Instant::now();
                Ok(())
            }
            Ok(None) => {
                let _ = self
                    .error(
                        ErrorCode::Unauthenticated,
                        "your session has ended",
                        None,
                        None,
                    )
                    .await;
                Err(Closed)
            }
            // The database is briefly unreachable: keep what we knew.
            Err(_) => Ok(()),
        }
    }

    async fn handle_text(&mut self, text: &str) -> Result<(), Closed> {
        let msg: ClientMsg = match serde_json::from_str(text) {
            Ok(m) => m,
            Err(e) => {
                return self
                    .error(
                        ErrorCode::BadRequest,
                        &format!("not a client message: {e}"),
                        None,
                        None,
                    )
                    .await
            }
        };
        match msg {
            ClientMsg::Ping { nonce } => self.send(&ServerMsg::Pong { nonce }).await,
            ClientMsg::Subscribe { rooms } => {
                if rooms.len() > MAX_ROOMS_PER_FRAME {
                    return self
                        .error(
                            ErrorCode::BadRequest,
                            "at most 100 rooms per subscribe",
                            None,
                            None,
                        )
                        .await;
                }
                for cursor in rooms {
                    self.subscribe(cursor).await?;
                }
                Ok(())
            }
            ClientMsg::Unsubscribe { rooms } => {
                for room in rooms {
                    if self.rooms.remove(&room.0).is_some() {
                        self.state
                            .realtime
                            .hub()
                            .unsubscribe(self.id, Channel::Room(room.0));
                    }
                }
                Ok(())
            }
            ClientMsg::Send {
                room,
                client_msg_id,
                text,
                reply_to,
            } => {
                self.send_message(room, client_msg_id, text, reply_to.map(|m| m.0))
                    .await
            }
            ClientMsg::Edit {
                room,
                message,
                text,
            } => {
                let actor = self.actor().await?;
                let now = Utc::now().naive_utc();
                let r = self
                    .state
                    .db
                    .run(move |conn| crate::chat::edit(conn, &actor, room.0, message.0, &text, now))
                    .await;
                self.publish_or_error(room, r).await
            }
            ClientMsg::Delete { room, message } => {
                let actor = self.actor().await?;
                let now = Utc::now().naive_utc();
                let r = self
                    .state
                    .db
                    .run(move |conn| crate::chat::delete(conn, &actor, room.0, message.0, now))
                    .await;
                self.publish_or_error(room, r).await
            }
            ClientMsg::Typing { room } => {
                let Some(sub) = self.rooms.get_mut(&room.0) else {
                    return self
                        .error(
                            ErrorCode::NotFound,
                            "subscribe to the room first",
                            Some(room),
                            None,
                        )
                        .await;
                };
                if !sub.can_send || sub.typed_at.is_some_and(|t| t.elapsed() < TYPING_EVERY) {
                    return Ok(());
                }
                sub.typed_at = Some(Instant::now());
                let user = self.actor.principal().map(|p| UserRef {
                    id: p.id,
                    display_name: p.display_name.clone(),
                });
                if let Some(user) = user {
                    self.state
                        .realtime
                        .publish(Channel::Room(room.0), ServerMsg::Typing { room, user });
                }
                Ok(())
            }
            ClientMsg::Read { room, seq } => {
                let actor = self.actor().await?;
                let now = Utc::now().naive_utc();
                let r = self
                    .state
                    .db
                    .run(move |conn| crate::chat::mark_read(conn, &actor, room.0, seq, now))
                    .await;
                self.publish_or_error(room, r).await
            }
        }
    }

    async fn publish_or_error(
        &mut self,
        room: RoomId,
        r: AppResult<ServerMsg>,
    ) -> Result<(), Closed> {
        match r {
            Ok(event) => {
                self.state.realtime.publish(Channel::Room(room.0), event);
                Ok(())
            }
            Err(e) => self.app_error(e, Some(room), None).await,
        }
    }

    async fn send_message(
        &mut self,
        room: RoomId,
        client_msg_id: String,
        text: String,
        reply_to: Option<i64>,
    ) -> Result<(), Closed> {
        let actor = self.actor().await?;
        let user = actor.principal().map(|p| p.id.0).unwrap_or_default();
        if let Err(wait) = self.state.realtime.take_send_token(user) {
            return self
                .error(
                    ErrorCode::RateLimited,
                    &format!("too many messages: wait {wait} s"),
                    Some(room),
                    Some(client_msg_id),
                )
                .await;
        }
        let now = Utc::now().naive_utc();
        let id = client_msg_id.clone();
        let r = self
            .state
            .db
            .run(move |conn| crate::chat::send(conn, &actor, room.0, &id, &text, reply_to, now))
            .await;
        match r {
            Ok(sent) => {
                self.send(&ServerMsg::Ack {
                    client_msg_id,
                    room,
                    seq: sent.message.seq,
                    message: sent.message.id,
                })
                .await?;
                if let Some(event) = sent.event {
                    self.state.realtime.publish(Channel::Room(room.0), event);
                }
                Ok(())
            }
            Err(e) => self.app_error(e, Some(room), Some(client_msg_id)).await,
        }
    }

    async fn subscribe(&mut self, cursor: RoomCursor) -> Result<(), Closed> {
        let room = cursor.room;
        let actor = self.actor().await?;
        let now = Utc::now().naive_utc();
        let rid = room.0;
        let allowed = self
            .state
            .db
            .run(move |conn| {
                let (_, c) = crate::chat::load_readable(conn, &actor, rid, now)?;
                Ok(room_abilities(&actor, &c).send)
            })
            .await;
        let can_send = match allowed {
            Ok(s) => s,
            Err(e) => return self.app_error(e, Some(room), None).await,
        };
        // Listen first, read second: what commits in between comes both ways, is sent once.
        let Some(feed) = self
            .state
            .realtime
            .hub()
            .subscribe(self.id, Channel::Room(rid))
        else {
            return Err(Closed);
        };
        let after = cursor.last_seq.unwrap_or(i64::MAX);
        let read = self
            .state
            .db
            .run(move |conn| crate::chat::events_after(conn, rid, after))
            .await;
        let crate::chat::Replay { last, from, events } = match read {
            Ok(r) => r,
            Err(e) => {
                self.state
                    .realtime
                    .hub()
                    .unsubscribe(self.id, Channel::Room(rid));
                return self.app_error(e, Some(room), None).await;
            }
        };
        let online = self.state.realtime.hub().online(rid);
        self.send(&ServerMsg::Subscribed {
            room,
            last_seq: last,
            after: from,
            truncated: cursor.last_seq.is_some_and(|c| c < from),
            online,
        })
        .await?;
        let mut delivered = from;
        for (seq, payload) in events {
            self.send_frame(Frame::from(payload)).await?;
            delivered = seq;
        }
        self.state.realtime.hub().anchor(&feed, last);
        let prior = self.rooms.insert(
            rid,
            Sub {
                feed,
                delivered,
                can_send,
                typed_at: None,
            },
        );
        // A second subscribe resumes from the client's cursor: keep nothing of the first.
        drop(prior);
        // What the feed took in meanwhile.
        self.catch_up(rid).await
    }

    /// Reads what the socket missed in a room from the database.
    async fn fill(&mut self, room: i64) -> Result<(), Closed> {
        let Some(after) = self.rooms.get(&room).map(|s| s.delivered) else {
            return Ok(());
        };
        let read = self
            .state
            .db
            .run(move |conn| crate::chat::events_after(conn, room, after))
            .await;
        let Ok(crate::chat::Replay { events, .. }) = read else {
            return Ok(());
        };
        for (seq, payload) in events {
            let Some(sub) = self.rooms.get_mut(&room) else {
                return Ok(());
            };
            if seq <= sub.delivered {
                continue;
            }
            sub.delivered = seq;
            self.send_frame(Frame::from(payload)).await?;
        }
        Ok(())
    }

    /// The person's rights may have changed: re-read the session, authorize every room again,
    /// and leave those no longer readable.
    async fn recheck(&mut self) -> Result<(), Closed> {
        self.refresh_actor().await?;
        let actor = self.actor.clone();
        let rooms: Vec<i64> = self.rooms.keys().copied().collect();
        let now = Utc::now().naive_utc();
        let verdicts = self
            .state
            .db
            .run(move |conn| {
                let mut out = Vec::with_capacity(rooms.len());
                for room in rooms {
                    let v = match crate::chat::get_row(conn, room)? {
                        Some(row) => {
                            let c = crate::chat::ctx_of(conn, &actor, &row, now)?;
                            crate::auth::policy::authorize(&actor, &Action::ReadRoom(c))
                                .ok()
                                .map(|_| room_abilities(&actor, &c).send)
                        }
                        None => None,
                    };
                    out.push((room, v));
                }
                Ok(out)
            })
            .await;
        let Ok(verdicts) = verdicts else {
            return Ok(());
        };
        for (room, verdict) in verdicts {
            match verdict {
                Some(can_send) => {
                    if let Some(sub) = self.rooms.get_mut(&room) {
                        sub.can_send = can_send;
                    }
                }
                None => {
                    self.rooms.remove(&room);
                    self.state
                        .realtime
                        .hub()
                        .unsubscribe(self.id, Channel::Room(room));
                    self.send(&ServerMsg::Removed { room: RoomId(room) })
                        .await?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::same_origin;

    #[test]
    fn origins_match_by_scheme_host_and_port() {
        assert!(same_origin("http://127.0.0.1", "http://127.0.0.1"));
        assert!(same_origin(
            "https://Cortile.example.org",
            "https://cortile.example.org"
        ));
        assert!(same_origin(
            "https://cortile.example.org:443",
            "https://cortile.example.org"
        ));
        assert!(!same_origin(
            "http://cortile.example.org",
            "https://cortile.example.org"
        ));
        assert!(!same_origin(
            "https://evil.example",
            "https://cortile.example.org"
        ));
        assert!(!same_origin(
            "http://127.0.0.1:9000",
            "http://127.0.0.1:8080"
        ));
        assert!(!same_origin("", "http://127.0.0.1"));
        assert!(!same_origin("null", "http://127.0.0.1"));
    }
}
