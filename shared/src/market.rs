//! The marketplace on the wire: listings (offers and requests), exchanges and their states,
//! messages, reviews, organisations and the monthly report per estate.
//!
//! A listing is priced in hours (the time bank: confirming an exchange moves the agreed minutes
//! from the receiver to the provider through the ledger), in euro (Cortile connects people, it
//! takes no payment) or free.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::UserRef;
use crate::ids::{EstateId, ExchangeId, ListingId, OrganisationId, TransferId, UserId};

/// The longest listing title, in characters.
pub const MAX_TITLE_LEN: usize = 120;
/// The longest listing description (markdown), in characters.
pub const MAX_DESCRIPTION_LEN: usize = 5_000;
/// The longest availability text, in characters.
pub const MAX_AVAILABILITY_LEN: usize = 300;
/// The longest exchange message or review text, in characters.
pub const MAX_MESSAGE_LEN: usize = 2_000;
/// The longest reason of a cancellation, a dispute or a resolution, in characters.
pub const MAX_REASON_LEN: usize = 500;
/// The most minutes an exchange may agree (like one leg of a transfer: 100 hours).
pub const MAX_EXCHANGE_MINUTES: i64 = 6_000;
/// The highest euro price, in cents (10,000 €).
pub const MAX_EURO_CENTS: i64 = 1_000_000;
/// The longest organisation name.
pub const MAX_ORGANISATION_NAME_LEN: usize = 120;
/// The farthest distance filter, in metres (50 km).
pub const MAX_DISTANCE_M: i64 = 50_000;
/// The most photos a listing may have (the same as a post).
pub const MAX_LISTING_IMAGES: usize = crate::upload::MAX_POST_IMAGES;

/// A closed set of snake_case words, with `as_str`, `parse` and `ALL`.
macro_rules! words {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(s: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }
    };
}

words!(
    /// An offer of help ("I can…") or a request for it ("I need…").
    ListingKind {
        Offer => "offer",
        Request => "request",
    }
);

words!(
    /// What a listing is about.
    Category {
        Companionship => "companionship",
        Errands => "errands",
        SmallRepairs => "small_repairs",
        Tutoring => "tutoring",
        DigitalHelp => "digital_help",
        Translation => "translation",
        Childcare => "childcare",
        Gardening => "gardening",
        Cooking => "cooking",
        Other => "other",
    }
);

words!(
    /// How a listing is paid.
    PriceType {
        /// In the time bank's minutes, moved at confirmation.
        Hours => "hours",
        /// In euro, between the people (Cortile takes no payment).
        Euro => "euro",
        Free => "free",
    }
);

words!(
    /// Who sees a listing.
    ListingReach {
        /// The author's building.
        Building => "building",
        /// The listing's estate.
        Estate => "estate",
        /// Every member in the city.
        City => "city",
    }
);

words!(
    ListingStatus {
        Open => "open",
        Closed => "closed",
    }
);

words!(
    /// Where an exchange stands: proposed → accepted → completed (by the provider) →
    /// confirmed (by the receiver); or cancelled; or disputed, until staff resolve it.
    ExchangeState {
        Proposed => "proposed",
        Accepted => "accepted",
        Completed => "completed",
        Confirmed => "confirmed",
        Cancelled => "cancelled",
        Disputed => "disputed",
    }
);

words!(
    /// What an organisation is.
    OrganisationKind {
        SocialEnterprise => "social_enterprise",
        Shop => "shop",
    }
);

/// Where a listing takes place: an estate (shown at its centre) or a point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ListingPlace {
    Estate { estate_id: EstateId },
    Point { lat: f64, lon: f64 },
}

