//! Integration tests: each starts the real application on a random port
//! against a fresh database (SQLite by default, PostgreSQL with
//! `TEST_ENGINE=postgres`) and drives it over HTTP.

mod cli;
mod guards;
mod helpers;
mod mfa;
mod outage;
mod portal;
mod sign_in;
