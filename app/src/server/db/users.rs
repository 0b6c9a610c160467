//! The users table.

use super::Db;
use crate::server::password::PasswordHash;

/// What sign-in needs to know about an account.
#[derive(Debug, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub login_id: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: PasswordHash,
    pub password_changed_at: i64,
    pub failed_attempts: i64,
    pub locked_until: Option<i64>,
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

const USER_COLUMNS: &str = "id, login_id, display_name, role, password_hash, \
     password_changed_at, failed_attempts, locked_until";

#[tracing::instrument(skip(db))]
pub async fn find_by_login_id(db: &Db, login_id: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {USER_COLUMNS} FROM users WHERE login_id = $1"
    ))
    .bind(login_id)
    .fetch_optional(db.pool())
    .await
}

#[tracing::instrument(skip(db))]
pub async fn find_by_id(db: &Db, id: i64) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
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

#[tracing::instrument(skip(db, password_hash))]
pub async fn set_password(
    db: &Db,
    user_id: i64,
    password_hash: &PasswordHash,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2, updated_at = $2 WHERE id = $3")
        .bind(password_hash.expose())
        .bind(now)
        .bind(user_id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Counts one more failure in the database (so every instance sees it) and
/// locks the account when the count reaches `limit`. Returns the lock's end
/// when this failure locked the account.
#[tracing::instrument(skip(db))]
pub async fn record_failure(
    db: &Db,
    user_id: i64,
    limit: i64,
    lock_until: i64,
) -> Result<Option<i64>, sqlx::Error> {
    // One statement, so concurrent failures on several instances cannot
    // lose an increment.
    let locked: Option<i64> = sqlx::query_scalar(
        "UPDATE users SET \
           locked_until = CASE WHEN failed_attempts + 1 >= $1 THEN $2 ELSE locked_until END, \
           failed_attempts = CASE WHEN failed_attempts + 1 >= $1 THEN 0 ELSE failed_attempts + 1 END \
         WHERE id = $3 RETURNING locked_until",
    )
    .bind(limit)
    .bind(lock_until)
    .bind(user_id)
    .fetch_one(db.pool())
    .await?;
    Ok(locked.filter(|&until| until == lock_until))
}

/// Clears the failure count after a success.
#[tracing::instrument(skip(db))]
pub async fn clear_failures(db: &Db, user_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET failed_attempts = 0 WHERE id = $1 AND failed_attempts <> 0")
        .bind(user_id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Lifts a lock and clears the counters. Returns false for an unknown ID.
#[tracing::instrument(skip(db))]
pub async fn unlock(db: &Db, login_id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE users SET failed_attempts = 0, locked_until = NULL, updated_at = $1 WHERE login_id = $2",
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
