//! Community queries (diesel DSL, the same text on SQLite and PostgreSQL).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{
    buildings, communities, community_members, estates, household_members, households, persons,
    reactions, units, users,
};
use crate::db::DbConn;
use crate::error::AppResult;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = communities)]
pub struct CommunityRow {
    pub id: i64,
    pub kind: String,
    pub estate_id: Option<i64>,
    pub building_id: Option<i64>,
    pub name: String,
    pub description: String,
    pub join_policy: String,
    pub members_count: i64,
    pub posts_count: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = community_members)]
pub struct MemberRow {
    pub community_id: i64,
    pub user_id: i64,
    pub status: String,
    pub moderator: bool,
    pub created_at: NaiveDateTime,
}

const INSERT_CHUNK: usize = 500;

/// Creates the missing communities of estates and buildings (idempotent).
pub fn sync_vertical(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    let existing: Vec<String> = communities::table
        .filter(communities::kind.ne("interest"))
        .select(communities::name_key)
        .load(conn)?;
    let existing: std::collections::HashSet<String> = existing.into_iter().collect();
    let mut rows = Vec::new();
    for (id, name) in estates::table
        .select((estates::id, estates::name))
        .load::<(i64, String)>(conn)?
    {
        let key = format!("estate:{id}");
        if !existing.contains(&key) {
            rows.push(("estate", Some(id), None, name, key));
        }
    }
    for (id, estate_id, address, estate_name) in buildings::table
        .inner_join(estates::table)
        .select((
            buildings::id,
            buildings::estate_id,
            buildings::address,
            estates::name,
        ))
        .load::<(i64, i64, String, String)>(conn)?
    {
        let key = format!("building:{id}");
        if !existing.contains(&key) {
            rows.push((
                "building",
                Some(estate_id),
                Some(id),
                format!("{address} ({estate_name})"),
                key,
            ));
        }
    }
    let n = rows.len();
    for chunk in rows.chunks(INSERT_CHUNK) {
        let values: Vec<_> = chunk
            .iter()
            .map(|(kind, estate, building, name, key)| {
                (
                    communities::kind.eq(*kind),
                    communities::estate_id.eq(*estate),
                    communities::building_id.eq(*building),
                    communities::name.eq(name),
                    communities::name_key.eq(key),
                    communities::description.eq(""),
                    communities::join_policy.eq("registry"),
                    communities::created_at.eq(now),
                    communities::updated_at.eq(now),
                )
            })
            .collect();
        crate::on_backend!(conn, c => diesel::insert_into(communities::table)
            .values(&values)
            .execute(c))?;
    }
    Ok(n)
}

pub fn get(conn: &mut DbConn, id: i64) -> AppResult<Option<CommunityRow>> {
    Ok(communities::table
        .find(id)
        .select(CommunityRow::as_select())
        .first(conn)
        .optional()?)
}

/// In one query: the vertical communities of the estates and buildings given, and those the
/// user is an active member of (this runs at every read of the feed).
pub fn vertical_and_joined(
    conn: &mut DbConn,
    estates_: &[i64],
    buildings_: &[i64],
    user_id: i64,
) -> AppResult<Vec<CommunityRow>> {
    let keys: Vec<String> = estates_
        .iter()
        .map(|e| format!("estate:{e}"))
        .chain(buildings_.iter().map(|b| format!("building:{b}")))
        .collect();
    Ok(communities::table
        .filter(
            communities::name_key
                .eq_any(keys)
                .or(communities::id.eq_any(
                    community_members::table
                        .filter(community_members::user_id.eq(user_id))
                        .filter(community_members::status.eq("active"))
                        .select(community_members::community_id),
                )),
        )
        .select(CommunityRow::as_select())
        .load(conn)?)
}

/// The reader's rows in `community_members`, by community.
pub fn memberships(conn: &mut DbConn, user_id: i64) -> AppResult<HashMap<i64, MemberRow>> {
    Ok(community_members::table
        .filter(community_members::user_id.eq(user_id))
        .select(MemberRow::as_select())
        .load::<MemberRow>(conn)?
        .into_iter()
        .map(|m| (m.community_id, m))
        .collect())
}

