//! One place for "a change and its audit record": a transaction that
//! first re-checks, by writing, the facts the caller's check relied on
//! (who acts, in which role, from which session; whom it acts on, in which
//! role), then carries the change, then writes the record and commits.
//! Either the facts still hold and all of it lands, or nothing does.
//!
//! Why the facts are re-checked by a conditional `UPDATE` rather than read:
//! an `UPDATE` takes the row's lock (on SQLite, the database's write lock),
//! and on PostgreSQL a statement that waited for that lock evaluates its
//! `WHERE` again on the row as the other transaction left it. So a role
//! change that commits first is seen, and one that comes later waits for
//! this transaction to end. A `SELECT` would see the old row and let both
//! through.

use super::audit::{self, Entry};
use super::Db;
use sqlx::any::AnyQueryResult;
use sqlx::{Any, AnyConnection, Transaction};

/// A fact about an account that a check saw and its write relies on.
/// Its `Debug` leaves the session's hash out of the logs.
#[derive(Clone, PartialEq, Eq)]
enum Fact {
    /// The actor: still this role, not disabled, and still signed in on
    /// the session with this ID hash.
    Actor {
        user_id: i64,
        role: String,
        session_hash: String,
    },
    /// The account acted on: still this role; with `no_temp_password`,
    /// also without a temporary password (pending, used or expired).
    Target {
        user_id: i64,
        role: String,
        no_temp_password: bool,
    },
}

impl std::fmt::Debug for Fact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Actor { user_id, role, .. } => f
                .debug_struct("Actor")
                .field("user_id", user_id)
                .field("role", role)
                .finish_non_exhaustive(),
            Self::Target {
                user_id,
                role,
                no_temp_password,
            } => f
                .debug_struct("Target")
                .field("user_id", user_id)
                .field("role", role)
                .field("no_temp_password", no_temp_password)
                .finish(),
        }
    }
}

impl Fact {
    fn user_id(&self) -> i64 {
        match self {
            Self::Actor { user_id, .. } | Self::Target { user_id, .. } => *user_id,
        }
    }

    /// Takes the account's row if the fact still holds; false if not.
    async fn hold(&self, conn: &mut AnyConnection) -> Result<bool, sqlx::Error> {
        match self {
            Self::Actor {
                user_id,
                role,
                session_hash,
            } => {
                let row = sqlx::query(
                    "UPDATE users SET updated_at = updated_at \
                     WHERE id = $1 AND role = $2 AND disabled_at IS NULL",
                )
                .bind(user_id)
                .bind(role)
                .execute(&mut *conn)
                .await?;
                if row.rows_affected() != 1 {
                    return Ok(false);
                }
                // The session row too, so that a logout or an "end every
                // sign-in" committed meanwhile is seen (a subquery would
                // read the snapshot from before it).
                let session = sqlx::query(
                    "UPDATE sessions SET last_seen_at = last_seen_at \
                     WHERE id_hash = $1 AND user_id = $2 AND stage = 'full'",
                )
                .bind(session_hash)
                .bind(user_id)
                .execute(conn)
                .await?;
                Ok(session.rows_affected() == 1)
            }
            Self::Target {
                user_id,
                role,
                no_temp_password,
            } => {
                let row = sqlx::query(
                    "UPDATE users SET updated_at = updated_at WHERE id = $1 AND role = $2 \
                     AND ($3 = 0 OR password_expires_at IS NULL)",
                )
                .bind(user_id)
                .bind(role)
                .bind(i64::from(*no_temp_password))
                .execute(conn)
                .await?;
                Ok(row.rows_affected() == 1)
            }
        }
    }
}

/// What a change's check saw, to be true still when the change lands.
/// Empty for the operator's command line, which acts on the server itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    facts: Vec<Fact>,
}

impl Seen {
    /// Nothing to re-check: the command line on the server.
    pub fn nothing() -> Self {
        Self::default()
    }

    /// The acting member of staff: `user_id` in `role`, signed in on the
    /// session whose ID hash is `session_hash`.
    pub fn actor(mut self, user_id: i64, role: &str, session_hash: &str) -> Self {
        self.facts.push(Fact::Actor {
            user_id,
            role: role.to_owned(),
            session_hash: session_hash.to_owned(),
        });
        self
    }

    /// The account acted on, `user_id`, in `role`.
    pub fn target(mut self, user_id: i64, role: &str) -> Self {
        self.facts.push(Fact::Target {
            user_id,
            role: role.to_owned(),
            no_temp_password: false,
        });
        self
    }

    /// As [`Seen::target`], and without a temporary password.
    pub fn target_without_temp_password(mut self, user_id: i64, role: &str) -> Self {
        self.facts.push(Fact::Target {
            user_id,
            role: role.to_owned(),
            no_temp_password: true,
        });
        self
    }
}

