//! The JSON API, typed with the bodies of `cortile-shared`.
//!
//! One generic [`request`] does the HTTP and maps every failure to [`ApiError`]; below it, one
//! small function per resource. The API root is relative (`/api/v1` on the page's own origin)
//! and can be moved at run time with `<meta name="cortile-api-root" content="…">` in
//! `index.html`; nothing about the server is fixed at compile time.

use cortile_shared::meta::ClientConfig;
use cortile_shared::registry::{BuildingDetail, EstateDetail, EstateSummary};
use cortile_shared::{BuildingId, ErrorCode, EstateId, Page, Problem, API_PREFIX};
use gloo_net::http::Request;
use serde::de::DeserializeOwned;

/// Largest page the estate list accepts.
const PAGE_LIMIT: u32 = cortile_shared::page::MAX_LIMIT;

/// Why a request failed.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// The server answered with a problem document.
    Problem(Problem),
    /// The server answered with an error status but no readable problem document.
    Status(u16),
    /// The request did not reach the server or the answer did not arrive.
    Network(String),
    /// The answer arrived but was not the JSON expected.
    Decode(String),
}

impl ApiError {
    /// The stable error kind, when the server sent one or the status implies one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ApiError::Problem(p) => Some(p.code),
            ApiError::Status(404) => Some(ErrorCode::NotFound),
            ApiError::Status(429) => Some(ErrorCode::RateLimited),
            ApiError::Status(503) => Some(ErrorCode::ServiceUnavailable),
            _ => None,
        }
    }

    /// Whether the thing asked for does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self.code(), Some(ErrorCode::NotFound))
    }

    /// The translation key of a plain-language explanation.
    pub fn message_key(&self) -> &'static str {
        match (self, self.code()) {
            (ApiError::Network(_), _) => "error.network",
            (_, Some(ErrorCode::ServiceUnavailable)) => "error.unavailable",
            (_, Some(ErrorCode::RateLimited)) => "error.rate_limited",
            _ => "error.generic",
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ApiError::Problem(p) => write!(f, "{p}"),
            ApiError::Status(s) => write!(f, "HTTP status {s}"),
            ApiError::Network(e) => write!(f, "network error: {e}"),
            ApiError::Decode(e) => write!(f, "unexpected answer: {e}"),
        }
    }
}

/// Decodes an error answer: the problem document when there is one, else just the status.
fn error_from_body(status: u16, body: &str) -> ApiError {
    match serde_json::from_str::<Problem>(body) {
        Ok(problem) => ApiError::Problem(problem),
        Err(_) => ApiError::Status(status),
    }
}

/// Decodes a successful answer.
fn decode<T: DeserializeOwned>(body: &str) -> Result<T, ApiError> {
    serde_json::from_str(body).map_err(|e| ApiError::Decode(e.to_string()))
}

/// The API root: the `cortile-api-root` meta tag if the page has one, else `/api/v1`.
fn api_root() -> String {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| {
            d.query_selector(r#"meta[name="cortile-api-root"]"#)
                .ok()
                .flatten()
        })
        .and_then(|meta| meta.get_attribute("content"))
        .map(|root| root.trim_end_matches('/').to_owned())
        .filter(|root| !root.is_empty())
        .unwrap_or_else(|| API_PREFIX.to_owned())
}

/// `GET {root}{path}?{query}` and decode the JSON answer as `T`.
pub async fn request<T: DeserializeOwned>(
    path: &str,
    query: &[(&str, &str)],
) -> Result<T, ApiError> {
    let url = format!("{}{}", api_root(), path);
    let response = Request::get(&url)
        .query(query.iter().copied())
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|e| ApiError::Network(e.to_string()))?;
    if response.ok() {
        decode(&body)
    } else {
        Err(error_from_body(status, &body))
    }
}

/// What the server tells the web app at start (version, map tiles).
pub async fn get_meta() -> Result<ClientConfig, ApiError> {
    request("/meta", &[]).await
}

/// One page of the estate list.
pub async fn list_estates_page(after: Option<&str>) -> Result<Page<EstateSummary>, ApiError> {
    let limit = PAGE_LIMIT.to_string();
    let mut query = vec![("limit", limit.as_str())];
    if let Some(after) = after {
        query.push(("after", after));
    }
    request("/estates", &query).await
}

/// Every estate, following the `next` cursors to the last page.
pub async fn list_all_estates() -> Result<Vec<EstateSummary>, ApiError> {
    let mut all = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = list_estates_page(after.as_deref()).await?;
        all.extend(page.items);
        match page.next {
            // A cursor that does not move would loop for ever.
            Some(next) if after.as_deref() != Some(next.as_str()) => after = Some(next),
            _ => break,
        }
    }
    Ok(all)
}

/// One estate with its buildings and map features.
pub async fn get_estate(id: EstateId) -> Result<EstateDetail, ApiError> {
    request(&format!("/estates/{id}"), &[]).await
}

/// One building with its units.
pub async fn get_building(id: BuildingId) -> Result<BuildingDetail, ApiError> {
    request(&format!("/buildings/{id}"), &[]).await
}

/// All estates (polygons) and buildings (points) as one GeoJSON FeatureCollection.
pub async fn get_estates_map() -> Result<geojson::FeatureCollection, ApiError> {
    request("/map/estates", &[]).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_bodies_become_problem_errors() {
        let body =
            serde_json::to_string(&Problem::new(ErrorCode::NotFound).with_detail("estate 9"))
                .expect("serialize");
        let err = error_from_body(404, &body);
        assert!(matches!(err, ApiError::Problem(ref p) if p.code == ErrorCode::NotFound));
        assert!(err.is_not_found());
    }

    #[test]
    fn other_error_bodies_keep_the_status() {
        let err = error_from_body(502, "<html>Bad gateway</html>");
        assert_eq!(err, ApiError::Status(502));
        assert!(!err.is_not_found());
        assert_eq!(err.message_key(), "error.generic");
        assert!(error_from_body(404, "").is_not_found());
        assert_eq!(error_from_body(503, "").message_key(), "error.unavailable");
    }

    #[test]
    fn unexpected_json_is_a_decode_error() {
        let result: Result<Page<EstateSummary>, _> = decode(r#"{"nope": 1}"#);
        assert!(matches!(result, Err(ApiError::Decode(_))));
        let page: Page<EstateSummary> = decode(r#"{"items": []}"#).expect("empty page decodes");
        assert!(page.items.is_empty() && page.next.is_none());
    }

    #[test]
    fn network_errors_have_their_own_message() {
        assert_eq!(
            ApiError::Network("offline".into()).message_key(),
            "error.network"
        );
    }
}
