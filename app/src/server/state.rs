//! Shared application state, built once at start and passed to handlers
//! and (through context) to server functions.

use super::throttle::Throttle;
use super::{clock::Clock, crypto::SecretBox, db::Db, password::Passwords};
use axum::extract::FromRef;
use leptos::prelude::*;
use std::sync::Arc;

/// The state every request shares: one `Arc`, so that the copies each
/// request takes (one per middleware, one for the page's context) cost one
/// atomic increment, not one per field (perf found a sixth of a page's
/// CPU in cloning and dropping the fields one by one).
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] holds.
pub struct Shared {
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
    /// What the portal and the menu show, as this instance last read it.
    pub portal: super::shown::PortalCache,
}

/// A throttle that allows `burst` requests at once per client, refilled
/// at `per_minute`, remembering at most [`super::throttle::CAPACITY`] clients.
pub fn throttle(per_minute: u32, burst: u32) -> Throttle {
    Throttle::new(per_minute, burst, super::throttle::CAPACITY)
}

impl From<Shared> for AppState {
    fn from(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
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