/// `POST /api/v1/market/listings` and `PUT /api/v1/market/listings/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListingInput {
    pub kind: ListingKind,
    pub category: Category,
    pub title: String,
    /// Markdown; rendered and sanitised by the server.
    #[serde(default)]
    pub description: String,
    pub price_type: PriceType,
    /// Minutes when `price_type` is `hours`, euro cents when `euro`, absent when `free`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_amount: Option<i64>,
    /// How long it takes, about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_minutes: Option<i64>,
    /// When (e.g. "weekday mornings").
    #[serde(default)]
    pub availability: String,
    /// Absent: the author's estate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub place: Option<ListingPlace>,
    pub reach: ListingReach,
    /// Publish for this organisation (verified, and the author one of its members).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation_id: Option<OrganisationId>,
    /// Only when editing: close or reopen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ListingStatus>,
    /// Its photos, in order, each an upload of the writer with its alt text (at most
    /// [`MAX_LISTING_IMAGES`]). Absent when creating: none; absent when editing: unchanged. At
    /// an edit, the list is what the listing has afterwards (its own images, kept or
    /// reordered, and new uploads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub images: Option<Vec<crate::upload::ImageRef>>,
}

/// An estate, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EstateName {
    pub id: EstateId,
    pub name: String,
}

/// An organisation, by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganisationRef {
    pub id: OrganisationId,
    pub name: String,
    pub kind: OrganisationKind,
}

/// A listing as a reader sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Listing {
    pub id: ListingId,
    pub kind: ListingKind,
    pub category: Category,
    pub title: String,
    /// Sanitised HTML.
    pub description_html: String,
    /// The markdown as written: for those who may edit it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub price_type: PriceType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated_minutes: Option<i64>,
    pub availability: String,
    pub place: ListingPlace,
    /// The estate of the place, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estate: Option<EstateName>,
    /// The point shown on the map (the estate's centre or the point given).
    pub lat: f64,
    pub lon: f64,
    pub reach: ListingReach,
    /// Who wrote it: the provider of an offer, the receiver of a request.
    pub author: UserRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<OrganisationRef>,
    pub status: ListingStatus,
    /// Exchanges proposed on it so far (for a request: the offers it collected).
    pub exchanges_count: i64,
    /// Metres from the reader's home, when the reader has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    /// Whether the reader wrote it.
    pub mine: bool,
    /// Whether the reader may edit and close it (its author, or a member of its organisation).
    #[serde(default)]
    pub can_edit: bool,
    /// Its photos, in order (the first is the thumbnail in lists).
    #[serde(default)]
    pub images: Vec<crate::upload::PostImage>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `POST /api/v1/market/listings/{id}/exchanges`: ask for the help offered, or offer the help
/// requested.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewExchange {
    /// The minutes to agree (listings in hours); absent: the listing's price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<i64>,
    /// A first message to the other person.
    #[serde(default)]
    pub message: String,
}

/// A party's words with a step: why a cancellation or a dispute.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StepReason {
    #[serde(default)]
    pub reason: String,
}

words!(
    /// How staff end a dispute.
    Outcome {
        /// The help was given: the receiver pays the minutes (as agreed, or as staff decide).
        Confirm => "confirm",
        /// Nothing is paid.
        Cancel => "cancel",
    }
);

/// `POST /api/v1/market/exchanges/{id}/resolution` (staff).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Resolution {
    pub outcome: Outcome,
    /// With `confirm`: the minutes to pay, if not those agreed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<i64>,
    /// Why (kept in the audit log and shown to both parties).
    pub note: String,
}

/// What the reader may do with an exchange now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExchangeAbilities {
    pub accept: bool,
    pub complete: bool,
    pub confirm: bool,
    pub cancel: bool,
    pub dispute: bool,
    pub resolve: bool,
    pub review: bool,
    pub message: bool,
}

/// An exchange between a provider and a receiver.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Exchange {
    pub id: ExchangeId,
    pub listing_id: ListingId,
    pub listing_title: String,
    pub listing_kind: ListingKind,
    pub price_type: PriceType,
    pub provider: UserRef,
    pub receiver: UserRef,
    pub proposed_by: UserId,
    /// Minutes the receiver pays at confirmation (0 outside the time bank).
    pub minutes: i64,
    pub state: ExchangeState,
    pub proposed_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accepted_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disputed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispute_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_note: Option<String>,
    /// The ledger's transfer that paid it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_id: Option<TransferId>,
    /// Whether the reader has reviewed it.
    pub reviewed: bool,
    pub can: ExchangeAbilities,
}

