//! The audit trail: who did what, when, from where. Never a secret.

use super::Db;

/// Everything the system records. Stored as the snake-case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    SignInSuccess,
    SignInFailure,
    Locked,
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
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignInSuccess => "sign_in_success",
            Self::SignInFailure => "sign_in_failure",
            Self::Locked => "locked",
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

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub at: i64,
    pub login_id: Option<String>,
    pub actor: String,
    pub event: String,
    pub address: Option<String>,
}

#[tracing::instrument(skip(db))]
pub async fn record(db: &Db, who: &Actor, event: Event, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_events (at, user_id, login_id, actor, event, address) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(now)
    .bind(who.user_id)
    .bind(who.login_id.as_deref())
    .bind(&who.actor)
    .bind(event.as_str())
    .bind(who.address.as_deref())
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Newest first, optionally for one login ID.
#[tracing::instrument(skip(db))]
pub async fn list(
    db: &Db,
    login_id: Option<&str>,
    limit: i64,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT at, login_id, actor, event, address FROM audit_events \
         WHERE ($1 IS NULL OR login_id = $1) ORDER BY at DESC, id DESC LIMIT $2",
    )
    .bind(login_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await
}
