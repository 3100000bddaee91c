//! Benchmark: the staff queue and the committee board of maintenance reports at full demo scale,
//! on SQLite and on PostgreSQL. Issue 6 asks for p99 under 50 ms over 50,000 reports.
//!
//! For each database: the server starts with the full demo registry and the demo people (loaded
//! through the real import); reporter accounts are created in bulk for a sample of residents
//! spread over every estate; 50,000 reports are written straight into the database, each with
//! the status history that led to its status (over every estate in proportion to its residents,
//! every category, place and status, ages up to two years: some overdue, some reopened, some
//! assigned to staff or a contractor, some with "me too" supporters). PostgreSQL's reports are
//! vacuumed and analysed after the load, as autovacuum would do after a bulk insert. Then concurrent clients (staff with a global scope, a
//! building administrator with an estate scope, the demo committee) read the queue with several
//! filter mixes (every few pages also the second page, by cursor) and the boards of estates.
//! Every latency is recorded; nothing about time is asserted.
//!
//! Run with `cargo xtask bench` (or `cargo run --release -p cortile-tests --bin
//! bench-maintenance`). Options (defaults in brackets): `--backend sqlite|postgres|both` [both],
//! `--reports N` [50000], `--reporters N` [4000], `--concurrency N` [16], `--requests N`
//! measured [5000], `--warmup N` [500], `--second-page-every N` [4], `--analyze-sqlite` (also
//! run SQLite's `ANALYZE` after seeding), `--explain` (print the query plans of the queue and
//! board queries on the seeded database).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::NaiveDateTime;
use cortile::communities::markdown;
use cortile::db::schema::{
    buildings, estates, household_members, households, persons, report_status_history,
    report_supporters, reports, units, users,
};
use cortile::db::{write_tx, DbConn};
use cortile::registry::demo::Scale;
use cortile_shared::maintenance::{Category, Escalation, PlaceKind, ReportStatus};
use cortile_tests::bench::{
    figures, insert_users, load_average, name, BenchUser, Figures, Rng, Weighted, CHUNK, TX_ROWS,
};
use cortile_tests::{Backend, TestApp, DEMO_PASSWORD};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

/// The goal of issue 6.
const GOAL_P99_MS: f64 = 50.0;

struct Options {
    backends: Vec<Backend>,
    reports: usize,
    reporters: usize,
    concurrency: usize,
    requests: usize,
    warmup: usize,
    second_page_every: usize,
    analyze_sqlite: bool,
    explain: bool,
}

fn options() -> Options {
    let args = cortile_tests::bench::Args::from_env();
    if args.flag("--help") || args.flag("-h") {
        println!(
            "bench-maintenance: the staff queue and the committee board over N reports.\n\
             Options [defaults]: --backend sqlite|postgres|both [both], --reports N [50000], \
             --reporters N [4000], --concurrency N [16], --requests N [5000], --warmup N [500], \
             --second-page-every N [4], --analyze-sqlite, --explain"
        );
        std::process::exit(0);
    }
    let number = |flag: &str, default: usize| args.number(flag, default);
    Options {
        backends: args.backends(),
        reports: number("--reports", 50_000),
        reporters: number("--reporters", 4000).max(1),
        concurrency: number("--concurrency", 16).max(1),
        requests: number("--requests", 5000).max(1),
        warmup: number("--warmup", 500),
        second_page_every: number("--second-page-every", 4),
        analyze_sqlite: args.flag("--analyze-sqlite"),
        explain: args.flag("--explain"),
    }
}

/// A resident who reports, with their home.
struct Reporter {
    id: i64,
    estate_id: i64,
    building_id: i64,
    unit_id: i64,
    staircase: String,
    lat: f64,
    lon: f64,
}

/// Creates accounts (no password: they never log in) for residents spread evenly over the
/// registry, so estates get reporters in proportion to their residents.
fn create_reporters(
    conn: &mut DbConn,
    wanted: usize,
    now: NaiveDateTime,
) -> anyhow::Result<Vec<Reporter>> {
    type Candidate = (String, String, String, i64, String, i64, i64, f64, f64);
    let taken: std::collections::HashSet<String> = users::table
        .filter(users::fiscal_code.is_not_null())
        .select(users::fiscal_code.assume_not_null())
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let mut seen = std::collections::HashSet::new();
    let candidates: Vec<Candidate> = household_members::table
        .inner_join(persons::table.on(persons::id.eq(household_members::person_id)))
        .inner_join(households::table.on(households::id.eq(household_members::household_id)))
        .inner_join(units::table.on(units::id.eq(households::unit_id)))
        .inner_join(buildings::table.on(buildings::id.eq(units::building_id)))
        .filter(household_members::ended_at.is_null())
        .filter(households::contract_status.eq("active"))
        .order((buildings::estate_id, buildings::id, household_members::id))
        .select((
            persons::fiscal_code,
            persons::given_name,
            persons::surname,
            units::id,
            units::staircase,
            buildings::id,
            buildings::estate_id,
            buildings::lat,
            buildings::lon,
        ))
        .load::<Candidate>(conn)?
        .into_iter()
        .filter(|c| !taken.contains(&c.0) && seen.insert(c.0.clone()))
        .collect();
    anyhow::ensure!(!candidates.is_empty(), "no resident in the registry");
    let step = (candidates.len() as f64 / wanted as f64).max(1.0);
    let mut chosen = Vec::new();
    let mut x = step / 2.0;
    while (x as usize) < candidates.len() && chosen.len() < wanted {
        chosen.push(x as usize);
        x += step;
    }
    let accounts: Vec<BenchUser<'_>> = chosen
        .iter()
        .map(|&i| {
            let c = &candidates[i];
            BenchUser {
                username: format!("segnala{i:06}"),
                display_name: format!("{} {}", c.1, c.2),
                password_hash: None,
                fiscal_code: c.0.as_str(),
            }
        })
        .collect();
    let ids = insert_users(conn, "segnala", &accounts, now)?;
    chosen
        .iter()
        .map(|&i| {
            let c = &candidates[i];
            let username = format!("segnala{i:06}");
            Ok(Reporter {
                id: *ids
                    .get(&username)
                    .with_context(|| format!("account {username} not found"))?,
                unit_id: c.3,
                staircase: c.4.clone(),
                building_id: c.5,
                estate_id: c.6,
                lat: c.7,
                lon: c.8,
            })
        })
        .collect()
}

