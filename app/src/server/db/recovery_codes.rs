//! Recovery codes: their hashes, each used once.

use super::audit::Entry;
use super::change::Change;
use super::endings::delete_for_user;
use super::Db;
use sqlx::AnyConnection;

/// Replaces the user's recovery codes by `hashes`, inside the caller's
/// transaction.
pub(super) async fn put_recovery_codes(
    conn: &mut AnyConnection,
    user_id: i64,
    hashes: &[String],
    now: i64,
) -> Result<(), sqlx::Error> {
    delete_for_user(conn, user_id, &["recovery_codes"]).await?;
    for hash in hashes {
        sqlx::query(
            "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
        )
        .bind(user_id)
        .bind(hash)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A new set of recovery codes for an account with MFA on, the old set
/// void, recording `entry`, in one transaction. Returns false when MFA is
/// off (nothing changed).
#[tracing::instrument(skip(db, hashes, entry))]
pub async fn replace_recovery_codes(
    db: &Db,
    user_id: i64,
    hashes: &[String],
    entry: &Entry,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut change = Change::start(db).await?;
    let on = sqlx::query(
        "UPDATE users SET updated_at = updated_at WHERE id = $1 AND mfa_enabled_at IS NOT NULL",
    )
    .bind(user_id)
    .execute(change.conn())
    .await?;
    if on.rows_affected() != 1 {
        return Ok(false);
    }
    put_recovery_codes(change.conn(), user_id, hashes, now).await?;
    change.commit(entry, now).await?;
    Ok(true)
}

/// Uses one recovery code, in one transaction: only an unused code of
/// this user whose MFA is on, and only while the account is neither locked
/// nor disabled; a right code is a success (the counts of failures end).
/// Of two requests racing with one code, on any instances, one wins.
/// Records `entry`. Returns false, changing nothing, otherwise.
#[tracing::instrument(skip(db, code_hash, entry))]
pub async fn use_recovery_code(
    db: &Db,
    user_id: i64,
    code_hash: &str,
    entry: &Entry,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut change = Change::start(db).await?;
    let cleared = sqlx::query(
        "UPDATE users SET code_failures = 0, failure_run = 0, lock_count = 0 \
         WHERE id = $1 AND mfa_enabled_at IS NOT NULL \
         AND disabled_at IS NULL AND (locked_until IS NULL OR locked_until <= $2)",
    )
    .bind(user_id)
    .bind(now)
    .execute(change.conn())
    .await?;
    if cleared.rows_affected() != 1 {
        return Ok(false);
    }
    let used = sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .bind(code_hash)
    .execute(change.conn())
    .await?;
    change.commit_if_one(&used, entry, now).await
}

/// How many of the user's recovery codes are unused.
#[tracing::instrument(skip(db))]
pub async fn recovery_codes_left(db: &Db, user_id: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id)
        .fetch_one(db.pool())
        .await
}
