//! One `Config`, read from environment variables with documented defaults.
//!
//! | variable            | default                                  | meaning                                   |
//! |---------------------|------------------------------------------|-------------------------------------------|
//! | `DATABASE_URL`      | `sqlite://$CORTILE_DATA_DIR/cortile.db`  | `sqlite://PATH` or `postgres://…`          |
//! | `CORTILE_DATA_DIR`  | `./data`                                 | folder for the SQLite file and indexes    |
//! | `CORTILE_BIND`      | `127.0.0.1:8080`                         | address and port to listen on             |
//! | `CORTILE_WEB_DIR`   | `./dist`                                 | the built web app (`cargo xtask dist`)    |
//! | `CORTILE_LOG`       | `info`                                   | tracing filter, e.g. `cortile=debug`      |
//! | `CORTILE_LOG_FORMAT`| `text`                                   | `text` or `json` (one JSON object a line) |
//! | `CORTILE_WORKERS`   | number of CPUs                           | HTTP worker threads                       |
//! | `CORTILE_MAP_TILES` | OpenStreetMap's tile URL                 | tile URL template, or `off`               |
//! | `CORTILE_MAP_ATTRIBUTION` | OpenStreetMap's notice             | attribution shown on the map              |
//!
//! Every problem is a [`ConfigError`] naming the variable, so `main` prints one line and exits 2.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

use cortile_shared::meta::MapTiles;

/// The help text listing every variable; shown by `cortile --help`.
pub const ENV_HELP: &str = "\
Configuration (environment variables):
  DATABASE_URL             sqlite://PATH or postgres://USER@HOST:PORT/DB
                           [default: sqlite://$CORTILE_DATA_DIR/cortile.db]
  CORTILE_DATA_DIR         folder for the SQLite database and indexes [default: ./data]
  CORTILE_BIND             address to listen on, HOST:PORT [default: 127.0.0.1:8080]
  CORTILE_WEB_DIR          folder of the built web app, made by `cargo xtask dist` [default: ./dist]
  CORTILE_LOG              log filter (tracing EnvFilter syntax) [default: info]
  CORTILE_LOG_FORMAT       text or json [default: text]
  CORTILE_WORKERS          HTTP worker threads [default: number of CPUs]
  CORTILE_MAP_TILES        map tile URL template with {z}/{x}/{y}, or `off` for no background tiles
                           [default: https://tile.openstreetmap.org/{z}/{x}/{y}.png]
  CORTILE_MAP_ATTRIBUTION  attribution for the tiles [default: © OpenStreetMap contributors]
  CORTILE_PUBLIC_URL       the address users reach the site at; https:// makes cookies Secure
                           [default: http://$CORTILE_BIND]
  CORTILE_OIDC_ISSUER      OpenID Connect provider (SPID/CIE gateway); unset: no OIDC login
  CORTILE_OIDC_CLIENT_ID, CORTILE_OIDC_CLIENT_SECRET  the client registered with the provider
  CORTILE_SMTP_URL         email notifications through SMTP, smtp://HOST:PORT[?tls=required]
                           or smtps://; unset: no email
  CORTILE_SMTP_FROM        sender of emails [default: Cortile <noreply@cortile.invalid>]
  CORTILE_IO_URL, CORTILE_IO_API_KEY  app IO messages (IO's API and the service's key);
                           unset: no IO messages
  CORTILE_OUTBOX_POLL_MS   how often due deliveries are looked for [default: 5000]
  CORTILE_MAINTENANCE_AUTOCLOSE_EVERY_S  how often resolved reports left without an answer
                           for 14 days are closed, in seconds [default: 600]
  CORTILE_OPEN311_MAX_PER_HOUR  reports one Open311 partner key may submit in an hour
                           [default: 120]
  CORTILE_OIDC_FISCAL_CODE_CLAIM  claim holding the fiscal code
                           [default: https://attributes.eid.gov.it/fiscal_number]

Exit codes: 0 success, 1 failure at run time, 2 bad configuration or start-up failure.";

const DEFAULT_TILES: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
const DEFAULT_ATTRIBUTION: &str =
    "&copy; <a href=\"https://www.openstreetmap.org/copyright\">OpenStreetMap</a> contributors";

/// A setting that cannot be used: which variable, and why. Displayed as one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting}: {message}")]
pub struct ConfigError {
    pub setting: &'static str,
    pub message: String,
}

impl ConfigError {
    pub fn new(setting: &'static str, message: impl Into<String>) -> Self {
        ConfigError {
            setting,
            message: message.into(),
        }
    }
}

/// Which database engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbKind {
    Sqlite,
    Postgres,
}

impl DbKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DbKind::Sqlite => "sqlite",
            DbKind::Postgres => "postgres",
        }
    }
}

