//! Login with OpenID Connect (SPID and CIE through an OpenID provider): the relying party's side.
//!
//! Pure of HTTP-server and database concerns: [`OidcClient::discover`] reads the provider's
//! metadata and keys, [`OidcClient::authorize_url`] starts a login (authorization code flow with
//! PKCE S256, `state` and `nonce`, kept by the caller as a [`PendingLogin`] until the callback),
//! and [`OidcClient::exchange`] finishes it: it checks `state`, redeems the code with the PKCE
//! verifier, validates the ID token (signature against the provider's JWKS with RS256, RS512,
//! PS256, PS512 or ES256; issuer, audience, expiry, nonce, access-token hash) and reads the identity: the subject, the names, and the
//! fiscal code from the configured claim (by default SPID/CIE's
//! `https://attributes.eid.gov.it/fiscal_number`, valued `TINIT-<code>`), taken from the ID
//! token or, when absent there, from the userinfo endpoint.
//!
//! Settings (environment): `CORTILE_OIDC_ISSUER` (unset: no OpenID login),
//! `CORTILE_OIDC_CLIENT_ID`, `CORTILE_OIDC_CLIENT_SECRET`, `CORTILE_OIDC_REDIRECT_URI` (default
//! `<public URL>/api/v1/auth/oidc/callback`), `CORTILE_OIDC_FISCAL_CODE_CLAIM`,
//! `CORTILE_OIDC_SCOPES` (space separated, default `openid profile`).

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use cortile_shared::FiscalCode;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreClientAuthMethod,
    CoreErrorResponseType, CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreRevocableToken, CoreRevocationErrorResponse,
    CoreTokenIntrospectionResponse, CoreTokenType,
};
use openidconnect::{
    AccessTokenHash, AdditionalClaims, AuthType, AuthorizationCode, Client, ClientId, ClientSecret,
    CsrfToken, EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenFields,
    IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl,
    RequestTokenError, Scope, StandardErrorResponse, StandardTokenResponse, TokenResponse,
    UserInfoClaims,
};
use serde::{Deserialize, Serialize};

use crate::config::ConfigError;

/// The claim SPID and CIE use for the fiscal code (`TINIT-RSSMRA85T10A562S`).
pub const SPID_FISCAL_NUMBER_CLAIM: &str = "https://attributes.eid.gov.it/fiscal_number";

/// Where the provider sends the user back, under the public URL.
pub const DEFAULT_CALLBACK_PATH: &str = "/api/v1/auth/oidc/callback";

/// The ID token signatures accepted: the asymmetric ones of the SPID/CIE OpenID profile (never
/// `none`, nor HMAC with the client secret).
const ID_TOKEN_ALGS: [CoreJwsSigningAlgorithm; 5] = [
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
    CoreJwsSigningAlgorithm::RsaSsaPssSha256,
    CoreJwsSigningAlgorithm::RsaSsaPssSha512,
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
];

/// How long any request to the provider may take.
const HTTP_TIMEOUT: Duration = Duration::from_secs(15);

/// The relying party's settings for one OpenID provider.
#[derive(Clone, PartialEq, Eq)]
pub struct OidcConfig {
    /// The provider's issuer identifier; discovery reads `<issuer>/.well-known/openid-configuration`.
    pub issuer: String,
    pub client_id: String,
    /// Absent for a public client (PKCE only).
    pub client_secret: Option<String>,
    pub redirect_uri: String,
    /// The claim holding the fiscal code, looked up by name in the ID token, then in userinfo.
    pub fiscal_code_claim: String,
    /// Requested scopes; always include `openid`.
    pub scopes: Vec<String>,
}

impl fmt::Debug for OidcConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcConfig")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .field("redirect_uri", &self.redirect_uri)
            .field("fiscal_code_claim", &self.fiscal_code_claim)
            .field("scopes", &self.scopes)
            .finish()
    }
}

