//! Tenant files and what staff, operators and committees do with the registry: search, open a
//! household's file (always with a purpose, which is audited), housing applications, and
//! corrections proposed by committees and decided by staff.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::{HouseholdRole, UserRef};
use crate::ids::{
    ApplicationId, BuildingId, ChangeRequestId, EstateId, HouseholdId, PersonId, UnitId, UserId,
};

/// Shortest purpose accepted when opening a tenant file.
pub const MIN_PURPOSE_LEN: usize = 5;
/// Longest purpose or reason accepted.
pub const MAX_TEXT_LEN: usize = 500;

/// Where a household lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HomeRef {
    pub estate_id: EstateId,
    pub estate_name: String,
    pub building_id: BuildingId,
    pub building_address: String,
    pub unit_id: UnitId,
    pub unit_code: String,
    pub staircase: String,
    pub floor: i32,
}

/// One result of `GET /api/v1/registry/search?q=`: a person and their current household.
/// Only persons in the searcher's scope are returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonHit {
    pub person_id: PersonId,
    pub surname: String,
    pub given_name: String,
    /// Absent for readers who see names only (committees).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fiscal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub household_id: Option<HouseholdId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub home: Option<HomeRef>,
    /// The account linked to this person, if they have one (for assisted mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
}

/// A person as the tenant file shows them. Committee members see names and roles only; the
/// other fields are absent for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberView {
    pub person_id: PersonId,
    pub surname: String,
    pub given_name: String,
    pub role: HouseholdRole,
    pub since: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fiscal_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// `GET /api/v1/registry/households/{id}?purpose=…`: a tenant file. Each opening is recorded
/// in the audit log with its purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TenantFile {
    pub household_id: HouseholdId,
    pub contract_code: String,
    pub contract_start: NaiveDate,
    /// `active` or `ended`.
    pub contract_status: String,
    pub home: HomeRef,
    /// Current members first (holder first), then former members.
    pub members: Vec<MemberView>,
    pub applications: Vec<Application>,
    pub change_requests: Vec<ChangeRequest>,
    /// Whether this reader sees personal details (fiscal codes, birth dates, contacts).
    pub full_details: bool,
    /// The audit record of this opening.
    pub audit_id: i64,
}

/// Where a housing application stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ApplicationStatus {
    Submitted,
    UnderReview,
    /// Admitted to the ranking, with a position.
    Ranked,
    UnitOffered,
    Assigned,
    Rejected,
    Withdrawn,
}

impl ApplicationStatus {
    pub const ALL: [ApplicationStatus; 7] = [
        ApplicationStatus::Submitted,
        ApplicationStatus::UnderReview,
        ApplicationStatus::Ranked,
        ApplicationStatus::UnitOffered,
        ApplicationStatus::Assigned,
        ApplicationStatus::Rejected,
        ApplicationStatus::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationStatus::Submitted => "submitted",
            ApplicationStatus::UnderReview => "under_review",
            ApplicationStatus::Ranked => "ranked",
            ApplicationStatus::UnitOffered => "unit_offered",
            ApplicationStatus::Assigned => "assigned",
            ApplicationStatus::Rejected => "rejected",
            ApplicationStatus::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(raw: &str) -> Option<ApplicationStatus> {
        ApplicationStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// One dated step of an application's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationEvent {
    pub status: ApplicationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranking_position: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

/// A housing application with its history (oldest first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Application {
    pub id: ApplicationId,
    pub protocol: String,
    pub submitted_on: NaiveDate,
    pub status: ApplicationStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranking_position: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offered_unit: Option<HomeRef>,
    pub history: Vec<ApplicationEvent>,
}

/// What a committee proposes to correct.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A member no longer lives in the household.
    MemberLeft,
    /// A member's phone or email changed.
    ContactChanged,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::MemberLeft => "member_left",
            ChangeKind::ContactChanged => "contact_changed",
        }
    }

    pub fn parse(raw: &str) -> Option<ChangeKind> {
        match raw {
            "member_left" => Some(ChangeKind::MemberLeft),
            "contact_changed" => Some(ChangeKind::ContactChanged),
            _ => None,
        }
    }
}

/// The state of a change request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ChangeStatus {
    Pending,
    Approved,
    Rejected,
}

impl ChangeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeStatus::Pending => "pending",
            ChangeStatus::Approved => "approved",
            ChangeStatus::Rejected => "rejected",
        }
    }

    pub fn parse(raw: &str) -> Option<ChangeStatus> {
        match raw {
            "pending" => Some(ChangeStatus::Pending),
            "approved" => Some(ChangeStatus::Approved),
            "rejected" => Some(ChangeStatus::Rejected),
            _ => None,
        }
    }
}

/// `POST /api/v1/registry/change-requests`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewChangeRequest {
    pub household_id: HouseholdId,
    pub person_id: PersonId,
    pub kind: ChangeKind,
    pub reason: String,
    /// For `contact_changed`: the new phone (empty to remove it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// For `contact_changed`: the new email (empty to remove it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// `POST /api/v1/registry/change-requests/{id}/decision`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeDecision {
    pub approve: bool,
    #[serde(default)]
    pub note: String,
}

/// A proposed correction of the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChangeRequest {
    pub id: ChangeRequestId,
    pub household_id: HouseholdId,
    pub home: HomeRef,
    pub person_id: PersonId,
    pub person_name: String,
    pub kind: ChangeKind,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub status: ChangeStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposed_by: Option<UserRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<UserRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision_note: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Whether the reader may approve or reject it (staff, and never the proposer).
    pub can_decide: bool,
}

/// One entry of the audit log (`GET /api/v1/audit`, admins only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// Who was at the keyboard.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<UserRef>,
    /// Whom an operator acted for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<UserRef>,
    pub action: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_id: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
    pub detail: serde_json::Value,
}
