//! The HTTP surface: one `Application::build` used by `main` and by the tests.
//!
//! Layout of the URL space:
//! - `/api/v1/…`         the JSON API (each domain's `routes::configure`), documented by OpenAPI
//! - `/api/openapi.json` the OpenAPI document, generated from the same handler declarations
//! - `/healthz`, `/readyz` liveness and readiness
//! - any other `/api/…`  problem+json 404 `route_not_found` (405 when only the method is wrong)
//! - everything else     the web app: a file of `CORTILE_WEB_DIR`, or its `index.html` so
//!   that deep links like `/estates/3` survive a reload

mod meta;
pub mod request_id;
mod spa;

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix_http::{HttpService, KeepAlive};
use actix_service::IntoServiceFactory;
use actix_web::dev::Server;
pub use actix_web::dev::ServerHandle;
use actix_web::http::{header, Method};
use actix_web::{web, App, HttpRequest, HttpResponse};
use cortile_shared::ErrorCode;
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

use crate::config::Config;
use crate::db::Db;
use crate::error::{extractors, AppError};

/// What every handler can reach.
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    /// The OpenID provider, discovered at the first login that needs it (and again after a
    /// failed discovery).
    pub oidc: tokio::sync::OnceCell<crate::auth::oidc::OidcClient>,
    /// Images being decoded at once (each may take a few hundred MB and a core for a while).
    pub image_permits: tokio::sync::Semaphore,
    /// Sockets, the hub and the broker (chat and live updates).
    pub realtime: crate::realtime::Realtime,
}

/// Parses a numeric path id, reporting the field when it is not one.
pub fn parse_id(raw: &str, field: &str) -> Result<i64, AppError> {
    raw.parse::<i64>().ok().filter(|id| *id > 0).ok_or_else(|| {
        AppError::invalid(
            field,
            "invalid_format",
            format!("{field} must be a positive whole number, not {raw:?}"),
        )
    })
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Cortile API",
        description = "The JSON API of Cortile, the community platform for the tenants of public housing.\n\n\
            Errors are `application/problem+json` with a stable `code`. Lists use keyset pagination \
            (`?after=<next>&limit=`).",
        license(name = "AGPL-3.0-or-later")
    ),
    tags(
        (name = "registry", description = "Estates, buildings and units of the public registry"),
        (name = "meta", description = "Health, readiness and client configuration"),
        (name = "auth", description = "Login, sessions, my account, assisted mode"),
        (name = "tenancy", description = "Tenant files, applications, registry corrections"),
        (name = "audit", description = "The audit log"),
        (name = "communities", description = "Communities, posts, comments, reactions, the feed"),
        (name = "timebank", description = "The time bank's ledger: transfers, accounts, statements, staff corrections"),
        (name = "market", description = "Listings, exchanges, messages, reviews, organisations, the monthly report"),
        (name = "moderation", description = "Flags, the moderation queue, hiding, locking, bans"),
        (name = "chat", description = "Chat rooms, messages, blocks, help; the realtime socket `/ws`"),
        (name = "notifications", description = "In-app notifications"),
        (name = "uploads", description = "Images: uploaded, cleaned of metadata, attached to posts"),
        (name = "maintenance", description = "Maintenance reports, their thread and status, the views of residents, committees and staff, planned works"),
    )
)]
struct ApiDoc;

/// Why the server could not start; `main` prints it as one line and exits 2.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error("CORTILE_BIND: cannot listen on {addr}: {message}")]
    Bind { addr: SocketAddr, message: String },
    #[error("demo data could not be loaded: {0}")]
    Seed(String),
    /// A setting that names something unusable (one line, naming the variable).
    #[error("{0}")]
    Setting(String),
    #[error("start-up task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// A server bound to its port, not yet running.
pub struct Application {
    server: Server,
    addr: SocketAddr,
    db: Db,
}

