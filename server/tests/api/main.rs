//! Integration tests: each starts the real application on a random port
//! against a fresh database (SQLite by default, PostgreSQL with
//! `TEST_ENGINE=postgres`) and drives it over HTTP. One module per
//! behaviour; `TEST_LOG=1` shows the server's logs.

mod account_changes;
mod admin;
mod attacks;
mod backchannel;
mod backup;
mod cli;
mod clients;
mod code_step;
mod compression;
mod console;
mod devices;
mod faults;
mod flood;
mod fuzz;
mod guards;
/// The shared test support, under the name the test modules use.
mod helpers {
    pub use testkit::*;
}
mod in_flight;
mod keys;
mod lockout;
mod logs;
mod metrics;
mod mfa_settings;
mod mfa_setup;
mod oidc;
mod oidc_attacks;
mod outage;
mod password_change;
mod portal;
mod recovery_codes;
mod roles;
mod schema;
mod sessions;
mod sign_in;
mod signing_keys;
mod staff_attacks;
mod staff_races;
mod tls;
