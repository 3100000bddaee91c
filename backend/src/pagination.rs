//! Keyset pagination: `?after=<cursor>&limit=<n>`.
//!
//! A cursor is the sort key of the last item of a page, serialized as JSON and base64url-encoded:
//! opaque to clients, stable across inserts, and validated when it comes back.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use cortile_shared::page::{DEFAULT_LIMIT, MAX_LIMIT, MIN_LIMIT};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The raw query parameters of a list; parsed with [`ListParams::limit`] and [`ListParams::after`]
/// so that each bad value is reported against its own field.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// The `next` cursor of the previous page.
    pub after: Option<String>,
    /// Items per page, 1 to 200 (default 50).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
}

impl ListParams {
    pub fn limit(&self) -> Result<i64, AppError> {
        match self.limit.as_deref().map(str::trim) {
            None | Some("") => Ok(i64::from(DEFAULT_LIMIT)),
            Some(raw) => match raw.parse::<u32>() {
                Ok(n) if (MIN_LIMIT..=MAX_LIMIT).contains(&n) => Ok(i64::from(n)),
                Ok(_) | Err(_) => Err(AppError::invalid(
                    "limit",
                    "out_of_range",
                    format!(
                        "limit must be a whole number from {MIN_LIMIT} to {MAX_LIMIT}, not {raw:?}"
                    ),
                )),
            },
        }
    }

    pub fn after<K: DeserializeOwned>(&self) -> Result<Option<K>, AppError> {
        match self.after.as_deref() {
            None | Some("") => Ok(None),
            Some(raw) => decode_cursor(raw).map(Some).ok_or_else(|| {
                AppError::invalid(
                    "after",
                    "invalid_cursor",
                    "after must be a `next` value returned by this list",
                )
            }),
        }
    }
}

pub fn encode_cursor<K: Serialize>(key: &K) -> String {
    // Serializing plain tuples of strings and numbers cannot fail.
    let json = serde_json::to_vec(key).unwrap_or_default();
    URL_SAFE_NO_PAD.encode(json)
}

pub fn decode_cursor<K: DeserializeOwned>(raw: &str) -> Option<K> {
    let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).ok()?;
    serde_json::from_slice(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let c = encode_cursor(&("San Siro", 7_i64));
        assert_eq!(
            decode_cursor::<(String, i64)>(&c),
            Some(("San Siro".into(), 7))
        );
        assert_eq!(decode_cursor::<(String, i64)>("%%%"), None);
        assert_eq!(decode_cursor::<(String, i64)>(&encode_cursor(&"x")), None);
    }

    #[test]
    fn limits_are_checked() {
        let p = |l: &str| ListParams {
            after: None,
            limit: Some(l.into()),
        };
        assert_eq!(p("10").limit().expect("10"), 10);
        assert_eq!(ListParams::default().limit().expect("default"), 50);
        for bad in ["0", "201", "-1", "ten", "1.5"] {
            let e = p(bad).limit().expect_err(bad);
            assert_eq!(e.errors[0].field, "limit");
        }
    }
}
