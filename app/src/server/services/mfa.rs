//! Two-step sign-in: setup, the code at sign-in, OFF, remembered devices
//! and the helpdesk's reset.

use super::auth::{lock, record, refuse_while_locked, LOCK_AFTER};
use super::labels::{browser_label, format_jst};
use crate::domain::OtpCode;
use crate::error::{AppError, Field};
use crate::mfa::{Device, MfaStatus, SetupDetails};
use crate::server::db::users::{self, Counter};
use crate::server::db::{self, audit, mfa, Db};
use crate::server::session::{self, Session, Stage, Token};
use crate::server::totp::{self, TotpSecret};
use crate::server::{now, AppState};
use crate::text;

/// A pending setup lasts this long.
pub const SETUP_SECS: i64 = 10 * 60;
/// Wrong codes allowed in one sign-in before the password is asked again.
pub const CODES_PER_SIGN_IN: i64 = 5;
/// "このデバイスを30日間記録する".
pub const REMEMBER_SECS: i64 = 30 * 24 * 60 * 60;
pub const DEVICE_COOKIE: &str = "__Host-autobank_device";

fn unix_now() -> u64 {
    now().max(0) as u64
}

/// The account's active secret, opened, if MFA is on.
async fn active_secret(
    state: &AppState,
    user_id: i64,
) -> Result<(mfa::MfaRow, Option<TotpSecret>), AppError> {
    let row = mfa::find(&state.db, user_id)
        .await
        .map_err(db::db_error)?
        .ok_or(AppError::NotSignedIn)?;
    let secret = match (&row.mfa_enabled_at, &row.mfa_secret) {
        (Some(_), Some(sealed)) => Some(TotpSecret::from_bytes(
            state.secrets.open(user_id, sealed).ok_or_else(|| {
                tracing::error!(user_id, "stored TOTP secret does not open with this key");
                AppError::Internal
            })?,
        )),
        _ => None,
    };
    Ok((row, secret))
}

/// True when MFA is on for the account.
pub async fn is_enabled(state: &AppState, user_id: i64) -> Result<bool, AppError> {
    Ok(mfa::find(&state.db, user_id)
        .await
        .map_err(db::db_error)?
        .is_some_and(|r| r.mfa_enabled_at.is_some()))
}

/// Checks a code against the active secret and consumes its step. The
/// attempt is counted before the check, so parallel requests get no more
/// guesses than the limit; a right code clears the count. A code whose step
/// was already used (a replay) counts as wrong. 10 wrong in a row lock the
/// account, the same lock as for passwords.
async fn check_active_code(state: &AppState, user_id: i64, code: &OtpCode) -> Result<(), AppError> {
    let (row, secret) = active_secret(state, user_id).await?;
    let secret = secret.ok_or(AppError::Forbidden)?;
    let Some(attempt) =
        users::reserve_attempt(&state.db, user_id, Counter::Code, LOCK_AFTER, now())
            .await
            .map_err(db::db_error)?
    else {
        return Err(refuse_while_locked(state, user_id, &row.login_id).await?);
    };
    if let Some(step) = secret.verify(code, unix_now()) {
        if mfa::accept_step(&state.db, user_id, step, now())
            .await
            .map_err(db::db_error)?
        {
            return Ok(());
        }
        tracing::warn!(
            user_id,
            "one-time code replayed, or the account locked meanwhile"
        );
    }
    let answer = if attempt >= LOCK_AFTER {
        lock(state, user_id, &row.login_id).await?;
        AppError::Locked
    } else {
        AppError::InvalidCode
    };
    record(state, user_id, &row.login_id, audit::Event::CodeFailure).await?;
    Err(answer)
}

/// Decides the stage after a right password: `Full` when MFA is off or
/// this browser carries a valid remembered-device token for this user.
pub async fn stage_after_password(
    state: &AppState,
    user_id: i64,
    login_id: &str,
) -> Result<Stage, AppError> {
    if !is_enabled(state, user_id).await? {
        return Ok(Stage::Full);
    }
    let token = session::request_cookie(DEVICE_COOKIE).and_then(|raw| Token::parse(&raw));
    if let Some(token) = token {
        if mfa::use_device(&state.db, user_id, &token.hash(), now())
            .await
            .map_err(db::db_error)?
        {
            record(state, user_id, login_id, audit::Event::DeviceUsed).await?;
            return Ok(Stage::Full);
        }
    }
    Ok(Stage::Code)
}

