//! The provider's signing keys as a service: the key that signs now (the
//! first one made when needed), rotation, and the JWKS that publishes
//! them. Private keys are sealed with the server key, like every secret
//! at rest, and are opened only here.

use crate::error::AppError;
use crate::server::crypto::{Purpose, SecretBox};
use crate::server::db::audit::{Actor, Entry, Event};
use crate::server::db::signing_keys::{self, KeyRow, NewKey};
use crate::server::db::Db;
use crate::server::jws::{Alg, SigningKey};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

/// How long a retired key stays in the JWKS: the longest-lived token it
/// may have signed (an access token, 10 minutes), and 5 minutes for
/// clocks and caches.
pub const PUBLISHED_AFTER_RETIRING: i64 = 15 * 60;

/// How long a new key is published before it signs: longer than relying
/// parties keep a JWKS without reading it again when they meet an unknown
/// `kid` (openid-client: a minute; jose: 30 seconds) and than the JWKS
/// response may be cached, so that no application refuses the first
/// tokens of a rotation.
pub const PUBLISHED_BEFORE_SIGNING: i64 = 10 * 60;

/// When a rotated-in key starts to sign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Starts {
    /// After [`PUBLISHED_BEFORE_SIGNING`]: the routine rotation.
    AfterPublishing,
    /// At once; the keys it replaces stay published for their tokens.
    /// For the first key (and two instances making it at once: the
    /// other's key signed a token already).
    Now,
    /// At once, and the keys it replaces are withdrawn from the JWKS at
    /// once: for a key suspected leaked, whose signatures must stop being
    /// trusted (its tokens stop working at the portal now, and at an
    /// application when it next reads the JWKS). Applications that read
    /// the JWKS within the last minute may refuse the new key's tokens
    /// until they read it again.
    NowWithdrawing,
}

/// A key as the operator sees it: never its private part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: String,
    pub created_at: i64,
    pub signs_from: i64,
    pub retired_at: Option<i64>,
    pub withdrawn_at: Option<i64>,
}

fn open(secrets: &SecretBox, row: &KeyRow) -> Result<SigningKey, AppError> {
    let alg = Alg::parse(&row.alg).ok_or(AppError::Internal)?;
    let pkcs8 = secrets
        .open(Purpose::SigningKey, row.id, &row.private_key)
        .ok_or_else(|| {
            tracing::error!(kid = %row.kid, "a signing key does not open with the server key");
            AppError::Internal
        })?;
    let key = SigningKey::from_pkcs8(alg, &pkcs8).map_err(|err| {
        tracing::error!(kid = %row.kid, error = %err, "a stored signing key is unreadable");
        AppError::Internal
    })?;
    // The row's public parts must be the sealed key's own.
    if key.kid() != row.kid {
        tracing::error!(kid = %row.kid, "a signing key's row and sealed key disagree");
        return Err(AppError::Internal);
    }
    Ok(key)
}

/// The last key [`current`] opened, and what it was opened from.
struct Opened {
    secrets: SecretBox,
    row_id: i64,
    kid: String,
    sealed: Vec<u8>,
    key: Arc<SigningKey>,
}

/// Opening a key (unsealing it, parsing an RSA private key and checking
/// it) costs more than a signature: the key that signs now is opened once
/// and kept, for as long as it stays current. Kept for exactly what it was
/// opened from: the very server key (the same `SecretBox`), the row, its
/// `kid` and its sealed bytes; a rotation, another server key, or a row
/// changed under it opens afresh.
static OPENED: Mutex<Option<Opened>> = Mutex::new(None);

fn open_current(secrets: &SecretBox, row: &KeyRow) -> Result<Arc<SigningKey>, AppError> {
    let kept = |o: &Opened| {
        o.secrets.is(secrets)
            && o.row_id == row.id
            && o.kid == row.kid
            && o.sealed == row.private_key
    };
    let mut opened = OPENED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(o) = opened.as_ref().filter(|o| kept(o)) {
        return Ok(o.key.clone());
    }
    let key = Arc::new(open(secrets, row)?);
    *opened = Some(Opened {
        secrets: secrets.clone(),
        row_id: row.id,
        kid: row.kid.clone(),
        sealed: row.private_key.clone(),
        key: key.clone(),
    });
    Ok(key)
}

