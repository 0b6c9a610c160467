//! A secret shown once to the session that made it (a temporary password,
//! a set of recovery codes): sealed in the `reveals` table between the
//! action and the page that shows it, and taken by that page. The same
//! path serves browsers with and without JavaScript, on any instance.

use crate::error::AppError;
use crate::server::crypto::Purpose;
use crate::server::db::reveals;
use crate::server::session::Session;
use crate::server::AppState;

const SHOWN_ONCE: Purpose = Purpose::ShownOnce;

/// How long a secret waits to be shown.
const WAIT_SECS: i64 = 5 * 60;

/// What the secret is.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    TempPassword,
    RecoveryCodes,
    /// A business application's client ID and secret (about the admin
    /// who made it).
    ClientSecret,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Self::TempPassword => "temp_password",
            Self::RecoveryCodes => "recovery_codes",
            Self::ClientSecret => "client_secret",
        }
    }
}

/// Keeps `secret` (about the account `subject_id`) for `session` to show.
pub async fn put(
    state: &AppState,
    session: &Session,
    kind: Kind,
    subject_id: i64,
    secret: &str,
) -> Result<(), AppError> {
    let sealed = state
        .secrets
        .seal(SHOWN_ONCE, session.user_id, secret.as_bytes());
    let expires_at = state.clock.now() + WAIT_SECS;
    let (db, hash) = (&state.db, &session.id_hash);
    reveals::put(db, hash, kind.as_str(), subject_id, &sealed, expires_at).await?;
    Ok(())
}

/// Takes the secret of `kind` about `subject_id` that `session` made, if
/// it is waiting: it is not there a second time.
pub async fn take(
    state: &AppState,
    session: &Session,
    kind: Kind,
    subject_id: i64,
) -> Result<Option<String>, AppError> {
    let now = state.clock.now();
    let (db, hash) = (&state.db, &session.id_hash);
    let Some(sealed) = reveals::take(db, hash, kind.as_str(), subject_id, now).await? else {
        return Ok(None);
    };
    let bytes = state
        .secrets
        .open(SHOWN_ONCE, session.user_id, &sealed)
        .ok_or_else(|| {
            tracing::error!("a secret to show does not open with this key");
            AppError::Internal
        })?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| AppError::Internal)
}
