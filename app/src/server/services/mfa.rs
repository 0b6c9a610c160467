//! Two-step sign-in: setup, the code at sign-in, OFF, remembered devices
//! and the helpdesk's reset.

use super::audit::{self, Who};
use super::lockout::{self, AfterWrong, Counter, Reservation};
use super::Client;
use crate::domain::OtpCode;
use crate::error::{AppError, Field, Problem};
use crate::server::clock::format_jst;
use crate::server::db::{self, audit::Event, mfa, Db};
use crate::server::session::{self, Session, Stage, Token};
use crate::server::totp::{self, TotpSecret};
use crate::server::AppState;
use crate::types::{Device, MfaStatus, SetupDetails};

/// A pending setup lasts this long.
pub const SETUP_SECS: i64 = 10 * 60;
/// Wrong codes allowed in one sign-in before the password is asked again.
pub const CODES_PER_SIGN_IN: i64 = 5;
/// "このデバイスを30日間記録する".
pub const REMEMBER_SECS: i64 = 30 * 24 * 60 * 60;

/// What checking a code against the account's active secret decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// Right, and its step not used before: consumed now.
    Accepted,
    /// Wrong (or replayed): counted toward the account's lock.
    Wrong,
    /// The account is locked (now, or already).
    Locked,
}

/// What the code step of sign-in decided.
#[derive(Debug)]
pub enum SignInCode {
    /// Fully signed in under a new session; `device` is the remembered-
    /// device token to set when the box was ticked.
    Accepted {
        session: Token,
        device: Option<Token>,
    },
    Wrong,
    /// Too many wrong codes in this sign-in: it has ended.
    SignInAgain,
    /// The account is locked: this sign-in has ended.
    Locked,
}

/// What pressing `設定` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    SetupStarted,
    TurnedOff,
    AlreadyOff,
    /// MFA is on and the current code was wrong: nothing changed.
    WrongCode,
    Locked,
}

/// What a code on the setup screen did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmed {
    TurnedOn,
    WrongCode,
    Locked,
}

fn who<'a>(session: &'a Session, client: &'a Client) -> Who<'a> {
    Who {
        user_id: session.user_id,
        login_id: &session.login_id,
        client,
    }
}

fn unix_now(state: &AppState) -> u64 {
    state.clock.now().max(0) as u64
}

/// The account's active secret, opened, if MFA is on.
async fn active_secret(state: &AppState, user_id: i64) -> Result<Option<TotpSecret>, AppError> {
    let row = mfa::find(&state.db, user_id)
        .await?
        .ok_or(AppError::NotSignedIn)?;
    match (row.mfa_enabled_at, row.mfa_secret) {
        (Some(_), Some(sealed)) => Ok(Some(open(state, user_id, &sealed)?)),
        _ => Ok(None),
    }
}

fn open(state: &AppState, user_id: i64, sealed: &[u8]) -> Result<TotpSecret, AppError> {
    let bytes = state.secrets.open(user_id, sealed).ok_or_else(|| {
        tracing::error!(user_id, "stored TOTP secret does not open with this key");
        AppError::Internal
    })?;
    Ok(TotpSecret::from_bytes(bytes))
}

/// True when MFA is on for the account.
pub async fn is_enabled(db: &Db, user_id: i64) -> Result<bool, AppError> {
    Ok(mfa::find(db, user_id)
        .await?
        .is_some_and(|r| r.mfa_enabled_at.is_some()))
}

