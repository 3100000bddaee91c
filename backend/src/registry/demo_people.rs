//! Demo households, persons, housing applications and one account per role, loaded with the
//! demo registry so that every part of Cortile can be tried at once (README: "Demo accounts").
//!
//! Households and persons go through the real import of a synthetic export
//! ([`super::demo_export`]), so the demo exercises the same path as the housing manager's file.

use chrono::{Duration, NaiveDateTime};
use cortile_shared::auth::{Role, Scope};
use cortile_shared::{BuildingId, EstateId};
use diesel::prelude::*;

use super::demo::{self, Scale};
use super::demo_export::{self, Format};
use super::import::{import_registry, ImportOptions, Outcome};
use crate::auth::{password, store as accounts};
use crate::db::schema::{
    application_status_history, applications, buildings, estates, persons, users,
};
use crate::db::{write_tx, DbConn};

/// The password of every demo account (README: "Demo accounts"). Demo data only.
pub const DEMO_PASSWORD: &str = "cortile-demo";

/// One demo account: username, display name, role and where it applies.
pub struct DemoAccount {
    pub username: &'static str,
    pub display_name: &'static str,
    pub role: Role,
    /// `global`, `estate` (the first demo estate) or `building` (its first building).
    pub scope: &'static str,
}

/// The accounts with granted roles; `inquilino` and `condomino` (residents of the same
/// building) and `richiedente` (applicant) get their access from the registry instead.
pub const DEMO_ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        username: "admin",
        display_name: "Alessandra Amministratrice",
        role: Role::Admin,
        scope: "global",
    },
    DemoAccount {
        username: "staff",
        display_name: "Stefano dell'Ufficio Casa",
        role: Role::Staff,
        scope: "global",
    },
    DemoAccount {
        username: "operatore",
        display_name: "Olga del Contact Center",
        role: Role::Operator,
        scope: "global",
    },
    DemoAccount {
        username: "custode",
        display_name: "Carlo il Custode",
        role: Role::Custodian,
        scope: "building",
    },
    DemoAccount {
        username: "amministratore",
        display_name: "Bruna Amministratrice di Stabile",
        role: Role::BuildingAdmin,
        scope: "estate",
    },
    DemoAccount {
        username: "comitato",
        display_name: "Comitato Inquilini San Siro",
        role: Role::CommitteeMember,
        scope: "estate",
    },
    DemoAccount {
        username: "assistente",
        display_name: "Sara Assistente Sociale",
        role: Role::SocialWorker,
        scope: "global",
    },
    DemoAccount {
        username: "moderatore",
        display_name: "Marco Moderatore",
        role: Role::Moderator,
        scope: "global",
    },
];

/// Persons in the demo unit number `i`: mostly one to three, one home in ten empty.
fn persons_in(i: usize) -> usize {
    if i % 10 == 9 {
        0
    } else {
        1 + i % 3
    }
}

/// Demo applicants are numbered after the residents so their fiscal codes never collide.
const APPLICANT_BASE: usize = 900_000;

/// What was loaded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeopleReport {
    pub persons: usize,
    pub applications: usize,
    pub accounts: usize,
}

