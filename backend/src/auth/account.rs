//! What a signed-in person does with their own account: see it (`/me`), log in and out, list and
//! revoke sessions, download their data, erase their account; and assisted mode for operators.

use chrono::{DateTime, NaiveDateTime, Utc};
use cortile_shared::auth::{
    Assisting, Grant, LoginMethod, Me, SessionInfo, UserRef, ERASE_CONFIRMATION,
};
use cortile_shared::tenancy::{PersonHit, MAX_TEXT_LEN, MIN_PURPOSE_LEN};
use cortile_shared::{ErrorCode, SessionId, UserId};
use diesel::prelude::*;
use serde_json::json;

use super::policy::{authorize, Action, Reach};
use super::session::{self, ClientInfo};
use super::{password, ratelimit, store, Actor, SignedIn};
use crate::audit::{self, Object};
use crate::db::schema::{
    audit_log, buildings, comments, household_members, households, identities, persons, posts,
    role_grants, sessions, units, uploads, users,
};
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult};

pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::<Utc>::from_naive_utc_and_offset(t, Utc)
}

/// `GET /me`: the principal with readable grants.
pub fn me(conn: &mut DbConn, signed: &SignedIn) -> AppResult<Me> {
    let p = &signed.principal;
    let mut grants = Vec::with_capacity(p.grants.len());
    for g in &p.grants {
        grants.push(Grant {
            role: g.role,
            scope: g.scope,
            source: g.source,
            scope_name: store::scope_name(conn, g.scope)?,
        });
    }
    let assisting = signed.operator.as_ref().map(|op| Assisting {
        operator: UserRef {
            id: op.id,
            display_name: op.display_name.clone(),
        },
        resident: UserRef {
            id: p.id,
            display_name: p.display_name.clone(),
        },
        purpose: signed.assist_purpose.clone().unwrap_or_default(),
    });
    Ok(Me {
        id: p.id,
        display_name: p.display_name.clone(),
        username: p.username.clone(),
        fiscal_code: p.fiscal_code.clone(),
        grants,
        residence: p.residence.clone(),
        assisting,
        csrf_token: signed.csrf_token.clone(),
        session: SessionId(signed.session_id),
        idle_expires_at: utc(signed.idle_expires_at),
        expires_at: utc(signed.expires_at),
    })
}

/// Checks a username and password and opens a session. Returns the session token and the
/// signed-in user. Failures are counted for rate limiting, whatever the reason.
pub fn login(
    conn: &mut DbConn,
    username: &str,
    password_given: &str,
    old_token: Option<&str>,
    client: &ClientInfo,
    now: NaiveDateTime,
) -> AppResult<(String, SignedIn)> {
    let username = username.trim().to_lowercase();
    let mut missing = Vec::new();
    if username.is_empty() {
        missing.push(cortile_shared::FieldError::new(
            "username",
            "required",
            "enter your username",
        ));
    }
    if password_given.is_empty() {
        missing.push(cortile_shared::FieldError::new(
            "password",
            "required",
            "enter your password",
        ));
    }
    if !missing.is_empty() {
        return Err(AppError::validation(missing));
    }
    let ip = client.ip.clone().unwrap_or_else(|| "unknown".into());
    if let Some(seconds) = ratelimit::retry_after(conn, &username, &ip, now)? {
        return Err(AppError::rate_limited(u64::try_from(seconds).unwrap_or(60)));
    }
    let user = store::find_by_username(conn, &username)?;
    let ok = match &user {
        Some(u) if u.is_active() => match &u.password_hash {
            Some(phc) => password::verify(password_given, phc),
            None => {
                password::verify_dummy(password_given);
                false
            }
        },
        _ => {
            password::verify_dummy(password_given);
            false
        }
    };
    ratelimit::record(conn, &username, &ip, ok, now)?;
    let user = match (ok, user) {
        (true, Some(user)) => user,
        _ => {
            return Err(AppError::new(ErrorCode::InvalidCredentials)
                .with_detail("the username or the password is wrong"))
        }
    };
    open_session(conn, user.id, LoginMethod::Local, old_token, client, now)
}