/// Technicians of the manager, to assign reports to (besides the demo staff).
fn create_technicians(conn: &mut DbConn, now: NaiveDateTime) -> anyhow::Result<Vec<i64>> {
    let values: Vec<_> = (0..12)
        .map(|i| {
            (
                users::username.eq(format!("tecnico{i:02}")),
                users::display_name.eq(format!("Tecnico {i:02} dell'Ufficio Manutenzione")),
                users::created_at.eq(now),
                users::updated_at.eq(now),
            )
        })
        .collect();
    cortile::on_backend!(conn, c => diesel::insert_into(users::table)
        .values(&values)
        .execute(c))?;
    let mut ids: Vec<i64> = users::table
        .filter(users::username.like("tecnico%").or(users::username.eq_any([
            "staff",
            "operatore",
            "amministratore",
        ])))
        .select(users::id)
        .load(conn)?;
    ids.sort_unstable();
    Ok(ids)
}

const DESCRIPTIONS: &[&str] = &[
    "L'ascensore della scala B è **fermo al piano terra** da stamattina.",
    "Il termosifone del soggiorno è freddo, la caldaia centralizzata sembra spenta.",
    "Perdita d'acqua dal soffitto del bagno, la macchia si allarga.",
    "La luce delle scale non si accende tra il terzo e il quinto piano.",
    "Il citofono non suona e il portone non si chiude bene.",
    "Il cortile non viene pulito da due settimane, ci sono rifiuti vicino alle cantine.",
    "L'erba del giardino è alta e le panchine sono rotte.",
    "Topi in cantina: si sentono di notte e ci sono tracce vicino ai contatori.",
    "Muffa sulle pareti della camera da letto, nonostante si arieggi ogni giorno.",
    "Il parapetto del ballatoio al secondo piano è instabile: pericoloso per i bambini.",
    "Una finestra del vano scala è rotta, entra la pioggia.",
];

/// How often each category is reported (lifts, heating and water most).
const CATEGORY_WEIGHTS: &[(Category, u64)] = &[
    (Category::Lift, 14),
    (Category::Heating, 14),
    (Category::Water, 13),
    (Category::Electrical, 9),
    (Category::DoorsIntercom, 10),
    (Category::CommonAreas, 9),
    (Category::GreenAreas, 5),
    (Category::Pests, 5),
    (Category::DampMould, 11),
    (Category::Safety, 4),
    (Category::Other, 6),
];

const PLACE_WEIGHTS: &[(PlaceKind, u64)] = &[
    (PlaceKind::Home, 35),
    (PlaceKind::Staircase, 15),
    (PlaceKind::Building, 30),
    (PlaceKind::CommonArea, 15),
    (PlaceKind::Point, 5),
];

const CONTRACTORS: &[&str] = &[
    "Ascensori Lombardi S.r.l.",
    "Termoidraulica Navigli",
    "Elettro Service Milano",
    "Verde Pubblico Coop.",
];

/// One step of a report's history, before it has an id.
struct Step {
    from: Option<ReportStatus>,
    to: ReportStatus,
    by: Option<i64>,
    reason: Option<&'static str>,
    at: NaiveDateTime,
}

/// A report to insert, before it has an id.
struct NewReport {
    category: Category,
    place: PlaceKind,
    estate_id: i64,
    building_id: Option<i64>,
    unit_id: Option<i64>,
    staircase: Option<String>,
    lat: f64,
    lon: f64,
    description: usize,
    blocks_access: bool,
    danger: bool,
    priority: &'static str,
    sla_due_at: NaiveDateTime,
    status: ReportStatus,
    reporter_id: i64,
    assignee_user_id: Option<i64>,
    assignee_contractor: Option<&'static str>,
    escalation: Escalation,
    scheduled_for: Option<chrono::NaiveDate>,
    status_note: Option<&'static str>,
    resolved_at: Option<NaiveDateTime>,
    reopened_count: i32,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    steps: Vec<Step>,
    supporters: Vec<i64>,
}

fn days(n: f64) -> chrono::Duration {
    chrono::Duration::seconds((n * 86_400.0) as i64)
}

