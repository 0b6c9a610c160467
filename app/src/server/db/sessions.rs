//! The sessions table. Rows are keyed by the SHA-256 of the cookie token,
//! so a copy of the database holds no usable session.

use super::Db;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub user_id: i64,
    pub stage: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub login_id: String,
}

#[tracing::instrument(skip(db, id_hash))]
pub async fn insert(
    db: &Db,
    id_hash: &str,
    user_id: i64,
    stage: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, stage, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(id_hash)
    .bind(user_id)
    .bind(stage)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Replaces a half sign-in by a full one under a new ID, in one
/// transaction. Returns false, changing nothing, when the half sign-in is
/// already gone (ended by too many wrong codes, or used by a parallel
/// request): a request that was already in flight cannot resurrect it.
#[tracing::instrument(skip(db, old_hash, new_hash))]
pub async fn promote(
    db: &Db,
    old_hash: &str,
    new_hash: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.pool().begin().await?;
    // Lock the user's row first, as a reset or a password change does, so
    // that on PostgreSQL one of them waits for the other: a reset cannot
    // miss the full session this creates.
    sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = (SELECT user_id FROM sessions WHERE id_hash = $1)")
        .bind(old_hash)
        .execute(&mut *tx)
        .await?;
    let user_id: Option<i64> = sqlx::query_scalar(
        "DELETE FROM sessions WHERE id_hash = $1 AND stage = 'code' RETURNING user_id",
    )
    .bind(old_hash)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(user_id) = user_id else {
        return Ok(false);
    };
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, stage, created_at, last_seen_at) VALUES ($1, $2, 'full', $3, $3)",
    )
    .bind(new_hash)
    .bind(user_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

#[tracing::instrument(skip(db, id_hash))]
pub async fn find(db: &Db, id_hash: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.user_id, s.stage, s.created_at, s.last_seen_at, u.login_id \
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1",
    )
    .bind(id_hash)
    .fetch_optional(db.pool())
    .await
}

#[tracing::instrument(skip(db, id_hash))]
pub async fn touch(db: &Db, id_hash: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
        .bind(now)
        .bind(id_hash)
        .execute(db.pool())
        .await?;
    Ok(())
}

#[tracing::instrument(skip(db, id_hash))]
pub async fn delete(db: &Db, id_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Removes sessions past their idle or absolute limit.
#[tracing::instrument(skip(db))]
pub async fn delete_expired(
    db: &Db,
    idle_before: i64,
    created_before: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
        .bind(idle_before)
        .bind(created_before)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}
