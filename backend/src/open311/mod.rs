//! Open311 GeoReport v2 over the maintenance reports, under `/open311/v2` (JSON only).
//!
//! - `services.json`, `services/{code}.json`: one service per report category, with its
//!   attributes (where in the building, whether it blocks access, whether it is a danger).
//! - `requests.json` (GET): the standard filters `service_request_id` (comma-separated),
//!   `service_code`, `start_date`, `end_date` (W3C/RFC 3339) and `status` (`open`, `closed`);
//!   without ids or dates, the last 90 days; at most 1,000 requests, newest first.
//! - `requests.json` (POST, form-encoded): a partner holding an API key (`cortile open311-key
//!   create`) submits a report at a point; the estate is found by point-in-polygon. Personal
//!   fields (`email`, `first_name`, `last_name`, `phone`, `device_id`, `account_id`) are
//!   accepted and discarded: nothing personal is stored from a partner.
//! - `requests/{id}.json`, `tokens/{token}.json`.
//!
//! Our richer statuses map to `open` (new, acknowledged, scheduled, in progress, reopened) and
//! `closed` (the others), with ours in `status_notes`. No personal data leaves: no names, no
//! unit numbers, no photos (they are for the estate's people); a home is shown only by its
//! point rounded to about 100 m, without address, description or staircase.
//!
//! Reading is public, like the registry's estates; writing needs a partner's key, checked here
//! against `open311_keys` (keys are stored as SHA-256 digests and can be revoked).

pub mod routes;

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};
use cortile_shared::geo::LatLon;
use cortile_shared::maintenance::{Category, PlaceKind, ReportStatus};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::db::schema::{buildings, open311_keys, open311_requests, reports};
use crate::db::{write_tx, DbConn};
use crate::error::AppResult;
use crate::maintenance::round_point;

/// An Open311 error: its HTTP status and description (sent as `[{"code", "description"}]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open311Error {
    pub code: u16,
    pub description: String,
    /// Seconds to wait before trying again (sent as `Retry-After` with a 429).
    pub retry_after: Option<i64>,
}

impl Open311Error {
    pub fn new(code: u16, description: impl Into<String>) -> Self {
        Open311Error {
            code,
            description: description.into(),
            retry_after: None,
        }
    }

    pub fn rate_limited(seconds: i64) -> Self {
        Open311Error {
            retry_after: Some(seconds),
            ..Open311Error::new(
                429,
                format!("too many requests with this api_key: try again in {seconds} s"),
            )
        }
    }
}

/// The window of the per-key limit on submissions (`Config::open311_max_per_hour`).
pub const SUBMIT_WINDOW: chrono::Duration = chrono::Duration::hours(1);

/// Refuses a submission when the partner's key already submitted `max` in the last hour
/// (counted from `open311_requests`, so every process sees the same count).
fn rate_limit(conn: &mut DbConn, key: i64, max: i64, now: NaiveDateTime) -> Open311Result<()> {
    let latest: Vec<NaiveDateTime> = open311_requests::table
        .filter(open311_requests::key_id.eq(key))
        .filter(open311_requests::created_at.gt(now - SUBMIT_WINDOW))
        .order(open311_requests::created_at.desc())
        .limit(max)
        .select(open311_requests::created_at)
        .load(conn)?;
    match crate::auth::ratelimit::wait_for(&latest, max, SUBMIT_WINDOW, now) {
        Some(seconds) => Err(Open311Error::rate_limited(seconds)),
        None => Ok(()),
    }
}

impl From<crate::error::AppError> for Open311Error {
    fn from(e: crate::error::AppError) -> Self {
        let status = e.code.status();
        if status >= 500 {
            tracing::error!(error = %e, "open311");
            Open311Error::new(status, "the server could not answer; try again later")
        } else {
            Open311Error::new(
                status,
                e.detail.unwrap_or_else(|| e.code.title().to_owned()),
            )
        }
    }
}

