//! The hub of one process: which socket listens to which channel, and presence per room.
//!
//! Each socket has a bounded queue ([`Out`]); fanning an event out serialises it once and
//! offers the same `Arc<str>` to each subscriber's queue without waiting. A socket whose queue
//! is full is marked `lagged` and woken: it fills what it missed from `room_events` (the events
//! are durable), so a slow reader never slows the others down and loses nothing.
//!
//! Presence: per room, a count of sockets per person. A person's first socket in a room adds
//! them to `joined`, their last one leaving adds them to `left`; a ticker publishes each changed
//! room once per tick. The work is proportional to the changes and to the room's subscribers,
//! never to members × members.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use cortile_shared::realtime::{RoomId, ServerMsg};
use cortile_shared::UserId;
use tokio::sync::{mpsc, Notify};

/// Where an event goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// Everyone subscribed to a room.
    Room(i64),
    /// Every socket of one person (notifications, domain events about them).
    User(i64),
    /// The operators on duty (help rooms waiting).
    Help,
}

impl Channel {
    pub fn key(self) -> String {
        match self {
            Channel::Room(id) => format!("r:{id}"),
            Channel::User(id) => format!("u:{id}"),
            Channel::Help => "h".into(),
        }
    }

    pub fn parse(key: &str) -> Option<Channel> {
        match key.split_once(':') {
            Some(("r", id)) => id.parse().ok().map(Channel::Room),
            Some(("u", id)) => id.parse().ok().map(Channel::User),
            None if key == "h" => Some(Channel::Help),
            _ => None,
        }
    }
}

/// What a socket's task receives.
#[derive(Debug, Clone)]
pub enum Out {
    /// A frame to send as it is (personal and ephemeral events), with the room it is about.
    Frame { room: Option<i64>, frame: Arc<str> },
    /// A stored room event: delivered in `seq` order, once.
    Event {
        room: i64,
        seq: i64,
        frame: Arc<str>,
    },
    /// A stored room event known only by number (its NOTIFY was too large): read it from
    /// `room_events`.
    Gap { room: i64, seq: i64 },
}

/// Flags a socket's task checks when woken.
#[derive(Debug, Default)]
pub struct Signals {
    /// Its queue overflowed: fill every subscribed room from the database.
    pub lagged: AtomicBool,
    /// Its person's rights may have changed: authorize every subscription again.
    pub recheck: AtomicBool,
    pub wake: Notify,
}

struct Conn {
    user: i64,
    /// The channels it listens to (besides its own).
    subs: Vec<Channel>,
    tx: mpsc::Sender<Out>,
    signals: Arc<Signals>,
}

#[derive(Default)]
struct Presence {
    sockets: HashMap<i64, u32>,
    joined: Vec<i64>,
    left: Vec<i64>,
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    conns: HashMap<u64, Conn>,
    by_user: HashMap<i64, Vec<u64>>,
    channels: HashMap<Channel, HashSet<u64>>,
    presence: HashMap<i64, Presence>,
    dirty: HashSet<i64>,
}

/// Most people named in one presence change (beyond it, only the count).
const PRESENCE_NAMES: usize = 50;

#[derive(Default)]
pub struct Hub {
    inner: Mutex<Inner>,
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a socket of `user`, subscribed to their own channel.
    pub fn connect(&self, user: i64, tx: mpsc::Sender<Out>, signals: Arc<Signals>) -> u64 {
        let mut g = self.lock();
        g.next_id += 1;
        let id = g.next_id;
        g.conns.insert(
            id,
            Conn {
                user,
                subs: Vec::new(),
                tx,
                signals,
            },
        );
        g.by_user.entry(user).or_default().push(id);
        g.channels
            .entry(Channel::User(user))
            .or_default()
            .insert(id);
        id
    }

    /// Removes a socket and all its subscriptions.
    pub fn disconnect(&self, id: u64) {
        let mut g = self.lock();
        let Some(conn) = g.conns.remove(&id) else {
            return;
        };
        if let Some(list) = g.by_user.get_mut(&conn.user) {
            list.retain(|c| *c != id);
            if list.is_empty() {
                g.by_user.remove(&conn.user);
            }
        }
        unsubscribe_locked(&mut g, id, conn.user, Channel::User(conn.user));
        for channel in conn.subs {
            unsubscribe_locked(&mut g, id, conn.user, channel);
        }
    }

    pub fn subscribe(&self, id: u64, channel: Channel) {
        let mut g = self.lock();
        let Some(user) = g.conns.get(&id).map(|c| c.user) else {
            return;
        };
        if !g.channels.entry(channel).or_default().insert(id) {
            return;
        }
        if let Some(c) = g.conns.get_mut(&id) {
            c.subs.push(channel);
        }
        if let Channel::Room(room) = channel {
            let p = g.presence.entry(room).or_default();
            let n = p.sockets.entry(user).or_default();
            *n += 1;
            if *n == 1 {
                p.left.retain(|u| *u != user);
                p.joined.push(user);
                g.dirty.insert(room);
            }
        }
    }

    pub fn unsubscribe(&self, id: u64, channel: Channel) {
        let mut g = self.lock();
        let Some(conn) = g.conns.get_mut(&id) else {
            return;
        };
        conn.subs.retain(|c| *c != channel);
        let user = conn.user;
        unsubscribe_locked(&mut g, id, user, channel);
    }