impl OidcConfig {
    /// Reads the settings through `get` (the environment, or a map in tests). `None` when
    /// `CORTILE_OIDC_ISSUER` is unset (or empty): OpenID login is off. Every error names its
    /// variable.
    pub fn from_env(
        get: impl Fn(&str) -> Option<String>,
        public_url: &str,
    ) -> Result<Option<OidcConfig>, ConfigError> {
        let get = |key: &str| {
            get(key)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };

        let Some(issuer) = get("CORTILE_OIDC_ISSUER") else {
            return Ok(None);
        };
        check_url("CORTILE_OIDC_ISSUER", &issuer, true)?;
        let client_id = get("CORTILE_OIDC_CLIENT_ID").ok_or_else(|| {
            ConfigError::new(
                "CORTILE_OIDC_CLIENT_ID",
                "is required when CORTILE_OIDC_ISSUER is set",
            )
        })?;
        let client_secret = get("CORTILE_OIDC_CLIENT_SECRET");
        let redirect_uri = match get("CORTILE_OIDC_REDIRECT_URI") {
            Some(uri) => uri,
            None => format!(
                "{}{DEFAULT_CALLBACK_PATH}",
                public_url.trim_end_matches('/')
            ),
        };
        check_url("CORTILE_OIDC_REDIRECT_URI", &redirect_uri, false)?;
        let fiscal_code_claim = get("CORTILE_OIDC_FISCAL_CODE_CLAIM")
            .unwrap_or_else(|| SPID_FISCAL_NUMBER_CLAIM.to_owned());
        let scopes = match get("CORTILE_OIDC_SCOPES") {
            Some(raw) => raw.split_whitespace().map(str::to_owned).collect(),
            None => vec!["openid".to_owned(), "profile".to_owned()],
        };
        if !scopes.iter().any(|s| s == "openid") {
            return Err(ConfigError::new(
                "CORTILE_OIDC_SCOPES",
                format!("{:?} lacks the openid scope", scopes.join(" ")),
            ));
        }
        Ok(Some(OidcConfig {
            issuer,
            client_id,
            client_secret,
            redirect_uri,
            fiscal_code_claim,
            scopes,
        }))
    }
}

/// An absolute http(s) URL; for the issuer, plain http only on loopback (tests, development).
fn check_url(
    setting: &'static str,
    raw: &str,
    https_unless_loopback: bool,
) -> Result<(), ConfigError> {
    let url = url::Url::parse(raw)
        .map_err(|e| ConfigError::new(setting, format!("{raw:?} is not a URL: {e}")))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if !https_unless_loopback || is_loopback(&url) => Ok(()),
        "http" => Err(ConfigError::new(
            setting,
            format!("{raw:?} must use https (plain http is allowed only on loopback)"),
        )),
        other => Err(ConfigError::new(
            setting,
            format!("{raw:?} has scheme {other:?}, expected https"),
        )),
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Claims beyond the standard ones, by name: the fiscal-code claim is a URL chosen at run time.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ExtraClaims {
    #[serde(flatten)]
    pub claims: HashMap<String, serde_json::Value>,
}

impl AdditionalClaims for ExtraClaims {}

type IdFields = IdTokenFields<
    ExtraClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type OidcTokenResponse = StandardTokenResponse<IdFields, CoreTokenType>;
/// `CoreClient` with [`ExtraClaims`], as set up from discovered metadata.
type InnerClient = Client<
    ExtraClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    OidcTokenResponse,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
    EndpointMaybeSet,
>;

/// A relying party bound to one discovered provider. Cheap to clone.
#[derive(Clone)]
pub struct OidcClient {
    inner: InnerClient,
    http: openidconnect::reqwest::Client,
    issuer: String,
    scopes: Vec<String>,
    fiscal_code_claim: String,
}

impl fmt::Debug for OidcClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcClient")
            .field("issuer", &self.issuer)
            .field("client_id", &self.inner.client_id().as_str())
            .finish_non_exhaustive()
    }
}

