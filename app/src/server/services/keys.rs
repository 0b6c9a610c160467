//! Sealed secrets kept in the current format: TOTP secrets sealed before
//! each purpose had its own subkey are sealed again, at start, before the
//! server serves.

use crate::server::crypto::{Purpose, SecretBox};
use crate::server::db::mfa::{self, SecretColumn};
use crate::server::db::Db;

/// What [`reseal_legacy`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resealed {
    /// Secrets sealed again under their purpose.
    pub resealed: u64,
    /// Secrets in the current format already.
    pub current: u64,
    /// Secrets that open under neither format: another key's, or damaged.
    /// Left as they are (the code step reports them when used).
    pub unreadable: u64,
}

/// Seals every TOTP secret still in the old format (the server key itself,
/// the user id alone as associated data) again under the TOTP subkey.
/// Each row is replaced only if it still holds what was read, so a setup
/// or reset on another instance meanwhile is never overwritten. Cheap when
/// there is nothing to do: one read and one decryption per secret.
pub async fn reseal_legacy(db: &Db, secrets: &SecretBox) -> Result<Resealed, sqlx::Error> {
    let purpose = Purpose::TotpSecret;
    let mut done = Resealed::default();
    for column in [SecretColumn::Account, SecretColumn::Setup] {
        for (user_id, sealed) in mfa::sealed_secrets(db, column).await? {
            if secrets.open(purpose, user_id, &sealed).is_some() {
                done.current += 1;
                continue;
            }
            let Some(plain) = secrets.open_legacy(user_id, &sealed) else {
                done.unreadable += 1;
                continue;
            };
            let new = secrets.seal(purpose, user_id, &plain);
            if mfa::reseal_secret(db, column, user_id, &sealed, &new).await? {
                done.resealed += 1;
            }
        }
    }
    if done.resealed > 0 || done.unreadable > 0 {
        tracing::info!(?done, "TOTP secrets sealed under their purpose");
    }
    Ok(done)
}