/// A parsed `DATABASE_URL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A SQLite database file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL, as given.
    Postgres(String),
}

impl DatabaseUrl {
    pub fn kind(&self) -> DbKind {
        match self {
            DatabaseUrl::Sqlite(_) => DbKind::Sqlite,
            DatabaseUrl::Postgres(_) => DbKind::Postgres,
        }
    }

    /// Parses `sqlite://PATH` (`sqlite:///abs/path` or `sqlite://relative/path`) or
    /// `postgres://…` / `postgresql://…`.
    pub fn parse(raw: &str) -> Result<Self, ConfigError> {
        const SETTING: &str = "DATABASE_URL";
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(ConfigError::new(SETTING, "is empty"));
        }
        let Some((scheme, rest)) = raw.split_once("://") else {
            return Err(ConfigError::new(
                SETTING,
                format!(
                    "cannot parse {:?}: expected sqlite://PATH or postgres://USER@HOST/DB",
                    redact(raw)
                ),
            ));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "sqlite" => {
                if rest.is_empty() {
                    return Err(ConfigError::new(SETTING, "sqlite:// needs a file path"));
                }
                Ok(DatabaseUrl::Sqlite(PathBuf::from(rest)))
            }
            "postgres" | "postgresql" => {
                let url = url::Url::parse(raw).map_err(|e| {
                    ConfigError::new(SETTING, format!("cannot parse {:?}: {e}", redact(raw)))
                })?;
                if url.host_str().is_none_or(str::is_empty) {
                    return Err(ConfigError::new(
                        SETTING,
                        format!("{:?} names no host", redact(raw)),
                    ));
                }
                Ok(DatabaseUrl::Postgres(raw.to_owned()))
            }
            other => Err(ConfigError::new(
                SETTING,
                format!("unsupported scheme {other:?}: use sqlite:// or postgres://"),
            )),
        }
    }

    /// The URL with any password replaced, safe to print.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => redact(url),
        }
    }
}

