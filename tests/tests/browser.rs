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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn estates_journey_on_sqlite() {
    journey(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn estates_journey_on_postgres() {
    journey(Backend::Postgres).await;
}
