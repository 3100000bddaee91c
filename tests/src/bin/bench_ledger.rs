//! Benchmark: the time bank's transfers per second on SQLite and on PostgreSQL, next to a
//! baseline of bare one-row insert transactions on the same database with the same settings.
//! Issue 5 sets the goal: at least half the baseline.
//!
//! For each database the server starts with the demo people (through the real import), 100
//! resident accounts are made, and then, with the same number of threads each holding its own
//! connection (opened exactly as the server's pool opens them: WAL, busy timeout and
//! `synchronous=NORMAL` on SQLite):
//! - baseline: `write_tx` around one `INSERT` of one row into a scratch table;
//! - ledger: `cortile::timebank::transfer`, exactly what `POST /api/v1/timebank/transfers` runs
//!   in its database closure — claim the idempotency key, check the members, move both
//!   balances with conditional updates, write the transfer and its entries, store the
//!   response — each with a new key;
//! - HTTP: the same payments through the running server (sessions, CSRF, JSON), for scale.
//!
//! Run with `cargo xtask bench` (or `cargo run --release -p cortile-tests --bin bench-ledger`).
//! Options (defaults in brackets): `--backend sqlite|postgres|both` [both], `--threads N,M…`
//! (one measurement per count) [1,4],
//! `--transfers N` per measurement [20000], `--http-clients N` [16], `--http-transfers N`
//! [5000], `--accounts N` [100].

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use cortile::auth::{Actor, SignedIn};
use cortile::db::{write_tx, DbConn, Manager};
use cortile::idempotency::IdempotencyKey;
use cortile_shared::timebank::{NewTransfer, Recipients};
use cortile_shared::UserId;
use cortile_tests::ledger::{self, Member};
use cortile_tests::{Backend, TestApp};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

diesel::table! {
    bench_rows (id) {
        id -> BigInt,
        payload -> Text,
        created_at -> Timestamp,
    }
}

/// The goal of issue 5: transfers at least half as fast as bare one-row inserts.
const GOAL_RATIO: f64 = 0.5;

