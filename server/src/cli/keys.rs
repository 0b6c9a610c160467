//! `autobank keys ...`: the signing keys of the tokens the portal will
//! issue to the business applications (OpenID Connect).

use super::{cli_operator, refuse};
use app::server::clock::{format_jst, Clock};
use app::server::crypto::SecretBox;
use app::server::db::Db;
use app::server::jws::Alg;
use app::server::services::keys as keys_service;
use app::server::services::signing::{self, Starts};
use clap::Subcommand;
use std::io::Write;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Make a new signing key. It is published at once and signs from 10
    /// minutes later, when every application's copy of the key set has
    /// it; the one it replaces signs until then and stays published 15
    /// minutes more, until the tokens it signed have expired.
    Rotate {
        /// RS256 (what every client accepts) or ES256.
        #[arg(long, default_value = "RS256")]
        alg: String,
        /// Sign with the new key at once, and withdraw the old one from the
        /// key set at once (it is suspected leaked): its tokens stop
        /// working. Applications that read the key set within the last
        /// minute may refuse sign-ins until they read it again.
        #[arg(long)]
        now: bool,
    },
    /// List the signing keys, newest first.
    List,
    /// Seal every secret again under the key that seals now (the first of
    /// AUTOBANK_SECRET_KEYS), in batches, while the instances serve. Run it
    /// once every instance has the new key first; then the old keys can go.
    Reseal {
        /// Rows read at a time.
        #[arg(long, default_value_t = keys_service::RESEAL_BATCH)]
        batch: i64,
    },
}

pub async fn run(
    db: &Db,
    secrets: &SecretBox,
    clock: &Clock,
    cmd: KeysCommand,
) -> anyhow::Result<()> {
    let now = clock.now();
    match cmd {
        KeysCommand::Reseal { batch } => {
            let key = secrets
                .sealing_key_id()
                .map_or("the key without an id".to_owned(), |id| format!("key {id}"));
            let done = keys_service::reseal_all(db, secrets, batch).await?;
            println!(
                "Sealed again under {key}: {}; under it already: {}; changed by their owner \
                 meanwhile (sealed under {key} by that change): {}.",
                done.resealed, done.current, done.changed_meanwhile
            );
            if done.unreadable > 0 {
                return Err(refuse(format!(
                    "{} secret(s) in {} open under none of the keys given: keep every old key \
                     until they are found.",
                    done.unreadable,
                    done.unreadable_in.join(", ")
                )));
            }
            if done.still_stale > 0 {
                return Err(refuse(format!(
                    "{} secret(s) were sealed under an old key again while this ran ({} passes): \
                     an instance still seals with an old key. Put {key} first on every \
                     instance, restart them, and run keys reseal again. Keep every old key \
                     until then.",
                    done.still_stale, done.passes
                )));
            }
            let others = secrets.other_key_ids();
            if others.is_empty() {
                println!("Every secret is under {key}.");
            } else {
                println!(
                    "Every secret is under {key}. Once every instance seals with it, and 5 \
                     minutes after (secrets waiting to be shown once expire then, and are not \
                     sealed again), these keys can be removed: {}. The key is not in backups: \
                     keep the old key beside any backup made before now.",
                    others.join(", ")
                );
            }
        }
        KeysCommand::Rotate { alg, now: at_once } => {
            let alg = Alg::parse(&alg).ok_or_else(|| refuse("--alg must be RS256 or ES256."))?;
            let starts = if at_once {
                Starts::NowWithdrawing
            } else {
                Starts::AfterPublishing
            };
            let (kid, from) = signing::rotate(db, secrets, alg, starts, cli_operator(), now)
                .await
                .map_err(|err| refuse(format!("No new key: {err:?}. Nothing was changed.")))?;
            if at_once {
                println!(
                    "New {} signing key {kid}; it signs from now on, and the keys it replaces are withdrawn.",
                    alg.as_str()
                );
            } else {
                println!(
                    "New {} signing key {kid}, published now; it signs from {} (JST).",
                    alg.as_str(),
                    format_jst(from)
                );
            }
        }
        KeysCommand::List => {
            let mut out = std::io::stdout().lock();
            writeln!(out, "{:<44} {:<6} {:<20} STATE", "KID", "ALG", "MADE (JST)")?;
            for key in signing::list(db)
                .await
                .map_err(|err| refuse(format!("{err:?}")))?
            {
                let state = match key.retired_at {
                    _ if key.withdrawn_at.is_some() => format!(
                        "withdrawn {}",
                        format_jst(key.withdrawn_at.unwrap_or_default())
                    ),
                    Some(at) if at <= now && at > now - signing::PUBLISHED_AFTER_RETIRING => {
                        format!("retired {}, still published", format_jst(at))
                    }
                    Some(at) if at <= now => format!("retired {}", format_jst(at)),
                    _ if key.signs_from > now => {
                        format!("published, signs from {}", format_jst(key.signs_from))
                    }
                    Some(at) => format!("signing until {}", format_jst(at)),
                    None => "signing".to_owned(),
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