/// A number in `lo..hi` (days, as a fraction).
fn between(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    lo + (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * (hi - lo)
}

/// Picks the final status of a report of this age (in days): young reports are mostly open,
/// old ones mostly confirmed or closed; an old open one is the backlog.
fn pick_status(rng: &mut Rng, age: f64) -> ReportStatus {
    use ReportStatus::*;
    let table: &[(ReportStatus, u64)] = if age < 14.0 {
        &[
            (New, 30),
            (Acknowledged, 20),
            (Scheduled, 10),
            (InProgress, 10),
            (Reopened, 5),
            (Resolved, 15),
            (Confirmed, 4),
            (Rejected, 3),
            (NotOurResponsibility, 3),
        ]
    } else if age < 180.0 {
        &[
            (New, 5),
            (Acknowledged, 8),
            (Scheduled, 7),
            (InProgress, 7),
            (Reopened, 3),
            (Resolved, 5),
            (Confirmed, 38),
            (Closed, 17),
            (Rejected, 6),
            (NotOurResponsibility, 4),
        ]
    } else {
        &[
            (New, 1),
            (Acknowledged, 2),
            (Scheduled, 2),
            (InProgress, 2),
            (Reopened, 1),
            (Confirmed, 55),
            (Closed, 25),
            (Rejected, 7),
            (NotOurResponsibility, 5),
        ]
    };
    let w = Weighted::new(table.iter().map(|(_, w)| *w));
    table[w.pick(rng)].0
}

/// The statuses a report went through to reach `last` (valid moves of the workflow; with a
/// "still broken" round when `reopen`).
fn path(last: ReportStatus, reopen: bool) -> Vec<ReportStatus> {
    use ReportStatus::*;
    let to_resolved = |p: &mut Vec<ReportStatus>| {
        p.extend([Acknowledged, InProgress, Resolved]);
        if reopen {
            p.extend([Reopened, InProgress, Resolved]);
        }
    };
    let mut p = vec![New];
    match last {
        New => {}
        Acknowledged => p.push(Acknowledged),
        Scheduled => p.extend([Acknowledged, Scheduled]),
        InProgress => p.extend([Acknowledged, InProgress]),
        Rejected => p.push(Rejected),
        NotOurResponsibility => p.push(NotOurResponsibility),
        Resolved => to_resolved(&mut p),
        Confirmed => {
            to_resolved(&mut p);
            p.push(Confirmed);
        }
        Closed => {
            to_resolved(&mut p);
            p.push(Closed);
        }
        Reopened => {
            to_resolved(&mut p);
            // With `reopen`: reopened twice (still broken after the second repair too).
            p.push(Reopened);
        }
        Merged => {}
    }
    p
}

/// Plans the reports (deterministic).
fn plan_reports(
    reporters: &[Reporter],
    staff: &[i64],
    total: usize,
    now: NaiveDateTime,
) -> Vec<NewReport> {
    use ReportStatus::*;
    let mut rng = Rng(0x5E6_4A1A_7A5C);
    let categories = Weighted::new(CATEGORY_WEIGHTS.iter().map(|(_, w)| *w));
    let places = Weighted::new(PLACE_WEIGHTS.iter().map(|(_, w)| *w));
    let mut by_building: HashMap<i64, Vec<i64>> = HashMap::new();
    for r in reporters {
        by_building.entry(r.building_id).or_default().push(r.id);
    }
    let mut planned = Vec::with_capacity(total);
    for _ in 0..total {
        let who = &reporters[rng.below(reporters.len())];
        let category = CATEGORY_WEIGHTS[categories.pick(&mut rng)].0;
        let place = PLACE_WEIGHTS[places.pick(&mut rng)].0;
        let danger = rng.chance(if category == Category::Safety {
            0.4
        } else {
            0.03
        });
        let blocks_access = rng.chance(if category == Category::Lift {
            0.5
        } else {
            0.05
        });
        let priority = cortile::maintenance::priority(category, blocks_access, danger);
        let sla = cortile::maintenance::sla(category, priority);
        // A quarter of the reports are from the last two weeks, the rest up to two years old.
        let age = match rng.below(20) {
            0..=4 => between(&mut rng, 0.01, 14.0),
            5..=11 => between(&mut rng, 14.0, 180.0),
            _ => between(&mut rng, 180.0, 730.0),
        };
        let mut status = pick_status(&mut rng, age);
        // Closed means 14 days without an answer after the resolution.
        if status == Closed && age < 16.0 {
            status = Confirmed;
        }
        let reopen = matches!(status, Resolved | Confirmed | Closed | Reopened) && rng.chance(0.12);
        let statuses = path(status, reopen);
        let created = now - days(age);
        // Steps between creation and the last one, in order; a resolved report was resolved in
        // the last 12 days (older ones would be closed by auto-close); a closed one was closed
        // 14 days after its resolution.
        let span = now - created;
        let last_at = match status {
            Resolved => now - days(between(&mut rng, 0.0, age.min(12.0))),
            New => created,
            _ => created + span * (between(&mut rng, 0.2, 1.0) * 1000.0) as i32 / 1000,
        };
        let (resolve_by, last_at) = if status == Closed {
            let resolved = created
                + (span - days(14.0)) * (between(&mut rng, 0.2, 1.0) * 1000.0) as i32 / 1000;
            (Some(resolved), resolved + days(14.0))
        } else {
            (None, last_at)
        };
        let assignee_user =
            (status != New && rng.chance(0.6)).then(|| staff[rng.below(staff.len())]);
        let contractor =
            (status != New && rng.chance(0.15)).then(|| CONTRACTORS[rng.below(CONTRACTORS.len())]);
        let handler = assignee_user.unwrap_or(staff[rng.below(staff.len())]);
        let n = statuses.len();
        let mut steps = Vec::with_capacity(n);
        let mut prev = None;
        for (k, to) in statuses.iter().enumerate() {
            let at = if k == 0 {
                created
            } else if k == n - 1 {
                last_at
            } else {
                let end = resolve_by.unwrap_or(last_at);
                created + (end - created) * k as i32 / n as i32
            };
            let by = match to {
                New | Confirmed | Reopened => Some(who.id),
                Closed => None,
                _ => Some(handler),
            };
            let reason = match to {
                Reopened => Some("Ancora guasto: il problema si è ripresentato dopo due giorni."),
                Rejected => Some("Segnalazione doppia o non riproducibile al sopralluogo."),
                NotOurResponsibility => Some("Gestore del servizio idrico: segnalato a loro."),
                _ => None,
            };
            steps.push(Step {
                from: prev,
                to: *to,
                by,
                reason,
                at,
            });
            prev = Some(*to);
        }
        let last_reopen = steps.iter().rev().find(|s| s.to == Reopened).map(|s| s.at);
        let resolved_at = steps.iter().rev().find(|s| s.to == Resolved).map(|s| s.at);
        let (building_id, unit_id, staircase) = match place {
            PlaceKind::Home => (
                Some(who.building_id),
                Some(who.unit_id),
                Some(who.staircase.clone()),
            ),
            PlaceKind::Staircase => (Some(who.building_id), None, Some(who.staircase.clone())),
            PlaceKind::Building | PlaceKind::CommonArea => (Some(who.building_id), None, None),
            PlaceKind::Point => (None, None, None),
        };
        let jitter = |rng: &mut Rng| (rng.below(2001) as f64 - 1000.0) / 1_000_000.0;
        let (lat, lon) = if place == PlaceKind::Point {
            (who.lat + jitter(&mut rng), who.lon + jitter(&mut rng))
        } else {
            (who.lat, who.lon)
        };
        let mut supporters = Vec::new();
        if place != PlaceKind::Home && rng.chance(0.15) {
            if let Some(neighbours) = by_building.get(&who.building_id) {
                for _ in 0..1 + rng.below(4) {
                    let n = neighbours[rng.below(neighbours.len())];
                    if n != who.id && !supporters.contains(&n) {
                        supporters.push(n);
                    }
                }
            }
        }
        planned.push(NewReport {
            category,
            place,
            estate_id: who.estate_id,
            building_id,
            unit_id,
            staircase,
            lat,
            lon,
            description: rng.below(DESCRIPTIONS.len()),
            blocks_access,
            danger,
            priority: priority.as_str(),
            sla_due_at: last_reopen.unwrap_or(created) + sla,
            status,
            reporter_id: who.id,
            assignee_user_id: assignee_user,
            assignee_contractor: contractor,
            escalation: if status == New {
                Escalation::FirstLine
            } else {
                [
                    Escalation::FirstLine,
                    Escalation::FirstLine,
                    Escalation::TechnicalOffice,
                    Escalation::Contractor,
                ][rng.below(4)]
            },
            scheduled_for: (status == Scheduled)
                .then(|| (last_at + days(between(&mut rng, 1.0, 20.0))).date()),
            status_note: match status {
                Rejected => Some("Segnalazione doppia o non riproducibile al sopralluogo."),
                NotOurResponsibility => Some("Gestore del servizio idrico"),
                _ => None,
            },
            resolved_at,
            reopened_count: statuses.iter().filter(|s| **s == Reopened).count() as i32,
            created_at: created,
            updated_at: last_at,
            steps,
            supporters,
        });
    }
    // Ids follow time, as they would in use.
    planned.sort_by_key(|r| r.created_at);
    planned
}

/// Writes the reports, their histories and supporters.
fn insert_reports(conn: &mut DbConn, planned: &[NewReport]) -> anyhow::Result<()> {
    let html: Vec<String> = DESCRIPTIONS.iter().map(|d| markdown::render(d)).collect();
    let summaries: Vec<String> = DESCRIPTIONS
        .iter()
        .map(|d| d.replace("**", "").chars().take(120).collect())
        .collect();
    let before: i64 = reports::table
        .select(diesel::dsl::max(reports::id))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0);
    for tx in planned.chunks(TX_ROWS) {
        write_tx(conn, |conn| -> QueryResult<()> {
            for chunk in tx.chunks(CHUNK) {
                let values: Vec<_> = chunk
                    .iter()
                    .map(|r| {
                        (
                            (
                                reports::category.eq(r.category.as_str()),
                                reports::place.eq(r.place.as_str()),
                                reports::estate_id.eq(r.estate_id),
                                reports::building_id.eq(r.building_id),
                                reports::unit_id.eq(r.unit_id),
                                reports::staircase.eq(r.staircase.as_deref()),
                                reports::lat.eq(r.lat),
                                reports::lon.eq(r.lon),
                                reports::description_md.eq(DESCRIPTIONS[r.description]),
                                reports::description_html.eq(&html[r.description]),
                                reports::summary.eq(&summaries[r.description]),
                                reports::blocks_access.eq(r.blocks_access),
                                reports::danger.eq(r.danger),
                                reports::priority.eq(r.priority),
                            ),
                            (
                                reports::sla_due_at.eq(r.sla_due_at),
                                reports::status.eq(r.status.as_str()),
                                reports::is_open.eq(r.status.is_open()),
                                reports::reporter_id.eq(r.reporter_id),
                                reports::assignee_user_id.eq(r.assignee_user_id),
                                reports::assignee_contractor.eq(r.assignee_contractor),
                                reports::escalation.eq(r.escalation.as_str()),
                                reports::scheduled_for.eq(r.scheduled_for),
                                reports::status_note.eq(r.status_note),
                                reports::resolved_at.eq(r.resolved_at),
                                reports::supporters_count.eq(r.supporters.len() as i64),
                                reports::reopened_count.eq(r.reopened_count),
                                reports::created_at.eq(r.created_at),
                                reports::updated_at.eq(r.updated_at),
                            ),
                        )
                    })
                    .collect();
                cortile::on_backend!(conn, c => diesel::insert_into(reports::table)
                    .values(&values)
                    .execute(c))?;
            }
            Ok(())
        })?;
    }
    let ids: Vec<i64> = reports::table
        .filter(reports::id.gt(before))
        .order(reports::id)
        .select(reports::id)
        .load(conn)?;
    anyhow::ensure!(ids.len() == planned.len(), "reports inserted != planned");

    let steps: Vec<(i64, &Step)> = ids
        .iter()
        .zip(planned)
        .flat_map(|(id, r)| r.steps.iter().map(move |s| (*id, s)))
        .collect();
    for tx in steps.chunks(TX_ROWS) {
        write_tx(conn, |conn| -> QueryResult<()> {
            for chunk in tx.chunks(CHUNK) {
                let values: Vec<_> = chunk
                    .iter()
                    .map(|(id, s)| {
                        (
                            report_status_history::report_id.eq(*id),
                            report_status_history::from_status.eq(s.from.map(|f| f.as_str())),
                            report_status_history::to_status.eq(s.to.as_str()),
                            report_status_history::by_user_id.eq(s.by),
                            report_status_history::reason.eq(s.reason),
                            report_status_history::at.eq(s.at),
                        )
                    })
                    .collect();
                cortile::on_backend!(conn, c => diesel::insert_into(report_status_history::table)
                    .values(&values)
                    .execute(c))?;
            }
            Ok(())
        })?;
    }
    let supporters: Vec<(i64, i64, NaiveDateTime)> = ids
        .iter()
        .zip(planned)
        .flat_map(|(id, r)| r.supporters.iter().map(move |u| (*id, *u, r.created_at)))
        .collect();
    for tx in supporters.chunks(TX_ROWS) {
        write_tx(conn, |conn| -> QueryResult<()> {
            for chunk in tx.chunks(CHUNK) {
                let values: Vec<_> = chunk
                    .iter()
                    .map(|(report, user, at)| {
                        (
                            report_supporters::report_id.eq(*report),
                            report_supporters::user_id.eq(*user),
                            report_supporters::created_at.eq(*at),
                        )
                    })
                    .collect();
                cortile::on_backend!(conn, c => diesel::insert_into(report_supporters::table)
                    .values(&values)
                    .execute(c))?;
            }
            Ok(())
        })?;
    }
    Ok(())
}

