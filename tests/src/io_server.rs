//! A local HTTP server standing where app IO's API is, checking each request against IO's
//! published rules (`POST /messages`, the subscription key, a valid fiscal code, a subject of
//! 10–120 characters, markdown of 80–10,000) and recording what it accepted.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One accepted message.
#[derive(Debug, Clone)]
pub struct IoMessage {
    pub fiscal_code: String,
    pub subject: String,
    pub markdown: String,
}

pub struct IoServer {
    pub url: String,
    pub key: String,
    pub accepted: Arc<Mutex<Vec<IoMessage>>>,
    /// Requests refused, with the reason.
    pub refused: Arc<Mutex<Vec<String>>>,
}

fn check(head: &str, body: &str, key: &str) -> Result<IoMessage, String> {
    let first = head.lines().next().unwrap_or_default();
    if !first.starts_with("POST /messages ") {
        return Err(format!("unexpected request line {first:?}"));
    }
    let has_key = head.lines().any(|l| {
        l.split_once(':').is_some_and(|(k, v)| {
            k.eq_ignore_ascii_case("ocp-apim-subscription-key") && v.trim() == key
        })
    });
    if !has_key {
        return Err("missing or wrong Ocp-Apim-Subscription-Key".into());
    }
    let v: serde_json::Value = serde_json::from_str(body).map_err(|e| format!("body: {e}"))?;
    let s = |p: &str| {
        v.pointer(p)
            .and_then(|x| x.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let (code, subject, markdown) = (
        s("/fiscal_code"),
        s("/content/subject"),
        s("/content/markdown"),
    );
    cortile_shared::FiscalCode::parse(&code).map_err(|e| format!("fiscal_code: {e}"))?;
    if !(10..=120).contains(&subject.chars().count()) {
        return Err(format!("subject of {} characters", subject.chars().count()));
    }
    if !(80..=10_000).contains(&markdown.chars().count()) {
        return Err(format!(
            "markdown of {} characters",
            markdown.chars().count()
        ));
    }
    Ok(IoMessage {
        fiscal_code: code,
        subject,
        markdown,
    })
}

impl IoServer {
    pub async fn start() -> IoServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let key = format!("key-{}", uuid::Uuid::new_v4().simple());
        let accepted = Arc::new(Mutex::new(Vec::new()));
        let refused = Arc::new(Mutex::new(Vec::new()));
        let (a, r, k) = (accepted.clone(), refused.clone(), key.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (a, r, k) = (a.clone(), r.clone(), k.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    let (head, body) = loop {
                        let Ok(n) = socket.read(&mut chunk).await else {
                            return;
                        };
                        if n == 0 {
                            return;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        let text = String::from_utf8_lossy(&buf).into_owned();
                        if let Some((head, body)) = text.split_once("\r\n\r\n") {
                            let len = head
                                .lines()
                                .find_map(|l| {
                                    let (k, v) = l.split_once(':')?;
                                    k.eq_ignore_ascii_case("content-length")
                                        .then(|| v.trim().parse::<usize>().ok())?
                                })
                                .unwrap_or(0);
                            if body.len() >= len {
                                break (head.to_owned(), body.to_owned());
                            }
                        }
                    };
                    let (status, reply) = match check(&head, &body, &k) {
                        Ok(m) => {
                            a.lock().expect("lock").push(m);
                            ("201 Created", r#"{"id":"01ABC"}"#.to_owned())
                        }
                        Err(reason) => {
                            r.lock().expect("lock").push(reason.clone());
                            (
                                "400 Bad Request",
                                serde_json::json!({"detail": reason}).to_string(),
                            )
                        }
                    };
                    let response = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{reply}",
                        reply.len()
                    );
                    let _ = socket.write_all(response.as_bytes()).await;
                });
            }
        });
        IoServer {
            url,
            key,
            accepted,
            refused,
        }
    }

    pub fn accepted(&self) -> Vec<IoMessage> {
        self.accepted.lock().expect("lock").clone()
    }

    pub fn refused(&self) -> Vec<String> {
        self.refused.lock().expect("lock").clone()
    }
}
