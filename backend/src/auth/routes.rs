//! HTTP handlers of login, sessions, the account and assisted mode. Thin: parse, call, map.

use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::{delete, get, post, put, web, HttpRequest, HttpResponse};
use chrono::Utc;
use cortile_shared::auth::{
    AssistRequest, EraseRequest, LoginOptions, LoginRequest, Me, SessionInfo,
};
use cortile_shared::Problem;
use serde::Deserialize;

use super::session::{ClientInfo, ABSOLUTE_TIMEOUT, SESSION_COOKIE};
use super::{account, client_ip, session_token, Actor};
use crate::config::Config;
use crate::error::AppResult;
use crate::http::{parse_id, AppState};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(login_options)
        .service(login)
        .service(logout)
        .service(get_me)
        .service(list_sessions)
        .service(revoke_other_sessions)
        .service(revoke_session)
        .service(export_my_data)
        .service(erase_my_account)
        .service(assist_candidates)
        .service(start_assist)
        .service(stop_assist)
        .service(get_profile)
        .service(put_profile)
        .service(oidc_start)
        .service(oidc_callback);
}

/// The session cookie: HttpOnly, SameSite=Lax, Secure on https sites, for 12 hours at most.
pub fn session_cookie(config: &Config, token: String) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(config.secure_cookies())
        .max_age(time::Duration::seconds(ABSOLUTE_TIMEOUT.num_seconds()))
        .finish()
}

/// A cookie that removes the session cookie.
pub fn expired_cookie(config: &Config) -> Cookie<'static> {
    let mut c = session_cookie(config, String::new());
    c.make_removal();
    c
}

pub fn client_info(req: &HttpRequest) -> ClientInfo {
    ClientInfo {
        user_agent: req
            .headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        ip: client_ip(req),
    }
}

/// How one can log in here.
#[utoipa::path(tag = "auth", responses((status = 200, body = LoginOptions)))]
#[get("/auth/options")]
pub async fn login_options(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(LoginOptions {
        local: true,
        oidc: state.config.oidc.is_some(),
        oidc_label: state.config.oidc.as_ref().map(|_| "SPID / CIE".to_owned()),
    })
}

/// Log in with a username and password. Sets the HttpOnly session cookie; the answer carries the
/// CSRF token for later writes.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = Me),
        (status = 401, description = "Wrong username or password", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A field is missing", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> AppResult<HttpResponse> {
    let LoginRequest { username, password } = body.into_inner();
    let old = session_token(&req);
    let client = client_info(&req);
    let now = Utc::now().naive_utc();
    let (token, me) = state
        .db
        .run(move |conn| {
            let (token, signed) =
                account::login(conn, &username, &password, old.as_deref(), &client, now)?;
            Ok((token, account::me(conn, &signed)?))
        })
        .await?;
    Ok(HttpResponse::Ok()
        .cookie(session_cookie(&state.config, token))
        .json(me))
}

/// Log out: ends this session and removes the cookie.
#[utoipa::path(tag = "auth", responses((status = 204, description = "Logged out")))]
#[post("/auth/logout")]
pub async fn logout(state: web::Data<AppState>, req: HttpRequest) -> AppResult<HttpResponse> {
    if let Some(token) = session_token(&req) {
        let now = Utc::now().naive_utc();
        let t = token.clone();
        let user = state
            .db
            .run(move |conn| {
                let user = super::session::load_live(conn, &t, now)?.map(|(_, u)| u.id);
                super::session::revoke_token(conn, &t, now)?;
                Ok(user)
            })
            .await?;
        // The session's sockets close (they find it ended when they re-read it).
        if let Some(user) = user {
            state.realtime.recheck_user(user);
        }
    }
    Ok(HttpResponse::NoContent()
        .cookie(expired_cookie(&state.config))
        .finish())
}

