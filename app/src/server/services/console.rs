//! The staff console: search, one account's page, and the actions staff
//! take for a caller (unlock, MFA reset, a temporary password, ending
//! sessions, disable and enable). Every action is authorised here (never
//! on oneself; the helpdesk sees and acts on dealers only; nobody hands
//! over a staff account from the web: its temporary password and MFA
//! reset are the command line's), needs the staff member's own code from
//! the last 10 minutes (step-up), and is recorded with who, whom, what,
//! why and from where, in the transaction of the change. That transaction
//! lands only if what the check saw still holds (`db::change::Seen`).

use super::audit::Who;
use super::mfa::{self, CodeCheck};
use super::shown_once::{self, Kind};
use super::Client;
use crate::domain::{LoginId, OtpCode, Reason, Role, SearchTerm};
use crate::error::{AppError, Field, Problem};
use crate::server::clock::format_jst;
use crate::server::db::audit::{self, Actor, Entry, Event};
use crate::server::db::change::Seen;
use crate::server::db::{directory, endings, locks};
use crate::server::db::{sessions, users};
use crate::server::session::Session;
use crate::server::AppState;
use crate::types::{
    AccountHit, AccountState, AccountView, NoActions, Revealed, SearchResults, StaffAction,
    TempPassword,
};

/// A code confirmed this recently covers a staff action.
pub const STEP_UP_SECS: i64 = 10 * 60;
/// A temporary password signs in within this long, once.
pub const TEMP_PASSWORD_SECS: i64 = 24 * 60 * 60;
/// Accounts per page of the search.
pub const PAGE_SIZE: i64 = 20;
/// Audit records on an account's page.
const RECENT_EVENTS: i64 = 20;

/// A member of staff, acting from a client: the actor of their actions.
#[derive(Debug, Clone, Copy)]
pub(super) struct Staff<'a> {
    pub session: &'a Session,
    pub client: &'a Client,
}

impl Staff<'_> {
    /// What an action by this member of staff relies on: still signed in
    /// on this session, still in this role.
    pub fn seen(&self) -> Seen {
        let session = self.session;
        Seen::nothing().actor(session.user_id, session.role.as_str(), &session.id_hash)
    }

    /// The record of an action on `target`: whom (the account), who (this
    /// member of staff, by role and login ID), why and from where.
    fn entry(&self, target: &directory::Detail, event: Event, reason: &Reason) -> Entry {
        self.entry_on(Some((target.id, &target.login_id)), event)
            .with_reason(reason.as_str())
    }

    /// The record of an action on `target` (ID and login ID), if it
    /// concerns an account.
    pub fn entry_on(&self, target: Option<(i64, &str)>, event: Event) -> Entry {
        let actor = Actor {
            user_id: target.map(|(id, _)| id),
            login_id: target.map(|(_, login_id)| login_id.to_owned()),
            actor: format!("{}:{}", self.session.role.as_str(), self.session.login_id),
            address: self.client.address.clone(),
        };
        Entry::new(actor, event)
    }
}

fn state_of(locked_until: Option<i64>, disabled_at: Option<i64>, now: i64) -> AccountState {
    match (disabled_at, locked_until) {
        (Some(since), _) => AccountState::Disabled(format_jst(since)),
        (None, Some(until)) if until > now => AccountState::Locked(format_jst(until)),
        _ => AccountState::Active,
    }
}

fn role_of(raw: &str) -> Role {
    Role::parse(raw).unwrap_or(Role::Dealer)
}

/// Accounts whose login ID or name starts with `term`, page `page` (from
/// 1), as `viewer` may see them: the helpdesk sees dealers only.
pub async fn search(
    state: &AppState,
    viewer: &Session,
    term: &str,
    page: u32,
) -> Result<SearchResults, AppError> {
    let page = page.clamp(1, 10_000);
    let Some(term) = SearchTerm::parse(term) else {
        return Ok(SearchResults {
            hits: Vec::new(),
            page,
            more: false,
        });
    };
    let offset = i64::from(page - 1) * PAGE_SIZE;
    // One more than a page tells whether there is a next one.
    let only = (viewer.role != Role::Admin).then_some(Role::Dealer.as_str());
    let (db, term) = (&state.db, term.as_str());
    let mut rows = directory::search(db, term, only, PAGE_SIZE + 1, offset).await?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let now = state.clock.now();
    Ok(SearchResults {
        hits: rows
            .into_iter()
            .map(|r| AccountHit {
                state: state_of(r.locked_until, r.disabled_at, now),
                role: role_of(&r.role),
                login_id: r.login_id,
                name: r.display_name,
            })
            .collect(),
        page,
        more,
    })
}

pub(super) async fn find(state: &AppState, login_id: &str) -> Result<directory::Detail, AppError> {
    let id = LoginId::parse(login_id).map_err(|_| AppError::NoSuchAccount)?;
    directory::detail(&state.db, id.as_str(), state.clock.now())
        .await?
        .ok_or(AppError::NoSuchAccount)
}

