//! The hub of one process: which socket listens to which channel, each room's feed, and
//! presence per room.
//!
//! **Room events** (stored, numbered: message, edit, delete) go into the room's [`Feed`]: one
//! ordered ring of the recent frames per room and process, serialised once and shared by every
//! subscriber as a reference-counted [`Frame`]. Fanning an event out is one push into the ring
//! and a wake-up of each subscribed socket; each socket then copies the frames after its own
//! cursor out of the ring (reference counts, not bytes). Out-of-order arrivals (two processes
//! may publish one room's events out of commit order) wait in the feed, not in each socket;
//! a gap still open after [`GAP_WAIT`] (or an event known only by number, or a broker
//! reconnection) is filled from `room_events` once per room by the process's filler task
//! ([`super::Realtime::start`]) — one database read per event per process at most, whatever
//! the number of subscribers. A socket reads the database itself only to resume (subscribe)
//! or when it fell further behind than the ring holds.
//!
//! **Other frames** (personal notifications, typing, presence, read markers) go to a small
//! per-socket queue that allocates nothing while empty; a socket that does not keep up loses
//! the oldest ephemeral frames (never a stored event: those are in the feed and the database).
//!
//! **Presence**: per room, a count of sockets per person. A person's first socket in a room
//! adds them to `joined`, their last one leaving adds them to `left`; a ticker publishes each
//! changed room once per tick (to the other processes too, which add this process's count to
//! theirs). The work is proportional to the changes and to the room's subscribers, never to
//! members × members.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use cortile_shared::realtime::{RoomId, ServerMsg};
use cortile_shared::UserId;
use tokio::sync::Notify;

/// A serialised server frame, shared (reference-counted) by every socket it goes to.
/// (tungstenite's text payload: validated UTF-8 over `Bytes`, so a clone is a reference count.)
pub type Frame = tokio_tungstenite::tungstenite::Utf8Bytes;

/// How long an out-of-order event waits in a feed for the ones before it.
pub const GAP_WAIT: Duration = Duration::from_millis(250);
/// A busy room wakes its sockets at most this often: the events of the interval then leave
/// in one write per socket (one system call, one TCP segment) instead of one each. A quiet
/// room's event is sent at once.
pub const FLUSH_EVERY: Duration = Duration::from_millis(5);
/// Events a feed keeps for sockets that are behind (beyond them a socket reads the database).
const RING_EVENTS: usize = 1024;
/// Bytes a feed keeps at most (the oldest events go first).
const RING_BYTES: usize = 512 * 1024;
/// Ephemeral frames waiting for one socket; beyond it the oldest is dropped.
const FRAME_QUEUE: usize = 64;
/// Most people named in one presence change (beyond it, only the count).
const PRESENCE_NAMES: usize = 50;
/// A head not known yet (no subscriber has read the room's sequence from the database).
const UNKNOWN: i64 = i64::MIN;

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

/// What a socket's task is told; it checks the flags when woken.
#[derive(Debug, Default)]
pub struct Signals {
    /// A feed it reads advanced: send what is new in its rooms.
    pub rooms: AtomicBool,
    /// Its person's rights may have changed: authorize every subscription again.
    pub recheck: AtomicBool,
    /// The server is shutting down: close with "going away" (clients reconnect elsewhere).
    pub closing: AtomicBool,
    pub wake: Notify,
    /// Personal and ephemeral frames, with the room they are about.
    frames: Mutex<VecDeque<(Option<i64>, Frame)>>,
}

impl Signals {
    fn push(&self, room: Option<i64>, frame: Frame) {
        {
            let mut q = self.frames.lock().unwrap_or_else(|e| e.into_inner());
            if q.len() >= FRAME_QUEUE {
                q.pop_front();
            }
            q.push_back((room, frame));
        }
        self.wake.notify_one();
    }

