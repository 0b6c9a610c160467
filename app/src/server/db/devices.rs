//! Remembered devices ("このデバイスを30日間記録する"): a token's hash per
//! browser, used instead of a code until it expires or is forgotten.

use super::audit::Entry;
use super::change::Change;
use super::Db;

/// Deletes remembered devices that have expired. Returns how many.
#[tracing::instrument(skip(db))]
pub async fn delete_expired_devices(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM remembered_devices WHERE expires_at <= $1")
        .bind(now)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeviceRow {
    pub id: i64,
    pub label: String,
    pub created_at: i64,
    pub last_used_at: i64,
}

/// A device to remember ("このデバイスを30日間記録する").
#[derive(Debug)]
pub struct NewDevice<'a> {
    pub token_hash: &'a str,
    pub label: &'a str,
    pub expires_at: i64,
    pub entry: &'a Entry,
}

/// Remembers a device for the user inside the caller's change (the code
/// step's), recording its entry.
pub async fn insert_device(
    change: &mut Change,
    user_id: i64,
    device: &NewDevice<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO remembered_devices (user_id, token_hash, label, created_at, last_used_at, expires_at) \
         VALUES ($1, $2, $3, $4, $4, $5)",
    )
    .bind(user_id)
    .bind(device.token_hash)
    .bind(device.label)
    .bind(now)
    .bind(device.expires_at)
    .execute(change.conn())
    .await?;
    change.record(device.entry, now).await
}

/// Marks a remembered device as used, if it belongs to this user and has
/// not expired. Returns false otherwise.
#[tracing::instrument(skip(db, token_hash))]
pub async fn use_device(
    db: &Db,
    user_id: i64,
    token_hash: &str,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE remembered_devices SET last_used_at = $1 \
         WHERE token_hash = $2 AND user_id = $3 AND expires_at > $1",
    )
    .bind(now)
    .bind(token_hash)
    .bind(user_id)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

#[tracing::instrument(skip(db))]
pub async fn devices(db: &Db, user_id: i64, now: i64) -> Result<Vec<DeviceRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, label, created_at, last_used_at FROM remembered_devices \
         WHERE user_id = $1 AND expires_at > $2 ORDER BY last_used_at DESC, id DESC",
    )
    .bind(user_id)
    .bind(now)
    .fetch_all(db.pool())
    .await
}

/// Forgets one device (`Some(id)`) or all of them (`None`), recording
/// `entry` when any was forgotten. Returns how many.
#[tracing::instrument(skip(db, entry))]
pub async fn forget_devices(
    db: &Db,
    user_id: i64,
    device_id: Option<i64>,
    entry: &Entry,
    now: i64,
) -> Result<u64, sqlx::Error> {
    let mut change = Change::start(db).await?;
    let done = sqlx::query(
        "DELETE FROM remembered_devices WHERE user_id = $1 AND ($2 IS NULL OR id = $2)",
    )
    .bind(user_id)
    .bind(device_id)
    .execute(change.conn())
    .await?;
    // None forgotten: nothing to record, and nothing to keep.
    if done.rows_affected() > 0 {
        change.commit(entry, now).await?;
    }
    Ok(done.rows_affected())
}
