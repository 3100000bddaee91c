//! The audit log: who did what to whom, on whose behalf, when and why.
//!
//! Domain functions call [`record`] inside the same transaction as the act they record, so an
//! act and its record commit together or not at all. Rows are never updated or deleted; an
//! erased account's rows stay, pointing at the pseudonymised user.

pub mod routes;

use chrono::{DateTime, NaiveDateTime, Utc};
use cortile_shared::auth::UserRef;
use cortile_shared::tenancy::AuditEntry;
use cortile_shared::{Page, UserId};
use diesel::prelude::*;
use serde::Deserialize;

use crate::auth::Actor;
use crate::db::schema::{audit_log, users};
use crate::db::DbConn;
use crate::error::AppResult;

/// What was touched.
#[derive(Debug, Clone, Copy)]
pub struct Object<'a> {
    pub kind: &'a str,
    pub id: i64,
}

/// Records an act only when an operator does it for a resident (assisted mode): a resident's
/// own everyday acts (a post, a listing) are not audited, but everything done on their behalf
/// is.
pub fn record_if_assisted(
    conn: &mut DbConn,
    actor: &Actor,
    action: &str,
    object: Object<'_>,
    detail: serde_json::Value,
    now: NaiveDateTime,
) -> AppResult<()> {
    if actor.operator().is_some() {
        record(conn, actor, action, Some(object), None, detail, now)?;
    }
    Ok(())
}

/// Records one act of `actor`. In assisted mode the operator is the actor and the resident is
/// recorded as the person acted for.
pub fn record(
    conn: &mut DbConn,
    actor: &Actor,
    action: &str,
    object: Option<Object<'_>>,
    purpose: Option<&str>,
    detail: serde_json::Value,
    now: NaiveDateTime,
) -> AppResult<i64> {
    let (who, on_behalf) = match (actor.operator(), actor.principal()) {
        (Some(op), Some(resident)) => (Some(op.id.0), Some(resident.id.0)),
        (None, Some(user)) => (Some(user.id.0), None),
        _ => (None, None),
    };
    Ok(crate::insert_returning_id!(
        conn,
        audit_log::table,
        audit_log::id,
        (
            audit_log::at.eq(now),
            audit_log::actor_user_id.eq(who),
            audit_log::on_behalf_of_user_id.eq(on_behalf),
            audit_log::action.eq(action),
            audit_log::object_kind.eq(object.map(|o| o.kind)),
            audit_log::object_id.eq(object.map(|o| o.id)),
            audit_log::purpose.eq(purpose),
            audit_log::detail.eq(detail.to_string()),
            audit_log::request_id.eq(actor.request_id.as_deref()),
        )
    )?)
}

/// Filters of the audit log list (query parameters of `GET /api/v1/audit`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilter {
    /// Only acts by (or on behalf of) this user.
    pub actor: Option<i64>,
    /// Only this action (e.g. `tenant_file.open`).
    pub action: Option<String>,
    /// Only acts on this kind of object (e.g. `household`).
    pub object_kind: Option<String>,
    pub object_id: Option<i64>,
}

#[derive(Queryable)]
struct Row {
    id: i64,
    at: NaiveDateTime,
    actor_user_id: Option<i64>,
    on_behalf_of_user_id: Option<i64>,
    action: String,
    object_kind: Option<String>,
    object_id: Option<i64>,
    purpose: Option<String>,
    detail: String,
}

/// A page of the audit log, newest first (`after` is the last id seen).
pub fn list(
    conn: &mut DbConn,
    filter: &AuditFilter,
    after: Option<i64>,
    limit: i64,
) -> AppResult<Page<AuditEntry>> {
    let mut q = audit_log::table.into_boxed();
    if let Some(a) = filter.actor {
        q = q.filter(
            audit_log::actor_user_id
                .eq(a)
                .or(audit_log::on_behalf_of_user_id.eq(a)),
        );
    }
    if let Some(action) = &filter.action {
        q = q.filter(audit_log::action.eq(action.clone()));
    }
    if let Some(kind) = &filter.object_kind {
        q = q.filter(audit_log::object_kind.eq(kind.clone()));
    }
    if let Some(id) = filter.object_id {
        q = q.filter(audit_log::object_id.eq(id));
    }
    if let Some(after) = after {
        q = q.filter(audit_log::id.lt(after));
    }
    let mut rows: Vec<Row> = q
        .order(audit_log::id.desc())
        .limit(limit + 1)
        .select((
            audit_log::id,
            audit_log::at,
            audit_log::actor_user_id,
            audit_log::on_behalf_of_user_id,
            audit_log::action,
            audit_log::object_kind,
            audit_log::object_id,
            audit_log::purpose,
            audit_log::detail,
        ))
        .load(conn)?;
    let limit = usize::try_from(limit).unwrap_or(0);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let mut ids: Vec<i64> = rows
        .iter()
        .flat_map(|r| [r.actor_user_id, r.on_behalf_of_user_id])
        .flatten()
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let names: std::collections::HashMap<i64, String> = users::table
        .filter(users::id.eq_any(&ids))
        .select((users::id, users::display_name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let user_ref = |id: Option<i64>| {
        id.map(|id| UserRef {
            id: UserId(id),
            display_name: names.get(&id).cloned().unwrap_or_default(),
        })
    };
    let next = if more {
        rows.last().map(|r| crate::pagination::encode_cursor(&r.id))
    } else {
        None
    };
    let items = rows
        .into_iter()
        .map(|r| AuditEntry {
            id: r.id,
            at: DateTime::<Utc>::from_naive_utc_and_offset(r.at, Utc),
            actor: user_ref(r.actor_user_id),
            on_behalf_of: user_ref(r.on_behalf_of_user_id),
            action: r.action,
            object_kind: r.object_kind,
            object_id: r.object_id,
            purpose: r.purpose,
            detail: serde_json::from_str(&r.detail).unwrap_or(serde_json::Value::Null),
        })
        .collect();
    Ok(Page { items, next })
}
