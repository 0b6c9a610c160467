//! Shared application state, built once at start and passed to handlers
//! and (through context) to server functions.

use super::throttle::Throttle;
use super::{clock::Clock, crypto::SecretBox, db::Db, password::Passwords};
use axum::extract::FromRef;
use leptos::prelude::*;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub passwords: Passwords,
    /// Seals TOTP secrets at rest.
    pub secrets: SecretBox,
    /// Proxies whose `X-Forwarded-For` is believed (`AUTOBANK_TRUSTED_PROXIES`).
    pub trusted_proxies: std::sync::Arc<[std::net::IpAddr]>,
    /// The current time; tests move it.
    pub clock: Clock,
    /// State-changing requests per client (address, or IPv6 /64), in
    /// this instance.
    pub throttle: Arc<Throttle>,
    /// The OpenID Connect issuer (`AUTOBANK_ISSUER`, or this instance's
    /// own loopback URL in development); `None`: the provider is off.
    pub issuer: Option<Arc<str>>,
    /// Token requests per client, in this instance (applications' servers
    /// share addresses, so they are told apart by client).
    pub token_throttle: Arc<Throttle>,
}

/// A throttle that allows `burst` requests at once per client, refilled
/// at `per_minute`, remembering at most [`super::throttle::CAPACITY`] clients.
pub fn throttle(per_minute: u32, burst: u32) -> Throttle {
    Throttle::new(per_minute, burst, super::throttle::CAPACITY)
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

impl AppState {
    /// The state of the current request, inside a server function or SSR.
    pub fn get() -> Result<Self, crate::error::AppError> {
        use_context::<Self>().ok_or_else(|| {
            tracing::error!("AppState missing from context");
            crate::error::AppError::Internal
        })
    }
}
