//! Deleting what has expired: sessions past their limits, half sign-ins,
//! pending setups, remembered devices, secrets not shown in time,
//! applications' requests and grants, and audit records past retention.
//! Lookups check expiry anyway; this keeps the tables small and keeps no
//! record longer than promised.

use super::{provider, tokens};
use crate::server::db::devices;
use crate::server::db::{audit, grants, logouts, mfa, reveals, sessions};
use crate::server::session::{live_since, ABSOLUTE_SECS, HALF_SECS, IDLE_SECS};
use crate::server::AppState;

/// How many rows one sweep deleted, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    pub sessions: u64,
    pub setups: u64,
    pub devices: u64,
    pub audit_events: u64,
    pub reveals: u64,
    /// Applications' requests and grants, and settled back-channel
    /// logouts.
    pub grants: u64,
}

/// One sweep. `audit_retention_secs`: how long an audit record is kept.
pub async fn sweep(state: &AppState, audit_retention_secs: i64) -> Result<Swept, sqlx::Error> {
    let now = state.clock.now();
    let db = &state.db;
    // Every ended session's logouts are queued before its grants (which
    // say whom to tell) may go; the sender usually has done it already.
    logouts::queue_ended(db, live_since(now), now).await?;
    let grants_before = now - ABSOLUTE_SECS - tokens::ACCESS_TOKEN_SECS;
    Ok(Swept {
        sessions: sessions::delete_expired(
            db,
            now - IDLE_SECS,
            now - ABSOLUTE_SECS,
            now - HALF_SECS,
        )
        .await?,
        setups: mfa::delete_expired_enrollments(db, now).await?,
        devices: devices::delete_expired_devices(db, now).await?,
        audit_events: audit::delete_older_than(db, now - audit_retention_secs).await?,
        reveals: reveals::delete_expired(db, now).await?,
        // No grant outlives its session, nor its last token.
        grants: grants::delete_expired(
            db,
            now - provider::PENDING_SECS,
            now - provider::CODE_SECS,
            grants_before,
        )
        .await?
            // Made after their grants: by now those are gone too, so
            // none is queued again.
            + logouts::delete_old(db, grants_before).await?,
    })
}
