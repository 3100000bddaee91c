//! The app's one WebSocket (`/api/v1/ws`, protocol in `cortile_shared::realtime`), shared by
//! every page.
//!
//! [`RealtimeProvider`] opens the socket when someone signs in and closes it at logout. When the
//! socket drops it reconnects after a delay that doubles up to [`MAX_BACKOFF_MS`], with random
//! jitter (so a restarted server is not hit by every browser at once), subscribes again to every
//! room it watches with the highest `seq` it has seen there, and gets exactly what it missed.
//! Room events at or below that cursor are dropped, so nothing is shown twice. Messages sent
//! and not yet acknowledged are sent again after a reconnect (the server stores a resent
//! `client_msg_id` once). Every [`HEARTBEAT_SECS`] the client sends a ping; a socket that
//! has said nothing for [`DEAD_AFTER_MS`] is taken for dead and replaced.
//!
//! The provider also keeps the list of my rooms (with unread counts and the newest message)
//! up to date from the events, for the nav's "Chat" badge and the room list. Pages listen to
//! events with [`use_realtime_events`] (the listener goes with the component) and make sure
//! the socket follows a room with [`Realtime::watch`].

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::{Rc, Weak};

use cortile_shared::realtime::{
    ChatMessage, ClientMsg, Room, RoomCursor, RoomId, ServerMsg, HEARTBEAT_SECS,
};
use cortile_shared::UserId;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::hooks::spawn;
use crate::session::use_session;

/// The first reconnection waits about this long; each failure doubles it.
pub const FIRST_BACKOFF_MS: f64 = 1_000.0;
/// The longest wait between two attempts.
pub const MAX_BACKOFF_MS: f64 = 30_000.0;
/// A socket silent for this long (no pong, no event) is taken for dead.
pub const DEAD_AFTER_MS: f64 = (HEARTBEAT_SECS as f64) * 2_000.0 + 5_000.0;
/// Failed attempts after which the indicator says "offline" rather than "reconnecting".
const OFFLINE_AFTER: u32 = 3;

/// The state of the connection, as the indicator shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conn {
    /// Nobody is signed in: no socket.
    Idle,
    Connecting,
    Connected,
    /// Lost; trying again.
    Reconnecting,
    /// Lost for a while (or the browser is offline); still trying, less often.
    Offline,
}

impl Conn {
    pub fn key(self) -> &'static str {
        match self {
            Conn::Idle => "realtime.idle",
            Conn::Connecting => "realtime.connecting",
            Conn::Connected => "realtime.connected",
            Conn::Reconnecting => "realtime.reconnecting",
            Conn::Offline => "realtime.offline",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Conn::Idle => "idle",
            Conn::Connecting => "connecting",
            Conn::Connected => "connected",
            Conn::Reconnecting => "reconnecting",
            Conn::Offline => "offline",
        }
    }
}

/// The delay before reconnection attempt `attempt` (0 for the first), with `jitter` in
/// `[0, 1)`: between half and all of `FIRST_BACKOFF_MS * 2^attempt`, at most
/// [`MAX_BACKOFF_MS`].
pub fn backoff_ms(attempt: u32, jitter: f64) -> f64 {
    let base = (FIRST_BACKOFF_MS * 2f64.powi(attempt.min(16) as i32)).min(MAX_BACKOFF_MS);
    base * (0.5 + 0.5 * jitter.clamp(0.0, 1.0))
}

/// Drops room events already seen: the cursor per room moves with each stored event, and an
/// event at or below it is a repeat. Returns whether `msg` is to be passed on.
pub fn advance(cursors: &mut HashMap<RoomId, Option<i64>>, msg: &ServerMsg) -> bool {
    match msg.room_seq() {
        Some((room, seq)) => match cursors.get_mut(&room) {
            Some(cursor) => {
                if cursor.is_some_and(|c| seq <= c) {
                    false
                } else {
                    *cursor = Some(seq);
                    true
                }
            }
            // Not watched (any more): nothing to show.
            None => false,
        },
        None => {
            if let ServerMsg::Subscribed { room, last_seq, .. } = msg {
                if let Some(cursor) = cursors.get_mut(room) {
                    // "Only new events": from the room's newest on.
                    cursor.get_or_insert(*last_seq);
                }
            }
            true
        }
    }
}

