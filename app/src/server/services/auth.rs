//! The password step: checks a login ID and password against the account,
//! under the lock. Knows nothing of MFA or sessions (`sign_in` puts the
//! steps together).

use super::audit::{self, Who};
use super::lockout::{self, AfterWrong, Block, Counter, Reservation};
use super::Client;
use crate::domain::{LoginId, Password};
use crate::error::AppError;
use crate::server::db::audit::Event;
use crate::server::db::users::{self, Snapshot};
use crate::server::password::{HashError, HashSlot, PasswordHash};
use crate::server::session::{duty_of_user, Duty};
use crate::server::AppState;

/// An account whose password was just accepted, and the state of it that
/// the check relied on: a session starts only if that still holds.
#[derive(Debug, Clone)]
pub struct Account {
    pub user_id: i64,
    pub login_id: String,
    pub snapshot: Snapshot,
    /// What a full session of the account must do first.
    pub duty: Option<Duty>,
}

/// What the password step decided.
#[derive(Debug, Clone)]
pub enum PasswordCheck {
    /// Right. The attempt stays counted until the sign-in completes or
    /// goes on to the code step ([`crate::server::db::sessions::sign_in`]).
    Accepted(Account),
    /// Wrong password, or no such account: deliberately one outcome.
    Wrong,
    Blocked(Block),
}

/// Checks the password, counting the attempt before its answer is used
/// (the count runs while it is hashed). Unknown IDs and
/// blocked accounts cost one argon2 verify too, so timing tells nothing.
/// A core for the hash is taken before anything else: in a flood the
/// answer is `Busy` at once, with no attempt counted against the account.
// The typed login ID stays out of the span: people type passwords into it.
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn check_password(
    state: &AppState,
    login_id: &LoginId,
    password: Password,
    client: &Client,
) -> Result<PasswordCheck, AppError> {
    let slot = state.passwords.slot().await?;
    let Some(user) = users::find_by_login_id(&state.db, login_id.as_str()).await? else {
        slot.verify(password, None).await?;
        audit::record_anonymous(state, client, Event::SignInFailure).await?;
        return Ok(PasswordCheck::Wrong);
    };
    tracing::Span::current().record("user_id", user.id);
    let who = Who {
        user_id: user.id,
        login_id: &user.login_id,
        client,
    };
    // A temporary password that was used or has expired signs in nobody:
    // it is checked against the dummy hash, exactly like a wrong one.
    let hash = user
        .password_usable(state.clock.now())
        .then(|| user.password_hash.clone());
    let checked = guess(state, slot, who, password, hash, Event::SignInFailure).await?;
    if let Checked::Unchecked(_) = checked {
        // A sign-in at a blocked account is a failed sign-in too.
        audit::record(state, who, Event::SignInFailure).await?;
    }
    Ok(match Guess::from(checked) {
        Guess::Right => PasswordCheck::Accepted(Account {
            duty: duty_of_user(&user, state.clock.now()),
            user_id: user.id,
            snapshot: user.snapshot(),
            login_id: user.login_id,
        }),
        Guess::Wrong => PasswordCheck::Wrong,
        Guess::Blocked(block) => PasswordCheck::Blocked(block),
    })
}

/// What a password guess against an account decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guess {
    Right,
    /// Wrong: counted and recorded; more guesses remain.
    Wrong,
    /// The account is locked or disabled: it was before this guess (which
    /// was not checked), or this wrong guess was the last allowed.
    Blocked(Block),
}

/// What [`guess`] did, finer than [`Guess`]: whether the guess was checked.
enum Checked {
    Right,
    Wrong(AfterWrong),
    /// Not checked: the account was blocked already.
    Unchecked(Block),
}

impl From<Checked> for Guess {
    fn from(checked: Checked) -> Self {
        match checked {
            Checked::Right => Guess::Right,
            Checked::Wrong(AfterWrong::Counted) => Guess::Wrong,
            Checked::Wrong(AfterWrong::Blocked(block)) | Checked::Unchecked(block) => {
                Guess::Blocked(block)
            }
        }
    }
}

/// One password guess against `hash`, counted before its answer is read.
/// One against no usable `hash` is checked against the dummy hash
/// instead, so it costs the same; a blocked account's answer is never
/// read; a wrong guess is settled by the lock (recorded as `failure`).
/// Holds `slot`, the core for the hash, throughout.
async fn guess(
    state: &AppState,
    slot: HashSlot,
    who: Who<'_>,
    password: Password,
    hash: Option<PasswordHash>,
    failure: Event,
) -> Result<Checked, AppError> {
    // The guess is counted while it is hashed: the count's commit (a
    // round trip, and on PostgreSQL a WAL flush) costs no time of its
    // own, and the hash's answer is read only after the count has landed.
    // A guess the count refuses took the hash's time all the same, and
    // its answer is thrown away unread. The core stays held until both
    // have ended, so counts in flight are bounded by the cores.
    let (verified, reserved) = slot
        .verify_alongside(
            password,
            hash,
            lockout::reserve(state, who, Counter::Password),
        )
        .await;
    let attempt = match reserved? {
        Reservation::Granted(attempt) => attempt,
        Reservation::Blocked(block) => return Ok(Checked::Unchecked(block)),
    };
    if verified? {
        return Ok(Checked::Right);
    }
    Ok(Checked::Wrong(
        lockout::wrong(state, who, attempt, failure).await?,
    ))
}

impl From<HashError> for AppError {
    fn from(err: HashError) -> Self {
        match err {
            HashError::Busy => {
                tracing::warn!("password checks at their limit: answered busy");
                AppError::Busy
            }
            other => {
                tracing::error!(error = %other, "password verification failed");
                AppError::Internal
            }
        }
    }
}

/// Checks the password of a signed-in account again, before a change that
/// needs the account holder (turning MFA on, a new password). Counted
/// toward the same lock as sign-in; a right password takes its own attempt
/// back out of the run.
#[tracing::instrument(skip_all, fields(user_id = who.user_id))]
pub async fn reenter_password(
    state: &AppState,
    who: Who<'_>,
    password: Password,
) -> Result<Guess, AppError> {
    let slot = state.passwords.slot().await?;
    let user = users::find_by_id(&state.db, who.user_id)
        .await?
        .ok_or(AppError::NotSignedIn)?;
    let hash = Some(user.password_hash);
    let guessed =
        Guess::from(guess(state, slot, who, password, hash, Event::PasswordFailure).await?);
    if guessed == Guess::Right {
        users::password_reentered(&state.db, who.user_id).await?;
    }
    Ok(guessed)
}
