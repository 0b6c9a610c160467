//! Signing in and out: the password step (`auth`), then whether a code is
//! owed (`mfa`), then a new session.

use super::audit::{self, Who};
use super::auth::{self, PasswordCheck};
use super::{mfa, Client};
use crate::domain::{LoginId, Password};
use crate::error::AppError;
use crate::server::db::audit::Event;
use crate::server::session::{self, Session, Stage, Token};
use crate::server::AppState;

/// What a sign-in decided.
#[derive(Debug)]
pub enum SignIn {
    /// A new session in `stage`; its token goes into the cookie.
    Started {
        stage: Stage,
        token: Token,
    },
    WrongPassword,
    Locked,
}

/// Checks the password and starts a new session (a new ID every time),
/// ending `previous`. The session owes a code when MFA is on and this
/// browser is not remembered for the account.
pub async fn sign_in(
    state: &AppState,
    login_id: &LoginId,
    password: Password,
    previous: Option<&Session>,
    client: &Client,
) -> Result<SignIn, AppError> {
    let account = match auth::check_password(state, login_id, password, client).await? {
        PasswordCheck::Accepted(account) => account,
        PasswordCheck::Wrong => return Ok(SignIn::WrongPassword),
        PasswordCheck::Locked => return Ok(SignIn::Locked),
    };
    let who = Who {
        user_id: account.user_id,
        login_id: &account.login_id,
        client,
    };
    let stage = mfa::stage_after_password(state, who).await?;
    let token = session::start(
        &state.db,
        account.user_id,
        stage,
        previous,
        state.clock.now(),
    )
    .await?;
    audit::record(state, who, Event::SignInSuccess).await?;
    Ok(SignIn::Started { stage, token })
}

/// Ends the session on the server.
pub async fn sign_out(
    state: &AppState,
    session: &Session,
    client: &Client,
) -> Result<(), AppError> {
    session::discard(&state.db, session).await?;
    let who = Who {
        user_id: session.user_id,
        login_id: &session.login_id,
        client,
    };
    audit::record(state, who, Event::SignOut).await
}