/// What the seeded database holds.
#[derive(Default)]
struct Seeded {
    estates: i64,
    homes: i64,
    persons: i64,
    reports: i64,
    open: i64,
    overdue: i64,
    reopened: i64,
    assigned: i64,
    history: i64,
    supporters: i64,
    biggest_estate_open: i64,
    start_secs: f64,
    seed_secs: f64,
}

/// One kind of request the clients make.
#[derive(Clone)]
struct Kind {
    label: &'static str,
    /// `queue` or `board` (the goal is judged per endpoint).
    endpoint: &'static str,
    /// Which client sends it (index into the sessions).
    client: usize,
}

/// A logged-in client.
struct Client {
    http: reqwest::Client,
    base: String,
}

/// The paths of one request of `kind`, chosen with `rng` (deterministic per ticket).
fn path_of(
    kind: &Kind,
    rng: &mut Rng,
    estates: &[(i64, Weighted, Vec<i64>)],
    pick: &Weighted,
    committee_estate: i64,
) -> String {
    let (estate, buildings_w, buildings_) = &estates[pick.pick(rng)];
    let category = CATEGORY_WEIGHTS[rng.below(CATEGORY_WEIGHTS.len())]
        .0
        .as_str();
    match kind.label {
        "queue: open" => "/api/v1/maintenance/queue".to_owned(),
        "queue: estate" => format!("/api/v1/maintenance/queue?estate_id={estate}"),
        "queue: overdue+category" => {
            format!("/api/v1/maintenance/queue?overdue=true&category={category}")
        }
        "queue: unassigned high" => {
            "/api/v1/maintenance/queue?assignee=none&priority=high".to_owned()
        }
        "queue: mine" => "/api/v1/maintenance/queue?assignee=me".to_owned(),
        "queue: scheduled in estate" => {
            format!("/api/v1/maintenance/queue?status=scheduled&estate_id={estate}")
        }
        "queue: building, all" => {
            let b = buildings_[buildings_w.pick(rng)];
            format!("/api/v1/maintenance/queue?status=all&building_id={b}")
        }
        "queue: estate scope" => "/api/v1/maintenance/queue".to_owned(),
        "board: staff" => format!("/api/v1/maintenance/estates/{estate}/board"),
        "board: committee" => format!("/api/v1/maintenance/estates/{committee_estate}/board"),
        other => unreachable!("{other}"),
    }
}

