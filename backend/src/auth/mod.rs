//! Who is acting: sessions, local and OpenID Connect login, and the one permission check.
//!
//! Every request resolves an [`Actor`] (the [`FromRequest`] extractor below): anonymous, or a
//! signed-in user with their grants. In assisted mode an operator's session acts for a resident:
//! the actor's [`Principal`] is then the resident (the operator's own powers do not apply) and
//! [`Actor::operator`] names the operator, so that every act records both.
//!
//! Grants come from two places: roles granted by hand (`role_grants`), and what the tenant
//! registry says about the user's verified fiscal code — a current member of an active household
//! is a resident of that estate and building; a person with a housing application is an
//! applicant. Registry-derived access is computed at each request, so a person who leaves the
//! registry loses it at once, while their account stays.
//!
//! Decisions are taken only by [`policy::authorize`].

pub mod account;
pub mod csrf;
pub mod oidc;
pub mod password;
pub mod policy;
pub mod ratelimit;
pub mod routes;
pub mod session;
pub mod store;

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};
use chrono::{NaiveDateTime, Utc};
use cortile_shared::auth::{GrantSource, Residence, Role, Scope};
use cortile_shared::UserId;

use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::http::request_id::RequestId;
use crate::http::AppState;

/// One role in one scope, and why the user holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantEntry {
    pub role: Role,
    pub scope: Scope,
    pub source: GrantSource,
}

/// A signed-in user and everything the permission check needs to know about them.
#[derive(Debug, Clone)]
pub struct Principal {
    pub id: UserId,
    pub display_name: String,
    pub username: Option<String>,
    pub fiscal_code: Option<String>,
    pub grants: Vec<GrantEntry>,
    pub residence: Option<Residence>,
}

impl Principal {
    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }
}

/// The session a signed-in request came with.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session_id: i64,
    pub csrf_token: String,
    /// Whose rights apply: the user, or in assisted mode the resident.
    pub principal: Principal,
    /// In assisted mode: the operator at the keyboard.
    pub operator: Option<Principal>,
    pub assist_purpose: Option<String>,
    pub idle_expires_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// Who is making a request.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub signed_in: Option<Box<SignedIn>>,
    pub request_id: Option<String>,
    pub ip: Option<String>,
}

impl Actor {
    pub fn anonymous() -> Actor {
        Actor::default()
    }

    /// The signed-in session, or 401.
    pub fn require(&self) -> AppResult<&SignedIn> {
        self.signed_in.as_deref().ok_or_else(|| {
            AppError::new(cortile_shared::ErrorCode::Unauthenticated)
                .with_detail("log in first (or your session has expired)")
        })
    }

    /// The principal (whose rights apply), when signed in.
    pub fn principal(&self) -> Option<&Principal> {
        self.signed_in.as_deref().map(|s| &s.principal)
    }

    /// The operator acting for the principal, in assisted mode.
    pub fn operator(&self) -> Option<&Principal> {
        self.signed_in.as_deref().and_then(|s| s.operator.as_ref())
    }

    /// The user at the keyboard: the operator in assisted mode, else the principal.
    pub fn keyboard_user(&self) -> Option<&Principal> {
        self.operator().or_else(|| self.principal())
    }
}

/// Loads a user as a principal: their granted roles plus what the registry gives them.
/// `None` when the account does not exist, is disabled or was erased.
pub fn load_principal(conn: &mut DbConn, user_id: i64) -> AppResult<Option<Principal>> {
    match store::get_user(conn, user_id)? {
        Some(user) => principal_of(conn, user),
        None => Ok(None),
    }
}

/// A user's row made a principal (`None` when disabled or erased).
fn principal_of(conn: &mut DbConn, user: store::UserRow) -> AppResult<Option<Principal>> {
    if !user.is_active() {
        return Ok(None);
    }
    let mut grants: Vec<GrantEntry> = store::granted_roles(conn, user.id)?
        .into_iter()
        .filter(|(role, _)| !matches!(role, Role::Resident | Role::Applicant))
        .map(|(role, scope)| GrantEntry {
            role,
            scope,
            source: GrantSource::Granted,
        })
        .collect();
    let mut residence = None;
    if let Some(code) = &user.fiscal_code {
        residence = store::residence_of(conn, code)?;
        if let Some(r) = &residence {
            for scope in [
                Scope::Estate(r.home.estate_id),
                Scope::Building(r.home.building_id),
            ] {
                grants.push(GrantEntry {
                    role: Role::Resident,
                    scope,
                    source: GrantSource::Registry,
                });
            }
        }
        if store::has_application(conn, code)? {
            grants.push(GrantEntry {
                role: Role::Applicant,
                scope: Scope::Global,
                source: GrantSource::Registry,
            });
        }
    }
    Ok(Some(Principal {
        id: UserId(user.id),
        display_name: user.display_name,
        username: user.username,
        fiscal_code: user.fiscal_code,
        grants,
        residence,
    }))
}

/// Resolves the session token of a request into a signed-in actor, if it names a live session
/// of an active user.
pub fn resolve_session(
    conn: &mut DbConn,
    token: &str,
    now: NaiveDateTime,
) -> AppResult<Option<SignedIn>> {
    let Some((row, user)) = session::load_live(conn, token, now)? else {
        return Ok(None);
    };
    let Some(user) = principal_of(conn, user)? else {
        return Ok(None);
    };
    let (principal, operator) = match row.assisted_user_id {
        Some(resident_id) => match load_principal(conn, resident_id)? {
            // The operator acts with the rights the registry gives the resident (resident,
            // applicant), never with roles granted to that account: assisting the account of
            // a member of staff must not make an operator staff.
            Some(mut resident) => {
                resident
                    .grants
                    .retain(|g| g.source == GrantSource::Registry);
                (resident, Some(user))
            }
            // The resident's account went away: the operator is back to themselves.
            None => (user, None),
        },
        None => (user, None),
    };
    Ok(Some(SignedIn {
        session_id: row.id,
        csrf_token: session::csrf_token(token),
        assist_purpose: operator.as_ref().and(row.assist_purpose.clone()),
        principal,
        operator,
        idle_expires_at: row.idle_expires_at(),
        expires_at: row.expires_at,
    }))
}

/// The session token the request carries, if any.
pub fn session_token(req: &HttpRequest) -> Option<String> {
    req.cookie(session::SESSION_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// The client's address as the server saw it (not from forwarding headers, which anyone can
/// write).
pub fn client_ip(req: &HttpRequest) -> Option<String> {
    req.peer_addr().map(|a| a.ip().to_string())
}

impl FromRequest for Actor {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Actor, AppError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = session_token(req);
        let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
        let ip = client_ip(req);
        Box::pin(async move {
            let mut actor = Actor {
                signed_in: None,
                request_id,
                ip,
            };
            let (Some(state), Some(token)) = (state, token) else {
                return Ok(actor);
            };
            let now = Utc::now().naive_utc();
            actor.signed_in = state
                .db
                .run(move |conn| resolve_session(conn, &token, now))
                .await?
                .map(Box::new);
            Ok(actor)
        })
    }
}
