//! The sessions table. Rows are keyed by the SHA-256 of the cookie token,
//! so a copy of the database holds no usable session.

use super::audit::Entry;
use super::change::Change;
use super::devices;
use super::devices::NewDevice;
use super::endings::{self, Ending};
use super::users::{self, Snapshot};
use super::Db;
use sqlx::AnyConnection;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub user_id: i64,
    pub stage: String,
    pub handle: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub login_id: String,
    pub role: String,
    /// When a code was last confirmed in this session.
    pub code_at: Option<i64>,
    /// How its sign-in was proved (`session::Method`).
    pub method: String,
    /// Since when the account has MFA on.
    pub mfa_enabled_at: Option<i64>,
    /// Set while the account's password is a temporary one.
    pub password_expires_at: Option<i64>,
    /// The date (`YYYY-MM-DD`) from which the role needs MFA, if set.
    pub mfa_required_from: Option<String>,
}

/// A session about to be written. `id_hash` is the SHA-256 of its token;
/// `handle` is a second random value that names it on the settings page.
#[derive(Debug, Clone, Copy)]
pub struct NewSession<'a> {
    pub id_hash: &'a str,
    pub handle: &'a str,
    pub user_id: i64,
    pub stage: &'a str,
    pub browser: &'a str,
    pub address: Option<&'a str>,
    /// When a code was confirmed for it (the code step), if one was.
    pub code_at: Option<i64>,
    /// How its sign-in was proved (`session::Method`).
    pub method: &'a str,
}

async fn insert(
    conn: &mut AnyConnection,
    new: NewSession<'_>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, handle, user_id, stage, browser, address, code_at, \
         method, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
    )
    .bind(new.id_hash)
    .bind(new.handle)
    .bind(new.user_id)
    .bind(new.stage)
    .bind(new.browser)
    .bind(new.address)
    .bind(new.code_at)
    .bind(new.method)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

/// Starts the session a right password earned, in one transaction, only
/// if the account is still as the check saw it (`snapshot`: the same
/// password hash, the same MFA secret or none) and neither locked nor
/// disabled. The user's row is written first, so on PostgreSQL a password
/// change, an MFA reset, a lock or a disable landing at the same moment
/// waits for this one, or this one sees it. Clears the count toward the lock; a
/// `full` sign-in is a success and clears the run of failures too, while
/// one that still owes a code only takes its own attempt back out of the
/// run. A temporary password is used up here (its end set to 0, which no
/// clock passes, however the instances' clocks differ): it signs in once. Ends
/// `previous` and records `entry`. Returns false, changing nothing, when
/// the account changed meanwhile or the temporary password was used or
/// expired.
#[tracing::instrument(skip_all, fields(user_id = new.user_id))]
pub async fn sign_in(
    db: &Db,
    new: NewSession<'_>,
    snapshot: &Snapshot,
    previous: Option<&str>,
    entry: &Entry,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let run = if new.stage == "full" {
        "failure_run = 0, lock_count = 0"
    } else {
        users::RUN_WITHOUT_THIS_ATTEMPT
    };
    let mut change = Change::start(db).await?;
    let still = sqlx::query(&format!(
        "UPDATE users SET failed_attempts = 0, {run}, \
         password_expires_at = CASE WHEN password_expires_at IS NULL THEN NULL ELSE 0 END \
         WHERE id = $1 AND password_hash = $2 \
         AND ({in_force}) IS NOT DISTINCT FROM $3 \
         AND (password_expires_at IS NULL OR password_expires_at > $4) \
         AND disabled_at IS NULL AND (locked_until IS NULL OR locked_until <= $4)",
        in_force = users::MFA_SECRET_IN_FORCE,
    ))
    .bind(new.user_id)
    .bind(snapshot.password_hash().expose())
    .bind(snapshot.mfa_secret())
    .bind(now)
    .execute(change.conn())
    .await?;
    if still.rows_affected() != 1 {
        return Ok(false);
    }
    if let Some(previous) = previous {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(previous)
            .execute(change.conn())
            .await?;
    }
    insert(change.conn(), new, now).await?;
    change.commit(entry, now).await?;
    Ok(true)
}

/// The full session that replaces a half one: its token's hash, its
/// handle, and how the code step was passed (`session::Method`).
#[derive(Debug, Clone, Copy)]
pub struct Promoted<'a> {
    pub id_hash: &'a str,
    pub handle: &'a str,
    pub method: &'a str,
}

