//! Signing in and out: the password step (`auth`), then whether a code is
//! owed (`mfa`), then a new session.

use super::audit::{self, Who};
use super::auth::{self, PasswordCheck};
use super::lockout::{self, Block};
use super::{mfa, Client};
use crate::domain::{LoginId, Password};
use crate::error::AppError;
use crate::server::db::{audit::Event, sessions};
use crate::server::session::{self, Duty, Method, Session, Stage, Token};
use crate::server::AppState;

/// What a sign-in decided.
#[derive(Debug)]
pub enum SignIn {
    /// A new session in `stage`; its token goes into the cookie. A full
    /// one with a `duty` must do that first.
    Started {
        stage: Stage,
        token: Token,
        duty: Option<Duty>,
    },
    WrongPassword,
    Blocked(Block),
}

/// Checks the password and starts a new session (a new ID every time),
/// ending `previous`. The session owes a code when MFA is on and this
/// browser is not remembered for the account. It starts only if the
/// password, the MFA state and the lock are still what the check saw: a
/// sign-in that was in flight when the password changed, MFA was reset or
/// the account was locked gets no session.
pub async fn sign_in(
    state: &AppState,
    login_id: &LoginId,
    password: Password,
    previous: Option<&Session>,
    client: &Client,
) -> Result<SignIn, AppError> {
    use crate::server::metrics::{self, SignInOutcome};
    let out = start(state, login_id, password, previous, client).await;
    match &out {
        Ok(SignIn::Started {
            stage: Stage::Full, ..
        }) => metrics::sign_in(SignInOutcome::Full),
        Ok(SignIn::Started { .. }) => metrics::sign_in(SignInOutcome::CodeOwed),
        Ok(SignIn::WrongPassword) => metrics::sign_in(SignInOutcome::WrongPassword),
        Ok(SignIn::Blocked(Block::Locked)) => metrics::sign_in(SignInOutcome::Locked),
        Ok(SignIn::Blocked(Block::Disabled | Block::Stopped)) => {
            metrics::sign_in(SignInOutcome::Disabled)
        }
        Err(AppError::Busy) => metrics::sign_in(SignInOutcome::Busy),
        Err(_) => {}
    }
    out
}

async fn start(
    state: &AppState,
    login_id: &LoginId,
    password: Password,
    previous: Option<&Session>,
    client: &Client,
) -> Result<SignIn, AppError> {
    let account = match auth::check_password(state, login_id, password, client).await? {
        PasswordCheck::Accepted(account) => account,
        PasswordCheck::Wrong => return Ok(SignIn::WrongPassword),
        PasswordCheck::Blocked(block) => return Ok(SignIn::Blocked(block)),
    };
    let who = Who {
        user_id: account.user_id,
        login_id: &account.login_id,
        client,
    };
    let full = mfa::full_after_password(state, who, &account.snapshot).await?;
    let stage = if full.is_some() {
        Stage::Full
    } else {
        Stage::Code
    };
    let owner = session::Owner {
        user_id: account.user_id,
        method: full.unwrap_or(Method::Password),
        browser: &client.browser,
        address: client.address.as_deref(),
    };
    let entry = who.entry(Event::SignInSuccess);
    let now = state.clock.now();
    let mut snapshot = account.snapshot;
    // Twice at most: the second time only when `keys reseal` sealed the
    // same MFA secret again meanwhile (new bytes, nothing else changed).
    for last in [false, true] {
        let started =
            session::start(&state.db, owner, stage, &snapshot, previous, &entry, now).await?;
        if let Some(token) = started {
            return Ok(SignIn::Started {
                stage,
                token,
                duty: account.duty,
            });
        }
        match mfa::resealed_meanwhile(state, account.user_id, &snapshot).await? {
            Some(resealed) if !last => snapshot = resealed,
            _ => break,
        }
    }
    tracing::warn!(
        user_id = account.user_id,
        "the account changed during the password check: no session"
    );
    audit::record(state, who, Event::SignInFailure).await?;
    Ok(match lockout::block(state, who).await? {
        Some(block) => SignIn::Blocked(block),
        None => SignIn::WrongPassword,
    })
}

/// Ends the session on the server.
pub async fn sign_out(
    state: &AppState,
    session: &Session,
    client: &Client,
) -> Result<(), AppError> {
    let who = Who::of(session, client);
    let entry = who.entry(Event::SignOut);
    sessions::end(&state.db, &session.id_hash, &entry, state.clock.now()).await?;
    Ok(())
}