/// Builds the actix `App` (routes, OpenAPI, middleware) over a shared state.
fn openapi_and_routes(
    state: web::Data<AppState>,
) -> App<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(
            utoipa_actix_web::scope(cortile_shared::API_PREFIX)
                .configure(crate::registry::routes::configure)
                .configure(crate::auth::routes::configure)
                .configure(crate::timebank::routes::configure)
                .configure(crate::market::routes::configure)
                .configure(crate::chat::routes::configure)
                .configure(crate::tenancy::routes::configure)
                .configure(crate::audit::routes::configure)
                .configure(crate::communities::routes::configure)
                .configure(crate::notifications::routes::configure)
                .configure(crate::uploads::routes::configure)
                .configure(crate::maintenance::routes::configure)
                .configure(meta::configure)
                .default_service(web::to(api_not_found)),
        )
        .split_for_parts();
    let api = meta::finish_openapi(api);
    let known = Arc::new(KnownRoutes::from_openapi(&api));
    let openapi_json = web::Data::new(meta::OpenApiJson(
        api.to_pretty_json().unwrap_or_else(|_| "{}".into()),
    ));
    let web_dir = state.config.web_dir.clone();
    app.app_data(state)
        .app_data(openapi_json)
        .app_data(web::Data::from(known))
        .app_data(web::JsonConfig::default().error_handler(extractors::json))
        .app_data(web::QueryConfig::default().error_handler(extractors::query))
        .app_data(web::PathConfig::default().error_handler(extractors::path))
        .route("/api/openapi.json", web::get().to(meta::openapi_json))
        .route("/healthz", web::get().to(meta::healthz))
        .configure(crate::open311::routes::configure)
        .route("/readyz", web::get().to(meta::readyz))
        .service(web::scope("/api").default_service(web::to(api_not_found)))
        .default_service(spa::service(web_dir))
        .wrap(actix_web::middleware::from_fn(
            crate::auth::csrf::middleware,
        ))
        .wrap(actix_web::middleware::from_fn(request_id::middleware))
}

impl Application {
    /// Opens the database (running migrations), loads demo data if asked, binds the port.
    pub async fn build(config: Config) -> Result<Application, StartError> {
        config.prepare_data_dir()?;
        let pool_size = u32::try_from(config.workers * 4).unwrap_or(16).clamp(4, 32);
        let database = config.database.clone();
        let db = tokio::task::spawn_blocking(move || Db::open(&database, pool_size)).await??;
        if let Some(scale) = config.seed_demo {
            let seeding = db.clone();
            let people = config.seed_demo_people;
            let report = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
                let mut conn = seeding.get().map_err(|e| anyhow::anyhow!("{e}"))?;
                let report = crate::registry::demo::seed(&mut conn, scale)?;
                if people {
                    let now = chrono::Utc::now().naive_utc();
                    if let Some(p) = crate::registry::demo_people::seed(&mut conn, scale, now)? {
                        tracing::info!(
                            persons = p.persons,
                            applications = p.applications,
                            accounts = p.accounts,
                            "demo people and accounts loaded"
                        );
                    }
                }
                Ok(report)
            })
            .await?
            .map_err(|e| StartError::Seed(format!("{e:#}")))?;
            match report {
                Some(r) => tracing::info!(
                    estates = r.estates,
                    buildings = r.buildings,
                    units = r.units,
                    "demo data loaded"
                ),
                None => tracing::info!("registry already has data; demo data not loaded"),
            }
        }
        // Every estate and building has its community (the registry may have grown since).
        let syncing = db.clone();
        let created = tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
            let mut conn = syncing.get().map_err(|e| anyhow::anyhow!("{e}"))?;
            crate::communities::sync_vertical(&mut conn, chrono::Utc::now().naive_utc())
                .map_err(|e| anyhow::anyhow!("{e}"))
        })
        .await?
        .map_err(|e| StartError::Seed(format!("communities: {e:#}")))?;
        if created > 0 {
            tracing::info!(created, "communities of estates and buildings created");
        }
        spa::check_web_dir(&config.web_dir);
        let email = match &config.smtp_url {
            Some(url) => Some(
                crate::outbox::email::Mailer::new(url, &config.smtp_from)
                    .map_err(StartError::Setting)?,
            ),
            None => None,
        };
        let io = match &config.io {
            Some((url, key)) => {
                Some(crate::outbox::io::IoClient::new(url, key).map_err(StartError::Setting)?)
            }
            None => None,
        };
        if email.is_some() {
            crate::notifications::digest::spawn(
                db.clone(),
                config.digest_hour,
                std::time::Duration::from_secs(60),
            );
        }
        crate::maintenance::spawn_auto_close(db.clone(), config.maintenance_autoclose_every);
        crate::outbox::spawn_worker(
            db.clone(),
            crate::outbox::Adapters { email, io },
            config.outbox_poll,
        );

        let listener = TcpListener::bind(config.bind).map_err(|e| StartError::Bind {
            addr: config.bind,
            message: e.to_string(),
        })?;
        let addr = listener.local_addr().map_err(|e| StartError::Bind {
            addr: config.bind,
            message: e.to_string(),
        })?;
        let workers = config.workers;
        let realtime = crate::realtime::Realtime::start(db.clone(), &config.database);
        let state = web::Data::new(AppState {
            realtime,
            db: db.clone(),
            config: Arc::new(config),
            oidc: tokio::sync::OnceCell::new(),
            image_permits: tokio::sync::Semaphore::new(workers.clamp(1, 4)),
        });
        // actix-web's `HttpServer`, built by hand from its layers (actix-server, actix-http) for
        // one thing it does not offer: the upgrade hook, through which the realtime socket takes
        // its connection over (see `realtime::ws::upgrade`). The settings are HttpServer's
        // defaults, plus TCP_NODELAY (small frames must not wait for the peer's ACK).
        let builder = actix_server::Server::build();
        let shutdown = builder.graceful_shutdown_signal();
        {
            let realtime = state.realtime.clone();
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                shutdown.notified().await;
                realtime.hub().close_all();
            });
        }
        let server = builder
            .workers(workers)
            .shutdown_timeout(10)
            .listen("cortile", listener, move || {
                let ws_state = state.clone();
                let shutdown = shutdown.clone();
                HttpService::build()
                    .keep_alive(KeepAlive::default())
                    .client_request_timeout(Duration::from_secs(5))
                    .client_disconnect_timeout(Duration::from_secs(1))
                    .h1_allow_half_closed(true)
                    .tcp_nodelay(true)
                    .local_addr(addr)
                    // What HttpServer passes too: idle keep-alive connections close at shutdown.
                    .graceful_shutdown_signal(move || {
                        let s = shutdown.clone();
                        async move { s.notified().await }
                    })
                    .upgrade(actix_service::fn_service(move |io| {
                        crate::realtime::ws::upgrade(ws_state.clone(), io)
                    }))
                    .finish(actix_service::map_config(
                        openapi_and_routes(state.clone()).into_factory(),
                        move |_| actix_web::dev::AppConfig::default(),
                    ))
                    .tcp()
            })
            .map_err(|e| StartError::Bind {
                addr,
                message: e.to_string(),
            })?
            .run();
        Ok(Application { server, addr, db })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// A handle to stop the server (tests use it to shut down cleanly).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// The documented API routes, to tell "no such route" (404) from "wrong method" (405).
