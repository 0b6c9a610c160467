//! The shapes that server functions send to pages: one leaf module that
//! both sides import and that imports nothing of the app. One module rather
//! than one per feature, because these are few and small, and because a
//! per-feature home would sit in the page modules that `server/` may not
//! import.

use serde::{Deserialize, Serialize};

/// One notice under `<<INFORMATION>>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    pub id: i64,
    /// `YYYY/MM/DD`, as the manual shows it.
    pub date: String,
    pub title: String,
    pub body: String,
    /// Posted within the last seven days.
    pub is_new: bool,
}

/// The settings page's view of the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MfaStatus {
    /// When MFA was turned on (Japan time), if it is on.
    pub enabled_since: Option<String>,
    pub devices: Vec<Device>,
    pub browsers: Vec<SignedInBrowser>,
}

/// A remembered device, as listed on the settings page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub id: i64,
    pub label: String,
    pub first_used: String,
    pub last_used: String,
}

/// A signed-in browser, as listed on the settings page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInBrowser {
    /// Names the session to end it; not its token, nor the token's hash.
    pub handle: String,
    /// The browser this page is open in.
    pub current: bool,
    pub browser: String,
    pub address: String,
    pub since: String,
    pub last_seen: String,
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
