//! Live updates: the WebSocket endpoint, the hub of this process, and the broker that makes
//! several processes one site.
//!
//! - [`hub`]: which socket listens to which channel (a room, a person, the operators on duty),
//!   presence per room, fan-out to bounded per-socket queues.
//! - [`ws`]: `/api/v1/ws`, one task per socket (subscriptions with resume, sends, heartbeats).
//! - The broker: [`Realtime::publish`] delivers to this process's sockets at once and, on
//!   PostgreSQL, sends a `NOTIFY` that every other process's listener turns into the same local
//!   delivery ([`broker`]). The payload is small: the event itself when it fits in PostgreSQL's
//!   8000-byte limit, otherwise only the room and `seq`, which receivers read from `room_events`.
//!   On SQLite (one process) the hub is the broker.
//!
//! Other domains call [`Realtime::publish`] after their transaction commits (for example a
//! report's status to its author: `Channel::User(id)`, `ServerMsg::Domain {topic, data}`).
//! Notifications are written inside transactions that know nothing of sockets, so
//! [`notify_in_tx`] queues a `pg_notify` in that transaction (PostgreSQL delivers it at commit,
//! never for a rollback); on SQLite a poller reads new notification rows twice a second.

pub mod broker;
pub mod hub;
pub mod ws;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cortile_shared::community::Notification;
use cortile_shared::realtime::ServerMsg;
use diesel::prelude::*;

use crate::config::DatabaseUrl;
use crate::db::{Db, DbConn};
use crate::error::AppResult;
pub use hub::{Channel, Frame, Hub};

/// The PostgreSQL channel every process listens to.
pub const PG_CHANNEL: &str = "cortile_realtime";
/// Presence changes are published at most this often per room.
const PRESENCE_TICK: Duration = Duration::from_millis(500);
/// Each process repeats its presence snapshot this often (PostgreSQL), and forgets what another
/// process told of a room when it has not repeated it for three times as long: a process that
/// was killed leaves nobody "online" for more than that.
pub const SNAPSHOT_EVERY: Duration = Duration::from_secs(20);

/// Messages a person may send over their sockets: a burst of [`RATE_BURST`], then
/// [`RATE_PER_SEC`] per second (per process; the database also counts per minute, for all).
pub const RATE_BURST: f64 = 20.0;
pub const RATE_PER_SEC: f64 = 2.0;

/// The realtime side of a process.
#[derive(Clone)]
pub struct Realtime {
    hub: Arc<Hub>,
    broker: Option<broker::PgBroker>,
    limiter: Arc<Mutex<HashMap<i64, (f64, Instant)>>>,
    db: Db,
}

impl Realtime {
    /// Starts the hub's presence ticker and, on PostgreSQL, the broker's listener (which
    /// reconnects by itself); on SQLite the notification poller.
    pub fn start(db: Db, url: &DatabaseUrl) -> Realtime {
        let hub = Arc::new(Hub::default());
        let broker = match url {
            DatabaseUrl::Postgres(u) => Some(broker::PgBroker::start(u.clone(), hub.clone())),
            DatabaseUrl::Sqlite(_) => {
                spawn_notification_poller(db.clone(), hub.clone());
                None
            }
        };
        let rt = Realtime {
            hub,
            broker,
            limiter: Arc::default(),
            db,
        };
        let ticking = rt.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(PRESENCE_TICK);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            let mut snapshot_at = tokio::time::Instant::now() + SNAPSHOT_EVERY;
            loop {
                tick.tick().await;
                if let Some(b) = &ticking.broker {
                    if tokio::time::Instant::now() >= snapshot_at {
                        snapshot_at += SNAPSHOT_EVERY;
                        b.snapshot(&ticking.hub);
                        ticking.hub.forget_silent(SNAPSHOT_EVERY * 3);
                    }
                }
                for (msg, change) in ticking.hub.take_presence() {
                    ticking.hub.deliver(Channel::Room(change.room), &msg);
                    if let Some(b) = &ticking.broker {
                        b.presence(&change);
                    }
                }
                ticking.forget_full_buckets();
            }
        });
        spawn_feed_filler(rt.db.clone(), rt.hub.clone());
        let flushing = rt.hub.clone();
        tokio::spawn(async move {
            loop {
                let next = flushing.flush_due();
                let sleep = async {
                    match next {
                        Some(t) => {
                            tokio::time::sleep_until(tokio::time::Instant::from_std(t)).await
                        }
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    _ = flushing.flusher.notified() => {}
                    _ = sleep => {}
                }
            }
        });
        rt
    }

    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Delivers `msg` to everyone listening on `channel`, in this process and the others.
    /// Call after the transaction that made the change has committed.
    /// The event is serialised once: the same frame goes to every local socket and (inside
    /// the NOTIFY payload) to the other processes.
    pub fn publish(&self, channel: Channel, msg: ServerMsg) {
        let Ok(json) = serde_json::to_string(&msg) else {
            return;
        };
        let room = msg.room().map(|r| r.0);
        let room_seq = msg.room_seq().map(|(r, s)| (r.0, s));
        if let Some(b) = &self.broker {
            b.publish(channel, room_seq, &json);
        }
        self.hub
            .deliver_frame(channel, room, room_seq.map(|s| s.1), Frame::from(json));
    }

    /// Every socket of `user`, here and in the other processes, authorizes its subscriptions
    /// again (call after a removal, a ban, a logout): those it may no longer read are closed.
    pub fn recheck_user(&self, user: i64) {
        self.hub.recheck_user(user);
        if let Some(b) = &self.broker {
            b.recheck_user(user);
        }
    }

    /// Takes one send from the person's bucket; `Err(seconds)` when empty.
    pub fn take_send_token(&self, user: i64) -> Result<(), u64> {
        let mut buckets = self.limiter.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let (tokens, at) = buckets.entry(user).or_insert((RATE_BURST, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * RATE_PER_SEC).min(RATE_BURST);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / RATE_PER_SEC).ceil().max(1.0) as u64)
        }
    }

    fn forget_full_buckets(&self) {
        let mut buckets = self.limiter.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        buckets.retain(|_, (tokens, at)| {
            *tokens + now.duration_since(*at).as_secs_f64() * RATE_PER_SEC < RATE_BURST
        });
    }
}

