//! The counts that lock an account: attempts reserved before they are
//! checked, the lock they lead to, the disable after a long run of
//! failures (or by staff), and lifting both.

use super::audit::Entry;
use super::change::{Change, Seen};
use super::endings::{delete_for_user, end_sessions, Ending};
use super::Db;

/// Which count toward the next lock an attempt adds to. Both also add to
/// the account's long-run count of consecutive failures.
#[derive(Debug, Clone, Copy)]
pub enum Counter {
    Password,
    Code,
}

/// A reserved attempt: its number toward the next lock, and in the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Attempt {
    pub toward_lock: i64,
    pub in_run: i64,
}

/// Limits on consecutive failures.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Attempts (of one counter) that lock the account.
    pub lock_after: i64,
    /// Attempts in a row, across locks, that disable it.
    pub disable_after: i64,
}

/// Reserves one attempt (a password or a code) before its answer is used:
/// counts it toward the lock and in the run, unless the account is locked
/// or disabled, or either count is at its limit already (finished or still
/// being checked). Returns `None` when no attempt may be made. Counting
/// first, in one conditional statement, means a burst of parallel requests
/// gets no more guesses than the limits, on any number of instances.
#[tracing::instrument(skip(db))]
pub async fn reserve_attempt(
    db: &Db,
    user_id: i64,
    counter: Counter,
    limits: Limits,
    now: i64,
) -> Result<Option<Attempt>, sqlx::Error> {
    sqlx::query_as(&reserve_statement(counter, ""))
        .bind(user_id)
        .bind(now)
        .bind(limits.lock_after)
        .bind(limits.disable_after)
        .fetch_all(db.pool())
        .await
        .map(super::written)
}

/// The statement of [`reserve_attempt`], binding the user's ID, now, and
/// the two limits in that order, and returning the [`Attempt`] and then
/// `more` (columns or expressions of `users`, each with its `AS`).
pub(super) fn reserve_statement(counter: Counter, more: &str) -> String {
    let column = match counter {
        Counter::Password => "failed_attempts",
        Counter::Code => "code_failures",
    };
    format!(
        "UPDATE users SET {column} = {column} + 1, failure_run = failure_run + 1 \
         WHERE id = $1 AND disabled_at IS NULL AND (locked_until IS NULL OR locked_until <= $2) \
         AND {column} < $3 AND failure_run < $4 \
         RETURNING {column} AS toward_lock, failure_run AS in_run{more}"
    )
}

/// Why an account takes no attempts, read when a reservation is refused.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Guard {
    pub locked_until: Option<i64>,
    pub disabled_at: Option<i64>,
    /// `staff` or `failures` (see [`DisabledBy`]); none before it was kept.
    pub disabled_by: Option<String>,
    pub failure_run: i64,
}

impl Guard {
    /// Disabled by staff (not by a run of failures).
    pub fn stopped_by_staff(&self) -> bool {
        self.disabled_at.is_some()
            && self.disabled_by.as_deref() == Some(DisabledBy::Staff.as_str())
    }
}

/// Who disabled an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisabledBy {
    Failures,
    Staff,
}

impl DisabledBy {
    fn as_str(self) -> &'static str {
        match self {
            Self::Failures => "failures",
            Self::Staff => "staff",
        }
    }
}

#[tracing::instrument(skip(db))]
pub async fn guard(db: &Db, user_id: i64) -> Result<Option<Guard>, sqlx::Error> {
    sqlx::query_as(
        "SELECT locked_until, disabled_at, disabled_by, failure_run FROM users WHERE id = $1",
    )
    .bind(user_id)
    .fetch_optional(db.pool())
    .await
}

