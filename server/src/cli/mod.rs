//! The operator's command line: serve, migrate, accounts, notices and the
//! audit trail. Every command works on the same database as the server,
//! also while it runs. One file per command group.

mod audit;
mod backup;
mod client;
mod keys;
mod notice;
mod user;

use crate::config::{self, Settings};
use crate::startup::{self, Application};
use app::domain::{LoginId, Password, Role};
use app::server::clock::{format_date, Clock};
use app::server::crypto::SecretBox;
use app::server::db::{audit::Actor, is_unavailable, Db};
use app::server::services::keys as keys_service;
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
    /// Copy the SQLite database to FILE while it serves (never overwrites;
    /// the copy holds no key). PostgreSQL: pg_dump, see docs/DEPLOY.md.
    Backup { file: std::path::PathBuf },
    /// Put a copy made by `backup` back in place of the SQLite database.
    /// Refused while a server uses it; the replaced database is kept.
    Restore { file: std::path::PathBuf },
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
    operator::operator(&os_user())
}

/// The operating-system user behind the command: the one who ran `sudo`,
/// else the login's, else the account the process runs as (under systemd
/// or in a container, where `USER` may be unset), else its uid.
fn os_user() -> String {
    let named = |var| {
        std::env::var(var)
            .ok()
            .filter(|v: &String| !v.trim().is_empty())
    };
    if let Some(name) = named("SUDO_USER")
        .or_else(|| named("USER"))
        .or_else(|| named("LOGNAME"))
    {
        return name;
    }
    // SAFETY: getpwuid_r writes only into `entry` and `buf`, both ours and
    // of the sizes given; the name it points to lives in `buf`.
    unsafe {
        let uid = libc::geteuid();
        let mut entry: libc::passwd = std::mem::zeroed();
        let mut buf = vec![0 as libc::c_char; 4096];
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(uid, &mut entry, buf.as_mut_ptr(), buf.len(), &mut found);
        if rc == 0 && !found.is_null() && !entry.pw_name.is_null() {
            if let Ok(name) = std::ffi::CStr::from_ptr(entry.pw_name).to_str() {
                return name.to_owned();
            }
        }
        format!("uid {uid}")
    }
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
    // Every command that opens a SQLite database holds it in use, as a
    // server does, for as long as it runs: a restore never swaps the file
    // under one (serve takes its own, restore the exclusive one).
    let _in_use = match command {
        Command::Serve { .. } | Command::Restore { .. } => None,
        _ => backup::ServingLock::take(&settings.database_url).await?,
    };
    match command {
        Command::Serve { demo } => serve(settings, demo).await,
        Command::Backup { file } => backup::backup(settings, &file).await,
        Command::Restore { file } => backup::restore(settings, &file).await,
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
            let secrets = keyring(&db, &secrets).await?;
            client::run(&db, &secrets, &clock, cmd).await
        }
        Command::Keys(cmd) => {
            // The key first: a refused command must not touch the database.
            let secrets = settings.secrets()?;
            let db = Db::connect(&settings.database_url).await?;
            let secrets = keyring(&db, &secrets).await?;
            keys::run(&db, &secrets, &clock, cmd).await
        }
        Command::Notice(cmd) => {
            let db = Db::connect(&settings.database_url).await?;
            notice::run(&db, &clock, cmd).await
        }
    }
}

/// `secrets` with the MAC key the database keeps; keys that do not open
/// it are refused before anything is changed.
async fn keyring(db: &Db, secrets: &SecretBox) -> anyhow::Result<SecretBox> {
    keys_service::open_keyring(db, secrets)
        .await
        .map_err(|err| match err {
            keys_service::KeyringError::Db(err) => err.into(),
            wrong => refuse(format!("{wrong}. Nothing was changed.")),
        })
}

async fn serve(settings: &Settings, demo: bool) -> anyhow::Result<()> {
    let options = config::leptos_options()?;
    // The key first: a refused start must not have touched the database.
    let secrets = settings.secrets()?;
    // Held while this server runs: `restore` refuses meanwhile.
    let _serving = backup::ServingLock::take(&settings.database_url).await?;
    let db = startup::open_database(settings).await?;
    // The MAC key the database keeps, before anything is checked against
    // it; keys that do not open it stop the start.
    let secrets = startup::open_keyring(&db, &secrets).await?;
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
    let app = match settings.metrics_addr {
        Some(addr) => app.with_metrics(addr).await?,
        None => app,
    };
    tracing::info!("serving on http://{}", app.local_addr());
    println!("autoBank portal: http://{}", app.local_addr());
    if let Some(addr) = app.metrics_addr() {
        println!("metrics: http://{addr}/metrics");
    }
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