/// Opens a new session for a user who has proved who they are, revoking the session the
/// browser came with (a new id at every login).
pub fn open_session(
    conn: &mut DbConn,
    user_id: i64,
    method: LoginMethod,
    old_token: Option<&str>,
    client: &ClientInfo,
    now: NaiveDateTime,
) -> AppResult<(String, SignedIn)> {
    if let Some(old) = old_token {
        session::revoke_token(conn, old, now)?;
    }
    let method = match method {
        LoginMethod::Local => "local",
        LoginMethod::Oidc => "oidc",
    };
    let (_, token) = session::create(conn, user_id, method, client, now)?;
    let signed = super::resolve_session(conn, &token, now)?.ok_or_else(|| {
        AppError::new(ErrorCode::InvalidCredentials).with_detail("this account cannot log in")
    })?;
    Ok((token, signed))
}

/// The live sessions of the user at the keyboard.
pub fn sessions(
    conn: &mut DbConn,
    actor: &Actor,
    now: NaiveDateTime,
) -> AppResult<Vec<SessionInfo>> {
    let signed = actor.require()?;
    let me = actor.keyboard_user().map(|u| u.id.0).unwrap_or_default();
    Ok(session::list_live(conn, me, now)?
        .into_iter()
        .map(|s| SessionInfo {
            id: SessionId(s.id),
            method: if s.method == "oidc" {
                LoginMethod::Oidc
            } else {
                LoginMethod::Local
            },
            created_at: utc(s.created_at),
            last_seen_at: utc(s.last_seen_at),
            expires_at: utc(s.expires_at),
            user_agent: s.user_agent,
            ip: s.ip,
            current: s.id == signed.session_id,
        })
        .collect())
}

/// Revokes one of the keyboard user's sessions; 404 if it is not theirs.
pub fn revoke_session(
    conn: &mut DbConn,
    actor: &Actor,
    session_id: i64,
    now: NaiveDateTime,
) -> AppResult<()> {
    actor.require()?;
    let me = actor.keyboard_user().map(|u| u.id.0).unwrap_or_default();
    if session::revoke_own(conn, me, session_id, now)? {
        Ok(())
    } else {
        Err(AppError::not_found(format!(
            "session {session_id} does not exist"
        )))
    }
}

/// Revokes every other session of the keyboard user.
pub fn revoke_other_sessions(
    conn: &mut DbConn,
    actor: &Actor,
    now: NaiveDateTime,
) -> AppResult<usize> {
    let signed = actor.require()?;
    let me = actor.keyboard_user().map(|u| u.id.0).unwrap_or_default();
    session::revoke_all_of(conn, me, Some(signed.session_id), now)
}

