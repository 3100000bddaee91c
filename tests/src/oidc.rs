//! A real OpenID provider for the login tests: the npm `oidc-provider` of `tests/oidc-provider`,
//! started on a free loopback port with one confidential client and the given accounts.
//!
//! `cargo xtask test` installs its packages and sets `CORTILE_TEST_OIDC_PROVIDER` to its folder;
//! by hand: `(cd tests/oidc-provider && npm ci)` and
//! `export CORTILE_TEST_OIDC_PROVIDER=$PWD/tests/oidc-provider`.
//!
//! [`login_over_http`] plays the browser with plain HTTP: it follows the provider's redirects,
//! fills its login form (`login`, `password`) and returns the redirect back to the relying party.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use reqwest::Url;
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};

/// How long the provider may take to start (node loads oidc-provider and makes a signing key).
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// An account of the test provider, as its `ACCOUNTS_FILE` spells it.
#[derive(Debug, Clone, Serialize)]
pub struct TestAccount {
    pub login: String,
    pub password: String,
    /// The subject identifier the provider gives this person.
    pub sub: String,
    pub given_name: String,
    pub family_name: String,
    /// The fiscal code, bare or as `TINIT-<code>`; the provider always sends the `TINIT-` form.
    pub fiscal_number: String,
}

impl TestAccount {
    /// Mario Rossi, login `mrossi`, password `pw`, fiscal code RSSMRA80A01F205X.
    pub fn mario_rossi() -> TestAccount {
        TestAccount {
            login: "mrossi".into(),
            password: "pw".into(),
            sub: "sub-mrossi-0001".into(),
            given_name: "Mario".into(),
            family_name: "Rossi".into(),
            fiscal_number: "TINIT-RSSMRA80A01F205X".into(),
        }
    }
}

/// How the provider is set up beyond the defaults.
#[derive(Debug, Clone)]
pub struct ProviderOptions {
    /// Put the profile claims (names, fiscal number) in the ID token too; by default they come
    /// only from the userinfo endpoint, as the spec says for the code flow.
    pub claims_in_id_token: bool,
    /// `client_secret_basic` (the default) or `client_secret_post`.
    pub token_endpoint_auth_method: &'static str,
    /// How ID tokens are signed: `ES256` (the default) or `RS256`. An RSA key is slow to make
    /// (up to tens of seconds on a loaded machine), so only ask for it where it matters.
    pub signing_alg: &'static str,
}

impl Default for ProviderOptions {
    fn default() -> Self {
        ProviderOptions {
            claims_in_id_token: false,
            token_endpoint_auth_method: "client_secret_basic",
            signing_alg: "ES256",
        }
    }
}

/// A running test provider. Dropping it stops the process and removes its files.
pub struct OidcProvider {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    child: Child,
    // Kept open so that the provider never writes to a closed pipe.
    _stdout: BufReader<ChildStdout>,
    tempdir: PathBuf,
}

/// The folder of `server.mjs` with its packages installed.
fn provider_dir() -> PathBuf {
    let dir = std::env::var_os("CORTILE_TEST_OIDC_PROVIDER")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            panic!(
            "CORTILE_TEST_OIDC_PROVIDER is not set: run the tests with `cargo xtask test`, which \
             installs the test OpenID provider (or run `npm ci` in tests/oidc-provider and set \
             CORTILE_TEST_OIDC_PROVIDER to that folder)"
        )
        });
    assert!(
        dir.join("node_modules/oidc-provider").is_dir(),
        "{} has no node_modules/oidc-provider: run `npm ci` there (`cargo xtask test` does)",
        dir.display()
    );
    dir
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

impl OidcProvider {
    /// Starts a provider whose one client may redirect to `redirect_uri`.
    pub async fn start(redirect_uri: &str, accounts: &[TestAccount]) -> OidcProvider {
        OidcProvider::start_with(redirect_uri, accounts, &ProviderOptions::default()).await
    }

    /// Starts a provider with `options`. A start that stalls is tried once more: under a full
    /// parallel test run on two cores, node's key generation has been seen to hang.
    pub async fn start_with(
        redirect_uri: &str,
        accounts: &[TestAccount],
        options: &ProviderOptions,
    ) -> OidcProvider {
        match OidcProvider::try_start(redirect_uri, accounts, options).await {
            Ok(provider) => provider,
            Err(first) => {
                eprintln!("the test OpenID provider did not start; trying again: {first}");
                OidcProvider::try_start(redirect_uri, accounts, options)
                    .await
                    .unwrap_or_else(|second| panic!("{second}"))
            }
        }
    }

