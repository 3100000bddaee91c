//! The public registry: estates, buildings and units over HTTP.

use std::collections::HashSet;

use cortile::registry::Boundary;
use cortile_shared::geo::LatLon;
use cortile_shared::registry::{BuildingDetail, EstateDetail, EstateSummary};
use cortile_shared::{ErrorCode, Page};
use cortile_tests::{db_test, expect_problem, Backend, TestApp};

const MILAN_NEIGHBOURHOODS: [&str; 10] = [
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
];

async fn all_estates(app: &TestApp) -> Vec<EstateSummary> {
    let page: Page<EstateSummary> = app.get_json("/api/v1/estates?limit=200").await;
    assert!(page.next.is_none(), "a single page holds the demo estates");
    page.items
}

db_test!(
    async fn lists_the_demo_estates_with_counts(app) {
        let estates = all_estates(app).await;
        let names: Vec<&str> = estates.iter().map(|e| e.name.as_str()).collect();
        for name in MILAN_NEIGHBOURHOODS {
            assert!(names.contains(&name), "{name} missing from {names:?}");
        }
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted, "the list is in name order");
        for e in &estates {
            assert!(e.buildings >= 1, "{} has no buildings", e.name);
            assert!(e.homes >= e.buildings, "{} has fewer homes than buildings", e.name);
            assert!((45.35..45.6).contains(&e.centroid.lat), "{} is not in Milan", e.name);
            assert!((9.0..9.35).contains(&e.centroid.lon), "{} is not in Milan", e.name);
        }
        let san_siro = estates.iter().find(|e| e.name == "San Siro").expect("San Siro");
        assert_eq!(san_siro.district.number(), 7);
        let total_homes: i64 = estates.iter().map(|e| e.homes).sum();
        assert!((200..=1_000).contains(&total_homes), "small demo has {total_homes} homes");
    }
);

db_test!(
    async fn pages_through_estates_without_gaps_or_repeats(app) {
        let everything = all_estates(app).await;
        let mut seen = Vec::new();
        let mut path = "/api/v1/estates?limit=5".to_owned();
        let mut pages = 0;
        loop {
            let page: Page<EstateSummary> = app.get_json(&path).await;
            pages += 1;
            assert!(page.items.len() <= 5);
            seen.extend(page.items.into_iter().map(|e| e.id));
            match page.next {
                Some(next) => path = format!("/api/v1/estates?limit=5&after={next}"),
                None => break,
            }
        }
        assert_eq!(pages, everything.len().div_ceil(5));
        let expected: Vec<_> = everything.iter().map(|e| e.id).collect();
        assert_eq!(seen, expected);
    }
);

db_test!(
    async fn rejects_bad_list_parameters_by_field(app) {
        for (query, field, code) in [
            ("limit=0", "limit", "out_of_range"),
            ("limit=201", "limit", "out_of_range"),
            ("limit=many", "limit", "out_of_range"),
            ("after=not-a-cursor", "after", "invalid_cursor"),
            ("after=WzFd", "after", "invalid_cursor"),
        ] {
            let p = app.get_problem(&format!("/api/v1/estates?{query}"), 422).await;
            assert_eq!(p.code, ErrorCode::ValidationFailed, "{query}");
            assert_eq!(p.errors.len(), 1, "{query}");
            assert_eq!(p.errors[0].field, field, "{query}");
            assert_eq!(p.errors[0].code, code, "{query}");
        }
    }
);

db_test!(
    async fn shows_an_estate_with_its_buildings_and_geojson(app) {
        let estates = all_estates(app).await;
        let summary = estates.iter().find(|e| e.name == "Gratosoglio").expect("Gratosoglio");
        let estate: EstateDetail = app.get_json(&format!("/api/v1/estates/{}", summary.id)).await;
        assert_eq!(&estate.summary, summary, "detail repeats the list's summary");
        assert_eq!(estate.buildings_list.len() as i64, summary.buildings);
        let homes: i64 = estate.buildings_list.iter().map(|b| b.homes).sum();
        assert_eq!(homes, summary.homes, "homes add up over the buildings");

        let boundary = Boundary::from_geojson(&estate.boundary).expect("a valid polygon");
        for b in &estate.buildings_list {
            assert!(boundary.contains(b.point), "{} lies outside its estate", b.address);
            assert!(b.floors >= 1);
            assert!(b.address.starts_with("Via "), "{}", b.address);
        }
        let c = boundary.centroid();
        assert!((c.lat - summary.centroid.lat).abs() < 1e-9);

        let features = &estate.geojson.features;
        assert_eq!(features.len(), estate.buildings_list.len() + 1);
        let kinds: Vec<String> = features
            .iter()
            .map(|f| f.property("kind").and_then(|k| k.as_str()).unwrap_or("").to_owned())
            .collect();
        assert_eq!(kinds.iter().filter(|k| *k == "estate").count(), 1);
        assert_eq!(kinds.iter().filter(|k| *k == "building").count(), estate.buildings_list.len());
    }
);

