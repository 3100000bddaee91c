//! Who is signed in: the session state shared by the whole app.
//!
//! [`SessionProvider`] loads `GET /me` once at start and shares the answer through a
//! [`ContextProvider`] holding a reducer (as the language does). Login, logout and assisted mode
//! replace it; any 401 from the API clears it (see [`crate::api::Api`]). Pages read it with
//! [`use_session`]; [`RequireLogin`] sends visitors who are not signed in to the login page.

use std::rc::Rc;

use cortile_shared::auth::{Me, Role};
use serde::{Deserialize, Serialize};
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::{self, Api};
use crate::app::Route;
use crate::components::Loading;

/// What the app knows about the session.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum SessionState {
    /// `GET /me` has not answered yet.
    #[default]
    Loading,
    SignedOut,
    SignedIn(Rc<Me>),
}

/// The reducer's state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Session {
    pub state: SessionState,
}

/// What can happen to the session.
#[derive(Debug, Clone, PartialEq)]
pub enum SessionAction {
    /// Signed in, or the server sent a new `Me` (assisted mode started or stopped).
    SignedIn(Rc<Me>),
    /// Logged out, erased, or the server said the session is over.
    SignedOut,
}

impl Reducible for Session {
    type Action = SessionAction;

    fn reduce(self: Rc<Self>, action: Self::Action) -> Rc<Self> {
        match action {
            SessionAction::SignedIn(me) => Rc::new(Session {
                state: SessionState::SignedIn(me),
            }),
            SessionAction::SignedOut if self.state == SessionState::SignedOut => self,
            SessionAction::SignedOut => Rc::new(Session {
                state: SessionState::SignedOut,
            }),
        }
    }
}

/// The context value: the reducer handle.
pub type SessionContext = UseReducerHandle<Session>;

/// The session helper handed out by [`use_session`].
#[derive(Clone, PartialEq)]
pub struct SessionHandle {
    handle: Option<SessionContext>,
}

impl SessionHandle {
    pub fn state(&self) -> SessionState {
        self.handle
            .as_ref()
            .map(|h| h.state.clone())
            .unwrap_or(SessionState::SignedOut)
    }

    /// The signed-in user (in assisted mode: the resident being assisted).
    pub fn me(&self) -> Option<Rc<Me>> {
        match self.state() {
            SessionState::SignedIn(me) => Some(me),
            _ => None,
        }
    }

    pub fn is_loading(&self) -> bool {
        self.state() == SessionState::Loading
    }

    /// Whether the signed-in user holds any of `roles` (for showing navigation only: the
    /// server decides).
    pub fn has_any(&self, roles: &[Role]) -> bool {
        self.me()
            .is_some_and(|me| roles.iter().any(|r| me.has_role(*r)))
    }

    /// A callback that stores a new `Me`.
    pub fn signed_in(&self) -> Callback<Me> {
        let handle = self.handle.clone();
        Callback::from(move |me| {
            if let Some(handle) = &handle {
                handle.dispatch(SessionAction::SignedIn(Rc::new(me)));
            }
        })
    }

    /// A callback that forgets the session.
    pub fn signed_out(&self) -> Callback<()> {
        let handle = self.handle.clone();
        Callback::from(move |()| {
            if let Some(handle) = &handle {
                handle.dispatch(SessionAction::SignedOut);
            }
        })
    }

    /// The API client for this session (its CSRF token; a 401 signs out).
    pub fn api(&self) -> Api {
        let me = self.me();
        Api::new(
            me.as_deref().map(|m| m.csrf_token.as_str()),
            self.signed_out(),
        )
    }
}

/// The session of the app.
#[hook]
pub fn use_session() -> SessionHandle {
    SessionHandle {
        handle: use_context::<SessionContext>(),
    }
}

#[derive(Properties, PartialEq)]
pub struct SessionProviderProps {
    #[prop_or_default]
    pub children: Html,
}