impl From<diesel::result::Error> for Open311Error {
    fn from(e: diesel::result::Error) -> Self {
        crate::error::AppError::from(e).into()
    }
}

pub type Open311Result<T> = Result<T, Open311Error>;

/// The fields of a GeoReport v2 service.
pub fn services() -> Value {
    Value::Array(
        Category::ALL
            .iter()
            .map(|c| {
                json!({
                    "service_code": c.as_str(),
                    "service_name": c.name_it(),
                    "description": format!("{} / {}", c.name_it(), c.name_en()),
                    "metadata": true,
                    "type": "realtime",
                    "keywords": c.name_en().to_lowercase(),
                    "group": "manutenzione",
                })
            })
            .collect(),
    )
}

/// A service definition: the attributes a request may carry.
pub fn definition(code: &str) -> Option<Value> {
    let c = Category::parse(code)?;
    let yes_no = json!([{"key": "false", "name": "no"}, {"key": "true", "name": "sì / yes"}]);
    Some(json!({
        "service_code": c.as_str(),
        "attributes": [
            {
                "variable": true,
                "code": "place",
                "datatype": "singlevaluelist",
                "required": false,
                "datatype_description": "Where the problem is (default: point)",
                "order": 1,
                "description": "Dove / where",
                "values": [
                    {"key": "point", "name": "Un punto sulla mappa / a point on the map"},
                    {"key": "building", "name": "L'edificio / the building"},
                    {"key": "common_area", "name": "Un'area comune / a common area"},
                ],
            },
            {
                "variable": true,
                "code": "building_id",
                "datatype": "number",
                "required": false,
                "datatype_description": "A building id of the public registry (required for building and common_area)",
                "order": 2,
                "description": "Edificio / building",
            },
            {
                "variable": true,
                "code": "blocks_access",
                "datatype": "singlevaluelist",
                "required": false,
                "datatype_description": "Whether it stops people getting in or out (raises priority)",
                "order": 3,
                "description": "Impedisce l'accesso / blocks access",
                "values": yes_no,
            },
            {
                "variable": true,
                "code": "danger",
                "datatype": "singlevaluelist",
                "required": false,
                "datatype_description": "Whether it is a danger to people (urgent)",
                "order": 4,
                "description": "Pericolo / danger",
                "values": yes_no,
            },
        ],
    }))
}

