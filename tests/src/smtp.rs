//! A real SMTP server on loopback for the email tests: the npm `smtp-server` of
//! `tests/smtp-server`, writing every accepted message as a JSON file.
//!
//! `cargo xtask test` installs its packages and sets `CORTILE_TEST_SMTP_SERVER` to its folder;
//! by hand: `(cd tests/smtp-server && npm ci)` and `export CORTILE_TEST_SMTP_SERVER=$PWD/tests/smtp-server`.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdout, Command};

/// One message the server accepted.
#[derive(Debug, Clone, Deserialize)]
pub struct Received {
    pub from: Option<String>,
    pub to: Vec<String>,
    /// The raw message: headers and body.
    pub data: String,
}

impl Received {
    /// The body, decoded from quoted-printable when the message says so.
    pub fn body(&self) -> String {
        let (_, body) = self.data.split_once("\r\n\r\n").unwrap_or(("", &self.data));
        let qp = self
            .header("Content-Transfer-Encoding")
            .is_some_and(|e| e.eq_ignore_ascii_case("quoted-printable"));
        if !qp {
            return body.to_owned();
        }
        let joined = body.replace("=\r\n", "");
        let bytes = joined.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'=' && i + 2 < bytes.len() {
                if let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                    out.push(b);
                    i += 3;
                    continue;
                }
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    /// A header's value (unfolded), if present.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or_default();
        let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
        unfolded.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
    }
}

pub struct SmtpServer {
    pub port: u16,
    pub out_dir: PathBuf,
    child: Child,
    _stdout: BufReader<ChildStdout>,
}

impl SmtpServer {
    /// Starts a server; `fail_first` messages are refused with a temporary error.
    pub async fn start(fail_first: u32) -> SmtpServer {
        let dir = std::env::var_os("CORTILE_TEST_SMTP_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                panic!(
                    "CORTILE_TEST_SMTP_SERVER is not set: run the tests with `cargo xtask test` \
                 (or `npm ci` in tests/smtp-server and set it to that folder)"
                )
            });
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let out_dir =
            std::env::temp_dir().join(format!("cortile-smtp-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&out_dir).expect("the mail folder");
        let mut child = Command::new("node")
            .arg("server.mjs")
            .current_dir(&dir)
            .env("PORT", port.to_string())
            .env("OUT_DIR", &out_dir)
            .env("FAIL_FIRST", fail_first.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start node tests/smtp-server/server.mjs");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        let read = tokio::time::timeout(Duration::from_secs(30), stdout.read_line(&mut line)).await;
        assert!(
            matches!(read, Ok(Ok(n)) if n > 0) && line.trim() == format!("ready {port}"),
            "the test SMTP server did not start: {read:?} {line:?}"
        );
        SmtpServer {
            port,
            out_dir,
            child,
            _stdout: stdout,
        }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Messages received so far, in order.
    pub fn received(&self) -> Vec<Received> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.out_dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.sort();
        files
            .iter()
            .filter_map(|f| std::fs::read_to_string(f).ok())
            .filter_map(|t| serde_json::from_str(&t).ok())
            .collect()
    }

    /// Waits until at least `n` messages arrived (up to 20 s) and returns them.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let got = self.received();
            if got.len() >= n || started.elapsed() > Duration::from_secs(20) {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.out_dir);
    }
}
