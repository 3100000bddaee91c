//! Builds the web app (`frontend/`, crate `cortile-web`) into a self-contained static folder.
//!
//! The folder is served from `/` by the `cortile` server (or any static file server that
//! answers unknown paths with `index.html`):
//!
//! ```text
//! index.html                 the page shell (no data in it)
//! cortile-web.js             wasm-bindgen glue (ES module)
//! cortile-web_bg.wasm        the app
//! style/                     our own CSS and favicon
//! vendor/bootstrap-italia/   css/, fonts/, svg/ of the design system
//! vendor/leaflet/            leaflet.js, leaflet.css, images/
//! ```
//!
//! Steps: `npm ci` when `node_modules` is missing or older than `package-lock.json`; `cargo
//! build` for `wasm32-unknown-unknown`; wasm-bindgen (the library, pinned to the same version as
//! the `wasm-bindgen` crate in Cargo.lock); in release, `wasm-opt -Oz` from the npm `binaryen`
//! package; then the static files. Nothing is fetched from a CDN at run time: every stylesheet
//! copied is checked for remote `url(…)` and `@import` references.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use anyhow::{bail, Context, Result};

/// The web app's package and the base name of its output files.
const WEB_CRATE: &str = "cortile-web";
const OUT_NAME: &str = "cortile-web";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
/// The Cargo profile of release builds (defined in the root Cargo.toml).
const RELEASE_PROFILE: &str = "wasm-release";

/// Features that current Rust and wasm-bindgen output use; wasm-opt must accept them all.
const WASM_OPT_FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-bulk-memory-opt",
    "--enable-call-indirect-overlong",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-reference-types",
    "--enable-multivalue",
    "--enable-mutable-globals",
];

/// What the build writes into `out_dir`; only these are removed before a build.
const OUTPUTS: &[&str] = &[
    "index.html",
    "cortile-web.js",
    "cortile-web_bg.wasm",
    "snippets",
    "style",
    "vendor",
];

/// Builds the web app into `out_dir` (created if needed). `release` optimises for size.
pub fn build_web(workspace_root: &Path, out_dir: &Path, release: bool) -> Result<()> {
    let frontend = workspace_root.join("frontend");
    ensure_node_modules(&frontend)?;
    let wasm = build_wasm(workspace_root, release)?;

    clean_outputs(out_dir)?;
    fs::create_dir_all(out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
    eprintln!("web: wasm-bindgen → {}", out_dir.display());
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&wasm)
        .web(true)?
        .typescript(false)
        .out_name(OUT_NAME)
        .generate(out_dir)
        .with_context(|| format!("wasm-bindgen failed on {}", wasm.display()))?;
    if release {
        optimize_wasm(&frontend, &out_dir.join(format!("{OUT_NAME}_bg.wasm")))?;
    }
    copy_static_files(&frontend, out_dir)?;
    eprintln!("web: done, {}", out_dir.display());
    Ok(())
}

/// Runs `npm ci` unless `node_modules` is at least as new as `package-lock.json`.
fn ensure_node_modules(frontend: &Path) -> Result<()> {
    let lock = frontend.join("package-lock.json");
    // npm writes this file at the end of every install.
    let stamp = frontend.join("node_modules").join(".package-lock.json");
    let lock_time = modified(&lock).with_context(|| format!("{} is missing", lock.display()))?;
    if modified(&stamp).is_ok_and(|t| t >= lock_time) {
        return Ok(());
    }
    match Command::new("npm").arg("--version").output() {
        Ok(out) if out.status.success() => {}
        _ => {
            bail!("npm was not found: install Node.js 20 or newer (with npm) to build the web app")
        }
    }
    eprintln!("web: npm ci in {}", frontend.display());
    run(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(frontend),
        "npm ci",
    )
}

fn modified(path: &Path) -> std::io::Result<SystemTime> {
    fs::metadata(path)?.modified()
}

/// The `cargo` that runs us (so the same toolchain builds the app), else the one on PATH.
fn cargo() -> OsString {
    std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"))
}

