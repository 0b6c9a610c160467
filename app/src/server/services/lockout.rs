//! The account lock: consecutive wrong passwords and codes, counted before
//! they are checked, lock the account for a while, each lock longer than
//! the one before; a long run of them disables it until the helpdesk
//! unlocks it. Sign-in and MFA both use this; it uses only the
//! repositories and the audit trail.

use super::audit::{self, Who};
use crate::error::AppError;
use crate::server::clock::format_jst;
use crate::server::db::audit::{Entry, Event};
use crate::server::db::locks::{self, Attempt, Limits};
use crate::server::AppState;

pub use crate::server::db::locks::Counter;

/// Consecutive wrong passwords (or codes) that lock an account.
pub const LOCK_AFTER: i64 = 10;
/// How long the first lock lasts; each later one in the same run of
/// failures lasts twice as long as the one before.
pub const LOCK_SECS: i64 = 15 * 60;
/// Consecutive failures, across locks, that disable the account: the most
/// NIST SP 800-63B rev 4 (§3.2.2) allows.
pub const DISABLE_AFTER: i64 = 100;

/// Both limits, as the repositories take them.
pub const LIMITS: Limits = Limits {
    lock_after: LOCK_AFTER,
    disable_after: DISABLE_AFTER,
};

/// How long lock number `n` (1, 2, ...) of a run lasts: 15 minutes, then
/// 30, 60, ... Within [`DISABLE_AFTER`] there are at most nine locks
/// (64 hours for the ninth); the doubling stops at 2^20 all the same.
pub fn lock_secs(n: i64) -> i64 {
    LOCK_SECS << (n - 1).clamp(0, 20)
}

/// Why an account takes no guesses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Block {
    /// Locked for a while.
    Locked,
    /// Disabled by a run of failures, until the helpdesk unlocks it.
    Disabled,
    /// Disabled by staff, until they lift it.
    Stopped,
}

impl From<Block> for AppError {
    fn from(block: Block) -> Self {
        match block {
            Block::Locked => AppError::Locked,
            Block::Disabled => AppError::Disabled,
            Block::Stopped => AppError::Stopped,
        }
    }
}

/// What checking a code (the app's, or a recovery code) decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// Right, and not used before: consumed now.
    Accepted,
    /// Wrong (or replayed): counted toward the account's lock.
    Wrong,
    /// The account is locked or disabled (now, or already).
    Blocked(Block),
}

/// Whether a guess may be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// Counted: settle it with [`wrong`] if it turns out wrong.
    Granted(Attempt),
    /// The guess must not be checked.
    Blocked(Block),
}

/// What a wrong guess led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterWrong {
    /// More guesses remain before the lock.
    Counted,
    /// The account is locked or disabled now.
    Blocked(Block),
}

/// Counts one guess before its answer is used, so parallel requests, on any
/// number of instances, get no more than the limits allow. When none may
/// be made, a count stuck at a limit (a client that hung up mid-check)
/// becomes the lock or disable it should have been.
pub async fn reserve(
    state: &AppState,
    who: Who<'_>,
    counter: Counter,
) -> Result<Reservation, AppError> {
    let now = state.clock.now();
    if let Some(attempt) =
        locks::reserve_attempt(&state.db, who.user_id, counter, LIMITS, now).await?
    {
        return Ok(Reservation::Granted(attempt));
    }
    Ok(Reservation::Blocked(refusal(state, who).await?))
}

/// Why a reservation was refused; a count stuck at a limit (a client that
/// hung up mid-check) becomes the lock or disable it should have been.
pub async fn refusal(state: &AppState, who: Who<'_>) -> Result<Block, AppError> {
    let Some(guard) = locks::guard(&state.db, who.user_id).await? else {
        return Err(AppError::NotSignedIn);
    };
    // Writes only where a count is stuck: a guess at a locked account (the
    // common case while someone keeps guessing) reads and goes.
    if guard.stopped_by_staff() {
        return Ok(Block::Stopped);
    }
    if guard.disabled_at.is_some() {
        return Ok(Block::Disabled);
    }
    if guard.failure_run >= DISABLE_AFTER {
        enforce(state, who, Due::Disable).await?;
        return Ok(Block::Disabled);
    }
    if guard
        .locked_until
        .is_none_or(|until| until <= state.clock.now())
    {
        enforce(state, who, Due::Lock).await?;
    }
    Ok(Block::Locked)
}