/// A client message id: unique enough per sender and room (time, randomness, a counter).
pub fn new_client_msg_id() -> String {
    thread_local! {
        static COUNTER: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    }
    let n = COUNTER.with(|c| {
        c.set(c.get().wrapping_add(1));
        c.get()
    });
    let (now, r1, r2) = if cfg!(target_arch = "wasm32") {
        (
            js_sys::Date::now() as u64,
            (js_sys::Math::random() * 4_294_967_296.0) as u64,
            (js_sys::Math::random() * 4_294_967_296.0) as u64,
        )
    } else {
        (0, 0, 0)
    };
    format!("{now:x}-{r1:08x}{r2:08x}-{n:x}")
}

fn now_ms() -> f64 {
    if cfg!(target_arch = "wasm32") {
        js_sys::Date::now()
    } else {
        0.0
    }
}

fn jitter() -> f64 {
    if cfg!(target_arch = "wasm32") {
        js_sys::Math::random()
    } else {
        0.5
    }
}

/// The socket's address: the API root's path on this page's host, `ws:` or `wss:`.
fn socket_url() -> Option<String> {
    let location = web_sys::window()?.location();
    let secure = location.protocol().ok()? == "https:";
    let host = location.host().ok()?;
    let root = crate::api::api_root();
    if let Some(rest) = root.strip_prefix("http") {
        // An absolute API root (another host): the same place, as a socket.
        return Some(format!("ws{rest}/ws"));
    }
    Some(format!(
        "{}://{host}{root}/ws",
        if secure { "wss" } else { "ws" }
    ))
}

type Handlers = (
    Closure<dyn FnMut(web_sys::MessageEvent)>,
    Closure<dyn FnMut(web_sys::Event)>,
    Closure<dyn FnMut(web_sys::CloseEvent)>,
);

#[derive(Default)]
struct Inner {
    ws: Option<web_sys::WebSocket>,
    handlers: Option<Handlers>,
    open: bool,
    /// Watched rooms and the highest `seq` seen in each (`None`: nothing yet).
    cursors: HashMap<RoomId, Option<i64>>,
    listeners: Vec<(u64, Callback<Rc<ServerMsg>>)>,
    next_listener: u64,
    /// Sent and not yet acknowledged, by `client_msg_id`: sent again after a reconnect.
    unacked: Vec<(String, String)>,
    /// Other frames waiting for the socket to open.
    queued: Vec<String>,
    /// Failed attempts since the last open socket.
    attempt: u32,
    /// Bumped at every start and stop: timers of an older run do nothing.
    run: u64,
    running: bool,
    last_frame: f64,
    on_state: Callback<Conn>,
}

/// The socket and who listens to it. Shared through [`Realtime`].
#[derive(Default)]
pub struct Hub {
    inner: RefCell<Inner>,
}

impl Hub {
    fn set_state(&self, conn: Conn) {
        let cb = self.inner.borrow().on_state.clone();
        cb.emit(conn);
    }

    /// Opens the socket (signed in).
    fn start(self: &Rc<Self>, on_state: Callback<Conn>) {
        let run = {
            let mut inner = self.inner.borrow_mut();
            inner.run += 1;
            inner.running = true;
            inner.attempt = 0;
            inner.on_state = on_state;
            inner.run
        };
        self.set_state(Conn::Connecting);
        self.connect();
        // Heartbeat: a ping every HEARTBEAT_SECS; a silent socket is replaced.
        let weak = Rc::downgrade(self);
        spawn(async move {
            loop {
                yew::platform::time::sleep(std::time::Duration::from_secs(HEARTBEAT_SECS)).await;
                let Some(hub) = weak.upgrade() else { break };
                if hub.inner.borrow().run != run {
                    break;
                }
                let (open, silent) = {
                    let inner = hub.inner.borrow();
                    (inner.open, now_ms() - inner.last_frame)
                };
                if open {
                    if silent > DEAD_AFTER_MS {
                        hub.drop_socket();
                        hub.schedule_reconnect();
                    } else {
                        hub.send(&ClientMsg::Ping { nonce: None });
                    }
                }
            }
        });
    }

