//! The account lock: consecutive wrong passwords and codes, counted before
//! they are checked, lock the account for a while. Sign-in and MFA both
//! use this; it uses only the repositories and the audit trail.

use super::audit::{self, Who};
use crate::error::AppError;
use crate::server::db::{audit::Event, users};
use crate::server::AppState;

pub use crate::server::db::users::Counter;

/// Consecutive wrong passwords (or codes) that lock an account.
pub const LOCK_AFTER: i64 = 10;
/// How long a lock lasts.
pub const LOCK_SECS: i64 = 15 * 60;

/// Whether a guess may be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// Counted: this is attempt number `attempt` in a row.
    Granted { attempt: i64 },
    /// The account is locked; the guess must not be checked.
    Locked,
}

/// What a wrong guess led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterWrong {
    /// More guesses remain before the lock.
    Counted,
    /// That was the last one: the account is locked now.
    Locked,
}

/// Counts one guess before it is checked, so parallel requests, on any
/// number of instances, get no more than [`LOCK_AFTER`] guesses. When none
/// may be made, a count stuck at the limit without a lock (a client that
/// hung up mid-check) becomes an ordinary lock that ends.
pub async fn reserve(
    state: &AppState,
    who: Who<'_>,
    counter: Counter,
) -> Result<Reservation, AppError> {
    let now = state.clock.now();
    match users::reserve_attempt(&state.db, who.user_id, counter, LOCK_AFTER, now).await? {
        Some(attempt) => Ok(Reservation::Granted { attempt }),
        None => {
            if users::lock_if_stuck(&state.db, who.user_id, LOCK_AFTER, now + LOCK_SECS, now)
                .await?
            {
                locked(state, who).await?;
            }
            Ok(Reservation::Locked)
        }
    }
}

/// Settles a reserved guess that was wrong: the last one allowed locks the
/// account. The lock is written before its audit record (that can fail;
/// the lock must not be lost with it).
pub async fn wrong(state: &AppState, who: Who<'_>, attempt: i64) -> Result<AfterWrong, AppError> {
    if attempt < LOCK_AFTER {
        return Ok(AfterWrong::Counted);
    }
    let now = state.clock.now();
    if users::lock(&state.db, who.user_id, now + LOCK_SECS, now).await? {
        locked(state, who).await?;
    }
    Ok(AfterWrong::Locked)
}

async fn locked(state: &AppState, who: Who<'_>) -> Result<(), AppError> {
    tracing::warn!(
        user_id = who.user_id,
        "account locked after repeated failures"
    );
    audit::record(state, who, Event::Locked).await
}
