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

/// `GET /readyz`: the database answers within two seconds (asked at
/// most once a second: `Db::ready`). A 503 takes the instance out of
/// rotation until its database is back.
pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    if state.db.ready(READY_WAIT).await {
        (StatusCode::OK, PLAIN, "ready\n")
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            PLAIN,
            "database unavailable\n",
        )
    }
}
