//! Points on the map (WGS84).

use serde::{Deserialize, Serialize};

/// A WGS84 point. Construct it with [`LatLon::new`], which rejects coordinates off the globe.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LatLon {
    /// Latitude in degrees, −90..=90.
    pub lat: f64,
    /// Longitude in degrees, −180..=180.
    pub lon: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum LatLonError {
    #[error("latitude {0} is not between -90 and 90")]
    Latitude(f64),
    #[error("longitude {0} is not between -180 and 180")]
    Longitude(f64),
}

impl LatLon {
    pub fn new(lat: f64, lon: f64) -> Result<Self, LatLonError> {
        if !(-90.0..=90.0).contains(&lat) || lat.is_nan() {
            return Err(LatLonError::Latitude(lat));
        }
        if !(-180.0..=180.0).contains(&lon) || lon.is_nan() {
            return Err(LatLonError::Longitude(lon));
        }
        Ok(LatLon { lat, lon })
    }
}

/// A latitude/longitude box: south-west and north-east corners.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoundingBox {
    pub south_west: LatLon,
    pub north_east: LatLon,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_points_off_the_globe() {
        assert!(LatLon::new(45.46, 9.19).is_ok());
        assert_eq!(LatLon::new(91.0, 9.0), Err(LatLonError::Latitude(91.0)));
        assert_eq!(
            LatLon::new(45.0, -181.0),
            Err(LatLonError::Longitude(-181.0))
        );
        assert!(LatLon::new(f64::NAN, 9.0).is_err());
    }
}
