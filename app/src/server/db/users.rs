//! The users table.

use super::audit::{self, Entry};
use super::change::{Change, Seen};
use super::Db;
use crate::server::password::PasswordHash;
use sqlx::AnyConnection;

/// What sign-in needs to know about an account.
#[derive(Debug, sqlx::FromRow)]
pub struct UserRow {
    pub id: i64,
    pub login_id: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: PasswordHash,
    pub mfa_secret: Option<Vec<u8>>,
    /// Set while the password is a temporary one (see [`set_temporary_password`]).
    pub password_expires_at: Option<i64>,
    /// The date from which the account's role needs MFA, if set.
    pub mfa_required_from: Option<String>,
}

impl UserRow {
    /// Whether the password may sign in at `now`: a chosen one always, a
    /// temporary one only before it expires (or is used).
    pub fn password_usable(&self, now: i64) -> bool {
        self.password_expires_at.is_none_or(|until| now < until)
    }

    /// What a sign-in checked, to be still true when its session starts.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            password_hash: self.password_hash.clone(),
            mfa_secret: self.mfa_secret.clone(),
        }
    }
}

/// The state of an account that a password check relied on: the password
/// hash and the sealed MFA secret themselves, not their change times. Each
/// change makes a new one (a fresh salt, a fresh nonce), so even two
/// changes within one second are seen. Its `Debug` shows neither.
#[derive(Clone, PartialEq, Eq)]
pub struct Snapshot {
    password_hash: PasswordHash,
    mfa_secret: Option<Vec<u8>>,
}

impl Snapshot {
    /// Whether MFA was on.
    pub fn mfa_on(&self) -> bool {
        self.mfa_secret.is_some()
    }

    pub fn password_hash(&self) -> &PasswordHash {
        &self.password_hash
    }

    pub fn mfa_secret(&self) -> Option<&[u8]> {
        self.mfa_secret.as_deref()
    }
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("mfa_on", &self.mfa_on())
            .finish_non_exhaustive()
    }
}

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

/// The MFA secret in force: NULL unless MFA is on. What a sign-in reads
/// and, when it starts the session, compares (`sessions::sign_in`).
pub(super) const MFA_SECRET_IN_FORCE: &str =
    "CASE WHEN mfa_enabled_at IS NULL THEN NULL ELSE mfa_secret END";

/// The run of failures without the current attempt, which was counted
/// when reserved and turned out right (never below 0).
pub(super) const RUN_WITHOUT_THIS_ATTEMPT: &str =
    "failure_run = CASE WHEN failure_run > 0 THEN failure_run - 1 ELSE 0 END";

/// The [`UserRow`] of the users `filter` selects.
fn select_user(filter: &str) -> String {
    format!(
        "SELECT id, login_id, display_name, role, password_hash, {MFA_SECRET_IN_FORCE} AS mfa_secret, \
         password_expires_at, \
         (SELECT required_from FROM mfa_policies p WHERE p.role = users.role) AS mfa_required_from \
         FROM users WHERE {filter}"
    )
}

// The typed ID stays out of the span: people type passwords into it.
#[tracing::instrument(skip(db, login_id))]
pub async fn find_by_login_id(db: &Db, login_id: &str) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&select_user("login_id = $1"))
        .bind(login_id)
        .fetch_optional(db.pool())
        .await
}

#[tracing::instrument(skip(db))]
pub async fn find_by_id(db: &Db, user_id: i64) -> Result<Option<UserRow>, sqlx::Error> {
    sqlx::query_as(&select_user("id = $1"))
        .bind(user_id)
        .fetch_optional(db.pool())
        .await
}

/// A right password from a signed-in user: as at sign-in, the count
/// toward the lock starts afresh and the attempt comes back out of the run
/// (it was no failure).
#[tracing::instrument(skip(db))]
pub async fn password_reentered(db: &Db, user_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "UPDATE users SET failed_attempts = 0, {RUN_WITHOUT_THIS_ATTEMPT} WHERE id = $1"
    ))
    .bind(user_id)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// Writes an account without an audit record: for tests and fixtures.
