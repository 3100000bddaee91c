//! Deterministic demo data: estates named after real ERP neighbourhoods of Milan, at plausible
//! places in their districts, with buildings and units.
//!
//! The same scale always produces the same rows (ChaCha8, fixed seeds). Boundaries do not depend
//! on the scale; `Scale::Full` fills them to about 28,000 homes, the size of Milan's municipal
//! stock, and `Scale::Small` to a few hundred.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::store::{self, NewBuilding, NewEstate, NewUnit};
use super::Boundary;
use crate::db::{write_tx, DbConn};
use cortile_shared::geo::LatLon;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Scale {
    /// A few hundred homes: quick to load, enough to click through.
    Small,
    /// About 28,000 homes in about a thousand buildings.
    Full,
}

/// One demo estate: a real neighbourhood, its district, centre, streets and share of the stock.
struct EstateSeed {
    code: &'static str,
    name: &'static str,
    district: i32,
    lat: f64,
    lon: f64,
    postcode: &'static str,
    streets: &'static [&'static str],
    /// Homes at full scale.
    homes_full: u32,
}

const ESTATES: &[EstateSeed] = &[
    EstateSeed {
        code: "C7001",
        name: "San Siro",
        district: 7,
        lat: 45.4698,
        lon: 9.1425,
        postcode: "20148",
        streets: &[
            "Via Selinunte",
            "Via Zamagna",
            "Via Tracia",
            "Via Preneste",
            "Via Mar Jonio",
            "Via Micene",
        ],
        homes_full: 6000,
    },
    EstateSeed {
        code: "C8001",
        name: "Quarto Oggiaro",
        district: 8,
        lat: 45.5165,
        lon: 9.1370,
        postcode: "20157",
        streets: &[
            "Via Pascarella",
            "Via Lessona",
            "Via Val Trompia",
            "Via Aldini",
            "Via Capuana",
        ],
        homes_full: 3500,
    },
    EstateSeed {
        code: "C5001",
        name: "Gratosoglio",
        district: 5,
        lat: 45.4125,
        lon: 9.1735,
        postcode: "20142",
        streets: &[
            "Via dei Missaglia",
            "Via Saponaro",
            "Via Baroni",
            "Via Feraboli",
        ],
        homes_full: 3000,
    },
    EstateSeed {
        code: "C6001",
        name: "Lorenteggio",
        district: 6,
        lat: 45.4515,
        lon: 9.1330,
        postcode: "20147",
        streets: &[
            "Via Lorenteggio",
            "Via Giambellino",
            "Via Segneri",
            "Via Inganni",
            "Via Odazio",
        ],
        homes_full: 2800,
    },
    EstateSeed {
        code: "C4001",
        name: "Corvetto",
        district: 4,
        lat: 45.4390,
        lon: 9.2185,
        postcode: "20139",
        streets: &[
            "Via Mompiani",
            "Via Gabriele Rosa",
            "Via Fabio Massimo",
            "Via dei Cinquecento",
        ],
        homes_full: 2500,
    },
    EstateSeed {
        code: "C4002",
        name: "Molise-Calvairate",
        district: 4,
        lat: 45.4560,
        lon: 9.2235,
        postcode: "20137",
        streets: &[
            "Via Molise",
            "Via Ciceri Visconti",
            "Via Calvairate",
            "Via Tommei",
        ],
        homes_full: 1800,
    },
    EstateSeed {
        code: "C9001",
        name: "Niguarda",
        district: 9,
        lat: 45.5160,
        lon: 9.1905,
        postcode: "20162",
        streets: &[
            "Via Ornato",
            "Via Hermada",
            "Via Val di Ledro",
            "Via Passerini",
        ],
        homes_full: 1600,
    },
    EstateSeed {
        code: "C5002",
        name: "Stadera",
        district: 5,
        lat: 45.4375,
        lon: 9.1800,
        postcode: "20141",
        streets: &["Via Barrili", "Via Palmieri", "Via Neera", "Via Montegani"],
        homes_full: 1500,
    },
    EstateSeed {
        code: "C4003",
        name: "Ponte Lambro",
        district: 4,
        lat: 45.4395,
        lon: 9.2630,
        postcode: "20138",
        streets: &[
            "Via Ucelli di Nemi",
            "Via Serrati",
            "Via Rilke",
            "Via Vittorini",
        ],
        homes_full: 800,
    },
    EstateSeed {
        code: "C6002",
        name: "Barona",
        district: 6,
        lat: 45.4345,
        lon: 9.1560,
        postcode: "20142",
        streets: &[
            "Via Barona",
            "Via Ettore Ponti",
            "Via Santa Rita da Cascia",
            "Via Boffalora",
        ],
        homes_full: 1500,
    },
    EstateSeed {
        code: "C9002",
        name: "Comasina",
        district: 9,
        lat: 45.5310,
        lon: 9.1635,
        postcode: "20161",
        streets: &["Via Comasina", "Via Teano", "Via Val Lagarina"],
        homes_full: 1800,
    },
    EstateSeed {
        code: "C8002",
        name: "Gallaratese",
        district: 8,
        lat: 45.4990,
        lon: 9.1115,
        postcode: "20151",
        streets: &["Via Cilea", "Via Appennini", "Via Consolini"],
        homes_full: 1200,
    },
];

