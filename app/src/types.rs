//! The shapes that server functions send to pages: one leaf module that
//! both sides import and that imports nothing of the app. One module rather
//! than one per feature, because these are few and small, and because a
//! per-feature home would sit in the page modules that `server/` may not
//! import.

use crate::domain::Role;
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
    /// MFA is off and must be set up before anything else (staff, or a
    /// role whose policy date has come).
    pub required: bool,
    /// The account is staff (MFA is always required).
    pub staff: bool,
    /// Unused recovery codes, when MFA is on.
    pub recovery_left: Option<i64>,
    /// A set of recovery codes this session has just made, shown once.
    pub new_recovery_codes: Option<RecoveryCodes>,
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
    /// The same as the QR code, for a phone's own authenticator app.
    pub otpauth_url: String,
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

/// What the password page asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordFormKind {
    /// Signed in with a temporary password: only the new one is asked.
    pub temporary: bool,
    /// MFA is on: the current code is asked too (not when `temporary`).
    pub needs_code: bool,
}

/// An account's state, as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountState {
    Active,
    /// Locked until this time (Japan time).
    Locked(String),
    /// Disabled since this time.
    Disabled(String),
}

/// One account in the console's search results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountHit {
    pub login_id: String,
    pub name: String,
    pub role: Role,
    pub state: AccountState,
}

/// One page of the console's search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResults {
    pub hits: Vec<AccountHit>,
    /// From 1.
    pub page: u32,
    pub more: bool,
}

/// A temporary password's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TempPassword {
    /// Not used yet; valid until this time.
    ValidUntil(String),
    /// Signed in once; a new one is still to be chosen.
    Used,
    Expired,
}

/// One record of the audit trail, as staff read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLine {
    pub at: String,
    /// The account it concerns (its login ID), if any.
    pub account: String,
    /// That account's registered name.
    pub name: String,
    /// The event's name in Japanese.
    pub event: String,
    /// Who did it: the account holder, or a member of staff.
    pub actor: String,
    pub reason: String,
    pub detail: String,
    pub address: String,
}

/// Why the console offers no actions on an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoActions {
    /// The staff member's own account.
    OwnAccount,
}

/// The actions on an account, as the form sends them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StaffAction {
    Unlock,
    ResetMfa,
    TempPassword,
    EndSessions,
    Disable,
    Enable,
}

impl StaffAction {
    pub const ALL: [StaffAction; 6] = [
        Self::Unlock,
        Self::ResetMfa,
        Self::TempPassword,
        Self::EndSessions,
        Self::Disable,
        Self::Enable,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unlock => "unlock",
            Self::ResetMfa => "reset-mfa",
            Self::TempPassword => "temp-password",
            Self::EndSessions => "end-sessions",
            Self::Disable => "disable",
            Self::Enable => "enable",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }

    /// Whether it is done only with the confirming box ticked: it stops
    /// the account holder from working (a stop, an MFA reset, every
    /// browser signed out), so one click beside the others must not do it.
    pub fn needs_confirmation(self) -> bool {
        matches!(self, Self::ResetMfa | Self::EndSessions | Self::Disable)
    }

    /// The button's words.
    pub fn label(self) -> &'static str {
        match self {
            Self::Unlock => crate::text::ACTION_UNLOCK,
            Self::ResetMfa => crate::text::ACTION_RESET_MFA,
            Self::TempPassword => crate::text::ACTION_TEMP_PASSWORD,
            Self::EndSessions => crate::text::ACTION_END_SESSIONS,
            Self::Disable => crate::text::ACTION_DISABLE,
            Self::Enable => crate::text::ACTION_ENABLE,
        }
    }
}

/// A secret shown once (a temporary password). Its `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revealed(pub String);

impl std::fmt::Debug for Revealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Revealed(<redacted>)")
    }
}

/// The console's page for one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub login_id: String,
    pub name: String,
    pub role: Role,
    pub state: AccountState,
    /// Since when MFA is on, if it is.
    pub mfa_since: Option<String>,
    pub devices: i64,
    pub browsers: i64,
    /// When (Japan time) and from where it last signed in.
    pub last_sign_in: Option<(String, String)>,
    pub temp_password: Option<TempPassword>,
    pub events: Vec<AuditLine>,
    /// The actions that make sense now; empty with `no_actions`.
    pub actions: Vec<StaffAction>,
    pub no_actions: Option<NoActions>,
    /// The staff member's code was confirmed within the last 10 minutes.
    pub code_fresh: bool,
    /// The viewer is an admin who may change this account's role.
    pub can_set_role: bool,
    /// A staff account: its password and MFA are recovered on the server
    /// only, so those actions are not offered.
    pub recovery_on_server: bool,
    /// A temporary password just issued by this session, shown once.
    pub revealed: Option<Revealed>,
}

/// A new set of recovery codes, shown once. Its `Debug` hides them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryCodes(pub Vec<String>);

impl std::fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCodes(<redacted>)")
    }
}

/// One page of the audit trail in the browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub lines: Vec<AuditLine>,
    /// From 1.
    pub page: u32,
    pub more: bool,
}

/// A business application registered to sign in through the portal, as
/// the admins' page and the command line show it (`services::clients`
/// calls it `ClientInfo`): never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientView {
    pub client_id: String,
    pub name: String,
    /// Without a secret (PKCE only).
    pub public: bool,
    pub mfa_required: bool,
    /// The tile it serves, as `--tile` names it.
    pub tile: Option<String>,
    pub start_url: Option<String>,
    pub backchannel_logout_uri: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_uris: Vec<String>,
}

/// A client's ID and secret, just made by this admin's session, shown
/// once. Its `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientSecret {
    pub client_id: String,
    /// `None` for a public client.
    pub secret: Option<String>,
}

impl std::fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSecret")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// The admins' page of business applications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientsPage {
    pub clients: Vec<ClientView>,
    /// What this session's last registration or new secret made.
    pub revealed: Option<ClientSecret>,
}

/// What the business menu needs to know of the signed-in account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MenuInfo {
    pub role: Role,
    /// MFA is off and the role needs it from this date (`YYYY/MM/DD`).
    pub mfa_required_from: Option<String>,
    /// The tiles bound to an application: the tile's path in the menu
    /// (`/menu/inventory`) and the application's start URL.
    pub apps: Vec<(String, String)>,
}
