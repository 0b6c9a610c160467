//! The SQL of `autobank backup` and `autobank restore` (SQLite only:
//! PostgreSQL has `pg_dump` and `pg_restore`, see docs/DEPLOY.md).

use super::Db;

/// Writes a consistent copy of the whole database to `path`, which must
/// not exist: `VACUUM INTO` reads one snapshot, so the instances go on
/// writing meanwhile, and the copy is compact and has no WAL of its own.
#[tracing::instrument(skip(db))]
pub async fn vacuum_into(db: &Db, path: &str) -> Result<(), sqlx::Error> {
    sqlx::query("VACUUM INTO $1")
        .bind(path)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// What a copy holds, read before it is restored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyInfo {
    /// `PRAGMA integrity_check` said `ok`.
    pub intact: bool,
    /// The newest schema version applied to it.
    pub schema: i64,
    pub accounts: i64,
    pub audit_records: i64,
}

/// Reads the copy at `path` as [`CopyInfo`], on a connection of its own
/// that neither writes to it nor leaves a log beside it (read-only,
/// immutable: none of the pool's settings, which would write).
#[tracing::instrument]
pub async fn copy_info(path: &std::path::Path) -> Result<CopyInfo, sqlx::Error> {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let url = format!("sqlite://{}?mode=ro&immutable=1", path.display());
    let mut conn = sqlx::AnyConnection::connect(&url).await?;
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await?;
    let schema: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations")
        .fetch_one(&mut conn)
        .await?;
    let accounts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(&mut conn)
        .await?;
    let audit_records: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_events")
        .fetch_one(&mut conn)
        .await?;
    conn.close().await?;
    Ok(CopyInfo {
        intact: check == "ok",
        schema,
        accounts,
        audit_records,
    })
}
