//! The password step: checks a login ID and password against the account,
//! under the lock. Knows nothing of MFA or sessions (`sign_in` puts the
//! steps together).

use super::audit::{self, Who};
use super::lockout::{self, AfterWrong, Counter, Reservation};
use super::Client;
use crate::domain::{LoginId, Password};
use crate::error::AppError;
use crate::server::db::{audit::Event, users};
use crate::server::password::HashError;
use crate::server::AppState;

/// An account whose password was just accepted.
#[derive(Debug, Clone)]
pub struct Account {
    pub user_id: i64,
    pub login_id: String,
}

/// What the password step decided.
#[derive(Debug, Clone)]
pub enum PasswordCheck {
    Accepted(Account),
    /// Wrong password, or no such account: deliberately one outcome.
    Wrong,
    Locked,
}

/// Checks the password, counting the attempt first. Unknown IDs and
/// locked accounts cost one argon2 verify too, so timing tells nothing.
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
        Reservation::Locked => {
            slot.verify(password, None).await?;
            PasswordCheck::Locked
        }
        Reservation::Granted { attempt } => {
            if slot
                .verify(password, Some(user.password_hash.clone()))
                .await?
            {
                let now = state.clock.now();
                if users::clear_failures(&state.db, user.id, now).await? {
                    return Ok(PasswordCheck::Accepted(Account {
                        user_id: user.id,
                        login_id: user.login_id,
                    }));
                }
                // A parallel failure locked the account meanwhile; that
                // failure is on record already.
                return Ok(PasswordCheck::Locked);
            } else {
                match lockout::wrong(state, who, attempt).await? {
                    AfterWrong::Counted => PasswordCheck::Wrong,
                    AfterWrong::Locked => PasswordCheck::Locked,
                }
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
