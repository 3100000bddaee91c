//! The `cortile` binary as a user runs it: help, start-up failures (one line, exit code 2),
//! `migrate` and `seed --demo` on SQLite and on PostgreSQL.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Output};

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

fn cortile() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cortile"));
    for var in [
        "DATABASE_URL",
        "CORTILE_DATA_DIR",
        "CORTILE_BIND",
        "CORTILE_WEB_DIR",
        "CORTILE_LOG",
        "CORTILE_LOG_FORMAT",
        "CORTILE_SEED_DEMO",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("CORTILE_LOG", "warn");
    cmd
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cortile-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts a start-up failure: exit code 2 and one line on stderr naming the setting.
fn assert_startup_failure(out: &Output, setting: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "exit code; stderr: {err}");
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("cortile: error:"))
        .collect();
    assert_eq!(lines.len(), 1, "one error line: {err}");
    assert!(lines[0].contains(setting), "names {setting}: {err}");
    assert!(!err.contains("panicked"), "no panic: {err}");
}

#[test]
fn help_documents_every_setting_and_subcommand() {
    let out = cortile().arg("--help").output().expect("run");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for word in [
        "serve",
        "migrate",
        "seed",
        "DATABASE_URL",
        "CORTILE_DATA_DIR",
        "CORTILE_BIND",
        "CORTILE_WEB_DIR",
        "CORTILE_LOG",
    ] {
        assert!(help.contains(word), "--help mentions {word}:\n{help}");
    }
    for sub in ["serve", "migrate", "seed", "check-ledger"] {
        let out = cortile().args([sub, "--help"]).output().expect("run");
        assert!(out.status.success(), "{sub} --help");
        assert!(String::from_utf8_lossy(&out.stdout).contains("DATABASE_URL"));
    }
    let out = cortile().args(["seed", "--help"]).output().expect("run");
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(help.contains("--demo") && help.contains("--scale") && help.contains("full"));
}

