//! Pieces the load benchmarks share (`src/bin/bench_*.rs`): a deterministic generator, weighted
//! picks, latency percentiles, the load average, multi-row inserts sizes, and bulk accounts.

use std::time::Duration;

use crate::Backend;

/// Rows per multi-row INSERT (well under SQLite's and PostgreSQL's parameter limits).
pub const CHUNK: usize = 500;
/// Rows per transaction.
pub const TX_ROWS: usize = 10_000;

/// A small deterministic generator (SplitMix64): the same data on both databases.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 > 1.0 - p
    }
}

/// Picks indexes in proportion to weights.
pub struct Weighted {
    cumulative: Vec<u64>,
}

impl Weighted {
    pub fn new(weights: impl IntoIterator<Item = u64>) -> Weighted {
        let mut total = 0;
        let cumulative = weights
            .into_iter()
            .map(|w| {
                total += w.max(1);
                total
            })
            .collect();
        Weighted { cumulative }
    }

    pub fn pick(&self, rng: &mut Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(1);
        let x = rng.next_u64() % total;
        self.cumulative.partition_point(|&c| c <= x)
    }
}

pub fn name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

/// Latency figures of a set of requests.
#[derive(Debug, Default, Clone)]
pub struct Figures {
    pub requests: usize,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// Percentiles (nearest rank) of `all`, and the rate over `elapsed` seconds.
pub fn figures(mut all: Vec<Duration>, elapsed: f64) -> Figures {
    if all.is_empty() {
        return Figures::default();
    }
    all.sort_unstable();
    let pct = |p: f64| -> f64 {
        let i = ((all.len() as f64 * p).ceil() as usize).clamp(1, all.len()) - 1;
        all[i].as_secs_f64() * 1000.0
    };
    Figures {
        requests: all.len(),
        per_second: all.len() as f64 / elapsed,
        p50_ms: pct(0.50),
        p95_ms: pct(0.95),
        p99_ms: pct(0.99),
        max_ms: pct(1.0),
    }
}

/// The one-minute load average (other builds may share the machine: say so with the figures).
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

/// The command line of a benchmark: `--flag value` options, bare flags, and `--backend
/// sqlite|postgres|both` (both by default).
pub struct Args(Vec<String>);

impl Args {
    pub fn from_env() -> Args {
        Args(std::env::args().skip(1).collect())
    }

    /// The value after `flag`, if given.
    pub fn value(&self, flag: &str) -> Option<String> {
        self.0
            .iter()
            .position(|a| a == flag)
            .and_then(|i| self.0.get(i + 1).cloned())
    }

    /// The number after `flag`, or `default`.
    pub fn number(&self, flag: &str, default: usize) -> usize {
        self.value(flag)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }

    /// Whether the bare `flag` is given.
    pub fn flag(&self, flag: &str) -> bool {
        self.0.iter().any(|a| a == flag)
    }

    /// The databases to run on.
    pub fn backends(&self) -> Vec<Backend> {
        match self.value("--backend").as_deref() {
            Some("sqlite") => vec![Backend::Sqlite],
            Some("postgres") => vec![Backend::Postgres],
            _ => vec![Backend::Sqlite, Backend::Postgres],
        }
    }
}

/// An account a benchmark creates in bulk for a resident of the registry.
pub struct BenchUser<'a> {
    pub username: String,
    pub display_name: String,
    /// `None`: the account cannot log in with a password (it is used through the database).
    pub password_hash: Option<&'a str>,
    pub fiscal_code: &'a str,
}

/// Inserts the accounts by multi-row INSERTs ([`CHUNK`] rows, [`TX_ROWS`] per transaction)
/// and returns the ids of the accounts whose username starts with `prefix`, by username.
pub fn insert_users(
    conn: &mut cortile::db::DbConn,
    prefix: &str,
    users: &[BenchUser<'_>],
    now: chrono::NaiveDateTime,
) -> diesel::QueryResult<std::collections::HashMap<String, i64>> {
    use cortile::db::schema::users;
    use diesel::prelude::*;

    for tx in users.chunks(TX_ROWS) {
        cortile::db::write_tx(conn, |conn| -> QueryResult<()> {
            for chunk in tx.chunks(CHUNK) {
                let values: Vec<_> = chunk
                    .iter()
                    .map(|u| {
                        (
                            users::username.eq(u.username.as_str()),
                            users::display_name.eq(u.display_name.as_str()),
                            users::password_hash.eq(u.password_hash),
                            users::fiscal_code.eq(u.fiscal_code),
                            users::created_at.eq(now),
                            users::updated_at.eq(now),
                        )
                    })
                    .collect();
                cortile::on_backend!(conn, c => diesel::insert_into(users::table)
                    .values(&values)
                    .execute(c))?;
            }
            Ok(())
        })?;
    }
    Ok(users::table
        .filter(users::username.like(format!("{prefix}%")))
        .select((users::username.assume_not_null(), users::id))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect())
}
