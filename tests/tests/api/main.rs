//! Black-box tests over HTTP against a spawned server, each on SQLite and on PostgreSQL.
//! One test binary (compiles once); one module per domain.

mod import;
mod meta;
mod oidc_client;
mod registry;
mod schema;
