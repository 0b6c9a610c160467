//! MFA state: the sealed secret, pending setups, and the replay and
//! failure counters. Remembered devices are in [`super::devices`],
//! recovery codes in [`super::recovery_codes`].

use super::audit::Entry;
use super::change::{Change, Seen};
use super::devices::NewDevice;
use super::endings::{delete_for_user, end_sessions, lock_row, Ending};
use super::locks::{reserve_statement, Attempt, Counter, Limits};
use super::recovery_codes::put_recovery_codes;
use super::sessions::{promote_in, Promoted, Promotion};
use super::users::MFA_SECRET_IN_FORCE;
use super::Db;

/// An account's MFA state: the sealed secret and since when it is on.
#[derive(Debug, sqlx::FromRow)]
pub struct MfaRow {
    pub mfa_secret: Option<Vec<u8>>,
    pub mfa_enabled_at: Option<i64>,
}

#[tracing::instrument(skip(db))]
pub async fn find(db: &Db, user_id: i64) -> Result<Option<MfaRow>, sqlx::Error> {
    sqlx::query_as("SELECT mfa_secret, mfa_enabled_at FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(db.pool())
        .await
}

/// Starts (or restarts) a pending setup, for the session `session_hash`
/// alone: another session of the same user neither sees nor confirms it.
#[tracing::instrument(skip(db, sealed, session_hash))]
pub async fn put_enrollment(
    db: &Db,
    user_id: i64,
    session_hash: &str,
    sealed: &[u8],
    now: i64,
    expires_at: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO mfa_enrollments (user_id, session_hash, secret, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (user_id) DO UPDATE SET session_hash = excluded.session_hash, \
         secret = excluded.secret, created_at = excluded.created_at, expires_at = excluded.expires_at",
    )
    .bind(user_id)
    .bind(session_hash)
    .bind(sealed)
    .bind(now)
    .bind(expires_at)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The sealed secret of the session's pending setup, if it has not expired.
#[tracing::instrument(skip(db, session_hash))]
pub async fn enrollment(
    db: &Db,
    user_id: i64,
    session_hash: &str,
    now: i64,
) -> Result<Option<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT secret FROM mfa_enrollments WHERE user_id = $1 AND session_hash = $2 AND expires_at > $3",
    )
    .bind(user_id)
    .bind(session_hash)
    .bind(now)
    .fetch_optional(db.pool())
    .await
}

/// Deletes pending setups that have expired. Returns how many.
#[tracing::instrument(skip(db))]
pub async fn delete_expired_enrollments(db: &Db, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM mfa_enrollments WHERE expires_at <= $1")
        .bind(now)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}

/// Turns MFA on with the session's pending secret, in one transaction: the
/// secret moves from the pending row to the account (the bytes the row
/// holds at the move, which `same_secret` must accept as the secret the
/// code was checked against: `keys reseal` may have sealed the row again
/// meanwhile, and a second setup in another tab may have replaced it), the confirming code's
/// step becomes the last used (a right code: the run of failures ends),
/// a new set of recovery codes (`recovery`, their hashes) replaces any
/// old one, every other session of the user ends, and `entry` is recorded.
/// Returns false, changing nothing, if the setup was gone or the account
/// is locked or disabled.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(skip(db, same_secret, session_hash, recovery, entry))]
pub async fn confirm_enrollment(
    db: &Db,
    user_id: i64,
    session_hash: &str,
    same_secret: impl FnOnce(&[u8]) -> bool,
    step: i64,
    recovery: &[String],
    entry: &Entry,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut change = Change::start(db).await?;
    // The user's row first, in the order every other change takes: then a
    // password change or a reset that lands meanwhile either waits for
    // this one or has ended the session, which the delete below requires.
    lock_row(change.conn(), user_id).await?;
    let moved: Option<Vec<u8>> = sqlx::query_scalar(
        "DELETE FROM mfa_enrollments WHERE user_id = $1 AND session_hash = $2 AND expires_at > $3 \
         AND EXISTS (SELECT 1 FROM sessions WHERE id_hash = $2 AND stage = 'full') \
         RETURNING secret",
    )
    .bind(user_id)
    .bind(session_hash)
    .bind(now)
    .fetch_optional(change.conn())
    .await?;
    // Dropped without a commit, the change rolls back: the setup stays.
    let Some(sealed) = moved.filter(|moved| same_secret(moved)) else {
        return Ok(false);
    };
    let updated = sqlx::query(
        "UPDATE users SET mfa_secret = $1, mfa_enabled_at = $2, mfa_last_step = $3, \
         code_failures = 0, failure_run = 0, lock_count = 0, updated_at = $2 \
         WHERE id = $4 AND disabled_at IS NULL AND (locked_until IS NULL OR locked_until <= $2)",
    )
    .bind(&sealed)
    .bind(now)
    .bind(step)
    .bind(user_id)
    .execute(change.conn())
    .await?;
    if updated.rows_affected() != 1 {
        return Ok(false);
    }
    end_sessions(change.conn(), user_id, Ending::AllBut(session_hash)).await?;
    put_recovery_codes(change.conn(), user_id, recovery, now).await?;
    // The code that confirmed the setup counts as this session's code:
    // for the step-up, and for what applications are told (`amr`), so
    // that a client requiring MFA takes this sign-in after the setup.
    sqlx::query("UPDATE sessions SET code_at = $1, method = 'code' WHERE id_hash = $2")
        .bind(now)
        .bind(session_hash)
        .execute(change.conn())
        .await?;
    change.commit(entry, now).await?;
    Ok(true)
}

