//! The OpenID Connect relying party (`cortile::auth::oidc`) against a real provider on loopback
//! (`tests/oidc-provider`, npm `oidc-provider`), logging in through its form with plain HTTP.
//! No database: the module is pure of storage and HTTP-server concerns.

use cortile::auth::oidc::{
    OidcClient, OidcConfig, OidcError, PendingLogin, VerifiedIdentity, SPID_FISCAL_NUMBER_CLAIM,
};
use cortile_shared::FiscalCode;
use cortile_tests::oidc::{
    browser_client, login_over_http, try_login_over_http, LoginError, OidcProvider,
    ProviderOptions, TestAccount,
};
use reqwest::Url;

/// Never requested: the login stops at the redirect back to it.
const REDIRECT_URI: &str = "http://127.0.0.1:9/api/v1/auth/oidc/callback";

fn config(provider: &OidcProvider) -> OidcConfig {
    OidcConfig {
        issuer: provider.issuer.clone(),
        client_id: provider.client_id.clone(),
        client_secret: Some(provider.client_secret.clone()),
        redirect_uri: REDIRECT_URI.into(),
        fiscal_code_claim: SPID_FISCAL_NUMBER_CLAIM.into(),
        scopes: vec!["openid".into(), "profile".into()],
    }
}

async fn start(options: &ProviderOptions) -> (OidcProvider, OidcClient) {
    let provider =
        OidcProvider::start_with(REDIRECT_URI, &[TestAccount::mario_rossi()], options).await;
    let client = OidcClient::discover(&config(&provider))
        .await
        .unwrap_or_else(|e| panic!("discovery: {e}; provider stderr:\n{}", provider.stderr()));
    (provider, client)
}

/// The callback's `code` and `state`.
fn callback_params(redirect: &str) -> (String, String) {
    let url = Url::parse(redirect).expect("a redirect URL");
    assert!(
        redirect.starts_with(REDIRECT_URI),
        "redirected to {redirect}, not to the relying party"
    );
    let param = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_else(|| panic!("no {name} in {redirect}"))
    };
    (param("code"), param("state"))
}

/// Logs Mario Rossi in: the pending login and the callback's code and state.
async fn log_in(client: &OidcClient) -> (PendingLogin, String, String) {
    let (url, pending) = client.authorize_url();
    let redirect = login_over_http(&browser_client(), &url, "mrossi", "pw").await;
    let (code, state) = callback_params(&redirect);
    (pending, code, state)
}

fn assert_mario(identity: &VerifiedIdentity, provider: &OidcProvider) {
    let expected = FiscalCode::parse("RSSMRA80A01F205X").expect("valid fiscal code");
    assert_eq!(identity.issuer, provider.issuer);
    assert_eq!(identity.subject, "sub-mrossi-0001");
    assert_eq!(identity.fiscal_code.as_ref(), Some(&expected));
    assert_eq!(identity.given_name.as_deref(), Some("Mario"));
    assert_eq!(identity.family_name.as_deref(), Some("Rossi"));
}

#[tokio::test]
async fn logs_in_with_claims_from_userinfo() {
    let (provider, client) = start(&ProviderOptions::default()).await;
    let (url, pending) = client.authorize_url();
    let authorize = Url::parse(&url).expect("authorize URL");
    let query: Vec<(String, String)> = authorize.query_pairs().into_owned().collect();
    let has = |k: &str, v: &str| query.iter().any(|(qk, qv)| qk == k && qv == v);
    assert!(
        url.starts_with(&format!("{}/auth?", provider.issuer)),
        "{url}"
    );
    assert!(has("response_type", "code"), "{url}");
    assert!(has("code_challenge_method", "S256"), "{url}");
    assert!(has("scope", "openid profile"), "{url}");
    assert!(has("state", &pending.state) && has("nonce", &pending.nonce));
    assert!(
        !url.contains(&pending.pkce_verifier),
        "the verifier stays secret"
    );

    let redirect = login_over_http(&browser_client(), &url, "mrossi", "pw").await;
    let (code, state) = callback_params(&redirect);
    assert_eq!(state, pending.state);
    let identity = client
        .exchange(&code, &state, &pending)
        .await
        .expect("a verified identity");
    assert_mario(&identity, &provider);
}

#[tokio::test]
async fn logs_in_with_claims_in_an_rs256_id_token_and_client_secret_post() {
    let (provider, client) = start(&ProviderOptions {
        claims_in_id_token: true,
        token_endpoint_auth_method: "client_secret_post",
        signing_alg: "RS256",
    })
    .await;
    let (pending, code, state) = log_in(&client).await;
    let identity = client
        .exchange(&code, &state, &pending)
        .await
        .expect("a verified identity");
    assert_mario(&identity, &provider);
}