    async fn try_start(
        redirect_uri: &str,
        accounts: &[TestAccount],
        options: &ProviderOptions,
    ) -> Result<OidcProvider, String> {
        let dir = provider_dir();
        let id = uuid::Uuid::new_v4().simple().to_string();
        let tempdir = std::env::temp_dir().join(format!("cortile-oidc-{id}"));
        std::fs::create_dir_all(&tempdir).expect("create the provider's folder");
        let accounts_file = tempdir.join("accounts.json");
        std::fs::write(
            &accounts_file,
            serde_json::to_vec(accounts).expect("accounts as JSON"),
        )
        .expect("write the accounts file");
        let stderr_file = tempdir.join("stderr.log");
        let stderr = std::fs::File::create(&stderr_file).expect("create the provider's log");

        let port = free_port();
        let client_id = format!("cortile-test-{}", &id[..8]);
        let client_secret = format!("secret-{id}");
        let mut child = Command::new("node")
            .arg("server.mjs")
            .current_dir(&dir)
            .env("PORT", port.to_string())
            .env("CLIENT_ID", &client_id)
            .env("CLIENT_SECRET", &client_secret)
            .env("REDIRECT_URIS", redirect_uri)
            .env("ACCOUNTS_FILE", &accounts_file)
            .env(
                "TOKEN_ENDPOINT_AUTH_METHOD",
                options.token_endpoint_auth_method,
            )
            .env("SIGNING_ALG", options.signing_alg)
            .env(
                "ID_TOKEN_CLAIMS",
                if options.claims_in_id_token { "1" } else { "0" },
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start node {}/server.mjs: {e}", dir.display()));
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));

        let expected = format!("ready http://127.0.0.1:{port}");
        let mut line = String::new();
        let read = tokio::time::timeout(START_TIMEOUT, stdout.read_line(&mut line)).await;
        if !matches!(read, Ok(Ok(n)) if n > 0) || line.trim_end() != expected {
            let _ = child.start_kill();
            let _ = child.wait().await;
            let log = std::fs::read_to_string(&stderr_file).unwrap_or_default();
            let _ = std::fs::remove_dir_all(&tempdir);
            return Err(format!(
                "the test OpenID provider did not become ready ({read:?}, first line {line:?}, \
                 expected {expected:?}); its stderr:\n{log}"
            ));
        }
        Ok(OidcProvider {
            issuer: format!("http://127.0.0.1:{port}"),
            client_id,
            client_secret,
            child,
            _stdout: stdout,
            tempdir,
        })
    }

    /// What the provider wrote on stderr so far (warnings, server errors).
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.tempdir.join("stderr.log")).unwrap_or_default()
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.tempdir);
    }
}

/// An HTTP client fit for [`login_over_http`]: keeps cookies, never follows redirects.
pub fn browser_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(15))
        .build()
        .expect("http client")
}

/// Why [`try_login_over_http`] did not get back to the relying party.
#[derive(Debug)]
pub enum LoginError {
    /// The provider showed its login form again after the credentials were sent.
    Rejected { status: u16, page: String },
    /// Anything else: an unexpected page, status or loop.
    Unexpected(String),
}

/// Drives the provider from `authorize_url` with plain HTTP (`client` must keep cookies and not
/// follow redirects: [`browser_client`]): follows its redirects, fills the login form, passes any
/// consent form, and returns the URL it finally redirects to outside the provider (the relying
/// party's redirect URI with `code` and `state`), without requesting it. Panics if the login
/// does not get there; see [`try_login_over_http`].
pub async fn login_over_http(
    client: &reqwest::Client,
    authorize_url: &str,
    login: &str,
    password: &str,
) -> String {
    try_login_over_http(client, authorize_url, login, password)
        .await
        .unwrap_or_else(|e| panic!("login as {login:?} at the OpenID provider failed: {e:?}"))
}

/// [`login_over_http`] that reports a refused login instead of panicking.
pub async fn try_login_over_http(
    client: &reqwest::Client,
    authorize_url: &str,
    login: &str,
    password: &str,
) -> Result<String, LoginError> {
    let unexpected = |m: String| LoginError::Unexpected(m);
    let start =
        Url::parse(authorize_url).map_err(|e| unexpected(format!("{authorize_url}: {e}")))?;
    let provider_origin = start.origin();
    let mut request = client.get(start);
    let mut credentials_sent = false;
    for _ in 0..20 {
        let built = request
            .build()
            .map_err(|e| unexpected(format!("building a request: {e}")))?;
        let url = built.url().clone();
        let method = built.method().clone();
        let res = client
            .execute(built)
            .await
            .map_err(|e| unexpected(format!("{method} {url}: {e}")))?;
        if *res.url() != url {
            return Err(unexpected(
                "the client follows redirects; use cortile_tests::oidc::browser_client()".into(),
            ));
        }
        let status = res.status();
        if status.is_redirection() {
            let location = res
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| unexpected(format!("{method} {url}: {status} without Location")))?;
            let next = url
                .join(location)
                .map_err(|e| unexpected(format!("bad Location {location:?}: {e}")))?;
            if next.origin() != provider_origin {
                return Ok(next.into());
            }
            request = client.get(next);
            continue;
        }
        let page = res.text().await.unwrap_or_default();
        let Some(form) = Form::find(&page) else {
            return Err(unexpected(format!(
                "{method} {url} answered {status} with no form and no redirect:\n{page}"
            )));
        };
        let mut fields = form.hidden;
        if form.has_login {
            if credentials_sent {
                return Err(LoginError::Rejected {
                    status: status.as_u16(),
                    page,
                });
            }
            credentials_sent = true;
            fields.push(("login".into(), login.into()));
            fields.push(("password".into(), password.into()));
        }
        let action = url
            .join(&form.action)
            .map_err(|e| unexpected(format!("bad form action {:?}: {e}", form.action)))?;
        request = client.post(action).form(&fields);
    }
    Err(unexpected(
        "more than 20 steps at the provider without getting back".into(),
    ))
}

