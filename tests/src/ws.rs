//! A WebSocket client of `/api/v1/ws` for the tests and the benchmark (tokio-tungstenite),
//! speaking the protocol of `cortile_shared::realtime`.

use std::time::Duration;

use cortile_shared::realtime::{ClientMsg, RoomCursor, RoomId, ServerMsg};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// The site's own origin in the tests (`Config::for_tests` sets `public_url` to it).
pub const TEST_ORIGIN: &str = "http://127.0.0.1";

/// How long a test waits for an expected frame.
pub const WAIT: Duration = Duration::from_secs(5);

pub struct WsClient {
    pub stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl WsClient {
    /// Connects to the server at `base` (`http://host:port`) with a `Cookie` header and an
    /// `Origin`; `Err(status)` when the server refuses the handshake.
    pub async fn connect(
        base: &str,
        cookie: Option<&str>,
        origin: Option<&str>,
    ) -> Result<WsClient, u16> {
        let url = format!("{}/api/v1/ws", base.replacen("http", "ws", 1));
        let mut req = url.into_client_request().expect("a ws request");
        if let Some(c) = cookie {
            req.headers_mut()
                .insert("cookie", HeaderValue::from_str(c).expect("cookie header"));
        }
        if let Some(o) = origin {
            req.headers_mut()
                .insert("origin", HeaderValue::from_str(o).expect("origin header"));
        }
        // TCP_NODELAY, as browsers set it: a small frame is sent at once.
        match tokio_tungstenite::connect_async_with_config(req, None, true).await {
            Ok((stream, _)) => Ok(WsClient { stream }),
            Err(tokio_tungstenite::tungstenite::Error::Http(res)) => Err(res.status().as_u16()),
            Err(e) => panic!("the socket failed: {e}"),
        }
    }

    pub async fn send(&mut self, msg: &ClientMsg) {
        let json = serde_json::to_string(msg).expect("json");
        self.stream
            .send(Message::text(json))
            .await
            .expect("send a frame");
    }

    pub async fn send_raw(&mut self, text: &str) {
        self.stream
            .send(Message::text(text.to_owned()))
            .await
            .expect("send a frame");
    }

    /// The next server message within `wait`; `None` on timeout; panics when the socket closes.
    pub async fn next_within(&mut self, wait: Duration) -> Option<ServerMsg> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .ok()?;
            match frame {
                Some(Ok(Message::Text(t))) => {
                    return Some(serde_json::from_str(&t).unwrap_or_else(|e| panic!("{e}: {t}")))
                }
                Some(Ok(Message::Close(_))) | None => return None,
                Some(Ok(_)) => continue,
                Some(Err(e)) => panic!("socket error: {e}"),
            }
        }
    }

    /// The next server message (panics after [`WAIT`]).
    pub async fn next(&mut self) -> ServerMsg {
        self.next_within(WAIT)
            .await
            .expect("a server message in time")
    }

    /// Skips messages until one matches (presence, typing and the like come in between).
    pub async fn until(
        &mut self,
        what: &str,
        mut pred: impl FnMut(&ServerMsg) -> bool,
    ) -> ServerMsg {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_within(left).await {
                Some(m) if pred(&m) => return m,
                Some(_) => continue,
                None => panic!("no {what} within {WAIT:?}"),
            }
        }
    }

    /// Every message that arrives within `wait`.
    pub async fn drain(&mut self, wait: Duration) -> Vec<ServerMsg> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut out = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.next_within(left).await {
                Some(m) => out.push(m),
                None => return out,
            }
        }
    }

    /// Subscribes to one room from `last_seq` and waits for the confirmation.
    pub async fn subscribe(&mut self, room: RoomId, last_seq: Option<i64>) -> ServerMsg {
        self.send(&ClientMsg::Subscribe {
            rooms: vec![RoomCursor { room, last_seq }],
        })
        .await;
        self.until("subscribed or error", |m| {
            matches!(m, ServerMsg::Subscribed { room: r, .. } | ServerMsg::Error { room: Some(r), .. } if *r == room)
        })
        .await
    }

    /// Sends a message and waits for its ack (or error).
    pub async fn say(&mut self, room: RoomId, client_msg_id: &str, text: &str) -> ServerMsg {
        self.send(&ClientMsg::Send {
            room,
            client_msg_id: client_msg_id.to_owned(),
            text: text.to_owned(),
            reply_to: None,
        })
        .await;
        let id = client_msg_id.to_owned();
        self.until("ack or error", move |m| match m {
            ServerMsg::Ack { client_msg_id, .. } => *client_msg_id == id,
            ServerMsg::Error {
                client_msg_id: Some(c),
                ..
            } => *c == id,
            _ => false,
        })
        .await
    }

    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}

/// The room events (message, edit, delete) among some messages, as (room, seq).
pub fn seqs(msgs: &[ServerMsg], room: RoomId) -> Vec<i64> {
    msgs.iter()
        .filter_map(ServerMsg::room_seq)
        .filter(|(r, _)| *r == room)
        .map(|(_, s)| s)
        .collect()
}
