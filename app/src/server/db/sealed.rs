//! Every column that holds a value sealed with the server key, read in
//! batches and sealed again row by row (`keys reseal`, and the upgrade of
//! old TOTP secrets at start).

use super::Db;

/// A column of sealed values, each owned by the row's integer key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedColumn {
    /// `users.mfa_secret`: the TOTP secret of an account with MFA on.
    AccountTotp,
    /// `mfa_enrollments.secret`: a TOTP secret of a setup not yet confirmed.
    SetupTotp,
    /// `signing_keys.private_key`: the provider's signing keys.
    SigningKey,
    /// `keyring.sealed`: keys the database keeps for the server.
    Keyring,
}

impl SealedColumn {
    /// Every sealed column but the secrets shown once, which live five
    /// minutes and are bound to the session that will see them. Setups
    /// before accounts: a setup confirmed during the pass moves its secret
    /// into the account's row, sealed as the setup's pass left it.
    pub const ALL: [Self; 4] = [
        Self::SetupTotp,
        Self::AccountTotp,
        Self::SigningKey,
        Self::Keyring,
    ];

    fn table_and_columns(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Self::AccountTotp => ("users", "id", "mfa_secret"),
            Self::SetupTotp => ("mfa_enrollments", "user_id", "secret"),
            Self::SigningKey => ("signing_keys", "id", "private_key"),
            Self::Keyring => ("keyring", "id", "sealed"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::AccountTotp => "users.mfa_secret",
            Self::SetupTotp => "mfa_enrollments.secret",
            Self::SigningKey => "signing_keys.private_key",
            Self::Keyring => "keyring.sealed",
        }
    }
}

/// Up to `limit` sealed values of `column` whose owner comes after
/// `after`, in the owner's order: one batch.
#[tracing::instrument(skip(db))]
pub async fn batch(
    db: &Db,
    column: SealedColumn,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, Vec<u8>)>, sqlx::Error> {
    let (table, owner, sealed) = column.table_and_columns();
    sqlx::query_as(&format!(
        "SELECT {owner}, {sealed} FROM {table} \
         WHERE {sealed} IS NOT NULL AND {owner} > $1 ORDER BY {owner} LIMIT $2"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(db.pool())
    .await
}

/// Replaces the owner's sealed value `old` by `new` (the same secret,
/// sealed again), only if it is still `old`: a setup, reset or rotation
/// that landed meanwhile wins. True when replaced.
#[tracing::instrument(skip(db, old, new))]
pub async fn replace(
    db: &Db,
    column: SealedColumn,
    owner_id: i64,
    old: &[u8],
    new: &[u8],
) -> Result<bool, sqlx::Error> {
    let (table, owner, sealed) = column.table_and_columns();
    let done = sqlx::query(&format!(
        "UPDATE {table} SET {sealed} = $1 WHERE {owner} = $2 AND {sealed} = $3"
    ))
    .bind(new)
    .bind(owner_id)
    .bind(old)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The keyring's row `id`, sealed.
#[tracing::instrument(skip(db))]
pub async fn keyring_entry(db: &Db, id: i64) -> Result<Option<Vec<u8>>, sqlx::Error> {
    sqlx::query_scalar("SELECT sealed FROM keyring WHERE id = $1")
        .bind(id)
        .fetch_optional(db.pool())
        .await
}

/// Keeps `sealed` as the keyring's row `id` unless it has one already
/// (another instance starting at once): the row that wins is read back.
#[tracing::instrument(skip(db, sealed))]
pub async fn add_keyring_entry(db: &Db, id: i64, sealed: &[u8]) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO keyring (id, sealed) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING")
        .bind(id)
        .bind(sealed)
        .execute(db.pool())
        .await?;
    Ok(())
}
