//! The business applications registered as OpenID Connect clients
//! (migration 0009), with their redirect and post-logout URIs.

use super::audit::Entry;
use super::change::{Change, Seen};
use super::Db;

/// A client as stored. `secret_hash` is an HMAC, never the secret.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientRow {
    pub id: i64,
    pub client_id: String,
    pub name: String,
    pub kind: String,
    pub secret_hash: Option<String>,
    pub mfa_required: i64,
    pub tile: Option<String>,
    pub start_url: Option<String>,
    pub backchannel_logout_uri: Option<String>,
    pub created_at: i64,
}

impl ClientRow {
    /// A public client: it names itself and has no secret.
    pub fn is_public(&self) -> bool {
        self.kind == "public"
    }
}

/// A client to add.
#[derive(Debug)]
pub struct NewClient<'a> {
    pub client_id: &'a str,
    pub name: &'a str,
    pub kind: &'a str,
    pub mfa_required: bool,
    pub tile: Option<&'a str>,
    pub start_url: Option<&'a str>,
    pub backchannel_logout_uri: Option<&'a str>,
    pub redirect_uris: &'a [String],
    pub post_logout_uris: &'a [String],
}

const COLUMNS: &str = "id, client_id, name, kind, secret_hash, mfa_required, tile, start_url, \
                       backchannel_logout_uri, created_at";

/// Adds `client`, its URIs and (for a confidential client) the hash that
/// `hash(row id)` gives, recording `entry`, in one change, if what `seen`
/// says still holds (`None` otherwise: nothing added). Returns the row id.
/// A taken client ID or tile fails with the database's unique error.
#[tracing::instrument(skip(db, seen, hash, entry))]
pub async fn insert(
    db: &Db,
    seen: &Seen,
    client: NewClient<'_>,
    hash: impl FnOnce(i64) -> Option<String>,
    now: i64,
    entry: &Entry,
) -> Result<Option<i64>, sqlx::Error> {
    let Some(mut change) = Change::begin(db, seen).await? else {
        return Ok(None);
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO oidc_clients (client_id, name, kind, mfa_required, tile, start_url, \
         backchannel_logout_uri, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(client.client_id)
    .bind(client.name)
    .bind(client.kind)
    .bind(i64::from(client.mfa_required))
    .bind(client.tile)
    .bind(client.start_url)
    .bind(client.backchannel_logout_uri)
    .bind(now)
    .fetch_one(change.conn())
    .await?;
    sqlx::query("UPDATE oidc_clients SET secret_hash = $1 WHERE id = $2")
        .bind(hash(id))
        .bind(id)
        .execute(change.conn())
        .await?;
    let uris = client
        .redirect_uris
        .iter()
        .map(|u| ("redirect", u))
        .chain(client.post_logout_uris.iter().map(|u| ("post_logout", u)));
    for (kind, uri) in uris {
        sqlx::query("INSERT INTO oidc_client_uris (client_id, kind, uri) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(kind)
            .bind(uri)
            .execute(change.conn())
            .await?;
    }
    change
        .commit(&entry.clone().with_detail(client.client_id), now)
        .await?;
    Ok(Some(id))
}

#[tracing::instrument(skip(db))]
pub async fn find(db: &Db, client_id: &str) -> Result<Option<ClientRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM oidc_clients WHERE client_id = $1"
    ))
    .bind(client_id)
    .fetch_optional(db.pool())
    .await
}

/// The client `client_id` and its URIs, `(kind, uri)` in the order of
/// [`uris`], in one query.
pub async fn find_with_uris(
    db: &Db,
    client_id: &str,
) -> Result<Option<(ClientRow, Vec<(String, String)>)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Joined {
        #[sqlx(flatten)]
        row: ClientRow,
        uri_kind: Option<String>,
        uri: Option<String>,
    }
    // The URIs' columns renamed, so that the client's own are unambiguous.
    let joined: Vec<Joined> = sqlx::query_as(&format!(
        "SELECT {COLUMNS}, uri_kind, uri FROM oidc_clients LEFT JOIN \
         (SELECT client_id AS owner, kind AS uri_kind, uri FROM oidc_client_uris) AS uris ON owner = id \
         WHERE client_id = $1 ORDER BY uri"
    ))
    .bind(client_id)
    .fetch_all(db.pool())
    .await?;
    let Some(row) = joined.first().map(|j| j.row.clone()) else {
        return Ok(None);
    };
    let uris = joined
        .into_iter()
        .filter_map(|j| j.uri_kind.zip(j.uri))
        .collect();
    Ok(Some((row, uris)))
}

#[tracing::instrument(skip(db))]
pub async fn list(db: &Db) -> Result<Vec<ClientRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM oidc_clients ORDER BY name, id"
    ))
    .fetch_all(db.pool())
    .await
}

/// The bound tiles: each tile's name and its application's start URL.
#[tracing::instrument(skip(db))]
pub async fn tiles(db: &Db) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT tile, start_url FROM oidc_clients \
         WHERE tile IS NOT NULL AND start_url IS NOT NULL ORDER BY tile",
    )
    .fetch_all(db.pool())
    .await
}

/// A client's URIs as registered, each with its kind (`redirect` or
/// `post_logout`): one read for both.
#[tracing::instrument(skip(db))]
pub async fn uris(db: &Db, id: i64) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT kind, uri FROM oidc_client_uris WHERE client_id = $1 ORDER BY uri")
        .bind(id)
        .fetch_all(db.pool())
        .await
}

/// Removes the client (its URIs go with it), recording `entry`, if what
/// `seen` says still holds (`None` otherwise). False when there was no
/// such client.
#[tracing::instrument(skip(db, seen, entry))]
pub async fn remove(
    db: &Db,
    seen: &Seen,
    id: i64,
    now: i64,
    entry: &Entry,
) -> Result<Option<bool>, sqlx::Error> {
    let Some(mut change) = Change::begin(db, seen).await? else {
        return Ok(None);
    };
    let done = sqlx::query("DELETE FROM oidc_clients WHERE id = $1")
        .bind(id)
        .execute(change.conn())
        .await?;
    Ok(Some(change.commit_if_one(&done, entry, now).await?))
}

/// Replaces a confidential client's secret hash, recording `entry`, if
/// what `seen` says still holds (`None` otherwise). False when there is
/// no such confidential client.
#[tracing::instrument(skip(db, seen, hash, entry))]
pub async fn set_secret(
    db: &Db,
    seen: &Seen,
    id: i64,
    hash: &str,
    now: i64,
    entry: &Entry,
) -> Result<Option<bool>, sqlx::Error> {
    let Some(mut change) = Change::begin(db, seen).await? else {
        return Ok(None);
    };
    let done = sqlx::query(
        "UPDATE oidc_clients SET secret_hash = $1, updated_at = $2 \
         WHERE id = $3 AND kind = 'confidential'",
    )
    .bind(hash)
    .bind(now)
    .bind(id)
    .execute(change.conn())
    .await?;
    Ok(Some(change.commit_if_one(&done, entry, now).await?))
}
