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
use crate::server::password::HashError;
use crate::server::AppState;

/// An account whose password was just accepted, and the state of it that
/// the check relied on: a session starts only if that still holds.
#[derive(Debug, Clone)]
pub struct Account {
    pub user_id: i64,
    pub login_id: String,
    pub snapshot: Snapshot,
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

/// Checks the password, counting the attempt first. Unknown IDs and
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
    let outcome = match lockout::reserve(state, who, Counter::Password).await? {
        Reservation::Blocked(block) => {
            slot.verify(password, None).await?;
            PasswordCheck::Blocked(block)
        }
        Reservation::Granted(attempt) => {
            if slot
                .verify(password, Some(user.password_hash.clone()))
                .await?
            {
                return Ok(PasswordCheck::Accepted(Account {
                    user_id: user.id,
                    snapshot: user.snapshot(),
                    login_id: user.login_id,
                }));
            }
            match lockout::wrong(state, who, attempt).await? {
                AfterWrong::Counted => PasswordCheck::Wrong,
                AfterWrong::Blocked(block) => PasswordCheck::Blocked(block),
            }
        }
    };
    audit::record(state, who, Event::SignInFailure).await?;
    Ok(outcome)
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

/// What re-entering the password on a settings form decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reentered {
    Right,
    Wrong,
    Blocked(Block),
}

/// Checks the password of a signed-in account again, before a change that
/// needs the account holder (turning MFA on). Counted toward the same lock
/// as sign-in; a right password takes its own attempt back out of the run.
#[tracing::instrument(skip_all, fields(user_id = who.user_id))]
pub async fn reenter_password(
    state: &AppState,
    who: Who<'_>,
    password: Password,
) -> Result<Reentered, AppError> {
    let slot = state.passwords.slot().await?;
    let user = users::find_by_id(&state.db, who.user_id)
        .await?
        .ok_or(AppError::NotSignedIn)?;
    let attempt = match lockout::reserve(state, who, Counter::Password).await? {
        Reservation::Granted(attempt) => attempt,
        Reservation::Blocked(block) => {
            slot.verify(password, None).await?;
            return Ok(Reentered::Blocked(block));
        }
    };
    if slot.verify(password, Some(user.password_hash)).await? {
        users::password_reentered(&state.db, who.user_id).await?;
        return Ok(Reentered::Right);
    }
    let after = lockout::wrong(state, who, attempt).await?;
    audit::record(state, who, Event::PasswordFailure).await?;
    Ok(match after {
        AfterWrong::Counted => Reentered::Wrong,
        AfterWrong::Blocked(block) => Reentered::Blocked(block),
    })
}
