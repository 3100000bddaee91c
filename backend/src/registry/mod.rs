//! The tenant registry: estates, buildings and units (this module), later households, persons,
//! contracts and applications. The public part is readable by anyone.
//!
//! Rules live here; queries in [`store`]; HTTP handlers in [`routes`]; demo data in [`demo`].

pub mod demo;
pub mod demo_export;
pub mod demo_people;
pub mod import;
pub mod routes;
pub mod store;

use cortile_shared::geo::{BoundingBox, LatLon};
use geo::{BoundingRect, Centroid, Validation};

/// Why a boundary cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BoundaryError {
    #[error("the boundary must be a GeoJSON Polygon, not {0}")]
    NotAPolygon(String),
    #[error("the boundary is not valid GeoJSON: {0}")]
    Malformed(String),
    #[error("the outer ring needs at least 3 distinct corners and must be closed")]
    TooFewPoints,
    #[error("a corner is off the globe: {0}")]
    OffTheGlobe(String),
    #[error("the polygon is not valid: {0}")]
    Invalid(String),
}

/// A validated estate boundary: a simple polygon in WGS84.
#[derive(Debug, Clone, PartialEq)]
pub struct Boundary {
    polygon: geo::Polygon<f64>,
}

impl Boundary {
    /// Validates a GeoJSON geometry: a Polygon, closed rings of at least four positions
    /// (three corners), coordinates on the globe, no self-intersection.
    pub fn from_geojson(geometry: &geojson::Geometry) -> Result<Self, BoundaryError> {
        let geojson::Value::Polygon(rings) = &geometry.value else {
            return Err(BoundaryError::NotAPolygon(
                geometry.value.type_name().to_owned(),
            ));
        };
        if rings.is_empty() {
            return Err(BoundaryError::TooFewPoints);
        }
        for ring in rings {
            if ring.len() < 4 || ring.first() != ring.last() {
                return Err(BoundaryError::TooFewPoints);
            }
            for pos in ring {
                let (lon, lat) = match pos.as_slice() {
                    [lon, lat, ..] => (*lon, *lat),
                    _ => {
                        return Err(BoundaryError::Malformed(
                            "a position needs [lon, lat]".into(),
                        ))
                    }
                };
                LatLon::new(lat, lon).map_err(|e| BoundaryError::OffTheGlobe(e.to_string()))?;
            }
        }
        let polygon: geo::Polygon<f64> = geo::Polygon::try_from(geometry.value.clone())
            .map_err(|e| BoundaryError::Malformed(e.to_string()))?;
        if let Err(e) = polygon.check_validation() {
            return Err(BoundaryError::Invalid(e.to_string()));
        }
        Ok(Boundary { polygon })
    }

    /// Parses and validates a stored or uploaded GeoJSON geometry text.
    pub fn from_geojson_str(text: &str) -> Result<Self, BoundaryError> {
        let geometry: geojson::Geometry = text
            .parse()
            .map_err(|e: geojson::Error| BoundaryError::Malformed(e.to_string()))?;
        Boundary::from_geojson(&geometry)
    }

    /// Builds a boundary from `(lat, lon)` corners (the ring is closed for you).
    pub fn from_corners(corners: &[(f64, f64)]) -> Result<Self, BoundaryError> {
        let mut ring: Vec<Vec<f64>> = corners.iter().map(|(lat, lon)| vec![*lon, *lat]).collect();
        if let Some(first) = ring.first().cloned() {
            ring.push(first);
        }
        Boundary::from_geojson(&geojson::Geometry::new(geojson::Value::Polygon(vec![ring])))
    }

    pub fn polygon(&self) -> &geo::Polygon<f64> {
        &self.polygon
    }

    pub fn to_geojson(&self) -> geojson::Geometry {
        geojson::Geometry::new(geojson::Value::from(&self.polygon))
    }

    pub fn centroid(&self) -> LatLon {
        let c = self
            .polygon
            .centroid()
            .unwrap_or_else(|| self.polygon.exterior().0[0].into());
        LatLon {
            lat: c.y(),
            lon: c.x(),
        }
    }

    pub fn bbox(&self) -> BoundingBox {
        let rect = self.polygon.bounding_rect().unwrap_or_else(|| {
            let p = self.polygon.exterior().0[0];
            geo::Rect::new(p, p)
        });
        BoundingBox {
            south_west: LatLon {
                lat: rect.min().y,
                lon: rect.min().x,
            },
            north_east: LatLon {
                lat: rect.max().y,
                lon: rect.max().x,
            },
        }
    }

    /// Whether a point lies inside the boundary (on the edge counts as inside).
    pub fn contains(&self, point: LatLon) -> bool {
        use geo::Intersects;
        self.polygon
            .intersects(&geo::Point::new(point.lon, point.lat))
    }
}

// ---- Domain functions: rows to API bodies -------------------------------------------------

