//! Maintenance reports: a problem with a place, a status the tenant can trust, a thread, "me too"
//! supporters, and the extraordinary works staff announce. The request and response bodies of
//! `/api/v1/maintenance/…`; the rules live in the server's `maintenance` domain.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::UserRef;
use crate::geo::LatLon;
use crate::upload::{ImageRef, PostImage};
use crate::{BuildingId, EstateId, PostId, UnitId, UserId};

/// Longest description of a report (characters of markdown).
pub const MAX_DESCRIPTION_LEN: usize = 5_000;
/// Longest reason, note or comment.
pub const MAX_NOTE_LEN: usize = 2_000;
/// Most photos on a report (and on a reopening).
pub const MAX_REPORT_IMAGES: usize = 6;
/// Days after "resolved" without an answer from the reporter before a report closes itself.
pub const AUTO_CLOSE_DAYS: i64 = 14;

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The snake_case name used on the wire and in the database.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }

            pub fn parse(raw: &str) -> Option<$name> {
                match raw {
                    $($wire => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// What kind of problem (the Open311 `service_code`).
    Category {
        Lift => "lift",
        Heating => "heating",
        /// Water and leaks.
        Water => "water",
        Electrical => "electrical",
        /// Doors and intercom.
        DoorsIntercom => "doors_intercom",
        /// Common areas and cleaning.
        CommonAreas => "common_areas",
        GreenAreas => "green_areas",
        Pests => "pests",
        /// Damp and mould.
        DampMould => "damp_mould",
        Safety => "safety",
        Other => "other",
    }
);

impl Category {
    /// The Italian name (Open311 `service_name`; the web app words it from its own files).
    pub fn name_it(self) -> &'static str {
        match self {
            Category::Lift => "Ascensore",
            Category::Heating => "Riscaldamento",
            Category::Water => "Acqua e perdite",
            Category::Electrical => "Impianto elettrico",
            Category::DoorsIntercom => "Portoni e citofoni",
            Category::CommonAreas => "Parti comuni e pulizie",
            Category::GreenAreas => "Aree verdi",
            Category::Pests => "Infestanti",
            Category::DampMould => "Umidità e muffa",
            Category::Safety => "Sicurezza",
            Category::Other => "Altro",
        }
    }

    /// The English name.
    pub fn name_en(self) -> &'static str {
        match self {
            Category::Lift => "Lift",
            Category::Heating => "Heating",
            Category::Water => "Water and leaks",
            Category::Electrical => "Electrical",
            Category::DoorsIntercom => "Doors and intercom",
            Category::CommonAreas => "Common areas and cleaning",
            Category::GreenAreas => "Green areas",
            Category::Pests => "Pests",
            Category::DampMould => "Damp and mould",
            Category::Safety => "Safety",
            Category::Other => "Other",
        }
    }
}

wire_enum!(
    /// Where the problem is.
    PlaceKind {
        /// The reporter's home (only residents; its unit is never shown to others).
        Home => "home",
        /// A staircase of a building.
        Staircase => "staircase",
        /// A building as a whole (roof, facade, lift, heating plant…).
        Building => "building",
        /// A common area of a building (courtyard, cellar, laundry…).
        CommonArea => "common_area",
        /// A point on the map; the estate is found from it.
        Point => "point",
    }
);

wire_enum!(
    /// Where a report is in its life.
    ReportStatus {
        New => "new",
        Acknowledged => "acknowledged",
        /// A date is set (`scheduled_for`).
        Scheduled => "scheduled",
        InProgress => "in_progress",
        /// Staff say it is fixed; the reporter confirms or reopens it (or it closes itself).
        Resolved => "resolved",
        /// The reporter confirmed the repair.
        Confirmed => "confirmed",
        /// The reporter says it is still broken.
        Reopened => "reopened",
        Rejected => "rejected",
        /// Someone else must fix it (`responsible` says who).
        NotOurResponsibility => "not_our_responsibility",
        /// Closed by itself, [`AUTO_CLOSE_DAYS`] after "resolved" without an answer.
        Closed => "closed",
        /// A duplicate, merged into another report (`merged_into`).
        Merged => "merged",
    }
);

impl ReportStatus {
    /// Someone still has to act on it (the queue, the board's "open", the building's list).
    pub fn is_open(self) -> bool {
        matches!(
            self,
            ReportStatus::New
                | ReportStatus::Acknowledged
                | ReportStatus::Scheduled
                | ReportStatus::InProgress
                | ReportStatus::Reopened
        )
    }