/// A half sign-in to promote: the full session that replaces it, the
/// record and the remembered device that go with it.
#[derive(Debug, Clone, Copy)]
pub struct Promotion<'a> {
    /// The half sign-in's ID hash.
    pub half_hash: &'a str,
    pub full: Promoted<'a>,
    /// Wrong codes the half sign-in may have counted (the current attempt
    /// included, where it was counted before its check).
    pub counted_at_most: i64,
    pub entry: &'a Entry,
    pub device: Option<&'a NewDevice<'a>>,
}

/// Replaces a half sign-in by a full one under a new ID and handle, in one
/// transaction, recording `entry`, and remembers `device` in the same
/// transaction (so a reset landing meanwhile cannot miss it). Returns
/// false, changing nothing, when the half sign-in is already gone (ended
/// by too many wrong codes, by a lock, or used by a parallel request) or
/// has more than `counted_at_most` codes counted: a request that was
/// already in flight cannot resurrect it.
#[tracing::instrument(skip_all)]
pub async fn promote(
    db: &Db,
    user_id: i64,
    promotion: Promotion<'_>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut change = Change::start(db).await?;
    // Lock the user's row first, as a reset or a password change does, so
    // that on PostgreSQL one of them waits for the other: a reset cannot
    // miss the full session this creates.
    sqlx::query("UPDATE users SET updated_at = updated_at WHERE id = $1")
        .bind(user_id)
        .execute(change.conn())
        .await?;
    promote_in(change, user_id, promotion, now).await
}

/// The rest of [`promote`], inside `change`, which has taken the row of
/// the half sign-in's user, `user_id` (another user's half sign-in is
/// refused).
pub(super) async fn promote_in(
    mut change: Change,
    user_id: i64,
    promotion: Promotion<'_>,
    now: i64,
) -> Result<bool, sqlx::Error> {
    // The row becomes the full session in place, under its new ID and
    // handle, with the browser and address it had: one statement where a
    // DELETE and an INSERT were (no other table refers to a half sign-in).
    let promoted = sqlx::query(
        "UPDATE sessions SET id_hash = $1, handle = $2, stage = 'full', code_failures = 0, \
         method = $3, code_at = $4, created_at = $4, last_seen_at = $4 \
         WHERE id_hash = $5 AND stage = 'code' AND code_failures <= $6 AND user_id = $7",
    )
    .bind(promotion.full.id_hash)
    .bind(promotion.full.handle)
    .bind(promotion.full.method)
    .bind(now)
    .bind(promotion.half_hash)
    .bind(promotion.counted_at_most)
    .bind(user_id)
    .execute(change.conn())
    .await?;
    if promoted.rows_affected() != 1 {
        return Ok(false);
    }
    change.record(promotion.entry, now).await?;
    if let Some(device) = promotion.device {
        devices::insert_device(&mut change, user_id, device, now).await?;
    }
    change.commit_recorded().await?;
    Ok(true)
}

/// One signed-in browser, for the settings page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BrowserRow {
    pub handle: String,
    pub browser: String,
    pub address: Option<String>,
    pub created_at: i64,
    pub last_seen_at: i64,
}

/// The user's full sessions that have not expired, most recent first.
#[tracing::instrument(skip(db))]
pub async fn browsers(
    db: &Db,
    user_id: i64,
    idle_after: i64,
    created_after: i64,
) -> Result<Vec<BrowserRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT handle, browser, address, created_at, last_seen_at FROM sessions \
         WHERE user_id = $1 AND stage = 'full' AND last_seen_at >= $2 AND created_at >= $3 \
         ORDER BY last_seen_at DESC, created_at DESC",
    )
    .bind(user_id)
    .bind(idle_after)
    .bind(created_after)
    .fetch_all(db.pool())
    .await
}

/// Ends the user's session named by `handle`, recording `entry`. Returns
/// false when the user has no such session.
#[tracing::instrument(skip(db, handle, entry))]
pub async fn end_by_handle(
    db: &Db,
    user_id: i64,
    handle: &str,
    entry: &Entry,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut change = Change::start(db).await?;
    endings::lock_row(change.conn(), user_id).await?;
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND handle = $2")
        .bind(user_id)
        .bind(handle)
        .execute(change.conn())
        .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    change.commit(entry, now).await?;
    Ok(true)
}

/// Ends one session (signing out), recording `entry`.
#[tracing::instrument(skip_all)]
pub async fn end(db: &Db, id_hash: &str, entry: &Entry, now: i64) -> Result<(), sqlx::Error> {
    let mut change = Change::start(db).await?;
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(change.conn())
        .await?;
    change.commit(entry, now).await
}