/// GETs retried because the server had closed an idle kept-alive connection as the client
/// reused it (a race of keep-alive, not an answer of the server); printed with the figures.
static RETRIES: AtomicUsize = AtomicUsize::new(0);

/// One GET: latency (until the whole body arrived) and the `next` cursor of a page.
async fn get(client: &Client, path: &str) -> anyhow::Result<(Duration, Option<String>)> {
    let url = format!("{}{path}", client.base);
    let mut t = Instant::now();
    let res = match client.http.get(&url).send().await {
        Ok(res) => res,
        Err(e) if e.is_request() || e.is_connect() => {
            RETRIES.fetch_add(1, Ordering::Relaxed);
            t = Instant::now();
            client.http.get(&url).send().await?
        }
        Err(e) => return Err(e.into()),
    };
    let status = res.status();
    let body = res.bytes().await?;
    let latency = t.elapsed();
    anyhow::ensure!(
        status == 200,
        "GET {url} answered {status}: {}",
        String::from_utf8_lossy(&body)
    );
    let v: serde_json::Value = serde_json::from_slice(&body)?;
    Ok((latency, v["next"].as_str().map(str::to_owned)))
}

struct Setup {
    clients: Vec<Client>,
    kinds: Vec<Kind>,
    estates: Vec<(i64, Weighted, Vec<i64>)>,
    estate_pick: Weighted,
    committee_estate: i64,
}

/// Latencies by label (`… page 2` for second pages).
type Samples = BTreeMap<String, Vec<Duration>>;