#[derive(Queryable)]
struct Row {
    id: i64,
    category: String,
    place: String,
    building_id: Option<i64>,
    lat: f64,
    lon: f64,
    description_md: String,
    status: String,
    status_note: Option<String>,
    sla_due_at: NaiveDateTime,
    scheduled_for: Option<chrono::NaiveDate>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

macro_rules! row_columns {
    () => {
        (
            reports::id,
            reports::category,
            reports::place,
            reports::building_id,
            reports::lat,
            reports::lon,
            reports::description_md,
            reports::status,
            reports::status_note,
            reports::sla_due_at,
            reports::scheduled_for,
            reports::created_at,
            reports::updated_at,
        )
    };
}

fn w3c(t: NaiveDateTime) -> String {
    DateTime::<Utc>::from_naive_utc_and_offset(t, Utc).to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// One GeoReport v2 request (every field of the standard, `null` where we have nothing).
#[derive(Debug, Clone, Serialize)]
pub struct ServiceRequest {
    pub service_request_id: String,
    pub status: &'static str,
    pub status_notes: String,
    pub service_name: &'static str,
    pub service_code: &'static str,
    pub description: Option<String>,
    pub agency_responsible: Option<String>,
    pub service_notice: Option<String>,
    pub requested_datetime: String,
    pub updated_datetime: String,
    pub expected_datetime: Option<String>,
    pub address: Option<String>,
    pub address_id: Option<String>,
    pub zipcode: Option<String>,
    pub lat: f64,
    pub long: f64,
    pub media_url: Option<String>,
}

fn to_requests(conn: &mut DbConn, rows: Vec<Row>) -> AppResult<Vec<ServiceRequest>> {
    let mut ids: Vec<i64> = rows.iter().filter_map(|r| r.building_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let places: HashMap<i64, (String, String)> = if ids.is_empty() {
        HashMap::new()
    } else {
        buildings::table
            .filter(buildings::id.eq_any(&ids))
            .select((buildings::id, buildings::address, buildings::postcode))
            .load::<(i64, String, String)>(conn)?
            .into_iter()
            .map(|(id, a, p)| (id, (a, p)))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|r| {
            let category = Category::parse(&r.category).unwrap_or(Category::Other);
            let status = ReportStatus::parse(&r.status).unwrap_or(ReportStatus::New);
            let home = PlaceKind::parse(&r.place) == Some(PlaceKind::Home);
            let building = r.building_id.and_then(|b| places.get(&b));
            let (lat, long) = if home {
                (round_point(r.lat), round_point(r.lon))
            } else {
                (r.lat, r.lon)
            };
            let expected = match status {
                ReportStatus::Scheduled => r
                    .scheduled_for
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map(w3c),
                s if s.is_open() => Some(w3c(r.sla_due_at)),
                _ => None,
            };
            let mut notes = status.as_str().to_owned();
            if status == ReportStatus::NotOurResponsibility || status == ReportStatus::Rejected {
                if let Some(n) = &r.status_note {
                    notes = format!("{notes}: {n}");
                }
            }
            ServiceRequest {
                service_request_id: r.id.to_string(),
                status: status.open311(),
                status_notes: notes,
                service_name: category.name_it(),
                service_code: category.as_str(),
                description: (!home).then_some(r.description_md),
                agency_responsible: r
                    .status_note
                    .filter(|_| status == ReportStatus::NotOurResponsibility),
                service_notice: None,
                requested_datetime: w3c(r.created_at),
                updated_datetime: w3c(r.updated_at),
                expected_datetime: expected,
                address: building.filter(|_| !home).map(|(a, _)| a.clone()),
                address_id: None,
                zipcode: building.map(|(_, p)| p.clone()),
                lat,
                long,
                media_url: None,
            }
        })
        .collect())
}

/// The filters of `GET requests.json`, parsed.
#[derive(Debug, Default)]
pub struct Filters {
    pub ids: Option<Vec<i64>>,
    pub service_code: Option<Category>,
    pub start: Option<NaiveDateTime>,
    pub end: Option<NaiveDateTime>,
    /// `Some(true)`: open only; `Some(false)`: closed only.
    pub open: Option<bool>,
}

fn parse_time(field: &str, raw: &str) -> Open311Result<NaiveDateTime> {
    DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| t.with_timezone(&Utc).naive_utc())
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default())
        })
        .map_err(|_| Open311Error::new(400, format!("{field} must be a W3C date-time")))
}

impl Filters {
    pub fn parse(q: &HashMap<String, String>) -> Open311Result<Filters> {
        let get = |k: &str| q.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
        let mut f = Filters::default();
        if let Some(ids) = get("service_request_id") {
            f.ids = Some(
                ids.split(',')
                    .map(|i| {
                        i.trim().parse::<i64>().map_err(|_| {
                            Open311Error::new(400, "service_request_id lists numeric ids")
                        })
                    })
                    .collect::<Result<_, _>>()?,
            );
        }
        if let Some(code) = get("service_code") {
            f.service_code = Some(
                Category::parse(code)
                    .ok_or_else(|| Open311Error::new(400, "no such service_code"))?,
            );
        }
        if let Some(s) = get("start_date") {
            f.start = Some(parse_time("start_date", s)?);
        }
        if let Some(e) = get("end_date") {
            f.end = Some(parse_time("end_date", e)?);
        }
        if let Some(s) = get("status") {
            let mut open = false;
            let mut closed = false;
            for part in s.split(',') {
                match part.trim() {
                    "open" => open = true,
                    "closed" => closed = true,
                    _ => return Err(Open311Error::new(400, "status is open or closed")),
                }
            }
            f.open = match (open, closed) {
                (true, false) => Some(true),
                (false, true) => Some(false),
                _ => None,
            };
        }
        Ok(f)
    }
}

