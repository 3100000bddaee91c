//! The crash test of the time bank's ledger, on both databases: the real `cortile` binary runs
//! as a child process while concurrent clients pay each other; it is killed with SIGKILL
//! several times mid-run and restarted on the same database. Clients retry every payment whose
//! answer they never got, with the same `Idempotency-Key`, as a real client would. Afterwards:
//! every acknowledged transfer is in the ledger exactly as it was answered, nothing else is,
//! no transfer is half-applied, the balances are what the answers add up to, and
//! `cortile check-ledger` (the binary) passes.

use std::collections::{HashMap, HashSet};
use std::net::TcpListener;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cortile::db::schema::{timebank_accounts, timebank_entries};
use cortile::db::Manager;
use cortile_shared::timebank::Transfer;
use cortile_tests::ledger::{self, Answer, Member};
use cortile_tests::{Backend, TestDatabase};
use diesel::prelude::*;
use serde_json::json;

const MEMBERS: usize = 20;
const CLIENTS: usize = 16;
const KILLS: usize = 5;

struct Server {
    child: Child,
}

impl Server {
    fn start(db: &TestDatabase, addr: &str) -> Server {
        let data = db.dir.join("data");
        let log = std::fs::File::create(db.dir.join("server.log")).expect("log file");
        let child = ledger::cortile_command(&db.url_string(), &data)
            .arg("serve")
            .env("CORTILE_BIND", addr)
            .env("CORTILE_WEB_DIR", db.dir.join("web"))
            .env("CORTILE_WORKERS", "2")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start cortile serve");
        Server { child }
    }

