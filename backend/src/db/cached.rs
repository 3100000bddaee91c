//! Keeping the hot write statements prepared.
//!
//! diesel prepares every `UPDATE`, every multi-row `INSERT` and (on PostgreSQL) every `INSERT`
//! again at each execution, because their SQL may vary with the values (optional changes, the
//! number of rows). On SQLite preparing is most of a small statement's cost: a payment ran four
//! such statements, and spent more time compiling them than running them. [`cached`] marks a
//! statement whose SQL the caller knows to be one of a few shapes as safe to keep: the
//! connection's statement cache then keys it by its SQL text (never by its Rust type, so two
//! different texts are two entries) and prepares each text once per connection.
//!
//! Keyed by text, diesel still writes the SQL at every execution to find it in the cache
//! (about a tenth of a payment's time on SQLite). [`cached_as`] keys a statement whose text is
//! fixed by its call site by a marker type instead: found without writing any SQL.

use std::marker::PhantomData;

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

/// A statement kept prepared and found in the connection's cache by the marker type `M`, with
/// no SQL written at each execution. Only for a statement whose SQL text is the same at every
/// execution from its call site (no optional changes, a fixed number of rows), and with a
/// marker of its own: declare a unit struct next to the call (`struct Debit;`) and never
/// reuse it, since two texts under one marker would run the wrong statement.
pub struct CachedAs<M, Q>(Q, PhantomData<M>);

/// See [`CachedAs`].
pub fn cached_as<M: 'static, Q>(query: Q) -> CachedAs<M, Q> {
    CachedAs(query, PhantomData)
}

impl<M: 'static, Q> QueryId for CachedAs<M, Q> {
    type QueryId = M;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<M, Q: Query> Query for CachedAs<M, Q> {
    type SqlType = Q::SqlType;
}

impl<M, Q, DB> QueryFragment<DB> for CachedAs<M, Q>
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

impl<M, Q, Conn> RunQueryDsl<Conn> for CachedAs<M, Q> {}
