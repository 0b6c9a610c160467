//! Ending what an account has open (its sessions, pending setups,
//! remembered devices), inside the caller's change, with the user's row
//! taken first.

use super::audit::Entry;
use super::change::{Change, Seen};
use super::Db;
use sqlx::AnyConnection;

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