async fn drive(
    setup: &Arc<Setup>,
    total: usize,
    concurrency: usize,
    second_every: usize,
    seed: u64,
) -> anyhow::Result<(Samples, f64)> {
    let tickets = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let setup = Arc::clone(setup);
        let tickets = Arc::clone(&tickets);
        tasks.push(tokio::spawn(async move {
            let mut samples = Samples::new();
            loop {
                let i = tickets.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let mut rng = Rng(seed ^ (i as u64).wrapping_mul(0x9E37_79B9));
                let kind = &setup.kinds[i % setup.kinds.len()];
                let client = &setup.clients[kind.client];
                let path = path_of(
                    kind,
                    &mut rng,
                    &setup.estates,
                    &setup.estate_pick,
                    setup.committee_estate,
                );
                let (latency, next) = get(client, &path).await?;
                samples
                    .entry(kind.label.to_owned())
                    .or_default()
                    .push(latency);
                if kind.endpoint == "queue"
                    && second_every > 0
                    && (i / setup.kinds.len()).is_multiple_of(second_every)
                {
                    if let Some(cursor) = next {
                        let sep = if path.contains('?') { '&' } else { '?' };
                        let (latency, _) =
                            get(client, &format!("{path}{sep}after={cursor}")).await?;
                        samples
                            .entry("queue: page 2".to_owned())
                            .or_default()
                            .push(latency);
                    }
                }
            }
            anyhow::Ok(samples)
        }));
    }
    let mut all = Samples::new();
    for t in tasks {
        for (k, v) in t.await.context("bench worker")?? {
            all.entry(k).or_default().extend(v);
        }
    }
    Ok((all, started.elapsed().as_secs_f64()))
}

#[derive(QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = diesel::sql_types::Text)]
    detail: String,
}

#[derive(QueryableByName)]
struct PgPlanLine {
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
    line: String,
}

/// Prints the plans of the queries behind the queue and the board (written out here as the
/// diesel DSL builds them).
fn explain(
    conn: &mut DbConn,
    estate: i64,
    building: i64,
    now: NaiveDateTime,
) -> anyhow::Result<()> {
    let now = format!("'{}'", now.format("%Y-%m-%d %H:%M:%S"));
    let year_ago = format!(
        "'{}'",
        (chrono::Utc::now().naive_utc() - days(365.0)).format("%Y-%m-%d %H:%M:%S")
    );
    let queries = [
        ("queue: open", "SELECT * FROM reports WHERE is_open = TRUE ORDER BY sla_due_at, id LIMIT 21".to_owned()),
        ("queue: estate", format!("SELECT * FROM reports WHERE is_open = TRUE AND estate_id = {estate} ORDER BY sla_due_at, id LIMIT 21")),
        ("queue: overdue+category", format!("SELECT * FROM reports WHERE is_open = TRUE AND category = 'pests' AND is_open = TRUE AND sla_due_at < {now} ORDER BY sla_due_at, id LIMIT 21")),
        ("queue: unassigned high", "SELECT * FROM reports WHERE is_open = TRUE AND priority = 'high' AND assignee_user_id IS NULL AND assignee_contractor IS NULL ORDER BY sla_due_at, id LIMIT 21".to_owned()),
        ("queue: mine", "SELECT * FROM reports WHERE is_open = TRUE AND assignee_user_id = 2 ORDER BY sla_due_at, id LIMIT 21".to_owned()),
        ("queue: scheduled in estate", format!("SELECT * FROM reports WHERE status = 'scheduled' AND is_open = TRUE AND estate_id = {estate} ORDER BY sla_due_at, id LIMIT 21")),
        ("queue: building, all", format!("SELECT * FROM reports WHERE building_id = {building} ORDER BY sla_due_at, id LIMIT 21")),
        ("queue: estate scope", format!("SELECT * FROM reports WHERE estate_id = {estate} AND is_open = TRUE ORDER BY sla_due_at, id LIMIT 21")),
        ("queue: page 2", format!("SELECT * FROM reports WHERE is_open = TRUE AND sla_due_at >= {now} AND (sla_due_at > {now} OR (sla_due_at = {now} AND id > 100)) ORDER BY sla_due_at, id LIMIT 21")),
        ("queue: open, one query with names", "SELECT reports.*, estates.name, buildings.address, units.code, users.display_name, report_supporters.id FROM reports LEFT JOIN estates ON estates.id = reports.estate_id LEFT JOIN buildings ON buildings.id = reports.building_id LEFT JOIN units ON units.id = reports.unit_id LEFT JOIN users ON users.id = reports.assignee_user_id LEFT JOIN report_supporters ON report_supporters.report_id = reports.id AND report_supporters.user_id = 2 WHERE reports.is_open = TRUE ORDER BY reports.sla_due_at, reports.id LIMIT 21".to_owned()),
        ("board: open", format!("SELECT category, COUNT(*), CAST(SUM(CASE WHEN created_at > {year_ago} THEN 1 ELSE 0 END) AS BIGINT), CAST(SUM(CASE WHEN sla_due_at < {now} THEN 1 ELSE 0 END) AS BIGINT), CAST(SUM(CASE WHEN reopened_count > 0 THEN 1 ELSE 0 END) AS BIGINT) FROM reports WHERE estate_id = {estate} AND is_open = TRUE GROUP BY category")),
        ("board: resolved", format!("SELECT COUNT(*) FROM reports WHERE estate_id = {estate} AND resolved_at >= {year_ago}")),
    ];
    for (label, sql) in queries {
        println!("  {label}: {sql}");
        match conn {
            DbConn::Sqlite(c) => {
                let lines: Vec<PlanLine> =
                    diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}")).load(c)?;
                for l in lines {
                    println!("    {}", l.detail);
                }
            }
            DbConn::Postgres(c) => {
                let lines: Vec<PgPlanLine> =
                    diesel::sql_query(format!("EXPLAIN ANALYZE {sql}")).load(c)?;
                for l in lines {
                    println!("    {}", l.line);
                }
            }
        }
    }
    Ok(())
}

