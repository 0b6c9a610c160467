//! The services behind the server functions: the rules of sign-in and
//! account security, written once against the repositories. A service is
//! handed what it needs from the request ([`Client`], a session) and
//! returns what must be set on the response (tokens); it never reads the
//! request itself. Dependencies: `sign_in` and `settings` use `auth` and
//! `mfa`; both of those use `lockout` and `audit` and never each other;
//! none of them uses a page module.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod authorize;
pub mod backchannel;
pub mod clients;
pub mod console;
pub mod housekeeping;
pub mod keys;
pub mod lockout;
pub mod mfa;
pub mod notices;
pub mod operator;
pub mod provider;
pub mod recovery;
pub mod settings;
pub mod shown_once;
pub mod sign_in;
pub mod signing;
pub mod tokens;
pub mod trail;

use super::session::Token;

/// What a service may know about the client of a request, read at the
/// edge (`server::request::client`).
#[derive(Debug, Clone, Default)]
pub struct Client {
    /// For the audit trail, after `AUTOBANK_TRUSTED_PROXIES`.
    pub address: Option<String>,
    /// A short browser label, e.g. "Chrome (Windows)".
    pub browser: String,
    /// The remembered-device token this browser carries, if well formed.
    pub device_token: Option<Token>,
}
