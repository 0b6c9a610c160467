//! `autobank user ...`: accounts, locks, passwords and the helpdesk's MFA
//! reset.

use super::{cli_operator, read_password, refuse};
use app::domain::{LoginId, Role};
use app::server::clock::Clock;
use app::server::db::users::UserRow;
use app::server::db::Db;
use app::server::services::operator::{self, Added};
use clap::Subcommand;
use std::io::Write;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add an account. The password is read from standard input (one line),
    /// or asked for without echo on a terminal.
    Add {
        login_id: String,
        #[arg(long)]
        name: String,
        /// dealer, helpdesk or admin.
        #[arg(long, value_parser = parse_role, default_value = "dealer")]
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

/// The role of a new account: the portal's own `Role`, by its name.
fn parse_role(raw: &str) -> Result<Role, String> {
    Role::parse(raw).ok_or_else(|| format!("{raw:?} is not a role: dealer, helpdesk or admin"))
}

async fn find_user(db: &Db, login_id: &str) -> anyhow::Result<UserRow> {
    let id = LoginId::parse(login_id).map_err(|e| refuse(e.message()))?;
    operator::find(db, &id)
        .await?
        .ok_or_else(|| refuse(format!("No account has the login ID {}.", id.as_str())))
}

pub async fn run(db: &Db, clock: &Clock, cmd: UserCommand) -> anyhow::Result<()> {
    let me = cli_operator();
    let now = clock.now();
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
            if operator::find(db, &id).await?.is_some() {
                return Err(already_exists(&id));
            }
            let password = read_password()?;
            match operator::add(db, &id, name, role, password, me, now).await? {
                Added::Done => println!("Added {} ({}, {}).", id.as_str(), name, role.as_str()),
                Added::Exists => return Err(already_exists(&id)),
                Added::Weak(problem) => return Err(refuse(problem.message())),
            }
        }
        UserCommand::List => {
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{:<24} {:<10} {:<8} NAME",
                "LOGIN ID", "ROLE", "LOCKED"
            )?;
            for u in operator::accounts(db).await? {
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
            operator::unlock(db, &user, &me, now).await?;
            println!("Unlocked {}.", user.login_id);
        }
        UserCommand::SetPassword { login_id } => {
            let user = find_user(db, &login_id).await?;
            let password = read_password()?;
            operator::set_password(db, &user, password, &me, now)
                .await?
                .map_err(|problem| refuse(problem.message()))?;
            println!(
                "Set a new password for {}; their sessions have ended.",
                user.login_id
            );
        }
        UserCommand::ResetMfa { login_id } => {
            let user = find_user(db, &login_id).await?;
            operator::reset_mfa(db, &user, &me, now).await?;
            println!(
                "Two-step sign-in is now OFF for {}: the secret and remembered devices are deleted \
                 and every session has ended. They sign in with their password alone.",
                user.login_id
            );
        }
    }
    Ok(())
}

fn already_exists(id: &LoginId) -> anyhow::Error {
    refuse(format!("The login ID {} already exists.", id.as_str()))
}
