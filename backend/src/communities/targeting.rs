//! Targeted posts: who, among the people of a vertical community, an audience reaches.
//!
//! The audience is checked against the registry (building, staircase, age, household
//! composition), the profiles (languages, interests) and granted roles. The author only ever
//! learns how many people that is; the recipients are written once, when the post is
//! published, so the feed reads them with an index.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use cortile_shared::auth::Role;
use cortile_shared::profile::{Audience, Profile, INTERESTS, LANGUAGES};
use cortile_shared::FieldError;
use diesel::prelude::*;

use super::store::CommunityRow;
use crate::db::schema::{
    buildings, household_members, households, persons, role_grants, units, user_profiles, users,
};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};

/// Age in whole years on `today`.
fn age(birth: NaiveDate, today: NaiveDate) -> i32 {
    let mut years = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

/// Checks an audience for a community; errors name the field.
pub fn check(conn: &mut DbConn, community: &CommunityRow, a: &Audience) -> AppResult<()> {
    let mut errors = Vec::new();
    if community.kind == "interest" && !a.is_everyone() {
        errors.push(FieldError::new(
            "audience",
            "not_targetable",
            "only the communities of estates and buildings can be targeted",
        ));
    }
    if !a.buildings.is_empty() {
        let estate = community.estate_id.unwrap_or(0);
        let known: i64 = buildings::table
            .filter(buildings::id.eq_any(a.buildings.iter().map(|b| b.0)))
            .filter(buildings::estate_id.eq(estate))
            .count()
            .get_result(conn)?;
        if known != a.buildings.len() as i64 {
            errors.push(FieldError::new(
                "audience.buildings",
                "unknown_building",
                "every building must be one of this estate's",
            ));
        }
    }
    for (field, v) in [
        ("audience.age_min", a.age_min),
        ("audience.age_max", a.age_max),
    ] {
        if v.is_some_and(|v| !(0..=120).contains(&v)) {
            errors.push(FieldError::new(
                field,
                "out_of_range",
                "an age from 0 to 120",
            ));
        }
    }
    if let (Some(min), Some(max)) = (a.age_min, a.age_max) {
        if min > max {
            errors.push(FieldError::new(
                "audience.age_max",
                "out_of_range",
                "the band ends before it starts",
            ));
        }
    }
    if a.languages.iter().any(|l| !LANGUAGES.contains(&l.as_str())) {
        errors.push(FieldError::new(
            "audience.languages",
            "invalid_value",
            "unknown language code",
        ));
    }
    if a.interests.iter().any(|i| !INTERESTS.contains(&i.as_str())) {
        errors.push(FieldError::new(
            "audience.interests",
            "invalid_value",
            "unknown interest",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(errors))
    }
}

/// The accounts an audience reaches in a vertical community.
pub fn recipients(
    conn: &mut DbConn,
    community: &CommunityRow,
    a: &Audience,
    today: NaiveDate,
) -> AppResult<Vec<i64>> {
    let mut q = users::table
        .inner_join(persons::table.on(users::fiscal_code.eq(persons::fiscal_code.nullable())))
        .inner_join(household_members::table.on(household_members::person_id.eq(persons::id)))
        .inner_join(households::table.on(households::id.eq(household_members::household_id)))
        .inner_join(units::table.on(units::id.eq(households::unit_id)))
        .inner_join(buildings::table.on(buildings::id.eq(units::building_id)))
        .filter(household_members::ended_at.is_null())
        .filter(households::contract_status.eq("active"))
        .filter(users::erased_at.is_null())
        .filter(users::disabled.eq(false))
        .into_boxed();
    q = match (
        community.kind.as_str(),
        community.building_id,
        community.estate_id,
    ) {
        ("building", Some(b), _) => q.filter(buildings::id.eq(b)),
        (_, _, Some(e)) => q.filter(buildings::estate_id.eq(e)),
        _ => return Ok(Vec::new()),
    };
    if !a.buildings.is_empty() {
        q = q.filter(buildings::id.eq_any(a.buildings.iter().map(|b| b.0).collect::<Vec<_>>()));
    }
    if let Some(s) = &a.staircase {
        q = q.filter(units::staircase.eq(s.trim().to_owned()));
    }
    let people: Vec<(i64, i64, NaiveDate)> = q
        .select((users::id, households::id, persons::birth_date))
        .load(conn)?;
    let mut chosen: Vec<(i64, i64)> = people
        .into_iter()
        .filter(|(_, _, birth)| {
            let years = age(*birth, today);
            a.age_min.is_none_or(|m| years >= m) && a.age_max.is_none_or(|m| years <= m)
        })
        .map(|(u, h, _)| (u, h))
        .collect();
    if a.with_children || a.with_elderly {
        let households_: Vec<i64> = chosen.iter().map(|(_, h)| *h).collect();
        let mut ages: HashMap<i64, Vec<i32>> = HashMap::new();
        for chunk in households_.chunks(1_000) {
            let rows: Vec<(i64, NaiveDate)> = household_members::table
                .inner_join(persons::table)
                .filter(household_members::household_id.eq_any(chunk))
                .filter(household_members::ended_at.is_null())
                .select((household_members::household_id, persons::birth_date))
                .load(conn)?;
            for (h, birth) in rows {
                ages.entry(h).or_default().push(age(birth, today));
            }
        }
        chosen.retain(|(_, h)| {
            let list = ages.get(h).map(Vec::as_slice).unwrap_or_default();
            (!a.with_children || list.iter().any(|y| *y < 14))
                && (!a.with_elderly || list.iter().any(|y| *y >= 75))
        });
    }
    let mut ids: Vec<i64> = chosen.into_iter().map(|(u, _)| u).collect();
    ids.sort_unstable();
    ids.dedup();
    if !a.languages.is_empty() || !a.interests.is_empty() {
        let profiles = profiles_of(conn, &ids)?;
        ids.retain(|u| {
            let p = profiles.get(u);
            (a.languages.is_empty()
                || p.is_some_and(|p| p.languages.iter().any(|l| a.languages.contains(l))))
                && (a.interests.is_empty()
                    || p.is_some_and(|p| p.interests.iter().any(|i| a.interests.contains(i))))
        });
    }
    if !a.roles.is_empty() && !a.roles.contains(&Role::Resident) {
        let roles: Vec<&str> = a.roles.iter().map(|r| r.as_str()).collect();
        let holders: HashSet<i64> = role_grants::table
            .filter(role_grants::user_id.eq_any(&ids))
            .filter(role_grants::role.eq_any(roles))
            .filter(role_grants::revoked_at.is_null())
            .select(role_grants::user_id)
            .load::<i64>(conn)?
            .into_iter()
            .collect();
        ids.retain(|u| holders.contains(u));
    }
    Ok(ids)
}

fn parse_list(raw: &str) -> Vec<String> {
    serde_json::from_str(raw).unwrap_or_default()
}

/// Profiles of users (absent for those who never filled one).
pub fn profiles_of(conn: &mut DbConn, ids: &[i64]) -> AppResult<HashMap<i64, Profile>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(1_000) {
        let rows: Vec<(i64, String, String, String)> = user_profiles::table
            .filter(user_profiles::user_id.eq_any(chunk))
            .select((
                user_profiles::user_id,
                user_profiles::interests,
                user_profiles::languages,
                user_profiles::accessibility,
            ))
            .load(conn)?;
        for (u, i, l, a) in rows {
            out.insert(
                u,
                Profile {
                    interests: parse_list(&i),
                    languages: parse_list(&l),
                    accessibility: parse_list(&a),
                },
            );
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_count_whole_years() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).expect("date");
        assert_eq!(age(d(2000, 6, 15), d(2026, 6, 14)), 25);
        assert_eq!(age(d(2000, 6, 15), d(2026, 6, 15)), 26);
        assert_eq!(age(d(2012, 2, 29), d(2026, 2, 28)), 13);
    }
}
