//! The request at the edge: what server functions read from the current
//! request (its session, the client's address, cookies) and what they set
//! on the response (cookies). Services never call these; they are handed
//! what they need ([`Client`], a [`Session`]) and return what must be set.

pub use super::access::Need;
use super::access::{self, Refusal};
use super::services::Client;
pub use super::session::{Duty, Stage};
use super::session::{Session, Token, REMEMBER_SECS};
use super::AppState;
use crate::error::AppError;
use axum::http::{header, request::Parts, HeaderMap, HeaderValue};
use leptos::prelude::*;

/// The session cookie.
pub const SESSION_COOKIE: &str = "__Host-autobank_session";
/// The "このデバイスを30日間記録する" cookie.
pub const DEVICE_COOKIE: &str = "__Host-autobank_device";

/// Names an application's authorization request that waits for this
/// browser to sign in (`services::provider`).
pub const PENDING_COOKIE: &str = "__Host-autobank_authz";

/// Put in the request's extensions by the session middleware.
#[derive(Debug, Clone, Default)]
pub struct CurrentSession(pub Option<Session>);

/// The client's address (after `AUTOBANK_TRUSTED_PROXIES`), put in the
/// request's extensions by the session middleware.
#[derive(Debug, Clone, Default)]
pub struct ClientAddress(pub Option<std::net::IpAddr>);

/// Reads one cookie from request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `__Host-` cookie: HttpOnly, Secure, SameSite=Lax, whole site. With
/// no `max_age_secs` it ends when the browser closes.
fn cookie_header(name: &str, value: &str, max_age_secs: Option<i64>) -> HeaderValue {
    let max_age = max_age_secs
        .map(|secs| format!("; Max-Age={secs}"))
        .unwrap_or_default();
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/{max_age}; HttpOnly; Secure; SameSite=Lax"
    ))
    .expect("cookie values are ASCII")
}

/// Reads the current request's head in place (cloning `Parts` would copy
/// every header on each call).
fn with_parts<R>(read: impl FnOnce(&Parts) -> R) -> Option<R> {
    with_context::<Parts, _>(read)
}

/// The session the middleware loaded into the request, if any.
fn session_in(parts: &Parts) -> Option<&Session> {
    parts.extensions.get::<CurrentSession>()?.0.as_ref()
}

fn append_cookie(value: HeaderValue) {
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.append_header(header::SET_COOKIE, value);
    }
}

/// Sets the session cookie to a new session's token. It ends when the
/// browser closes; the server ends the session after 30 idle minutes or
/// 12 hours, whichever comes first.
pub fn set_session_cookie(token: &Token) {
    append_cookie(cookie_header(SESSION_COOKIE, token.expose(), None));
}

/// Clears the session cookie (the session has ended on the server).
pub fn clear_session_cookie() {
    append_cookie(cleared_session_cookie());
}

/// A `Set-Cookie` that clears the session cookie, for plain routes.
pub fn cleared_session_cookie() -> HeaderValue {
    cookie_header(SESSION_COOKIE, "", Some(0))
}

/// Sets the remembered-device cookie.
pub fn set_device_cookie(token: &Token) {
    append_cookie(cookie_header(
        DEVICE_COOKIE,
        token.expose(),
        Some(REMEMBER_SECS),
    ));
}

/// The token of the pending-request cookie `headers` carry, if any.
pub fn pending(headers: &HeaderMap) -> Option<Token> {
    cookie(headers, PENDING_COOKIE).and_then(Token::parse)
}

/// The pending-request token of the current request (a server function's).
fn pending_here() -> Option<Token> {
    with_parts(|parts| pending(&parts.headers)).flatten()
}

/// The pending-request cookie for `token`, or one that clears it.
pub fn pending_cookie(token: Option<&Token>) -> HeaderValue {
    match token {
        Some(token) => cookie_header(
            PENDING_COOKIE,
            token.expose(),
            Some(super::services::provider::PENDING_SECS),
        ),
        None => cookie_header(PENDING_COOKIE, "", Some(0)),
    }
}

