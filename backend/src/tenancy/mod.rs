//! Tenant files: search of the registry, a household's file (each opening audited with its
//! purpose), housing applications, and registry corrections proposed by committees and decided
//! by staff. Who may do what is decided by [`crate::auth::policy`] alone.

pub mod routes;
mod store;

use chrono::NaiveDateTime;
use cortile_shared::auth::{HouseholdRole, UserRef};
use cortile_shared::tenancy::{
    Application, ApplicationEvent, ApplicationStatus, ChangeDecision, ChangeKind, ChangeRequest,
    ChangeStatus, MemberView, NewChangeRequest, PersonHit, TenantFile, MIN_PURPOSE_LEN,
};
use cortile_shared::{ApplicationId, ErrorCode, FiscalCode, HouseholdId, PersonId, UserId};
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Object};
use crate::auth::account::{check_text, utc};
use crate::auth::policy::{authorize, can, registry_reach, Action, Detail, Place};
use crate::auth::Actor;
use crate::db::schema::{
    application_status_history, applications, household_members, households, persons,
    registry_change_requests, users,
};
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult};

pub use store::{home, home_columns, home_of, search_persons, HomeTuple};

/// A lower-case SQL `LIKE` pattern matching names that contain `q` (wildcards in `q` dropped).
pub fn like_pattern(q: &str) -> String {
    format!("%{}%", q.to_lowercase().replace(['%', '_', '\\'], ""))
}

/// Reads a search text: a fiscal code (returned canonical) or at least 3 characters of a name.
pub fn search_terms(q: &str) -> AppResult<(Option<String>, String)> {
    let q = q.trim();
    if q.chars().count() < 3 {
        return Err(AppError::invalid(
            "q",
            "too_short",
            "type at least 3 characters of a name or a fiscal code",
        ));
    }
    let code = FiscalCode::parse(q)
        .ok()
        .map(|c| c.canonical().as_str().to_owned());
    Ok((code, q.to_owned()))
}

/// The place of a household (for the permission check); `None` if there is no such household.
pub fn place_of_household(conn: &mut DbConn, household_id: i64) -> AppResult<Option<Place>> {
    Ok(home_of(conn, household_id)?.map(|h| Place {
        estate_id: h.estate_id.0,
        building_id: h.building_id.0,
    }))
}

/// Persons matching a fiscal code or a name, within the searcher's reach (at most 50).
pub fn search(conn: &mut DbConn, actor: &Actor, q: &str) -> AppResult<Vec<PersonHit>> {
    authorize(actor, &Action::SearchRegistry)?;
    let reach = registry_reach(actor)?;
    let (code, q) = search_terms(q)?;
    let mut hits = store::search_persons(conn, code.as_deref(), &q, &reach, 50)?;
    // Readers who see names only (committees) do not get personal details from a search.
    for hit in &mut hits {
        let place = hit.home.as_ref().map(|h| Place {
            estate_id: h.estate_id.0,
            building_id: h.building_id.0,
        });
        let full = place.is_some_and(|p| {
            authorize(actor, &Action::OpenTenantFile(p)).ok() == Some(Detail::Full)
        }) || (place.is_none() && reach == crate::auth::policy::Reach::All);
        if !full {
            hit.fiscal_code = None;
            hit.birth_date = None;
        }
    }
    Ok(hits)
}

/// Opens a household's file, recording the opening and its purpose in the audit log.
pub fn tenant_file(
    conn: &mut DbConn,
    actor: &Actor,
    household_id: i64,
    purpose: &str,
    now: NaiveDateTime,
) -> AppResult<TenantFile> {
    actor.require()?;
    let hidden = || AppError::not_found(format!("household {household_id} does not exist"));
    let place = place_of_household(conn, household_id)?.ok_or_else(hidden)?;
    let detail = authorize(actor, &Action::OpenTenantFile(place))?;
    let purpose = check_text("purpose", purpose, MIN_PURPOSE_LEN)?;
    write_tx(conn, |conn| {
        let audit_id = audit::record(
            conn,
            actor,
            "tenant_file.open",
            Some(Object {
                kind: "household",
                id: household_id,
            }),
            Some(&purpose),
            json!({"detail": if detail == Detail::Full { "full" } else { "limited" }}),
            now,
        )?;
        let (contract_code, contract_start, contract_status): (String, chrono::NaiveDate, String) =
            households::table
                .find(household_id)
                .select((
                    households::contract_code,
                    households::contract_start,
                    households::contract_status,
                ))
                .first(conn)?;
        let home = home_of(conn, household_id)?.ok_or_else(hidden)?;
        let mut members = store::members_of(conn, household_id)?;
        if detail == Detail::Limited {
            for m in &mut members {
                m.fiscal_code = None;
                m.birth_date = None;
                m.phone = None;
                m.email = None;
            }
        }
        let applications = if detail == Detail::Full {
            let mut all = Vec::new();
            for code in members.iter().filter_map(|m| m.fiscal_code.clone()) {
                all.extend(applications_of(conn, &code)?);
            }
            all
        } else {
            Vec::new()
        };
        let change_requests = store::change_requests(
            conn,
            Some(household_id),
            None,
            &crate::auth::policy::Reach::All,
        )?
        .into_iter()
        .map(|c| with_can_decide(actor, c))
        .collect();
        Ok(TenantFile {
            household_id: HouseholdId(household_id),
            contract_code,
            contract_start,
            contract_status,
            home,
            members,
            applications,
            change_requests,
            full_details: detail == Detail::Full,
            audit_id,
        })
    })
}

