//! `autobank client ...`: the business applications that sign in through
//! the portal (OpenID Connect clients).

use super::{cli_operator, refuse};
use app::server::clock::Clock;
use app::server::crypto::SecretBox;
use app::server::db::Db;
use app::server::services::clients::{self, Changer, ClientInfo, ClientSpec};
use clap::Subcommand;
use std::io::Write;

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register an application. Prints its client ID and, unless it is
    /// public, its secret: shown this once, kept only as a hash.
    Add {
        #[arg(long)]
        name: String,
        /// Where the portal may send the browser back (exact; repeat for more).
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        /// Where the browser may go after logging out (exact; repeatable).
        #[arg(long = "post-logout-uri")]
        post_logout_uris: Vec<String>,
        /// Where the portal POSTs a logout token when a session ends.
        #[arg(long)]
        backchannel_logout_uri: Option<String>,
        /// A browser or mobile app without a secret (PKCE only).
        #[arg(long)]
        public: bool,
        /// Signing in to it needs MFA, whatever the account's policy.
        #[arg(long)]
        mfa_required: bool,
        /// The menu tile it serves: terminal, search-settings, inventory,
        /// estimates, customers, quality-reports, web-negotiations or search.
        #[arg(long)]
        tile: Option<String>,
        /// The page the tile opens (needed with --tile).
        #[arg(long)]
        start_url: Option<String>,
    },
    /// List the registered applications.
    List,
    /// Show one application.
    Show { client_id: String },
    /// Remove an application.
    Remove { client_id: String },
    /// A new secret for an application (the old one stops working at once).
    NewSecret { client_id: String },
}

fn print(out: &mut impl Write, c: &ClientInfo) -> std::io::Result<()> {
    writeln!(out, "client ID:        {}", c.client_id)?;
    writeln!(out, "name:             {}", c.name)?;
    let kind = if c.public { "public" } else { "confidential" };
    writeln!(out, "kind:             {kind}")?;
    writeln!(
        out,
        "MFA required:     {}",
        if c.mfa_required { "yes" } else { "no" }
    )?;
    writeln!(
        out,
        "tile:             {}",
        c.tile.as_deref().unwrap_or("-")
    )?;
    writeln!(
        out,
        "start URL:        {}",
        c.start_url.as_deref().unwrap_or("-")
    )?;
    for uri in &c.redirect_uris {
        writeln!(out, "redirect URI:     {uri}")?;
    }
    for uri in &c.post_logout_uris {
        writeln!(out, "post-logout URI:  {uri}")?;
    }
    let backchannel = c.backchannel_logout_uri.as_deref().unwrap_or("-");
    writeln!(out, "back-channel URI: {backchannel}")
}

pub async fn run(
    db: &Db,
    secrets: &SecretBox,
    clock: &Clock,
    cmd: ClientCommand,
) -> anyhow::Result<()> {
    let now = clock.now();
    let failed = |err| refuse(format!("Nothing was changed: {err:?}."));
    match cmd {
        ClientCommand::Add {
            name,
            redirect_uris,
            post_logout_uris,
            backchannel_logout_uri,
            public,
            mfa_required,
            tile,
            start_url,
        } => {
            let spec = ClientSpec {
                name,
                public,
                redirect_uris,
                post_logout_uris,
                backchannel_logout_uri,
                mfa_required,
                tile,
                start_url,
            };
            let registered =
                clients::register(db, secrets, &spec, Changer::operator(cli_operator()), now)
                    .await
                    .map_err(failed)?
                    .map_err(|invalid| refuse(format!("Not registered: {invalid}.")))?;
            println!("Registered. client ID: {}", registered.client_id);
            if let Some(secret) = registered.secret {
                println!("client secret: {secret}");
                println!("The secret is shown this once; the portal keeps only a hash of it.");
            }
        }
        ClientCommand::List => {
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{:<24} {:<13} {:<18} NAME",
                "CLIENT ID", "KIND", "TILE"
            )?;
            for c in clients::list(db).await.map_err(failed)? {
                let kind = if c.public { "public" } else { "confidential" };
                let tile = c.tile.as_deref().unwrap_or("-");
                writeln!(out, "{:<24} {kind:<13} {tile:<18} {}", c.client_id, c.name)?;
            }
        }
        ClientCommand::Show { client_id } => {
            let found = clients::find(db, &client_id).await.map_err(failed)?;
            let c = found.ok_or_else(|| refuse(format!("No client has the ID {client_id}.")))?;
            print(&mut std::io::stdout().lock(), &c)?;
        }
        ClientCommand::Remove { client_id } => {
            if !clients::remove(db, &client_id, Changer::operator(cli_operator()), now)
                .await
                .map_err(failed)?
            {
                return Err(refuse(format!("No client has the ID {client_id}.")));
            }
            println!("Removed {client_id}.");
        }
        ClientCommand::NewSecret { client_id } => {
            let secret = clients::new_secret(
                db,
                secrets,
                &client_id,
                Changer::operator(cli_operator()),
                now,
            )
            .await
            .map_err(failed)?
            .ok_or_else(|| refuse(format!("No confidential client has the ID {client_id}.")))?;
            println!("client secret: {secret}");
            println!("The old secret no longer works. This one is shown this once.");
        }
    }
    Ok(())
}