pub struct KnownRoutes {
    routes: Vec<(actix_web::dev::ResourceDef, Vec<Method>)>,
}

impl KnownRoutes {
    fn from_openapi(api: &utoipa::openapi::OpenApi) -> Self {
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods = Vec::new();
                for (m, op) in [
                    (Method::GET, &item.get),
                    (Method::POST, &item.post),
                    (Method::PUT, &item.put),
                    (Method::PATCH, &item.patch),
                    (Method::DELETE, &item.delete),
                ] {
                    if op.is_some() {
                        methods.push(m);
                    }
                }
                (actix_web::dev::ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        KnownRoutes { routes }
    }

    fn allowed_methods(&self, path: &str) -> Option<Vec<Method>> {
        self.routes
            .iter()
            .find(|(def, _)| def.is_match(path))
            .map(|(_, methods)| methods.clone())
    }
}

async fn api_not_found(req: HttpRequest, known: web::Data<KnownRoutes>) -> HttpResponse {
    use actix_web::ResponseError;
    match known.allowed_methods(req.path()) {
        Some(methods) if !methods.is_empty() => {
            let allow = methods
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            let mut res = AppError::new(ErrorCode::MethodNotAllowed)
                .with_detail(format!(
                    "{} is not allowed on {}; use {allow}",
                    req.method(),
                    req.path()
                ))
                .error_response();
            if let Ok(value) = header::HeaderValue::from_str(&allow) {
                res.headers_mut().insert(header::ALLOW, value);
            }
            res
        }
        _ => AppError::new(ErrorCode::RouteNotFound)
            .with_detail(format!(
                "no API route matches {} {}",
                req.method(),
                req.path()
            ))
            .error_response(),
    }
}
