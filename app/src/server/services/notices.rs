//! Portal notices.

use crate::error::AppError;
use crate::portal::Notice;
use crate::server::db::{self, notices};
use crate::server::AppState;
use time::{Date, Duration, OffsetDateTime, UtcOffset};

/// Notices posted within this many days carry the `NEW` mark.
pub const NEW_FOR_DAYS: i64 = 7;
/// The most notices the portal shows.
const SHOWN: i64 = 10;

/// Today in Japan, where the dealers are (UTC+9, no daylight saving).
pub fn today_in_japan() -> Date {
    let jst = UtcOffset::from_hms(9, 0, 0).expect("valid offset");
    OffsetDateTime::now_utc().to_offset(jst).date()
}

pub fn parse_date(raw: &str) -> Option<Date> {
    Date::parse(
        raw,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

pub async fn latest(state: &AppState) -> Result<Vec<Notice>, AppError> {
    let rows = notices::latest(&state.db, SHOWN)
        .await
        .map_err(db::db_error)?;
    let today = today_in_japan();
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