/// True when `attempt`, wrong, locks and disables nothing: its record may
/// be written with its count, by the caller, instead of by [`wrong`].
pub fn locks_nothing(attempt: Attempt) -> bool {
    due(attempt).is_none()
}

/// What a wrong `attempt` has earned.
fn due(attempt: Attempt) -> Option<Due> {
    if attempt.in_run >= DISABLE_AFTER {
        Some(Due::Disable)
    } else if attempt.toward_lock >= LOCK_AFTER {
        Some(Due::Lock)
    } else {
        None
    }
}

/// Settles a reserved guess that was wrong: the last one allowed locks or
/// disables the account, and the guess goes into the audit trail as
/// `failure` (after the lock's own record).
pub async fn wrong(
    state: &AppState,
    who: Who<'_>,
    attempt: Attempt,
    failure: Event,
) -> Result<AfterWrong, AppError> {
    let after = match due(attempt) {
        Some(due) => {
            enforce(state, who, due).await?;
            AfterWrong::Blocked(match due {
                Due::Disable => Block::Disabled,
                Due::Lock => Block::Locked,
            })
        }
        None => AfterWrong::Counted,
    };
    audit::record(state, who, failure).await?;
    Ok(after)
}

/// Whether the account is locked or disabled right now.
pub async fn block(state: &AppState, who: Who<'_>) -> Result<Option<Block>, AppError> {
    let Some(guard) = locks::guard(&state.db, who.user_id).await? else {
        return Ok(None);
    };
    Ok(if guard.stopped_by_staff() {
        Some(Block::Stopped)
    } else if guard.disabled_at.is_some() {
        Some(Block::Disabled)
    } else if guard
        .locked_until
        .is_some_and(|until| until > state.clock.now())
    {
        Some(Block::Locked)
    } else {
        None
    })
}

/// What a run of failures has earned.
#[derive(Debug, Clone, Copy)]
enum Due {
    Lock,
    Disable,
}

/// Locks or disables the account, if it is not already (the repository's
/// conditional writes decide), with its record.
async fn enforce(state: &AppState, who: Who<'_>, due: Due) -> Result<(), AppError> {
    let (db, now) = (&state.db, state.clock.now());
    match due {
        Due::Disable => {
            let entry = Entry::new(who.actor(), Event::Disabled)
                .with_detail(format!("{DISABLE_AFTER} failures in a row"));
            if locks::disable(db, who.user_id, LIMITS, now, &entry).await? {
                crate::server::metrics::account_disabled();
                tracing::warn!(
                    user_id = who.user_id,
                    "account disabled after {DISABLE_AFTER} failures in a row"
                );
            }
        }
        Due::Lock => {
            let entry = |number, until| {
                let event = if number == 1 {
                    Event::Locked
                } else {
                    Event::LockExtended
                };
                Entry::new(who.actor(), event)
                    .with_detail(format!("lock {number} until {}", format_jst(until)))
            };
            if locks::lock(db, who.user_id, LIMITS, now, lock_secs, entry)
                .await?
                .is_some()
            {
                crate::server::metrics::account_locked();
                tracing::warn!(
                    user_id = who.user_id,
                    "account locked after repeated failures"
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_lock_lasts_twice_as_long_as_the_one_before() {
        assert_eq!(lock_secs(1), 15 * 60);
        assert_eq!(lock_secs(2), 30 * 60);
        assert_eq!(lock_secs(9), 64 * 60 * 60);
        for n in 1..40 {
            assert!(lock_secs(n + 1) >= lock_secs(n));
        }
        assert!(lock_secs(i64::MAX) > 0, "no overflow");
    }
}
