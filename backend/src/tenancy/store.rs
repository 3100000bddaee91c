//! Queries of the tenant files (diesel DSL, the same text on SQLite and PostgreSQL).

use chrono::NaiveDateTime;
use cortile_shared::tenancy::{ChangeRequest, ChangeStatus, HomeRef, MemberView, PersonHit};
use cortile_shared::{
    BuildingId, ChangeRequestId, EstateId, HouseholdId, PersonId, UnitId, UserId,
};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use super::{change_kind, change_status, member, user_ref};
use crate::auth::account::utc;
use crate::auth::policy::{Place, Reach};
use crate::db::schema::{
    buildings, estates, household_members, households, persons, registry_change_requests, units,
    users,
};
use crate::db::DbConn;
use crate::error::AppResult;

/// The columns of a home, as `home_columns` selects them.
pub type HomeTuple = (i64, String, i64, String, i64, String, String, i32);

/// The columns that make a [`HomeRef`] (estates, buildings, units joined).
pub fn home_columns() -> (
    estates::id,
    estates::name,
    buildings::id,
    buildings::address,
    units::id,
    units::code,
    units::staircase,
    units::floor,
) {
    (
        estates::id,
        estates::name,
        buildings::id,
        buildings::address,
        units::id,
        units::code,
        units::staircase,
        units::floor,
    )
}

pub fn home(t: HomeTuple) -> HomeRef {
    HomeRef {
        estate_id: EstateId(t.0),
        estate_name: t.1,
        building_id: BuildingId(t.2),
        building_address: t.3,
        unit_id: UnitId(t.4),
        unit_code: t.5,
        staircase: t.6,
        floor: t.7,
    }
}

/// The home of a household.
pub fn home_of(conn: &mut DbConn, household_id: i64) -> AppResult<Option<HomeRef>> {
    let t: Option<HomeTuple> = households::table
        .inner_join(units::table.inner_join(buildings::table.inner_join(estates::table)))
        .filter(households::id.eq(household_id))
        .select(home_columns())
        .first(conn)
        .optional()?;
    Ok(t.map(home))
}

/// A unit as a home reference.
pub fn home_of_unit(conn: &mut DbConn, unit_id: i64) -> AppResult<Option<HomeRef>> {
    let t: Option<HomeTuple> = units::table
        .inner_join(buildings::table.inner_join(estates::table))
        .filter(units::id.eq(unit_id))
        .select(home_columns())
        .first(conn)
        .optional()?;
    Ok(t.map(home))
}

/// Every member of a household, current ones first (holder first), with every detail.
pub fn members_of(conn: &mut DbConn, household_id: i64) -> AppResult<Vec<MemberView>> {
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        i64,
        String,
        String,
        String,
        NaiveDateTime,
        Option<NaiveDateTime>,
        String,
        chrono::NaiveDate,
        Option<String>,
        Option<String>,
    )> = household_members::table
        .inner_join(persons::table)
        .filter(household_members::household_id.eq(household_id))
        .order(household_members::id)
        .select((
            persons::id,
            persons::surname,
            persons::given_name,
            household_members::role,
            household_members::started_at,
            household_members::ended_at,
            persons::fiscal_code,
            persons::birth_date,
            persons::phone,
            persons::email,
        ))
        .load(conn)?;
    let mut out: Vec<MemberView> = rows
        .into_iter()
        .map(
            |(id, surname, given, role, since, ended, code, birth, phone, email)| {
                let mut m = member(id, surname, given, &role, since, ended);
                m.fiscal_code = Some(code);
                m.birth_date = Some(birth);
                m.phone = phone;
                m.email = email;
                m
            },
        )
        .collect();
    out.sort_by_key(|m| {
        (
            m.ended_at.is_some(),
            m.role != cortile_shared::auth::HouseholdRole::Holder,
        )
    });
    Ok(out)
}