#[test]
fn bad_database_urls_fail_with_one_line() {
    let dir = temp_dir();
    for (url, words) in [
        ("nonsense", "cannot parse"),
        ("mysql://root@localhost/x", "unsupported scheme"),
        ("postgres://postgres@127.0.0.1:1/cortile", "cannot open"),
        ("postgres://user:s3cret@127.0.0.1:1/cortile", "cannot open"),
    ] {
        let out = cortile()
            .env("DATABASE_URL", url)
            .env("CORTILE_DATA_DIR", &dir)
            .arg("serve")
            .output()
            .expect("run");
        assert_startup_failure(&out, "DATABASE_URL");
        let err = stderr(&out);
        assert!(err.contains(words), "{url}: {err}");
        assert!(
            !err.contains("s3cret"),
            "the password is never printed: {err}"
        );
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn an_unusable_data_folder_fails_with_one_line() {
    let dir = temp_dir();
    let file = dir.join("a-file");
    std::fs::write(&file, "not a folder").expect("write");
    let out = cortile()
        .env("CORTILE_DATA_DIR", file.join("data"))
        .arg("serve")
        .output()
        .expect("run");
    assert_startup_failure(&out, "CORTILE_DATA_DIR");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_port_in_use_fails_with_one_line() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr");
    let dir = temp_dir();
    let out = cortile()
        .env("CORTILE_DATA_DIR", &dir)
        .env("CORTILE_BIND", addr.to_string())
        .arg("serve")
        .output()
        .expect("run");
    assert_startup_failure(&out, "CORTILE_BIND");
    assert!(stderr(&out).contains(&addr.to_string()));
    for bad in ["localhost", "1.2.3.4:99999", ":"] {
        let out = cortile()
            .env("CORTILE_DATA_DIR", &dir)
            .env("CORTILE_BIND", bad)
            .output()
            .expect("run");
        assert_startup_failure(&out, "CORTILE_BIND");
    }
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn unknown_subcommands_and_flags_are_usage_errors() {
    let out = cortile().arg("fly").output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let out = cortile()
        .args(["seed", "--demo", "--scale", "huge"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("huge"));
}

fn migrate_and_seed(database_url: &str, data_dir: &PathBuf) {
    let run = |args: &[&str]| {
        let out = cortile()
            .env("DATABASE_URL", database_url)
            .env("CORTILE_DATA_DIR", data_dir)
            .args(args)
            .output()
            .expect("run");
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let out = run(&["migrate"]);
    assert!(out.contains("migrations applied"), "{out}");
    let out = run(&["seed", "--demo"]);
    assert!(out.contains("demo data loaded: 12 estates"), "{out}");
    assert!(out.contains("demo people loaded:"), "{out}");
    // One account per role, and a second resident in inquilino's building (condomino).
    assert!(out.contains("11 accounts"), "{out}");
    // Seeding again changes nothing.
    let out = run(&["seed", "--demo", "--scale", "small"]);
    assert!(out.contains("already has data"), "{out}");
    let out = run(&["migrate"]);
    assert!(out.contains("migrations applied"), "{out}");
}

#[test]
fn migrate_and_seed_on_sqlite() {
    let dir = temp_dir();
    migrate_and_seed(&format!("sqlite://{}/x/cortile.db", dir.display()), &dir);
    assert!(dir.join("x/cortile.db").is_file());
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn migrate_and_seed_on_postgres() {
    let base = std::env::var("CORTILE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let name = format!("cortile_cli_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::establish(&format!("{base}/postgres")).expect("PostgreSQL");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create");
    let dir = temp_dir();
    migrate_and_seed(&format!("{base}/{name}"), &dir);
    admin
        .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .expect("drop");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn full_scale_demo_has_the_size_of_milans_stock() {
    let dir = temp_dir();
    let out = cortile()
        .env("CORTILE_DATA_DIR", &dir)
        .args(["seed", "--demo", "--scale", "full"])
        .output()
        .expect("run");
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    let homes: usize = text
        .lines()
        .find(|l| l.starts_with("demo data loaded"))
        .unwrap_or_default()
        .trim()
        .rsplit(", ")
        .next()
        .and_then(|s| s.trim_end_matches(" homes").parse().ok())
        .unwrap_or_else(|| panic!("unexpected output {text}"));
    assert!((27_500..=29_500).contains(&homes), "{homes} homes");
    std::fs::remove_dir_all(dir).ok();
}

/// A tiny export: one household of two in San Siro (demo estate C7001, building C7001-F001).
const EXPORT: &str = "\u{feff}codice_complesso;nome_complesso;codice_fabbricato;indirizzo;civico;cap;latitudine;longitudine;codice_alloggio;scala;piano;vani;superficie_mq;codice_contratto;data_inizio_contratto;codice_fiscale;cognome;nome;data_nascita;ruolo_nucleo;telefono;email\r\n\
C7001;San Siro;C7001-F001;Via Selinunte;1;20148;;;C7001-F001-Z011;Z;1;3;62,5;K-TEST-1;01/03/2010;RSSMRA85T10A562S;Rossi;Mario;10/12/1985;intestatario;02 1234567;\r\n\
C7001;San Siro;C7001-F001;Via Selinunte;1;20148;;;C7001-F001-Z011;Z;1;3;62,5;K-TEST-1;01/03/2010;BNCLRA90A41F205I;Bianchi;Lara;1990-01-01;componente;;lara@example.org\r\n";

#[test]
fn import_registry_from_the_command_line() {
    let dir = temp_dir();
    let run = |args: &[&str]| {
        cortile()
            .env("CORTILE_DATA_DIR", &dir)
            .args(args)
            .output()
            .expect("run")
    };
    assert!(run(&["seed", "--demo"]).status.success());
    let file = dir.join("export.csv");
    std::fs::write(&file, EXPORT).expect("write");
    let file = file.to_str().expect("utf8");

    let out = run(&["import-registry", file, "--dry-run"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("dry run, nothing written") && text.contains("created 2"),
        "{text}"
    );

    let out = run(&["import-registry", file]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("created 2, updated 0, unchanged 0"));

    let out = run(&["import-registry", file, "--json"]);
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    assert_eq!(report["unchanged"], 2);
    assert_eq!(report["encoding"], "utf8_with_bom");

    // A bad fiscal code: all-or-nothing rejects the file, exit code 1, the line and column named.
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, EXPORT.replace("BNCLRA90A41F205I", "BNCLRA90A41F205X")).expect("write");
    let out = run(&["import-registry", bad.to_str().expect("utf8")]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("rejected, nothing written"), "{text}");
    assert!(text.contains("line 3, column codice_fiscale"), "{text}");

    let out = run(&["import-registry", "/no/such/file.csv"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot read"));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn user_create_from_the_command_line() {
    use std::io::Write;
    let dir = temp_dir();
    let create = |args: &[&str], password: &str| {
        let mut child = cortile()
            .env("CORTILE_DATA_DIR", &dir)
            .args(["user", "create"])
            .args(args)
            .arg("--password-stdin")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("{password}\n").as_bytes())
            .expect("write the password");
        child.wait_with_output().expect("output")
    };
    assert!(cortile()
        .env("CORTILE_DATA_DIR", &dir)
        .args(["seed", "--demo"])
        .output()
        .expect("seed")
        .status
        .success());
    let out = create(
        &[
            "--username",
            "Giulia",
            "--role",
            "custodian",
            "--scope",
            "building:C7001-F001",
        ],
        "a long enough password",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("created user giulia"));
    for (args, expected) in [
        (vec!["--username", "giulia", "--role", "staff"], "taken"),
        (vec!["--username", "x1", "--role", "staff"], "username"),
        (
            vec!["--username", "pietro", "--role", "king"],
            "unknown role",
        ),
        (
            vec!["--username", "pietro", "--role", "resident"],
            "fiscal code",
        ),
        (
            vec![
                "--username",
                "pietro",
                "--role",
                "staff",
                "--scope",
                "estate:NOPE",
            ],
            "no estate NOPE",
        ),
        (
            vec![
                "--username",
                "pietro",
                "--role",
                "resident",
                "--fiscal-code",
                "RSSMRA85T10A562X",
            ],
            "fiscal_code",
        ),
    ] {
        let out = create(&args, "a long enough password");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let out = create(&["--username", "pietro", "--role", "staff"], "short");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("at least 10 characters"),
        "{}",
        stderr(&out)
    );
    std::fs::remove_dir_all(dir).ok();
}

/// `open311-key create` prints the key once (stdout, the key alone) and stores only its
/// digest; a second key for the same partner is refused; `revoke` revokes it once.
fn open311_keys(database_url: &str, data_dir: &PathBuf) {
    use cortile::db::schema::open311_keys;
    use diesel::prelude::*;
    let run = |args: &[&str]| {
        cortile()
            .env("DATABASE_URL", database_url)
            .env("CORTILE_DATA_DIR", data_dir)
            .args(args)
            .output()
            .expect("run")
    };
    let out = run(&["migrate"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&["open311-key", "create", "--name", "Comune di Milano"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let key = stdout.trim();
    assert_eq!(
        stdout.lines().count(),
        1,
        "the key alone on stdout: {stdout}"
    );
    assert!(key.len() >= 32, "a long random key: {key}");
    assert!(stderr(&out).contains("only time"), "{}", stderr(&out));

    let url = cortile::config::DatabaseUrl::parse(database_url).expect("url");
    let mut conn = cortile::db::Manager::new(url).open().expect("connect");
    let stored: Vec<(String, String, Option<chrono::NaiveDateTime>)> = open311_keys::table
        .select((
            open311_keys::name,
            open311_keys::key_hash,
            open311_keys::revoked_at,
        ))
        .load(&mut conn)
        .expect("keys");
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].0, "Comune di Milano");
    assert_eq!(
        stored[0].1,
        cortile::open311::key_hash(key),
        "only the digest"
    );
    assert_ne!(stored[0].1, key);
    assert!(stored[0].2.is_none());

    let out = run(&["open311-key", "create", "--name", "Comune di Milano"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("already has a key"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty(), "no key printed on failure");

    let out = run(&["open311-key", "revoke", "--name", "Comune di Milano"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("revoked"));
    let revoked: Option<chrono::NaiveDateTime> = open311_keys::table
        .select(open311_keys::revoked_at)
        .first(&mut conn)
        .expect("key");
    assert!(revoked.is_some());
    let out = run(&["open311-key", "revoke", "--name", "Comune di Milano"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no live key"), "{}", stderr(&out));
    let out = run(&["open311-key", "revoke", "--name", "Nessuno"]);
    assert_eq!(out.status.code(), Some(1));
    // A name is required.
    let out = run(&["open311-key", "create"]);
    assert_eq!(out.status.code(), Some(2), "usage error: {}", stderr(&out));
}

#[test]
fn open311_keys_on_sqlite() {
    let dir = temp_dir();
    open311_keys(&format!("sqlite://{}/cortile.db", dir.display()), &dir);
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn open311_keys_on_postgres() {
    let base = std::env::var("CORTILE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let name = format!("cortile_cli_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::establish(&format!("{base}/postgres")).expect("PostgreSQL");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create");
    let dir = temp_dir();
    open311_keys(&format!("{base}/{name}"), &dir);
    admin
        .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .expect("drop");
    std::fs::remove_dir_all(dir).ok();
}
