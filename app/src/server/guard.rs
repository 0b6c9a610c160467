//! Middleware that guards every request before Leptos sees it: loads the
//! session, refuses cross-site state changes, keeps pages behind sign-in,
//! and sets the security headers.

use super::access::{self, Need, Refusal};
use super::forwarded;
use super::plain::{message_page, unavailable};
use super::request::{self, ClientAddress, CurrentSession, SESSION_COOKIE};
use super::services::provider;
use super::session::{self, Duty, Token};
use super::throttle::Key;
use super::AppState;
use crate::routes::{self, CODE_PAGE};
use crate::text;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::net::{IpAddr, SocketAddr};

/// The largest request body accepted: a form here is well under 16 KiB.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Gives the bare refusals of the body limit (413) and the request timeout
/// (408) a page that says, in Japanese, what happened.
pub async fn explain_refusals(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let (title, message) = match res.status() {
        StatusCode::PAYLOAD_TOO_LARGE => (text::ERR_TOO_LARGE_TITLE, text::ERR_TOO_LARGE),
        StatusCode::REQUEST_TIMEOUT => (text::ERR_TIMEOUT_TITLE, text::ERR_TIMEOUT),
        _ => return res,
    };
    message_page(res.status(), title, message)
}

/// Resolves the client's address (through `AUTOBANK_TRUSTED_PROXIES`) into
/// the request's extensions, for the throttle and the audit trail.
pub async fn resolve_client(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip());
    // Every header line counts: a proxy may add its own line after the
    // client's, and the client's comes first.
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    let address = forwarded::client_address(peer, Some(&forwarded), &state.trusted_proxies);
    req.extensions_mut().insert(ClientAddress(address));
    next.run(req).await
}

/// Throttles state-changing requests per client (`server::throttle`: an
/// IPv4 address or an IPv6 /64, in this instance's memory): past the
/// burst, a 429 with `Retry-After` and a Japanese page, before any work is
/// done.
pub async fn throttle(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let address = req.extensions().get::<ClientAddress>().and_then(|a| a.0);
    let key = Key::of(address.unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED)));
    match state.throttle.check(key) {
        Ok(()) => next.run(req).await,
        Err(wait) => {
            if let Some(unlogged) = state.throttle.should_log() {
                tracing::warn!(path = %req.uri().path(), unlogged, "request throttled");
            }
            let mut res = message_page(
                StatusCode::TOO_MANY_REQUESTS,
                text::ERR_THROTTLED_TITLE,
                text::ERR_THROTTLED,
            );
            res.headers_mut()
                .insert(header::RETRY_AFTER, (wait.as_secs() + 1).into());
            res
        }
    }
}

/// Loads the session named by the cookie into the request's extensions.
pub async fn load_session(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let token = request::cookie(req.headers(), SESSION_COOKIE).and_then(Token::parse);
    let current = match token {
        None => None,
        Some(token) => match session::resolve(&state.db, &token, state.clock.now()).await {
            Ok(found) => found,
            Err(err) => {
                tracing::error!(error = %err, "could not load session");
                return unavailable();
            }
        },
    };
    if let Some(s) = &current {
        // The request's span (startup's trace layer) has this field.
        tracing::Span::current().record("user_id", s.user_id);
    }
    req.extensions_mut().insert(CurrentSession(current));
    // Only a page's policy names the waiting application (see
    // `content_security_policy`): server functions and files skip the read.
    let page = req.method() == Method::GET && is_page(req.uri().path());
    let pending = request::pending(req.headers()).filter(|_| page);
    if let Some(pending) = pending {
        match provider::waiting_origin(&state, &pending).await {
            Ok(Some(origin)) => {
                req.extensions_mut().insert(WaitingApp(origin));
            }
            Ok(None) => {}
            Err(err) => {
                tracing::error!(error = %err, "could not read a pending authorization request");
                return unavailable();
            }
        }
    }
    next.run(req).await
}

/// The origin of the application whose authorization request waits for
/// this browser to sign in: the sign-in forms may be redirected there.
#[derive(Debug, Clone)]
pub struct WaitingApp(pub String);

/// True when the browser says the request comes from another site.
pub fn is_cross_site(headers: &HeaderMap) -> bool {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = get("sec-fetch-site") {
        return !matches!(site, "same-origin" | "none");
    }
    if let Some(origin) = get("origin") {
        let origin_host = origin.split_once("://").map(|(_, rest)| rest);
        return origin_host.is_none() || origin_host != get("host");
    }
    false
}

/// State changes come only by POST from this site's own pages. The one
/// exception is an application's authorization request, which may come as
/// a form from the application's own site (OpenID Connect Core 3.1.2.1):
/// it changes nothing until the person signed in on the portal answers it.
pub async fn reject_cross_site(req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || req.uri().path() == routes::OIDC_AUTHORIZE;
    if !safe && is_cross_site(req.headers()) {
        tracing::warn!(path = %req.uri().path(), "cross-site request refused");
        return message_page(
            StatusCode::FORBIDDEN,
            text::ERR_FORBIDDEN,
            text::ERR_CROSS_SITE,
        );
    }
    next.run(req).await
}

/// Files served as they are, to anyone. Everything else is a page or a
/// server function; a dot in a path does not make it a file.
const PUBLIC_FILES: [&str; 2] = ["/favicon.ico", "/robots.txt"];