struct Run {
    by_label: Vec<(String, Figures)>,
    queue: Figures,
    board: Figures,
}

async fn bench(backend: Backend, opts: &Options) -> anyhow::Result<(Seeded, Run)> {
    let db = name(backend);
    let mut seeded = Seeded::default();
    let t = Instant::now();
    let app = TestApp::builder(backend)
        .seed(Scale::Full)
        .people()
        .spawn()
        .await;
    seeded.start_secs = t.elapsed().as_secs_f64();
    let mut conn = app.connect();
    seeded.estates = estates::table.count().get_result(&mut conn)?;
    seeded.homes = units::table.count().get_result(&mut conn)?;
    seeded.persons = persons::table.count().get_result(&mut conn)?;
    println!(
        "{db}: server up with the full demo registry and people in {:.1} s: {} estates, {} homes, \
         {} persons",
        seeded.start_secs, seeded.estates, seeded.homes, seeded.persons
    );

    let now = chrono::Utc::now().naive_utc();
    let t = Instant::now();
    let reporters = create_reporters(&mut conn, opts.reporters, now)?;
    let staff = create_technicians(&mut conn, now)?;
    let planned = plan_reports(&reporters, &staff, opts.reports, now);
    insert_reports(&mut conn, &planned)?;
    drop(planned);
    // PostgreSQL: what autovacuum does after a bulk insert (statistics, and the visibility map
    // that lets the board's covering indexes answer without reading the table).
    if backend == Backend::Postgres {
        // One statement per call: VACUUM refuses to run in the implicit transaction of a
        // multi-statement batch.
        conn.batch_execute("VACUUM ANALYZE reports")?;
        conn.batch_execute("ANALYZE")?;
    } else if opts.analyze_sqlite {
        conn.batch_execute("ANALYZE")?;
    }
    seeded.seed_secs = t.elapsed().as_secs_f64();
    seeded.reports = reports::table.count().get_result(&mut conn)?;
    seeded.open = reports::table
        .filter(reports::is_open.eq(true))
        .count()
        .get_result(&mut conn)?;
    seeded.overdue = reports::table
        .filter(reports::is_open.eq(true))
        .filter(reports::sla_due_at.lt(now))
        .count()
        .get_result(&mut conn)?;
    seeded.reopened = reports::table
        .filter(reports::reopened_count.gt(0))
        .count()
        .get_result(&mut conn)?;
    seeded.assigned = reports::table
        .filter(
            reports::assignee_user_id
                .is_not_null()
                .or(reports::assignee_contractor.is_not_null()),
        )
        .count()
        .get_result(&mut conn)?;
    seeded.history = report_status_history::table.count().get_result(&mut conn)?;
    seeded.supporters = report_supporters::table.count().get_result(&mut conn)?;
    let open_by_estate: Vec<(i64, i64)> = reports::table
        .filter(reports::is_open.eq(true))
        .group_by(reports::estate_id)
        .select((reports::estate_id, diesel::dsl::count_star()))
        .load(&mut conn)?;
    seeded.biggest_estate_open = open_by_estate.iter().map(|(_, n)| *n).max().unwrap_or(0);
    println!(
        "{db}: {} reporters, {} reports ({} open, {} overdue, {} reopened at least once, {} \
         assigned), {} history rows, {} supporters written in {:.1} s{}; open reports of the \
         biggest estate: {}",
        reporters.len(),
        seeded.reports,
        seeded.open,
        seeded.overdue,
        seeded.reopened,
        seeded.assigned,
        seeded.history,
        seeded.supporters,
        seeded.seed_secs,
        if backend == Backend::Postgres || opts.analyze_sqlite {
            " (with ANALYZE; PostgreSQL vacuumed too)"
        } else {
            ""
        },
        seeded.biggest_estate_open,
    );

    // Estates weighted by their open reports (the busy ones are asked for more), with their
    // buildings weighted by homes.
    let open_of: HashMap<i64, i64> = open_by_estate.into_iter().collect();
    let estate_ids: Vec<i64> = estates::table
        .order(estates::id)
        .select(estates::id)
        .load(&mut conn)?;
    let building_rows: Vec<(i64, i64, i64)> = buildings::table
        .order(buildings::id)
        .select((buildings::estate_id, buildings::id, buildings::homes_count))
        .load(&mut conn)?;
    let mut estates_ = Vec::new();
    for e in &estate_ids {
        let list: Vec<(i64, i64)> = building_rows
            .iter()
            .filter(|(estate, ..)| estate == e)
            .map(|(_, b, h)| (*b, *h))
            .collect();
        if list.is_empty() {
            continue;
        }
        let w = Weighted::new(list.iter().map(|(_, h)| *h as u64));
        estates_.push((*e, w, list.into_iter().map(|(b, _)| b).collect::<Vec<_>>()));
    }
    let estate_pick = Weighted::new(
        estates_
            .iter()
            .map(|(e, ..)| open_of.get(e).copied().unwrap_or(0) as u64),
    );
    if opts.explain {
        let biggest = open_of
            .iter()
            .max_by_key(|(_, n)| **n)
            .map(|(e, _)| *e)
            .unwrap_or(1);
        let building = building_rows
            .iter()
            .find(|(e, ..)| *e == biggest)
            .map(|(_, b, _)| *b)
            .unwrap_or(1);
        println!("{db}: query plans (estate {biggest}, building {building}):");
        explain(&mut conn, biggest, building, now)?;
    }
    drop(conn);

    // Clients: four staff sessions (global), the admin, the building administrator (one
    // estate), the committee (its estate's board).
    let mut clients = Vec::new();
    for username in [
        "staff",
        "staff",
        "staff",
        "staff",
        "admin",
        "amministratore",
        "comitato",
    ] {
        let s = app.login_with(username, DEMO_PASSWORD).await;
        clients.push(Client {
            base: s.url(""),
            http: s.client,
        });
    }
    let committee = app.login_with("comitato", DEMO_PASSWORD).await;
    let committee_estate = committee
        .me
        .grants
        .iter()
        .find_map(|g| match g.scope {
            cortile_shared::auth::Scope::Estate(e) => Some(e.0),
            _ => None,
        })
        .context("the demo committee has an estate")?;
    let staff_client = |i: usize| i % 4;
    let kinds = vec![
        Kind {
            label: "queue: open",
            endpoint: "queue",
            client: staff_client(0),
        },
        Kind {
            label: "board: staff",
            endpoint: "board",
            client: staff_client(1),
        },
        Kind {
            label: "queue: estate",
            endpoint: "queue",
            client: staff_client(2),
        },
        Kind {
            label: "queue: overdue+category",
            endpoint: "queue",
            client: staff_client(3),
        },
        Kind {
            label: "board: committee",
            endpoint: "board",
            client: 6,
        },
        Kind {
            label: "queue: unassigned high",
            endpoint: "queue",
            client: 4,
        },
        Kind {
            label: "queue: mine",
            endpoint: "queue",
            client: staff_client(1),
        },
        Kind {
            label: "queue: scheduled in estate",
            endpoint: "queue",
            client: staff_client(2),
        },
        Kind {
            label: "board: staff",
            endpoint: "board",
            client: staff_client(3),
        },
        Kind {
            label: "queue: building, all",
            endpoint: "queue",
            client: staff_client(0),
        },
        Kind {
            label: "queue: estate scope",
            endpoint: "queue",
            client: 5,
        },
    ];
    let setup = Arc::new(Setup {
        clients,
        kinds,
        estates: estates_,
        estate_pick,
        committee_estate,
    });

    if opts.warmup > 0 {
        drive(
            &setup,
            opts.warmup,
            opts.concurrency,
            opts.second_page_every,
            1,
        )
        .await?;
    }
    let load_before = load_average();
    let (samples, elapsed) = drive(
        &setup,
        opts.requests,
        opts.concurrency,
        opts.second_page_every,
        2,
    )
    .await?;
    let mut queue = Vec::new();
    let mut board = Vec::new();
    let mut by_label = Vec::new();
    for (label, v) in &samples {
        if label.starts_with("queue") {
            queue.extend(v.iter().copied());
        } else {
            board.extend(v.iter().copied());
        }
        by_label.push((label.clone(), figures(v.clone(), elapsed)));
    }
    let run = Run {
        by_label,
        queue: figures(queue, elapsed),
        board: figures(board, elapsed),
    };
    println!(
        "{db}: {} requests ({} queue pages, {} boards) in {:.1} s, {} retried on a closed \
         kept-alive connection; load average {} before, {} after",
        run.queue.requests + run.board.requests,
        run.queue.requests,
        run.board.requests,
        elapsed,
        RETRIES.swap(0, Ordering::Relaxed),
        load_before,
        load_average()
    );
    println!(
        "{:<9} {:<27} {:>8} {:>7} {:>8} {:>8} {:>8} {:>8}",
        "database", "request", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    for (label, f) in run
        .by_label
        .iter()
        .map(|(l, f)| (l.as_str(), f))
        .chain([("queue (all)", &run.queue), ("board (all)", &run.board)])
    {
        println!(
            "{db:<9} {label:<27} {:>8} {:>7.0} {:>8.2} {:>8.2} {:>8.2} {:>8.2}",
            f.requests, f.per_second, f.p50_ms, f.p95_ms, f.p99_ms, f.max_ms
        );
    }
    app.shutdown().await;
    Ok((seeded, run))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let opts = options();
    println!(
        "bench-maintenance: full demo registry and people, {} reporters, {} reports; {} \
         concurrent clients, {} requests after {} of warm-up, every {}th queue request of a kind \
         also reads page 2; 2 server workers",
        opts.reporters,
        opts.reports,
        opts.concurrency,
        opts.requests,
        opts.warmup,
        opts.second_page_every
    );
    let mut results = Vec::new();
    for backend in &opts.backends {
        let (seeded, run) = bench(*backend, &opts)
            .await
            .with_context(|| format!("bench-maintenance on {}", name(*backend)))?;
        results.push((*backend, seeded, run));
    }
    println!();
    println!(
        "bench-maintenance summary: GET /api/v1/maintenance/queue (every filter mix, pages 1 and \
         2) and GET /api/v1/maintenance/estates/{{id}}/board, {} concurrent clients",
        opts.concurrency
    );
    println!(
        "{:<9} {:<6} {:>8} {:>7} {:>7} {:>7} {:>8} {:>8} {:>8} {:>8}  p99 < {GOAL_P99_MS} ms",
        "database",
        "view",
        "reports",
        "open",
        "seed s",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms"
    );
    for (backend, s, run) in &results {
        for (view, f) in [("queue", &run.queue), ("board", &run.board)] {
            println!(
                "{:<9} {:<6} {:>8} {:>7} {:>7.1} {:>7.0} {:>8.2} {:>8.2} {:>8.2} {:>8.2}  {}",
                name(*backend),
                view,
                s.reports,
                s.open,
                s.seed_secs,
                f.per_second,
                f.p50_ms,
                f.p95_ms,
                f.p99_ms,
                f.max_ms,
                if f.p99_ms < GOAL_P99_MS { "yes" } else { "NO" }
            );
        }
    }
    Ok(())
}