/// Most requests in one answer.
pub const MAX_REQUESTS: i64 = 1_000;

/// `GET requests.json`.
pub fn list(conn: &mut DbConn, f: &Filters, now: NaiveDateTime) -> AppResult<Vec<ServiceRequest>> {
    let mut q = reports::table.into_boxed();
    if let Some(ids) = &f.ids {
        q = q.filter(reports::id.eq_any(ids.clone()));
    } else if f.start.is_none() && f.end.is_none() {
        q = q.filter(reports::created_at.ge(now - chrono::Duration::days(90)));
    }
    if let Some(c) = f.service_code {
        q = q.filter(reports::category.eq(c.as_str()));
    }
    if let Some(s) = f.start {
        q = q.filter(reports::created_at.ge(s));
    }
    if let Some(e) = f.end {
        q = q.filter(reports::created_at.le(e));
    }
    if let Some(open) = f.open {
        q = q.filter(reports::is_open.eq(open));
    }
    let rows: Vec<Row> = q
        .order(reports::id.desc())
        .limit(MAX_REQUESTS)
        .select(row_columns!())
        .load(conn)?;
    to_requests(conn, rows)
}

/// `GET requests/{id}.json`.
pub fn one(conn: &mut DbConn, id: i64) -> AppResult<Option<ServiceRequest>> {
    let rows: Vec<Row> = reports::table
        .filter(reports::id.eq(id))
        .select(row_columns!())
        .load(conn)?;
    Ok(to_requests(conn, rows)?.into_iter().next())
}

/// `GET tokens/{token}.json`: the request id a token became.
pub fn by_token(conn: &mut DbConn, token: &str) -> AppResult<Option<i64>> {
    Ok(open311_requests::table
        .filter(open311_requests::token.eq(token))
        .select(open311_requests::report_id)
        .first(conn)
        .optional()?)
}

