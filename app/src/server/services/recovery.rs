//! Recovery codes: ten single-use codes that stand in for the phone at the
//! code step. Made when MFA is turned on (and on request, with the current
//! code), shown once, kept only as HMACs under the server's key, deleted
//! with OFF and the helpdesk's reset.

use super::audit::Who;
use super::lockout::{self, AfterWrong, CodeCheck, Counter, Reservation};
use super::shown_once::{self, Kind};
use super::Client;
use crate::domain::RecoveryCode;
use crate::error::AppError;
use crate::server::crypto::readable_random;
use crate::server::db::audit::Event;
use crate::server::db::recovery_codes;
use crate::server::session::Session;
use crate::server::AppState;

/// Codes in one set.
pub const PER_SET: usize = 10;

/// A new set: the codes to show, and what the database keeps of them.
pub struct NewSet {
    pub codes: Vec<String>,
    pub hashes: Vec<String>,
}

impl std::fmt::Debug for NewSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewSet(<redacted>)")
    }
}

fn hash(state: &AppState, user_id: i64, code: &RecoveryCode) -> String {
    state.secrets.mac(user_id, code.as_str().as_bytes())
}

/// Ten fresh codes (two groups of five: about 49 random bits each) for the
/// account `user_id`.
pub fn new_set(state: &AppState, user_id: i64) -> NewSet {
    let codes: Vec<String> = (0..PER_SET).map(|_| readable_random(2, 5)).collect();
    let hashes = codes
        .iter()
        .map(|c| {
            hash(
                state,
                user_id,
                &RecoveryCode::parse(c).expect("made to parse"),
            )
        })
        .collect();
    NewSet { codes, hashes }
}

/// Keeps a new set for `session`'s settings page to show, once.
pub async fn show_once(state: &AppState, session: &Session, set: &NewSet) -> Result<(), AppError> {
    let joined = set.codes.join("\n");
    shown_once::put(
        state,
        session,
        Kind::RecoveryCodes,
        session.user_id,
        &joined,
    )
    .await
}

/// The set this session has just made, if it is waiting to be shown.
pub async fn take_shown(
    state: &AppState,
    session: &Session,
) -> Result<Option<Vec<String>>, AppError> {
    let taken = shown_once::take(state, session, Kind::RecoveryCodes, session.user_id).await?;
    Ok(taken.map(|joined| joined.lines().map(str::to_owned).collect()))
}

/// How many unused codes the account has.
pub async fn left(state: &AppState, user_id: i64) -> Result<i64, AppError> {
    Ok(recovery_codes::recovery_codes_left(&state.db, user_id).await?)
}

/// Checks a recovery code at the code step and uses it up. Counted before
/// the check toward the same lock as wrong codes; a wrong or used code is
/// a failure like a wrong code.
pub async fn check(
    state: &AppState,
    who: Who<'_>,
    code: &RecoveryCode,
) -> Result<CodeCheck, AppError> {
    let attempt = match lockout::reserve(state, who, Counter::Code).await? {
        Reservation::Granted(attempt) => attempt,
        Reservation::Blocked(block) => return Ok(CodeCheck::Blocked(block)),
    };
    let left = recovery_codes::recovery_codes_left(&state.db, who.user_id).await?;
    let entry = who
        .entry(Event::RecoveryCodeUsed)
        .with_detail(format!("{}", (left - 1).max(0)));
    let code_hash = hash(state, who.user_id, code);
    let now = state.clock.now();
    if recovery_codes::use_recovery_code(&state.db, who.user_id, &code_hash, &entry, now).await? {
        return Ok(CodeCheck::Accepted);
    }
    Ok(
        match lockout::wrong(state, who, attempt, Event::CodeFailure).await? {
            AfterWrong::Counted => CodeCheck::Wrong,
            AfterWrong::Blocked(block) => CodeCheck::Blocked(block),
        },
    )
}

/// A new set, the old one void. The caller has checked the current code.
pub async fn regenerate(
    state: &AppState,
    session: &Session,
    client: &Client,
) -> Result<(), AppError> {
    let set = new_set(state, session.user_id);
    let entry = Who::of(session, client).entry(Event::RecoveryCodesCreated);
    let now = state.clock.now();
    if !recovery_codes::replace_recovery_codes(&state.db, session.user_id, &set.hashes, &entry, now)
        .await?
    {
        return Err(AppError::Forbidden);
    }
    show_once(state, session, &set).await
}
