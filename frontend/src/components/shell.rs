//! The frame around every page: skip link, the assisted-mode banner, header with the language
//! switcher and the account links, navigation by role, the main landmark and the footer. Built with bootstrap-italia's header and footer classes.

use cortile_shared::auth::Role;
use cortile_shared::Locale;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::app::{ConfigContext, Route};
use crate::components::Icon;
use crate::hooks::{spawn, Remote};
use crate::i18n::use_i18n;
use crate::notifications::use_activity;
use crate::session::{current_path, login_href, safe_return_path, use_session, LoginQuery};

/// Who may open the registry search and tenant files (within their scope).
pub const REGISTRY_READERS: &[Role] = &[
    Role::Admin,
    Role::Staff,
    Role::Operator,
    Role::Custodian,
    Role::BuildingAdmin,
    Role::CommitteeMember,
];
/// Who proposes or decides registry corrections.
pub const CHANGE_HANDLERS: &[Role] = &[Role::CommitteeMember, Role::Staff, Role::Admin];
/// Who imports the registry.
pub const IMPORTERS: &[Role] = &[Role::Staff, Role::Admin];
/// Who reads the audit log.
pub const AUDITORS: &[Role] = &[Role::Admin];
/// Roles that mediate the time bank (disputes, adjustments, organisations).
pub const TIMEBANK_STAFF: &[Role] = &[Role::Staff, Role::Admin];
/// Who acts on residents' behalf.
pub const ASSISTANTS: &[Role] = &[Role::Operator, Role::Staff];
/// Who moderates by role (community moderators see the queue when it has something).
pub const MODERATORS: &[Role] = &[Role::Moderator, Role::Staff, Role::Admin];

#[derive(Properties, PartialEq)]
pub struct ShellProps {
    #[prop_or_default]
    pub children: Html,
}

#[function_component(Shell)]
pub fn shell(props: &ShellProps) -> Html {
    let i18n = use_i18n();
    let main = use_node_ref();
    let path = use_location().map(|l| l.path().to_owned());
    let first = use_mut_ref(|| true);

    // After moving to another page, start reading and tabbing from the new content, as a
    // full page load would.
    {
        let main = main.clone();
        use_effect_with(path, move |_| {
            if !std::mem::replace(&mut *first.borrow_mut(), false) {
                if let Some(main) = main.cast::<web_sys::HtmlElement>() {
                    let _ = main.focus();
                }
                if let Some(window) = web_sys::window() {
                    window.scroll_to_with_x_and_y(0.0, 0.0);
                }
            }
        });
    }

    html! {
        <>
            <div class="skiplinks">
                <a class="visually-hidden-focusable" href="#main">{ i18n.t("skip.main") }</a>
            </div>
            <AssistBanner />
            <Header />
            <main id="main" ref={main} tabindex="-1" class="cortile-main">
                <div class="container py-3 py-md-4">
                    { props.children.clone() }
                </div>
            </main>
            <Footer />
        </>
    }
}

#[function_component(Header)]
fn header() -> Html {
    let i18n = use_i18n();
    html! {
        <header class="it-header-wrapper cortile-header">
            <div class="it-header-slim-wrapper">
                <div class="container">
                    <div class="row">
                        <div class="col-12">
                            <div class="it-header-slim-wrapper-content">
                                <span class="navbar-brand cortile-owner">{ i18n.t("header.owner") }</span>
                                <div class="it-header-slim-right-zone cortile-slim-right">
                                    <LanguageSwitcher />
                                    <AccountLinks />
                                </div>
                            </div>
                        </div>
                    </div>
                </div>
            </div>
            <div class="it-nav-wrapper">
                <div class="it-header-center-wrapper">
                    <div class="container">
                        <div class="row">
                            <div class="col-12">
                                <div class="it-header-center-content-wrapper">
                                    <div class="it-brand-wrapper">
                                        <Link<Route> to={Route::Home}>
                                            <Icon name="it-map-marker-circle" class="icon-white" />
                                            <div class="it-brand-text">
                                                <div class="it-brand-title">{ i18n.t("app.name") }</div>
                                                <div class="it-brand-tagline d-none d-md-block">{ i18n.t("app.tagline") }</div>
                                            </div>
                                        </Link<Route>>
                                    </div>
                                </div>
                            </div>
                        </div>
                    </div>
                </div>
                <nav class="cortile-nav" aria-label={i18n.t("nav.label")}>
                    <div class="container">
                        <NavLinks />
                    </div>
                </nav>
            </div>
        </header>
    }
}

