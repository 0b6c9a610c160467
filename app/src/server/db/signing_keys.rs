//! The OpenID Connect provider's signing keys (migrations 0008, 0014):
//! every instance reads the same keys. A key is published when it is made
//! and signs from its `signs_from`; the key that signs is the newest whose
//! time has come and that is not retired (if two instances make one at
//! once, both are published and the newer signs). A retired key stays
//! published until its tokens have expired.

use super::audit::Entry;
use super::change::Change;
use super::Db;

/// One stored key. No `Debug`: it holds the sealed private key.
#[derive(sqlx::FromRow)]
pub struct KeyRow {
    pub id: i64,
    pub kid: String,
    pub alg: String,
    /// Sealed with the server key (`Purpose::SigningKey`, this row's id).
    pub private_key: Vec<u8>,
    pub public_jwk: String,
    pub created_at: i64,
    /// When it starts to sign (it is published from `created_at`).
    pub signs_from: i64,
    /// When it stopped (or stops) signing: its successor's `signs_from`.
    pub retired_at: Option<i64>,
    /// When it left the JWKS at once (suspected leaked).
    pub withdrawn_at: Option<i64>,
}

/// A key to add: its public parts, and how to seal its private key once
/// its row's id is known.
#[derive(Debug)]
pub struct NewKey<'a> {
    pub kid: &'a str,
    pub alg: &'a str,
    pub public_jwk: &'a str,
}

const COLUMNS: &str = "id, kid, alg, private_key, public_jwk, created_at, signs_from, \
                       retired_at, withdrawn_at";

/// The key that signs at `now`: of the keys not retired by then, the
/// newest whose `signs_from` has come; if none has come yet (the very
/// first keys were made to start later), the one due soonest, which is
/// published already and has no older key to wait for.
#[tracing::instrument(skip(db))]
pub async fn current(db: &Db, now: i64) -> Result<Option<KeyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM signing_keys \
         WHERE (retired_at IS NULL OR retired_at > $1) AND withdrawn_at IS NULL \
         ORDER BY CASE WHEN signs_from <= $1 THEN 0 ELSE 1 END, \
                  CASE WHEN signs_from <= $1 THEN -signs_from ELSE signs_from END, id DESC \
         LIMIT 1"
    ))
    .bind(now)
    .fetch_optional(db.pool())
    .await
}

/// Every key still published: not withdrawn, and not retired or retired
/// after `retired_after`; newest first.
#[tracing::instrument(skip(db))]
pub async fn published(db: &Db, retired_after: i64) -> Result<Vec<KeyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM signing_keys \
         WHERE (retired_at IS NULL OR retired_at > $1) AND withdrawn_at IS NULL \
         ORDER BY id DESC"
    ))
    .bind(retired_after)
    .fetch_all(db.pool())
    .await
}

/// Every key, newest first (for the operator).
#[tracing::instrument(skip(db))]
pub async fn all(db: &Db) -> Result<Vec<KeyRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM signing_keys ORDER BY id DESC"
    ))
    .fetch_all(db.pool())
    .await
}

/// Adds `key` (its private key sealed by `seal(row id)`), published now
/// and signing from `signs_from`, retires every other key at that moment
/// (a key already retired earlier keeps its time), with `withdraw` also
/// takes every other key out of the JWKS now, and records `entry`, all in
/// one change. Returns the new row's id.
#[tracing::instrument(skip(db, seal, entry))]
pub async fn rotate(
    db: &Db,
    key: NewKey<'_>,
    seal: impl FnOnce(i64) -> Vec<u8>,
    now: i64,
    signs_from: i64,
    withdraw: bool,
    entry: &Entry,
) -> Result<i64, sqlx::Error> {
    let mut change = Change::start(db).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO signing_keys (kid, alg, private_key, public_jwk, created_at, signs_from) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(key.kid)
    .bind(key.alg)
    .bind(Vec::<u8>::new())
    .bind(key.public_jwk)
    .bind(now)
    .bind(signs_from)
    .fetch_one(change.conn())
    .await?;
    sqlx::query("UPDATE signing_keys SET private_key = $1 WHERE id = $2")
        .bind(seal(id))
        .bind(id)
        .execute(change.conn())
        .await?;
    sqlx::query(
        "UPDATE signing_keys SET retired_at = $1 \
         WHERE (retired_at IS NULL OR retired_at > $1) AND id <> $2",
    )
    .bind(signs_from)
    .bind(id)
    .execute(change.conn())
    .await?;
    if withdraw {
        sqlx::query(
            "UPDATE signing_keys SET withdrawn_at = $1 WHERE withdrawn_at IS NULL AND id <> $2",
        )
        .bind(now)
        .bind(id)
        .execute(change.conn())
        .await?;
    }
    change.commit(entry, now).await?;
    Ok(id)
}
