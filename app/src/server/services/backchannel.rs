//! Back-Channel Logout 1.0, as rules: which logouts are due, the signed
//! logout token each carries, and what a try's outcome does to its row
//! (`db::logouts` is the outbox). The sending itself is the edge's
//! (`server::backchannel`): no one waits for it.
//!
//! A try that fails is made again after 5, 10, 20 ... seconds, at most 5
//! minutes apart, [`MAX_ATTEMPTS`] tries in all (about 10 minutes); the
//! last failure is recorded in the audit trail, on the account's page.

use super::signing;
use super::tokens::{self, LOGOUT_TOKEN_TYPE};
use crate::error::AppError;
use crate::server::db::audit::{Actor, Entry, Event};
use crate::server::db::logouts::{self, DueRow};
use crate::server::metrics;
use crate::server::session::live_since;
use crate::server::AppState;

/// How long one try owns its row: longer than a try may take
/// (`server::backchannel`'s timeout), after which another instance may
/// try again (this one died).
pub const LEASE_SECS: i64 = 30;
/// Tries before giving up.
pub const MAX_ATTEMPTS: i64 = 8;
/// Logouts claimed in one round.
pub const BATCH: i64 = 32;

/// Seconds before try `attempts + 1`, after try `attempts` failed.
pub fn backoff(attempts: i64) -> i64 {
    (5_i64 << (attempts - 1).clamp(0, 6)).min(300)
}

/// One logout to send. No `Debug`: it holds a token.
pub struct Delivery {
    row: DueRow,
    /// The application's back-channel logout URI.
    pub uri: String,
    /// The signed logout token; `None` if it could not be signed (the try
    /// then fails, and is counted, like any other).
    pub token: Option<String>,
}

impl Delivery {
    /// The client it goes to.
    pub fn client_id(&self) -> &str {
        &self.row.client_id
    }
}

/// What one try came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The application answered 200 (or 204, which some frameworks send
    /// instead: Back-Channel Logout 1.0, 2.8).
    Sent,
    /// Anything else: why, for the audit trail (never the token).
    Failed(String),
}

/// Queues a logout for every application an ended session signed into,
/// then claims the due ones (for this instance alone) and signs their
/// logout tokens. The key is opened before anything is claimed: a key
/// that does not open claims nothing (and the next round tries again).
pub async fn due(state: &AppState, issuer: &str) -> Result<Vec<Delivery>, AppError> {
    let now = state.clock.now();
    logouts::queue_ended(&state.db, live_since(now), now).await?;
    let due = logouts::due(&state.db, now, BATCH).await?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let key = signing::current(&state.db, &state.secrets, now).await?;
    let rows = logouts::claim(&state.db, due, now, now + LEASE_SECS).await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let claims =
                tokens::logout_claims(issuer, &row.subject, &row.client_id, &row.session_hash, now);
            let token = key
                .sign(LOGOUT_TOKEN_TYPE, &claims)
                .inspect_err(|err| tracing::error!(error = %err, "could not sign a logout token"))
                .ok();
            Delivery {
                uri: row.uri.clone(),
                token,
                row,
            }
        })
        .collect())
}

/// Settles one try: sent, tried again later, or (the last try) given up
/// and audited. A try another instance took over meanwhile changes
/// nothing.
pub async fn settle(
    state: &AppState,
    delivery: &Delivery,
    outcome: Outcome,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let row = &delivery.row;
    match outcome {
        Outcome::Sent => {
            logouts::sent(&state.db, row, now).await?;
            metrics::backchannel_try("sent");
        }
        Outcome::Failed(why) if row.attempts >= MAX_ATTEMPTS => {
            metrics::backchannel_try("given_up");
            tracing::warn!(client_id = %row.client_id, %why, "an application never confirmed a back-channel logout");
            let actor = Actor {
                user_id: Some(row.user_id),
                login_id: Some(row.login_id.clone()),
                actor: "system".into(),
                ..Default::default()
            };
            let entry = Entry::new(actor, Event::BackChannelLogoutFailed)
                .with_detail(format!("{}: {why}", row.client_id));
            logouts::give_up(&state.db, row, &entry, now).await?;
        }
        Outcome::Failed(why) => {
            metrics::backchannel_try("failed");
            tracing::info!(client_id = %row.client_id, %why, attempt = row.attempts, "a back-channel logout failed; will retry");
            logouts::retry(&state.db, row, now + backoff(row.attempts)).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_five_minutes_and_stop_within_about_ten() {
        let waits: Vec<i64> = (1..MAX_ATTEMPTS).map(backoff).collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 300]);
        assert_eq!(waits.iter().sum::<i64>(), 615);
        assert_eq!(backoff(0), 5);
        assert_eq!(backoff(i64::MAX), 300);
    }
}