/// The main navigation: the estates for everyone, then the pages the user's roles open. Roles
/// only decide what is shown; the server decides what is allowed.
#[function_component(NavLinks)]
fn nav_links() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let current = use_route::<Route>();
    let activity = use_activity();
    let assisting = session.me().is_some_and(|me| me.assisting.is_some());
    let realtime = crate::realtime::use_realtime();
    let mut links = vec![(Route::Home, "nav.estates")];
    if session.me().is_some() {
        links.push((Route::Communities, "nav.communities"));
        links.push((Route::Chat, "nav.chat"));
        if session.has_any(&[Role::Resident]) {
            links.push((Route::TimeBank, "nav.timebank"));
        } else {
            links.push((Route::Listings, "nav.market"));
        }
        links.push((Route::Profile, "nav.profile"));
    }
    if session.me().is_some() {
        links.push((Route::Reports, "nav.reports"));
    }
    if session.has_any(crate::pages::maintenance::QUEUE_WORKERS) {
        links.push((Route::MaintenanceQueue, "nav.maintenance_queue"));
    }
    // The manager's people choose any estate's board.
    if session.has_any(crate::pages::maintenance::BOARD_READERS) {
        links.push((Route::Boards, "nav.boards"));
    }
    if session.me().is_some() {
        links.push((Route::Works, "nav.works"));
    }
    // The committee's board of the estate they serve.
    if let Some(estate) = session.me().and_then(|me| {
        me.grants.iter().find_map(|g| match (g.role, &g.scope) {
            (Role::CommitteeMember, cortile_shared::auth::Scope::Estate(e)) => Some(*e),
            _ => None,
        })
    }) {
        links.push((Route::Board { id: estate }, "nav.board"));
    }
    if session.has_any(&[Role::Applicant]) {
        links.push((Route::MyApplication, "nav.application"));
    }
    if session.me().is_some() && (session.has_any(MODERATORS) || activity.has_queue) {
        links.push((Route::ModerationQueue, "nav.moderation"));
    }
    if session.has_any(REGISTRY_READERS) {
        links.push((Route::RegistrySearch, "nav.registry"));
    }
    if session.has_any(CHANGE_HANDLERS) {
        links.push((Route::ChangeRequests, "nav.changes"));
    }
    if session.has_any(IMPORTERS) {
        links.push((Route::Imports, "nav.imports"));
    }
    if session.has_any(TIMEBANK_STAFF) {
        links.push((Route::Disputes, "nav.timebank_staff"));
    }
    if session.has_any(AUDITORS) {
        links.push((Route::Audit, "nav.audit"));
    }
    if session.has_any(ASSISTANTS) && !assisting {
        links.push((Route::Assist, "nav.assist"));
    }
    html! {
        <ul class="cortile-nav-list">
            { for links.into_iter().map(|(route, key)| {
                let here = current.as_ref() == Some(&route)
                    || (route == Route::Chat && matches!(current, Some(Route::ChatRoom { .. })));
                // The chat's link says how many messages wait (the number shows when some do).
                let unread = if route == Route::Chat { realtime.total_unread() } else { 0 };
                html! {
                    <li>
                        <Link<Route> to={route}>
                            <span aria-current={here.then_some("page")} data-testid={(key == "nav.chat").then_some("nav-chat")}>
                                { i18n.t(key) }
                                if unread > 0 {
                                    <span class="visually-hidden">{ format!(", {}", i18n.count("chat.unread", unread)) }</span>
                                    <span class="badge cortile-notifications-count ms-1" aria-hidden="true" data-testid="chat-unread-total">
                                        { i18n.int(unread) }
                                    </span>
                                }
                            </span>
                        </Link<Route>>
                    </li>
                }
            }) }
        </ul>
    }
}

/// "Accedi" for visitors; the user's name (a link to the profile) and "Esci" for users.
#[function_component(AccountLinks)]
fn account_links() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let navigator = use_navigator();
    let route = use_route::<Route>();
    if session.is_loading() {
        return html! {};
    }
    let Some(me) = session.me() else {
        // Come back here after login, unless "here" is the login page itself.
        let query = LoginQuery {
            return_to: match route {
                Some(Route::Login) | None => None,
                Some(_) => safe_return_path(Some(&current_path())),
            },
        };
        let href = login_href(query.return_to.as_deref());
        let onclick = Callback::from(move |e: MouseEvent| {
            if let Some(navigator) = &navigator {
                e.prevent_default();
                let _ = navigator.push_with_query(&Route::Login, &query);
            }
        });
        return html! {
            <a {href} class="btn btn-sm cortile-account-button" data-testid="login-link" {onclick}>
                { i18n.t("header.login") }
            </a>
        };
    };
    let onclick = {
        let api = session.api();
        let signed_out = session.signed_out();
        Callback::from(move |_: MouseEvent| {
            let api = api.clone();
            let signed_out = signed_out.clone();
            let navigator = navigator.clone();
            spawn(async move {
                // Whatever the answer, the app forgets the session (a failed logout means the
                // session is already over, or the server will end it when it expires).
                let _ = api.logout().await;
                signed_out.emit(());
                if let Some(navigator) = navigator {
                    navigator.push(&Route::Home);
                }
            });
        })
    };
    html! {
        <div class="cortile-account">
            <crate::realtime::ConnectionIndicator />
            <NotificationsLink />
            <Link<Route> to={Route::Profile} classes="cortile-account-name">
                <Icon name="it-user" class="icon-white icon-sm" />
                <span class="visually-hidden">{ i18n.t("header.signed_in_as") }</span>
                <span data-testid="user-name">{ me.display_name.clone() }</span>
            </Link<Route>>
            <button type="button" class="btn btn-sm cortile-account-button" data-testid="logout" {onclick}>
                { i18n.t("header.logout") }
            </button>
        </div>
    }
}

