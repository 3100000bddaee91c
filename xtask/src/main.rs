//! `cargo xtask`: the project's commands.
//!
//! - `cargo xtask run`   build the web app and the server, start it with demo data on :8080
//! - `cargo xtask test`  every test: unit, integration on SQLite and PostgreSQL, browser journeys
//! - `cargo xtask dist`  release binary and optimised web bundle, without running them
//! - `cargo xtask bench` the benchmarks (estates API, registry import, feed, time bank ledger,
//!   maintenance queue and board on both databases; realtime sockets on PostgreSQL), release build
//!
//! `test` installs or starts what it needs (the wasm target, npm packages, also those of the test
//! OpenID provider, a PostgreSQL server, Chromium and chromedriver) or stops at once with one line
//! saying what to install.

mod prereq;
mod web;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context, Result};

const USAGE: &str = "usage: cargo xtask <command> [-- extra args]

commands:
  run     build the web app and the server, then serve http://127.0.0.1:8080 with demo data
  test    run every test (unit, integration on SQLite and PostgreSQL, browser journeys)
  dist    build the release binary (target/release/cortile) and the web app (dist/)
  web     build only the web app (debug) into dist/, for working on the front end
  bench   run the benchmarks (estates API, registry import, feed, time bank ledger, maintenance
          queue and board on SQLite and PostgreSQL; realtime sockets)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.split_first() {
        Some((c, rest)) => (c.as_str(), rest),
        None => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let extra: Vec<String> = rest.iter().skip_while(|a| *a == "--").cloned().collect();
    let result = workspace_root().and_then(|root| {
        std::env::set_current_dir(&root).context("cannot enter the workspace")?;
        match command {
            "run" => run(&root, &extra),
            "test" => test(&root, &extra),
            "dist" => dist(&root),
            "web" => web::build_web(&root, &root.join("dist"), false),
            "bench" => bench(&root, &extra),
            "help" | "--help" | "-h" => {
                println!("{USAGE}");
                Ok(())
            }
            other => bail!("unknown command {other:?}\n{USAGE}"),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> Result<PathBuf> {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .context("xtask has no parent folder")
}

fn cargo() -> Command {
    Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Runs a command, failing with its name when it does not succeed.
pub fn status(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let st = cmd
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !st.success() {
        bail!("{shown} failed ({st})");
    }
    Ok(())
}

fn run(root: &Path, extra: &[String]) -> Result<()> {
    prereq::wasm_target()?;
    prereq::npm()?;
    web::build_web(root, &root.join("dist"), false)?;
    println!("xtask: starting Cortile on http://127.0.0.1:8080 (data in ./data, Ctrl-C to stop)");
    let mut cmd = cargo();
    cmd.args([
        "run",
        "--package",
        "cortile",
        "--bin",
        "cortile",
        "--",
        "serve",
        "--seed-demo",
    ])
    .args(extra);
    if std::env::var_os("CORTILE_WEB_DIR").is_none() {
        cmd.env("CORTILE_WEB_DIR", root.join("dist"));
    }
    status(&mut cmd)
}

fn dist(root: &Path) -> Result<()> {
    prereq::wasm_target()?;
    prereq::npm()?;
    web::build_web(root, &root.join("dist"), true)?;
    status(cargo().args([
        "build",
        "--release",
        "--package",
        "cortile",
        "--bin",
        "cortile",
    ]))?;
    println!(
        "xtask: built the server (cortile in {}/release) and the web app ({})",
        prereq::target_dir(root)?.display(),
        root.join("dist").display()
    );
    Ok(())
}

fn test(root: &Path, extra: &[String]) -> Result<()> {
    prereq::wasm_target()?;
    prereq::npm()?;
    let oidc_provider = prereq::node_packages(root, "tests/oidc-provider")?;
    let smtp_server = prereq::node_packages(root, "tests/smtp-server")?;
    let browser = prereq::chromium()?;
    let postgres = prereq::postgres(root)?;
    let web_dir = root.join("dist");
    web::build_web(root, &web_dir, false)?;
    let axe = root.join("frontend/node_modules/axe-core/axe.min.js");
    if !axe.is_file() {
        bail!("{} is missing: run `npm ci` in frontend/", axe.display());
    }
    let mut cmd = cargo();
    cmd.args(["test", "--workspace", "--no-fail-fast"])
        .args(extra)
        .env("CORTILE_TEST_POSTGRES", &postgres.url)
        .env("CORTILE_TEST_WEB_DIR", &web_dir)
        .env("CORTILE_TEST_CHROMIUM", &browser.chromium)
        .env("CORTILE_TEST_CHROMEDRIVER", &browser.chromedriver)
        .env("CORTILE_TEST_AXE", &axe)
        .env("CORTILE_TEST_OIDC_PROVIDER", &oidc_provider)
        .env("CORTILE_TEST_SMTP_SERVER", &smtp_server);
    let result = run_counting_tests(&mut cmd);
    drop(postgres);
    result
}

/// Runs `cargo test`, echoing its output, and ends with one line totalling every test binary
/// (cargo's own last line is only that of the last binary, often the doc tests).
fn run_counting_tests(cmd: &mut Command) -> Result<()> {
    use std::io::{BufRead, BufReader, Write};

    let shown = format!("{cmd:?}");
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {shown}"))?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut totals = TestTotals::default();
    let mut out = std::io::stdout().lock();
    for line in BufReader::new(stdout).lines() {
        let line = line.context("reading the test output")?;
        totals.add_line(&line);
        writeln!(out, "{line}").ok();
    }
    drop(out);
    let st = child.wait().context("waiting for cargo test")?;
    println!(
        "tests: {} passed, {} failed, {} skipped",
        totals.passed, totals.failed, totals.ignored
    );
    if !st.success() {
        bail!("{shown} failed ({st})");
    }
    if totals.passed == 0 {
        bail!("no test ran");
    }
    Ok(())
}

#[derive(Debug, Default, PartialEq)]
struct TestTotals {
    passed: u64,
    failed: u64,
    ignored: u64,
}

impl TestTotals {
    /// Adds a libtest summary line: `test result: ok. 3 passed; 0 failed; 1 ignored; …`.
    fn add_line(&mut self, line: &str) {
        let Some(rest) = line.trim().strip_prefix("test result: ") else {
            return;
        };
        for part in rest.split(';') {
            let mut words = part.split_whitespace().rev();
            let (Some(kind), Some(n)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(n) = n.parse::<u64>() else { continue };
            match kind {
                "passed" => self.passed += n,
                "failed" => self.failed += n,
                "ignored" => self.ignored += n,
                _ => {}
            }
        }
    }
}

fn bench(root: &Path, extra: &[String]) -> Result<()> {
    let postgres = prereq::postgres(root)?;
    // bench-realtime runs the real `cortile` binary as separate processes (so that their
    // memory is measured apart from the clients'): build it first.
    status(cargo().args([
        "build",
        "--release",
        "--package",
        "cortile",
        "--bin",
        "cortile",
    ]))?;
    let mut result = Ok(());
    for bin in [
        "bench-estates",
        "bench-import",
        "bench-feed",
        "bench-ledger",
        "bench-maintenance",
        "bench-realtime",
    ] {
        let mut cmd = cargo();
        cmd.args([
            "run",
            "--release",
            "--package",
            "cortile-tests",
            "--bin",
            bin,
            "--",
        ])
        .args(extra)
        .env("CORTILE_TEST_POSTGRES", &postgres.url);
        result = result.and(status(&mut cmd));
    }
    drop(postgres);
    result
}

#[cfg(test)]
mod tests {
    use super::TestTotals;

    #[test]
    fn totals_add_up_libtest_summaries() {
        let mut t = TestTotals::default();
        t.add_line("test result: ok. 21 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.06s");
        t.add_line(
            "test result: FAILED. 3 passed; 2 failed; 1 ignored; 0 measured; 0 filtered out",
        );
        t.add_line("test something ... ok");
        t.add_line("running 3 tests");
        assert_eq!(
            t,
            TestTotals {
                passed: 24,
                failed: 2,
                ignored: 1
            }
        );
    }
}