/// The signed-in user: roles, home according to the registry, the CSRF token, session expiry.
#[utoipa::path(
    tag = "auth",
    responses(
        (status = 200, body = Me),
        (status = 401, description = "Not logged in", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me")]
pub async fn get_me(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let signed = actor.require()?.clone();
    let me = state.db.run(move |conn| account::me(conn, &signed)).await?;
    Ok(HttpResponse::Ok().json(me))
}

/// My live sessions, newest first.
#[utoipa::path(tag = "auth", responses((status = 200, body = Vec<SessionInfo>)))]
#[get("/me/sessions")]
pub async fn list_sessions(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let now = Utc::now().naive_utc();
    let list = state
        .db
        .run(move |conn| account::sessions(conn, &actor, now))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// End one of my sessions (on another device).
#[utoipa::path(
    tag = "auth",
    params(("id" = i64, Path, description = "Session id")),
    responses(
        (status = 204, description = "Ended"),
        (status = 404, description = "Not one of my live sessions", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/me/sessions/{id}")]
pub async fn revoke_session(
    state: web::Data<AppState>,
    actor: Actor,
    id: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id, "id")?;
    let now = Utc::now().naive_utc();
    state
        .db
        .run(move |conn| account::revoke_session(conn, &actor, id, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// End all my sessions but this one.
#[utoipa::path(tag = "auth", responses((status = 204, description = "Ended")))]
#[delete("/me/sessions")]
pub async fn revoke_other_sessions(
    state: web::Data<AppState>,
    actor: Actor,
) -> AppResult<HttpResponse> {
    let now = Utc::now().naive_utc();
    state
        .db
        .run(move |conn| account::revoke_other_sessions(conn, &actor, now))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Download everything Cortile holds about me, as JSON.
#[utoipa::path(tag = "auth", responses((status = 200, description = "My data", body = Object)))]
#[get("/me/export")]
pub async fn export_my_data(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let now = Utc::now().naive_utc();
    let data = state
        .db
        .run(move |conn| account::export(conn, &actor, now))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"cortile-my-data.json\"",
        ))
        .json(data))
}

/// Erase my account. Needs `{"confirm": "CANCELLA"}`.
#[utoipa::path(
    tag = "auth",
    request_body = EraseRequest,
    responses(
        (status = 204, description = "Erased; logged out"),
        (status = 422, description = "Not confirmed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/me")]
pub async fn erase_my_account(
    state: web::Data<AppState>,
    actor: Actor,
    body: web::Json<EraseRequest>,
) -> AppResult<HttpResponse> {
    let now = Utc::now().naive_utc();
    let confirm = body.into_inner().confirm;
    let me = actor.principal().map(|p| p.id.0);
    state
        .db
        .run(move |conn| account::erase(conn, &actor, &confirm, now))
        .await?;
    // Their open sockets close (their sessions are gone).
    if let Some(me) = me {
        state.realtime.recheck_user(me);
    }
    Ok(HttpResponse::NoContent()
        .cookie(expired_cookie(&state.config))
        .finish())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CandidateQuery {
    /// A fiscal code, or part of a name (at least 3 characters).
    pub q: String,
}

/// Operators: find a resident to assist, by fiscal code or name.
#[utoipa::path(tag = "auth", params(CandidateQuery), responses((status = 200, body = Vec<cortile_shared::tenancy::PersonHit>)))]
#[get("/assist/candidates")]
pub async fn assist_candidates(
    state: web::Data<AppState>,
    actor: Actor,
    query: web::Query<CandidateQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner().q;
    let list = state
        .db
        .run(move |conn| account::assist_candidates(conn, &actor, &q))
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Operators: start acting for a resident. Every later request of this session acts as them,
/// and every act records both.
#[utoipa::path(tag = "auth", request_body = AssistRequest, responses((status = 200, body = Me)))]
#[post("/assist")]
pub async fn start_assist(
    state: web::Data<AppState>,
    req: HttpRequest,
    actor: Actor,
    body: web::Json<AssistRequest>,
) -> AppResult<HttpResponse> {
    let AssistRequest { user_id, purpose } = body.into_inner();
    let token = session_token(&req);
    let now = Utc::now().naive_utc();
    let me = state
        .db
        .run(move |conn| {
            account::start_assist(conn, &actor, user_id.0, &purpose, now)?;
            reload_me(conn, token.as_deref(), now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(me))
}

/// Operators: stop acting for the resident.
#[utoipa::path(tag = "auth", responses((status = 200, body = Me)))]
#[delete("/assist")]
pub async fn stop_assist(
    state: web::Data<AppState>,
    req: HttpRequest,
    actor: Actor,
) -> AppResult<HttpResponse> {
    let token = session_token(&req);
    let now = Utc::now().naive_utc();
    let me = state
        .db
        .run(move |conn| {
            account::stop_assist(conn, &actor, now)?;
            reload_me(conn, token.as_deref(), now)
        })
        .await?;
    Ok(HttpResponse::Ok().json(me))
}

fn reload_me(
    conn: &mut crate::db::DbConn,
    token: Option<&str>,
    now: chrono::NaiveDateTime,
) -> AppResult<Me> {
    let signed = token
        .map(|t| super::resolve_session(conn, t, now))
        .transpose()?
        .flatten()
        .ok_or_else(|| crate::error::AppError::new(cortile_shared::ErrorCode::Unauthenticated))?;
    account::me(conn, &signed)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OidcStartQuery {
    /// A path of this site to return to after login (default `/profilo`).
    pub return_to: Option<String>,
}

/// The discovered OpenID provider, or 404 when OpenID Connect is not configured.
async fn oidc_client(state: &AppState) -> AppResult<super::oidc::OidcClient> {
    let config = state.config.oidc.as_ref().ok_or_else(|| {
        crate::error::AppError::not_found("OpenID Connect login is not configured on this server")
    })?;
    state
        .oidc
        .get_or_try_init(|| super::oidc::OidcClient::discover(config))
        .await
        .cloned()
        .map_err(|e| {
            crate::error::AppError::unavailable(anyhow::anyhow!("{e}"))
                .with_detail("the identity provider cannot be reached right now; try again shortly")
        })
}

/// Starts an OpenID Connect (SPID/CIE) login: redirects the browser to the provider.
#[utoipa::path(
    tag = "auth",
    params(OidcStartQuery),
    responses(
        (status = 302, description = "To the identity provider"),
        (status = 404, description = "OpenID Connect is not configured", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The provider cannot be reached", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/auth/oidc/start")]
pub async fn oidc_start(
    state: web::Data<AppState>,
    query: web::Query<OidcStartQuery>,
) -> AppResult<HttpResponse> {
    let client = oidc_client(&state).await?;
    let return_to = account::safe_return_to(query.into_inner().return_to.as_deref());
    let (url, pending) = client.authorize_url();
    let now = Utc::now().naive_utc();
    state
        .db
        .run(move |conn| account::store_pending_oidc(conn, &pending, &return_to, now))
        .await?;
    Ok(HttpResponse::Found()
        .insert_header((actix_web::http::header::LOCATION, url))
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .finish())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OidcCallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    /// Set by the provider when the login failed or was cancelled.
    pub error: Option<String>,
}

/// Redirects to the login page with a reason the page explains.
fn back_to_login(reason: &str) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/accedi?errore={reason}"),
        ))
        .finish()
}

/// Where the provider sends the browser back: checks state, exchanges the code (PKCE), validates
/// the ID token, links or creates the account, opens a session and goes on to `return_to`.
/// Failures go back to the login page with `?errore=` `oidc_cancelled`, `oidc_expired` or
/// `oidc_failed`.
#[utoipa::path(
    tag = "auth",
    params(OidcCallbackQuery),
    responses((status = 302, description = "Logged in (to return_to), or back to the login page"))
)]
#[get("/auth/oidc/callback")]
pub async fn oidc_callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<OidcCallbackQuery>,
) -> AppResult<HttpResponse> {
    let OidcCallbackQuery {
        code,
        state: returned_state,
        error,
    } = query.into_inner();
    let client = oidc_client(&state).await?;
    let now = Utc::now().naive_utc();
    let Some(returned_state) = returned_state.filter(|s| !s.is_empty() && s.len() <= 512) else {
        return Ok(back_to_login("oidc_failed"));
    };
    let taken = {
        let returned_state = returned_state.clone();
        state
            .db
            .run(move |conn| account::take_pending_oidc(conn, &returned_state, now))
            .await?
    };
    let Some((pending, return_to)) = taken else {
        return Ok(back_to_login("oidc_expired"));
    };
    if error.is_some() {
        return Ok(back_to_login("oidc_cancelled"));
    }
    let Some(code) = code else {
        return Ok(back_to_login("oidc_failed"));
    };
    let identity = match client.exchange(&code, &returned_state, &pending).await {
        Ok(identity) => identity,
        Err(e) => {
            tracing::warn!(error = %e, "OpenID Connect login failed");
            return Ok(back_to_login("oidc_failed"));
        }
    };
    let old = session_token(&req);
    let info = client_info(&req);
    let (token, _) = state
        .db
        .run(move |conn| account::oidc_login(conn, &identity, old.as_deref(), &info, now))
        .await?;
    Ok(HttpResponse::Found()
        .cookie(session_cookie(&state.config, token))
        .insert_header((actix_web::http::header::LOCATION, return_to))
        .finish())
}

/// My profile: interests, languages, accessibility needs (targeting reads it; authors never).
#[utoipa::path(tag = "auth", responses((status = 200, body = cortile_shared::profile::Profile)))]
#[get("/me/profile")]
pub async fn get_profile(state: web::Data<AppState>, actor: Actor) -> AppResult<HttpResponse> {
    let p = state
        .db
        .run(move |conn| account::profile(conn, &actor))
        .await?;
    Ok(HttpResponse::Ok().json(p))
}

/// Save my profile.
#[utoipa::path(
    tag = "auth",
    request_body = cortile_shared::profile::Profile,
    responses(
        (status = 200, body = cortile_shared::profile::Profile),
        (status = 422, description = "Unknown codes", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/me/profile")]
pub async fn put_profile(
    state: web::Data<AppState>,
    actor: Actor,
    body: web::Json<cortile_shared::profile::Profile>,
) -> AppResult<HttpResponse> {
    let p = body.into_inner();
    let now = Utc::now().naive_utc();
    let saved = state
        .db
        .run(move |conn| account::set_profile(conn, &actor, &p, now))
        .await?;
    Ok(HttpResponse::Ok().json(saved))
}
