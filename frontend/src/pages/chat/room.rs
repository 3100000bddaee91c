//! `/chat/:id`: one room. The history comes from the REST route (newest page first, "load
//! earlier" pages backwards); everything after arrives on the app's socket. Messages are kept
//! by their `seq`, so a message that comes both ways (the history and the socket) is shown
//! once. Sending is optimistic: the message shows as "sending" with its `client_msg_id`
//! until the server's ack and the message itself arrive. Typing, read markers ("seen by") and
//! presence are the socket's ephemeral events; the markers of a page just opened come from
//! `GET /chat/rooms/{id}/reads`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use cortile_shared::realtime::{
    ChatMessage, ClientMsg, History, MessageId, NewMute, NewRemoval, ReadMark, Room, RoomId,
    RoomKind, ServerMsg,
};
use cortile_shared::UserId;
use yew::prelude::*;
use yew_router::prelude::*;

use super::group::{GroupSettings, MemberList};
use super::{kind_text, preview};
use crate::api::ApiError;
use crate::app::Route;
use crate::components::{Breadcrumb, ErrorState, FormAlert, Loading};
use crate::hooks::{spawn, use_document_title};
use crate::i18n::{use_i18n, I18n};
use crate::pages::community::{time_view, PostBody};
use crate::realtime::{new_client_msg_id, use_realtime, use_realtime_events, Conn};
use crate::session::use_session;

/// How long a typing indicator lasts without a new "typing" event (ms).
const TYPING_SHOWS_MS: f64 = 6_000.0;
/// How often "I am typing" is sent while typing (ms).
const TYPING_EVERY_MS: f64 = 3_000.0;

fn now_ms() -> f64 {
    if cfg!(target_arch = "wasm32") {
        js_sys::Date::now()
    } else {
        0.0
    }
}

/// A message on its way: shown at once, "sending" until the server has it.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub client_msg_id: String,
    pub text: String,
    pub reply_to: Option<MessageId>,
    /// The server's refusal, in words.
    pub error: Option<String>,
    /// The stored message, once acknowledged.
    pub acked: Option<MessageId>,
}

/// What the page knows of the room's conversation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Conversation {
    pub room: Option<RoomId>,
    pub me: Option<UserId>,
    /// By `seq`: each message once, as it is now.
    pub messages: BTreeMap<i64, ChatMessage>,
    /// The history's cursor for older messages (`None`: the beginning, or not loaded yet).
    pub before: Option<i64>,
    pub loaded: bool,
    pub pending: Vec<Pending>,
    /// Who is typing, and when they last said so.
    pub typing: BTreeMap<UserId, (String, f64)>,
    pub online: BTreeSet<UserId>,
    /// How far each other person has read.
    pub reads: HashMap<UserId, (String, i64)>,
    /// The highest `seq` of any event seen (what "read" means).
    pub top: i64,
    pub removed: bool,
    /// The last message from someone else, announced to screen readers.
    pub announce: Option<(String, String)>,
    pub now: f64,
}

pub enum Act {
    Reset(RoomId, Option<UserId>),
    History(History),
    Reads(Vec<ReadMark>),
    Top(i64),
    Event(Rc<ServerMsg>),
    Pending(Pending),
    Retry(String),
    Tick(f64),
}

/// Keeps the newer of two versions of a message: a deletion wins; then the later edit.
fn merge(slot: &mut BTreeMap<i64, ChatMessage>, m: ChatMessage) {
    match slot.get(&m.seq) {
        Some(old) if old.deleted => {}
        Some(old) if !m.deleted && old.edited_at > m.edited_at => {}
        _ => {
            slot.insert(m.seq, m);
        }
    }
}

impl Reducible for Conversation {
    type Action = Act;