/// What was loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SeedReport {
    pub estates: usize,
    pub buildings: usize,
    pub units: usize,
}

/// The estate rows, boundaries and contents the demo would load; no I/O.
pub struct DemoEstate {
    pub estate: NewEstate,
    pub buildings: Vec<(NewBuilding, Vec<NewUnit>)>,
}

const METRES_PER_DEGREE_LAT: f64 = 111_320.0;

fn offset(centre: (f64, f64), north_m: f64, east_m: f64) -> (f64, f64) {
    let (lat, lon) = centre;
    let dlat = north_m / METRES_PER_DEGREE_LAT;
    let dlon = east_m / (METRES_PER_DEGREE_LAT * lat.to_radians().cos());
    (lat + dlat, lon + dlon)
}

fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let north = (a.0 - b.0) * METRES_PER_DEGREE_LAT;
    let east = (a.1 - b.1) * METRES_PER_DEGREE_LAT * a.0.to_radians().cos();
    (north * north + east * east).sqrt()
}

/// A star-shaped polygon around the centre: corners at increasing angles, so it never crosses itself.
fn boundary_for(seed: &EstateSeed, index: u64) -> Boundary {
    let mut rng = ChaCha8Rng::seed_from_u64(0xC0_4711 + index);
    let radius = 260.0 + 240.0 * (f64::from(seed.homes_full) / 6000.0).sqrt();
    let corners: Vec<(f64, f64)> = (0..12)
        .map(|k| {
            let angle =
                std::f64::consts::TAU * (f64::from(k) + rng.random_range(-0.25..0.25)) / 12.0;
            let r = radius * rng.random_range(0.72..1.0);
            let (lat, lon) = offset((seed.lat, seed.lon), r * angle.sin(), r * angle.cos());
            ((lat * 1e7).round() / 1e7, (lon * 1e7).round() / 1e7)
        })
        .collect();
    // The corners are generated to be valid; a failure here is a bug in this table.
    Boundary::from_corners(&corners)
        .unwrap_or_else(|e| panic!("demo boundary of {}: {e}", seed.name))
}

/// Generates the demo registry for a scale.
pub fn generate(scale: Scale) -> Vec<DemoEstate> {
    ESTATES
        .iter()
        .enumerate()
        .map(|(i, seed)| generate_estate(seed, i as u64, scale))
        .collect()
}

