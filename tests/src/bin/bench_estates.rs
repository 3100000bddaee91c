//! Benchmark: `GET /api/v1/estates` next to a trivial JSON route (`/healthz`) in the same
//! process, on SQLite and on PostgreSQL, with the full-scale demo registry (~28,000 homes).
//!
//! Run with `cargo xtask bench` (or `cargo run --release -p cortile-tests --bin bench-estates`).
//! Options: `--seconds N` per route (default 5), `--concurrency N` (default 16),
//! `--backend sqlite|postgres|both` (default both). Traffic stays on loopback; every loop is
//! bounded by time.

use std::time::{Duration, Instant};

use cortile::registry::demo::Scale;
use cortile_tests::{Backend, TestApp};

struct Options {
    seconds: u64,
    concurrency: usize,
    backends: Vec<Backend>,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| -> Option<String> {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let backends = match value("--backend").as_deref() {
        Some("sqlite") => vec![Backend::Sqlite],
        Some("postgres") => vec![Backend::Postgres],
        _ => vec![Backend::Sqlite, Backend::Postgres],
    };
    Options {
        seconds: value("--seconds").and_then(|v| v.parse().ok()).unwrap_or(5),
        concurrency: value("--concurrency")
            .and_then(|v| v.parse().ok())
            .unwrap_or(16),
        backends,
    }
}

struct Figures {
    requests: usize,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

async fn load(app: &TestApp, path: &str, opts: &Options) -> Figures {
    let url = app.url(path);
    // Warm up connections and caches.
    for _ in 0..50 {
        let res = app.client.get(&url).send().await.expect("warm-up");
        assert_eq!(res.status(), 200, "{path}");
        res.bytes().await.expect("body");
    }
    let deadline = Instant::now() + Duration::from_secs(opts.seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..opts.concurrency {
        let client = app.client.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                let res = client.get(&url).send().await.expect("request");
                assert_eq!(res.status(), 200);
                res.bytes().await.expect("body");
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("worker"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_unstable();
    let pct = |p: f64| -> f64 {
        let i = ((all.len() as f64 * p).ceil() as usize).clamp(1, all.len()) - 1;
        all[i].as_secs_f64() * 1000.0
    };
    Figures {
        requests: all.len(),
        per_second: all.len() as f64 / elapsed,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let opts = options();
    println!(
        "bench-estates: {}s per route, {} concurrent clients, full demo registry, 2 server workers",
        opts.seconds, opts.concurrency
    );
    println!(
        "{:<9} {:<16} {:>9} {:>10} {:>9} {:>9}",
        "database", "route", "requests", "req/s", "p50 ms", "p99 ms"
    );
    for backend in &opts.backends {
        let app = TestApp::builder(*backend).seed(Scale::Full).spawn().await;
        let name = match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        };
        let trivial = load(&app, "/healthz", &opts).await;
        let estates = load(&app, "/api/v1/estates", &opts).await;
        for (route, f) in [("/healthz", &trivial), ("/api/v1/estates", &estates)] {
            println!(
                "{name:<9} {route:<16} {:>9} {:>10.0} {:>9.2} {:>9.2}",
                f.requests, f.per_second, f.p50_ms, f.p99_ms
            );
        }
        println!(
            "{name:<9} ratio estates/trivial: throughput {:.2}, p99 {:.2}x",
            estates.per_second / trivial.per_second,
            estates.p99_ms / trivial.p99_ms
        );
        app.shutdown().await;
    }
}
