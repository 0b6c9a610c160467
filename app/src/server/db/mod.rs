//! The database: one code path for SQLite and PostgreSQL through sqlx's
//! `Any` driver. Only the modules below this one write SQL.

pub mod audit;
pub mod backup;
pub mod change;
pub mod clients;
pub mod devices;
pub mod directory;
pub mod endings;
pub mod grants;
pub mod locks;
pub mod logouts;
pub mod mfa;
pub mod notices;
pub mod policy;
pub mod recovery_codes;
pub mod reveals;
pub mod sealed;
pub mod sessions;
pub mod signing_keys;
pub mod users;

use crate::error::AppError;
use sqlx::any::{install_default_drivers, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Connection, Executor};
use std::time::Duration;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// A pool of connections to either engine.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    is_sqlite: bool,
    /// SQLite lets one connection write at a time; a second waits in
    /// SQLite's busy handler, which sleeps (1, 2, 5, 10 ms ...) and asks
    /// again. This instance's transactions ([`change::Change`]) wait for
    /// their turn here instead, in order and without sleeping. None on
    /// PostgreSQL, whose rows lock one by one.
    writer: Option<Writer>,
    ready: std::sync::Arc<Readiness>,
    /// Sessions asked for at once, read with one query.
    sessions: std::sync::Arc<sessions::Gathered>,
}

/// SQLite's writer: the turn, and the one connection its holder writes
/// on. That connection serves nothing else, so the turn's holder (whom
/// every other writer waits for) never queues for a connection behind
/// the readers; and a change dropped mid-way (its rollback finishes after
/// the turn is given back) holds up the next writer's connection, not
/// SQLite's busy handler.
#[derive(Clone, Debug)]
struct Writer {
    turn: std::sync::Arc<tokio::sync::Mutex<()>>,
    pool: AnyPool,
}

/// The longest a transaction waits for its turn to write (SQLite's
/// `busy_timeout`, set below, is the same).
const WRITE_WAIT: Duration = Duration::from_secs(5);

/// A pooled connection idle this long is pinged before it is used again.
pub const IDLE_PING: Duration = Duration::from_secs(1);

/// How long one answer of [`Db::ready`] serves.
pub const READY_FOR: Duration = Duration::from_secs(1);

/// The last answer of the readiness probe, and the gate that lets one
/// caller at a time ask the database again.
#[derive(Debug, Default)]
struct Readiness {
    last: std::sync::Mutex<Option<(std::time::Instant, bool)>>,
    asking: tokio::sync::Mutex<()>,
    pings: std::sync::atomic::AtomicU64,
}

impl Readiness {
    fn fresh(&self) -> Option<bool> {
        let last = *self.last.lock().unwrap_or_else(|e| e.into_inner());
        last.filter(|(at, _)| at.elapsed() < READY_FOR)
            .map(|(_, ok)| ok)
    }
}

