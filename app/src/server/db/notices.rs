//! Portal notices (`<<INFORMATION>>`).

use super::audit::{self, Entry};
use super::Db;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NoticeRow {
    pub id: i64,
    pub published_on: String,
    pub title: String,
    pub body: String,
}

#[tracing::instrument(skip(db))]
pub async fn latest(db: &Db, limit: i64) -> Result<Vec<NoticeRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, published_on, title, body FROM notices \
         ORDER BY published_on DESC, id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

#[tracing::instrument(skip(db, body))]
pub async fn insert(
    db: &Db,
    published_on: &str,
    title: &str,
    body: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO notices (published_on, title, body, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(published_on)
    .bind(title)
    .bind(body)
    .bind(now)
    .fetch_one(db.pool())
    .await
}

/// Posts (`id` none) or edits a notice, recording `entry`, in one
/// transaction. Returns false when the notice to edit is gone.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip(db, body, entry))]
pub async fn save(
    db: &Db,
    id: Option<i64>,
    published_on: &str,
    title: &str,
    body: &str,
    entry: &Entry,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut tx = db.pool().begin().await?;
    let done = match id {
        None => sqlx::query(
            "INSERT INTO notices (published_on, title, body, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(published_on)
        .bind(title)
        .bind(body)
        .bind(now)
        .execute(&mut *tx)
        .await?,
        Some(id) => {
            sqlx::query("UPDATE notices SET published_on = $1, title = $2, body = $3 WHERE id = $4")
                .bind(published_on)
                .bind(title)
                .bind(body)
                .bind(id)
                .execute(&mut *tx)
                .await?
        }
    };
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    audit::write(&mut tx, entry, now).await?;
    tx.commit().await?;
    Ok(true)
}

/// Deletes a notice, recording `entry`. Returns false when it is gone.
#[tracing::instrument(skip(db, entry))]
pub async fn delete(db: &Db, id: i64, entry: &Entry, now: i64) -> Result<bool, sqlx::Error> {
    let mut tx = db.pool().begin().await?;
    let done = sqlx::query("DELETE FROM notices WHERE id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    audit::write(&mut tx, entry, now).await?;
    tx.commit().await?;
    Ok(true)
}
