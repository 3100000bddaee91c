//! The views of reports: mine, a building's open ones ("me too" before reporting), an
//! estate's map, the committee board (and its CSV), the staff queue and its bulk changes.

use chrono::NaiveDateTime;
use cortile_shared::geo::LatLon;
use cortile_shared::maintenance::{
    AssigneeCount, Board, BoardLine, BulkResult, BulkRow, BulkStatus, Category, PlaceKind,
    PointEstate, Priority, ReportStatus, ReportSummary, AGE_BUCKETS,
};
use cortile_shared::{EstateId, FieldError, Page};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::Deserialize;

use super::store::{self, ReportRow};
use crate::auth::policy::{authorize, can, maintenance_reach, Action, Place, Reach};
use crate::auth::Actor;
use crate::db::schema::{buildings, estates, report_supporters, reports, units, users};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};

fn page(
    conn: &mut DbConn,
    actor: &Actor,
    mut rows: Vec<ReportRow>,
    limit: i64,
    now: NaiveDateTime,
    cursor: impl Fn(&ReportRow) -> String,
) -> AppResult<Page<ReportSummary>> {
    let limit = usize::try_from(limit).unwrap_or(0);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = if more { rows.last().map(cursor) } else { None };
    Ok(Page {
        items: store::summaries(conn, actor, &rows, now)?,
        next,
    })
}

/// The reports I made or said "me too" on, newest first (`after`: the last id seen).
pub fn mine(
    conn: &mut DbConn,
    actor: &Actor,
    after: Option<i64>,
    limit: i64,
    now: NaiveDateTime,
) -> AppResult<Page<ReportSummary>> {
    let me = actor.require()?.principal.id.0;
    let mut q = reports::table
        .filter(
            reports::reporter_id.eq(me).or(reports::id.eq_any(
                report_supporters::table
                    .filter(report_supporters::user_id.eq(me))
                    .select(report_supporters::report_id),
            )),
        )
        .into_boxed();
    if let Some(after) = after {
        q = q.filter(reports::id.lt(after));
    }
    let rows: Vec<ReportRow> = q
        .order(reports::id.desc())
        .limit(limit + 1)
        .select(ReportRow::as_select())
        .load(conn)?;
    page(conn, actor, rows, limit, now, |r| {
        crate::pagination::encode_cursor(&r.id)
    })
}

fn building_place(conn: &mut DbConn, building: i64) -> AppResult<Place> {
    let estate: i64 = buildings::table
        .find(building)
        .select(buildings::estate_id)
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found(format!("building {building} does not exist")))?;
    Ok(Place {
        estate_id: estate,
        building_id: building,
    })
}

/// A building's open reports the reader may see (not others' homes), newest first; of one
/// category when asked (what a reporter checks before adding a duplicate).
pub fn building(
    conn: &mut DbConn,
    actor: &Actor,
    building: i64,
    category: Option<Category>,
    now: NaiveDateTime,
) -> AppResult<Vec<ReportSummary>> {
    let place = building_place(conn, building)?;
    authorize(actor, &Action::ReadPlaceReports(place))?;
    let mut q = reports::table
        .filter(reports::building_id.eq(building))
        .filter(reports::is_open.eq(true))
        .into_boxed();
    if let Some(c) = category {
        q = q.filter(reports::category.eq(c.as_str()));
    }
    let rows: Vec<ReportRow> = q
        .order(reports::id.desc())
        .limit(200)
        .select(ReportRow::as_select())
        .load(conn)?;
    let me = actor.require()?.principal.id.0;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let supported = store::supported_among(conn, &ids, me)?;
    let rows: Vec<ReportRow> = rows
        .into_iter()
        .filter(|r| can(actor, &Action::ReadReport(r.ctx(supported.contains(&r.id)))))
        .collect();
    store::summaries(conn, actor, &rows, now)
}

