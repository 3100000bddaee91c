//! `/chat`: my rooms by kind, each with its unread count and newest message (kept live by the
//! app's socket); "talk to a person"; for operators, the help rooms waiting; the people I
//! block, with "unblock".

use std::rc::Rc;

use cortile_shared::realtime::{Room, RoomId, RoomKind, ServerMsg};
use yew::prelude::*;
use yew_router::prelude::*;

use super::{preview, HELP_ANSWERERS};
use crate::api::ApiError;
use crate::app::Route;
use crate::components::{Breadcrumb, ErrorState, FormAlert, Loading};
use crate::hooks::{spawn, use_document_title, use_remote, Remote};
use crate::i18n::{use_i18n, I18n};
use crate::realtime::{use_realtime, use_realtime_events};
use crate::session::use_session;

fn room_item(i18n: &I18n, room: &Room) -> Html {
    let name_id = format!("room-{}-name", room.id);
    let unread = room.unread;
    html! {
        <li class="list-group-item cortile-chat-room" key={room.id.0} data-testid="chat-room"
            data-room-id={room.id.to_string()} data-kind={room.kind.as_str()}>
            <div class="d-flex justify-content-between align-items-start gap-2">
                <div>
                    <Link<Route> to={Route::ChatRoom { id: room.id.0 }}>
                        <span id={name_id}>{ room.name.clone() }</span>
                        if unread > 0 {
                            <span class="visually-hidden">{ format!(", {}", i18n.count("chat.unread", unread)) }</span>
                        }
                    </Link<Route>>
                    if room.kind == RoomKind::Help && room.waiting {
                        <span class="badge bg-warning text-dark ms-2">{ i18n.t("chat.help.waiting") }</span>
                    }
                    if let Some(m) = &room.last_message {
                        <p class="mb-0 small text-muted" data-testid="chat-room-last">
                            <span class="fw-semibold">{ format!("{}: ", m.sender.display_name) }</span>
                            { preview(i18n, m, 80) }
                        </p>
                    } else {
                        <p class="mb-0 small text-muted">{ i18n.t("chat.no_messages") }</p>
                    }
                </div>
                if unread > 0 {
                    <span class="badge bg-primary rounded-pill" aria-hidden="true" data-testid="chat-room-unread">
                        { i18n.int(unread) }
                    </span>
                }
            </div>
        </li>
    }
}

