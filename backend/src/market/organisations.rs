//! Organisations (social enterprises, shops) that offer services: anyone signed in registers
//! one and becomes its first member; staff verify it (audited); once verified its members
//! publish listings in its name.

use chrono::NaiveDateTime;
use cortile_shared::auth::UserRef;
use cortile_shared::community::NotificationKind;
use cortile_shared::market::{
    NewOrganisation, NewOrganisationMember, Organisation, OrganisationKind,
    MAX_ORGANISATION_NAME_LEN,
};
use cortile_shared::{ErrorCode, OrganisationId, UserId};
use diesel::prelude::*;
use serde_json::json;

use super::exchanges::is_unique_violation;
use super::store::{self, OrganisationRow};
use super::{check_text, stored_time};
use crate::audit::{self, Object};
use crate::auth::account::utc;
use crate::auth::policy::{authorize, can, not_concerning_oneself, Action};
use crate::auth::Actor;
use crate::db::schema::{market_organisation_members, market_organisations};
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult};

fn to_views(
    conn: &mut DbConn,
    actor: &Actor,
    rows: Vec<OrganisationRow>,
) -> AppResult<Vec<Organisation>> {
    let me = actor.require()?.principal.id.0;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let members = store::members_of(conn, &ids)?;
    let mut user_ids: Vec<i64> = members.values().flatten().copied().collect();
    user_ids.sort_unstable();
    user_ids.dedup();
    let names = crate::timebank::store::names(conn, &user_ids)?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let list = members.get(&r.id).cloned().unwrap_or_default();
            Organisation {
                id: OrganisationId(r.id),
                name: r.name,
                kind: OrganisationKind::parse(&r.kind)
                    .unwrap_or(OrganisationKind::SocialEnterprise),
                description: r.description,
                verified: r.verified_at.is_some(),
                verified_at: r.verified_at.map(utc),
                member: list.contains(&me),
                members: list
                    .iter()
                    .map(|u| UserRef {
                        id: UserId(*u),
                        display_name: names.get(u).cloned().unwrap_or_default(),
                    })
                    .collect(),
                created_at: utc(r.created_at),
            }
        })
        .collect())
}

fn one(conn: &mut DbConn, actor: &Actor, row: OrganisationRow) -> AppResult<Organisation> {
    let id = row.id;
    to_views(conn, actor, vec![row])?
        .pop()
        .ok_or_else(|| AppError::not_found(format!("organisation {id} does not exist")))
}

/// `GET /api/v1/market/organisations`: the verified ones and mine; staff see all (the ones
/// waiting for verification first).
pub fn list(conn: &mut DbConn, actor: &Actor) -> AppResult<Vec<Organisation>> {
    let me = actor.require()?.principal.id.0;
    let staff = can(actor, &Action::VerifyOrganisation);
    let mine = store::memberships(conn, me)?;
    let mut q = market_organisations::table.into_boxed();
    if !staff {
        q = q.filter(
            market_organisations::verified_at
                .is_not_null()
                .or(market_organisations::id.eq_any(mine)),
        );
    }
    let mut rows: Vec<OrganisationRow> = q
        .order(market_organisations::id)
        .limit(500)
        .select(OrganisationRow::as_select())
        .load(conn)?;
    // Unverified first (staff's work), then by name whatever the case, the same on either
    // database (their collations differ).
    rows.sort_by_cached_key(|r| (r.verified_at.is_some(), r.name.to_lowercase(), r.id));
    to_views(conn, actor, rows)
}