pub fn key_hash(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates a partner's key; answers the key (printed once, stored only as its digest).
pub fn create_key(conn: &mut DbConn, name: &str, now: NaiveDateTime) -> anyhow::Result<String> {
    let name = name.trim();
    anyhow::ensure!(
        (2..=100).contains(&name.chars().count()),
        "the partner's name has 2 to 100 characters"
    );
    let key = format!(
        "c311_{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let taken: i64 = open311_keys::table
        .filter(open311_keys::name.eq(name))
        .count()
        .get_result(conn)?;
    anyhow::ensure!(taken == 0, "a partner named {name:?} already has a key");
    diesel::insert_into(open311_keys::table)
        .values((
            open311_keys::name.eq(name),
            open311_keys::key_hash.eq(key_hash(&key)),
            open311_keys::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(key)
}

/// Revokes a partner's key; answers whether there was one to revoke.
pub fn revoke_key(conn: &mut DbConn, name: &str, now: NaiveDateTime) -> anyhow::Result<bool> {
    let n = diesel::update(
        open311_keys::table
            .filter(open311_keys::name.eq(name.trim()))
            .filter(open311_keys::revoked_at.is_null()),
    )
    .set(open311_keys::revoked_at.eq(now))
    .execute(conn)?;
    Ok(n > 0)
}

/// A partner's key, if valid.
fn partner(conn: &mut DbConn, key: &str) -> AppResult<Option<i64>> {
    Ok(open311_keys::table
        .filter(open311_keys::key_hash.eq(key_hash(key)))
        .filter(open311_keys::revoked_at.is_null())
        .select(open311_keys::id)
        .first(conn)
        .optional()?)
}

/// What a partner's POST answers.
#[derive(Debug, Clone, Serialize)]
pub struct Submitted {
    pub service_request_id: String,
    pub token: String,
    pub service_notice: Option<String>,
    pub account_id: Option<String>,
}

/// `POST requests.json`: a partner submits a report at a point.
/// `max_per_hour`: the submissions a key may make in [`SUBMIT_WINDOW`]; beyond, a 429.
pub fn submit(
    conn: &mut DbConn,
    form: &HashMap<String, String>,
    max_per_hour: i64,
    now: NaiveDateTime,
) -> Open311Result<Submitted> {
    let get = |k: &str| form.get(k).map(|v| v.trim()).filter(|v| !v.is_empty());
    let key = get("api_key").ok_or_else(|| Open311Error::new(403, "api_key is required"))?;
    let partner_id =
        partner(conn, key)?.ok_or_else(|| Open311Error::new(403, "the api_key is not valid"))?;
    let category = Category::parse(
        get("service_code").ok_or_else(|| Open311Error::new(400, "service_code is required"))?,
    )
    .ok_or_else(|| Open311Error::new(404, "no such service_code"))?;
    let (Some(lat), Some(long)) = (get("lat"), get("long")) else {
        return Err(Open311Error::new(
            400,
            "lat and long are required (address_string alone is not enough)",
        ));
    };
    let point = lat
        .parse::<f64>()
        .ok()
        .zip(long.parse::<f64>().ok())
        .and_then(|(lat, lon)| LatLon::new(lat, lon).ok())
        .ok_or_else(|| Open311Error::new(400, "lat and long must be WGS84 degrees"))?;
    let description = get("description").unwrap_or_default();
    let n = description.chars().count();
    if !(3..=cortile_shared::maintenance::MAX_DESCRIPTION_LEN).contains(&n) {
        return Err(Open311Error::new(
            400,
            "description is required (3 to 5,000 characters)",
        ));
    }
    let attr = |k: &str| get(&format!("attribute[{k}]"));
    let flag = |k: &str| -> Open311Result<bool> {
        match attr(k) {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(_) => Err(Open311Error::new(
                400,
                format!("attribute[{k}] is true or false"),
            )),
        }
    };
    let blocks_access = flag("blocks_access")?;
    let danger = flag("danger")?;
    let place = match attr("place") {
        None | Some("point") => PlaceKind::Point,
        Some("building") => PlaceKind::Building,
        Some("common_area") => PlaceKind::CommonArea,
        Some(_) => {
            return Err(Open311Error::new(
                400,
                "attribute[place] is point, building or common_area",
            ))
        }
    };
    let estate = crate::maintenance::reports::estate_at(conn, point)?
        .ok_or_else(|| Open311Error::new(400, "the point is not inside any estate"))?;
    let building = match attr("building_id") {
        Some(raw) => {
            let id: i64 = raw
                .parse()
                .map_err(|_| Open311Error::new(400, "attribute[building_id] is a number"))?;
            let e: Option<i64> = buildings::table
                .find(id)
                .select(buildings::estate_id)
                .first(conn)
                .optional()?;
            if e != Some(estate) {
                return Err(Open311Error::new(
                    400,
                    "attribute[building_id] is not a building of the estate at lat/long",
                ));
            }
            Some(id)
        }
        None if place != PlaceKind::Point => {
            return Err(Open311Error::new(
                400,
                "attribute[building_id] is required for building and common_area",
            ))
        }
        None => None,
    };
    let token = uuid::Uuid::new_v4().to_string();
    // Counted inside the write transaction: on SQLite writers queue, so the count is exact.
    let id = write_tx(conn, |conn| -> Open311Result<i64> {
        rate_limit(conn, partner_id, max_per_hour, now)?;
        Ok(crate::maintenance::reports::insert(
            conn,
            &crate::maintenance::reports::Draft {
                category,
                place,
                estate_id: estate,
                building_id: building,
                unit_id: None,
                staircase: None,
                lat: point.lat,
                lon: point.lon,
                description,
                blocks_access,
                danger,
                reporter: None,
                on_behalf_by: None,
                open311_key: Some(partner_id),
                token: Some(token.clone()),
            },
            now,
        )?)
    })?;
    Ok(Submitted {
        service_request_id: id.to_string(),
        token,
        service_notice: None,
        account_id: None,
    })
}