/// Everything Cortile holds about the principal, as one JSON document (GDPR art. 15 and 20).
/// Never other people's personal data: the household is described by its home, not its members.
pub fn export(
    conn: &mut DbConn,
    actor: &Actor,
    now: NaiveDateTime,
) -> AppResult<serde_json::Value> {
    authorize(actor, &Action::OwnAccount)?;
    let signed = actor.require()?;
    let me_id = signed.principal.id.0;
    let user = store::get_user(conn, me_id)?.ok_or_else(|| AppError::not_found("no account"))?;
    let ids: Vec<serde_json::Value> = identities::table
        .filter(identities::user_id.eq(me_id))
        .select((
            identities::issuer,
            identities::subject,
            identities::created_at,
            identities::last_login_at,
        ))
        .load::<(String, String, NaiveDateTime, Option<NaiveDateTime>)>(conn)?
        .into_iter()
        .map(|(issuer, subject, created, last)| {
            json!({"issuer": issuer, "subject": subject, "created_at": utc(created),
                   "last_login_at": last.map(utc)})
        })
        .collect();
    let grants: Vec<serde_json::Value> = role_grants::table
        .filter(role_grants::user_id.eq(me_id))
        .select((
            role_grants::role,
            role_grants::scope_kind,
            role_grants::scope_id,
            role_grants::created_at,
            role_grants::revoked_at,
        ))
        .load::<(
            String,
            String,
            Option<i64>,
            NaiveDateTime,
            Option<NaiveDateTime>,
        )>(conn)?
        .into_iter()
        .map(|(role, kind, id, created, revoked)| {
            json!({"role": role, "scope": kind, "scope_id": id, "granted_at": utc(created),
                   "revoked_at": revoked.map(utc)})
        })
        .collect();
    let session_rows: Vec<serde_json::Value> = sessions::table
        .filter(sessions::user_id.eq(me_id))
        .order(sessions::id)
        .select((
            sessions::method,
            sessions::created_at,
            sessions::last_seen_at,
            sessions::user_agent,
            sessions::ip,
        ))
        .load::<(
            String,
            NaiveDateTime,
            NaiveDateTime,
            Option<String>,
            Option<String>,
        )>(conn)?
        .into_iter()
        .map(|(method, created, seen, ua, ip)| {
            json!({"method": method, "created_at": utc(created), "last_seen_at": utc(seen),
                   "user_agent": ua, "ip": ip})
        })
        .collect();
    let mut registry = serde_json::Value::Null;
    let mut applications = Vec::new();
    if let Some(code) = &user.fiscal_code {
        #[allow(clippy::type_complexity)]
        let person: Option<(
            i64,
            String,
            String,
            String,
            chrono::NaiveDate,
            Option<String>,
            Option<String>,
        )> = persons::table
            .filter(persons::fiscal_code.eq(code))
            .select((
                persons::id,
                persons::fiscal_code,
                persons::surname,
                persons::given_name,
                persons::birth_date,
                persons::phone,
                persons::email,
            ))
            .first(conn)
            .optional()?;
        if let Some((pid, fc, surname, given, birth, phone, email)) = person {
            let homes: Vec<serde_json::Value> = household_members::table
                .inner_join(households::table.inner_join(units::table.inner_join(buildings::table)))
                .filter(household_members::person_id.eq(pid))
                .order(household_members::id)
                .select((
                    households::contract_code,
                    buildings::address,
                    units::code,
                    household_members::role,
                    household_members::started_at,
                    household_members::ended_at,
                ))
                .load::<(
                    String,
                    String,
                    String,
                    String,
                    NaiveDateTime,
                    Option<NaiveDateTime>,
                )>(conn)?
                .into_iter()
                .map(|(contract, address, unit, role, start, end)| {
                    json!({"contract_code": contract, "address": address, "unit": unit,
                           "role": role, "since": utc(start), "until": end.map(utc)})
                })
                .collect();
            registry = json!({
                "fiscal_code": fc, "surname": surname, "given_name": given,
                "birth_date": birth, "phone": phone, "email": email, "households": homes,
            });
        }
        applications = crate::tenancy::applications_of(conn, code)?
            .into_iter()
            .map(|a| serde_json::to_value(a).unwrap_or_default())
            .collect();
    }
    // Acts by this person, and acts by others on their behalf or on their household's file:
    // when and why, not by whom (staff names are not the data subject's data).
    let acts: Vec<serde_json::Value> = audit_log::table
        .filter(
            audit_log::actor_user_id
                .eq(me_id)
                .or(audit_log::on_behalf_of_user_id.eq(me_id)),
        )
        .order(audit_log::id)
        .select((
            audit_log::at,
            audit_log::action,
            audit_log::object_kind,
            audit_log::object_id,
            audit_log::purpose,
            audit_log::on_behalf_of_user_id,
        ))
        .load::<(
            NaiveDateTime,
            String,
            Option<String>,
            Option<i64>,
            Option<String>,
            Option<i64>,
        )>(conn)?
        .into_iter()
        .map(|(at, action, kind, id, purpose, behalf)| {
            json!({"at": utc(at), "action": action, "object_kind": kind, "object_id": id,
                   "purpose": purpose, "by_operator_for_you": behalf == Some(me_id)})
        })
        .collect();
    let file_openings: Vec<serde_json::Value> = match &signed.principal.residence {
        Some(r) => audit_log::table
            .filter(audit_log::action.eq("tenant_file.open"))
            .filter(audit_log::object_kind.eq("household"))
            .filter(audit_log::object_id.eq(r.household_id.0))
            .order(audit_log::id)
            .select((audit_log::at, audit_log::purpose))
            .load::<(NaiveDateTime, Option<String>)>(conn)?
            .into_iter()
            .map(|(at, purpose)| json!({"at": utc(at), "purpose": purpose}))
            .collect(),
        None => Vec::new(),
    };
    audit::record(
        conn,
        actor,
        "account.export",
        Some(Object {
            kind: "user",
            id: me_id,
        }),
        None,
        json!({}),
        now,
    )?;
    let my_profile = crate::communities::targeting::profiles_of(conn, &[me_id])?.remove(&me_id);
    let content = my_content(conn, me_id)?;
    let notification_settings = crate::notifications::settings_of(conn, me_id)?;
    let maintenance = crate::maintenance::reports::export_of(conn, me_id)?;
    let chat = crate::chat::export_of(conn, me_id)?;
    Ok(json!({
        "generated_at": utc(now),
        "profile": my_profile,
        "account": {
            "id": user.id, "username": user.username, "display_name": user.display_name,
            "fiscal_code": user.fiscal_code, "locale": user.locale,
            "created_at": utc(user.created_at), "has_password": user.password_hash.is_some(),
        },
        "identities": ids,
        "roles_granted": grants,
        "sessions": session_rows,
        "registry": registry,
        "applications": applications,
        "activity": acts,
        "tenant_file_openings": file_openings,
        "notification_settings": notification_settings,
        "posts": content.0,
        "comments": content.1,
        "photos": content.2,
        "maintenance": maintenance,
        "chat": chat,
    }))
}

