//! The account's changes that need the account holder, put together from
//! `auth` (the password) and `mfa` (the code): turning MFA on or off, the
//! list of signed-in browsers, and changing the password.

use super::audit::Who;
use super::auth::{self, Guess};
use super::lockout::Block;
use super::mfa::{self, CodeCheck};
use super::recovery;
use super::Client;
use crate::domain::{OtpCode, Password};
use crate::error::{AppError, Field, Problem};
use crate::server::clock::format_jst;
use crate::server::db::{audit::Event, sessions, users};
use crate::server::password::check_policy;
use crate::server::session::{Duty, Session, ABSOLUTE_SECS, IDLE_SECS};
use crate::server::AppState;
use crate::types::{MenuInfo, PasswordFormKind, SignedInBrowser};

/// What pressing `設定` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    SetupStarted,
    TurnedOff,
    AlreadyOff,
    /// MFA is on and the current code was wrong: nothing changed.
    WrongCode,
    /// MFA is off and the password was wrong: nothing changed.
    WrongPassword,
    Blocked(Block),
}

/// What the form sent.
/// No `Debug`: it holds a password or a code.
pub struct SettingForm<'a> {
    pub confirmed: bool,
    pub setting: &'a str,
    pub current_code: &'a str,
    pub password: &'a str,
}

/// `上記を確認しました` + ON/OFF + `設定`. Whoever presses it must show
/// they are the account holder, not just someone with the session: with
/// MFA on, by the current code (for OFF and for a new phone alike); with
/// MFA off, by the password (ASVS 7.5.1). A stolen session alone can
/// neither remove MFA nor put the thief's phone on the account.
#[tracing::instrument(skip_all, fields(user_id = session.user_id))]
pub async fn apply(
    state: &AppState,
    session: &Session,
    form: SettingForm<'_>,
    client: &Client,
) -> Result<Applied, AppError> {
    if !form.confirmed {
        return Err(AppError::validation(
            Field::Confirm,
            Problem::ConfirmRequired,
        ));
    }
    let turn_on = match form.setting {
        "on" => true,
        "off" => false,
        _ => {
            return Err(AppError::validation(
                Field::Setting,
                Problem::SettingRequired,
            ))
        }
    };
    if !turn_on && session.role.is_staff() {
        return Err(AppError::validation(Field::Setting, Problem::StaffKeepMfa));
    }
    let enabled = mfa::is_enabled(&state.db, session.user_id).await?;
    if !enabled && !turn_on {
        return Ok(Applied::AlreadyOff);
    }
    let who = Who::of(session, client);
    if enabled {
        let code = OtpCode::parse(form.current_code)?;
        match mfa::check_active_code(state, who, &code).await? {
            CodeCheck::Accepted => {}
            CodeCheck::Wrong => return Ok(Applied::WrongCode),
            CodeCheck::Blocked(block) => return Ok(Applied::Blocked(block)),
        }
    } else {
        let password = Password::parse(form.password)?;
        match auth::reenter_password(state, who, password).await? {
            Guess::Right => {}
            Guess::Wrong => return Ok(Applied::WrongPassword),
            Guess::Blocked(block) => return Ok(Applied::Blocked(block)),
        }
    }
    if turn_on {
        mfa::start_setup(state, session).await?;
        Ok(Applied::SetupStarted)
    } else {
        mfa::turn_off(state, session, client).await?;
        Ok(Applied::TurnedOff)
    }
}

/// The user's signed-in browsers, this one first.
pub async fn browsers(
    state: &AppState,
    session: &Session,
) -> Result<Vec<SignedInBrowser>, AppError> {
    let now = state.clock.now();
    let mut rows = sessions::browsers(
        &state.db,
        session.user_id,
        now - IDLE_SECS,
        now - ABSOLUTE_SECS,
    )
    .await?;
    rows.sort_by_key(|row| row.handle != session.handle);
    Ok(rows
        .into_iter()
        .map(|row| SignedInBrowser {
            current: row.handle == session.handle,
            browser: row.browser,
            address: row.address.unwrap_or_default(),
            since: format_jst(row.created_at),
            last_seen: format_jst(row.last_seen_at),
            handle: row.handle,
        })
        .collect())
}

/// Ends one of the user's sessions (`Some(handle)`), or all but this one.
pub async fn end_sessions(
    state: &AppState,
    session: &Session,
    handle: Option<&str>,
    client: &Client,
) -> Result<(), AppError> {
    let who = Who::of(session, client);
    let now = state.clock.now();
    match handle {
        // This browser signs out through the header's button instead.
        Some(handle) if handle == session.handle => Err(AppError::Forbidden),
        Some(handle) => {
            let entry = who.entry(Event::SessionEnded);
            sessions::end_by_handle(&state.db, session.user_id, handle, &entry, now).await?;
            Ok(())
        }
        None => {
            let entry = who.entry(Event::OtherSessionsEnded);
            sessions::end_others(&state.db, session.user_id, &session.id_hash, &entry, now).await?;
            Ok(())
        }
    }
}

