//! Types shared by the Cortile server (`cortile`) and the web app (`cortile-web`).
//!
//! Everything that crosses the wire is defined here once: request and response bodies, typed ids,
//! the error kinds a client can match on, and validated values that parse input at the edge.
//! This crate does no I/O and builds for `wasm32-unknown-unknown` as well as for the host.

pub mod auth;
pub mod community;
pub mod dates;
pub mod error;
pub mod fiscal_code;
pub mod geo;
pub mod ids;
pub mod import;
pub mod locale;
pub mod maintenance;
pub mod market;
pub mod meta;
pub mod page;
pub mod profile;
pub mod realtime;
pub mod registry;
pub mod tenancy;
pub mod timebank;
pub mod upload;

pub use error::{ErrorCode, FieldError, Problem};
pub use fiscal_code::FiscalCode;
pub use ids::{
    ApplicationId, BankId, BuildingId, ChangeRequestId, CommentId, CommunityId, EstateId,
    ExchangeId, HouseholdId, ListingId, OrganisationId, PersonId, PostId, SessionId, TransferId,
    UnitId, UserId,
};
pub use locale::Locale;
pub use page::Page;

/// Root of the JSON API; every route of the API lives under it.
pub const API_PREFIX: &str = "/api/v1";
