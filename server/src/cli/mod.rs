//! The operator's command line: serve, migrate, accounts, notices and the
//! audit trail. Every command works on the same database as the server,
//! also while it runs. One file per command group.

mod audit;
mod client;
mod keys;
mod notice;
mod user;

use crate::config::{self, Settings};
use crate::startup::{self, Application};
use app::domain::{LoginId, Password, Role};
use app::server::clock::{format_date, Clock};
use app::server::db::{audit::Actor, is_unavailable, Db};
use app::server::services::operator::{self, Added, Failed};
use clap::{Parser, Subcommand};
use std::io::{BufRead, IsTerminal};

pub use client::ClientCommand;
pub use keys::KeysCommand;
pub use notice::NoticeCommand;
pub use user::UserCommand;

#[derive(Debug, Parser)]
#[command(
    name = "autobank",
    version,
    about = "autoBank portal: sign-in and account security for car dealers"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the site (the default). Reads LEPTOS_SITE_ADDR, LEPTOS_SITE_ROOT and DATABASE_URL.
    Serve {
        /// On a new database, create a demo account (printed once) and two sample notices.
        #[arg(long)]
        demo: bool,
    },
    /// Apply the database schema.
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage portal notices.
    #[command(subcommand)]
    Notice(NoticeCommand),
    /// Manage the business applications that sign in through the portal.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Manage the signing keys of the tokens issued to business applications.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Print the audit trail, newest first.
    Audit {
        /// Only this login ID.
        #[arg(long = "user")]
        login_id: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

/// A failure the operator can fix; printed without a backtrace, exit 1.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UserError(pub String);

fn refuse(message: impl Into<String>) -> anyhow::Error {
    UserError(message.into()).into()
}

/// Who ran the command, for the audit trail.
fn cli_operator() -> Actor {
    let name = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "unknown".into());
    operator::operator(&name)
}

pub async fn run(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    let command = cli.command.unwrap_or(Command::Serve { demo: false });
    operate(command, &settings).await.map_err(|err| {
        // Each command writes in one transaction, so a busy or absent
        // database means nothing was changed: say so, and that a retry is
        // safe.
        let db_err = err.downcast_ref::<sqlx::Error>().or(match err.downcast_ref::<Failed>() {
            Some(Failed::Db(db_err)) => Some(db_err),
            _ => None,
        });
        match db_err {
            Some(db_err) if is_unavailable(db_err) => refuse(format!(
                "The database is busy or unavailable ({db_err}). Nothing was changed; try again in a moment."
            )),
            _ => err,
        }
    })
}

async fn operate(command: Command, settings: &Settings) -> anyhow::Result<()> {
    let clock = Clock::system();
    match command {
        Command::Serve { demo } => serve(settings, demo).await,
        Command::Migrate => {
            Db::connect(&settings.database_url).await?;
            println!("The database schema is up to date.");
            Ok(())
        }
        Command::User(cmd) => {
            let db = Db::connect(&settings.database_url).await?;
            user::run(&db, &clock, cmd).await
        }
        Command::Audit { login_id, limit } => {
            let db = Db::connect(&settings.database_url).await?;
            audit::print(&db, login_id.as_deref(), limit).await
        }
        Command::Client(cmd) => {
            let secrets = settings.secrets()?;
            let db = Db::connect(&settings.database_url).await?;
            client::run(&db, &secrets, &clock, cmd).await
        }
        Command::Keys(cmd) => {
            // The key first: a refused command must not touch the database.
            let secrets = settings.secrets()?;
            let db = Db::connect(&settings.database_url).await?;
            keys::run(&db, &secrets, &clock, cmd).await
        }
        Command::Notice(cmd) => {
            let db = Db::connect(&settings.database_url).await?;
            notice::run(&db, &clock, cmd).await
        }
    }
}

async fn serve(settings: &Settings, demo: bool) -> anyhow::Result<()> {
    let options = config::leptos_options()?;
    // The key first: a refused start must not have touched the database.
    let secrets = settings.secrets()?;
    let db = startup::open_database(settings).await?;
    if demo {
        seed_demo(&db, &Clock::system()).await?;
    }
    let addr = options.site_addr;
    let app = Application::build(
        options,
        db,
        secrets,
        settings.trusted_proxies.clone(),
        addr,
        settings.limits,
        settings.issuer.clone(),
    )
    .await?;
    tracing::info!("serving on http://{}", app.local_addr());
    println!("autoBank portal: http://{}", app.local_addr());
    app.run(startup::shutdown_signal()).await
}

/// A demo account with a generated password, and two notices, on a new database.
async fn seed_demo(db: &Db, clock: &Clock) -> anyhow::Result<()> {
    if operator::has_accounts(db).await? {
        println!(
            "Demo: the database already has accounts. Forgot the demo password? \
             Set one with: autobank user set-password demo"
        );
        return Ok(());
    }
    let password = generate_password();
    let parsed = Password::parse(&password).map_err(|e| refuse(e.message()))?;
    let id = LoginId::parse_new("demo").map_err(|e| refuse(e.message()))?;
    let now = clock.now();
    let me = cli_operator();
    match operator::add(db, &id, "デモ販売店", Role::Dealer, parsed, me, now).await? {
        Added::Done => {}
        Added::Exists => return Err(refuse("The demo account exists already.")),
        Added::Weak(problem) => return Err(refuse(problem.message())),
    }
    let today = clock.today_in_japan();
    operator::add_notice(
        db,
        &format_date(today),
        "多要素認証(ワンタイムパスワード)をご利用いただけます",
        "業務メニューの「多要素認証設定」から設定できます。",
        now,
    )
    .await?;
    operator::add_notice(
        db,
        &format_date(today - time::Duration::days(30)),
        "年末年始休業のお知らせ",
        "",
        now,
    )
    .await?;
    println!("Demo account created. Login ID: demo  Password: {password}");
    Ok(())
}

/// Four groups of four random letters and digits: easy to type, ~80 bits.
fn generate_password() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::rngs::OsRng;
    (0..4)
        .map(|_| {
            (0..4)
                .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Reads a new password: without echo on a terminal (asked twice), else one line.
fn read_password() -> anyhow::Result<Password> {
    let raw = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("New password: ")?;
        let second = rpassword::prompt_password("Repeat it: ")?;
        if first != second {
            return Err(refuse("The two passwords differ."));
        }
        first
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    Password::parse(&raw).map_err(|e| refuse(e.message()))
}
