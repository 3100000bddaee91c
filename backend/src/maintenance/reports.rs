//! The acts on a report: make it, read it, change its status, "me too", comment, assign,
//! escalate, merge, rate; and auto-close. Every write is one `write_tx`; a status change is a
//! conditional update on the status it was read in, so that two people acting at once (or a
//! retried request) never apply one change twice: the second gets 409 `invalid_transition`.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use cortile_shared::community::NotificationKind;
use cortile_shared::geo::LatLon;
use cortile_shared::maintenance::{
    Assign, Category, Escalate, Escalation, NewReport, NewReportComment, PlaceKind, Rating, Report,
    ReportAbilities, ReportComment, ReportStatus, StatusChange, StatusUpdate, Visibility,
    AUTO_CLOSE_DAYS, MAX_DESCRIPTION_LEN, MAX_NOTE_LEN, MAX_REPORT_IMAGES,
};
use cortile_shared::upload::ImageRef;
use cortile_shared::{ErrorCode, FieldError};
use diesel::prelude::*;
use serde_json::json;

use super::store::{self, ReportRow};
use crate::audit::{self, Object};
use crate::auth::account::utc;
use crate::auth::policy::{authorize, can, Action, Place};
use crate::auth::Actor;
use crate::communities::markdown;
use crate::db::schema::{
    buildings, estates, open311_requests, report_comments, report_ratings, report_status_history,
    report_supporters, reports, units,
};
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult};
use crate::uploads::Attachment;

/// Reports one person may make in [`RATE_WINDOW`].
const MAX_REPORTS_PER_WINDOW: i64 = 10;
const RATE_WINDOW: chrono::Duration = chrono::Duration::minutes(10);

fn me(actor: &Actor) -> AppResult<i64> {
    Ok(actor.require()?.principal.id.0)
}

fn hidden(id: i64) -> AppError {
    AppError::not_found(format!("report {id} does not exist"))
}

/// A report the actor may read, and whether they support it; 404 otherwise.
pub fn load_readable(conn: &mut DbConn, actor: &Actor, id: i64) -> AppResult<(ReportRow, bool)> {
    let user = me(actor)?;
    let row = store::get(conn, id)?.ok_or_else(|| hidden(id))?;
    let supporter = store::supports(conn, id, user)?;
    authorize(actor, &Action::ReadReport(row.ctx(supporter))).map_err(|_| hidden(id))?;
    Ok((row, supporter))
}

fn check_text(field: &str, value: &str, min: usize, max: usize, errors: &mut Vec<FieldError>) {
    let n = value.trim().chars().count();
    if n < min {
        errors.push(FieldError::new(
            field,
            "required",
            if min <= 1 {
                format!("{field} is required")
            } else {
                format!("{field} must have at least {min} characters")
            },
        ));
    } else if n > max {
        errors.push(FieldError::new(
            field,
            "too_long",
            format!("{field} must have at most {max} characters"),
        ));
    }
}

fn check_images(images: &[ImageRef], errors: &mut Vec<FieldError>) {
    if images.len() > MAX_REPORT_IMAGES {
        errors.push(FieldError::new(
            "images",
            "too_many",
            format!("at most {MAX_REPORT_IMAGES} images"),
        ));
        return;
    }
    crate::uploads::check_refs(images, errors);
}

/// The first line of a description as plain text, for lists.
fn summary_of(markdown: &str) -> String {
    let line = markdown
        .lines()
        .map(|l| {
            l.trim()
                .trim_start_matches(['#', '>', '*', '-', '+', ' '])
                .replace(['*', '_', '`'], "")
        })
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    let line = line.trim();
    if line.chars().count() > 140 {
        let cut: String = line.chars().take(139).collect();
        format!("{}…", cut.trim_end())
    } else {
        line.to_owned()
    }
}

/// Where a new report is, resolved against the registry.
struct Located {
    estate_id: i64,
    building_id: Option<i64>,
    unit_id: Option<i64>,
    staircase: Option<String>,
    lat: f64,
    lon: f64,
}

fn building_point(conn: &mut DbConn, id: i64) -> AppResult<Option<(i64, f64, f64)>> {
    Ok(buildings::table
        .find(id)
        .select((buildings::estate_id, buildings::lat, buildings::lon))
        .first(conn)
        .optional()?)
}

/// The estate whose boundary holds the point (point-in-polygon with `geo`).
pub(crate) fn estate_at(conn: &mut DbConn, point: LatLon) -> AppResult<Option<i64>> {
    let rows: Vec<(i64, String, f64, f64, f64, f64)> = estates::table
        .filter(estates::min_lat.le(point.lat))
        .filter(estates::max_lat.ge(point.lat))
        .filter(estates::min_lon.le(point.lon))
        .filter(estates::max_lon.ge(point.lon))
        .select((
            estates::id,
            estates::boundary,
            estates::min_lat,
            estates::max_lat,
            estates::min_lon,
            estates::max_lon,
        ))
        .load(conn)?;
    for (id, boundary, ..) in rows {
        if let Ok(b) = crate::registry::Boundary::from_geojson_str(&boundary) {
            if b.contains(point) {
                return Ok(Some(id));
            }
        }
    }
    Ok(None)
}