/// The housing applications made with this fiscal code, with their history.
pub fn applications_of(conn: &mut DbConn, fiscal_code: &str) -> AppResult<Vec<Application>> {
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        i64,
        String,
        chrono::NaiveDate,
        String,
        Option<i32>,
        Option<i64>,
    )> = applications::table
        .filter(applications::applicant_fiscal_code.eq(fiscal_code))
        .order(applications::id)
        .select((
            applications::id,
            applications::protocol,
            applications::submitted_on,
            applications::status,
            applications::ranking_position,
            applications::offered_unit_id,
        ))
        .load(conn)?;
    let mut out = Vec::with_capacity(rows.len());
    for (id, protocol, submitted_on, status, ranking_position, offered) in rows {
        let history = application_status_history::table
            .filter(application_status_history::application_id.eq(id))
            .order((
                application_status_history::changed_at,
                application_status_history::id,
            ))
            .select((
                application_status_history::status,
                application_status_history::ranking_position,
                application_status_history::note,
                application_status_history::changed_at,
            ))
            .load::<(String, Option<i32>, Option<String>, NaiveDateTime)>(conn)?
            .into_iter()
            .filter_map(|(s, pos, note, at)| {
                Some(ApplicationEvent {
                    status: ApplicationStatus::parse(&s)?,
                    ranking_position: pos,
                    note,
                    at: utc(at),
                })
            })
            .collect();
        let offered_unit = match offered {
            Some(unit) => store::home_of_unit(conn, unit)?,
            None => None,
        };
        out.push(Application {
            id: ApplicationId(id),
            protocol,
            submitted_on,
            status: ApplicationStatus::parse(&status).unwrap_or(ApplicationStatus::Submitted),
            ranking_position,
            offered_unit,
            history,
        });
    }
    Ok(out)
}

/// My applications (the signed-in person's, by their verified fiscal code).
pub fn my_applications(conn: &mut DbConn, actor: &Actor) -> AppResult<Vec<Application>> {
    authorize(actor, &Action::OwnAccount)?;
    match &actor.require()?.principal.fiscal_code {
        Some(code) => applications_of(conn, code),
        None => Ok(Vec::new()),
    }
}

fn with_can_decide(actor: &Actor, mut c: ChangeRequest) -> ChangeRequest {
    c.can_decide = c.status == ChangeStatus::Pending
        && can(
            actor,
            &Action::DecideChange {
                place: Place {
                    estate_id: c.home.estate_id.0,
                    building_id: c.home.building_id.0,
                },
                proposer: c.proposed_by.as_ref().map(|u| u.id.0),
            },
        );
    c
}

/// Change requests the actor may see, newest first, optionally of one status.
pub fn list_change_requests(
    conn: &mut DbConn,
    actor: &Actor,
    status: Option<ChangeStatus>,
) -> AppResult<Vec<ChangeRequest>> {
    actor.require()?;
    let reach = registry_reach(actor)?;
    Ok(store::change_requests(conn, None, status, &reach)?
        .into_iter()
        .filter(|c| {
            can(
                actor,
                &Action::ViewChangeRequest(Place {
                    estate_id: c.home.estate_id.0,
                    building_id: c.home.building_id.0,
                }),
            )
        })
        .map(|c| with_can_decide(actor, c))
        .collect())
}