/// The key that signs now; on a database without one, a new RS256 key
/// (recorded as made by `actor`).
pub async fn current(db: &Db, secrets: &SecretBox, now: i64) -> Result<Arc<SigningKey>, AppError> {
    if let Some(row) = signing_keys::current(db, now).await? {
        return open_current(secrets, &row);
    }
    // The first key, once: the requests that find none at the same time
    // wait for the first of them to make it, instead of each making one
    // (tens of milliseconds of a core each). Another instance may make
    // its own meanwhile; both are published, and the newer signs.
    static MAKING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _making = MAKING.lock().await;
    if let Some(row) = signing_keys::current(db, now).await? {
        return open_current(secrets, &row);
    }
    let system = Actor {
        actor: "system".into(),
        ..Default::default()
    };
    // The first key: no client can have a JWKS without it yet.
    rotate(db, secrets, Alg::RS256, Starts::Now, system, now).await?;
    let row = signing_keys::current(db, now)
        .await?
        .ok_or(AppError::Internal)?;
    open_current(secrets, &row)
}

/// Makes a new key of `alg`, published at once, that signs from when
/// `starts` says; the one it replaces signs until then and stays
/// published [`PUBLISHED_AFTER_RETIRING`] after. Returns its `kid` and
/// when it signs from.
pub async fn rotate(
    db: &Db,
    secrets: &SecretBox,
    alg: Alg,
    starts: Starts,
    actor: Actor,
    now: i64,
) -> Result<(String, i64), AppError> {
    let signs_from = match starts {
        Starts::AfterPublishing => now + PUBLISHED_BEFORE_SIGNING,
        Starts::Now | Starts::NowWithdrawing => now,
    };
    // An RSA key takes tens of milliseconds of one core to make.
    let (key, pkcs8) = tokio::task::spawn_blocking(move || SigningKey::generate(alg))
        .await
        .map_err(|_| AppError::Internal)?
        .map_err(|err| {
            tracing::error!(error = %err, "could not make a signing key");
            AppError::Internal
        })?;
    let jwk = key.public_jwk().to_string();
    let new = NewKey {
        kid: key.kid(),
        alg: alg.as_str(),
        public_jwk: &jwk,
    };
    let entry = Entry::new(actor, Event::SigningKeyRotated).with_detail(format!(
        "{} {} signs from {}",
        alg.as_str(),
        key.kid(),
        crate::server::clock::format_jst(signs_from)
    ));
    let seal = |id| secrets.seal(Purpose::SigningKey, id, &pkcs8);
    let withdraw = starts == Starts::NowWithdrawing;
    signing_keys::rotate(db, new, seal, now, signs_from, withdraw, &entry).await?;
    tracing::info!(
        kid = key.kid(),
        alg = alg.as_str(),
        signs_from,
        "new signing key"
    );
    Ok((key.kid().to_owned(), signs_from))
}

/// Every published key's public JWK, newest first.
pub async fn published(db: &Db, now: i64) -> Result<Vec<Value>, AppError> {
    let rows = signing_keys::published(db, now - PUBLISHED_AFTER_RETIRING).await?;
    rows.iter()
        .map(|row| serde_json::from_str::<Value>(&row.public_jwk).map_err(|_| AppError::Internal))
        .collect()
}

/// The JWKS document (RFC 7517): every published key's public JWK,
/// newest first.
pub async fn jwks(db: &Db, now: i64) -> Result<Value, AppError> {
    Ok(json!({ "keys": published(db, now).await? }))
}

/// Every key, newest first.
pub async fn list(db: &Db) -> Result<Vec<KeyInfo>, AppError> {
    Ok(signing_keys::all(db)
        .await?
        .into_iter()
        .map(|row| KeyInfo {
            kid: row.kid,
            alg: row.alg,
            created_at: row.created_at,
            signs_from: row.signs_from,
            retired_at: row.retired_at,
            withdrawn_at: row.withdrawn_at,
        })
        .collect())
}