impl Db {
    fn options(is_sqlite: bool) -> AnyPoolOptions {
        install_default_drivers();
        AnyPoolOptions::new()
            // SQLite serialises writers anyway; a few connections serve reads.
            .max_connections(if is_sqlite { 4 } else { 10 })
            // Fail fast when the database is down, so the user gets the
            // "try again later" page instead of a hanging request.
            .acquire_timeout(Duration::from_secs(3))
            // sqlx pings every connection it hands back to the pool, and by
            // default again before handing it out: two round trips more
            // for every query. The ping on release stays (sqlx always
            // makes it); the one before use is made only for a connection
            // idle for IDLE_PING or longer, which a database restart may
            // have cut meanwhile. A restart of the database costs each
            // connection used within the second before it one "try again
            // later" (its I/O error; up to the pool's size under load),
            // and the connection is replaced.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= IDLE_PING {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if is_sqlite {
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 5000").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                    }
                    Ok(())
                })
            })
    }

    /// Connects and applies the migrations.
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        let is_sqlite = url.starts_with("sqlite:");
        let pool = Self::options(is_sqlite).connect(url).await?;
        let db = Self::over(pool, url, is_sqlite)?;
        db.migrate().await?;
        Ok(db)
    }

    /// The newest schema version this build knows (the same on both
    /// engines).
    pub fn newest_schema() -> i64 {
        SQLITE_MIGRATIONS
            .iter()
            .map(|m| m.version)
            .max()
            .unwrap_or(0)
    }

    /// A pool that connects on first use: the server starts even while
    /// the database is away and recovers by itself when it returns.
    pub fn connect_lazy(url: &str) -> Result<Self, sqlx::Error> {
        let is_sqlite = url.starts_with("sqlite:");
        let pool = Self::options(is_sqlite).connect_lazy(url)?;
        Self::over(pool, url, is_sqlite)
    }

    fn over(pool: AnyPool, url: &str, is_sqlite: bool) -> Result<Self, sqlx::Error> {
        let writer = match is_sqlite {
            true => Some(Writer {
                turn: Default::default(),
                pool: Self::options(true).max_connections(1).connect_lazy(url)?,
            }),
            false => None,
        };
        Ok(Self {
            pool,
            is_sqlite,
            writer,
            ready: Default::default(),
            sessions: Default::default(),
        })
    }

    pub async fn migrate(&self) -> Result<(), sqlx::Error> {
        let migrator = if self.is_sqlite {
            &SQLITE_MIGRATIONS
        } else {
            &POSTGRES_MIGRATIONS
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    /// One round trip to the database.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        self.ready
            .pings
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Whether the database answers within `wait`, asked at most once per
    /// [`READY_FOR`] however many callers ask at once (the readiness
    /// probe is public, and a flood of it must cost what `/healthz` costs,
    /// not a connection each). Callers that come while it is being asked
    /// wait for that answer.
    pub async fn ready(&self, wait: Duration) -> bool {
        if let Some(ok) = self.ready.fresh() {
            return ok;
        }
        let _asking = self.ready.asking.lock().await;
        if let Some(ok) = self.ready.fresh() {
            return ok;
        }
        let ok = match tokio::time::timeout(wait, self.ping()).await {
            Ok(Ok(())) => true,
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "readiness: the database did not answer");
                false
            }
            Err(_) => {
                tracing::warn!("readiness: the database took over {wait:?}");
                false
            }
        };
        let now = std::time::Instant::now();
        *self.ready.last.lock().unwrap_or_else(|e| e.into_inner()) = Some((now, ok));
        ok
    }

    /// Round trips made by [`Db::ping`] so far.
    pub fn pings(&self) -> u64 {
        self.ready.pings.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Waits for this instance's turn to open a write transaction (SQLite
    /// only: see `writer`), as long as SQLite's own `busy_timeout` would.
    pub(crate) async fn turn_to_write(
        &self,
    ) -> Result<Option<tokio::sync::OwnedMutexGuard<()>>, sqlx::Error> {
        let Some(writer) = &self.writer else {
            return Ok(None);
        };
        tokio::time::timeout(WRITE_WAIT, writer.turn.clone().lock_owned())
            .await
            .map(Some)
            .map_err(|_| sqlx::Error::PoolTimedOut)
    }

    /// Where a write transaction runs, once it has its turn: SQLite's one
    /// writer connection, or PostgreSQL's pool.
    pub(crate) fn write_pool(&self) -> &AnyPool {
        self.writer.as_ref().map_or(&self.pool, |w| &w.pool)
    }

    pub async fn close(&self) {
        if let Some(writer) = &self.writer {
            writer.pool.close().await;
        }
        self.pool.close().await;
    }
}

/// The one row of a write's `RETURNING`, read with `fetch_all` rather
/// than `fetch_optional`: on PostgreSQL the first row arrives before the
/// statement has ended and, outside a transaction, before its implicit
/// commit; what the caller does with the row (answer a counted guess,
/// show a secret once) must come after the write has landed.
pub(crate) fn written<T>(rows: Vec<T>) -> Option<T> {
    rows.into_iter().next()
}

/// A database failure becomes what the user is told: "try again later"
/// while the database is away, otherwise an internal error. The detail is
/// logged here and goes no further.
impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        if is_unavailable(&err) {
            tracing::error!(error = %err, "database unavailable");
            AppError::Unavailable
        } else {
            tracing::error!(error = %err, "database error");
            AppError::Internal
        }
    }
}

/// True for failures that mean "the database is away or overloaded" rather
/// than a fault in a query: these get "try again later", and pass. A TLS
/// failure is not one of them: a certificate that does not verify, or a
/// server without TLS where `sslmode` requires it, is a configuration
/// error that waiting does not cure.
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    use sqlx::Error as E;
    if is_tls_failure(err) {
        return false;
    }
    match err {
        E::PoolTimedOut | E::PoolClosed | E::Io(_) | E::Protocol(_) | E::WorkerCrashed => true,
        E::Database(db) => db.code().is_some_and(|code| {
            // SQLite: busy, locked. PostgreSQL: connection exception (08),
            // insufficient resources (53), operator intervention (57, e.g.
            // shutdown), a database not accepting connections (55000), and
            // a transaction that lost a race and was rolled back whole
            // (40001 serialisation failure, 40P01 deadlock): a retry works.
            matches!(
                &*code,
                "5" | "6" | "517" | "261" | "262" | "55000" | "40001" | "40P01"
            ) || ["08", "53", "57"]
                .iter()
                .any(|class| code.starts_with(class))
        }),
        _ => false,
    }
}

/// True when a TLS connection to the database could not be made: TLS
/// required but not offered, or a certificate that does not verify (which
/// sqlx reports as an I/O error carrying rustls's error).
pub fn is_tls_failure(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Tls(_) => true,
        sqlx::Error::Io(io) => io
            .get_ref()
            .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some()),
        _ => false,
    }
}

/// True when the error is a violation of a unique constraint.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    err.as_database_error()
        .is_some_and(|d| d.is_unique_violation())
}