/// Loads the demo people and accounts, once: does nothing when accounts or persons exist.
pub fn seed(
    conn: &mut DbConn,
    scale: Scale,
    now: NaiveDateTime,
) -> anyhow::Result<Option<PeopleReport>> {
    let existing: i64 = users::table.count().get_result(conn)?;
    let people: i64 = persons::table.count().get_result(conn)?;
    if existing > 0 || people > 0 {
        return Ok(None);
    }
    let rows = demo_export::rows(scale, persons_in, true);
    let resident_code = rows
        .first()
        .map(|r| r.fiscal_code().to_owned())
        .ok_or_else(|| anyhow::anyhow!("the demo export is empty"))?;
    let resident_name = rows
        .first()
        .map(|r| format!("{} {}", r.fields[17], r.fields[16]))
        .unwrap_or_default();
    // A neighbour: the holder of the last home of the same building (another household), so
    // that "me too" and the building's reports can be tried with two residents.
    let first_row = rows
        .first()
        .ok_or_else(|| anyhow::anyhow!("the demo export is empty"))?;
    let neighbour = rows
        .iter()
        .rev()
        .find(|r| {
            r.fields[2] == first_row.fields[2]
                && r.fields[8] != first_row.fields[8]
                && r.fields[19] == "intestatario"
        })
        .map(|r| {
            (
                r.fiscal_code().to_owned(),
                format!("{} {}", r.fields[17], r.fields[16]),
            )
        });
    let bytes = demo_export::write(&rows, &Format::default());
    let options = ImportOptions {
        partial: false,
        dry_run: false,
        source_name: "demo".into(),
        imported_by: "demo".into(),
    };
    let report = import_registry(conn, &bytes, &options, now)?;
    if report.outcome != Outcome::Applied {
        anyhow::bail!(
            "the demo export was not accepted: {:?}",
            report.errors.first()
        );
    }
    // Hash once: every demo account has the same password.
    let hash = password::hash(DEMO_PASSWORD)?;
    let first = demo::generate(Scale::Small)
        .into_iter()
        .next()
        .ok_or_else(|| anyhow::anyhow!("no demo estate"))?;
    write_tx(conn, |conn| -> anyhow::Result<PeopleReport> {
        let estate_id: i64 = estates::table
            .filter(estates::code.eq(&first.estate.code))
            .select(estates::id)
            .first(conn)?;
        let building_id: i64 = buildings::table
            .filter(buildings::estate_id.eq(estate_id))
            .order(buildings::id)
            .select(buildings::id)
            .first(conn)?;
        let applications = seed_applications(conn, now)?;
        let mut accounts_made = 0;
        for a in DEMO_ACCOUNTS {
            let id = accounts::insert_user(
                conn,
                &accounts::NewUser {
                    username: Some(a.username),
                    display_name: a.display_name,
                    password_hash: Some(&hash),
                    fiscal_code: None,
                },
                now,
            )?;
            let scope = match a.scope {
                "estate" => Scope::Estate(EstateId(estate_id)),
                "building" => Scope::Building(BuildingId(building_id)),
                _ => Scope::Global,
            };
            accounts::insert_grant(conn, id, a.role, scope, None, now)?;
            accounts_made += 1;
        }
        let (applicant_code, _) = demo_export::person_code(APPLICANT_BASE);
        for (username, name, code) in [
            ("inquilino", resident_name.as_str(), resident_code.as_str()),
            ("richiedente", "Rosa Richiedente", applicant_code.as_str()),
        ] {
            accounts::insert_user(
                conn,
                &accounts::NewUser {
                    username: Some(username),
                    display_name: name,
                    password_hash: Some(&hash),
                    fiscal_code: Some(code),
                },
                now,
            )?;
            accounts_made += 1;
        }
        if let Some((code, name)) = &neighbour {
            accounts::insert_user(
                conn,
                &accounts::NewUser {
                    username: Some("condomino"),
                    display_name: name,
                    password_hash: Some(&hash),
                    fiscal_code: Some(code),
                },
                now,
            )?;
            accounts_made += 1;
        }
        Ok(PeopleReport {
            persons: report.created,
            applications,
            accounts: accounts_made,
        })
    })
    .map(Some)
}

/// A dozen housing applications at every stage, with their dated histories.
fn seed_applications(conn: &mut DbConn, now: NaiveDateTime) -> anyhow::Result<usize> {
    use cortile_shared::tenancy::ApplicationStatus as S;
    let paths: [&[S]; 6] = [
        &[S::Submitted, S::UnderReview, S::Ranked],
        &[S::Submitted],
        &[S::Submitted, S::UnderReview],
        &[S::Submitted, S::UnderReview, S::Ranked, S::UnitOffered],
        &[S::Submitted, S::UnderReview, S::Rejected],
        &[S::Submitted, S::Withdrawn],
    ];
    let mut n = 0;
    for k in 0..12 {
        let path = paths[k % paths.len()];
        let (code, _) = demo_export::person_code(APPLICANT_BASE + k);
        let start = now - Duration::days(400 - 25 * k as i64);
        let last = path.last().copied().unwrap_or(S::Submitted);
        let ranking = path.contains(&S::Ranked).then_some(40 + 17 * k as i32);
        let id = crate::insert_returning_id!(
            conn,
            applications::table,
            applications::id,
            (
                applications::protocol.eq(format!("ERP-2025-{:05}", 1200 + k)),
                applications::applicant_fiscal_code.eq(&code),
                applications::submitted_on.eq(start.date()),
                applications::status.eq(last.as_str()),
                applications::ranking_position.eq(ranking),
                applications::created_at.eq(start),
                applications::updated_at.eq(now),
            )
        )?;
        for (step, status) in path.iter().enumerate() {
            diesel::insert_into(application_status_history::table)
                .values((
                    application_status_history::application_id.eq(id),
                    application_status_history::status.eq(status.as_str()),
                    application_status_history::ranking_position
                        .eq(ranking.filter(|_| *status == S::Ranked)),
                    application_status_history::changed_at
                        .eq(start + Duration::days(45 * step as i64)),
                ))
                .execute(conn)?;
        }
        n += 1;
    }
    Ok(n)
}
