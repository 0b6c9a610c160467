//! Portal notices, and what every visit to the portal shows.

use crate::error::AppError;
use crate::server::clock::parse_date;
use crate::server::db::notices::{self, NoticeRow};
use crate::server::AppState;
use crate::types::Notice;
use std::sync::Arc;
use time::Duration;

/// Notices posted within this many days carry the `NEW` mark.
pub const NEW_FOR_DAYS: i64 = 7;

pub use crate::server::shown::{FRESH_FOR, STALE_AT_MOST};

/// The portal's notices, newest first.
pub async fn latest(state: &AppState) -> Result<Vec<Notice>, AppError> {
    let shown = state.portal.shown(&state.db).await?;
    Ok(as_shown(state, shown.notices.iter().cloned()))
}

/// The tiles bound to an application (`autobank client add --tile`), and
/// the start page of each.
pub async fn tiles(state: &AppState) -> Result<Arc<[(String, String)]>, AppError> {
    Ok(state.portal.shown(&state.db).await?.tiles)
}

/// The start page of the application bound to the `search` tile, if any.
pub async fn search_start(state: &AppState) -> Result<Option<String>, AppError> {
    let tiles = tiles(state).await?;
    let search = tiles.iter().find(|(tile, _)| tile == "search");
    Ok(search.map(|(_, start)| start.clone()))
}

/// The newest `limit` notices (`NEW` computed as of today in Japan), read
/// now.
pub async fn newest(state: &AppState, limit: i64) -> Result<Vec<Notice>, AppError> {
    let rows = notices::latest(&state.db, limit).await?;
    Ok(as_shown(state, rows))
}

/// Notices as shown, `NEW` computed as of today in Japan.
fn as_shown(state: &AppState, rows: impl IntoIterator<Item = NoticeRow>) -> Vec<Notice> {
    let today = state.clock.today_in_japan();
    rows.into_iter()
        .map(|row| {
            let date = parse_date(&row.published_on);
            Notice {
                id: row.id,
                date: row.published_on.replace('-', "/"),
                is_new: date
                    .is_some_and(|d| d <= today && today - d < Duration::days(NEW_FOR_DAYS)),
                title: row.title,
                body: row.body,
            }
        })
        .collect()
}