/// `POST /api/v1/market/organisations`.
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    new: &NewOrganisation,
    now: NaiveDateTime,
) -> AppResult<Organisation> {
    authorize(actor, &Action::CreateOrganisation)?;
    let me = actor.require()?.principal.id.0;
    let mut errors = Vec::new();
    let name = check_text(
        "name",
        &new.name,
        2,
        MAX_ORGANISATION_NAME_LEN,
        false,
        &mut errors,
    );
    let description = check_text("description", &new.description, 0, 2_000, true, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let now = stored_time(now);
    let taken =
        || AppError::new(ErrorCode::Conflict).with_detail("an organisation has this name already");
    let result = write_tx(conn, |conn| -> AppResult<i64> {
        let exists: i64 = market_organisations::table
            .filter(market_organisations::name.eq(&name))
            .count()
            .get_result(conn)?;
        if exists > 0 {
            return Err(taken());
        }
        let id = crate::insert_returning_id!(
            conn,
            market_organisations::table,
            market_organisations::id,
            (
                market_organisations::name.eq(&name),
                market_organisations::kind.eq(new.kind.as_str()),
                market_organisations::description.eq(&description),
                market_organisations::created_by.eq(me),
                market_organisations::created_at.eq(now),
            )
        )?;
        diesel::insert_into(market_organisation_members::table)
            .values((
                market_organisation_members::organisation_id.eq(id),
                market_organisation_members::user_id.eq(me),
                market_organisation_members::created_at.eq(now),
            ))
            .execute(conn)?;
        audit::record_if_assisted(
            conn,
            actor,
            "market.organisation.create",
            Object {
                kind: "market_organisation",
                id,
            },
            json!({"name": name}),
            now,
        )?;
        Ok(id)
    });
    let id = match result {
        Err(e) if is_unique_violation(&e) => return Err(taken()),
        other => other?,
    };
    let row = store::organisation(conn, id)?
        .ok_or_else(|| AppError::not_found(format!("organisation {id} does not exist")))?;
    one(conn, actor, row)
}

/// `POST /api/v1/market/organisations/{id}/verification` (staff, audited). Verifying a
/// verified organisation changes nothing.
pub fn verify(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> AppResult<Organisation> {
    authorize(actor, &Action::VerifyOrganisation)?;
    let me = actor.require()?.principal.id.0;
    let now = stored_time(now);
    write_tx(conn, |conn| -> AppResult<()> {
        let row = store::organisation(conn, id)?
            .ok_or_else(|| AppError::not_found(format!("organisation {id} does not exist")))?;
        if row.verified_at.is_some() {
            return Ok(());
        }
        let members = store::members_of(conn, &[id])?
            .remove(&id)
            .unwrap_or_default();
        not_concerning_oneself(actor, &members, "verify an organisation they belong to")?;
        diesel::update(market_organisations::table.find(id))
            .set((
                market_organisations::verified_by.eq(Some(me)),
                market_organisations::verified_at.eq(Some(now)),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            actor,
            "market.organisation.verify",
            Some(Object {
                kind: "market_organisation",
                id,
            }),
            None,
            json!({"name": row.name}),
            now,
        )?;
        crate::notifications::notify(
            conn,
            row.created_by,
            NotificationKind::OrganisationVerified,
            json!({"title": row.name}),
            "/banca-del-tempo/organizzazioni",
            now,
        )?;
        Ok(())
    })?;
    let row = store::organisation(conn, id)?
        .ok_or_else(|| AppError::not_found(format!("organisation {id} does not exist")))?;
    one(conn, actor, row)
}

/// `POST /api/v1/market/organisations/{id}/members`: a member (or staff) adds someone.
pub fn add_member(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    new: &NewOrganisationMember,
    now: NaiveDateTime,
) -> AppResult<Organisation> {
    let me = actor.require()?.principal.id.0;
    let hidden = || AppError::not_found(format!("organisation {id} does not exist"));
    let row = store::organisation(conn, id)?.ok_or_else(hidden)?;
    let member = store::is_member(conn, id, me)?;
    authorize(
        actor,
        &Action::ManageOrganisation {
            member,
            visible: row.verified_at.is_some(),
        },
    )?;
    // Only someone the adder may find (who shares a community with them; staff: anyone), so
    // that adding is not a way to learn the names of strangers.
    let found = crate::chat::people::reachable(conn, actor, &[new.user_id.0])?;
    if !found.contains(&new.user_id.0) {
        return Err(AppError::invalid(
            "user_id",
            "unknown",
            format!(
                "user {} does not exist or is out of your reach",
                new.user_id
            ),
        ));
    }
    let now = stored_time(now);
    write_tx(conn, |conn| -> AppResult<()> {
        crate::on_backend!(conn, c => diesel::insert_into(market_organisation_members::table)
            .values((
                market_organisation_members::organisation_id.eq(id),
                market_organisation_members::user_id.eq(new.user_id.0),
                market_organisation_members::created_at.eq(now),
            ))
            .on_conflict((
                market_organisation_members::organisation_id,
                market_organisation_members::user_id,
            ))
            .do_nothing()
            .execute(c))?;
        audit::record_if_assisted(
            conn,
            actor,
            "market.organisation.add_member",
            Object {
                kind: "market_organisation",
                id,
            },
            json!({"user_id": new.user_id.0}),
            now,
        )?;
        Ok(())
    })?;
    one(conn, actor, row)
}
