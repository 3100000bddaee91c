//! What the commands need on the machine, installed or started when possible, else one line
//! saying what to install.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::status;

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

fn can_apt() -> bool {
    is_root() && which("apt-get").is_some()
}

fn apt_install(packages: &[&str]) -> Result<()> {
    eprintln!("xtask: installing {} with apt-get", packages.join(" "));
    status(
        Command::new("apt-get")
            .arg("update")
            .arg("-qq")
            .stdout(Stdio::null()),
    )?;
    status(
        Command::new("apt-get")
            .args(["install", "-y", "-qq", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null()),
    )
}

/// The Cargo target directory (honours CARGO_TARGET_DIR).
pub fn target_dir(root: &Path) -> Result<PathBuf> {
    Ok(match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            }
        }
        None => root.join("target"),
    })
}

/// The wasm32 target of the toolchain (rust-toolchain.toml lists it; rustup adds it if missing).
pub fn wasm_target() -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output();
    match installed {
        Ok(out) if String::from_utf8_lossy(&out.stdout).contains("wasm32-unknown-unknown") => {
            Ok(())
        }
        Ok(_) => status(Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
            .context("install the wasm target: rustup target add wasm32-unknown-unknown"),
        Err(_) => bail!(
            "rustup is missing: install the wasm32-unknown-unknown target for your Rust toolchain"
        ),
    }
}

/// Node.js and npm, for the design system, the map library and axe-core.
pub fn npm() -> Result<()> {
    if which("npm").is_some() {
        return Ok(());
    }
    if can_apt() {
        return apt_install(&["nodejs", "npm"]);
    }
    bail!("npm is missing: install Node.js and npm (Debian: apt-get install nodejs npm)")
}

pub struct Browser {
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

/// Chromium and its driver, for the browser journeys.
pub fn chromium() -> Result<Browser> {
    let find = || -> Option<Browser> {
        let chromium = std::env::var_os("CORTILE_TEST_CHROMIUM")
            .map(PathBuf::from)
            .or_else(|| which("chromium"))
            .or_else(|| which("chromium-browser"))?;
        let chromedriver = std::env::var_os("CORTILE_TEST_CHROMEDRIVER")
            .map(PathBuf::from)
            .or_else(|| which("chromedriver"))?;
        Some(Browser {
            chromium,
            chromedriver,
        })
    };
    if let Some(b) = find() {
        return Ok(b);
    }
    if can_apt() {
        apt_install(&["chromium", "chromium-driver"])?;
        if let Some(b) = find() {
            return Ok(b);
        }
    }
    bail!("Chromium and chromedriver are missing: install them (Debian: apt-get install chromium chromium-driver)")
}

/// A PostgreSQL server for the tests. Dropping it stops a server this run started.
pub struct Postgres {
    pub url: String,
    started: Option<(PathBuf, PathBuf)>,
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some((pg_ctl, data)) = &self.started {
            let _ = as_postgres_user(pg_ctl)
                .args(["-D"])
                .arg(data)
                .args(["-m", "fast", "-w", "stop"])
                .stdout(Stdio::null())
                .status();
        }
    }
}

fn answers(addr: &str) -> bool {
    addr.parse::<SocketAddr>()
        .ok()
        .and_then(|a| TcpStream::connect_timeout(&a, Duration::from_secs(2)).ok())
        .is_some()
}

fn postgres_bin_dir() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").is_file())
        .collect();
    dirs.sort();
    dirs.pop()
}

/// Runs a PostgreSQL tool as the `postgres` user when we are root (initdb refuses root).
fn as_postgres_user(program: &Path) -> Command {
    if is_root() {
        let mut cmd = Command::new("runuser");
        cmd.args(["-u", "postgres", "--"]).arg(program);
        cmd
    } else {
        Command::new(program)
    }
}

/// Uses `CORTILE_TEST_POSTGRES` if set; else a server on 127.0.0.1:5432; else starts a
/// throwaway cluster (trust auth, port 54329) from the installed PostgreSQL, installing it
/// with apt-get when possible.
pub fn postgres(root: &Path) -> Result<Postgres> {
    if let Ok(url) = std::env::var("CORTILE_TEST_POSTGRES") {
        return Ok(Postgres { url, started: None });
    }
    if answers("127.0.0.1:5432") {
        return Ok(Postgres {
            url: "postgres://postgres@127.0.0.1:5432".into(),
            started: None,
        });
    }
    let bin = match postgres_bin_dir() {
        Some(bin) => bin,
        None if can_apt() => {
            apt_install(&["postgresql"])?;
            postgres_bin_dir().context("PostgreSQL was installed but initdb is not found")?
        }
        None => bail!(
            "no PostgreSQL answers on 127.0.0.1:5432 and none is installed: install PostgreSQL \
             (Debian: apt-get install postgresql) or set CORTILE_TEST_POSTGRES=postgres://USER@HOST:PORT"
        ),
    };
    let port = 54329;
    let base = target_dir(root)?.join("xtask-postgres");
    let _ = std::fs::remove_dir_all(&base);
    let data = base.join("data");
    std::fs::create_dir_all(&data).context("create the PostgreSQL folder")?;
    if is_root() {
        status(
            Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&base),
        )?;
    }
    eprintln!("xtask: starting a throwaway PostgreSQL on 127.0.0.1:{port}");
    status(
        as_postgres_user(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8"])
            .stdout(Stdio::null()),
    )?;
    status(
        as_postgres_user(&bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .arg("-o")
            .arg(format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
                base.display()
            ))
            .args(["-w", "-l"])
            .arg(base.join("log"))
            .arg("start")
            .stdout(Stdio::null()),
    )?;
    let started = Instant::now();
    while !answers(&format!("127.0.0.1:{port}")) {
        if started.elapsed() > Duration::from_secs(30) {
            bail!(
                "the throwaway PostgreSQL did not start; see {}",
                base.join("log").display()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(Postgres {
        url: format!("postgres://postgres@127.0.0.1:{port}"),
        started: Some((bin.join("pg_ctl"), data)),
    })
}

/// The npm packages of a test service (`tests/oidc-provider`: the OpenID provider;
/// `tests/smtp-server`: the SMTP server): `npm ci` unless `node_modules` is at least as new as
/// the lock (`npm install` when there is no lock). Returns the folder, for the tests' variable.
pub fn node_packages(root: &Path, folder: &str) -> Result<PathBuf> {
    let dir = root.join(folder);
    let lock = dir.join("package-lock.json");
    // npm writes this file at the end of every install.
    let stamp = dir.join("node_modules/.package-lock.json");
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified());
    let install = match (modified(&lock), modified(&stamp)) {
        (Ok(lock), Ok(stamp)) if stamp >= lock => None,
        (Ok(_), _) => Some("ci"),
        (Err(_), _) => Some("install"),
    };
    if let Some(install) = install {
        eprintln!("xtask: npm {install} in {}", dir.display());
        status(
            Command::new("npm")
                .args([install, "--no-audit", "--no-fund"])
                .current_dir(&dir),
        )?;
    }
    Ok(dir)
}
