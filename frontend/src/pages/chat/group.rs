//! Group rooms and the people of a room: `/chat/nuovo-gruppo` (a name and people found by
//! name among those I share a community with, then the new room), the people picker, a
//! room's member list (by name, a page at a time, filtered; moderator, muted, online; the
//! moderators' buttons) and a group's settings (rename, add people, leave).

use std::rc::Rc;

use cortile_shared::auth::UserRef;
use cortile_shared::realtime::{
    NewGroupRoom, NewMute, NewRemoval, Room, RoomKind, RoomMember, ServerMsg,
};
use cortile_shared::{Page, UserId};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::ApiError;
use crate::app::Route;
use crate::components::form::event_value;
use crate::components::{Breadcrumb, FormAlert, PeoplePicker, TextField};
use crate::hooks::{spawn, use_document_title};
use crate::i18n::{use_i18n, I18n};
use crate::realtime::{new_client_msg_id, use_realtime, use_realtime_events};
use crate::session::use_session;

/// The error about `field`, in the words of the group pages (else the general ones).
fn group_error(i18n: &I18n, error: Option<&ApiError>, field: &str) -> Option<AttrValue> {
    let e = error?.field(field)?;
    let key = format!("chat.group.error.{}.{}", e.field, e.code);
    Some(AttrValue::from(if i18n.has(&key) {
        i18n.t(&key)
    } else {
        i18n.field_error(e)
    }))
}