    /// Nothing more happens to it.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ReportStatus::Confirmed
                | ReportStatus::Closed
                | ReportStatus::Rejected
                | ReportStatus::NotOurResponsibility
                | ReportStatus::Merged
        )
    }

    /// The statuses a report may move to from this one (by hand; `closed` and `merged` are
    /// reached only by auto-close and by merging).
    pub fn next(self) -> &'static [ReportStatus] {
        use ReportStatus::*;
        match self {
            New => &[Acknowledged, Rejected, NotOurResponsibility],
            Acknowledged => &[
                Scheduled,
                InProgress,
                Resolved,
                Rejected,
                NotOurResponsibility,
            ],
            Scheduled => &[
                Scheduled,
                InProgress,
                Resolved,
                Rejected,
                NotOurResponsibility,
            ],
            InProgress => &[Scheduled, Resolved],
            Resolved => &[Confirmed, Reopened],
            Reopened => &[
                Acknowledged,
                Scheduled,
                InProgress,
                Resolved,
                Rejected,
                NotOurResponsibility,
            ],
            Confirmed | Closed | Rejected | NotOurResponsibility | Merged => &[],
        }
    }

    /// Open311's two statuses.
    pub fn open311(self) -> &'static str {
        if self.is_open() {
            "open"
        } else {
            "closed"
        }
    }
}

wire_enum!(
    /// How soon: from the category, whether it blocks access and whether it is a danger.
    Priority {
        Urgent => "urgent",
        High => "high",
        Normal => "normal",
        Low => "low",
    }
);

wire_enum!(
    /// Who is working on it, as in a contact-centre case.
    Escalation {
        FirstLine => "first_line",
        TechnicalOffice => "technical_office",
        Contractor => "contractor",
    }
);

wire_enum!(
    /// Who reads a comment.
    Visibility {
        /// Everyone who reads the report.
        Public => "public",
        /// Staff only (never residents, never Open311).
        Internal => "internal",
    }
);

/// `POST /api/v1/maintenance/reports`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewReport {
    pub category: Category,
    pub place: PlaceKind,
    /// For `staircase`, `building`, `common_area`: the building (default: the reporter's own).
    /// For `point`: optional, a building of the estate the point is in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub building_id: Option<BuildingId>,
    /// For `staircase`: which one (default: the reporter's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staircase: Option<String>,
    /// For `point`: where (the estate is found by point-in-polygon).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub point: Option<LatLon>,
    /// Markdown, 10 to [`MAX_DESCRIPTION_LEN`] characters; rendered and sanitised by the server.
    pub description: String,
    #[serde(default)]
    pub blocks_access: bool,
    #[serde(default)]
    pub danger: bool,
    /// Up to [`MAX_REPORT_IMAGES`] uploads of mine, each with its description.
    #[serde(default)]
    pub images: Vec<ImageRef>,
}

/// Where a report is, as its readers see it: never the unit to anyone but the reporter and
/// staff; a home's point is rounded for everyone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportPlace {
    pub kind: PlaceKind,
    pub estate_id: EstateId,
    pub estate_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub building_id: Option<BuildingId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub building_address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staircase: Option<String>,
    /// Only for the reporter and staff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_id: Option<UnitId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_code: Option<String>,
    pub point: LatLon,
}

/// Who is on it: a staff member or a contractor (by name).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assignee {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<UserRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contractor: Option<String>,
}

/// What the reader may do with a report (the web app shows only these buttons).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportAbilities {
    /// The statuses the reader may move it to now.
    pub transitions: Vec<ReportStatus>,
    pub comment: bool,
    /// Read and write internal notes.
    pub internal_notes: bool,
    /// "Me too" (or take it back, when `supporting`).
    pub support: bool,
    /// Assign, escalate.
    pub manage: bool,
    /// Merge into another report.
    pub merge: bool,
    /// Rate the repair (the reporter, once confirmed).
    pub rate: bool,
}

/// A report in lists (the queue, my reports, a building's reports).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportSummary {
    pub id: i64,
    pub category: Category,
    pub status: ReportStatus,
    pub priority: Priority,
    pub place: ReportPlace,
    /// The first line of the description, plain text, at most 140 characters.
    pub summary: String,
    pub blocks_access: bool,
    pub danger: bool,
    pub supporters: i64,
    /// Open and past its SLA due time.
    pub overdue: bool,
    pub sla_due_at: DateTime<Utc>,
    pub escalation: Escalation,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<Assignee>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_for: Option<NaiveDate>,
    /// How many times the reporter said "still broken".
    pub reopened: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Whether the reader reported it, or said "me too".
    pub mine: bool,
    pub supporting: bool,
}

/// One step of a report's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusChange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<ReportStatus>,
    pub to: ReportStatus,
    /// Who: absent when the system did it (auto-close) or, for residents, when staff did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<UserRef>,
    /// Whether the person acting is staff (shown as "the manager" to residents).
    pub by_staff: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_for: Option<NaiveDate>,
    /// Photos of a reopening ("still broken").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<PostImage>,
    pub at: DateTime<Utc>,
}

/// A comment on a report: public, or an internal note (staff only).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportComment {
    pub id: i64,
    pub author: UserRef,
    pub visibility: Visibility,
    pub body_html: String,
    pub created_at: DateTime<Utc>,
}

/// `GET /api/v1/maintenance/reports/{id}`: the report with its history and thread.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Report {
    #[serde(flatten)]
    pub summary: ReportSummary,
    pub description_html: String,
    /// The reporter (to the reporter and staff only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter: Option<UserRef>,
    /// The operator who wrote it on the reporter's behalf (staff only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_by: Option<UserRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<i64>,
    /// Reports merged into this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<i64>,
    /// Why rejected, or who is responsible instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_note: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<Rating>,
    pub images: Vec<PostImage>,
    pub history: Vec<StatusChange>,
    /// Public comments, and internal notes for staff.
    pub comments: Vec<ReportComment>,
    pub abilities: ReportAbilities,
}

