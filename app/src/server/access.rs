//! Who may go on: one decision for every kind of route. Server functions
//! (through `request::Call`), plain axum routes (the audit CSV; an OpenID
//! Connect endpoint tomorrow) and the page guard (`guard::protect_pages`)
//! all ask [`check`] with what they [`Need`], and each turns the
//! [`Refusal`] into its own kind of answer: an error for a server
//! function or a plain route, a redirect or a page for a page.

use super::session::{Duty, Session, Stage};
use crate::domain::Role;
use crate::error::AppError;

/// What a route needs of the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Waiting for its one-time code (the code and recovery-code steps).
    CodeStep,
    /// Fully signed in, with nothing owed first.
    Full,
    /// Fully signed in, owing nothing or owing exactly this duty: the
    /// routes of the page that does it.
    FullOrDoing(Duty),
    /// As `Full`, for a helpdesk member or an admin.
    Staff,
    /// As `Full`, for an admin.
    Admin,
}

/// Why a session may not go on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No session at all.
    NoSession,
    /// A half sign-in where a full one is needed: the code is owed.
    CodeOwed,
    /// A full sign-in where the code step is needed.
    AlreadyFull,
    /// Something must be done first (a new password, MFA setup).
    Owes(Duty),
    /// Signed in, but without the role.
    Role,
}

/// Decides whether `session` may go on to a route that needs `need`.
pub fn check(session: Option<&Session>, need: Need) -> Result<&Session, Refusal> {
    let session = session.ok_or(Refusal::NoSession)?;
    match (session.stage, need) {
        (Stage::Code, Need::CodeStep) => return Ok(session),
        (Stage::Code, _) => return Err(Refusal::CodeOwed),
        (Stage::Full, Need::CodeStep) => return Err(Refusal::AlreadyFull),
        (Stage::Full, _) => {}
    }
    match (session.duty, need) {
        (Some(owed), Need::FullOrDoing(doing)) if owed == doing => return Ok(session),
        (Some(owed), _) => return Err(Refusal::Owes(owed)),
        (None, _) => {}
    }
    let allowed = match need {
        Need::Staff => session.role.is_staff(),
        Need::Admin => session.role == Role::Admin,
        Need::CodeStep | Need::Full | Need::FullOrDoing(_) => true,
    };
    if !allowed {
        tracing::warn!(user_id = session.user_id, ?need, "refused: not the role");
        return Err(Refusal::Role);
    }
    Ok(session)
}

impl From<Refusal> for AppError {
    /// What an API caller is told.
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::NoSession | Refusal::CodeOwed | Refusal::AlreadyFull => Self::NotSignedIn,
            Refusal::Owes(Duty::ChangePassword) => Self::ChangePasswordFirst,
            Refusal::Owes(Duty::SetUpMfa) => Self::SetUpMfaFirst,
            Refusal::Role => Self::Forbidden,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(stage: Stage, duty: Option<Duty>, role: Role) -> Session {
        Session {
            id_hash: String::new(),
            handle: String::new(),
            user_id: 7,
            login_id: "dealer01".into(),
            stage,
            role,
            duty,
            code_at: None,
            method: crate::server::session::Method::Password,
            signed_in_at: 0,
            mfa_on: false,
            mfa_required_from: None,
        }
    }

    /// Every stage, duty and role against every need: the whole table.
    #[test]
    fn each_need_lets_through_exactly_its_sessions() {
        use Duty::*;
        use Need::*;
        let needs = [
            CodeStep,
            Full,
            FullOrDoing(ChangePassword),
            FullOrDoing(SetUpMfa),
            Staff,
            Admin,
        ];
        for need in needs {
            assert_eq!(check(None, need).err(), Some(Refusal::NoSession));
            for role in [Role::Dealer, Role::Helpdesk, Role::Admin] {
                let half = session(Stage::Code, None, role);
                let expected = (need == CodeStep).then_some(()).ok_or(Refusal::CodeOwed);
                assert_eq!(check(Some(&half), need).map(|_| ()), expected);

                let full = session(Stage::Full, None, role);
                let expected = match need {
                    CodeStep => Err(Refusal::AlreadyFull),
                    Staff if role == Role::Dealer => Err(Refusal::Role),
                    Admin if role != Role::Admin => Err(Refusal::Role),
                    _ => Ok(()),
                };
                assert_eq!(
                    check(Some(&full), need).map(|_| ()),
                    expected,
                    "{need:?} {role:?}"
                );

                for duty in [ChangePassword, SetUpMfa] {
                    let owing = session(Stage::Full, Some(duty), role);
                    let expected = match need {
                        CodeStep => Err(Refusal::AlreadyFull),
                        FullOrDoing(doing) if doing == duty => Ok(()),
                        _ => Err(Refusal::Owes(duty)),
                    };
                    assert_eq!(check(Some(&owing), need).map(|_| ()), expected);
                }
            }
        }
    }
}