/// What the password form sent.
/// No `Debug`: it holds a password or a code.
pub struct PasswordForm<'a> {
    pub current_password: &'a str,
    pub current_code: &'a str,
    pub new_password: &'a str,
    pub new_password_again: &'a str,
}

/// What changing the password decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordChange {
    Changed,
    WrongPassword,
    WrongCode,
    Blocked(Block),
}

/// Changes the signed-in user's own password: the current password, and
/// the current code when MFA is on, then a new one under the policy. The
/// other sessions end and remembered devices are forgotten, as with the
/// helpdesk's `user set-password`; this session stays. A session that
/// signed in with a temporary password (minutes ago, with the code if MFA
/// is on) is asked for the new one only.
#[tracing::instrument(skip_all, fields(user_id = session.user_id))]
pub async fn change_password(
    state: &AppState,
    session: &Session,
    form: PasswordForm<'_>,
    client: &Client,
) -> Result<PasswordChange, AppError> {
    let kind = password_form(state, session).await?;
    let current = if kind.temporary {
        None
    } else {
        Some(Password::parse(form.current_password)?)
    };
    if form.new_password.is_empty() {
        return Err(AppError::validation(
            Field::NewPassword,
            Problem::PasswordRequired,
        ));
    }
    let new_password = Password::parse(form.new_password)
        .map_err(|_| AppError::validation(Field::NewPassword, Problem::PasswordTooLong))?;
    if form.new_password != form.new_password_again {
        return Err(AppError::validation(
            Field::NewPasswordAgain,
            Problem::PasswordsDiffer,
        ));
    }
    let user = users::find_by_id(&state.db, session.user_id)
        .await?
        .ok_or(AppError::NotSignedIn)?;
    check_policy(new_password.expose(), &[&user.login_id, &user.display_name])
        .map_err(|problem| AppError::validation(Field::NewPassword, problem))?;
    let code = if kind.needs_code {
        Some(OtpCode::parse(form.current_code)?)
    } else {
        None
    };

    let who = Who::of(session, client);
    if let Some(current) = current {
        match auth::reenter_password(state, who, current).await? {
            Guess::Right => {}
            Guess::Wrong => return Ok(PasswordChange::WrongPassword),
            Guess::Blocked(block) => return Ok(PasswordChange::Blocked(block)),
        }
    }
    if let Some(code) = code {
        match mfa::check_active_code(state, who, &code).await? {
            CodeCheck::Accepted => {}
            CodeCheck::Wrong => return Ok(PasswordChange::WrongCode),
            CodeCheck::Blocked(block) => return Ok(PasswordChange::Blocked(block)),
        }
    }
    let hash = state.passwords.hash(new_password).await?;
    let entry = who.entry(Event::PasswordChanged);
    users::set_password(
        &state.db,
        session.user_id,
        &hash,
        Some(&session.id_hash),
        state.clock.now(),
        &entry,
    )
    .await?;
    Ok(PasswordChange::Changed)
}

/// What the password form asks for.
pub async fn password_form(
    state: &AppState,
    session: &Session,
) -> Result<PasswordFormKind, AppError> {
    let temporary = session.duty == Some(Duty::ChangePassword);
    Ok(PasswordFormKind {
        temporary,
        needs_code: !temporary && mfa::is_enabled(&state.db, session.user_id).await?,
    })
}

/// `新しいリカバリーコードを発行する`: with the current code, a new set of
/// recovery codes, shown once; the old set is void.
#[tracing::instrument(skip_all, fields(user_id = session.user_id))]
pub async fn new_recovery_codes(
    state: &AppState,
    session: &Session,
    current_code: &str,
    client: &Client,
) -> Result<(), AppError> {
    let code = OtpCode::parse(current_code)?;
    match mfa::check_active_code(state, Who::of(session, client), &code).await? {
        CodeCheck::Accepted => recovery::regenerate(state, session, client).await,
        CodeCheck::Wrong => Err(AppError::InvalidCode),
        CodeCheck::Blocked(block) => Err(block.into()),
    }
}

/// What the business menu shows of the account: its role, and the date
/// from which MFA will be required when it is off and a policy is set.
pub async fn menu_info(state: &AppState, session: &Session) -> Result<MenuInfo, AppError> {
    // The account's MFA and its role's policy as read with the session,
    // at the start of this request.
    let from = (!session.mfa_on)
        .then(|| session.mfa_required_from.clone())
        .flatten();
    let apps = super::notices::tiles(state)
        .await?
        .iter()
        .map(|(tile, start)| (crate::routes::tile_path(tile), start.clone()))
        .collect();
    Ok(MenuInfo {
        role: session.role,
        mfa_required_from: from.map(|d| d.replace('-', "/")),
        apps,
    })
}
