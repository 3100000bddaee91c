//! Email deliveries through SMTP (lettre), for the outbox worker.
//!
//! Payload: `{"to": "...", "subject": "...", "text": "..."}`. The `Message-ID` is made from the
//! outbox row's dedup key, so a message delivered twice after a crash is the same message.

use lettre::message::{header::ContentType, Mailbox};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::error::{AppError, AppResult};

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// From `CORTILE_SMTP_URL` and `CORTILE_SMTP_FROM`.
    pub fn new(url: &str, from: &str) -> Result<Mailer, String> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("CORTILE_SMTP_URL: {e}"))?
            .build();
        let from = from
            .parse::<Mailbox>()
            .map_err(|e| format!("CORTILE_SMTP_FROM: {e}"))?;
        Ok(Mailer { transport, from })
    }

    pub async fn send(&self, dedup_key: &str, payload: &serde_json::Value) -> AppResult<()> {
        let field = |k: &str| payload.get(k).and_then(|v| v.as_str()).unwrap_or_default();
        let to = field("to")
            .parse::<Mailbox>()
            .map_err(|e| AppError::internal(anyhow::anyhow!("bad recipient: {e}")))?;
        let domain = self.from.email.domain().to_owned();
        let id: String = dedup_key
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '.' })
            .collect();
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(field("subject"))
            .message_id(Some(format!("<{id}@{domain}>")))
            .header(ContentType::TEXT_PLAIN)
            .body(field("text").to_owned())
            .map_err(|e| AppError::internal(anyhow::anyhow!("cannot build the email: {e}")))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| AppError::internal(anyhow::anyhow!("SMTP: {e}")))
    }
}