    /// Closes the socket and forgets the rooms (logout).
    fn stop(&self) {
        self.drop_socket();
        let mut inner = self.inner.borrow_mut();
        inner.run += 1;
        inner.running = false;
        inner.cursors.clear();
        inner.unacked.clear();
        inner.queued.clear();
        let cb = inner.on_state.clone();
        drop(inner);
        cb.emit(Conn::Idle);
    }

    fn drop_socket(&self) {
        let mut inner = self.inner.borrow_mut();
        if let Some(ws) = inner.ws.take() {
            ws.set_onmessage(None);
            ws.set_onopen(None);
            ws.set_onclose(None);
            let _ = ws.close();
        }
        inner.handlers = None;
        inner.open = false;
    }

    fn connect(self: &Rc<Self>) {
        self.drop_socket();
        let Some(url) = socket_url() else { return };
        let Ok(ws) = web_sys::WebSocket::new(&url) else {
            self.schedule_reconnect();
            return;
        };
        let weak: Weak<Hub> = Rc::downgrade(self);
        let on_message = {
            let weak = weak.clone();
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
                if let (Some(hub), Some(text)) = (weak.upgrade(), e.data().as_string()) {
                    hub.received(&text);
                }
            })
        };
        let on_open = {
            let weak = weak.clone();
            Closure::<dyn FnMut(web_sys::Event)>::new(move |_: web_sys::Event| {
                if let Some(hub) = weak.upgrade() {
                    hub.opened();
                }
            })
        };
        let on_close =
            Closure::<dyn FnMut(web_sys::CloseEvent)>::new(move |_: web_sys::CloseEvent| {
                if let Some(hub) = weak.upgrade() {
                    hub.drop_socket();
                    hub.schedule_reconnect();
                }
            });
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        let mut inner = self.inner.borrow_mut();
        inner.ws = Some(ws);
        inner.handlers = Some((on_message, on_open, on_close));
    }

    fn schedule_reconnect(self: &Rc<Self>) {
        let (run, attempt) = {
            let mut inner = self.inner.borrow_mut();
            if !inner.running {
                return;
            }
            inner.attempt += 1;
            (inner.run, inner.attempt)
        };
        let online = web_sys::window()
            .map(|w| w.navigator().on_line())
            .unwrap_or(true);
        self.set_state(if attempt > OFFLINE_AFTER || !online {
            Conn::Offline
        } else {
            Conn::Reconnecting
        });
        let delay = backoff_ms(attempt - 1, jitter());
        let weak = Rc::downgrade(self);
        spawn(async move {
            yew::platform::time::sleep(std::time::Duration::from_millis(delay as u64)).await;
            if let Some(hub) = weak.upgrade() {
                let current = {
                    let inner = hub.inner.borrow();
                    inner.run == run && inner.running && inner.ws.is_none()
                };
                if current {
                    hub.connect();
                }
            }
        });
    }

    fn opened(&self) {
        let frames = {
            let mut inner = self.inner.borrow_mut();
            inner.open = true;
            inner.attempt = 0;
            inner.last_frame = now_ms();
            let rooms: Vec<RoomCursor> = inner
                .cursors
                .iter()
                .map(|(room, last_seq)| RoomCursor {
                    room: *room,
                    last_seq: *last_seq,
                })
                .collect();
            let mut frames = Vec::new();
            for chunk in rooms.chunks(100) {
                frames.push(json(&ClientMsg::Subscribe {
                    rooms: chunk.to_vec(),
                }));
            }
            frames.extend(inner.unacked.iter().map(|(_, f)| f.clone()));
            frames.append(&mut inner.queued);
            frames
        };
        for frame in frames {
            self.raw(&frame);
        }
        self.set_state(Conn::Connected);
    }

    fn raw(&self, frame: &str) -> bool {
        let inner = self.inner.borrow();
        match (&inner.ws, inner.open) {
            (Some(ws), true) => ws.send_with_str(frame).is_ok(),
            _ => false,
        }
    }

    fn received(&self, text: &str) {
        let Ok(msg) = serde_json::from_str::<ServerMsg>(text) else {
            return;
        };
        let listeners = {
            let mut inner = self.inner.borrow_mut();
            inner.last_frame = now_ms();
            match &msg {
                ServerMsg::Ack { client_msg_id, .. }
                | ServerMsg::Error {
                    client_msg_id: Some(client_msg_id),
                    ..
                } => inner.unacked.retain(|(id, _)| id != client_msg_id),
                ServerMsg::Removed { room } => {
                    inner.cursors.remove(room);
                }
                _ => {}
            }
            if !advance(&mut inner.cursors, &msg) {
                return;
            }
            inner
                .listeners
                .iter()
                .map(|(_, cb)| cb.clone())
                .collect::<Vec<_>>()
        };
        let msg = Rc::new(msg);
        for cb in listeners {
            cb.emit(msg.clone());
        }
    }

    /// Sends a frame now, or when the socket opens. A `Send` is kept until acknowledged.
    pub fn send(&self, msg: &ClientMsg) {
        let frame = json(msg);
        if let ClientMsg::Send { client_msg_id, .. } = msg {
            self.inner
                .borrow_mut()
                .unacked
                .push((client_msg_id.clone(), frame.clone()));
            self.raw(&frame);
            return;
        }
        if !self.raw(&frame) {
            let mut inner = self.inner.borrow_mut();
            // Typing and pings are worth nothing later; rooms are subscribed at opening.
            if !matches!(
                msg,
                ClientMsg::Typing { .. } | ClientMsg::Ping { .. } | ClientMsg::Subscribe { .. }
            ) {
                inner.queued.push(frame);
            }
        }
    }

    /// Follows a room from `last_seq` on (the newest `seq` the page has, or `None` for what
    /// comes next). A room already followed keeps its cursor and is subscribed again, which
    /// brings the list of who is online (and nothing twice).
    pub fn watch(&self, room: RoomId, last_seq: Option<i64>) {
        let cursor = {
            let mut inner = self.inner.borrow_mut();
            *inner.cursors.entry(room).or_insert(last_seq)
        };
        self.send(&ClientMsg::Subscribe {
            rooms: vec![RoomCursor {
                room,
                last_seq: cursor,
            }],
        });
    }

    /// Follows rooms not followed yet, from their given `seq`.
    fn watch_all(&self, rooms: impl Iterator<Item = (RoomId, i64)>) {
        let mut new: Vec<RoomCursor> = Vec::new();
        {
            let mut inner = self.inner.borrow_mut();
            for (room, seq) in rooms {
                if let std::collections::hash_map::Entry::Vacant(e) = inner.cursors.entry(room) {
                    e.insert(Some(seq));
                    new.push(RoomCursor {
                        room,
                        last_seq: Some(seq),
                    });
                }
            }
        }
        for chunk in new.chunks(100) {
            self.send(&ClientMsg::Subscribe {
                rooms: chunk.to_vec(),
            });
        }
    }

    fn listen(self: &Rc<Self>, cb: Callback<Rc<ServerMsg>>) -> Listener {
        let mut inner = self.inner.borrow_mut();
        inner.next_listener += 1;
        let id = inner.next_listener;
        inner.listeners.push((id, cb));
        Listener {
            hub: Rc::downgrade(self),
            id,
        }
    }
}

