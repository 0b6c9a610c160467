//! Portal notices (`<<INFORMATION>>`).

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
