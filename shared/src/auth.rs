//! Accounts, roles and sessions: who is signed in and what they may do.
//!
//! Roles are granted with a [`Scope`]. Residents and applicants are not granted by hand: their
//! access follows from the tenant registry (a verified fiscal code in a current household, or an
//! application), and is shown with [`GrantSource::Registry`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{BuildingId, EstateId, HouseholdId, PersonId, SessionId, UserId};
use crate::tenancy::HomeRef;

/// What a person is in Cortile. A user may hold several roles, each with its own scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Resident,
    Applicant,
    CommitteeMember,
    Custodian,
    BuildingAdmin,
    SocialWorker,
    Operator,
    Staff,
    Moderator,
    Admin,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::Resident,
        Role::Applicant,
        Role::CommitteeMember,
        Role::Custodian,
        Role::BuildingAdmin,
        Role::SocialWorker,
        Role::Operator,
        Role::Staff,
        Role::Moderator,
        Role::Admin,
    ];

    /// The snake_case name used on the wire, in the database and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Resident => "resident",
            Role::Applicant => "applicant",
            Role::CommitteeMember => "committee_member",
            Role::Custodian => "custodian",
            Role::BuildingAdmin => "building_admin",
            Role::SocialWorker => "social_worker",
            Role::Operator => "operator",
            Role::Staff => "staff",
            Role::Moderator => "moderator",
            Role::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == raw.trim().to_ascii_lowercase().replace('-', "_"))
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a role applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Scope {
    Global,
    Estate(EstateId),
    Building(BuildingId),
    Community(i64),
}

impl Scope {
    /// `global`, `estate`, `building` or `community`.
    pub fn kind(&self) -> &'static str {
        match self {
            Scope::Global => "global",
            Scope::Estate(_) => "estate",
            Scope::Building(_) => "building",
            Scope::Community(_) => "community",
        }
    }

    /// The estate, building or community id; `None` for global.
    pub fn id(&self) -> Option<i64> {
        match self {
            Scope::Global => None,
            Scope::Estate(id) => Some(id.0),
            Scope::Building(id) => Some(id.0),
            Scope::Community(id) => Some(*id),
        }
    }

    /// Rebuilds a scope from its stored kind and id.
    pub fn from_parts(kind: &str, id: Option<i64>) -> Option<Scope> {
        match (kind, id) {
            ("global", None) => Some(Scope::Global),
            ("estate", Some(id)) => Some(Scope::Estate(EstateId(id))),
            ("building", Some(id)) => Some(Scope::Building(BuildingId(id))),
            ("community", Some(id)) => Some(Scope::Community(id)),
            _ => None,
        }
    }
}

/// Why a user holds a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum GrantSource {
    /// Granted by an administrator (or the command line).
    Granted,
    /// Follows from the tenant registry; it ends when the registry says so.
    Registry,
}

/// One role in one scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Grant {
    pub role: Role,
    pub scope: Scope,
    pub source: GrantSource,
    /// A readable name of the scope ("San Siro", "Via Abbiati 4"), when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_name: Option<String>,
}

/// `POST /api/v1/auth/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// A user as others may see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserRef {
    pub id: UserId,
    pub display_name: String,
}

/// Whether a household member is the contract holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum HouseholdRole {
    /// Intestatario: holds the rental contract.
    Holder,
    /// Componente: lives in the household.
    Member,
}

impl HouseholdRole {
    pub fn as_str(self) -> &'static str {
        match self {
            HouseholdRole::Holder => "holder",
            HouseholdRole::Member => "member",
        }
    }

    pub fn parse(raw: &str) -> Option<HouseholdRole> {
        match raw {
            "holder" => Some(HouseholdRole::Holder),
            "member" => Some(HouseholdRole::Member),
            _ => None,
        }
    }
}

/// Where a resident lives, according to the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Residence {
    pub person_id: PersonId,
    pub household_id: HouseholdId,
    pub role: HouseholdRole,
    #[serde(flatten)]
    pub home: HomeRef,
}

/// The operator's side of assisted mode: whom they are acting for and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assisting {
    /// The operator at the keyboard.
    pub operator: UserRef,
    /// The resident the operator acts for.
    pub resident: UserRef,
    pub purpose: String,
}

/// `GET /api/v1/me`: the signed-in user (in assisted mode: the resident being assisted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Me {
    pub id: UserId,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The verified fiscal code linking the account to the registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fiscal_code: Option<String>,
    pub grants: Vec<Grant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residence: Option<Residence>,
    /// Present while an operator acts on this resident's behalf.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assisting: Option<Assisting>,
    /// Send this in the `X-CSRF-Token` header of every POST, PUT, PATCH and DELETE.
    pub csrf_token: String,
    pub session: SessionId,
    /// When the session ends if nothing happens (idle expiry), and at the latest.
    pub idle_expires_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Me {
    /// Whether the user holds `role` in any scope.
    pub fn has_role(&self, role: Role) -> bool {
        self.grants.iter().any(|g| g.role == role)
    }
}

/// How a session was opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LoginMethod {
    /// Username and password.
    Local,
    /// OpenID Connect (SPID, CIE).
    Oidc,
}

/// One of my sessions (`GET /api/v1/me/sessions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    pub id: SessionId,
    pub method: LoginMethod,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The session this request came with.
    pub current: bool,
}

/// `DELETE /api/v1/me`: erasing one's account needs the word the page asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EraseRequest {
    /// Must be `CANCELLA` (Italian for "delete"), as the page explains.
    pub confirm: String,
}

/// The word that confirms an erasure.
pub const ERASE_CONFIRMATION: &str = "CANCELLA";

/// `POST /api/v1/assist`: an operator starts acting for a resident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssistRequest {
    pub user_id: UserId,
    /// Why (a phone call, a visit at the desk…); recorded in the audit log.
    pub purpose: String,
}

/// Whether the server offers OpenID Connect login (for the login page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginOptions {
    pub local: bool,
    pub oidc: bool,
    /// The name shown on the OpenID Connect button (e.g. "SPID / CIE").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oidc_label: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            let json = serde_json::to_string(&role).expect("ser");
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        assert_eq!(Role::parse("Committee-Member"), Some(Role::CommitteeMember));
        assert_eq!(Role::parse("king"), None);
    }

    #[test]
    fn scopes_serialize_with_kind_and_id() {
        let v = serde_json::to_value(Scope::Estate(EstateId(4))).expect("ser");
        assert_eq!(v, serde_json::json!({"kind": "estate", "id": 4}));
        let g = serde_json::to_value(Scope::Global).expect("ser");
        assert_eq!(g, serde_json::json!({"kind": "global"}));
        for scope in [
            Scope::Global,
            Scope::Estate(EstateId(1)),
            Scope::Building(BuildingId(2)),
            Scope::Community(3),
        ] {
            assert_eq!(Scope::from_parts(scope.kind(), scope.id()), Some(scope));
        }
        assert_eq!(Scope::from_parts("estate", None), None);
    }
}