/// Turns MFA off from the session `keep`: deletes the secret, any pending
/// setup and every remembered device of the user, ends every other
/// session and records `entry`, in one transaction.
#[tracing::instrument(skip(db, keep, entry))]
pub async fn disable(
    db: &Db,
    user_id: i64,
    keep: &str,
    entry: &Entry,
    now: i64,
) -> Result<(), sqlx::Error> {
    let seen = Seen::nothing();
    let done = turn_off(db, &seen, user_id, Ending::AllBut(keep), entry, now);
    done.await.map(|_| ())
}

/// The helpdesk's reset: as [`disable`], but every session of the user
/// ends; only if `seen` still holds. Returns false, changing nothing, if
/// not.
#[tracing::instrument(skip(db, seen, entry))]
pub async fn reset(
    db: &Db,
    seen: &Seen,
    user_id: i64,
    entry: &Entry,
    now: i64,
) -> Result<bool, sqlx::Error> {
    turn_off(db, seen, user_id, Ending::All, entry, now).await
}

/// The user's row is written first, so a sign-in being promoted at that
/// moment on another instance (which locks the row too) is not missed.
async fn turn_off(
    db: &Db,
    seen: &Seen,
    user_id: i64,
    sessions: Ending<'_>,
    entry: &Entry,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let Some(mut change) = Change::begin(db, seen).await? else {
        return Ok(false);
    };
    sqlx::query(
        "UPDATE users SET mfa_secret = NULL, mfa_enabled_at = NULL, mfa_last_step = NULL, \
         code_failures = 0, updated_at = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(user_id)
    .execute(change.conn())
    .await?;
    let tables = ["mfa_enrollments", "remembered_devices", "recovery_codes"];
    delete_for_user(change.conn(), user_id, &tables).await?;
    end_sessions(change.conn(), user_id, sessions).await?;
    change.commit(entry, now).await?;
    Ok(true)
}

/// Accepts a code's step only if it is newer than the last accepted one
/// and the account is neither locked nor disabled. One conditional
/// statement, so of two requests racing with the same code, even on two
/// instances, exactly one succeeds. A right code is a success: it clears
/// the count of wrong codes and the run of failures.
#[tracing::instrument(skip(db))]
pub async fn accept_step(db: &Db, user_id: i64, step: i64, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE users SET mfa_last_step = $1, code_failures = 0, failure_run = 0, lock_count = 0 \
         WHERE id = $2 AND (mfa_last_step IS NULL OR mfa_last_step < $1) \
         AND disabled_at IS NULL AND (locked_until IS NULL OR locked_until <= $3)",
    )
    .bind(step)
    .bind(user_id)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Reserves one code attempt for `user_id`'s half sign-in `id_hash`,
/// unless `limit` are already counted or it is no longer waiting for a
/// code; returns the attempt's number.
#[tracing::instrument(skip(db, id_hash))]
pub async fn reserve_session_attempt(
    db: &Db,
    user_id: i64,
    id_hash: &str,
    limit: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    count_in_sign_in(&mut conn, user_id, id_hash, limit).await
}

/// The statement of [`reserve_session_attempt`], on `conn` (a code step's
/// transaction counts with it too).
async fn count_in_sign_in(
    conn: &mut sqlx::AnyConnection,
    user_id: i64,
    id_hash: &str,
    limit: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE sessions SET code_failures = code_failures + 1 WHERE id_hash = $1 \
         AND user_id = $2 AND stage = 'code' AND code_failures < $3 RETURNING code_failures",
    )
    .bind(id_hash)
    .bind(user_id)
    .bind(limit)
    .fetch_all(conn)
    .await
    .map(super::written)
}

/// The app's code at sign-in, being checked in one transaction: the
/// account's row is taken and the attempt counted, for the account as
/// [`super::locks::reserve_attempt`] counts it and for the half sign-in,
/// before the check, so that nothing is checked for a guess either count
/// refuses; then either the code is spent and the half sign-in promoted
/// ([`CodeTry::spend`]), or the counts are committed ([`CodeTry::wrong`]).
/// Dropped before either, it rolls back: a client that hangs up mid-check
/// is answered nothing, and nothing is kept.
///
/// While it lasts, every other attempt, sign-in, reset or lock of the
/// account waits (the row is taken), on every instance: what it read is
/// what its writes rely on.
pub struct CodeTry {
    change: Change,
    user_id: i64,
    half_hash: String,
    /// The attempt's number toward the lock and in the run.
    pub attempt: Attempt,
    /// The attempt's number in this half sign-in.
    pub in_sign_in: i64,
    /// The sealed secret, if MFA is on.
    pub sealed: Option<Vec<u8>>,
    /// The step of the newest code accepted so far.
    pub last_step: Option<i64>,
}

