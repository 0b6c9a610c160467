//! The provider's grants: authorization requests waiting for their browser
//! to sign in, and what one sign-in granted one application (a code, then
//! the tokens made from it). Codes and cookie tokens are stored only as
//! hashes.

use super::audit::Entry;
use super::change::Change;
use super::sessions::LiveSince;
use super::Db;

/// An authorization request kept while its browser signs in.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingRow {
    pub client_id: String,
    /// The checked request, as JSON.
    pub request: String,
    pub created_at: i64,
}

/// Keeps a checked request under the hash of the browser's cookie token.
pub async fn keep_pending(
    db: &Db,
    id_hash: &str,
    client_id: &str,
    request: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO oidc_pending (id_hash, client_id, request, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id_hash)
    .bind(client_id)
    .bind(request)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The request the cookie's hash names, if made after `since`.
pub async fn pending(
    db: &Db,
    id_hash: &str,
    since: i64,
) -> Result<Option<PendingRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT client_id, request, created_at FROM oidc_pending WHERE id_hash = $1 AND created_at > $2",
    )
    .bind(id_hash)
    .bind(since)
    .fetch_optional(db.pool())
    .await
}

/// A grant about to be written: the code's hash and what it is bound to.
#[derive(Debug, Clone, Copy)]
pub struct NewGrant<'a> {
    pub handle: &'a str,
    pub code_hash: &'a str,
    pub client_id: &'a str,
    pub user_id: i64,
    pub session_hash: &'a str,
    pub redirect_uri: &'a str,
    pub code_challenge: &'a str,
    pub nonce: Option<&'a str>,
    /// Space-separated.
    pub scopes: &'a str,
    pub auth_time: i64,
    /// `session::Method`, as stored.
    pub method: &'a str,
}

/// What writing a grant did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granted {
    Done,
    /// The session is no longer fully signed in (a sign-out landed
    /// meanwhile): no code.
    SessionGone,
    /// The pending request was answered already (a parallel sign-in of the
    /// same browser): no second code.
    AlreadyAnswered,
}

/// Writes a grant, only while its session is still fully signed in, ends
/// the pending request `pending` (the hash of its cookie), if any, only if
/// it is still there, and records `entry`, in one transaction: a request
/// is answered once. Changes nothing unless the answer is `Done`.
pub async fn grant(
    db: &Db,
    new: NewGrant<'_>,
    pending: Option<&str>,
    entry: &Entry,
    now: i64,
) -> Result<Granted, sqlx::Error> {
    let mut change = Change::start(db).await?;
    if let Some(pending) = pending {
        let ended = sqlx::query("DELETE FROM oidc_pending WHERE id_hash = $1")
            .bind(pending)
            .execute(change.conn())
            .await?;
        if ended.rows_affected() != 1 {
            return Ok(Granted::AlreadyAnswered);
        }
    }
    let written = sqlx::query(
        "INSERT INTO oidc_grants (handle, code_hash, client_id, user_id, session_hash, \
         redirect_uri, code_challenge, nonce, scopes, auth_time, method, created_at) \
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 \
         WHERE EXISTS (SELECT 1 FROM sessions WHERE id_hash = $5 AND stage = 'full')",
    )
    .bind(new.handle)
    .bind(new.code_hash)
    .bind(new.client_id)
    .bind(new.user_id)
    .bind(new.session_hash)
    .bind(new.redirect_uri)
    .bind(new.code_challenge)
    .bind(new.nonce)
    .bind(new.scopes)
    .bind(new.auth_time)
    .bind(new.method)
    .bind(now)
    .execute(change.conn())
    .await?;
    if !change.commit_if_one(&written, entry, now).await? {
        return Ok(Granted::SessionGone);
    }
    Ok(Granted::Done)
}