/// Open reports of the same category in the reader's building (or the one named): offered
/// before a new report, to say "me too" instead.
pub fn similar(
    conn: &mut DbConn,
    actor: &Actor,
    building_id: Option<i64>,
    category: Category,
    now: NaiveDateTime,
) -> AppResult<Vec<ReportSummary>> {
    let mine = actor
        .require()?
        .principal
        .residence
        .as_ref()
        .map(|r| r.home.building_id.0);
    let Some(b) = building_id.or(mine) else {
        return Err(AppError::invalid(
            "building_id",
            "required",
            "say which building (you have no home in the registry)",
        ));
    };
    let mut list = building(conn, actor, b, Some(category), now)?;
    list.retain(|r| r.place.kind != PlaceKind::Home);
    list.truncate(20);
    Ok(list)
}

/// The estate's open and recently resolved reports the reader may see, as GeoJSON points
/// (homes rounded to about 100 m).
pub fn map(
    conn: &mut DbConn,
    actor: &Actor,
    estate: i64,
    now: NaiveDateTime,
) -> AppResult<geojson::FeatureCollection> {
    estate_exists(conn, estate)?;
    authorize(
        actor,
        &Action::ReadPlaceReports(Place {
            estate_id: estate,
            building_id: 0,
        }),
    )?;
    let since = now - chrono::Duration::days(30);
    let rows: Vec<ReportRow> = reports::table
        .filter(reports::estate_id.eq(estate))
        .filter(
            reports::is_open.eq(true).or(reports::status
                .eq(ReportStatus::Resolved.as_str())
                .and(reports::resolved_at.ge(since))),
        )
        .order(reports::id.desc())
        .limit(2_000)
        .select(ReportRow::as_select())
        .load(conn)?;
    let features = rows
        .iter()
        .filter(|r| can(actor, &Action::ReadReport(r.ctx(false))))
        .map(|r| {
            let home = r.place_kind() == PlaceKind::Home;
            let (lat, lon) = if home {
                (super::round_point(r.lat), super::round_point(r.lon))
            } else {
                (r.lat, r.lon)
            };
            let mut props = serde_json::Map::new();
            props.insert("id".into(), r.id.into());
            props.insert("category".into(), r.category.clone().into());
            props.insert("status".into(), r.status.clone().into());
            props.insert("priority".into(), r.priority.clone().into());
            props.insert("place".into(), r.place.clone().into());
            props.insert("supporters".into(), r.supporters_count.into());
            props.insert(
                "overdue".into(),
                super::overdue(r.status(), r.sla_due_at, now).into(),
            );
            if !home {
                props.insert("summary".into(), r.summary.clone().into());
            }
            geojson::Feature {
                bbox: None,
                geometry: Some(geojson::Geometry::new(geojson::Value::Point(vec![
                    lon, lat,
                ]))),
                id: Some(geojson::feature::Id::Number(r.id.into())),
                properties: Some(props),
                foreign_members: None,
            }
        })
        .collect();
    Ok(geojson::FeatureCollection {
        bbox: None,
        features,
        foreign_members: None,
    })
}

fn estate_exists(conn: &mut DbConn, estate: i64) -> AppResult<String> {
    estates::table
        .find(estate)
        .select(estates::name)
        .first(conn)
        .optional()?
        .ok_or_else(|| AppError::not_found(format!("estate {estate} does not exist")))
}