/// Persons by canonical fiscal code or by name, with their current household, within `reach`.
pub fn search_persons(
    conn: &mut DbConn,
    code: Option<&str>,
    q: &str,
    reach: &Reach,
    limit: usize,
) -> AppResult<Vec<PersonHit>> {
    let pattern = super::like_pattern(q);
    let mut query = persons::table.into_boxed();
    query = match code {
        Some(code) => query.filter(persons::fiscal_code.eq(code.to_owned())),
        None => query.filter(
            diesel::dsl::sql::<Bool>("LOWER(persons.surname || ' ' || persons.given_name) LIKE ")
                .bind::<Text, _>(pattern.clone())
                .or(diesel::dsl::sql::<Bool>(
                    "LOWER(persons.given_name || ' ' || persons.surname) LIKE ",
                )
                .bind::<Text, _>(pattern)),
        ),
    };
    // Fetch more than needed: persons outside the reach are dropped afterwards.
    let found: Vec<(i64, String, String, String, chrono::NaiveDate)> = query
        .order((persons::surname, persons::given_name, persons::id))
        .limit(500)
        .select((
            persons::id,
            persons::surname,
            persons::given_name,
            persons::fiscal_code,
            persons::birth_date,
        ))
        .load(conn)?;
    let mut hits = Vec::new();
    for (id, surname, given_name, fiscal_code, birth_date) in found {
        let household: Option<i64> = household_members::table
            .inner_join(households::table)
            .filter(household_members::person_id.eq(id))
            .filter(household_members::ended_at.is_null())
            .filter(households::contract_status.eq("active"))
            .select(households::id)
            .first(conn)
            .optional()?;
        let home = match household {
            Some(h) => home_of(conn, h)?,
            None => None,
        };
        let visible = home.as_ref().is_some_and(|h| {
            reach.includes(Place {
                estate_id: h.estate_id.0,
                building_id: h.building_id.0,
            })
        }) || (*reach == Reach::All);
        if !visible {
            continue;
        }
        let user_id: Option<i64> = users::table
            .filter(users::fiscal_code.eq(&fiscal_code))
            .filter(users::disabled.eq(false))
            .filter(users::erased_at.is_null())
            .select(users::id)
            .first(conn)
            .optional()?;
        hits.push(PersonHit {
            person_id: PersonId(id),
            surname,
            given_name,
            fiscal_code: Some(fiscal_code),
            birth_date: Some(birth_date),
            household_id: household.map(HouseholdId),
            home,
            user_id: user_id.map(UserId),
        });
        if hits.len() >= limit {
            break;
        }
    }
    Ok(hits)
}

#[derive(Queryable)]
struct ChangeRow {
    id: i64,
    household_id: i64,
    kind: String,
    person_id: i64,
    payload: String,
    reason: String,
    status: String,
    proposed_by: Option<i64>,
    decided_by: Option<i64>,
    decided_at: Option<NaiveDateTime>,
    decision_note: Option<String>,
    created_at: NaiveDateTime,
    surname: String,
    given_name: String,
}

fn load_changes(conn: &mut DbConn, rows: Vec<ChangeRow>) -> AppResult<Vec<ChangeRequest>> {
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let Some(home) = home_of(conn, r.household_id)? else {
            continue;
        };
        let payload: serde_json::Value = serde_json::from_str(&r.payload).unwrap_or_default();
        let text = |k: &str| payload.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        out.push(ChangeRequest {
            id: ChangeRequestId(r.id),
            household_id: HouseholdId(r.household_id),
            home,
            person_id: PersonId(r.person_id),
            person_name: format!("{} {}", r.given_name, r.surname),
            kind: change_kind(&r.kind),
            reason: r.reason,
            phone: text("phone"),
            email: text("email"),
            status: change_status(&r.status),
            proposed_by: user_ref(conn, r.proposed_by)?,
            decided_by: user_ref(conn, r.decided_by)?,
            decided_at: r.decided_at.map(utc),
            decision_note: r.decision_note,
            created_at: utc(r.created_at),
            can_decide: false,
        });
    }
    Ok(out)
}

macro_rules! change_columns {
    () => {
        (
            registry_change_requests::id,
            registry_change_requests::household_id,
            registry_change_requests::kind,
            registry_change_requests::person_id,
            registry_change_requests::payload,
            registry_change_requests::reason,
            registry_change_requests::status,
            registry_change_requests::proposed_by,
            registry_change_requests::decided_by,
            registry_change_requests::decided_at,
            registry_change_requests::decision_note,
            registry_change_requests::created_at,
            persons::surname,
            persons::given_name,
        )
    };
}

/// Change requests, newest first, filtered by household and status, within `reach` (at most 200).
pub fn change_requests(
    conn: &mut DbConn,
    household: Option<i64>,
    status: Option<ChangeStatus>,
    reach: &Reach,
) -> AppResult<Vec<ChangeRequest>> {
    let mut q = registry_change_requests::table
        .inner_join(persons::table)
        .into_boxed();
    if let Some(h) = household {
        q = q.filter(registry_change_requests::household_id.eq(h));
    }
    if let Some(s) = status {
        q = q.filter(registry_change_requests::status.eq(s.as_str()));
    }
    let rows: Vec<ChangeRow> = q
        .order(registry_change_requests::id.desc())
        .limit(200)
        .select(change_columns!())
        .load(conn)?;
    Ok(load_changes(conn, rows)?
        .into_iter()
        .filter(|c| {
            reach.includes(Place {
                estate_id: c.home.estate_id.0,
                building_id: c.home.building_id.0,
            })
        })
        .collect())
}

/// One change request.
pub fn change_request(conn: &mut DbConn, id: i64) -> AppResult<Option<ChangeRequest>> {
    let rows: Vec<ChangeRow> = registry_change_requests::table
        .inner_join(persons::table)
        .filter(registry_change_requests::id.eq(id))
        .select(change_columns!())
        .load(conn)?;
    Ok(load_changes(conn, rows)?.into_iter().next())
}
