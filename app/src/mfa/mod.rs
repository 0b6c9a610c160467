//! Two-step sign-in with an authenticator app: the shared types and the
//! server functions behind the settings page, the setup screen and the
//! code page.

mod code;
mod settings;
mod setup;

pub use code::CodePage;
pub use settings::MfaSettingsPage;
pub use setup::MfaSetupPage;

use crate::domain::{encode_query_value, NextPath};
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The settings page's view of the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaStatus {
    /// When MFA was turned on (Japan time), if it is on.
    pub enabled_since: Option<String>,
    pub devices: Vec<Device>,
}

/// A remembered device, as listed on the settings page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub id: i64,
    pub label: String,
    pub first_used: String,
    pub last_used: String,
}

/// The setup screen: the one place a secret is shown, while it is pending.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetupDetails {
    pub qr_svg: String,
    /// Base32, grouped in fours.
    pub key: String,
    pub account: String,
}

impl std::fmt::Debug for SetupDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetupDetails")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// Where a half sign-in goes for its code, keeping the final destination.
pub fn code_page_url(next: &NextPath) -> String {
    format!("/login/code?next={}", encode_query_value(next.as_str()))
}

#[cfg(feature = "ssr")]
fn no_store() {
    crate::server::session::response_header(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
}

#[server(prefix = "/api", endpoint = "mfa/status")]
pub async fn get_mfa_status() -> Result<MfaStatus, AppError> {
    use crate::server::{services, session, AppState};
    services::finish(
        async {
            let session = session::require_full()?;
            services::mfa::status(&AppState::get()?, &session).await
        }
        .await,
    )
}

/// `上記を確認しました` + ON/OFF (+ the current code when MFA is on) + `設定`.
#[server(prefix = "/api", endpoint = "mfa/apply")]
pub async fn apply_mfa_setting(
    confirmed: Option<String>,
    setting: Option<String>,
    current_code: Option<String>,
) -> Result<(), AppError> {
    use crate::server::services::mfa::Applied;
    use crate::server::{services, session, AppState};
    services::finish(
        async {
            let session = session::require_full()?;
            let applied = services::mfa::apply_setting(
                &AppState::get()?,
                &session,
                confirmed.is_some(),
                setting.as_deref().unwrap_or_default(),
                current_code.as_deref().unwrap_or_default(),
            )
            .await?;
            leptos_axum::redirect(match applied {
                Applied::SetupStarted => "/mfa/setup",
                Applied::TurnedOff => "/mfa?done=off",
                Applied::AlreadyOff => "/mfa?done=already-off",
            });
            Ok(())
        }
        .await,
    )
}

#[server(prefix = "/api", endpoint = "mfa/setup")]
pub async fn mfa_setup_details() -> Result<SetupDetails, AppError> {
    use crate::server::{services, session, AppState};
    no_store();
    services::finish(
        async {
            let session = session::require_full()?;
            services::mfa::setup_details(&AppState::get()?, &session).await
        }
        .await,
    )
}

/// `ワンタイムパスワードの入力` + `>` on the setup screen.
#[server(prefix = "/api", endpoint = "mfa/confirm")]
pub async fn confirm_mfa_setup(code: String) -> Result<(), AppError> {
    use crate::server::{services, session, AppState};
    services::finish(
        async {
            let session = session::require_full()?;
            services::mfa::confirm_setup(&AppState::get()?, &session, &code).await?;
            leptos_axum::redirect("/mfa?done=on");
            Ok(())
        }
        .await,
    )
}

/// `ワンタイムコードの入力` + `このデバイスを30日間記録する` + `>` at sign-in.
#[server(prefix = "/api", endpoint = "mfa/code")]
pub async fn verify_code(
    code: String,
    remember: Option<String>,
    next: String,
) -> Result<(), AppError> {
    use crate::server::{services, session, AppState};
    services::finish(
        async {
            let session = session::require_code_stage()?;
            services::mfa::verify_sign_in_code(
                &AppState::get()?,
                &session,
                &code,
                remember.is_some(),
            )
            .await?;
            leptos_axum::redirect(NextPath::parse(&next).as_str());
            Ok(())
        }
        .await,
    )
}

/// Forgets one remembered device, or all of them without `device_id`.
#[server(prefix = "/api", endpoint = "mfa/forget")]
pub async fn forget_device(device_id: Option<i64>) -> Result<(), AppError> {
    use crate::server::{services, session, AppState};
    services::finish(
        async {
            let session = session::require_full()?;
            services::mfa::forget_devices(&AppState::get()?, &session, device_id).await
        }
        .await,
    )
}
