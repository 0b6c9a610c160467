//! Two-step sign-in: setup, the code at sign-in, OFF, remembered devices
//! and the helpdesk's reset.

use super::audit::{self, Who};
use super::lockout::{self, AfterWrong, Block, Counter, Reservation};
use super::recovery;
use super::Client;
use crate::domain::{OtpCode, RecoveryCode};
use crate::error::AppError;
use crate::server::clock::format_jst;
use crate::server::crypto::Purpose;
use crate::server::db::users::Snapshot;
use crate::server::db::{self, audit::Event, devices, mfa, Db};
use crate::server::session::{self, Duty, Method, Session, Token};
use crate::server::totp::{self, TotpSecret};
use crate::server::AppState;
use crate::types::{Device, MfaStatus, SetupDetails};

/// A pending setup lasts this long.
pub const SETUP_SECS: i64 = 10 * 60;
/// Wrong codes allowed in one sign-in before the password is asked again.
pub const CODES_PER_SIGN_IN: i64 = 5;
pub use crate::server::session::REMEMBER_SECS;

pub use super::lockout::CodeCheck;

/// What stands in for the phone at the code step.
#[derive(Debug, Clone, Copy)]
pub enum Proof<'a> {
    /// The app's six digits.
    Code(&'a OtpCode),
    /// One of the account's recovery codes.
    Recovery(&'a RecoveryCode),
}

/// What the code step of sign-in decided.
#[derive(Debug)]
pub enum SignInCode {
    /// Fully signed in under a new session; `device` is the remembered-
    /// device token to set when the box was ticked.
    Accepted {
        session: Token,
        device: Option<Token>,
        /// What the session must do first, if anything.
        duty: Option<Duty>,
    },
    Wrong,
    /// Too many wrong codes in this sign-in: it has ended.
    SignInAgain,
    /// The account is locked or disabled: this sign-in has ended.
    Blocked(Block),
}

/// What a code on the setup screen did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmed {
    TurnedOn,
    WrongCode,
    Blocked(Block),
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
    let bytes = state
        .secrets
        .open(Purpose::TotpSecret, user_id, sealed)
        .ok_or_else(|| {
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
pub async fn check_active_code(
    state: &AppState,
    who: Who<'_>,
    code: &OtpCode,
) -> Result<CodeCheck, AppError> {
    let secret = active_secret(state, who.user_id)
        .await?
        .ok_or(AppError::Forbidden)?;
    let attempt = match lockout::reserve(state, who, Counter::Code).await? {
        Reservation::Granted(attempt) => attempt,
        Reservation::Blocked(block) => return Ok(CodeCheck::Blocked(block)),
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
    Ok(
        match lockout::wrong(state, who, attempt, Event::CodeFailure).await? {
            AfterWrong::Counted => CodeCheck::Wrong,
            AfterWrong::Blocked(block) => CodeCheck::Blocked(block),
        },
    )
}

/// Decides what a right password is worth: a full sign-in when MFA was
/// off at the check (`snapshot`) or this browser carries a valid
/// remembered-device token for this user (and how, for the tokens'
/// `amr`); `None` when a code is owed.
pub async fn full_after_password(
    state: &AppState,
    who: Who<'_>,
    snapshot: &Snapshot,
) -> Result<Option<Method>, AppError> {
    if !snapshot.mfa_on() {
        return Ok(Some(Method::Password));
    }
    if let Some(token) = &who.client.device_token {
        let now = state.clock.now();
        if devices::use_device(&state.db, who.user_id, &token.hash(), now).await? {
            audit::record(state, who, Event::DeviceUsed).await?;
            return Ok(Some(Method::RememberedDevice));
        }
    }
    Ok(None)
}

/// The account as it is now, if the only change since `before` is its
/// MFA secret sealed again (`keys reseal`): the same password hash and the
/// same secret under new bytes. None for any other change, which the
/// caller's check must see.
pub async fn resealed_meanwhile(
    state: &AppState,
    user_id: i64,
    before: &Snapshot,
) -> Result<Option<Snapshot>, AppError> {
    let Some(now) = db::users::find_by_id(&state.db, user_id).await? else {
        return Ok(None);
    };
    let now = now.snapshot();
    let (Some(was), Some(is)) = (before.mfa_secret(), now.mfa_secret()) else {
        return Ok(None);
    };
    let open = |sealed| state.secrets.open(Purpose::TotpSecret, user_id, sealed);
    let same = now.password_hash() == before.password_hash()
        && was != is
        && matches!((open(was), open(is)), (Some(a), Some(b)) if a == b);
    Ok(same.then_some(now))
}

/// The code step of sign-in, with the app's code or a recovery code. On
/// success the session gets a new ID and is fully signed in; `remember`
/// makes a 30-day device token.
#[tracing::instrument(skip_all, fields(user_id = session.user_id))]
pub async fn verify_sign_in_code(
    state: &AppState,
    session: &Session,
    proof: Proof<'_>,
    remember: bool,
    client: &Client,
) -> Result<SignInCode, AppError> {
    use crate::server::metrics::{self, CodeOutcome};
    let out = code_step(state, session, proof, remember, client).await;
    match &out {
        Ok(SignInCode::Accepted { .. }) => metrics::code_step(CodeOutcome::Accepted),
        Ok(SignInCode::Wrong) => metrics::code_step(CodeOutcome::Wrong),
        Ok(SignInCode::SignInAgain) => metrics::code_step(CodeOutcome::SignInAgain),
        Ok(SignInCode::Blocked(Block::Locked)) => metrics::code_step(CodeOutcome::Locked),
        Ok(SignInCode::Blocked(Block::Disabled | Block::Stopped)) => {
            metrics::code_step(CodeOutcome::Disabled)
        }
        Err(_) => {}
    }
    out
}

async fn code_step(
    state: &AppState,
    session: &Session,
    proof: Proof<'_>,
    remember: bool,
    client: &Client,
) -> Result<SignInCode, AppError> {
    match proof {
        Proof::Code(code) => app_code_step(state, session, code, remember, client).await,
        Proof::Recovery(code) => recovery_code_step(state, session, code, remember, client).await,
    }
}

/// The device a ticked "remember" box asks for: its token for the cookie,
/// and its record.
struct Remember {
    token: Token,
    hash: String,
    entry: crate::server::db::audit::Entry,
}

impl Remember {
    fn asked(remember: bool, who: Who<'_>) -> Option<Self> {
        remember.then(|| {
            let token = Token::generate();
            Self {
                hash: token.hash(),
                token,
                entry: who.entry(Event::DeviceRemembered),
            }
        })
    }

    fn row<'a>(&'a self, label: &'a str, now: i64) -> devices::NewDevice<'a> {
        devices::NewDevice {
            token_hash: &self.hash,
            label,
            expires_at: now + REMEMBER_SECS,
            entry: &self.entry,
        }
    }
}

/// The app's code: counted, checked and, if right, spent with the new
/// session in one transaction that holds the account's row (see
/// [`mfa::CodeTry`]): one commit where there were four.
async fn app_code_step(
    state: &AppState,
    session: &Session,
    code: &OtpCode,
    remember: bool,
    client: &Client,
) -> Result<SignInCode, AppError> {
    let who = Who::of(session, client);
    let now = state.clock.now();
    let (half, per_sign_in) = (&session.id_hash, CODES_PER_SIGN_IN);
    let tried = match mfa::try_code(
        &state.db,
        who.user_id,
        half,
        lockout::LIMITS,
        per_sign_in,
        now,
    )
    .await?
    {
        mfa::Tried::Counted(tried) => tried,
        // Refused before anything is checked: a right code and a wrong
        // one get the same answer, in the same time.
        mfa::Tried::AccountRefused => {
            let block = lockout::refusal(state, who).await?;
            session::discard(&state.db, session).await?;
            return Ok(SignInCode::Blocked(block));
        }
        mfa::Tried::SignInOver => {
            session::discard(&state.db, session).await?;
            return Ok(SignInCode::SignInAgain);
        }
    };
    // MFA turned off meanwhile: dropping `tried` keeps nothing.
    let sealed = tried.sealed.as_deref().ok_or(AppError::Forbidden)?;
    let step = open(state, who.user_id, sealed)?.verify(code, unix_now(state));
    let fresh = step.filter(|step| tried.last_step.is_none_or(|last| last < *step));
    if let Some(step) = fresh {
        let next = session::Successor::new(Method::Code);
        let device = Remember::asked(remember, who);
        let device_row = device.as_ref().map(|d| d.row(&client.browser, now));
        let entry = who.entry(Event::CodeSuccess);
        let spent = tried.spend(step, next.row(), &entry, device_row.as_ref(), now);
        if spent.await? {
            // The duty as read with the session at this request's start
            // (the account's row is joined to it): every later request
            // reads it again.
            return Ok(SignInCode::Accepted {
                session: next.token,
                device: device.map(|d| d.token),
                duty: session.duty,
            });
        }
        // Not expected (the row and the half sign-in were taken and
        // counted in this transaction); nothing was kept.
        tracing::error!(user_id = who.user_id, "a right code could not be spent");
        return Err(AppError::Internal);
    }
    if step.is_some() {
        tracing::warn!(user_id = who.user_id, "one-time code replayed");
    }
    let (attempt, in_sign_in) = (tried.attempt, tried.in_sign_in);
    let quiet = lockout::locks_nothing(attempt);
    let failure = who.entry(Event::CodeFailure);
    let last = in_sign_in >= CODES_PER_SIGN_IN;
    tried.wrong(quiet.then_some(&failure), last, now).await?;
    let checked = if quiet {
        CodeCheck::Wrong
    } else {
        match lockout::wrong(state, who, attempt, Event::CodeFailure).await? {
            AfterWrong::Counted => CodeCheck::Wrong,
            AfterWrong::Blocked(block) => CodeCheck::Blocked(block),
        }
    };
    if last && checked == CodeCheck::Wrong {
        // Ended in the same commit as its last count.
        return Ok(SignInCode::SignInAgain);
    }
    after_wrong(state, session, checked, in_sign_in).await
}

/// What a code that was not accepted ends: the fifth wrong one, or a lock,
/// ends the half sign-in.
async fn after_wrong(
    state: &AppState,
    session: &Session,
    checked: CodeCheck,
    in_sign_in: i64,
) -> Result<SignInCode, AppError> {
    let answer = match checked {
        CodeCheck::Wrong if in_sign_in < CODES_PER_SIGN_IN => return Ok(SignInCode::Wrong),
        CodeCheck::Accepted | CodeCheck::Wrong => SignInCode::SignInAgain,
        CodeCheck::Blocked(block) => SignInCode::Blocked(block),
    };
    session::discard(&state.db, session).await?;
    Ok(answer)
}

/// A recovery code: its check hashes (argon2), so it runs outside any
/// transaction, between the counts that come before it and the promotion
/// after it.
async fn recovery_code_step(
    state: &AppState,
    session: &Session,
    code: &RecoveryCode,
    remember: bool,
    client: &Client,
) -> Result<SignInCode, AppError> {
    // Counted before the check, like the account's count: a burst of
    // parallel guesses on one half sign-in gets five at most.
    let (db, half) = (&state.db, &session.id_hash);
    let Some(attempt) =
        mfa::reserve_session_attempt(db, session.user_id, half, CODES_PER_SIGN_IN).await?
    else {
        session::discard(&state.db, session).await?;
        return Ok(SignInCode::SignInAgain);
    };
    let who = Who::of(session, client);
    let checked = recovery::check(state, who, code).await?;
    if checked != CodeCheck::Accepted {
        return after_wrong(state, session, checked, attempt).await;
    }
    let now = state.clock.now();
    let device = Remember::asked(remember, who);
    let device_row = device.as_ref().map(|d| d.row(&client.browser, now));
    let entry = who.entry(Event::CodeSuccess);
    let full = session::promote(
        db,
        session,
        Method::RecoveryCode,
        CODES_PER_SIGN_IN,
        &entry,
        device_row.as_ref(),
        now,
    )
    .await?;
    Ok(SignInCode::Accepted {
        session: full,
        device: device.map(|d| d.token),
        duty: session.duty,
    })
}

/// What the settings page shows.
pub async fn status(state: &AppState, session: &Session) -> Result<MfaStatus, AppError> {
    let row = mfa::find(&state.db, session.user_id)
        .await?
        .ok_or(AppError::NotSignedIn)?;
    let devices = devices::devices(&state.db, session.user_id, state.clock.now())
        .await?
        .into_iter()
        .map(|d| Device {
            id: d.id,
            label: d.label,
            first_used: format_jst(d.created_at),
            last_used: format_jst(d.last_used_at),
        })
        .collect();
    let recovery_left = match row.mfa_enabled_at {
        Some(_) => Some(recovery::left(state, session.user_id).await?),
        None => None,
    };
    let new_recovery_codes = recovery::take_shown(state, session)
        .await?
        .map(crate::types::RecoveryCodes);
    Ok(MfaStatus {
        required: session.duty == Some(Duty::SetUpMfa),
        staff: session.role.is_staff(),
        recovery_left,
        new_recovery_codes,
        enabled_since: row.mfa_enabled_at.map(format_jst),
        devices,
        browsers: Vec::new(),
    })
}

/// Starts a setup that only this session sees and confirms: MFA stays as
/// it is until a code from the new secret confirms it. The caller has
/// checked that the account holder is at the keyboard.
pub async fn start_setup(state: &AppState, session: &Session) -> Result<(), AppError> {
    let now = state.clock.now();
    let secret = TotpSecret::generate();
    let sealed = state
        .secrets
        .seal(Purpose::TotpSecret, session.user_id, secret.expose());
    mfa::put_enrollment(
        &state.db,
        session.user_id,
        &session.id_hash,
        &sealed,
        now,
        now + SETUP_SECS,
    )
    .await?;
    Ok(())
}

/// Turns MFA off and ends the user's other sessions. The caller has
/// checked the current code.
pub async fn turn_off(
    state: &AppState,
    session: &Session,
    client: &Client,
) -> Result<(), AppError> {
    let entry = Who::of(session, client).entry(Event::MfaOff);
    mfa::disable(
        &state.db,
        session.user_id,
        &session.id_hash,
        &entry,
        state.clock.now(),
    )
    .await?;
    Ok(())
}

async fn pending_secret(state: &AppState, session: &Session) -> Result<TotpSecret, AppError> {
    let sealed = mfa::enrollment(
        &state.db,
        session.user_id,
        &session.id_hash,
        state.clock.now(),
    )
    .await?
    .ok_or(AppError::SetupExpired)?;
    open(state, session.user_id, &sealed)
}

/// The QR code and key of the pending setup.
pub async fn setup_details(state: &AppState, session: &Session) -> Result<SetupDetails, AppError> {
    let secret = pending_secret(state, session).await?;
    let otpauth_url = secret.otpauth_url(&session.login_id);
    Ok(SetupDetails {
        qr_svg: totp::qr_svg(&otpauth_url),
        otpauth_url,
        key: totp::group_in_fours(&secret.base32()),
        account: format!("{}:{}", totp::ISSUER, session.login_id),
    })
}

/// A right code from the new secret turns MFA on (or moves it to the new
/// phone) and ends the user's other sessions. Until then nothing about the
/// account has changed. A wrong code here counts toward the account's lock
/// like any other.
#[tracing::instrument(skip_all, fields(user_id = session.user_id))]
pub async fn confirm_setup(
    state: &AppState,
    session: &Session,
    code: &OtpCode,
    client: &Client,
) -> Result<Confirmed, AppError> {
    let secret = pending_secret(state, session).await?;
    let who = Who::of(session, client);
    let attempt = match lockout::reserve(state, who, Counter::Code).await? {
        Reservation::Granted(attempt) => attempt,
        Reservation::Blocked(block) => return Ok(Confirmed::Blocked(block)),
    };
    let Some(step) = secret.verify(code, unix_now(state)) else {
        return Ok(
            match lockout::wrong(state, who, attempt, Event::CodeFailure).await? {
                AfterWrong::Counted => Confirmed::WrongCode,
                AfterWrong::Blocked(block) => Confirmed::Blocked(block),
            },
        );
    };
    let entry = who.entry(Event::MfaOn);
    let now = state.clock.now();
    let codes = recovery::new_set(state, session.user_id);
    if !mfa::confirm_enrollment(
        &state.db,
        session.user_id,
        &session.id_hash,
        |moved| open(state, session.user_id, moved).is_ok_and(|m| m.base32() == secret.base32()),
        step,
        &codes.hashes,
        &entry,
        now,
    )
    .await?
    {
        return Err(match lockout::block(state, who).await? {
            Some(block) => block.into(),
            None => AppError::SetupExpired,
        });
    }
    recovery::show_once(state, session, &codes).await?;
    Ok(Confirmed::TurnedOn)
}

/// Forgets one remembered device, or all of them.
pub async fn forget_devices(
    state: &AppState,
    session: &Session,
    device_id: Option<i64>,
    client: &Client,
) -> Result<(), AppError> {
    let entry = Who::of(session, client).entry(Event::DeviceForgotten);
    devices::forget_devices(
        &state.db,
        session.user_id,
        device_id,
        &entry,
        state.clock.now(),
    )
    .await?;
    Ok(())
}

/// The helpdesk's answer to a lost phone: MFA off, secret and devices
/// gone, every session of the user ended, and `entry` recorded, all in one
/// transaction, if what the check saw (`seen`) still holds. The console
/// and the command line both come here. False when nothing changed.
pub async fn reset(
    db: &Db,
    seen: &db::change::Seen,
    user_id: i64,
    entry: &db::audit::Entry,
    now: i64,
) -> Result<bool, sqlx::Error> {
    mfa::reset(db, seen, user_id, entry, now).await
}
