//! Storage: one connection type over SQLite and PostgreSQL, chosen from `DATABASE_URL` at start.
//!
//! - [`DbConn`] is a `#[derive(MultiConnection)]` enum; queries written once with diesel's DSL run
//!   on either. Where the SQL must differ, match on the variant.
//! - [`Db`] owns an r2d2 pool and runs closures on tokio's blocking pool (diesel is synchronous).
//! - SQLite connections are set up with WAL, a busy timeout, foreign keys and `synchronous=NORMAL`;
//!   the WAL is checkpointed by a thread of the process, not by commits ([`Checkpointer`]);
//!   writes go through [`write_tx`], which opens `BEGIN IMMEDIATE` on SQLite so that concurrent
//!   writers queue on the busy timeout instead of failing on a lock upgrade.
//! - Migrations are embedded (one tree per backend) and run at start under a PostgreSQL advisory
//!   lock, so several processes starting together migrate once.

mod cached;
pub mod schema;

pub use cached::{cached, cached_as, Cached, CachedAs};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::{DatabaseUrl, DbKind};
use crate::error::AppError;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// Lock key for migrations on PostgreSQL ("cortile" in ASCII, folded to fit).
const MIGRATION_LOCK_KEY: i64 = 0x636f_7274_696c;

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs the same diesel expression on the inner connection of either backend, for the few
/// queries that do not compile through the multi-connection (multi-row INSERT, RETURNING).
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConn::Postgres($c) => $body,
            $crate::db::DbConn::Sqlite($c) => $body,
        }
    };
}

/// Inserts one row and returns its new id (`INSERT … RETURNING id`), on either backend.
#[macro_export]
macro_rules! insert_returning_id {
    ($conn:expr, $table:expr, $id:expr, $values:expr) => {
        $crate::on_backend!($conn, c => diesel::insert_into($table)
            .values($values)
            .returning($id)
            .get_result::<i64>(c))
    };
}

impl DbConn {
    pub fn kind(&self) -> DbKind {
        match self {
            DbConn::Postgres(_) => DbKind::Postgres,
            DbConn::Sqlite(_) => DbKind::Sqlite,
        }
    }
}

/// Why the database could not be opened; `main` prints it as one line naming `DATABASE_URL`.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("DATABASE_URL: cannot open {url}: {message}")]
    Connect { url: String, message: String },
    #[error("DATABASE_URL: migrations failed on {url}: {message}")]
    Migrate { url: String, message: String },
}

/// r2d2 manager that opens the connection kind named by the URL (never guessing by trial).
#[derive(Debug, Clone)]
pub struct Manager {
    url: DatabaseUrl,
}

/// `wal_autocheckpoint`: commits leave the WAL's checkpoints to a thread of the process
/// ([`Checkpointer`]) and checkpoint themselves only if the WAL passes this many pages (80 MB),
/// should that thread fall behind.
///
/// The busy timeout comes first: opening a database whose WAL must be recovered (the last
/// connection closed) takes a lock, and a connection opened beside others must wait for it
/// rather than fail.
const SQLITE_SETUP: &str = "PRAGMA busy_timeout = 10000;
PRAGMA journal_mode = WAL;
PRAGMA foreign_keys = ON;
PRAGMA synchronous = NORMAL;
PRAGMA wal_autocheckpoint = 20000;";

/// How often the checkpoint thread copies the WAL into the database file.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(50);

/// SQLite: a thread that checkpoints the WAL (`PRAGMA wal_checkpoint(PASSIVE)`: copy the
/// committed pages into the database file and sync both files, without blocking readers or
/// writers) every [`CHECKPOINT_EVERY`], on a connection of its own. By default the commit that
/// takes the WAL past 1,000 pages does this itself, and a commit then waits for milliseconds of
/// copying and two syncs; a ledger payment, which dirties several pages, met one every hundred
/// commits. Durability is the same: a commit is durable against a crash of the process once
/// in the WAL (`synchronous = NORMAL`), checkpointed or not. Stops when the last clone of its
/// [`Db`] is dropped.
struct Checkpointer {
    stop: Arc<AtomicBool>,
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl Checkpointer {
    fn start(url: &DatabaseUrl) -> Option<Arc<Checkpointer>> {
        if !matches!(url, DatabaseUrl::Sqlite(_)) {
            return None;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let manager = Manager::new(url.clone());
        let spawned = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                let mut conn: Option<DbConn> = None;
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(CHECKPOINT_EVERY);
                    if conn.is_none() {
                        conn = manager.open().ok();
                    }
                    if let Some(c) = conn.as_mut() {
                        if let Err(e) = c.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
                            tracing::warn!(error = %e, "WAL checkpoint failed");
                            conn = None;
                        }
                    }
                }
            });
        match spawned {
            Ok(_) => Some(Arc::new(Checkpointer { stop })),
            Err(e) => {
                tracing::warn!(error = %e, "no WAL checkpoint thread; commits checkpoint");
                None
            }
        }
    }
}

impl Manager {
    pub fn new(url: DatabaseUrl) -> Self {
        Manager { url }
    }

    /// Opens one connection, set up for our use.
    pub fn open(&self) -> Result<DbConn, diesel::ConnectionError> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                let path = path.to_str().ok_or_else(|| {
                    diesel::ConnectionError::InvalidConnectionUrl(
                        "the SQLite path is not valid UTF-8".into(),
                    )
                })?;
                let mut conn = SqliteConnection::establish(path)?;
                conn.batch_execute(SQLITE_SETUP)
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConn::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => {
                let mut conn = PgConnection::establish(url)?;
                conn.batch_execute("SET TIME ZONE 'UTC'")
                    .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConn::Postgres(conn))
            }
        }
    }
}

