//! Benchmark: the realtime socket under load, on PostgreSQL, with real `cortile` processes.
//!
//! 1. **Idle connections.** One server process; N WebSocket clients (default 10,000) connect
//!    and stay idle. The server's resident memory (`VmRSS` of its process, read from
//!    `/proc/<pid>/status`) is read before and after: the difference divided by N is the memory
//!    per connection (goal: at most 16 KiB). The clients run in this process, so their own
//!    memory is not counted.
//! 2. **Delivery latency, one process.** A group room of 1,000 members, each with a socket
//!    subscribed to it; 100 of them also have a sending socket and send one message a second
//!    each (100 messages/s in all) for the measured period. Each message carries its send time;
//!    every receiver records now − send time (p50/p99 over every delivery; goal p99 < 50 ms).
//!    The senders also time their acks (send → ack: the message stored and committed, the
//!    part of the latency that is the database's).
//! 3. **The same across two processes.** A second server on the same database: the receivers
//!    connect to it, the senders to the first (goal p99 < 100 ms).
//!
//! The clients (this process) and the servers share the machine; the report says so. Run with
//! `cargo xtask bench` (which builds the release `cortile` binary first), or
//! `cargo build --release -p cortile && cargo run --release -p cortile-tests --bin bench-realtime`.
//! Options [defaults]: `--connections N` [10000], `--members N` [1000], `--senders N` [100],
//! `--seconds N` measured [10], `--warmup N` seconds [2].

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use cortile::db::schema::{room_members, rooms, users};
use cortile_shared::realtime::{ClientMsg, RoomCursor, RoomId};
use cortile_tests::ws::WsClient;
use cortile_tests::{Backend, TestDatabase};
use diesel::prelude::*;
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

/// The site's address as both servers are told (and as the clients' `Origin` says).
const PUBLIC_URL: &str = "http://cortile.bench";

struct Options {
    connections: usize,
    members: usize,
    senders: usize,
    seconds: u64,
    warmup: u64,
}

fn options() -> Options {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |flag: &str, default: usize| -> usize {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let members = number("--members", 1000).max(2);
    Options {
        connections: number("--connections", 10_000),
        members,
        senders: number("--senders", 100).clamp(1, members),
        seconds: number("--seconds", 10).max(1) as u64,
        warmup: number("--warmup", 2) as u64,
    }
}

/// A `cortile serve` child process.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(database: &str, data_dir: &std::path::Path) -> anyhow::Result<Server> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let exe = server_binary()?;
        std::fs::create_dir_all(data_dir)?;
        let child = Command::new(&exe)
            .arg("serve")
            .env("DATABASE_URL", database)
            .env("CORTILE_BIND", format!("127.0.0.1:{port}"))
            .env("CORTILE_PUBLIC_URL", PUBLIC_URL)
            .env("CORTILE_DATA_DIR", data_dir)
            .env("CORTILE_WEB_DIR", data_dir)
            .env("CORTILE_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("start {}", exe.display()))?;
        Ok(Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        })
    }

    async fn wait_ready(&self) -> anyhow::Result<()> {
        let client = reqwest::Client::new();
        for _ in 0..600 {
            if let Ok(r) = client.get(format!("{}/readyz", self.base)).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("the server at {} did not become ready", self.base)
    }

    /// Resident memory of the server process, in KiB.
    fn rss_kib(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .context("no VmRSS")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The release `cortile` binary next to this one.
fn server_binary() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let path = exe.with_file_name("cortile");
    if !path.exists() {
        bail!(
            "{} not found: build it first (cargo build --release -p cortile)",
            path.display()
        );
    }
    Ok(path)
}

/// Members with a session each, and a group room of all of them.
fn arrange(db: &TestDatabase, members: usize) -> anyhow::Result<(i64, Vec<String>)> {
    let mut conn = cortile::db::Manager::new(db.url.clone()).open()?;
    let now = chrono::Utc::now().naive_utc();
    let mut cookies = Vec::with_capacity(members);
    let mut ids = Vec::with_capacity(members);
    for i in 0..members {
        let id = cortile::insert_returning_id!(
            &mut conn,
            users::table,
            users::id,
            (
                users::display_name.eq(format!("Bench {i}")),
                users::locale.eq("it"),
                users::disabled.eq(false),
                users::created_at.eq(now),
                users::updated_at.eq(now),
            )
        )?;
        let (_, token) = cortile::auth::session::create(
            &mut conn,
            id,
            "bench",
            &cortile::auth::session::ClientInfo::default(),
            now,
        )
        .map_err(|e| anyhow::anyhow!("session: {e:?}"))?;
        ids.push(id);
        cookies.push(format!(
            "{}={token}",
            cortile::auth::session::SESSION_COOKIE
        ));
    }
    let room = cortile::insert_returning_id!(
        &mut conn,
        rooms::table,
        rooms::id,
        (
            rooms::kind.eq("group"),
            rooms::name.eq("Bench"),
            rooms::created_at.eq(now),
        )
    )?;
    for chunk in ids.chunks(500) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|u| {
                (
                    room_members::room_id.eq(room),
                    room_members::user_id.eq(*u),
                    room_members::moderator.eq(false),
                    room_members::created_at.eq(now),
                )
            })
            .collect();
        cortile::on_backend!(&mut conn, c => diesel::insert_into(room_members::table).values(rows).execute(c))?;
    }
    Ok((room, cookies))
}