/// Ends every session of the user but `keep`, recording `entry` when any
/// ended. Returns how many ended.
#[tracing::instrument(skip(db, keep, entry))]
pub async fn end_others(
    db: &Db,
    user_id: i64,
    keep: &str,
    entry: &Entry,
    now: i64,
) -> Result<u64, sqlx::Error> {
    let mut change = Change::start(db).await?;
    // The user's row first, as sign-in and the code step do: a session one
    // of them is writing at this moment is either seen here or waits.
    endings::lock_row(change.conn(), user_id).await?;
    let ended = endings::end_sessions(change.conn(), user_id, Ending::AllBut(keep)).await?;
    // None ended: nothing to record, and nothing to keep.
    if ended > 0 {
        change.commit(entry, now).await?;
    }
    Ok(ended)
}

/// The session whose token hashes to `id_hash`, with what it needs of its
/// account, as read after this call began: read together with the other
/// sessions asked for at that moment ([`Gathered`]).
#[tracing::instrument(skip(db, id_hash))]
pub async fn find(db: &Db, id_hash: &str) -> Result<Option<SessionRow>, sqlx::Error> {
    let (answer, read) = tokio::sync::oneshot::channel();
    let gathered = &db.sessions;
    let start = {
        let mut waiting = gathered.lock();
        // More than the database keeps up with: "try again later" now,
        // not after the request's timeout.
        if waiting.asks.len() >= MOST_WAITING {
            return Err(sqlx::Error::PoolTimedOut);
        }
        waiting.asks.push((id_hash.to_owned(), answer));
        !std::mem::replace(&mut waiting.reading, true)
    };
    if start {
        // A task of its own, not this request's: a client that hangs up
        // must not drop the read the others wait for.
        tokio::spawn(read_gathered(db.clone()));
    }
    // The reader dropped this ask unanswered only if it panicked.
    read.await.unwrap_or(Err(sqlx::Error::WorkerCrashed))
}

/// The most sessions one query reads.
const MOST_AT_ONCE: usize = 32;
/// The most requests waiting for their sessions.
const MOST_WAITING: usize = 1024;
/// The longest one read may take (the pool's own wait for a connection
/// is as long): the requests waiting behind a read that hangs (a
/// connection gone half-open) are answered "try again later" then.
const READ_AT_MOST: std::time::Duration = std::time::Duration::from_secs(3);

/// Sessions asked for by requests, read together. Every request resolves
/// its session, and under load many do at once; each used to take a
/// round trip of its own (on SQLite, a hop to sqlx's connection thread
/// and back: most of a signed-in page's cost). Now whoever asks while a
/// read is under way waits for the next, which reads every session then
/// waiting with one query. Each read still begins after its request
/// asked, so a session that ended before is not found, on any instance.
#[derive(Default)]
pub struct Gathered {
    waiting: std::sync::Mutex<Waiting>,
}

/// Says nothing of the hashes waiting.
impl std::fmt::Debug for Gathered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gathered").finish_non_exhaustive()
    }
}

type Answer = tokio::sync::oneshot::Sender<Result<Option<SessionRow>, sqlx::Error>>;

#[derive(Default)]
struct Waiting {
    asks: Vec<(String, Answer)>,
    /// A task is reading (or about to): new asks wait for it.
    reading: bool,
}

impl Gathered {
    fn lock(&self) -> std::sync::MutexGuard<'_, Waiting> {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Ends a reader that panicked: the asks it held and those waiting are
/// dropped (their requests answered with an error), and the next ask
/// starts another reader.
struct Reader<'a>(&'a Gathered);

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let mut waiting = self.0.lock();
            waiting.reading = false;
            // Answered with an error rather than left waiting for an ask
            // that may never come.
            waiting.asks.clear();
        }
    }
}