    /// The next queued frame.
    pub fn pop(&self) -> Option<(Option<i64>, Frame)> {
        let mut q = self.frames.lock().unwrap_or_else(|e| e.into_inner());
        let next = q.pop_front();
        if q.is_empty() && q.capacity() > 8 {
            // A burst is over: give its memory back (idle sockets are many).
            q.shrink_to(0);
        }
        next
    }

    fn wake_rooms(&self) {
        self.rooms.store(true, Ordering::Release);
        self.wake.notify_one();
    }
}

/// The recent events of one room, in order, for the sockets of this process.
#[derive(Debug)]
pub struct Feed {
    pub room: i64,
    /// Every event up to this `seq` has passed through the ring ([`UNKNOWN`] before the first
    /// subscriber anchored it).
    head: AtomicI64,
    inner: Mutex<FeedInner>,
}

#[derive(Debug, Default)]
struct FeedInner {
    ring: VecDeque<(i64, Frame)>,
    bytes: usize,
    /// Arrived ahead of `head + 1`; `None` when known only by number.
    pending: BTreeMap<i64, Option<Frame>>,
    gap_since: Option<Instant>,
    /// Read `room_events` after `head` at the next filler run (a reconnection, a bare number).
    stale: bool,
    filling: bool,
    /// When the subscribers were last woken, and whether a later wake-up is scheduled.
    woken_at: Option<Instant>,
    wake_scheduled: bool,
}

/// When to wake a feed's subscribers.
enum WakeAt {
    Now,
    Later(Instant),
    AlreadyScheduled,
}

/// What [`Feed::since`] found.
pub enum Since {
    /// The frames after the cursor (up to the limit asked), in order; empty when up to date.
    Frames(Vec<(i64, Frame)>),
    /// The ring no longer holds the event after the cursor: read the database.
    Behind,
}

