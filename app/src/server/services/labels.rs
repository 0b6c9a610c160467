//! How times and browsers are shown to dealers.

use crate::server::session;
use crate::text;

/// `YYYY/MM/DD HH:MM` in Japan time.
pub fn format_jst(unix: i64) -> String {
    let jst = time::UtcOffset::from_hms(9, 0, 0).expect("valid offset");
    let fmt = time::macros::format_description!("[year]/[month]/[day] [hour]:[minute]");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| t.to_offset(jst).format(fmt).unwrap_or_default())
        .unwrap_or_default()
}

/// A short label for the browser of this request, e.g. "Chrome (Windows)".
pub fn browser_label() -> String {
    label_for(
        session::request_header("user-agent")
            .as_deref()
            .unwrap_or(""),
    )
}

pub fn label_for(ua: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("CriOS/", "Chrome"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    let os = [
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("Mac OS X", "Mac"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(needle, _)| ua.contains(needle))
    .map(|(_, name)| *name);
    match (browser, os) {
        (Some(b), Some(o)) => format!("{b} ({o})"),
        (Some(b), None) => b.to_owned(),
        (None, Some(o)) => o.to_owned(),
        (None, None) => text::DEVICE_UNKNOWN.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_labels_are_short_and_never_the_whole_user_agent() {
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36";
        assert_eq!(label_for(chrome), "Chrome (Windows)");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(label_for(iphone), "Safari (iPhone)");
        assert_eq!(label_for(""), text::DEVICE_UNKNOWN);
    }

    #[test]
    fn times_show_in_japan_time() {
        assert_eq!(format_jst(0), "1970/01/01 09:00");
    }
}
