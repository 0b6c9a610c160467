//! `autobank notice ...`: the portal's notices.

use super::refuse;
use app::server::clock::{parse_date, Clock};
use app::server::db::Db;
use app::server::services::operator;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum NoticeCommand {
    /// Post a notice on the portal.
    Add {
        /// The date shown, YYYY-MM-DD.
        #[arg(long)]
        date: String,
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        body: String,
    },
}

pub async fn run(db: &Db, clock: &Clock, cmd: NoticeCommand) -> anyhow::Result<()> {
    let NoticeCommand::Add { date, title, body } = cmd;
    if parse_date(&date).is_none() {
        return Err(refuse(format!("--date must be YYYY-MM-DD, not {date:?}")));
    }
    if title.trim().is_empty() {
        return Err(refuse("--title must not be empty"));
    }
    operator::add_notice(db, &date, title.trim(), body.trim(), clock.now()).await?;
    println!("Posted the notice of {date}.");
    Ok(())
}