/// Builds the app for the browser and returns the path of its `.wasm`.
fn build_wasm(workspace_root: &Path, release: bool) -> Result<PathBuf> {
    let profile_dir = if release { RELEASE_PROFILE } else { "debug" };
    eprintln!("web: cargo build -p {WEB_CRATE} ({profile_dir})");
    let mut build = Command::new(cargo());
    build
        .current_dir(workspace_root)
        .args(["build", "-p", WEB_CRATE, "--target", WASM_TARGET]);
    if release {
        build.args(["--profile", RELEASE_PROFILE]);
    }
    run(&mut build, "cargo build of the web app")?;

    let wasm = target_dir(workspace_root)?
        .join(WASM_TARGET)
        .join(profile_dir)
        // A binary keeps its hyphens (a library would get underscores).
        .join(format!("{WEB_CRATE}.wasm"));
    if !wasm.is_file() {
        bail!("the build did not produce {}", wasm.display());
    }
    Ok(wasm)
}

/// Cargo's target directory, honouring `CARGO_TARGET_DIR` and `build.target-dir`.
fn target_dir(workspace_root: &Path) -> Result<PathBuf> {
    let out = Command::new(cargo())
        .current_dir(workspace_root)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output()
        .context("cannot run cargo metadata")?;
    if !out.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let metadata: serde_json::Value =
        serde_json::from_slice(&out.stdout).context("cargo metadata printed invalid JSON")?;
    match metadata.get("target_directory").and_then(|v| v.as_str()) {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => bail!("cargo metadata did not name the target directory"),
    }
}

/// Shrinks the `.wasm` in place with `wasm-opt -Oz` from the npm `binaryen` package (Debian's
/// binaryen is too old for current wasm-bindgen output).
fn optimize_wasm(frontend: &Path, wasm: &Path) -> Result<()> {
    let wasm_opt = frontend.join("node_modules").join(".bin").join("wasm-opt");
    if !wasm_opt.exists() {
        bail!(
            "{} is missing: run npm ci in {}",
            wasm_opt.display(),
            frontend.display()
        );
    }
    let before = fs::metadata(wasm)?.len();
    let optimized = wasm.with_extension("opt.wasm");
    eprintln!("web: wasm-opt -Oz");
    run(
        Command::new(&wasm_opt)
            .arg("-Oz")
            .args(WASM_OPT_FEATURES)
            .arg(wasm)
            .arg("-o")
            .arg(&optimized),
        "wasm-opt",
    )?;
    fs::rename(&optimized, wasm)?;
    let after = fs::metadata(wasm)?.len();
    eprintln!("web: {} KiB → {} KiB", before / 1024, after / 1024);
    Ok(())
}

/// Removes what an earlier build wrote, and nothing else.
fn clean_outputs(out_dir: &Path) -> Result<()> {
    for name in OUTPUTS {
        let path = out_dir.join(name);
        if path.is_dir() {
            fs::remove_dir_all(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
        } else if path.exists() {
            fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
        }
    }
    Ok(())
}

/// Copies index.html, our styles and the vendored design system and map library.
fn copy_static_files(frontend: &Path, out_dir: &Path) -> Result<()> {
    eprintln!("web: static files");
    copy_file(&frontend.join("index.html"), &out_dir.join("index.html"))?;
    copy_tree(&frontend.join("style"), &out_dir.join("style"), &|_| true)?;

    let modules = frontend.join("node_modules");
    let italia = modules.join("bootstrap-italia");
    let italia_dist = italia.join("dist");
    let italia_out = out_dir.join("vendor").join("bootstrap-italia");
    copy_text_without_source_map(
        &italia_dist.join("css").join("bootstrap-italia.min.css"),
        &italia_out.join("css").join("bootstrap-italia.min.css"),
    )?;
    // Browsers of today read woff2 (and woff); the eot, svg and ttf copies only weigh.
    copy_tree(
        &italia_dist.join("fonts"),
        &italia_out.join("fonts"),
        &|path| {
            matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("woff2" | "woff" | "txt")
            )
        },
    )?;
    copy_file(
        &italia_dist.join("svg").join("sprites.svg"),
        &italia_out.join("svg").join("sprites.svg"),
    )?;
    copy_file(&italia.join("LICENSE"), &italia_out.join("LICENSE"))?;

    let leaflet = modules.join("leaflet");
    let leaflet_out = out_dir.join("vendor").join("leaflet");
    copy_text_without_source_map(
        &leaflet.join("dist").join("leaflet.js"),
        &leaflet_out.join("leaflet.js"),
    )?;
    copy_file(
        &leaflet.join("dist").join("leaflet.css"),
        &leaflet_out.join("leaflet.css"),
    )?;
    copy_tree(
        &leaflet.join("dist").join("images"),
        &leaflet_out.join("images"),
        &|_| true,
    )?;
    copy_file(&leaflet.join("LICENSE"), &leaflet_out.join("LICENSE"))?;

    check_no_remote_css(out_dir)
}