/// What the caller keeps between [`OidcClient::authorize_url`] and [`OidcClient::exchange`]
/// (in a signed, short-lived cookie or a server-side session). All three are secrets.
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

impl fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PendingLogin { .. }")
    }
}

/// Who the provider says logged in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    pub issuer: String,
    pub subject: String,
    pub fiscal_code: Option<FiscalCode>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The provider's metadata or keys could not be fetched or are unusable.
    #[error("OpenID provider discovery failed: {0}")]
    Discovery(String),
    /// The `state` returned to the callback is not the one this login started with.
    #[error("the state returned by the OpenID provider does not match the login")]
    StateMismatch,
    /// The token endpoint refused the code (used, expired, wrong verifier…) or failed.
    #[error("the authorization code could not be exchanged: {0}")]
    Exchange(String),
    #[error("invalid ID token: {0}")]
    InvalidIdToken(String),
    /// The userinfo endpoint failed or answered for another subject.
    #[error("the userinfo request failed: {0}")]
    UserInfo(String),
    /// The fiscal-code claim is present but not a valid fiscal code.
    #[error("invalid fiscal code from the OpenID provider: {0}")]
    InvalidFiscalCode(String),
}

/// The error and its causes on one line (the crate's errors keep the detail in `source`).
fn chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}

/// Compares two secrets in time independent of where they differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.ct_eq(b).into()
}

impl OidcClient {
    /// Fetches the provider's metadata (`/.well-known/openid-configuration`) and its JWKS.
    pub async fn discover(config: &OidcConfig) -> Result<OidcClient, OidcError> {
        let http = openidconnect::reqwest::ClientBuilder::new()
            // Following redirects would let a provider point us anywhere (SSRF).
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(HTTP_TIMEOUT)
            .build()
            .map_err(|e| OidcError::Discovery(chain(&e)))?;
        let issuer = IssuerUrl::new(config.issuer.clone())
            .map_err(|e| OidcError::Discovery(format!("issuer {:?}: {e}", config.issuer)))?;
        let metadata = CoreProviderMetadata::discover_async(issuer, &http)
            .await
            .map_err(|e| OidcError::Discovery(chain(&e)))?;
        let token_url = metadata
            .token_endpoint()
            .cloned()
            .ok_or_else(|| OidcError::Discovery("the provider has no token endpoint".to_owned()))?;
        // client_secret_basic unless the provider supports only client_secret_post.
        let auth_type = match metadata.token_endpoint_auth_methods_supported() {
            Some(methods)
                if !methods.contains(&CoreClientAuthMethod::ClientSecretBasic)
                    && methods.contains(&CoreClientAuthMethod::ClientSecretPost) =>
            {
                AuthType::RequestBody
            }
            _ => AuthType::BasicAuth,
        };
        let redirect = RedirectUrl::new(config.redirect_uri.clone()).map_err(|e| {
            OidcError::Discovery(format!("redirect URI {:?}: {e}", config.redirect_uri))
        })?;
        let inner: InnerClient = Client::from_provider_metadata(
            metadata,
            ClientId::new(config.client_id.clone()),
            config.client_secret.clone().map(ClientSecret::new),
        )
        .set_token_uri(token_url)
        .set_redirect_uri(redirect)
        .set_auth_type(auth_type);
        Ok(OidcClient {
            inner,
            http,
            issuer: config.issuer.clone(),
            scopes: config.scopes.clone(),
            fiscal_code_claim: config.fiscal_code_claim.clone(),
        })
    }

    /// The issuer this client was discovered from.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Starts a login: the provider URL to send the browser to, and what to keep until the
    /// callback (fresh random `state`, `nonce` and PKCE verifier; challenge method S256).
    pub fn authorize_url(&self) -> (String, PendingLogin) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = self
            .inner
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in self.scopes.iter().filter(|s| *s != "openid") {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        (
            url.into(),
            PendingLogin {
                state: state.secret().clone(),
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
            },
        )
    }

