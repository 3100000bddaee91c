//! Report queries (diesel DSL, the same text on SQLite and PostgreSQL), and turning rows into
//! what a reader may see.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, NaiveDateTime};
use cortile_shared::auth::UserRef;
use cortile_shared::geo::LatLon;
use cortile_shared::maintenance::{
    Assignee, Category, Escalation, PlaceKind, Priority, ReportPlace, ReportStatus, ReportSummary,
};
use cortile_shared::{BuildingId, EstateId, UnitId, UserId};
use diesel::prelude::*;

use crate::auth::account::utc;
use crate::auth::policy::{can, Action, Place, ReportCtx};
use crate::auth::Actor;
use crate::db::schema::{buildings, estates, report_supporters, reports, units, users};
use crate::db::DbConn;
use crate::error::AppResult;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reports)]
pub struct ReportRow {
    pub id: i64,
    pub category: String,
    pub place: String,
    pub estate_id: i64,
    pub building_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub staircase: Option<String>,
    pub lat: f64,
    pub lon: f64,
    pub description_html: String,
    pub summary: String,
    pub blocks_access: bool,
    pub danger: bool,
    pub priority: String,
    pub sla_due_at: NaiveDateTime,
    pub status: String,
    pub reporter_id: Option<i64>,
    pub on_behalf_by: Option<i64>,
    pub assignee_user_id: Option<i64>,
    pub assignee_contractor: Option<String>,
    pub escalation: String,
    pub merged_into: Option<i64>,
    pub scheduled_for: Option<NaiveDate>,
    pub status_note: Option<String>,
    pub resolved_at: Option<NaiveDateTime>,
    pub supporters_count: i64,
    pub reopened_count: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl ReportRow {
    pub fn status(&self) -> ReportStatus {
        ReportStatus::parse(&self.status).unwrap_or(ReportStatus::New)
    }

    pub fn category(&self) -> Category {
        Category::parse(&self.category).unwrap_or(Category::Other)
    }

    pub fn place_kind(&self) -> PlaceKind {
        PlaceKind::parse(&self.place).unwrap_or(PlaceKind::Point)
    }

    pub fn place(&self) -> Place {
        Place {
            estate_id: self.estate_id,
            building_id: self.building_id.unwrap_or(0),
        }
    }

    /// The permission check's view of this report, for a reader who does (not) support it.
    pub fn ctx(&self, supporter: bool) -> ReportCtx {
        ReportCtx {
            place: self.place(),
            home: self.place_kind() == PlaceKind::Home,
            reporter: self.reporter_id,
            supporter,
        }
    }
}

pub fn get(conn: &mut DbConn, id: i64) -> AppResult<Option<ReportRow>> {
    Ok(reports::table
        .find(id)
        .select(ReportRow::as_select())
        .first(conn)
        .optional()?)
}

/// Whether `user` said "me too" on `report`.
pub fn supports(conn: &mut DbConn, report: i64, user: i64) -> AppResult<bool> {
    let n: i64 = report_supporters::table
        .filter(report_supporters::report_id.eq(report))
        .filter(report_supporters::user_id.eq(user))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Which of these reports `user` supports.
pub fn supported_among(conn: &mut DbConn, ids: &[i64], user: i64) -> AppResult<HashSet<i64>> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(report_supporters::table
        .filter(report_supporters::user_id.eq(user))
        .filter(report_supporters::report_id.eq_any(ids))
        .select(report_supporters::report_id)
        .load::<i64>(conn)?
        .into_iter()
        .collect())
}

pub fn names(conn: &mut DbConn, ids: &[i64]) -> AppResult<HashMap<i64, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::display_name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect())
}

pub fn user_ref(names: &HashMap<i64, String>, id: i64) -> UserRef {
    UserRef {
        id: UserId(id),
        display_name: names.get(&id).cloned().unwrap_or_default(),
    }
}

/// The names of places, loaded once for a page of reports.
#[derive(Default)]
pub struct Places {
    estates: HashMap<i64, String>,
    buildings: HashMap<i64, String>,
    units: HashMap<i64, String>,
}

impl Places {
    pub fn load(conn: &mut DbConn, rows: &[ReportRow]) -> AppResult<Places> {
        let mut estate_ids: Vec<i64> = rows.iter().map(|r| r.estate_id).collect();
        estate_ids.sort_unstable();
        estate_ids.dedup();
        let mut building_ids: Vec<i64> = rows.iter().filter_map(|r| r.building_id).collect();
        building_ids.sort_unstable();
        building_ids.dedup();
        let unit_ids: Vec<i64> = rows.iter().filter_map(|r| r.unit_id).collect();
        let estates_ = estates::table
            .filter(estates::id.eq_any(&estate_ids))
            .select((estates::id, estates::name))
            .load::<(i64, String)>(conn)?
            .into_iter()
            .collect();
        let buildings_ = if building_ids.is_empty() {
            HashMap::new()
        } else {
            buildings::table
                .filter(buildings::id.eq_any(&building_ids))
                .select((buildings::id, buildings::address))
                .load::<(i64, String)>(conn)?
                .into_iter()
                .collect()
        };
        let units_ = if unit_ids.is_empty() {
            HashMap::new()
        } else {
            units::table
                .filter(units::id.eq_any(&unit_ids))
                .select((units::id, units::code))
                .load::<(i64, String)>(conn)?
                .into_iter()
                .collect()
        };
        Ok(Places {
            estates: estates_,
            buildings: buildings_,
            units: units_,
        })
    }
}