async fn connect(base: &str, cookie: &str) -> anyhow::Result<WsClient> {
    WsClient::connect(base, Some(cookie), Some(PUBLIC_URL))
        .await
        .map_err(|s| anyhow::anyhow!("the socket answered {s}"))
}

/// Opens `n` sockets, `parallel` at a time, cycling over the cookies.
async fn open_many(
    base: &str,
    cookies: &[String],
    n: usize,
    parallel: usize,
) -> anyhow::Result<Vec<WsClient>> {
    let stream = futures_util::stream::iter(0..n).map(|i| {
        let cookie = cookies[i % cookies.len()].clone();
        let base = base.to_owned();
        async move { connect(&base, &cookie).await }
    });
    let results: Vec<anyhow::Result<WsClient>> = stream.buffer_unordered(parallel).collect().await;
    results.into_iter().collect()
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

/// Reads the send time (µs since `t0`) out of a message frame without decoding all of it.
fn sent_at(frame: &str) -> Option<u64> {
    if !frame.starts_with(r#"{"type":"message""#) {
        return None;
    }
    let i = frame.find(r#""text":"t"#)? + 9;
    let rest = &frame[i..];
    let end = rest.find('"')?;
    rest[..end].parse().ok()
}

/// Reads the send time (µs since `t0`) out of an ack, whose message id ends with it.
fn acked_sent_at(frame: &str) -> Option<u64> {
    if !frame.starts_with(r#"{"type":"ack""#) {
        return None;
    }
    let i = frame.find(r#""client_msg_id":""#)? + 17;
    let rest = &frame[i..];
    let id = &rest[..rest.find('"')?];
    id.rsplit('-').next()?.parse().ok()
}

struct Latency {
    p50: f64,
    p99: f64,
    max: f64,
    deliveries: usize,
    expected: usize,
    /// Send → ack (the message stored, its transaction committed): p50 and p99.
    stored: (f64, f64),
}

/// Receivers on `recv_base`, senders on `send_base`; 1 message/s per sender.
/// Numbers the latency runs (their message ids must not repeat).
static RUN: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

async fn latency(
    recv_base: &str,
    send_base: &str,
    room: i64,
    cookies: &[String],
    o: &Options,
) -> anyhow::Result<Latency> {
    let room_id = RoomId(room);
    // Both runs use the same room and senders, and (room, sender, client_msg_id) is unique:
    // each run's message ids must be its own, or the second run's resends of the first's ids
    // would be answered with the stored message and never delivered again.
    let run = RUN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut receivers = open_many(recv_base, cookies, cookies.len(), 64).await?;
    for r in &mut receivers {
        r.send(&ClientMsg::Subscribe {
            rooms: vec![RoomCursor {
                room: room_id,
                last_seq: None,
            }],
        })
        .await;
    }
    let mut senders = open_many(send_base, &cookies[..o.senders], o.senders, 32).await?;
    // Let subscriptions and presence settle.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let t0 = Instant::now();
    let measure_from = Duration::from_secs(o.warmup);
    let total = Duration::from_secs(o.warmup + o.seconds);
    let mut tasks = Vec::new();
    for r in receivers {
        tasks.push(tokio::spawn(async move {
            let mut lat: Vec<u32> = Vec::new();
            let mut stream = r.stream;
            let deadline = tokio::time::Instant::from_std(t0 + total + Duration::from_secs(2));
            while let Ok(Some(Ok(m))) = tokio::time::timeout_at(deadline, stream.next()).await {
                if let Message::Text(t) = m {
                    if let Some(at) = sent_at(&t) {
                        if Duration::from_micros(at) >= measure_from {
                            let now = t0.elapsed().as_micros() as u64;
                            lat.push(u32::try_from(now.saturating_sub(at)).unwrap_or(u32::MAX));
                        }
                    }
                }
            }
            let _ = stream.close(None).await;
            lat
        }));
    }
    let per_sender = Duration::from_secs(1);
    let n_senders = senders.len();
    let mut send_tasks = Vec::new();
    for (k, s) in senders.drain(..).enumerate() {
        send_tasks.push(tokio::spawn(async move {
            // Spread the senders over the second.
            let offset =
                per_sender * u32::try_from(k).unwrap_or(0) / u32::try_from(n_senders).unwrap_or(1);
            let mut tick =
                tokio::time::interval_at(tokio::time::Instant::from_std(t0 + offset), per_sender);
            let mut n = 0u64;
            let (mut sink, mut read) = s.stream.split();
            // Drain acks and events so the server never waits on this socket; time the acks.
            let (acks_tx, acks_rx) = tokio::sync::oneshot::channel::<Vec<u32>>();
            let reader = tokio::spawn(async move {
                let mut acks = Vec::new();
                let deadline = tokio::time::Instant::from_std(t0 + total + Duration::from_secs(2));
                while let Ok(Some(Ok(m))) = tokio::time::timeout_at(deadline, read.next()).await {
                    if let Message::Text(t) = m {
                        if let Some(at) = acked_sent_at(&t) {
                            if Duration::from_micros(at) >= measure_from {
                                let now = t0.elapsed().as_micros() as u64;
                                acks.push(
                                    u32::try_from(now.saturating_sub(at)).unwrap_or(u32::MAX),
                                );
                            }
                        }
                    }
                }
                let _ = acks_tx.send(acks);
            });
            let mut sent_measured = 0usize;
            loop {
                tick.tick().await;
                let at = t0.elapsed();
                if at >= total {
                    break;
                }
                let msg = ClientMsg::Send {
                    room: room_id,
                    client_msg_id: format!("r{run}-b{k}-{n}-{}", at.as_micros()),
                    text: format!("t{}", at.as_micros()),
                    reply_to: None,
                };
                n += 1;
                if at >= measure_from {
                    sent_measured += 1;
                }
                let json = serde_json::to_string(&msg).unwrap_or_default();
                if sink.send(Message::text(json)).await.is_err() {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
            let acks = acks_rx.await.unwrap_or_default();
            let _ = sink.close().await;
            reader.abort();
            (sent_measured, acks)
        }));
    }
    let mut sent = 0;
    let mut acks: Vec<u32> = Vec::new();
    for t in send_tasks {
        let (n, a) = t.await.unwrap_or_default();
        sent += n;
        acks.extend(a);
    }
    acks.sort_unstable();
    let mut all: Vec<u32> = Vec::new();
    let n_receivers = tasks.len();
    for t in tasks {
        all.extend(t.await.unwrap_or_default());
    }
    all.sort_unstable();
    Ok(Latency {
        p50: percentile(&all, 0.50),
        p99: percentile(&all, 0.99),
        max: percentile(&all, 1.0),
        deliveries: all.len(),
        expected: sent * n_receivers,
        stored: (percentile(&acks, 0.50), percentile(&acks, 0.99)),
    })
}

/// The machine's load average (1, 5, 15 minutes), as the report quotes it.
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn report(name: &str, l: &Latency, goal_ms: f64) {
    println!(
        "{name}: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms over {} deliveries ({} expected) — goal p99 < {goal_ms} ms: {}",
        l.p50,
        l.p99,
        l.max,
        l.deliveries,
        l.expected,
        if l.p99 < goal_ms { "met" } else { "NOT met" }
    );
    println!(
        "  of which storing (send → ack, the transaction committed): p50 {:.1} ms, p99 {:.1} ms; load average {}",
        l.stored.0,
        l.stored.1,
        loadavg()
    );
}

fn main() -> anyhow::Result<()> {
    let o = options();
    // Each socket is a file on both sides.
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(0);
    if (limit as usize) < o.connections + 1000 {
        eprintln!("warning: open files limited to {limit}; the idle test may fail");
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(run(o))
}

async fn run(o: Options) -> anyhow::Result<()> {
    let db = TestDatabase::create(Backend::Postgres);
    let url = db.url_string();
    println!(
        "bench-realtime on PostgreSQL, {} cores; clients and servers on this machine; load average {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        loadavg()
    );
    let one = Server::start(&url, &db.dir.join("one"))?;
    one.wait_ready().await?;
    let (room, cookies) = arrange(&db, o.members)?;

    // 1. Idle connections.
    if o.connections > 0 {
        let warm = open_many(&one.base, &cookies, 10, 10).await?;
        drop(warm);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let before = one.rss_kib()?;
        let t = Instant::now();
        let idle = open_many(&one.base, &cookies, o.connections, 128).await?;
        let opened = t.elapsed();
        tokio::time::sleep(Duration::from_secs(3)).await;
        let after = one.rss_kib()?;
        let per = (after.saturating_sub(before)) as f64 * 1024.0 / idle.len() as f64;
        println!(
            "idle: {} connections held by one process (opened in {:.1} s); server RSS {} KiB -> {} KiB: {:.1} KiB per connection — goal ≤ 16 KiB: {}",
            idle.len(),
            opened.as_secs_f64(),
            before,
            after,
            per / 1024.0,
            if per <= 16.0 * 1024.0 { "met" } else { "NOT met" }
        );
        println!("  load average {}", loadavg());
        for c in idle {
            drop(c);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }

    // 2. One process.
    let l = latency(&one.base, &one.base, room, &cookies, &o).await?;
    report(
        &format!(
            "latency, one process: {}-member room, {} messages/s",
            o.members, o.senders
        ),
        &l,
        50.0,
    );

    // 3. Two processes on one database.
    let two = Server::start(&url, &db.dir.join("two"))?;
    two.wait_ready().await?;
    let l = latency(&two.base, &one.base, room, &cookies, &o).await?;
    report(
        &format!(
            "latency, two processes (send to one, receive on the other): {}-member room, {} messages/s",
            o.members, o.senders
        ),
        &l,
        100.0,
    );
    drop(two);
    drop(one);
    drop(db);
    Ok(())
}
