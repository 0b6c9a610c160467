//! Portal notices (`<<INFORMATION>>`).

use super::audit::Entry;
use super::change::{Change, Seen};
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

/// What a change to a notice did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Done,
    /// What the admin's check saw no longer holds: nothing changed.
    Moved,
    /// The notice to change is gone.
    Gone,
}

/// Posts (`id` none) or edits a notice, recording `entry`, in one
/// transaction, if `seen` still holds.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip(db, seen, body, entry))]
pub async fn save(
    db: &Db,
    seen: &Seen,
    id: Option<i64>,
    published_on: &str,
    title: &str,
    body: &str,
    entry: &Entry,
    now: i64,
) -> Result<Applied, sqlx::Error> {
    let Some(mut change) = Change::begin(db, seen).await? else {
        return Ok(Applied::Moved);
    };
    let done = match id {
        None => sqlx::query(
            "INSERT INTO notices (published_on, title, body, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(published_on)
        .bind(title)
        .bind(body)
        .bind(now)
        .execute(change.conn())
        .await?,
        Some(id) => {
            sqlx::query("UPDATE notices SET published_on = $1, title = $2, body = $3 WHERE id = $4")
                .bind(published_on)
                .bind(title)
                .bind(body)
                .bind(id)
                .execute(change.conn())
                .await?
        }
    };
    Ok(if change.commit_if_one(&done, entry, now).await? {
        Applied::Done
    } else {
        Applied::Gone
    })
}

/// Deletes a notice, recording `entry`, if `seen` still holds.
#[tracing::instrument(skip(db, seen, entry))]
pub async fn delete(
    db: &Db,
    seen: &Seen,
    id: i64,
    entry: &Entry,
    now: i64,
) -> Result<Applied, sqlx::Error> {
    let Some(mut change) = Change::begin(db, seen).await? else {
        return Ok(Applied::Moved);
    };
    let done = sqlx::query("DELETE FROM notices WHERE id = $1")
        .bind(id)
        .execute(change.conn())
        .await?;
    Ok(if change.commit_if_one(&done, entry, now).await? {
        Applied::Done
    } else {
        Applied::Gone
    })
}