/// Loads the session once and provides it to its children.
#[function_component(SessionProvider)]
pub fn session_provider(props: &SessionProviderProps) -> Html {
    let state = use_reducer(Session::default);
    {
        let state = state.clone();
        use_effect_with((), move |()| {
            crate::hooks::spawn(async move {
                match api::get_me().await {
                    Ok(me) => state.dispatch(SessionAction::SignedIn(Rc::new(me))),
                    Err(_) => state.dispatch(SessionAction::SignedOut),
                }
            });
        });
    }
    html! {
        <ContextProvider<SessionContext> context={state}>
            { props.children.clone() }
        </ContextProvider<SessionContext>>
    }
}

/// The query of the login page.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct LoginQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_to: Option<String>,
}

/// A path of this app that is safe to return to after login: it starts with one `/` (never
/// another site, `//host` or `/\host`) and is not the login page itself.
pub fn safe_return_path(raw: Option<&str>) -> Option<String> {
    let raw = raw?.trim();
    let ok = raw.starts_with('/')
        && !raw.starts_with("//")
        && !raw.starts_with("/\\")
        && !raw.chars().any(char::is_control);
    let path = raw.split(['?', '#']).next().unwrap_or_default();
    (ok && path != Route::Login.to_path()).then(|| raw.to_owned())
}

/// Percent-encodes a query value (everything but unreserved characters).
pub fn encode_query_value(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for byte in raw.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte));
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The address of the login page, with the way back when there is one.
pub fn login_href(return_to: Option<&str>) -> String {
    let login = Route::Login.to_path();
    match return_to {
        Some(path) => format!("{login}?return_to={}", encode_query_value(path)),
        None => login,
    }
}

/// The current path with its query, to come back to after login.
pub fn current_path() -> String {
    web_sys::window()
        .and_then(|w| {
            let location = w.location();
            Some(format!(
                "{}{}",
                location.pathname().ok()?,
                location.search().unwrap_or_default()
            ))
        })
        .unwrap_or_else(|| "/".to_owned())
}

#[derive(Properties, PartialEq)]
pub struct RequireLoginProps {
    #[prop_or_default]
    pub children: Html,
}

/// Shows its children to signed-in users; sends everyone else to the login page, with the way
/// back.
#[function_component(RequireLogin)]
pub fn require_login(props: &RequireLoginProps) -> Html {
    let session = use_session();
    let navigator = use_navigator();
    let state = session.state();
    let signed_out = state == SessionState::SignedOut;
    use_effect_with(signed_out, move |signed_out| {
        if *signed_out {
            if let Some(navigator) = navigator {
                let query = LoginQuery {
                    return_to: safe_return_path(Some(&current_path())),
                };
                let _ = navigator.replace_with_query(&Route::Login, &query);
            }
        }
    });
    match state {
        SessionState::SignedIn(_) => props.children.clone(),
        _ => html! { <Loading /> },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_returned_to() {
        assert_eq!(
            safe_return_path(Some("/registro?x=1")),
            Some("/registro?x=1".to_owned())
        );
        assert_eq!(
            safe_return_path(Some("/profilo")),
            Some("/profilo".to_owned())
        );
        assert_eq!(safe_return_path(Some("//evil.example")), None);
        assert_eq!(safe_return_path(Some("/\\evil.example")), None);
        assert_eq!(safe_return_path(Some("https://evil.example")), None);
        assert_eq!(safe_return_path(Some("/accedi?return_to=/x")), None);
        assert_eq!(safe_return_path(Some("/a\nb")), None);
        assert_eq!(safe_return_path(None), None);
    }

    #[test]
    fn login_links_carry_the_way_back_encoded() {
        assert_eq!(login_href(None), "/accedi");
        assert_eq!(
            login_href(Some("/registro?q=rossi mario")),
            "/accedi?return_to=%2Fregistro%3Fq%3Drossi%20mario"
        );
        assert_eq!(encode_query_value("è"), "%C3%A8");
    }

    #[test]
    fn signing_out_twice_keeps_the_state() {
        let out = Rc::new(Session {
            state: SessionState::SignedOut,
        });
        let same = out.clone().reduce(SessionAction::SignedOut);
        assert!(Rc::ptr_eq(&out, &same));
        let loading = Rc::new(Session::default());
        assert_eq!(
            loading.reduce(SessionAction::SignedOut).state,
            SessionState::SignedOut
        );
    }
}
