//! `/profilo`: who I am for Cortile, where the registry says I live, my roles, where I am
//! signed in, my data to download, and erasing my account.

use std::rc::Rc;

use cortile_shared::auth::{
    Grant, GrantSource, HouseholdRole, LoginMethod, Me, Scope, SessionInfo,
};
use cortile_shared::profile::{Profile, ACCESSIBILITY, INTERESTS, LANGUAGES};
use cortile_shared::SessionId;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::{self, ApiError};
use crate::app::Route;
use crate::components::{
    field_error, Checkbox, ErrorState, FormAlert, Loading, ScrollTable, TextField,
};
use crate::hooks::{spawn, use_document_title, use_remote, use_saved_draft, Remote};
use crate::i18n::{use_i18n, I18n};
use crate::pages::community::audience::{language_checkbox, toggle};
use crate::pages::tenancy::floor_text;
use crate::session::use_session;

#[function_component(ProfilePage)]
pub fn profile_page() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let title = i18n.t("profile.title");
    use_document_title(Some(title.clone()));
    let Some(me) = session.me() else {
        return html! {};
    };
    html! {
        <>
            <h1 data-testid="page-title">{ title }</h1>
            <p class="lead">{ i18n.t("profile.intro") }</p>
            { identity(&i18n, &me) }
            { residence(&i18n, &me) }
            { roles(&i18n, &me.grants) }
            <Preferences />
            <Sessions />
            <section class="mb-5" aria-labelledby="profile-export-heading">
                <h2 id="profile-export-heading" class="h3">{ i18n.t("profile.export_heading") }</h2>
                <p>{ i18n.t("profile.export_help") }</p>
                <a class="btn btn-outline-primary" href={api::export_url()} download="cortile-dati.json" data-testid="export-data">
                    { i18n.t("profile.export") }
                </a>
            </section>
            <Erase assisted={me.assisting.is_some()} />
        </>
    }
}

fn identity(i18n: &I18n, me: &Me) -> Html {
    let fiscal_code = me
        .fiscal_code
        .clone()
        .unwrap_or_else(|| i18n.t("profile.no_fiscal_code"));
    html! {
        <section class="mb-5" aria-labelledby="profile-identity-heading">
            <h2 id="profile-identity-heading" class="h3">{ i18n.t("profile.identity_heading") }</h2>
            <dl class="row cortile-details">
                <dt class="col-sm-5 col-md-3">{ i18n.t("profile.name") }</dt>
                <dd class="col-sm-7 col-md-9" data-testid="profile-name">{ me.display_name.clone() }</dd>
                if let Some(username) = &me.username {
                    <dt class="col-sm-5 col-md-3">{ i18n.t("profile.username") }</dt>
                    <dd class="col-sm-7 col-md-9">{ username.clone() }</dd>
                }
                <dt class="col-sm-5 col-md-3">{ i18n.t("profile.fiscal_code") }</dt>
                <dd class="col-sm-7 col-md-9 cortile-code" data-testid="profile-fiscal-code">{ fiscal_code }</dd>
            </dl>
        </section>
    }
}

fn residence(i18n: &I18n, me: &Me) -> Html {
    let body = match &me.residence {
        Some(home) => {
            let role = match home.role {
                HouseholdRole::Holder => i18n.t("household.holder"),
                HouseholdRole::Member => i18n.t("household.member"),
            };
            let facts = [
                ("profile.estate", home.home.estate_name.clone()),
                ("profile.address", home.home.building_address.clone()),
                ("profile.staircase", home.home.staircase.clone()),
                ("profile.floor", floor_text(i18n, home.home.floor)),
                ("profile.unit", home.home.unit_code.clone()),
                ("profile.household_role", role),
            ];
            html! {
                <dl class="row cortile-details" data-testid="profile-residence">
                    { for facts.into_iter().map(|(key, value)| html! {
                        <>
                            <dt class="col-sm-5 col-md-3">{ i18n.t(key) }</dt>
                            <dd class="col-sm-7 col-md-9">{ value }</dd>
                        </>
                    }) }
                </dl>
            }
        }
        None => html! {
            <p data-testid="profile-no-residence">{ i18n.t("profile.no_residence") }</p>
        },
    };
    html! {
        <section class="mb-5" aria-labelledby="profile-home-heading">
            <h2 id="profile-home-heading" class="h3">{ i18n.t("profile.home_heading") }</h2>
            { body }
            <p class="text-secondary small">{ i18n.t("profile.home_note") }</p>
        </section>
    }
}

