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
use serde::Serialize;

pub use parse::{Encoding, RowError};

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The changes were written.
    Applied,
    /// Rows were rejected and the import is all-or-nothing: nothing was written.
    Rejected,
    /// A dry run: nothing was written.
    DryRun,
}

/// What an import did (or would do). Counts are of persons (rows), except `ended`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportReport {
    pub outcome: Outcome,
    pub encoding: Encoding,
    pub separator: char,
    pub rows_total: usize,
    /// Persons new to the registry.
    pub created: usize,
    /// Persons already known whose data, household, home or contract changed.
    pub updated: usize,
    /// Persons already known with nothing changed.
    pub unchanged: usize,
    /// Persons no longer in the export whose household membership was ended.
    pub ended: usize,
    /// Rows rejected (see `errors`).
    pub rejected: usize,
    pub errors: Vec<RowError>,
    /// The record in `registry_imports`, when one was written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub import_id: Option<i64>,
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