    /// SIGKILL: no shutdown, no flush, no rollback by the process itself.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(res) = client.get(format!("{base}/readyz")).send().await {
            if res.status() == 200 {
                return;
            }
        }
        assert!(Instant::now() < deadline, "the server did not become ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One payment a client tried: its key and body, and the answer if one came.
#[derive(Clone)]
struct Attempt {
    payer: usize,
    key: String,
    body: serde_json::Value,
    answer: Option<Answer>,
}

fn attempt(i: usize) -> (usize, usize, i64) {
    let mut x = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xC0FFEE;
    x ^= x >> 29;
    let payer = (x % MEMBERS as u64) as usize;
    let payee = (payer + 1 + ((x >> 8) % (MEMBERS as u64 - 1)) as usize) % MEMBERS;
    (payer, payee, 1 + ((x >> 20) % 45) as i64)
}

async fn crash_test(backend: Backend) {
    let db = TestDatabase::create(backend);
    let url = db.url_string();
    let data = db.dir.join("data");
    let seed = ledger::cortile_command(&url, &data)
        .args(["seed", "--demo"])
        .output()
        .expect("cortile seed");
    assert!(
        seed.status.success(),
        "seed: {}",
        String::from_utf8_lossy(&seed.stderr)
    );
    let members: Arc<Vec<Member>> = {
        let mut conn = Manager::new(db.url.clone()).open().expect("connect");
        Arc::new(ledger::residents_with_sessions(&mut conn, MEMBERS))
    };
    let addr = {
        let l = TcpListener::bind("127.0.0.1:0").expect("a free port");
        l.local_addr().expect("address").to_string()
    };
    let base = format!("http://{addr}");
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let next = Arc::new(AtomicUsize::new(0));
    let attempts: Arc<Mutex<Vec<Attempt>>> = Arc::new(Mutex::new(Vec::new()));
    let started = Instant::now();

    for round in 0..KILLS {
        let server = Server::start(&db, &addr);
        wait_ready(&client, &base).await;
        let stop = Arc::new(AtomicBool::new(false));
        let mut workers = Vec::new();
        for _ in 0..CLIENTS {
            let (client, base, members, next, attempts, stop) = (
                client.clone(),
                base.clone(),
                members.clone(),
                next.clone(),
                attempts.clone(),
                stop.clone(),
            );
            workers.push(tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let (payer, payee, minutes) = attempt(i);
                    let key = format!("crash-{i}");
                    let body = json!({"to": members[payee].user_id, "minutes": minutes, "memo": format!("aiuto {i}")});
                    let answer = ledger::pay(&client, &base, &members[payer], &key, &body).await.ok();
                    attempts.lock().expect("attempts").push(Attempt { payer, key, body, answer });
                }
            }));
        }
        // Kill mid-run, at a different moment each round.
        tokio::time::sleep(Duration::from_millis(700 + 350 * round as u64)).await;
        server.kill();
        stop.store(true, Ordering::Relaxed);
        for w in workers {
            w.await.expect("worker");
        }
    }

    // Restart once more; retry every payment whose answer was lost, with its key.
    let server = Server::start(&db, &addr);
    wait_ready(&client, &base).await;
    let mut all = attempts.lock().expect("attempts").clone();
    let lost = all.iter().filter(|a| a.answer.is_none()).count();
    let acknowledged_before = all
        .iter()
        .filter(|a| a.answer.as_ref().is_some_and(|x| x.status == 201))
        .count();
    let mut replayed_after_crash = 0;
    for a in all.iter_mut() {
        match &a.answer {
            None => {
                let answer = ledger::pay(&client, &base, &members[a.payer], &a.key, &a.body)
                    .await
                    .expect("the restarted server answers");
                replayed_after_crash += usize::from(answer.replayed);
                a.answer = Some(answer);
            }
            // Some acknowledged payments are retried too: the same answer again.
            Some(first) if first.status == 201 && a.key.ends_with('7') => {
                let again = ledger::pay(&client, &base, &members[a.payer], &a.key, &a.body)
                    .await
                    .expect("answer");
                assert!(again.replayed, "{}: not replayed", a.key);
                assert_eq!(
                    again.body, first.body,
                    "{}: another answer after the crash",
                    a.key
                );
            }
            Some(_) => {}
        }
    }
    server.kill();
    eprintln!(
        "crash test on {backend:?}: {} payments tried over {KILLS} SIGKILLs in {:.1} s; {acknowledged_before} acknowledged before the kills, {lost} answers lost and retried ({replayed_after_crash} of them had been committed)",
        all.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        acknowledged_before > 50,
        "the clients got work done between the kills"
    );
    assert!(lost > 0, "some requests were in flight at a kill");

    // Every acknowledged transfer is in the ledger exactly as answered; nothing else is.
    let mut acknowledged: HashMap<i64, Transfer> = HashMap::new();
    let mut expected: HashMap<i64, i64> = HashMap::new();
    for a in &all {
        let answer = a.answer.as_ref().expect("answered");
        assert!(
            answer.status == 201 || answer.status == 409,
            "{}: {} {}",
            a.key,
            answer.status,
            answer.body
        );
        if answer.status == 201 {
            let t: Transfer = serde_json::from_str(&answer.body).expect("a transfer");
            for e in &t.entries {
                *expected
                    .entry(e.user.as_ref().expect("a member").id.0)
                    .or_insert(0) += e.minutes;
            }
            assert!(
                acknowledged.insert(t.id.0, t).is_none(),
                "one transfer per key"
            );
        }
    }
    let mut conn = Manager::new(db.url.clone()).open().expect("connect");
    let in_ledger: HashSet<i64> = ledger::transfer_ids(&mut conn, "transfer")
        .into_iter()
        .collect();
    let answered: HashSet<i64> = acknowledged.keys().copied().collect();
    assert_eq!(
        in_ledger, answered,
        "the ledger holds exactly the acknowledged transfers"
    );
    // None half-applied: each transfer's entries are those it was answered with.
    let entries: Vec<(i64, Option<i64>, i64)> = timebank_entries::table
        .inner_join(timebank_accounts::table)
        .order(timebank_entries::id)
        .select((
            timebank_entries::transfer_id,
            timebank_accounts::user_id,
            timebank_entries::minutes,
        ))
        .load(&mut conn)
        .expect("entries");
    let mut by_transfer: HashMap<i64, Vec<(Option<i64>, i64)>> = HashMap::new();
    for (t, user, minutes) in entries {
        by_transfer.entry(t).or_default().push((user, minutes));
    }
    for (id, t) in &acknowledged {
        let want: Vec<(Option<i64>, i64)> = t
            .entries
            .iter()
            .map(|e| (e.user.as_ref().map(|u| u.id.0), e.minutes))
            .collect();
        assert_eq!(by_transfer.get(id), Some(&want), "entries of transfer {id}");
    }
    let balances = ledger::balances(&mut conn);
    for m in members.iter() {
        assert_eq!(
            balances.get(&m.user_id).copied().unwrap_or(0),
            expected.get(&m.user_id).copied().unwrap_or(0),
            "balance of user {}",
            m.user_id
        );
    }
    assert_eq!(balances.values().sum::<i64>(), 0);
    drop(conn);
    let (ok, out) = ledger::run_check_ledger(&url, &data);
    assert!(ok, "cortile check-ledger after the crashes: {out}");
    assert!(out.contains("ledger OK"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_test_sqlite() {
    crash_test(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_test_postgres() {
    crash_test(Backend::Postgres).await;
}
