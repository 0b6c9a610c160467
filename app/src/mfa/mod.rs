//! Two-step sign-in with an authenticator app: the server functions behind
//! the settings page, the setup screen and the code page.

mod code;
mod recovery;
mod recovery_codes;
mod settings;
mod setup;

pub use code::CodePage;
pub use recovery::RecoveryPage;
pub use settings::MfaSettingsPage;
pub use setup::MfaSetupPage;

use crate::error::AppError;
use crate::types::{MfaStatus, SetupDetails};
use leptos::prelude::*;

#[server(prefix = "/api", endpoint = "mfa/status")]
#[cfg_attr(feature = "ssr", tracing::instrument(name = "mfa_status", skip_all))]
pub async fn get_mfa_status() -> Result<MfaStatus, AppError> {
    use crate::server::request::{Call, Duty, Need};
    use crate::server::services::mfa;
    use crate::server::services::settings;
    let Call { state, session, .. } = Call::new(Need::FullOrDoing(Duty::SetUpMfa))?;
    let mut status = mfa::status(&state, &session).await?;
    status.browsers = settings::browsers(&state, &session).await?;
    Ok(status)
}

/// `上記を確認しました` + ON/OFF + `設定`, with the current code when MFA
/// is on, or the password when it is off.
#[server(prefix = "/api", endpoint = "mfa/apply")]
#[cfg_attr(feature = "ssr", tracing::instrument(name = "mfa_apply", skip_all))]
pub async fn apply_mfa_setting(
    confirmed: Option<String>,
    #[server(default)] setting: String,
    #[server(default)] current_code: String,
    #[server(default)] password: String,
) -> Result<(), AppError> {
    use crate::error::{Field, Problem};
    use crate::routes::{mfa_done_url, MfaDone, MFA_SETUP};
    use crate::server::request::{Call, Duty, Need};
    use crate::server::services::settings::{apply, Applied, SettingForm};
    let Call {
        state,
        session,
        client,
    } = Call::new(Need::FullOrDoing(Duty::SetUpMfa))?;
    let form = SettingForm {
        confirmed: confirmed.is_some(),
        setting: &setting,
        current_code: &current_code,
        password: &password,
    };
    match apply(&state, &session, form, &client).await? {
        Applied::SetupStarted => leptos_axum::redirect(MFA_SETUP),
        Applied::TurnedOff => leptos_axum::redirect(&mfa_done_url(MfaDone::Off)),
        Applied::AlreadyOff => leptos_axum::redirect(&mfa_done_url(MfaDone::AlreadyOff)),
        Applied::WrongCode => return Err(AppError::InvalidCode),
        Applied::WrongPassword => {
            return Err(AppError::validation(
                Field::Password,
                Problem::WrongPassword,
            ))
        }
        Applied::Blocked(block) => return Err(block.into()),
    }
    Ok(())
}

/// Ends one signed-in browser (`handle`), or all but this one without it.
#[server(prefix = "/api", endpoint = "sessions/end")]
#[cfg_attr(feature = "ssr", tracing::instrument(name = "end_sessions", skip_all))]
pub async fn end_sessions(handle: Option<String>) -> Result<(), AppError> {
    use crate::server::request::{Call, Need};
    use crate::server::services::settings;
    let Call {
        state,
        session,
        client,
    } = Call::new(Need::Full)?;
    settings::end_sessions(&state, &session, handle.as_deref(), &client).await
}

#[server(prefix = "/api", endpoint = "mfa/setup")]
#[cfg_attr(feature = "ssr", tracing::instrument(name = "mfa_setup", skip_all))]
pub async fn mfa_setup_details() -> Result<SetupDetails, AppError> {
    use crate::server::request::{Call, Duty, Need};
    use crate::server::services::mfa;
    let Call { state, session, .. } = Call::new(Need::FullOrDoing(Duty::SetUpMfa))?;
    mfa::setup_details(&state, &session).await
}

/// `ワンタイムパスワードの入力` + `>` on the setup screen.
#[server(prefix = "/api", endpoint = "mfa/confirm")]
#[cfg_attr(feature = "ssr", tracing::instrument(name = "mfa_confirm", skip_all))]
pub async fn confirm_mfa_setup(code: String) -> Result<(), AppError> {
    use crate::domain::OtpCode;
    use crate::routes::{mfa_done_url, MfaDone};
    use crate::server::request::{Call, Duty, Need};
    use crate::server::services::mfa::{confirm_setup, Confirmed};
    let Call {
        state,
        session,
        client,
    } = Call::new(Need::FullOrDoing(Duty::SetUpMfa))?;
    let code = OtpCode::parse(&code)?;
    match confirm_setup(&state, &session, &code, &client).await? {
        Confirmed::TurnedOn => {
            leptos_axum::redirect(&mfa_done_url(MfaDone::On));
            Ok(())
        }
        Confirmed::WrongCode => Err(AppError::InvalidCode),
        Confirmed::Blocked(block) => Err(block.into()),
    }
}