fn generate_estate(seed: &EstateSeed, index: u64, scale: Scale) -> DemoEstate {
    let boundary = boundary_for(seed, index);
    let centroid = boundary.centroid();
    let bbox = boundary.bbox();
    let target_homes = match scale {
        Scale::Full => seed.homes_full,
        Scale::Small => (seed.homes_full / 40).max(20),
    };
    let scale_salt = match scale {
        Scale::Small => 1,
        Scale::Full => 2,
    };
    let mut rng = ChaCha8Rng::seed_from_u64(0x5EED_0000 + index * 16 + scale_salt);

    let mut buildings = Vec::new();
    let mut placed: Vec<(f64, f64)> = Vec::new();
    let mut homes = 0u32;
    let mut street_numbers = vec![1u32; seed.streets.len()];
    while homes < target_homes {
        let n = buildings.len() + 1;
        let point = place_building(&boundary, &bbox, &placed, &mut rng);
        placed.push(point);
        // The small demo has smaller buildings, so that every estate still has several.
        let (floors, staircases, per_floor): (i32, u8, i32) = match scale {
            Scale::Full => (
                rng.random_range(3..=11),
                rng.random_range(1..=3),
                rng.random_range(2..=4),
            ),
            Scale::Small => (
                rng.random_range(3..=7),
                rng.random_range(1..=2),
                rng.random_range(2..=3),
            ),
        };
        let street = rng.random_range(0..seed.streets.len());
        let number = street_numbers[street];
        street_numbers[street] += rng.random_range(1..=4) * 2;
        let code = format!("{}-F{n:03}", seed.code);
        let mut units = Vec::new();
        for s in 0..staircases {
            let staircase = char::from(b'A' + s).to_string();
            for floor in 0..floors {
                for k in 1..=per_floor {
                    let rooms: i32 = rng.random_range(1..=5);
                    let area = 22.0 + f64::from(rooms) * rng.random_range(13.0..19.0);
                    units.push(NewUnit {
                        building_id: 0,
                        code: format!("{code}-{staircase}{floor:02}{k}"),
                        staircase: staircase.clone(),
                        floor,
                        rooms,
                        area_m2: (area * 10.0).round() / 10.0,
                    });
                }
            }
        }
        homes += units.len() as u32;
        buildings.push((
            NewBuilding {
                estate_id: 0,
                code,
                address: format!("{} {number}", seed.streets[street]),
                postcode: seed.postcode.to_owned(),
                lat: (point.0 * 1e6).round() / 1e6,
                lon: (point.1 * 1e6).round() / 1e6,
                floors,
                has_lift: floors > 4 || rng.random_bool(0.3),
            },
            units,
        ));
    }
    DemoEstate {
        estate: NewEstate {
            code: seed.code.to_owned(),
            name: seed.name.to_owned(),
            district: seed.district,
            boundary: boundary.to_geojson().to_string(),
            centroid_lat: centroid.lat,
            centroid_lon: centroid.lon,
            min_lat: bbox.south_west.lat,
            min_lon: bbox.south_west.lon,
            max_lat: bbox.north_east.lat,
            max_lon: bbox.north_east.lon,
        },
        buildings,
    }
}

/// A random point inside the boundary, kept apart from the buildings already placed when room
/// allows (the spacing shrinks as the estate fills up).
fn place_building(
    boundary: &Boundary,
    bbox: &cortile_shared::geo::BoundingBox,
    placed: &[(f64, f64)],
    rng: &mut ChaCha8Rng,
) -> (f64, f64) {
    let mut spacing = 45.0;
    loop {
        for _ in 0..40 {
            let lat = rng.random_range(bbox.south_west.lat..bbox.north_east.lat);
            let lon = rng.random_range(bbox.south_west.lon..bbox.north_east.lon);
            if !boundary.contains(LatLon { lat, lon }) {
                continue;
            }
            if placed.iter().all(|p| distance_m(*p, (lat, lon)) >= spacing) {
                return (lat, lon);
            }
        }
        spacing *= 0.8;
    }
}

