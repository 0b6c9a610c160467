//! `autobank keys ...`: the signing keys of the tokens the portal will
//! issue to the business applications (OpenID Connect).

use super::{cli_operator, refuse};
use app::server::clock::{format_jst, Clock};
use app::server::crypto::SecretBox;
use app::server::db::Db;
use app::server::jws::Alg;
use app::server::services::signing;
use clap::Subcommand;
use std::io::Write;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a new signing key, used from now on. The one it replaces stays
    /// published for 15 minutes, until the tokens it signed have expired.
    Rotate {
        /// RS256 (what every client accepts) or ES256.
        #[arg(long, default_value = "RS256")]
        alg: String,
    },
    /// List the signing keys, newest first.
    List,
}

pub async fn run(
    db: &Db,
    secrets: &SecretBox,
    clock: &Clock,
    cmd: KeysCommand,
) -> anyhow::Result<()> {
    let now = clock.now();
    match cmd {
        KeysCommand::Rotate { alg } => {
            let alg = Alg::parse(&alg).ok_or_else(|| refuse("--alg must be RS256 or ES256."))?;
            let kid = signing::rotate(db, secrets, alg, cli_operator(), now)
                .await
                .map_err(|err| refuse(format!("No new key: {err:?}. Nothing was changed.")))?;
            println!(
                "New {} signing key {kid}; it signs from now on.",
                alg.as_str()
            );
        }
        KeysCommand::List => {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{:<44} {:<6} {:<20} STATE", "KID", "ALG", "MADE (JST)")?;
            for key in signing::list(db)
                .await
                .map_err(|err| refuse(format!("{err:?}")))?
            {
                let state = match key.retired_at {
                    None => "signing".to_owned(),
                    Some(at) if at > now - signing::PUBLISHED_AFTER_RETIRING => {
                        format!("retired {}, still published", format_jst(at))
                    }
                    Some(at) => format!("retired {}", format_jst(at)),
                };
                writeln!(
                    out,
                    "{:<44} {:<6} {:<20} {state}",
                    key.kid,
                    key.alg,
                    format_jst(key.created_at)
                )?;
            }
        }
    }
    Ok(())
}
