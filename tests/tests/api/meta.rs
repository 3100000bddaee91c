//! The house: health, readiness, OpenAPI coverage, errors for unknown routes, the SPA fallback.

use cortile_shared::meta::{ClientConfig, Health, Readiness};
use cortile_shared::registry::EstateSummary;
use cortile_shared::{ErrorCode, Page};
use cortile_tests::{db_test, expect_problem};
use reqwest::Method;

db_test!(
    async fn health_and_readiness(app) {
        let h: Health = app.get_json("/healthz").await;
        assert_eq!(h.status, "ok");
        let r: Readiness = app.get_json("/readyz").await;
        assert_eq!(r.status, "ready");
        assert_eq!(r.database, "ok");
        let expected = match app.backend {
            cortile_tests::Backend::Sqlite => "sqlite",
            cortile_tests::Backend::Postgres => "postgres",
        };
        assert_eq!(r.database_kind, expected);
        let c: ClientConfig = app.get_json("/api/v1/meta").await;
        assert_eq!(c.version, h.version);
        assert!(c.map_tiles.is_none(), "tests run without map tiles");
    }
);

db_test!(
    /// Every route in the OpenAPI document answers (none is a dangling entry), and the document
    /// names every route the server has (they are declared together; this proves the wiring).
    async fn openapi_covers_every_route(app) {
        let doc: serde_json::Value = app.get_json("/api/openapi.json").await;
        assert!(doc["openapi"].as_str().unwrap_or("").starts_with("3."));
        let paths = doc["paths"].as_object().expect("paths");
        // The public routes answer anyone; the others are walked role by role in `access`.
        const PUBLIC: [&str; 8] = [
            "/api/openapi.json",
            "/api/v1/buildings/{id}",
            "/api/v1/estates",
            "/api/v1/estates/{id}",
            "/api/v1/map/estates",
            "/api/v1/meta",
            "/healthz",
            "/readyz",
        ];
        for path in PUBLIC {
            assert!(paths.contains_key(path), "{path} is documented");
        }
        let page: Page<EstateSummary> = app.get_json("/api/v1/estates?limit=1").await;
        let estate_id = page.items[0].id;
        let detail: serde_json::Value =
            app.get_json(&format!("/api/v1/estates/{estate_id}")).await;
        let building_id = detail["buildings_list"][0]["id"].as_i64().expect("a building");
        for (path, item) in paths.iter().filter(|(p, _)| PUBLIC.contains(&p.as_str())) {
            for method in item.as_object().expect("path item").keys() {
                let concrete = path
                    .replace("/estates/{id}", &format!("/estates/{estate_id}"))
                    .replace("/buildings/{id}", &format!("/buildings/{building_id}"));
                let m = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
                let res = app.request(m, &concrete).await;
                assert_eq!(res.status(), 200, "{method} {concrete}");
                let responses = item[method]["responses"].as_object().expect("responses");
                assert!(responses.contains_key("200"), "{method} {path} documents its 200");
            }
        }
        for schema in ["Problem", "ErrorCode", "EstateSummary", "EstateDetail", "BuildingDetail"] {
            assert!(
                doc["components"]["schemas"][schema].is_object(),
                "schema {schema} is documented"
            );
        }
    }
);

db_test!(
    async fn unknown_api_paths_are_problems_not_the_app(app) {
        for path in ["/api/v1/nope", "/api/v2/estates", "/api/whatever", "/api/v1/estates/1/x"] {
            let p = app.get_problem(path, 404).await;
            assert_eq!(p.code, ErrorCode::RouteNotFound, "{path}");
            assert_eq!(p.type_, "urn:cortile:problem:route_not_found");
        }
        let res = app.request(Method::POST, "/api/v1/estates").await;
        assert_eq!(
            res.headers().get("allow").and_then(|v| v.to_str().ok()),
            Some("GET")
        );
        let p = expect_problem(res, 405).await;
        assert_eq!(p.code, ErrorCode::MethodNotAllowed);
        let p = expect_problem(app.request(Method::DELETE, "/api/v1/estates/1").await, 405).await;
        assert_eq!(p.code, ErrorCode::MethodNotAllowed);
    }
);

db_test!(
    async fn other_paths_serve_the_web_app_for_deep_links(app) {
        for path in ["/", "/estates/3", "/buildings/7", "/some/unknown/page"] {
            let res = app.get(path).await;
            assert_eq!(res.status(), 200, "{path}");
            assert!(res
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .starts_with("text/html"));
            let body = res.text().await.expect("body");
            assert!(body.contains("<!-- test-index -->"), "{path} served {body}");
        }
        let css = app.get("/assets/app.css").await;
        assert_eq!(css.status(), 200);
        assert_eq!(css.text().await.expect("css"), "body{}");
        assert_eq!(app.get("/assets/missing.js").await.status(), 404);
        let outside = app.get("/../Cargo.toml").await;
        assert_eq!(outside.status(), 404, "a file outside the web folder is not served");
        assert!(!outside.text().await.expect("body").contains("[workspace]"));
        let escaped = app.get("/%2e%2e/%2e%2e/etc/passwd").await;
        let body = escaped.text().await.expect("body");
        assert!(!body.contains("root:"), "path traversal");
    }
);

db_test!(
    async fn every_response_carries_a_request_id(app) {
        let res = app.get("/api/v1/estates").await;
        let id = res
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .expect("x-request-id")
            .to_owned();
        assert_eq!(id.len(), 36, "a UUID: {id}");
        let res = app
            .client
            .get(app.url("/api/v1/nope"))
            .header("x-request-id", "trace-abc_123")
            .send()
            .await
            .expect("request");
        assert_eq!(
            res.headers().get("x-request-id").and_then(|v| v.to_str().ok()),
            Some("trace-abc_123"),
            "a sane incoming id is kept"
        );
        let res = app
            .client
            .get(app.url("/healthz"))
            .header("x-request-id", "bad id with spaces")
            .send()
            .await
            .expect("request");
        let echoed = res.headers().get("x-request-id").and_then(|v| v.to_str().ok());
        assert_ne!(echoed, Some("bad id with spaces"));
    }
);

db_test!(
    async fn malformed_json_bodies_are_rejected_cleanly(app) {
        // No write route exists yet; a JSON body sent to a read route must not cause a 500.
        let res = app
            .client
            .post(app.url("/api/v1/meta"))
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .expect("request");
        assert!(res.status().is_client_error(), "{}", res.status());
    }
);

/// `/readyz` tells a load balancer to stop sending traffic when the database goes away, while
/// `/healthz` (the process is alive) still answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_fails_when_the_database_goes_away() {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;

    let app = cortile_tests::TestApp::spawn(cortile_tests::Backend::Postgres).await;
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    let cortile::config::DatabaseUrl::Postgres(url) = &app.db.url else {
        panic!("a PostgreSQL test database")
    };
    let name = url.rsplit('/').next().expect("database name").to_owned();
    let mut admin = diesel::PgConnection::establish(&format!(
        "{}/postgres",
        cortile_tests::postgres_base_url()
    ))
    .expect("admin connection");
    admin
        .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .expect("drop the database under the server");
    let res = app.get("/readyz").await;
    assert_eq!(res.status(), 503);
    let r: Readiness = res.json().await.expect("readiness body");
    assert_eq!(r.status, "not_ready");
    assert_ne!(r.database, "ok");
    assert_eq!(app.get("/healthz").await.status(), 200);
    let p = expect_problem(app.get("/api/v1/estates").await, 503).await;
    assert_eq!(p.code, ErrorCode::ServiceUnavailable);
    app.shutdown().await;
}