/// Hides the password of a URL (`postgres://u:secret@h` → `postgres://u:***@h`).
pub fn redact(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut url) if url.password().is_some() => {
            // set_password only fails for URLs that cannot have one, which this has.
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        Ok(_) => raw.to_owned(),
        // Unparsable: hide whatever sits between `user:` and `@`.
        Err(_) => match (raw.find("://"), raw.rfind('@')) {
            (Some(start), Some(at)) if at > start => {
                let userinfo = &raw[start + 3..at];
                match userinfo.split_once(':') {
                    Some((user, _)) => format!("{}{user}:***{}", &raw[..start + 3], &raw[at..]),
                    None => raw.to_owned(),
                }
            }
            _ => raw.to_owned(),
        },
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The whole configuration of a `cortile` process.
#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseUrl,
    pub data_dir: PathBuf,
    pub bind: SocketAddr,
    pub web_dir: PathBuf,
    pub log_filter: String,
    pub log_format: LogFormat,
    pub workers: usize,
    pub map_tiles: Option<MapTiles>,
    /// Load the demo data at start when the registry is empty (`serve --seed-demo`).
    pub seed_demo: Option<crate::registry::demo::Scale>,
    /// Also load the demo households, persons and one account per role with the demo registry.
    pub seed_demo_people: bool,
    /// The address users reach the site at, without a trailing slash (for redirects, cookies).
    pub public_url: String,
    /// OpenID Connect login, when `CORTILE_OIDC_ISSUER` is set.
    pub oidc: Option<crate::auth::oidc::OidcConfig>,
    /// Email through SMTP (`CORTILE_SMTP_URL`, e.g. `smtp://mail.example.org:587?tls=required`).
    pub smtp_url: Option<String>,
    /// The sender of emails (`CORTILE_SMTP_FROM`).
    pub smtp_from: String,
    /// App IO messages: the API's address and key (`CORTILE_IO_URL`, `CORTILE_IO_API_KEY`).
    pub io: Option<(String, String)>,
    /// How often the outbox worker looks for due deliveries (`CORTILE_OUTBOX_POLL_MS`).
    pub outbox_poll: std::time::Duration,
    /// The hour (UTC, 0–23) at which daily digests are composed (`CORTILE_DIGEST_HOUR`).
    pub digest_hour: u32,
    /// How often resolved reports without an answer are closed
    /// (`CORTILE_MAINTENANCE_AUTOCLOSE_EVERY_S`).
    pub maintenance_autoclose_every: std::time::Duration,
    /// Reports one Open311 partner key may submit in an hour (`CORTILE_OPEN311_MAX_PER_HOUR`).
    pub open311_max_per_hour: i64,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |key: &str| lookup(key).filter(|v| !v.trim().is_empty());

        let data_dir = PathBuf::from(get("CORTILE_DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database = match get("DATABASE_URL") {
            Some(raw) => DatabaseUrl::parse(&raw)?,
            None => DatabaseUrl::Sqlite(data_dir.join("cortile.db")),
        };
        let bind_raw = get("CORTILE_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind = parse_bind(&bind_raw)?;
        let web_dir = PathBuf::from(get("CORTILE_WEB_DIR").unwrap_or_else(|| "./dist".into()));
        let log_filter = get("CORTILE_LOG").unwrap_or_else(|| "info".into());
        tracing_subscriber::EnvFilter::try_new(&log_filter)
            .map_err(|e| ConfigError::new("CORTILE_LOG", format!("invalid filter: {e}")))?;
        let log_format = match get("CORTILE_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::new(
                    "CORTILE_LOG_FORMAT",
                    format!("{other:?} is neither text nor json"),
                ))
            }
        };
        let workers = match get("CORTILE_WORKERS") {
            None => std::thread::available_parallelism().map_or(2, usize::from),
            Some(raw) => match raw.trim().parse::<usize>() {
                Ok(n @ 1..=256) => n,
                _ => {
                    return Err(ConfigError::new(
                        "CORTILE_WORKERS",
                        format!("{raw:?} is not a number from 1 to 256"),
                    ))
                }
            },
        };
        let map_tiles = match get("CORTILE_MAP_TILES") {
            Some(v) if v.eq_ignore_ascii_case("off") || v.eq_ignore_ascii_case("none") => None,
            Some(url) => {
                if !url.contains("{z}") || !url.contains("{x}") || !url.contains("{y}") {
                    return Err(ConfigError::new(
                        "CORTILE_MAP_TILES",
                        format!(
                            "{url:?} lacks the {{z}}, {{x}} and {{y}} placeholders (or say off)"
                        ),
                    ));
                }
                Some(url)
            }
            None => Some(DEFAULT_TILES.to_owned()),
        }
        .map(|url| MapTiles {
            url,
            attribution: get("CORTILE_MAP_ATTRIBUTION")
                .unwrap_or_else(|| DEFAULT_ATTRIBUTION.to_owned()),
        });

        let public_url = match get("CORTILE_PUBLIC_URL") {
            None => format!("http://{bind}"),
            Some(raw) => parse_public_url(&raw)?,
        };
        let oidc = crate::auth::oidc::OidcConfig::from_env(get, &public_url)?;
        let smtp_url = match get("CORTILE_SMTP_URL") {
            None => None,
            Some(raw) => {
                let url = url::Url::parse(raw.trim()).map_err(|e| {
                    ConfigError::new("CORTILE_SMTP_URL", format!("cannot parse it: {e}"))
                })?;
                if !matches!(url.scheme(), "smtp" | "smtps") {
                    return Err(ConfigError::new(
                        "CORTILE_SMTP_URL",
                        "use smtp://HOST:PORT or smtps://HOST:PORT",
                    ));
                }
                Some(raw.trim().to_owned())
            }
        };
        let io = match (get("CORTILE_IO_URL"), get("CORTILE_IO_API_KEY")) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(ConfigError::new(
                    "CORTILE_IO_API_KEY",
                    "is required with CORTILE_IO_URL",
                ))
            }
            (Some(url), Some(key)) => {
                let parsed = url::Url::parse(url.trim()).map_err(|e| {
                    ConfigError::new("CORTILE_IO_URL", format!("cannot parse it: {e}"))
                })?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(ConfigError::new(
                        "CORTILE_IO_URL",
                        "use an https:// address",
                    ));
                }
                Some((url.trim().to_owned(), key))
            }
        };
        let smtp_from = get("CORTILE_SMTP_FROM")
            .unwrap_or_else(|| "Cortile <noreply@cortile.invalid>".to_owned());
        let outbox_poll = match get("CORTILE_OUTBOX_POLL_MS") {
            None => std::time::Duration::from_secs(5),
            Some(raw) => match raw.trim().parse::<u64>() {
                Ok(ms @ 10..=600_000) => std::time::Duration::from_millis(ms),
                _ => {
                    return Err(ConfigError::new(
                        "CORTILE_OUTBOX_POLL_MS",
                        format!("{raw:?} is not a number of milliseconds from 10 to 600000"),
                    ))
                }
            },
        };
        let digest_hour = match get("CORTILE_DIGEST_HOUR") {
            None => 6,
            Some(raw) => match raw.trim().parse::<u32>() {
                Ok(h @ 0..=23) => h,
                _ => {
                    return Err(ConfigError::new(
                        "CORTILE_DIGEST_HOUR",
                        format!("{raw:?} is not an hour from 0 to 23 (UTC)"),
                    ))
                }
            },
        };
        let maintenance_autoclose_every = match get("CORTILE_MAINTENANCE_AUTOCLOSE_EVERY_S") {
            None => std::time::Duration::from_secs(600),
            Some(raw) => match raw.trim().parse::<u64>() {
                Ok(s @ 1..=86_400) => std::time::Duration::from_secs(s),
                _ => {
                    return Err(ConfigError::new(
                        "CORTILE_MAINTENANCE_AUTOCLOSE_EVERY_S",
                        format!("{raw:?} is not a number of seconds from 1 to 86400"),
                    ))
                }
            },
        };
        let open311_max_per_hour = match get("CORTILE_OPEN311_MAX_PER_HOUR") {
            None => 120,
            Some(raw) => match raw.trim().parse::<i64>() {
                Ok(n @ 1..=100_000) => n,
                _ => {
                    return Err(ConfigError::new(
                        "CORTILE_OPEN311_MAX_PER_HOUR",
                        format!("{raw:?} is not a number from 1 to 100000"),
                    ))
                }
            },
        };

        Ok(Config {
            database,
            data_dir,
            bind,
            web_dir,
            log_filter,
            log_format,
            workers,
            map_tiles,
            seed_demo: None,
            seed_demo_people: true,
            public_url,
            oidc,
            smtp_url,
            smtp_from,
            io,
            outbox_poll,
            digest_hour,
            maintenance_autoclose_every,
            open311_max_per_hour,
        })
    }

    /// A configuration for tests and benchmarks: the given database and data folder, an ephemeral
    /// port on loopback, no map tiles, quiet logs.
    pub fn for_tests(database: DatabaseUrl, data_dir: &Path, web_dir: &Path) -> Self {
        Config {
            database,
            data_dir: data_dir.to_owned(),
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            web_dir: web_dir.to_owned(),
            log_filter: "warn".into(),
            log_format: LogFormat::Text,
            workers: 2,
            map_tiles: None,
            seed_demo: None,
            seed_demo_people: false,
            public_url: "http://127.0.0.1".into(),
            oidc: None,
            smtp_url: None,
            smtp_from: "Cortile <noreply@cortile.invalid>".into(),
            io: None,
            outbox_poll: std::time::Duration::from_millis(100),
            digest_hour: 6,
            maintenance_autoclose_every: std::time::Duration::from_secs(600),
            open311_max_per_hour: 120,
        }
    }

    /// Whether cookies must be marked `Secure` (the site is served over HTTPS).
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// Creates the data folder if needed and checks that it is writable.
    pub fn prepare_data_dir(&self) -> Result<(), ConfigError> {
        const SETTING: &str = "CORTILE_DATA_DIR";
        let dir = &self.data_dir;
        let fail = |e: std::io::Error| {
            ConfigError::new(
                SETTING,
                format!("cannot use {:?} as the data folder: {e}", dir.display()),
            )
        };
        std::fs::create_dir_all(dir).map_err(fail)?;
        let probe = dir.join(format!(".cortile-write-test-{}", std::process::id()));
        std::fs::write(&probe, b"ok").map_err(fail)?;
        std::fs::remove_file(&probe).map_err(fail)?;
        if let DatabaseUrl::Sqlite(path) = &self.database {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| {
                    ConfigError::new(
                        "DATABASE_URL",
                        format!("cannot create the folder {:?}: {e}", parent.display()),
                    )
                })?;
            }
        }
        Ok(())
    }
}

