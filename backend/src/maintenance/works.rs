//! Extraordinary works: staff announce them (buildings affected, dates, disruptions); each
//! affected building's community gets a pinned post in the same transaction, so the
//! announcement reaches its residents' feeds and they comment there; the `planned_works` row
//! keeps what was announced, and residents rate the outcome once the works are over.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use cortile_shared::maintenance::{NewWorks, Rating, Works, WorksBuilding, MAX_NOTE_LEN};
use cortile_shared::{BuildingId, ErrorCode, FieldError, PostId};
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Object};
use crate::auth::account::utc;
use crate::auth::policy::{authorize, can, Action, Place};
use crate::auth::Actor;
use crate::communities::markdown;
use crate::db::schema::{buildings, planned_work_buildings, planned_work_ratings, planned_works};
use crate::db::{write_tx, DbConn};
use crate::error::{AppError, AppResult};

const MAX_BUILDINGS: usize = 200;
const MAX_DISRUPTIONS: usize = 10;

#[derive(Queryable)]
struct WorksRow {
    id: i64,
    title: String,
    description_html: String,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    disruptions: String,
    created_at: NaiveDateTime,
}

macro_rules! works_columns {
    () => {
        (
            planned_works::id,
            planned_works::title,
            planned_works::description_html,
            planned_works::starts_on,
            planned_works::ends_on,
            planned_works::disruptions,
            planned_works::created_at,
        )
    };
}

fn announcement(new: &NewWorks, disruptions: &[String]) -> String {
    let mut body = format!(
        "**Dal {} al {}** · *from {} to {}*\n\n",
        new.starts_on.format("%d/%m/%Y"),
        new.ends_on.format("%d/%m/%Y"),
        new.starts_on,
        new.ends_on
    );
    if !disruptions.is_empty() {
        body.push_str("Disagi previsti · *expected disruptions*:\n\n");
        for d in disruptions {
            body.push_str(&format!("- {d}\n"));
        }
        body.push('\n');
    }
    body.push_str(new.description.trim());
    body
}

