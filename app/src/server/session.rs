//! Server-side sessions: a random token in a `__Host-` cookie, its SHA-256
//! in the database, and the sign-in stage kept on the server.
//!
//! Chosen over tower-sessions and axum_session because both keep the raw
//! session ID as the database key and serialise session data as an opaque
//! blob per engine; here the key is a hash (a copy of the database signs
//! nobody in), the sign-in stage and per-sign-in code counter are real
//! columns that SQL can update atomically, and one code path serves
//! SQLite and PostgreSQL through the `Any` driver.

use super::db::{self, sessions, Db};
use super::now;
use crate::error::AppError;
use axum::http::{header, HeaderMap, HeaderValue};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use leptos::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const COOKIE: &str = "__Host-autobank_session";
/// A session that has seen no request for this long is over.
pub const IDLE_SECS: i64 = 30 * 60;
/// No session lives longer than this, however active.
pub const ABSOLUTE_SECS: i64 = 12 * 60 * 60;
/// `last_seen_at` is written at most this often, to spare the database.
const TOUCH_EVERY_SECS: i64 = 60;

/// How far sign-in has got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Password accepted; the one-time code is still owed.
    Code,
    /// Fully signed in.
    Full,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::Full => "full",
        }
    }
}

/// A random 256-bit token. Its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl Token {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Accepts only what `generate` makes: anything else is not looked up.
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == 43
            && raw
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .then(|| Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the database stores.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }
}

/// The session of the current request, as loaded by [`load`].
#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub user_id: i64,
    pub login_id: String,
    pub display_name: String,
    pub role: String,
    pub stage: Stage,
    pub code_failures: i64,
}

/// Put in the request's extensions by the session middleware.
#[derive(Debug, Clone, Default)]
pub struct CurrentSession(pub Option<Session>);

/// The client's address, for the audit trail.
#[derive(Debug, Clone, Default)]
pub struct ClientAddress(pub Option<String>);

/// Reads one cookie from the request headers.
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

/// A `__Host-` cookie: HttpOnly, Secure, SameSite=Lax, whole site.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; Secure; SameSite=Lax"
    ))
    .expect("cookie values are ASCII")
}

/// Looks up the session a token names, ending it if it has expired.
pub async fn resolve(db: &Db, token: &Token) -> Result<Option<Session>, sqlx::Error> {
    let id_hash = token.hash();
    let Some(row) = sessions::find(db, &id_hash).await? else {
        return Ok(None);
    };
    let now = now();
    if now - row.last_seen_at > IDLE_SECS || now - row.created_at > ABSOLUTE_SECS {
        sessions::delete(db, &id_hash).await?;
        return Ok(None);
    }
    if now - row.last_seen_at >= TOUCH_EVERY_SECS {
        sessions::touch(db, &id_hash, now).await?;
    }
    let stage = if row.stage == Stage::Full.as_str() {
        Stage::Full
    } else {
        Stage::Code
    };
    Ok(Some(Session {
        id_hash,
        user_id: row.user_id,
        login_id: row.login_id,
        display_name: row.display_name,
        role: row.role,
        stage,
        code_failures: row.code_failures,
    }))
}

/// Starts a new session (a new ID every time: sign-in and the code step
/// both rotate it), ends `previous`, and sets the cookie on the response.
pub async fn start(
    db: &Db,
    user_id: i64,
    stage: Stage,
    previous: Option<&Session>,
) -> Result<(), AppError> {
    let token = Token::generate();
    if let Some(previous) = previous {
        sessions::delete(db, &previous.id_hash)
            .await
            .map_err(db::db_error)?;
    }
    sessions::insert(db, &token.hash(), user_id, stage.as_str(), now())
        .await
        .map_err(db::db_error)?;
    response_header(
        header::SET_COOKIE,
        set_cookie(COOKIE, token.expose(), ABSOLUTE_SECS),
    );
    Ok(())
}

/// Turns a half sign-in into a full one under a new ID (the code was
/// right). Fails with `NotSignedIn` if the half sign-in is already gone.
pub async fn promote(db: &Db, half: &Session) -> Result<(), AppError> {
    let token = Token::generate();
    if !sessions::promote(db, &half.id_hash, &token.hash(), now())
        .await
        .map_err(db::db_error)?
    {
        return Err(AppError::NotSignedIn);
    }
    response_header(
        header::SET_COOKIE,
        set_cookie(COOKIE, token.expose(), ABSOLUTE_SECS),
    );
    Ok(())
}

/// Ends the session on the server but leaves the cookie alone: used where
/// a parallel request may just have set a new one (a double submit of the
/// code form), which clearing would sign out. The old token now names
/// nothing.
pub async fn discard(db: &Db, session: &Session) -> Result<(), AppError> {
    sessions::delete(db, &session.id_hash)
        .await
        .map_err(db::db_error)
}

/// Ends the session on the server and clears the cookie.
pub async fn end(db: &Db, session: &Session) -> Result<(), AppError> {
    discard(db, session).await?;
    response_header(header::SET_COOKIE, set_cookie(COOKIE, "", 0));
    Ok(())
}

/// Appends a header to the response of the current server function.
pub fn response_header(name: header::HeaderName, value: HeaderValue) {
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.append_header(name, value);
    }
}

fn request_parts() -> Option<axum::http::request::Parts> {
    use_context::<axum::http::request::Parts>()
}

/// A header of the current request.
pub fn request_header(name: &str) -> Option<String> {
    request_parts()?
        .headers
        .get(name)?
        .to_str()
        .ok()
        .map(str::to_owned)
}

/// A cookie of the current request.
pub fn request_cookie(name: &str) -> Option<String> {
    cookie(&request_parts()?.headers, name).map(str::to_owned)
}

/// The session of the current request, whatever its stage.
pub fn current() -> Option<Session> {
    request_parts()?
        .extensions
        .get::<CurrentSession>()?
        .0
        .clone()
}

/// The client's address of the current request.
pub fn client_address() -> Option<String> {
    request_parts()?
        .extensions
        .get::<ClientAddress>()?
        .0
        .clone()
}

/// The session, if it is fully signed in. Every protected server function
/// starts here: a half sign-in (code still owed) gets nothing.
pub fn require_full() -> Result<Session, AppError> {
    match current() {
        Some(s) if s.stage == Stage::Full => Ok(s),
        _ => Err(AppError::NotSignedIn),
    }
}

/// The session, if it is waiting for its one-time code.
pub fn require_code_stage() -> Result<Session, AppError> {
    match current() {
        Some(s) if s.stage == Stage::Code => Ok(s),
        _ => Err(AppError::NotSignedIn),
    }
}
