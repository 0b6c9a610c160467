//! The MFA policy: the date from which a role must use MFA.

use super::audit::Entry;
use super::change::{Change, Seen};
use super::Db;

/// The date from which `role` needs MFA, if an admin set one.
#[tracing::instrument(skip(db))]
pub async fn mfa_policy(db: &Db, role: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT required_from FROM mfa_policies WHERE role = $1")
        .bind(role)
        .fetch_optional(db.pool())
        .await
}

/// Sets (`Some`) or lifts (`None`) `role`'s MFA policy, recording `entry`,
/// if `seen` still holds. Returns false, changing nothing, if not.
#[tracing::instrument(skip(db, seen, entry))]
pub async fn set_mfa_policy(
    db: &Db,
    seen: &Seen,
    role: &str,
    required_from: Option<&str>,
    now: i64,
    entry: &Entry,
) -> Result<bool, sqlx::Error> {
    let Some(mut change) = Change::begin(db, seen).await? else {
        return Ok(false);
    };
    sqlx::query("DELETE FROM mfa_policies WHERE role = $1")
        .bind(role)
        .execute(change.conn())
        .await?;
    if let Some(date) = required_from {
        sqlx::query("INSERT INTO mfa_policies (role, required_from) VALUES ($1, $2)")
            .bind(role)
            .bind(date)
            .execute(change.conn())
            .await?;
    }
    change.commit(entry, now).await?;
    Ok(true)
}
