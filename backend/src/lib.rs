//! Cortile server library: used by the `cortile` binary and by the black-box tests.
//!
//! Organised by domain (`registry`, later `communities`, `timebank`, …), each owning its rules
//! (`mod.rs`), queries (`store.rs`) and HTTP handlers (`routes.rs`). Cross-cutting pieces:
//! `config`, `error`, `db`, `http`, `pagination`, `telemetry`.

pub mod audit;
pub mod auth;
pub mod chat;
pub mod communities;
pub mod config;
pub mod db;
pub mod error;
pub mod http;
pub mod idempotency;
pub mod maintenance;
pub mod market;
pub mod notifications;
pub mod open311;
pub mod outbox;
pub mod pagination;
pub mod realtime;
pub mod registry;
pub mod telemetry;
pub mod tenancy;
pub mod timebank;
pub mod uploads;

pub use config::Config;
pub use http::Application;