/// The committee board of an estate: open reports by category and age, overdue, reopened,
/// and the mean time to resolve over the last year. Three small queries (the estate's name,
/// the open counts by category, the mean), each answered from an index.
pub fn board(
    conn: &mut DbConn,
    actor: &Actor,
    estate: i64,
    now: NaiveDateTime,
) -> AppResult<Board> {
    let name = estate_exists(conn, estate)?;
    authorize(
        actor,
        &Action::ViewBoard(Place {
            estate_id: estate,
            building_id: 0,
        }),
    )?;
    // Counted by the database over the covering index `reports_board_open` (estate, open,
    // category, created, due, reopened): one row per category comes back, not one per report.
    // Ages are whole days, as the buckets say: "up to 7 days" is created after now − 8 days.
    let counts = open_counts(conn, estate, now)?;
    let mut lines: Vec<BoardLine> = Category::ALL
        .iter()
        .map(|c| BoardLine {
            category: *c,
            open: 0,
            by_age: vec![0; AGE_BUCKETS.len()],
            overdue: 0,
            reopened: 0,
        })
        .collect();
    for c in counts {
        let Some(i) =
            Category::parse(&c.category).and_then(|x| Category::ALL.iter().position(|y| *y == x))
        else {
            continue;
        };
        let line = &mut lines[i];
        line.open = c.open;
        // Cumulative counts (younger than each bound) into buckets.
        let mut younger = 0;
        for (b, within) in c.within.iter().enumerate() {
            line.by_age[b] = within - younger;
            younger = *within;
        }
        line.by_age[AGE_BUCKETS.len() - 1] = c.open - younger;
        line.overdue = c.overdue;
        line.reopened = c.reopened;
    }
    let since = now - chrono::Duration::days(365);
    let (average, resolved) = average_days_to_resolve(conn, estate, since)?;
    Ok(Board {
        estate_id: EstateId(estate),
        estate_name: name,
        generated_at: crate::auth::account::utc(now),
        open: lines.iter().map(|l| l.open).sum(),
        overdue: lines.iter().map(|l| l.overdue).sum(),
        reopened: lines.iter().map(|l| l.reopened).sum(),
        lines,
        average_days_to_resolve: average.map(|d| (d * 10.0).round() / 10.0),
        resolved_last_365_days: resolved,
    })
}

/// An estate's open reports of one category, counted.
struct OpenCounts {
    category: String,
    open: i64,
    /// For each age bucket but the last: how many are at most that old (cumulative).
    within: Vec<i64>,
    overdue: i64,
    reopened: i64,
}

/// One query: an estate's open reports grouped by category, with the counts the board needs.
fn open_counts(conn: &mut DbConn, estate: i64, now: NaiveDateTime) -> AppResult<Vec<OpenCounts>> {
    use diesel::dsl::sql;
    use diesel::sql_types::{BigInt, Timestamp};
    // Whole days, as `(now - created).num_days() <= max` counts them.
    let bound = |max: i64| now - chrono::Duration::days(max + 1);
    let [(_, d0), (_, d1), (_, d2), _] = AGE_BUCKETS;
    type Row = (String, i64, i64, i64, i64, i64, i64);
    let rows: Vec<Row> = reports::table
        .filter(reports::estate_id.eq(estate))
        .filter(reports::is_open.eq(true))
        .group_by(reports::category)
        .select((
            reports::category,
            sql::<BigInt>("COUNT(*)"),
            sql::<BigInt>("CAST(SUM(CASE WHEN created_at > ")
                .bind::<Timestamp, _>(bound(d0))
                .sql(" THEN 1 ELSE 0 END) AS BIGINT)"),
            sql::<BigInt>("CAST(SUM(CASE WHEN created_at > ")
                .bind::<Timestamp, _>(bound(d1))
                .sql(" THEN 1 ELSE 0 END) AS BIGINT)"),
            sql::<BigInt>("CAST(SUM(CASE WHEN created_at > ")
                .bind::<Timestamp, _>(bound(d2))
                .sql(" THEN 1 ELSE 0 END) AS BIGINT)"),
            sql::<BigInt>("CAST(SUM(CASE WHEN sla_due_at < ")
                .bind::<Timestamp, _>(now)
                .sql(" THEN 1 ELSE 0 END) AS BIGINT)"),
            sql::<BigInt>("CAST(SUM(CASE WHEN reopened_count > 0 THEN 1 ELSE 0 END) AS BIGINT)"),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(category, open, w0, w1, w2, overdue, reopened)| OpenCounts {
                category,
                open,
                within: vec![w0, w1, w2],
                overdue,
                reopened,
            },
        )
        .collect())
}