use cortile_shared::registry::{
    BuildingDetail, BuildingSummary, EstateDetail, EstateSummary, Municipio, UnitSummary,
    FEATURE_KIND,
};
use cortile_shared::{BuildingId, EstateId, Page, UnitId};

use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::pagination::encode_cursor;
use store::{BuildingRow, EstateRow};

/// The sort key of the estate list: (name, id).
pub type EstateKey = (String, i64);

fn estate_summary(row: &EstateRow) -> AppResult<EstateSummary> {
    let district = Municipio::new(i64::from(row.district))
        .map_err(|e| AppError::internal(anyhow::anyhow!("estate {}: {e}", row.id)))?;
    Ok(EstateSummary {
        id: EstateId(row.id),
        code: row.code.clone(),
        name: row.name.clone(),
        district,
        buildings: row.buildings_count,
        homes: row.homes_count,
        centroid: LatLon {
            lat: row.centroid_lat,
            lon: row.centroid_lon,
        },
        bbox: BoundingBox {
            south_west: LatLon {
                lat: row.min_lat,
                lon: row.min_lon,
            },
            north_east: LatLon {
                lat: row.max_lat,
                lon: row.max_lon,
            },
        },
    })
}

fn building_summary(row: &BuildingRow) -> BuildingSummary {
    BuildingSummary {
        id: BuildingId(row.id),
        code: row.code.clone(),
        address: row.address.clone(),
        postcode: row.postcode.clone(),
        point: LatLon {
            lat: row.lat,
            lon: row.lon,
        },
        floors: row.floors,
        has_lift: row.has_lift,
        homes: row.homes_count,
    }
}

fn stored_boundary(row: &EstateRow) -> AppResult<geojson::Geometry> {
    row.boundary
        .parse::<geojson::Geometry>()
        .map_err(|e| AppError::internal(anyhow::anyhow!("estate {} boundary: {e}", row.id)))
}

fn props(pairs: Vec<(&str, serde_json::Value)>) -> serde_json::Map<String, serde_json::Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn estate_feature(row: &EstateRow) -> AppResult<geojson::Feature> {
    Ok(geojson::Feature {
        bbox: None,
        geometry: Some(stored_boundary(row)?),
        id: Some(geojson::feature::Id::String(format!("estate-{}", row.id))),
        properties: Some(props(vec![
            (FEATURE_KIND, "estate".into()),
            ("id", row.id.into()),
            ("code", row.code.clone().into()),
            ("name", row.name.clone().into()),
            ("homes", row.homes_count.into()),
        ])),
        foreign_members: None,
    })
}

fn building_feature(row: &BuildingRow) -> geojson::Feature {
    geojson::Feature {
        bbox: None,
        geometry: Some(geojson::Geometry::new(geojson::Value::Point(vec![
            row.lon, row.lat,
        ]))),
        id: Some(geojson::feature::Id::String(format!("building-{}", row.id))),
        properties: Some(props(vec![
            (FEATURE_KIND, "building".into()),
            ("id", row.id.into()),
            ("estate_id", row.estate_id.into()),
            ("code", row.code.clone().into()),
            ("address", row.address.clone().into()),
            ("homes", row.homes_count.into()),
        ])),
        foreign_members: None,
    }
}

/// Sort key for street addresses: "Via Neera 9" before "Via Neera 10", "10/A" after "10".
pub fn address_key(address: &str) -> (String, u32, String) {
    let trimmed = address.trim();
    match trimmed.rsplit_once(' ') {
        Some((street, number)) if number.starts_with(|c: char| c.is_ascii_digit()) => {
            let digits: String = number.chars().take_while(char::is_ascii_digit).collect();
            let rest = number[digits.len()..].to_lowercase();
            (
                street.to_lowercase(),
                digits.parse().unwrap_or(u32::MAX),
                rest,
            )
        }
        _ => (trimmed.to_lowercase(), 0, String::new()),
    }
}

/// One page of estates in name order, with their counts.
pub fn list_estates(
    conn: &mut DbConn,
    after: Option<EstateKey>,
    limit: i64,
) -> AppResult<Page<EstateSummary>> {
    // Fetch one more than asked to know whether a next page exists.
    let mut rows = store::list_estates(
        conn,
        after.as_ref().map(|(name, id)| (name.as_str(), *id)),
        limit + 1,
    )?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let items = rows
        .iter()
        .map(estate_summary)
        .collect::<AppResult<Vec<_>>>()?;
    let next = match (has_more, rows.last()) {
        (true, Some(last)) => Some(encode_cursor(&(last.name.as_str(), last.id))),
        _ => None,
    };
    Ok(Page { items, next })
}