/// `ワンタイムコードの入力` + `このデバイスを30日間記録する` + `>` at sign-in.
#[server(prefix = "/api", endpoint = "mfa/code")]
#[cfg_attr(feature = "ssr", tracing::instrument(name = "mfa_code", skip_all))]
pub async fn verify_code(
    code: String,
    remember: Option<String>,
    next: String,
) -> Result<(), AppError> {
    use crate::domain::OtpCode;
    use crate::server::request::{Call, Need};
    use crate::server::services::mfa::Proof;
    let call = Call::new(Need::CodeStep)?;
    let code = OtpCode::parse(&code)?;
    code_step(call, Proof::Code(&code), remember.is_some(), &next).await
}

/// `リカバリーコード` + `ログイン`: a recovery code instead of the app's code.
#[server(prefix = "/api", endpoint = "mfa/recovery")]
#[cfg_attr(feature = "ssr", tracing::instrument(name = "mfa_recovery", skip_all))]
pub async fn use_recovery_code(code: String, next: String) -> Result<(), AppError> {
    use crate::domain::RecoveryCode;
    use crate::server::request::{Call, Need};
    use crate::server::services::mfa::Proof;
    let call = Call::new(Need::CodeStep)?;
    let code = RecoveryCode::parse(&code)?;
    code_step(call, Proof::Recovery(&code), false, &next).await
}

/// The code step with either proof: a full session and its cookies, then
/// on to `next` (or the session's duty first).
#[cfg(feature = "ssr")]
async fn code_step(
    call: crate::server::request::Call,
    proof: crate::server::services::mfa::Proof<'_>,
    remember: bool,
    next: &str,
) -> Result<(), AppError> {
    use crate::domain::NextPath;
    use crate::server::request::{self, Call};
    use crate::server::services::mfa::{verify_sign_in_code, Proof, SignInCode};
    let Call {
        state,
        session,
        client,
    } = call;
    let wrong = match proof {
        Proof::Code(_) => AppError::InvalidCode,
        Proof::Recovery(_) => AppError::InvalidRecoveryCode,
    };
    match verify_sign_in_code(&state, &session, proof, remember, &client).await? {
        SignInCode::Accepted {
            session,
            device,
            duty,
        } => {
            request::set_session_cookie(&session);
            if let Some(device) = &device {
                request::set_device_cookie(device);
            }
            let next = NextPath::parse(next);
            let to = request::after_sign_in(&state, &session, duty, next.as_str(), &client).await?;
            leptos_axum::redirect(&to);
            Ok(())
        }
        SignInCode::Wrong => Err(wrong),
        SignInCode::SignInAgain => Err(AppError::SignInAgain),
        SignInCode::Blocked(block) => Err(block.into()),
    }
}

/// Forgets one remembered device, or all of them without `device_id`.
#[server(prefix = "/api", endpoint = "mfa/forget")]
#[cfg_attr(feature = "ssr", tracing::instrument(name = "mfa_forget", skip_all))]
pub async fn forget_device(device_id: Option<i64>) -> Result<(), AppError> {
    use crate::server::request::{Call, Need};
    use crate::server::services::mfa;
    let Call {
        state,
        session,
        client,
    } = Call::new(Need::Full)?;
    mfa::forget_devices(&state, &session, device_id, &client).await
}

/// `新しいリカバリーコードを発行する` with the current code: a new set, shown
/// once on the settings page; the old set is void.
#[server(prefix = "/api", endpoint = "mfa/recovery-codes")]
#[cfg_attr(
    feature = "ssr",
    tracing::instrument(name = "mfa_recovery_codes", skip_all)
)]
pub async fn new_recovery_codes(#[server(default)] current_code: String) -> Result<(), AppError> {
    use crate::routes::{mfa_done_url, MfaDone};
    use crate::server::request::{Call, Need};
    use crate::server::services::settings;
    let Call {
        state,
        session,
        client,
    } = Call::new(Need::Full)?;
    settings::new_recovery_codes(&state, &session, &current_code, &client).await?;
    leptos_axum::redirect(&mfa_done_url(MfaDone::NewCodes));
    Ok(())
}
