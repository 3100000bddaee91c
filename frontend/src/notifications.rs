//! What the header needs to know about notifications and moderation, shared by the whole app.
//!
//! [`ActivityProvider`] asks for the number of unread notifications when the user signs in,
//! after each navigation, every minute while the page is open and at once when the app's socket
//! brings a new notification (`crate::realtime`); the notification centre
//! asks it to count again after marking some read. It also asks once per session whether the
//! user has anything to moderate (the nav shows "Moderazione" to moderators by role and to
//! anyone whose queue is not empty). [`notification_text`] words a notification from its kind
//! and data in the reader's language.

use std::time::Duration;

use cortile_shared::community::{Notification, NotificationKind};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::hooks::spawn;
use crate::i18n::I18n;
use crate::session::use_session;

/// How often the unread count is asked for while the page is open.
pub const POLL_EVERY: Duration = Duration::from_secs(60);

/// The shared state: the unread count (unknown before the first answer), whether the user's
/// moderation queue had something in it, and a way to count again.
#[derive(Clone, PartialEq)]
pub struct Activity {
    pub unread: Option<i64>,
    pub has_queue: bool,
    pub refresh: Callback<()>,
}

/// The activity of the signed-in user (a quiet default outside the provider).
#[hook]
pub fn use_activity() -> Activity {
    use_context::<Activity>().unwrap_or(Activity {
        unread: None,
        has_queue: false,
        refresh: Callback::noop(),
    })
}

#[derive(Properties, PartialEq)]
pub struct ActivityProviderProps {
    #[prop_or_default]
    pub children: Html,
}

#[function_component(ActivityProvider)]
pub fn activity_provider(props: &ActivityProviderProps) -> Html {
    let session = use_session();
    let path = use_location().map(|l| l.path().to_owned());
    let unread = use_state(|| None::<i64>);
    let has_queue = use_state(|| false);
    let tick = use_state(|| 0u32);
    let user = session.me().map(|me| me.id);

    // The count of requests, kept outside the state: a callback held by the polling loop
    // would otherwise keep setting the value it saw first.
    let asked = use_mut_ref(|| 0u32);
    let refresh = {
        let tick = tick.clone();
        Callback::from(move |()| {
            let next = asked.borrow().wrapping_add(1);
            *asked.borrow_mut() = next;
            tick.set(next);
        })
    };

    // Count again when the user changes, after navigation, and when asked.
    {
        let (unread, api) = (unread.clone(), session.api());
        use_effect_with((user, path, *tick), move |(user, _, _)| {
            if user.is_some() {
                spawn(async move {
                    if let Ok(count) = api.unread_notifications().await {
                        unread.set(Some(count.unread));
                    }
                });
            } else {
                unread.set(None);
            }
        });
    }
    // Every minute while signed in; the loop ends when the user changes or the app goes away.
    {
        let refresh = refresh.clone();
        use_effect_with(user, move |user| {
            let alive = std::rc::Rc::new(std::cell::Cell::new(user.is_some()));
            if user.is_some() {
                let alive = alive.clone();
                spawn(async move {
                    loop {
                        yew::platform::time::sleep(POLL_EVERY).await;
                        if !alive.get() {
                            break;
                        }
                        refresh.emit(());
                    }
                });
            }
            move || alive.set(false)
        });
    }
    // Whether there is anything to moderate, once per signed-in user.
    {
        let (has_queue, api) = (has_queue.clone(), session.api());
        use_effect_with(user, move |user| {
            has_queue.set(false);
            if user.is_some() {
                spawn(async move {
                    if let Ok(queue) = api.moderation_queue().await {
                        has_queue.set(!queue.is_empty());
                    }
                });
            }
        });
    }

    // A new notification on the socket: count again at once.
    {
        let refresh = refresh.clone();
        crate::realtime::use_realtime_events(Callback::from(
            move |msg: std::rc::Rc<cortile_shared::realtime::ServerMsg>| {
                if matches!(
                    &*msg,
                    cortile_shared::realtime::ServerMsg::Notification { .. }
                ) {
                    refresh.emit(());
                }
            },
        ));
    }

    let activity = Activity {
        unread: *unread,
        has_queue: *has_queue,
        refresh,
    };
    html! {
        <ContextProvider<Activity> context={activity}>
            { props.children.clone() }
        </ContextProvider<Activity>>
    }
}

