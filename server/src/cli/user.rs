//! `autobank user ...`: accounts, locks, passwords and the helpdesk's MFA
//! reset.

use super::{operator, read_password, refuse};
use app::domain::LoginId;
use app::server::clock::Clock;
use app::server::db::change::Seen;
use app::server::db::{self, audit, users, Db};
use app::server::db::{directory, locks};
use app::server::password::{check_policy, Passwords};
use clap::{Subcommand, ValueEnum};
use std::io::Write;

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

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Role {
    Dealer,
    Helpdesk,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dealer => "dealer",
            Self::Helpdesk => "helpdesk",
            Self::Admin => "admin",
        }
    }
}

async fn find_user(db: &Db, login_id: &str) -> anyhow::Result<users::UserRow> {
    let id = LoginId::parse(login_id).map_err(|e| refuse(e.message()))?;
    users::find_by_login_id(db, id.as_str())
        .await?
        .ok_or_else(|| refuse(format!("No account has the login ID {}.", id.as_str())))
}

fn cli_actor(user_id: i64, login_id: &str) -> audit::Actor {
    audit::Actor {
        user_id: Some(user_id),
        login_id: Some(login_id.to_owned()),
        ..operator()
    }
}

fn already_exists(id: &LoginId) -> anyhow::Error {
    refuse(format!("The login ID {} already exists.", id.as_str()))
}

pub async fn run(db: &Db, clock: &Clock, cmd: UserCommand) -> anyhow::Result<()> {
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
                return Err(already_exists(&id));
            }
            let password = read_password()?;
            check_policy(password.expose(), &[id.as_str(), name])
                .map_err(|p| refuse(p.message()))?;
            let hash = Passwords::new().hash(password).await?;
            let now = clock.now();
            let created =
                users::create(db, id.as_str(), name, role.as_str(), &hash, operator(), now).await;
            match created {
                Ok(_) => {}
                Err(err) if db::is_unique_violation(&err) => return Err(already_exists(&id)),
                Err(err) => return Err(err.into()),
            }
            println!("Added {} ({}, {}).", id.as_str(), name, role.as_str());
        }
        UserCommand::List => {
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{:<24} {:<10} {:<8} NAME",
                "LOGIN ID", "ROLE", "LOCKED"
            )?;
            let now = clock.now();
            for u in directory::list(db).await? {
                let locked = if u.disabled_at.is_some() {
                    "disabled"
                } else if u.locked_until.is_some_and(|t| t > now) {
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
        }
        UserCommand::Unlock { login_id } => {
            let user = find_user(db, &login_id).await?;
            let now = clock.now();
            let entry =
                audit::Entry::new(cli_actor(user.id, &user.login_id), audit::Event::Unlocked);
            locks::unlock(db, &Seen::nothing(), user.id, now, &entry).await?;
            println!("Unlocked {}.", user.login_id);
        }
        UserCommand::SetPassword { login_id } => {
            let user = find_user(db, &login_id).await?;
            let password = read_password()?;
            check_policy(password.expose(), &[&user.login_id, &user.display_name])
                .map_err(|p| refuse(p.message()))?;
            let hash = Passwords::new().hash(password).await?;
            let now = clock.now();
            let entry = audit::Entry::new(
                cli_actor(user.id, &user.login_id),
                audit::Event::PasswordChanged,
            );
            users::set_password(db, user.id, &hash, None, now, &entry).await?;
            println!(
                "Set a new password for {}; their sessions have ended.",
                user.login_id
            );
        }
        UserCommand::ResetMfa { login_id } => {
            let user = find_user(db, &login_id).await?;
            let who = cli_actor(user.id, &user.login_id);
            app::server::services::mfa::reset(db, user.id, &who, clock.now()).await?;
            println!(
                "Two-step sign-in is now OFF for {}: the secret and remembered devices are deleted \
                 and every session has ended. They sign in with their password alone.",
                user.login_id
            );
        }
    }
    Ok(())
}
