//! The server key's work on the database: the MAC key the database keeps
//! sealed (`keyring`), and every sealed secret sealed again under the key
//! that seals now, for a key change (`keys reseal`) and, at start, for
//! TOTP secrets sealed before each purpose had its own subkey.

use crate::server::crypto::{Freshness, Purpose, SecretBox};
use crate::server::db::sealed::{self, SealedColumn};
use crate::server::db::Db;

/// The keyring's row that holds the MAC key.
const MAC_KEY_ROW: i64 = 1;

/// Rows read at once by a reseal.
pub const RESEAL_BATCH: i64 = 200;

/// Passes over every sealed column a reseal makes at most.
pub const RESEAL_PASSES: u32 = 3;

#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(
        "the secret keys given do not open this database's keyring: it was sealed under a \
         key that is not among them (check AUTOBANK_SECRET_KEYS or the key file; during a \
         change, give the old key after the new one)"
    )]
    WrongKeys,
}

/// `secrets` with the MAC key the database keeps. A database that keeps
/// none yet (the first start of this version, or a new database) is given
/// the one `secrets` derived from its key, so that recovery codes and
/// client secrets made before still check; instances starting at once
/// agree on the row that was written first. Refuses keys that do not open
/// the row: a start with the wrong key fails here, not at a dealer's code.
pub async fn open_keyring(db: &Db, secrets: &SecretBox) -> Result<SecretBox, KeyringError> {
    let sealed = match sealed::keyring_entry(db, MAC_KEY_ROW).await? {
        Some(sealed) => sealed,
        None => {
            // The first start of this version on a database with secrets:
            // the keys given must open them, or a mistyped key would be
            // kept here for good and refuse the right one from then on.
            if !opens_what_is_there(db, secrets).await? {
                return Err(KeyringError::WrongKeys);
            }
            let first = secrets.seal(Purpose::Keyring, MAC_KEY_ROW, &secrets.mac_key_bytes());
            sealed::add_keyring_entry(db, MAC_KEY_ROW, &first).await?;
            sealed::keyring_entry(db, MAC_KEY_ROW)
                .await?
                .ok_or(KeyringError::WrongKeys)?
        }
    };
    let mac_key: [u8; 32] = secrets
        .open(Purpose::Keyring, MAC_KEY_ROW, &sealed)
        .and_then(|key| key.try_into().ok())
        .ok_or(KeyringError::WrongKeys)?;
    Ok(secrets.with_mac_key(mac_key))
}