/// The estate whose boundary holds a point
/// (`GET /api/v1/maintenance/estate-at?lat=…&lon=…`): where a report on that point is filed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PointEstate {
    pub estate_id: EstateId,
    pub estate_name: String,
    /// The point, as received.
    pub point: LatLon,
}

/// Someone with open reports assigned, and how many, in the reader's reach
/// (`GET /api/v1/maintenance/assignees`, the queue's filter by assignee).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssigneeCount {
    pub user: UserRef,
    pub open: i64,
}

/// The reporter's satisfaction with the repair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rating {
    /// 1 (bad) to 5 (very good).
    pub rating: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// `POST /api/v1/maintenance/reports/{id}/status` (and each row of a bulk change).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusUpdate {
    pub to: ReportStatus,
    /// Required for `rejected` and `reopened`; optional otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Required for `scheduled`: today or later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduled_for: Option<NaiveDate>,
    /// Required for `not_our_responsibility`: who is responsible (a utility, the city…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub responsible: Option<String>,
    /// Photos for `reopened` (up to [`MAX_REPORT_IMAGES`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<ImageRef>,
}

/// `POST /api/v1/maintenance/reports/{id}/comments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewReportComment {
    /// Markdown, 1 to [`MAX_NOTE_LEN`] characters.
    pub body: String,
    /// `internal` for a staff note (default `public`).
    #[serde(default = "public")]
    pub visibility: Visibility,
}

fn public() -> Visibility {
    Visibility::Public
}

/// `POST /api/v1/maintenance/reports/{id}/assign`: a staff member, a contractor, or nobody.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assign {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contractor: Option<String>,
}

/// `POST /api/v1/maintenance/reports/{id}/escalate`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Escalate {
    pub level: Escalation,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `POST /api/v1/maintenance/reports/{id}/merge`: this report is a duplicate of `into`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Merge {
    pub into: i64,
}

/// `POST /api/v1/maintenance/queue/status`: one status change for many reports. Each row is
/// checked and applied on its own (per-row results, not all-or-nothing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkStatus {
    /// 1 to 200 report ids.
    pub ids: Vec<i64>,
    #[serde(flatten)]
    pub update: StatusUpdate,
}

/// What happened to one row of a bulk change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkRow {
    pub id: i64,
    pub ok: bool,
    /// The report's status after the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ReportStatus>,
    /// Why this row was refused (its problem: code, detail, fields).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<crate::Problem>,
}

/// The answer to a bulk change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulkResult {
    pub applied: usize,
    pub refused: usize,
    pub rows: Vec<BulkRow>,
}

/// Age buckets of the committee board (days since the report was made).
pub const AGE_BUCKETS: [(&str, i64); 4] = [
    ("0_7", 7),
    ("8_30", 30),
    ("31_90", 90),
    ("over_90", i64::MAX),
];

/// One line of the committee board: open reports of a category by age.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardLine {
    pub category: Category,
    pub open: i64,
    /// Counts per age bucket, in the order of [`AGE_BUCKETS`]: 0–7, 8–30, 31–90, over 90 days.
    pub by_age: Vec<i64>,
    pub overdue: i64,
    /// Open reports the reporter had to reopen at least once.
    pub reopened: i64,
}

/// `GET /api/v1/maintenance/estates/{id}/board`: the committee's view of an estate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Board {
    pub estate_id: EstateId,
    pub estate_name: String,
    pub generated_at: DateTime<Utc>,
    /// One line per category (all of them, zeros included), in [`Category::ALL`] order.
    pub lines: Vec<BoardLine>,
    pub open: i64,
    pub overdue: i64,
    pub reopened: i64,
    /// Mean days from report to "resolved", over reports resolved in the last 365 days.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_days_to_resolve: Option<f64>,
    pub resolved_last_365_days: i64,
}

/// `POST /api/v1/maintenance/works`: staff announce extraordinary works.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewWorks {
    /// 3 to 200 characters.
    pub title: String,
    /// Markdown: what will be done.
    pub description: String,
    /// The buildings affected (1 to 200); each building's community gets a pinned post.
    pub building_ids: Vec<BuildingId>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// What residents will live with: "no water 8–12", "lift out of service"… (up to 10).
    #[serde(default)]
    pub disruptions: Vec<String>,
}

/// Planned extraordinary works.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Works {
    pub id: i64,
    pub title: String,
    pub description_html: String,
    pub buildings: Vec<WorksBuilding>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub disruptions: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// Residents' ratings of the outcome, once the works are over.
    pub ratings: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average_rating: Option<f64>,
    /// The reader's own rating.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub my_rating: Option<Rating>,
    /// Whether the reader may rate it now (a resident of an affected building, works over).
    pub can_rate: bool,
}

/// A building affected by works, and the announcement in its community (comment there).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorksBuilding {
    pub building_id: BuildingId,
    pub address: String,
    pub post_id: PostId,
}