impl std::fmt::Debug for CodeTry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeTry")
            .field("user_id", &self.user_id)
            .field("attempt", &self.attempt)
            .field("in_sign_in", &self.in_sign_in)
            .finish_non_exhaustive()
    }
}

/// What [`try_code`] found.
#[derive(Debug)]
pub enum Tried {
    /// Counted: check the code, then settle it.
    Counted(CodeTry),
    /// The account takes no attempt now (locked, disabled, or a count at
    /// its limit). Nothing changed.
    AccountRefused,
    /// The half sign-in is gone or has `per_sign_in` attempts counted.
    /// Nothing changed.
    SignInOver,
}

#[derive(sqlx::FromRow)]
struct Taken {
    toward_lock: i64,
    in_run: i64,
    mfa_secret: Option<Vec<u8>>,
    mfa_last_step: Option<i64>,
}

/// Begins a [`CodeTry`] for the half sign-in `half_hash` of `user_id`,
/// which may count `per_sign_in` attempts.
#[tracing::instrument(skip(db, half_hash))]
pub async fn try_code(
    db: &Db,
    user_id: i64,
    half_hash: &str,
    limits: Limits,
    per_sign_in: i64,
    now: i64,
) -> Result<Tried, sqlx::Error> {
    let mut change = Change::start(db).await?;
    // The user's row first, as every change of the account takes it.
    let more = format!(", {MFA_SECRET_IN_FORCE} AS mfa_secret, mfa_last_step");
    let taken: Option<Taken> = sqlx::query_as(&reserve_statement(Counter::Code, &more))
        .bind(user_id)
        .bind(now)
        .bind(limits.lock_after)
        .bind(limits.disable_after)
        .fetch_optional(change.conn())
        .await?;
    let Some(taken) = taken else {
        return Ok(Tried::AccountRefused);
    };
    let in_sign_in = count_in_sign_in(change.conn(), user_id, half_hash, per_sign_in).await?;
    let Some(in_sign_in) = in_sign_in else {
        return Ok(Tried::SignInOver);
    };
    Ok(Tried::Counted(CodeTry {
        change,
        user_id,
        half_hash: half_hash.to_owned(),
        attempt: Attempt {
            toward_lock: taken.toward_lock,
            in_run: taken.in_run,
        },
        in_sign_in,
        sealed: taken.mfa_secret,
        last_step: taken.mfa_last_step,
    }))
}

impl CodeTry {
    /// The code was right: spends its `step` (a success, which ends the
    /// run of failures) and promotes the half sign-in it counted to `full`
    /// (see [`super::sessions::promote`]), with `entry` and `device`, in
    /// one commit. False, changing nothing, when the step is not newer
    /// than the last one.
    #[tracing::instrument(skip_all, fields(user_id = self.user_id))]
    pub async fn spend(
        mut self,
        step: i64,
        full: Promoted<'_>,
        entry: &Entry,
        device: Option<&NewDevice<'_>>,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        let spent = sqlx::query(
            "UPDATE users SET mfa_last_step = $1, code_failures = 0, failure_run = 0, lock_count = 0 \
             WHERE id = $2 AND (mfa_last_step IS NULL OR mfa_last_step < $1)",
        )
        .bind(step)
        .bind(self.user_id)
        .execute(self.change.conn())
        .await?;
        if spent.rows_affected() != 1 {
            return Ok(false);
        }
        let promotion = Promotion {
            half_hash: &self.half_hash,
            full,
            // This attempt's own count: taken in this transaction, which
            // holds the row, after the limit refused any beyond it.
            counted_at_most: self.in_sign_in,
            entry,
            device,
        };
        promote_in(self.change, self.user_id, promotion, now).await
    }

    /// The code was wrong (or replayed): commits both counts, with
    /// `failure` recorded when given (the caller records it itself after
    /// a lock it is due). With `end_sign_in` (its last attempt), the half
    /// sign-in ends in the same commit.
    #[tracing::instrument(skip_all, fields(user_id = self.user_id))]
    pub async fn wrong(
        mut self,
        failure: Option<&Entry>,
        end_sign_in: bool,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        if end_sign_in {
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(&self.half_hash)
                .execute(self.change.conn())
                .await?;
        }
        match failure {
            Some(entry) => self.change.commit(entry, now).await,
            None => self.change.commit_counts().await,
        }
    }
}