fn locate(conn: &mut DbConn, actor: &Actor, new: &NewReport) -> AppResult<Located> {
    let residence = actor.require()?.principal.residence.clone();
    let my_building = residence.as_ref().map(|r| r.home.building_id.0);
    let building_of = |conn: &mut DbConn, id: Option<i64>| -> AppResult<(i64, i64, f64, f64)> {
        let Some(id) = id else {
            return Err(AppError::invalid(
                "building_id",
                "required",
                "say which building (you have no home in the registry)",
            ));
        };
        let (estate, lat, lon) = building_point(conn, id)?
            .ok_or_else(|| AppError::invalid("building_id", "not_found", "no such building"))?;
        Ok((id, estate, lat, lon))
    };
    match new.place {
        PlaceKind::Home => {
            let Some(r) = residence else {
                return Err(AppError::invalid(
                    "place",
                    "no_home",
                    "only a resident reports a problem in their home",
                ));
            };
            let (building, estate, lat, lon) = building_of(conn, Some(r.home.building_id.0))?;
            Ok(Located {
                estate_id: estate,
                building_id: Some(building),
                unit_id: Some(r.home.unit_id.0),
                staircase: Some(r.home.staircase.clone()).filter(|s| !s.is_empty()),
                lat,
                lon,
            })
        }
        PlaceKind::Staircase | PlaceKind::Building | PlaceKind::CommonArea => {
            let (building, estate, lat, lon) =
                building_of(conn, new.building_id.map(|b| b.0).or(my_building))?;
            let staircase = if new.place == PlaceKind::Staircase {
                let named = new
                    .staircase
                    .as_deref()
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .or_else(|| {
                        residence
                            .as_ref()
                            .filter(|r| r.home.building_id.0 == building)
                            .map(|r| r.home.staircase.clone())
                    })
                    .ok_or_else(|| {
                        AppError::invalid("staircase", "required", "say which staircase")
                    })?;
                let exists: i64 = units::table
                    .filter(units::building_id.eq(building))
                    .filter(units::staircase.eq(&named))
                    .count()
                    .get_result(conn)?;
                if exists == 0 {
                    return Err(AppError::invalid(
                        "staircase",
                        "not_found",
                        "the building has no such staircase",
                    ));
                }
                Some(named)
            } else {
                None
            };
            Ok(Located {
                estate_id: estate,
                building_id: Some(building),
                unit_id: None,
                staircase,
                lat,
                lon,
            })
        }
        PlaceKind::Point => {
            let Some(point) = new.point else {
                return Err(AppError::invalid(
                    "point",
                    "required",
                    "say where on the map",
                ));
            };
            let point = LatLon::new(point.lat, point.lon)
                .map_err(|e| AppError::invalid("point", "invalid_value", e.to_string()))?;
            let estate = estate_at(conn, point)?.ok_or_else(|| {
                AppError::invalid(
                    "point",
                    "outside_estates",
                    "the point is not inside any estate",
                )
            })?;
            let building = match new.building_id {
                Some(b) => {
                    let (id, e, _, _) = building_of(conn, Some(b.0))?;
                    if e != estate {
                        return Err(AppError::invalid(
                            "building_id",
                            "other_estate",
                            "the building is not in the estate of the point",
                        ));
                    }
                    Some(id)
                }
                None => None,
            };
            Ok(Located {
                estate_id: estate,
                building_id: building,
                unit_id: None,
                staircase: None,
                lat: point.lat,
                lon: point.lon,
            })
        }
    }
}

fn rate_limit(conn: &mut DbConn, user: i64, now: NaiveDateTime) -> AppResult<()> {
    let times: Vec<NaiveDateTime> = reports::table
        .filter(reports::reporter_id.eq(user))
        .filter(reports::created_at.gt(now - RATE_WINDOW))
        .order(reports::created_at.desc())
        .limit(MAX_REPORTS_PER_WINDOW)
        .select(reports::created_at)
        .load(conn)?;
    match times.last() {
        Some(oldest) if times.len() as i64 >= MAX_REPORTS_PER_WINDOW => {
            let wait = (*oldest + RATE_WINDOW - now).num_seconds().max(1);
            Err(AppError::rate_limited(u64::try_from(wait).unwrap_or(60)))
        }
        _ => Ok(()),
    }
}

/// What a new report is, once checked: written by [`insert`] (also used by Open311).
pub(crate) struct Draft<'a> {
    pub category: Category,
    pub place: PlaceKind,
    pub estate_id: i64,
    pub building_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub staircase: Option<String>,
    pub lat: f64,
    pub lon: f64,
    pub description: &'a str,
    pub blocks_access: bool,
    pub danger: bool,
    pub reporter: Option<i64>,
    pub on_behalf_by: Option<i64>,
    pub open311_key: Option<i64>,
    pub token: Option<String>,
}

