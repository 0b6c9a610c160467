//! Everything that runs only on the server: storage, passwords, sessions,
//! request guards and the services behind the server functions.

pub mod access;
pub mod assets;
pub mod backchannel;
pub mod clock;
pub mod compress;
pub mod crypto;
pub mod db;
pub mod export;
pub mod forwarded;
pub mod guard;
pub mod health;
pub mod jws;
pub mod labels;
pub mod metrics;
pub mod page_cache;
pub mod password;
pub mod plain;
pub mod provider;
pub mod request;
pub mod services;
pub mod session;
pub mod shown;
pub mod state;
pub mod throttle;
pub mod totp;

pub use state::AppState;
