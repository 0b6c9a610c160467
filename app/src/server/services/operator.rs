//! The server's operator, on the command line (`autobank user ...`,
//! `autobank notice add`, `autobank audit`): the same rules and the same
//! changes as the web, with nothing to re-check of a signed-in actor
//! (`Seen::nothing()`) and the operator's name in the audit trail. The
//! command line only parses its arguments and prints; everything it
//! changes or reads goes through here.

use crate::domain::{LoginId, Password, Role};
use crate::error::Problem;
use crate::server::db::audit::{self, Actor, AuditRow, Entry, Event};
use crate::server::db::change::Seen;
use crate::server::db::directory::{self, UserSummary};
use crate::server::db::users::{self, UserRow};
use crate::server::db::{self, locks, notices, Db};
use crate::server::password::{check_policy, HashError, Passwords};

/// Who ran a command: `cli:<login name>`, for the audit trail.
pub fn operator(name: &str) -> Actor {
    Actor {
        actor: format!("cli:{name}"),
        ..Default::default()
    }
}

/// The operator, acting on `user`.
fn on(operator: &Actor, user: &UserRow) -> Actor {
    Actor {
        user_id: Some(user.id),
        login_id: Some(user.login_id.clone()),
        ..operator.clone()
    }
}

/// What became of a new account.
#[derive(Debug, PartialEq, Eq)]
pub enum Added {
    Done,
    /// The login ID is taken (checked first, and again by the insert).
    Exists,
    /// The password breaks the policy.
    Weak(Problem),
}

pub async fn find(db: &Db, login_id: &LoginId) -> Result<Option<UserRow>, sqlx::Error> {
    users::find_by_login_id(db, login_id.as_str()).await
}

pub async fn accounts(db: &Db) -> Result<Vec<UserSummary>, sqlx::Error> {
    directory::list(db).await
}

pub async fn has_accounts(db: &Db) -> Result<bool, sqlx::Error> {
    Ok(directory::count(db).await? > 0)
}

/// A new account with a password the operator chose (the policy applies,
/// as on the web).
pub async fn add(
    db: &Db,
    id: &LoginId,
    name: &str,
    role: Role,
    password: Password,
    operator: Actor,
    now: i64,
) -> Result<Added, Failed> {
    if find(db, id).await?.is_some() {
        return Ok(Added::Exists);
    }
    if let Err(problem) = check_policy(password.expose(), &[id.as_str(), name]) {
        return Ok(Added::Weak(problem));
    }
    let hash = Passwords::new().hash(password).await?;
    match users::create(db, id.as_str(), name, role.as_str(), &hash, operator, now).await {
        Ok(_) => Ok(Added::Done),
        Err(err) if db::is_unique_violation(&err) => Ok(Added::Exists),
        Err(err) => Err(err.into()),
    }
}

/// Why a command could not be carried out.
#[derive(Debug, thiserror::Error)]
pub enum Failed {
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Hash(#[from] HashError),
}

/// Lifts a lock or a disable, as the console's unlock does.
pub async fn unlock(
    db: &Db,
    user: &UserRow,
    operator: &Actor,
    now: i64,
) -> Result<(), sqlx::Error> {
    let entry = Entry::new(on(operator, user), Event::Unlocked);
    locks::unlock(db, &Seen::nothing(), user.id, now, &entry).await?;
    Ok(())
}

/// A new password the operator chose: every session ends and remembered
/// devices are forgotten. `Err(problem)` when it breaks the policy.
pub async fn set_password(
    db: &Db,
    user: &UserRow,
    password: Password,
    operator: &Actor,
    now: i64,
) -> Result<Result<(), Problem>, Failed> {
    let inputs = [user.login_id.as_str(), user.display_name.as_str()];
    if let Err(problem) = check_policy(password.expose(), &inputs) {
        return Ok(Err(problem));
    }
    let hash = Passwords::new().hash(password).await?;
    let entry = Entry::new(on(operator, user), Event::PasswordChanged);
    users::set_password(db, user.id, &hash, None, now, &entry).await?;
    Ok(Ok(()))
}

/// The helpdesk's answer to a lost phone, as the console gives it.
pub async fn reset_mfa(
    db: &Db,
    user: &UserRow,
    operator: &Actor,
    now: i64,
) -> Result<(), sqlx::Error> {
    let entry = Entry::new(on(operator, user), Event::MfaReset);
    super::mfa::reset(db, &Seen::nothing(), user.id, &entry, now).await?;
    Ok(())
}

/// Posts a notice on the portal.
pub async fn add_notice(
    db: &Db,
    date: &str,
    title: &str,
    body: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    notices::insert(db, date, title, body, now).await?;
    Ok(())
}

/// The audit trail, newest first, of one account (by login ID) or all.
pub async fn audit_trail(
    db: &Db,
    login_id: Option<&str>,
    limit: i64,
) -> Result<Vec<AuditRow>, sqlx::Error> {
    let login_id = login_id.map(|l| l.trim().to_lowercase());
    audit::list(db, login_id.as_deref(), limit).await
}
