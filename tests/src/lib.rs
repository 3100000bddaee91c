//! The test harness of Cortile (after zero-to-production's `spawn_app` and crates.io's `TestApp`).
//!
//! [`TestApp::spawn`] starts the real server in-process on port 0 with a fresh database: a new
//! SQLite file in a temporary folder, or a new PostgreSQL database created for the test and
//! dropped afterwards. [`db_test!`] writes one test body and runs it on both backends, so "works on
//! both" is the default.
//!
//! PostgreSQL is reached at `CORTILE_TEST_POSTGRES` (default `postgres://postgres@127.0.0.1:5432`);
//! `cargo xtask test` makes sure one answers there.

use std::path::{Path, PathBuf};

use cortile::config::DatabaseUrl;
use cortile::registry::demo::Scale;
use cortile::{Application, Config};
use cortile_shared::auth::Me;
use cortile_shared::Problem;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use serde::de::DeserializeOwned;

pub use cortile::registry::demo_export as export;
pub mod bench;
pub mod images;
pub mod io_server;
pub mod ledger;
pub mod oidc;
pub mod smtp;
pub mod ws;

pub use cortile;
pub use cortile_shared;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server the tests use (without a database name).
pub fn postgres_base_url() -> String {
    std::env::var("CORTILE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
        .trim_end_matches('/')
        .to_owned()
}

/// A database made for one test: a SQLite file in a temporary folder or a PostgreSQL database.
/// Dropping it removes it.
pub struct TestDatabase {
    pub backend: Backend,
    pub url: DatabaseUrl,
    pub dir: PathBuf,
    pg_name: Option<String>,
}

impl TestDatabase {
    pub fn create(backend: Backend) -> TestDatabase {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let dir = std::env::temp_dir().join(format!("cortile-test-{id}"));
        std::fs::create_dir_all(&dir).expect("create the test folder");
        match backend {
            Backend::Sqlite => TestDatabase {
                backend,
                url: DatabaseUrl::Sqlite(dir.join("cortile.db")),
                dir,
                pg_name: None,
            },
            Backend::Postgres => {
                let name = format!("cortile_test_{id}");
                let base = postgres_base_url();
                let mut admin = PgConnection::establish(&format!("{base}/postgres"))
                    .unwrap_or_else(|e| {
                        panic!(
                            "PostgreSQL is not reachable at {base} ({e}); \
                             run the tests with `cargo xtask test`, which starts it"
                        )
                    });
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create the test database");
                TestDatabase {
                    backend,
                    url: DatabaseUrl::Postgres(format!("{base}/{name}")),
                    dir,
                    pg_name: Some(name),
                }
            }
        }
    }

    /// Another's database (a folder of its own, nothing dropped at the end).
    pub fn borrow(backend: Backend, url: DatabaseUrl) -> TestDatabase {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let dir = std::env::temp_dir().join(format!("cortile-test-{id}"));
        std::fs::create_dir_all(&dir).expect("create the test folder");
        TestDatabase {
            backend,
            url,
            dir,
            pg_name: None,
        }
    }

    /// The URL as `DATABASE_URL` would spell it.
    pub fn url_string(&self) -> String {
        match &self.url {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => url.clone(),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name {
            if let Ok(mut admin) =
                PgConnection::establish(&format!("{}/postgres", postgres_base_url()))
            {
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A running server with a fresh database, and an HTTP client pointed at it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub backend: Backend,
    handle: cortile::http::ServerHandle,
    pub db: TestDatabase,
    pub web_dir: PathBuf,
}

/// A change to the server's configuration, made before it starts.
type ConfigEdit = Box<dyn FnOnce(&mut Config)>;

/// How to start a [`TestApp`].
pub struct TestAppBuilder {
    backend: Backend,
    seed: Option<Scale>,
    people: bool,
    web_dir: Option<PathBuf>,
    configure: Option<ConfigEdit>,
    /// Run on this (existing) database instead of a fresh one.
    shared_db: Option<DatabaseUrl>,
}

impl TestAppBuilder {
    /// Start with an empty registry.
    pub fn empty(mut self) -> Self {
        self.seed = None;
        self
    }

    /// Load the demo registry at this scale (the default is `Scale::Small`).
    pub fn seed(mut self, scale: Scale) -> Self {
        self.seed = Some(scale);
        self
    }

    /// Also load the demo households, persons, applications and one account per role
    /// (`cortile_tests::DEMO_PASSWORD`).
    pub fn people(mut self) -> Self {
        self.people = true;
        self
    }

    /// Changes the server's configuration before it starts.
    pub fn configure(mut self, f: impl FnOnce(&mut Config) + 'static) -> Self {
        self.configure = Some(Box::new(f));
        self
    }

    /// Start a second server on the database of `other` (several processes, one site). Its
    /// database stays `other`'s: dropped when `other` is. Nothing is seeded again.
    pub fn same_database(mut self, other: &TestApp) -> Self {
        self.shared_db = Some(other.db.url.clone());
        self.seed = None;
        self.people = false;
        self
    }

    /// Serve this folder as the web app.
    pub fn web_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.web_dir = Some(dir.into());
        self
    }

    pub async fn spawn(self) -> TestApp {
        let db = match self.shared_db {
            Some(url) => TestDatabase::borrow(self.backend, url),
            None => TestDatabase::create(self.backend),
        };
        let web_dir = match self.web_dir {
            Some(dir) => dir,
            None => {
                // A stand-in index so that the SPA fallback can be observed without a WASM build.
                let dir = db.dir.join("web");
                std::fs::create_dir_all(dir.join("assets")).expect("web dir");
                std::fs::write(
                    dir.join("index.html"),
                    "<!doctype html><html lang=\"it\"><title>Cortile</title><!-- test-index --></html>",
                )
                .expect("index");
                std::fs::write(dir.join("assets/app.css"), "body{}").expect("css");
                dir
            }
        };
        let mut config = Config::for_tests(db.url.clone(), &db.dir.join("data"), &web_dir);
        config.seed_demo = self.seed;
        config.seed_demo_people = self.people;
        if let Some(f) = self.configure {
            f(&mut config);
        }
        let app = Application::build(config)
            .await
            .unwrap_or_else(|e| panic!("the server did not start on {:?}: {e}", self.backend));
        let address = format!("http://{}", app.local_addr());
        let handle = app.handle();
        tokio::spawn(app.run_until_stopped());
        TestApp {
            address,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("http client"),
            backend: self.backend,
            handle,
            db,
            web_dir,
        }
    }
}

impl TestApp {
    /// A server with the small demo registry loaded.
    pub async fn spawn(backend: Backend) -> TestApp {
        TestApp::builder(backend).spawn().await
    }

    pub fn builder(backend: Backend) -> TestAppBuilder {
        TestAppBuilder {
            backend,
            seed: Some(Scale::Small),
            people: false,
            web_dir: None,
            configure: None,
            shared_db: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    pub async fn request(&self, method: reqwest::Method, path: &str) -> reqwest::Response {
        self.client
            .request(method.clone(), self.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// GETs a path that must answer 200 with JSON, and decodes it.
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> T {
        let res = self.get(path).await;
        let status = res.status();
        let body = res.text().await.expect("body");
        assert_eq!(status, 200, "GET {path} answered {status}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
    }

    /// GETs a path that must fail with a problem+json body of the given status.
    pub async fn get_problem(&self, path: &str, status: u16) -> Problem {
        expect_problem(self.get(path).await, status).await
    }

    /// Logs in a demo account (see [`TestAppBuilder::people`]) with its own cookie jar.
    pub async fn login(&self, username: &str) -> Session {
        self.login_with(username, DEMO_PASSWORD).await
    }

    /// Logs in with a username and password, which must succeed.
    pub async fn login_with(&self, username: &str, password: &str) -> Session {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client");
        let res = client
            .post(self.url("/api/v1/auth/login"))
            .json(&serde_json::json!({"username": username, "password": password}))
            .send()
            .await
            .expect("login request");
        let status = res.status();
        let body = res.text().await.expect("body");
        assert_eq!(status, 200, "login as {username}: {body}");
        let me: Me = serde_json::from_str(&body).expect("a Me body");
        Session {
            client,
            csrf: me.csrf_token.clone(),
            me,
            base: self.address.clone(),
            jar,
        }
    }

    /// A session for a member made straight in the database ([`ledger::residents_with_sessions`]).
    pub async fn session_for(&self, member: &ledger::Member) -> Session {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let url = reqwest::Url::parse(&self.address).expect("the server's address");
        jar.add_cookie_str(
            &format!(
                "{}={}; Path=/",
                cortile::auth::session::SESSION_COOKIE,
                member.token
            ),
            &url,
        );
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client");
        let res = client
            .get(self.url("/api/v1/me"))
            .send()
            .await
            .expect("GET /api/v1/me");
        let me: Me = json_of(res, 200, "GET /api/v1/me").await;
        Session {
            client,
            csrf: member.csrf.clone(),
            me,
            base: self.address.clone(),
            jar,
        }
    }

    /// A client with an empty cookie jar (an anonymous visitor who keeps cookies).
    pub fn anonymous(&self) -> Session {
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        Session {
            jar: jar.clone(),
            client: reqwest::Client::builder()
                .cookie_provider(jar)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("http client"),
            csrf: String::new(),
            me: Me {
                id: cortile_shared::UserId(0),
                display_name: String::new(),
                username: None,
                fiscal_code: None,
                grants: Vec::new(),
                residence: None,
                assisting: None,
                csrf_token: String::new(),
                session: cortile_shared::SessionId(0),
                idle_expires_at: chrono::DateTime::UNIX_EPOCH,
                expires_at: chrono::DateTime::UNIX_EPOCH,
            },
            base: self.address.clone(),
        }
    }

    /// A direct connection to the test's database (for arranging and checking state).
    pub fn connect(&self) -> cortile::db::DbConn {
        cortile::db::Manager::new(self.db.url.clone())
            .open()
            .expect("connect to the test database")
    }

    /// Stops the server and removes its database.
    pub async fn shutdown(self) {
        self.handle.stop(true).await;
    }
}

/// The password of every demo account.
pub const DEMO_PASSWORD: &str = cortile::registry::demo_people::DEMO_PASSWORD;

/// A logged-in (or anonymous) browser-like client: keeps its cookies, sends the CSRF token on
/// every state-changing request.
pub struct Session {
    pub client: reqwest::Client,
    pub csrf: String,
    /// What login answered (empty for an anonymous session).
    pub me: Me,
    base: String,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
}

impl Session {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The `Cookie` header this session sends to its server.
    pub fn cookie_header(&self) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url = reqwest::Url::parse(&self.base).ok()?;
        self.jar
            .cookies(&url)
            .and_then(|v| v.to_str().ok().map(str::to_owned))
    }

    /// Opens the realtime socket from the site's own origin (see [`ws::WsClient`]).
    pub async fn ws(&self) -> ws::WsClient {
        self.ws_from(Some(ws::TEST_ORIGIN))
            .await
            .unwrap_or_else(|status| panic!("the socket answered {status}"))
    }

    /// Opens the realtime socket with this `Origin` (or none); `Err(status)` when refused.
    pub async fn ws_from(&self, origin: Option<&str>) -> Result<ws::WsClient, u16> {
        ws::WsClient::connect(&self.base, self.cookie_header().as_deref(), origin).await
    }

    /// Sends a request; JSON body if given; the CSRF header on anything but GET.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut req = self.client.request(method.clone(), self.url(path));
        if method != reqwest::Method::GET && !self.csrf.is_empty() {
            req = req.header("x-csrf-token", &self.csrf);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.send(reqwest::Method::GET, path, None).await
    }

    /// Sends raw bytes as the body (a file), with the CSRF header.
    pub async fn send_bytes(
        &self,
        method: reqwest::Method,
        path: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .request(method.clone(), self.url(path))
            .header("content-type", content_type)
            .body(bytes);
        if !self.csrf.is_empty() {
            req = req.header("x-csrf-token", &self.csrf);
        }
        req.send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// Uploads a file as an image (`POST /api/v1/uploads`).
    pub async fn upload(&self, content_type: &str, bytes: Vec<u8>) -> reqwest::Response {
        self.send_bytes(
            reqwest::Method::POST,
            "/api/v1/uploads",
            content_type,
            bytes,
        )
        .await
    }

    /// Sends a request with extra headers (e.g. `Idempotency-Key`); the CSRF header on
    /// anything but GET.
    pub async fn send_with(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = self.client.request(method.clone(), self.url(path));
        if method != reqwest::Method::GET && !self.csrf.is_empty() {
            req = req.header("x-csrf-token", &self.csrf);
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }

    /// POSTs a JSON body with an `Idempotency-Key`.
    pub async fn post_keyed(
        &self,
        path: &str,
        key: &str,
        body: serde_json::Value,
    ) -> reqwest::Response {
        self.send_with(
            reqwest::Method::POST,
            path,
            Some(body),
            &[("idempotency-key", key)],
        )
        .await
    }

    pub async fn post(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.send(reqwest::Method::DELETE, path, None).await
    }

    /// GETs a path that must answer 200 with JSON, and decodes it.
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> T {
        json_of(self.get(path).await, 200, path).await
    }
}

/// Checks the status of a response and decodes its JSON body.
pub async fn json_of<T: DeserializeOwned>(res: reqwest::Response, status: u16, what: &str) -> T {
    let got = res.status().as_u16();
    let body = res.text().await.expect("body");
    assert_eq!(got, status, "{what} answered {got}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{what}: {e}: {body}"))
}

/// Checks a response is a problem+json with the given status, and decodes it.
pub async fn expect_problem(res: reqwest::Response, status: u16) -> Problem {
    let got = res.status().as_u16();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body = res.text().await.expect("body");
    assert_eq!(got, status, "unexpected status; body: {body}");
    assert_eq!(
        content_type, "application/problem+json",
        "not a problem document: {body}"
    );
    let problem: Problem = serde_json::from_str(&body).expect("a problem body");
    assert_eq!(problem.status, status, "status member of {body}");
    problem
}

/// The workspace root (where `Cargo.toml` of the workspace is).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_owned()
}

/// Writes one test body and runs it against a fresh server on SQLite and on PostgreSQL.
///
/// ```text
/// db_test!(async fn lists_estates(app) {
///     let page: Page<EstateSummary> = app.get_json("/api/v1/estates").await;
///     assert!(!page.items.is_empty());
/// });
/// ```
#[macro_export]
macro_rules! db_test {
    ($(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($app: &$crate::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::TestApp::spawn($crate::Backend::Sqlite).await;
                body(&app).await;
                app.shutdown().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = $crate::TestApp::spawn($crate::Backend::Postgres).await;
                body(&app).await;
                app.shutdown().await;
            }
        }
    };
}

/// Like [`db_test!`], with the demo people and one account per role loaded
/// ([`TestAppBuilder::people`]), so a test can `app.login("staff")`.
#[macro_export]
macro_rules! people_test {
    ($(#[$meta:meta])* async fn $name:ident($app:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn body($app: &$crate::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::TestApp::builder($crate::Backend::Sqlite).people().spawn().await;
                body(&app).await;
                app.shutdown().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = $crate::TestApp::builder($crate::Backend::Postgres).people().spawn().await;
                body(&app).await;
                app.shutdown().await;
            }
        }
    };
}

/// An account without a password for a person of the registry (found by fiscal code), named
/// as the registry names them: (user id, display name). Tests that need many residents make
/// them this way rather than through the login.
pub fn registry_account(
    conn: &mut cortile::db::DbConn,
    fiscal_code: &str,
    given_name: &str,
    surname: &str,
    now: chrono::NaiveDateTime,
) -> (i64, String) {
    let name = format!("{given_name} {surname}");
    let id = cortile::auth::store::insert_user(
        conn,
        &cortile::auth::store::NewUser {
            username: None,
            display_name: &name,
            password_hash: None,
            fiscal_code: Some(fiscal_code),
        },
        now,
    )
    .expect("an account for a person of the registry");
    (id, name)
}