fn json(msg: &ClientMsg) -> String {
    serde_json::to_string(msg).unwrap_or_default()
}

/// Listening to the socket's events; stops when dropped.
pub struct Listener {
    hub: Weak<Hub>,
    id: u64,
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(hub) = self.hub.upgrade() {
            if let Ok(mut inner) = hub.inner.try_borrow_mut() {
                inner.listeners.retain(|(id, _)| *id != self.id);
            }
        }
    }
}

/// My rooms as the provider keeps them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatRooms {
    /// `None` before the first answer.
    pub rooms: Option<Rc<Vec<Room>>>,
    /// The room open on screen: its messages are read as they come.
    pub open: Option<RoomId>,
    pub me: Option<UserId>,
}

pub enum RoomsAction {
    Loaded(Vec<Room>, Option<UserId>),
    Clear,
    Open(Option<RoomId>),
    Upsert(Box<Room>),
    Event(Rc<ServerMsg>),
}

fn with_message(room: &mut Room, message: &ChatMessage) {
    if room
        .last_message
        .as_ref()
        .is_none_or(|m| m.seq <= message.seq)
    {
        room.last_message = Some(message.clone());
    }
}

impl Reducible for ChatRooms {
    type Action = RoomsAction;

    fn reduce(self: Rc<Self>, action: RoomsAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            RoomsAction::Loaded(rooms, me) => {
                next.rooms = Some(Rc::new(rooms));
                next.me = me;
            }
            RoomsAction::Clear => return Rc::new(ChatRooms::default()),
            RoomsAction::Open(room) => next.open = room,
            RoomsAction::Upsert(room) => {
                let mut rooms = next.rooms.as_deref().cloned().unwrap_or_default();
                match rooms.iter_mut().find(|r| r.id == room.id) {
                    Some(r) => *r = *room,
                    None => rooms.insert(0, *room),
                }
                next.rooms = Some(Rc::new(rooms));
            }
            RoomsAction::Event(msg) => {
                let Some(list) = &next.rooms else {
                    return self;
                };
                let Some(room_id) = msg.room() else {
                    return self;
                };
                let mut rooms = (**list).clone();
                let Some(room) = rooms.iter_mut().find(|r| r.id == room_id) else {
                    return self;
                };
                match &*msg {
                    ServerMsg::Message { seq, message, .. } => {
                        room.last_seq = room.last_seq.max(*seq);
                        with_message(room, message);
                        let mine = Some(message.sender.id) == next.me;
                        if mine {
                            room.read_seq = room.read_seq.max(*seq);
                        } else if *seq > room.read_seq && next.open != Some(room_id) {
                            room.unread += 1;
                        }
                    }
                    ServerMsg::Edit { seq, message, .. } => {
                        room.last_seq = room.last_seq.max(*seq);
                        if room
                            .last_message
                            .as_ref()
                            .is_some_and(|m| m.id == message.id)
                        {
                            room.last_message = Some(message.clone());
                        }
                    }
                    ServerMsg::Delete { seq, message, .. } => {
                        room.last_seq = room.last_seq.max(*seq);
                        if let Some(m) = room.last_message.as_mut().filter(|m| m.id == *message) {
                            m.deleted = true;
                            m.text.clear();
                            m.html.clear();
                        }
                    }
                    ServerMsg::ReadMarker { user, seq, .. } if Some(*user) == next.me => {
                        room.read_seq = room.read_seq.max(*seq);
                        if room.read_seq >= room.last_seq {
                            room.unread = 0;
                        }
                    }
                    ServerMsg::Subscribed { last_seq, .. } => {
                        room.last_seq = room.last_seq.max(*last_seq);
                    }
                    ServerMsg::Removed { .. } => {
                        rooms.retain(|r| r.id != room_id);
                    }
                    ServerMsg::RoomChanged {
                        name: Some(name), ..
                    } => {
                        room.name = name.clone();
                    }
                    _ => return self,
                }
                next.rooms = Some(Rc::new(rooms));
            }
        }
        Rc::new(next)
    }
}