/// Loads the demo registry in one transaction. Does nothing and returns `None` when the registry
/// already has estates (demo data never mixes with real data).
pub fn seed(conn: &mut DbConn, scale: Scale) -> anyhow::Result<Option<SeedReport>> {
    let demo = generate(scale);
    write_tx(conn, |conn| {
        if store::count_estates(conn)? > 0 {
            return Ok(None);
        }
        let mut report = SeedReport::default();
        for DemoEstate { estate, buildings } in demo {
            let estate_id = store::insert_estate(conn, &estate)?;
            report.estates += 1;
            let rows: Vec<NewBuilding> = buildings
                .iter()
                .map(|(b, _)| NewBuilding {
                    estate_id,
                    ..b.clone()
                })
                .collect();
            let ids = store::insert_buildings(conn, &rows)?;
            report.buildings += rows.len();
            let mut units = Vec::new();
            for (b, us) in buildings {
                let building_id = *ids
                    .get(&b.code)
                    .ok_or_else(|| anyhow::anyhow!("building {} was not stored", b.code))?;
                units.extend(us.into_iter().map(|u| NewUnit { building_id, ..u }));
            }
            report.units += store::insert_units(conn, &units)?;
            store::refresh_counts(conn, &[estate_id])?;
        }
        Ok(Some(report))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_scale_gives_the_same_data() {
        let a = generate(Scale::Small);
        let b = generate(Scale::Small);
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.estate.boundary, y.estate.boundary);
            assert_eq!(x.buildings.len(), y.buildings.len());
            assert_eq!(x.buildings[0].0.address, y.buildings[0].0.address);
            assert_eq!(x.buildings[0].1.len(), y.buildings[0].1.len());
        }
    }

    #[test]
    fn names_the_real_neighbourhoods_and_sizes_the_stock() {
        let small = generate(Scale::Small);
        let names: Vec<&str> = small.iter().map(|e| e.estate.name.as_str()).collect();
        for required in [
            "San Siro",
            "Quarto Oggiaro",
            "Gratosoglio",
            "Lorenteggio",
            "Corvetto",
            "Molise-Calvairate",
            "Niguarda",
            "Stadera",
            "Ponte Lambro",
            "Barona",
        ] {
            assert!(names.contains(&required), "{required} missing");
        }
        let homes = |d: &[DemoEstate]| -> usize {
            d.iter()
                .flat_map(|e| &e.buildings)
                .map(|(_, u)| u.len())
                .sum()
        };
        let small_homes = homes(&small);
        assert!(
            (200..=1_000).contains(&small_homes),
            "small has {small_homes} homes"
        );
        let full_homes = homes(&generate(Scale::Full));
        assert!(
            (27_500..=29_500).contains(&full_homes),
            "full has {full_homes} homes"
        );
    }

    #[test]
    fn buildings_lie_inside_their_estate_and_boundaries_are_valid() {
        for (i, e) in generate(Scale::Small).iter().enumerate() {
            let boundary = Boundary::from_geojson_str(&e.estate.boundary).expect("valid boundary");
            assert_eq!(boundary, boundary_for(&ESTATES[i], i as u64));
            for (b, _) in &e.buildings {
                assert!(
                    boundary.contains(LatLon {
                        lat: b.lat,
                        lon: b.lon
                    }),
                    "{} outside",
                    b.code
                );
            }
        }
    }

    #[test]
    fn estates_do_not_overlap() {
        use geo::Intersects;
        let all = generate(Scale::Small);
        let polys: Vec<Boundary> = all
            .iter()
            .map(|e| Boundary::from_geojson_str(&e.estate.boundary).expect("valid"))
            .collect();
        for i in 0..polys.len() {
            for j in i + 1..polys.len() {
                assert!(
                    !polys[i].polygon().intersects(polys[j].polygon()),
                    "{} overlaps {}",
                    all[i].estate.name,
                    all[j].estate.name
                );
            }
        }
    }
}
