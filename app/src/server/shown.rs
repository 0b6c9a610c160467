//! What every visit to the portal and the menu shows besides their fixed
//! text (the notices, and the tiles bound to applications), read at most
//! once a second per instance and held in memory.

use crate::server::db::notices::{self, NoticeRow};
use crate::server::db::{clients, Db};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The most notices the portal shows.
pub const NOTICES_SHOWN: i64 = 10;

/// How long this instance shows what it read for the portal and the menu
/// (the notices, and the tiles bound to applications: where `検索ログイン`
/// goes), before it reads them again. A change through this instance (a
/// notice posted, edited or deleted; an application registered or
/// removed) shows at once; through another instance, or by the command
/// line, within [`FRESH_FOR`] (or [`STALE_AT_MOST`] while another request
/// is reading them again).
pub const FRESH_FOR: std::time::Duration = std::time::Duration::from_secs(1);
/// The oldest read served while another request reads again.
pub const STALE_AT_MOST: std::time::Duration = std::time::Duration::from_secs(2);

/// What every visit to the portal and the menu shows besides its fixed
/// text.
#[derive(Clone)]
pub struct Shown {
    /// The newest [`NOTICES_SHOWN`] notices.
    pub notices: Arc<[NoticeRow]>,
    /// The tiles bound to an application, and the start page of each.
    pub tiles: Arc<[(String, String)]>,
}

/// What the portal and the menu show, as last read, in this instance's
/// memory: every visit read it again (`make bench`, docs/BENCHMARKS.md).
#[derive(Default)]
pub struct PortalCache {
    last: Mutex<Option<(Instant, Shown)>>,
    /// One request at a time reads again.
    reading: tokio::sync::Mutex<()>,
    /// Bumped by every change through this instance: a read begun before
    /// it is not kept.
    changes: AtomicU64,
}

impl PortalCache {
    fn younger_than(&self, age: std::time::Duration) -> Option<Shown> {
        let last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        last.as_ref()
            .filter(|(at, _)| at.elapsed() < age)
            .map(|(_, shown)| shown.clone())
    }

    /// When what is held now was read (if anything is held), and how many
    /// changes went through this instance: a page rendered after this call
    /// shows what was read then or later, unless the count has moved
    /// (`server::page_cache`).
    pub fn version(&self) -> (Option<Instant>, u64) {
        let changes = self.changes();
        let last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        (last.as_ref().map(|(at, _)| *at), changes)
    }

    /// How many changes went through this instance.
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::SeqCst)
    }

    /// Forgets what was read: the next visit reads again.
    pub fn changed(&self) {
        self.changes.fetch_add(1, Ordering::SeqCst);
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// What to show now: as last read, or read again.
    pub async fn shown(&self, db: &Db) -> Result<Shown, sqlx::Error> {
        if let Some(shown) = self.younger_than(FRESH_FOR) {
            return Ok(shown);
        }
        let reading = match self.reading.try_lock() {
            Ok(reading) => Some(reading),
            // Another request reads: what it replaces serves meanwhile, if
            // it is young enough; otherwise this request reads too (as
            // every request did before; so a database that is away is
            // waited for by each, never in a queue).
            Err(_) => match self.younger_than(STALE_AT_MOST) {
                Some(shown) => return Ok(shown),
                None => None,
            },
        };
        let before = self.changes.load(Ordering::SeqCst);
        let shown = Shown {
            notices: notices::latest(db, NOTICES_SHOWN).await?.into(),
            tiles: clients::tiles(db).await?.into(),
        };
        if reading.is_some() && self.changes.load(Ordering::SeqCst) == before {
            *self.last.lock().unwrap_or_else(|e| e.into_inner()) =
                Some((Instant::now(), shown.clone()));
        }
        Ok(shown)
    }
}
