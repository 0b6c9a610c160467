//! The autoBank server: configuration, the HTTP application, and the
//! operator's command line. `main.rs` only parses arguments and calls in.

pub mod cli;
pub mod config;
pub mod startup;