/// What pages get from [`use_realtime`].
#[derive(Clone)]
pub struct Realtime {
    pub conn: Conn,
    pub rooms: Rc<ChatRooms>,
    hub: Rc<Hub>,
    dispatch: Callback<RoomsAction>,
    reload: Callback<()>,
}

impl PartialEq for Realtime {
    fn eq(&self, other: &Self) -> bool {
        self.conn == other.conn && self.rooms == other.rooms && Rc::ptr_eq(&self.hub, &other.hub)
    }
}

impl Realtime {
    /// Sends a frame (queued until the socket is open).
    pub fn send(&self, msg: &ClientMsg) {
        self.hub.send(msg);
    }

    pub fn watch(&self, room: RoomId, last_seq: Option<i64>) {
        self.hub.watch(room, last_seq);
    }

    /// Unread messages over all my rooms.
    pub fn total_unread(&self) -> i64 {
        self.rooms
            .rooms
            .as_ref()
            .map(|r| r.iter().map(|r| r.unread).sum())
            .unwrap_or(0)
    }

    /// Tells the list which room is on screen (its unread count stays at zero).
    pub fn set_open(&self, room: Option<RoomId>) {
        self.dispatch.emit(RoomsAction::Open(room));
    }

    /// Adds or replaces a room in my list (a direct room just opened).
    pub fn upsert(&self, room: Room) {
        self.dispatch.emit(RoomsAction::Upsert(Box::new(room)));
    }

