//! The public part of the tenant registry: estates, buildings and units.

use serde::{Deserialize, Serialize};

use crate::geo::{BoundingBox, LatLon};
use crate::ids::{BuildingId, EstateId, UnitId};

/// One of Milan's nine municipal districts (Municipio 1–9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "u8", into = "u8")]
pub struct Municipio(u8);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("municipio {0} does not exist (Milan has districts 1 to 9)")]
pub struct MunicipioError(pub i64);

impl Municipio {
    pub fn new(n: i64) -> Result<Self, MunicipioError> {
        match u8::try_from(n) {
            Ok(v @ 1..=9) => Ok(Municipio(v)),
            _ => Err(MunicipioError(n)),
        }
    }

    pub fn number(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for Municipio {
    type Error = MunicipioError;
    fn try_from(n: u8) -> Result<Self, Self::Error> {
        Municipio::new(i64::from(n))
    }
}

impl From<Municipio> for u8 {
    fn from(m: Municipio) -> u8 {
        m.0
    }
}

impl std::fmt::Display for Municipio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Municipio {}", self.0)
    }
}

/// An estate in the list (`GET /api/v1/estates`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EstateSummary {
    pub id: EstateId,
    /// The manager's code of the estate (codice complesso).
    pub code: String,
    pub name: String,
    /// The municipal district the estate lies in.
    #[cfg_attr(feature = "openapi", schema(value_type = u8, minimum = 1, maximum = 9))]
    pub district: Municipio,
    /// Number of buildings.
    pub buildings: i64,
    /// Number of homes (housing units) in all its buildings.
    pub homes: i64,
    /// Centre of the estate's boundary, for a marker or to centre a map.
    pub centroid: LatLon,
    /// Box around the boundary.
    pub bbox: BoundingBox,
}

/// A building inside an estate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BuildingSummary {
    pub id: BuildingId,
    /// The manager's code of the building (codice fabbricato).
    pub code: String,
    /// Street and number, e.g. "Via Selinunte 52".
    pub address: String,
    pub postcode: String,
    pub point: LatLon,
    /// Floors above ground.
    pub floors: i32,
    pub has_lift: bool,
    /// Number of homes in the building.
    pub homes: i64,
}

/// One estate with its buildings (`GET /api/v1/estates/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EstateDetail {
    #[serde(flatten)]
    pub summary: EstateSummary,
    /// The boundary as a GeoJSON Polygon geometry (WGS84, `[lon, lat]` order).
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub boundary: geojson::Geometry,
    pub buildings_list: Vec<BuildingSummary>,
    /// The boundary and the buildings as a GeoJSON FeatureCollection, ready for a map.
    /// Each feature has a `kind` property: `estate` or `building`.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub geojson: geojson::FeatureCollection,
}

/// A housing unit (alloggio) of a building (`GET /api/v1/buildings/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitSummary {
    pub id: UnitId,
    /// The manager's code of the unit (codice alloggio).
    pub code: String,
    /// Staircase (scala), e.g. "A".
    pub staircase: String,
    /// Floor number; 0 is the ground floor.
    pub floor: i32,
    /// Number of rooms (vani).
    pub rooms: i32,
    /// Floor area in square metres.
    pub area_m2: f64,
}

/// One building with its units (`GET /api/v1/buildings/{id}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BuildingDetail {
    #[serde(flatten)]
    pub summary: BuildingSummary,
    pub estate_id: EstateId,
    pub estate_name: String,
    pub units: Vec<UnitSummary>,
}

/// Feature property naming what a GeoJSON feature is.
pub const FEATURE_KIND: &str = "kind";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn municipio_accepts_only_milan_districts() {
        assert!(Municipio::new(1).is_ok());
        assert!(Municipio::new(9).is_ok());
        assert_eq!(Municipio::new(0), Err(MunicipioError(0)));
        assert_eq!(Municipio::new(10), Err(MunicipioError(10)));
        assert!(serde_json::from_str::<Municipio>("12").is_err());
        assert_eq!(
            serde_json::from_str::<Municipio>("7").expect("7").number(),
            7
        );
    }
}
