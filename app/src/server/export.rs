//! Downloads that are not pages: the audit trail as CSV. Plain axum
//! routes, listed in [`PLAIN_ROUTES`] so that the test of who reaches what
//! walks them too.

use super::access::{self, Need};
use super::request::CurrentSession;
use super::services::trail::{self, Query};
use super::AppState;
use crate::error::AppError;
use crate::routes::{self, ADMIN_AUDIT_CSV};
use axum::extract::{Query as UrlQuery, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use std::collections::HashMap;

/// Every route that is neither a page nor a server function.
pub const PLAIN_ROUTES: [&str; 3] = [ADMIN_AUDIT_CSV, routes::HEALTHZ, routes::READYZ];

fn refused(err: AppError) -> Response {
    super::plain::error_page(crate::text::ERR_FORBIDDEN, &err)
}

/// `GET /admin/audit.csv?login_id=&event=&from=&to=`: admins only (the
/// page guard has already sent anyone else away; this checks again).
pub async fn audit_csv(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    UrlQuery(params): UrlQuery<HashMap<String, String>>,
) -> Response {
    if let Err(refusal) = access::check(current.0.as_ref(), Need::Admin) {
        return refused(refusal.into());
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
            let disposition = format!("attachment; filename=\"{}\"", csv.name);
            let mut res = csv.body.into_response();
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