/// "Custode — Via Abbiati 4", "Amministratore — tutto il sistema".
pub fn grant_text(i18n: &I18n, grant: &Grant) -> String {
    let role = i18n.t(&format!("role.{}", grant.role.as_str()));
    let scope = match (&grant.scope, &grant.scope_name) {
        (Scope::Global, _) => i18n.t("scope.global"),
        (_, Some(name)) => name.clone(),
        (scope, None) => i18n.tf(
            &format!("scope.{}", scope.kind()),
            &[("id", &scope.id().unwrap_or_default().to_string())],
        ),
    };
    i18n.tf("profile.role_in", &[("role", &role), ("scope", &scope)])
}

fn roles(i18n: &I18n, grants: &[Grant]) -> Html {
    html! {
        <section class="mb-5" aria-labelledby="profile-roles-heading">
            <h2 id="profile-roles-heading" class="h3">{ i18n.t("profile.roles_heading") }</h2>
            if grants.is_empty() {
                <p>{ i18n.t("profile.no_roles") }</p>
            } else {
                <ul class="cortile-list">
                    { for grants.iter().map(|grant| html! {
                        <li data-testid="profile-role">
                            { grant_text(i18n, grant) }
                            if grant.source == GrantSource::Registry {
                                <span class="text-secondary">{ " " }{ i18n.t("profile.from_registry") }</span>
                            }
                        </li>
                    }) }
                </ul>
            }
        </section>
    }
}

/// Interests, languages and accessibility needs: what Cortile uses to show the right notices,
/// and nobody else sees.
#[function_component(Preferences)]
fn preferences() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let remote = {
        let api = session.api();
        use_remote(api, |api| async move { api.my_profile().await })
    };
    let body = match &remote.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(error) => {
            html! { <ErrorState error={error.clone()} retry={remote.retry.clone()} /> }
        }
        Remote::Ready(profile) => html! { <PreferencesForm initial={profile.clone()} /> },
    };
    html! {
        <section class="mb-5 cortile-narrow" aria-labelledby="profile-preferences-heading" data-testid="profile-preferences">
            <h2 id="profile-preferences-heading" class="h3">{ i18n.t("preferences.heading") }</h2>
            <p>{ i18n.t("preferences.intro") }</p>
            { body }
        </section>
    }
}

/// `profile` with `code` in or out of the list `which` picks.
fn with_choice(
    profile: &Profile,
    which: fn(&mut Profile) -> &mut Vec<String>,
    code: &str,
    on: bool,
) -> Profile {
    let mut next = profile.clone();
    toggle(which(&mut next), code.to_owned(), on);
    next
}

#[derive(Properties, PartialEq)]
struct PreferencesFormProps {
    initial: Rc<Profile>,
}

#[function_component(PreferencesForm)]
fn preferences_form(props: &PreferencesFormProps) -> Html {
    let i18n = use_i18n();
    let form = use_saved_draft(&*props.initial, |api, profile| async move {
        api.save_profile(&profile).await
    });
    let draft = form.draft();

    let choose = |which: fn(&mut Profile) -> &mut Vec<String>, code: &'static str| {
        form.update(move |draft: &Profile, on: bool| with_choice(draft, which, code, on))
    };
    let failed = form.error.as_ref();
    let group = |field: &'static str, legend: String, items: Html| -> Html {
        let err = field_error(&i18n, failed, field);
        let id = format!("profile-{field}-error");
        html! {
            <fieldset class="mb-4" aria-describedby={err.as_ref().map(|_| id.clone())}>
                <legend class="h5">{ legend }</legend>
                { items }
                if let Some(text) = err {
                    <p {id} class="cortile-field-error">{ text }</p>
                }
            </fieldset>
        }
    };
    let interests = html! {
        { for INTERESTS.iter().map(|code| {
            let code: &'static str = code;
            html! {
                <Checkbox
                    id={format!("profile-interest-{code}")}
                    label={i18n.t(&format!("interest.{code}"))}
                    checked={draft.interests.iter().any(|c| c == code)}
                    onchange={choose(|p| &mut p.interests, code)}
                    testid={format!("profile-interest-{code}")}
                />
            }
        }) }
    };
    let languages = html! {
        { for LANGUAGES.iter().map(|code| {
            let code: &'static str = code;
            language_checkbox(
                &i18n,
                format!("profile-language-{code}"),
                format!("profile-language-{code}"),
                code,
                draft.languages.iter().any(|c| c == code),
                choose(|p| &mut p.languages, code),
            )
        }) }
    };
    let access = html! {
        { for ACCESSIBILITY.iter().map(|code| {
            let code: &'static str = code;
            html! {
                <Checkbox
                    id={format!("profile-access-{code}")}
                    label={i18n.t(&format!("accessibility.{code}"))}
                    checked={draft.accessibility.iter().any(|c| c == code)}
                    onchange={choose(|p| &mut p.accessibility, code)}
                    testid={format!("profile-access-{code}")}
                />
            }
        }) }
    };

    html! {
        <>
            <div aria-live="polite">
                if form.saved {
                    <p class="alert alert-success" data-testid="profile-saved">{ i18n.t("preferences.saved") }</p>
                }
            </div>
            <FormAlert error={form.error.clone()} testid="profile-preferences-error" />
            <form onsubmit={form.onsubmit.clone()} novalidate=true>
                { group("interests", i18n.t("preferences.interests"), interests) }
                { group("languages", i18n.t("preferences.languages"), languages) }
                { group("accessibility", i18n.t("preferences.accessibility"), access) }
                <button type="submit" class="btn btn-primary" disabled={form.busy} data-testid="profile-save">
                    { i18n.t(if form.busy { "preferences.saving" } else { "preferences.save" }) }
                </button>
            </form>
        </>
    }
}