/// A pooled connection and whether it was seen to be lost (the pool then replaces it).
pub struct PoolConn {
    conn: DbConn,
    lost: bool,
}

impl std::ops::Deref for PoolConn {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        &self.conn
    }
}

impl std::ops::DerefMut for PoolConn {
    fn deref_mut(&mut self) -> &mut DbConn {
        &mut self.conn
    }
}

impl ManageConnection for Manager {
    type Connection = PoolConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<PoolConn, r2d2::Error> {
        self.open()
            .map(|conn| PoolConn { conn, lost: false })
            .map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut PoolConn) -> Result<(), r2d2::Error> {
        conn.conn
            .batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut PoolConn) -> bool {
        use diesel::r2d2::R2D2Connection;
        conn.lost
            || match &mut conn.conn {
                DbConn::Postgres(c) => c.is_broken(),
                DbConn::Sqlite(c) => c.is_broken(),
            }
    }
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

/// The database of a running process: a pool and its kind.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    kind: DbKind,
    _checkpointer: Option<Arc<Checkpointer>>,
}

impl Db {
    /// Opens the database named by `url`, checks it answers, and runs pending migrations.
    pub fn open(url: &DatabaseUrl, max_size: u32) -> Result<Db, DbError> {
        let manager = Manager::new(url.clone());
        // One direct connection first: its error says what is wrong, where r2d2 would only time out.
        let mut first = manager.open().map_err(|e| DbError::Connect {
            url: url.redacted(),
            message: one_line(&e.to_string()),
        })?;
        run_migrations(&mut first).map_err(|e| DbError::Migrate {
            url: url.redacted(),
            message: one_line(&e.to_string()),
        })?;
        drop(first);
        let max_size = match url.kind() {
            // SQLite has one writer at a time; a few readers in WAL mode are plenty.
            DbKind::Sqlite => max_size.min(8),
            DbKind::Postgres => max_size,
        };
        let pool = r2d2::Pool::builder()
            .max_size(max_size)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(5))
            // No `SELECT 1` per checkout: a connection found lost by a query is marked and
            // replaced (see `Db::run`), which costs nothing on the common path.
            .test_on_check_out(false)
            .build(manager)
            .map_err(|e| DbError::Connect {
                url: url.redacted(),
                message: one_line(&e.to_string()),
            })?;
        Ok(Db {
            pool,
            kind: url.kind(),
            _checkpointer: Checkpointer::start(url),
        })
    }

    pub fn kind(&self) -> DbKind {
        self.kind
    }

    /// A connection for synchronous code (commands, seeding). In request handlers use [`Db::run`].
    pub fn get(&self) -> Result<PooledConn, AppError> {
        Ok(self.pool.get()?)
    }

    /// Runs `f` with a pooled connection on the blocking thread pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || {
            let mut pooled = pool.get()?;
            let conn: &mut PoolConn = &mut pooled;
            let result = f(&mut conn.conn);
            if matches!(&result, Err(e) if e.code == cortile_shared::ErrorCode::ServiceUnavailable)
            {
                // The connection was lost (diesel's ClosedConnection); let the pool replace it.
                conn.lost = true;
            }
            result
        })
        .await?
    }

    /// Checks that the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), AppError> {
        self.run(|conn| {
            conn.batch_execute("SELECT 1")
                .map_err(AppError::unavailable)
        })
        .await
    }
}

/// Runs the pending migrations of the connection's backend.
pub fn run_migrations(conn: &mut DbConn) -> anyhow::Result<()> {
    match conn {
        DbConn::Sqlite(c) => {
            c.run_pending_migrations(SQLITE_MIGRATIONS)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        DbConn::Postgres(c) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                .execute(c)?;
            let result = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|_| ())
                .map_err(|e| anyhow::anyhow!("{e}"));
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
                .execute(c)?;
            result?;
        }
    }
    Ok(())
}

/// Runs `f` in a write transaction: `BEGIN IMMEDIATE` on SQLite (take the write lock up front),
/// a plain transaction on PostgreSQL. Commits when `f` succeeds, rolls back when it fails.
pub fn write_tx<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};

    match conn {
        DbConn::Postgres(_) => conn.transaction(f),
        DbConn::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
            match f(conn) {
                Ok(value) => {
                    <DbConn as Connection>::TransactionManager::commit_transaction(conn)?;
                    Ok(value)
                }
                Err(e) => {
                    <DbConn as Connection>::TransactionManager::rollback_transaction(conn)?;
                    Err(e)
                }
            }
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;

    /// Connections opened together on a database nobody has open (as a pool fills at start)
    /// all open: each waits for the lock of the WAL's recovery instead of failing.
    #[test]
    fn sqlite_connections_opened_together_all_open() {
        let dir = std::env::temp_dir().join(format!("cortile-open-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("a folder");
        let manager = Manager::new(DatabaseUrl::Sqlite(dir.join("open.db")));
        let mut first = manager.open().expect("open");
        first
            .batch_execute("CREATE TABLE t (id INTEGER PRIMARY KEY NOT NULL)")
            .expect("create");
        drop(first);
        let threads = 8;
        for round in 0..20 {
            let barrier = Barrier::new(threads);
            let opened: Vec<Result<DbConn, String>> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..threads)
                    .map(|_| {
                        let (manager, barrier) = (&manager, &barrier);
                        s.spawn(move || {
                            barrier.wait();
                            manager.open().map_err(|e| e.to_string())
                        })
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("no panic"))
                    .collect()
            });
            for result in opened {
                if let Err(e) = result {
                    panic!("round {round}: a connection failed to open: {e}");
                }
            }
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