/// Reads what is asked, [`MOST_AT_ONCE`] at a time, until nothing is.
async fn read_gathered(db: Db) {
    let gathered = &*db.sessions;
    let _reader = Reader(gathered);
    loop {
        let asks: Vec<_> = {
            let mut waiting = gathered.lock();
            // Requests that are gone (timed out, hung up) are not read for.
            waiting.asks.retain(|(_, answer)| !answer.is_closed());
            if waiting.asks.is_empty() {
                waiting.reading = false;
                return;
            }
            let n = waiting.asks.len().min(MOST_AT_ONCE);
            waiting.asks.drain(..n).collect()
        };
        let mut hashes: Vec<&str> = asks.iter().map(|(hash, _)| hash.as_str()).collect();
        hashes.sort_unstable();
        hashes.dedup();
        let read = tokio::time::timeout(READ_AT_MOST, read_many(&db, &hashes)).await;
        match read.unwrap_or(Err(sqlx::Error::PoolTimedOut)) {
            Ok(rows) => {
                for (hash, answer) in asks {
                    let row = rows
                        .iter()
                        .find(|(h, _)| *h == hash)
                        .map(|(_, r)| r.clone());
                    let _ = answer.send(Ok(row));
                }
            }
            Err(err) => {
                // Everyone waiting is answered now, as this read's own asks
                // are: the next read would most likely fail as this one did,
                // after as long a wait.
                let (away, text) = (super::is_unavailable(&err), err.to_string());
                let rest = std::mem::take(&mut gathered.lock().asks);
                let mut first = Some(err);
                for (_, answer) in asks.into_iter().chain(rest) {
                    let err = first.take().unwrap_or_else(|| copy_of_error(away, &text));
                    let _ = answer.send(Err(err));
                }
            }
        }
    }
}

/// The error the other requests of a failed read get: answered as the
/// first one is, "try again later" for a database that is away, an
/// internal error otherwise (`sqlx::Error` cannot be cloned).
fn copy_of_error(away: bool, text: &str) -> sqlx::Error {
    if away {
        sqlx::Error::Io(std::io::Error::other(text.to_owned()))
    } else {
        sqlx::Error::Configuration(text.to_owned().into())
    }
}

/// The sessions of `hashes` (distinct), each with its hash. The list is
/// padded to a power of two with its last hash, so that a handful of
/// statements serve every size.
async fn read_many(db: &Db, hashes: &[&str]) -> Result<Vec<(String, SessionRow)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Found {
        id_hash: String,
        #[sqlx(flatten)]
        row: SessionRow,
    }
    let size = hashes.len().next_power_of_two();
    let marks = (1..=size)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT s.id_hash, s.user_id, s.stage, s.handle, s.created_at, s.last_seen_at, s.code_at, s.method, \
         u.login_id, u.role, u.mfa_enabled_at, u.password_expires_at, p.required_from AS mfa_required_from \
         FROM sessions s JOIN users u ON u.id = s.user_id \
         LEFT JOIN mfa_policies p ON p.role = u.role WHERE s.id_hash IN ({marks})"
    );
    let last = hashes.last().copied().unwrap_or_default();
    let mut query = sqlx::query_as::<_, Found>(&sql);
    for i in 0..size {
        query = query.bind(hashes.get(i).copied().unwrap_or(last));
    }
    let found = query.fetch_all(db.pool()).await?;
    Ok(found.into_iter().map(|f| (f.id_hash, f.row)).collect())
}

/// Marks the session seen at `now`. False (nothing changed) when it is
/// gone, or when an application was already told it ended (another
/// instance judged it over a moment earlier): it must not come back.
#[tracing::instrument(skip(db, id_hash))]
pub async fn touch(db: &Db, id_hash: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2 \
         AND NOT EXISTS (SELECT 1 FROM oidc_logouts WHERE session_hash = $2)",
    )
    .bind(now)
    .bind(id_hash)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

#[tracing::instrument(skip(db, id_hash))]
pub async fn delete(db: &Db, id_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// When a session counts as live: seen since `idle_since` and made since
/// `created_since` (`now` minus the idle and the absolute limit;
/// `session::live_since`). A session past either is over even before the
/// sweeper deletes its row.
#[derive(Debug, Clone, Copy)]
pub struct LiveSince {
    pub idle_since: i64,
    pub created_since: i64,
}

/// Removes sessions past their idle or absolute limit, and half sign-ins
/// past theirs.
#[tracing::instrument(skip(db))]
pub async fn delete_expired(
    db: &Db,
    idle_before: i64,
    created_before: i64,
    half_created_before: i64,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2 \
         OR (stage = 'code' AND created_at < $3)",
    )
    .bind(idle_before)
    .bind(created_before)
    .bind(half_created_before)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected())
}

/// A staff member confirmed their code before an action: the session's
/// code time moves to `now`, and `entry` is recorded. Returns false when
/// the session is gone.
#[tracing::instrument(skip_all)]
pub async fn stepped_up(
    db: &Db,
    id_hash: &str,
    entry: &Entry,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let mut change = Change::start(db).await?;
    let done =
        sqlx::query("UPDATE sessions SET code_at = $1 WHERE id_hash = $2 AND stage = 'full'")
            .bind(now)
            .bind(id_hash)
            .execute(change.conn())
            .await?;
    change.commit_if_one(&done, entry, now).await
}