/// A grant, as a code exchange or a token check reads it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GrantRow {
    pub id: i64,
    pub handle: String,
    pub client_id: String,
    pub user_id: i64,
    pub session_hash: String,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub nonce: Option<String>,
    pub scopes: String,
    pub auth_time: i64,
    pub method: String,
    pub subject: String,
    pub login_id: String,
    pub display_name: String,
}

const GRANT_COLUMNS: &str = "g.id, g.handle, g.client_id, g.user_id, g.session_hash, \
    g.redirect_uri, g.code_challenge, g.nonce, g.scopes, g.auth_time, g.method, \
    u.subject, u.login_id, u.display_name";

/// [`GRANT_COLUMNS`] as an `UPDATE oidc_grants … RETURNING` gives them:
/// a `RETURNING` names only the updated table's columns, so the
/// account's come by subquery (one statement uses the code and reads its
/// grant).
const GRANT_RETURNING: &str = "id, handle, client_id, user_id, session_hash, redirect_uri, \
    code_challenge, nonce, scopes, auth_time, method, \
    (SELECT subject FROM users WHERE id = oidc_grants.user_id) AS subject, \
    (SELECT login_id FROM users WHERE id = oidc_grants.user_id) AS login_id, \
    (SELECT display_name FROM users WHERE id = oidc_grants.user_id) AS display_name";

/// What a code exchange found.
#[derive(Debug)]
pub enum Redeemed {
    /// The code was unused, fresh, the client's, and its session is still
    /// signed in: it is used now, here, and by no one else.
    Fresh(Box<GrantRow>),
    /// The code was used before: its grant (and every token made from it)
    /// is revoked now, and `entry` recorded.
    Replayed,
    /// The code was fresh, but came with another redirect URI or a
    /// verifier that does not match: it is used up all the same, and its
    /// grant revoked (a code exchange only).
    Mismatched,
    /// No such code for this client, too old, or its session is over.
    Unknown,
}

/// A code presented for its tokens.
#[derive(Debug)]
pub struct Exchange<'a> {
    pub code_hash: &'a str,
    pub client_id: &'a str,
    /// Codes made before this are too old.
    pub since: i64,
    pub live: LiveSince,
    /// The refresh token to keep for the grant, if the code is good.
    pub refresh_hash: &'a str,
    /// Recorded when the code comes a second time.
    pub replayed: &'a Entry,
    /// Recorded when the code does not fit what came with it.
    pub mismatched: &'a Entry,
}

