//! Browser journeys in headless Chromium, driven through chromedriver (WebDriver), against the
//! real server and the real WASM app, on SQLite and on PostgreSQL.
//!
//! Needs the built web app and a browser; `cargo xtask test` provides them through
//! `CORTILE_TEST_WEB_DIR`, `CORTILE_TEST_CHROMIUM`, `CORTILE_TEST_CHROMEDRIVER` and
//! `CORTILE_TEST_AXE` (axe-core's `axe.min.js`).

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cortile_shared::registry::{EstateDetail, EstateSummary};
use cortile_shared::Page;
use cortile_tests::{Backend, TestApp};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

fn required_env(name: &str) -> PathBuf {
    let value = std::env::var_os(name).unwrap_or_else(|| {
        panic!("{name} is not set: run the browser journeys with `cargo xtask test`")
    });
    let path = PathBuf::from(value);
    assert!(path.exists(), "{name}={} does not exist", path.display());
    path
}

/// A chromedriver process on a free port, killed on drop.
struct Driver {
    child: Child,
    port: u16,
    profile: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

async fn start_browser() -> (Driver, Client) {
    let chromedriver = required_env("CORTILE_TEST_CHROMEDRIVER");
    let chromium = required_env("CORTILE_TEST_CHROMIUM");
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let profile = std::env::temp_dir().join(format!("cortile-chrome-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&profile).expect("profile dir");
    let child = Command::new(&chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver {
        child,
        port,
        profile,
    };
    let caps = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--lang=it-IT",
                format!("--user-data-dir={}", driver.profile.display()),
            ]
        }
    });
    let caps = match caps {
        serde_json::Value::Object(map) => map,
        _ => unreachable!("a JSON object"),
    };
    let started = Instant::now();
    let client = loop {
        let attempt = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await;
        match attempt {
            Ok(client) => break client,
            Err(e) if started.elapsed() > Duration::from_secs(30) => {
                panic!("chromedriver did not start a browser: {e}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    };
    (driver, client)
}

/// Runs a journey on SQLite and on PostgreSQL, as two tests named `<name>_on_sqlite` and
/// `<name>_on_postgres`.
macro_rules! on_both_databases {
    ($name:ident, $journey:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                super::$journey(super::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                super::$journey(super::Backend::Postgres).await;
            }
        }
    };
}

/// Polls a JavaScript expression until it returns a truthy value.
async fn wait_for_js(client: &Client, expr: &str, what: &str) -> serde_json::Value {
    let started = Instant::now();
    loop {
        let value = client
            .execute(&format!("return ({expr});"), vec![])
            .await
            .unwrap_or(serde_json::Value::Null);
        let truthy = match &value {
            serde_json::Value::Null => false,
            serde_json::Value::Bool(b) => *b,
            serde_json::Value::Number(n) => n.as_f64() != Some(0.0),
            serde_json::Value::String(s) => !s.is_empty(),
            _ => true,
        };
        if truthy {
            return value;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let html = client.source().await.unwrap_or_default();
            let cut: String = html.chars().take(3000).collect();
            panic!("timed out waiting for {what} ({expr}); page:\n{cut}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn text_of(client: &Client, selector: &str) -> String {
    client
        .find(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("{selector}: {e}"))
        .text()
        .await
        .expect("text")
}

/// Runs axe-core on the current page and returns its violations (id, impact, first targets).
async fn axe_violations(client: &Client) -> Vec<serde_json::Value> {
    let axe = std::fs::read_to_string(required_env("CORTILE_TEST_AXE")).expect("axe.min.js");
    client.execute(&axe, vec![]).await.expect("inject axe-core");
    let result = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then(r => done(JSON.stringify(r.violations.map(v => ({
                   id: v.id, impact: v.impact, help: v.help,
                   targets: v.nodes.slice(0, 5).map(n => n.target.join(' '))
               })))))
               .catch(e => done('axe failed: ' + e));",
            vec![],
        )
        .await
        .expect("run axe-core");
    let text = result.as_str().expect("a string from axe").to_owned();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("{text}"))
}

async fn journey(backend: Backend) {
    let web_dir = required_env("CORTILE_TEST_WEB_DIR");
    assert!(
        web_dir.join("index.html").is_file(),
        "the web app is not built"
    );
    let app = TestApp::builder(backend).web_dir(&web_dir).spawn().await;
    let page: Page<EstateSummary> = app.get_json("/api/v1/estates?limit=200").await;
    let gratosoglio = page
        .items
        .iter()
        .find(|e| e.name == "Gratosoglio")
        .expect("Gratosoglio")
        .clone();
    let detail: EstateDetail = app
        .get_json(&format!("/api/v1/estates/{}", gratosoglio.id))
        .await;

    // The estates are not in the static page: whatever the browser shows came from the API.
    let shell = app.get("/").await.text().await.expect("index.html");
    for e in &page.items {
        assert!(!shell.contains(&e.name), "{} is in the static HTML", e.name);
    }

    let (_driver, client) = start_browser().await;

    // Home page, Italian by default, estates fetched and rendered by the WASM app.
    client.goto(&app.url("/")).await.expect("open home");
    wait_for_js(
        &client,
        &format!(
            "document.querySelectorAll('[data-testid=estate-row]').length === {}",
            page.items.len()
        ),
        "every estate in the list",
    )
    .await;
    let list = text_of(&client, "[data-testid=estate-list]").await;
    for e in &page.items {
        assert!(list.contains(&e.name), "{} is not listed", e.name);
    }
    let lang = wait_for_js(&client, "document.documentElement.lang", "html lang").await;
    assert_eq!(lang, "it");
    let title_it = text_of(&client, "[data-testid=page-title]").await;
    assert!(title_it.contains("Cortile"), "{title_it}");

    // The map draws every estate's shape even with no tiles (tiles are off in tests).
    wait_for_js(
        &client,
        &format!(
            "document.querySelectorAll('[data-testid=map] path.leaflet-interactive').length >= {}",
            page.items.len()
        ),
        "estate shapes on the map",
    )
    .await;
    let tiles = client
        .execute(
            "return document.querySelectorAll('img.leaflet-tile').length;",
            vec![],
        )
        .await
        .expect("count tiles");
    assert_eq!(tiles, json!(0), "no tiles are requested when tiles are off");

    // Accessibility of the home page.
    let violations = axe_violations(&client).await;
    assert!(
        violations.is_empty(),
        "axe-core on the home page: {violations:#?}"
    );

    // Follow the link to an estate.
    let link = client
        .find(Locator::XPath(
            "//*[@data-testid='estate-row']//a[normalize-space()='Gratosoglio']",
        ))
        .await
        .expect("a link to Gratosoglio");
    // Bootstrap animates scrolling (`scroll-behavior: smooth`); WebDriver computes the click
    // point before the animation ends. Scroll instantly in the driven page.
    client
        .execute(
            "document.documentElement.style.scrollBehavior = 'auto';
             arguments[0].scrollIntoView({block: 'center'});",
            vec![serde_json::to_value(&link).expect("element reference")],
        )
        .await
        .expect("scroll to the link");
    if let Err(e) = link.click().await {
        let what = client
            .execute(
                "const r = arguments[0].getBoundingClientRect();
                 const el = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
                 return JSON.stringify(r) + ' innerHeight=' + window.innerHeight + ' ' + (el ? el.outerHTML.slice(0, 400) : 'none');",
                vec![serde_json::to_value(&link).expect("element reference")],
            )
            .await;
        panic!("click on the estate link failed: {e}; at its centre: {what:?}");
    }
    wait_for_js(
        &client,
        "(document.querySelector('[data-testid=estate-title]') || {}).textContent === 'Gratosoglio'",
        "the estate page",
    )
    .await;
    let url = client.current_url().await.expect("url");
    assert_eq!(url.path(), format!("/estates/{}", gratosoglio.id));
    wait_for_js(
        &client,
        &format!(
            "document.querySelectorAll('[data-testid=building-row]').length === {}",
            detail.buildings_list.len()
        ),
        "the estate's buildings",
    )
    .await;
    let violations = axe_violations(&client).await;
    assert!(
        violations.is_empty(),
        "axe-core on the estate page: {violations:#?}"
    );

    // A deep link survives a reload.
    client.refresh().await.expect("reload");
    wait_for_js(
        &client,
        "(document.querySelector('[data-testid=estate-title]') || {}).textContent === 'Gratosoglio'",
        "the estate page after a reload",
    )
    .await;

    // A building, opened directly.
    let building = &detail.buildings_list[0];
    client
        .goto(&app.url(&format!("/buildings/{}", building.id)))
        .await
        .expect("open building");
    let title = wait_for_js(
        &client,
        "(document.querySelector('[data-testid=page-title]') || {}).textContent",
        "the building page",
    )
    .await;
    assert!(
        title.as_str().unwrap_or("").contains(&building.address),
        "building title {title} names {}",
        building.address
    );

    // An unknown page says so.
    client.goto(&app.url("/no/such/page")).await.expect("open");
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=not-found]')",
        "not found",
    )
    .await;
    // An estate that does not exist says so too, not a blank page.
    client
        .goto(&app.url("/estates/999999"))
        .await
        .expect("open");
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=not-found]')",
        "estate not found",
    )
    .await;

    // Switch to English; the choice is remembered across a reload.
    client.goto(&app.url("/")).await.expect("open home");
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=lang-en]')",
        "switcher",
    )
    .await;
    client
        .find(Locator::Css("[data-testid=lang-en]"))
        .await
        .expect("English button")
        .click()
        .await
        .expect("click English");
    wait_for_js(
        &client,
        "document.documentElement.lang === 'en'",
        "html lang=en",
    )
    .await;
    let title_en = text_of(&client, "[data-testid=page-title]").await;
    assert_ne!(title_en, title_it, "the title is translated");
    client.refresh().await.expect("reload");
    wait_for_js(
        &client,
        "document.querySelectorAll('[data-testid=estate-row]').length > 0",
        "the list after reload",
    )
    .await;
    let lang = wait_for_js(&client, "document.documentElement.lang", "html lang").await;
    assert_eq!(lang, "en", "the language choice is remembered");
    assert_eq!(text_of(&client, "[data-testid=page-title]").await, title_en);
    client
        .find(Locator::Css("[data-testid=lang-it]"))
        .await
        .expect("Italian button")
        .click()
        .await
        .expect("click Italian");
    wait_for_js(
        &client,
        "document.documentElement.lang === 'it'",
        "back to Italian",
    )
    .await;

    client.close().await.expect("close the browser");
    app.shutdown().await;
}

on_both_databases!(estates_journey, journey);

/// The element a CSS selector finds, or a failure naming the selector.
async fn element(client: &Client, selector: &str) -> fantoccini::elements::Element {
    client
        .find(Locator::Css(selector))
        .await
        .unwrap_or_else(|e| panic!("{selector}: {e}"))
}

/// Types into an input found by CSS.
async fn fill(client: &Client, selector: &str, text: &str) {
    let input = element(client, selector).await;
    input.clear().await.expect("clear");
    input.send_keys(text).await.expect("type");
}