/// A short name of the browser and system from a user agent ("Firefox su Android").
pub fn device_name(i18n: &I18n, user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent else {
        return i18n.t("sessions.unknown_device");
    };
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Safari/", "Safari"),
    ]
    .into_iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS", "Mac"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| name);
    match (browser, system) {
        (Some(b), Some(s)) => i18n.tf("sessions.browser_on", &[("browser", b), ("system", s)]),
        (Some(name), None) | (None, Some(name)) => name.to_owned(),
        (None, None) => i18n.t("sessions.unknown_device"),
    }
}

#[function_component(Sessions)]
fn sessions() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let api = session.api();
    let list = {
        let api = api.clone();
        use_remote((), move |()| async move { api.sessions().await })
    };
    let failed = use_state(|| None::<ApiError>);
    let done = use_state(|| None::<&'static str>);

    let revoke = {
        let api = api.clone();
        let retry = list.retry.clone();
        let failed = failed.clone();
        let done = done.clone();
        Callback::from(move |id: Option<SessionId>| {
            let api = api.clone();
            let retry = retry.clone();
            let failed = failed.clone();
            let done = done.clone();
            spawn(async move {
                let result = match id {
                    Some(id) => api.revoke_session(id).await,
                    None => api.revoke_other_sessions().await,
                };
                match result {
                    Ok(()) => {
                        failed.set(None);
                        done.set(Some(if id.is_some() {
                            "sessions.revoked_one"
                        } else {
                            "sessions.revoked_others"
                        }));
                        retry.emit(());
                    }
                    Err(err) => failed.set(Some(err)),
                }
            });
        })
    };

    let body = match list.state {
        Remote::Loading => html! { <Loading /> },
        Remote::Failed(error) => html! { <ErrorState {error} retry={list.retry.clone()} /> },
        Remote::Ready(sessions) => sessions_table(&i18n, &sessions, &revoke),
    };
    html! {
        <section class="mb-5" aria-labelledby="profile-sessions-heading">
            <h2 id="profile-sessions-heading" class="h3">{ i18n.t("sessions.heading") }</h2>
            <p>{ i18n.t("sessions.help") }</p>
            <div aria-live="polite">
                if let Some(key) = *done {
                    <p class="alert alert-success">{ i18n.t(key) }</p>
                }
            </div>
            <FormAlert error={(*failed).clone()} />
            { body }
            <button type="button" class="btn btn-outline-primary" data-testid="sessions-revoke-others"
                onclick={revoke.reform(|_: MouseEvent| None)}>
                { i18n.t("sessions.revoke_others") }
            </button>
        </section>
    }
}