fn parse_public_url(raw: &str) -> Result<String, ConfigError> {
    const SETTING: &str = "CORTILE_PUBLIC_URL";
    let url = url::Url::parse(raw.trim())
        .map_err(|e| ConfigError::new(SETTING, format!("cannot parse {raw:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ConfigError::new(
            SETTING,
            format!("{raw:?} is not an http:// or https:// address"),
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn parse_bind(raw: &str) -> Result<SocketAddr, ConfigError> {
    let invalid = || {
        ConfigError::new(
            "CORTILE_BIND",
            format!("{raw:?} is not HOST:PORT (for example 127.0.0.1:8080)"),
        )
    };
    if let Ok(addr) = raw.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let (_, port) = raw.rsplit_once(':').ok_or_else(invalid)?;
    port.parse::<u16>().map_err(|_| invalid())?;
    raw.to_socket_addrs()
        .map_err(|e| ConfigError::new("CORTILE_BIND", format!("cannot resolve {raw:?}: {e}")))?
        .next()
        .ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_embedded_sqlite_in_data() {
        let c = config(&[]).expect("defaults");
        assert_eq!(
            c.database,
            DatabaseUrl::Sqlite(PathBuf::from("./data/cortile.db"))
        );
        assert_eq!(c.bind, "127.0.0.1:8080".parse().expect("addr"));
        assert_eq!(c.web_dir, PathBuf::from("./dist"));
        assert!(c.map_tiles.is_some());
    }

    #[test]
    fn the_public_url_defaults_to_the_bind_address_and_decides_secure_cookies() {
        let c = config(&[("CORTILE_BIND", "127.0.0.1:9000")]).expect("config");
        assert_eq!(c.public_url, "http://127.0.0.1:9000");
        assert!(!c.secure_cookies());
        let c = config(&[("CORTILE_PUBLIC_URL", "https://cortile.example.org/")]).expect("config");
        assert_eq!(c.public_url, "https://cortile.example.org");
        assert!(c.secure_cookies());
        for bad in ["ftp://x", "not a url", "https://"] {
            let e = config(&[("CORTILE_PUBLIC_URL", bad)]).expect_err(bad);
            assert_eq!(e.setting, "CORTILE_PUBLIC_URL");
        }
        assert!(c.oidc.is_none(), "no OpenID Connect unless configured");
        let e =
            config(&[("CORTILE_OIDC_ISSUER", "https://id.example.org")]).expect_err("no client");
        assert_eq!(e.setting, "CORTILE_OIDC_CLIENT_ID");
    }

    #[test]
    fn maintenance_settings_have_defaults_and_are_read() {
        let c = config(&[]).expect("defaults");
        assert_eq!(
            c.maintenance_autoclose_every,
            std::time::Duration::from_secs(600)
        );
        assert_eq!(c.open311_max_per_hour, 120);
        let c = config(&[
            ("CORTILE_MAINTENANCE_AUTOCLOSE_EVERY_S", " 30 "),
            ("CORTILE_OPEN311_MAX_PER_HOUR", "5"),
        ])
        .expect("set");
        assert_eq!(
            c.maintenance_autoclose_every,
            std::time::Duration::from_secs(30)
        );
        assert_eq!(c.open311_max_per_hour, 5);
    }

    #[test]
    fn data_dir_moves_the_default_database() {
        let c = config(&[("CORTILE_DATA_DIR", "/srv/cortile")]).expect("config");
        assert_eq!(
            c.database,
            DatabaseUrl::Sqlite(PathBuf::from("/srv/cortile/cortile.db"))
        );
    }

    #[test]
    fn database_urls() {
        assert_eq!(
            DatabaseUrl::parse("sqlite:///tmp/x.db").expect("abs"),
            DatabaseUrl::Sqlite(PathBuf::from("/tmp/x.db"))
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/x.db").expect("rel"),
            DatabaseUrl::Sqlite(PathBuf::from("data/x.db"))
        );
        assert_eq!(
            DatabaseUrl::parse("postgres://postgres@127.0.0.1:5432/cortile")
                .expect("pg")
                .kind(),
            DbKind::Postgres
        );
        let e = DatabaseUrl::parse("mysql://root@localhost/x").expect_err("mysql");
        assert_eq!(e.setting, "DATABASE_URL");
        assert!(e.message.contains("unsupported scheme"), "{e}");
        let e = DatabaseUrl::parse("not a url").expect_err("garbage");
        assert!(e.message.contains("cannot parse"), "{e}");
        let e = DatabaseUrl::parse("postgres://u:pw@[bad").expect_err("bad host");
        assert!(!e.message.contains("pw@"), "password leaked: {e}");
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("postgres://u:secret@db:5432/x"),
            "postgres://u:***@db:5432/x"
        );
        assert_eq!(redact("postgres://u@db/x"), "postgres://u@db/x");
    }

    #[test]
    fn bad_settings_name_themselves() {
        for (vars, setting) in [
            (vec![("CORTILE_BIND", "nonsense")], "CORTILE_BIND"),
            (vec![("CORTILE_BIND", "127.0.0.1:99999")], "CORTILE_BIND"),
            (vec![("CORTILE_LOG_FORMAT", "xml")], "CORTILE_LOG_FORMAT"),
            (vec![("CORTILE_WORKERS", "0")], "CORTILE_WORKERS"),
            (
                vec![("CORTILE_MAP_TILES", "https://x/y.png")],
                "CORTILE_MAP_TILES",
            ),
            (vec![("CORTILE_LOG", "cortile=loud")], "CORTILE_LOG"),
            (
                vec![("CORTILE_MAINTENANCE_AUTOCLOSE_EVERY_S", "0")],
                "CORTILE_MAINTENANCE_AUTOCLOSE_EVERY_S",
            ),
            (
                vec![("CORTILE_MAINTENANCE_AUTOCLOSE_EVERY_S", "ten")],
                "CORTILE_MAINTENANCE_AUTOCLOSE_EVERY_S",
            ),
            (
                vec![("CORTILE_OPEN311_MAX_PER_HOUR", "-1")],
                "CORTILE_OPEN311_MAX_PER_HOUR",
            ),
        ] {
            let e = config(&vars).expect_err("must fail");
            assert_eq!(e.setting, setting, "{e}");
        }
    }

    #[test]
    fn tiles_can_be_switched_off() {
        let c = config(&[("CORTILE_MAP_TILES", "off")]).expect("config");
        assert!(c.map_tiles.is_none());
    }

    #[test]
    fn unusable_data_dir_is_reported() {
        let tmp = std::env::temp_dir().join(format!("cortile-cfg-{}", std::process::id()));
        std::fs::write(&tmp, b"a file, not a folder").expect("write");
        let c = config(&[("CORTILE_DATA_DIR", tmp.join("sub").to_str().expect("utf8"))])
            .expect("config");
        let e = c.prepare_data_dir().expect_err("file as folder");
        assert_eq!(e.setting, "CORTILE_DATA_DIR");
        std::fs::remove_file(&tmp).expect("cleanup");
    }
}
