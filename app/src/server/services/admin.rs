//! What only admins do: create accounts (with a temporary password),
//! change a role, and set a role's MFA policy. Each needs the admin's own
//! code from the last 10 minutes, like every staff action, and is
//! recorded with who, whom, what and why.

use super::console::{self, Staff, TEMP_PASSWORD_SECS};
use super::shown_once::{self, Kind};
use super::Client;
use crate::domain::{LoginId, Password, Reason, Role};
use crate::error::{AppError, Field, Problem};
use crate::server::clock::{format_date, format_jst, parse_date};
use crate::server::db::notices::Applied;
use crate::server::db::policy;
use crate::server::db::{self, audit::Event, users};
use crate::server::session::Session;
use crate::server::AppState;

/// What the new-account form sent.
/// No `Debug`: it holds a password or a code.
pub struct NewAccount<'a> {
    pub login_id: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub reason: &'a str,
    pub code: &'a str,
}

fn role(raw: &str) -> Result<Role, AppError> {
    Role::parse(raw).ok_or(AppError::BadRequest)
}

/// Creates an account with a temporary password (shown once on its page
/// to this admin). Returns its login ID.
pub async fn create_account(
    state: &AppState,
    session: &Session,
    form: NewAccount<'_>,
    client: &Client,
) -> Result<String, AppError> {
    let id = LoginId::parse_new(form.login_id)?;
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::validation(Field::Name, Problem::NameRequired));
    }
    let role = role(form.role)?;
    let reason = Reason::parse(form.reason)?;
    if users::find_by_login_id(&state.db, id.as_str())
        .await?
        .is_some()
    {
        return Err(AppError::validation(Field::LoginId, Problem::LoginIdTaken));
    }
    console::step_up(state, session, form.code, client).await?;

    let password = crate::server::crypto::readable_random(4, 4);
    let hash = state.passwords.hash(Password::parse(&password)?).await?;
    let now = state.clock.now();
    let until = now + TEMP_PASSWORD_SECS;
    let staff = Staff { session, client };
    let entry = staff
        .entry_on(None, Event::UserCreated)
        .with_reason(reason.as_str())
        .with_detail(format!("{} / {}", role.as_str(), format_jst(until)));
    let account = users::NewAccount {
        login_id: id.as_str(),
        display_name: name,
        role: role.as_str(),
        password_hash: &hash,
        password_expires_at: Some(until),
    };
    let created = users::create_with(&state.db, &staff.seen(), account, entry, now).await;
    let user_id = match created {
        Ok(Some(user_id)) => user_id,
        Ok(None) => return Err(AppError::Changed),
        Err(err) if db::is_unique_violation(&err) => {
            return Err(AppError::validation(Field::LoginId, Problem::LoginIdTaken))
        }
        Err(err) => return Err(err.into()),
    };
    shown_once::put(state, session, Kind::TempPassword, user_id, &password).await?;
    Ok(id.as_str().to_owned())
}

/// Changes an account's role (never one's own).
pub async fn set_role(
    state: &AppState,
    session: &Session,
    login_id: &str,
    new_role: &str,
    reason: &str,
    code: &str,
    client: &Client,
) -> Result<(), AppError> {
    let new_role = role(new_role)?;
    let reason = Reason::parse(reason)?;
    let target = console::find_for(state, session, login_id).await?;
    if console::refusal(session, &target).is_some() {
        return Err(AppError::NotOnThisAccount);
    }
    // Whoever issued a temporary password knows it: it must not sign in
    // to a staff account.
    if new_role.is_staff() && target.password_expires_at.is_some() {
        return Err(AppError::validation(
            Field::Role,
            Problem::RoleWithTempPassword,
        ));
    }
    console::step_up(state, session, code, client).await?;
    let staff = Staff { session, client };
    let entry = staff
        .entry_on(Some((target.id, &target.login_id)), Event::RoleChanged)
        .with_reason(reason.as_str())
        .with_detail(format!("{} → {}", target.role, new_role.as_str()));
    // The role the check saw, and for a promotion to staff, still no
    // temporary password: one issued meanwhile must not become staff.
    let seen = if new_role.is_staff() {
        staff
            .seen()
            .target_without_temp_password(target.id, &target.role)
    } else {
        staff.seen().target(target.id, &target.role)
    };
    let now = state.clock.now();
    let (db, role) = (&state.db, new_role.as_str());
    if !users::set_role(db, &seen, target.id, role, now, &entry).await? {
        return Err(AppError::Changed);
    }
    Ok(())
}

