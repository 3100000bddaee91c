//! App IO messages (the app of Italian public services), for the outbox worker.
//!
//! IO's published API: `POST {CORTILE_IO_URL}/messages` with the header
//! `Ocp-Apim-Subscription-Key: {CORTILE_IO_API_KEY}` and the body
//! `{"fiscal_code": "...", "content": {"subject": "...", "markdown": "..."}}`; the subject has 10
//! to 120 characters, the markdown 80 to 10,000. Messages are only sent to people who opted in.

use std::time::Duration;

use crate::error::{AppError, AppResult};

pub const SUBJECT_LEN: std::ops::RangeInclusive<usize> = 10..=120;
pub const MARKDOWN_LEN: std::ops::RangeInclusive<usize> = 80..=10_000;

#[derive(Clone)]
pub struct IoClient {
    http: reqwest::Client,
    url: String,
    key: String,
}

/// Fits a text into IO's length limits: cut when too long, completed when too short.
pub fn fit(text: &str, range: &std::ops::RangeInclusive<usize>, filler: &str) -> String {
    let mut out: String = text.chars().take(*range.end()).collect();
    while out.chars().count() < *range.start() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(filler);
    }
    out.chars().take(*range.end()).collect()
}

impl IoClient {
    pub fn new(url: &str, key: &str) -> Result<IoClient, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("CORTILE_IO_URL: {e}"))?;
        Ok(IoClient {
            http,
            url: url.trim_end_matches('/').to_owned(),
            key: key.to_owned(),
        })
    }

    /// Payload: `{"fiscal_code": "...", "subject": "...", "markdown": "..."}`.
    pub async fn send(&self, payload: &serde_json::Value) -> AppResult<()> {
        let field = |k: &str| payload.get(k).and_then(|v| v.as_str()).unwrap_or_default();
        let body = serde_json::json!({
            "fiscal_code": field("fiscal_code"),
            "content": {
                "subject": fit(field("subject"), &SUBJECT_LEN, "Cortile"),
                "markdown": fit(
                    field("markdown"),
                    &MARKDOWN_LEN,
                    "Apri Cortile per leggere il messaggio intero.",
                ),
            }
        });
        let res = self
            .http
            .post(format!("{}/messages", self.url))
            .header("Ocp-Apim-Subscription-Key", &self.key)
            .json(&body)
            .send()
            .await
            .map_err(|e| AppError::internal(anyhow::anyhow!("IO: {e}")))?;
        if res.status().is_success() {
            Ok(())
        } else {
            Err(AppError::internal(anyhow::anyhow!(
                "IO answered {}",
                res.status()
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_fit_io_limits() {
        let short = fit("Ciao", &SUBJECT_LEN, "Cortile");
        assert!(SUBJECT_LEN.contains(&short.chars().count()), "{short}");
        assert!(short.starts_with("Ciao"));
        let long = fit(&"x".repeat(500), &SUBJECT_LEN, "Cortile");
        assert_eq!(long.chars().count(), 120);
        let md = fit(
            "Breve",
            &MARKDOWN_LEN,
            "Apri Cortile per leggere il messaggio intero.",
        );
        assert!(MARKDOWN_LEN.contains(&md.chars().count()));
    }
}