/// Mean days from report to resolution over reports resolved since `since`, and how many.
/// The date arithmetic differs between the engines; the rest is the same.
fn average_days_to_resolve(
    conn: &mut DbConn,
    estate: i64,
    since: NaiveDateTime,
) -> AppResult<(Option<f64>, i64)> {
    use diesel::dsl::sql;
    use diesel::sql_types::{BigInt, Double, Nullable};
    let expr = match conn.kind() {
        crate::config::DbKind::Postgres => {
            "AVG(EXTRACT(EPOCH FROM (resolved_at - created_at)) / 86400.0)::float8"
        }
        crate::config::DbKind::Sqlite => "AVG(julianday(resolved_at) - julianday(created_at))",
    };
    let (avg, n): (Option<f64>, i64) = reports::table
        .filter(reports::estate_id.eq(estate))
        .filter(reports::resolved_at.ge(since))
        .select((sql::<Nullable<Double>>(expr), sql::<BigInt>("COUNT(*)")))
        .first(conn)?;
    Ok((avg, n))
}

/// The board as CSV for the committee's meetings (`;`-separated, as Italian spreadsheets
/// open it): one line per category, then the totals and the mean time to resolve.
pub fn board_csv(board: &Board) -> AppResult<String> {
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(Vec::new());
    let io = |e: csv::Error| AppError::internal(e);
    w.write_record([
        "categoria",
        "aperte",
        "0-7 giorni",
        "8-30 giorni",
        "31-90 giorni",
        "oltre 90 giorni",
        "scadute",
        "riaperte",
    ])
    .map_err(io)?;
    for l in &board.lines {
        let mut rec = vec![l.category.name_it().to_owned(), l.open.to_string()];
        rec.extend(l.by_age.iter().map(|n| n.to_string()));
        rec.push(l.overdue.to_string());
        rec.push(l.reopened.to_string());
        w.write_record(&rec).map_err(io)?;
    }
    let totals: Vec<i64> = (0..AGE_BUCKETS.len())
        .map(|i| board.lines.iter().map(|l| l.by_age[i]).sum())
        .collect();
    let mut rec = vec!["totale".to_owned(), board.open.to_string()];
    rec.extend(totals.iter().map(|n| n.to_string()));
    rec.push(board.overdue.to_string());
    rec.push(board.reopened.to_string());
    w.write_record(&rec).map_err(io)?;
    w.write_record([
        "giorni medi per risolvere (ultimo anno)".to_owned(),
        board
            .average_days_to_resolve
            .map(|d| format!("{d:.1}").replace('.', ","))
            .unwrap_or_default(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
        String::new(),
    ])
    .map_err(io)?;
    let bytes = w
        .into_inner()
        .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    String::from_utf8(bytes).map_err(AppError::internal)
}

/// Filters of the staff queue (query parameters of `GET /api/v1/maintenance/queue`).
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueFilter {
    pub estate_id: Option<String>,
    pub building_id: Option<String>,
    /// A category (`lift`, `heating`…).
    pub category: Option<String>,
    /// A status, or `open` (the default: new, acknowledged, scheduled, in progress, reopened),
    /// or `all`.
    pub status: Option<String>,
    /// `urgent`, `high`, `normal` or `low`.
    pub priority: Option<String>,
    /// `true`: only open reports past their due time; `false`: only the others.
    pub overdue: Option<String>,
    /// A user id, `me`, or `none` (unassigned).
    pub assignee: Option<String>,
}

/// The queue's filters, parsed (each bad value reported against its own field).
#[derive(Debug, Clone, Default)]
pub struct Queue {
    pub estate_id: Option<i64>,
    pub building_id: Option<i64>,
    pub category: Option<Category>,
    /// `None`: all statuses; `Some(None)`: open ones.
    pub status: Option<Option<ReportStatus>>,
    pub priority: Option<Priority>,
    pub overdue: Option<bool>,
    /// `Some(None)`: unassigned.
    pub assignee: Option<Option<i64>>,
}

impl QueueFilter {
    pub fn parse(&self, me: i64) -> AppResult<Queue> {
        let mut errors = Vec::new();
        let mut bad = |field: &str, message: &str| {
            errors.push(FieldError::new(field, "invalid_value", message));
        };
        let trimmed = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let id = |v: &Option<String>| trimmed(v).map(|v| v.parse::<i64>().ok().filter(|n| *n > 0));
        let mut q = Queue::default();
        match id(&self.estate_id) {
            Some(None) => bad("estate_id", "estate_id is a positive whole number"),
            Some(v) => q.estate_id = v,
            None => {}
        }
        match id(&self.building_id) {
            Some(None) => bad("building_id", "building_id is a positive whole number"),
            Some(v) => q.building_id = v,
            None => {}
        }
        if let Some(c) = trimmed(&self.category) {
            match Category::parse(&c) {
                Some(c) => q.category = Some(c),
                None => bad("category", "no such category"),
            }
        }
        q.status = Some(None);
        if let Some(s) = trimmed(&self.status) {
            match s.as_str() {
                "open" => q.status = Some(None),
                "all" => q.status = None,
                other => match ReportStatus::parse(other) {
                    Some(s) => q.status = Some(Some(s)),
                    None => bad("status", "a status, open or all"),
                },
            }
        }
        if let Some(p) = trimmed(&self.priority) {
            match Priority::parse(&p) {
                Some(p) => q.priority = Some(p),
                None => bad("priority", "urgent, high, normal or low"),
            }
        }
        if let Some(o) = trimmed(&self.overdue) {
            match o.as_str() {
                "true" => q.overdue = Some(true),
                "false" => q.overdue = Some(false),
                _ => bad("overdue", "true or false"),
            }
        }
        if let Some(a) = trimmed(&self.assignee) {
            match a.as_str() {
                "me" => q.assignee = Some(Some(me)),
                "none" => q.assignee = Some(None),
                other => match other.parse::<i64>() {
                    Ok(n) if n > 0 => q.assignee = Some(Some(n)),
                    _ => bad("assignee", "a user id, me or none"),
                },
            }
        }
        if errors.is_empty() {
            Ok(q)
        } else {
            Err(AppError::validation(errors))
        }
    }
}

/// The staff queue: reports of the reader's reach, filtered, the most pressing due time
/// first; keyset-paginated on (due time, id).
pub fn queue(
    conn: &mut DbConn,
    actor: &Actor,
    f: &Queue,
    after: Option<(NaiveDateTime, i64)>,
    limit: i64,
    now: NaiveDateTime,
) -> AppResult<Page<ReportSummary>> {
    let reach = maintenance_reach(actor)?;
    let me = actor.require()?.principal.id.0;
    // One query: the reports with the names a summary shows and the reader's "me too". Left
    // joins only, so that the reports stay the outer loop, read in due order from an index.
    let mut q = reports::table
        .left_join(estates::table.on(estates::id.eq(reports::estate_id)))
        .left_join(buildings::table.on(buildings::id.nullable().eq(reports::building_id)))
        .left_join(units::table.on(units::id.nullable().eq(reports::unit_id)))
        .left_join(users::table.on(users::id.nullable().eq(reports::assignee_user_id)))
        .left_join(
            report_supporters::table.on(report_supporters::report_id
                .eq(reports::id)
                .and(report_supporters::user_id.eq(me))),
        )
        .into_boxed();
    // Only the parts of the reach there are: an `OR` with an empty list would keep the
    // database from reading the estate's index.
    match &reach {
        Reach::All => {}
        Reach::Some { estates, buildings } => match (estates.as_slice(), buildings.as_slice()) {
            ([], []) => {
                return Ok(Page {
                    items: Vec::new(),
                    next: None,
                })
            }
            ([e], []) => q = q.filter(reports::estate_id.eq(*e)),
            (e, []) => q = q.filter(reports::estate_id.eq_any(e.to_vec())),
            ([], [b]) => q = q.filter(reports::building_id.eq(*b)),
            ([], b) => q = q.filter(reports::building_id.eq_any(b.to_vec())),
            (e, b) => {
                q = q.filter(
                    reports::estate_id
                        .eq_any(e.to_vec())
                        .or(reports::building_id.eq_any(b.to_vec())),
                )
            }
        },
    }
    match f.status {
        Some(None) => q = q.filter(reports::is_open.eq(true)),
        // `is_open` follows from the status; saying it lets the queue's indexes, which start
        // with it, serve the order.
        Some(Some(s)) => {
            q = q
                .filter(reports::status.eq(s.as_str()))
                .filter(reports::is_open.eq(s.is_open()))
        }
        None => {}
    }
    if let Some(e) = f.estate_id {
        q = q.filter(reports::estate_id.eq(e));
    }
    if let Some(b) = f.building_id {
        q = q.filter(reports::building_id.eq(b));
    }
    if let Some(c) = f.category {
        q = q.filter(reports::category.eq(c.as_str()));
    }
    if let Some(p) = f.priority {
        q = q.filter(reports::priority.eq(p.as_str()));
    }
    match f.overdue {
        Some(true) => {
            q = q
                .filter(reports::is_open.eq(true))
                .filter(reports::sla_due_at.lt(now))
        }
        Some(false) => q = q.filter(reports::is_open.eq(false).or(reports::sla_due_at.ge(now))),
        None => {}
    }
    match f.assignee {
        Some(Some(u)) => q = q.filter(reports::assignee_user_id.eq(u)),
        Some(None) => {
            q = q
                .filter(reports::assignee_user_id.is_null())
                .filter(reports::assignee_contractor.is_null())
        }
        None => {}
    }
    if let Some((due, id)) = after {
        // The `>=` alone bounds the index range (the `OR` alone would be a filter over every
        // row before the cursor); the `OR` then drops the rows at the cursor's own time.
        q = q.filter(reports::sla_due_at.ge(due)).filter(
            reports::sla_due_at
                .gt(due)
                .or(reports::sla_due_at.eq(due).and(reports::id.gt(id))),
        );
    }
    type Joined = (
        ReportRow,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<i64>,
    );
    let q = q
        .order((reports::sla_due_at.asc(), reports::id.asc()))
        .limit(limit + 1)
        .select((
            ReportRow::as_select(),
            estates::name.nullable(),
            buildings::address.nullable(),
            units::code.nullable(),
            users::display_name.nullable(),
            report_supporters::id.nullable(),
        ));
    let rows: Vec<Joined> = match conn {
        // PostgreSQL spent ten times longer choosing an order for the five left joins than
        // running the query (3 ms against 0.3 ms in EXPLAIN ANALYZE); the order written here
        // (the reports outermost, read in due order from an index) is the plan it finds.
        DbConn::Postgres(_) => conn.transaction(|conn| {
            conn.batch_execute("SET LOCAL join_collapse_limit = 1")?;
            q.load(conn)
        })?,
        DbConn::Sqlite(_) => q.load(conn)?,
    };
    let limit = usize::try_from(limit).unwrap_or(0);
    let more = rows.len() > limit;
    let named: Vec<store::Named> = rows
        .into_iter()
        .take(limit)
        .map(
            |(row, estate, building, unit, assignee, supporter)| store::Named {
                row,
                estate,
                building,
                unit,
                assignee,
                supporting: supporter.is_some(),
            },
        )
        .collect();
    let next = if more {
        named
            .last()
            .map(|n| crate::pagination::encode_cursor(&(n.row.sla_due_at, n.row.id)))
    } else {
        None
    };
    Ok(Page {
        items: store::summaries_named(actor, &named, now),
        next,
    })
}

/// The people with open reports assigned in the reader's reach, with how many, by name (the
/// queue's filter by assignee). One grouped query over `reports_assignee_open`, one for names.
pub fn assignees(conn: &mut DbConn, actor: &Actor) -> AppResult<Vec<AssigneeCount>> {
    let reach = maintenance_reach(actor)?;
    let open_assigned = reports::table
        .filter(reports::assignee_user_id.is_not_null())
        .filter(reports::is_open.eq(true));
    let counts: Vec<(Option<i64>, i64)> = match &reach {
        Reach::All => open_assigned
            .group_by(reports::assignee_user_id)
            .select((reports::assignee_user_id, diesel::dsl::count_star()))
            .load(conn)?,
        Reach::Some { estates, buildings } => {
            if estates.is_empty() && buildings.is_empty() {
                return Ok(Vec::new());
            }
            open_assigned
                .filter(
                    reports::estate_id
                        .eq_any(estates.clone())
                        .or(reports::building_id.eq_any(buildings.clone())),
                )
                .group_by(reports::assignee_user_id)
                .select((reports::assignee_user_id, diesel::dsl::count_star()))
                .load(conn)?
        }
    };
    let ids: Vec<i64> = counts.iter().filter_map(|(u, _)| *u).collect();
    let names = store::names(conn, &ids)?;
    let mut list: Vec<AssigneeCount> = counts
        .into_iter()
        .filter_map(|(u, n)| {
            u.map(|u| AssigneeCount {
                user: store::user_ref(&names, u),
                open: n,
            })
        })
        .collect();
    list.sort_by(|a, b| {
        a.user
            .display_name
            .cmp(&b.user.display_name)
            .then(a.user.id.0.cmp(&b.user.id.0))
    });
    Ok(list)
}

/// The estate whose boundary holds the point, if the reader may report there (what the report
/// form shows when a point is clicked on the map).
pub fn estate_at_point(conn: &mut DbConn, actor: &Actor, point: LatLon) -> AppResult<PointEstate> {
    actor.require()?;
    let point = LatLon::new(point.lat, point.lon)
        .map_err(|e| AppError::invalid("point", "invalid_value", e.to_string()))?;
    let estate = super::reports::estate_at(conn, point)?.ok_or_else(|| {
        AppError::invalid(
            "point",
            "outside_estates",
            "the point is not inside any estate",
        )
    })?;
    authorize(
        actor,
        &Action::ReportProblem(Place {
            estate_id: estate,
            building_id: 0,
        }),
    )?;
    Ok(PointEstate {
        estate_id: EstateId(estate),
        estate_name: estate_exists(conn, estate)?,
        point,
    })
}

/// Most reports in one bulk change.
pub const MAX_BULK: usize = 200;

/// One status change for many reports. Per-row results: each row is checked and applied in
/// its own transaction, exactly as a single change would be; a refused row changes nothing
/// and does not stop the others.
pub fn bulk_status(
    conn: &mut DbConn,
    actor: &Actor,
    b: &BulkStatus,
    now: NaiveDateTime,
) -> AppResult<BulkResult> {
    authorize(actor, &Action::ViewQueue)?;
    if b.ids.is_empty() || b.ids.len() > MAX_BULK {
        return Err(AppError::invalid(
            "ids",
            "out_of_range",
            format!("from 1 to {MAX_BULK} reports"),
        ));
    }
    let mut ids = b.ids.clone();
    ids.sort_unstable();
    ids.dedup();
    let mut rows = Vec::new();
    for id in ids {
        match super::reports::apply_status(conn, actor, id, &b.update, now) {
            Ok(status) => rows.push(BulkRow {
                id,
                ok: true,
                status: Some(status),
                problem: None,
            }),
            Err(e) => {
                let status = store::get(conn, id)?
                    .filter(|r| can(actor, &Action::ReadReport(r.ctx(false))))
                    .map(|r| r.status());
                rows.push(BulkRow {
                    id,
                    ok: false,
                    status,
                    problem: Some(e.to_problem()),
                })
            }
        }
    }
    let applied = rows.iter().filter(|r| r.ok).count();
    Ok(BulkResult {
        applied,
        refused: rows.len() - applied,
        rows,
    })
}
