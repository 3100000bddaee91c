//! Registry queries (diesel DSL, the same text on SQLite and PostgreSQL).

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::schema::{buildings, estates, units};
use crate::db::DbConn;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = estates)]
pub struct EstateRow {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub district: i32,
    pub boundary: String,
    pub centroid_lat: f64,
    pub centroid_lon: f64,
    pub min_lat: f64,
    pub min_lon: f64,
    pub max_lat: f64,
    pub max_lon: f64,
    pub buildings_count: i64,
    pub homes_count: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = estates)]
pub struct NewEstate {
    pub code: String,
    pub name: String,
    pub district: i32,
    pub boundary: String,
    pub centroid_lat: f64,
    pub centroid_lon: f64,
    pub min_lat: f64,
    pub min_lon: f64,
    pub max_lat: f64,
    pub max_lon: f64,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = buildings)]
pub struct BuildingRow {
    pub id: i64,
    pub estate_id: i64,
    pub code: String,
    pub address: String,
    pub postcode: String,
    pub lat: f64,
    pub lon: f64,
    pub floors: i32,
    pub has_lift: bool,
    pub homes_count: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = buildings)]
pub struct NewBuilding {
    pub estate_id: i64,
    pub code: String,
    pub address: String,
    pub postcode: String,
    pub lat: f64,
    pub lon: f64,
    pub floors: i32,
    pub has_lift: bool,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = units)]
pub struct UnitRow {
    pub id: i64,
    pub building_id: i64,
    pub code: String,
    pub staircase: String,
    pub floor: i32,
    pub rooms: i32,
    pub area_m2: f64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = units)]
pub struct NewUnit {
    pub building_id: i64,
    pub code: String,
    pub staircase: String,
    pub floor: i32,
    pub rooms: i32,
    pub area_m2: f64,
}

/// Rows per multi-row INSERT: stays well under SQLite's limit of bound variables.
const INSERT_CHUNK: usize = 1_000;

/// Estates ordered by (name, id), starting after the given key.
pub fn list_estates(
    conn: &mut DbConn,
    after: Option<(&str, i64)>,
    limit: i64,
) -> QueryResult<Vec<EstateRow>> {
    let mut query = estates::table
        .select(EstateRow::as_select())
        .order((estates::name.asc(), estates::id.asc()))
        .limit(limit)
        .into_boxed();
    if let Some((name, id)) = after {
        query = query.filter(
            estates::name
                .gt(name.to_owned())
                .or(estates::name.eq(name.to_owned()).and(estates::id.gt(id))),
        );
    }
    query.load(conn)
}

pub fn all_estates(conn: &mut DbConn) -> QueryResult<Vec<EstateRow>> {
    estates::table
        .select(EstateRow::as_select())
        .order((estates::name.asc(), estates::id.asc()))
        .load(conn)
}

pub fn get_estate(conn: &mut DbConn, id: i64) -> QueryResult<Option<EstateRow>> {
    estates::table
        .find(id)
        .select(EstateRow::as_select())
        .first(conn)
        .optional()
}

pub fn count_estates(conn: &mut DbConn) -> QueryResult<i64> {
    estates::table.count().get_result(conn)
}

/// Buildings of an estate in address order.
pub fn buildings_of_estate(conn: &mut DbConn, estate_id: i64) -> QueryResult<Vec<BuildingRow>> {
    buildings::table
        .filter(buildings::estate_id.eq(estate_id))
        .select(BuildingRow::as_select())
        .order((buildings::address.asc(), buildings::id.asc()))
        .load(conn)
}

pub fn all_buildings(conn: &mut DbConn) -> QueryResult<Vec<BuildingRow>> {
    buildings::table
        .select(BuildingRow::as_select())
        .order(buildings::id.asc())
        .load(conn)
}

pub fn get_building(conn: &mut DbConn, id: i64) -> QueryResult<Option<BuildingRow>> {
    buildings::table
        .find(id)
        .select(BuildingRow::as_select())
        .first(conn)
        .optional()
}

/// Units of a building by staircase, floor and code.
pub fn units_of_building(conn: &mut DbConn, building_id: i64) -> QueryResult<Vec<UnitRow>> {
    units::table
        .filter(units::building_id.eq(building_id))
        .select(UnitRow::as_select())
        .order((
            units::staircase.asc(),
            units::floor.asc(),
            units::code.asc(),
        ))
        .load(conn)
}

/// Recomputes the stored counts (homes per building; buildings and homes per estate) of the
/// given estates. Every registry write calls it in the same transaction as the change.
pub fn refresh_counts(conn: &mut DbConn, estate_ids: &[i64]) -> QueryResult<()> {
    use diesel::connection::SimpleConnection;
    for chunk in estate_ids.chunks(500) {
        // Ids are integers, so inlining them is safe; bind placeholders differ between backends.
        let ids = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        conn.batch_execute(&format!(
            "UPDATE buildings SET homes_count = \
                 (SELECT COUNT(*) FROM units WHERE units.building_id = buildings.id) \
             WHERE estate_id IN ({ids}); \
             UPDATE estates SET \
                 buildings_count = (SELECT COUNT(*) FROM buildings \
                                    WHERE buildings.estate_id = estates.id), \
                 homes_count = (SELECT COALESCE(SUM(buildings.homes_count), 0) FROM buildings \
                                WHERE buildings.estate_id = estates.id) \
             WHERE id IN ({ids});"
        ))?;
    }
    Ok(())
}

pub fn insert_estate(conn: &mut DbConn, estate: &NewEstate) -> QueryResult<i64> {
    diesel::insert_into(estates::table)
        .values(estate)
        .execute(conn)?;
    estates::table
        .filter(estates::code.eq(&estate.code))
        .select(estates::id)
        .first(conn)
}

/// Inserts buildings and returns their ids by code.
pub fn insert_buildings(
    conn: &mut DbConn,
    rows: &[NewBuilding],
) -> QueryResult<HashMap<String, i64>> {
    for chunk in rows.chunks(INSERT_CHUNK) {
        crate::on_backend!(conn, c => diesel::insert_into(buildings::table)
            .values(chunk)
            .execute(c))?;
    }
    let codes: Vec<&str> = rows.iter().map(|b| b.code.as_str()).collect();
    let mut ids = HashMap::with_capacity(rows.len());
    for chunk in codes.chunks(INSERT_CHUNK) {
        let found: Vec<(String, i64)> = buildings::table
            .filter(buildings::code.eq_any(chunk))
            .select((buildings::code, buildings::id))
            .load(conn)?;
        ids.extend(found);
    }
    Ok(ids)
}

pub fn insert_units(conn: &mut DbConn, rows: &[NewUnit]) -> QueryResult<usize> {
    let mut n = 0;
    for chunk in rows.chunks(INSERT_CHUNK) {
        n += crate::on_backend!(conn, c => diesel::insert_into(units::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(n)
}
