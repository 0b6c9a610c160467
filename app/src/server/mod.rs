//! Everything that runs only on the server: storage, passwords, sessions,
//! request guards and the services behind the server functions.

pub mod crypto;
pub mod db;
pub mod guard;
pub mod password;
pub mod services;
pub mod session;
pub mod state;
pub mod totp;

pub use state::AppState;

/// Seconds since the Unix epoch, UTC. All stored times use this.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}
