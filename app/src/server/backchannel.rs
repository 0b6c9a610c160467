//! Back-Channel Logout's sender: a task in every instance that, about
//! once a second, takes the due logouts (`services::backchannel`) and
//! POSTs each application its logout token, never while a user waits.
//! Any instance may send any logout; each try is claimed by one.

use super::services::backchannel::{self, Delivery, Outcome};
use super::AppState;
use std::time::Duration;

/// How often the outbox is read.
pub const POLL: Duration = Duration::from_secs(1);
/// One try's limit: within `services::backchannel::LEASE_SECS`.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// Sends logouts until the process ends. Does nothing when the provider
/// is off.
pub async fn run(state: AppState) {
    let Some(issuer) = state.issuer.clone() else {
        return;
    };
    let http = match reqwest::Client::builder()
        // A redirect is a failure, not an address to follow.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .user_agent("autoBank portal (Back-Channel Logout)")
        .build()
    {
        Ok(http) => http,
        Err(err) => {
            tracing::error!(error = %err, "cannot make the back-channel logout client; no logout will be sent");
            return;
        }
    };
    let mut tick = tokio::time::interval(POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(err) = round(&state, &http, &issuer).await {
            tracing::warn!(error = ?err, "back-channel logouts not sent this round; will retry");
        }
    }
}

/// One round: every due logout sent at once, each settled as it answers.
async fn round(
    state: &AppState,
    http: &reqwest::Client,
    issuer: &str,
) -> Result<(), crate::error::AppError> {
    let due = backchannel::due(state, issuer).await?;
    crate::server::metrics::backchannel_due(due.len());
    let mut tries = tokio::task::JoinSet::new();
    for delivery in due {
        let http = http.clone();
        tries.spawn(async move {
            let outcome = send(&http, &delivery).await;
            (delivery, outcome)
        });
    }
    // Every try is settled, whatever becomes of the others: one that
    // cannot be (the database away) is tried again when its lease ends.
    while let Some(done) = tries.join_next().await {
        let Ok((delivery, outcome)) = done else {
            continue;
        };
        if let Err(err) = backchannel::settle(state, &delivery, outcome).await {
            tracing::warn!(error = ?err, client_id = delivery.client_id(), "a back-channel logout's outcome was not recorded; it will be tried again");
        }
    }
    Ok(())
}

/// POSTs the logout token (Back-Channel Logout 1.0, 2.5).
async fn send(http: &reqwest::Client, delivery: &Delivery) -> Outcome {
    let Some(token) = &delivery.token else {
        return Outcome::Failed("not signed".into());
    };
    let sent = http
        .post(&delivery.uri)
        .header(reqwest::header::CACHE_CONTROL, "no-store")
        .form(&[("logout_token", token.as_str())])
        .send()
        .await;
    match sent {
        Ok(res) if res.status().is_success() => Outcome::Sent,
        Ok(res) => Outcome::Failed(format!("HTTP {}", res.status().as_u16())),
        Err(err) if err.is_timeout() => Outcome::Failed("timeout".into()),
        Err(err) if err.is_connect() => Outcome::Failed("connection failed".into()),
        Err(_) => Outcome::Failed("request failed".into()),
    }
}