/// Whether `secrets` opens the first sealed value of each column that has
/// one (in either format of a TOTP secret): true on a database with none.
async fn opens_what_is_there(db: &Db, secrets: &SecretBox) -> Result<bool, sqlx::Error> {
    for column in SealedColumn::ALL {
        let purpose = purpose_of(column);
        if let Some((owner, value)) = sealed::batch(db, column, i64::MIN, 1).await?.pop() {
            let legacy =
                purpose == Purpose::TotpSecret && secrets.open_legacy(owner, &value).is_some();
            if !legacy && secrets.open(purpose, owner, &value).is_none() {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

/// The purpose each sealed column's values were sealed for.
fn purpose_of(column: SealedColumn) -> Purpose {
    match column {
        SealedColumn::AccountTotp | SealedColumn::SetupTotp => Purpose::TotpSecret,
        SealedColumn::SigningKey => Purpose::SigningKey,
        SealedColumn::Keyring => Purpose::Keyring,
    }
}

/// What a reseal did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resealed {
    /// Secrets sealed again under the key that seals now.
    pub resealed: u64,
    /// Secrets under that key already.
    pub current: u64,
    /// Secrets changed by someone else between the read and the write
    /// (a setup, a reset): what they hold now was sealed by that change.
    pub changed_meanwhile: u64,
    /// Secrets that open under none of the keys: another key's, or
    /// damaged. Left as they are; where they are.
    pub unreadable: u64,
    pub unreadable_in: Vec<&'static str>,
    /// Passes made (see [`reseal_all`]); `current` and `unreadable` are
    /// the last pass's.
    pub passes: u32,
    /// Secrets the last pass still found under another key than the one
    /// that seals now: written meanwhile by an instance that still seals
    /// with an old key. None when the old keys can go.
    pub still_stale: u64,
}

/// What to seal again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    /// TOTP secrets in the format from before purposes existed: at start.
    LegacyTotp,
    /// Every sealed secret not under the key that seals now.
    NotUnderTheSealingKey,
}

/// Seals every TOTP secret still in the old format (a server key itself,
/// the user id alone as associated data) again under the TOTP subkey.
/// Cheap when there is nothing to do: one read and one decryption per
/// secret.
pub async fn reseal_legacy(db: &Db, secrets: &SecretBox) -> Result<Resealed, sqlx::Error> {
    let done = reseal(db, secrets, Scope::LegacyTotp, RESEAL_BATCH).await?;
    if done.resealed > 0 || done.unreadable > 0 {
        tracing::info!(?done, "TOTP secrets sealed under their purpose");
    }
    Ok(done)
}

/// Seals every secret not under the key that seals now again under it,
/// `batch` rows read at a time, each row replaced on its own only if it
/// still holds what was read: the instances go on serving (and changing
/// secrets) meanwhile. Secrets shown once are left: they live five minutes.
///
/// A pass only sees what is behind its cursor as it was when read, so
/// passes follow until one finds nothing to seal again, at most
/// [`RESEAL_PASSES`]: a secret an instance wrote under an old key meanwhile
/// (one that still seals with it) is found by the next pass, and if the
/// last still finds some, [`Resealed::still_stale`] says how many.
pub async fn reseal_all(db: &Db, secrets: &SecretBox, batch: i64) -> Result<Resealed, sqlx::Error> {
    let mut done = Resealed::default();
    for pass in 1..=RESEAL_PASSES {
        let this = reseal(db, secrets, Scope::NotUnderTheSealingKey, batch).await?;
        let stale = this.resealed + this.changed_meanwhile;
        done = Resealed {
            resealed: done.resealed + this.resealed,
            changed_meanwhile: done.changed_meanwhile + this.changed_meanwhile,
            passes: pass,
            still_stale: if pass == RESEAL_PASSES { stale } else { 0 },
            ..this
        };
        if stale == 0 {
            break;
        }
    }
    Ok(done)
}

async fn reseal(
    db: &Db,
    secrets: &SecretBox,
    scope: Scope,
    batch: i64,
) -> Result<Resealed, sqlx::Error> {
    let columns: &[SealedColumn] = match scope {
        Scope::LegacyTotp => &[SealedColumn::SetupTotp, SealedColumn::AccountTotp],
        Scope::NotUnderTheSealingKey => &SealedColumn::ALL,
    };
    let mut done = Resealed::default();
    for &column in columns {
        let purpose = purpose_of(column);
        let mut after = i64::MIN;
        loop {
            let rows = sealed::batch(db, column, after, batch.max(1)).await?;
            let Some(&(last, _)) = rows.last() else { break };
            after = last;
            for (owner, old) in rows {
                let plain = match scope {
                    Scope::LegacyTotp if secrets.open(purpose, owner, &old).is_some() => None,
                    Scope::LegacyTotp => match secrets.open_legacy(owner, &old) {
                        Some(plain) => Some(plain),
                        None => {
                            done.unreadable += 1;
                            continue;
                        }
                    },
                    Scope::NotUnderTheSealingKey => match secrets.freshness(purpose, owner, &old) {
                        Freshness::Current => None,
                        Freshness::Stale(plain) => Some(plain),
                        Freshness::Unreadable => {
                            done.unreadable += 1;
                            if !done.unreadable_in.contains(&column.name()) {
                                done.unreadable_in.push(column.name());
                            }
                            continue;
                        }
                    },
                };
                let Some(plain) = plain else {
                    done.current += 1;
                    continue;
                };
                let new = secrets.seal(purpose, owner, &plain);
                if sealed::replace(db, column, owner, &old, &new).await? {
                    done.resealed += 1;
                } else {
                    done.changed_meanwhile += 1;
                }
            }
        }
    }
    Ok(done)
}
