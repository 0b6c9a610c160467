//! The users table.

use super::audit::{self, Entry};
use super::change::{Change, Seen};
use super::endings::{delete_for_user, end_sessions, Ending};
use super::Db;
use crate::server::password::PasswordHash;
use sqlx::AnyConnection;

/// What sign-in needs to know about an account.
#[derive(Debug, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub login_id: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: PasswordHash,
    pub mfa_secret: Option<Vec<u8>>,
    /// Set while the password is a temporary one (see [`set_temporary_password`]).
    pub password_expires_at: Option<i64>,
    /// The date from which the account's role needs MFA, if set.
    pub mfa_required_from: Option<String>,
}

impl UserRow {
    /// Whether the password may sign in at `now`: a chosen one always, a
    /// temporary one only before it expires (or is used).
    pub fn password_usable(&self, now: i64) -> bool {
        self.password_expires_at.is_none_or(|until| now < until)
    }

    /// What a sign-in checked, to be still true when its session starts.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            password_hash: self.password_hash.clone(),
            mfa_secret: self.mfa_secret.clone(),
        }
    }
}

/// The state of an account that a password check relied on: the password
/// hash and the sealed MFA secret themselves, not their change times. Each
/// change makes a new one (a fresh salt, a fresh nonce), so even two
/// changes within one second are seen. Its `Debug` shows neither.
#[derive(Clone, PartialEq, Eq)]
pub struct Snapshot {
    password_hash: PasswordHash,
    mfa_secret: Option<Vec<u8>>,
}

impl Snapshot {
    /// Whether MFA was on.
    pub fn mfa_on(&self) -> bool {
        self.mfa_secret.is_some()
    }

    pub fn password_hash(&self) -> &PasswordHash {
        &self.password_hash
    }

    pub fn mfa_secret(&self) -> Option<&[u8]> {
        self.mfa_secret.as_deref()
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("mfa_on", &self.mfa_on())
            .finish_non_exhaustive()
    }
}

/// The MFA secret in force: NULL unless MFA is on. What a sign-in reads
/// and, when it starts the session, compares (`sessions::sign_in`).
pub(super) const MFA_SECRET_IN_FORCE: &str =
    "CASE WHEN mfa_enabled_at IS NULL THEN NULL ELSE mfa_secret END";

/// The run of failures without the current attempt, which was counted
/// when reserved and turned out right (never below 0).
pub(super) const RUN_WITHOUT_THIS_ATTEMPT: &str =
    "failure_run = CASE WHEN failure_run > 0 THEN failure_run - 1 ELSE 0 END";

/// The [`UserRow`] of the users `filter` selects.
fn select_user(filter: &str) -> String {
    format!(
        "SELECT id, login_id, display_name, role, password_hash, {MFA_SECRET_IN_FORCE} AS mfa_secret, \
         password_expires_at, \
         (SELECT required_from FROM mfa_policies p WHERE p.role = users.role) AS mfa_required_from \
         FROM users WHERE {filter}"
    )
}

// The typed ID stays out of the span: people type passwords into it.
#[tracing::instrument(skip(db, login_id))]
pub async fn find_by_login_id(db: &Db, login_id: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&select_user("login_id = $1"))
        .bind(login_id)
        .fetch_optional(db.pool())
        .await
}

#[tracing::instrument(skip(db))]
pub async fn find_by_id(db: &Db, user_id: i64) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&select_user("id = $1"))
        .bind(user_id)
        .fetch_optional(db.pool())
        .await
}

/// A right password from a signed-in user: as at sign-in, the count
/// toward the lock starts afresh and the attempt comes back out of the run
/// (it was no failure).
#[tracing::instrument(skip(db))]
pub async fn password_reentered(db: &Db, user_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "UPDATE users SET failed_attempts = 0, {RUN_WITHOUT_THIS_ATTEMPT} WHERE id = $1"
    ))
    .bind(user_id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Writes an account without an audit record: for tests and fixtures.
/// Operators create accounts with [`create`].
#[tracing::instrument(skip(db, password_hash))]
pub async fn insert(
    db: &Db,
    login_id: &str,
    display_name: &str,
    role: &str,
    password_hash: &PasswordHash,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    insert_on(&mut conn, login_id, display_name, role, password_hash, now).await
}

/// Creates an account and records `event` for it by `actor`, in one
/// transaction. Returns its ID.
#[tracing::instrument(skip(db, password_hash, actor))]
pub async fn create(
    db: &Db,
    login_id: &str,
    display_name: &str,
    role: &str,
    password_hash: &PasswordHash,
    actor: audit::Actor,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let entry = Entry::new(actor, audit::Event::UserCreated);
    let account = NewAccount {
        login_id,
        display_name,
        role,
        password_hash,
        password_expires_at: None,
    };
    let mut change = Change::start(db).await?;
    let id = insert_account(&mut change, account, now).await?;
    change.commit(&entry.for_account(id, login_id), now).await?;
    Ok(id)
}

/// What a new account is made of.
pub struct NewAccount<'a> {
    pub login_id: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    pub password_hash: &'a PasswordHash,
    /// A temporary password's end, if it is one.
    pub password_expires_at: Option<i64>,
}

/// As [`create`], with a temporary password valid until
/// `password_expires_at` if given, recording `entry` (its account filled
/// in here) in the same transaction, if `seen` still holds. Returns its
/// ID, or `None` when `seen` no longer held and nothing was made.
#[tracing::instrument(skip_all)]
pub async fn create_with(
    db: &Db,
    seen: &Seen,
    account: NewAccount<'_>,
    entry: Entry,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let Some(mut change) = Change::begin(db, seen).await? else {
        return Ok(None);
    };
    let login_id = account.login_id;
    let id = insert_account(&mut change, account, now).await?;
    change.commit(&entry.for_account(id, login_id), now).await?;
    Ok(Some(id))
}

