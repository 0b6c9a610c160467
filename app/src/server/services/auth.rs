//! Sign-in and sign-out.

use crate::domain::LoginId;
use crate::error::AppError;
use crate::server::db::users::{self, Counter};
use crate::server::db::{self, audit};
use crate::server::password::PasswordHash;
use crate::server::session::{self, Session, Stage};
use crate::server::{now, AppState};

/// Consecutive wrong passwords (or codes) that lock an account.
pub const LOCK_AFTER: i64 = 10;
/// How long a lock lasts.
pub const LOCK_SECS: i64 = 15 * 60;

fn actor(user_id: Option<i64>, login_id: Option<&str>) -> audit::Actor {
    audit::Actor {
        user_id,
        login_id: login_id.map(str::to_owned),
        actor: "user".to_owned(),
        address: session::client_address(),
    }
}

/// Records an audit event for the signed-in user of this request.
pub async fn record(
    state: &AppState,
    user_id: i64,
    login_id: &str,
    event: audit::Event,
) -> Result<(), AppError> {
    audit::record(
        &state.db,
        &actor(Some(user_id), Some(login_id)),
        event,
        now(),
    )
    .await
    .map_err(db::db_error)
}

/// Checks the password and starts a new session. Returns the stage the
/// session is in: `Code` when the account still owes a one-time code.
// The typed login ID stays out of the span: people type passwords into it.
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn sign_in(
    state: &AppState,
    login_id: &LoginId,
    password: String,
    previous: Option<&Session>,
) -> Result<Stage, AppError> {
    let user = users::find_by_login_id(&state.db, login_id.as_str())
        .await
        .map_err(db::db_error)?;
    let Some(user) = user else {
        verify(state, password, None).await?;
        // What was typed as an unknown ID is not recorded: people type
        // their password into the ID field often enough.
        audit::record(
            &state.db,
            &actor(None, None),
            audit::Event::SignInFailure,
            now(),
        )
        .await
        .map_err(db::db_error)?;
        return Err(AppError::InvalidCredentials);
    };
    tracing::Span::current().record("user_id", user.id);
    let Some(attempt) =
        users::reserve_attempt(&state.db, user.id, Counter::Password, LOCK_AFTER, now())
            .await
            .map_err(db::db_error)?
    else {
        // Locked: no guess is checked, but the answer costs the same time.
        verify(state, password, None).await?;
        let locked = refuse_while_locked(state, user.id, &user.login_id).await?;
        record(state, user.id, &user.login_id, audit::Event::SignInFailure).await?;
        return Err(locked);
    };
    if !verify(state, password, Some(user.password_hash.clone())).await? {
        let answer = if attempt >= LOCK_AFTER {
            lock(state, user.id, &user.login_id).await?;
            AppError::Locked
        } else {
            AppError::InvalidCredentials
        };
        record(state, user.id, &user.login_id, audit::Event::SignInFailure).await?;
        return Err(answer);
    }
    if !users::clear_failures(&state.db, user.id, now())
        .await
        .map_err(db::db_error)?
    {
        return Err(AppError::Locked);
    }
    let stage = super::mfa::stage_after_password(state, user.id, &user.login_id).await?;
    session::start(&state.db, user.id, stage, previous).await?;
    record(state, user.id, &user.login_id, audit::Event::SignInSuccess).await?;
    Ok(stage)
}

async fn verify(
    state: &AppState,
    password: String,
    hash: Option<PasswordHash>,
) -> Result<bool, AppError> {
    state.passwords.verify(password, hash).await.map_err(|err| {
        tracing::error!(error = %err, "password verification failed");
        AppError::Internal
    })
}

/// Locks an account for [`LOCK_SECS`] after [`LOCK_AFTER`] failures in a
/// row, passwords or codes alike. The lock is written before anything else
/// (the audit record can fail; the lock must not be lost with it).
pub async fn lock(state: &AppState, user_id: i64, login_id: &str) -> Result<(), AppError> {
    set_lock(state, user_id, login_id, false).await
}

/// What to do when no attempt could be reserved: the account is locked,
/// or a count is stuck at the limit without a lock, which becomes one now.
pub async fn refuse_while_locked(
    state: &AppState,
    user_id: i64,
    login_id: &str,
) -> Result<AppError, AppError> {
    set_lock(state, user_id, login_id, true).await?;
    Ok(AppError::Locked)
}

async fn set_lock(
    state: &AppState,
    user_id: i64,
    login_id: &str,
    only_if_stuck: bool,
) -> Result<(), AppError> {
    let now = now();
    let locked = users::lock(
        &state.db,
        user_id,
        LOCK_AFTER,
        now + LOCK_SECS,
        now,
        only_if_stuck,
    )
    .await
    .map_err(db::db_error)?;
    if locked {
        tracing::warn!(user_id, "account locked after repeated failures");
        record(state, user_id, login_id, audit::Event::Locked).await?;
    }
    Ok(())
}

/// Ends the session on the server.
pub async fn sign_out(state: &AppState, session: &Session) -> Result<(), AppError> {
    session::end(&state.db, session).await?;
    record(
        state,
        session.user_id,
        &session.login_id,
        audit::Event::SignOut,
    )
    .await
}
