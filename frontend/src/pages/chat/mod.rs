//! The chat: `/chat` (my rooms, "talk to a person", the operators' help queue, the people I
//! block) and `/chat/:id` (one room, live through the app's socket, `crate::realtime`).

pub mod group;
pub mod list;
pub mod room;

use cortile_shared::auth::UserRef;
use cortile_shared::realtime::{ChatMessage, RoomKind};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::ApiError;
use crate::app::Route;
use crate::components::FormAlert;
use crate::hooks::spawn;
use crate::i18n::{use_i18n, I18n};
use crate::realtime::use_realtime;
use crate::session::use_session;

#[derive(Properties, PartialEq)]
pub struct WriteToProps {
    pub user: UserRef,
}

/// "Scrivi a …": opens (or finds) my direct room with someone and goes there. Hidden for
/// myself.
#[function_component(WriteTo)]
pub fn write_to(props: &WriteToProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let realtime = use_realtime();
    let navigator = use_navigator();
    let error = use_state(|| None::<ApiError>);
    if session.me().is_none_or(|me| me.id == props.user.id) {
        return html! {};
    }
    let onclick = {
        let (api, error, user) = (session.api(), error.clone(), props.user.id);
        Callback::from(move |_: MouseEvent| {
            let (api, error, realtime, navigator) = (
                api.clone(),
                error.clone(),
                realtime.clone(),
                navigator.clone(),
            );
            spawn(async move {
                match api.open_direct(user).await {
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
    html! {
        <>
            <button type="button" class="btn btn-sm btn-outline-primary ms-2" data-testid="write-to" {onclick}>
                { i18n.tf("chat.write_to", &[("name", &props.user.display_name)]) }
            </button>
            <FormAlert error={(*error).clone()} />
        </>
    }
}

/// Who may answer help rooms (the server decides; this only shows the queue).
pub const HELP_ANSWERERS: &[cortile_shared::auth::Role] = &[
    cortile_shared::auth::Role::Operator,
    cortile_shared::auth::Role::Staff,
    cortile_shared::auth::Role::Admin,
];

/// The kind of a room in words.
pub fn kind_text(i18n: &I18n, kind: RoomKind) -> String {
    i18n.t(&format!("chat.kind.{}", kind.as_str()))
}

/// A message in one short line of plain text (for the room list): the markdown's text,
/// its marks dropped, at most `max` characters.
pub fn preview(i18n: &I18n, m: &ChatMessage, max: usize) -> String {
    if m.deleted {
        return i18n.t("chat.deleted");
    }
    let plain: String = m
        .text
        .chars()
        .filter(|c| !matches!(c, '*' | '_' | '`' | '#' | '>' | '~'))
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    let plain = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    if plain.chars().count() > max {
        let cut: String = plain.chars().take(max).collect();
        format!("{}…", cut.trim_end())
    } else {
        plain
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use cortile_shared::auth::UserRef;
    use cortile_shared::realtime::{MessageId, RoomId};
    use cortile_shared::{Locale, UserId};

    #[test]
    fn previews_are_plain_and_short() {
        let it = I18n::fixed(Locale::It);
        let mut m = ChatMessage {
            id: MessageId(1),
            room: RoomId(1),
            seq: 1,
            sender: UserRef {
                id: UserId(1),
                display_name: "Maria".into(),
            },
            text: "Ciao **a tutti**,\n\ndomani _assemblea_".into(),
            html: String::new(),
            reply_to: None,
            created_at: Utc::now(),
            edited_at: None,
            deleted: false,
        };
        assert_eq!(preview(&it, &m, 80), "Ciao a tutti, domani assemblea");
        assert_eq!(preview(&it, &m, 4), "Ciao…");
        m.deleted = true;
        assert_eq!(preview(&it, &m, 80), "Messaggio eliminato");
    }

    #[test]
    fn every_kind_has_words() {
        for locale in Locale::ALL {
            let i18n = I18n::fixed(locale);
            for kind in [
                RoomKind::Community,
                RoomKind::Group,
                RoomKind::Direct,
                RoomKind::Help,
            ] {
                assert!(i18n.has(&format!("chat.kind.{}", kind.as_str())));
            }
        }
    }
}
