//! PostgreSQL LISTEN/NOTIFY between processes on one database.
//!
//! One dedicated tokio-postgres connection per process listens on [`super::PG_CHANNEL`] and
//! sends this process's `NOTIFY`s in order (one task, one queue). Each payload names its origin
//! (a random id per process) so a process skips its own, which it delivered locally already;
//! origin 0 is "from a transaction" ([`super::notify_in_tx`]) and is delivered by every process.
//!
//! Payloads (JSON, under PostgreSQL's 8000-byte limit):
//! - `{"o":origin,"c":"r:12","m":{…ServerMsg…}}` an event for a channel;
//! - `{"o":origin,"c":"r:12","g":[12,345]}` a room event too large to carry: read seq 345 of
//!   room 12 from `room_events`;
//! - `{"o":origin,"k":7}` person 7's rights changed: their sockets authorize again;
//! - `{"o":origin,"p":{"r":12,"n":3,"j":[7],"l":[]}}` presence in room 12 on that process
//!   changed: `n` people online there, `j` came, `l` left (each process adds the others'
//!   counts to its own: approximate, a person online on two processes counts twice); with
//!   `"f":true`, `j` is everyone online there (a snapshot, in chunks: the first replaces, the
//!   next add);
//! - `{"o":origin,"s":1}` that process has just started listening (or listens again after
//!   losing its connection): every other process answers with its snapshot, so that who is
//!   online is known across processes from the start.
//!
//! A receiver passes an event's JSON on as it arrived (one parse to learn its room and `seq`,
//! no second serialisation); a stored room event goes into the room's feed, which reads the
//! database at most once per event, whatever the number of local subscribers.
//!
//! When the listening connection drops, it reconnects with backoff, and every local socket then
//! fills its rooms from `room_events` (notifications sent meanwhile were missed).

use std::sync::Arc;
use std::time::Duration;

use cortile_shared::realtime::ServerMsg;
use cortile_shared::UserId;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tokio::sync::mpsc;
use tokio_postgres::AsyncMessage;

use super::hub::{Channel, Frame, Hub, PresenceChange};
use super::PG_CHANNEL;

/// Largest payload sent (PostgreSQL refuses 8000 bytes and more).
const MAX_PAYLOAD: usize = 7_900;

#[derive(Clone)]
pub struct PgBroker {
    origin: u64,
    tx: mpsc::UnboundedSender<String>,
}

#[derive(Deserialize)]
struct Wire {
    o: u64,
    #[serde(default)]
    c: Option<String>,
    #[serde(default)]
    m: Option<Box<RawValue>>,
    #[serde(default)]
    g: Option<(i64, i64)>,
    #[serde(default)]
    k: Option<i64>,
    #[serde(default)]
    p: Option<WirePresence>,
    #[serde(default)]
    s: Option<u8>,
}

#[derive(Serialize, Deserialize)]
struct WirePresence {
    r: i64,
    n: u32,
    j: Vec<i64>,
    l: Vec<i64>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    f: bool,
}

/// People per snapshot payload (ids of up to 13 digits stay under the payload limit).
const SNAPSHOT_CHUNK: usize = 400;