/// The way to the notification centre, with how many are unread (the number is shown only
/// when there are some; the link's name always says it).
#[function_component(NotificationsLink)]
fn notifications_link() -> Html {
    let i18n = use_i18n();
    let activity = use_activity();
    let route = use_route::<Route>();
    let navigator = use_navigator();
    let unread = activity.unread.unwrap_or(0);
    let status = if unread > 0 {
        i18n.count("notifications.link_unread", unread)
    } else {
        i18n.t("notifications.link_none")
    };
    let here = route == Some(Route::Notifications);
    let onclick = Callback::from(move |e: MouseEvent| {
        if let Some(navigator) = &navigator {
            e.prevent_default();
            navigator.push(&Route::Notifications);
        }
    });
    html! {
        <a href={Route::Notifications.to_path()} class="cortile-account-name cortile-notifications-link"
            data-testid="notifications-link" data-unread={unread.to_string()}
            aria-current={here.then_some("page")} {onclick}>
            <Icon name="it-mail" class="icon-white icon-sm" />
            <span>{ i18n.t("notifications.link") }</span>
            <span class="visually-hidden">{ format!(", {status}") }</span>
            if unread > 0 {
                <span class="badge cortile-notifications-count" aria-hidden="true" data-testid="notifications-count">
                    { i18n.int(unread) }
                </span>
            }
        </a>
    }
}

/// While an operator acts for a resident: who, why, and the way to stop. On every page.
#[function_component(AssistBanner)]
fn assist_banner() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let navigator = use_navigator();
    let failed = use_state(|| None::<crate::api::ApiError>);
    let Some(me) = session.me() else {
        return html! {};
    };
    let Some(assisting) = me.assisting.clone() else {
        return html! {};
    };
    let onclick = {
        let api = session.api();
        let signed_in = session.signed_in();
        let failed = failed.clone();
        Callback::from(move |_: MouseEvent| {
            let api = api.clone();
            let signed_in = signed_in.clone();
            let failed = failed.clone();
            let navigator = navigator.clone();
            spawn(async move {
                match api.stop_assist().await {
                    Ok(me) => {
                        failed.set(None);
                        signed_in.emit(me);
                        if let Some(navigator) = navigator {
                            navigator.push(&Route::Assist);
                        }
                    }
                    Err(err) => failed.set(Some(err)),
                }
            });
        })
    };
    html! {
        <div class="cortile-assist-banner" role="status" data-testid="assist-banner">
            <div class="container d-flex flex-wrap align-items-center gap-2 py-2">
                <p class="mb-0 flex-grow-1">
                    <strong>{ i18n.tf("assist.banner", &[("name", &assisting.resident.display_name)]) }</strong>
                    { " " }
                    { i18n.tf("assist.banner_purpose", &[("purpose", &assisting.purpose)]) }
                    { " " }
                    <span class="cortile-assist-operator">{ i18n.tf("assist.banner_operator", &[("name", &assisting.operator.display_name)]) }</span>
                </p>
                <button type="button" class="btn btn-dark btn-sm" data-testid="assist-stop" {onclick}>
                    { i18n.t("assist.stop") }
                </button>
                if let Some(error) = &*failed {
                    <p class="mb-0 w-100" role="alert">{ i18n.t(error.message_key()) }</p>
                }
            </div>
        </div>
    }
}

/// Two buttons, one per language, each written in its own language.
#[function_component(LanguageSwitcher)]
fn language_switcher() -> Html {
    let i18n = use_i18n();
    let set_locale = i18n.set_locale();
    html! {
        <div class="cortile-lang" role="group" aria-label={i18n.t("lang.label")}>
            { for Locale::ALL.into_iter().map(|locale| {
                let pressed = locale == i18n.locale;
                let onclick = set_locale.reform(move |_: MouseEvent| locale);
                html! {
                    <button
                        type="button"
                        class={classes!("btn", "btn-sm", "cortile-lang-button", pressed.then_some("active"))}
                        lang={locale.tag()}
                        aria-pressed={if pressed { "true" } else { "false" }}
                        data-testid={format!("lang-{}", locale.tag())}
                        {onclick}
                    >
                        { locale.native_name() }
                    </button>
                }
            }) }
        </div>
    }
}

#[function_component(Footer)]
fn footer() -> Html {
    let i18n = use_i18n();
    let version = match use_context::<ConfigContext>() {
        Some(Remote::Ready(config)) => Some(config.version.clone()),
        _ => None,
    };
    html! {
        <footer class="it-footer cortile-footer" aria-label={i18n.t("footer.label")}>
            <div class="it-footer-main">
                <div class="container py-4">
                    <p class="cortile-footer-name mb-2">{ i18n.t("app.name") }</p>
                    <p class="mb-1">{ i18n.t("footer.about") }</p>
                    <p class="mb-1">{ i18n.t("footer.license") }</p>
                    if let Some(version) = version {
                        <p class="mb-0 small">{ i18n.tf("footer.version", &[("version", &version)]) }</p>
                    }
                </div>
            </div>
        </footer>
    }
}