    fn reduce(self: Rc<Self>, action: Act) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            Act::Reset(room, me) => {
                return Rc::new(Conversation {
                    room: Some(room),
                    me,
                    ..Conversation::default()
                })
            }
            Act::History(page) => {
                let first = !s.loaded;
                for m in page.messages {
                    s.top = s.top.max(m.seq);
                    merge(&mut s.messages, m);
                }
                // The first page sets the cursor; later pages move it back.
                if first || page.before.is_none_or(|b| s.before.is_none_or(|c| b < c)) {
                    s.before = page.before;
                }
                s.loaded = true;
                s.pending.retain(|p| {
                    p.acked
                        .is_none_or(|id| !s.messages.values().any(|m| m.id == id))
                });
            }
            Act::Reads(list) => {
                for r in list {
                    if Some(r.user.id) == s.me {
                        continue;
                    }
                    let e = s.reads.entry(r.user.id).or_insert((String::new(), 0));
                    e.0 = r.user.display_name;
                    e.1 = e.1.max(r.seq);
                }
            }
            Act::Top(seq) => s.top = s.top.max(seq),
            Act::Pending(p) => s.pending.push(p),
            Act::Retry(id) => {
                if let Some(p) = s.pending.iter_mut().find(|p| p.client_msg_id == id) {
                    p.error = None;
                }
            }
            Act::Tick(now) => {
                s.now = now;
                s.typing.retain(|_, (_, at)| now - *at < TYPING_SHOWS_MS);
            }
            Act::Event(msg) => {
                if msg.room().is_some() && msg.room() != s.room {
                    return self;
                }
                match &*msg {
                    ServerMsg::Message { seq, message, .. } => {
                        s.top = s.top.max(*seq);
                        let mine = Some(message.sender.id) == s.me;
                        if !mine && !s.messages.contains_key(&message.seq) {
                            s.announce =
                                Some((message.sender.display_name.clone(), message.text.clone()));
                        }
                        s.typing.remove(&message.sender.id);
                        merge(&mut s.messages, message.clone());
                        let id = message.id;
                        s.pending.retain(|p| p.acked != Some(id));
                    }
                    ServerMsg::Edit { seq, message, .. } => {
                        s.top = s.top.max(*seq);
                        if s.messages.contains_key(&message.seq) {
                            merge(&mut s.messages, message.clone());
                        }
                    }
                    ServerMsg::Delete { seq, message, .. } => {
                        s.top = s.top.max(*seq);
                        if let Some(m) = s.messages.values_mut().find(|m| m.id == *message) {
                            m.deleted = true;
                            m.text.clear();
                            m.html.clear();
                        }
                    }
                    ServerMsg::Typing { user, .. } => {
                        if Some(user.id) == s.me {
                            return self;
                        }
                        s.now = now_ms();
                        s.typing.insert(user.id, (user.display_name.clone(), s.now));
                    }
                    ServerMsg::ReadMarker { user, seq, .. } => {
                        if Some(*user) == s.me {
                            return self;
                        }
                        let name = s
                            .messages
                            .values()
                            .rev()
                            .find(|m| m.sender.id == *user)
                            .map(|m| m.sender.display_name.clone())
                            .or_else(|| s.reads.get(user).map(|r| r.0.clone()))
                            .unwrap_or_default();
                        let e = s.reads.entry(*user).or_insert((name, 0));
                        e.1 = e.1.max(*seq);
                    }
                    ServerMsg::Subscribed {
                        online, last_seq, ..
                    } => {
                        s.online = online.iter().copied().collect();
                        s.top = s.top.max(*last_seq);
                    }
                    ServerMsg::Presence { joined, left, .. } => {
                        for u in joined {
                            s.online.insert(*u);
                        }
                        for u in left {
                            s.online.remove(u);
                        }
                    }
                    ServerMsg::Ack {
                        client_msg_id,
                        message,
                        ..
                    } => {
                        let known = s.messages.values().any(|m| m.id == *message);
                        if known {
                            s.pending.retain(|p| p.client_msg_id != *client_msg_id);
                        } else if let Some(p) = s
                            .pending
                            .iter_mut()
                            .find(|p| p.client_msg_id == *client_msg_id)
                        {
                            p.acked = Some(*message);
                        } else {
                            return self;
                        }
                    }
                    ServerMsg::Error {
                        client_msg_id: Some(id),
                        message,
                        ..
                    } => {
                        let Some(p) = s.pending.iter_mut().find(|p| p.client_msg_id == *id) else {
                            return self;
                        };
                        p.error = Some(message.clone());
                    }
                    ServerMsg::Removed { .. } => s.removed = true,
                    _ => return self,
                }
            }
        }
        Rc::new(s)
    }
}

/// "Seen" (direct rooms) or "read by …" for one of my messages; `None` when nobody has.
pub fn read_by_text(i18n: &I18n, c: &Conversation, kind: RoomKind, seq: i64) -> Option<String> {
    let mut names: Vec<&str> = c
        .reads
        .values()
        .filter(|(n, s)| *s >= seq && !n.is_empty())
        .map(|(n, _)| n.as_str())
        .collect();
    if names.is_empty() {
        return None;
    }
    names.sort_unstable();
    if kind == RoomKind::Direct {
        return Some(i18n.t("chat.seen"));
    }
    let shown = names.iter().take(3).copied().collect::<Vec<_>>().join(", ");
    Some(if names.len() > 3 {
        i18n.tf(
            "chat.read_by_more",
            &[
                ("names", &shown),
                ("count", &i18n.int(names.len() as i64 - 3)),
            ],
        )
    } else {
        i18n.tf("chat.read_by", &[("names", &shown)])
    })
}

/// "X is typing…", "X and Y are typing…", "N people are typing…".
pub fn typing_text(i18n: &I18n, names: &[String]) -> Option<String> {
    match names {
        [] => None,
        [one] => Some(i18n.tf("chat.typing.one", &[("name", one)])),
        [a, b] => Some(i18n.tf("chat.typing.two", &[("a", a), ("b", b)])),
        more => Some(i18n.tf(
            "chat.typing.many",
            &[("count", &i18n.int(more.len() as i64))],
        )),
    }
}

#[derive(Properties, PartialEq)]
pub struct ChatRoomPageProps {
    pub id: i64,
}

