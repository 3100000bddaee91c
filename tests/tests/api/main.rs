//! Black-box tests over HTTP against a spawned server, each on SQLite and on PostgreSQL.
//! One test binary (compiles once); one module per domain.

mod access;
mod auth;
mod communities;
mod import;
mod maintenance;
mod market;
mod meta;
mod moderation;
mod oidc_client;
mod oidc_login;
mod outbox;
mod realtime;
mod registry;
mod rooms;
mod schema;
mod support;
mod targeting;
mod tenancy;
mod timebank;
mod timebank_crash;
mod uploads;