/// Whether the reader is on the manager's side for this report (sees homes' units, reporters,
/// internal notes).
pub fn is_staff_for(actor: &Actor, row: &ReportRow) -> bool {
    can(actor, &Action::InternalNotes(row.ctx(false)))
}

/// A report as one reader sees it in a list.
pub fn summary(
    actor: &Actor,
    row: &ReportRow,
    places: &Places,
    names: &HashMap<i64, String>,
    supporting: bool,
    now: NaiveDateTime,
) -> ReportSummary {
    let me = actor.principal().map(|p| p.id.0);
    let mine = row.reporter_id.is_some() && row.reporter_id == me;
    let staff = is_staff_for(actor, row);
    let kind = row.place_kind();
    let private = kind == PlaceKind::Home && !(mine || staff);
    let point = if kind == PlaceKind::Home && !(mine || staff) {
        LatLon {
            lat: super::round_point(row.lat),
            lon: super::round_point(row.lon),
        }
    } else {
        LatLon {
            lat: row.lat,
            lon: row.lon,
        }
    };
    let status = row.status();
    ReportSummary {
        id: row.id,
        category: row.category(),
        status,
        priority: Priority::parse(&row.priority).unwrap_or(Priority::Normal),
        place: ReportPlace {
            kind,
            estate_id: EstateId(row.estate_id),
            estate_name: places
                .estates
                .get(&row.estate_id)
                .cloned()
                .unwrap_or_default(),
            building_id: row.building_id.filter(|_| !private).map(BuildingId),
            building_address: row
                .building_id
                .filter(|_| !private)
                .and_then(|b| places.buildings.get(&b).cloned()),
            staircase: row.staircase.clone().filter(|_| !private),
            unit_id: row.unit_id.filter(|_| mine || staff).map(UnitId),
            unit_code: row
                .unit_id
                .filter(|_| mine || staff)
                .and_then(|u| places.units.get(&u).cloned()),
            point,
        },
        summary: row.summary.clone(),
        blocks_access: row.blocks_access,
        danger: row.danger,
        supporters: row.supporters_count,
        overdue: super::overdue(status, row.sla_due_at, now),
        sla_due_at: utc(row.sla_due_at),
        escalation: Escalation::parse(&row.escalation).unwrap_or(Escalation::FirstLine),
        assignee: match (&row.assignee_user_id, &row.assignee_contractor) {
            (None, None) => None,
            (user, contractor) => Some(Assignee {
                user: user.map(|u| user_ref(names, u)),
                contractor: contractor.clone(),
            }),
        },
        scheduled_for: row.scheduled_for,
        reopened: row.reopened_count,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
        mine,
        supporting,
    }
}

/// A report with the names its summary shows and whether the reader supports it, read in the
/// same query as the report (the queue: one query per page).
pub struct Named {
    pub row: ReportRow,
    pub estate: Option<String>,
    pub building: Option<String>,
    pub unit: Option<String>,
    pub assignee: Option<String>,
    pub supporting: bool,
}

/// Summaries of rows read with their names (no further query).
pub fn summaries_named(actor: &Actor, rows: &[Named], now: NaiveDateTime) -> Vec<ReportSummary> {
    let mut places = Places::default();
    let mut people = HashMap::new();
    for n in rows {
        let r = &n.row;
        if let Some(e) = &n.estate {
            places.estates.insert(r.estate_id, e.clone());
        }
        if let (Some(b), Some(address)) = (r.building_id, &n.building) {
            places.buildings.insert(b, address.clone());
        }
        if let (Some(u), Some(code)) = (r.unit_id, &n.unit) {
            places.units.insert(u, code.clone());
        }
        if let (Some(u), Some(name)) = (r.assignee_user_id, &n.assignee) {
            people.insert(u, name.clone());
        }
    }
    rows.iter()
        .map(|n| summary(actor, &n.row, &places, &people, n.supporting, now))
        .collect()
}

/// Summaries of rows for a reader (names, places and "me too" loaded in three queries).
pub fn summaries(
    conn: &mut DbConn,
    actor: &Actor,
    rows: &[ReportRow],
    now: NaiveDateTime,
) -> AppResult<Vec<ReportSummary>> {
    let places = Places::load(conn, rows)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let me = actor.require()?.principal.id.0;
    let supported = supported_among(conn, &ids, me)?;
    let mut people: Vec<i64> = rows.iter().filter_map(|r| r.assignee_user_id).collect();
    people.sort_unstable();
    people.dedup();
    let names_ = names(conn, &people)?;
    Ok(rows
        .iter()
        .map(|r| summary(actor, r, &places, &names_, supported.contains(&r.id), now))
        .collect())
}