/// Clicks an element found by CSS, scrolled into view first (see the estates journey).
async fn click(client: &Client, selector: &str) {
    let el = element(client, selector).await;
    client
        .execute(
            "document.documentElement.style.scrollBehavior = 'auto';
             arguments[0].scrollIntoView({block: 'center'});",
            vec![serde_json::to_value(&el).expect("element reference")],
        )
        .await
        .expect("scroll");
    el.click()
        .await
        .unwrap_or_else(|e| panic!("click {selector}: {e}"));
}

async fn no_axe_violations(client: &Client, page: &str) {
    let violations = axe_violations(client).await;
    assert!(violations.is_empty(), "axe-core on {page}: {violations:#?}");
}

/// Logs in with the local form.
async fn local_login(client: &Client, app: &TestApp, username: &str) {
    client.goto(&app.url("/accedi")).await.expect("open login");
    wait_for_js(
        client,
        "document.querySelector('[data-testid=login-submit]')",
        "the login form",
    )
    .await;
    fill(client, "#login-username", username).await;
    fill(client, "#login-password", cortile_tests::DEMO_PASSWORD).await;
    click(client, "[data-testid=login-submit]").await;
    wait_for_js(
        client,
        "document.querySelector('[data-testid=user-name]')",
        "signed in",
    )
    .await;
}

async fn logout(client: &Client) {
    click(client, "[data-testid=logout]").await;
    wait_for_js(
        client,
        "document.querySelector('[data-testid=login-link]')",
        "signed out",
    )
    .await;
}

/// Login with SPID/CIE (a real OpenID provider), the profile and sessions, assisted mode,
/// a tenant file opened with a purpose, and the audit log that recorded it all.
async fn access_journey(backend: Backend) {
    use cortile_tests::oidc::{demo_resident, spawn_with_provider};

    let web_dir = required_env("CORTILE_TEST_WEB_DIR");
    let resident = demo_resident();
    let (_provider, app) = spawn_with_provider(
        TestApp::builder(backend).people().web_dir(&web_dir),
        std::slice::from_ref(&resident),
    )
    .await;
    let (_driver, client) = start_browser().await;

    // The login page offers SPID/CIE; the resident logs in at the provider's own form.
    client.goto(&app.url("/accedi")).await.expect("open login");
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=login-oidc]')",
        "the SPID/CIE button",
    )
    .await;
    no_axe_violations(&client, "the login page").await;
    click(&client, "[data-testid=login-oidc]").await;
    wait_for_js(
        &client,
        "document.querySelector('input[name=login]')",
        "the provider's login form",
    )
    .await;
    fill(&client, "input[name=login]", &resident.login).await;
    fill(&client, "input[name=password]", &resident.password).await;
    click(&client, "button[type=submit]").await;

    // Back on Cortile: the registry knows where she lives.
    wait_for_js(
        &client,
        "(document.querySelector('[data-testid=profile-name]') || {}).textContent",
        "the profile after login",
    )
    .await;
    assert_eq!(client.current_url().await.expect("url").path(), "/profilo");
    assert!(text_of(&client, "[data-testid=profile-name]")
        .await
        .contains("Maria Rossi"));
    let home = text_of(&client, "[data-testid=profile-residence]").await;
    assert!(home.contains("San Siro"), "{home}");
    wait_for_js(
        &client,
        "document.querySelectorAll('[data-testid=session-row]').length >= 1",
        "sessions",
    )
    .await;
    no_axe_violations(&client, "the profile").await;
    // A reload keeps the session (the cookie is HttpOnly; the app asks the server).
    client.refresh().await.expect("reload");
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=profile-residence]')",
        "profile after reload",
    )
    .await;
    logout(&client).await;

    // An operator assists her on the phone: a banner the whole time.
    local_login(&client, &app, "operatore").await;
    client
        .goto(&app.url("/assistenza"))
        .await
        .expect("open assisted mode");
    let code = resident
        .fiscal_number
        .trim_start_matches("TINIT-")
        .to_owned();
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=assist-search-submit]')",
        "the assist search",
    )
    .await;
    fill(&client, "[data-testid=assist-search]", &code).await;
    click(&client, "[data-testid=assist-search-submit]").await;
    wait_for_js(
        &client,
        "document.querySelectorAll('[data-testid=assist-candidate]').length === 1",
        "the resident",
    )
    .await;
    fill(
        &client,
        "[data-testid=assist-purpose]",
        "telefonata al numero verde",
    )
    .await;
    click(&client, "[data-testid=assist-start]").await;
    let banner = wait_for_js(
        &client,
        "(document.querySelector('[data-testid=assist-banner]') || {}).textContent",
        "the assisted-mode banner",
    )
    .await;
    assert!(
        banner.as_str().unwrap_or("").contains("Maria Rossi"),
        "{banner}"
    );
    no_axe_violations(&client, "a page in assisted mode").await;
    client
        .goto(&app.url("/domanda"))
        .await
        .expect("open application");
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=assist-banner]')",
        "the banner on every page",
    )
    .await;
    click(&client, "[data-testid=assist-stop]").await;
    wait_for_js(
        &client,
        "!document.querySelector('[data-testid=assist-banner]')",
        "the banner gone",
    )
    .await;
    logout(&client).await;

    // Staff open her household's file, giving a purpose.
    local_login(&client, &app, "staff").await;
    client
        .goto(&app.url("/registro"))
        .await
        .expect("open registry");
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=registry-search-submit]')",
        "the registry search",
    )
    .await;
    fill(&client, "[data-testid=registry-search-input]", &code).await;
    click(&client, "[data-testid=registry-search-submit]").await;
    wait_for_js(
        &client,
        "document.querySelectorAll('[data-testid=registry-hit]').length === 1",
        "one person",
    )
    .await;
    no_axe_violations(&client, "the registry search").await;
    click(&client, "[data-testid=registry-hit] a").await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=purpose-submit]')",
        "the purpose form",
    )
    .await;
    fill(
        &client,
        "[data-testid=purpose-input]",
        "verifica per segnalazione guasto",
    )
    .await;
    click(&client, "[data-testid=purpose-submit]").await;
    wait_for_js(
        &client,
        "document.querySelectorAll('[data-testid=member-row]').length >= 1",
        "the tenant file",
    )
    .await;
    assert!(text_of(&client, "[data-testid=tenant-file]")
        .await
        .contains("Rossi"));
    no_axe_violations(&client, "the tenant file").await;
    logout(&client).await;

    // The administrator reads who did what.
    local_login(&client, &app, "admin").await;
    client.goto(&app.url("/audit")).await.expect("open audit");
    wait_for_js(
        &client,
        "document.querySelectorAll('[data-testid=audit-row]').length >= 3",
        "audit rows",
    )
    .await;
    let log = text_of(&client, "main").await;
    assert!(
        log.contains("verifica per segnalazione guasto"),
        "the purpose is shown"
    );
    assert!(
        log.contains("telefonata al numero verde"),
        "the assistance is shown"
    );
    no_axe_violations(&client, "the audit log").await;

    client.close().await.expect("close the browser");
    app.shutdown().await;
}

on_both_databases!(access_journey, access_journey);

/// Chooses an option of a select found by CSS (and tells the app, as a person's choice would).
async fn choose(client: &Client, selector: &str, value: &str) {
    let el = element(client, selector).await;
    client
        .execute(
            "arguments[0].value = arguments[1];
             arguments[0].dispatchEvent(new Event('input', {bubbles: true}));
             arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
            vec![
                serde_json::to_value(&el).expect("element reference"),
                json!(value),
            ],
        )
        .await
        .expect("choose an option");
}

