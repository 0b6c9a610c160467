//! Portal notices.

use crate::error::AppError;
use crate::server::clock::parse_date;
use crate::server::db::notices;
use crate::server::AppState;
use crate::types::Notice;
use time::Duration;

/// Notices posted within this many days carry the `NEW` mark.
pub const NEW_FOR_DAYS: i64 = 7;
/// The most notices the portal shows.
const SHOWN: i64 = 10;

/// The portal's notices, newest first.
pub async fn latest(state: &AppState) -> Result<Vec<Notice>, AppError> {
    newest(state, SHOWN).await
}

/// The newest `limit` notices (`NEW` computed as of today in Japan).
pub async fn newest(state: &AppState, limit: i64) -> Result<Vec<Notice>, AppError> {
    let rows = notices::latest(&state.db, limit).await?;
    let today = state.clock.today_in_japan();
    Ok(rows
        .into_iter()
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
        .collect())
}
