//! Server-side sessions: a random token in a `__Host-` cookie, its SHA-256
//! in the database, and the sign-in stage kept on the server.
//!
//! Chosen over tower-sessions and axum_session because both keep the raw
//! session ID as the database key and serialise session data as an opaque
//! blob per engine; here the key is a hash (a copy of the database signs
//! nobody in), the sign-in stage and per-sign-in code counter are real
//! columns that SQL can update atomically, and one code path serves
//! SQLite and PostgreSQL through the `Any` driver.

use super::db::audit::Entry;
use super::db::devices::NewDevice;
use super::db::sessions::{self, NewSession};
use super::db::users::Snapshot;
use super::db::Db;
use crate::domain::Role;
use crate::error::AppError;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// A session that has seen no request for this long is over.
pub const IDLE_SECS: i64 = 30 * 60;
/// No session lives longer than this, however active.
pub const ABSOLUTE_SECS: i64 = 12 * 60 * 60;
/// A half sign-in (the password accepted, the code owed) lasts this long.
pub const HALF_SECS: i64 = 5 * 60;
const _: () = assert!(HALF_SECS < IDLE_SECS, "a half sign-in is never touched");
/// A remembered device ("このデバイスを30日間記録する") lasts this long.
pub const REMEMBER_SECS: i64 = 30 * 24 * 60 * 60;
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

/// How the sign-in that made a session was proved: what the tokens it
/// gives applications say in `amr` and `acr` (docs/OIDC.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The password, with MFA off.
    Password,
    /// The password, in a browser remembered for 30 days: no code asked.
    RememberedDevice,
    /// The password and a code from the authenticator app.
    Code,
    /// The password and a recovery code.
    RecoveryCode,
}

impl Method {
    /// As stored in `sessions.method` and `oidc_grants.method`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::RememberedDevice => "remembered_device",
            Self::Code => "code",
            Self::RecoveryCode => "recovery_code",
        }
    }

    /// The stored value; an unknown one (only a hand-edited row) is taken
    /// as the weakest.
    pub fn parse(raw: &str) -> Self {
        match raw {
            "remembered_device" => Self::RememberedDevice,
            "code" => Self::Code,
            "recovery_code" => Self::RecoveryCode,
            _ => Self::Password,
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

/// A session's handle: 128 random bits that name it on the settings page
/// (and to "end this one"), where neither the token nor its hash may go.
fn new_handle() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What a fully signed-in session must do before anything else, read
/// from the account on every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Duty {
    /// It signed in with a temporary password: choose a new one.
    ChangePassword,
    /// Staff without MFA: set it up.
    SetUpMfa,
}

/// A session, as loaded by [`resolve`].
#[derive(Debug, Clone)]
pub struct Session {
    pub id_hash: String,
    pub handle: String,
    pub user_id: i64,
    pub login_id: String,
    pub stage: Stage,
    pub role: Role,
    /// What must come first, if anything.
    pub duty: Option<Duty>,
    /// When a code was last confirmed in this session (the code step, a
    /// setup, a step-up), if ever.
    pub code_at: Option<i64>,
    /// How its sign-in was proved.
    pub method: Method,
    /// When its sign-in was completed (a new ID is made then): the
    /// `auth_time` of the tokens it gives applications.
    pub signed_in_at: i64,
    /// Whether the account has MFA on, and the date from which its role
    /// needs MFA (an admin's policy), as read with the session.
    pub mfa_on: bool,
    pub mfa_required_from: Option<String>,
}

impl Session {
    /// True when a code was confirmed in this session at or after `since`.
    pub fn code_since(&self, since: i64) -> bool {
        self.code_at.is_some_and(|at| at >= since)
    }
}

/// The duty of an account, as its row stands, at `now`.
pub fn duty_of_user(user: &super::db::users::UserRow, now: i64) -> Option<Duty> {
    let state = AccountState {
        role: Role::parse(&user.role).unwrap_or(Role::Dealer),
        mfa_on: user.mfa_secret.is_some(),
        temporary_password: user.password_expires_at.is_some(),
        mfa_required_from: user.mfa_required_from.as_deref(),
    };
    state.duty(now)
}

/// What decides an account's duty.
#[derive(Debug, Clone, Copy)]
pub struct AccountState<'a> {
    pub role: Role,
    pub mfa_on: bool,
    pub temporary_password: bool,
    /// `YYYY-MM-DD`: the role's MFA policy, if an admin set one.
    pub mfa_required_from: Option<&'a str>,
}

impl AccountState<'_> {
    /// A temporary password first; then MFA, for staff always and for a
    /// role whose policy date (Japan time) has come.
    pub fn duty(&self, now: i64) -> Option<Duty> {
        let today = super::clock::japan_date(now);
        let policy_due = self
            .mfa_required_from
            .is_some_and(|from| from <= today.as_str());
        if self.temporary_password {
            Some(Duty::ChangePassword)
        } else if !self.mfa_on && (self.role.is_staff() || policy_due) {
            Some(Duty::SetUpMfa)
        } else {
            None
        }
    }
}

/// When a session counts as live at `now`: as [`resolve`] decides, for
/// queries that ask about sessions they do not load (an application's
/// grant lives only while its session does).
pub fn live_since(now: i64) -> sessions::LiveSince {
    sessions::LiveSince {
        idle_since: now - IDLE_SECS,
        created_since: now - ABSOLUTE_SECS,
    }
}