/// A resident sees their building's community and an announcement addressed to their
/// building, posts, comments and flags; a moderator hides the flagged post; its author sees
/// the notification.
async fn communities_journey(backend: Backend) {
    use cortile_shared::community::{CommunityKind, CommunitySummary, Post};

    let web_dir = required_env("CORTILE_TEST_WEB_DIR");
    let app = TestApp::builder(backend)
        .people()
        .web_dir(&web_dir)
        .spawn()
        .await;
    // A neighbour in the same building, with an account, who has posted.
    let resident = app.login("inquilino").await;
    let home = resident.me.residence.clone().expect("home").home;
    let mut conn = app.connect();
    let neighbour_code: String = {
        use cortile::db::schema::{household_members, households, persons, units};
        use diesel::prelude::*;
        household_members::table
            .inner_join(persons::table)
            .inner_join(households::table.inner_join(units::table))
            .filter(household_members::ended_at.is_null())
            .filter(units::building_id.eq(home.building_id.0))
            .filter(persons::fiscal_code.ne(resident.me.fiscal_code.clone().unwrap_or_default()))
            .select(persons::fiscal_code)
            .first(&mut conn)
            .expect("a neighbour")
    };
    cortile::auth::account::create_account(
        &mut conn,
        &cortile::auth::account::AccountSpec {
            username: "vicina".into(),
            display_name: Some("Lucia Vicina".into()),
            role: "resident".into(),
            scope: None,
            fiscal_code: Some(neighbour_code),
            password: cortile_tests::DEMO_PASSWORD.into(),
        },
        chrono::Utc::now().naive_utc(),
    )
    .expect("the neighbour's account");
    let neighbour = app.login("vicina").await;
    let mine: Vec<CommunitySummary> = neighbour.get_json("/api/v1/communities").await;
    let building = mine
        .iter()
        .find(|c| c.kind == CommunityKind::Building)
        .expect("the building's community")
        .clone();
    let estate = mine
        .iter()
        .find(|c| c.kind == CommunityKind::Estate)
        .expect("the estate's community")
        .clone();
    let selling: Post = cortile_tests::json_of(
        neighbour
            .post(
                &format!("/api/v1/communities/{}/posts", building.id),
                json!({"title": "Vendo materassi, prezzi stracciati", "body": "Chiamate il 333 000 0000"}),
            )
            .await,
        201,
        "the neighbour's post",
    )
    .await;
    // The committee addresses an announcement to this building only.
    let committee = app.login("comitato").await;
    let notice: Post = cortile_tests::json_of(
        committee
            .post(
                &format!("/api/v1/communities/{}/posts", estate.id),
                json!({"title": "Lavori all'ascensore lunedì", "body": "Dalle 8 alle 12.",
                       "audience": {"buildings": [home.building_id]}}),
            )
            .await,
        201,
        "the announcement",
    )
    .await;
    assert!(notice.targeted);

    let (_driver, client) = start_browser().await;
    local_login(&client, &app, "inquilino").await;
    // The feed on the home page shows the announcement and the neighbour's post.
    client.goto(&app.url("/")).await.expect("open home");
    wait_for_js(
        &client,
        "document.querySelectorAll('[data-testid=feed-item]').length >= 2",
        "the feed",
    )
    .await;
    let feed = text_of(&client, "[data-testid=feed]").await;
    assert!(feed.contains("Lavori all'ascensore lunedì"), "{feed}");
    no_axe_violations(&client, "the home page with the feed").await;

    // The building's community; a post through the composer.
    client
        .goto(&app.url("/comunita"))
        .await
        .expect("open communities");
    wait_for_js(
        &client,
        "document.querySelectorAll('[data-testid=community-card]').length >= 2",
        "my communities",
    )
    .await;
    no_axe_violations(&client, "the communities page").await;
    client
        .goto(&app.url(&format!("/comunita/{}", building.id)))
        .await
        .expect("open the building's community");
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=post-submit]')",
        "the composer",
    )
    .await;
    fill(
        &client,
        "[data-testid=post-title]",
        "Chi ha una scala da prestare?",
    )
    .await;
    fill(
        &client,
        "[data-testid=post-body]",
        "Per cambiare una *lampadina* in cantina.",
    )
    .await;
    // A photo from a phone (stored sideways, with its GPS position), uploaded as it is picked.
    let photo = app.db.dir.join("cantina.jpg");
    std::fs::write(&photo, cortile_tests::images::jpeg_with_exif(64, 32, 6)).expect("photo");
    element(&client, "[data-testid=post-images-input]")
        .await
        .send_keys(&photo.display().to_string())
        .await
        .expect("choose the photo");
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=image-thumb]') && document.querySelector('[data-testid=image-thumb]').naturalWidth === 32",
        "the uploaded photo, upright",
    )
    .await;
    // Sent without its description: the field says so, and nothing is published.
    click(&client, "[data-testid=post-submit]").await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=image-alt][aria-invalid=true]')",
        "the missing description",
    )
    .await;
    no_axe_violations(&client, "the composer with a photo").await;
    fill(
        &client,
        "[data-testid=image-alt]",
        "La porta della cantina, aperta",
    )
    .await;
    click(&client, "[data-testid=post-submit]").await;
    wait_for_js(
        &client,
        "[...document.querySelectorAll('[data-testid=post-item]')].some(e => e.textContent.includes('Chi ha una scala da prestare?'))",
        "the new post in the list",
    )
    .await;
    // Its photo in the list, described, loaded when scrolled to.
    client
        .execute(
            "document.querySelector('[data-testid=post-item] img[data-testid=post-image]').scrollIntoView();",
            vec![],
        )
        .await
        .expect("scroll to the photo");
    wait_for_js(
        &client,
        "(() => { const img = document.querySelector('[data-testid=post-item] img[data-testid=post-image]');
                  return img && img.complete && img.naturalWidth === 32
                      && img.alt === 'La porta della cantina, aperta' && img.loading === 'lazy'; })()",
        "the post's photo in the list",
    )
    .await;
    no_axe_violations(&client, "the community page").await;

    // The neighbour's post: a comment, then a flag.
    client
        .goto(&app.url(&format!("/post/{}", selling.id)))
        .await
        .expect("open the post");
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=comment-submit]')",
        "the comment form",
    )
    .await;
    fill(
        &client,
        "[data-testid=comment-body]",
        "Questo non è il posto per vendere.",
    )
    .await;
    click(&client, "[data-testid=comment-submit]").await;
    wait_for_js(
        &client,
        "document.querySelectorAll('[data-testid=comment]').length === 1",
        "the comment",
    )
    .await;
    click(&client, "[data-testid=post-flag]").await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=flag-submit]')",
        "the flag form",
    )
    .await;
    choose(&client, "[data-testid=flag-reason]", "spam").await;
    click(&client, "[data-testid=flag-submit]").await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=flag-done]')",
        "the flag sent",
    )
    .await;
    no_axe_violations(&client, "the post page").await;
    logout(&client).await;

    // The moderator hides it from the queue, with a reason.
    local_login(&client, &app, "moderatore").await;
    client
        .goto(&app.url("/moderazione"))
        .await
        .expect("open the queue");
    wait_for_js(
        &client,
        "document.querySelectorAll('[data-testid=queue-item]').length === 1",
        "the flagged post",
    )
    .await;
    assert!(text_of(&client, "[data-testid=queue-item]")
        .await
        .contains("Vendo materassi"));
    no_axe_violations(&client, "the moderation queue").await;
    fill(
        &client,
        "[data-testid=queue-item] [data-testid=queue-reason]",
        "Annunci di vendita non ammessi",
    )
    .await;
    click(&client, "[data-testid=queue-hide]").await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=queue-done]')",
        "hidden",
    )
    .await;
    logout(&client).await;

    // The author is told.
    local_login(&client, &app, "vicina").await;
    wait_for_js(
        &client,
        "(document.querySelector('[data-testid=notifications-count]') || {}).textContent",
        "the unread count in the header",
    )
    .await;
    click(&client, "[data-testid=notifications-link]").await;
    wait_for_js(
        &client,
        "document.querySelectorAll('[data-testid=notification]').length >= 1",
        "the notifications",
    )
    .await;
    let told = text_of(&client, "main").await;
    assert!(
        told.contains("Annunci di vendita non ammessi"),
        "the reason is shown: {told}"
    );
    no_axe_violations(&client, "the notification centre").await;
    // And the post is gone for readers.
    let res = resident.get(&format!("/api/v1/posts/{}", selling.id)).await;
    assert_eq!(res.status(), 404);

    client.close().await.expect("close the browser");
    app.shutdown().await;
}

on_both_databases!(communities_journey, communities_journey);

/// Waits until the report page shows `status`.
async fn report_status_is(client: &Client, status: &str) {
    wait_for_js(
        client,
        &format!("document.querySelector('h2 [data-testid=report-status][data-status={status}]')"),
        &format!("the report {status}"),
    )
    .await;
}

/// On a report's page, moves it to `to` (with a reason when given) and waits for it.
async fn change_report_status(client: &Client, to: &str, reason: Option<&str>) {
    wait_for_js(
        client,
        &format!("document.querySelector('[data-testid=status-{to}]')"),
        &format!("the choice {to}"),
    )
    .await;
    click(client, &format!("label[for=status-{to}]")).await;
    if let Some(reason) = reason {
        wait_for_js(
            client,
            "document.querySelector('[data-testid=status-reason]')",
            "the reason field",
        )
        .await;
        fill(client, "[data-testid=status-reason]", reason).await;
    }
    click(client, "[data-testid=status-submit]").await;
    report_status_is(client, to).await;
    wait_for_js(
        client,
        "document.querySelector('[data-testid=report-done]')",
        "the message read out",
    )
    .await;
}