/// The code step of sign-in. On success the session gets a new ID and is
/// fully signed in; `remember` sets the 30-day device cookie.
#[tracing::instrument(skip(state, session, raw_code), fields(user_id = session.user_id))]
pub async fn verify_sign_in_code(
    state: &AppState,
    session: &Session,
    raw_code: &str,
    remember: bool,
) -> Result<(), AppError> {
    let code = OtpCode::parse(raw_code)?;
    // Counted before the check, like the account's count: a burst of
    // parallel guesses on one half sign-in gets five at most.
    let Some(attempt) =
        mfa::reserve_session_attempt(&state.db, &session.id_hash, CODES_PER_SIGN_IN)
            .await
            .map_err(db::db_error)?
    else {
        session::discard(&state.db, session).await?;
        return Err(AppError::SignInAgain);
    };
    match check_active_code(state, session.user_id, &code).await {
        Ok(()) => {}
        Err(AppError::InvalidCode) if attempt >= CODES_PER_SIGN_IN => {
            session::discard(&state.db, session).await?;
            return Err(AppError::SignInAgain);
        }
        Err(AppError::Locked) => {
            session::discard(&state.db, session).await?;
            return Err(AppError::Locked);
        }
        Err(other) => return Err(other),
    }
    session::promote(&state.db, session).await?;
    record(
        state,
        session.user_id,
        &session.login_id,
        audit::Event::CodeSuccess,
    )
    .await?;
    if remember {
        let token = Token::generate();
        let now = now();
        mfa::remember_device(
            &state.db,
            session.user_id,
            &token.hash(),
            &browser_label(),
            now,
            now + REMEMBER_SECS,
        )
        .await
        .map_err(db::db_error)?;
        session::response_header(
            axum::http::header::SET_COOKIE,
            session::set_cookie(DEVICE_COOKIE, token.expose(), REMEMBER_SECS),
        );
        record(
            state,
            session.user_id,
            &session.login_id,
            audit::Event::DeviceRemembered,
        )
        .await?;
    }
    Ok(())
}

/// What the settings page shows.
pub async fn status(state: &AppState, session: &Session) -> Result<MfaStatus, AppError> {
    let (row, _) = active_secret(state, session.user_id).await?;
    let devices = mfa::devices(&state.db, session.user_id, now())
        .await
        .map_err(db::db_error)?
        .into_iter()
        .map(|d| Device {
            id: d.id,
            label: d.label,
            first_used: format_jst(d.created_at),
            last_used: format_jst(d.last_used_at),
        })
        .collect();
    Ok(MfaStatus {
        enabled_since: row.mfa_enabled_at.map(format_jst),
        devices,
    })
}

/// What pressing `設定` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Applied {
    SetupStarted,
    TurnedOff,
    AlreadyOff,
}

/// `上記を確認しました` + ON/OFF + `設定`. With MFA on, both choices need
/// the current code first: a stolen session alone cannot remove MFA or
/// swap in the thief's phone.
#[tracing::instrument(skip(state, session, current_code), fields(user_id = session.user_id))]
pub async fn apply_setting(
    state: &AppState,
    session: &Session,
    confirmed: bool,
    setting: &str,
    current_code: &str,
) -> Result<Applied, AppError> {
    if !confirmed {
        return Err(AppError::validation(
            Field::Confirm,
            text::ERR_CONFIRM_REQUIRED,
        ));
    }
    let turn_on = match setting {
        "on" => true,
        "off" => false,
        _ => {
            return Err(AppError::validation(
                Field::Setting,
                text::ERR_CHOOSE_SETTING,
            ))
        }
    };
    let enabled = is_enabled(state, session.user_id).await?;
    if !enabled && !turn_on {
        return Ok(Applied::AlreadyOff);
    }
    if enabled {
        check_active_code(state, session.user_id, &OtpCode::parse(current_code)?).await?;
    }
    if turn_on {
        let secret = TotpSecret::generate();
        let sealed = state.secrets.seal(session.user_id, secret.expose());
        let now = now();
        mfa::put_enrollment(&state.db, session.user_id, &sealed, now, now + SETUP_SECS)
            .await
            .map_err(db::db_error)?;
        return Ok(Applied::SetupStarted);
    }
    mfa::disable(&state.db, session.user_id, now(), false)
        .await
        .map_err(db::db_error)?;
    record(
        state,
        session.user_id,
        &session.login_id,
        audit::Event::MfaOff,
    )
    .await?;
    Ok(Applied::TurnedOff)
}

