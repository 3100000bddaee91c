//! Service-level bodies: health, readiness, and the public configuration the web app reads at start.

use serde::{Deserialize, Serialize};

/// `GET /healthz`: the process is alive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    pub status: String,
    pub version: String,
}

/// `GET /readyz`: each dependency and whether it answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Readiness {
    /// `ready` or `not_ready`.
    pub status: String,
    /// `ok`, or the reason the database cannot be used.
    pub database: String,
    /// `sqlite` or `postgres`.
    pub database_kind: String,
}

/// Where the map's background tiles come from. Absent when tiles are switched off; the map then
/// shows the estates' shapes on a plain background.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MapTiles {
    /// URL template with `{z}`, `{x}`, `{y}` (and optionally `{s}`).
    pub url: String,
    /// Attribution HTML required by the tile provider.
    pub attribution: String,
}

/// `GET /api/v1/meta`: what the web app needs to know about this server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientConfig {
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub map_tiles: Option<MapTiles>,
}