/// `POST /api/v1/market/exchanges/{id}/messages`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewMessage {
    pub body: String,
}

/// One message of an exchange's thread (plain text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExchangeMessage {
    pub id: i64,
    pub author: UserRef,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// `POST /api/v1/market/exchanges/{id}/reviews`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewReview {
    /// 1 to 5.
    pub rating: i32,
    #[serde(default)]
    pub body: String,
}

/// A review of one side of a confirmed exchange by the other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Review {
    pub id: i64,
    pub exchange_id: ExchangeId,
    /// The title of the exchange's listing; absent when the reader may not see that listing
    /// (a listing for one building or estate, read by someone from elsewhere).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listing_title: Option<String>,
    pub author: UserRef,
    pub subject: UserRef,
    pub rating: i32,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// `GET /api/v1/market/members/{id}/reviews`: what others said of a member.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberReviews {
    pub member: UserRef,
    pub count: i64,
    /// The mean rating, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub average: Option<f64>,
    pub reviews: Vec<Review>,
}

/// `POST /api/v1/market/organisations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewOrganisation {
    pub name: String,
    pub kind: OrganisationKind,
    #[serde(default)]
    pub description: String,
}

/// `POST /api/v1/market/organisations/{id}/members`: add a member (by a member).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewOrganisationMember {
    pub user_id: UserId,
}

/// An organisation offering services.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Organisation {
    pub id: OrganisationId,
    pub name: String,
    pub kind: OrganisationKind,
    pub description: String,
    pub verified: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_at: Option<DateTime<Utc>>,
    pub members: Vec<UserRef>,
    /// Whether the reader is a member.
    pub member: bool,
    pub created_at: DateTime<Utc>,
}

/// One estate's line of the monthly report. Hours and marketplace contacts are counted apart:
/// the time bank moves hours between members; the marketplace (euro or free) only puts people
/// in touch, and moves nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EstateMonth {
    pub estate: EstateName,
    /// Exchanges priced in hours confirmed in the month (paid through the ledger).
    pub hour_exchanges: i64,
    /// Direct time-bank transfers made in the month (by members living in the estate), not
    /// reversed since.
    pub hour_transfers: i64,
    /// Minutes moved between members by those exchanges and transfers.
    pub minutes_exchanged: i64,
    /// Marketplace exchanges (in euro or free) confirmed in the month: people put in touch.
    pub marketplace_contacts: i64,
    /// People who took part in any of the above (providers, receivers, payers, payees).
    pub active_members: i64,
}

/// `GET /api/v1/market/reports/monthly?month=YYYY-MM`: the time bank's and the marketplace's
/// month per estate, for the transparency pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthlyReport {
    /// `YYYY-MM`.
    pub month: String,
    pub estates: Vec<EstateMonth>,
    /// Totals of the city (what has no estate included).
    pub hour_exchanges: i64,
    pub hour_transfers: i64,
    pub minutes_exchanged: i64,
    pub marketplace_contacts: i64,
    pub active_members: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(*c));
            assert_eq!(
                serde_json::to_value(c).expect("ser"),
                serde_json::json!(c.as_str())
            );
        }
        assert_eq!(Category::ALL.len(), 10);
        for s in ExchangeState::ALL {
            assert_eq!(ExchangeState::parse(s.as_str()), Some(*s));
        }
    }

    #[test]
    fn places_are_tagged() {
        let p: ListingPlace =
            serde_json::from_str(r#"{"kind": "point", "lat": 45.4, "lon": 9.1}"#).expect("point");
        assert_eq!(
            p,
            ListingPlace::Point {
                lat: 45.4,
                lon: 9.1
            }
        );
        let e: ListingPlace =
            serde_json::from_str(r#"{"kind": "estate", "estate_id": 3}"#).expect("estate");
        assert_eq!(
            e,
            ListingPlace::Estate {
                estate_id: EstateId(3)
            }
        );
    }
}