/// The dealers' MFA policy: the date from which MFA is required.
pub async fn dealer_policy(state: &AppState) -> Result<Option<String>, AppError> {
    Ok(policy::mfa_policy(&state.db, Role::Dealer.as_str()).await?)
}

/// Sets the dealers' MFA policy to `date` (`YYYY-MM-DD`), or lifts it when
/// empty.
pub async fn set_dealer_policy(
    state: &AppState,
    session: &Session,
    date: &str,
    code: &str,
    client: &Client,
) -> Result<(), AppError> {
    let date = match date.trim() {
        "" => None,
        raw => Some(format_date(
            parse_date(raw).ok_or(AppError::validation(Field::Date, Problem::DateFormat))?,
        )),
    };
    console::step_up(state, session, code, client).await?;
    let staff = Staff { session, client };
    let entry = staff
        .entry_on(None, Event::MfaPolicySet)
        .with_detail(format!("dealer: {}", date.as_deref().unwrap_or("-")));
    let now = state.clock.now();
    let (seen, role) = (staff.seen(), Role::Dealer.as_str());
    if !policy::set_mfa_policy(&state.db, &seen, role, date.as_deref(), now, &entry).await? {
        return Err(AppError::Changed);
    }
    Ok(())
}

/// The most notices the admin page lists.
const NOTICES_LISTED: i64 = 200;

/// Every notice (the newest 200), for the admin page.
pub async fn notices(state: &AppState) -> Result<Vec<crate::types::Notice>, AppError> {
    super::notices::newest(state, NOTICES_LISTED).await
}

/// What a notice form sent.
/// No `Debug`: it holds a password or a code.
pub struct NoticeForm<'a> {
    /// None for a new notice.
    pub id: Option<i64>,
    /// `save` or `delete`.
    pub op: &'a str,
    pub date: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub code: &'a str,
}

/// Posts, edits or deletes a notice.
pub async fn change_notice(
    state: &AppState,
    session: &Session,
    form: NoticeForm<'_>,
    client: &Client,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let staff = Staff { session, client };
    let done = match (form.op, form.id) {
        ("delete", Some(id)) => {
            console::step_up(state, session, form.code, client).await?;
            let entry = staff
                .entry_on(None, Event::NoticeChanged)
                .with_detail(format!("delete #{id}"));
            db::notices::delete(&state.db, &staff.seen(), id, &entry, now).await?
        }
        ("save", id) => {
            let date = parse_date(form.date.trim())
                .ok_or(AppError::validation(Field::Date, Problem::DateFormat))?;
            let title = form.title.trim();
            if title.is_empty() || title.chars().count() > 200 {
                return Err(AppError::validation(Field::Title, Problem::TitleRequired));
            }
            let body = form.body.trim();
            if body.chars().count() > 2000 {
                return Err(AppError::validation(Field::Body, Problem::BodyTooLong));
            }
            console::step_up(state, session, form.code, client).await?;
            let what = id.map_or("post".to_owned(), |id| format!("edit #{id}"));
            let entry = staff
                .entry_on(None, Event::NoticeChanged)
                .with_detail(format!("{what}: {title}"));
            let date = format_date(date);
            let seen = staff.seen();
            db::notices::save(&state.db, &seen, id, &date, title, body, &entry, now).await?
        }
        _ => return Err(AppError::BadRequest),
    };
    match done {
        Applied::Done => Ok(()),
        Applied::Moved => Err(AppError::Changed),
        Applied::Gone => Err(AppError::NotFound),
    }
}