/// Operators create accounts with [`create`].
#[tracing::instrument(skip(db, password_hash))]
pub async fn insert(
    db: &Db,
    login_id: &str,
    display_name: &str,
    role: &str,
    password_hash: &PasswordHash,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let mut conn = db.pool().acquire().await?;
    insert_on(&mut conn, login_id, display_name, role, password_hash, now).await
}

/// Creates an account and records `event` for it by `actor`, in one
/// transaction. Returns its ID.
#[tracing::instrument(skip(db, password_hash, actor))]
pub async fn create(
    db: &Db,
    login_id: &str,
    display_name: &str,
    role: &str,
    password_hash: &PasswordHash,
    actor: audit::Actor,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let entry = Entry::new(actor, audit::Event::UserCreated);
    let account = NewAccount {
        login_id,
        display_name,
        role,
        password_hash,
        password_expires_at: None,
    };
    let mut change = Change::start(db).await?;
    let id = insert_account(&mut change, account, now).await?;
    change.commit(&entry.for_account(id, login_id), now).await?;
    Ok(id)
}

/// What a new account is made of.
pub struct NewAccount<'a> {
    pub login_id: &'a str,
    pub display_name: &'a str,
    pub role: &'a str,
    pub password_hash: &'a PasswordHash,
    /// A temporary password's end, if it is one.
    pub password_expires_at: Option<i64>,
}

/// As [`create`], with a temporary password valid until
/// `password_expires_at` if given, recording `entry` (its account filled
/// in here) in the same transaction, if `seen` still holds. Returns its
/// ID, or `None` when `seen` no longer held and nothing was made.
#[tracing::instrument(skip_all)]
pub async fn create_with(
    db: &Db,
    seen: &Seen,
    account: NewAccount<'_>,
    entry: Entry,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let Some(mut change) = Change::begin(db, seen).await? else {
        return Ok(None);
    };
    let login_id = account.login_id;
    let id = insert_account(&mut change, account, now).await?;
    change.commit(&entry.for_account(id, login_id), now).await?;
    Ok(Some(id))
}

/// Writes `account` inside `change`. Returns its ID.
async fn insert_account(
    change: &mut Change,
    account: NewAccount<'_>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let NewAccount {
        login_id,
        display_name,
        role,
        password_hash,
        password_expires_at,
    } = account;
    let conn = change.conn();
    let id = insert_on(conn, login_id, display_name, role, password_hash, now).await?;
    sqlx::query("UPDATE users SET password_expires_at = $1 WHERE id = $2")
        .bind(password_expires_at)
        .bind(id)
        .execute(change.conn())
        .await?;
    Ok(id)
}

/// An admin's change of role, recorded with `entry`, if `seen` still
/// holds; every session of the account ends, so that it signs in afresh
/// in its new role (and sets up MFA first, if it is staff now). Returns
/// false, changing nothing, when `seen` no longer held.
#[tracing::instrument(skip(db, seen, entry))]
pub async fn set_role(
    db: &Db,
    seen: &Seen,
    user_id: i64,
    role: &str,
    now: i64,
    entry: &Entry,
) -> Result<bool, sqlx::Error> {
    let Some(mut change) = Change::begin(db, seen).await? else {
        return Ok(false);
    };
    sqlx::query("UPDATE users SET role = $1, updated_at = $2 WHERE id = $3")
        .bind(role)
        .bind(now)
        .bind(user_id)
        .execute(change.conn())
        .await?;
    end_sessions(change.conn(), user_id, Ending::All).await?;
    change.commit(entry, now).await?;
    Ok(true)
}

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

async fn insert_on(
    conn: &mut AnyConnection,
    login_id: &str,
    display_name: &str,
    role: &str,
    password_hash: &PasswordHash,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO users (login_id, display_name, role, password_hash, \
         password_changed_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5, $5) RETURNING id",
    )
    .bind(login_id)
    .bind(display_name)
    .bind(role)
    .bind(password_hash.expose())
    .bind(now)
    .fetch_one(conn)
    .await
}