/// A change under way: the facts held when it began, and their rows stay
/// taken until [`Change::commit`]. Dropped without a commit, it rolls back.
/// Every audited change goes through one: it commits only with its record.
pub struct Change {
    tx: Transaction<'static, Any>,
    /// Records written so far by [`Change::record`].
    recorded: usize,
    /// This instance's turn to write (SQLite; `None` on PostgreSQL), given
    /// back after the transaction ends (fields drop in order).
    turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Change {
    fn new(tx: Transaction<'static, Any>, turn: Option<tokio::sync::OwnedMutexGuard<()>>) -> Self {
        Self {
            tx,
            recorded: 0,
            turn,
        }
    }
}

impl Change {
    /// Begins a change if everything in `seen` still holds; `None` if the
    /// world moved (nothing is changed then). The rows are taken in the
    /// order of their IDs, so two changes that each involve two accounts
    /// (an admin acting on another who acts on the first) never wait on
    /// each other in a circle.
    pub async fn begin(db: &Db, seen: &Seen) -> Result<Option<Self>, sqlx::Error> {
        let turn = db.turn_to_write().await?;
        let mut tx = db.write_pool().begin().await?;
        let mut facts: Vec<&Fact> = seen.facts.iter().collect();
        facts.sort_by_key(|fact| fact.user_id());
        for fact in facts {
            if !fact.hold(&mut tx).await? {
                tracing::info!(?fact, "a change's check no longer holds; nothing changed");
                return Ok(None);
            }
        }
        Ok(Some(Self::new(tx, turn)))
    }

    /// Begins a change with nothing to re-check first: the account
    /// holder's own changes (which carry their conditions in their own
    /// statements) and the command line.
    pub async fn start(db: &Db) -> Result<Self, sqlx::Error> {
        let turn = db.turn_to_write().await?;
        let tx = db.write_pool().begin().await?;
        Ok(Self::new(tx, turn))
    }

    /// Holds the rows that `select` (a `SELECT` with its `$n` parameters
    /// bound to `binds`, in order) finds, until the change ends: a change
    /// that would update or delete one of them waits for this one to end
    /// (and this one for such a change under way, then finds what it
    /// left), while changes that only hold them too go on side by side.
    ///
    /// On PostgreSQL that is the rows' share lock (`FOR SHARE`). On SQLite
    /// there is nothing to take: a transaction writes with the database's
    /// one write lock, taken by its first write statement before that
    /// statement reads, and the writer reads the newest rows. So a read in
    /// or after the change's first write sees every change committed
    /// before it, and no other change commits until this one has ended.
    pub async fn hold_rows(&mut self, select: &str, binds: &[&str]) -> Result<(), sqlx::Error> {
        // The turn is SQLite's alone.
        if self.turn.is_some() {
            return Ok(());
        }
        let sql = format!("{select} FOR SHARE");
        let mut held = sqlx::query(&sql);
        for bind in binds {
            held = held.bind(*bind);
        }
        held.fetch_all(&mut *self.tx).await?;
        Ok(())
    }

    /// The transaction's connection, for the change's own statements.
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// Writes `entry` and commits the change with it.
    pub async fn commit(mut self, entry: &Entry, now: i64) -> Result<(), sqlx::Error> {
        audit::write(&mut self.tx, entry, now).await?;
        self.tx.commit().await
    }

    /// Commits with `entry` if the change's last statement (`done`) changed
    /// exactly one row, and answers true; otherwise rolls everything back
    /// and answers false: the row it was for is gone or no longer matches.
    pub async fn commit_if_one(
        self,
        done: &AnyQueryResult,
        entry: &Entry,
        now: i64,
    ) -> Result<bool, sqlx::Error> {
        if done.rows_affected() != 1 {
            self.rollback().await?;
            return Ok(false);
        }
        self.commit(entry, now).await?;
        Ok(true)
    }

    /// Ends the change with nothing kept, and only then gives the turn
    /// to write back. (A change merely dropped gives its turn back at
    /// once, while its ROLLBACK still waits for sqlx's SQLite thread: on
    /// SQLite the next writer waits for the writer's one connection
    /// meanwhile, within the pool's acquire timeout.)
    pub async fn rollback(self) -> Result<(), sqlx::Error> {
        self.tx.rollback().await
    }

    /// Writes `entry` now, inside the change: for a change that records
    /// more than one event (a sign-in and the device it remembers), in the
    /// order they happened. Commit it with [`Change::commit_recorded`].
    pub async fn record(&mut self, entry: &Entry, now: i64) -> Result<(), sqlx::Error> {
        audit::write(&mut self.tx, entry, now).await?;
        self.recorded += 1;
        Ok(())
    }

    /// Commits a change that only counted attempts before their check: an
    /// attempt is recorded when it is settled, and where settling it locks
    /// the account, after the lock (see `services::lockout::wrong`).
    pub async fn commit_counts(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    /// Commits a change that no audit record is for: an OpenID client's
    /// codes and tokens, used and kept at a rate no trail should hold
    /// (their misuse, a replay, is recorded).
    pub async fn commit_unrecorded(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }

    /// Commits a change whose records [`Change::record`] wrote. One with
    /// no record is refused (rolled back): that is a bug, not a change.
    pub async fn commit_recorded(self) -> Result<(), sqlx::Error> {
        if self.recorded == 0 {
            tracing::error!("a change without its audit record was refused");
            return Err(sqlx::Error::Protocol(
                "a change without its audit record".into(),
            ));
        }
        self.tx.commit().await
    }
}