/// `/chat/nuovo-gruppo`: name the group, choose people, create it, and open it.
#[function_component(NewGroupPage)]
pub fn new_group_page() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let realtime = use_realtime();
    let navigator = use_navigator();
    let title = i18n.t("chat.group.title");
    use_document_title(Some(title.clone()));
    let name = use_state(String::new);
    let people = use_state(Vec::<UserRef>::new);
    let error = use_state(|| None::<ApiError>);
    let busy = use_state(|| false);
    // One key per content of the form: a retry (a lost answer) makes no second group.
    let key = use_state(new_client_msg_id);

    let onsubmit = {
        let (api, name, people, error, busy, key) = (
            session.api(),
            name.clone(),
            people.clone(),
            error.clone(),
            busy.clone(),
            (*key).clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            busy.set(true);
            let group = NewGroupRoom {
                name: (*name).clone(),
                members: people.iter().map(|u| u.id).collect(),
            };
            let (api, error, busy, navigator, realtime, key) = (
                api.clone(),
                error.clone(),
                busy.clone(),
                navigator.clone(),
                realtime.clone(),
                key.clone(),
            );
            spawn(async move {
                let result = api.create_group(&group, &key).await;
                busy.set(false);
                match result {
                    Ok(room) => {
                        let id = room.id.0;
                        realtime.upsert(room);
                        if let Some(n) = navigator {
                            n.push(&Route::ChatRoom { id });
                        }
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let err = (*error).as_ref();
    html! {
        <>
            <Breadcrumb parents={vec![(Route::Chat, AttrValue::from(i18n.t("chat.title")))]} current={AttrValue::from(title.clone())} />
            <h1 data-testid="page-title">{ title }</h1>
            <p>{ i18n.t("chat.group.intro") }</p>
            <form onsubmit={onsubmit} novalidate=true data-testid="group-form">
                <FormAlert error={(*error).clone()} testid="group-alert" />
                <TextField id="group-name" label={i18n.t("chat.group.name")} value={(*name).clone()}
                    help={AttrValue::from(i18n.t("chat.group.name_help"))}
                    error={group_error(&i18n, err, "name")} testid="group-name"
                    oninput={{ let (name, key) = (name.clone(), key.clone()); Callback::from(move |v: String| { name.set(v); key.set(new_client_msg_id()); }) }} />
                <PeoplePicker id="group-people" selected={(*people).clone()}
                    onchange={{ let (people, key) = (people.clone(), key.clone()); Callback::from(move |v: Vec<UserRef>| { people.set(v); key.set(new_client_msg_id()); }) }}
                    error={group_error(&i18n, err, "members")} />
                <button type="submit" class="btn btn-primary" data-testid="group-create" disabled={*busy}>
                    { if *busy { i18n.t("chat.group.creating") } else { i18n.t("chat.group.create") } }
                </button>
            </form>
        </>
    }
}

/// The member list's state: the pages read so far.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Members {
    pub items: Vec<RoomMember>,
    pub next: Option<String>,
    pub loaded: bool,
}

pub enum MembersAct {
    /// A page: the first (replacing) or the next (appended).
    Page(Page<RoomMember>, bool),
    /// Who came online or went offline in the room.
    Presence(Vec<UserId>, Vec<UserId>),
}

impl Reducible for Members {
    type Action = MembersAct;

    fn reduce(self: Rc<Self>, action: MembersAct) -> Rc<Self> {
        let mut s = (*self).clone();
        match action {
            MembersAct::Page(page, append) => {
                if !append {
                    s.items.clear();
                }
                for m in page.items {
                    if !s.items.iter().any(|o| o.user.id == m.user.id) {
                        s.items.push(m);
                    }
                }
                s.next = page.next;
                s.loaded = true;
            }
            MembersAct::Presence(joined, left) => {
                for m in &mut s.items {
                    if joined.contains(&m.user.id) {
                        m.online = true;
                    }
                    if left.contains(&m.user.id) {
                        m.online = false;
                    }
                }
            }
        }
        Rc::new(s)
    }
}

#[derive(Properties, PartialEq)]
pub struct MemberListProps {
    pub room: Room,
}

/// A room's people by name, 50 at a time, with a filter; moderators get mute and remove.
/// Follows the room's events: presence marks who is online, a change of its people reads the
/// list again.
#[function_component(MemberList)]
pub fn member_list(props: &MemberListProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let me = session.me().map(|m| m.id);
    let room = props.room.id;
    let filter = use_state(String::new);
    let reloads = use_state(|| 0u32);
    let members = use_reducer(Members::default);
    let generation = use_mut_ref(|| 0u32);
    let error = use_state(|| None::<ApiError>);
    let status = use_state(String::new);
    let more_busy = use_state(|| false);

    {
        let (api, members, generation, error) = (
            session.api(),
            members.dispatcher(),
            generation.clone(),
            error.clone(),
        );
        use_effect_with(
            (room, (*filter).clone(), *reloads),
            move |(room, filter, _)| {
                let (room, filter) = (*room, filter.clone());
                *generation.borrow_mut() += 1;
                let mine = *generation.borrow();
                spawn(async move {
                    let page = api.chat_members(room, &filter, None).await;
                    if *generation.borrow() != mine {
                        return;
                    }
                    match page {
                        Ok(p) => {
                            error.set(None);
                            members.dispatch(MembersAct::Page(p, false));
                        }
                        Err(e) => error.set(Some(e)),
                    }
                });
            },
        );
    }
    {
        let (members, reloads) = (members.dispatcher(), reloads.clone());
        use_realtime_events(Callback::from(move |msg: Rc<ServerMsg>| match &*msg {
            ServerMsg::Presence {
                room: r,
                joined,
                left,
                ..
            } if *r == room => {
                members.dispatch(MembersAct::Presence(joined.clone(), left.clone()));
            }
            ServerMsg::RoomChanged { room: r, .. } if *r == room => {
                reloads.set(reloads.wrapping_add(1));
            }
            _ => {}
        }));
    }
    let more = {
        let (api, members_d, filter, next, busy, error) = (
            session.api(),
            members.dispatcher(),
            filter.clone(),
            members.next.clone(),
            more_busy.clone(),
            error.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let Some(after) = next.clone() else { return };
            if *busy {
                return;
            }
            busy.set(true);
            let (api, members_d, filter, busy, error) = (
                api.clone(),
                members_d.clone(),
                (*filter).clone(),
                busy.clone(),
                error.clone(),
            );
            spawn(async move {
                let page = api.chat_members(room, &filter, Some(&after)).await;
                busy.set(false);
                match page {
                    Ok(p) => members_d.dispatch(MembersAct::Page(p, true)),
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let moderate = {
        let (api, status, error, reloads, i18n) = (
            session.api(),
            status.clone(),
            error.clone(),
            reloads.clone(),
            i18n.clone(),
        );
        Callback::from(move |(what, user, name): (&'static str, UserId, String)| {
            let (api, status, error, reloads, i18n) = (
                api.clone(),
                status.clone(),
                error.clone(),
                reloads.clone(),
                i18n.clone(),
            );
            spawn(async move {
                let result = if what == "mute" {
                    api.mute(
                        room,
                        &NewMute {
                            user_id: user,
                            minutes: 60,
                            reason: String::new(),
                        },
                    )
                    .await
                } else {
                    api.remove_from_room(
                        room,
                        &NewRemoval {
                            user_id: user,
                            reason: String::new(),
                        },
                    )
                    .await
                };
                match result {
                    Ok(()) => {
                        error.set(None);
                        status.set(i18n.tf(&format!("chat.moderated.{what}"), &[("name", &name)]));
                        reloads.set(reloads.wrapping_add(1));
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let moderator = props.room.abilities.moderate;
    let m = &*members;
    html! {
        <div class="cortile-room-members" data-testid="member-list">
            <div class="cortile-field mb-2">
                <label for="members-filter" class="form-label">{ i18n.t("chat.people.filter") }</label>
                <input id="members-filter" type="search" class="form-control" autocomplete="off"
                    data-testid="members-filter" value={(*filter).clone()}
                    oninput={{ let filter = filter.clone(); Callback::from(move |e: InputEvent| filter.set(event_value(&e.into()))) }} />
            </div>
            <p role="status" class="small mb-1" data-testid="members-status">
                { if !(*status).is_empty() {
                    (*status).clone()
                } else if m.loaded {
                    if m.items.is_empty() { i18n.t("chat.people.none") } else { i18n.count("chat.people.shown", m.items.len() as i64) }
                } else {
                    String::new()
                } }
            </p>
            <FormAlert error={(*error).clone()} />
            <ul class="list-group mb-2">
                { for m.items.iter().map(|p| {
                    let (uid, name) = (p.user.id, p.user.display_name.clone());
                    let mine = Some(uid) == me;
                    html! {
                        <li key={uid.0} class="list-group-item d-flex flex-wrap justify-content-between align-items-center gap-2"
                            data-testid="member" data-user-id={uid.0.to_string()} data-online={p.online.to_string()}
                            data-moderator={p.moderator.to_string()} data-muted={p.muted.to_string()}>
                            <span>
                                if p.online {
                                    <span class="cortile-online-dot" aria-hidden="true">{ "● " }</span>
                                }
                                <span data-testid="member-name">{ if mine { i18n.tf("chat.people.me", &[("name", &name)]) } else { name.clone() } }</span>
                                if p.moderator {
                                    <span class="badge bg-primary ms-2">{ i18n.t("chat.people.moderator") }</span>
                                }
                                if p.muted {
                                    <span class="badge bg-warning text-dark ms-2">{ i18n.t("chat.people.muted") }</span>
                                }
                                if p.online {
                                    <span class="visually-hidden">{ format!(", {}", i18n.t("chat.people.online")) }</span>
                                }
                            </span>
                            if moderator && !mine {
                                <span>
                                    <button type="button" class="btn btn-link btn-sm p-0 me-3" data-testid="member-mute"
                                        onclick={{ let n = name.clone(); moderate.reform(move |_: MouseEvent| ("mute", uid, n.clone())) }}>
                                        { i18n.tf("chat.mod.mute", &[("name", &name)]) }</button>
                                    <button type="button" class="btn btn-link btn-sm p-0" data-testid="member-remove"
                                        onclick={{ let n = name.clone(); moderate.reform(move |_: MouseEvent| ("remove", uid, n.clone())) }}>
                                        { i18n.tf("chat.mod.remove", &[("name", &name)]) }</button>
                                </span>
                            }
                        </li>
                    }
                }) }
            </ul>
            if m.next.is_some() {
                <button type="button" class="btn btn-sm btn-outline-primary" data-testid="members-more"
                    onclick={more} disabled={*more_busy}>{ i18n.t("chat.people.more") }</button>
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct GroupSettingsProps {
    pub room: Room,
    /// The room as it is after a rename.
    pub onrenamed: Callback<Room>,
}

/// A group's settings: its moderators rename it and add people; every member may leave.
#[function_component(GroupSettings)]
pub fn group_settings(props: &GroupSettingsProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let realtime = use_realtime();
    let navigator = use_navigator();
    let room = props.room.id;
    let name = use_state(|| props.room.name.clone());
    let people = use_state(Vec::<UserRef>::new);
    let rename_error = use_state(|| None::<ApiError>);
    let add_error = use_state(|| None::<ApiError>);
    let leave_error = use_state(|| None::<ApiError>);
    let status = use_state(String::new);
    let confirming = use_state(|| false);
    if props.room.kind != RoomKind::Group {
        return html! {};
    }
    let onrename = {
        let (api, name, error, status, i18n, onrenamed) = (
            session.api(),
            name.clone(),
            rename_error.clone(),
            status.clone(),
            i18n.clone(),
            props.onrenamed.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (api, name, error, status, i18n, onrenamed) = (
                api.clone(),
                (*name).clone(),
                error.clone(),
                status.clone(),
                i18n.clone(),
                onrenamed.clone(),
            );
            spawn(async move {
                match api.rename_room(room, &name).await {
                    Ok(r) => {
                        error.set(None);
                        status.set(i18n.tf("chat.group.renamed", &[("name", &r.name)]));
                        onrenamed.emit(r);
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let onadd = {
        let (api, people, error, status, i18n) = (
            session.api(),
            people.clone(),
            add_error.clone(),
            status.clone(),
            i18n.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let ids: Vec<UserId> = people.iter().map(|u| u.id).collect();
            let (api, people, error, status, i18n) = (
                api.clone(),
                people.clone(),
                error.clone(),
                status.clone(),
                i18n.clone(),
            );
            spawn(async move {
                match api.add_members(room, ids).await {
                    Ok(added) => {
                        error.set(None);
                        people.set(Vec::new());
                        status.set(if added.added.is_empty() {
                            i18n.t("chat.group.added_none")
                        } else {
                            i18n.count("chat.group.added", added.added.len() as i64)
                        });
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let onleave = {
        let (api, error, confirming, realtime, navigator) = (
            session.api(),
            leave_error.clone(),
            confirming.clone(),
            realtime.clone(),
            navigator.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            if !*confirming {
                confirming.set(true);
                return;
            }
            let (api, error, realtime, navigator) = (
                api.clone(),
                error.clone(),
                realtime.clone(),
                navigator.clone(),
            );
            spawn(async move {
                match api.leave_room(room).await {
                    Ok(()) => {
                        realtime.reload();
                        if let Some(n) = navigator {
                            n.push(&Route::Chat);
                        }
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let moderator = props.room.abilities.moderate;
    html! {
        <div class="cortile-group-settings mb-3" data-testid="group-settings">
            <p role="status" class="small mb-1" data-testid="group-status">{ (*status).clone() }</p>
            if moderator {
                <form class="mb-3" onsubmit={onrename} novalidate=true data-testid="group-rename-form">
                    <FormAlert error={(*rename_error).clone()} />
                    <TextField id="group-rename" label={i18n.t("chat.group.name")} value={(*name).clone()}
                        error={group_error(&i18n, (*rename_error).as_ref(), "name")} testid="group-rename"
                        oninput={{ let name = name.clone(); Callback::from(move |v: String| name.set(v)) }} />
                    <button type="submit" class="btn btn-sm btn-outline-primary" data-testid="group-rename-save">{ i18n.t("chat.group.rename") }</button>
                </form>
                <form class="mb-3" onsubmit={onadd} novalidate=true data-testid="group-add-form">
                    <FormAlert error={(*add_error).clone()} />
                    <PeoplePicker id="group-add" selected={(*people).clone()}
                        onchange={{ let people = people.clone(); Callback::from(move |v: Vec<UserRef>| people.set(v)) }}
                        error={group_error(&i18n, (*add_error).as_ref(), "members")} />
                    <button type="submit" class="btn btn-sm btn-primary" data-testid="group-add">{ i18n.t("chat.group.add") }</button>
                </form>
            }
            <FormAlert error={(*leave_error).clone()} />
            if *confirming {
                <p class="mb-1" role="alert">{ i18n.t("chat.group.leave_confirm") }</p>
            }
            if moderator {
                <p class="small text-muted mb-1">{ i18n.t("chat.group.leave_hint_moderator") }</p>
            }
            <button type="button" class="btn btn-sm btn-outline-danger" data-testid="group-leave" onclick={onleave}>
                { if *confirming { i18n.t("chat.group.leave_yes") } else { i18n.t("chat.group.leave") } }
            </button>
            if *confirming {
                <button type="button" class="btn btn-sm btn-link ms-2" onclick={{ let c = confirming.clone(); Callback::from(move |_: MouseEvent| c.set(false)) }}>
                    { i18n.t("chat.cancel") }
                </button>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cortile_shared::Locale;

    fn member(id: i64, online: bool) -> RoomMember {
        RoomMember {
            user: UserRef {
                id: UserId(id),
                display_name: format!("U{id}"),
            },
            moderator: false,
            muted: false,
            online,
        }
    }

    #[test]
    fn pages_append_once_and_presence_marks_who_is_online() {
        let s = Rc::new(Members::default()).reduce(MembersAct::Page(
            Page {
                items: vec![member(1, false), member(2, false)],
                next: Some("c".into()),
            },
            false,
        ));
        let s = s.reduce(MembersAct::Page(
            Page {
                items: vec![member(2, false), member(3, true)],
                next: None,
            },
            true,
        ));
        assert_eq!(
            s.items.iter().map(|m| m.user.id.0).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert_eq!(s.next, None);
        let s = s.reduce(MembersAct::Presence(vec![UserId(1)], vec![UserId(3)]));
        assert_eq!(
            s.items.iter().map(|m| m.online).collect::<Vec<_>>(),
            vec![true, false, false]
        );
        // A first page again (a new filter) replaces the list.
        let s = s.reduce(MembersAct::Page(
            Page {
                items: vec![member(9, false)],
                next: None,
            },
            false,
        ));
        assert_eq!(s.items.len(), 1);
    }

    #[test]
    fn group_errors_have_words_in_every_language() {
        for locale in Locale::ALL {
            let i18n = I18n::fixed(locale);
            for key in [
                "chat.group.error.name.required",
                "chat.group.error.name.too_long",
                "chat.group.error.members.out_of_reach",
                "chat.group.error.members.not_found",
                "chat.group.error.members.required",
                "chat.group.error.members.too_many",
            ] {
                assert!(i18n.has(key), "{key} in {locale:?}");
            }
        }
    }
}
