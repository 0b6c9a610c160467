//! Secrets to be shown once to the session that made them (a temporary
//! password), sealed with the server's key, between the action that makes
//! one and the page that shows it: with or without JavaScript, and on
//! whichever instance serves that page.

use super::Db;

/// Keeps `sealed` for the session `session_hash`, about `subject_id`,
/// until `expires_at`; replaces any earlier one of the same kind.
#[tracing::instrument(skip(db, session_hash, sealed))]
pub async fn put(
    db: &Db,
    session_hash: &str,
    kind: &str,
    subject_id: i64,
    sealed: &[u8],
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO reveals (session_hash, kind, subject_id, sealed, expires_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (session_hash, kind) DO UPDATE SET subject_id = excluded.subject_id, \
         sealed = excluded.sealed, expires_at = excluded.expires_at",
    )
    .bind(session_hash)
    .bind(kind)
    .bind(subject_id)
    .bind(sealed)
    .bind(expires_at)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Takes (deletes and returns) the session's secret of `kind` about
/// `subject_id`, if it has not expired: it is shown once.
#[tracing::instrument(skip(db, session_hash))]
pub async fn take(
    db: &Db,
    session_hash: &str,
    kind: &str,
    subject_id: i64,
    now: i64,
) -> Result<Option<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar(
        "DELETE FROM reveals WHERE session_hash = $1 AND kind = $2 AND subject_id = $3 \
         AND expires_at > $4 RETURNING sealed",
    )
    .bind(session_hash)
    .bind(kind)
    .bind(subject_id)
    .bind(now)
    .fetch_all(db.pool())
    .await
    .map(super::written)
}

/// Deletes what has expired. Returns how many.
#[tracing::instrument(skip(db))]
pub async fn delete_expired(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM reveals WHERE expires_at <= $1")
        .bind(now)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}