    /// Asks the server for my rooms again.
    pub fn reload(&self) {
        self.reload.emit(());
    }
}

/// The socket of the app (a quiet stand-in outside the provider).
#[hook]
pub fn use_realtime() -> Realtime {
    let fallback = use_memo((), |_| Rc::new(Hub::default()));
    use_context::<Realtime>().unwrap_or_else(|| Realtime {
        conn: Conn::Idle,
        rooms: Rc::new(ChatRooms::default()),
        hub: (*fallback).clone(),
        dispatch: Callback::noop(),
        reload: Callback::noop(),
    })
}

/// Calls `cb` for each event while the component is mounted.
#[hook]
pub fn use_realtime_events(cb: Callback<Rc<ServerMsg>>) {
    let realtime = use_realtime();
    let hub = realtime.hub.clone();
    // The newest callback, read at each event (the one captured first would be stale).
    let current = use_mut_ref(Callback::noop);
    *current.borrow_mut() = cb;
    use_effect_with(Rc::as_ptr(&hub) as usize, move |_| {
        let forward = Callback::from(move |msg: Rc<ServerMsg>| {
            let cb = current.borrow().clone();
            cb.emit(msg);
        });
        let listener = hub.listen(forward);
        move || drop(listener)
    });
}

#[derive(Properties, PartialEq)]
pub struct RealtimeProviderProps {
    #[prop_or_default]
    pub children: Html,
}

