//! What only admins do: create accounts (with a temporary password),
//! change a role, and set a role's MFA policy. Each needs the admin's own
//! code from the last 10 minutes, like every staff action, and is
//! recorded with who, whom, what and why.

use super::clients::{Changer, ClientSpec, Invalid};
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
use crate::types::{ClientSecret, ClientsPage};

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
    // This instance's portal shows the change at once; the others within
    // `notices::FRESH_FOR`.
    state.portal.changed();
    match done {
        Applied::Done => Ok(()),
        Applied::Moved => Err(AppError::Changed),
        Applied::Gone => Err(AppError::NotFound),
    }
}

/// The admins' page of business applications: every registered client,
/// and the ID and secret this session made last, shown once.
pub async fn clients_page(state: &AppState, session: &Session) -> Result<ClientsPage, AppError> {
    let clients = super::clients::list(&state.db).await?;
    let revealed = shown_once::take(state, session, Kind::ClientSecret, session.user_id)
        .await?
        .and_then(|kept| {
            let (client_id, secret) = kept.split_once('\n')?;
            Some(ClientSecret {
                client_id: client_id.to_owned(),
                secret: (!secret.is_empty()).then(|| secret.to_owned()),
            })
        });
    Ok(ClientsPage { clients, revealed })
}

/// What a client form sent. No `Debug`: it holds a code.
pub struct ClientForm<'a> {
    /// `add`, `new-secret` or `remove`.
    pub op: &'a str,
    /// The client acted on (`new-secret`, `remove`).
    pub client_id: &'a str,
    pub name: &'a str,
    /// One URI a line.
    pub redirect_uris: &'a str,
    pub post_logout_uris: &'a str,
    pub backchannel_uri: &'a str,
    pub public: bool,
    pub mfa_required: bool,
    /// `--tile`'s name, or empty.
    pub tile: &'a str,
    pub start_url: &'a str,
    /// `remove` only: the box that confirms it.
    pub confirm: bool,
    pub code: &'a str,
}

fn lines(raw: &str) -> Vec<String> {
    raw.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn optional(raw: &str) -> Option<String> {
    let raw = raw.trim();
    (!raw.is_empty()).then(|| raw.to_owned())
}

/// The field a refused registration points at.
fn refusal(spec: &ClientSpec, invalid: Invalid) -> AppError {
    let (field, problem) = match invalid {
        Invalid::Name => (Field::Name, Problem::ClientNameRequired),
        Invalid::NoRedirectUri => (Field::RedirectUris, Problem::RedirectUriRequired),
        Invalid::Uri(uri, _) => {
            let field = if spec.redirect_uris.contains(&uri) {
                Field::RedirectUris
            } else if spec.post_logout_uris.contains(&uri) {
                Field::PostLogoutUris
            } else if spec.backchannel_logout_uri.as_ref() == Some(&uri) {
                Field::BackchannelUri
            } else {
                Field::StartUrl
            };
            (field, Problem::UriNotAllowed)
        }
        Invalid::Tile => return AppError::BadRequest,
        Invalid::TileTaken => (Field::Tile, Problem::TileTaken),
        Invalid::TileWithoutStart => (Field::StartUrl, Problem::TileNeedsStartUrl),
    };
    AppError::validation(field, problem)
}

/// Registers a client, makes a new secret for one, or removes one, with
/// the admin's step-up code; the ID and secret made are kept for the page
/// to show once.
pub async fn change_client(
    state: &AppState,
    session: &Session,
    form: ClientForm<'_>,
    client: &Client,
) -> Result<(), AppError> {
    let now = state.clock.now();
    let staff = Staff { session, client };
    let by = || Changer {
        actor: staff.entry_on(None, Event::ClientRegistered).actor,
        seen: staff.seen(),
    };
    let (db, secrets) = (&state.db, &state.secrets);
    let made = match form.op {
        "add" => {
            let spec = ClientSpec {
                name: form.name.trim().to_owned(),
                public: form.public,
                redirect_uris: lines(form.redirect_uris),
                post_logout_uris: lines(form.post_logout_uris),
                backchannel_logout_uri: optional(form.backchannel_uri),
                mfa_required: form.mfa_required,
                tile: optional(form.tile),
                start_url: optional(form.start_url),
            };
            // The rules first, so that a mistake costs no code.
            if let Err(invalid) = super::clients::check(&spec) {
                return Err(refusal(&spec, invalid));
            }
            console::step_up(state, session, form.code, client).await?;
            let registered = super::clients::register(db, secrets, &spec, by(), now).await?;
            // The portal's `検索ログイン` may go to it now.
            state.portal.changed();
            match registered {
                Ok(made) => (made.client_id, made.secret),
                Err(invalid) => return Err(refusal(&spec, invalid)),
            }
        }
        "new-secret" => {
            console::step_up(state, session, form.code, client).await?;
            let secret = super::clients::new_secret(db, secrets, form.client_id, by(), now)
                .await?
                .ok_or(AppError::NotFound)?;
            (form.client_id.to_owned(), Some(secret))
        }
        "remove" => {
            if !form.confirm {
                return Err(AppError::validation(
                    Field::Confirm,
                    Problem::ConfirmRemoval,
                ));
            }
            console::step_up(state, session, form.code, client).await?;
            let removed = super::clients::remove(db, form.client_id, by(), now).await?;
            state.portal.changed();
            if !removed {
                return Err(AppError::NotFound);
            }
            return Ok(());
        }
        _ => return Err(AppError::BadRequest),
    };
    let (client_id, secret) = made;
    let kept = format!("{client_id}\n{}", secret.unwrap_or_default());
    shown_once::put(state, session, Kind::ClientSecret, session.user_id, &kept).await
}
