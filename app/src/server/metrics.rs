//! What an operator watches: counters, gauges and histograms recorded
//! where things happen, through the `metrics` facade, and rendered in the
//! Prometheus text format by the binary on `AUTOBANK_METRICS_ADDR`. With
//! no recorder installed (the command line, most tests) each costs a
//! branch. The names and the labels' values are fixed here: a label never
//! carries a login ID, an address, a token or anything a client chose.

pub use ::metrics::SharedString;
use ::metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use std::time::Duration;

/// The password step's outcomes.
#[derive(Debug, Clone, Copy)]
pub enum SignInOutcome {
    /// Signed in fully (no code owed: MFA off, or a remembered browser).
    Full,
    /// The password was right; the code is owed.
    CodeOwed,
    WrongPassword,
    Locked,
    Disabled,
    /// The hashing queue was full.
    Busy,
}

/// The code step's outcomes (the app's code or a recovery code).
#[derive(Debug, Clone, Copy)]
pub enum CodeOutcome {
    Accepted,
    Wrong,
    /// Too many wrong codes in this sign-in: it ended.
    SignInAgain,
    Locked,
    Disabled,
}

pub fn sign_in(outcome: SignInOutcome) {
    let outcome = match outcome {
        SignInOutcome::Full => "full",
        SignInOutcome::CodeOwed => "code_owed",
        SignInOutcome::WrongPassword => "wrong_password",
        SignInOutcome::Locked => "locked",
        SignInOutcome::Disabled => "disabled",
        SignInOutcome::Busy => "busy",
    };
    counter!("autobank_sign_ins_total", "outcome" => outcome).increment(1);
}

pub fn code_step(outcome: CodeOutcome) {
    let outcome = match outcome {
        CodeOutcome::Accepted => "accepted",
        CodeOutcome::Wrong => "wrong",
        CodeOutcome::SignInAgain => "sign_in_again",
        CodeOutcome::Locked => "locked",
        CodeOutcome::Disabled => "disabled",
    };
    counter!("autobank_code_steps_total", "outcome" => outcome).increment(1);
}

/// An account locked (or its lock extended) by failures.
pub fn account_locked() {
    counter!("autobank_accounts_locked_total").increment(1);
}

/// An account disabled by failures.
pub fn account_disabled() {
    counter!("autobank_accounts_disabled_total").increment(1);
}

/// One answered request: its route (the pattern, never the raw path of an
/// unknown one), its status and how long it took to its head.
pub fn request(route: SharedString, status: u16, took: Duration) {
    let refused = match status {
        413 => Some("too_large"),
        429 => Some("throttled"),
        503 => Some("busy"),
        _ => None,
    };
    if let Some(why) = refused {
        counter!("autobank_refusals_total", "why" => why).increment(1);
    }
    let class = match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    counter!("autobank_http_responses_total", "route" => route.clone(), "status" => class)
        .increment(1);
    histogram!("autobank_http_request_duration_seconds", "route" => route)
        .record(took.as_secs_f64());
}

/// A password check that waited for a core, and how long.
pub fn hash_waited(took: Duration) {
    histogram!("autobank_hash_wait_seconds").record(took.as_secs_f64());
}

/// The hashing queue now: checks running and waiting.
pub fn hash_queue(running: usize, waiting: usize) {
    gauge!("autobank_hash_running").set(running as f64);
    gauge!("autobank_hash_waiting").set(waiting as f64);
}

/// The database pool now: connections open and idle.
pub fn pool(open: u32, idle: usize) {
    gauge!("autobank_db_connections").set(f64::from(open));
    gauge!("autobank_db_connections_idle").set(idle as f64);
}

/// One round of the back-channel logout sender: logouts found due.
pub fn backchannel_due(due: usize) {
    gauge!("autobank_backchannel_due").set(due as f64);
}

/// One back-channel logout try: `sent`, `failed` (to be retried) or
/// `given_up` (the last try failed).
pub fn backchannel_try(outcome: &'static str) {
    counter!("autobank_backchannel_tries_total", "outcome" => outcome).increment(1);
}

/// The help text of each series, once, when the recorder is installed.
pub fn describe() {
    describe_counter!("autobank_sign_ins_total", "Password steps, by outcome.");
    describe_counter!(
        "autobank_code_steps_total",
        "Code steps (app or recovery code), by outcome."
    );
    describe_counter!(
        "autobank_accounts_locked_total",
        "Accounts locked by failures."
    );
    describe_counter!(
        "autobank_accounts_disabled_total",
        "Accounts disabled by failures."
    );
    describe_counter!(
        "autobank_refusals_total",
        "Requests refused: too_large (413), throttled (429), busy (503)."
    );
    describe_counter!(
        "autobank_http_responses_total",
        "Responses, by route pattern and status class."
    );
    describe_histogram!(
        "autobank_http_request_duration_seconds",
        "Time to the response's head, by route pattern."
    );
    describe_histogram!(
        "autobank_hash_wait_seconds",
        "How long a password check waited for a core."
    );
    describe_gauge!("autobank_hash_running", "Password checks running now.");
    describe_gauge!(
        "autobank_hash_waiting",
        "Password checks waiting for a core now."
    );
    describe_gauge!("autobank_db_connections", "Database connections open.");
    describe_gauge!("autobank_db_connections_idle", "Database connections idle.");
    describe_gauge!(
        "autobank_backchannel_due",
        "Back-channel logouts found due in the sender's last round."
    );
    describe_counter!(
        "autobank_backchannel_tries_total",
        "Back-channel logout tries, by outcome."
    );
}