/// What the person wrote and uploaded: their posts and comments (as they wrote them) and their
/// photos (where to download each).
#[allow(clippy::type_complexity)]
fn my_content(
    conn: &mut DbConn,
    me: i64,
) -> AppResult<(
    Vec<serde_json::Value>,
    Vec<serde_json::Value>,
    Vec<serde_json::Value>,
)> {
    let posts_: Vec<serde_json::Value> = posts::table
        .filter(posts::author_id.eq(me))
        .order(posts::id)
        .select((
            posts::id,
            posts::community_id,
            posts::title,
            posts::body_md,
            posts::created_at,
            posts::removed_at,
        ))
        .load::<(
            i64,
            i64,
            String,
            String,
            NaiveDateTime,
            Option<NaiveDateTime>,
        )>(conn)?
        .into_iter()
        .map(|(id, community, title, body, at, removed)| {
            json!({"id": id, "community_id": community, "title": title, "body": body,
                   "created_at": utc(at), "removed_at": removed.map(utc)})
        })
        .collect();
    let comments_: Vec<serde_json::Value> = comments::table
        .filter(comments::author_id.eq(me))
        .order(comments::id)
        .select((
            comments::id,
            comments::post_id,
            comments::body_md,
            comments::created_at,
        ))
        .load::<(i64, i64, String, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(id, post, body, at)| {
            json!({"id": id, "post_id": post, "body": body, "created_at": utc(at)})
        })
        .collect();
    let photos: Vec<serde_json::Value> = uploads::table
        .filter(uploads::owner_id.eq(me))
        .filter(uploads::deleted_at.is_null())
        .order(uploads::id)
        .select((
            uploads::token,
            uploads::mime,
            uploads::byte_size,
            uploads::created_at,
        ))
        .load::<(String, String, i64, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(token, mime, bytes, at)| {
            json!({"url": cortile_shared::upload::upload_url(&cortile_shared::upload::UploadToken(token)), "mime": mime, "bytes": bytes,
                   "created_at": utc(at)})
        })
        .collect();
    Ok((posts_, comments_, photos))
}

