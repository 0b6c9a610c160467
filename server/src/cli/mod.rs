//! The operator's command line: serve, migrate, accounts and notices.
//! Every command works on the same database as the server, also while it
//! runs.

use crate::config::{self, Settings};
use crate::startup::{self, Application};
use app::domain::LoginId;
use app::server::db::{audit, notices, users, Db};
use app::server::now;
use app::server::password::{check_policy, Passwords};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{BufRead, IsTerminal, Write};

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
    /// Print the audit trail, newest first.
    Audit {
        /// Only this login ID.
        #[arg(long = "user")]
        login_id: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add an account. The password is read from standard input (one line),
    /// or asked for without echo on a terminal.
    Add {
        login_id: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value_t = Role::Dealer)]
        role: Role,
    },
    /// List accounts.
    List,
    /// Lift a lock after repeated failures.
    Unlock { login_id: String },
    /// Set a new password (read like `user add`); ends the user's sessions
    /// and forgets their remembered devices.
    SetPassword { login_id: String },
    /// The helpdesk's answer to a lost phone: MFA off, secret and
    /// remembered devices deleted, every session of the user ended.
    ResetMfa { login_id: String },
}

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

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Role {
    Dealer,
    Helpdesk,
    Admin,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Self::Dealer => "dealer",
            Self::Helpdesk => "helpdesk",
            Self::Admin => "admin",
        }
    }
}

/// A failure the operator can fix; printed without a backtrace, exit 1.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UserError(pub String);

fn refuse(message: impl Into<String>) -> anyhow::Error {
    UserError(message.into()).into()
}

/// Who ran the command, for the audit trail.
fn operator() -> audit::Actor {
    let name = std::env::var("SUDO_USER")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "unknown".into());
    audit::Actor {
        actor: format!("cli:{name}"),
        ..Default::default()
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Serve { demo } => serve(&settings, demo).await,
        Command::Migrate => {
            Db::connect(&settings.database_url).await?;
            println!("The database schema is up to date.");
            Ok(())
        }
        Command::User(cmd) => {
            let db = Db::connect(&settings.database_url).await?;
            user(&db, cmd).await
        }
        Command::Audit { login_id, limit } => {
            let db = Db::connect(&settings.database_url).await?;
            print_audit(&db, login_id.as_deref(), limit).await
        }
        Command::Notice(NoticeCommand::Add { date, title, body }) => {
            let db = Db::connect(&settings.database_url).await?;
            if app::server::services::notices::parse_date(&date).is_none() {
                return Err(refuse(format!("--date must be YYYY-MM-DD, not {date:?}")));
            }
            if title.trim().is_empty() {
                return Err(refuse("--title must not be empty"));
            }
            notices::insert(&db, &date, title.trim(), body.trim(), now()).await?;
            println!("Posted the notice of {date}.");
            Ok(())
        }
    }
}

async fn serve(settings: &Settings, demo: bool) -> anyhow::Result<()> {
    let options = config::leptos_options()?;
    let db = startup::open_database(settings).await?;
    if demo {
        seed_demo(&db).await?;
    }
    let addr = options.site_addr;
    let app = Application::build(
        options,
        db,
        settings.secrets()?,
        settings.trusted_proxies.clone(),
        addr,
    )
    .await?;
    tracing::info!("serving on http://{}", app.local_addr());
    println!("autoBank portal: http://{}", app.local_addr());
    app.run(startup::shutdown_signal()).await
}

