//! Applying validated rows: load the registry's current state into memory, compute the
//! difference, write it in one write transaction (rolled back for a dry run or a rejection).

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::parse::{Parsed, Row, RowError};
use super::{ImportError, ImportOptions, ImportReport, Outcome};
use crate::db::schema::{
    buildings, estates, household_members, households, persons, registry_imports, units,
};
use crate::db::{write_tx, DbConn};
use crate::on_backend;
use crate::registry::store;

const CHUNK: usize = 1_000;

#[derive(Queryable)]
struct BuildingState {
    id: i64,
    estate_id: i64,
    code: String,
    address: String,
    postcode: String,
    lat: f64,
    lon: f64,
}

#[derive(Queryable)]
struct UnitState {
    id: i64,
    building_id: i64,
    code: String,
    staircase: String,
    floor: i32,
    rooms: i32,
    area_m2: f64,
}

#[derive(Queryable)]
struct HouseholdState {
    id: i64,
    unit_id: i64,
    contract_code: String,
    contract_start: NaiveDate,
    contract_status: String,
}

#[derive(Queryable)]
struct PersonState {
    id: i64,
    fiscal_code: String,
    surname: String,
    given_name: String,
    birth_date: NaiveDate,
    phone: Option<String>,
    email: Option<String>,
}

#[derive(Queryable)]
struct MembershipState {
    id: i64,
    household_id: i64,
    person_id: i64,
    role: String,
}

#[derive(Insertable)]
#[diesel(table_name = households)]
struct NewHousehold<'a> {
    unit_id: i64,
    contract_code: &'a str,
    contract_start: NaiveDate,
    contract_status: &'a str,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = persons)]
struct NewPerson<'a> {
    fiscal_code: &'a str,
    surname: &'a str,
    given_name: &'a str,
    birth_date: NaiveDate,
    phone: Option<&'a str>,
    email: Option<&'a str>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = household_members)]
struct NewMembership {
    household_id: i64,
    person_id: i64,
    role: &'static str,
    started_at: NaiveDateTime,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = registry_imports)]
struct NewImportRecord<'a> {
    source_name: &'a str,
    mode: &'a str,
    dry_run: bool,
    outcome: &'a str,
    rows_total: i32,
    created_count: i32,
    updated_count: i32,
    unchanged_count: i32,
    ended_count: i32,
    rejected_count: i32,
    report: String,
    imported_by: &'a str,
    created_at: NaiveDateTime,
}

fn load_buildings(conn: &mut DbConn) -> QueryResult<HashMap<String, BuildingState>> {
    Ok(buildings::table
        .select((
            buildings::id,
            buildings::estate_id,
            buildings::code,
            buildings::address,
            buildings::postcode,
            buildings::lat,
            buildings::lon,
        ))
        .load::<BuildingState>(conn)?
        .into_iter()
        .map(|b| (b.code.clone(), b))
        .collect())
}

fn load_units(conn: &mut DbConn) -> QueryResult<HashMap<String, UnitState>> {
    Ok(units::table
        .select((
            units::id,
            units::building_id,
            units::code,
            units::staircase,
            units::floor,
            units::rooms,
            units::area_m2,
        ))
        .load::<UnitState>(conn)?
        .into_iter()
        .map(|u| (u.code.clone(), u))
        .collect())
}

/// Marker error to roll back a transaction whose report is still wanted.
enum Stop {
    Rollback(Box<ImportReport>),
    Failed(ImportError),
}

impl From<diesel::result::Error> for Stop {
    fn from(e: diesel::result::Error) -> Self {
        Stop::Failed(ImportError::Db(e))
    }
}

fn same_point(a: (f64, f64), b: (f64, f64)) -> bool {
    (a.0 - b.0).abs() < 1e-7 && (a.1 - b.1).abs() < 1e-7
}