    /// Finishes a login from the callback's `code` and `state`.
    pub async fn exchange(
        &self,
        code: &str,
        returned_state: &str,
        pending: &PendingLogin,
    ) -> Result<VerifiedIdentity, OidcError> {
        if !constant_time_eq(returned_state.as_bytes(), pending.state.as_bytes()) {
            return Err(OidcError::StateMismatch);
        }
        let response = self
            .inner
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| {
                OidcError::Exchange(match &e {
                    RequestTokenError::ServerResponse(r) => match r.error_description() {
                        Some(d) => format!("{}: {d}", r.error()),
                        None => r.error().to_string(),
                    },
                    other => chain(other),
                })
            })?;

        let invalid = |e: &dyn std::error::Error| OidcError::InvalidIdToken(chain(e));
        let id_token = response
            .id_token()
            .ok_or_else(|| OidcError::InvalidIdToken("the provider sent none".to_owned()))?;
        let verifier = self
            .inner
            .id_token_verifier()
            .set_allowed_algs(ID_TOKEN_ALGS.iter().cloned());
        let claims = id_token
            .claims(&verifier, &Nonce::new(pending.nonce.clone()))
            .map_err(|e| invalid(&e))?;
        if let Some(expected) = claims.access_token_hash() {
            let alg = id_token.signing_alg().map_err(|e| invalid(&e))?;
            let key = id_token.signing_key(&verifier).map_err(|e| invalid(&e))?;
            let actual = AccessTokenHash::from_token(response.access_token(), alg, key)
                .map_err(|e| invalid(&e))?;
            if actual != *expected {
                return Err(OidcError::InvalidIdToken(
                    "at_hash does not match the access token".to_owned(),
                ));
            }
        }

        let subject = claims.subject().clone();
        let mut fiscal = claims
            .additional_claims()
            .claims
            .get(&self.fiscal_code_claim)
            .cloned();
        let mut given_name = claims
            .given_name()
            .and_then(|n| n.get(None))
            .map(|n| n.to_string());
        let mut family_name = claims
            .family_name()
            .and_then(|n| n.get(None))
            .map(|n| n.to_string());

        // Providers following the spec for the code flow put profile claims only in userinfo.
        let missing = fiscal.is_none() || given_name.is_none() || family_name.is_none();
        if missing {
            // Without a userinfo endpoint, the ID token is all there is.
            if let Ok(request) = self
                .inner
                .user_info(response.access_token().clone(), Some(subject.clone()))
            {
                let info: UserInfoClaims<ExtraClaims, CoreGenderClaim> = request
                    .request_async(&self.http)
                    .await
                    .map_err(|e| OidcError::UserInfo(chain(&e)))?;
                if fiscal.is_none() {
                    fiscal = info
                        .additional_claims()
                        .claims
                        .get(&self.fiscal_code_claim)
                        .cloned();
                }
                if given_name.is_none() {
                    given_name = info
                        .given_name()
                        .and_then(|n| n.get(None))
                        .map(|n| n.to_string());
                }
                if family_name.is_none() {
                    family_name = info
                        .family_name()
                        .and_then(|n| n.get(None))
                        .map(|n| n.to_string());
                }
            }
        }

