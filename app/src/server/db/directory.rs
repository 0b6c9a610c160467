//! The accounts as staff look them up: the list, the console's search
//! and one account's page.

use super::Db;

/// One line of `autobank user list`.
#[derive(Debug, sqlx::FromRow)]
pub struct UserSummary {
    pub login_id: String,
    pub display_name: String,
    pub role: String,
    pub locked_until: Option<i64>,
    pub disabled_at: Option<i64>,
    pub created_at: i64,
}

#[tracing::instrument(skip(db))]
pub async fn list(db: &Db) -> Result<Vec<UserSummary>, sqlx::Error> {
    sqlx::query_as("SELECT login_id, display_name, role, locked_until, disabled_at, created_at FROM users ORDER BY login_id")
        .fetch_all(db.pool())
        .await
}

#[tracing::instrument(skip(db))]
pub async fn count(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(db.pool())
        .await
}

/// An account as the staff console's search lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Hit {
    pub login_id: String,
    pub display_name: String,
    pub role: String,
    pub locked_until: Option<i64>,
    pub disabled_at: Option<i64>,
}

/// Accounts whose login ID or name starts with `term` (already lower
/// case), in any case, by login ID, of the role `only` if given; `limit`
/// from `offset`.
#[tracing::instrument(skip(db))]
pub async fn search(
    db: &Db,
    term: &str,
    only: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<Vec<Hit>, sqlx::Error> {
    // LIKE's own characters in the term are matched as themselves.
    let escaped: String = term
        .chars()
        .flat_map(|c| match c {
            '%' | '_' | '\\' => vec!['\\', c],
            c => vec![c],
        })
        .collect();
    sqlx::query_as(
        "SELECT login_id, display_name, role, locked_until, disabled_at FROM users \
         WHERE (login_id LIKE $1 ESCAPE '\\' OR lower(display_name) LIKE $1 ESCAPE '\\') \
         AND ($4 IS NULL OR role = $4) \
         ORDER BY login_id LIMIT $2 OFFSET $3",
    )
    .bind(format!("{escaped}%"))
    .bind(limit)
    .bind(offset)
    .bind(only)
    .fetch_all(db.pool())
    .await
}

/// What the console's account page shows of the account itself.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Detail {
    pub id: i64,
    pub login_id: String,
    pub display_name: String,
    pub role: String,
    pub locked_until: Option<i64>,
    pub disabled_at: Option<i64>,
    pub mfa_enabled_at: Option<i64>,
    pub password_expires_at: Option<i64>,
    pub password_changed_at: i64,
    /// Remembered devices that have not expired.
    pub devices: i64,
    /// Full sessions (not checked for idleness: the sweeper removes those).
    pub browsers: i64,
}

#[tracing::instrument(skip(db))]
pub async fn detail(db: &Db, login_id: &str, now: i64) -> Result<Option<Detail>, sqlx::Error> {
    sqlx::query_as(
        "SELECT u.id, u.login_id, u.display_name, u.role, u.locked_until, u.disabled_at, \
         u.mfa_enabled_at, u.password_expires_at, u.password_changed_at, \
         (SELECT COUNT(*) FROM remembered_devices d WHERE d.user_id = u.id AND d.expires_at > $2) AS devices, \
         (SELECT COUNT(*) FROM sessions s WHERE s.user_id = u.id AND s.stage = 'full') AS browsers \
         FROM users u WHERE u.login_id = $1",
    )
    .bind(login_id)
    .bind(now)
    .fetch_optional(db.pool())
    .await
}

/// The staff accounts' login IDs and names: who the audit trail's
/// `helpdesk:<id>` and `admin:<id>` actors are. Staff are few.
#[tracing::instrument(skip(db))]
pub async fn staff_names(db: &Db) -> Result<Vec<(String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT login_id, display_name FROM users WHERE role <> 'dealer'")
        .fetch_all(db.pool())
        .await
}
