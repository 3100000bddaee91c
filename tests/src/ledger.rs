//! Helpers for the time bank's tests and benchmark: many resident accounts with sessions made
//! straight in the database (no argon2 per account), a raw HTTP client that pays with an
//! `Idempotency-Key`, the `cortile` binary, and the ledger read back from the database.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Command;

use cortile::db::schema::{
    household_members, households, persons, timebank_accounts, timebank_transfers, users,
};
use cortile::db::DbConn;
use diesel::prelude::*;

/// A resident with a live session: what a client needs to act as them.
#[derive(Debug, Clone)]
pub struct Member {
    pub user_id: i64,
    pub token: String,
    pub csrf: String,
}

/// Creates `n` accounts for people the registry has in a current household (residents, hence
/// members of the time bank), each with a session. Fiscal codes already linked to an account
/// are skipped.
pub fn residents_with_sessions(conn: &mut DbConn, n: usize) -> Vec<Member> {
    let now = chrono::Utc::now().naive_utc();
    let taken: Vec<String> = users::table
        .filter(users::fiscal_code.is_not_null())
        .select(users::fiscal_code.assume_not_null())
        .load(conn)
        .expect("linked fiscal codes");
    let people: Vec<(String, String, String)> = household_members::table
        .inner_join(persons::table)
        .inner_join(households::table)
        .filter(household_members::ended_at.is_null())
        .filter(households::contract_status.eq("active"))
        .order(persons::id)
        .select((persons::fiscal_code, persons::given_name, persons::surname))
        .limit(i64::try_from(n * 2 + taken.len()).unwrap_or(i64::MAX))
        .load(conn)
        .expect("residents of the registry");
    let mut members = Vec::with_capacity(n);
    for (code, given, surname) in people {
        if members.len() == n {
            break;
        }
        if taken.contains(&code) {
            continue;
        }
        let (user_id, _) = crate::registry_account(conn, &code, &given, &surname, now);
        let (_, token) = cortile::auth::session::create(
            conn,
            user_id,
            "local",
            &cortile::auth::session::ClientInfo::default(),
            now,
        )
        .expect("a session");
        members.push(Member {
            user_id,
            csrf: cortile::auth::session::csrf_token(&token),
            token,
        });
    }
    assert_eq!(members.len(), n, "the registry has {n} residents free");
    members
}

/// What a payment request got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
    pub replayed: bool,
}

/// Sends `POST /api/v1/timebank/transfers` as `member` with this key and body.
pub async fn pay(
    client: &reqwest::Client,
    base: &str,
    member: &Member,
    key: &str,
    body: &serde_json::Value,
) -> Result<Answer, reqwest::Error> {
    let send = || {
        client
            .post(format!("{base}/api/v1/timebank/transfers"))
            .header(
                "cookie",
                format!(
                    "{}={}",
                    cortile::auth::session::SESSION_COOKIE,
                    member.token
                ),
            )
            .header("x-csrf-token", &member.csrf)
            .header("idempotency-key", key)
            .json(body)
            .send()
    };
    let res = match send().await {
        // A pooled keep-alive connection that the server closed (idle timeout) just as the
        // request went out on it: on a loaded machine this happens now and then. A real
        // client retries, with the same key, which is what the key is for; retry once.
        Err(e) if format!("{e:?}").contains("IncompleteMessage") => send().await?,
        other => other?,
    };
    let status = res.status().as_u16();
    let replayed = res.headers().contains_key("idempotent-replayed");
    let body = res.text().await?;
    Ok(Answer {
        status,
        body,
        replayed,
    })
}

/// Every member's balance (user id → minutes), and the bank's own account under user 0.
pub fn balances(conn: &mut DbConn) -> HashMap<i64, i64> {
    timebank_accounts::table
        .select((
            timebank_accounts::user_id,
            timebank_accounts::balance_minutes,
        ))
        .load::<(Option<i64>, i64)>(conn)
        .expect("balances")
        .into_iter()
        .map(|(u, b)| (u.unwrap_or(0), b))
        .collect()
}

/// Members whose balance is below their credit limit.
pub fn below_limit(conn: &mut DbConn) -> Vec<i64> {
    timebank_accounts::table
        .filter(timebank_accounts::user_id.is_not_null())
        .filter(timebank_accounts::balance_minutes.lt(timebank_accounts::credit_limit_minutes))
        .select(timebank_accounts::id)
        .load(conn)
        .expect("accounts")
}

/// Ids of the ledger's transfers of one kind.
pub fn transfer_ids(conn: &mut DbConn, kind: &str) -> Vec<i64> {
    timebank_transfers::table
        .filter(timebank_transfers::kind.eq(kind))
        .order(timebank_transfers::id)
        .select(timebank_transfers::id)
        .load(conn)
        .expect("transfers")
}

/// The `cortile` binary next to the running test or bench (`target/<profile>/cortile`), or
/// `CORTILE_TEST_BIN`. `cargo test --workspace` builds it (the backend's CLI tests need it);
/// for a narrower run, `cargo build -p cortile` first. A binary older than the server's sources
/// (`backend/`, `shared/src`, `migrations/`) is refused, so a stale server is never tested.
pub fn cortile_binary() -> PathBuf {
    if let Some(bin) = std::env::var_os("CORTILE_TEST_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("the test's own path");
    let mut dir = exe.parent().expect("a folder").to_owned();
    if dir.file_name().is_some_and(|n| n == "deps") {
        dir.pop();
    }
    let bin = dir.join(format!("cortile{}", std::env::consts::EXE_SUFFIX));
    let hint = "build it with `cargo build -p cortile` (same profile and CARGO_TARGET_DIR), \
                or set CORTILE_TEST_BIN";
    let built = std::fs::metadata(&bin)
        .and_then(|m| m.modified())
        .unwrap_or_else(|_| panic!("{} is missing: {hint}", bin.display()));
    let root = crate::workspace_root();
    let newest_source = ["backend/src", "shared/src", "migrations"]
        .iter()
        .filter_map(|dir| newest_mtime(&root.join(dir)))
        .max();
    if let Some(source) = newest_source {
        assert!(
            built >= source,
            "{} is older than the sources of the server: {hint}",
            bin.display()
        );
    }
    bin
}

/// The newest modification time of the files under `dir` (skipping `target`).
fn newest_mtime(dir: &std::path::Path) -> Option<std::time::SystemTime> {
    let mut newest = None;
    for entry in std::fs::read_dir(dir).ok()?.flatten() {
        let path = entry.path();
        let time = if path.is_dir() {
            if path.ends_with("target") {
                continue;
            }
            newest_mtime(&path)
        } else {
            entry.metadata().and_then(|m| m.modified()).ok()
        };
        newest = newest.max(time);
    }
    newest
}

/// The `cortile` command with a clean environment for this database.
pub fn cortile_command(database_url: &str, data_dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(cortile_binary());
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("CORTILE_") {
            cmd.env_remove(var);
        }
    }
    cmd.env("DATABASE_URL", database_url)
        .env("CORTILE_DATA_DIR", data_dir)
        .env("CORTILE_LOG", "warn");
    cmd
}

/// Runs `cortile check-ledger` on a database; returns whether it passed and what it printed.
pub fn run_check_ledger(database_url: &str, data_dir: &std::path::Path) -> (bool, String) {
    let out = cortile_command(database_url, data_dir)
        .arg("check-ledger")
        .output()
        .expect("run cortile check-ledger");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}