/// A demo account with a generated password, and two notices, on a new database.
async fn seed_demo(db: &Db) -> anyhow::Result<()> {
    if users::count(db).await? > 0 {
        println!(
            "Demo: the database already has accounts. Forgot the demo password? \
             Set one with: autobank user set-password demo"
        );
        return Ok(());
    }
    let password = generate_password();
    let hash = Passwords::new().hash(password.clone()).await?;
    users::insert(
        db,
        "demo",
        "デモ販売店",
        Role::Dealer.as_str(),
        &hash,
        now(),
    )
    .await?;
    let today = app::server::services::notices::today_in_japan();
    let earlier = today - time::Duration::days(30);
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    notices::insert(
        db,
        &today.format(fmt)?,
        "多要素認証(ワンタイムパスワード)をご利用いただけます",
        "業務メニューの「多要素認証設定」から設定できます。",
        now(),
    )
    .await?;
    notices::insert(
        db,
        &earlier.format(fmt)?,
        "年末年始休業のお知らせ",
        "",
        now(),
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

async fn find_user(db: &Db, login_id: &str) -> anyhow::Result<users::UserRow> {
    let id = LoginId::parse(login_id).map_err(|e| refuse(e.message()))?;
    users::find_by_login_id(db, id.as_str())
        .await?
        .ok_or_else(|| refuse(format!("No account has the login ID {}.", id.as_str())))
}

fn cli_actor(user: &users::UserRow) -> audit::Actor {
    audit::Actor {
        user_id: Some(user.id),
        login_id: Some(user.login_id.clone()),
        ..operator()
    }
}

async fn print_audit(db: &Db, login_id: Option<&str>, limit: i64) -> anyhow::Result<()> {
    if !(1..=10_000).contains(&limit) {
        return Err(refuse("--limit must be 1 to 10000."));
    }
    let login_id = login_id.map(|l| l.trim().to_lowercase());
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<21} {:<18} {:<24} {:<20} ADDRESS",
        "TIME (UTC)", "EVENT", "LOGIN ID", "BY"
    )?;
    for e in audit::list(db, login_id.as_deref(), limit).await? {
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

/// Reads a new password: without echo on a terminal (asked twice), else one line.
fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("New password: ")?;
        let second = rpassword::prompt_password("Repeat it: ")?;
        if first != second {
            return Err(refuse("The two passwords differ."));
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

async fn user(db: &Db, cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Add {
            login_id,
            name,
            role,
        } => {
            let id = LoginId::parse_new(&login_id).map_err(|e| refuse(e.message()))?;
            let name = name.trim();
            if name.is_empty() || name.chars().count() > 100 {
                return Err(refuse("--name must be 1 to 100 characters."));
            }
            if users::find_by_login_id(db, id.as_str()).await?.is_some() {
                return Err(refuse(format!(
                    "The login ID {} already exists.",
                    id.as_str()
                )));
            }
            let password = read_password()?;
            check_policy(&password, &[id.as_str(), name]).map_err(refuse)?;
            let hash = Passwords::new().hash(password).await?;
            let user_id =
                match users::insert(db, id.as_str(), name, role.as_str(), &hash, now()).await {
                    Ok(user_id) => user_id,
                    Err(err) if app::server::db::is_unique_violation(&err) => {
                        return Err(refuse(format!(
                            "The login ID {} already exists.",
                            id.as_str()
                        )))
                    }
                    Err(err) => return Err(err.into()),
                };
            let who = audit::Actor {
                user_id: Some(user_id),
                login_id: Some(id.as_str().to_owned()),
                ..operator()
            };
            audit::record(db, &who, audit::Event::UserCreated, now()).await?;
            println!("Added {} ({}, {}).", id.as_str(), name, role.as_str());
            Ok(())
        }
        UserCommand::List => {
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{:<24} {:<10} {:<8} NAME",
                "LOGIN ID", "ROLE", "LOCKED"
            )?;
            let now = now();
            for u in users::list(db).await? {
                let locked = if u.locked_until.is_some_and(|t| t > now) {
                    "yes"
                } else {
                    "no"
                };
                writeln!(
                    out,
                    "{:<24} {:<10} {:<8} {}",
                    u.login_id, u.role, locked, u.display_name
                )?;
            }
            Ok(())
        }
        UserCommand::Unlock { login_id } => {
            let user = find_user(db, &login_id).await?;
            users::unlock(db, &user.login_id, now()).await?;
            audit::record(db, &cli_actor(&user), audit::Event::Unlocked, now()).await?;
            println!("Unlocked {}.", user.login_id);
            Ok(())
        }
        UserCommand::SetPassword { login_id } => {
            let user = find_user(db, &login_id).await?;
            let password = read_password()?;
            check_policy(&password, &[&user.login_id, &user.display_name]).map_err(refuse)?;
            let hash = Passwords::new().hash(password).await?;
            users::set_password(db, user.id, &hash, now()).await?;
            audit::record(db, &cli_actor(&user), audit::Event::PasswordChanged, now()).await?;
            println!(
                "Set a new password for {}; their sessions have ended.",
                user.login_id
            );
            Ok(())
        }
        UserCommand::ResetMfa { login_id } => {
            let user = find_user(db, &login_id).await?;
            app::server::services::mfa::reset(db, user.id, &cli_actor(&user)).await?;
            println!(
                "Two-step sign-in is now OFF for {}: the secret and remembered devices are deleted \
                 and every session has ended. They sign in with their password alone.",
                user.login_id
            );
            Ok(())
        }
    }
}