    /// Who is online in a room (on this process).
    pub fn online(&self, room: i64) -> Vec<UserId> {
        self.lock()
            .presence
            .get(&room)
            .map(|p| p.sockets.keys().map(|u| UserId(*u)).collect())
            .unwrap_or_default()
    }

    /// Offers a message to every local subscriber of `channel`.
    pub fn deliver(&self, channel: Channel, msg: &ServerMsg) {
        let Ok(json) = serde_json::to_string(msg) else {
            return;
        };
        let frame: Arc<str> = Arc::from(json);
        let out = match msg.room_seq() {
            Some((RoomId(room), seq)) => Out::Event { room, seq, frame },
            None => Out::Frame {
                room: msg.room().map(|r| r.0),
                frame,
            },
        };
        self.offer(channel, out);
    }

    /// Offers an [`Out`] to every local subscriber of `channel`.
    pub fn offer(&self, channel: Channel, out: Out) {
        let g = self.lock();
        let Some(set) = g.channels.get(&channel) else {
            return;
        };
        for id in set {
            if let Some(conn) = g.conns.get(id) {
                if conn.tx.try_send(out.clone()).is_err() {
                    conn.signals.lagged.store(true, Ordering::Release);
                    conn.signals.wake.notify_one();
                }
            }
        }
    }

    /// Asks every local socket of `user` to authorize its subscriptions again.
    pub fn recheck_user(&self, user: i64) {
        let g = self.lock();
        for id in g.by_user.get(&user).into_iter().flatten() {
            if let Some(conn) = g.conns.get(id) {
                conn.signals.recheck.store(true, Ordering::Release);
                conn.signals.wake.notify_one();
            }
        }
    }

    /// Every socket fills its rooms from the database (after the broker lost its connection,
    /// events from other processes may have been missed).
    pub fn mark_all_lagged(&self) {
        let g = self.lock();
        for conn in g.conns.values() {
            conn.signals.lagged.store(true, Ordering::Release);
            conn.signals.wake.notify_one();
        }
    }

    pub fn has_user(&self, user: i64) -> bool {
        self.lock().by_user.contains_key(&user)
    }

    pub fn connections(&self) -> usize {
        self.lock().conns.len()
    }

    /// The presence changes since the last call, one message per changed room.
    pub fn take_presence(&self) -> Vec<ServerMsg> {
        let mut g = self.lock();
        let dirty: Vec<i64> = g.dirty.drain().collect();
        let mut out = Vec::with_capacity(dirty.len());
        for room in dirty {
            let Some(p) = g.presence.get_mut(&room) else {
                continue;
            };
            let joined = std::mem::take(&mut p.joined);
            let left = std::mem::take(&mut p.left);
            let online = u32::try_from(p.sockets.len()).unwrap_or(u32::MAX);
            let named = joined.len() + left.len() <= PRESENCE_NAMES;
            out.push(ServerMsg::Presence {
                room: RoomId(room),
                online,
                joined: if named {
                    joined.into_iter().map(UserId).collect()
                } else {
                    Vec::new()
                },
                left: if named {
                    left.into_iter().map(UserId).collect()
                } else {
                    Vec::new()
                },
            });
            if p.sockets.is_empty() {
                g.presence.remove(&room);
            }
        }
        out
    }
}

fn unsubscribe_locked(g: &mut Inner, id: u64, user: i64, channel: Channel) {
    let Some(set) = g.channels.get_mut(&channel) else {
        return;
    };
    if !set.remove(&id) {
        return;
    }
    if set.is_empty() {
        g.channels.remove(&channel);
    }
    if let Channel::Room(room) = channel {
        if let Some(p) = g.presence.get_mut(&room) {
            if let Some(n) = p.sockets.get_mut(&user) {
                *n -= 1;
                if *n == 0 {
                    p.sockets.remove(&user);
                    p.joined.retain(|u| *u != user);
                    p.left.push(user);
                    g.dirty.insert(room);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fan_out_reaches_subscribers_only_and_presence_coalesces() {
        let hub = Hub::default();
        let (tx1, mut rx1) = mpsc::channel(8);
        let (tx2, mut rx2) = mpsc::channel(8);
        let a = hub.connect(1, tx1, Arc::default());
        let b = hub.connect(2, tx2, Arc::default());
        hub.subscribe(a, Channel::Room(5));
        hub.deliver(Channel::Room(5), &ServerMsg::Pong { nonce: None });
        assert!(matches!(rx1.try_recv(), Ok(Out::Frame { .. })));
        assert!(rx2.try_recv().is_err(), "not subscribed");
        hub.subscribe(b, Channel::Room(5));
        hub.unsubscribe(b, Channel::Room(5));
        let p = hub.take_presence();
        assert_eq!(
            p,
            vec![ServerMsg::Presence {
                room: RoomId(5),
                online: 1,
                joined: vec![UserId(1)],
                left: vec![UserId(2)],
            }]
        );
        assert!(hub.take_presence().is_empty(), "nothing changed since");
        hub.disconnect(a);
        hub.disconnect(b);
        assert_eq!(hub.connections(), 0);
        assert!(hub.lock().channels.is_empty());
    }

    #[test]
    fn a_full_queue_marks_the_socket_lagged() {
        let hub = Hub::default();
        let (tx, _rx) = mpsc::channel(1);
        let signals = Arc::new(Signals::default());
        hub.connect(1, tx, signals.clone());
        for _ in 0..2 {
            hub.deliver(Channel::User(1), &ServerMsg::Pong { nonce: None });
        }
        assert!(signals.lagged.load(Ordering::Acquire));
    }
}