db_test!(
    async fn shows_a_building_with_its_units(app) {
        let estates = all_estates(app).await;
        let estate: EstateDetail =
            app.get_json(&format!("/api/v1/estates/{}", estates[0].id)).await;
        let first = &estate.buildings_list[0];
        let building: BuildingDetail = app.get_json(&format!("/api/v1/buildings/{}", first.id)).await;
        assert_eq!(&building.summary, first);
        assert_eq!(building.estate_id, estate.summary.id);
        assert_eq!(building.estate_name, estate.summary.name);
        assert_eq!(building.units.len() as i64, first.homes);
        let codes: HashSet<&str> = building.units.iter().map(|u| u.code.as_str()).collect();
        assert_eq!(codes.len(), building.units.len(), "unit codes are unique");
        for u in &building.units {
            assert!(u.floor >= 0 && u.floor < building.summary.floors);
            assert!(u.rooms >= 1 && u.area_m2 > 20.0, "{u:?}");
        }
    }
);

db_test!(
    /// Counts are stored with the rows (lists need no aggregate); they must equal live counts.
    async fn stored_counts_equal_live_counts(app) {
        for summary in all_estates(app).await {
            let estate: EstateDetail = app.get_json(&format!("/api/v1/estates/{}", summary.id)).await;
            assert_eq!(estate.buildings_list.len() as i64, summary.buildings, "{}", summary.name);
            let mut homes = 0;
            for b in &estate.buildings_list {
                let building: BuildingDetail =
                    app.get_json(&format!("/api/v1/buildings/{}", b.id)).await;
                assert_eq!(building.units.len() as i64, b.homes, "{}", b.address);
                homes += building.units.len() as i64;
            }
            assert_eq!(homes, summary.homes, "{}", summary.name);
        }
    }
);

db_test!(
    async fn the_city_map_has_every_estate_and_building(app) {
        let estates = all_estates(app).await;
        let res = app.get("/api/v1/map/estates").await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers().get("content-type").and_then(|v| v.to_str().ok()),
            Some("application/geo+json")
        );
        let map: geojson::FeatureCollection = res.json().await.expect("GeoJSON");
        let estate_features = map
            .features
            .iter()
            .filter(|f| f.property("kind").and_then(|k| k.as_str()) == Some("estate"))
            .count();
        assert_eq!(estate_features, estates.len());
        let buildings: i64 = estates.iter().map(|e| e.buildings).sum();
        assert_eq!(map.features.len() as i64, estates.len() as i64 + buildings);
        for f in &map.features {
            let geometry = f.geometry.as_ref().expect("every feature has a geometry");
            if let geojson::Value::Point(p) = &geometry.value {
                LatLon::new(p[1], p[0]).expect("points on the globe");
            }
        }
    }
);

db_test!(
    async fn unknown_and_malformed_ids(app) {
        let p = app.get_problem("/api/v1/estates/999999", 404).await;
        assert_eq!(p.code, ErrorCode::NotFound);
        assert!(p.detail.unwrap_or_default().contains("999999"));
        let p = app.get_problem("/api/v1/buildings/999999", 404).await;
        assert_eq!(p.code, ErrorCode::NotFound);
        for bad in ["abc", "-3", "0", "1.5", "99999999999999999999"] {
            let p = app.get_problem(&format!("/api/v1/estates/{bad}"), 422).await;
            assert_eq!(p.errors[0].field, "id", "{bad}");
            assert_eq!(p.errors[0].code, "invalid_format", "{bad}");
        }
    }
);

/// An empty registry is a valid state: an empty list, an empty map.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_empty_registry_lists_nothing() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let app = TestApp::builder(backend).empty().spawn().await;
        let page: Page<EstateSummary> = app.get_json("/api/v1/estates").await;
        assert!(page.items.is_empty() && page.next.is_none(), "{backend:?}");
        let map: geojson::FeatureCollection = app.get_json("/api/v1/map/estates").await;
        assert!(map.features.is_empty(), "{backend:?}");
        let p = expect_problem(app.get("/api/v1/estates/1").await, 404).await;
        assert_eq!(p.code, ErrorCode::NotFound);
        app.shutdown().await;
    }
}