/// Locks the account, if a count has reached `limits.lock_after` and it is
/// neither locked nor disabled already (a lock is never pushed further
/// out): both counts toward the lock start afresh, the lock count goes up,
/// and the lock lasts `duration(lock number)` seconds. Every half sign-in
/// of the user ends, and `entry(lock number, until)` is recorded, in the
/// same transaction. Returns the lock's end when this call set it.
///
/// The same call serves the attempt that reached the limit and one that
/// finds a count stuck there without a lock (a client that hung up
/// mid-check): that becomes an ordinary lock that ends.
#[tracing::instrument(skip(db, duration, entry))]
pub async fn lock(
    db: &Db,
    user_id: i64,
    limits: Limits,
    now: i64,
    duration: impl Fn(i64) -> i64,
    entry: impl FnOnce(i64, i64) -> Entry,
) -> Result<Option<i64>, sqlx::Error> {
    let mut change = Change::start(db).await?;
    // Writing the row first locks it (and, on SQLite, the database) until
    // the commit, so the second statement sees what the first one did.
    let number: Option<i64> = sqlx::query_scalar(
        "UPDATE users SET lock_count = lock_count + 1, failed_attempts = 0, code_failures = 0 \
         WHERE id = $1 AND disabled_at IS NULL AND (locked_until IS NULL OR locked_until <= $2) \
         AND (failed_attempts >= $3 OR code_failures >= $3) RETURNING lock_count",
    )
    .bind(user_id)
    .bind(now)
    .bind(limits.lock_after)
    .fetch_optional(change.conn())
    .await?;
    let Some(number) = number else {
        return Ok(None);
    };
    let until = now + duration(number);
    sqlx::query("UPDATE users SET locked_until = $1 WHERE id = $2")
        .bind(until)
        .bind(user_id)
        .execute(change.conn())
        .await?;
    end_sessions(change.conn(), user_id, Ending::HalfSignIns).await?;
    change.commit(&entry(number, until), now).await?;
    Ok(Some(until))
}

/// Disables the account, if its run of failures has reached
/// `limits.disable_after` and it is not disabled already: every session
/// and pending setup ends, and `entry` is recorded, in the same
/// transaction. Only the helpdesk's unlock enables it again. Returns true
/// when this call did it.
#[tracing::instrument(skip(db, entry))]
pub async fn disable(
    db: &Db,
    user_id: i64,
    limits: Limits,
    now: i64,
    entry: &Entry,
) -> Result<bool, sqlx::Error> {
    let run = Some(limits.disable_after);
    disable_if(db, &Seen::nothing(), user_id, run, now, entry).await
}

/// Staff's disable: as [`disable`], whatever the run of failures, if
/// `seen` still holds. False when nothing changed (`seen` no longer held,
/// or the account was disabled already).
#[tracing::instrument(skip(db, seen, entry))]
pub async fn disable_now(
    db: &Db,
    seen: &Seen,
    user_id: i64,
    now: i64,
    entry: &Entry,
) -> Result<bool, sqlx::Error> {
    disable_if(db, seen, user_id, None, now, entry).await
}

/// Disables the account: by a run of failures when `run_at_least` is
/// given (and reached), by staff when not.
async fn disable_if(
    db: &Db,
    seen: &Seen,
    user_id: i64,
    run_at_least: Option<i64>,
    now: i64,
    entry: &Entry,
) -> Result<bool, sqlx::Error> {
    let Some(mut change) = Change::begin(db, seen).await? else {
        return Ok(false);
    };
    let by = match run_at_least {
        Some(_) => DisabledBy::Failures,
        None => DisabledBy::Staff,
    };
    let done = sqlx::query(
        "UPDATE users SET disabled_at = $1, disabled_by = $4, locked_until = NULL, \
         failed_attempts = 0, code_failures = 0, updated_at = $1 \
         WHERE id = $2 AND disabled_at IS NULL AND ($3 IS NULL OR failure_run >= $3)",
    )
    .bind(now)
    .bind(user_id)
    .bind(run_at_least)
    .bind(by.as_str())
    .execute(change.conn())
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    end_sessions(change.conn(), user_id, Ending::All).await?;
    delete_for_user(change.conn(), user_id, &["mfa_enrollments"]).await?;
    change.commit(entry, now).await?;
    Ok(true)
}

/// Lifts a lock or a disable and clears every count, recording `entry` in
/// the same transaction, if `seen` still holds. Returns false, changing
/// nothing, if not.
#[tracing::instrument(skip(db, seen, entry))]
pub async fn unlock(
    db: &Db,
    seen: &Seen,
    user_id: i64,
    now: i64,
    entry: &Entry,
) -> Result<bool, sqlx::Error> {
    let Some(mut change) = Change::begin(db, seen).await? else {
        return Ok(false);
    };
    sqlx::query(
        "UPDATE users SET failed_attempts = 0, code_failures = 0, failure_run = 0, lock_count = 0, \
         locked_until = NULL, disabled_at = NULL, disabled_by = NULL, updated_at = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(user_id)
    .execute(change.conn())
    .await?;
    change.commit(entry, now).await?;
    Ok(true)
}