#[function_component(RealtimeProvider)]
pub fn realtime_provider(props: &RealtimeProviderProps) -> Html {
    let session = use_session();
    let user = session.me().map(|me| me.id);
    let conn = use_state(|| Conn::Idle);
    let rooms = use_reducer(ChatRooms::default);
    let hub = use_memo((), |_| Rc::new(Hub::default()));
    let reloads = use_state(|| 0u32);
    // Rooms I was put in (groups), counted as they are announced.
    let added = use_state(|| 0u32);
    let added_count = use_mut_ref(|| 0u32);

    // The rooms' list follows the events; a room I was just put in (a group) is read again
    // with the list, and followed from then on.
    {
        let (hub, rooms, added) = ((*hub).clone(), rooms.dispatcher(), added.clone());
        let counter = added_count.clone();
        use_effect_with((), move |()| {
            let listener = hub.listen(Callback::from(move |msg: Rc<ServerMsg>| {
                if matches!(&*msg, ServerMsg::Domain { topic, .. } if topic == "chat.room_added") {
                    let n = {
                        let mut c = counter.borrow_mut();
                        *c = c.wrapping_add(1);
                        *c
                    };
                    added.set(n);
                }
                rooms.dispatch(RoomsAction::Event(msg));
            }));
            move || drop(listener)
        });
    }
    // Open at sign-in, closed at logout (or when someone else signs in).
    {
        let (hub, conn, rooms) = ((*hub).clone(), conn.clone(), rooms.dispatcher());
        use_effect_with(user, move |user| {
            let on = user.is_some();
            if on {
                let conn = conn.clone();
                hub.start(Callback::from(move |c| conn.set(c)));
            } else {
                rooms.dispatch(RoomsAction::Clear);
            }
            let hub = hub.clone();
            move || {
                if on {
                    hub.stop();
                }
            }
        });
    }
    // My rooms: loaded at sign-in and when asked; each is followed from its newest `seq`.
    {
        let (hub, rooms, api) = ((*hub).clone(), rooms.dispatcher(), session.api());
        use_effect_with((user, *reloads, *added), move |(user, _, _)| {
            let user = *user;
            if user.is_some() {
                spawn(async move {
                    if let Ok(list) = api.chat_rooms().await {
                        hub.watch_all(list.iter().map(|r| (r.id, r.last_seq)));
                        rooms.dispatch(RoomsAction::Loaded(list, user));
                    }
                });
            }
        });
    }
    let reload = {
        let reloads = reloads.clone();
        Callback::from(move |()| reloads.set(reloads.wrapping_add(1)))
    };
    let context = Realtime {
        conn: *conn,
        rooms: Rc::new((*rooms).clone()),
        hub: (*hub).clone(),
        dispatch: {
            let d = rooms.dispatcher();
            Callback::from(move |a| d.dispatch(a))
        },
        reload,
    };
    html! {
        <ContextProvider<Realtime> context={context}>
            { props.children.clone() }
        </ContextProvider<Realtime>>
    }
}

/// The connection state, for everyone and for screen readers (politely, when it changes).
#[function_component(ConnectionIndicator)]
pub fn connection_indicator() -> Html {
    let i18n = crate::i18n::use_i18n();
    let realtime = use_realtime();
    if realtime.conn == Conn::Idle {
        return html! {};
    }
    let class = match realtime.conn {
        Conn::Connected => "cortile-conn-ok",
        Conn::Connecting | Conn::Reconnecting => "cortile-conn-wait",
        _ => "cortile-conn-off",
    };
    html! {
        <span class={classes!("cortile-conn", class)} role="status" aria-live="polite"
            data-testid="connection-state" data-state={realtime.conn.as_str()}>
            <span class="cortile-conn-dot" aria-hidden="true"></span>
            { i18n.t(realtime.conn.key()) }
        </span>
    }
}

#[derive(Properties, PartialEq)]
pub struct LiveUpdateNoticeProps {
    /// Loads the page's data again.
    pub retry: Callback<()>,
}

