//! `/notifiche`: the notification centre: newest first, the unread ones marked; opening one
//! marks it read; "mark all as read"; more on demand; below the list, how I want to be
//! notified besides the app.

use std::collections::HashSet;

use cortile_shared::community::Notification;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::ApiError;
use crate::app::Route;
use crate::components::{ErrorState, FormAlert, Loading};
use crate::hooks::{spawn, use_document_title, use_paged};
use crate::i18n::use_i18n;
use crate::notifications::{notification_text, use_activity};
use crate::pages::community::time_view;
use crate::pages::notification_settings::NotificationSettingsSection;
use crate::session::use_session;

/// Where a notification's link leads inside the app (`None` for anything else).
pub fn link_route(link: &str) -> Option<Route> {
    let path = link.split(['?', '#']).next().unwrap_or_default();
    if !path.starts_with('/') || path.starts_with("//") {
        return None;
    }
    Route::recognize(path).filter(|r| *r != Route::NotFound)
}

#[function_component(NotificationsPage)]
pub fn notifications_page() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let activity = use_activity();
    let navigator = use_navigator();
    let title = i18n.t("notifications.title");
    use_document_title(Some(title.clone()));
    let paged = {
        let api = session.api();
        use_paged(api, |api, after| async move {
            api.notifications(after.as_deref()).await
        })
    };
    // Read here since the list loaded.
    let read_here = use_state(HashSet::<i64>::new);
    let all_read = use_state(|| false);
    let error = use_state(|| None::<ApiError>);
    let busy = use_state(|| false);

    let open = {
        let api = session.api();
        let (read_here, refresh) = (read_here.clone(), activity.refresh.clone());
        Callback::from(move |(e, n): (MouseEvent, Notification)| {
            let route = link_route(&n.link);
            if let (Some(route), Some(navigator)) = (&route, &navigator) {
                e.prevent_default();
                navigator.push(route);
            }
            if n.read_at.is_none() {
                let mut all = (*read_here).clone();
                all.insert(n.id);
                read_here.set(all);
                let (api, refresh) = (api.clone(), refresh.clone());
                spawn(async move {
                    let _ = api.read_notification(n.id).await;
                    refresh.emit(());
                });
            }
        })
    };
    let read_all = {
        let api = session.api();
        let (all_read, error, busy, refresh) = (
            all_read.clone(),
            error.clone(),
            busy.clone(),
            activity.refresh.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            if *busy {
                return;
            }
            busy.set(true);
            let (api, all_read, error, busy, refresh) = (
                api.clone(),
                all_read.clone(),
                error.clone(),
                busy.clone(),
                refresh.clone(),
            );
            spawn(async move {
                let result = api.read_all_notifications().await;
                busy.set(false);
                match result {
                    Ok(()) => {
                        error.set(None);
                        all_read.set(true);
                        refresh.emit(());
                    }
                    Err(err) => error.set(Some(err)),
                }
            });
        })
    };

    let body = match (&paged.first, paged.items()) {
        (crate::hooks::Remote::Failed(error), _) => {
            html! { <ErrorState error={error.clone()} retry={paged.retry.clone()} /> }
        }
        (_, None) => html! { <Loading /> },
        (_, Some(items)) if items.is_empty() => html! {
            <p data-testid="notifications-empty">{ i18n.t("notifications.empty") }</p>
        },
        (_, Some(items)) => {
            let unread_left = items
                .iter()
                .any(|n| n.read_at.is_none() && !*all_read && !read_here.contains(&n.id));
            html! {
                <>
                    if unread_left {
                        <button type="button" class="btn btn-outline-primary btn-sm mb-3" data-testid="notifications-read-all"
                            disabled={*busy} onclick={read_all}>
                            { i18n.t("notifications.read_all") }
                        </button>
                    }
                    <ul class="list-unstyled cortile-notifications">
                        { for items.iter().map(|n| {
                            let unread = n.read_at.is_none() && !*all_read && !read_here.contains(&n.id);
                            let text = notification_text(&i18n, n);
                            let href = if link_route(&n.link).is_some() { n.link.clone() } else { Route::Notifications.to_path() };
                            let onclick = { let n = (*n).clone(); open.reform(move |e: MouseEvent| (e, n.clone())) };
                            html! {
                                <li class={classes!("card", "card-bg", "shadow-sm", "mb-2", "cortile-card", "cortile-notification", unread.then_some("cortile-unread"))}
                                    data-testid="notification" data-kind={n.kind.as_str()}
                                    data-unread={if unread { "true" } else { "false" }} key={n.id}>
                                    <div class="card-body py-2">
                                        <p class="mb-1">
                                            if unread {
                                                <span class="badge bg-primary me-2" data-testid="notification-unread">{ i18n.t("notifications.unread_badge") }</span>
                                            }
                                            <a {href} {onclick} data-testid="notification-link">{ text }</a>
                                        </p>
                                        <p class="cortile-post-meta mb-0">{ time_view(&i18n, n.created_at) }</p>
                                    </div>
                                </li>
                            }
                        }) }
                    </ul>
                    <FormAlert error={paged.more_error.clone()} />
                    if paged.has_more {
                        <button type="button" class="btn btn-outline-primary" data-testid="notifications-more"
                            disabled={paged.loading_more} onclick={paged.load_more.reform(|_: MouseEvent| ())}>
                            { i18n.t(if paged.loading_more { "common.loading_more" } else { "notifications.more" }) }
                        </button>
                    }
                </>
            }
        }
    };
    html! {
        <>
            <h1 data-testid="page-title">{ title }</h1>
            <p class="lead">{ i18n.t("notifications.intro") }</p>
            <div aria-live="polite">
                if *all_read {
                    <p class="alert alert-success" data-testid="notifications-all-read">{ i18n.t("notifications.all_read") }</p>
                }
            </div>
            <FormAlert error={(*error).clone()} testid="notifications-error" />
            { body }
            <NotificationSettingsSection />
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cortile_shared::{CommunityId, PostId};

    #[test]
    fn links_lead_to_pages_of_the_app() {
        assert_eq!(link_route("/post/4"), Some(Route::Post { id: PostId(4) }));
        assert_eq!(
            link_route("/comunita/2#membri"),
            Some(Route::Community { id: CommunityId(2) })
        );
        assert_eq!(link_route("https://evil.example/post/4"), None);
        assert_eq!(link_route("//evil.example"), None);
        assert_eq!(link_route("/nowhere"), None);
    }
}