fn copy_file(from: &Path, to: &Path) -> Result<()> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    fs::copy(from, to)
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))?;
    Ok(())
}

fn copy_tree(from: &Path, to: &Path, keep: &dyn Fn(&Path) -> bool) -> Result<()> {
    fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for entry in fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))? {
        let path = entry?.path();
        let target = to.join(path.file_name().unwrap_or_default());
        if path.is_dir() {
            copy_tree(&path, &target, keep)?;
        } else if keep(&path) {
            copy_file(&path, &target)?;
        }
    }
    Ok(())
}

/// Copies a minified file without its `sourceMappingURL` comment (the maps are not shipped).
fn copy_text_without_source_map(from: &Path, to: &Path) -> Result<()> {
    let text =
        fs::read_to_string(from).with_context(|| format!("cannot read {}", from.display()))?;
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    fs::write(to, strip_source_map(&text)).with_context(|| format!("cannot write {}", to.display()))
}

fn strip_source_map(text: &str) -> String {
    text.lines()
        .filter(|line| {
            let line = line.trim();
            !(line.starts_with("//# sourceMappingURL=")
                || line.starts_with("/*# sourceMappingURL="))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Fails when a stylesheet of the output would load something from another host.
fn check_no_remote_css(dir: &Path) -> Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            check_no_remote_css(&path)?;
        } else if path.extension().and_then(|e| e.to_str()) == Some("css") {
            let css = fs::read_to_string(&path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            if let Some(remote) = remote_references(&css).first() {
                bail!(
                    "{} loads {remote} from another host; serve it locally instead",
                    path.display()
                );
            }
        }
    }
    Ok(())
}

/// The `url(…)` and `@import` targets of a stylesheet that point to another host.
fn remote_references(css: &str) -> Vec<String> {
    fn is_remote(target: &str) -> bool {
        let target = target
            .trim()
            .trim_matches(|c| c == '"' || c == '\'')
            .trim()
            .to_ascii_lowercase();
        target.starts_with("http:") || target.starts_with("https:") || target.starts_with("//")
    }
    let mut found = Vec::new();
    for (i, _) in css.match_indices("url(") {
        let rest = &css[i + 4..];
        let target = rest.split(')').next().unwrap_or_default();
        if is_remote(target) {
            found.push(target.trim().to_owned());
        }
    }
    for (i, _) in css.match_indices("@import") {
        let rest = css[i + 7..].trim_start();
        let target = rest.split([';', ' ', ')']).next().unwrap_or_default();
        if is_remote(target) {
            found.push(target.trim().to_owned());
        }
    }
    found
}

fn run(command: &mut Command, what: &str) -> Result<()> {
    let status = command
        .status()
        .with_context(|| format!("cannot start {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_remote_urls_and_imports() {
        let css = r#"a{background:url("https://cdn.example/x.png")} @import "//fonts.example/f.css";
            b{background:url(data:image/svg+xml,%3csvg xmlns='http://www.w3.org/2000/svg'%3e)}
            c{src:url('/vendor/f.woff2')}"#;
        assert_eq!(
            remote_references(css),
            ["\"https://cdn.example/x.png\"", "\"//fonts.example/f.css\""]
        );
        assert!(remote_references("a{src:url(/local.woff2)}").is_empty());
    }

    #[test]
    fn strips_source_map_comments() {
        let text = "a{}\n/*# sourceMappingURL=x.css.map */\nb{}";
        assert_eq!(strip_source_map(text), "a{}\nb{}");
        assert_eq!(
            strip_source_map("f()\n//# sourceMappingURL=leaflet.js.map\n"),
            "f()"
        );
    }
}