        let fiscal_code = match fiscal {
            None | Some(serde_json::Value::Null) => None,
            Some(serde_json::Value::String(raw)) => Some(
                FiscalCode::parse(&raw).map_err(|e| OidcError::InvalidFiscalCode(e.to_string()))?,
            ),
            Some(other) => {
                return Err(OidcError::InvalidFiscalCode(format!(
                    "claim {} is not a string: {other}",
                    self.fiscal_code_claim
                )))
            }
        };
        Ok(VerifiedIdentity {
            issuer: claims.issuer().to_string(),
            subject: subject.to_string(),
            fiscal_code,
            given_name,
            family_name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |key: &str| map.get(key).cloned()
    }

    const PUBLIC: &str = "https://cortile.example.it/";

    #[test]
    fn off_without_issuer() {
        assert_eq!(OidcConfig::from_env(lookup(&[]), PUBLIC).expect("ok"), None);
        let blank = lookup(&[("CORTILE_OIDC_ISSUER", " ")]);
        assert_eq!(OidcConfig::from_env(blank, PUBLIC).expect("ok"), None);
    }

    #[test]
    fn defaults() {
        let config = OidcConfig::from_env(
            lookup(&[
                ("CORTILE_OIDC_ISSUER", "https://id.example.it"),
                ("CORTILE_OIDC_CLIENT_ID", "cortile"),
            ]),
            PUBLIC,
        )
        .expect("valid")
        .expect("on");
        assert_eq!(
            config.redirect_uri,
            "https://cortile.example.it/api/v1/auth/oidc/callback"
        );
        assert_eq!(config.fiscal_code_claim, SPID_FISCAL_NUMBER_CLAIM);
        assert_eq!(config.scopes, ["openid", "profile"]);
        assert_eq!(config.client_secret, None);
    }

    #[test]
    fn every_setting() {
        let config = OidcConfig::from_env(
            lookup(&[
                ("CORTILE_OIDC_ISSUER", "http://127.0.0.1:4000"),
                ("CORTILE_OIDC_CLIENT_ID", "cortile"),
                ("CORTILE_OIDC_CLIENT_SECRET", "s3cret"),
                ("CORTILE_OIDC_REDIRECT_URI", "http://127.0.0.1:8080/cb"),
                ("CORTILE_OIDC_FISCAL_CODE_CLAIM", "fiscal_number"),
                ("CORTILE_OIDC_SCOPES", "openid  profile email"),
            ]),
            PUBLIC,
        )
        .expect("valid")
        .expect("on");
        assert_eq!(config.client_secret.as_deref(), Some("s3cret"));
        assert_eq!(config.redirect_uri, "http://127.0.0.1:8080/cb");
        assert_eq!(config.fiscal_code_claim, "fiscal_number");
        assert_eq!(config.scopes, ["openid", "profile", "email"]);
        assert!(!format!("{config:?}").contains("s3cret"));
    }

    #[test]
    fn errors_name_the_variable() {
        let setting = |pairs: &[(&str, &str)]| {
            OidcConfig::from_env(lookup(pairs), PUBLIC)
                .expect_err("invalid")
                .setting
        };
        assert_eq!(
            setting(&[("CORTILE_OIDC_ISSUER", "https://id.example.it")]),
            "CORTILE_OIDC_CLIENT_ID"
        );
        assert_eq!(
            setting(&[
                ("CORTILE_OIDC_ISSUER", "http://id.example.it"),
                ("CORTILE_OIDC_CLIENT_ID", "c")
            ]),
            "CORTILE_OIDC_ISSUER"
        );
        assert_eq!(
            setting(&[
                ("CORTILE_OIDC_ISSUER", "not a url"),
                ("CORTILE_OIDC_CLIENT_ID", "c")
            ]),
            "CORTILE_OIDC_ISSUER"
        );
        assert_eq!(
            setting(&[
                ("CORTILE_OIDC_ISSUER", "https://id.example.it"),
                ("CORTILE_OIDC_CLIENT_ID", "c"),
                ("CORTILE_OIDC_REDIRECT_URI", "/relative"),
            ]),
            "CORTILE_OIDC_REDIRECT_URI"
        );
        assert_eq!(
            setting(&[
                ("CORTILE_OIDC_ISSUER", "https://id.example.it"),
                ("CORTILE_OIDC_CLIENT_ID", "c"),
                ("CORTILE_OIDC_SCOPES", "profile"),
            ]),
            "CORTILE_OIDC_SCOPES"
        );
    }

    #[test]
    fn state_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
    }
}
