//! OpenID Connect login end to end, on both databases: the server against a real provider
//! (npm `oidc-provider`) on loopback, the browser played with plain HTTP.

use cortile::db::schema::{identities, users};
use cortile_shared::auth::{Me, Role};
use cortile_tests::oidc::{
    browser_client, demo_resident, login_over_http, spawn_with_provider, OidcProvider, TestAccount,
};
use cortile_tests::{json_of, Backend, TestApp};
use diesel::prelude::*;

/// A provider and a server that trust each other; the server has the demo people, and the
/// provider knows the demo resident (same fiscal code as `inquilino`) and a newcomer.
async fn setup(backend: Backend) -> (OidcProvider, TestApp, Vec<TestAccount>) {
    let accounts = vec![demo_resident(), TestAccount::mario_rossi()];
    let (provider, app) = spawn_with_provider(TestApp::builder(backend).people(), &accounts).await;
    (provider, app, accounts)
}

/// Logs in through the provider; returns the client (with its session cookie) and where the
/// server sent the browser at the end.
async fn oidc_login(
    app: &TestApp,
    account: &TestAccount,
    return_to: &str,
) -> (reqwest::Client, String, String) {
    let browser = browser_client();
    let start = browser
        .get(app.url(&format!("/api/v1/auth/oidc/start?return_to={return_to}")))
        .send()
        .await
        .expect("start");
    assert_eq!(start.status(), 302);
    let to_provider = start
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("a redirect to the provider")
        .to_owned();
    assert!(
        to_provider.contains("code_challenge_method=S256"),
        "{to_provider}"
    );
    assert!(to_provider.contains("nonce="), "{to_provider}");
    let callback = login_over_http(&browser, &to_provider, &account.login, &account.password).await;
    let back = browser.get(&callback).send().await.expect("callback");
    assert_eq!(back.status(), 302);
    let location = back
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (browser, location, callback)
}

async fn both(backend: Backend) {
    let (_provider, app, accounts) = setup(backend).await;
    let options: cortile_shared::auth::LoginOptions = app.get_json("/api/v1/auth/options").await;
    assert!(options.oidc && options.local);

    // The demo resident logs in with SPID: the same account as `inquilino`, with its home.
    let (browser, location, callback) = oidc_login(&app, &accounts[0], "/domanda").await;
    assert_eq!(location, "/domanda");
    let me: Me = json_of(
        browser.get(app.url("/api/v1/me")).send().await.expect("me"),
        200,
        "me",
    )
    .await;
    assert_eq!(
        me.username.as_deref(),
        Some("inquilino"),
        "linked by the verified fiscal code"
    );
    assert!(me.residence.is_some() && me.has_role(Role::Resident));
    let sessions: Vec<cortile_shared::auth::SessionInfo> = json_of(
        browser
            .get(app.url("/api/v1/me/sessions"))
            .send()
            .await
            .expect("s"),
        200,
        "sessions",
    )
    .await;
    assert!(sessions
        .iter()
        .any(|s| s.current && s.method == cortile_shared::auth::LoginMethod::Oidc));
    // The callback cannot be replayed: its state was used.
    let replay = browser_client()
        .get(&callback)
        .send()
        .await
        .expect("replay");
    assert_eq!(
        replay
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some("/accedi?errore=oidc_expired")
    );
    // A second login with the same identity reuses the account.
    let (again, _, _) = oidc_login(&app, &accounts[0], "/").await;
    let me2: Me = json_of(
        again.get(app.url("/api/v1/me")).send().await.expect("me"),
        200,
        "me",
    )
    .await;
    assert_eq!(me2.id, me.id);

    // A newcomer unknown to the registry gets an account, without a home; a hostile return_to
    // is not followed.
    let (newcomer, location, _) = oidc_login(&app, &accounts[1], "//evil.example/x").await;
    assert_eq!(location, "/profilo");
    let me3: Me = json_of(
        newcomer
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .expect("me"),
        200,
        "me",
    )
    .await;
    assert_eq!(me3.display_name, "Mario Rossi");
    assert_eq!(me3.fiscal_code.as_deref(), Some("RSSMRA80A01F205X"));
    assert!(me3.residence.is_none() && me3.grants.is_empty());

    let mut conn = app.connect();
    let n: i64 = identities::table
        .count()
        .get_result(&mut conn)
        .expect("identities");
    assert_eq!(n, 2);
    let no_password: i64 = users::table
        .filter(users::id.eq(me3.id.0))
        .filter(users::password_hash.is_null())
        .count()
        .get_result(&mut conn)
        .expect("user");
    assert_eq!(no_password, 1);

    // A made-up state goes back to the login page and logs nobody in.
    let forged = browser_client()
        .get(app.url("/api/v1/auth/oidc/callback?code=abc&state=forged"))
        .send()
        .await
        .expect("forged");
    assert_eq!(forged.status(), 302);
    assert!(forged.headers().get("set-cookie").is_none());
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_login_links_the_registry_sqlite() {
    both(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_login_links_the_registry_postgres() {
    both(Backend::Postgres).await;
}
