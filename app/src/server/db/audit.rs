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
    /// Staff lifted a disable.
    Enabled,
    Unlocked,
    SignOut,
    UserCreated,
    PasswordChanged,
    /// Staff issued a temporary password.
    TempPasswordIssued,
    CodeSuccess,
    /// A staff member confirmed their code before an action.
    StepUp,
    CodeFailure,
    MfaOn,
    MfaOff,
    MfaReset,
    DeviceRemembered,
    DeviceUsed,
    DeviceForgotten,
    SessionEnded,
    OtherSessionsEnded,
    /// Staff ended every session of the account.
    AllSessionsEnded,
    /// A recovery code stood in for the one-time code.
    RecoveryCodeUsed,
    /// A new set of recovery codes (the old one void).
    RecoveryCodesCreated,
    /// An admin changed the account's role.
    RoleChanged,
    /// An admin set (or lifted) a role's MFA requirement.
    MfaPolicySet,
    /// An admin posted, edited or deleted a notice.
    NoticeChanged,
    /// A new signing key for the tokens the portal issues to applications.
    SigningKeyRotated,
    /// A business application registered to sign in through the portal.
    ClientRegistered,
    ClientRemoved,
    /// A client's secret replaced (the old one void).
    ClientSecretReplaced,
    /// The account signed in to a business application (the detail names
    /// the client).
    AppSignIn,
    /// An authorization code presented a second time: its tokens revoked.
    CodeReplayed,
    /// An authorization code presented with another redirect URI or a
    /// PKCE verifier that does not match: used up, its grant revoked (a
    /// sign of a stolen or injected code, RFC 9700 4.5).
    CodeMismatched,
    /// A client failed to authenticate at the token endpoint.
    ClientAuthFailed,
    /// A used refresh token presented again: its grant's tokens revoked.
    RefreshTokenReplayed,
    /// An application never confirmed a back-channel logout (the detail
    /// names the client and the last failure).
    BackChannelLogoutFailed,
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
            Self::Enabled => "enabled",
            Self::Unlocked => "unlocked",
            Self::SignOut => "sign_out",
            Self::UserCreated => "user_created",
            Self::PasswordChanged => "password_changed",
            Self::TempPasswordIssued => "temp_password_issued",
            Self::StepUp => "step_up",
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
            Self::AllSessionsEnded => "all_sessions_ended",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::RecoveryCodesCreated => "recovery_codes_created",
            Self::RoleChanged => "role_changed",
            Self::MfaPolicySet => "mfa_policy_set",
            Self::NoticeChanged => "notice_changed",
            Self::SigningKeyRotated => "signing_key_rotated",
            Self::ClientRegistered => "client_registered",
            Self::ClientRemoved => "client_removed",
            Self::ClientSecretReplaced => "client_secret_replaced",
            Self::AppSignIn => "app_sign_in",
            Self::CodeReplayed => "code_replayed",
            Self::CodeMismatched => "code_mismatched",
            Self::ClientAuthFailed => "client_auth_failed",
            Self::RefreshTokenReplayed => "refresh_token_replayed",
            Self::BackChannelLogoutFailed => "backchannel_logout_failed",
        }
    }
}

/// Who and where, for one event.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub login_id: Option<String>,
    /// `user` for the account holder, `cli:<name>` for an operator,
    /// `<role>:<login ID>` for a member of staff in the console.
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
    /// Why a member of staff acted, as they typed it.
    pub reason: Option<String>,
}

impl Entry {
    pub fn new(actor: Actor, event: Event) -> Self {
        Self {
            actor,
            event,
            detail: None,
            reason: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// The record about the account `user_id` (`login_id`): for an account
    /// made in the same change, whose ID the caller did not know.
    pub fn for_account(mut self, user_id: i64, login_id: &str) -> Self {
        self.actor.user_id = Some(user_id);
        self.actor.login_id = Some(login_id.to_owned());
        self
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: i64,
    pub login_id: Option<String>,
    /// The account's registered name, if it still exists.
    pub name: Option<String>,
    pub actor: String,
    pub event: String,
    pub address: Option<String>,
    pub detail: Option<String>,
    pub reason: Option<String>,
}

/// The columns of an [`AuditRow`], with the account's current name.
const SELECT_ROWS: &str =
    "SELECT a.id, a.at, a.login_id, u.display_name AS name, a.actor, a.event, \
     a.address, a.detail, a.reason FROM audit_events a LEFT JOIN users u ON u.id = a.user_id";

/// Writes `entry` on `conn`: inside the caller's transaction.
pub async fn write(conn: &mut AnyConnection, entry: &Entry, now: i64) -> Result<(), sqlx::Error> {
    let who = &entry.actor;
    sqlx::query(
        "INSERT INTO audit_events (at, user_id, login_id, actor, event, address, detail, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(now)
    .bind(who.user_id)
    .bind(who.login_id.as_deref())
    .bind(&who.actor)
    .bind(entry.event.as_str())
    .bind(who.address.as_deref())
    .bind(entry.detail.as_deref())
    .bind(entry.reason.as_deref())
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
    sqlx::query_as(&format!(
        "{SELECT_ROWS} WHERE ($1 IS NULL OR a.login_id = $1) ORDER BY a.at DESC, a.id DESC LIMIT $2"
    ))
    .bind(login_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

/// The account's most recent records (by its ID, whatever it was called),
/// newest first.
#[tracing::instrument(skip(db))]
pub async fn for_user(db: &Db, user_id: i64, limit: i64) -> Result<Vec<AuditRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT_ROWS} WHERE a.user_id = $1 ORDER BY a.at DESC, a.id DESC LIMIT $2"
    ))
    .bind(user_id)
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

/// The account's last complete or password sign-in: when, and from where.
#[tracing::instrument(skip(db))]
pub async fn last_sign_in(
    db: &Db,
    user_id: i64,
) -> Result<Option<(i64, Option<String>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT at, address FROM audit_events WHERE user_id = $1 AND event = 'sign_in_success' \
         ORDER BY at DESC, id DESC LIMIT 1",
    )
    .bind(user_id)
    .fetch_optional(db.pool())
    .await
}

/// What the audit trail in the browser is filtered by; `None` is any.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub login_id: Option<String>,
    pub event: Option<String>,
    /// From this time, inclusive.
    pub from: Option<i64>,
    /// Before this time.
    pub until: Option<i64>,
}

/// Records matching `filter`, newest first, `limit` from `offset`.
#[tracing::instrument(skip(db))]
pub async fn search(
    db: &Db,
    filter: &Filter,
    limit: i64,
    offset: i64,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{SELECT_ROWS} WHERE ($1 IS NULL OR a.login_id = $1) AND ($2 IS NULL OR a.event = $2) \
         AND ($3 IS NULL OR a.at >= $3) AND ($4 IS NULL OR a.at < $4) \
         ORDER BY a.at DESC, a.id DESC LIMIT $5 OFFSET $6"
    ))
    .bind(filter.login_id.as_deref())
    .bind(filter.event.as_deref())
    .bind(filter.from)
    .bind(filter.until)
    .bind(limit)
    .bind(offset)
    .fetch_all(db.pool())
    .await
}
