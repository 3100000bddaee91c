//! Queries of the marketplace. Called inside the domain's transactions.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use cortile_shared::market::ListingStatus;
use diesel::prelude::*;

use crate::db::schema::{
    buildings, estates, market_exchanges, market_listings, market_organisation_members,
    market_organisations, market_reviews,
};
use crate::db::DbConn;
use crate::error::AppResult;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = market_listings)]
pub struct ListingRow {
    pub id: i64,
    pub kind: String,
    pub category: String,
    pub title: String,
    pub description_md: String,
    pub description_html: String,
    pub price_type: String,
    pub price_amount: Option<i64>,
    pub estimated_minutes: Option<i64>,
    pub availability: String,
    pub place_kind: String,
    pub estate_id: Option<i64>,
    pub lat: f64,
    pub lon: f64,
    pub reach: String,
    pub home_building_id: Option<i64>,
    pub author_id: i64,
    pub organisation_id: Option<i64>,
    pub status: String,
    pub exchanges_count: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = market_exchanges)]
pub struct ExchangeRow {
    pub id: i64,
    pub listing_id: i64,
    pub provider_id: i64,
    pub receiver_id: i64,
    pub proposed_by: i64,
    pub estate_id: Option<i64>,
    pub minutes: i64,
    pub state: String,
    pub proposed_at: NaiveDateTime,
    pub accepted_at: Option<NaiveDateTime>,
    pub completed_at: Option<NaiveDateTime>,
    pub confirmed_at: Option<NaiveDateTime>,
    pub cancelled_at: Option<NaiveDateTime>,
    pub cancelled_by: Option<i64>,
    pub disputed_at: Option<NaiveDateTime>,
    pub disputed_by: Option<i64>,
    pub dispute_reason: Option<String>,
    pub resolved_at: Option<NaiveDateTime>,
    pub resolved_by: Option<i64>,
    pub resolution_note: Option<String>,
    pub transfer_id: Option<i64>,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = market_organisations)]
pub struct OrganisationRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub description: String,
    pub created_by: i64,
    pub verified_by: Option<i64>,
    pub verified_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub fn listing(conn: &mut DbConn, id: i64) -> AppResult<Option<ListingRow>> {
    Ok(market_listings::table
        .find(id)
        .select(ListingRow::as_select())
        .first(conn)
        .optional()?)
}

/// A listing's status inside a writing transaction: on PostgreSQL with the row locked for the
/// update the transaction makes next (its count of exchanges), so that a concurrent close is
/// waited for and seen, and two proposals queue instead of deadlocking (two share locks, then
/// two updates, would). SQLite's writer already holds the database.
pub fn listing_status_locked(conn: &mut DbConn, id: i64) -> AppResult<Option<String>> {
    Ok(match conn {
        DbConn::Postgres(c) => market_listings::table
            .find(id)
            .select(market_listings::status)
            .for_no_key_update()
            .first(c)
            .optional()?,
        DbConn::Sqlite(c) => market_listings::table
            .find(id)
            .select(market_listings::status)
            .first(c)
            .optional()?,
    })
}

/// Closes those of these listings that are open (closing a closed one changes nothing).
pub fn close_open(conn: &mut DbConn, ids: &[i64], now: NaiveDateTime) -> AppResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(diesel::update(
        market_listings::table
            .filter(market_listings::id.eq_any(ids))
            .filter(market_listings::status.eq(ListingStatus::Open.as_str())),
    )
    .set((
        market_listings::status.eq(ListingStatus::Closed.as_str()),
        market_listings::closed_at.eq(Some(now)),
        market_listings::updated_at.eq(now),
    ))
    .execute(conn)?)
}

pub fn listings_by_ids(conn: &mut DbConn, ids: &[i64]) -> AppResult<HashMap<i64, ListingRow>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(market_listings::table
        .filter(market_listings::id.eq_any(ids))
        .select(ListingRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|r| (r.id, r))
        .collect())
}

