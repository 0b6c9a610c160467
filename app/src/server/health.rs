//! Probes for load balancers: a few bytes each, with no session, no
//! throttle and no page rendering.

use super::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use std::time::Duration;

/// How long `/readyz` waits for the database before it says no.
const READY_WAIT: Duration = Duration::from_secs(2);

const PLAIN: [(header::HeaderName, &str); 1] =
    [(header::CONTENT_TYPE, "text/plain; charset=utf-8")];

/// `GET /healthz`: the process is up and serving HTTP.
pub async fn live() -> impl IntoResponse {
    (PLAIN, "ok\n")
}

/// `GET /readyz`: the database answers within two seconds. A 503 takes
/// the instance out of rotation until its database is back.
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    match tokio::time::timeout(READY_WAIT, state.db.ping()).await {
        Ok(Ok(())) => (StatusCode::OK, PLAIN, "ready\n"),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness: the database did not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                PLAIN,
                "database unavailable\n",
            )
        }
        Err(_) => {
            tracing::warn!("readiness: the database took over {READY_WAIT:?}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                PLAIN,
                "database unavailable\n",
            )
        }
    }
}
