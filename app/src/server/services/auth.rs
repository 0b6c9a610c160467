//! Sign-in and sign-out.

use crate::domain::LoginId;
use crate::error::AppError;
use crate::server::db::{self, audit, users};
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
#[tracing::instrument(skip(state, password, previous), fields(user_id))]
pub async fn sign_in(
    state: &AppState,
    login_id: &LoginId,
    password: String,
    previous: Option<&Session>,
) -> Result<Stage, AppError> {
    let user = users::find_by_login_id(&state.db, login_id.as_str())
        .await
        .map_err(db::db_error)?;
    let now = now();
    if let Some(user) = &user {
        tracing::Span::current().record("user_id", user.id);
        if user.locked_until.is_some_and(|until| until > now) {
            record(state, user.id, &user.login_id, audit::Event::SignInFailure).await?;
            return Err(AppError::Locked);
        }
    }
    let ok = state
        .passwords
        .verify(password, user.as_ref().map(|u| u.password_hash.clone()))
        .await
        .map_err(|err| {
            tracing::error!(error = %err, "password verification failed");
            AppError::Internal
        })?;
    let user = match user {
        Some(user) if ok => user,
        other => return Err(wrong_password(state, user_if_known(&other), now).await?),
    };
    users::clear_failures(&state.db, user.id)
        .await
        .map_err(db::db_error)?;
    let stage = super::mfa::stage_after_password(state, user.id, &user.login_id).await?;
    session::start(&state.db, user.id, stage, previous).await?;
    record(state, user.id, &user.login_id, audit::Event::SignInSuccess).await?;
    Ok(stage)
}

fn user_if_known(user: &Option<users::UserRow>) -> Option<(i64, String)> {
    user.as_ref().map(|u| (u.id, u.login_id.clone()))
}

/// Counts a failure against a known account and says what to tell the user.
async fn wrong_password(
    state: &AppState,
    user: Option<(i64, String)>,
    now: i64,
) -> Result<AppError, AppError> {
    let Some((user_id, login_id)) = user else {
        // What was typed as an unknown ID is not recorded: people type
        // their password into the ID field often enough.
        audit::record(
            &state.db,
            &actor(None, None),
            audit::Event::SignInFailure,
            now,
        )
        .await
        .map_err(db::db_error)?;
        return Ok(AppError::InvalidCredentials);
    };
    record(state, user_id, &login_id, audit::Event::SignInFailure).await?;
    count_failure(state, user_id, &login_id, now).await
}

/// One more consecutive failure (password or code) for an account; locks
/// it at the limit. Returns the error to show.
pub async fn count_failure(
    state: &AppState,
    user_id: i64,
    login_id: &str,
    now: i64,
) -> Result<AppError, AppError> {
    let locked = users::record_failure(&state.db, user_id, LOCK_AFTER, now + LOCK_SECS)
        .await
        .map_err(db::db_error)?;
    if locked.is_some() {
        tracing::warn!(user_id, "account locked after repeated failures");
        record(state, user_id, login_id, audit::Event::Locked).await?;
        return Ok(AppError::Locked);
    }
    Ok(AppError::InvalidCredentials)
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

/// Sets a new password, ends every session of the user and forgets their
/// remembered devices, so a password change throws out whoever had the old one.
pub async fn change_password(
    db: &crate::server::db::Db,
    user_id: i64,
    hash: &crate::server::password::PasswordHash,
) -> Result<(), sqlx::Error> {
    users::set_password(db, user_id, hash, now()).await?;
    crate::server::db::sessions::delete_for_user(db, user_id).await?;
    crate::server::db::mfa::forget_devices(db, user_id, None).await?;
    Ok(())
}