/// Checks a code against the active secret and consumes its step. The
/// attempt is counted before the check; a right code clears the count. A
/// code whose step was already used (a replay) counts as wrong.
async fn check_active_code(
    state: &AppState,
    who: Who<'_>,
    code: &OtpCode,
) -> Result<CodeCheck, AppError> {
    let secret = active_secret(state, who.user_id)
        .await?
        .ok_or(AppError::Forbidden)?;
    let Reservation::Granted { attempt } = lockout::reserve(state, who, Counter::Code).await?
    else {
        return Ok(CodeCheck::Locked);
    };
    if let Some(step) = secret.verify(code, unix_now(state)) {
        if mfa::accept_step(&state.db, who.user_id, step, state.clock.now()).await? {
            return Ok(CodeCheck::Accepted);
        }
        tracing::warn!(
            user_id = who.user_id,
            "one-time code replayed, or the account locked meanwhile"
        );
    }
    let after = lockout::wrong(state, who, attempt).await?;
    audit::record(state, who, Event::CodeFailure).await?;
    Ok(match after {
        AfterWrong::Counted => CodeCheck::Wrong,
        AfterWrong::Locked => CodeCheck::Locked,
    })
}

/// Decides the stage after a right password: `Full` when MFA is off or
/// this browser carries a valid remembered-device token for this user.
pub async fn stage_after_password(state: &AppState, who: Who<'_>) -> Result<Stage, AppError> {
    if !is_enabled(&state.db, who.user_id).await? {
        return Ok(Stage::Full);
    }
    if let Some(token) = &who.client.device_token {
        let now = state.clock.now();
        if mfa::use_device(&state.db, who.user_id, &token.hash(), now).await? {
            audit::record(state, who, Event::DeviceUsed).await?;
            return Ok(Stage::Full);
        }
    }
    Ok(Stage::Code)
}

/// The code step of sign-in. On success the session gets a new ID and is
/// fully signed in; `remember` makes a 30-day device token.
#[tracing::instrument(skip_all, fields(user_id = session.user_id))]
pub async fn verify_sign_in_code(
    state: &AppState,
    session: &Session,
    code: &OtpCode,
    remember: bool,
    client: &Client,
) -> Result<SignInCode, AppError> {
    // Counted before the check, like the account's count: a burst of
    // parallel guesses on one half sign-in gets five at most.
    let Some(attempt) =
        mfa::reserve_session_attempt(&state.db, &session.id_hash, CODES_PER_SIGN_IN).await?
    else {
        session::discard(&state.db, session).await?;
        return Ok(SignInCode::SignInAgain);
    };
    let who = who(session, client);
    match check_active_code(state, who, code).await? {
        CodeCheck::Accepted => {}
        CodeCheck::Wrong if attempt >= CODES_PER_SIGN_IN => {
            session::discard(&state.db, session).await?;
            return Ok(SignInCode::SignInAgain);
        }
        CodeCheck::Wrong => return Ok(SignInCode::Wrong),
        CodeCheck::Locked => {
            session::discard(&state.db, session).await?;
            return Ok(SignInCode::Locked);
        }
    }
    let now = state.clock.now();
    let full = session::promote(&state.db, session, now).await?;
    audit::record(state, who, Event::CodeSuccess).await?;
    let device = if remember {
        let token = Token::generate();
        mfa::remember_device(
            &state.db,
            session.user_id,
            &token.hash(),
            &client.browser,
            now,
            now + REMEMBER_SECS,
        )
        .await?;
        audit::record(state, who, Event::DeviceRemembered).await?;
        Some(token)
    } else {
        None
    };
    Ok(SignInCode::Accepted {
        session: full,
        device,
    })
}

