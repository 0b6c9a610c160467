//! The audit trail: who did what, when, from where. Never a secret.

use super::Db;
use sqlx::AnyConnection;

/// Everything the system records. Stored as the snake-case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    SignInSuccess,
    SignInFailure,
    /// A wrong password re-entered on a settings form.
    PasswordFailure,
    Locked,
    /// A lock after an earlier one in the same run of failures: longer.
    LockExtended,
    /// 100 failures in a row: signed-in nowhere until the helpdesk unlocks.
    Disabled,
    Unlocked,
    SignOut,
    UserCreated,
    PasswordChanged,
    CodeSuccess,
    CodeFailure,
    MfaOn,
    MfaOff,
    MfaReset,
    DeviceRemembered,
    DeviceUsed,
    DeviceForgotten,
    SessionEnded,
    OtherSessionsEnded,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignInSuccess => "sign_in_success",
            Self::SignInFailure => "sign_in_failure",
            Self::PasswordFailure => "password_failure",
            Self::Locked => "locked",
            Self::LockExtended => "lock_extended",
            Self::Disabled => "disabled",
            Self::Unlocked => "unlocked",
            Self::SignOut => "sign_out",
            Self::UserCreated => "user_created",
            Self::PasswordChanged => "password_changed",
            Self::CodeSuccess => "code_success",
            Self::CodeFailure => "code_failure",
            Self::MfaOn => "mfa_on",
            Self::MfaOff => "mfa_off",
            Self::MfaReset => "mfa_reset",
            Self::DeviceRemembered => "device_remembered",
            Self::DeviceUsed => "device_used",
            Self::DeviceForgotten => "device_forgotten",
            Self::SessionEnded => "session_ended",
            Self::OtherSessionsEnded => "other_sessions_ended",
        }
    }
}

/// Who and where, for one event.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub login_id: Option<String>,
    /// `user` for the account holder, `cli:<name>` for an operator.
    pub actor: String,
    pub address: Option<String>,
}

/// One record: who, what, and any detail (never a secret). A change and
/// its record are written in one transaction: the repository function that
/// makes the change takes the entry and writes it with [`write`].
#[derive(Debug, Clone)]
pub struct Entry {
    pub actor: Actor,
    pub event: Event,
    pub detail: Option<String>,
}

impl Entry {
    pub fn new(actor: Actor, event: Event) -> Self {
        Self {
            actor,
            event,
            detail: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub at: i64,
    pub login_id: Option<String>,
    pub actor: String,
    pub event: String,
    pub address: Option<String>,
    pub detail: Option<String>,
}

/// Writes `entry` on `conn`: inside the caller's transaction.
pub async fn write(conn: &mut AnyConnection, entry: &Entry, now: i64) -> Result<(), sqlx::Error> {
    let who = &entry.actor;
    sqlx::query(
        "INSERT INTO audit_events (at, user_id, login_id, actor, event, address, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(now)
    .bind(who.user_id)
    .bind(who.login_id.as_deref())
    .bind(&who.actor)
    .bind(entry.event.as_str())
    .bind(who.address.as_deref())
    .bind(entry.detail.as_deref())
    .execute(conn)
    .await?;
    Ok(())
}

/// Records an event that changes nothing else (a failed check, a use).
#[tracing::instrument(skip_all, fields(event = entry.event.as_str()))]
pub async fn record(db: &Db, entry: &Entry, now: i64) -> Result<(), sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    write(&mut conn, entry, now).await
}

/// Deletes records older than `before`. Returns how many.
#[tracing::instrument(skip(db))]
pub async fn delete_older_than(db: &Db, before: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM audit_events WHERE at < $1")
        .bind(before)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected())
}

/// Newest first, optionally for one login ID.
#[tracing::instrument(skip(db))]
pub async fn list(
    db: &Db,
    login_id: Option<&str>,
    limit: i64,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT at, login_id, actor, event, address, detail FROM audit_events \
         WHERE ($1 IS NULL OR login_id = $1) ORDER BY at DESC, id DESC LIMIT $2",
    )
    .bind(login_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await
}