/// Where a full sign-in (its new session's `token`) goes: back to the
/// application whose request waited for this browser (with its code), to
/// the duty that comes first, or to `next`.
pub async fn after_sign_in(
    state: &AppState,
    token: &Token,
    duty: Option<Duty>,
    next: &str,
    client: &Client,
) -> Result<String, AppError> {
    use super::services::provider::{self, Next};
    let pending = pending_here();
    if let (Some(pending), Some(issuer)) = (pending, state.issuer.as_deref()) {
        let now = state.clock.now();
        if let Some(session) = super::session::resolve(&state.db, token, now).await? {
            match provider::resume(state, issuer, &pending, &session, client).await? {
                Some(Next::ToClient(url)) => {
                    append_cookie(pending_cookie(None));
                    return Ok(url);
                }
                Some(Next::Duty { duty, .. }) => return Ok(duty_page(duty).to_owned()),
                Some(Next::SignIn { .. }) => {}
                None => append_cookie(pending_cookie(None)),
            }
        }
    }
    Ok(landing(duty, next).to_owned())
}

/// The name of the application whose request waits for this browser, if
/// one does (read from the pending-request cookie).
pub async fn waiting_app(state: &AppState) -> Result<Option<String>, AppError> {
    let pending = pending_here();
    match pending {
        Some(pending) => super::services::provider::waiting_app(state, &pending).await,
        None => Ok(None),
    }
}

/// What services may know about the client of the current request.
pub fn client() -> Client {
    with_parts(|parts| {
        let address = parts.extensions.get::<ClientAddress>().and_then(|a| a.0);
        client_of(&parts.headers, address)
    })
    .unwrap_or_else(|| client_of(&HeaderMap::new(), None))
}

/// What services may know about a client: its address (after
/// `AUTOBANK_TRUSTED_PROXIES`) and what its headers say. For plain routes,
/// which have the headers in hand.
pub fn client_of(headers: &HeaderMap, address: Option<std::net::IpAddr>) -> Client {
    Client {
        address: address.map(|ip| ip.to_string()),
        browser: super::labels::browser_label(
            headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default(),
        ),
        device_token: cookie(headers, DEVICE_COOKIE).and_then(Token::parse),
    }
}

/// The session of the current request, whatever its stage.
pub fn current_session() -> Option<Session> {
    with_parts(|parts| session_in(parts).cloned()).flatten()
}

/// What a protected server function starts from: the state, the session
/// (checked against what the function needs, by the same
/// [`access::check`] as plain routes and the page guard) and the client.
pub struct Call {
    pub state: AppState,
    pub session: Session,
    pub client: Client,
}

impl Call {
    pub fn new(need: Need) -> Result<Self, AppError> {
        Ok(Self {
            session: require(need)?,
            state: AppState::get()?,
            client: client(),
        })
    }
}

/// The state, for a server function that needs nothing of the request.
pub fn state() -> Result<AppState, AppError> {
    AppState::get()
}

/// What a server function open to anyone starts from: the state, the
/// session if there is one (at any stage), and the client.
pub struct Open {
    pub state: AppState,
    pub session: Option<Session>,
    pub client: Client,
}

impl Open {
    pub fn new() -> Result<Self, AppError> {
        Ok(Self {
            state: AppState::get()?,
            session: current_session(),
            client: client(),
        })
    }
}

/// The session of the current request, if it may go on to a server
/// function that needs `need`: a half sign-in gets nothing beyond the code
/// step, nor does a session that must change its password or set up MFA
/// first (except on the page that does it).
pub fn require(need: Need) -> Result<Session, AppError> {
    let checked = with_parts(|parts| access::check(session_in(parts), need).cloned());
    Ok(checked.unwrap_or_else(|| access::check(None, need).cloned())?)
}

/// The page that does `duty`: where a session with it is sent.
pub fn duty_page(duty: Duty) -> &'static str {
    crate::routes::duty_page(&Refusal::Owes(duty).into()).unwrap_or(crate::routes::MFA_SETTINGS)
}

/// Where a full sign-in goes: the page of its duty, or `next`.
pub fn landing(duty: Option<Duty>, next: &str) -> &str {
    match duty {
        Some(duty) => duty_page(duty),
        None => next,
    }
}