/// Finds `login_id` for `staff`: the helpdesk helps dealers, and does not
/// see staff accounts at all (their addresses and records are not its
/// business); admins see everyone.
pub(super) async fn find_for(
    state: &AppState,
    staff: &Session,
    login_id: &str,
) -> Result<directory::Detail, AppError> {
    let target = find(state, login_id).await?;
    if staff.role != Role::Admin && role_of(&target.role).is_staff() {
        tracing::warn!(
            target = target.id,
            "a staff account refused to the helpdesk"
        );
        return Err(AppError::NotOnThisAccount);
    }
    Ok(target)
}

/// Why `staff` may take no action on `target`, if they may not.
pub(super) fn refusal(staff: &Session, target: &directory::Detail) -> Option<NoActions> {
    (target.id == staff.user_id).then_some(NoActions::OwnAccount)
}

/// True for the actions that hand the account to whoever takes them: a
/// temporary password (they know it) and an MFA reset (they set it up
/// next). On a staff account, one stolen admin session would otherwise
/// become every admin; those are recovered on the server's command line.
fn hands_over(action: StaffAction) -> bool {
    matches!(action, StaffAction::TempPassword | StaffAction::ResetMfa)
}

/// Whether `action` may be taken on `target` by anyone from the web.
fn allowed_on(target: &directory::Detail, action: StaffAction) -> bool {
    !(hands_over(action) && role_of(&target.role).is_staff())
}

/// The actions that make sense for the account as it is.
fn actions_for(target: &directory::Detail, now: i64) -> Vec<StaffAction> {
    let locked = target.locked_until.is_some_and(|until| until > now);
    let disabled = target.disabled_at.is_some();
    StaffAction::ALL
        .into_iter()
        .filter(|action| allowed_on(target, *action))
        .filter(|action| match action {
            StaffAction::Unlock => locked,
            StaffAction::ResetMfa => target.mfa_enabled_at.is_some(),
            StaffAction::Disable => !disabled,
            StaffAction::Enable => disabled,
            StaffAction::TempPassword | StaffAction::EndSessions => true,
        })
        .collect()
}

/// One account's page: its state, the caller check, recent events, the
/// actions `session` may take, and a temporary password this session has
/// just issued for it (taken: shown once).
pub async fn account(
    state: &AppState,
    session: &Session,
    login_id: &str,
) -> Result<AccountView, AppError> {
    let target = find_for(state, session, login_id).await?;
    let now = state.clock.now();
    // Taken (gone either way), but shown only while the account still has
    // that temporary password pending: not once it has been used, replaced
    // or the account has changed hands.
    let pending = target.password_expires_at.is_some_and(|until| until > now);
    let revealed = shown_once::take(state, session, Kind::TempPassword, target.id)
        .await?
        .filter(|_| pending)
        .map(Revealed);
    let last = audit::last_sign_in(&state.db, target.id).await?;
    let events = audit::for_user(&state.db, target.id, RECENT_EVENTS).await?;
    let no_actions = refusal(session, &target);
    let temp_password = target.password_expires_at.map(|until| {
        if until > now {
            TempPassword::ValidUntil(format_jst(until))
        } else if until == 0 {
            // Used: the sign-in set its end to 0.
            TempPassword::Used
        } else {
            TempPassword::Expired
        }
    });
    Ok(AccountView {
        state: state_of(target.locked_until, target.disabled_at, now),
        role: role_of(&target.role),
        mfa_since: target.mfa_enabled_at.map(format_jst),
        devices: target.devices,
        browsers: target.browsers,
        last_sign_in: last.map(|(at, address)| (format_jst(at), address.unwrap_or_default())),
        temp_password,
        events: {
            let actors = super::trail::Actors::load(state).await?;
            events
                .into_iter()
                .map(|row| super::trail::line(row, &actors))
                .collect()
        },
        actions: if no_actions.is_some() {
            Vec::new()
        } else {
            actions_for(&target, now)
        },
        no_actions,
        code_fresh: session.code_since(now - STEP_UP_SECS),
        can_set_role: session.role == Role::Admin && no_actions.is_none(),
        recovery_on_server: role_of(&target.role).is_staff(),
        revealed,
        login_id: target.login_id,
        name: target.display_name,
    })
}

/// One action on an account, parsed at the edge (the server function).
/// No `Debug`: it holds a code.
pub struct Action<'a> {
    pub login_id: &'a str,
    pub action: StaffAction,
    pub reason: Reason,
    /// The staff member's own code, when the last one is too old.
    pub code: &'a str,
    /// The confirming box, for the actions that need it.
    pub confirmed: bool,
}

/// What became of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acted {
    Done(StaffAction),
    /// Not on this account: the staff member's own, or a staff account's
    /// recovery (a temporary password, an MFA reset) from the web.
    NotOnThisAccount,
    /// What the check saw no longer held when the change was written
    /// (the account or the staff member changed meanwhile): nothing done.
    Changed,
}