/// Sets a new password the user chose and, in the same transaction, ends
/// every session but `keep` (the one the user changed it from, if any),
/// forgets every remembered device and pending setup of the user and
/// records `entry`: whoever had the old password (or a device it let in)
/// is out, all or nothing.
#[tracing::instrument(skip(db, password_hash, keep, entry))]
pub async fn set_password(
    db: &Db,
    user_id: i64,
    password_hash: &PasswordHash,
    keep: Option<&str>,
    now: i64,
    entry: &Entry,
) -> Result<(), sqlx::Error> {
    let sessions = match keep {
        Some(keep) => Ending::AllBut(keep),
        None => Ending::All,
    };
    let seen = Seen::nothing();
    let done = replace_password(
        db,
        &seen,
        user_id,
        password_hash,
        None,
        sessions,
        now,
        entry,
    );
    done.await.map(|_| ())
}

/// As [`set_password`], for a temporary password that staff issued: it
/// signs in once, before `expires_at`, and that session must choose a new
/// one first. Every session of the user ends. Only if `seen` still holds:
/// returns false, changing nothing, if not.
#[tracing::instrument(skip(db, seen, password_hash, entry))]
pub async fn set_temporary_password(
    db: &Db,
    seen: &Seen,
    user_id: i64,
    password_hash: &PasswordHash,
    expires_at: i64,
    now: i64,
    entry: &Entry,
) -> Result<bool, sqlx::Error> {
    let (hash, until) = (password_hash, Some(expires_at));
    replace_password(db, seen, user_id, hash, until, Ending::All, now, entry).await
}

#[allow(clippy::too_many_arguments)]
async fn replace_password(
    db: &Db,
    seen: &Seen,
    user_id: i64,
    password_hash: &PasswordHash,
    expires_at: Option<i64>,
    sessions: Ending<'_>,
    now: i64,
    entry: &Entry,
) -> Result<bool, sqlx::Error> {
    let Some(mut change) = Change::begin(db, seen).await? else {
        return Ok(false);
    };
    sqlx::query(
        "UPDATE users SET password_hash = $1, password_expires_at = $2, \
         password_changed_at = $3, updated_at = $3 WHERE id = $4",
    )
    .bind(password_hash.expose())
    .bind(expires_at)
    .bind(now)
    .bind(user_id)
    .execute(change.conn())
    .await?;
    end_sessions(change.conn(), user_id, sessions).await?;
    let tables = ["remembered_devices", "mfa_enrollments"];
    delete_for_user(change.conn(), user_id, &tables).await?;
    change.commit(entry, now).await?;
    Ok(true)
}

/// Which count toward the next lock an attempt adds to. Both also add to
/// the account's long-run count of consecutive failures.
#[derive(Debug, Clone, Copy)]
pub enum Counter {
    Password,
    Code,
}

/// A reserved attempt: its number toward the next lock, and in the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Attempt {
    pub toward_lock: i64,
    pub in_run: i64,
}

/// Limits on consecutive failures.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Attempts (of one counter) that lock the account.
    pub lock_after: i64,
    /// Attempts in a row, across locks, that disable it.
    pub disable_after: i64,
}

/// Reserves one attempt (a password or a code) before it is checked:
/// counts it toward the lock and in the run, unless the account is locked
/// or disabled, or either count is at its limit already (finished or still
/// being checked). Returns `None` when no attempt may be made. Counting
/// first, in one conditional statement, means a burst of parallel requests
/// gets no more guesses than the limits, on any number of instances.
#[tracing::instrument(skip(db))]
pub async fn reserve_attempt(
    db: &Db,
    user_id: i64,
    counter: Counter,
    limits: Limits,
    now: i64,
) -> Result<Option<Attempt>, sqlx::Error> {
    let column = match counter {
        Counter::Password => "failed_attempts",
        Counter::Code => "code_failures",
    };
    sqlx::query_as(&format!(
        "UPDATE users SET {column} = {column} + 1, failure_run = failure_run + 1 \
         WHERE id = $1 AND disabled_at IS NULL AND (locked_until IS NULL OR locked_until <= $2) \
         AND {column} < $3 AND failure_run < $4 \
         RETURNING {column} AS toward_lock, failure_run AS in_run"
    ))
    .bind(user_id)
    .bind(now)
    .bind(limits.lock_after)
    .bind(limits.disable_after)
    .fetch_optional(db.pool())
    .await
}

