//! The users table.

use super::Db;
use crate::server::password::PasswordHash;

/// What sign-in needs to know about an account.
#[derive(Debug, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub login_id: String,
    pub display_name: String,
    pub password_hash: PasswordHash,
}

/// One line of `autobank user list`.
#[derive(Debug, sqlx::FromRow)]
pub struct UserSummary {
    pub login_id: String,
    pub display_name: String,
    pub role: String,
    pub locked_until: Option<i64>,
    pub created_at: i64,
}

const USER_COLUMNS: &str = "id, login_id, display_name, password_hash";

// The typed ID stays out of the span: people type passwords into it.
#[tracing::instrument(skip(db, login_id))]
pub async fn find_by_login_id(db: &Db, login_id: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE login_id = $1"
    ))
    .bind(login_id)
    .fetch_optional(db.pool())
    .await
}

#[tracing::instrument(skip(db, password_hash))]
pub async fn insert(
    db: &Db,
    login_id: &str,
    display_name: &str,
    role: &str,
    password_hash: &PasswordHash,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO users (login_id, display_name, role, password_hash, \
         password_changed_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5, $5) RETURNING id",
    )
    .bind(login_id)
    .bind(display_name)
    .bind(role)
    .bind(password_hash.expose())
    .bind(now)
    .fetch_one(db.pool())
    .await
}

/// Sets a new password and, in the same transaction, ends every session
/// and forgets every remembered device of the user: whoever had the old
/// password (or a device it let in) is out, all or nothing.
#[tracing::instrument(skip(db, password_hash))]
pub async fn set_password(
    db: &Db,
    user_id: i64,
    password_hash: &PasswordHash,
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = db.pool().begin().await?;
    sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2, updated_at = $2 WHERE id = $3")
        .bind(password_hash.expose())
        .bind(now)
        .bind(user_id)
        .execute(&mut *tx)
        .await?;
    for table in ["sessions", "remembered_devices"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// Which run of consecutive failures an attempt counts toward.
#[derive(Debug, Clone, Copy)]
pub enum Counter {
    Password,
    Code,
}

/// Reserves one attempt (a password or a code) before it is checked:
/// counts it, unless the account is locked or `limit` attempts are already
/// counted (finished or still being checked). Returns the count with this
/// one, or `None` when no attempt may be made. Counting first, in one
/// conditional statement, means a burst of parallel requests gets no more
/// than `limit` guesses, on any number of instances.
#[tracing::instrument(skip(db))]
pub async fn reserve_attempt(
    db: &Db,
    user_id: i64,
    counter: Counter,
    limit: i64,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let column = match counter {
        Counter::Password => "failed_attempts",
        Counter::Code => "code_failures",
    };
    sqlx::query_scalar(&format!(
        "UPDATE users SET {column} = {column} + 1 \
         WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2) AND {column} < $3 \
         RETURNING {column}"
    ))
    .bind(user_id)
    .bind(now)
    .bind(limit)
    .fetch_optional(db.pool())
    .await
}

/// Locks the account until `until` and starts both counts afresh, unless
/// it is locked already (a lock is never pushed further out). Returns true
/// when this call set the lock.
#[tracing::instrument(skip(db))]
pub async fn lock(db: &Db, user_id: i64, until: i64, now: i64) -> Result<bool, sqlx::Error> {
    set_lock(db, user_id, until, now, None).await
}

/// Locks the account as [`lock`] does, but only when a count has reached
/// `limit` without a lock being set: an attempt that was counted but never
/// settled (the client hung up mid-check) then becomes an ordinary lock
/// that ends, instead of blocking the account for good.
#[tracing::instrument(skip(db))]
pub async fn lock_if_stuck(
    db: &Db,
    user_id: i64,
    limit: i64,
    until: i64,
    now: i64,
) -> Result<bool, sqlx::Error> {
    set_lock(db, user_id, until, now, Some(limit)).await
}

/// Sets the lock unless one is in force (`$1` until, `$2` user, `$3` now),
/// where `extra` holds, binding `limit` as `$4`. Every half sign-in of the
/// user ends with the lock, in the same transaction, so none of them can go
/// on guessing afterwards.
async fn set_lock(
    db: &Db,
    user_id: i64,
    until: i64,
    now: i64,
    stuck_at: Option<i64>,
) -> Result<bool, sqlx::Error> {
    let extra = match stuck_at {
        None => "",
        Some(_) => "AND (failed_attempts >= $4 OR code_failures >= $4)",
    };
    let sql = format!(
        "UPDATE users SET locked_until = $1, failed_attempts = 0, code_failures = 0 \
         WHERE id = $2 AND (locked_until IS NULL OR locked_until <= $3) {extra}"
    );
    let mut query = sqlx::query(&sql).bind(until).bind(user_id).bind(now);
    if let Some(limit) = stuck_at {
        query = query.bind(limit);
    }
    let mut tx = db.pool().begin().await?;
    let locked = query.execute(&mut *tx).await?.rows_affected() == 1;
    if locked {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND stage = 'code'")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(locked)
}

/// Clears the count after a right password, unless a parallel failure
/// locked the account meanwhile. Returns false when it is locked.
#[tracing::instrument(skip(db))]
pub async fn clear_failures(db: &Db, user_id: i64, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE users SET failed_attempts = 0 WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2)",
    )
    .bind(user_id)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Lifts a lock and clears the counters. Returns false for an unknown ID.
#[tracing::instrument(skip(db))]
pub async fn unlock(db: &Db, login_id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE users SET failed_attempts = 0, code_failures = 0, locked_until = NULL, updated_at = $1 \
         WHERE login_id = $2",
    )
    .bind(now)
    .bind(login_id)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

#[tracing::instrument(skip(db))]
pub async fn list(db: &Db) -> Result<Vec<UserSummary>, sqlx::Error> {
    sqlx::query_as("SELECT login_id, display_name, role, locked_until, created_at FROM users ORDER BY login_id")
        .fetch_all(db.pool())
        .await
}

#[tracing::instrument(skip(db))]
pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(db.pool())
        .await
}