/// An exchange, locked until the transaction ends (PostgreSQL; SQLite's writers hold the
/// database's write lock already).
pub fn exchange_for_update(conn: &mut DbConn, id: i64) -> AppResult<Option<ExchangeRow>> {
    Ok(match conn {
        DbConn::Postgres(c) => market_exchanges::table
            .find(id)
            .select(ExchangeRow::as_select())
            .for_update()
            .first(c)
            .optional()?,
        DbConn::Sqlite(c) => market_exchanges::table
            .find(id)
            .select(ExchangeRow::as_select())
            .first(c)
            .optional()?,
    })
}

pub fn exchange(conn: &mut DbConn, id: i64) -> AppResult<Option<ExchangeRow>> {
    Ok(market_exchanges::table
        .find(id)
        .select(ExchangeRow::as_select())
        .first(conn)
        .optional()?)
}

/// Estate names by id.
pub fn estate_names(conn: &mut DbConn, ids: &[i64]) -> AppResult<HashMap<i64, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(estates::table
        .filter(estates::id.eq_any(ids))
        .select((estates::id, estates::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

/// An estate's centre.
pub fn estate_centre(conn: &mut DbConn, id: i64) -> AppResult<Option<(f64, f64)>> {
    Ok(estates::table
        .find(id)
        .select((estates::centroid_lat, estates::centroid_lon))
        .first(conn)
        .optional()?)
}

/// A building's point.
pub fn building_point(conn: &mut DbConn, id: i64) -> AppResult<Option<(f64, f64)>> {
    Ok(buildings::table
        .find(id)
        .select((buildings::lat, buildings::lon))
        .first(conn)
        .optional()?)
}

/// The estate of a building.
pub fn building_estate(conn: &mut DbConn, id: i64) -> AppResult<Option<i64>> {
    Ok(buildings::table
        .find(id)
        .select(buildings::estate_id)
        .first(conn)
        .optional()?)
}

pub fn organisation(conn: &mut DbConn, id: i64) -> AppResult<Option<OrganisationRow>> {
    Ok(market_organisations::table
        .find(id)
        .select(OrganisationRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn organisations_by_ids(
    conn: &mut DbConn,
    ids: &[i64],
) -> AppResult<HashMap<i64, OrganisationRow>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(market_organisations::table
        .filter(market_organisations::id.eq_any(ids))
        .select(OrganisationRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|r| (r.id, r))
        .collect())
}

pub fn is_member(conn: &mut DbConn, organisation_id: i64, user_id: i64) -> AppResult<bool> {
    let n: i64 = market_organisation_members::table
        .filter(market_organisation_members::organisation_id.eq(organisation_id))
        .filter(market_organisation_members::user_id.eq(user_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The organisations a user belongs to.
pub fn memberships(conn: &mut DbConn, user_id: i64) -> AppResult<Vec<i64>> {
    Ok(market_organisation_members::table
        .filter(market_organisation_members::user_id.eq(user_id))
        .select(market_organisation_members::organisation_id)
        .load(conn)?)
}

/// Members of organisations (organisation id → user ids, in joining order).
pub fn members_of(conn: &mut DbConn, ids: &[i64]) -> AppResult<HashMap<i64, Vec<i64>>> {
    let rows: Vec<(i64, i64)> = market_organisation_members::table
        .filter(market_organisation_members::organisation_id.eq_any(ids))
        .order(market_organisation_members::id)
        .select((
            market_organisation_members::organisation_id,
            market_organisation_members::user_id,
        ))
        .load(conn)?;
    let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
    for (org, user) in rows {
        out.entry(org).or_default().push(user);
    }
    Ok(out)
}

/// The exchanges this user reviewed, among these.
pub fn reviewed_by(conn: &mut DbConn, user_id: i64, exchange_ids: &[i64]) -> AppResult<Vec<i64>> {
    if exchange_ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(market_reviews::table
        .filter(market_reviews::author_id.eq(user_id))
        .filter(market_reviews::exchange_id.eq_any(exchange_ids))
        .select(market_reviews::exchange_id)
        .load(conn)?)
}