#[function_component(ChatRoomsPage)]
pub fn chat_rooms_page() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let realtime = use_realtime();
    let navigator = use_navigator();
    let title = i18n.t("chat.title");
    use_document_title(Some(title.clone()));
    let error = use_state(|| None::<ApiError>);
    let busy = use_state(|| false);

    // The list is the provider's; ask for it again when the page opens (new direct rooms).
    {
        let realtime = realtime.clone();
        use_effect_with((), move |()| realtime.reload());
    }

    let talk = {
        let (api, error, busy, navigator, realtime) = (
            session.api(),
            error.clone(),
            busy.clone(),
            navigator.clone(),
            realtime.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            busy.set(true);
            let (api, error, busy, navigator, realtime) = (
                api.clone(),
                error.clone(),
                busy.clone(),
                navigator.clone(),
                realtime.clone(),
            );
            spawn(async move {
                let result = api.ask_help().await;
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

    let body = match &realtime.rooms.rooms {
        None => html! { <Loading /> },
        Some(rooms) => {
            let sections = [
                (RoomKind::Community, "chat.section.community"),
                (RoomKind::Group, "chat.section.group"),
                (RoomKind::Direct, "chat.section.direct"),
                (RoomKind::Help, "chat.section.help"),
            ];
            html! {
                <>
                    { for sections.into_iter().map(|(kind, key)| {
                        let list: Vec<&Room> = rooms.iter().filter(|r| r.kind == kind).collect();
                        let heading = format!("chat-section-{}", kind.as_str());
                        html! {
                            <section class="mb-4" aria-labelledby={heading.clone()}>
                                <h2 class="h4" id={heading}>{ i18n.t(key) }</h2>
                                if list.is_empty() {
                                    <p class="text-muted">{ i18n.t(&format!("{key}.empty")) }</p>
                                } else {
                                    <ul class="list-group mb-2">
                                        { for list.into_iter().map(|r| room_item(&i18n, r)) }
                                    </ul>
                                }
                            </section>
                        }
                    }) }
                </>
            }
        }
    };

    html! {
        <>
            <Breadcrumb current={AttrValue::from(title.clone())} />
            <h1 data-testid="page-title">{ title }</h1>
            <p>{ i18n.t("chat.intro") }</p>
            <div class="mb-4">
                <span data-testid="chat-new-group">
                    <Link<Route> to={Route::NewGroup} classes="btn btn-primary me-2 mb-1">
                        { i18n.t("chat.new_group") }
                    </Link<Route>>
                </span>
                <button type="button" class="btn btn-outline-primary mb-1" data-testid="chat-help" onclick={talk} disabled={*busy}>
                    { i18n.t("chat.help.talk") }
                </button>
                <p class="small text-muted mt-1 mb-0">{ i18n.t("chat.help.talk_hint") }</p>
                if let Some(e) = &*error {
                    <FormAlert error={Some(e.clone())} />
                }
            </div>
            { body }
            if session.has_any(HELP_ANSWERERS) {
                <HelpQueue />
            }
            <BlockedPeople />
        </>
    }
}

/// The operators' view: help rooms waiting (oldest first) and the ones I took; live through
/// the socket's `help.waiting` and `help.taken` events.
#[function_component(HelpQueue)]
fn help_queue() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let navigator = use_navigator();
    let realtime = use_realtime();
    let queue = {
        let api = session.api();
        use_remote(api, |api| async move { api.help_queue().await })
    };
    let error = use_state(|| None::<ApiError>);
    {
        let retry = queue.retry.clone();
        use_realtime_events(Callback::from(move |msg: Rc<ServerMsg>| {
            if let ServerMsg::Domain { topic, .. } = &*msg {
                if topic.starts_with("help.") {
                    retry.emit(());
                }
            }
        }));
    }
    let take = {
        let (api, error, navigator, realtime) = (
            session.api(),
            error.clone(),
            navigator.clone(),
            realtime.clone(),
        );
        Callback::from(move |id: RoomId| {
            let (api, error, navigator, realtime) = (
                api.clone(),
                error.clone(),
                navigator.clone(),
                realtime.clone(),
            );
            spawn(async move {
                match api.take_help(id).await {
                    Ok(room) => {
                        realtime.upsert(room);
                        if let Some(n) = navigator {
                            n.push(&Route::ChatRoom { id: id.0 });
                        }
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let body = match &queue.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(e) => html! { <ErrorState error={e.clone()} retry={queue.retry.clone()} /> },
        Remote::Ready(list) if list.is_empty() => {
            html! { <p data-testid="help-queue-empty">{ i18n.t("chat.help.queue_empty") }</p> }
        }
        Remote::Ready(list) => html! {
            <ul class="list-group">
                { for list.iter().map(|r| {
                    let id = r.id;
                    let onclick = take.reform(move |_: MouseEvent| id);
                    html! {
                        <li class="list-group-item d-flex justify-content-between align-items-center" key={r.id.0} data-testid="help-request">
                            <span>
                                { r.name.clone() }
                                if let Some(a) = &r.assignee {
                                    <span class="small text-muted ms-2">{ i18n.tf("chat.help.taken_by", &[("name", &a.display_name)]) }</span>
                                }
                            </span>
                            if r.waiting {
                                <button type="button" class="btn btn-sm btn-primary" {onclick}>{ i18n.t("chat.help.take") }</button>
                            } else {
                                <Link<Route> to={Route::ChatRoom { id: r.id.0 }} classes="btn btn-sm btn-outline-primary">{ i18n.t("chat.open") }</Link<Route>>
                            }
                        </li>
                    }
                }) }
            </ul>
        },
    };
    html! {
        <section class="mb-4" aria-labelledby="help-queue-title">
            <h2 class="h4" id="help-queue-title">{ i18n.t("chat.help.queue") }</h2>
            { body }
            if let Some(e) = &*error {
                <FormAlert error={Some(e.clone())} />
            }
        </section>
    }
}

/// The people I block, each with "unblock".
#[function_component(BlockedPeople)]
fn blocked_people() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let blocks = {
        let api = session.api();
        use_remote(api, |api| async move { api.chat_blocks().await })
    };
    let status = use_state(String::new);
    let unblock = {
        let (api, retry, status, i18n) = (
            session.api(),
            blocks.retry.clone(),
            status.clone(),
            i18n.clone(),
        );
        Callback::from(move |(id, name): (cortile_shared::UserId, String)| {
            let (api, retry, status, i18n) =
                (api.clone(), retry.clone(), status.clone(), i18n.clone());
            spawn(async move {
                if api.unblock_user(id).await.is_ok() {
                    status.set(i18n.tf("chat.unblocked", &[("name", &name)]));
                    retry.emit(());
                }
            });
        })
    };
    let list = match &blocks.state {
        Remote::Ready(list) => list.clone(),
        _ => return html! {},
    };
    html! {
        <section class="mb-4" aria-labelledby="blocked-title">
            <h2 class="h4" id="blocked-title">{ i18n.t("chat.blocked.title") }</h2>
            <p role="status" class="small">{ (*status).clone() }</p>
            if list.is_empty() {
                <p class="text-muted">{ i18n.t("chat.blocked.empty") }</p>
            } else {
                <ul class="list-group">
                    { for list.iter().map(|b| {
                        let (id, name) = (b.user.id, b.user.display_name.clone());
                        let onclick = unblock.reform(move |_: MouseEvent| (id, name.clone()));
                        html! {
                            <li class="list-group-item d-flex justify-content-between align-items-center" key={b.user.id.0} data-testid="blocked-person">
                                { b.user.display_name.clone() }
                                <button type="button" class="btn btn-sm btn-outline-secondary" {onclick}
                                    aria-label={i18n.tf("chat.unblock_name", &[("name", &b.user.display_name)])}>
                                    { i18n.t("chat.unblock") }
                                </button>
                            </li>
                        }
                    }) }
                </ul>
            }
        </section>
    }
}
