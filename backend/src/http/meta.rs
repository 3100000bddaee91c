//! Health, readiness, client configuration and the OpenAPI document.

use actix_web::{get, web, HttpResponse};
use cortile_shared::meta::{ClientConfig, Health, Readiness};

use super::AppState;

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(client_config);
}

pub struct OpenApiJson(pub String);

/// Adds the routes that live outside `/api/v1` to the document.
pub fn finish_openapi(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    use utoipa::openapi::path::{HttpMethod, OperationBuilder, PathItem};
    use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
    let json_response = |desc: &str, schema: &str| {
        ResponseBuilder::new()
            .description(desc)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name(schema)))
                    .build(),
            )
            .build()
    };
    let op = |id: &str, summary: &str, responses: Vec<(&str, utoipa::openapi::Response)>| {
        let mut b = OperationBuilder::new()
            .operation_id(Some(id))
            .summary(Some(summary))
            .tag("meta");
        for (code, r) in responses {
            b = b.response(code, r);
        }
        b.build()
    };
    api.paths.paths.insert(
        "/healthz".into(),
        PathItem::new(
            HttpMethod::Get,
            op(
                "healthz",
                "The process is alive",
                vec![("200", json_response("Alive", "Health"))],
            ),
        ),
    );
    api.paths.paths.insert(
        "/readyz".into(),
        PathItem::new(
            HttpMethod::Get,
            op(
                "readyz",
                "The database answers",
                vec![
                    ("200", json_response("Ready", "Readiness")),
                    ("503", json_response("Not ready", "Readiness")),
                ],
            ),
        ),
    );
    api.paths.paths.insert(
        "/api/openapi.json".into(),
        PathItem::new(
            HttpMethod::Get,
            op(
                "openapi",
                "This document",
                vec![(
                    "200",
                    ResponseBuilder::new()
                        .description("OpenAPI 3.1 document")
                        .build(),
                )],
            ),
        ),
    );
    let components = api.components.get_or_insert_with(Default::default);
    for (name, schema) in [
        ("Health", <Health as utoipa::PartialSchema>::schema()),
        ("Readiness", <Readiness as utoipa::PartialSchema>::schema()),
    ] {
        components.schemas.insert(name.into(), schema);
    }
    api
}

pub async fn openapi_json(doc: web::Data<OpenApiJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(doc.0.clone())
}

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".into(),
        version: VERSION.into(),
    })
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let kind = state.db.kind().as_str().to_owned();
    match state.db.ping().await {
        Ok(()) => HttpResponse::Ok().json(Readiness {
            status: "ready".into(),
            database: "ok".into(),
            database_kind: kind,
        }),
        Err(e) => HttpResponse::ServiceUnavailable().json(Readiness {
            status: "not_ready".into(),
            database: e.to_string(),
            database_kind: kind,
        }),
    }
}

/// What the web app needs to know about this server (version, map tiles).
#[utoipa::path(
    tag = "meta",
    responses((status = 200, description = "Client configuration", body = ClientConfig))
)]
#[get("/meta")]
pub async fn client_config(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(ClientConfig {
        version: VERSION.into(),
        map_tiles: state.config.map_tiles.clone(),
    })
}
