//! Import of the housing manager's export into the registry (`cortile import-registry`, and the
//! staff upload page to come).
//!
//! Rules:
//! - One row per person. Estates must already be in the registry (they come with their boundary);
//!   buildings, units, households (contracts) and persons are created or updated from the rows.
//! - All-or-nothing by default: any rejected row and nothing is written. `partial` writes the
//!   good rows. `dry_run` computes the same report and writes nothing.
//! - Re-importing the same file changes nothing. A person who was housed and is absent from a
//!   later export has their household membership ended (losing the access it gave them; their
//!   account and content stay); a household left with nobody has its contract ended. A partial
//!   import never ends a person named by one of its rejected rows.
//! - Every import is recorded in `registry_imports` with its counts and rejected rows.

mod apply;
pub mod parse;

use chrono::NaiveDateTime;

pub use cortile_shared::import::{Encoding, ImportReport, Outcome, RowError};

use crate::db::DbConn;

#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Import the good rows even when some are rejected.
    pub partial: bool,
    /// Compute the report, write nothing.
    pub dry_run: bool,
    /// File name or description, for the record.
    pub source_name: String,
    /// Who imported (a username, or `cli`).
    pub imported_by: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be read at all.
    #[error(transparent)]
    File(#[from] parse::FileError),
    #[error("database error: {0}")]
    Db(#[from] diesel::result::Error),
}

/// Imports an export. `now` is the time recorded for changes (UTC).
pub fn import_registry(
    conn: &mut DbConn,
    bytes: &[u8],
    options: &ImportOptions,
    now: NaiveDateTime,
) -> Result<ImportReport, ImportError> {
    let mut parsed = parse::parse(bytes, now.date())?;
    let mut errors = std::mem::take(&mut parsed.errors);
    let mut rejected_codes = std::mem::take(&mut parsed.rejected_fiscal_codes);
    let rows = parse::cross_check(
        std::mem::take(&mut parsed.rows),
        &mut errors,
        &mut rejected_codes,
    );
    apply::apply(conn, &parsed, rows, errors, rejected_codes, options, now)
}

/// An import uploaded by staff through the API: checks permission, imports, and records the act
/// in the audit log.
pub fn upload(
    conn: &mut DbConn,
    actor: &crate::auth::Actor,
    bytes: &[u8],
    partial: bool,
    dry_run: bool,
    name: Option<&str>,
    now: NaiveDateTime,
) -> crate::error::AppResult<ImportReport> {
    use crate::auth::policy::{authorize, Action};
    use crate::error::AppError;

    authorize(actor, &Action::ImportRegistry)?;
    if bytes.is_empty() {
        return Err(AppError::invalid("file", "required", "the file is empty"));
    }
    let who = actor
        .keyboard_user()
        .map(|u| u.username.clone().unwrap_or_else(|| u.display_name.clone()))
        .unwrap_or_default();
    let options = ImportOptions {
        partial,
        dry_run,
        source_name: name
            .map(|n| n.chars().take(200).collect())
            .unwrap_or_else(|| "upload".into()),
        imported_by: who,
    };
    let report = import_registry(conn, bytes, &options, now).map_err(|e| match e {
        ImportError::File(f) => AppError::invalid("file", "unreadable", f.to_string()),
        ImportError::Db(d) => AppError::from(d),
    })?;
    crate::audit::record(
        conn,
        actor,
        "registry.import",
        report.import_id.map(|id| crate::audit::Object {
            kind: "registry_import",
            id,
        }),
        None,
        serde_json::json!({
            "outcome": report.outcome, "rows": report.rows_total, "created": report.created,
            "updated": report.updated, "ended": report.ended, "rejected": report.rejected,
        }),
        now,
    )?;
    Ok(report)
}

/// The most recent imports, newest first.
pub fn recent(
    conn: &mut DbConn,
    actor: &crate::auth::Actor,
    limit: i64,
) -> crate::error::AppResult<Vec<cortile_shared::import::ImportSummary>> {
    use crate::db::schema::registry_imports as ri;
    use diesel::prelude::*;

    crate::auth::policy::authorize(actor, &crate::auth::policy::Action::ImportRegistry)?;
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        i64,
        String,
        String,
        String,
        i32,
        i32,
        i32,
        i32,
        i32,
        i32,
        String,
        NaiveDateTime,
    )> = ri::table
        .order(ri::id.desc())
        .limit(limit)
        .select((
            ri::id,
            ri::source_name,
            ri::mode,
            ri::outcome,
            ri::rows_total,
            ri::created_count,
            ri::updated_count,
            ri::unchanged_count,
            ri::ended_count,
            ri::rejected_count,
            ri::imported_by,
            ri::created_at,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|r| cortile_shared::import::ImportSummary {
            id: r.0,
            source_name: r.1,
            partial: r.2 == "partial",
            outcome: match r.3.as_str() {
                "applied" => Outcome::Applied,
                "dry_run" => Outcome::DryRun,
                _ => Outcome::Rejected,
            },
            rows_total: r.4,
            created: r.5,
            updated: r.6,
            unchanged: r.7,
            ended: r.8,
            rejected: r.9,
            imported_by: r.10,
            created_at: crate::auth::account::utc(r.11),
        })
        .collect())
}
