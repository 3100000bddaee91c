//! Cortile's web app: a Yew single-page application served by the `cortile` server.
//!
//! Built for `wasm32-unknown-unknown` by `cargo xtask` (see `xtask/src/web.rs`); the crate also
//! compiles for the host so that `cargo test -p cortile-web` runs its unit tests.

mod api;
mod app;
mod components;
mod focus;
mod hooks;
mod i18n;
mod notifications;
mod pages;
mod realtime;
mod session;

fn main() {
    // `cfg!`, not `#[cfg]`: the host build type-checks (and lints) the whole app too.
    if cfg!(target_arch = "wasm32") {
        start();
    } else {
        eprintln!("cortile-web runs in a browser: build it with `cargo xtask dist`");
    }
}

/// Renders the app into `<div id="app">` (or `<body>` if the page has none).
fn start() {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"));
    match root {
        Some(root) => yew::Renderer::<app::App>::with_root(root).render(),
        None => yew::Renderer::<app::App>::new().render(),
    };
}
