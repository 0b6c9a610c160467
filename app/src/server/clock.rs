//! Time, in one place: the current time (from a clock that tests can move),
//! Japan time and how dates and times are shown. Stored times are Unix
//! seconds, UTC.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use time::{macros::format_description, Date, OffsetDateTime, UtcOffset};

/// Japan Standard Time, where the dealers are (UTC+9, no daylight saving).
pub const JST: UtcOffset = time::macros::offset!(+9);

/// The application's clock: the system time, plus an offset that only
/// tests move ("15 minutes later") instead of rewriting rows.
#[derive(Clone, Debug, Default)]
pub struct Clock {
    offset_secs: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// Seconds since the Unix epoch, UTC.
    pub fn now(&self) -> i64 {
        OffsetDateTime::now_utc().unix_timestamp() + self.offset_secs.load(Ordering::Relaxed)
    }

    /// Moves this clock (and every copy of it) forward.
    pub fn advance(&self, secs: i64) {
        self.offset_secs.fetch_add(secs, Ordering::Relaxed);
    }

    /// Today's date in Japan.
    pub fn today_in_japan(&self) -> Date {
        OffsetDateTime::from_unix_timestamp(self.now())
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
            .to_offset(JST)
            .date()
    }
}

/// `YYYY/MM/DD HH:MM` in Japan time.
pub fn format_jst(unix: i64) -> String {
    let fmt = format_description!("[year]/[month]/[day] [hour]:[minute]");
    OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| t.to_offset(JST).format(fmt).unwrap_or_default())
        .unwrap_or_default()
}

/// When `date` begins in Japan, in Unix seconds.
pub fn japan_day_start(date: Date) -> i64 {
    date.midnight().assume_offset(JST).unix_timestamp()
}

/// The date in Japan at `unix`, as stored and typed (`YYYY-MM-DD`).
pub fn japan_date(unix: i64) -> String {
    let date = OffsetDateTime::from_unix_timestamp(unix)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .to_offset(JST)
        .date();
    format_date(date)
}

/// A date as stored and typed: `YYYY-MM-DD`.
pub fn parse_date(raw: &str) -> Option<Date> {
    Date::parse(raw, format_description!("[year]-[month]-[day]")).ok()
}

/// The inverse of [`parse_date`].
pub fn format_date(date: Date) -> String {
    date.format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_show_in_japan_time() {
        assert_eq!(format_jst(0), "1970/01/01 09:00");
    }

    #[test]
    fn dates_round_trip_and_refuse_other_forms() {
        let d = parse_date("2022-08-10").unwrap();
        assert_eq!(format_date(d), "2022-08-10");
        assert_eq!(parse_date("2022/08/10"), None);
    }

    #[test]
    fn a_moved_clock_moves_every_copy() {
        let clock = Clock::system();
        let copy = clock.clone();
        let before = copy.now();
        clock.advance(15 * 60);
        assert!(copy.now() >= before + 15 * 60);
    }
}