pub fn membership(conn: &mut DbConn, community: i64, user_id: i64) -> AppResult<Option<MemberRow>> {
    Ok(community_members::table
        .filter(community_members::community_id.eq(community))
        .filter(community_members::user_id.eq(user_id))
        .select(MemberRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn by_ids(conn: &mut DbConn, ids: &[i64]) -> AppResult<Vec<CommunityRow>> {
    Ok(communities::table
        .filter(communities::id.eq_any(ids))
        .order(communities::name)
        .select(CommunityRow::as_select())
        .load(conn)?)
}

/// Communities of interest, by name.
pub fn interest(conn: &mut DbConn) -> AppResult<Vec<CommunityRow>> {
    Ok(communities::table
        .filter(communities::kind.eq("interest"))
        .order((communities::name, communities::id))
        .limit(500)
        .select(CommunityRow::as_select())
        .load(conn)?)
}

/// Accounts whose person lives (now) in the estate or building: a vertical community's members.
pub fn residents(
    conn: &mut DbConn,
    estate_id: Option<i64>,
    building_id: Option<i64>,
    limit: i64,
) -> AppResult<Vec<(i64, String, NaiveDateTime)>> {
    let mut q = users::table
        .inner_join(persons::table.on(users::fiscal_code.eq(persons::fiscal_code.nullable())))
        .inner_join(household_members::table.on(household_members::person_id.eq(persons::id)))
        .inner_join(households::table.on(households::id.eq(household_members::household_id)))
        .inner_join(units::table.on(units::id.eq(households::unit_id)))
        .inner_join(buildings::table.on(buildings::id.eq(units::building_id)))
        .filter(household_members::ended_at.is_null())
        .filter(households::contract_status.eq("active"))
        .filter(users::erased_at.is_null())
        .into_boxed();
    if let Some(b) = building_id {
        q = q.filter(buildings::id.eq(b));
    } else if let Some(e) = estate_id {
        q = q.filter(buildings::estate_id.eq(e));
    }
    Ok(q.order((users::display_name, users::id))
        .limit(limit)
        .select((
            users::id,
            users::display_name,
            household_members::started_at,
        ))
        .load(conn)?)
}

/// Per reaction kind: how many, and whether the reader is one of them.
pub type KindCounts = Vec<(String, i64, bool)>;

/// Counts of each reaction on posts, and the reader's own.
pub fn reaction_counts(
    conn: &mut DbConn,
    post_ids: &[i64],
    reader: i64,
) -> AppResult<HashMap<i64, KindCounts>> {
    let rows: Vec<(i64, String, i64)> = reactions::table
        .filter(reactions::post_id.eq_any(post_ids))
        .select((reactions::post_id, reactions::kind, reactions::user_id))
        .load(conn)?;
    let mut out: HashMap<i64, KindCounts> = HashMap::new();
    for (post, kind, user) in rows {
        let list = out.entry(post).or_default();
        match list.iter_mut().find(|(k, _, _)| *k == kind) {
            Some(entry) => {
                entry.1 += 1;
                entry.2 |= user == reader;
            }
            None => list.push((kind, 1, user == reader)),
        }
    }
    Ok(out)
}

/// Display names of users.
pub fn names(conn: &mut DbConn, ids: &[i64]) -> AppResult<HashMap<i64, String>> {
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::display_name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

/// Communities where the user is banned (not lifted).
pub fn bans_of(conn: &mut DbConn, user_id: i64) -> AppResult<std::collections::HashSet<i64>> {
    use crate::db::schema::community_bans;
    Ok(community_bans::table
        .filter(community_bans::user_id.eq(user_id))
        .filter(community_bans::lifted_at.is_null())
        .select(community_bans::community_id)
        .load::<i64>(conn)?
        .into_iter()
        .collect())
}
