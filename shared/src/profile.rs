//! What a person tells Cortile about themselves so that it can reach them well: interests,
//! spoken languages, accessibility needs. Targeting reads it; authors never see it.

use serde::{Deserialize, Serialize};

use crate::auth::Role;
use crate::ids::BuildingId;

/// Interests one can choose (codes; the web app names them).
pub const INTERESTS: [&str; 10] = [
    "gardening",
    "parents",
    "elderly_company",
    "sport",
    "languages",
    "cooking",
    "crafts",
    "digital_help",
    "culture",
    "volunteering",
];

/// Languages one can say one speaks (ISO 639-1).
pub const LANGUAGES: [&str; 12] = [
    "it", "en", "ar", "es", "fr", "ro", "zh", "uk", "sq", "bn", "tl", "ru",
];

/// Accessibility needs one can state.
pub const ACCESSIBILITY: [&str; 5] = [
    "large_text",
    "screen_reader",
    "easy_language",
    "hearing",
    "mobility",
];

/// `GET/PUT /api/v1/me/profile`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Profile {
    #[serde(default)]
    pub interests: Vec<String>,
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub accessibility: Vec<String>,
}

/// Who a post is addressed to, within its community. Every rule given must hold; an empty
/// audience is the whole community.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Audience {
    /// Only these buildings (of the community's estate).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buildings: Vec<BuildingId>,
    /// Only this staircase (scala).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub staircase: Option<String>,
    /// Age band, in years.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_min: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub age_max: Option<i32>,
    /// Households with a child under 14.
    #[serde(default)]
    pub with_children: bool,
    /// Households with someone aged 75 or more.
    #[serde(default)]
    pub with_elderly: bool,
    /// Speaks one of these languages.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<String>,
    /// Has one of these interests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interests: Vec<String>,
    /// Holds one of these roles (e.g. committee member); residents are everyone here.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Role>,
}

impl Audience {
    pub fn is_everyone(&self) -> bool {
        *self == Audience::default()
    }
}

/// `POST /api/v1/communities/{id}/reach`: how many people an audience reaches (no names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reach {
    pub people: i64,
}