/// Issue 6: a resident reports a leak with a photo, a neighbour says "me too", staff
/// acknowledge, schedule and resolve, the reporter reopens, staff resolve again, the reporter
/// confirms and rates the repair.
async fn maintenance_journey(backend: Backend) {
    let web_dir = required_env("CORTILE_TEST_WEB_DIR");
    let app = TestApp::builder(backend)
        .people()
        .web_dir(&web_dir)
        .spawn()
        .await;
    let resident = app.login("inquilino").await;
    let neighbour = app.login("condomino").await;
    let home = resident.me.residence.clone().expect("home").home;
    assert_eq!(
        neighbour
            .me
            .residence
            .clone()
            .expect("the neighbour's home")
            .home
            .building_id,
        home.building_id,
        "the demo neighbour lives in the same building"
    );
    // Another report of the building, for the queue's bulk change.
    let lift: cortile_shared::maintenance::Report = cortile_tests::json_of(
        resident
            .post(
                "/api/v1/maintenance/reports",
                json!({"category": "lift", "place": "building",
                       "description": "L'ascensore si ferma tra il secondo e il terzo piano."}),
            )
            .await,
        201,
        "the lift report",
    )
    .await;
    let lift = lift.summary.id;
    let (_driver, client) = start_browser().await;

    // The resident reports a leak on the staircase, with a photo.
    local_login(&client, &app, "inquilino").await;
    click(&client, "a[href='/segnalazioni']").await;
    wait_for_js(
        &client,
        &format!("document.querySelector('[data-testid=my-reports] [data-report=\"{lift}\"]')"),
        "my lift report",
    )
    .await;
    click(&client, "[data-testid=report-new-link]").await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=report-submit]')",
        "the report form",
    )
    .await;
    choose(&client, "[data-testid=report-category]", "water").await;
    click(&client, "label[for=report-place-staircase]").await;
    fill(
        &client,
        "[data-testid=report-description]",
        "Perdita d'acqua dal soffitto del pianerottolo del terzo piano.",
    )
    .await;
    let photo = app.db.dir.join("perdita.jpg");
    std::fs::write(&photo, cortile_tests::images::jpeg_with_exif(48, 32, 1)).expect("photo");
    element(&client, "[data-testid=report-images-input]")
        .await
        .send_keys(&photo.display().to_string())
        .await
        .expect("choose the photo");
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=image-alt]')",
        "the uploaded photo",
    )
    .await;
    fill(
        &client,
        "[data-testid=image-alt]",
        "Macchia d'acqua sul soffitto",
    )
    .await;
    no_axe_violations(&client, "the report form").await;
    click(&client, "[data-testid=report-submit]").await;
    report_status_is(&client, "new").await;
    let url = client.current_url().await.expect("url");
    let id: i64 = url
        .path()
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a report page: {url}"));
    wait_for_js(
        &client,
        "(document.querySelector('[data-testid=post-image]') || {}).alt === \"Macchia d'acqua sul soffitto\"",
        "the photo on the report",
    )
    .await;
    no_axe_violations(&client, "the report page (reporter)").await;
    logout(&client).await;

    // The neighbour starts reporting the same thing and says "me too" instead.
    local_login(&client, &app, "condomino").await;
    client
        .goto(&app.url("/segnalazioni/nuova"))
        .await
        .expect("open the form");
    wait_for_js(
        &client,
        &format!(
            "document.querySelector('[data-testid=similar-item] a[href=\"/segnalazioni/{id}\"]')"
        ),
        "the same open report offered",
    )
    .await;
    no_axe_violations(&client, "the report form with similar reports").await;
    click(&client, "[data-testid=similar-support]").await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=similar-supported]')",
        "me too",
    )
    .await;
    client
        .goto(&app.url("/segnalazioni"))
        .await
        .expect("open the reports");
    wait_for_js(
        &client,
        &format!("document.querySelector('[data-testid=building-reports] [data-report=\"{id}\"]') && document.querySelector('[data-testid=my-reports] [data-report=\"{id}\"]') && document.querySelector('[data-testid=reports-map-count]')"),
        "the report among mine and the building's, and the map",
    )
    .await;
    no_axe_violations(&client, "the reports page").await;
    logout(&client).await;

    // Staff find it in the queue, acknowledge, schedule and resolve it.
    local_login(&client, &app, "staff").await;
    client
        .goto(&app.url("/segnalazioni/coda"))
        .await
        .expect("open the queue");
    wait_for_js(
        &client,
        &format!("document.querySelector('[data-testid=queue-m-row][data-report=\"{id}\"]')"),
        "the report in the queue",
    )
    .await;
    no_axe_violations(&client, "the staff queue").await;
    // Filtered by estate, building (chosen from lists) and category: the report stays, and
    // the estate's map shows it.
    wait_for_js(
        &client,
        &format!(
            "document.querySelector('[data-testid=qf-estate] option[value=\"{}\"]')",
            home.estate_id
        ),
        "the estates to choose from",
    )
    .await;
    choose(
        &client,
        "[data-testid=qf-estate]",
        &home.estate_id.to_string(),
    )
    .await;
    wait_for_js(
        &client,
        &format!(
            "document.querySelector('[data-testid=qf-building] option[value=\"{}\"]')",
            home.building_id
        ),
        "the estate's buildings to choose from",
    )
    .await;
    choose(
        &client,
        "[data-testid=qf-building]",
        &home.building_id.to_string(),
    )
    .await;
    choose(&client, "[data-testid=qf-category]", "water").await;
    click(&client, "[data-testid=queue-m-apply]").await;
    wait_for_js(
        &client,
        &format!("document.querySelector('[data-testid=queue-m-row][data-report=\"{id}\"]') && document.querySelector('[data-testid=reports-map-count]')"),
        "the filtered queue with the estate's map",
    )
    .await;
    no_axe_violations(&client, "the filtered staff queue with the map").await;
    // A bulk change: the lift report acknowledged, the leak left as it is; a row per report.
    choose(&client, "[data-testid=qf-category]", "lift").await;
    click(&client, "[data-testid=queue-m-apply]").await;
    wait_for_js(
        &client,
        &format!("document.querySelectorAll('[data-testid=queue-m-row]').length === 1 && document.querySelector('[data-testid=queue-m-row][data-report=\"{lift}\"]')"),
        "only the lift report",
    )
    .await;
    click(&client, &format!("label[for=queue-m-check-{lift}]")).await;
    choose(&client, "[data-testid=bulk-to]", "acknowledged").await;
    click(&client, "[data-testid=bulk-submit]").await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=bulk-row][data-ok=true]')",
        "the bulk result",
    )
    .await;
    no_axe_violations(&client, "the staff queue after a bulk change").await;
    client
        .goto(&app.url(&format!("/segnalazioni/{id}")))
        .await
        .expect("open the report");
    report_status_is(&client, "new").await;
    assert!(text_of(&client, "[data-testid=report-supporters]")
        .await
        .starts_with('1'));
    change_report_status(&client, "acknowledged", None).await;
    click(&client, "label[for=status-scheduled]").await;
    let day = (chrono::Utc::now() + chrono::Duration::days(3))
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=status-date]')",
        "the date field",
    )
    .await;
    choose(&client, "[data-testid=status-date]", &day).await;
    click(&client, "[data-testid=status-submit]").await;
    report_status_is(&client, "scheduled").await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=report-scheduled]')",
        "the date shown",
    )
    .await;
    // An internal note, marked as such.
    fill(
        &client,
        "[data-testid=report-comment-body]",
        "Chiamata la ditta idraulica, codice pratica 77.",
    )
    .await;
    click(&client, "label[for=report-comment-internal]").await;
    click(&client, "[data-testid=report-comment-submit]").await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=internal-note]')",
        "the internal note",
    )
    .await;
    change_report_status(&client, "resolved", Some("Sostituito il tubo di scarico.")).await;
    no_axe_violations(&client, "the report page (staff)").await;
    // Staff open any estate's board from the menu.
    click(&client, "a[href='/segnalazioni/quadro']").await;
    wait_for_js(
        &client,
        &format!(
            "document.querySelector('[data-testid=boards-estate] option[value=\"{}\"]')",
            home.estate_id
        ),
        "the estates' boards to choose from",
    )
    .await;
    no_axe_violations(&client, "the boards index").await;
    choose(
        &client,
        "[data-testid=boards-estate]",
        &home.estate_id.to_string(),
    )
    .await;
    click(&client, "[data-testid=boards-open]").await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=board-table]')",
        "the estate's board",
    )
    .await;
    // Planned works announced to the building.
    client
        .goto(&app.url("/lavori"))
        .await
        .expect("open the works");
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=works-submit]')",
        "the works form",
    )
    .await;
    let (starts, ends) = (
        (chrono::Utc::now() + chrono::Duration::days(10)).date_naive(),
        (chrono::Utc::now() + chrono::Duration::days(12)).date_naive(),
    );
    fill(
        &client,
        "#works-title",
        "Rifacimento della colonna di scarico",
    )
    .await;
    fill(
        &client,
        "#works-description",
        "Sostituzione dei tubi nella scala A.",
    )
    .await;
    fill(&client, "#works-buildings", &home.building_id.to_string()).await;
    choose(
        &client,
        "#works-starts",
        &starts.format("%Y-%m-%d").to_string(),
    )
    .await;
    choose(&client, "#works-ends", &ends.format("%Y-%m-%d").to_string()).await;
    fill(
        &client,
        "#works-disruptions",
        "Acqua chiusa dalle 8 alle 12",
    )
    .await;
    click(&client, "[data-testid=works-submit]").await;
    wait_for_js(
        &client,
        "[...document.querySelectorAll('[data-testid=works-item]')].some(e => e.textContent.includes('Rifacimento della colonna di scarico'))",
        "the works announced",
    )
    .await;
    no_axe_violations(&client, "the planned works").await;
    logout(&client).await;

    // The reporter says it is still broken, with a reason and a photo.
    local_login(&client, &app, "inquilino").await;
    client
        .goto(&app.url(&format!("/segnalazioni/{id}")))
        .await
        .expect("open the report");
    report_status_is(&client, "resolved").await;
    assert!(
        !text_of(&client, "main").await.contains("codice pratica 77"),
        "internal notes are for staff only"
    );
    click(&client, "label[for=status-reopened]").await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=reopen-images-input]')",
        "the photos of what is still broken",
    )
    .await;
    fill(
        &client,
        "[data-testid=status-reason]",
        "Gocciola ancora quando piove.",
    )
    .await;
    let again = app.db.dir.join("ancora.jpg");
    std::fs::write(&again, cortile_tests::images::jpeg(40, 30)).expect("photo");
    element(&client, "[data-testid=reopen-images-input]")
        .await
        .send_keys(&again.display().to_string())
        .await
        .expect("choose the photo");
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=image-alt]')",
        "the uploaded photo",
    )
    .await;
    fill(&client, "[data-testid=image-alt]", "Gocce sul pavimento").await;
    click(&client, "[data-testid=status-submit]").await;
    report_status_is(&client, "reopened").await;
    logout(&client).await;

    // Staff resolve it again.
    local_login(&client, &app, "staff").await;
    client
        .goto(&app.url(&format!("/segnalazioni/{id}")))
        .await
        .expect("open the report");
    report_status_is(&client, "reopened").await;
    change_report_status(&client, "resolved", Some("Rifatta la guaina del terrazzo.")).await;
    logout(&client).await;

    // The reporter confirms and rates the repair; the notifications lead to the report.
    local_login(&client, &app, "inquilino").await;
    click(&client, "[data-testid=notifications-link]").await;
    wait_for_js(
        &client,
        &format!("document.querySelector('[data-testid=notification][data-kind=report_status] a[href=\"/segnalazioni/{id}\"]')"),
        "a notification linking to the report",
    )
    .await;
    click(
        &client,
        &format!("[data-testid=notification] a[href=\"/segnalazioni/{id}\"]"),
    )
    .await;
    report_status_is(&client, "resolved").await;
    change_report_status(&client, "confirmed", None).await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=rating-submit]')",
        "the rating form",
    )
    .await;
    click(&client, "label[for=rating-4]").await;
    fill(
        &client,
        "[data-testid=rating-comment]",
        "Veloci, ma ci sono volute due volte.",
    )
    .await;
    click(&client, "[data-testid=rating-submit]").await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=report-rating]')",
        "the rating",
    )
    .await;
    let history = wait_for_js(
        &client,
        "[...document.querySelectorAll('[data-testid=history-item]')].map(e => e.dataset.status).join(',')",
        "the history",
    )
    .await;
    assert_eq!(
        history.as_str(),
        Some("new,acknowledged,scheduled,resolved,reopened,resolved,confirmed"),
        "{history}"
    );
    no_axe_violations(&client, "the confirmed and rated report").await;
    logout(&client).await;

    // The committee's board of the estate.
    local_login(&client, &app, "comitato").await;
    client
        .goto(&app.url(&format!("/segnalazioni/quadro/{}", home.estate_id)))
        .await
        .expect("open the board");
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=board-table]')",
        "the board",
    )
    .await;
    no_axe_violations(&client, "the committee board").await;

    client.close().await.expect("close the browser");
    app.shutdown().await;
}

on_both_databases!(maintenance_journey, maintenance_journey);

/// An account for a neighbour of `resident` in the same building (from the registry).
fn neighbour_account(app: &TestApp, resident: &cortile_tests::Session, username: &str, name: &str) {
    use cortile::db::schema::{household_members, households, persons, units, users};
    use diesel::prelude::*;
    let home = resident.me.residence.clone().expect("home").home;
    let mut conn = app.connect();
    let taken: Vec<String> = users::table
        .filter(users::fiscal_code.is_not_null())
        .select(users::fiscal_code.assume_not_null())
        .load(&mut conn)
        .expect("linked codes");
    let code: String = household_members::table
        .inner_join(persons::table)
        .inner_join(households::table.inner_join(units::table))
        .filter(household_members::ended_at.is_null())
        .filter(households::contract_status.eq("active"))
        .filter(units::building_id.eq(home.building_id.0))
        .filter(persons::fiscal_code.ne_all(taken))
        .select(persons::fiscal_code)
        .first(&mut conn)
        .expect("a neighbour");
    cortile::auth::account::create_account(
        &mut conn,
        &cortile::auth::account::AccountSpec {
            username: username.into(),
            display_name: Some(name.into()),
            role: "resident".into(),
            scope: None,
            fiscal_code: Some(code),
            password: cortile_tests::DEMO_PASSWORD.into(),
        },
        chrono::Utc::now().naive_utc(),
    )
    .expect("the neighbour's account");
}

/// Waits until the exchange page shows `state`.
async fn exchange_state(client: &Client, state: &str) {
    wait_for_js(
        client,
        &format!(
            "(document.querySelector('[data-testid=exchange-state]') || {{dataset: {{}}}}).dataset.state === '{state}'"
        ),
        &format!("the exchange {state}"),
    )
    .await;
}