/// Why an account takes no attempts, read when a reservation is refused.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct Guard {
    pub locked_until: Option<i64>,
    pub disabled_at: Option<i64>,
    pub failure_run: i64,
}

#[tracing::instrument(skip(db))]
pub async fn guard(db: &Db, user_id: i64) -> Result<Option<Guard>, sqlx::Error> {
    sqlx::query_as("SELECT locked_until, disabled_at, failure_run FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_optional(db.pool())
        .await
}

/// Locks the account, if a count has reached `limits.lock_after` and it is
/// neither locked nor disabled already (a lock is never pushed further
/// out): both counts toward the lock start afresh, the lock count goes up,
/// and the lock lasts `duration(lock number)` seconds. Every half sign-in
/// of the user ends, and `entry(lock number, until)` is recorded, in the
/// same transaction. Returns the lock's end when this call set it.
///
/// The same call serves the attempt that reached the limit and one that
/// finds a count stuck there without a lock (a client that hung up
/// mid-check): that becomes an ordinary lock that ends.
#[tracing::instrument(skip(db, duration, entry))]
pub async fn lock(
    db: &Db,
    user_id: i64,
    limits: Limits,
    now: i64,
    duration: impl Fn(i64) -> i64,
    entry: impl FnOnce(i64, i64) -> Entry,
) -> Result<Option<i64>, sqlx::Error> {
    let mut change = Change::start(db).await?;
    // Writing the row first locks it (and, on SQLite, the database) until
    // the commit, so the second statement sees what the first one did.
    let number: Option<i64> = sqlx::query_scalar(
        "UPDATE users SET lock_count = lock_count + 1, failed_attempts = 0, code_failures = 0 \
         WHERE id = $1 AND disabled_at IS NULL AND (locked_until IS NULL OR locked_until <= $2) \
         AND (failed_attempts >= $3 OR code_failures >= $3) RETURNING lock_count",
    )
    .bind(user_id)
    .bind(now)
    .bind(limits.lock_after)
    .fetch_optional(change.conn())
    .await?;
    let Some(number) = number else {
        return Ok(None);
    };
    let until = now + duration(number);
    sqlx::query("UPDATE users SET locked_until = $1 WHERE id = $2")
        .bind(until)
        .bind(user_id)
        .execute(change.conn())
        .await?;
    end_sessions(change.conn(), user_id, Ending::HalfSignIns).await?;
    change.commit(&entry(number, until), now).await?;
    Ok(Some(until))
}

/// Disables the account, if its run of failures has reached
/// `limits.disable_after` and it is not disabled already: every session
/// and pending setup ends, and `entry` is recorded, in the same
/// transaction. Only the helpdesk's unlock enables it again. Returns true
/// when this call did it.
#[tracing::instrument(skip(db, entry))]
pub async fn disable(
    db: &Db,
    user_id: i64,
    limits: Limits,
    now: i64,
    entry: &Entry,
) -> Result<bool, sqlx::Error> {
    let run = Some(limits.disable_after);
    disable_if(db, &Seen::nothing(), user_id, run, now, entry).await
}

/// Staff's disable: as [`disable`], whatever the run of failures, if
/// `seen` still holds. False when nothing changed (`seen` no longer held,
/// or the account was disabled already).
#[tracing::instrument(skip(db, seen, entry))]
pub async fn disable_now(
    db: &Db,
    seen: &Seen,
    user_id: i64,
    now: i64,
    entry: &Entry,
) -> Result<bool, sqlx::Error> {
    disable_if(db, seen, user_id, None, now, entry).await
}

async fn disable_if(
    db: &Db,
    seen: &Seen,
    user_id: i64,
    run_at_least: Option<i64>,
    now: i64,
    entry: &Entry,
) -> Result<bool, sqlx::Error> {
    let Some(mut change) = Change::begin(db, seen).await? else {
        return Ok(false);
    };
    let done = sqlx::query(
        "UPDATE users SET disabled_at = $1, locked_until = NULL, failed_attempts = 0, \
         code_failures = 0, updated_at = $1 \
         WHERE id = $2 AND disabled_at IS NULL AND ($3 IS NULL OR failure_run >= $3)",
    )
    .bind(now)
    .bind(user_id)
    .bind(run_at_least)
    .execute(change.conn())
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    end_sessions(change.conn(), user_id, Ending::All).await?;
    delete_for_user(change.conn(), user_id, &["mfa_enrollments"]).await?;
    change.commit(entry, now).await?;
    Ok(true)
}

/// Staff's "end every sign-in": every session of the user ends (the
/// user's row taken first, as everywhere), and `entry` is recorded, if
/// `seen` still holds. Returns how many ended, or `None` when `seen` no
/// longer held and nothing changed.
#[tracing::instrument(skip(db, seen, entry))]
pub async fn end_all_sessions(
    db: &Db,
    seen: &Seen,
    user_id: i64,
    now: i64,
    entry: &Entry,
) -> Result<Option<u64>, sqlx::Error> {
    let Some(mut change) = Change::begin(db, seen).await? else {
        return Ok(None);
    };
    lock_row(change.conn(), user_id).await?;
    let ended = end_sessions(change.conn(), user_id, Ending::All).await?;
    change.commit(entry, now).await?;
    Ok(Some(ended))
}

/// Writes the user's row without changing it, inside the caller's
/// transaction: on PostgreSQL it stays locked until the commit, so every
/// change to a user's sessions and secrets takes its turn.
pub async fn lock_row(conn: &mut AnyConnection, user_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1")
        .bind(user_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes the user's rows in each of `tables` (tables keyed by `user_id`:
/// remembered devices, pending setups) inside the caller's transaction.
pub(super) async fn delete_for_user(
    conn: &mut AnyConnection,
    user_id: i64,
    tables: &[&str],
) -> Result<(), sqlx::Error> {
    for table in tables {
        sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
            .bind(user_id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Which of a user's sessions [`end_sessions`] ends.
#[derive(Debug, Clone, Copy)]
pub enum Ending<'a> {
    All,
    HalfSignIns,
    /// Every one but the session with this ID hash.
    AllBut(&'a str),
}

/// Ends sessions of the user inside the caller's transaction.
pub async fn end_sessions(
    conn: &mut AnyConnection,
    user_id: i64,
    which: Ending<'_>,
) -> Result<u64, sqlx::Error> {
    let query = match which {
        Ending::All => sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id),
        Ending::HalfSignIns => {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND stage = 'code'").bind(user_id)
        }
        Ending::AllBut(keep) => {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
                .bind(user_id)
                .bind(keep)
        }
    };
    Ok(query.execute(conn).await?.rows_affected())
}

/// Lifts a lock or a disable and clears every count, recording `entry` in
/// the same transaction, if `seen` still holds. Returns false, changing
/// nothing, if not.
#[tracing::instrument(skip(db, seen, entry))]
pub async fn unlock(
    db: &Db,
    seen: &Seen,
    user_id: i64,
    now: i64,
    entry: &Entry,
) -> Result<bool, sqlx::Error> {
    let Some(mut change) = Change::begin(db, seen).await? else {
        return Ok(false);
    };
    sqlx::query(
        "UPDATE users SET failed_attempts = 0, code_failures = 0, failure_run = 0, lock_count = 0, \
         locked_until = NULL, disabled_at = NULL, updated_at = $1 WHERE id = $2",
    )
    .bind(now)
    .bind(user_id)
    .execute(change.conn())
    .await?;
    change.commit(entry, now).await?;
    Ok(true)
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