/// Uses the code of `exchange`, once across every instance: one
/// conditional `UPDATE` marks it used only if it is unused, fresh,
/// the client's, unrevoked and its session is still signed in. Then, in
/// the same transaction, the grant is asked whether it `fits` what came
/// with the code (its redirect URI, its verifier): if so its refresh
/// token is kept; if not, the grant is revoked, recording `mismatched`.
/// One commit either way (and on SQLite, one turn of this instance's
/// writers). A second use revokes the grant, recording `replayed`.
pub async fn redeem(
    db: &Db,
    exchange: &Exchange<'_>,
    fits: impl FnOnce(&GrantRow) -> bool,
    now: i64,
) -> Result<Redeemed, sqlx::Error> {
    let mut change = Change::start(db).await?;
    // The code's session row first, held against a logout: the `EXISTS`
    // below is a subquery, which on PostgreSQL reads the snapshot from
    // before a logout or an "end every sign-in" committed meanwhile. A
    // logout either waits for this commit (and then sees the code used,
    // and tells the application), or has ended the session before the
    // check reads it. Exchanges of one session's codes do not wait for
    // each other.
    change
        .hold_rows(
            "SELECT 1 FROM sessions WHERE id_hash = \
             (SELECT session_hash FROM oidc_grants WHERE code_hash = $1 AND client_id = $2)",
            &[exchange.code_hash, exchange.client_id],
        )
        .await?;
    let used: Option<GrantRow> = sqlx::query_as(&format!(
        "UPDATE oidc_grants SET code_used_at = $4 WHERE code_hash = $1 AND client_id = $2 \
         AND code_used_at IS NULL AND revoked_at IS NULL AND created_at > $3 \
         AND EXISTS (SELECT 1 FROM sessions s WHERE s.id_hash = oidc_grants.session_hash \
                     AND s.last_seen_at >= $5 AND s.created_at >= $6) \
         RETURNING {GRANT_RETURNING}"
    ))
    .bind(exchange.code_hash)
    .bind(exchange.client_id)
    .bind(exchange.since)
    .bind(now)
    .bind(exchange.live.idle_since)
    .bind(exchange.live.created_since)
    .fetch_optional(change.conn())
    .await?;
    if let Some(grant) = used {
        if !fits(&grant) {
            sqlx::query("UPDATE oidc_grants SET revoked_at = $2 WHERE id = $1")
                .bind(grant.id)
                .bind(now)
                .execute(change.conn())
                .await?;
            change.commit(exchange.mismatched, now).await?;
            return Ok(Redeemed::Mismatched);
        }
        keep_refresh(&mut change, exchange.refresh_hash, grant.id, now).await?;
        change.commit_unrecorded().await?;
        return Ok(Redeemed::Fresh(Box::new(grant)));
    }
    let revoked = sqlx::query(
        "UPDATE oidc_grants SET revoked_at = $3 WHERE code_hash = $1 AND client_id = $2 \
         AND code_used_at IS NOT NULL AND revoked_at IS NULL",
    )
    .bind(exchange.code_hash)
    .bind(exchange.client_id)
    .bind(now)
    .execute(change.conn())
    .await?;
    if change
        .commit_if_one(&revoked, exchange.replayed, now)
        .await?
    {
        return Ok(Redeemed::Replayed);
    }
    Ok(Redeemed::Unknown)
}

/// Keeps the refresh token `token_hash` of the grant `grant_id`.
async fn keep_refresh(
    change: &mut Change,
    token_hash: &str,
    grant_id: i64,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO oidc_refresh_tokens (token_hash, grant_id, created_at) VALUES ($1, $2, $3)",
    )
    .bind(token_hash)
    .bind(grant_id)
    .bind(now)
    .execute(change.conn())
    .await?;
    Ok(())
}

/// The live grant `handle` names: not revoked, its code used, its session
/// still signed in (and not past its limits) and its account not disabled.
pub async fn live(db: &Db, handle: &str, live: LiveSince) -> Result<Option<GrantRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {GRANT_COLUMNS} FROM oidc_grants g JOIN users u ON u.id = g.user_id \
         JOIN sessions s ON s.id_hash = g.session_hash \
         AND s.last_seen_at >= $2 AND s.created_at >= $3 \
         WHERE g.handle = $1 AND g.revoked_at IS NULL AND g.code_used_at IS NOT NULL \
         AND u.disabled_at IS NULL"
    ))
    .bind(handle)
    .bind(live.idle_since)
    .bind(live.created_since)
    .fetch_optional(db.pool())
    .await
}

/// Forgets pending requests made before `pending_before`, grants whose
/// code was never used and was made before `unused_before`, and every
/// grant made before `ended_before` (no session lives that long).
pub async fn delete_expired(
    db: &Db,
    pending_before: i64,
    unused_before: i64,
    ended_before: i64,
) -> Result<u64, sqlx::Error> {
    let pending = sqlx::query("DELETE FROM oidc_pending WHERE created_at < $1")
        .bind(pending_before)
        .execute(db.pool())
        .await?;
    let grants = sqlx::query(
        "DELETE FROM oidc_grants WHERE (code_used_at IS NULL AND created_at < $1) OR created_at < $2",
    )
    .bind(unused_before)
    .bind(ended_before)
    .execute(db.pool())
    .await?;
    Ok(pending.rows_affected() + grants.rows_affected())
}