/// Tells the person's open pages about a new notification. Call inside the transaction that
/// writes it: on PostgreSQL a `pg_notify` that is sent at commit (to every process, this one
/// included); on SQLite nothing, the poller finds the row.
pub fn notify_in_tx(conn: &mut DbConn, user: i64, notification: &Notification) -> AppResult<()> {
    if let DbConn::Postgres(c) = conn {
        let msg = ServerMsg::Notification {
            notification: notification.clone(),
        };
        if let Some(payload) = broker::payload(0, Channel::User(user), &msg) {
            diesel::sql_query("SELECT pg_notify($1, $2)")
                .bind::<diesel::sql_types::Text, _>(PG_CHANNEL)
                .bind::<diesel::sql_types::Text, _>(payload)
                .execute(c)?;
        }
    }
    Ok(())
}

/// Fills the rooms' feeds from `room_events` when a gap stays open (an event published out
/// of order whose predecessor never came, one known only by number, a broker reconnection):
/// one read per room, whatever the number of sockets waiting.
fn spawn_feed_filler(db: Db, hub: Arc<Hub>) {
    tokio::spawn(async move {
        loop {
            let mut failed = false;
            for (feed, after) in hub.due_feeds() {
                let room = feed.room;
                match db
                    .run(move |conn| crate::chat::events_after(conn, room, after))
                    .await
                {
                    Ok(r) => hub.filled(&feed, r.events, r.last),
                    Err(e) => {
                        tracing::warn!(error = ?e.source, room, "realtime: cannot fill a feed");
                        hub.fill_failed(&feed);
                        failed = true;
                    }
                }
            }
            let due = if failed {
                Some(Instant::now() + hub::GAP_WAIT)
            } else {
                hub.next_due()
            };
            let sleep = async {
                match due {
                    Some(t) => tokio::time::sleep_until(tokio::time::Instant::from_std(t)).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = hub.filler.notified() => {}
                _ = sleep => {}
            }
        }
    });
}

/// SQLite: new notification rows go to the sockets of their people.
fn spawn_notification_poller(db: Db, hub: Arc<Hub>) {
    use crate::db::schema::notifications as n;
    tokio::spawn(async move {
        let mut high: Option<i64> = None;
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            tick.tick().await;
            let from = high;
            let rows = db
                .run(move |conn| {
                    Ok(match from {
                        None => {
                            let max: Option<i64> =
                                n::table.select(diesel::dsl::max(n::id)).first(conn)?;
                            (max.unwrap_or(0), Vec::new())
                        }
                        Some(from) => {
                            let rows: Vec<(
                                i64,
                                i64,
                                String,
                                String,
                                String,
                                chrono::NaiveDateTime,
                            )> = n::table
                                .filter(n::id.gt(from))
                                .order(n::id.asc())
                                .limit(500)
                                .select((
                                    n::id,
                                    n::user_id,
                                    n::kind,
                                    n::data,
                                    n::link,
                                    n::created_at,
                                ))
                                .load(conn)?;
                            (rows.last().map(|r| r.0).unwrap_or(from), rows)
                        }
                    })
                })
                .await;
            let Ok((new_high, rows)) = rows else { continue };
            high = Some(new_high);
            for (id, user, kind, data, link, at) in rows {
                if !hub.has_user(user) {
                    continue;
                }
                let notification = Notification {
                    id,
                    kind: crate::notifications::kind(&kind),
                    data: serde_json::from_str(&data).unwrap_or_default(),
                    link,
                    created_at: crate::auth::account::utc(at),
                    read_at: None,
                };
                hub.deliver(
                    Channel::User(user),
                    &ServerMsg::Notification { notification },
                );
            }
        }
    });
}