/// Writes a report and the first step of its history (inside the caller's transaction).
pub(crate) fn insert(conn: &mut DbConn, d: &Draft<'_>, now: NaiveDateTime) -> AppResult<i64> {
    let priority = super::priority(d.category, d.blocks_access, d.danger);
    let due = now + super::sla(d.category, priority);
    let id = crate::insert_returning_id!(
        conn,
        reports::table,
        reports::id,
        (
            reports::category.eq(d.category.as_str()),
            reports::place.eq(d.place.as_str()),
            reports::estate_id.eq(d.estate_id),
            reports::building_id.eq(d.building_id),
            reports::unit_id.eq(d.unit_id),
            reports::staircase.eq(d.staircase.as_deref()),
            reports::lat.eq(d.lat),
            reports::lon.eq(d.lon),
            reports::description_md.eq(d.description),
            reports::description_html.eq(markdown::render(d.description)),
            reports::summary.eq(summary_of(d.description)),
            reports::blocks_access.eq(d.blocks_access),
            reports::danger.eq(d.danger),
            reports::priority.eq(priority.as_str()),
            reports::sla_due_at.eq(due),
            reports::status.eq(ReportStatus::New.as_str()),
            reports::is_open.eq(true),
            reports::reporter_id.eq(d.reporter),
            reports::on_behalf_by.eq(d.on_behalf_by),
            reports::escalation.eq(Escalation::FirstLine.as_str()),
            reports::created_at.eq(now),
            reports::updated_at.eq(now),
        )
    )?;
    diesel::insert_into(report_status_history::table)
        .values((
            report_status_history::report_id.eq(id),
            report_status_history::to_status.eq(ReportStatus::New.as_str()),
            report_status_history::by_user_id.eq(d.reporter),
            report_status_history::on_behalf_by.eq(d.on_behalf_by),
            report_status_history::at.eq(now),
        ))
        .execute(conn)?;
    if let (Some(key), Some(token)) = (d.open311_key, &d.token) {
        diesel::insert_into(open311_requests::table)
            .values((
                open311_requests::report_id.eq(id),
                open311_requests::key_id.eq(key),
                open311_requests::token.eq(token),
                open311_requests::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(id)
}

/// A resident (or an operator on their behalf, or a custodian…) reports a problem.
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    new: &NewReport,
    now: NaiveDateTime,
) -> AppResult<Report> {
    let user = me(actor)?;
    let at = locate(conn, actor, new)?;
    authorize(
        actor,
        &Action::ReportProblem(Place {
            estate_id: at.estate_id,
            building_id: at.building_id.unwrap_or(0),
        }),
    )?;
    let mut errors = Vec::new();
    check_text(
        "description",
        &new.description,
        3,
        MAX_DESCRIPTION_LEN,
        &mut errors,
    );
    check_images(&new.images, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    rate_limit(conn, user, now)?;
    let operator = actor.operator().map(|o| o.id.0);
    let id = write_tx(conn, |conn| -> AppResult<i64> {
        let id = insert(
            conn,
            &Draft {
                category: new.category,
                place: new.place,
                estate_id: at.estate_id,
                building_id: at.building_id,
                unit_id: at.unit_id,
                staircase: at.staircase.clone(),
                lat: at.lat,
                lon: at.lon,
                description: &new.description,
                blocks_access: new.blocks_access,
                danger: new.danger,
                reporter: Some(user),
                on_behalf_by: operator,
                open311_key: None,
                token: None,
            },
            now,
        )?;
        if !new.images.is_empty() {
            crate::uploads::attach(conn, user, Attachment::Report(id), &new.images, now)?;
        }
        audited(conn, actor, "report.create", id, json!({}), now)?;
        Ok(id)
    })?;
    get(conn, actor, id, now)
}

/// An act on a report done for a resident by an operator (assisted mode) goes to the audit
/// log, with its detail.
fn audited(
    conn: &mut DbConn,
    actor: &Actor,
    action: &str,
    id: i64,
    detail: serde_json::Value,
    now: NaiveDateTime,
) -> AppResult<()> {
    audit::record_if_assisted(
        conn,
        actor,
        action,
        Object { kind: "report", id },
        detail,
        now,
    )
}

/// What the reader may do with a report now.
fn abilities(actor: &Actor, row: &ReportRow, supporter: bool, rated: bool) -> ReportAbilities {
    let ctx = row.ctx(supporter);
    let status = row.status();
    ReportAbilities {
        transitions: status
            .next()
            .iter()
            .copied()
            .filter(|to| {
                can(
                    actor,
                    &Action::ChangeReportStatus {
                        report: ctx,
                        to: *to,
                    },
                )
            })
            .collect(),
        comment: status != ReportStatus::Merged && can(actor, &Action::CommentOnReport(ctx)),
        internal_notes: can(actor, &Action::InternalNotes(ctx)),
        support: status.is_open() && can(actor, &Action::SupportReport(ctx)),
        manage: !status.is_final() && can(actor, &Action::ManageReport(ctx)),
        merge: status.is_open() && can(actor, &Action::MergeReports(ctx)),
        rate: status == ReportStatus::Confirmed && !rated && can(actor, &Action::RateReport(ctx)),
    }
}

/// id, from, to, by, reason, scheduled for, at.
type HistoryRow = (
    i64,
    Option<String>,
    String,
    Option<i64>,
    Option<String>,
    Option<chrono::NaiveDate>,
    NaiveDateTime,
);

/// A report with its history and thread, as the reader may see it.
pub fn get(conn: &mut DbConn, actor: &Actor, id: i64, now: NaiveDateTime) -> AppResult<Report> {
    let (row, supporter) = load_readable(conn, actor, id)?;
    let staff = store::is_staff_for(actor, &row);
    let user = me(actor)?;
    let mine = row.reporter_id == Some(user);
    let history: Vec<HistoryRow> = report_status_history::table
        .filter(report_status_history::report_id.eq(id))
        .order(report_status_history::id)
        .select((
            report_status_history::id,
            report_status_history::from_status,
            report_status_history::to_status,
            report_status_history::by_user_id,
            report_status_history::reason,
            report_status_history::scheduled_for,
            report_status_history::at,
        ))
        .load(conn)?;
    let mut q = report_comments::table
        .filter(report_comments::report_id.eq(id))
        .into_boxed();
    if !staff {
        q = q.filter(report_comments::visibility.eq(Visibility::Public.as_str()));
    }
    let comments: Vec<(i64, i64, String, String, NaiveDateTime)> = q
        .order(report_comments::id)
        .select((
            report_comments::id,
            report_comments::author_id,
            report_comments::visibility,
            report_comments::body_html,
            report_comments::created_at,
        ))
        .load(conn)?;
    let mut people: Vec<i64> = history.iter().filter_map(|h| h.3).collect();
    people.extend(comments.iter().map(|c| c.1));
    people.extend(row.reporter_id);
    people.extend(row.on_behalf_by);
    people.extend(row.assignee_user_id);
    people.sort_unstable();
    people.dedup();
    let names = store::names(conn, &people)?;
    // Whether each person who acted is on the manager's side (residents see "the manager").
    let staff_people: HashMap<i64, bool> = people
        .iter()
        .map(|p| (*p, Some(*p) != row.reporter_id))
        .collect();
    let mut images = crate::uploads::report_images(conn, id)?;
    let merged_from: Vec<i64> = reports::table
        .filter(reports::merged_into.eq(id))
        .order(reports::id)
        .select(reports::id)
        .load(conn)?;
    let places = store::Places::load(conn, std::slice::from_ref(&row))?;
    let rating: Option<Rating> = report_ratings::table
        .filter(report_ratings::report_id.eq(id))
        .select((report_ratings::rating, report_ratings::comment))
        .first::<(i32, Option<String>)>(conn)
        .optional()?
        .map(|(rating, comment)| Rating { rating, comment });
    let confirmed_at = history
        .iter()
        .rev()
        .find(|h| h.2 == ReportStatus::Confirmed.as_str())
        .map(|h| utc(h.6));
    let summary = store::summary(actor, &row, &places, &names, supporter, now);
    let by_staff = |by: Option<i64>| by.is_some_and(|b| staff_people.get(&b) == Some(&true));
    Ok(Report {
        description_html: row.description_html.clone(),
        reporter: row
            .reporter_id
            .filter(|_| mine || staff)
            .map(|r| store::user_ref(&names, r)),
        on_behalf_by: row
            .on_behalf_by
            .filter(|_| staff)
            .map(|o| store::user_ref(&names, o)),
        merged_into: row.merged_into,
        merged_from,
        status_note: row.status_note.clone(),
        resolved_at: row.resolved_at.map(utc),
        confirmed_at,
        abilities: abilities(actor, &row, supporter, rating.is_some()),
        rating,
        images: images.remove(&None).unwrap_or_default(),
        history: history
            .into_iter()
            .map(
                |(hid, from, to, by, reason, scheduled_for, at)| StatusChange {
                    from: from.as_deref().and_then(ReportStatus::parse),
                    to: ReportStatus::parse(&to).unwrap_or(ReportStatus::New),
                    // Names for staff and the reporter; the others see "the reporter" or "the
                    // manager" (`by_staff`).
                    by: by
                        .filter(|_| staff || mine)
                        .map(|b| store::user_ref(&names, b)),
                    by_staff: by_staff(by),
                    reason,
                    scheduled_for,
                    images: images.remove(&Some(hid)).unwrap_or_default(),
                    at: utc(at),
                },
            )
            .collect(),
        comments: comments
            .into_iter()
            .map(|(cid, author, visibility, html, at)| ReportComment {
                id: cid,
                author: store::user_ref(&names, author),
                visibility: Visibility::parse(&visibility).unwrap_or(Visibility::Public),
                body_html: html,
                created_at: utc(at),
            })
            .collect(),
        summary,
    })
}

/// The reporter and the supporters of a report, but not `except` (who acted).
fn followers(conn: &mut DbConn, row: &ReportRow, except: Option<i64>) -> AppResult<Vec<i64>> {
    let mut people: Vec<i64> = report_supporters::table
        .filter(report_supporters::report_id.eq(row.id))
        .select(report_supporters::user_id)
        .load(conn)?;
    people.extend(row.reporter_id);
    people.sort_unstable();
    people.dedup();
    people.retain(|p| Some(*p) != except);
    Ok(people)
}

fn notify_status(
    conn: &mut DbConn,
    row: &ReportRow,
    to: ReportStatus,
    link_to: i64,
    except: Option<i64>,
    now: NaiveDateTime,
) -> AppResult<()> {
    let data = json!({
        "report": row.id,
        "category": row.category,
        "status": to.as_str(),
        "title": row.summary,
    });
    for user in followers(conn, row, except)? {
        crate::notifications::notify(
            conn,
            user,
            NotificationKind::ReportStatus,
            data.clone(),
            &format!("/segnalazioni/{link_to}"),
            now,
        )?;
    }
    Ok(())
}

fn invalid_transition(from: ReportStatus, to: ReportStatus) -> AppError {
    AppError::new(ErrorCode::InvalidTransition)
        .with_detail(format!("a report that is {from} cannot become {to}"))
}

/// Checks the fields a status change needs.
fn check_update(u: &StatusUpdate, today: chrono::NaiveDate) -> AppResult<()> {
    let mut errors = Vec::new();
    let reason = u.reason.as_deref().map(str::trim).unwrap_or_default();
    match u.to {
        ReportStatus::Rejected | ReportStatus::Reopened => {
            check_text("reason", reason, 3, MAX_NOTE_LEN, &mut errors)
        }
        _ => check_text("reason", reason, 0, MAX_NOTE_LEN, &mut errors),
    }
    if u.to == ReportStatus::Scheduled {
        match u.scheduled_for {
            None => errors.push(FieldError::new(
                "scheduled_for",
                "required",
                "say on which day the work is scheduled",
            )),
            Some(d) if d < today => errors.push(FieldError::new(
                "scheduled_for",
                "in_the_past",
                "the date must be today or later",
            )),
            Some(_) => {}
        }
    }
    if u.to == ReportStatus::NotOurResponsibility {
        let who = u.responsible.as_deref().unwrap_or_default();
        check_text("responsible", who, 2, 200, &mut errors);
    }
    if !u.images.is_empty() && u.to != ReportStatus::Reopened {
        errors.push(FieldError::new(
            "images",
            "not_allowed",
            "photos go with a report or with its reopening",
        ));
    }
    check_images(&u.images, &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::validation(errors))
    }
}

/// Moves a report to another status (see `ReportStatus::next`). Permission first (404 for
/// who may not read it, 403 for a reader who may not make this change), then the workflow
/// (409 `invalid_transition`), then the fields (422). Nothing changes on any refusal.
pub fn change_status(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    u: &StatusUpdate,
    now: NaiveDateTime,
) -> AppResult<Report> {
    apply_status(conn, actor, id, u, now)?;
    get(conn, actor, id, now)
}

/// [`change_status`] without reading the report back (for bulk changes).
pub(crate) fn apply_status(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    u: &StatusUpdate,
    now: NaiveDateTime,
) -> AppResult<ReportStatus> {
    let user = me(actor)?;
    let (row, supporter) = load_readable(conn, actor, id)?;
    authorize(
        actor,
        &Action::ChangeReportStatus {
            report: row.ctx(supporter),
            to: u.to,
        },
    )?;
    let from = row.status();
    if !from.next().contains(&u.to) {
        return Err(invalid_transition(from, u.to));
    }
    check_update(u, now.date())?;
    let reason = u
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    let responsible = u
        .responsible
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned);
    let operator = actor.operator().map(|o| o.id.0);
    let to = u.to;
    write_tx(conn, |conn| -> AppResult<()> {
        let target = reports::table
            .filter(reports::id.eq(id))
            .filter(reports::status.eq(from.as_str()));
        let base = (
            reports::status.eq(to.as_str()),
            reports::is_open.eq(to.is_open()),
            reports::updated_at.eq(now),
        );
        let n = match to {
            ReportStatus::Scheduled => diesel::update(target)
                .set((base, reports::scheduled_for.eq(u.scheduled_for)))
                .execute(conn)?,
            ReportStatus::Resolved => diesel::update(target)
                .set((base, reports::resolved_at.eq(now)))
                .execute(conn)?,
            ReportStatus::Reopened => {
                // The clock starts again: the same service level from now.
                let priority = cortile_shared::maintenance::Priority::parse(&row.priority)
                    .unwrap_or(cortile_shared::maintenance::Priority::Normal);
                diesel::update(target)
                    .set((
                        base,
                        reports::reopened_count.eq(reports::reopened_count + 1),
                        reports::sla_due_at.eq(now + super::sla(row.category(), priority)),
                        reports::scheduled_for.eq(None::<chrono::NaiveDate>),
                    ))
                    .execute(conn)?
            }
            ReportStatus::Rejected => diesel::update(target)
                .set((base, reports::status_note.eq(reason.as_deref())))
                .execute(conn)?,
            ReportStatus::NotOurResponsibility => diesel::update(target)
                .set((base, reports::status_note.eq(responsible.as_deref())))
                .execute(conn)?,
            _ => diesel::update(target).set(base).execute(conn)?,
        };
        if n != 1 {
            // Someone changed it since we read it.
            return Err(AppError::new(ErrorCode::InvalidTransition)
                .with_detail("the report changed meanwhile: read it again"));
        }
        let history_reason = match (&responsible, &reason) {
            (Some(who), Some(r)) if to == ReportStatus::NotOurResponsibility => {
                Some(format!("{who}: {r}"))
            }
            (Some(who), None) if to == ReportStatus::NotOurResponsibility => Some(who.clone()),
            _ => reason.clone(),
        };
        let step = crate::insert_returning_id!(
            conn,
            report_status_history::table,
            report_status_history::id,
            (
                report_status_history::report_id.eq(id),
                report_status_history::from_status.eq(from.as_str()),
                report_status_history::to_status.eq(to.as_str()),
                report_status_history::by_user_id.eq(user),
                report_status_history::on_behalf_by.eq(operator),
                report_status_history::reason.eq(history_reason.as_deref()),
                report_status_history::scheduled_for
                    .eq(u.scheduled_for.filter(|_| to == ReportStatus::Scheduled)),
                report_status_history::at.eq(now),
            )
        )?;
        if !u.images.is_empty() {
            crate::uploads::attach(
                conn,
                user,
                Attachment::ReportStep { report: id, step },
                &u.images,
                now,
            )?;
        }
        notify_status(conn, &row, to, id, Some(user), now)?;
        audited(
            conn,
            actor,
            "report.status",
            id,
            json!({"from": from.as_str(), "to": to.as_str()}),
            now,
        )
    })?;
    Ok(to)
}

/// "Me too" (`on`), or taking it back; idempotent either way. Answers the supporters' count.
pub fn support(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    on: bool,
    now: NaiveDateTime,
) -> AppResult<i64> {
    let user = me(actor)?;
    let (row, supporter) = load_readable(conn, actor, id)?;
    authorize(actor, &Action::SupportReport(row.ctx(supporter)))?;
    if on && !row.status().is_open() {
        return Err(
            AppError::new(ErrorCode::InvalidTransition).with_detail(format!(
                "the report is {}: there is nothing to support",
                row.status()
            )),
        );
    }
    write_tx(conn, |conn| -> AppResult<i64> {
        let changed = if on && !supporter {
            diesel::insert_into(report_supporters::table)
                .values((
                    report_supporters::report_id.eq(id),
                    report_supporters::user_id.eq(user),
                    report_supporters::created_at.eq(now),
                ))
                .execute(conn)?
        } else if !on && supporter {
            diesel::delete(
                report_supporters::table
                    .filter(report_supporters::report_id.eq(id))
                    .filter(report_supporters::user_id.eq(user)),
            )
            .execute(conn)?
        } else {
            0
        };
        if changed > 0 {
            recount_supporters(conn, id)?;
            audited(
                conn,
                actor,
                if on {
                    "report.support"
                } else {
                    "report.unsupport"
                },
                id,
                json!({}),
                now,
            )?;
        }
        Ok(reports::table
            .find(id)
            .select(reports::supporters_count)
            .first(conn)?)
    })
}

fn recount_supporters(conn: &mut DbConn, id: i64) -> AppResult<()> {
    let n: i64 = report_supporters::table
        .filter(report_supporters::report_id.eq(id))
        .count()
        .get_result(conn)?;
    diesel::update(reports::table.find(id))
        .set(reports::supporters_count.eq(n))
        .execute(conn)?;
    Ok(())
}

/// A public comment (anyone who reads the report) or an internal note (staff).
pub fn comment(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    new: &NewReportComment,
    now: NaiveDateTime,
) -> AppResult<ReportComment> {
    let user = me(actor)?;
    let (row, supporter) = load_readable(conn, actor, id)?;
    let ctx = row.ctx(supporter);
    match new.visibility {
        Visibility::Public => authorize(actor, &Action::CommentOnReport(ctx))?,
        Visibility::Internal => authorize(actor, &Action::InternalNotes(ctx))?,
    };
    if row.status() == ReportStatus::Merged {
        return Err(
            AppError::new(ErrorCode::InvalidTransition).with_detail(format!(
                "the report was merged into report {}: comment there",
                row.merged_into.unwrap_or_default()
            )),
        );
    }
    let mut errors = Vec::new();
    check_text("body", &new.body, 1, MAX_NOTE_LEN, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let html = markdown::render(&new.body);
    let name = actor.require()?.principal.display_name.clone();
    let cid = write_tx(conn, |conn| -> AppResult<i64> {
        let cid = insert_comment(conn, id, user, new.visibility, &new.body, now)?;
        diesel::update(reports::table.find(id))
            .set(reports::updated_at.eq(now))
            .execute(conn)?;
        if new.visibility == Visibility::Public {
            let data = json!({"report": id, "category": row.category, "title": row.summary,
                              "actor": name});
            for to in followers(conn, &row, Some(user))? {
                crate::notifications::notify(
                    conn,
                    to,
                    NotificationKind::ReportComment,
                    data.clone(),
                    &format!("/segnalazioni/{id}"),
                    now,
                )?;
            }
        }
        audited(conn, actor, "report.comment", id, json!({}), now)?;
        Ok(cid)
    })?;
    Ok(ReportComment {
        id: cid,
        author: cortile_shared::auth::UserRef {
            id: cortile_shared::UserId(user),
            display_name: name,
        },
        visibility: new.visibility,
        body_html: html,
        created_at: utc(now),
    })
}

fn insert_comment(
    conn: &mut DbConn,
    report: i64,
    author: i64,
    visibility: Visibility,
    body: &str,
    now: NaiveDateTime,
) -> AppResult<i64> {
    Ok(crate::insert_returning_id!(
        conn,
        report_comments::table,
        report_comments::id,
        (
            report_comments::report_id.eq(report),
            report_comments::author_id.eq(author),
            report_comments::visibility.eq(visibility.as_str()),
            report_comments::body_md.eq(body),
            report_comments::body_html.eq(markdown::render(body)),
            report_comments::created_at.eq(now),
        )
    )?)
}

fn not_final(row: &ReportRow) -> AppResult<()> {
    if row.status().is_final() {
        Err(AppError::new(ErrorCode::InvalidTransition)
            .with_detail(format!("the report is {}: it is over", row.status())))
    } else {
        Ok(())
    }
}

/// Assigns a report to a staff member or a contractor (or to nobody).
pub fn assign(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    a: &Assign,
    now: NaiveDateTime,
) -> AppResult<Report> {
    let user = me(actor)?;
    let (row, supporter) = load_readable(conn, actor, id)?;
    authorize(actor, &Action::ManageReport(row.ctx(supporter)))?;
    not_final(&row)?;
    let contractor = a
        .contractor
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if a.user_id.is_some() && contractor.is_some() {
        return Err(AppError::invalid(
            "contractor",
            "one_of",
            "assign to a staff member or to a contractor, not both",
        ));
    }
    if contractor.is_some_and(|c| c.chars().count() > 200) {
        return Err(AppError::invalid(
            "contractor",
            "too_long",
            "at most 200 characters",
        ));
    }
    if let Some(assignee) = a.user_id {
        let eligible = crate::auth::load_principal(conn, assignee.0)?
            .is_some_and(|p| crate::auth::policy::works_on_reports(&p, row.place()));
        if !eligible {
            return Err(AppError::invalid(
                "user_id",
                "not_staff",
                "the assignee must be a member of staff serving this place",
            ));
        }
    }
    write_tx(conn, |conn| -> AppResult<()> {
        let escalation = if contractor.is_some() {
            Escalation::Contractor.as_str().to_owned()
        } else {
            row.escalation.clone()
        };
        diesel::update(reports::table.find(id))
            .set((
                reports::assignee_user_id.eq(a.user_id.map(|u| u.0)),
                reports::assignee_contractor.eq(contractor),
                reports::escalation.eq(escalation),
                reports::updated_at.eq(now),
            ))
            .execute(conn)?;
        let who = match (a.user_id, contractor) {
            (Some(u), _) => store::names(conn, &[u.0])?.remove(&u.0).unwrap_or_default(),
            (None, Some(c)) => c.to_owned(),
            (None, None) => "—".to_owned(),
        };
        insert_comment(
            conn,
            id,
            user,
            Visibility::Internal,
            &format!("Assegnata a / assigned to: {who}"),
            now,
        )?;
        audited(conn, actor, "report.assign", id, json!({}), now)
    })?;
    get(conn, actor, id, now)
}

/// Moves a report to another escalation level (first line, technical office, contractor).
pub fn escalate(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    e: &Escalate,
    now: NaiveDateTime,
) -> AppResult<Report> {
    let user = me(actor)?;
    let (row, supporter) = load_readable(conn, actor, id)?;
    authorize(actor, &Action::ManageReport(row.ctx(supporter)))?;
    not_final(&row)?;
    if row.escalation == e.level.as_str() {
        return Err(AppError::new(ErrorCode::Conflict)
            .with_detail(format!("the report is already at {}", e.level)));
    }
    let note = e.note.as_deref().map(str::trim).unwrap_or_default();
    let mut errors = Vec::new();
    check_text("note", note, 0, MAX_NOTE_LEN, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    write_tx(conn, |conn| -> AppResult<()> {
        let n = diesel::update(
            reports::table
                .filter(reports::id.eq(id))
                .filter(reports::escalation.eq(&row.escalation)),
        )
        .set((
            reports::escalation.eq(e.level.as_str()),
            reports::updated_at.eq(now),
        ))
        .execute(conn)?;
        if n != 1 {
            return Err(AppError::new(ErrorCode::Conflict)
                .with_detail("the report changed meanwhile: read it again"));
        }
        let text = if note.is_empty() {
            format!("{} → {}", row.escalation, e.level)
        } else {
            format!("{} → {}: {note}", row.escalation, e.level)
        };
        insert_comment(conn, id, user, Visibility::Internal, &text, now)?;
        audited(conn, actor, "report.escalate", id, json!({}), now)
    })?;
    get(conn, actor, id, now)
}

/// Staff merge a duplicate into another report: its comments and supporters (its reporter
/// among them) move to the survivor; the duplicate becomes `merged`, pointing at it.
pub fn merge(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    into: i64,
    now: NaiveDateTime,
) -> AppResult<Report> {
    let user = me(actor)?;
    let (dup, s1) = load_readable(conn, actor, id)?;
    authorize(actor, &Action::MergeReports(dup.ctx(s1)))?;
    if into == id {
        return Err(AppError::invalid(
            "into",
            "same_report",
            "a report cannot be merged into itself",
        ));
    }
    let (survivor, s2) = load_readable(conn, actor, into).map_err(|e| {
        if e.code == ErrorCode::NotFound {
            AppError::invalid("into", "not_found", "no such report")
        } else {
            e
        }
    })?;
    authorize(actor, &Action::MergeReports(survivor.ctx(s2)))?;
    if !dup.status().is_open() {
        return Err(invalid_transition(dup.status(), ReportStatus::Merged));
    }
    if !survivor.status().is_open() {
        return Err(
            AppError::new(ErrorCode::InvalidTransition).with_detail(format!(
                "report {into} is {}: merge into an open report",
                survivor.status()
            )),
        );
    }
    if survivor.estate_id != dup.estate_id {
        return Err(AppError::invalid(
            "into",
            "other_estate",
            "duplicates are in the same estate",
        ));
    }
    let from = dup.status();
    write_tx(conn, |conn| -> AppResult<()> {
        let n = diesel::update(
            reports::table
                .filter(reports::id.eq(id))
                .filter(reports::status.eq(from.as_str())),
        )
        .set((
            reports::status.eq(ReportStatus::Merged.as_str()),
            reports::is_open.eq(false),
            reports::merged_into.eq(into),
            reports::updated_at.eq(now),
        ))
        .execute(conn)?;
        if n != 1 {
            return Err(AppError::new(ErrorCode::InvalidTransition)
                .with_detail("the report changed meanwhile: read it again"));
        }
        // The thread moves.
        diesel::update(report_comments::table.filter(report_comments::report_id.eq(id)))
            .set(report_comments::report_id.eq(into))
            .execute(conn)?;
        // The supporters move, and the duplicate's reporter becomes one.
        let mut people: Vec<i64> = report_supporters::table
            .filter(report_supporters::report_id.eq(id))
            .select(report_supporters::user_id)
            .load(conn)?;
        people.extend(dup.reporter_id);
        let already: Vec<i64> = report_supporters::table
            .filter(report_supporters::report_id.eq(into))
            .select(report_supporters::user_id)
            .load(conn)?;
        diesel::delete(report_supporters::table.filter(report_supporters::report_id.eq(id)))
            .execute(conn)?;
        people.sort_unstable();
        people.dedup();
        for p in people {
            if already.contains(&p) || Some(p) == survivor.reporter_id {
                continue;
            }
            diesel::insert_into(report_supporters::table)
                .values((
                    report_supporters::report_id.eq(into),
                    report_supporters::user_id.eq(p),
                    report_supporters::created_at.eq(now),
                ))
                .execute(conn)?;
        }
        recount_supporters(conn, id)?;
        recount_supporters(conn, into)?;
        // What made the duplicate urgent makes the survivor urgent too.
        if (dup.blocks_access && !survivor.blocks_access) || (dup.danger && !survivor.danger) {
            let blocks = dup.blocks_access || survivor.blocks_access;
            let danger = dup.danger || survivor.danger;
            let priority = super::priority(survivor.category(), blocks, danger);
            let due = (survivor.created_at + super::sla(survivor.category(), priority))
                .min(survivor.sla_due_at);
            diesel::update(reports::table.find(into))
                .set((
                    reports::blocks_access.eq(blocks),
                    reports::danger.eq(danger),
                    reports::priority.eq(priority.as_str()),
                    reports::sla_due_at.eq(due),
                ))
                .execute(conn)?;
        }
        diesel::update(reports::table.find(into))
            .set(reports::updated_at.eq(now))
            .execute(conn)?;
        diesel::insert_into(report_status_history::table)
            .values((
                report_status_history::report_id.eq(id),
                report_status_history::from_status.eq(from.as_str()),
                report_status_history::to_status.eq(ReportStatus::Merged.as_str()),
                report_status_history::by_user_id.eq(user),
                report_status_history::on_behalf_by.eq(actor.operator().map(|o| o.id.0)),
                report_status_history::reason.eq(format!("#{into}")),
                report_status_history::at.eq(now),
            ))
            .execute(conn)?;
        // Tell the duplicate's people where their thread went (after the move, the
        // supporters are the survivor's: use the reporter and the moved ones).
        let mut told: Vec<i64> = report_supporters::table
            .filter(report_supporters::report_id.eq(into))
            .select(report_supporters::user_id)
            .load(conn)?;
        told.retain(|p| !already.contains(p));
        told.extend(dup.reporter_id);
        told.sort_unstable();
        told.dedup();
        told.retain(|p| *p != user);
        let data = json!({"report": id, "category": dup.category,
                          "status": ReportStatus::Merged.as_str(), "title": dup.summary,
                          "into": into});
        for p in told {
            crate::notifications::notify(
                conn,
                p,
                NotificationKind::ReportStatus,
                data.clone(),
                &format!("/segnalazioni/{into}"),
                now,
            )?;
        }
        audit::record(
            conn,
            actor,
            "report.merge",
            Some(Object { kind: "report", id }),
            None,
            json!({"into": into}),
            now,
        )?;
        Ok(())
    })?;
    get(conn, actor, into, now)
}

/// The reporter rates the repair, once, after confirming it.
pub fn rate(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    r: &Rating,
    now: NaiveDateTime,
) -> AppResult<Report> {
    let (row, supporter) = load_readable(conn, actor, id)?;
    authorize(actor, &Action::RateReport(row.ctx(supporter)))?;
    if row.status() != ReportStatus::Confirmed {
        return Err(AppError::new(ErrorCode::InvalidTransition)
            .with_detail("a repair is rated after the reporter confirms it"));
    }
    let rated: i64 = report_ratings::table
        .filter(report_ratings::report_id.eq(id))
        .count()
        .get_result(conn)?;
    if rated > 0 {
        return Err(AppError::new(ErrorCode::Conflict).with_detail("already rated"));
    }
    let mut errors = Vec::new();
    if !(1..=5).contains(&r.rating) {
        errors.push(FieldError::new(
            "rating",
            "out_of_range",
            "the rating is from 1 to 5",
        ));
    }
    let comment = r
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    check_text(
        "comment",
        comment.unwrap_or_default(),
        0,
        MAX_NOTE_LEN,
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    write_tx(conn, |conn| -> AppResult<()> {
        let rated: i64 = report_ratings::table
            .filter(report_ratings::report_id.eq(id))
            .count()
            .get_result(conn)?;
        if rated > 0 {
            return Err(AppError::new(ErrorCode::Conflict).with_detail("already rated"));
        }
        diesel::insert_into(report_ratings::table)
            .values((
                report_ratings::report_id.eq(id),
                report_ratings::rating.eq(r.rating),
                report_ratings::comment.eq(comment),
                report_ratings::created_at.eq(now),
            ))
            .execute(conn)?;
        diesel::update(reports::table.find(id))
            .set(reports::updated_at.eq(now))
            .execute(conn)?;
        audited(conn, actor, "report.rate", id, json!({}), now)
    })?;
    get(conn, actor, id, now)
}

/// Closes the reports resolved more than [`AUTO_CLOSE_DAYS`] before `now` that nobody
/// confirmed or reopened. Each in its own transaction, conditional on still being resolved:
/// run it from several processes and each report closes once. Answers how many it closed.
pub fn auto_close(conn: &mut DbConn, now: NaiveDateTime) -> AppResult<usize> {
    let due: Vec<i64> = reports::table
        .filter(reports::status.eq(ReportStatus::Resolved.as_str()))
        .filter(reports::resolved_at.le(now - chrono::Duration::days(AUTO_CLOSE_DAYS)))
        .order(reports::id)
        .limit(500)
        .select(reports::id)
        .load(conn)?;
    let mut closed = 0;
    for id in due {
        let done = write_tx(conn, |conn| -> AppResult<bool> {
            let n = diesel::update(
                reports::table
                    .filter(reports::id.eq(id))
                    .filter(reports::status.eq(ReportStatus::Resolved.as_str())),
            )
            .set((
                reports::status.eq(ReportStatus::Closed.as_str()),
                reports::is_open.eq(false),
                reports::updated_at.eq(now),
            ))
            .execute(conn)?;
            if n != 1 {
                return Ok(false);
            }
            diesel::insert_into(report_status_history::table)
                .values((
                    report_status_history::report_id.eq(id),
                    report_status_history::from_status.eq(ReportStatus::Resolved.as_str()),
                    report_status_history::to_status.eq(ReportStatus::Closed.as_str()),
                    report_status_history::reason.eq(format!(
                        "no answer {AUTO_CLOSE_DAYS} days after it was resolved"
                    )),
                    report_status_history::at.eq(now),
                ))
                .execute(conn)?;
            if let Some(row) = store::get(conn, id)? {
                notify_status(conn, &row, ReportStatus::Closed, id, None, now)?;
            }
            Ok(true)
        })?;
        if done {
            closed += 1;
        }
    }
    Ok(closed)
}

/// A person's maintenance data for their GDPR export: the reports they made (with the steps
/// of each, without who took them unless it was the person, and their rating), the reports
/// they said "me too" on, their public comments on reports and their ratings of works. Never
/// others' comments, internal notes (not even the person's own, as staff), nor reports an
/// operator wrote for someone else.
pub fn export_of(conn: &mut DbConn, me: i64) -> AppResult<serde_json::Value> {
    use crate::db::schema::planned_work_ratings;
    #[allow(clippy::type_complexity)]
    let mine: Vec<(
        i64,
        String,
        String,
        i64,
        Option<i64>,
        Option<i64>,
        Option<String>,
        String,
        bool,
        bool,
        String,
        Option<String>,
        NaiveDateTime,
    )> = reports::table
        .filter(reports::reporter_id.eq(me))
        .order(reports::id)
        .select((
            reports::id,
            reports::category,
            reports::place,
            reports::estate_id,
            reports::building_id,
            reports::unit_id,
            reports::staircase,
            reports::description_md,
            reports::blocks_access,
            reports::danger,
            reports::status,
            reports::status_note,
            reports::created_at,
        ))
        .load(conn)?;
    let ids: Vec<i64> = mine.iter().map(|r| r.0).collect();
    let mut steps: HashMap<i64, Vec<serde_json::Value>> = HashMap::new();
    for (report, from, to, by, reason, scheduled, at) in report_status_history::table
        .filter(report_status_history::report_id.eq_any(&ids))
        .order(report_status_history::id)
        .select((
            report_status_history::report_id,
            report_status_history::from_status,
            report_status_history::to_status,
            report_status_history::by_user_id,
            report_status_history::reason,
            report_status_history::scheduled_for,
            report_status_history::at,
        ))
        .load::<(
            i64,
            Option<String>,
            String,
            Option<i64>,
            Option<String>,
            Option<chrono::NaiveDate>,
            NaiveDateTime,
        )>(conn)?
    {
        steps.entry(report).or_default().push(json!({
            "from": from, "to": to, "by_you": by == Some(me), "reason": reason,
            "scheduled_for": scheduled, "at": utc(at),
        }));
    }
    let ratings: HashMap<i64, serde_json::Value> = report_ratings::table
        .filter(report_ratings::report_id.eq_any(&ids))
        .select((
            report_ratings::report_id,
            report_ratings::rating,
            report_ratings::comment,
            report_ratings::created_at,
        ))
        .load::<(i64, i32, Option<String>, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(report, rating, comment, at)| {
            (
                report,
                json!({"rating": rating, "comment": comment, "at": utc(at)}),
            )
        })
        .collect();
    let reports_: Vec<serde_json::Value> = mine
        .into_iter()
        .map(
            |(
                id,
                category,
                place,
                estate,
                building,
                unit,
                staircase,
                description,
                blocks,
                danger,
                status,
                note,
                at,
            )| {
                json!({
                    "id": id, "category": category, "place": place, "estate_id": estate,
                    "building_id": building, "unit_id": unit, "staircase": staircase,
                    "description": description, "blocks_access": blocks, "danger": danger,
                    "status": status, "status_note": note, "created_at": utc(at),
                    "history": steps.remove(&id).unwrap_or_default(),
                    "rating": ratings.get(&id),
                })
            },
        )
        .collect();
    let supported: Vec<serde_json::Value> = report_supporters::table
        .filter(report_supporters::user_id.eq(me))
        .order(report_supporters::id)
        .select((report_supporters::report_id, report_supporters::created_at))
        .load::<(i64, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(report, at)| json!({"report_id": report, "at": utc(at)}))
        .collect();
    let comments: Vec<serde_json::Value> = report_comments::table
        .filter(report_comments::author_id.eq(me))
        .filter(report_comments::visibility.eq(Visibility::Public.as_str()))
        .order(report_comments::id)
        .select((
            report_comments::id,
            report_comments::report_id,
            report_comments::body_md,
            report_comments::created_at,
        ))
        .load::<(i64, i64, String, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(id, report, body, at)| {
            json!({"id": id, "report_id": report, "body": body, "created_at": utc(at)})
        })
        .collect();
    let works: Vec<serde_json::Value> = planned_work_ratings::table
        .filter(planned_work_ratings::user_id.eq(me))
        .order(planned_work_ratings::id)
        .select((
            planned_work_ratings::works_id,
            planned_work_ratings::rating,
            planned_work_ratings::comment,
            planned_work_ratings::created_at,
        ))
        .load::<(i64, i32, Option<String>, NaiveDateTime)>(conn)?
        .into_iter()
        .map(|(works, rating, comment, at)| {
            json!({"works_id": works, "rating": rating, "comment": comment, "at": utc(at)})
        })
        .collect();
    Ok(json!({
        "reports": reports_,
        "supported_reports": supported,
        "report_comments": comments,
        "works_ratings": works,
    }))
}