pub(super) fn apply(
    conn: &mut DbConn,
    parsed: &Parsed,
    rows: Vec<Row>,
    errors: Vec<RowError>,
    rejected_codes: HashSet<String>,
    options: &ImportOptions,
    now: NaiveDateTime,
) -> Result<ImportReport, ImportError> {
    let result = write_tx(conn, |conn| -> Result<ImportReport, Stop> {
        let mut errors = errors;
        let mut rejected_codes = rejected_codes;

        // ---- Checks against the registry (before any write) ----------------------------
        let estate_ids: HashMap<String, i64> = estates::table
            .select((estates::code, estates::id))
            .load::<(String, i64)>(conn)?
            .into_iter()
            .collect();
        let mut building_state: HashMap<String, BuildingState> = load_buildings(conn)?;
        let mut good = Vec::with_capacity(rows.len());
        for row in rows {
            let fail = |column: &str, code: &str, reason: String| {
                RowError::new(row.line, Some(column), code, reason)
            };
            let Some(estate_id) = estate_ids.get(&row.estate_code).copied() else {
                errors.push(fail(
                    "codice_complesso",
                    "unknown_estate",
                    format!(
                        "estate {} is not in the registry (estates are added with their boundary)",
                        row.estate_code
                    ),
                ));
                rejected_codes.insert(row.fiscal_code.as_str().to_owned());
                continue;
            };
            match building_state.get(&row.building_code) {
                Some(b) if b.estate_id != estate_id => {
                    errors.push(fail(
                        "codice_fabbricato",
                        "conflict",
                        format!(
                            "building {} belongs to another estate in the registry",
                            row.building_code
                        ),
                    ));
                    rejected_codes.insert(row.fiscal_code.as_str().to_owned());
                    continue;
                }
                None if row.point.is_none() => {
                    errors.push(fail(
                        "latitudine",
                        "required",
                        format!("building {} is new to the registry: give its latitudine and longitudine", row.building_code),
                    ));
                    rejected_codes.insert(row.fiscal_code.as_str().to_owned());
                    continue;
                }
                _ => {}
            }
            good.push((row, estate_id));
        }
        errors.sort_by_key(|e| e.line);
        let mut report = ImportReport {
            outcome: Outcome::Applied,
            encoding: parsed.encoding,
            separator: parsed.separator,
            rows_total: parsed.rows_total,
            created: 0,
            updated: 0,
            unchanged: 0,
            ended: 0,
            rejected: errors.len(),
            errors,
            import_id: None,
        };

        if !report.errors.is_empty() && !options.partial {
            // All-or-nothing: write nothing but the record of the attempt.
            report.outcome = if options.dry_run {
                Outcome::DryRun
            } else {
                Outcome::Rejected
            };
            return Err(Stop::Rollback(Box::new(report)));
        }

        // ---- Buildings -----------------------------------------------------------------
        let mut touched_estates: HashSet<i64> = HashSet::new();
        let mut changed_buildings: HashSet<String> = HashSet::new();
        let mut new_buildings = Vec::new();
        let mut seen_buildings = HashSet::new();
        for (row, estate_id) in &good {
            if !seen_buildings.insert(row.building_code.clone()) {
                continue;
            }
            match building_state.get(&row.building_code) {
                None => {
                    let (lat, lon) = row.point.unwrap_or_default();
                    new_buildings.push(store::NewBuilding {
                        estate_id: *estate_id,
                        code: row.building_code.clone(),
                        address: row.address.clone(),
                        postcode: row.postcode.clone(),
                        lat,
                        lon,
                        floors: row.floor.max(0) + 1,
                        has_lift: false,
                    });
                    touched_estates.insert(*estate_id);
                    changed_buildings.insert(row.building_code.clone());
                }
                Some(b) => {
                    let point = row.point.unwrap_or((b.lat, b.lon));
                    if b.address != row.address
                        || b.postcode != row.postcode
                        || !same_point(point, (b.lat, b.lon))
                    {
                        diesel::update(buildings::table.find(b.id))
                            .set((
                                buildings::address.eq(&row.address),
                                buildings::postcode.eq(&row.postcode),
                                buildings::lat.eq(point.0),
                                buildings::lon.eq(point.1),
                                buildings::updated_at.eq(now),
                            ))
                            .execute(conn)?;
                        changed_buildings.insert(row.building_code.clone());
                    }
                }
            }
        }
        if !new_buildings.is_empty() {
            store::insert_buildings(conn, &new_buildings)?;
            building_state = load_buildings(conn)?;
        }
        let building_id = |code: &str| building_state.get(code).map(|b| b.id);

        // ---- Units ---------------------------------------------------------------------
        let mut unit_state: HashMap<String, UnitState> = load_units(conn)?;
        let mut changed_units: HashSet<String> = HashSet::new();
        let mut new_units = Vec::new();
        let mut seen_units = HashSet::new();
        for (row, estate_id) in &good {
            if !seen_units.insert(row.unit_code.clone()) {
                continue;
            }
            let Some(b_id) = building_id(&row.building_code) else {
                continue;
            };
            match unit_state.get(&row.unit_code) {
                None => {
                    new_units.push(store::NewUnit {
                        building_id: b_id,
                        code: row.unit_code.clone(),
                        staircase: row.staircase.clone(),
                        floor: row.floor,
                        rooms: row.rooms,
                        area_m2: row.area_m2,
                    });
                    touched_estates.insert(*estate_id);
                    changed_units.insert(row.unit_code.clone());
                }
                Some(u) => {
                    if u.building_id != b_id
                        || u.staircase != row.staircase
                        || u.floor != row.floor
                        || u.rooms != row.rooms
                        || (u.area_m2 - row.area_m2).abs() > 0.005
                    {
                        if u.building_id != b_id {
                            touched_estates.insert(*estate_id);
                        }
                        diesel::update(units::table.find(u.id))
                            .set((
                                units::building_id.eq(b_id),
                                units::staircase.eq(&row.staircase),
                                units::floor.eq(row.floor),
                                units::rooms.eq(row.rooms),
                                units::area_m2.eq(row.area_m2),
                                units::updated_at.eq(now),
                            ))
                            .execute(conn)?;
                        changed_units.insert(row.unit_code.clone());
                    }
                }
            }
        }
        if !new_units.is_empty() {
            store::insert_units(conn, &new_units)?;
            unit_state = load_units(conn)?;
        }

        // ---- Households (contracts) ----------------------------------------------------
        let load_households = |conn: &mut DbConn| -> QueryResult<HashMap<String, HouseholdState>> {
            Ok(households::table
                .select((
                    households::id,
                    households::unit_id,
                    households::contract_code,
                    households::contract_start,
                    households::contract_status,
                ))
                .load::<HouseholdState>(conn)?
                .into_iter()
                .map(|h| (h.contract_code.clone(), h))
                .collect())
        };
        let mut household_state = load_households(conn)?;
        let mut changed_households: HashSet<String> = HashSet::new();
        let mut new_households = Vec::new();
        let mut seen_households = HashSet::new();
        for (row, _) in &good {
            if !seen_households.insert(row.contract_code.clone()) {
                continue;
            }
            let Some(unit_id) = unit_state.get(&row.unit_code).map(|u| u.id) else {
                continue;
            };
            match household_state.get(&row.contract_code) {
                None => {
                    new_households.push(NewHousehold {
                        unit_id,
                        contract_code: &row.contract_code,
                        contract_start: row.contract_start,
                        contract_status: "active",
                        created_at: now,
                        updated_at: now,
                    });
                    changed_households.insert(row.contract_code.clone());
                }
                Some(h) => {
                    if h.unit_id != unit_id
                        || h.contract_start != row.contract_start
                        || h.contract_status != "active"
                    {
                        diesel::update(households::table.find(h.id))
                            .set((
                                households::unit_id.eq(unit_id),
                                households::contract_start.eq(row.contract_start),
                                households::contract_status.eq("active"),
                                households::ended_at.eq(None::<NaiveDateTime>),
                                households::updated_at.eq(now),
                            ))
                            .execute(conn)?;
                        changed_households.insert(row.contract_code.clone());
                    }
                }
            }
        }
        for chunk in new_households.chunks(CHUNK) {
            on_backend!(conn, c => diesel::insert_into(households::table).values(chunk).execute(c))?;
        }
        if !new_households.is_empty() {
            household_state = load_households(conn)?;
        }

        // ---- Persons -------------------------------------------------------------------
        let load_persons = |conn: &mut DbConn| -> QueryResult<HashMap<String, PersonState>> {
            Ok(persons::table
                .select((
                    persons::id,
                    persons::fiscal_code,
                    persons::surname,
                    persons::given_name,
                    persons::birth_date,
                    persons::phone,
                    persons::email,
                ))
                .load::<PersonState>(conn)?
                .into_iter()
                .map(|p| (p.fiscal_code.clone(), p))
                .collect())
        };
        let mut person_state = load_persons(conn)?;
        let mut new_persons = Vec::new();
        let mut known_before: HashSet<String> = HashSet::new();
        let mut changed_persons: HashSet<String> = HashSet::new();
        for (row, _) in &good {
            let fc = row.fiscal_code.as_str();
            match person_state.get(fc) {
                None => new_persons.push(NewPerson {
                    fiscal_code: fc,
                    surname: &row.surname,
                    given_name: &row.given_name,
                    birth_date: row.birth_date,
                    phone: row.phone.as_deref(),
                    email: row.email.as_deref(),
                    created_at: now,
                    updated_at: now,
                }),
                Some(p) => {
                    known_before.insert(fc.to_owned());
                    // An empty phone or email in the export means "not known", not "erase".
                    let phone = row.phone.clone().or_else(|| p.phone.clone());
                    let email = row.email.clone().or_else(|| p.email.clone());
                    if p.surname != row.surname
                        || p.given_name != row.given_name
                        || p.birth_date != row.birth_date
                        || p.phone != phone
                        || p.email != email
                    {
                        diesel::update(persons::table.find(p.id))
                            .set((
                                persons::surname.eq(&row.surname),
                                persons::given_name.eq(&row.given_name),
                                persons::birth_date.eq(row.birth_date),
                                persons::phone.eq(phone),
                                persons::email.eq(email),
                                persons::updated_at.eq(now),
                            ))
                            .execute(conn)?;
                        changed_persons.insert(fc.to_owned());
                    }
                }
            }
        }
        for chunk in new_persons.chunks(CHUNK) {
            on_backend!(conn, c => diesel::insert_into(persons::table).values(chunk).execute(c))?;
        }
        if !new_persons.is_empty() {
            person_state = load_persons(conn)?;
        }

        // ---- Memberships ---------------------------------------------------------------
        let active: Vec<MembershipState> = household_members::table
            .filter(household_members::ended_at.is_null())
            .select((
                household_members::id,
                household_members::household_id,
                household_members::person_id,
                household_members::role,
            ))
            .load(conn)?;
        let mut active_by_person: HashMap<i64, MembershipState> =
            active.into_iter().map(|m| (m.person_id, m)).collect();
        let mut new_memberships = Vec::new();
        let mut to_end: Vec<i64> = Vec::new();
        let mut present_persons: HashSet<i64> = HashSet::new();
        for (row, _) in &good {
            let fc = row.fiscal_code.as_str();
            let (Some(person), Some(household)) = (
                person_state.get(fc),
                household_state.get(&row.contract_code),
            ) else {
                continue;
            };
            present_persons.insert(person.id);
            let role = row.role.as_str();
            match active_by_person.remove(&person.id) {
                Some(m) if m.household_id == household.id => {
                    if m.role != role {
                        diesel::update(household_members::table.find(m.id))
                            .set((
                                household_members::role.eq(role),
                                household_members::updated_at.eq(now),
                            ))
                            .execute(conn)?;
                        changed_persons.insert(fc.to_owned());
                    }
                }
                previous => {
                    // New to the registry, newly housed, or moved to another household.
                    if let Some(m) = previous {
                        to_end.push(m.id);
                    }
                    new_memberships.push(NewMembership {
                        household_id: household.id,
                        person_id: person.id,
                        role,
                        started_at: now,
                        created_at: now,
                        updated_at: now,
                    });
                    changed_persons.insert(fc.to_owned());
                }
            }
            if changed_households.contains(&row.contract_code)
                || changed_units.contains(&row.unit_code)
                || changed_buildings.contains(&row.building_code)
            {
                changed_persons.insert(fc.to_owned());
            }
        }
        // Whoever is still in `active_by_person` was housed and is absent from this export.
        let rejected_person_ids: HashSet<i64> = rejected_codes
            .iter()
            .filter_map(|fc| person_state.get(fc).map(|p| p.id))
            .collect();
        let mut ended = 0;
        for (person_id, m) in &active_by_person {
            if !present_persons.contains(person_id) && !rejected_person_ids.contains(person_id) {
                to_end.push(m.id);
                ended += 1;
            }
        }
        for chunk in to_end.chunks(CHUNK) {
            diesel::update(household_members::table.filter(household_members::id.eq_any(chunk)))
                .set((
                    household_members::ended_at.eq(Some(now)),
                    household_members::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        for chunk in new_memberships.chunks(CHUNK) {
            on_backend!(conn, c => diesel::insert_into(household_members::table).values(chunk).execute(c))?;
        }
        // A contract with nobody left in it has ended.
        let with_members: HashSet<i64> = household_members::table
            .filter(household_members::ended_at.is_null())
            .select(household_members::household_id)
            .distinct()
            .load::<i64>(conn)?
            .into_iter()
            .collect();
        let now_empty: Vec<i64> = household_state
            .values()
            .filter(|h| {
                h.contract_status == "active" || changed_households.contains(&h.contract_code)
            })
            .filter(|h| !with_members.contains(&h.id))
            .map(|h| h.id)
            .collect();
        for chunk in now_empty.chunks(CHUNK) {
            diesel::update(households::table.filter(households::id.eq_any(chunk)))
                .set((
                    households::contract_status.eq("ended"),
                    households::ended_at.eq(Some(now)),
                    households::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        if !touched_estates.is_empty() {
            let ids: Vec<i64> = touched_estates.into_iter().collect();
            store::refresh_counts(conn, &ids)?;
            // New buildings get their community in the same transaction.
            crate::communities::sync_vertical(conn, now)?;
        }

        for (row, _) in &good {
            let fc = row.fiscal_code.as_str();
            if !known_before.contains(fc) {
                report.created += 1;
            } else if changed_persons.contains(fc) {
                report.updated += 1;
            } else {
                report.unchanged += 1;
            }
        }
        report.ended = ended;
        if options.dry_run {
            report.outcome = Outcome::DryRun;
            return Err(Stop::Rollback(Box::new(report)));
        }
        report.import_id = Some(record(conn, &report, options, now)?);
        Ok(report)
    });
    match result {
        Ok(report) => Ok(report),
        Err(Stop::Failed(e)) => Err(e),
        Err(Stop::Rollback(report)) => {
            // Nothing of the import was written; keep the record of the attempt.
            let mut report = *report;
            if !options.dry_run {
                let id = write_tx(conn, |conn| record(conn, &report, options, now))?;
                report.import_id = Some(id);
            }
            Ok(report)
        }
    }
}

/// Writes the record of an import and returns its id.
fn record(
    conn: &mut DbConn,
    report: &ImportReport,
    options: &ImportOptions,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let outcome = match report.outcome {
        Outcome::Applied => "applied",
        Outcome::Rejected => "rejected",
        Outcome::DryRun => "dry_run",
    };
    diesel::insert_into(registry_imports::table)
        .values(NewImportRecord {
            source_name: &options.source_name,
            mode: if options.partial {
                "partial"
            } else {
                "all_or_nothing"
            },
            dry_run: options.dry_run,
            outcome,
            rows_total: count(report.rows_total),
            created_count: count(report.created),
            updated_count: count(report.updated),
            unchanged_count: count(report.unchanged),
            ended_count: count(report.ended),
            rejected_count: count(report.rejected),
            report: serde_json::to_string(&report.errors).unwrap_or_else(|_| "[]".into()),
            imported_by: &options.imported_by,
            created_at: now,
        })
        .execute(conn)?;
    registry_imports::table
        .select(registry_imports::id)
        .order(registry_imports::id.desc())
        .first(conn)
}