#[function_component(ChatRoomPage)]
pub fn chat_room_page(props: &ChatRoomPageProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let realtime = use_realtime();
    let navigator = use_navigator();
    let me = session.me().map(|m| m.id);
    let id = RoomId(props.id);
    let room = use_state(|| None::<Result<Room, ApiError>>);
    let convo = use_reducer(Conversation::default);
    let draft = use_state(String::new);
    let reply_to = use_state(|| None::<MessageId>);
    let editing = use_state(|| None::<(MessageId, String)>);
    let typed_at = use_mut_ref(|| 0.0f64);
    let read_sent = use_mut_ref(|| 0i64);
    let loading_older = use_state(|| false);
    let error = use_state(|| None::<ApiError>);
    let status = use_state(String::new);
    let blocked = use_state(|| false);
    let log = use_node_ref();
    let input = use_node_ref();
    let attempt = use_state(|| 0u32);
    // The group's name when it was renamed while the page is open.
    let renamed = use_state(|| None::<String>);

    let title = match &*room {
        Some(Ok(r)) => Some((*renamed).clone().unwrap_or_else(|| r.name.clone())),
        _ => None,
    };
    use_document_title(title.clone());

    // Who the page can name (read markers and presence carry only ids).
    let named = use_mut_ref(std::collections::HashSet::<UserId>::new);
    // Events of this room, from the mount on (before the history loads: nothing falls between).
    // A read marker of someone not named yet brings the room's markers, with names.
    {
        let (convo, named, api) = (convo.dispatcher(), named.clone(), session.api());
        let renamed = renamed.clone();
        use_realtime_events(Callback::from(move |msg: Rc<ServerMsg>| {
            if let ServerMsg::RoomChanged {
                room,
                name: Some(n),
                ..
            } = &*msg
            {
                if *room == id {
                    renamed.set(Some(n.clone()));
                }
            }
            if let ServerMsg::ReadMarker { room, user, .. } = &*msg {
                if *room == id && Some(*user) != me && !named.borrow().contains(user) {
                    named.borrow_mut().insert(*user);
                    let (api, convo) = (api.clone(), convo.clone());
                    spawn(async move {
                        if let Ok(reads) = api.chat_reads(id).await {
                            convo.dispatch(Act::Reads(reads));
                        }
                    });
                }
            }
            convo.dispatch(Act::Event(msg));
        }));
    }
    // This room is on screen: the list does not count its messages as unread.
    {
        let realtime = realtime.clone();
        use_effect_with(id, move |id| {
            realtime.set_open(Some(*id));
            let realtime = realtime.clone();
            move || realtime.set_open(None)
        });
    }
    // The room, then its newest messages and how far the others read; the socket follows it
    // from the room's `seq` read before the history.
    {
        let (api, realtime, room, convo) = (
            session.api(),
            realtime.clone(),
            room.clone(),
            convo.dispatcher(),
        );
        let blocked = blocked.clone();
        let renamed = renamed.clone();
        use_effect_with((id, *attempt), move |(id, _)| {
            let id = *id;
            convo.dispatch(Act::Reset(id, me));
            room.set(None);
            renamed.set(None);
            spawn(async move {
                let r = match api.chat_room(id).await {
                    Ok(r) => r,
                    Err(e) => {
                        room.set(Some(Err(e)));
                        return;
                    }
                };
                realtime.watch(id, Some(r.last_seq));
                convo.dispatch(Act::Top(r.read_seq));
                let peer = r.peer.as_ref().map(|p| p.id);
                room.set(Some(Ok(r)));
                match api.chat_history(id, None).await {
                    Ok(page) => convo.dispatch(Act::History(page)),
                    Err(e) => room.set(Some(Err(e))),
                }
                if let Ok(reads) = api.chat_reads(id).await {
                    convo.dispatch(Act::Reads(reads));
                }
                if let Some(peer) = peer {
                    if let Ok(list) = api.chat_blocks().await {
                        blocked.set(list.iter().any(|b| b.user.id == peer));
                    }
                }
            });
        });
    }
    // Typing indicators fade: a tick every second while someone is typing.
    {
        let convo_d = convo.dispatcher();
        let someone = !convo.typing.is_empty();
        use_effect_with(someone, move |someone| {
            let alive = Rc::new(std::cell::Cell::new(*someone));
            if *someone {
                let alive = alive.clone();
                spawn(async move {
                    while alive.get() {
                        yew::platform::time::sleep(std::time::Duration::from_secs(1)).await;
                        if alive.get() {
                            convo_d.dispatch(Act::Tick(now_ms()));
                        }
                    }
                });
            }
            move || alive.set(false)
        });
    }
    // Read: what is on screen, while the page is visible.
    {
        let (realtime, read_sent) = (realtime.clone(), read_sent.clone());
        let loaded = convo.loaded;
        use_effect_with(
            (convo.top, loaded, realtime.conn),
            move |(top, loaded, _)| {
                let visible = web_sys::window()
                    .and_then(|w| w.document())
                    .is_some_and(|d| !d.hidden());
                if *loaded && visible && *top > *read_sent.borrow() {
                    *read_sent.borrow_mut() = *top;
                    realtime.send(&ClientMsg::Read {
                        room: id,
                        seq: *top,
                    });
                }
            },
        );
    }
    // Keep the newest message in view when a message arrives.
    {
        let log = log.clone();
        // Not when earlier messages are added at the top: the reader is looking there.
        let newest = convo.messages.keys().next_back().copied();
        use_effect_with((newest, convo.pending.len()), move |_| {
            if let Some(el) = log.cast::<web_sys::Element>() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }

    let r = match &*room {
        None => return html! { <Loading /> },
        Some(Err(e)) => {
            let retry = {
                let attempt = attempt.clone();
                Callback::from(move |()| attempt.set(attempt.wrapping_add(1)))
            };
            return html! { <ErrorState error={e.clone()} {retry} /> };
        }
        Some(Ok(r)) => r.clone(),
    };

    // Sending.
    let send_text = {
        let (realtime, convo) = (realtime.clone(), convo.dispatcher());
        let (reply_to, draft) = (reply_to.clone(), draft.clone());
        Callback::from(move |()| {
            let text = draft.trim().to_owned();
            if text.is_empty() {
                return;
            }
            let client_msg_id = new_client_msg_id();
            let reply = *reply_to;
            convo.dispatch(Act::Pending(Pending {
                client_msg_id: client_msg_id.clone(),
                text: text.clone(),
                reply_to: reply,
                error: None,
                acked: None,
            }));
            realtime.send(&ClientMsg::Send {
                room: id,
                client_msg_id,
                text,
                reply_to: reply,
            });
            draft.set(String::new());
            reply_to.set(None);
        })
    };
    let onsubmit = {
        let send_text = send_text.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            send_text.emit(());
        })
    };
    let onkeydown = {
        let send_text = send_text.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" && !e.shift_key() && !e.is_composing() {
                e.prevent_default();
                send_text.emit(());
            }
        })
    };
    let oninput = {
        let (draft, realtime, typed_at) = (draft.clone(), realtime.clone(), typed_at.clone());
        Callback::from(move |e: InputEvent| {
            let el: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
            draft.set(el.value());
            let now = now_ms();
            if now - *typed_at.borrow() > TYPING_EVERY_MS {
                *typed_at.borrow_mut() = now;
                realtime.send(&ClientMsg::Typing { room: id });
            }
        })
    };
    let retry_pending = {
        let (realtime, convo) = (realtime.clone(), convo.dispatcher());
        Callback::from(move |p: Pending| {
            convo.dispatch(Act::Retry(p.client_msg_id.clone()));
            realtime.send(&ClientMsg::Send {
                room: id,
                client_msg_id: p.client_msg_id,
                text: p.text,
                reply_to: p.reply_to,
            });
        })
    };
    let load_older = {
        let (api, convo_d, loading_older, error, log) = (
            session.api(),
            convo.dispatcher(),
            loading_older.clone(),
            error.clone(),
            log.clone(),
        );
        let before = convo.before;
        Callback::from(move |_: MouseEvent| {
            let Some(before) = before else { return };
            if *loading_older {
                return;
            }
            loading_older.set(true);
            let (api, convo_d, loading_older, error, log) = (
                api.clone(),
                convo_d.clone(),
                loading_older.clone(),
                error.clone(),
                log.clone(),
            );
            spawn(async move {
                let result = api.chat_history(id, Some(before)).await;
                loading_older.set(false);
                match result {
                    Ok(page) => {
                        // At the beginning the button goes: focus moves to the messages.
                        let last = page.before.is_none();
                        convo_d.dispatch(Act::History(page));
                        if last {
                            if let Some(el) = log.cast::<web_sys::HtmlElement>() {
                                let _ = el.focus();
                            }
                        }
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let start_reply = {
        let (reply_to, input) = (reply_to.clone(), input.clone());
        Callback::from(move |m: MessageId| {
            reply_to.set(Some(m));
            if let Some(el) = input.cast::<web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        })
    };
    let cancel_reply = {
        let reply_to = reply_to.clone();
        Callback::from(move |_: MouseEvent| reply_to.set(None))
    };
    let start_edit = {
        let editing = editing.clone();
        Callback::from(move |(m, text): (MessageId, String)| editing.set(Some((m, text))))
    };
    let save_edit = {
        let (editing, realtime) = (editing.clone(), realtime.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some((message, text)) = (*editing).clone() {
                if !text.trim().is_empty() {
                    realtime.send(&ClientMsg::Edit {
                        room: id,
                        message,
                        text,
                    });
                }
            }
            editing.set(None);
        })
    };
    let delete_mine = {
        let realtime = realtime.clone();
        Callback::from(move |message: MessageId| {
            realtime.send(&ClientMsg::Delete { room: id, message });
        })
    };
    let moderate = {
        let (api, status, error, i18n) =
            (session.api(), status.clone(), error.clone(), i18n.clone());
        Callback::from(
            move |(what, user, name, message): (&'static str, UserId, String, MessageId)| {
                let (api, status, error, i18n) =
                    (api.clone(), status.clone(), error.clone(), i18n.clone());
                spawn(async move {
                    let result = match what {
                        "delete" => api.delete_chat_message(id, message).await,
                        "mute" => {
                            api.mute(
                                id,
                                &NewMute {
                                    user_id: user,
                                    minutes: 60,
                                    reason: String::new(),
                                },
                            )
                            .await
                        }
                        _ => {
                            api.remove_from_room(
                                id,
                                &NewRemoval {
                                    user_id: user,
                                    reason: String::new(),
                                },
                            )
                            .await
                        }
                    };
                    match result {
                        Ok(()) => {
                            error.set(None);
                            status.set(
                                i18n.tf(&format!("chat.moderated.{what}"), &[("name", &name)]),
                            );
                        }
                        Err(e) => error.set(Some(e)),
                    }
                });
            },
        )
    };
    let write_to = {
        let (api, realtime, navigator, error) = (
            session.api(),
            realtime.clone(),
            navigator.clone(),
            error.clone(),
        );
        Callback::from(move |user: UserId| {
            let (api, realtime, navigator, error) = (
                api.clone(),
                realtime.clone(),
                navigator.clone(),
                error.clone(),
            );
            spawn(async move {
                match api.open_direct(user).await {
                    Ok(room) => {
                        let rid = room.id.0;
                        realtime.upsert(room);
                        if let Some(n) = navigator {
                            n.push(&Route::ChatRoom { id: rid });
                        }
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let toggle_block = {
        let (api, blocked, status, error, i18n) = (
            session.api(),
            blocked.clone(),
            status.clone(),
            error.clone(),
            i18n.clone(),
        );
        let peer = r.peer.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(peer) = peer.clone() else { return };
            let (api, blocked, status, error, i18n) = (
                api.clone(),
                blocked.clone(),
                status.clone(),
                error.clone(),
                i18n.clone(),
            );
            spawn(async move {
                let now_blocked = !*blocked;
                let result = if now_blocked {
                    api.block_user(peer.id).await
                } else {
                    api.unblock_user(peer.id).await
                };
                match result {
                    Ok(()) => {
                        error.set(None);
                        blocked.set(now_blocked);
                        let key = if now_blocked {
                            "chat.blocked_now"
                        } else {
                            "chat.unblocked"
                        };
                        status.set(i18n.tf(key, &[("name", &peer.display_name)]));
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };

    // The page.
    let c = &*convo;
    let by_id: HashMap<MessageId, &ChatMessage> = c.messages.values().map(|m| (m.id, m)).collect();
    let my_last = c
        .messages
        .values()
        .rev()
        .find(|m| Some(m.sender.id) == me && !m.deleted)
        .map(|m| m.seq);
    let known_names: HashMap<UserId, String> = c
        .messages
        .values()
        .map(|m| (m.sender.id, m.sender.display_name.clone()))
        .chain(c.reads.iter().map(|(u, (n, _))| (*u, n.clone())))
        .collect();
    named.borrow_mut().extend(
        known_names
            .iter()
            .filter(|(_, n)| !n.is_empty())
            .map(|(u, _)| *u),
    );
    let others_online: Vec<String> = c
        .online
        .iter()
        .filter(|u| Some(**u) != me)
        .filter_map(|u| known_names.get(u).cloned())
        .collect();
    let online_count = c.online.iter().filter(|u| Some(**u) != me).count() as i64;
    let typing_names: Vec<String> = c.typing.values().map(|(n, _)| n.clone()).collect();
    let moderator = r.abilities.moderate;

    let message_view = |m: &ChatMessage| -> Html {
        let mine = Some(m.sender.id) == me;
        let heading = format!("msg-{}-from", m.id.0);
        let replied = m.reply_to.map(|rid| match by_id.get(&rid) {
            Some(orig) => i18n.tf(
                "chat.in_reply_to",
                &[
                    ("name", &orig.sender.display_name),
                    ("text", &preview(&i18n, orig, 60)),
                ],
            ),
            None => i18n.t("chat.in_reply_to_earlier"),
        });
        let editing_this = editing.as_ref().filter(|(mid, _)| *mid == m.id).cloned();
        let (mid, text, sender, name) = (
            m.id,
            m.text.clone(),
            m.sender.id,
            m.sender.display_name.clone(),
        );
        html! {
            <li class={classes!("cortile-chat-message", mine.then_some("cortile-chat-mine"))} key={m.seq}
                data-testid="chat-message" data-seq={m.seq.to_string()} data-message-id={m.id.0.to_string()}
                data-mine={mine.to_string()}>
                <p class="mb-1 small">
                    <strong id={heading}>{ if mine { i18n.t("chat.you") } else { m.sender.display_name.clone() } }</strong>
                    { " · " }{ time_view(&i18n, m.created_at) }
                    if m.edited_at.is_some() && !m.deleted {
                        { " · " }<span>{ i18n.t("chat.edited") }</span>
                    }
                </p>
                if let Some(q) = replied {
                    <p class="cortile-chat-quote small mb-1" data-testid="chat-reply-quote">{ q }</p>
                }
                if m.deleted {
                    <p class="fst-italic text-muted mb-1" data-testid="chat-deleted">{ i18n.t("chat.deleted") }</p>
                } else if let Some((_, value)) = editing_this {
                    <form onsubmit={save_edit.clone()} class="mb-1">
                        <label class="visually-hidden" for={format!("edit-{}", m.id.0)}>{ i18n.t("chat.edit_label") }</label>
                        <textarea id={format!("edit-{}", m.id.0)} class="form-control mb-1" data-testid="chat-edit-input" rows="2"
                            value={value}
                            oninput={{
                                let editing = editing.clone();
                                Callback::from(move |e: InputEvent| {
                                    let el: web_sys::HtmlTextAreaElement = e.target_unchecked_into();
                                    editing.set(Some((mid, el.value())));
                                })
                            }} />
                        <button type="submit" class="btn btn-sm btn-primary me-2" data-testid="chat-edit-save">{ i18n.t("chat.save") }</button>
                        <button type="button" class="btn btn-sm btn-outline-secondary" onclick={{
                            let editing = editing.clone();
                            Callback::from(move |_: MouseEvent| editing.set(None))
                        }}>{ i18n.t("chat.cancel") }</button>
                    </form>
                } else {
                    <PostBody html={AttrValue::from(m.html.clone())} testid={AttrValue::from("chat-text")} />
                }
                if mine && my_last == Some(m.seq) {
                    if let Some(seen) = read_by_text(&i18n, c, r.kind, m.seq) {
                        <p class="small text-muted mb-1" data-testid="read-by">{ seen }</p>
                    }
                }
                if !m.deleted && r.abilities.read {
                    <div class="cortile-chat-actions">
                        if r.abilities.send {
                            <button type="button" class="btn btn-link btn-sm p-0 me-3" data-testid="chat-reply"
                                aria-label={i18n.tf("chat.reply_to_name", &[("name", &name)])}
                                onclick={start_reply.reform(move |_: MouseEvent| mid)}>{ i18n.t("chat.reply") }</button>
                        }
                        if mine {
                            <button type="button" class="btn btn-link btn-sm p-0 me-3" data-testid="chat-edit"
                                onclick={start_edit.reform(move |_: MouseEvent| (mid, text.clone()))}>{ i18n.t("chat.edit") }</button>
                            <button type="button" class="btn btn-link btn-sm p-0 me-3" data-testid="chat-delete"
                                onclick={delete_mine.reform(move |_: MouseEvent| mid)}>{ i18n.t("chat.delete") }</button>
                        } else {
                            if r.kind != RoomKind::Direct {
                                <button type="button" class="btn btn-link btn-sm p-0 me-3" data-testid="chat-write-to"
                                    onclick={write_to.reform(move |_: MouseEvent| sender)}>
                                    { i18n.tf("chat.write_to", &[("name", &m.sender.display_name)]) }
                                </button>
                            }
                            if moderator {
                                <button type="button" class="btn btn-link btn-sm p-0 me-3" data-testid="chat-mod-delete"
                                    onclick={{ let n = name.clone(); moderate.reform(move |_: MouseEvent| ("delete", sender, n.clone(), mid)) }}>
                                    { i18n.t("chat.mod.delete") }</button>
                                <button type="button" class="btn btn-link btn-sm p-0 me-3" data-testid="chat-mod-mute"
                                    onclick={{ let n = name.clone(); moderate.reform(move |_: MouseEvent| ("mute", sender, n.clone(), mid)) }}>
                                    { i18n.tf("chat.mod.mute", &[("name", &name)]) }</button>
                                <button type="button" class="btn btn-link btn-sm p-0" data-testid="chat-mod-remove"
                                    onclick={{ let n = name.clone(); moderate.reform(move |_: MouseEvent| ("remove", sender, n.clone(), mid)) }}>
                                    { i18n.tf("chat.mod.remove", &[("name", &name)]) }</button>
                            }
                        }
                    </div>
                }
            </li>
        }
    };

    let reply_banner = reply_to.and_then(|rid| by_id.get(&rid).copied()).map(|orig| {
        html! {
            <div class="cortile-chat-replying small mb-2" data-testid="chat-replying">
                { i18n.tf("chat.replying_to", &[("name", &orig.sender.display_name), ("text", &preview(&i18n, orig, 60))]) }
                <button type="button" class="btn btn-link btn-sm" onclick={cancel_reply.clone()}>{ i18n.t("chat.cancel_reply") }</button>
            </div>
        }
    });

    let heading = (*renamed).clone().unwrap_or_else(|| r.name.clone());
    let onrenamed = {
        let renamed = renamed.clone();
        Callback::from(move |room: Room| renamed.set(Some(room.name)))
    };
    html! {
        <>
            <Breadcrumb parents={vec![(Route::Chat, AttrValue::from(i18n.t("chat.title")))]} current={AttrValue::from(heading.clone())} />
            <div class="d-flex flex-wrap justify-content-between align-items-baseline gap-2">
                <h1 data-testid="page-title" class="mb-1">{ heading }</h1>
                <span class="badge bg-secondary">{ kind_text(&i18n, r.kind) }</span>
            </div>
            <p class="small mb-2" data-testid="presence" data-online={online_count.to_string()}>
                { if online_count == 0 {
                    i18n.t("chat.online.none")
                } else if others_online.is_empty() {
                    i18n.count("chat.online.count", online_count)
                } else {
                    i18n.tf("chat.online.names", &[("names", &others_online.join(", "))])
                } }
            </p>
            if r.kind == RoomKind::Direct && r.peer.is_some() {
                <button type="button" class="btn btn-sm btn-outline-danger mb-2" data-testid="chat-block" onclick={toggle_block}>
                    { if *blocked { i18n.t("chat.unblock") } else { i18n.t("chat.block") } }
                </button>
            }
            if r.kind == RoomKind::Help && r.waiting {
                <p class="alert alert-info" role="status">{ i18n.t("chat.help.waiting_long") }</p>
            }
            <p role="status" class="small mb-1" data-testid="chat-status">{ (*status).clone() }</p>
            <FormAlert error={(*error).clone()} />
            if c.removed {
                <p class="alert alert-warning" role="alert" data-testid="chat-removed">{ i18n.t("chat.removed") }</p>
            }
            if realtime.conn != Conn::Connected && realtime.conn != Conn::Idle {
                <p class="small text-muted" data-testid="chat-offline-note">{ i18n.t("chat.offline_note") }</p>
            }
            <section>
                <h2 id="chat-log-title" class="visually-hidden">{ i18n.t("chat.messages") }</h2>
                if c.before.is_some() {
                    <button type="button" class="btn btn-sm btn-outline-primary mb-2" data-testid="chat-earlier"
                        onclick={load_older} disabled={*loading_older}>{ i18n.t("chat.earlier") }</button>
                }
                <div class="cortile-chat-log" ref={log} tabindex="0" role="region" aria-labelledby="chat-log-title" data-testid="chat-log">
                    if !c.loaded {
                        <Loading />
                    } else if c.messages.is_empty() && c.pending.is_empty() {
                        <p class="text-muted p-2" data-testid="chat-empty">{ i18n.t("chat.empty") }</p>
                    }
                    <ol class="list-unstyled mb-0">
                        { for c.messages.values().map(message_view) }
                        { for c.pending.iter().filter(|p| p.acked.is_none_or(|id| !by_id.contains_key(&id))).map(|p| {
                            let retry = { let p = p.clone(); retry_pending.reform(move |_: MouseEvent| p.clone()) };
                            html! {
                                <li class="cortile-chat-message cortile-chat-mine cortile-chat-pending" key={p.client_msg_id.clone()}
                                    data-testid="chat-pending" data-failed={p.error.is_some().to_string()}>
                                    <p class="mb-1 small"><strong>{ i18n.t("chat.you") }</strong>{ " · " }
                                        { if p.error.is_some() { i18n.t("chat.not_sent") } else { i18n.t("chat.sending") } }</p>
                                    <p class="mb-1">{ p.text.clone() }</p>
                                    if let Some(e) = &p.error {
                                        <p class="small text-danger mb-1" role="alert">{ e.clone() }</p>
                                        <button type="button" class="btn btn-link btn-sm p-0" onclick={retry}>{ i18n.t("chat.retry") }</button>
                                    }
                                </li>
                            }
                        }) }
                    </ol>
                </div>
                <p class="small text-muted cortile-chat-typing mb-1" data-testid="typing">
                    { typing_text(&i18n, &typing_names).unwrap_or_default() }
                </p>
                <div class="visually-hidden" aria-live="polite" data-testid="chat-announce">
                    { c.announce.as_ref().map(|(n, t)| i18n.tf("chat.new_from", &[("name", n), ("text", t)])).unwrap_or_default() }
                </div>
            </section>
            if r.abilities.send && !c.removed {
                <form class="cortile-chat-compose mt-2" onsubmit={onsubmit} data-testid="chat-form">
                    { for reply_banner }
                    <label for="chat-input" class="form-label">{ i18n.t("chat.message_label") }</label>
                    <textarea id="chat-input" ref={input} class="form-control mb-2" rows="2" data-testid="chat-input"
                        aria-describedby="chat-input-help" value={(*draft).clone()} {oninput} {onkeydown}
                        maxlength={cortile_shared::realtime::MAX_MESSAGE_LEN.to_string()} />
                    <p id="chat-input-help" class="small text-muted">{ i18n.t("chat.message_help") }</p>
                    <button type="submit" class="btn btn-primary" data-testid="chat-send">{ i18n.t("chat.send") }</button>
                </form>
            } else if !c.removed {
                <p class="text-muted" data-testid="chat-cannot-send">{ i18n.t("chat.cannot_send") }</p>
            }
            if !c.removed {
                <section class="mt-4" aria-labelledby="room-people-title" data-testid="room-people">
                    <h2 class="h4" id="room-people-title">{ i18n.t("chat.people.title") }</h2>
                    <GroupSettings room={r.clone()} {onrenamed} />
                    <MemberList room={r.clone()} />
                </section>
            }
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use cortile_shared::auth::UserRef;
    use cortile_shared::Locale;

    fn m(seq: i64, id: i64, sender: i64) -> ChatMessage {
        ChatMessage {
            id: MessageId(id),
            room: RoomId(1),
            seq,
            sender: UserRef {
                id: UserId(sender),
                display_name: format!("U{sender}"),
            },
            text: format!("m{seq}"),
            html: format!("<p>m{seq}</p>"),
            reply_to: None,
            created_at: Utc::now(),
            edited_at: None,
            deleted: false,
        }
    }

    fn ev(msg: ServerMsg) -> Act {
        Act::Event(Rc::new(msg))
    }

    #[test]
    fn a_message_from_the_history_and_the_socket_shows_once() {
        let s = Rc::new(Conversation::default())
            .reduce(Act::Reset(RoomId(1), Some(UserId(1))))
            .reduce(ev(ServerMsg::Message {
                room: RoomId(1),
                seq: 3,
                message: m(3, 30, 2),
            }))
            .reduce(Act::History(History {
                messages: vec![m(3, 30, 2), m(2, 20, 1), m(1, 10, 2)],
                before: None,
            }));
        assert_eq!(
            s.messages.keys().copied().collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert_eq!(s.top, 3);
        // Another room's events are not this page's.
        let s2 = s.clone().reduce(ev(ServerMsg::Message {
            room: RoomId(9),
            seq: 4,
            message: m(4, 40, 2),
        }));
        assert_eq!(s2.messages.len(), 3);
    }

    #[test]
    fn earlier_pages_go_back_to_the_beginning() {
        let s = Rc::new(Conversation::default())
            .reduce(Act::Reset(RoomId(1), Some(UserId(1))))
            .reduce(Act::History(History {
                messages: vec![m(5, 50, 2), m(4, 40, 2)],
                before: Some(4),
            }));
        assert_eq!(s.before, Some(4));
        let s = s.reduce(Act::History(History {
            messages: vec![m(3, 30, 2), m(2, 20, 2)],
            before: Some(2),
        }));
        assert_eq!(s.before, Some(2));
        let s = s.reduce(Act::History(History {
            messages: vec![m(1, 10, 2)],
            before: None,
        }));
        assert_eq!(s.before, None, "the beginning: no more button");
        assert_eq!(
            s.messages.keys().copied().collect::<Vec<_>>(),
            vec![1, 2, 3, 4, 5]
        );
    }

    #[test]
    fn a_pending_message_goes_when_its_ack_and_message_arrive() {
        let s = Rc::new(Conversation::default())
            .reduce(Act::Reset(RoomId(1), Some(UserId(1))))
            .reduce(Act::History(History {
                messages: vec![],
                before: None,
            }))
            .reduce(Act::Pending(Pending {
                client_msg_id: "c1".into(),
                text: "ciao".into(),
                reply_to: None,
                error: None,
                acked: None,
            }))
            .reduce(ev(ServerMsg::Ack {
                client_msg_id: "c1".into(),
                room: RoomId(1),
                seq: 1,
                message: MessageId(10),
            }));
        assert_eq!(s.pending.len(), 1, "still shown until the message comes");
        let s = s.reduce(ev(ServerMsg::Message {
            room: RoomId(1),
            seq: 1,
            message: m(1, 10, 1),
        }));
        assert!(s.pending.is_empty());
        assert_eq!(s.messages.len(), 1);
    }

    #[test]
    fn deletions_win_and_read_markers_name_readers() {
        let it = I18n::fixed(Locale::It);
        let s = Rc::new(Conversation::default())
            .reduce(Act::Reset(RoomId(1), Some(UserId(1))))
            .reduce(Act::History(History {
                messages: vec![m(1, 10, 1)],
                before: None,
            }))
            .reduce(ev(ServerMsg::Delete {
                room: RoomId(1),
                seq: 2,
                message: MessageId(10),
            }))
            .reduce(Act::History(History {
                messages: vec![m(1, 10, 1)],
                before: None,
            }));
        assert!(s.messages[&1].deleted);
        assert_eq!(read_by_text(&it, &s, RoomKind::Community, 1), None);
        let s = s.reduce(Act::Reads(vec![ReadMark {
            user: UserRef {
                id: UserId(2),
                display_name: "Bruno".into(),
            },
            seq: 2,
        }]));
        assert_eq!(
            read_by_text(&it, &s, RoomKind::Community, 1).as_deref(),
            Some("Letto da Bruno")
        );
        assert_eq!(
            read_by_text(&it, &s, RoomKind::Direct, 1).as_deref(),
            Some("Visto")
        );
        assert_eq!(
            typing_text(&it, &["Bruno".into()]).as_deref(),
            Some("Bruno sta scrivendo…")
        );
    }
}