/// The time bank (issue 5): a resident asks for help through the form; a neighbour offers it;
/// she accepts; he completes; she confirms; both balances move by the hour agreed; both
/// review. The staff's pages render. axe-core on each page; both databases.
async fn timebank_journey(backend: Backend) {
    use cortile_shared::timebank::Account;

    let web_dir = required_env("CORTILE_TEST_WEB_DIR");
    let app = TestApp::builder(backend)
        .people()
        .web_dir(&web_dir)
        .spawn()
        .await;
    let resident = app.login("inquilino").await;
    neighbour_account(&app, &resident, "vicina", "Lucia Vicina");
    let (_driver, client) = start_browser().await;

    // Lucia needs help with SPID: she publishes a request for her estate, priced one hour.
    local_login(&client, &app, "vicina").await;
    client
        .goto(&app.url("/banca-del-tempo/annunci/nuovo"))
        .await
        .expect("open the form");
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=listing-submit]')",
        "the listing form",
    )
    .await;
    choose(&client, "[data-testid=listing-kind]", "request").await;
    choose(&client, "[data-testid=listing-category]", "digital_help").await;
    fill(&client, "[data-testid=listing-title]", "Aiuto con lo SPID").await;
    fill(
        &client,
        "[data-testid=listing-description]",
        "Devo attivare lo **SPID** per il bonus affitto.",
    )
    .await;
    fill(&client, "[data-testid=listing-price]", "1").await;
    fill(
        &client,
        "[data-testid=listing-availability]",
        "giovedì pomeriggio",
    )
    .await;
    // A photo of the screen where she is stuck, with its description.
    let photo = std::env::temp_dir().join(format!("cortile-spid-{}.jpg", uuid::Uuid::new_v4()));
    std::fs::write(&photo, cortile_tests::images::jpeg(64, 48)).expect("a photo file");
    element(&client, "[data-testid=listing-images-input]")
        .await
        .send_keys(&photo.display().to_string())
        .await
        .expect("choose the photo");
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=image-thumb]')",
        "the photo uploaded",
    )
    .await;
    fill(
        &client,
        "[data-testid=image-alt]",
        "La schermata di accesso allo SPID con un errore",
    )
    .await;
    no_axe_violations(&client, "the listing form").await;
    click(&client, "[data-testid=listing-submit]").await;
    wait_for_js(
        &client,
        "(document.querySelector('[data-testid=page-title]') || {}).textContent === 'Aiuto con lo SPID'",
        "the new listing",
    )
    .await;
    let _ = std::fs::remove_file(&photo);
    wait_for_js(
        &client,
        "(document.querySelector('[data-testid=post-image]') || {}).alt === 'La schermata di accesso allo SPID con un errore'",
        "the photo on the listing's page",
    )
    .await;
    assert!(text_of(&client, "[data-testid=listing-price]")
        .await
        .contains("1 h"));
    no_axe_violations(&client, "the listing page").await;
    logout(&client).await;

    // Her neighbour finds it among the listings and offers his help.
    local_login(&client, &app, "inquilino").await;
    client
        .goto(&app.url("/banca-del-tempo/annunci"))
        .await
        .expect("open the listings");
    wait_for_js(
        &client,
        "document.querySelectorAll('[data-testid=listing-card]').length === 1",
        "the listing in the catalogue",
    )
    .await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=listing-thumbnail] img')",
        "the photo's thumbnail in the catalogue",
    )
    .await;
    wait_for_js(
        &client,
        "document.querySelectorAll('[data-testid=map] path.leaflet-interactive').length >= 1",
        "the listing on the map",
    )
    .await;
    no_axe_violations(&client, "the listings").await;
    choose(&client, "[data-testid=filter-category]", "gardening").await;
    wait_for_js(
        &client,
        "document.querySelectorAll('[data-testid=listing-card]').length === 0",
        "nothing in gardening",
    )
    .await;
    choose(&client, "[data-testid=filter-category]", "").await;
    wait_for_js(
        &client,
        "document.querySelectorAll('[data-testid=listing-card]').length === 1",
        "the listing again",
    )
    .await;
    click(&client, "[data-testid=listing-card] a").await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=propose-submit]')",
        "the offer form",
    )
    .await;
    fill(
        &client,
        "[data-testid=propose-message]",
        "Posso passare giovedì alle 15.",
    )
    .await;
    click(&client, "[data-testid=propose-submit]").await;
    exchange_state(&client, "proposed").await;
    let exchange_url = client.current_url().await.expect("url");
    assert!(exchange_url.path().starts_with("/banca-del-tempo/scambi/"));
    no_axe_violations(&client, "the exchange page").await;
    logout(&client).await;

    // Lucia sees the offer on her time bank page and accepts it.
    local_login(&client, &app, "vicina").await;
    client
        .goto(&app.url("/banca-del-tempo"))
        .await
        .expect("open the time bank");
    wait_for_js(
        &client,
        "document.querySelectorAll('[data-testid=exchange-item]').length === 1",
        "her exchange",
    )
    .await;
    no_axe_violations(&client, "the time bank's home").await;
    click(&client, "[data-testid=exchange-item] a").await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=exchange-accept]')",
        "the accept button",
    )
    .await;
    assert!(text_of(&client, "[data-testid=exchange-messages]")
        .await
        .contains("giovedì alle 15"));
    click(&client, "[data-testid=exchange-accept]").await;
    exchange_state(&client, "accepted").await;
    logout(&client).await;

    // He helps, then says so.
    local_login(&client, &app, "inquilino").await;
    client
        .goto(exchange_url.as_str())
        .await
        .expect("open the exchange");
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=exchange-complete]')",
        "the complete button",
    )
    .await;
    click(&client, "[data-testid=exchange-complete]").await;
    exchange_state(&client, "completed").await;
    logout(&client).await;

    // She confirms: the hour moves; she reviews him.
    local_login(&client, &app, "vicina").await;
    client
        .goto(exchange_url.as_str())
        .await
        .expect("open the exchange");
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=exchange-confirm]')",
        "the confirm button",
    )
    .await;
    click(&client, "[data-testid=exchange-confirm]").await;
    // Confirming moves hours: the page asks first, with the focus on the question.
    wait_for_js(
        &client,
        "document.activeElement && document.activeElement.dataset.testid === 'exchange-ask'",
        "the question, focused",
    )
    .await;
    let question = text_of(&client, "[data-testid=exchange-ask]").await;
    assert!(
        question.contains("Sei sicuro") && question.contains("1 h"),
        "{question}"
    );
    click(&client, "[data-testid=exchange-back]").await;
    wait_for_js(
        &client,
        "!document.querySelector('[data-testid=exchange-ask]') && document.activeElement.dataset.testid === 'exchange-confirm'",
        "back to the confirm button",
    )
    .await;
    exchange_state(&client, "completed").await;
    click(&client, "[data-testid=exchange-confirm]").await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=exchange-sure]')",
        "the question again",
    )
    .await;
    no_axe_violations(&client, "the question before confirming").await;
    click(&client, "[data-testid=exchange-sure]").await;
    exchange_state(&client, "confirmed").await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=review-submit]')",
        "the review form",
    )
    .await;
    choose(&client, "[data-testid=review-rating]", "5").await;
    fill(
        &client,
        "[data-testid=review-body]",
        "Paziente e gentilissimo.",
    )
    .await;
    no_axe_violations(&client, "the confirmed exchange").await;
    click(&client, "[data-testid=review-submit]").await;
    wait_for_js(
        &client,
        "document.querySelectorAll('[data-testid=exchange-review]').length === 1",
        "her review",
    )
    .await;
    client
        .goto(&app.url("/banca-del-tempo"))
        .await
        .expect("open the time bank");
    wait_for_js(
        &client,
        "(document.querySelector('[data-testid=balance]') || {dataset: {}}).dataset.minutes === '-60'",
        "her balance down by an hour",
    )
    .await;
    client
        .goto(&app.url("/banca-del-tempo/estratto-conto"))
        .await
        .expect("open the statement");
    wait_for_js(
        &client,
        "document.querySelectorAll('[data-testid=statement-line]').length === 1",
        "one line in her statement",
    )
    .await;
    assert!(text_of(&client, "[data-testid=statement-minutes]")
        .await
        .contains("1 h"));
    no_axe_violations(&client, "the statement").await;
    logout(&client).await;

    // He reviews her; his balance is up by the hour.
    local_login(&client, &app, "inquilino").await;
    client
        .goto(exchange_url.as_str())
        .await
        .expect("open the exchange");
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=review-submit]')",
        "his review form",
    )
    .await;
    choose(&client, "[data-testid=review-rating]", "4").await;
    fill(&client, "[data-testid=review-body]", "Puntuale, grazie!").await;
    click(&client, "[data-testid=review-submit]").await;
    wait_for_js(
        &client,
        "document.querySelectorAll('[data-testid=exchange-review]').length === 2",
        "both reviews",
    )
    .await;
    client
        .goto(&app.url("/banca-del-tempo"))
        .await
        .expect("open the time bank");
    wait_for_js(
        &client,
        "(document.querySelector('[data-testid=balance]') || {dataset: {}}).dataset.minutes === '60'",
        "his balance up by an hour",
    )
    .await;

    // He thanks her with more time, outside any listing: first more than he may give
    // (refused, nothing moves), then 45 minutes, checked on a summary before it goes.
    click(&client, "[data-testid=transfer-link]").await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=people-search]')",
        "the transfer form",
    )
    .await;
    fill(&client, "[data-testid=people-search]", "Lucia").await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=people-add]')",
        "Lucia found by name",
    )
    .await;
    click(&client, "[data-testid=people-add]").await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=transfer-minutes-0]')",
        "her minutes field",
    )
    .await;
    fill(&client, "[data-testid=transfer-minutes-0]", "700").await;
    fill(&client, "[data-testid=transfer-memo]", "Grazie per lo SPID").await;
    click(&client, "[data-testid=transfer-continue]").await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=transfer-review]')",
        "the summary",
    )
    .await;
    assert!(text_of(&client, "[data-testid=transfer-total]")
        .await
        .contains("11 h 40 min"));
    // More than he may give: the summary says how much he may (his balance read again), and
    // does not offer to confirm.
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=transfer-too-much]')",
        "what he may give at most",
    )
    .await;
    assert!(
        text_of(&client, "[data-testid=transfer-too-much]")
            .await
            .contains("11 h"),
        "what he may give at most"
    );
    let confirm_disabled = client
        .execute(
            "return document.querySelector('[data-testid=transfer-confirm]').disabled;",
            vec![],
        )
        .await
        .expect("the confirm button");
    assert_eq!(confirm_disabled, json!(true));
    click(&client, "[data-testid=transfer-edit]").await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=transfer-minutes-0]')",
        "the form again",
    )
    .await;
    fill(&client, "[data-testid=transfer-minutes-0]", "45").await;
    click(&client, "[data-testid=transfer-continue]").await;
    wait_for_js(
        &client,
        "document.querySelectorAll('[data-testid=transfer-review-line]').length === 1",
        "the summary again",
    )
    .await;
    assert!(text_of(&client, "[data-testid=transfer-review]")
        .await
        .contains("Lucia Vicina"));
    no_axe_violations(&client, "the transfer summary").await;
    click(&client, "[data-testid=transfer-confirm]").await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=transfer-done]')",
        "the transfer made",
    )
    .await;
    let done = text_of(&client, "[data-testid=transfer-done]").await;
    assert!(
        done.contains("45 min") && done.contains("Lucia Vicina"),
        "{done}"
    );
    wait_for_js(
        &client,
        "(document.querySelector('[data-testid=transfer-available]') || {dataset: {}}).dataset.minutes === '615'",
        "what he may still give, read again",
    )
    .await;
    client
        .goto(&app.url("/banca-del-tempo"))
        .await
        .expect("open the time bank");
    wait_for_js(
        &client,
        "(document.querySelector('[data-testid=balance]') || {dataset: {}}).dataset.minutes === '15'",
        "his balance down by 45 minutes",
    )
    .await;
    logout(&client).await;

    // The ledger agrees.
    let lucia = app.login("vicina").await;
    let his: Account = resident.get_json("/api/v1/timebank/accounts/me").await;
    let hers: Account = lucia.get_json("/api/v1/timebank/accounts/me").await;
    assert_eq!((his.balance_minutes, hers.balance_minutes), (15, -15));
    let report = cortile::timebank::check::check_ledger(&mut app.connect()).expect("the ledger");
    assert!(report.ok(), "{:?}", report.problems);

    // The staff's pages.
    local_login(&client, &app, "staff").await;
    for (path, ready) in [
        (
            "/banca-del-tempo/contestazioni",
            "[data-testid=disputes-empty]",
        ),
        ("/banca-del-tempo/rettifiche", "[data-testid=adjust-submit]"),
        (
            "/banca-del-tempo/organizzazioni",
            "[data-testid=organisation-submit]",
        ),
    ] {
        client
            .goto(&app.url(path))
            .await
            .expect("open a staff page");
        wait_for_js(&client, &format!("document.querySelector('{ready}')"), path).await;
        no_axe_violations(&client, path).await;
    }

    // An adjustment: staff find him by fiscal code, choose him, give him half an hour.
    client
        .goto(&app.url("/banca-del-tempo/rettifiche"))
        .await
        .expect("open the adjustments");
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=member-search]')",
        "the member search",
    )
    .await;
    fill(
        &client,
        "[data-testid=member-search]",
        resident.me.fiscal_code.as_deref().expect("his code"),
    )
    .await;
    click(&client, "[data-testid=member-search-submit]").await;
    wait_for_js(
        &client,
        "document.querySelectorAll('[data-testid=member-choose]').length === 1",
        "him, found",
    )
    .await;
    no_axe_violations(&client, "the adjustments with a search").await;
    click(&client, "[data-testid=member-choose]").await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=adjust-member-name]')",
        "him, chosen",
    )
    .await;
    fill(&client, "[data-testid=adjust-minutes]", "30").await;
    fill(
        &client,
        "[data-testid=adjust-reason]",
        "Mezz'ora di aiuto in sede non registrata",
    )
    .await;
    click(&client, "[data-testid=adjust-submit]").await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=adjust-done]')",
        "the adjustment recorded",
    )
    .await;
    let his: Account = resident.get_json("/api/v1/timebank/accounts/me").await;
    assert_eq!(his.balance_minutes, 45);
    logout(&client).await;

    // A social worker with no home registers a sewing cooperative, verified by staff; in its
    // name she offers a course in an estate she chooses: the form asks where.
    let worker = app.login("assistente").await;
    assert!(worker.me.residence.is_none());
    let res = worker
        .post(
            "/api/v1/market/organisations",
            json!({"name": "Sartoria sociale Filo", "kind": "social_enterprise"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    let org: serde_json::Value = res.json().await.expect("the organisation");
    let staff = app.login("staff").await;
    let res = staff
        .post(
            &format!("/api/v1/market/organisations/{}/verification", org["id"]),
            json!({}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let estate = resident
        .me
        .residence
        .as_ref()
        .expect("his home")
        .home
        .estate_id;
    local_login(&client, &app, "assistente").await;
    client
        .goto(&app.url("/banca-del-tempo/annunci/nuovo"))
        .await
        .expect("open the form");
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=listing-organisation]')",
        "the form, with her organisation",
    )
    .await;
    // No home to offer: "an estate" is chosen, and left empty it is refused before sending.
    let choices = client
        .execute(
            "return [document.querySelector('[data-testid=listing-place-home]') === null,
                     document.querySelector('[data-testid=listing-place-estate]').checked];",
            vec![],
        )
        .await
        .expect("the place's choices");
    assert_eq!(choices, json!([true, true]));
    // She can publish only for the cooperative: it is chosen, and its prices are in euro.
    wait_for_js(
        &client,
        &format!(
            "document.querySelector('[data-testid=listing-organisation]').value === '{}'
             && document.querySelector('[data-testid=listing-price-type]').value === 'euro'
             && !document.querySelector('[data-testid=listing-price-type] option[value=hours]')",
            org["id"]
        ),
        "the cooperative chosen, priced in euro",
    )
    .await;
    choose(&client, "[data-testid=listing-category]", "other").await;
    fill(&client, "[data-testid=listing-title]", "Corso di cucito").await;
    fill(&client, "[data-testid=listing-price]", "15").await;
    click(&client, "[data-testid=listing-submit]").await;
    wait_for_js(
        &client,
        "document.querySelector('[data-testid=listing-estate]').getAttribute('aria-invalid') === 'true'",
        "the estate asked for",
    )
    .await;
    wait_for_js(
        &client,
        &format!(
            "document.querySelector('[data-testid=listing-estate] option[value=\"{estate}\"]')"
        ),
        "the estates to choose from",
    )
    .await;
    choose(&client, "[data-testid=listing-estate]", &estate.to_string()).await;
    no_axe_violations(&client, "the listing form, an estate chosen").await;
    click(&client, "[data-testid=listing-submit]").await;
    wait_for_js(
        &client,
        "(document.querySelector('[data-testid=page-title]') || {}).textContent === 'Corso di cucito'",
        "the cooperative's listing",
    )
    .await;
    let mine: Page<cortile_shared::market::Listing> =
        worker.get_json("/api/v1/market/listings?mine=true").await;
    assert_eq!(mine.items.len(), 1);
    assert_eq!(
        mine.items[0].place,
        cortile_shared::market::ListingPlace::Estate { estate_id: estate }
    );
    assert_eq!(
        mine.items[0].organisation.as_ref().map(|o| o.name.as_str()),
        Some("Sartoria sociale Filo")
    );
    assert_eq!(
        (mine.items[0].price_type, mine.items[0].price_amount),
        (cortile_shared::market::PriceType::Euro, Some(1500))
    );

    client.close().await.expect("close the browser");
    app.shutdown().await;
}

on_both_databases!(timebank_journey, timebank_journey);

/// Wraps the page's `WebSocket` so that a test can close the app's sockets
/// (`window.__sockets`) and refuse new ones for a while (`window.__blockWs`), as a lost network
/// would.
const SOCKET_WRAPPER: &str = "
    const W = window.WebSocket;
    window.__sockets = [];
    window.__blockWs = false;
    function Wrapped(url, protocols) {
        if (window.__blockWs) { throw new DOMException('no network (test)', 'SecurityError'); }
        const s = protocols === undefined ? new W(url) : new W(url, protocols);
        window.__sockets.push(s);
        return s;
    }
    Wrapped.prototype = W.prototype;
    Object.assign(Wrapped, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
    window.WebSocket = Wrapped;
";

/// A free TCP port on loopback (the chat journey fixes the server's port first: the socket's
/// Origin check compares the page's origin with `CORTILE_PUBLIC_URL`).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// How many messages of the open room show `text` (sent and confirmed, not pending).
async fn messages_with(client: &Client, text: &str) -> i64 {
    let text = serde_json::to_string(text).expect("json");
    client
        .execute(
            &format!(
                "return [...document.querySelectorAll('[data-testid=chat-message] [data-testid=chat-text]')]
                   .filter(e => e.textContent.includes({text})).length;"
            ),
            vec![],
        )
        .await
        .expect("count messages")
        .as_i64()
        .unwrap_or(-1)
}

async fn wait_for_message(client: &Client, text: &str, what: &str) {
    let text = serde_json::to_string(text).expect("json");
    wait_for_js(
        client,
        &format!(
            "[...document.querySelectorAll('[data-testid=chat-message] [data-testid=chat-text]')]
               .some(e => e.textContent.includes({text}))"
        ),
        what,
    )
    .await;
}

/// Opens a chat room and waits until it is ready.
async fn open_room(client: &Client, app: &TestApp, room: i64) {
    client
        .goto(&app.url(&format!("/chat/{room}")))
        .await
        .expect("open the room");
    room_ready(client).await;
}

/// Waits until the room's history is there and the socket is connected.
async fn room_ready(client: &Client) {
    wait_for_js(
        client,
        "document.querySelector('[data-testid=chat-form]') &&
         !document.querySelector('[data-testid=chat-log] .cortile-loading') &&
         (document.querySelector('[data-testid=connection-state]') || {dataset: {}}).dataset.state === 'connected'",
        "the room, loaded and connected",
    )
    .await;
}

/// The app with the demo people and the web app, listening on the very address its
/// `public_url` names: the realtime socket accepts only pages of the site's own origin.
async fn app_at_its_public_url(backend: Backend) -> TestApp {
    let web_dir = required_env("CORTILE_TEST_WEB_DIR");
    let port = free_port();
    let public = format!("http://127.0.0.1:{port}");
    TestApp::builder(backend)
        .people()
        .web_dir(&web_dir)
        .configure(move |c| {
            c.bind = ([127, 0, 0, 1], port).into();
            c.public_url = public;
        })
        .spawn()
        .await
}

/// The chat (issue 7): two neighbours, each in their own browser, in their building's room. A
/// types and B sees it; A sends and B sees the message live (markdown rendered, HTML not
/// injected); B reads and A sees it; B replies; A reloads while B writes again and finds the
/// whole conversation exactly once. The room list counts what arrives, live. axe-core on the
/// chat pages; both databases.
async fn chat_journey(backend: Backend) {
    use cortile_shared::community::CommunitySummary;
    use cortile_shared::realtime::{Room, RoomKind};

    let app = app_at_its_public_url(backend).await;
    let anna = app.login("inquilino").await;
    let bruno = app.login("condomino").await;
    let (a_name, b_name) = (anna.me.display_name.clone(), bruno.me.display_name.clone());
    let building = anna.me.residence.clone().expect("home").home.building_id;

    // Their building's room: a community room both are in, of the building's community.
    let a_rooms: Vec<Room> = anna.get_json("/api/v1/chat/rooms").await;
    let b_rooms: Vec<Room> = bruno.get_json("/api/v1/chat/rooms").await;
    let mut room = None;
    for r in a_rooms.iter().filter(|r| r.kind == RoomKind::Community) {
        if !b_rooms.iter().any(|b| b.id == r.id) {
            continue;
        }
        let c: CommunitySummary = anna
            .get_json(&format!(
                "/api/v1/communities/{}",
                r.community_id.expect("a community room's community")
            ))
            .await;
        if c.building_id == Some(building) {
            room = Some(r.id.0);
        }
    }
    let room = room.expect("the building's room, shared by both");

    let (_driver_a, a) = start_browser().await;
    let (_driver_b, b) = start_browser().await;
    // Anna's page keeps a hand on its sockets (to drop them later, as a lost network would):
    // the wrapper goes in before she logs in, and she then moves inside the app only.
    a.goto(&app.url("/accedi")).await.expect("open login");
    wait_for_js(
        &a,
        "document.querySelector('[data-testid=login-submit]')",
        "the login form",
    )
    .await;
    a.execute(SOCKET_WRAPPER, vec![])
        .await
        .expect("wrap WebSocket");
    fill(&a, "#login-username", "inquilino").await;
    fill(&a, "#login-password", cortile_tests::DEMO_PASSWORD).await;
    click(&a, "[data-testid=login-submit]").await;
    wait_for_js(
        &a,
        "document.querySelector('[data-testid=user-name]')",
        "signed in",
    )
    .await;
    click(&a, "[data-testid=nav-chat]").await;
    let link = format!("[data-testid=chat-room][data-room-id=\"{room}\"] a");
    wait_for_js(
        &a,
        &format!(
            "document.querySelector({})",
            serde_json::to_string(&link).expect("json")
        ),
        "Anna's rooms",
    )
    .await;
    no_axe_violations(&a, "the list of rooms (nothing yet)").await;
    click(&a, &link).await;
    room_ready(&a).await;
    assert_eq!(
        a.execute("return window.__sockets.length;", vec![])
            .await
            .expect("sockets"),
        json!(1),
        "one socket for the whole app"
    );
    local_login(&b, &app, "condomino").await;
    open_room(&b, &app, room).await;
    assert!(
        text_of(&a, "[data-testid=chat-empty]")
            .await
            .contains("nessun messaggio"),
        "a new room says so"
    );
    no_axe_violations(&a, "an empty chat room").await;

    // Presence: Bruno sees one other person online (Anna).
    wait_for_js(
        &b,
        "(document.querySelector('[data-testid=presence]') || {dataset: {}}).dataset.online === '1'",
        "Anna online in Bruno's room",
    )
    .await;

    // Anna types: Bruno sees it.
    let input = element(&a, "[data-testid=chat-input]").await;
    input.send_keys("Ciao ").await.expect("type");
    wait_for_js(
        &b,
        &format!(
            "document.querySelector('[data-testid=typing]').textContent === {}",
            serde_json::to_string(&format!("{a_name} sta scrivendo…")).expect("json")
        ),
        "the typing indicator",
    )
    .await;

    // Anna sends: Bruno sees the message live, its markdown rendered.
    input
        .send_keys("**vicini**, domani c'è l'assemblea in cortile")
        .await
        .expect("type");
    click(&a, "[data-testid=chat-send]").await;
    wait_for_message(&b, "domani c'è l'assemblea", "Anna's message at Bruno's").await;
    assert_eq!(
        b.execute(
            "return [...document.querySelectorAll('[data-testid=chat-text] strong')].map(e => e.textContent).join();",
            vec![]
        )
        .await
        .expect("bold"),
        json!("vicini")
    );
    // The typing indicator goes when the message comes.
    wait_for_js(
        &b,
        "document.querySelector('[data-testid=typing]').textContent === ''",
        "the typing indicator gone",
    )
    .await;
    // Sent and confirmed at Anna's: no longer pending.
    wait_for_js(
        &a,
        "!document.querySelector('[data-testid=chat-pending]') && document.querySelectorAll('[data-testid=chat-message]').length === 1",
        "Anna's message confirmed",
    )
    .await;

    // Bruno has the room open: he has read it, and Anna sees so.
    wait_for_js(
        &a,
        &format!(
            "(document.querySelector('[data-testid=read-by]') || {{textContent: ''}}).textContent === {}",
            serde_json::to_string(&format!("Letto da {b_name}")).expect("json")
        ),
        "Bruno's read marker at Anna's",
    )
    .await;

    // HTML in a message is text, never markup.
    fill(
        &a,
        "[data-testid=chat-input]",
        "<img src=x onerror=\"window.pwned=1\"> prova",
    )
    .await;
    click(&a, "[data-testid=chat-send]").await;
    wait_for_message(&b, "prova", "the second message").await;
    assert_eq!(
        b.execute(
            "return document.querySelectorAll('[data-testid=chat-log] img').length + (window.pwned ? 100 : 0);",
            vec![]
        )
        .await
        .expect("no image"),
        json!(0)
    );
    // Anna deletes it: it stays in its place, shown as deleted, at both.
    a.execute(
        "const mine = [...document.querySelectorAll('[data-testid=chat-message][data-mine=true]')];
         mine[mine.length - 1].querySelector('[data-testid=chat-delete]').click();",
        vec![],
    )
    .await
    .expect("delete");
    for (client, who) in [(&a, "Anna"), (&b, "Bruno")] {
        wait_for_js(
            client,
            "document.querySelectorAll('[data-testid=chat-message] [data-testid=chat-deleted]').length === 1",
            &format!("the deleted message at {who}'s"),
        )
        .await;
    }

    // Bruno replies to Anna's first message.
    b.execute(
        "document.querySelector('[data-testid=chat-message] [data-testid=chat-reply]').click();",
        vec![],
    )
    .await
    .expect("reply");
    wait_for_js(
        &b,
        "document.querySelector('[data-testid=chat-replying]')",
        "the reply banner",
    )
    .await;
    fill(&b, "[data-testid=chat-input]", "Ci sarò, porto il caffè").await;
    click(&b, "[data-testid=chat-send]").await;
    wait_for_message(&a, "porto il caffè", "Bruno's reply at Anna's").await;
    let quote = a
        .execute(
            "const m = [...document.querySelectorAll('[data-testid=chat-message]')].pop();
             return (m.querySelector('[data-testid=chat-reply-quote]') || {textContent: ''}).textContent;",
            vec![],
        )
        .await
        .expect("quote");
    assert!(
        quote.as_str().unwrap_or_default().contains(&a_name),
        "the reply quotes Anna: {quote}"
    );
    no_axe_violations(&b, "a chat room with messages").await;

    // Anna corrects her first message: Bruno sees the new text, marked as edited.
    a.execute(
        "document.querySelector('[data-testid=chat-message][data-mine=true] [data-testid=chat-edit]').click();",
        vec![],
    )
    .await
    .expect("edit");
    wait_for_js(
        &a,
        "document.querySelector('[data-testid=chat-edit-input]')",
        "the edit box",
    )
    .await;
    fill(
        &a,
        "[data-testid=chat-edit-input]",
        "Ciao **vicini**, domani c'è l'assemblea in cortile alle 18",
    )
    .await;
    click(&a, "[data-testid=chat-edit-save]").await;
    wait_for_message(&b, "in cortile alle 18", "the edit at Bruno's").await;
    assert!(
        text_of(&b, "[data-testid=chat-message]")
            .await
            .contains("modificato"),
        "marked as edited"
    );

    // Anna's connection drops and cannot come back for a while: the header says so, what
    // she writes waits, and Bruno writes meanwhile.
    a.execute(
        "window.__blockWs = true; window.__sockets.forEach(s => s.close());",
        vec![],
    )
    .await
    .expect("drop the socket");
    wait_for_js(
        &a,
        "['reconnecting', 'offline'].includes(document.querySelector('[data-testid=connection-state]').dataset.state) &&
         document.querySelector('[data-testid=chat-offline-note]')",
        "Anna's page knows it is not connected",
    )
    .await;
    fill(&b, "[data-testid=chat-input]", "Mentre eri disconnessa").await;
    click(&b, "[data-testid=chat-send]").await;
    wait_for_message(
        &b,
        "Mentre eri disconnessa",
        "Bruno's message at his own page",
    )
    .await;
    fill(&a, "[data-testid=chat-input]", "Scritto senza rete").await;
    click(&a, "[data-testid=chat-send]").await;
    wait_for_js(
        &a,
        "document.querySelector('[data-testid=chat-pending]')",
        "Anna's message waiting",
    )
    .await;
    assert_eq!(messages_with(&a, "Mentre eri disconnessa").await, 0);
    // The network is back: the app reconnects by itself, gets what it missed and sends what
    // waited, each once.
    a.execute("window.__blockWs = false;", vec![])
        .await
        .expect("let it reconnect");
    wait_for_js(
        &a,
        "document.querySelector('[data-testid=connection-state]').dataset.state === 'connected' &&
         !document.querySelector('[data-testid=chat-pending]')",
        "Anna reconnected and her message sent",
    )
    .await;
    wait_for_message(&a, "Mentre eri disconnessa", "the missed message").await;
    wait_for_message(&b, "Scritto senza rete", "the message sent on reconnecting").await;
    for (client, who) in [(&a, "Anna"), (&b, "Bruno")] {
        for text in ["Mentre eri disconnessa", "Scritto senza rete"] {
            assert_eq!(
                messages_with(client, text).await,
                1,
                "{text} once at {who}'s"
            );
        }
    }

    // Anna reloads; Bruno writes while her page comes back.
    a.refresh().await.expect("reload");
    fill(&b, "[data-testid=chat-input]", "Scritto mentre ricaricavi").await;
    click(&b, "[data-testid=chat-send]").await;
    room_ready(&a).await;
    wait_for_message(
        &a,
        "Scritto mentre ricaricavi",
        "the message sent during the reload",
    )
    .await;
    // Everything, exactly once, in order.
    for text in [
        "domani c'è l'assemblea",
        "porto il caffè",
        "Mentre eri disconnessa",
        "Scritto senza rete",
        "Scritto mentre ricaricavi",
    ] {
        assert_eq!(messages_with(&a, text).await, 1, "{text} once");
    }
    let seqs = a
        .execute(
            "return [...document.querySelectorAll('[data-testid=chat-message]')].map(e => Number(e.dataset.seq));",
            vec![],
        )
        .await
        .expect("seqs");
    let seqs: Vec<i64> = serde_json::from_value(seqs).expect("numbers");
    assert_eq!(seqs.len(), 6, "six messages (one deleted): {seqs:?}");
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order: {seqs:?}");
    assert_eq!(
        a.execute(
            "return document.querySelectorAll('[data-testid=chat-message] [data-testid=chat-deleted]').length;",
            vec![]
        )
        .await
        .expect("deleted"),
        json!(1)
    );
    // After the reload the read marker comes from the server.
    wait_for_js(
        &a,
        &format!(
            "(document.querySelector('[data-testid=read-by]') || {{textContent: ''}}).textContent === {}",
            serde_json::to_string(&format!("Letto da {b_name}")).expect("json")
        ),
        "the read marker after the reload",
    )
    .await;
    no_axe_violations(&a, "a chat room after a reload").await;

    // Bruno goes to his list of rooms; Anna writes: the room and the nav count it, live.
    click(&b, "[data-testid=nav-chat]").await;
    wait_for_js(
        &b,
        &format!("document.querySelector('[data-testid=chat-room][data-room-id=\"{room}\"]')"),
        "Bruno's rooms",
    )
    .await;
    fill(
        &a,
        "[data-testid=chat-input]",
        "Ultima cosa: portate le sedie",
    )
    .await;
    click(&a, "[data-testid=chat-send]").await;
    wait_for_js(
        &b,
        &format!(
            "(document.querySelector('[data-testid=chat-room][data-room-id=\"{room}\"] [data-testid=chat-room-unread]') || {{}}).textContent === '1' &&
             (document.querySelector('[data-testid=chat-unread-total]') || {{}}).textContent === '1'"
        ),
        "one unread message in Bruno's list and nav",
    )
    .await;
    assert!(
        text_of(
            &b,
            &format!(
                "[data-testid=chat-room][data-room-id=\"{room}\"] [data-testid=chat-room-last]"
            )
        )
        .await
        .contains("portate le sedie"),
        "the newest message in the list"
    );
    no_axe_violations(&b, "the list of rooms").await;
    // Opening the room reads it: the count goes.
    click(
        &b,
        &format!("[data-testid=chat-room][data-room-id=\"{room}\"] a"),
    )
    .await;
    wait_for_message(&b, "portate le sedie", "the room again").await;
    wait_for_js(
        &b,
        "!document.querySelector('[data-testid=chat-unread-total]')",
        "nothing unread",
    )
    .await;

    // "Parla con una persona": the operator on duty sees Anna's request arrive, takes it and
    // answers; Anna reads the answer live.
    logout(&b).await;
    local_login(&b, &app, "operatore").await;
    click(&b, "[data-testid=nav-chat]").await;
    wait_for_js(
        &b,
        "document.querySelector('[data-testid=help-queue-empty]')",
        "the operator's empty queue",
    )
    .await;
    click(&a, "[data-testid=nav-chat]").await;
    wait_for_js(
        &a,
        "document.querySelector('[data-testid=chat-help]')",
        "the help button",
    )
    .await;
    click(&a, "[data-testid=chat-help]").await;
    room_ready(&a).await;
    wait_for_js(
        &b,
        &format!(
            "[...document.querySelectorAll('[data-testid=help-request]')].some(e => e.textContent.includes({}))",
            serde_json::to_string(&a_name).expect("json")
        ),
        "Anna's request in the operator's queue",
    )
    .await;
    no_axe_violations(&b, "the operator's help queue").await;
    click(&b, "[data-testid=help-request] button").await;
    room_ready(&b).await;
    fill(
        &b,
        "[data-testid=chat-input]",
        "Buongiorno, come posso aiutarla?",
    )
    .await;
    click(&b, "[data-testid=chat-send]").await;
    wait_for_message(&a, "come posso aiutarla", "the operator's answer").await;
    assert_eq!(messages_with(&a, "come posso aiutarla").await, 1);
    logout(&a).await;
    logout(&b).await;
}

on_both_databases!(chat_journey, chat_journey);

/// Group rooms (issue 7, the people of a room): Anna, in her browser, makes a group from the
/// chat page — first without a name (the field says why), then "Scala B" with Bruno, found by
/// his name — and lands in it; Bruno, whose chat page is open in his own browser, sees the
/// group appear without reloading, opens it and finds its people: Anna (moderator, online)
/// and himself. Anna renames the group and Bruno's page follows; she adds the committee
/// member (found by name) and Bruno's list grows; Bruno writes and Anna reads; Bruno leaves.
/// axe-core on the new-group page and on a room with its member list; both databases.
async fn chat_group_journey(backend: Backend) {
    let app = app_at_its_public_url(backend).await;
    let anna = app.login("inquilino").await;
    let bruno = app.login("condomino").await;
    let (anna_id, bruno_id) = (anna.me.id.0, bruno.me.id.0);
    let bruno_surname = bruno
        .me
        .display_name
        .split_whitespace()
        .last()
        .expect("a surname")
        .to_owned();

    let (_driver_a, a) = start_browser().await;
    let (_driver_b, b) = start_browser().await;
    // Bruno's chat page is open first.
    local_login(&b, &app, "condomino").await;
    click(&b, "[data-testid=nav-chat]").await;
    wait_for_js(
        &b,
        "document.querySelector('[data-testid=chat-new-group]') && (document.querySelector('[data-testid=connection-state]') || {dataset: {}}).dataset.state === 'connected'",
        "Bruno's rooms, connected",
    )
    .await;

    local_login(&a, &app, "inquilino").await;
    click(&a, "[data-testid=nav-chat]").await;
    wait_for_js(
        &a,
        "document.querySelector('[data-testid=chat-new-group] a')",
        "the new group link",
    )
    .await;
    click(&a, "[data-testid=chat-new-group] a").await;
    wait_for_js(
        &a,
        "document.querySelector('[data-testid=group-form]')",
        "the new group form",
    )
    .await;
    no_axe_violations(&a, "the new group page").await;

    // No name: the field says why, nothing is made.
    click(&a, "[data-testid=group-create]").await;
    wait_for_js(
        &a,
        "(document.querySelector('#group-name-error') || {textContent: ''}).textContent === 'Dai un nome al gruppo.'",
        "the name's error",
    )
    .await;
    assert_eq!(
        a.execute(
            "return document.querySelector('#group-name').getAttribute('aria-describedby');",
            vec![]
        )
        .await
        .expect("described by"),
        json!("group-name-help group-name-error"),
        "the error is tied to its field"
    );

    // A name, and Bruno found by his name.
    fill(&a, "#group-name", "Scala B").await;
    fill(&a, "[data-testid=people-search]", &bruno_surname).await;
    let add = format!("[data-testid=people-add][data-user-id=\"{bruno_id}\"]");
    wait_for_js(
        &a,
        &format!(
            "document.querySelector({})",
            serde_json::to_string(&add).expect("json")
        ),
        "Bruno among the people found",
    )
    .await;
    assert!(
        text_of(&a, "[data-testid=people-status]")
            .await
            .contains("trovat"),
        "the number found is announced"
    );
    click(&a, &add).await;
    wait_for_js(
        &a,
        &format!(
            "document.querySelector('[data-testid=people-chosen][data-user-id=\"{bruno_id}\"]')"
        ),
        "Bruno chosen",
    )
    .await;
    no_axe_violations(&a, "the new group page, filled in").await;
    click(&a, "[data-testid=group-create]").await;
    room_ready(&a).await;
    assert_eq!(text_of(&a, "[data-testid=page-title]").await, "Scala B");
    let url = a.current_url().await.expect("url");
    let group: i64 = url
        .path()
        .trim_start_matches("/chat/")
        .parse()
        .expect("the room's address");

    // Bruno's list shows the group without a reload; he opens it.
    let link = format!("[data-testid=chat-room][data-room-id=\"{group}\"] a");
    wait_for_js(
        &b,
        &format!(
            "document.querySelector({})",
            serde_json::to_string(&link).expect("json")
        ),
        "the group in Bruno's list, live",
    )
    .await;
    click(&b, &link).await;
    room_ready(&b).await;
    // Its people: Anna moderating and online, Bruno himself.
    wait_for_js(
        &b,
        &format!(
            "document.querySelectorAll('[data-testid=member]').length === 2 &&
             document.querySelector('[data-testid=member][data-user-id=\"{anna_id}\"]').dataset.moderator === 'true' &&
             document.querySelector('[data-testid=member][data-user-id=\"{anna_id}\"]').dataset.online === 'true' &&
             document.querySelector('[data-testid=member][data-user-id=\"{bruno_id}\"]').dataset.moderator === 'false'"
        ),
        "the group's people at Bruno's",
    )
    .await;
    assert!(
        text_of(&b, "[data-testid=member-list]")
            .await
            .contains("moderatore"),
        "the moderator is named so"
    );
    // Bruno is not a moderator: no rename, no moderators' buttons; he may leave.
    assert_eq!(
        b.execute(
            "return [!!document.querySelector('[data-testid=group-rename-form]'), !!document.querySelector('[data-testid=member-mute]'), !!document.querySelector('[data-testid=group-leave]')];",
            vec![]
        )
        .await
        .expect("buttons"),
        json!([false, false, true])
    );
    // Anna sees Bruno come online in her list.
    wait_for_js(
        &a,
        &format!("(document.querySelector('[data-testid=member][data-user-id=\"{bruno_id}\"]') || {{dataset: {{}}}}).dataset.online === 'true'"),
        "Bruno online at Anna's",
    )
    .await;
    no_axe_violations(&b, "a group room with its people").await;

    // Anna renames the group: Bruno's page follows.
    fill(&a, "#group-rename", "Scala B, piano 3").await;
    click(&a, "[data-testid=group-rename-save]").await;
    wait_for_js(
        &a,
        "document.querySelector('[data-testid=group-status]').textContent.includes('Scala B, piano 3')",
        "the rename confirmed",
    )
    .await;
    wait_for_js(
        &b,
        "document.querySelector('[data-testid=page-title]').textContent === 'Scala B, piano 3'",
        "the new name at Bruno's",
    )
    .await;

    // Anna adds the committee member, found by name: Bruno's list grows live.
    let committee = app.login("comitato").await;
    let committee_id = committee.me.id.0;
    let committee_word = committee
        .me
        .display_name
        .split_whitespace()
        .last()
        .expect("a name")
        .to_owned();
    fill(&a, "#group-add-search", &committee_word).await;
    let add = format!(
        "[data-testid=group-add-form] [data-testid=people-add][data-user-id=\"{committee_id}\"]"
    );
    wait_for_js(
        &a,
        &format!(
            "document.querySelector({})",
            serde_json::to_string(&add).expect("json")
        ),
        "the committee member found",
    )
    .await;
    click(&a, &add).await;
    click(&a, "[data-testid=group-add]").await;
    wait_for_js(
        &a,
        "document.querySelector('[data-testid=group-status]').textContent.includes('1 persona aggiunta')",
        "the addition confirmed",
    )
    .await;
    wait_for_js(
        &b,
        &format!(
            "document.querySelectorAll('[data-testid=member]').length === 3 &&
             document.querySelector('[data-testid=member][data-user-id=\"{committee_id}\"]')"
        ),
        "the committee member in Bruno's list, live",
    )
    .await;

    // They talk.
    fill(&b, "[data-testid=chat-input]", "Grazie Anna, ci sono!").await;
    click(&b, "[data-testid=chat-send]").await;
    wait_for_message(&a, "ci sono", "Bruno's message at Anna's").await;

    // The member list filters by name.
    fill(&a, "[data-testid=members-filter]", &bruno_surname).await;
    wait_for_js(
        &a,
        &format!(
            "document.querySelectorAll('[data-testid=member]').length === 1 &&
             document.querySelector('[data-testid=member]').dataset.userId === '{bruno_id}'"
        ),
        "the filtered list",
    )
    .await;

    // Bruno leaves (asked to confirm first): back to his rooms, without the group; Anna's list
    // no longer has him.
    click(&b, "[data-testid=group-leave]").await;
    wait_for_js(
        &b,
        "document.querySelector('[data-testid=group-leave]').textContent.includes('Sì, esci')",
        "the confirmation",
    )
    .await;
    click(&b, "[data-testid=group-leave]").await;
    wait_for_js(
        &b,
        &format!(
            "location.pathname === '/chat' && document.querySelector('[data-testid=chat-room]') &&
             !document.querySelector('[data-testid=chat-room][data-room-id=\"{group}\"]')"
        ),
        "Bruno back at his rooms, without the group",
    )
    .await;
    // (Clearing a field through WebDriver sends no input event: the page's own way.)
    a.execute(
        "const i = document.querySelector('[data-testid=members-filter]');
         i.value = '';
         i.dispatchEvent(new InputEvent('input', {bubbles: true}));",
        vec![],
    )
    .await
    .expect("clear the filter");
    wait_for_js(
        &a,
        &format!(
            "document.querySelectorAll('[data-testid=member]').length === 2 &&
             !document.querySelector('[data-testid=member][data-user-id=\"{bruno_id}\"]') &&
             document.querySelector('[data-testid=member][data-user-id=\"{anna_id}\"]')"
        ),
        "Bruno gone from Anna's list",
    )
    .await;
    drop(a);
    drop(b);
    app.shutdown().await;
}

on_both_databases!(chat_group_journey, chat_group_journey);