#[tokio::test]
async fn a_wrong_state_is_rejected_before_the_code_is_used() {
    let (provider, client) = start(&ProviderOptions::default()).await;
    let (pending, code, state) = log_in(&client).await;
    let err = client
        .exchange(&code, "forged-state", &pending)
        .await
        .expect_err("a wrong state");
    assert!(matches!(err, OidcError::StateMismatch), "{err:?}");
    // The state of another login is refused too, and the code was not spent.
    let (_, other) = client.authorize_url();
    let err = client
        .exchange(&code, &other.state, &pending)
        .await
        .expect_err("another login's state");
    assert!(matches!(err, OidcError::StateMismatch), "{err:?}");
    let identity = client
        .exchange(&code, &state, &pending)
        .await
        .expect("the code still works with the right state");
    assert_mario(&identity, &provider);
}

#[tokio::test]
async fn a_code_works_once() {
    let (_provider, client) = start(&ProviderOptions::default()).await;
    let (pending, code, state) = log_in(&client).await;
    client
        .exchange(&code, &state, &pending)
        .await
        .expect("the first exchange");
    let err = client
        .exchange(&code, &state, &pending)
        .await
        .expect_err("the same code again");
    match err {
        OidcError::Exchange(message) => assert!(message.contains("invalid_grant"), "{message}"),
        other => panic!("expected Exchange, got {other:?}"),
    }
}

#[tokio::test]
async fn a_wrong_pkce_verifier_or_nonce_is_rejected() {
    let (_provider, client) = start(&ProviderOptions::default()).await;

    let (pending, code, state) = log_in(&client).await;
    let (_, other) = client.authorize_url();
    let wrong_verifier = PendingLogin {
        pkce_verifier: other.pkce_verifier,
        ..pending
    };
    let err = client
        .exchange(&code, &state, &wrong_verifier)
        .await
        .expect_err("another login's PKCE verifier");
    assert!(matches!(err, OidcError::Exchange(_)), "{err:?}");

    let (pending, code, state) = log_in(&client).await;
    let (_, other) = client.authorize_url();
    let wrong_nonce = PendingLogin {
        nonce: other.nonce,
        ..pending
    };
    let err = client
        .exchange(&code, &state, &wrong_nonce)
        .await
        .expect_err("another login's nonce");
    assert!(matches!(err, OidcError::InvalidIdToken(_)), "{err:?}");
}

#[tokio::test]
async fn a_wrong_password_gets_no_code() {
    let (_provider, client) = start(&ProviderOptions::default()).await;
    let (url, _pending) = client.authorize_url();
    let err = try_login_over_http(&browser_client(), &url, "mrossi", "wrong")
        .await
        .expect_err("a wrong password");
    match err {
        LoginError::Rejected { status, page } => {
            assert_eq!(status, 401);
            assert!(page.contains("name=\"login\""), "{page}");
            assert!(!page.contains("code="), "{page}");
        }
        other => panic!("expected the form again, got {other:?}"),
    }
    let err = try_login_over_http(&browser_client(), &url, "nobody", "pw")
        .await
        .expect_err("an unknown login");
    assert!(matches!(err, LoginError::Rejected { .. }), "{err:?}");
}

#[tokio::test]
async fn discovery_fails_without_a_provider() {
    let config = OidcConfig {
        issuer: "http://127.0.0.1:9".into(),
        client_id: "cortile".into(),
        client_secret: None,
        redirect_uri: REDIRECT_URI.into(),
        fiscal_code_claim: SPID_FISCAL_NUMBER_CLAIM.into(),
        scopes: vec!["openid".into()],
    };
    let err = OidcClient::discover(&config)
        .await
        .expect_err("no provider");
    assert!(matches!(err, OidcError::Discovery(_)), "{err:?}");
}

#[tokio::test]
async fn discovery_refuses_a_different_issuer() {
    let (provider, _) = start(&ProviderOptions::default()).await;
    let mut config = config(&provider);
    // Same server, another spelling: the metadata's issuer must match exactly.
    config.issuer = provider.issuer.replace("127.0.0.1", "localhost");
    let err = OidcClient::discover(&config)
        .await
        .expect_err("issuer mismatch");
    assert!(matches!(err, OidcError::Discovery(_)), "{err:?}");
}
