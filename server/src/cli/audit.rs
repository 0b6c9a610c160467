//! `autobank audit`: the audit trail, newest first.

use super::refuse;
use app::server::db::Db;
use app::server::services::operator;
use std::io::Write;

pub async fn print(db: &Db, login_id: Option<&str>, limit: i64) -> anyhow::Result<()> {
    if !(1..=10_000).contains(&limit) {
        return Err(refuse("--limit must be 1 to 10000."));
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<21} {:<18} {:<24} {:<20} ADDRESS",
        "TIME (UTC)", "EVENT", "LOGIN ID", "BY"
    )?;
    for e in operator::audit_trail(db, login_id, limit).await? {
        let at = time::OffsetDateTime::from_unix_timestamp(e.at)?.format(fmt)?;
        writeln!(
            out,
            "{:<21} {:<18} {:<24} {:<20} {}",
            at,
            e.event,
            e.login_id.as_deref().unwrap_or("-"),
            e.actor,
            e.address.as_deref().unwrap_or("-")
        )?;
    }
    Ok(())
}