fn is_page(path: &str) -> bool {
    !(path.starts_with("/api/")
        || path.starts_with("/pkg/")
        || path.starts_with(routes::OIDC_PREFIX)
        || path == routes::OIDC_DISCOVERY
        || PUBLIC_FILES.contains(&path))
}

/// The pages a session with `duty` may see; it is sent to the first.
fn duty_pages(duty: Duty) -> &'static [&'static str] {
    match duty {
        Duty::ChangePassword => &[routes::PASSWORD],
        Duty::SetUpMfa => &[routes::MFA_SETTINGS, routes::MFA_SETUP],
    }
}

#[test]
fn a_duty_is_sent_to_its_own_page_first() {
    for duty in [Duty::ChangePassword, Duty::SetUpMfa] {
        assert_eq!(duty_pages(duty)[0], request::duty_page(duty));
    }
}

fn is_console(path: &str) -> bool {
    path == routes::CONSOLE || path.starts_with(routes::CONSOLE_PREFIX)
}

/// What a page needs of the session (the same [`access::check`] as
/// server functions and plain routes).
fn need_of(path: &str) -> Need {
    if path == CODE_PAGE || path == routes::RECOVERY_PAGE {
        Need::CodeStep
    } else if path.starts_with(routes::ADMIN_PREFIX) {
        Need::Admin
    } else if is_console(path) {
        Need::Staff
    } else if let Some(duty) = [Duty::ChangePassword, Duty::SetUpMfa]
        .into_iter()
        .find(|duty| duty_pages(*duty).contains(&path))
    {
        Need::FullOrDoing(duty)
    } else {
        Need::Full
    }
}

/// Sends a page request without the right sign-in to where it belongs:
/// no session to the sign-in form (and back afterwards), a half sign-in to
/// the code page, a session with a duty (a temporary password, staff
/// without MFA) to the page that does it. The console answers 403 to
/// anyone but staff. Server functions check again on their own.
pub async fn protect_pages(req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if !matches!(*req.method(), Method::GET | Method::HEAD)
        || !is_page(path)
        || routes::PUBLIC_PAGES.contains(&path)
    {
        return next.run(req).await;
    }
    let session = req
        .extensions()
        .get::<CurrentSession>()
        .and_then(|c| c.0.as_ref());
    let to = match access::check(session, need_of(path)) {
        Ok(_) => return next.run(req).await,
        Err(Refusal::NoSession) => {
            let wanted = req.uri().path_and_query().map_or(path, |pq| pq.as_str());
            routes::login_url(wanted)
        }
        Err(Refusal::CodeOwed) => CODE_PAGE.to_owned(),
        Err(Refusal::AlreadyFull) => crate::domain::NextPath::DEFAULT.to_owned(),
        Err(Refusal::Owes(duty)) => duty_pages(duty)[0].to_owned(),
        Err(Refusal::Role) => {
            let only = match need_of(path) {
                Need::Admin => text::ERR_ADMIN_ONLY,
                _ => text::ERR_STAFF_ONLY,
            };
            return crate::server::plain::refusal_page(only);
        }
    };
    Redirect::to(&to).into_response()
}

/// Sets a Content-Security-Policy on a rendered page: scripts run only if
/// they carry this response's nonce (Leptos puts it on its hydration and
/// streaming scripts) or were loaded by one that does; everything else
/// comes from this origin. Called from the Leptos context of each page.
pub fn content_security_policy() {
    use leptos::prelude::*;
    let (Some(nonce), Some(res)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    // `cargo leptos watch` reloads the page over a WebSocket on another port.
    let dev = use_context::<AppState>()
        .is_some_and(|s| matches!(s.leptos_options.env, leptos::config::Env::DEV));
    let dev_reload = if dev {
        " ws://127.0.0.1:* ws://localhost:*"
    } else {
        ""
    };
    // While an application's request waits for this browser to sign in,
    // a sign-in form posted without JavaScript is redirected to that
    // application's registered redirect URI: its origin, and no other.
    let waiting = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<WaitingApp>().cloned())
        .map(|app| format!(" {}", app.0))
        .unwrap_or_default();
    let policy = format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'{dev_reload}; object-src 'none'; \
         base-uri 'none'; form-action 'self'{waiting}; frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        res.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// Headers every response carries.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let cacheable = req.uri().path().starts_with("/pkg/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    // Browsers only ever come back over HTTPS (the cookies are `__Host-`
    // and Secure already); browsers ignore this header over plain HTTP.
    h.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000; includeSubDomains"),
    );
    // Same-origin keeps the Referer that form posts without JavaScript
    // are redirected back to, and sends nothing to other sites.
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    if !cacheable {
        // Pages can show account state or secrets: never store them.
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn fetch_metadata_decides_when_present() {
        assert!(!is_cross_site(&headers(&[(
            "sec-fetch-site",
            "same-origin"
        )])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "same-site")])));
    }

    #[test]
    fn origin_must_match_host_otherwise() {
        assert!(!is_cross_site(&headers(&[
            ("origin", "http://127.0.0.1:3000"),
            ("host", "127.0.0.1:3000")
        ])));
        assert!(is_cross_site(&headers(&[
            ("origin", "https://evil.example"),
            ("host", "127.0.0.1:3000")
        ])));
        assert!(is_cross_site(&headers(&[
            ("origin", "null"),
            ("host", "127.0.0.1:3000")
        ])));
        assert!(!is_cross_site(&headers(&[("host", "127.0.0.1:3000")])));
    }
}