/// This process's presence snapshot as payloads, a big room in several.
fn snapshot_payloads(origin: u64, hub: &Hub) -> Vec<String> {
    let mut out = Vec::new();
    for change in hub.snapshot() {
        let ids: Vec<i64> = change.joined.iter().map(|u| u.0).collect();
        for (i, chunk) in ids.chunks(SNAPSHOT_CHUNK).enumerate() {
            let p = WirePresence {
                r: change.room,
                n: change.local,
                j: chunk.to_vec(),
                l: Vec::new(),
                f: i == 0,
            };
            if let Ok(json) = serde_json::to_string(&p) {
                out.push(format!(r#"{{"o":{origin},"p":{json}}}"#));
            }
        }
    }
    out
}

/// The NOTIFY payload for an event, or `None` when even its short form does not fit.
pub fn payload(origin: u64, channel: Channel, msg: &ServerMsg) -> Option<String> {
    let json = serde_json::to_string(msg).ok()?;
    payload_of(
        origin,
        channel,
        msg.room_seq().map(|(r, s)| (r.0, s)),
        &json,
    )
}

/// The NOTIFY payload for an event already serialised as `json`.
pub fn payload_of(
    origin: u64,
    channel: Channel,
    room_seq: Option<(i64, i64)>,
    json: &str,
) -> Option<String> {
    let full = format!(r#"{{"o":{origin},"c":"{}","m":{json}}}"#, channel.key());
    if full.len() <= MAX_PAYLOAD {
        return Some(full);
    }
    let (room, seq) = room_seq?;
    Some(format!(
        r#"{{"o":{origin},"c":"{}","g":[{room},{seq}]}}"#,
        channel.key()
    ))
}

impl PgBroker {
    pub fn start(url: String, hub: Arc<Hub>) -> PgBroker {
        let origin = loop {
            let o = uuid::Uuid::new_v4().as_u64_pair().0;
            if o != 0 {
                break o;
            }
        };
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(url, origin, hub, rx));
        PgBroker { origin, tx }
    }

    /// Publishes an event already serialised as `json`.
    pub fn publish(&self, channel: Channel, room_seq: Option<(i64, i64)>, json: &str) {
        match payload_of(self.origin, channel, room_seq, json) {
            Some(p) => {
                let _ = self.tx.send(p);
            }
            None => tracing::warn!(channel = %channel.key(), "realtime event too large to publish"),
        }
    }

    /// Tells the other processes about a presence change here.
    pub fn presence(&self, change: &PresenceChange) {
        let p = WirePresence {
            r: change.room,
            n: change.local,
            j: change.joined.iter().map(|u| u.0).collect(),
            l: change.left.iter().map(|u| u.0).collect(),
            f: change.full,
        };
        if let Ok(json) = serde_json::to_string(&p) {
            if json.len() < MAX_PAYLOAD - 40 {
                let _ = self
                    .tx
                    .send(format!(r#"{{"o":{},"p":{json}}}"#, self.origin));
            }
        }
    }

    /// Repeats this process's presence snapshot to the others (see [`super::SNAPSHOT_EVERY`]).
    pub fn snapshot(&self, hub: &Hub) {
        for payload in snapshot_payloads(self.origin, hub) {
            let _ = self.tx.send(payload);
        }
    }

    pub fn recheck_user(&self, user: i64) {
        let _ = self
            .tx
            .send(format!(r#"{{"o":{},"k":{user}}}"#, self.origin));
    }
}

/// Handles a notification; true when its sender asks for this process's presence snapshot.
fn dispatch(hub: &Hub, origin: u64, raw: &str) -> bool {
    let Ok(w) = serde_json::from_str::<Wire>(raw) else {
        tracing::warn!("unreadable realtime notification");
        return false;
    };
    if w.o == origin {
        return false;
    }
    if w.s.is_some() {
        return true;
    }
    if let Some(user) = w.k {
        hub.recheck_user(user);
    }
    if let Some(p) = w.p {
        hub.remote_presence(
            w.o,
            PresenceChange {
                room: p.r,
                local: p.n,
                joined: p.j.into_iter().map(UserId).collect(),
                left: p.l.into_iter().map(UserId).collect(),
                full: p.f,
            },
        );
    }
    let Some(channel) = w.c.as_deref().and_then(Channel::parse) else {
        return false;
    };
    if let Some(raw) = w.m {
        // Parsed once to learn where it goes; sent on as the text it arrived as.
        let Ok(msg) = serde_json::from_str::<ServerMsg>(raw.get()) else {
            tracing::warn!("unreadable realtime event");
            return false;
        };
        hub.deliver_frame(
            channel,
            msg.room().map(|r| r.0),
            msg.room_seq().map(|s| s.1),
            Frame::from(String::from(raw.get())),
        );
    } else if let (Channel::Room(room), Some((_, seq))) = (channel, w.g) {
        hub.event(room, seq, None);
    }
    false
}

async fn run(
    url: String,
    origin: u64,
    hub: Arc<Hub>,
    mut outgoing: mpsc::UnboundedReceiver<String>,
) {
    let mut backoff = Duration::from_millis(200);
    let mut first = true;
    loop {
        let (client, mut connection) = match tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
        {
            Ok(pair) => pair,
            Err(e) => {
                tracing::warn!(error = %e, "realtime broker: cannot connect to PostgreSQL; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
                continue;
            }
        };
        let (ntx, mut incoming) = mpsc::unbounded_channel::<String>();
        let driver = tokio::spawn(async move {
            let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
            while let Some(m) = messages.next().await {
                match m {
                    Ok(AsyncMessage::Notification(n)) => {
                        if ntx.send(n.payload().to_owned()).is_err() {
                            break;
                        }
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "realtime broker: connection lost");
                        break;
                    }
                }
            }
        });
        if let Err(e) = client.batch_execute(&format!("LISTEN {PG_CHANNEL}")).await {
            tracing::warn!(error = %e, "realtime broker: LISTEN failed; retrying");
            driver.abort();
            tokio::time::sleep(backoff).await;
            continue;
        }
        backoff = Duration::from_millis(200);
        if !first {
            hub.mark_all_lagged();
        }
        first = false;
        tracing::debug!("realtime broker listening");
        // Who is online on the others: they answer with their snapshots.
        let ask = format!(r#"{{"o":{origin},"s":1}}"#);
        if let Err(e) = client
            .execute("SELECT pg_notify($1, $2)", &[&PG_CHANNEL, &ask])
            .await
        {
            tracing::warn!(error = %e, "realtime broker: NOTIFY failed");
        }
        loop {
            tokio::select! {
                n = incoming.recv() => match n {
                    Some(raw) => {
                        if dispatch(&hub, origin, &raw) {
                            for payload in snapshot_payloads(origin, &hub) {
                                if let Err(e) = client.execute("SELECT pg_notify($1, $2)", &[&PG_CHANNEL, &payload]).await {
                                    tracing::warn!(error = %e, "realtime broker: NOTIFY failed");
                                    break;
                                }
                            }
                        }
                    }
                    None => break,
                },
                p = outgoing.recv() => match p {
                    Some(payload) => {
                        if let Err(e) = client.execute("SELECT pg_notify($1, $2)", &[&PG_CHANNEL, &payload]).await {
                            tracing::warn!(error = %e, "realtime broker: NOTIFY failed");
                            if client.is_closed() {
                                break;
                            }
                        }
                    }
                    // The process is shutting down.
                    None => return,
                },
            }
        }
        driver.abort();
        tokio::time::sleep(backoff).await;
    }
}
