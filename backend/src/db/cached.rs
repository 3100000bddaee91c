//! Keeping the hot write statements prepared.
//!
//! diesel prepares every `UPDATE`, every multi-row `INSERT` and (on PostgreSQL) every `INSERT`
//! again at each execution, because their SQL may vary with the values (optional changes, the
//! number of rows). On SQLite preparing is most of a small statement's cost: a payment ran four
//! such statements, and spent more time compiling them than running them. [`cached`] marks a
//! statement whose SQL the caller knows to be one of a few shapes as safe to keep: the
//! connection's statement cache then keys it by its SQL text (never by its Rust type, so two
//! different texts are two entries) and prepares each text once per connection.

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::{QueryResult, RunQueryDsl};

/// A statement kept in the connection's prepared-statement cache, keyed by its SQL text.
/// Use it only where the number of distinct texts is small (a fixed statement, or one per
/// count of rows up to a small bound), since each text stays prepared.
#[derive(Debug, Clone, Copy)]
pub struct Cached<Q>(Q);

/// See [`Cached`].
pub fn cached<Q>(query: Q) -> Cached<Q> {
    Cached(query)
}

impl<Q> QueryId for Cached<Q> {
    type QueryId = ();
    // Not keyed by type: the cache falls back to the SQL text, which is always right.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Cached<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, DB> QueryFragment<DB> for Cached<Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
{
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &DB) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q, Conn> RunQueryDsl<Conn> for Cached<Q> {}
