//! Account queries: users, grants, identities, and what the registry says about a fiscal code.

use chrono::NaiveDateTime;
use cortile_shared::auth::{HouseholdRole, Residence, Role, Scope};
use cortile_shared::{HouseholdId, PersonId};
use diesel::prelude::*;

use crate::db::schema::{
    applications, buildings, estates, household_members, households, identities, persons,
    role_grants, units, users,
};
use crate::db::DbConn;
use crate::error::AppResult;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: i64,
    pub username: Option<String>,
    pub display_name: String,
    pub password_hash: Option<String>,
    pub fiscal_code: Option<String>,
    pub locale: String,
    pub disabled: bool,
    pub erased_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

impl UserRow {
    /// Whether the account may log in and act.
    pub fn is_active(&self) -> bool {
        !self.disabled && self.erased_at.is_none()
    }
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub username: Option<&'a str>,
    pub display_name: &'a str,
    pub password_hash: Option<&'a str>,
    pub fiscal_code: Option<&'a str>,
}

pub fn get_user(conn: &mut DbConn, id: i64) -> AppResult<Option<UserRow>> {
    Ok(users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_username(conn: &mut DbConn, username: &str) -> AppResult<Option<UserRow>> {
    Ok(users::table
        .filter(users::username.eq(username))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn find_by_fiscal_code(conn: &mut DbConn, code: &str) -> AppResult<Option<UserRow>> {
    Ok(users::table
        .filter(users::fiscal_code.eq(code))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

/// Active accounts linked to the registry (with a fiscal code), by fiscal code or by a part of
/// their display name.
pub fn find_linked_users(
    conn: &mut DbConn,
    code: Option<&str>,
    q: &str,
    limit: i64,
) -> AppResult<Vec<UserRow>> {
    let mut query = users::table
        .filter(users::fiscal_code.is_not_null())
        .filter(users::erased_at.is_null())
        .filter(users::disabled.eq(false))
        .into_boxed();
    query = match code {
        Some(code) => query.filter(users::fiscal_code.eq(code.to_owned())),
        None => query.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("LOWER(users.display_name) LIKE ")
                .bind::<diesel::sql_types::Text, _>(crate::tenancy::like_pattern(q)),
        ),
    };
    Ok(query
        .order((users::display_name, users::id))
        .limit(limit)
        .select(UserRow::as_select())
        .load(conn)?)
}

pub fn insert_user(conn: &mut DbConn, user: &NewUser<'_>, now: NaiveDateTime) -> AppResult<i64> {
    Ok(crate::insert_returning_id!(
        conn,
        users::table,
        users::id,
        (
            users::username.eq(user.username),
            users::display_name.eq(user.display_name),
            users::password_hash.eq(user.password_hash),
            users::fiscal_code.eq(user.fiscal_code),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        )
    )?)
}

/// The user an external identity logs in as.
pub fn user_of_identity(conn: &mut DbConn, issuer: &str, subject: &str) -> AppResult<Option<i64>> {
    Ok(identities::table
        .filter(identities::issuer.eq(issuer))
        .filter(identities::subject.eq(subject))
        .select(identities::user_id)
        .first(conn)
        .optional()?)
}

pub fn insert_identity(
    conn: &mut DbConn,
    user_id: i64,
    issuer: &str,
    subject: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::insert_into(identities::table)
        .values((
            identities::user_id.eq(user_id),
            identities::issuer.eq(issuer),
            identities::subject.eq(subject),
            identities::created_at.eq(now),
            identities::last_login_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn touch_identity(
    conn: &mut DbConn,
    issuer: &str,
    subject: &str,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::update(
        identities::table
            .filter(identities::issuer.eq(issuer))
            .filter(identities::subject.eq(subject)),
    )
    .set(identities::last_login_at.eq(now))
    .execute(conn)?;
    Ok(())
}

/// The roles granted to a user (not revoked), oldest first.
pub fn granted_roles(conn: &mut DbConn, user_id: i64) -> AppResult<Vec<(Role, Scope)>> {
    let rows: Vec<(String, String, Option<i64>)> = role_grants::table
        .filter(role_grants::user_id.eq(user_id))
        .filter(role_grants::revoked_at.is_null())
        .order(role_grants::id)
        .select((
            role_grants::role,
            role_grants::scope_kind,
            role_grants::scope_id,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(role, kind, id)| Some((Role::parse(&role)?, Scope::from_parts(&kind, id)?)))
        .collect())
}

pub fn insert_grant(
    conn: &mut DbConn,
    user_id: i64,
    role: Role,
    scope: Scope,
    granted_by: Option<i64>,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::insert_into(role_grants::table)
        .values((
            role_grants::user_id.eq(user_id),
            role_grants::role.eq(role.as_str()),
            role_grants::scope_kind.eq(scope.kind()),
            role_grants::scope_id.eq(scope.id()),
            role_grants::granted_by.eq(granted_by),
            role_grants::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Where the person with this fiscal code lives now: a current membership of an active
/// household. `None` when the registry has no current home for them.
pub fn residence_of(conn: &mut DbConn, fiscal_code: &str) -> AppResult<Option<Residence>> {
    // One query: this runs for every request of a resident.
    let row: Option<((i64, i64, String), crate::tenancy::HomeTuple)> = household_members::table
        .inner_join(persons::table)
        .inner_join(
            households::table
                .inner_join(units::table.inner_join(buildings::table.inner_join(estates::table))),
        )
        .filter(persons::fiscal_code.eq(fiscal_code))
        .filter(household_members::ended_at.is_null())
        .filter(households::contract_status.eq("active"))
        .order(household_members::id.desc())
        .select((
            (persons::id, households::id, household_members::role),
            crate::tenancy::home_columns(),
        ))
        .first(conn)
        .optional()?;
    Ok(
        row.map(|((person_id, household_id, role), home)| Residence {
            person_id: PersonId(person_id),
            household_id: HouseholdId(household_id),
            role: HouseholdRole::parse(&role).unwrap_or(HouseholdRole::Member),
            home: crate::tenancy::home(home),
        }),
    )
}

/// Whether the registry holds a housing application by this fiscal code.
pub fn has_application(conn: &mut DbConn, fiscal_code: &str) -> AppResult<bool> {
    let n: i64 = applications::table
        .filter(applications::applicant_fiscal_code.eq(fiscal_code))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The readable name of a scope (estate name, building address), for display.
pub fn scope_name(conn: &mut DbConn, scope: Scope) -> AppResult<Option<String>> {
    Ok(match scope {
        Scope::Global | Scope::Community(_) => None,
        Scope::Estate(id) => estates::table
            .find(id.0)
            .select(estates::name)
            .first(conn)
            .optional()?,
        Scope::Building(id) => buildings::table
            .find(id.0)
            .select(buildings::address)
            .first(conn)
            .optional()?,
    })
}

/// The estate a building belongs to.
pub fn estate_of_building(conn: &mut DbConn, building_id: i64) -> AppResult<Option<i64>> {
    Ok(buildings::table
        .find(building_id)
        .select(buildings::estate_id)
        .first(conn)
        .optional()?)
}
