//! The paths that pages, server functions and guards send browsers to, in
//! one place.

use crate::domain::{percent_encode, NextPath};
use crate::error::AppError;

pub const PORTAL: &str = "/";
pub const LOGIN: &str = "/login";
/// What to do when the password is forgotten (the helpdesk).
pub const FORGOT: &str = "/forgot";
/// The business menu, where a sign-in lands.
pub const MENU: &str = "/menu";
/// Pages anyone may see.
pub const PUBLIC_PAGES: [&str; 3] = [PORTAL, LOGIN, FORGOT];
/// The one page a half sign-in (code still owed) may see.
pub const CODE_PAGE: &str = "/login/code";
/// A half sign-in's other page: a recovery code instead of the app's.
pub const RECOVERY_PAGE: &str = "/login/recovery";
pub const MFA_SETTINGS: &str = "/mfa";
pub const MFA_SETUP: &str = "/mfa/setup";
/// Changing one's own password.
pub const PASSWORD: &str = "/password";
/// The password page after a change.
pub const PASSWORD_CHANGED: &str = "/password?done=changed";
/// The staff console (helpdesk and admin): search.
pub const CONSOLE: &str = "/helpdesk";
/// Pages under this prefix are for staff only.
pub const CONSOLE_PREFIX: &str = "/helpdesk/";

/// Admins' pages: everything under this prefix.
pub const ADMIN_PREFIX: &str = "/admin/";
/// The audit trail in the browser.
pub const ADMIN_AUDIT: &str = "/admin/audit";
/// The portal's notices, for admins.
pub const ADMIN_NOTICES: &str = "/admin/notices";
/// The business applications that sign in through the portal.
pub const ADMIN_CLIENTS: &str = "/admin/clients";
/// The dealers' MFA policy.
pub const ADMIN_POLICY: &str = "/admin/policy";
/// The same records as CSV (a plain route, not a page).
pub const ADMIN_AUDIT_CSV: &str = "/admin/audit.csv";
/// Load balancers' probes: the process is up; the database answers.
pub const HEALTHZ: &str = "/healthz";
pub const READYZ: &str = "/readyz";
/// `検索ログイン`'s page (vehicle search).
pub const SEARCH: &str = "/search";
/// The OpenID Connect provider (plain routes, not pages: docs/OIDC.md).
pub const OIDC_DISCOVERY: &str = "/.well-known/openid-configuration";
pub const OIDC_PREFIX: &str = "/oidc/";
pub const OIDC_AUTHORIZE: &str = "/oidc/authorize";
pub const OIDC_TOKEN: &str = "/oidc/token";
pub const OIDC_USERINFO: &str = "/oidc/userinfo";
pub const OIDC_JWKS: &str = "/oidc/jwks";
pub const OIDC_REVOKE: &str = "/oidc/revoke";
pub const OIDC_INTROSPECT: &str = "/oidc/introspect";
pub const OIDC_LOGOUT: &str = "/oidc/logout";
/// The way back to an application whose request waited while the dealer
/// did a duty on the way (the portal's own, not a standard endpoint).
pub const OIDC_CONTINUE: &str = "/oidc/continue";

/// Where a business tile (`inventory`, ... as `autobank client add --tile`
/// names it) sits: `/menu/inventory`, and `search` is `検索ログイン`'s page.
pub fn tile_path(tile: &str) -> String {
    match tile {
        "search" => SEARCH.to_owned(),
        other => format!("/menu/{other}"),
    }
}

/// One account's page in the console.
pub fn console_account_url(login_id: &str) -> String {
    format!("{CONSOLE_PREFIX}users/{}", percent_encode(login_id))
}

/// The console's search for `term`, page `page` (from 1).
pub fn console_search_url(term: &str, page: u32) -> String {
    format!("{CONSOLE}?q={}&page={page}", percent_encode(term))
}

/// The sign-in form, coming back to `wanted` (a path and query) afterwards.
pub fn login_url(wanted: &str) -> String {
    format!("{LOGIN}?next={}", percent_encode(wanted))
}

/// Where a half sign-in goes for its code, keeping the final destination.
pub fn code_page_url(next: &NextPath) -> String {
    format!("{CODE_PAGE}?next={}", percent_encode(next.as_str()))
}

/// The recovery-code page, keeping the final destination.
pub fn recovery_page_url(next: &NextPath) -> String {
    format!("{RECOVERY_PAGE}?next={}", percent_encode(next.as_str()))
}

/// The settings page after a change, saying what the change did (carried
/// in the URL so that it shows without JavaScript too).
pub fn mfa_done_url(done: MfaDone) -> String {
    format!("{MFA_SETTINGS}?done={}", done.as_str())
}

/// What the last change on the settings page did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaDone {
    On,
    Off,
    AlreadyOff,
    /// A new set of recovery codes.
    NewCodes,
}

impl MfaDone {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::On => "on",
            Self::Off => "off",
            Self::AlreadyOff => "already-off",
            Self::NewCodes => "new-codes",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::On, Self::Off, Self::AlreadyOff, Self::NewCodes]
            .into_iter()
            .find(|d| d.as_str() == raw)
    }
}

/// The page that must come first for a session refused with `err`: a new
/// password after a temporary one, or MFA setup for staff.
pub fn duty_page(err: &AppError) -> Option<&'static str> {
    match err {
        AppError::ChangePasswordFirst => Some(PASSWORD),
        AppError::SetUpMfaFirst => Some(MFA_SETTINGS),
        _ => None,
    }
}