impl Feed {
    fn new(room: i64) -> Feed {
        Feed {
            room,
            head: AtomicI64::new(UNKNOWN),
            inner: Mutex::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, FeedInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The newest `seq` in order (`None` before it is known).
    pub fn head(&self) -> Option<i64> {
        let h = self.head.load(Ordering::Acquire);
        (h != UNKNOWN).then_some(h)
    }

    /// The frames after `after`, at most `limit`.
    pub fn since(&self, after: i64, limit: usize) -> Since {
        let g = self.lock();
        let head = self.head.load(Ordering::Acquire);
        if head == UNKNOWN || head <= after {
            return Since::Frames(Vec::new());
        }
        let Some(first) = g.ring.front().map(|e| e.0) else {
            return Since::Behind;
        };
        if first > after + 1 {
            return Since::Behind;
        }
        let skip = usize::try_from(after + 1 - first).unwrap_or(0);
        Since::Frames(g.ring.iter().skip(skip).take(limit).cloned().collect())
    }

    /// Takes an event; `true` when the head advanced.
    fn accept(&self, seq: i64, frame: Option<Frame>) -> bool {
        let mut g = self.lock();
        let head = self.head.load(Ordering::Acquire);
        if head != UNKNOWN && seq <= head {
            return false;
        }
        if head != UNKNOWN && seq == head + 1 {
            if let Some(frame) = frame {
                self.push_locked(&mut g, seq, frame);
                self.promote_locked(&mut g);
                return true;
            }
            // Known only by number: the filler reads it.
            g.stale = true;
        }
        g.pending.entry(seq).or_insert(frame);
        g.gap_since.get_or_insert_with(Instant::now);
        false
    }

    /// A subscriber read the room's newest `seq` from the database: the feed starts there if
    /// it had no start yet. `true` when the head advanced.
    fn anchor(&self, last: i64) -> bool {
        let mut g = self.lock();
        if self.head.load(Ordering::Acquire) != UNKNOWN {
            return false;
        }
        self.head.store(last, Ordering::Release);
        self.promote_locked(&mut g);
        true
    }

    /// Events read from the database after the head; `true` when the head advanced.
    fn fill(&self, events: Vec<(i64, String)>, last: i64) -> bool {
        let mut g = self.lock();
        g.filling = false;
        g.stale = false;
        let before = self.head.load(Ordering::Acquire);
        if before == UNKNOWN {
            return false;
        }
        for (seq, payload) in events {
            let head = self.head.load(Ordering::Acquire);
            if seq <= head {
                continue;
            }
            if seq > head + 1 {
                // The database kept only the newest (or we were far behind): start there.
                self.jump_locked(&mut g, seq - 1);
            }
            g.pending.remove(&seq);
            self.push_locked(&mut g, seq, Frame::from(payload));
        }
        self.promote_locked(&mut g);
        // What the database does not have cannot be waited for forever: past the last
        // committed `seq`, skip to the next event we hold (sockets behind it read the database).
        let head = self.head.load(Ordering::Acquire);
        if head >= last {
            if let Some(next) = g.pending.first_key_value().map(|(s, _)| *s) {
                if next > head + 1 {
                    self.jump_locked(&mut g, next - 1);
                    self.promote_locked(&mut g);
                }
            }
        }
        g.gap_since = (!g.pending.is_empty()).then(Instant::now);
        self.head.load(Ordering::Acquire) > before
    }

    /// Starts the ring again after `to` (the ring holds consecutive events only).
    fn jump_locked(&self, g: &mut FeedInner, to: i64) {
        g.ring.clear();
        g.bytes = 0;
        self.head.store(to, Ordering::Release);
    }

    fn push_locked(&self, g: &mut FeedInner, seq: i64, frame: Frame) {
        g.bytes += frame.len();
        g.ring.push_back((seq, frame));
        while g.ring.len() > RING_EVENTS || (g.bytes > RING_BYTES && g.ring.len() > 1) {
            if let Some((_, f)) = g.ring.pop_front() {
                g.bytes -= f.len();
            }
        }
        self.head.store(seq, Ordering::Release);
    }

    /// Moves pending events that are next in line into the ring.
    fn promote_locked(&self, g: &mut FeedInner) {
        loop {
            let head = self.head.load(Ordering::Acquire);
            while g.pending.first_key_value().is_some_and(|(s, _)| *s <= head) {
                g.pending.pop_first();
            }
            match g.pending.first_key_value() {
                Some((s, Some(_))) if *s == head + 1 => {
                    let Some((seq, Some(frame))) = g.pending.pop_first() else {
                        unreachable!()
                    };
                    self.push_locked(g, seq, frame);
                }
                Some((s, None)) if *s == head + 1 => {
                    g.stale = true;
                    break;
                }
                _ => break,
            }
        }
        if g.pending.is_empty() {
            g.gap_since = None;
        }
    }

    fn wake_at(&self, now: Instant) -> WakeAt {
        let mut g = self.lock();
        if g.wake_scheduled {
            return WakeAt::AlreadyScheduled;
        }
        match g.woken_at {
            Some(t) if now.duration_since(t) < FLUSH_EVERY => {
                g.wake_scheduled = true;
                WakeAt::Later(t + FLUSH_EVERY)
            }
            _ => {
                g.woken_at = Some(now);
                WakeAt::Now
            }
        }
    }

    /// Whether the filler should read the database now (and mark it as being read).
    fn due(&self, now: Instant) -> Option<i64> {
        let mut g = self.lock();
        let head = self.head.load(Ordering::Acquire);
        if head == UNKNOWN || g.filling {
            return None;
        }
        let late = g
            .gap_since
            .is_some_and(|t| now.duration_since(t) >= GAP_WAIT);
        if g.stale || late {
            g.filling = true;
            Some(head)
        } else {
            None
        }
    }

    /// When the next gap is due (for the filler's sleep).
    fn next_due(&self) -> Option<Instant> {
        let g = self.lock();
        if g.filling {
            return None;
        }
        if g.stale {
            return Some(Instant::now());
        }
        g.gap_since.map(|t| t + GAP_WAIT)
    }
}

struct Conn {
    user: i64,
    /// The channels it listens to (besides its own).
    subs: Vec<Channel>,
    signals: Arc<Signals>,
}

#[derive(Default)]
struct Presence {
    sockets: HashMap<i64, u32>,
    joined: HashSet<i64>,
    left: HashSet<i64>,
    /// People online in this room on the other processes, by process.
    remote: HashMap<u64, Remote>,
}

/// Who is online in a room on another process, as its presence changes told.
struct Remote {
    /// Its last count.
    count: u32,
    people: HashSet<i64>,
    /// When that process last told anything of this room (each process repeats its snapshot
    /// every [`super::SNAPSHOT_EVERY`]; one that stops, killed or cut off, is forgotten).
    heard: Instant,
}

impl Default for Remote {
    fn default() -> Self {
        Remote {
            count: 0,
            people: HashSet::new(),
            heard: Instant::now(),
        }
    }
}

impl Presence {
    fn online(&self) -> u32 {
        let here = u32::try_from(self.sockets.len()).unwrap_or(u32::MAX);
        self.remote
            .values()
            .fold(here, |a, b| a.saturating_add(b.count))
    }
}

/// A presence change of this process, for the others (see [`Hub::take_presence`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PresenceChange {
    pub room: i64,
    /// People online in the room on this process.
    pub local: u32,
    pub joined: Vec<UserId>,
    pub left: Vec<UserId>,
    /// `joined` is everyone online there (a snapshot, see [`Hub::snapshot`]): it replaces
    /// what was known of that process in this room.
    pub full: bool,
}

#[derive(Default)]
struct Inner {
    next_id: u64,
    conns: HashMap<u64, Conn>,
    by_user: HashMap<i64, Vec<u64>>,
    channels: HashMap<Channel, HashSet<u64>>,
    feeds: HashMap<i64, Arc<Feed>>,
    presence: HashMap<i64, Presence>,
    dirty: HashSet<i64>,
}

#[derive(Default)]
pub struct Hub {
    inner: Mutex<Inner>,
    /// Wakes the filler when a feed needs the database.
    pub filler: Notify,
    /// Wake-ups of busy rooms, when due (see [`FLUSH_EVERY`]); the flusher task runs them.
    later: Mutex<Vec<(Instant, Arc<Feed>)>>,
    pub flusher: Notify,
}

impl Hub {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a socket of `user`, subscribed to their own channel.
    pub fn connect(&self, user: i64, signals: Arc<Signals>) -> u64 {
        let mut g = self.lock();
        g.next_id += 1;
        let id = g.next_id;
        g.conns.insert(
            id,
            Conn {
                user,
                subs: Vec::new(),
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

    /// Subscribes a socket; for a room, returns the room's feed.
    pub fn subscribe(&self, id: u64, channel: Channel) -> Option<Arc<Feed>> {
        let mut g = self.lock();
        let user = g.conns.get(&id).map(|c| c.user)?;
        let fresh = g.channels.entry(channel).or_default().insert(id);
        if fresh {
            if let Some(c) = g.conns.get_mut(&id) {
                c.subs.push(channel);
            }
        }
        let Channel::Room(room) = channel else {
            return None;
        };
        if fresh {
            let p = g.presence.entry(room).or_default();
            let n = p.sockets.entry(user).or_default();
            *n += 1;
            if *n == 1 {
                if !p.left.remove(&user) {
                    p.joined.insert(user);
                }
                g.dirty.insert(room);
            }
        }
        Some(
            g.feeds
                .entry(room)
                .or_insert_with(|| Arc::new(Feed::new(room)))
                .clone(),
        )
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

    /// A subscriber read the room's newest `seq` from the database.
    pub fn anchor(&self, feed: &Arc<Feed>, last: i64) {
        if feed.anchor(last) {
            self.wake_feed(feed);
        }
    }

    /// Who is online in a room (on this process).
    /// Who is online in a room, on this process and (as far as their presence changes told)
    /// on the others.
    pub fn online(&self, room: i64) -> Vec<UserId> {
        let g = self.lock();
        let Some(p) = g.presence.get(&room) else {
            return Vec::new();
        };
        let mut people: HashSet<i64> = p.sockets.keys().copied().collect();
        for r in p.remote.values() {
            people.extend(&r.people);
        }
        people.into_iter().map(UserId).collect()
    }

    /// Forgets what other processes told of rooms and have not repeated for `silence` (a
    /// process that was killed says nothing more); the local subscribers of those rooms are
    /// told who left.
    pub fn forget_silent(&self, silence: Duration) {
        let now = Instant::now();
        let mut news = Vec::new();
        {
            let mut g = self.lock();
            let mut emptied = Vec::new();
            for (room, p) in g.presence.iter_mut() {
                let mut left = Vec::new();
                p.remote.retain(|_, r| {
                    let keep = now.duration_since(r.heard) < silence;
                    if !keep {
                        left.extend(r.people.iter().copied().map(UserId));
                    }
                    keep
                });
                if !left.is_empty() {
                    let change = PresenceChange {
                        room: *room,
                        local: u32::try_from(p.sockets.len()).unwrap_or(u32::MAX),
                        joined: Vec::new(),
                        left,
                        full: false,
                    };
                    news.push((change, p.online()));
                }
                if p.sockets.is_empty() && p.remote.is_empty() {
                    emptied.push(*room);
                }
            }
            for room in emptied {
                g.presence.remove(&room);
            }
            news.retain(|(c, _)| g.channels.contains_key(&Channel::Room(c.room)));
        }
        for (change, online) in news {
            self.deliver(Channel::Room(change.room), &presence_msg(&change, online));
        }
    }

    /// Everyone online on this process, per room: what another process that just started
    /// (or lost its connection to the broker) needs to know.
    pub fn snapshot(&self) -> Vec<PresenceChange> {
        let g = self.lock();
        g.presence
            .iter()
            .filter(|(_, p)| !p.sockets.is_empty())
            .map(|(room, p)| PresenceChange {
                room: *room,
                local: u32::try_from(p.sockets.len()).unwrap_or(u32::MAX),
                joined: p.sockets.keys().map(|u| UserId(*u)).collect(),
                left: Vec::new(),
                full: true,
            })
            .collect()
    }

    /// Offers a message to every local subscriber of `channel` (serialising it once).
    pub fn deliver(&self, channel: Channel, msg: &ServerMsg) {
        let Ok(json) = serde_json::to_string(msg) else {
            return;
        };
        self.deliver_frame(
            channel,
            msg.room().map(|r| r.0),
            msg.room_seq().map(|s| s.1),
            Frame::from(json),
        );
    }

    /// Offers a serialised frame to every local subscriber of `channel`: a stored room event
    /// (`seq`) through the room's feed, anything else through each socket's queue.
    pub fn deliver_frame(
        &self,
        channel: Channel,
        room: Option<i64>,
        seq: Option<i64>,
        frame: Frame,
    ) {
        match (channel, room, seq) {
            (Channel::Room(r), _, Some(seq)) => self.event(r, seq, Some(frame)),
            _ => {
                let g = self.lock();
                let Some(set) = g.channels.get(&channel) else {
                    return;
                };
                for id in set {
                    if let Some(conn) = g.conns.get(id) {
                        conn.signals.push(room, frame.clone());
                    }
                }
            }
        }
    }

    /// A stored event of a room (its frame, or only its number: then it is read from the
    /// database once, by the filler).
    pub fn event(&self, room: i64, seq: i64, frame: Option<Frame>) {
        let Some(feed) = self.lock().feeds.get(&room).cloned() else {
            return;
        };
        if feed.accept(seq, frame) {
            self.wake_feed(&feed);
        } else {
            self.filler.notify_one();
        }
    }

    /// Wakes the feed's subscribers now, or at the end of the flush interval when it woke
    /// them less than [`FLUSH_EVERY`] ago.
    fn wake_feed(&self, feed: &Arc<Feed>) {
        match feed.wake_at(Instant::now()) {
            WakeAt::Now => self.wake_room(feed.room),
            WakeAt::Later(at) => {
                self.later
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push((at, feed.clone()));
                self.flusher.notify_one();
            }
            WakeAt::AlreadyScheduled => {}
        }
    }

    /// Runs the wake-ups that are due; returns when the next one is.
    pub fn flush_due(&self) -> Option<Instant> {
        let now = Instant::now();
        let due: Vec<Arc<Feed>> = {
            let mut later = self.later.lock().unwrap_or_else(|e| e.into_inner());
            let (due, rest): (Vec<_>, Vec<_>) = later.drain(..).partition(|(at, _)| *at <= now);
            *later = rest;
            due.into_iter().map(|(_, f)| f).collect()
        };
        for feed in due {
            {
                let mut g = feed.lock();
                g.wake_scheduled = false;
                g.woken_at = Some(now);
            }
            self.wake_room(feed.room);
        }
        self.later
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(at, _)| *at)
            .min()
    }

    fn wake_room(&self, room: i64) {
        let g = self.lock();
        for id in g.channels.get(&Channel::Room(room)).into_iter().flatten() {
            if let Some(conn) = g.conns.get(id) {
                conn.signals.wake_rooms();
            }
        }
    }

    /// Feeds whose gaps are due now, each with the `seq` to read after (marked as being read).
    pub fn due_feeds(&self) -> Vec<(Arc<Feed>, i64)> {
        let feeds: Vec<Arc<Feed>> = self.lock().feeds.values().cloned().collect();
        let now = Instant::now();
        feeds
            .into_iter()
            .filter_map(|f| f.due(now).map(|after| (f, after)))
            .collect()
    }

    /// The earliest time a feed's gap falls due.
    pub fn next_due(&self) -> Option<Instant> {
        let feeds: Vec<Arc<Feed>> = self.lock().feeds.values().cloned().collect();
        feeds.iter().filter_map(|f| f.next_due()).min()
    }

    /// The filler read a feed's events from the database.
    pub fn filled(&self, feed: &Arc<Feed>, events: Vec<(i64, String)>, last: i64) {
        if feed.fill(events, last) {
            self.wake_feed(feed);
        }
    }

    /// A failed read: try again after the gap wait.
    pub fn fill_failed(&self, feed: &Feed) {
        let mut g = feed.lock();
        g.filling = false;
        g.stale = false;
        g.gap_since = Some(Instant::now());
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

    /// Closes every local socket (the server is shutting down).
    pub fn close_all(&self) {
        let g = self.lock();
        for conn in g.conns.values() {
            conn.signals.closing.store(true, Ordering::Release);
            conn.signals.wake.notify_one();
        }
    }

    /// Every feed reads its room from the database (after the broker lost its connection,
    /// events from other processes may have been missed).
    pub fn mark_all_lagged(&self) {
        let feeds: Vec<Arc<Feed>> = self.lock().feeds.values().cloned().collect();
        for f in feeds {
            f.lock().stale = true;
        }
        self.filler.notify_one();
    }

    pub fn has_user(&self, user: i64) -> bool {
        self.lock().by_user.contains_key(&user)
    }

    pub fn connections(&self) -> usize {
        self.lock().conns.len()
    }

    /// The presence changes since the last call, one per changed room: the message for this
    /// process's sockets, and the change for the other processes.
    pub fn take_presence(&self) -> Vec<(ServerMsg, PresenceChange)> {
        let mut g = self.lock();
        let dirty: Vec<i64> = g.dirty.drain().collect();
        let mut out = Vec::with_capacity(dirty.len());
        for room in dirty {
            let Some(p) = g.presence.get_mut(&room) else {
                continue;
            };
            let joined: Vec<UserId> = p.joined.drain().map(UserId).collect();
            let left: Vec<UserId> = p.left.drain().map(UserId).collect();
            let local = u32::try_from(p.sockets.len()).unwrap_or(u32::MAX);
            if !joined.is_empty() || !left.is_empty() {
                let change = PresenceChange {
                    room,
                    local,
                    joined,
                    left,
                    full: false,
                };
                out.push((presence_msg(&change, p.online()), change));
            }
            if p.sockets.is_empty() && p.remote.is_empty() {
                g.presence.remove(&room);
            }
        }
        out
    }

    /// Another process's presence change: remember its count, tell the local subscribers.
    pub fn remote_presence(&self, origin: u64, mut change: PresenceChange) {
        let online = {
            let mut g = self.lock();
            let watched = g.channels.contains_key(&Channel::Room(change.room));
            let p = g.presence.entry(change.room).or_default();
            let before = p.online();
            if change.local == 0 {
                p.remote.remove(&origin);
            } else {
                let r = p.remote.entry(origin).or_default();
                r.count = change.local;
                r.heard = Instant::now();
                if change.full {
                    // Told as news: who came and went since what this process knew.
                    let now: HashSet<i64> = change.joined.iter().map(|u| u.0).collect();
                    change.left = r.people.difference(&now).copied().map(UserId).collect();
                    change.joined.retain(|u| !r.people.contains(&u.0));
                    r.people = now;
                } else {
                    for u in &change.left {
                        r.people.remove(&u.0);
                    }
                    r.people.extend(change.joined.iter().map(|u| u.0));
                }
            }
            let online = p.online();
            if p.sockets.is_empty() && p.remote.is_empty() {
                g.presence.remove(&change.room);
            }
            // A repeated snapshot that changes nothing is not news.
            let news = online != before || !change.joined.is_empty() || !change.left.is_empty();
            if !watched || !news {
                return;
            }
            online
        };
        let msg = presence_msg(&change, online);
        self.deliver(Channel::Room(change.room), &msg);
    }
}

fn presence_msg(change: &PresenceChange, online: u32) -> ServerMsg {
    let named = change.joined.len() + change.left.len() <= PRESENCE_NAMES;
    ServerMsg::Presence {
        room: RoomId(change.room),
        online,
        joined: if named {
            change.joined.clone()
        } else {
            Vec::new()
        },
        left: if named {
            change.left.clone()
        } else {
            Vec::new()
        },
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
        if let Channel::Room(room) = channel {
            // No local reader left: the feed goes (a later subscriber anchors a new one).
            g.feeds.remove(&room);
        }
    }
    if let Channel::Room(room) = channel {
        if let Some(p) = g.presence.get_mut(&room) {
            if let Some(n) = p.sockets.get_mut(&user) {
                *n -= 1;
                if *n == 0 {
                    p.sockets.remove(&user);
                    if !p.joined.remove(&user) {
                        p.left.insert(user);
                    }
                    g.dirty.insert(room);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(seq: i64) -> Frame {
        Frame::from(format!("e{seq}"))
    }

    #[test]
    fn fan_out_reaches_subscribers_only_and_presence_coalesces() {
        let hub = Hub::default();
        let s1 = Arc::new(Signals::default());
        let s2 = Arc::new(Signals::default());
        let a = hub.connect(1, s1.clone());
        let b = hub.connect(2, s2.clone());
        hub.subscribe(a, Channel::Room(5));
        hub.deliver(Channel::Room(5), &ServerMsg::Pong { nonce: None });
        assert!(s1.pop().is_some());
        assert!(s2.pop().is_none(), "not subscribed");
        hub.subscribe(b, Channel::Room(5));
        hub.unsubscribe(b, Channel::Room(5));
        hub.subscribe(b, Channel::Room(6));
        hub.unsubscribe(b, Channel::Room(6));
        let p: Vec<ServerMsg> = hub.take_presence().into_iter().map(|p| p.0).collect();
        assert_eq!(
            p,
            vec![ServerMsg::Presence {
                room: RoomId(5),
                online: 1,
                joined: vec![UserId(1)],
                left: vec![],
            }],
            "who came and went within a tick is not news"
        );
        assert!(hub.take_presence().is_empty(), "nothing changed since");
        hub.remote_presence(
            9,
            PresenceChange {
                room: 5,
                local: 3,
                joined: vec![UserId(7)],
                left: vec![],
                full: false,
            },
        );
        let remote = s1.pop().expect("told");
        assert!(remote.1.contains(r#""online":4"#), "{}", &*remote.1);
        let mut online: Vec<i64> = hub.online(5).into_iter().map(|u| u.0).collect();
        online.sort_unstable();
        assert_eq!(online, vec![1, 7], "here and there");
        // A snapshot of that process replaces what was known of it, told as news.
        hub.remote_presence(
            9,
            PresenceChange {
                room: 5,
                local: 2,
                joined: vec![UserId(8), UserId(9)],
                left: vec![],
                full: true,
            },
        );
        let told = s1.pop().expect("told");
        hub.remote_presence(
            9,
            PresenceChange {
                room: 5,
                local: 2,
                joined: vec![UserId(9), UserId(8)],
                left: vec![],
                full: true,
            },
        );
        assert!(
            told.1.contains(r#""joined":[8,9]"#) || told.1.contains(r#""joined":[9,8]"#),
            "{}",
            &*told.1
        );
        assert!(told.1.contains(r#""left":[7]"#), "{}", &*told.1);
        let mut online: Vec<i64> = hub.online(5).into_iter().map(|u| u.0).collect();
        online.sort_unstable();
        assert_eq!(online, vec![1, 8, 9]);
        assert!(s1.pop().is_none(), "the same snapshot again is not news");
        let snap = hub.snapshot();
        assert_eq!(snap.len(), 1);
        assert!(snap[0].full && snap[0].room == 5 && snap[0].joined == vec![UserId(1)]);
        // That process falls silent: forgotten, and its people told as gone.
        hub.forget_silent(Duration::from_secs(3600));
        assert_eq!(hub.online(5).len(), 3, "heard recently: kept");
        hub.forget_silent(Duration::ZERO);
        assert_eq!(hub.online(5), vec![UserId(1)]);
        let gone = s1.pop().expect("told");
        assert!(gone.1.contains(r#""online":1"#), "{}", &*gone.1);
        hub.disconnect(a);
        hub.disconnect(b);
        assert_eq!(hub.connections(), 0);
        assert!(hub.lock().channels.is_empty());
        assert!(hub.lock().feeds.is_empty());
    }

    #[test]
    fn a_feed_orders_events_and_serves_each_cursor() {
        let hub = Hub::default();
        let s = Arc::new(Signals::default());
        let a = hub.connect(1, s.clone());
        let feed = hub.subscribe(a, Channel::Room(5)).expect("a feed");
        // Before the anchor, events wait.
        hub.event(5, 11, Some(frame(11)));
        assert_eq!(feed.head(), None);
        hub.anchor(&feed, 10);
        assert_eq!(feed.head(), Some(11));
        assert!(s.rooms.swap(false, Ordering::AcqRel), "woken");
        // Out of order: 13 waits for 12.
        hub.event(5, 13, Some(frame(13)));
        assert_eq!(feed.head(), Some(11));
        hub.event(5, 12, Some(frame(12)));
        assert_eq!(feed.head(), Some(13));
        hub.event(5, 12, Some(frame(12)));
        let Since::Frames(f) = feed.since(10, 10) else {
            panic!("behind")
        };
        assert_eq!(f.iter().map(|e| e.0).collect::<Vec<_>>(), vec![11, 12, 13]);
        assert!(matches!(feed.since(9, 10), Since::Behind));
        // A number alone: the filler reads it once.
        hub.event(5, 14, None);
        let due = hub.due_feeds();
        assert_eq!(due.len(), 1);
        assert_eq!(due[0].1, 13);
        assert!(hub.due_feeds().is_empty(), "being read");
        hub.filled(&feed, vec![(14, "e14".into())], 14);
        assert_eq!(feed.head(), Some(14));
        // A gap the database cannot fill is skipped after the wait.
        hub.event(5, 16, Some(frame(16)));
        hub.filled(&feed, vec![], 14);
        assert_eq!(feed.head(), Some(16));
        assert!(matches!(feed.since(14, 10), Since::Behind));
    }
}
