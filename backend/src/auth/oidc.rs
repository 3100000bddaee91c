//! OpenID Connect login (the client is being written on its own branch; this is its config).

use crate::config::ConfigError;

#[derive(Debug, Clone)]
pub struct OidcConfig {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub redirect_uri: String,
    pub fiscal_code_claim: String,
    pub scopes: Vec<String>,
}

impl OidcConfig {
    pub fn from_env(
        get: impl Fn(&str) -> Option<String>,
        public_url: &str,
    ) -> Result<Option<OidcConfig>, ConfigError> {
        let Some(issuer) = get("CORTILE_OIDC_ISSUER") else {
            return Ok(None);
        };
        let client_id = get("CORTILE_OIDC_CLIENT_ID").ok_or_else(|| {
            ConfigError::new(
                "CORTILE_OIDC_CLIENT_ID",
                "is required with CORTILE_OIDC_ISSUER",
            )
        })?;
        Ok(Some(OidcConfig {
            issuer,
            client_id,
            client_secret: get("CORTILE_OIDC_CLIENT_SECRET"),
            redirect_uri: get("CORTILE_OIDC_REDIRECT_URI")
                .unwrap_or_else(|| format!("{public_url}/api/v1/auth/oidc/callback")),
            fiscal_code_claim: get("CORTILE_OIDC_FISCAL_CODE_CLAIM")
                .unwrap_or_else(|| "https://attributes.eid.gov.it/fiscal_number".into()),
            scopes: vec!["openid".into(), "profile".into()],
        }))
    }
}