/// One estate with its buildings and a GeoJSON FeatureCollection; `None` if it does not exist.
pub fn estate_detail(conn: &mut DbConn, id: i64) -> AppResult<Option<EstateDetail>> {
    let Some(row) = store::get_estate(conn, id)? else {
        return Ok(None);
    };
    let summary = estate_summary(&row)?;
    let mut buildings = store::buildings_of_estate(conn, id)?;
    buildings.sort_by_cached_key(|b| (address_key(&b.address), b.id));
    let mut features = vec![estate_feature(&row)?];
    features.extend(buildings.iter().map(building_feature));
    Ok(Some(EstateDetail {
        boundary: stored_boundary(&row)?,
        buildings_list: buildings.iter().map(building_summary).collect(),
        geojson: geojson::FeatureCollection {
            bbox: None,
            features,
            foreign_members: None,
        },
        summary,
    }))
}

/// One building with its units; `None` if it does not exist.
pub fn building_detail(conn: &mut DbConn, id: i64) -> AppResult<Option<BuildingDetail>> {
    let Some(row) = store::get_building(conn, id)? else {
        return Ok(None);
    };
    let estate = store::get_estate(conn, row.estate_id)?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("building {id} has no estate")))?;
    let units = store::units_of_building(conn, id)?;
    Ok(Some(BuildingDetail {
        summary: building_summary(&row),
        estate_id: EstateId(estate.id),
        estate_name: estate.name,
        units: units
            .into_iter()
            .map(|u| UnitSummary {
                id: UnitId(u.id),
                code: u.code,
                staircase: u.staircase,
                floor: u.floor,
                rooms: u.rooms,
                area_m2: u.area_m2,
            })
            .collect(),
    }))
}

/// Every estate's boundary and every building, as one FeatureCollection for the city map.
pub fn city_map(conn: &mut DbConn) -> AppResult<geojson::FeatureCollection> {
    let estates = store::all_estates(conn)?;
    let mut features = Vec::with_capacity(estates.len());
    for e in &estates {
        features.push(estate_feature(e)?);
    }
    features.extend(store::all_buildings(conn)?.iter().map(building_feature));
    Ok(geojson::FeatureCollection {
        bbox: None,
        features,
        foreign_members: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square() -> Boundary {
        Boundary::from_corners(&[(45.0, 9.0), (45.0, 9.1), (45.1, 9.1), (45.1, 9.0)])
            .expect("square")
    }

    #[test]
    fn addresses_sort_by_street_then_number() {
        let mut v = vec![
            "Via Neera 10",
            "Via Neera 9",
            "Via Barrili 105",
            "Via Neera 10/A",
            "Piazza X",
        ];
        v.sort_by_key(|a| address_key(a));
        assert_eq!(
            v,
            [
                "Piazza X",
                "Via Barrili 105",
                "Via Neera 9",
                "Via Neera 10",
                "Via Neera 10/A"
            ]
        );
    }

    #[test]
    fn a_square_is_valid_and_has_a_centre() {
        let b = square();
        let c = b.centroid();
        assert!((c.lat - 45.05).abs() < 1e-9 && (c.lon - 9.05).abs() < 1e-9);
        assert!(b.contains(LatLon {
            lat: 45.05,
            lon: 9.05
        }));
        assert!(!b.contains(LatLon {
            lat: 45.2,
            lon: 9.05
        }));
        assert_eq!(b.bbox().north_east.lat, 45.1);
    }

    #[test]
    fn round_trips_through_geojson_text() {
        let b = square();
        let text = b.to_geojson().to_string();
        assert_eq!(Boundary::from_geojson_str(&text).expect("parse"), b);
    }

    #[test]
    fn rejects_bow_ties_open_rings_points_and_off_globe() {
        let bow_tie = Boundary::from_corners(&[(45.0, 9.0), (45.1, 9.1), (45.0, 9.1), (45.1, 9.0)]);
        assert!(
            matches!(bow_tie, Err(BoundaryError::Invalid(_))),
            "{bow_tie:?}"
        );

        let open = geojson::Geometry::new(geojson::Value::Polygon(vec![vec![
            vec![9.0, 45.0],
            vec![9.1, 45.0],
            vec![9.1, 45.1],
            vec![9.0, 45.1],
        ]]));
        assert_eq!(
            Boundary::from_geojson(&open),
            Err(BoundaryError::TooFewPoints)
        );

        let point = geojson::Geometry::new(geojson::Value::Point(vec![9.0, 45.0]));
        assert!(matches!(
            Boundary::from_geojson(&point),
            Err(BoundaryError::NotAPolygon(_))
        ));

        let off = Boundary::from_corners(&[(95.0, 9.0), (45.0, 9.1), (45.1, 9.1)]);
        assert!(matches!(off, Err(BoundaryError::OffTheGlobe(_))), "{off:?}");

        assert!(matches!(
            Boundary::from_geojson_str("{\"type\":\"Polygon\"}"),
            Err(BoundaryError::Malformed(_))
        ));
    }
}
