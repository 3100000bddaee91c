//! `/accedi`: sign in with SPID/CIE (OpenID Connect) when the server offers it, or with a
//! username and password.

use cortile_shared::auth::LoginOptions;
use cortile_shared::ErrorCode;
use yew::prelude::*;
use yew_router::history::{BrowserHistory, History};
use yew_router::prelude::*;

use crate::api::{self, ApiError};
use crate::app::Route;
use crate::components::{field_error, FormAlert, TextField};
use crate::hooks::{spawn, use_document_title, use_remote, Remote};
use crate::i18n::{use_i18n, I18n};
use crate::session::{safe_return_path, use_session, LoginQuery};

/// Where to go after login: the page the user came from, or the profile.
fn destination(query: &LoginQuery) -> String {
    safe_return_path(query.return_to.as_deref()).unwrap_or_else(|| Route::Profile.to_path())
}

/// Whole minutes to wait, rounded up (at least one).
pub fn minutes_to_wait(seconds: Option<u64>) -> i64 {
    let seconds = seconds.unwrap_or(60).max(1);
    i64::try_from(seconds.div_ceil(60)).unwrap_or(i64::MAX)
}

/// The plain-language explanation of a failed login.
fn login_message(i18n: &I18n, error: &ApiError) -> Option<String> {
    match error {
        ApiError::RateLimited { retry_after } => {
            Some(i18n.count("login.rate_limited", minutes_to_wait(*retry_after)))
        }
        _ if error.code() == Some(ErrorCode::InvalidCredentials) => {
            Some(i18n.t("login.invalid_credentials"))
        }
        _ => None,
    }
}

#[function_component(LoginPage)]
pub fn login_page() -> Html {
    let i18n = use_i18n();
    let session = use_session();
    let query = use_location()
        .and_then(|l| l.query::<LoginQuery>().ok())
        .unwrap_or_default();
    let options = use_remote((), |()| api::login_options());
    let username = use_state(String::new);
    let password = use_state(String::new);
    let error = use_state(|| None::<ApiError>);
    let busy = use_state(|| false);
    let title = i18n.t("login.title");
    use_document_title(Some(title.clone()));

    let to = destination(&query);
    let onsubmit = {
        let username = username.clone();
        let password = password.clone();
        let error = error.clone();
        let busy = busy.clone();
        let signed_in = session.signed_in();
        let to = to.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            busy.set(true);
            let (user, pass) = ((*username).clone(), (*password).clone());
            let error = error.clone();
            let busy = busy.clone();
            let signed_in = signed_in.clone();
            let to = to.clone();
            spawn(async move {
                let result = api::login(&user, &pass).await;
                busy.set(false);
                match result {
                    Ok(me) => {
                        error.set(None);
                        signed_in.emit(me);
                        BrowserHistory::new().push(to);
                    }
                    Err(err) => error.set(Some(err)),
                }
            });
        })
    };

    if let Some(me) = session.me() {
        return html! {
            <>
                <h1 data-testid="page-title">{ title }</h1>
                <p class="lead">{ i18n.tf("login.already", &[("name", &me.display_name)]) }</p>
                <Link<Route> to={Route::Profile} classes="btn btn-primary">{ i18n.t("login.go_profile") }</Link<Route>>
            </>
        };
    }

    let oidc = match &options.state {
        Remote::Ready(options) if options.oidc => oidc_button(&i18n, options, &to),
        _ => html! {},
    };
    let local = !matches!(&options.state, Remote::Ready(o) if !o.local);
    let error_ref = (*error).as_ref();
    let message = error_ref.and_then(|e| login_message(&i18n, e));

    html! {
        <div class="cortile-narrow">
            <h1 data-testid="page-title">{ title }</h1>
            <p class="lead">{ i18n.t("login.intro") }</p>
            { oidc }
            if local {
                <section aria-labelledby="login-local-heading" class="mt-4">
                    <h2 id="login-local-heading" class="h4">{ i18n.t("login.local_heading") }</h2>
                    <p>{ i18n.t("login.local_help") }</p>
                    <FormAlert error={(*error).clone()} message={message.map(AttrValue::from)} testid="login-error" />
                    <form onsubmit={onsubmit} novalidate=true>
                        <TextField
                            id="login-username"
                            label={i18n.t("login.username")}
                            value={(*username).clone()}
                            oninput={let s = username.clone(); Callback::from(move |v| s.set(v))}
                            autocomplete="username"
                            required=true
                            error={field_error(&i18n, error_ref, "username")}
                            testid="login-username"
                        />
                        <TextField
                            id="login-password"
                            kind="password"
                            label={i18n.t("login.password")}
                            value={(*password).clone()}
                            oninput={let s = password.clone(); Callback::from(move |v| s.set(v))}
                            autocomplete="current-password"
                            required=true
                            error={field_error(&i18n, error_ref, "password")}
                            testid="login-password"
                        />
                        <button type="submit" class="btn btn-primary" disabled={*busy} data-testid="login-submit">
                            { i18n.t(if *busy { "login.submitting" } else { "login.submit" }) }
                        </button>
                    </form>
                </section>
            }
        </div>
    }
}

fn oidc_button(i18n: &I18n, options: &LoginOptions, to: &str) -> Html {
    let label = options
        .oidc_label
        .clone()
        .unwrap_or_else(|| i18n.t("login.oidc_default"));
    html! {
        <section aria-labelledby="login-oidc-heading" class="mt-4">
            <h2 id="login-oidc-heading" class="h4">{ i18n.t("login.oidc_heading") }</h2>
            <p>{ i18n.t("login.oidc_help") }</p>
            <a class="btn btn-primary btn-lg" href={api::oidc_start_url(to)} data-testid="login-oidc">
                { i18n.tf("login.oidc_button", &[("provider", &label)]) }
            </a>
            <p class="cortile-or mt-4 mb-0">{ i18n.t("login.or") }</p>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cortile_shared::Locale;

    #[test]
    fn waiting_time_is_rounded_up_to_minutes() {
        assert_eq!(minutes_to_wait(Some(1)), 1);
        assert_eq!(minutes_to_wait(Some(60)), 1);
        assert_eq!(minutes_to_wait(Some(61)), 2);
        assert_eq!(minutes_to_wait(Some(900)), 15);
        assert_eq!(minutes_to_wait(None), 1);
    }

    #[test]
    fn failed_logins_are_explained() {
        let it = I18n::fixed(Locale::It);
        let limited = ApiError::RateLimited {
            retry_after: Some(300),
        };
        assert_eq!(
            login_message(&it, &limited).as_deref(),
            Some("Troppi tentativi sbagliati. Riprova tra 5 minuti.")
        );
        assert!(login_message(&it, &ApiError::Status(500)).is_none());
    }

    #[test]
    fn after_login_go_back_or_to_the_profile() {
        let back = LoginQuery {
            return_to: Some("/registro".into()),
        };
        assert_eq!(destination(&back), "/registro");
        let evil = LoginQuery {
            return_to: Some("//evil.example".into()),
        };
        assert_eq!(destination(&evil), "/profilo");
        assert_eq!(destination(&LoginQuery::default()), "/profilo");
    }
}