/// The first form of a page, as much of it as the login needs.
struct Form {
    action: String,
    has_login: bool,
    hidden: Vec<(String, String)>,
}

impl Form {
    fn find(page: &str) -> Option<Form> {
        let lower = page.to_ascii_lowercase();
        let start = lower.find("<form")?;
        let end = lower[start..]
            .find("</form")
            .map_or(page.len(), |e| start + e);
        let tag_end = start + lower[start..].find('>')?;
        let action = attribute(&page[start..tag_end], "action").unwrap_or_default();
        let mut has_login = false;
        let mut hidden = Vec::new();
        let mut at = start;
        while let Some(i) = lower[at..end].find("<input") {
            let tag_start = at + i;
            let tag_end = tag_start + lower[tag_start..].find('>')?;
            let tag = &page[tag_start..tag_end];
            let name = attribute(tag, "name").unwrap_or_default();
            let kind = attribute(tag, "type").unwrap_or_default();
            if name == "login" {
                has_login = true;
            } else if kind.eq_ignore_ascii_case("hidden") && !name.is_empty() {
                hidden.push((name, attribute(tag, "value").unwrap_or_default()));
            }
            at = tag_end;
        }
        Some(Form {
            action,
            has_login,
            hidden,
        })
    }
}

/// The value of `name="…"` in a tag, entities decoded.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let before_ok = at > 0 && lower.as_bytes()[at - 1].is_ascii_whitespace();
        let rest = tag[at + name.len()..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let rest = rest[1..].trim_start();
        let quote = rest.chars().next()?;
        let value = if quote == '"' || quote == '\'' {
            let body = &rest[1..];
            &body[..body.find(quote)?]
        } else {
            rest.split(|c: char| c.is_whitespace() || c == '>')
                .next()
                .unwrap_or("")
        };
        return Some(decode_entities(value));
    }
    None
}

fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(semi) = rest.find(';') else { break };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A server that trusts a fresh test provider (and the provider it): the server's port is
/// chosen first so that the provider knows the redirect URI. `builder` sets everything else.
pub async fn spawn_with_provider(
    builder: crate::TestAppBuilder,
    accounts: &[TestAccount],
) -> (OidcProvider, crate::TestApp) {
    let port = free_port();
    let public = format!("http://127.0.0.1:{port}");
    let redirect = format!("{public}{}", cortile::auth::oidc::DEFAULT_CALLBACK_PATH);
    let provider = OidcProvider::start(&redirect, accounts).await;
    let oidc = cortile::auth::oidc::OidcConfig {
        issuer: provider.issuer.clone(),
        client_id: provider.client_id.clone(),
        client_secret: Some(provider.client_secret.clone()),
        redirect_uri: redirect,
        fiscal_code_claim: cortile::auth::oidc::SPID_FISCAL_NUMBER_CLAIM.into(),
        scopes: vec!["openid".into(), "profile".into()],
    };
    let app = builder
        .configure(move |c| {
            c.bind = ([127, 0, 0, 1], port).into();
            c.public_url = public;
            c.oidc = Some(oidc);
        })
        .spawn()
        .await;
    (provider, app)
}

/// The demo resident (`inquilino`: the holder of the first home of the demo registry) as the
/// identity provider knows them: login `maria`, password `pw-maria`.
pub fn demo_resident() -> TestAccount {
    let code =
        cortile::registry::demo_export::rows(cortile::registry::demo::Scale::Small, |_| 1, true)
            .first()
            .map(|r| r.fiscal_code().to_owned())
            .unwrap_or_default();
    TestAccount {
        login: "maria".into(),
        password: "pw-maria".into(),
        sub: "spid-maria-001".into(),
        given_name: "Maria".into(),
        family_name: "Rossi".into(),
        fiscal_number: format!("TINIT-{code}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_login_form() {
        let page = r#"<p>x</p><FORM method="post" action="/interaction/a&amp;b/login">
            <input type="hidden" name="prompt" value="login"/>
            <input id="login" type="text" name="login" required>
            <input type="password" name="password"></form><form action="/other"></form>"#;
        let form = Form::find(page).expect("a form");
        assert_eq!(form.action, "/interaction/a&b/login");
        assert!(form.has_login);
        assert_eq!(form.hidden, [("prompt".to_owned(), "login".to_owned())]);
        assert!(Form::find("<p>no form</p>").is_none());
    }

    #[test]
    fn decodes_entities() {
        assert_eq!(
            decode_entities("a&#47;b&#x2F;c&amp;d&bogus;"),
            "a/b/c&d&bogus;"
        );
    }
}
