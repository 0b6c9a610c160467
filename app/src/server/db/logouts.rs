//! Back-Channel Logout's outbox (`oidc_logouts`): which applications are
//! owed a logout token because a portal session they signed into ended.
//!
//! Nothing writes here when a session ends: a session ends in many places
//! (sign-out, the idle and 12-hour limits, the helpdesk, a password change,
//! MFA changes, a stop, a disable), and any of them may be added to. The
//! grants already say which applications each session signed into, so the
//! outbox is filled from them by [`queue_ended`]: every used grant whose
//! session is gone, expired, or whose account is disabled. The grants and
//! the sessions are in the database, so a crash loses no logout.

use super::audit::Entry;
use super::change::Change;
use super::sessions::LiveSince;
use super::Db;

/// The used grants of ended sessions, for clients with a back-channel URI,
/// not queued yet. `$1`, `$2`: [`LiveSince`].
const ENDED: &str = "FROM oidc_grants g \
    JOIN oidc_clients c ON c.client_id = g.client_id \
    JOIN users u ON u.id = g.user_id \
    WHERE g.code_used_at IS NOT NULL AND c.backchannel_logout_uri IS NOT NULL \
    AND (u.disabled_at IS NOT NULL OR NOT EXISTS (SELECT 1 FROM sessions s \
         WHERE s.id_hash = g.session_hash AND s.last_seen_at >= $1 AND s.created_at >= $2)) \
    AND NOT EXISTS (SELECT 1 FROM oidc_logouts l \
         WHERE l.session_hash = g.session_hash AND l.client_id = g.client_id)";

/// Queues a logout for every application an ended session signed into,
/// once (the key is the session and the client: instances racing here
/// queue each once). Reads first, and writes only when there is something
/// to queue, so the idle poll takes no write lock. How many were queued.
pub async fn queue_ended(db: &Db, live: LiveSince, now: i64) -> Result<u64, sqlx::Error> {
    let any: Option<i64> = sqlx::query_scalar(&format!("SELECT g.user_id {ENDED} LIMIT 1"))
        .bind(live.idle_since)
        .bind(live.created_since)
        .fetch_optional(db.pool())
        .await?;
    if any.is_none() {
        return Ok(0);
    }
    let queued = sqlx::query(&format!(
        "INSERT INTO oidc_logouts (session_hash, client_id, user_id, created_at, next_at) \
         SELECT DISTINCT g.session_hash, g.client_id, g.user_id, $3, $3 {ENDED} \
         ON CONFLICT (session_hash, client_id) DO NOTHING"
    ))
    .bind(live.idle_since)
    .bind(live.created_since)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(queued.rows_affected())
}

/// A logout claimed for one try.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueRow {
    pub session_hash: String,
    pub client_id: String,
    pub user_id: i64,
    pub subject: String,
    pub login_id: String,
    /// The client's back-channel logout URI.
    pub uri: String,
    /// This try's number (1 for the first).
    pub attempts: i64,
}

/// The logout that [`claim`] may claim: its session and client.
pub type DueKey = (String, String);

/// Up to `limit` logouts due at `now`, oldest first (a read: the idle
/// poll claims and writes nothing).
pub async fn due(db: &Db, now: i64, limit: i64) -> Result<Vec<DueKey>, sqlx::Error> {
    sqlx::query_as(
        "SELECT session_hash, client_id FROM oidc_logouts \
         WHERE sent_at IS NULL AND failed_at IS NULL AND next_at <= $1 ORDER BY next_at LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

/// Claims the `due` logouts for one try each, across every instance: a
/// row is claimed by one conditional `UPDATE` that moves its `next_at` to
/// `lease_until`, only if it is still due at `now`, so a second instance
/// no longer sees it due. If this instance dies before settling, the row
/// is due again at `lease_until`.
pub async fn claim(
    db: &Db,
    due: Vec<DueKey>,
    now: i64,
    lease_until: i64,
) -> Result<Vec<DueRow>, sqlx::Error> {
    let mut claimed = Vec::with_capacity(due.len());
    for (session_hash, client_id) in due {
        let won = sqlx::query(
            "UPDATE oidc_logouts SET next_at = $3, attempts = attempts + 1 \
             WHERE session_hash = $1 AND client_id = $2 \
             AND sent_at IS NULL AND failed_at IS NULL AND next_at <= $4",
        )
        .bind(&session_hash)
        .bind(&client_id)
        .bind(lease_until)
        .bind(now)
        .execute(db.pool())
        .await?;
        if won.rows_affected() != 1 {
            continue;
        }
        let row: Option<DueRow> = sqlx::query_as(
            "SELECT l.session_hash, l.client_id, l.user_id, u.subject, u.login_id, \
             c.backchannel_logout_uri AS uri, l.attempts \
             FROM oidc_logouts l JOIN users u ON u.id = l.user_id \
             JOIN oidc_clients c ON c.client_id = l.client_id \
             WHERE l.session_hash = $1 AND l.client_id = $2 AND c.backchannel_logout_uri IS NOT NULL",
        )
        .bind(&session_hash)
        .bind(&client_id)
        .fetch_optional(db.pool())
        .await?;
        claimed.extend(row);
    }
    Ok(claimed)
}

/// The row a try settles: only if no later try claimed it meanwhile.
const THIS_TRY: &str = "session_hash = $1 AND client_id = $2 AND attempts = $3 \
    AND sent_at IS NULL AND failed_at IS NULL";

/// The application answered the try `row`: done.
pub async fn sent(db: &Db, row: &DueRow, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "UPDATE oidc_logouts SET sent_at = $4 WHERE {THIS_TRY}"
    ))
    .bind(&row.session_hash)
    .bind(&row.client_id)
    .bind(row.attempts)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The try `row` failed: tried again at `again_at`.
pub async fn retry(db: &Db, row: &DueRow, again_at: i64) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "UPDATE oidc_logouts SET next_at = $4 WHERE {THIS_TRY}"
    ))
    .bind(&row.session_hash)
    .bind(&row.client_id)
    .bind(row.attempts)
    .bind(again_at)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The last try `row` failed: given up, with `entry` recorded in the same
/// transaction (once, whichever instance settles it).
pub async fn give_up(db: &Db, row: &DueRow, entry: &Entry, now: i64) -> Result<(), sqlx::Error> {
    let mut change = Change::start(db).await?;
    let done = sqlx::query(&format!(
        "UPDATE oidc_logouts SET failed_at = $4 WHERE {THIS_TRY}"
    ))
    .bind(&row.session_hash)
    .bind(&row.client_id)
    .bind(row.attempts)
    .bind(now)
    .execute(change.conn())
    .await?;
    change.commit_if_one(&done, entry, now).await?;
    Ok(())
}

/// Forgets settled logouts, and unsettled ones, made before `before` (by
/// then their grants are gone too, so none is queued again).
pub async fn delete_old(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM oidc_logouts WHERE created_at < $1")
        .bind(before)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}