struct Options {
    backends: Vec<Backend>,
    threads: Vec<usize>,
    transfers: usize,
    http_clients: usize,
    http_transfers: usize,
    accounts: usize,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| -> Option<String> {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let number = |flag: &str, default: usize| -> usize {
        value(flag).and_then(|v| v.parse().ok()).unwrap_or(default)
    };
    Options {
        backends: match value("--backend").as_deref() {
            Some("sqlite") => vec![Backend::Sqlite],
            Some("postgres") => vec![Backend::Postgres],
            _ => vec![Backend::Sqlite, Backend::Postgres],
        },
        threads: value("--threads")
            .unwrap_or_else(|| "1,4".into())
            .split(',')
            .filter_map(|t| t.trim().parse::<usize>().ok())
            .map(|t| t.max(1))
            .collect(),
        transfers: number("--transfers", 20_000).max(1),
        http_clients: number("--http-clients", 16).max(1),
        http_transfers: number("--http-transfers", 5_000),
        accounts: number("--accounts", 100).max(2),
    }
}

fn name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

/// A deterministic payment: payer, payee, minutes (small, so refusals stay rare).
fn payment(i: usize, accounts: usize) -> (usize, usize, i64) {
    let mut x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xBEEF;
    x ^= x >> 31;
    let payer = (x % accounts as u64) as usize;
    let payee = (payer + 1 + ((x >> 16) % (accounts as u64 - 1)) as usize) % accounts;
    (payer, payee, 1 + ((x >> 40) % 30) as i64)
}

/// Runs `work(i, conn)` for `i` in `0..total` on `threads` threads, each with its own
/// connection; returns the elapsed time and how many calls returned true.
fn run_parallel<F>(
    url: &cortile::config::DatabaseUrl,
    threads: usize,
    total: usize,
    work: F,
) -> anyhow::Result<(Duration, usize)>
where
    F: Fn(usize, &mut DbConn) -> anyhow::Result<bool> + Sync,
{
    let mut conns = Vec::new();
    for _ in 0..threads {
        conns.push(Manager::new(url.clone()).open().context("connect")?);
    }
    let next = AtomicUsize::new(0);
    let ok = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|s| -> anyhow::Result<()> {
        let handles: Vec<_> = conns
            .iter_mut()
            .map(|conn| {
                let (next, ok, work) = (&next, &ok, &work);
                s.spawn(move || -> anyhow::Result<()> {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= total {
                            return Ok(());
                        }
                        if work(i, conn)? {
                            ok.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join()
                .map_err(|_| anyhow::anyhow!("a bench thread panicked"))??;
        }
        Ok(())
    })?;
    Ok((started.elapsed(), ok.load(Ordering::Relaxed)))
}

/// One measurement: threads, one-row inserts/s, transfers/s, refused.
struct Run {
    threads: usize,
    baseline: f64,
    ledger: f64,
    refused: usize,
}

struct Figures {
    runs: Vec<Run>,
    http: Option<f64>,
}

async fn bench(backend: Backend, opts: &Options) -> anyhow::Result<Figures> {
    let app = TestApp::builder(backend).people().spawn().await;
    let url = app.db.url.clone();
    let mut conn = app.connect();
    conn.batch_execute(match backend {
        Backend::Sqlite => {
            "CREATE TABLE bench_rows (id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, payload TEXT NOT NULL, created_at TIMESTAMP NOT NULL)"
        }
        Backend::Postgres => {
            "CREATE TABLE bench_rows (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, payload TEXT NOT NULL, created_at TIMESTAMP NOT NULL)"
        }
    })?;
    let members: Vec<Member> = ledger::residents_with_sessions(&mut conn, opts.accounts);
    let now = chrono::Utc::now().naive_utc();
    let mut actors = Vec::new();
    for m in &members {
        let principal =
            cortile::auth::load_principal(&mut conn, m.user_id)?.context("a resident principal")?;
        actors.push(Actor {
            signed_in: Some(Box::new(SignedIn {
                session_id: 0,
                csrf_token: String::new(),
                principal,
                operator: None,
                assist_purpose: None,
                idle_expires_at: now,
                expires_at: now,
            })),
            ..Actor::default()
        });
    }
    drop(conn);
    println!("bench-ledger {}: {} members", name(backend), members.len());

    // Warm-up: open every account, prepare the statements.
    let accounts = opts.accounts;
    let pay = |i: usize, conn: &mut DbConn| -> anyhow::Result<bool> {
        let (payer, payee, minutes) = payment(i, accounts);
        let key = IdempotencyKey::parse(Some(&format!("bench-{i}")))?;
        let req = NewTransfer {
            to: Recipients::One(UserId(members[payee].user_id)),
            minutes: Some(minutes),
            memo: "bench".into(),
        };
        match cortile::timebank::transfer(
            conn,
            &actors[payer],
            &key,
            &req,
            chrono::Utc::now().naive_utc(),
        ) {
            Ok(_) => Ok(true),
            Err(e) if e.code == cortile_shared::ErrorCode::InsufficientBalance => Ok(false),
            Err(e) => Err(anyhow::anyhow!("transfer {i}: {e}")),
        }
    };
    let insert = |i: usize, conn: &mut DbConn| -> anyhow::Result<bool> {
        write_tx(conn, |conn| {
            diesel::insert_into(bench_rows::table)
                .values((
                    bench_rows::payload.eq(format!("row {i}")),
                    bench_rows::created_at.eq(chrono::Utc::now().naive_utc()),
                ))
                .execute(conn)
        })?;
        Ok(true)
    };
    let warm = 1_000.min(opts.transfers);
    let most = opts.threads.iter().copied().max().unwrap_or(1);
    run_parallel(&url, most, warm, |i, c| pay(10_000_000 + i, c))?;
    run_parallel(&url, most, warm, |i, c| insert(10_000_000 + i, c))?;

    let mut runs = Vec::new();
    for (r, &threads) in opts.threads.iter().enumerate() {
        let offset = 100_000_000 * (r + 1);
        let (t, n) = run_parallel(&url, threads, opts.transfers, |i, c| insert(offset + i, c))?;
        let baseline = n as f64 / t.as_secs_f64();
        println!(
            "  {threads} thread(s), baseline: {n} one-row insert transactions in {:.2} s: {baseline:.0}/s",
            t.as_secs_f64()
        );
        let (t, n) = run_parallel(&url, threads, opts.transfers, |i, c| pay(offset + i, c))?;
        let ledger = n as f64 / t.as_secs_f64();
        let refused = opts.transfers - n;
        println!(
            "  {threads} thread(s), ledger:   {n} transfers in {:.2} s ({refused} refused at the credit limit): {ledger:.0}/s",
            t.as_secs_f64()
        );
        runs.push(Run {
            threads,
            baseline,
            ledger,
            refused,
        });
    }

    let http = if opts.http_transfers > 0 {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(opts.http_clients)
            .build()?;
        let members = Arc::new(members);
        let next = Arc::new(AtomicUsize::new(0));
        let started = Instant::now();
        let mut workers = Vec::new();
        for _ in 0..opts.http_clients {
            let (client, members, next, base, total) = (
                client.clone(),
                members.clone(),
                next.clone(),
                app.address.clone(),
                opts.http_transfers,
            );
            workers.push(tokio::spawn(async move {
                let mut ok = 0_usize;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        return Ok::<usize, anyhow::Error>(ok);
                    }
                    let (payer, payee, minutes) = payment(20_000_000 + i, members.len());
                    let body = serde_json::json!({"to": members[payee].user_id, "minutes": minutes, "memo": "bench"});
                    let a = ledger::pay(&client, &base, &members[payer], &format!("http-{i}"), &body).await?;
                    match a.status {
                        201 => ok += 1,
                        409 => {}
                        s => anyhow::bail!("HTTP transfer {i}: {s} {}", a.body),
                    }
                }
            }));
        }
        let mut ok = 0;
        for w in workers {
            ok += w.await??;
        }
        let t = started.elapsed();
        let rate = ok as f64 / t.as_secs_f64();
        println!(
            "  HTTP:     {ok} transfers in {:.2} s by {} clients: {rate:.0}/s",
            t.as_secs_f64(),
            opts.http_clients
        );
        Some(rate)
    } else {
        None
    };

    let mut conn = app.connect();
    let report = cortile::timebank::check::check_ledger(&mut conn)?;
    anyhow::ensure!(
        report.ok(),
        "the ledger is not sound: {:?}",
        report.problems
    );
    println!("  check-ledger: OK ({} transfers)", report.transfers);
    drop(conn);
    app.shutdown().await;
    Ok(Figures { runs, http })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let opts = options();
    println!(
        "bench-ledger: {} transfers among {} members on {:?} threads vs as many one-row insert \
         transactions; then {} transfers over HTTP by {} clients",
        opts.transfers, opts.accounts, opts.threads, opts.http_transfers, opts.http_clients
    );
    let mut results = Vec::new();
    for backend in &opts.backends {
        let f = bench(*backend, &opts)
            .await
            .with_context(|| format!("bench-ledger on {}", name(*backend)))?;
        results.push((*backend, f));
    }
    println!();
    println!(
        "bench-ledger summary (goal: transfers ≥ {:.0}% of the baseline; HTTP: {} clients)",
        GOAL_RATIO * 100.0,
        opts.http_clients
    );
    println!(
        "{:<9} {:>7} {:>12} {:>12} {:>7} {:>8} {:>8}",
        "database", "threads", "baseline/s", "transfers/s", "ratio", "refused", "HTTP/s"
    );
    for (backend, f) in &results {
        for run in &f.runs {
            let ratio = run.ledger / run.baseline;
            println!(
                "{:<9} {:>7} {:>12.0} {:>12.0} {:>6.0}% {:>8} {:>8}  {}",
                name(*backend),
                run.threads,
                run.baseline,
                run.ledger,
                ratio * 100.0,
                run.refused,
                f.http
                    .map(|h| format!("{h:.0}"))
                    .unwrap_or_else(|| "-".into()),
                if ratio >= GOAL_RATIO {
                    "goal met"
                } else {
                    "below goal"
                }
            );
        }
    }
    Ok(())
}