fn clean_contact(raw: Option<&str>) -> Option<String> {
    raw.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// A committee (or staff) proposes a correction of a household's registry data.
pub fn propose_change(
    conn: &mut DbConn,
    actor: &Actor,
    new: &NewChangeRequest,
    now: NaiveDateTime,
) -> AppResult<ChangeRequest> {
    actor.require()?;
    let household_id = new.household_id.0;
    let place = place_of_household(conn, household_id)?
        .ok_or_else(|| AppError::not_found(format!("household {household_id} does not exist")))?;
    authorize(actor, &Action::ProposeChange(place))?;
    let reason = check_text("reason", &new.reason, 5)?;
    let is_member: i64 = household_members::table
        .filter(household_members::household_id.eq(household_id))
        .filter(household_members::person_id.eq(new.person_id.0))
        .filter(household_members::ended_at.is_null())
        .count()
        .get_result(conn)?;
    if is_member == 0 {
        return Err(AppError::invalid(
            "person_id",
            "not_a_member",
            "this person is not a current member of the household",
        ));
    }
    let (phone, email) = (
        clean_contact(new.phone.as_deref()),
        clean_contact(new.email.as_deref()),
    );
    if new.kind == ChangeKind::ContactChanged {
        if new.phone.is_none() && new.email.is_none() {
            return Err(AppError::invalid(
                "phone",
                "required",
                "give the new phone or the new email",
            ));
        }
        if let Some(p) = &phone {
            let ok = p
                .chars()
                .all(|c| c.is_ascii_digit() || " +-/().".contains(c))
                && p.chars().filter(char::is_ascii_digit).count() >= 6
                && p.len() <= 30;
            if !ok {
                return Err(AppError::invalid(
                    "phone",
                    "invalid_format",
                    "this is not a phone number",
                ));
            }
        }
        if let Some(e) = &email {
            let ok = e.len() <= 254
                && e.split_once('@')
                    .is_some_and(|(a, b)| !a.is_empty() && b.contains('.') && !e.contains(' '));
            if !ok {
                return Err(AppError::invalid(
                    "email",
                    "invalid_format",
                    "this is not an email address",
                ));
            }
        }
    }
    let payload = match new.kind {
        ChangeKind::MemberLeft => json!({}),
        ChangeKind::ContactChanged => json!({
            // An empty string asks to remove the value; absent leaves it as it is.
            "phone": new.phone.as_ref().map(|_| phone.clone().unwrap_or_default()),
            "email": new.email.as_ref().map(|_| email.clone().unwrap_or_default()),
        }),
    };
    let proposer = actor.keyboard_user().map(|u| u.id.0);
    let id = write_tx(conn, |conn| {
        let pending: i64 = registry_change_requests::table
            .filter(registry_change_requests::person_id.eq(new.person_id.0))
            .filter(registry_change_requests::kind.eq(new.kind.as_str()))
            .filter(registry_change_requests::status.eq("pending"))
            .count()
            .get_result(conn)?;
        if pending > 0 {
            return Err(AppError::new(ErrorCode::Conflict)
                .with_detail("a correction of this kind for this person is already waiting"));
        }
        let id = crate::insert_returning_id!(
            conn,
            registry_change_requests::table,
            registry_change_requests::id,
            (
                registry_change_requests::household_id.eq(household_id),
                registry_change_requests::kind.eq(new.kind.as_str()),
                registry_change_requests::person_id.eq(new.person_id.0),
                registry_change_requests::payload.eq(payload.to_string()),
                registry_change_requests::reason.eq(&reason),
                registry_change_requests::status.eq("pending"),
                registry_change_requests::proposed_by.eq(proposer),
                registry_change_requests::created_at.eq(now),
                registry_change_requests::updated_at.eq(now),
            )
        )?;
        audit::record(
            conn,
            actor,
            "change_request.propose",
            Some(Object {
                kind: "change_request",
                id,
            }),
            None,
            json!({"household": household_id, "person": new.person_id.0, "kind": new.kind.as_str()}),
            now,
        )?;
        Ok(id)
    })?;
    get_change_request(conn, actor, id)
}

fn get_change_request(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<ChangeRequest> {
    let c = store::change_request(conn, id)?
        .ok_or_else(|| AppError::not_found(format!("change request {id} does not exist")))?;
    let place = Place {
        estate_id: c.home.estate_id.0,
        building_id: c.home.building_id.0,
    };
    authorize(actor, &Action::ViewChangeRequest(place))?;
    Ok(with_can_decide(actor, c))
}

/// Staff approve (applying the change) or reject a proposed correction, atomically and audited.
pub fn decide_change(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    decision: &ChangeDecision,
    now: NaiveDateTime,
) -> AppResult<ChangeRequest> {
    actor.require()?;
    let c = store::change_request(conn, id)?
        .ok_or_else(|| AppError::not_found(format!("change request {id} does not exist")))?;
    let place = Place {
        estate_id: c.home.estate_id.0,
        building_id: c.home.building_id.0,
    };
    authorize(
        actor,
        &Action::DecideChange {
            place,
            proposer: c.proposed_by.as_ref().map(|u| u.id.0),
        },
    )?;
    let note = decision.note.trim();
    if !decision.approve && note.chars().count() < 5 {
        return Err(AppError::invalid(
            "note",
            "required",
            "say why the correction is rejected (at least 5 characters)",
        ));
    }
    let decider = actor.keyboard_user().map(|u| u.id.0);
    write_tx(conn, |conn| {
        let claimed = diesel::update(
            registry_change_requests::table
                .filter(registry_change_requests::id.eq(id))
                .filter(registry_change_requests::status.eq("pending")),
        )
        .set((
            registry_change_requests::status.eq(if decision.approve {
                "approved"
            } else {
                "rejected"
            }),
            registry_change_requests::decided_by.eq(decider),
            registry_change_requests::decided_at.eq(now),
            registry_change_requests::decision_note.eq(Some(note).filter(|n| !n.is_empty())),
            registry_change_requests::updated_at.eq(now),
        ))
        .execute(conn)?;
        if claimed != 1 {
            return Err(AppError::new(ErrorCode::Conflict)
                .with_detail("this correction has already been decided"));
        }
        if decision.approve {
            apply_change(conn, &c, now)?;
        }
        audit::record(
            conn,
            actor,
            if decision.approve {
                "change_request.approve"
            } else {
                "change_request.reject"
            },
            Some(Object {
                kind: "change_request",
                id,
            }),
            None,
            json!({"household": c.household_id.0, "person": c.person_id.0,
                   "kind": c.kind.as_str(), "note": note}),
            now,
        )?;
        Ok(())
    })?;
    get_change_request(conn, actor, id)
}

fn apply_change(conn: &mut DbConn, c: &ChangeRequest, now: NaiveDateTime) -> AppResult<()> {
    match c.kind {
        ChangeKind::MemberLeft => {
            diesel::update(
                household_members::table
                    .filter(household_members::household_id.eq(c.household_id.0))
                    .filter(household_members::person_id.eq(c.person_id.0))
                    .filter(household_members::ended_at.is_null()),
            )
            .set((
                household_members::ended_at.eq(now),
                household_members::updated_at.eq(now),
            ))
            .execute(conn)?;
            // As with the import: a household left empty has its contract ended.
            let left: i64 = household_members::table
                .filter(household_members::household_id.eq(c.household_id.0))
                .filter(household_members::ended_at.is_null())
                .count()
                .get_result(conn)?;
            if left == 0 {
                diesel::update(households::table.find(c.household_id.0))
                    .set((
                        households::contract_status.eq("ended"),
                        households::ended_at.eq(now),
                        households::updated_at.eq(now),
                    ))
                    .execute(conn)?;
            }
        }
        ChangeKind::ContactChanged => {
            if let Some(phone) = &c.phone {
                diesel::update(persons::table.find(c.person_id.0))
                    .set(persons::phone.eq(Some(phone).filter(|p| !p.is_empty())))
                    .execute(conn)?;
            }
            if let Some(email) = &c.email {
                diesel::update(persons::table.find(c.person_id.0))
                    .set(persons::email.eq(Some(email).filter(|e| !e.is_empty())))
                    .execute(conn)?;
            }
            diesel::update(persons::table.find(c.person_id.0))
                .set(persons::updated_at.eq(now))
                .execute(conn)?;
        }
    }
    Ok(())
}

pub(crate) fn user_ref(conn: &mut DbConn, id: Option<i64>) -> AppResult<Option<UserRef>> {
    let Some(id) = id else { return Ok(None) };
    Ok(users::table
        .find(id)
        .select(users::display_name)
        .first::<String>(conn)
        .optional()?
        .map(|display_name| UserRef {
            id: UserId(id),
            display_name,
        }))
}

pub(crate) fn household_role(raw: &str) -> HouseholdRole {
    HouseholdRole::parse(raw).unwrap_or(HouseholdRole::Member)
}

pub(crate) fn change_kind(raw: &str) -> ChangeKind {
    ChangeKind::parse(raw).unwrap_or(ChangeKind::MemberLeft)
}

pub(crate) fn change_status(raw: &str) -> ChangeStatus {
    ChangeStatus::parse(raw).unwrap_or(ChangeStatus::Pending)
}

pub(crate) fn member(
    person_id: i64,
    surname: String,
    given_name: String,
    role: &str,
    since: NaiveDateTime,
    ended: Option<NaiveDateTime>,
) -> MemberView {
    MemberView {
        person_id: PersonId(person_id),
        surname,
        given_name,
        role: household_role(role),
        since: utc(since),
        ended_at: ended.map(utc),
        fiscal_code: None,
        birth_date: None,
        phone: None,
        email: None,
    }
}