/// "This page has news": shown when a notification about the page being read arrives on the
/// socket (a report's new status, an exchange accepted), with a button that loads it again
/// (nothing is replaced under the reader's eyes, a form being filled in stays).
#[function_component(LiveUpdateNotice)]
pub fn live_update_notice(props: &LiveUpdateNoticeProps) -> Html {
    let i18n = crate::i18n::use_i18n();
    let path = yew_router::hooks::use_location().map(|l| l.path().to_owned());
    let news = use_state(|| false);
    {
        let (news, path) = (news.clone(), path.clone());
        use_realtime_events(Callback::from(move |msg: Rc<ServerMsg>| {
            if let ServerMsg::Notification { notification } = &*msg {
                let link = notification
                    .link
                    .split(['?', '#'])
                    .next()
                    .unwrap_or_default();
                if Some(link) == path.as_deref() {
                    news.set(true);
                }
            }
        }));
    }
    let onclick = {
        let (news, retry) = (news.clone(), props.retry.clone());
        Callback::from(move |_: MouseEvent| {
            news.set(false);
            retry.emit(());
        })
    };
    html! {
        <div role="status" aria-live="polite">
            if *news {
                <div class="alert alert-info d-flex flex-wrap align-items-center gap-2" data-testid="live-update">
                    <span>{ i18n.t("realtime.page_changed") }</span>
                    <button type="button" class="btn btn-sm btn-primary" data-testid="live-update-reload" {onclick}>
                        { i18n.t("realtime.reload") }
                    </button>
                </div>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use cortile_shared::auth::UserRef;
    use cortile_shared::realtime::{MessageId, RoomAbilities, RoomKind};

    #[test]
    fn backoff_doubles_with_jitter_up_to_a_ceiling() {
        assert_eq!(backoff_ms(0, 1.0), 1_000.0);
        assert_eq!(backoff_ms(0, 0.0), 500.0);
        assert_eq!(backoff_ms(3, 1.0), 8_000.0);
        assert_eq!(backoff_ms(20, 1.0), MAX_BACKOFF_MS);
        assert!(backoff_ms(20, 0.0) >= MAX_BACKOFF_MS / 2.0);
    }

    fn msg(room: i64, seq: i64, sender: i64) -> ServerMsg {
        ServerMsg::Message {
            room: RoomId(room),
            seq,
            message: ChatMessage {
                id: MessageId(seq * 10),
                room: RoomId(room),
                seq,
                sender: UserRef {
                    id: UserId(sender),
                    display_name: "X".into(),
                },
                text: "t".into(),
                html: "<p>t</p>".into(),
                reply_to: None,
                created_at: Utc::now(),
                edited_at: None,
                deleted: false,
            },
        }
    }

    #[test]
    fn events_already_seen_are_dropped() {
        let mut cursors = HashMap::new();
        cursors.insert(RoomId(1), Some(3));
        cursors.insert(RoomId(2), None);
        assert!(!advance(&mut cursors, &msg(1, 3, 9)), "seen");
        assert!(advance(&mut cursors, &msg(1, 4, 9)));
        assert!(!advance(&mut cursors, &msg(1, 4, 9)), "twice");
        assert!(!advance(&mut cursors, &msg(7, 1, 9)), "not watched");
        let sub = ServerMsg::Subscribed {
            room: RoomId(2),
            last_seq: 5,
            after: 5,
            truncated: false,
            online: vec![],
        };
        assert!(advance(&mut cursors, &sub));
        assert_eq!(cursors[&RoomId(2)], Some(5));
        assert!(!advance(&mut cursors, &msg(2, 5, 9)));
        assert!(advance(&mut cursors, &msg(2, 6, 9)));
    }

    #[test]
    fn the_room_list_counts_what_others_send() {
        let room = Room {
            id: RoomId(1),
            kind: RoomKind::Community,
            name: "Via Roma 1".into(),
            community_id: None,
            peer: None,
            last_seq: 2,
            read_seq: 2,
            unread: 0,
            abilities: RoomAbilities::default(),
            assignee: None,
            waiting: false,
            last_message: None,
        };
        let s = Rc::new(ChatRooms::default())
            .reduce(RoomsAction::Loaded(vec![room], Some(UserId(5))))
            .reduce(RoomsAction::Event(Rc::new(msg(1, 3, 9))))
            .reduce(RoomsAction::Event(Rc::new(msg(1, 4, 5))));
        let r = &s.rooms.as_ref().expect("rooms")[0];
        assert_eq!((r.last_seq, r.read_seq, r.unread), (4, 4, 1));
        assert_eq!(r.last_message.as_ref().map(|m| m.seq), Some(4));
        let s = s.reduce(RoomsAction::Event(Rc::new(ServerMsg::ReadMarker {
            room: RoomId(1),
            user: UserId(5),
            seq: 4,
        })));
        assert_eq!(s.rooms.as_ref().expect("rooms")[0].unread, 0);
        // The open room does not count.
        let s = s
            .reduce(RoomsAction::Open(Some(RoomId(1))))
            .reduce(RoomsAction::Event(Rc::new(msg(1, 5, 9))));
        assert_eq!(s.rooms.as_ref().expect("rooms")[0].unread, 0);
    }
}