/// Writes `account` inside `change`. Returns its ID.
async fn insert_account(
    change: &mut Change,
    account: NewAccount<'_>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let NewAccount {
        login_id,
        display_name,
        role,
        password_hash,
        password_expires_at,
    } = account;
    let conn = change.conn();
    let id = insert_on(conn, login_id, display_name, role, password_hash, now).await?;
    sqlx::query("UPDATE users SET password_expires_at = $1 WHERE id = $2")
        .bind(password_expires_at)
        .bind(id)
        .execute(change.conn())
        .await?;
    Ok(id)
}

/// An admin's change of role, recorded with `entry`, if `seen` still
/// holds; every session of the account ends, so that it signs in afresh
/// in its new role (and sets up MFA first, if it is staff now). Returns
/// false, changing nothing, when `seen` no longer held.
#[tracing::instrument(skip(db, seen, entry))]
pub async fn set_role(
    db: &Db,
    seen: &Seen,
    user_id: i64,
    role: &str,
    now: i64,
    entry: &Entry,
) -> Result<bool, sqlx::Error> {
    let Some(mut change) = Change::begin(db, seen).await? else {
        return Ok(false);
    };
    sqlx::query("UPDATE users SET role = $1, updated_at = $2 WHERE id = $3")
        .bind(role)
        .bind(now)
        .bind(user_id)
        .execute(change.conn())
        .await?;
    end_sessions(change.conn(), user_id, Ending::All).await?;
    change.commit(entry, now).await?;
    Ok(true)
}

async fn insert_on(
    conn: &mut AnyConnection,
    login_id: &str,
    display_name: &str,
    role: &str,
    password_hash: &PasswordHash,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO users (login_id, display_name, role, password_hash, \
         password_changed_at, created_at, updated_at, subject) \
         VALUES ($1, $2, $3, $4, $5, $5, $5, $6) RETURNING id",
    )
    .bind(login_id)
    .bind(display_name)
    .bind(role)
    .bind(password_hash.expose())
    .bind(now)
    .bind(new_subject())
    .fetch_one(conn)
    .await
}

/// A new account's subject: 128 random bits in hex, as migration 0010
/// gives the accounts made before it.
fn new_subject() -> String {
    hex::encode(rand::random::<[u8; 16]>())
}

/// The account's subject (`sub`) for the applications that sign in
/// through the portal.
#[tracing::instrument(skip(db))]
pub async fn subject(db: &Db, user_id: i64) -> Result<Option<String>, sqlx::Error> {
    let found: Option<Option<String>> =
        sqlx::query_scalar("SELECT subject FROM users WHERE id = $1")
            .bind(user_id)
            .fetch_optional(db.pool())
            .await?;
    Ok(found.flatten())
}

/// Sets a new password the user chose and, in the same transaction, ends
/// every session but `keep` (the one the user changed it from, if any),
/// forgets every remembered device and pending setup of the user and
/// records `entry`: whoever had the old password (or a device it let in)
/// is out, all or nothing.
#[tracing::instrument(skip(db, password_hash, keep, entry))]
pub async fn set_password(
    db: &Db,
    user_id: i64,
    password_hash: &PasswordHash,
    keep: Option<&str>,
    now: i64,
    entry: &Entry,
) -> Result<(), sqlx::Error> {
    let sessions = match keep {
        Some(keep) => Ending::AllBut(keep),
        None => Ending::All,
    };
    let seen = Seen::nothing();
    let done = replace_password(
        db,
        &seen,
        user_id,
        password_hash,
        None,
        sessions,
        now,
        entry,
    );
    done.await.map(|_| ())
}

/// As [`set_password`], for a temporary password that staff issued: it
/// signs in once, before `expires_at`, and that session must choose a new
/// one first. Every session of the user ends. Only if `seen` still holds:
/// returns false, changing nothing, if not.
#[tracing::instrument(skip(db, seen, password_hash, entry))]
pub async fn set_temporary_password(
    db: &Db,
    seen: &Seen,
    user_id: i64,
    password_hash: &PasswordHash,
    expires_at: i64,
    now: i64,
    entry: &Entry,
) -> Result<bool, sqlx::Error> {
    let (hash, until) = (password_hash, Some(expires_at));
    replace_password(db, seen, user_id, hash, until, Ending::All, now, entry).await
}

#[allow(clippy::too_many_arguments)]
async fn replace_password(
    db: &Db,
    seen: &Seen,
    user_id: i64,
    password_hash: &PasswordHash,
    expires_at: Option<i64>,
    sessions: Ending<'_>,
    now: i64,
    entry: &Entry,
) -> Result<bool, sqlx::Error> {
    let Some(mut change) = Change::begin(db, seen).await? else {
        return Ok(false);
    };
    sqlx::query(
        "UPDATE users SET password_hash = $1, password_expires_at = $2, \
         password_changed_at = $3, updated_at = $3 WHERE id = $4",
    )
    .bind(password_hash.expose())
    .bind(expires_at)
    .bind(now)
    .bind(user_id)
    .execute(change.conn())
    .await?;
    end_sessions(change.conn(), user_id, sessions).await?;
    let tables = ["remembered_devices", "mfa_enrollments"];
    delete_for_user(change.conn(), user_id, &tables).await?;
    change.commit(entry, now).await?;
    Ok(true)
}