/// A text value of a notification's data ("" when missing).
fn data_str<'a>(n: &'a Notification, key: &str) -> &'a str {
    n.data.get(key).and_then(|v| v.as_str()).unwrap_or_default()
}

/// The moderation action named in words, as a past participle ("nascosto", "hidden").
pub fn moderation_verb(i18n: &I18n, action: &str) -> String {
    let key = format!("moderation.did.{action}");
    if i18n.has(&key) {
        i18n.t(&key)
    } else {
        i18n.t("moderation.did.other")
    }
}

/// A notification in plain words, in the reader's language.
pub fn notification_text(i18n: &I18n, n: &Notification) -> String {
    let actor = data_str(n, "actor");
    let title = data_str(n, "title");
    let community = data_str(n, "community");
    let reason = data_str(n, "reason");
    let with_reason = |text: String| {
        if reason.is_empty() {
            text
        } else {
            format!(
                "{text} {}",
                i18n.tf("notification.reason", &[("reason", reason)])
            )
        }
    };
    match n.kind {
        NotificationKind::CommentOnPost => i18n.tf(
            "notification.comment_on_post",
            &[("actor", actor), ("title", title)],
        ),
        NotificationKind::ReplyToComment => i18n.tf(
            "notification.reply_to_comment",
            &[("actor", actor), ("title", title)],
        ),
        NotificationKind::Moderated => {
            let action = data_str(n, "action");
            let verb = moderation_verb(i18n, action);
            let comment = n
                .data
                .get("comment")
                .and_then(|v| v.as_bool())
                .unwrap_or(false);
            let key = if comment {
                "notification.moderated_comment"
            } else {
                "notification.moderated_post"
            };
            // Some acts read better in a sentence of their own ("closed comments on").
            let own = format!("{key}.{action}");
            let key = if i18n.has(&own) { own.as_str() } else { key };
            with_reason(i18n.tf(key, &[("action", &verb), ("title", title)]))
        }
        NotificationKind::JoinApproved => {
            i18n.tf("notification.join_approved", &[("community", community)])
        }
        NotificationKind::Banned => {
            with_reason(i18n.tf("notification.banned", &[("community", community)]))
        }
        NotificationKind::ExchangeProposed
        | NotificationKind::ExchangeAccepted
        | NotificationKind::ExchangeCompleted
        | NotificationKind::ExchangeMessage => i18n.tf(
            &format!("notification.{}", n.kind.as_str()),
            &[("actor", actor), ("title", title)],
        ),
        NotificationKind::ExchangeConfirmed => {
            let minutes = n.data.get("minutes").and_then(|v| v.as_i64()).unwrap_or(0);
            i18n.tf(
                "notification.exchange_confirmed",
                &[
                    ("actor", actor),
                    ("title", title),
                    (
                        "time",
                        &crate::pages::timebank::duration_text(i18n, minutes),
                    ),
                ],
            )
        }
        NotificationKind::ExchangeCancelled | NotificationKind::ExchangeDisputed => {
            with_reason(i18n.tf(
                &format!("notification.{}", n.kind.as_str()),
                &[("actor", actor), ("title", title)],
            ))
        }
        NotificationKind::ExchangeResolved => {
            let key = if data_str(n, "outcome") == "confirm" {
                "notification.exchange_resolved.confirm"
            } else {
                "notification.exchange_resolved.cancel"
            };
            with_reason(i18n.tf(key, &[("title", title)]))
        }
        NotificationKind::ReviewReceived => {
            let rating = n.data.get("rating").and_then(|v| v.as_i64()).unwrap_or(0);
            i18n.tf(
                "notification.review_received",
                &[
                    ("actor", actor),
                    ("title", title),
                    ("rating", &rating.to_string()),
                ],
            )
        }
        NotificationKind::OrganisationVerified => {
            i18n.tf("notification.organisation_verified", &[("title", title)])
        }
        NotificationKind::ReportStatus => {
            let category = i18n.t(&format!("maintenance.category.{}", data_str(n, "category")));
            let status = i18n.t(&format!("maintenance.status.{}", data_str(n, "status")));
            i18n.tf(
                "notification.report_status",
                &[
                    ("category", &category),
                    ("status", &status),
                    ("title", title),
                ],
            )
        }
        NotificationKind::ReportComment => i18n.tf(
            "notification.report_comment",
            &[("actor", actor), ("title", title)],
        ),
        NotificationKind::Other => i18n.t("notification.other"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use cortile_shared::Locale;
    use serde_json::json;

    fn note(kind: NotificationKind, data: serde_json::Value) -> Notification {
        Notification {
            id: 1,
            kind,
            data,
            link: "/post/1".into(),
            created_at: Utc::now(),
            read_at: None,
        }
    }

    #[test]
    fn each_kind_is_worded_from_its_data() {
        let it = I18n::fixed(Locale::It);
        let text = notification_text(
            &it,
            &note(
                NotificationKind::CommentOnPost,
                json!({"actor": "Marco", "title": "Titolo"}),
            ),
        );
        assert_eq!(text, "Marco ha commentato il tuo messaggio «Titolo»");
        let text = notification_text(
            &it,
            &note(
                NotificationKind::Moderated,
                json!({"action": "hide", "title": "Titolo", "reason": "spam"}),
            ),
        );
        assert_eq!(
            text,
            "Un moderatore ha nascosto il tuo messaggio «Titolo». Motivo: spam"
        );
        let text = notification_text(
            &it,
            &note(
                NotificationKind::JoinApproved,
                json!({"community": "Orto condiviso"}),
            ),
        );
        assert_eq!(
            text,
            "La tua richiesta di entrare in «Orto condiviso» è stata accolta"
        );
        let en = I18n::fixed(Locale::En);
        let text = notification_text(
            &en,
            &note(
                NotificationKind::Moderated,
                json!({"action": "remove", "title": "T", "reason": "rude", "comment": true}),
            ),
        );
        assert!(text.contains("removed") && text.contains("comment") && text.contains("rude"));
        let text = notification_text(
            &it,
            &note(
                NotificationKind::Moderated,
                json!({"action": "lock", "title": "Titolo", "reason": "basta"}),
            ),
        );
        assert_eq!(
            text,
            "Un moderatore ha chiuso i commenti al tuo messaggio «Titolo». Motivo: basta"
        );
    }

    #[test]
    fn every_kind_and_action_has_words_in_both_languages() {
        for locale in Locale::ALL {
            let i18n = I18n::fixed(locale);
            for action in ["hide", "unhide", "remove", "lock", "unlock", "dismiss"] {
                assert!(i18n.has(&format!("moderation.did.{action}")), "{action}");
                assert!(i18n.has(&format!("moderation.action.{action}")), "{action}");
            }
            for kind in [
                NotificationKind::CommentOnPost,
                NotificationKind::ReplyToComment,
                NotificationKind::Moderated,
                NotificationKind::JoinApproved,
                NotificationKind::Banned,
                NotificationKind::Other,
            ] {
                let text = notification_text(&i18n, &note(kind, json!({})));
                assert!(!text.starts_with("notification."), "{text}");
            }
        }
    }

    #[test]
    fn missing_data_does_not_break_the_text() {
        let it = I18n::fixed(Locale::It);
        let text = notification_text(
            &it,
            &note(
                NotificationKind::Banned,
                json!({"community": "Cortile", "reason": 7}),
            ),
        );
        assert_eq!(text, "Non puoi più scrivere in «Cortile».");
    }
}