/// What the settings page shows.
pub async fn status(state: &AppState, session: &Session) -> Result<MfaStatus, AppError> {
    let row = mfa::find(&state.db, session.user_id)
        .await?
        .ok_or(AppError::NotSignedIn)?;
    let devices = mfa::devices(&state.db, session.user_id, state.clock.now())
        .await?
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

/// `上記を確認しました` + ON/OFF + `設定`. With MFA on, both choices need
/// the current code first: a stolen session alone cannot remove MFA or
/// swap in the thief's phone.
#[tracing::instrument(skip_all, fields(user_id = session.user_id))]
pub async fn apply_setting(
    state: &AppState,
    session: &Session,
    confirmed: bool,
    setting: &str,
    current_code: &str,
    client: &Client,
) -> Result<Applied, AppError> {
    if !confirmed {
        return Err(AppError::validation(
            Field::Confirm,
            Problem::ConfirmRequired,
        ));
    }
    let turn_on = match setting {
        "on" => true,
        "off" => false,
        _ => {
            return Err(AppError::validation(
                Field::Setting,
                Problem::SettingRequired,
            ))
        }
    };
    let enabled = is_enabled(&state.db, session.user_id).await?;
    if !enabled && !turn_on {
        return Ok(Applied::AlreadyOff);
    }
    let who = who(session, client);
    if enabled {
        match check_active_code(state, who, &OtpCode::parse(current_code)?).await? {
            CodeCheck::Accepted => {}
            CodeCheck::Wrong => return Ok(Applied::WrongCode),
            CodeCheck::Locked => return Ok(Applied::Locked),
        }
    }
    let now = state.clock.now();
    if turn_on {
        let secret = TotpSecret::generate();
        let sealed = state.secrets.seal(session.user_id, secret.expose());
        mfa::put_enrollment(&state.db, session.user_id, &sealed, now, now + SETUP_SECS).await?;
        return Ok(Applied::SetupStarted);
    }
    mfa::disable(&state.db, session.user_id, now).await?;
    audit::record(state, who, Event::MfaOff).await?;
    Ok(Applied::TurnedOff)
}

async fn pending_secret(state: &AppState, user_id: i64) -> Result<(Vec<u8>, TotpSecret), AppError> {
    let sealed = mfa::enrollment(&state.db, user_id, state.clock.now())
        .await?
        .ok_or(AppError::SetupExpired)?;
    let secret = open(state, user_id, &sealed)?;
    Ok((sealed, secret))
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
/// phone). Until then nothing about the account has changed. A wrong code
/// here counts toward the account's lock like any other.
#[tracing::instrument(skip_all, fields(user_id = session.user_id))]
pub async fn confirm_setup(
    state: &AppState,
    session: &Session,
    code: &OtpCode,
    client: &Client,
) -> Result<Confirmed, AppError> {
    let (sealed, secret) = pending_secret(state, session.user_id).await?;
    let who = who(session, client);
    let Some(step) = secret.verify(code, unix_now(state)) else {
        let after = match lockout::reserve(state, who, Counter::Code).await? {
            Reservation::Granted { attempt } => lockout::wrong(state, who, attempt).await?,
            Reservation::Locked => AfterWrong::Locked,
        };
        audit::record(state, who, Event::CodeFailure).await?;
        return Ok(match after {
            AfterWrong::Counted => Confirmed::WrongCode,
            AfterWrong::Locked => Confirmed::Locked,
        });
    };
    let now = state.clock.now();
    if !mfa::confirm_enrollment(&state.db, session.user_id, &sealed, step, now).await? {
        return Err(AppError::SetupExpired);
    }
    audit::record(state, who, Event::MfaOn).await?;
    Ok(Confirmed::TurnedOn)
}

/// Forgets one remembered device, or all of them.
pub async fn forget_devices(
    state: &AppState,
    session: &Session,
    device_id: Option<i64>,
    client: &Client,
) -> Result<(), AppError> {
    let forgotten = mfa::forget_devices(&state.db, session.user_id, device_id).await?;
    if forgotten > 0 {
        audit::record(state, who(session, client), Event::DeviceForgotten).await?;
    }
    Ok(())
}

/// The helpdesk's answer to a lost phone: MFA off, secret and devices
/// gone, every session of the user ended, and who did it recorded.
pub async fn reset(
    db: &Db,
    user_id: i64,
    operator: &db::audit::Actor,
    now: i64,
) -> Result<(), sqlx::Error> {
    mfa::reset(db, user_id, now).await?;
    db::audit::record(db, operator, Event::MfaReset, now).await
}