async fn pending_secret(state: &AppState, user_id: i64) -> Result<(Vec<u8>, TotpSecret), AppError> {
    let sealed = mfa::enrollment(&state.db, user_id, now())
        .await
        .map_err(db::db_error)?
        .ok_or(AppError::SetupExpired)?;
    let secret = state.secrets.open(user_id, &sealed).ok_or_else(|| {
        tracing::error!(user_id, "pending TOTP secret does not open with this key");
        AppError::Internal
    })?;
    Ok((sealed, TotpSecret::from_bytes(secret)))
}

/// The QR code and key of the pending setup.
pub async fn setup_details(state: &AppState, session: &Session) -> Result<SetupDetails, AppError> {
    let (_, secret) = pending_secret(state, session.user_id).await?;
    Ok(SetupDetails {
        qr_svg: totp::qr_svg(&secret.otpauth_url(&session.login_id)),
        key: totp::group_in_fours(&secret.base32()),
        account: format!("{}:{}", totp::ISSUER, session.login_id),
    })
}

/// A right code from the new secret turns MFA on (or moves it to the new
/// phone). Until then nothing about the account has changed.
#[tracing::instrument(skip(state, session, raw_code), fields(user_id = session.user_id))]
pub async fn confirm_setup(
    state: &AppState,
    session: &Session,
    raw_code: &str,
) -> Result<(), AppError> {
    let code = OtpCode::parse(raw_code)?;
    let (sealed, secret) = pending_secret(state, session.user_id).await?;
    let Some(step) = secret.verify(&code, unix_now()) else {
        return Err(count_wrong_setup_code(state, session).await?);
    };
    if !mfa::confirm_enrollment(&state.db, session.user_id, &sealed, step, now())
        .await
        .map_err(db::db_error)?
    {
        return Err(AppError::SetupExpired);
    }
    record(
        state,
        session.user_id,
        &session.login_id,
        audit::Event::MfaOn,
    )
    .await
}

/// A wrong code on the setup screen: counted toward the account's lock
/// like any other wrong code. Returns the error to show.
async fn count_wrong_setup_code(state: &AppState, session: &Session) -> Result<AppError, AppError> {
    let attempt =
        users::reserve_attempt(&state.db, session.user_id, Counter::Code, LOCK_AFTER, now())
            .await
            .map_err(db::db_error)?;
    let answer = match attempt {
        Some(n) if n < LOCK_AFTER => AppError::InvalidCode,
        Some(_) => {
            lock(state, session.user_id, &session.login_id).await?;
            AppError::Locked
        }
        None => refuse_while_locked(state, session.user_id, &session.login_id).await?,
    };
    record(
        state,
        session.user_id,
        &session.login_id,
        audit::Event::CodeFailure,
    )
    .await?;
    Ok(answer)
}

/// Forgets one remembered device, or all of them.
pub async fn forget_devices(
    state: &AppState,
    session: &Session,
    device_id: Option<i64>,
) -> Result<(), AppError> {
    let forgotten = mfa::forget_devices(&state.db, session.user_id, device_id)
        .await
        .map_err(db::db_error)?;
    if forgotten > 0 {
        record(
            state,
            session.user_id,
            &session.login_id,
            audit::Event::DeviceForgotten,
        )
        .await?;
    }
    Ok(())
}

/// The helpdesk's answer to a lost phone: MFA off, secret and devices
/// gone, every session of the user ended, and who did it recorded.
pub async fn reset(db: &Db, user_id: i64, operator: &audit::Actor) -> Result<(), sqlx::Error> {
    let now = now();
    mfa::disable(db, user_id, now, true).await?;
    audit::record(db, operator, audit::Event::MfaReset, now).await
}