/// Looks up the session a token names, ending it if it has expired.
pub async fn resolve(db: &Db, token: &Token, now: i64) -> Result<Option<Session>, sqlx::Error> {
    let id_hash = token.hash();
    let Some(row) = sessions::find(db, &id_hash).await? else {
        return Ok(None);
    };
    let half = row.stage != Stage::Full.as_str();
    if now - row.last_seen_at > IDLE_SECS
        || now - row.created_at > ABSOLUTE_SECS
        || (half && now - row.created_at > HALF_SECS)
    {
        sessions::delete(db, &id_hash).await?;
        return Ok(None);
    }
    // A session whose end an application was already told of (another
    // instance saw it idle a moment earlier) does not come back to life.
    // A half sign-in is not touched: it ends by HALF_SECS, long before it
    // could be idle for IDLE_SECS, and no application knows of it.
    let touch = !half && now - row.last_seen_at >= TOUCH_EVERY_SECS;
    if touch && !sessions::touch(db, &id_hash, now).await? {
        sessions::delete(db, &id_hash).await?;
        return Ok(None);
    }
    let stage = if half { Stage::Code } else { Stage::Full };
    // An unknown role (only a hand-edited row) gets a dealer's rights.
    let role = Role::parse(&row.role).unwrap_or(Role::Dealer);
    Ok(Some(Session {
        id_hash,
        handle: row.handle,
        user_id: row.user_id,
        login_id: row.login_id,
        stage,
        role,
        duty: AccountState {
            role,
            mfa_on: row.mfa_enabled_at.is_some(),
            temporary_password: row.password_expires_at.is_some(),
            mfa_required_from: row.mfa_required_from.as_deref(),
        }
        .duty(now),
        code_at: row.code_at,
        method: Method::parse(&row.method),
        signed_in_at: row.created_at,
        mfa_on: row.mfa_enabled_at.is_some(),
        mfa_required_from: row.mfa_required_from,
    }))
}

/// Who a new session is for and where it was started.
#[derive(Debug, Clone, Copy)]
pub struct Owner<'a> {
    pub user_id: i64,
    /// How the sign-in was proved (a half sign-in: the password).
    pub method: Method,
    pub browser: &'a str,
    pub address: Option<&'a str>,
}

/// Starts a new session (a new ID every time: sign-in and the code step
/// both rotate it) and ends `previous`, only if the account is still as
/// the password check saw it (`snapshot`); records `entry` with it.
/// Returns the token for the cookie, or `None` when the account changed
/// meanwhile (see [`sessions::sign_in`]).
pub async fn start(
    db: &Db,
    owner: Owner<'_>,
    stage: Stage,
    snapshot: &Snapshot,
    previous: Option<&Session>,
    entry: &Entry,
    now: i64,
) -> Result<Option<Token>, AppError> {
    let token = Token::generate();
    let new = NewSession {
        id_hash: &token.hash(),
        handle: &new_handle(),
        user_id: owner.user_id,
        stage: stage.as_str(),
        browser: owner.browser,
        address: owner.address,
        code_at: None,
        method: owner.method.as_str(),
    };
    let previous = previous.map(|p| p.id_hash.as_str());
    let started = sessions::sign_in(db, new, snapshot, previous, entry, now).await?;
    Ok(started.then_some(token))
}

/// The full session that replaces a half one when its code is right: the
/// token for the cookie, and what the repository writes (never the token).
pub struct Successor {
    pub token: Token,
    hash: String,
    handle: String,
    method: Method,
}

impl Successor {
    /// A new ID and handle, for a sign-in proved by `method`.
    pub fn new(method: Method) -> Self {
        let token = Token::generate();
        Self {
            hash: token.hash(),
            handle: new_handle(),
            token,
            method,
        }
    }

    /// The new session's row.
    pub fn row(&self) -> sessions::Promoted<'_> {
        sessions::Promoted {
            id_hash: &self.hash,
            handle: &self.handle,
            method: self.method.as_str(),
        }
    }
}

/// Turns a half sign-in into a full one under a new ID (the code was
/// right), recording `entry` and remembering `device`, and returns its
/// token. Fails with `NotSignedIn` if the half sign-in is already gone, or
/// has more than `counted_at_most` codes counted.
pub async fn promote(
    db: &Db,
    half: &Session,
    method: Method,
    counted_at_most: i64,
    entry: &Entry,
    device: Option<&NewDevice<'_>>,
    now: i64,
) -> Result<Token, AppError> {
    let next = Successor::new(method);
    let promotion = sessions::Promotion {
        half_hash: &half.id_hash,
        full: next.row(),
        counted_at_most,
        entry,
        device,
    };
    if !sessions::promote(db, half.user_id, promotion, now).await? {
        return Err(AppError::NotSignedIn);
    }
    Ok(next.token)
}

/// Ends the session on the server. The cookie is the caller's to clear,
/// and is left alone where a parallel request may just have set a new one
/// (a double submit of the code form), which clearing would sign out: the
/// old token now names nothing.
pub async fn discard(db: &Db, session: &Session) -> Result<(), AppError> {
    Ok(sessions::delete(db, &session.id_hash).await?)
}