fn sessions_table(
    i18n: &I18n,
    sessions: &Rc<Vec<SessionInfo>>,
    revoke: &Callback<Option<SessionId>>,
) -> Html {
    html! {
        <ScrollTable label={i18n.t("sessions.caption")}>
            <table class="table cortile-table">
                <caption class="caption-top">{ i18n.t("sessions.caption") }</caption>
                <thead>
                    <tr>
                        <th scope="col">{ i18n.t("sessions.col_device") }</th>
                        <th scope="col">{ i18n.t("sessions.col_method") }</th>
                        <th scope="col">{ i18n.t("sessions.col_started") }</th>
                        <th scope="col">{ i18n.t("sessions.col_last_seen") }</th>
                        <th scope="col"><span class="visually-hidden">{ i18n.t("sessions.col_actions") }</span></th>
                    </tr>
                </thead>
                <tbody>
                    { for sessions.iter().map(|s| {
                        let device = device_name(i18n, s.user_agent.as_deref());
                        let method = match s.method {
                            LoginMethod::Local => i18n.t("sessions.method_local"),
                            LoginMethod::Oidc => i18n.t("sessions.method_oidc"),
                        };
                        let id = s.id;
                        html! {
                            <tr data-testid="session-row" data-current={s.current.to_string()} key={s.id.0}>
                                <th scope="row">
                                    { device.clone() }
                                    if s.current {
                                        <span class="badge bg-primary ms-2" data-testid="session-current">{ i18n.t("sessions.current") }</span>
                                    }
                                </th>
                                <td>{ method }</td>
                                <td>{ i18n.datetime(s.created_at) }</td>
                                <td>{ i18n.datetime(s.last_seen_at) }</td>
                                <td>
                                    if !s.current {
                                        <button type="button" class="btn btn-sm btn-outline-danger" data-testid="session-revoke"
                                            aria-label={i18n.tf("sessions.revoke_label", &[("device", &device), ("date", &i18n.datetime(s.created_at))])}
                                            onclick={revoke.reform(move |_: MouseEvent| Some(id))}>
                                            { i18n.t("sessions.revoke") }
                                        </button>
                                    }
                                </td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        </ScrollTable>
    }
}

#[derive(Properties, PartialEq)]
struct EraseProps {
    assisted: bool,
}

#[function_component(Erase)]
fn erase(props: &EraseProps) -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let navigator = use_navigator();
    let confirm = use_state(String::new);
    let error = use_state(|| None::<ApiError>);
    let busy = use_state(|| false);
    let onsubmit = {
        let api = session.api();
        let signed_out = session.signed_out();
        let confirm = confirm.clone();
        let error = error.clone();
        let busy = busy.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            busy.set(true);
            let api = api.clone();
            let signed_out = signed_out.clone();
            let word = (*confirm).clone();
            let error = error.clone();
            let busy = busy.clone();
            let navigator = navigator.clone();
            spawn(async move {
                let result = api.erase_account(word.trim()).await;
                busy.set(false);
                match result {
                    Ok(()) => {
                        signed_out.emit(());
                        if let Some(navigator) = navigator {
                            navigator.push(&Route::Home);
                        }
                    }
                    Err(err) => error.set(Some(err)),
                }
            });
        })
    };
    let error_ref = (*error).as_ref();
    html! {
        <section class="mb-5 cortile-danger-zone" aria-labelledby="profile-erase-heading">
            <h2 id="profile-erase-heading" class="h3">{ i18n.t("erase.heading") }</h2>
            <p>{ i18n.t("erase.explain") }</p>
            <p>{ i18n.t("erase.keeps") }</p>
            if props.assisted {
                <p class="alert alert-warning">{ i18n.t("erase.not_assisted") }</p>
            } else {
                <FormAlert error={(*error).clone()} />
                <form {onsubmit} novalidate=true>
                    <TextField
                        id="erase-confirm"
                        label={i18n.t("erase.confirm_label")}
                        help={i18n.t("erase.confirm_help")}
                        value={(*confirm).clone()}
                        oninput={let s = confirm.clone(); Callback::from(move |v| s.set(v))}
                        autocomplete="off"
                        error={field_error(&i18n, error_ref, "confirm")}
                        testid="erase-confirm"
                    />
                    <button type="submit" class="btn btn-danger" disabled={*busy} data-testid="erase-submit">
                        { i18n.t("erase.submit") }
                    </button>
                </form>
            }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cortile_shared::auth::Role;
    use cortile_shared::{BuildingId, Locale};

    #[test]
    fn a_preference_is_added_once_and_taken_out() {
        let profile = Profile::default();
        let one = with_choice(&profile, |p| &mut p.languages, "ar", true);
        let same = with_choice(&one, |p| &mut p.languages, "ar", true);
        assert_eq!(same.languages, vec!["ar"]);
        assert!(same.interests.is_empty() && same.accessibility.is_empty());
        let none = with_choice(&same, |p| &mut p.languages, "ar", false);
        assert_eq!(none, Profile::default());
    }

    #[test]
    fn devices_have_short_names() {
        let it = I18n::fixed(Locale::It);
        let firefox = "Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0";
        assert_eq!(device_name(&it, Some(firefox)), "Firefox su Android");
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
        assert_eq!(device_name(&it, Some(chrome)), "Chrome su Linux");
        assert_eq!(
            device_name(&it, Some("curl/8")),
            it.t("sessions.unknown_device")
        );
        assert_eq!(device_name(&it, None), it.t("sessions.unknown_device"));
    }

    #[test]
    fn roles_are_named_with_their_scope() {
        let it = I18n::fixed(Locale::It);
        let custodian = Grant {
            role: Role::Custodian,
            scope: Scope::Building(BuildingId(4)),
            source: GrantSource::Granted,
            scope_name: Some("Via Abbiati 4".into()),
        };
        assert_eq!(grant_text(&it, &custodian), "Custode — Via Abbiati 4");
        let admin = Grant {
            role: Role::Admin,
            scope: Scope::Global,
            source: GrantSource::Granted,
            scope_name: None,
        };
        assert!(grant_text(&it, &admin).starts_with("Amministratore di sistema"));
        for role in Role::ALL {
            assert!(it.has(&format!("role.{}", role.as_str())), "{role}");
        }
    }
}
