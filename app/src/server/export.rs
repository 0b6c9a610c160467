//! Downloads that are not pages: the audit trail as CSV. Plain axum
//! routes, listed in [`PLAIN_ROUTES`] so that the test of who reaches what
//! walks them too.

use super::request::CurrentSession;
use super::services::trail::{self, Query};
use super::AppState;
use crate::domain::Role;
use crate::error::AppError;
use crate::routes::{self, ADMIN_AUDIT_CSV};
use axum::extract::{Query as UrlQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use std::collections::HashMap;

/// Every route that is neither a page nor a server function.
pub const PLAIN_ROUTES: [&str; 3] = [ADMIN_AUDIT_CSV, routes::HEALTHZ, routes::READYZ];

fn refused(err: AppError) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    super::guard::message_page(status, crate::text::ERR_FORBIDDEN, err.message())
}

/// `GET /admin/audit.csv?login_id=&event=&from=&to=`: admins only (the
/// page guard has already sent anyone else away; this checks again).
pub async fn audit_csv(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    UrlQuery(params): UrlQuery<HashMap<String, String>>,
) -> Response {
    let allowed = current.0.as_ref().is_some_and(|s| {
        s.role == Role::Admin && s.duty.is_none() && s.stage == super::session::Stage::Full
    });
    if !allowed {
        return refused(AppError::Forbidden);
    }
    let get = |key: &str| params.get(key).map(String::as_str).unwrap_or_default();
    let query = Query {
        login_id: get("login_id"),
        event: get("event"),
        from: get("from"),
        to: get("to"),
    };
    match trail::csv(&state, &query).await {
        Ok(csv) => {
            let name = format!("audit-{}.csv", super::clock::japan_date(state.clock.now()));
            let disposition = format!("attachment; filename=\"{name}\"");
            let mut res = csv.into_response();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                h.insert(header::CONTENT_DISPOSITION, value);
            }
            res
        }
        Err(err) => refused(err),
    }
}
