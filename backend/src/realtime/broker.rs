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
//! - `{"o":origin,"k":7}` person 7's rights changed: their sockets authorize again.
//!
//! When the listening connection drops, it reconnects with backoff, and every local socket then
//! fills its rooms from `room_events` (notifications sent meanwhile were missed).

use std::sync::Arc;
use std::time::Duration;

use cortile_shared::realtime::ServerMsg;
use futures_util::StreamExt;
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio_postgres::AsyncMessage;

use super::hub::{Channel, Hub, Out};
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
    m: Option<ServerMsg>,
    #[serde(default)]
    g: Option<(i64, i64)>,
    #[serde(default)]
    k: Option<i64>,
}

/// The NOTIFY payload for an event, or `None` when even its short form does not fit.
pub fn payload(origin: u64, channel: Channel, msg: &ServerMsg) -> Option<String> {
    let json = serde_json::to_string(msg).ok()?;
    let full = format!(r#"{{"o":{origin},"c":"{}","m":{json}}}"#, channel.key());
    if full.len() <= MAX_PAYLOAD {
        return Some(full);
    }
    let (room, seq) = msg.room_seq()?;
    Some(format!(
        r#"{{"o":{origin},"c":"{}","g":[{},{seq}]}}"#,
        channel.key(),
        room.0
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

    pub fn publish(&self, channel: Channel, msg: &ServerMsg) {
        match payload(self.origin, channel, msg) {
            Some(p) => {
                let _ = self.tx.send(p);
            }
            None => tracing::warn!(channel = %channel.key(), "realtime event too large to publish"),
        }
    }

    pub fn recheck_user(&self, user: i64) {
        let _ = self
            .tx
            .send(format!(r#"{{"o":{},"k":{user}}}"#, self.origin));
    }
}

fn dispatch(hub: &Hub, origin: u64, raw: &str) {
    let Ok(w) = serde_json::from_str::<Wire>(raw) else {
        tracing::warn!("unreadable realtime notification");
        return;
    };
    if w.o == origin {
        return;
    }
    if let Some(user) = w.k {
        hub.recheck_user(user);
    }
    let Some(channel) = w.c.as_deref().and_then(Channel::parse) else {
        return;
    };
    if let Some(msg) = w.m {
        hub.deliver(channel, &msg);
    } else if let Some((room, seq)) = w.g {
        hub.offer(channel, Out::Gap { room, seq });
    }
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
        loop {
            tokio::select! {
                n = incoming.recv() => match n {
                    Some(raw) => dispatch(&hub, origin, &raw),
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