/// Erases the principal's account (GDPR art. 17): identities and sessions removed, grants
/// revoked, name, username, password and fiscal code wiped; the row stays so that content and
/// audit records point at a pseudonym. The registry itself belongs to the housing manager and
/// is not changed. Chat messages stay under the pseudonym (as posts do); chat memberships,
/// blocks and read markers are removed ([`crate::chat::erase_person`]); own listings close and
/// organisations are left ([`crate::market::erase_person`]).
pub fn erase(conn: &mut DbConn, actor: &Actor, confirm: &str, now: NaiveDateTime) -> AppResult<()> {
    authorize(actor, &Action::OwnAccount)?;
    if actor.operator().is_some() {
        return Err(AppError::new(ErrorCode::Forbidden)
            .with_detail("an account can only be erased by its owner, not in assisted mode"));
    }
    if confirm.trim() != ERASE_CONFIRMATION {
        return Err(AppError::invalid(
            "confirm",
            "confirmation_required",
            format!("type {ERASE_CONFIRMATION} to confirm"),
        ));
    }
    let me_id = actor.require()?.principal.id.0;
    write_tx(conn, |conn| {
        audit::record(
            conn,
            actor,
            "account.erase",
            Some(Object {
                kind: "user",
                id: me_id,
            }),
            None,
            json!({}),
            now,
        )?;
        diesel::delete(identities::table.filter(identities::user_id.eq(me_id))).execute(conn)?;
        session::revoke_all_of(conn, me_id, None, now)?;
        // Images not attached to anything are private drafts: gone with the account.
        crate::uploads::erase_unattached(conn, me_id, now)?;
        diesel::update(
            role_grants::table
                .filter(role_grants::user_id.eq(me_id))
                .filter(role_grants::revoked_at.is_null()),
        )
        .set(role_grants::revoked_at.eq(now))
        .execute(conn)?;
        let pseudonym = format!("Utente rimosso #{me_id}");
        // Chat: messages stay, under the pseudonym; memberships, blocks, read markers go.
        crate::chat::erase_person(conn, me_id, &pseudonym)?;
        // Market: own listings close, organisations are left, exchanges not yet done cancelled.
        crate::market::erase_person(conn, me_id, &pseudonym, now)?;
        diesel::update(users::table.find(me_id))
            .set((
                users::username.eq(None::<String>),
                users::display_name.eq(&pseudonym),
                users::password_hash.eq(None::<String>),
                users::fiscal_code.eq(None::<String>),
                users::disabled.eq(true),
                users::erased_at.eq(now),
                users::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Checks a purpose or reason typed by a person.
pub fn check_text(field: &str, raw: &str, min: usize) -> AppResult<String> {
    let text = raw.trim();
    let n = text.chars().count();
    if n < min {
        return Err(AppError::invalid(
            field,
            "too_short",
            format!("{field} must have at least {min} characters"),
        ));
    }
    if n > MAX_TEXT_LEN {
        return Err(AppError::invalid(
            field,
            "too_long",
            format!("{field} must have at most {MAX_TEXT_LEN} characters"),
        ));
    }
    Ok(text.to_owned())
}

/// Residents an operator may act for (accounts linked to the registry), found by fiscal code
/// or by name (at most 20).
pub fn assist_candidates(conn: &mut DbConn, actor: &Actor, q: &str) -> AppResult<Vec<PersonHit>> {
    authorize(actor, &Action::Assist)?;
    let (code, q) = crate::tenancy::search_terms(q)?;
    let mut hits: Vec<PersonHit> =
        crate::tenancy::search_persons(conn, code.as_deref(), &q, &Reach::All, 500)?
            .into_iter()
            .filter(|hit| hit.user_id.is_some())
            .take(20)
            .collect();
    // Applicants have an account and a fiscal code but are not (yet) in the registry.
    for user in store::find_linked_users(conn, code.as_deref(), &q, 20)? {
        if hits.len() >= 20 || hits.iter().any(|h| h.user_id == Some(UserId(user.id))) {
            continue;
        }
        let (given_name, surname) = match user.display_name.split_once(' ') {
            Some((g, s)) => (g.to_owned(), s.to_owned()),
            None => (user.display_name.clone(), String::new()),
        };
        hits.push(PersonHit {
            person_id: cortile_shared::PersonId(0),
            surname,
            given_name,
            fiscal_code: user.fiscal_code,
            birth_date: None,
            household_id: None,
            home: None,
            user_id: Some(UserId(user.id)),
        });
    }
    Ok(hits)
}

/// An operator starts acting for a resident: recorded, with its purpose, in the audit log.
pub fn start_assist(
    conn: &mut DbConn,
    actor: &Actor,
    user_id: i64,
    purpose: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    authorize(actor, &Action::Assist)?;
    let purpose = check_text("purpose", purpose, MIN_PURPOSE_LEN)?;
    let signed = actor.require()?;
    if user_id == signed.principal.id.0 {
        return Err(AppError::invalid(
            "user_id",
            "self",
            "you cannot assist yourself",
        ));
    }
    // Only residents and applicants (accounts linked to the registry) can be assisted.
    let target = super::load_principal(conn, user_id)?
        .filter(|p| p.fiscal_code.is_some())
        .ok_or_else(|| AppError::not_found(format!("user {user_id} does not exist")))?;
    write_tx(conn, |conn| {
        session::set_assisting(conn, signed.session_id, Some((target.id.0, &purpose)))?;
        audit::record(
            conn,
            actor,
            "assist.start",
            Some(Object {
                kind: "user",
                id: target.id.0,
            }),
            Some(&purpose),
            json!({"resident": target.display_name}),
            now,
        )?;
        Ok(())
    })
}

/// The operator stops acting for the resident.
pub fn stop_assist(conn: &mut DbConn, actor: &Actor, now: NaiveDateTime) -> AppResult<()> {
    let signed = actor.require()?;
    if signed.operator.is_none() {
        return Err(AppError::new(ErrorCode::Conflict).with_detail("you are not assisting anyone"));
    }
    write_tx(conn, |conn| {
        audit::record(
            conn,
            actor,
            "assist.stop",
            Some(Object {
                kind: "user",
                id: signed.principal.id.0,
            }),
            None,
            json!({}),
            now,
        )?;
        session::set_assisting(conn, signed.session_id, None)?;
        Ok(())
    })
}

/// An account to create from the command line (`cortile user create`).
#[derive(Debug, Clone)]
pub struct AccountSpec {
    pub username: String,
    pub display_name: Option<String>,
    pub role: String,
    /// `global` (default), `estate:CODE` or `building:CODE` (registry codes).
    pub scope: Option<String>,
    pub fiscal_code: Option<String>,
    pub password: String,
}

/// Creates a local account with one role. Residents and applicants get no stored grant: their
/// access follows from the registry through the fiscal code, which they must have.
pub fn create_account(conn: &mut DbConn, spec: &AccountSpec, now: NaiveDateTime) -> AppResult<i64> {
    use cortile_shared::auth::{Role, Scope};
    use cortile_shared::{BuildingId, EstateId, FiscalCode};

    let username = spec.username.trim().to_lowercase();
    let valid_name = (3..=40).contains(&username.len())
        && username
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if !valid_name {
        return Err(AppError::invalid(
            "username",
            "invalid_format",
            "3 to 40 lower-case letters, digits, dots, dashes or underscores",
        ));
    }
    let role = Role::parse(&spec.role).ok_or_else(|| {
        AppError::invalid(
            "role",
            "invalid_value",
            format!(
                "unknown role {:?}; one of: {}",
                spec.role,
                Role::ALL.map(Role::as_str).join(", ")
            ),
        )
    })?;
    let fiscal_code = match spec
        .fiscal_code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(raw) => Some(
            FiscalCode::parse(raw)
                .map_err(|e| AppError::invalid("fiscal_code", e.code(), e.to_string()))?
                .canonical()
                .as_str()
                .to_owned(),
        ),
        None => None,
    };
    if matches!(role, Role::Resident | Role::Applicant) && fiscal_code.is_none() {
        return Err(AppError::invalid(
            "fiscal_code",
            "required",
            "residents and applicants need a fiscal code: the registry decides their access",
        ));
    }
    let scope = match spec.scope.as_deref().map(str::trim) {
        None | Some("") | Some("global") => Scope::Global,
        Some(raw) => {
            let (kind, code) = raw.split_once(':').ok_or_else(|| {
                AppError::invalid(
                    "scope",
                    "invalid_format",
                    "use estate:CODE or building:CODE",
                )
            })?;
            match kind {
                "estate" => Scope::Estate(EstateId(
                    crate::db::schema::estates::table
                        .filter(crate::db::schema::estates::code.eq(code))
                        .select(crate::db::schema::estates::id)
                        .first(conn)
                        .optional()?
                        .ok_or_else(|| {
                            AppError::invalid(
                                "scope",
                                "unknown_estate",
                                format!("no estate {code}"),
                            )
                        })?,
                )),
                "building" => Scope::Building(BuildingId(
                    buildings::table
                        .filter(buildings::code.eq(code))
                        .select(buildings::id)
                        .first(conn)
                        .optional()?
                        .ok_or_else(|| {
                            AppError::invalid(
                                "scope",
                                "unknown_building",
                                format!("no building {code}"),
                            )
                        })?,
                )),
                _ => {
                    return Err(AppError::invalid(
                        "scope",
                        "invalid_format",
                        "use global, estate:CODE or building:CODE",
                    ))
                }
            }
        }
    };
    password::check_new(&spec.password)
        .map_err(|(code, message)| AppError::invalid("password", code, message))?;
    let hash = password::hash(&spec.password).map_err(AppError::internal)?;
    let display_name = spec
        .display_name
        .clone()
        .filter(|d| !d.trim().is_empty())
        .unwrap_or_else(|| username.clone());
    write_tx(conn, |conn| {
        if store::find_by_username(conn, &username)?.is_some() {
            return Err(AppError::new(ErrorCode::Conflict)
                .with_detail(format!("the username {username} is taken")));
        }
        if let Some(code) = &fiscal_code {
            if store::find_by_fiscal_code(conn, code)?.is_some() {
                return Err(AppError::new(ErrorCode::Conflict)
                    .with_detail("another account already has this fiscal code"));
            }
        }
        let id = store::insert_user(
            conn,
            &store::NewUser {
                username: Some(&username),
                display_name: &display_name,
                password_hash: Some(&hash),
                fiscal_code: fiscal_code.as_deref(),
            },
            now,
        )?;
        if !matches!(role, Role::Resident | Role::Applicant) {
            store::insert_grant(conn, id, role, scope, None, now)?;
        }
        Ok(id)
    })
}

/// How long an OpenID Connect login may take between start and callback.
pub const OIDC_PENDING_TTL: chrono::Duration = chrono::Duration::minutes(10);

/// Where to go after login: a path of this site, never another site.
pub fn safe_return_to(raw: Option<&str>) -> String {
    match raw.map(str::trim) {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => {
            p.chars().take(500).collect()
        }
        _ => "/profilo".to_owned(),
    }
}

/// Keeps what an OpenID Connect login needs until its callback (any process may finish it).
pub fn store_pending_oidc(
    conn: &mut DbConn,
    pending: &super::oidc::PendingLogin,
    return_to: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    use crate::db::schema::oidc_pending;
    diesel::delete(oidc_pending::table.filter(oidc_pending::created_at.lt(now - OIDC_PENDING_TTL)))
        .execute(conn)?;
    diesel::insert_into(oidc_pending::table)
        .values((
            oidc_pending::state.eq(&pending.state),
            oidc_pending::nonce.eq(&pending.nonce),
            oidc_pending::pkce_verifier.eq(&pending.pkce_verifier),
            oidc_pending::return_to.eq(return_to),
            oidc_pending::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Takes (and removes: a login finishes once) the pending login of a `state`, if it is recent.
pub fn take_pending_oidc(
    conn: &mut DbConn,
    state: &str,
    now: NaiveDateTime,
) -> AppResult<Option<(super::oidc::PendingLogin, String)>> {
    use crate::db::schema::oidc_pending;
    let row: Option<(i64, String, String, String, String, NaiveDateTime)> = oidc_pending::table
        .filter(oidc_pending::state.eq(state))
        .select((
            oidc_pending::id,
            oidc_pending::state,
            oidc_pending::nonce,
            oidc_pending::pkce_verifier,
            oidc_pending::return_to,
            oidc_pending::created_at,
        ))
        .first(conn)
        .optional()?;
    let Some((id, state, nonce, pkce_verifier, return_to, created)) = row else {
        return Ok(None);
    };
    if diesel::delete(oidc_pending::table.find(id)).execute(conn)? != 1 {
        // Another request took it first.
        return Ok(None);
    }
    if now - created > OIDC_PENDING_TTL {
        return Ok(None);
    }
    Ok(Some((
        super::oidc::PendingLogin {
            state,
            nonce,
            pkce_verifier,
        },
        return_to,
    )))
}

/// Logs in the person an OpenID provider vouched for: their identity's account, else the
/// account with their (verified) fiscal code, else a new account. The fiscal code links the
/// account to the registry.
pub fn oidc_login(
    conn: &mut DbConn,
    identity: &super::oidc::VerifiedIdentity,
    old_token: Option<&str>,
    client: &ClientInfo,
    now: NaiveDateTime,
) -> AppResult<(String, SignedIn)> {
    let code = identity
        .fiscal_code
        .as_ref()
        .map(|c| c.canonical().as_str().to_owned());
    let user_id = write_tx(conn, |conn| -> AppResult<i64> {
        if let Some(id) = store::user_of_identity(conn, &identity.issuer, &identity.subject)? {
            store::touch_identity(conn, &identity.issuer, &identity.subject, now)?;
            if let (Some(code), Some(user)) = (&code, store::get_user(conn, id)?) {
                if user.fiscal_code.is_none() && store::find_by_fiscal_code(conn, code)?.is_none() {
                    diesel::update(users::table.find(id))
                        .set((users::fiscal_code.eq(code), users::updated_at.eq(now)))
                        .execute(conn)?;
                }
            }
            return Ok(id);
        }
        let existing = match &code {
            Some(code) => store::find_by_fiscal_code(conn, code)?,
            None => None,
        };
        let id = match existing {
            Some(user) => user.id,
            None => {
                let name = [
                    identity.given_name.as_deref(),
                    identity.family_name.as_deref(),
                ]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" ");
                let display_name = if name.trim().is_empty() {
                    "Utente".to_owned()
                } else {
                    name
                };
                store::insert_user(
                    conn,
                    &store::NewUser {
                        username: None,
                        display_name: &display_name,
                        password_hash: None,
                        fiscal_code: code.as_deref(),
                    },
                    now,
                )?
            }
        };
        store::insert_identity(conn, id, &identity.issuer, &identity.subject, now)?;
        Ok(id)
    })?;
    match store::get_user(conn, user_id)? {
        Some(u) if u.is_active() => {}
        _ => {
            return Err(AppError::new(ErrorCode::InvalidCredentials)
                .with_detail("this account cannot log in"))
        }
    }
    open_session(conn, user_id, LoginMethod::Oidc, old_token, client, now)
}

/// My profile (empty until I fill it).
pub fn profile(conn: &mut DbConn, actor: &Actor) -> AppResult<cortile_shared::profile::Profile> {
    authorize(actor, &Action::OwnAccount)?;
    let me = actor.require()?.principal.id.0;
    Ok(crate::communities::targeting::profiles_of(conn, &[me])?
        .remove(&me)
        .unwrap_or_default())
}

/// Saves my profile; unknown codes are refused by field.
pub fn set_profile(
    conn: &mut DbConn,
    actor: &Actor,
    p: &cortile_shared::profile::Profile,
    now: NaiveDateTime,
) -> AppResult<cortile_shared::profile::Profile> {
    use crate::db::schema::user_profiles;
    use cortile_shared::profile::{ACCESSIBILITY, INTERESTS, LANGUAGES};

    authorize(actor, &Action::OwnAccount)?;
    let me = actor.require()?.principal.id.0;
    let mut errors = Vec::new();
    for (field, values, known) in [
        ("interests", &p.interests, &INTERESTS[..]),
        ("languages", &p.languages, &LANGUAGES[..]),
        ("accessibility", &p.accessibility, &ACCESSIBILITY[..]),
    ] {
        if let Some(bad) = values.iter().find(|v| !known.contains(&v.as_str())) {
            errors.push(cortile_shared::FieldError::new(
                field,
                "invalid_value",
                format!("{bad:?} is not one of: {}", known.join(", ")),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let sorted = |v: &Vec<String>| {
        let mut v = v.clone();
        v.sort();
        v.dedup();
        v
    };
    let clean = cortile_shared::profile::Profile {
        interests: sorted(&p.interests),
        languages: sorted(&p.languages),
        accessibility: sorted(&p.accessibility),
    };
    let json = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
    write_tx(conn, |conn| -> AppResult<()> {
        diesel::delete(user_profiles::table.find(me)).execute(conn)?;
        diesel::insert_into(user_profiles::table)
            .values((
                user_profiles::user_id.eq(me),
                user_profiles::interests.eq(json(&clean.interests)),
                user_profiles::languages.eq(json(&clean.languages)),
                user_profiles::accessibility.eq(json(&clean.accessibility)),
                user_profiles::updated_at.eq(now),
            ))
            .execute(conn)?;
        if actor.operator().is_some() {
            audit::record(
                conn,
                actor,
                "profile.update",
                Some(Object {
                    kind: "user",
                    id: me,
                }),
                None,
                json!({}),
                now,
            )?;
        }
        Ok(())
    })?;
    Ok(clean)
}