/// The grants a refresh token of `client_id` (`$2`) may belong to: live
/// ones (not revoked, the portal session still signed in and not past the
/// [`LiveSince`] in `$idle` and `$created`, the account not disabled).
fn live_grants_of_client(idle: u8, created: u8) -> String {
    format!(
        "SELECT g.id FROM oidc_grants g \
         JOIN sessions s ON s.id_hash = g.session_hash \
         AND s.last_seen_at >= ${idle} AND s.created_at >= ${created} \
         JOIN users u ON u.id = g.user_id \
         WHERE g.client_id = $2 AND g.revoked_at IS NULL AND u.disabled_at IS NULL"
    )
}

/// Uses the refresh token `token_hash` of `client_id` once, across every
/// instance, and keeps `next_hash` as its successor in the same
/// transaction: one conditional `UPDATE` marks it used only if it is
/// unused and its grant is live. A used one presented again revokes the
/// grant (the whole family), recording `replayed`.
pub async fn refresh(
    db: &Db,
    token_hash: &str,
    client_id: &str,
    next_hash: &str,
    replayed: &Entry,
    live: LiveSince,
    now: i64,
) -> Result<Redeemed, sqlx::Error> {
    let mut change = Change::start(db).await?;
    let used = sqlx::query(&format!(
        "UPDATE oidc_refresh_tokens SET used_at = $3 WHERE token_hash = $1 AND used_at IS NULL \
         AND grant_id IN ({})",
        live_grants_of_client(4, 5)
    ))
    .bind(token_hash)
    .bind(client_id)
    .bind(now)
    .bind(live.idle_since)
    .bind(live.created_since)
    .execute(change.conn())
    .await?;
    if used.rows_affected() == 1 {
        let grant: GrantRow = sqlx::query_as(&format!(
            "SELECT {GRANT_COLUMNS} FROM oidc_grants g JOIN users u ON u.id = g.user_id \
             WHERE g.id = (SELECT grant_id FROM oidc_refresh_tokens WHERE token_hash = $1)"
        ))
        .bind(token_hash)
        .fetch_one(change.conn())
        .await?;
        keep_refresh(&mut change, next_hash, grant.id, now).await?;
        change.commit_unrecorded().await?;
        return Ok(Redeemed::Fresh(Box::new(grant)));
    }
    let revoked = sqlx::query(
        "UPDATE oidc_grants SET revoked_at = $3 WHERE client_id = $2 AND revoked_at IS NULL \
         AND id = (SELECT grant_id FROM oidc_refresh_tokens WHERE token_hash = $1 AND used_at IS NOT NULL)",
    )
    .bind(token_hash)
    .bind(client_id)
    .bind(now)
    .execute(change.conn())
    .await?;
    if change.commit_if_one(&revoked, replayed, now).await? {
        return Ok(Redeemed::Replayed);
    }
    Ok(Redeemed::Unknown)
}

/// The live grant of `client_id` whose unused refresh token is
/// `token_hash`.
pub async fn grant_of_refresh(
    db: &Db,
    token_hash: &str,
    client_id: &str,
    live: LiveSince,
) -> Result<Option<GrantRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {GRANT_COLUMNS} FROM oidc_grants g JOIN users u ON u.id = g.user_id \
         WHERE g.id IN ({}) \
         AND g.id = (SELECT grant_id FROM oidc_refresh_tokens WHERE token_hash = $1 AND used_at IS NULL)",
        live_grants_of_client(3, 4)
    ))
    .bind(token_hash)
    .bind(client_id)
    .bind(live.idle_since)
    .bind(live.created_since)
    .fetch_optional(db.pool())
    .await
}

/// Revokes the grant `id` if it is `client_id`'s (RFC 7009: a client
/// revokes only its own tokens). True when it was live.
pub async fn revoke_for(db: &Db, id: i64, client_id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE oidc_grants SET revoked_at = $3 WHERE id = $1 AND client_id = $2 AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(client_id)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}