/// Takes one action on an account for a caller. In order: the account,
/// whether this member of staff may act on it, their own code (step-up),
/// then the change with its record.
#[tracing::instrument(skip_all, fields(user_id = session.user_id))]
pub async fn act(
    state: &AppState,
    session: &Session,
    form: Action<'_>,
    client: &Client,
) -> Result<Acted, AppError> {
    let Action { action, reason, .. } = form;
    // Before anything is read or a code spent: a slip of the mouse is
    // answered under the box, and the code still serves the real try.
    if action.needs_confirmation() && !form.confirmed {
        return Err(AppError::validation(Field::Confirm, Problem::ConfirmAction));
    }
    let target = find_for(state, session, form.login_id).await?;
    if let Some(refused) = refusal(session, &target) {
        tracing::warn!(?refused, target = target.id, "staff action refused");
        return Ok(Acted::NotOnThisAccount);
    }
    if !allowed_on(&target, action) {
        tracing::warn!(
            target = target.id,
            ?action,
            "staff account recovery refused"
        );
        return Ok(Acted::NotOnThisAccount);
    }
    step_up(state, session, form.code, client).await?;

    let staff = Staff { session, client };
    // Everything the checks above relied on, re-checked by the write.
    let seen = staff.seen().target(target.id, &target.role);
    let now = state.clock.now();
    let db = &state.db;
    let done = match action {
        StaffAction::Unlock | StaffAction::Enable => {
            let event = if action == StaffAction::Unlock {
                Event::Unlocked
            } else {
                Event::Enabled
            };
            let entry = staff.entry(&target, event, &reason);
            locks::unlock(db, &seen, target.id, now, &entry).await?
        }
        StaffAction::ResetMfa => {
            let entry = staff.entry(&target, Event::MfaReset, &reason);
            mfa::reset(db, &seen, target.id, &entry, now).await?
        }
        StaffAction::EndSessions => {
            let entry = staff.entry(&target, Event::AllSessionsEnded, &reason);
            let ended = endings::end_all_sessions(db, &seen, target.id, now, &entry).await?;
            ended.is_some()
        }
        StaffAction::Disable => {
            let entry = staff.entry(&target, Event::Disabled, &reason);
            locks::disable_now(db, &seen, target.id, now, &entry).await?
        }
        StaffAction::TempPassword => {
            let password = temporary_password();
            let hash = state
                .passwords
                .hash(crate::domain::Password::parse(&password)?)
                .await?;
            let until = now + TEMP_PASSWORD_SECS;
            let entry = staff
                .entry(&target, Event::TempPasswordIssued, &reason)
                .with_detail(format_jst(until));
            let (id, hash) = (target.id, &hash);
            let set = users::set_temporary_password(db, &seen, id, hash, until, now, &entry);
            let done = set.await?;
            if done {
                shown_once::put(state, session, Kind::TempPassword, target.id, &password).await?;
            }
            done
        }
    };
    Ok(if done {
        Acted::Done(action)
    } else {
        Acted::Changed
    })
}

/// Lets a staff action go ahead: at once when this session confirmed a
/// code within [`STEP_UP_SECS`], otherwise with a right `code` now (counted
/// and locked like any other code, against the staff member's account).
pub(super) async fn step_up(
    state: &AppState,
    session: &Session,
    code: &str,
    client: &Client,
) -> Result<(), AppError> {
    let now = state.clock.now();
    if session.code_since(now - STEP_UP_SECS) {
        return Ok(());
    }
    if code.trim().is_empty() {
        return Err(AppError::StepUpRequired);
    }
    let code = OtpCode::parse(code)?;
    let who = Who::of(session, client);
    match mfa::check_active_code(state, who, &code).await? {
        CodeCheck::Accepted => {}
        CodeCheck::Wrong => return Err(AppError::InvalidCode),
        CodeCheck::Blocked(block) => return Err(block.into()),
    }
    if !sessions::stepped_up(&state.db, &session.id_hash, &who.entry(Event::StepUp), now).await? {
        return Err(AppError::NotSignedIn);
    }
    Ok(())
}

/// A temporary password: four groups of four (about 79 random bits),
/// to be read out on the phone without mistakes.
fn temporary_password() -> String {
    crate::server::crypto::readable_random(4, 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_passwords_are_readable_random_and_pass_the_policy() {
        let a = temporary_password();
        let b = temporary_password();
        assert_ne!(a, b);
        assert_eq!(a.len(), 19);
        assert!(a.split('-').all(|g| g.len() == 4
            && g.bytes()
                .all(|c| crate::domain::READABLE_ALPHABET.contains(&c))));
        for _ in 0..200 {
            let p = temporary_password();
            assert!(
                crate::server::password::check_policy(&p, &["dealer01", "テスト販売店"]).is_ok(),
                "{p}"
            );
        }
    }
}
