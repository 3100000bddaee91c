//! The report of an import of the housing manager's export (`cortile import-registry`, or the
//! staff upload page: `POST /api/v1/registry/imports`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Which text encoding the file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    Utf8,
    Utf8WithBom,
    Windows1252,
}

/// What became of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The changes were written.
    Applied,
    /// Rows were rejected and the import is all-or-nothing: nothing was written.
    Rejected,
    /// A dry run: nothing was written.
    DryRun,
}

/// Why a row (or the file) was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowError {
    /// 1-based line of the file where the row starts (the header is line 1).
    pub line: u64,
    /// The column (export name), when one column is at fault.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<String>,
    /// Stable snake_case code.
    pub code: String,
    /// Explanation in English.
    pub reason: String,
}

impl RowError {
    pub fn new(line: u64, column: Option<&str>, code: &str, reason: impl Into<String>) -> Self {
        RowError {
            line,
            column: column.map(str::to_owned),
            code: code.to_owned(),
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.column {
            Some(c) => write!(f, "line {}, column {c}: {}", self.line, self.reason),
            None => write!(f, "line {}: {}", self.line, self.reason),
        }
    }
}

/// What an import did (or would do). Counts are of persons (rows), except `ended`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import_id: Option<i64>,
}

/// One past import, for the list on the staff page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportSummary {
    pub id: i64,
    pub source_name: String,
    pub outcome: Outcome,
    pub partial: bool,
    pub rows_total: i32,
    pub created: i32,
    pub updated: i32,
    pub unchanged: i32,
    pub ended: i32,
    pub rejected: i32,
    pub imported_by: String,
    pub created_at: DateTime<Utc>,
}