/// Staff announce works in some buildings.
pub fn announce(
    conn: &mut DbConn,
    actor: &Actor,
    new: &NewWorks,
    now: NaiveDateTime,
) -> AppResult<Works> {
    let me = actor.require()?.principal.id.0;
    let mut ids: Vec<i64> = new.building_ids.iter().map(|b| b.0).collect();
    ids.sort_unstable();
    ids.dedup();
    let found: Vec<(i64, i64)> = buildings::table
        .filter(buildings::id.eq_any(&ids))
        .select((buildings::id, buildings::estate_id))
        .load(conn)?;
    if found.len() != ids.len() {
        return Err(AppError::invalid(
            "building_ids",
            "not_found",
            "some of the buildings do not exist",
        ));
    }
    for (building, estate) in &found {
        authorize(
            actor,
            &Action::AnnounceWorks(Place {
                estate_id: *estate,
                building_id: *building,
            }),
        )?;
    }
    let mut errors = Vec::new();
    let title = new.title.trim();
    let n = title.chars().count();
    if !(3..=200).contains(&n) {
        errors.push(FieldError::new(
            "title",
            if n < 3 { "required" } else { "too_long" },
            "the title has 3 to 200 characters",
        ));
    }
    let d = new.description.trim().chars().count();
    if d == 0 || d > 5_000 {
        errors.push(FieldError::new(
            "description",
            if d == 0 { "required" } else { "too_long" },
            "the description has 1 to 5,000 characters",
        ));
    }
    if ids.is_empty() || ids.len() > MAX_BUILDINGS {
        errors.push(FieldError::new(
            "building_ids",
            "out_of_range",
            format!("from 1 to {MAX_BUILDINGS} buildings"),
        ));
    }
    if new.ends_on < new.starts_on {
        errors.push(FieldError::new(
            "ends_on",
            "before_start",
            "the works end on or after the day they start",
        ));
    }
    let disruptions: Vec<String> = new
        .disruptions
        .iter()
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty())
        .collect();
    if disruptions.len() > MAX_DISRUPTIONS || disruptions.iter().any(|d| d.chars().count() > 200) {
        errors.push(FieldError::new(
            "disruptions",
            "out_of_range",
            format!("at most {MAX_DISRUPTIONS} disruptions of at most 200 characters"),
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let body = announcement(new, &disruptions);
    let id = write_tx(conn, |conn| -> AppResult<i64> {
        let id = crate::insert_returning_id!(
            conn,
            planned_works::table,
            planned_works::id,
            (
                planned_works::title.eq(title),
                planned_works::description_md.eq(new.description.trim()),
                planned_works::description_html.eq(markdown::render(new.description.trim())),
                planned_works::starts_on.eq(new.starts_on),
                planned_works::ends_on.eq(new.ends_on),
                planned_works::disruptions.eq(json!(disruptions).to_string()),
                planned_works::created_by.eq(me),
                planned_works::created_at.eq(now),
                planned_works::updated_at.eq(now),
            )
        )?;
        for (building, _) in &found {
            let post = match crate::communities::building_community(conn, *building)? {
                Some(c) => Some(crate::communities::publish_pinned(
                    conn,
                    me,
                    c,
                    &format!("Lavori: {title}"),
                    &body,
                    now,
                )?),
                None => None,
            };
            diesel::insert_into(planned_work_buildings::table)
                .values((
                    planned_work_buildings::works_id.eq(id),
                    planned_work_buildings::building_id.eq(building),
                    planned_work_buildings::post_id.eq(post),
                ))
                .execute(conn)?;
        }
        audit::record(
            conn,
            actor,
            "works.announce",
            Some(Object { kind: "works", id }),
            None,
            json!({"buildings": ids}),
            now,
        )?;
        Ok(id)
    })?;
    get(conn, actor, id, now)
}

/// A building of works: (building, estate, address, post).
type WorksBuildingRow = (i64, i64, String, Option<i64>);

/// The buildings of works, by works.
fn buildings_of(
    conn: &mut DbConn,
    works: &[i64],
) -> AppResult<HashMap<i64, Vec<WorksBuildingRow>>> {
    let rows: Vec<(i64, i64, i64, String, Option<i64>)> = planned_work_buildings::table
        .inner_join(buildings::table)
        .filter(planned_work_buildings::works_id.eq_any(works))
        .order((planned_work_buildings::works_id, buildings::address))
        .select((
            planned_work_buildings::works_id,
            buildings::id,
            buildings::estate_id,
            buildings::address,
            planned_work_buildings::post_id,
        ))
        .load(conn)?;
    let mut out: HashMap<i64, Vec<_>> = HashMap::new();
    for (w, b, e, a, p) in rows {
        out.entry(w).or_default().push((b, e, a, p));
    }
    Ok(out)
}

fn readable(actor: &Actor, buildings_: &[WorksBuildingRow]) -> bool {
    buildings_.iter().any(|(b, e, _, _)| {
        let place = Place {
            estate_id: *e,
            building_id: *b,
        };
        can(actor, &Action::ReadPlaceReports(place)) || can(actor, &Action::AnnounceWorks(place))
    })
}

fn to_works(
    conn: &mut DbConn,
    actor: &Actor,
    row: WorksRow,
    buildings_: Vec<WorksBuildingRow>,
    today: NaiveDate,
) -> AppResult<Works> {
    let me = actor.require()?.principal.id.0;
    let ratings: Vec<(i64, i32, Option<String>)> = planned_work_ratings::table
        .filter(planned_work_ratings::works_id.eq(row.id))
        .select((
            planned_work_ratings::user_id,
            planned_work_ratings::rating,
            planned_work_ratings::comment,
        ))
        .load(conn)?;
    let mine = ratings
        .iter()
        .find(|(u, _, _)| *u == me)
        .map(|(_, r, c)| Rating {
            rating: *r,
            comment: c.clone(),
        });
    let lives_there = buildings_.iter().any(|(b, e, _, _)| {
        can(
            actor,
            &Action::RateWorks(Place {
                estate_id: *e,
                building_id: *b,
            }),
        )
    });
    Ok(Works {
        id: row.id,
        title: row.title,
        description_html: row.description_html,
        buildings: buildings_
            .into_iter()
            .filter_map(|(b, _, address, post)| {
                post.map(|p| WorksBuilding {
                    building_id: BuildingId(b),
                    address,
                    post_id: PostId(p),
                })
            })
            .collect(),
        starts_on: row.starts_on,
        ends_on: row.ends_on,
        disruptions: serde_json::from_str(&row.disruptions).unwrap_or_default(),
        created_at: utc(row.created_at),
        ratings: ratings.len() as i64,
        average_rating: (!ratings.is_empty()).then(|| {
            let sum: i32 = ratings.iter().map(|r| r.1).sum();
            (f64::from(sum) / ratings.len() as f64 * 10.0).round() / 10.0
        }),
        can_rate: mine.is_none() && lives_there && row.ends_on < today,
        my_rating: mine,
    })
}

/// One announcement, for whoever may read the reports of one of its buildings.
pub fn get(conn: &mut DbConn, actor: &Actor, id: i64, now: NaiveDateTime) -> AppResult<Works> {
    actor.require()?;
    let hidden = || AppError::not_found(format!("works {id} do not exist"));
    let row: WorksRow = planned_works::table
        .find(id)
        .select(works_columns!())
        .first(conn)
        .optional()?
        .ok_or_else(hidden)?;
    let b = buildings_of(conn, &[id])?.remove(&id).unwrap_or_default();
    if !readable(actor, &b) {
        return Err(hidden());
    }
    to_works(conn, actor, row, b, now.date())
}

/// The announcements the reader may read, newest first (the latest 200 looked at).
pub fn list(conn: &mut DbConn, actor: &Actor, now: NaiveDateTime) -> AppResult<Vec<Works>> {
    actor.require()?;
    let rows: Vec<WorksRow> = planned_works::table
        .order(planned_works::id.desc())
        .limit(200)
        .select(works_columns!())
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut b = buildings_of(conn, &ids)?;
    let mut out = Vec::new();
    for row in rows {
        let bs = b.remove(&row.id).unwrap_or_default();
        if readable(actor, &bs) {
            out.push(to_works(conn, actor, row, bs, now.date())?);
        }
    }
    Ok(out)
}

/// A resident of an affected building rates the outcome, once, after the works end.
pub fn rate(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    r: &Rating,
    now: NaiveDateTime,
) -> AppResult<Works> {
    let works = get(conn, actor, id, now)?;
    let me = actor.require()?.principal.id.0;
    let b = buildings_of(conn, &[id])?.remove(&id).unwrap_or_default();
    let mut allowed = Err(AppError::new(ErrorCode::Forbidden)
        .with_detail("only residents of the buildings affected rate the works"));
    for (building, estate, _, _) in &b {
        allowed = authorize(
            actor,
            &Action::RateWorks(Place {
                estate_id: *estate,
                building_id: *building,
            }),
        );
        if allowed.is_ok() {
            break;
        }
    }
    allowed?;
    if works.ends_on >= now.date() {
        return Err(AppError::new(ErrorCode::InvalidTransition)
            .with_detail("the works are rated once they are over"));
    }
    if works.my_rating.is_some() {
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
    if comment.is_some_and(|c| c.chars().count() > MAX_NOTE_LEN) {
        errors.push(FieldError::new(
            "comment",
            "too_long",
            format!("at most {MAX_NOTE_LEN} characters"),
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    write_tx(conn, |conn| -> AppResult<()> {
        let exists: i64 = planned_work_ratings::table
            .filter(planned_work_ratings::works_id.eq(id))
            .filter(planned_work_ratings::user_id.eq(me))
            .count()
            .get_result(conn)?;
        if exists > 0 {
            return Err(AppError::new(ErrorCode::Conflict).with_detail("already rated"));
        }
        diesel::insert_into(planned_work_ratings::table)
            .values((
                planned_work_ratings::works_id.eq(id),
                planned_work_ratings::user_id.eq(me),
                planned_work_ratings::rating.eq(r.rating),
                planned_work_ratings::comment.eq(comment),
                planned_work_ratings::created_at.eq(now),
            ))
            .execute(conn)?;
        Ok(())
    })?;
    get(conn, actor, id, now)
}
