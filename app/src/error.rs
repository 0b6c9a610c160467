//! The one error type that crosses the wire from server functions.
//!
//! Each variant is something the user can act on; the detail of internal
//! failures stays in the server log and never reaches the browser. Every
//! message is chosen here from `text`: an error carries keys, never words,
//! so nothing outside the code (such as a crafted `?__err=` link) can put
//! its own text on a page.

use crate::text;
use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// A form field that a validation message belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Field {
    LoginId,
    Password,
    Code,
    Confirm,
    Setting,
    NewPassword,
    NewPasswordAgain,
    /// A staff member's reason for an action.
    Reason,
    /// A date typed as `YYYY-MM-DD`.
    Date,
    /// An account's name.
    Name,
    /// A notice's title and body.
    Title,
    Body,
    /// An account's role.
    Role,
    /// A business application's URIs: where to return after sign-in, and
    /// after logout; where to POST a logout token; where its tile opens.
    RedirectUris,
    PostLogoutUris,
    BackchannelUri,
    StartUrl,
    /// The menu tile an application serves.
    Tile,
}

/// What is wrong with one field: a key for a message in `text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Problem {
    LoginIdRequired,
    PasswordRequired,
    TooLong,
    CodeFormat,
    LoginIdFormat,
    ConfirmRequired,
    SettingRequired,
    /// A signed-in user re-entered a wrong password.
    WrongPassword,
    /// The password policy's refusals, each with its reason.
    PasswordTooShort,
    PasswordTooLong,
    WeakCommon,
    WeakSequence,
    WeakRepeat,
    WeakDate,
    WeakPersonal,
    WeakGeneral,
    /// The new password and its repetition differ.
    PasswordsDiffer,
    ReasonRequired,
    ReasonTooLong,
    RecoveryCodeFormat,
    DateFormat,
    NameRequired,
    LoginIdTaken,
    TitleRequired,
    BodyTooLong,
    RoleWithTempPassword,
    /// An application's name: 1 to 100 characters.
    ClientNameRequired,
    /// An application needs at least one redirect URI.
    RedirectUriRequired,
    /// A URI that is not absolute `https` (or `http` on loopback), or
    /// carries a fragment or a user.
    UriNotAllowed,
    /// The tile serves another application already.
    TileTaken,
    /// A tile without a start URL, or a start URL without a tile.
    TileNeedsStartUrl,
    /// A removal not confirmed by its box.
    ConfirmRemoval,
    /// A staff action that stops the account holder, not confirmed by its box.
    ConfirmAction,
    /// OFF chosen by staff, who always keep MFA.
    StaffKeepMfa,
}

impl Problem {
    pub fn message(self) -> &'static str {
        match self {
            Self::LoginIdRequired => text::ERR_REQUIRED_LOGIN_ID,
            Self::PasswordRequired => text::ERR_REQUIRED_PASSWORD,
            Self::TooLong => text::ERR_TOO_LONG,
            Self::CodeFormat => text::ERR_CODE_FORMAT,
            Self::LoginIdFormat => text::ERR_LOGIN_ID_FORMAT,
            Self::ConfirmRequired => text::ERR_CONFIRM_REQUIRED,
            Self::SettingRequired => text::ERR_CHOOSE_SETTING,
            Self::WrongPassword => text::ERR_WRONG_PASSWORD,
            Self::PasswordTooShort => text::PW_TOO_SHORT,
            Self::PasswordTooLong => text::PW_TOO_LONG,
            Self::WeakCommon => text::PW_WEAK_COMMON,
            Self::WeakSequence => text::PW_WEAK_SEQUENCE,
            Self::WeakRepeat => text::PW_WEAK_REPEAT,
            Self::WeakDate => text::PW_WEAK_DATE,
            Self::WeakPersonal => text::PW_WEAK_PERSONAL,
            Self::WeakGeneral => text::PW_WEAK_GENERAL,
            Self::PasswordsDiffer => text::ERR_PASSWORDS_DIFFER,
            Self::ReasonRequired => text::ERR_REASON_REQUIRED,
            Self::ReasonTooLong => text::ERR_REASON_TOO_LONG,
            Self::RecoveryCodeFormat => text::ERR_RECOVERY_FORMAT,
            Self::DateFormat => text::ERR_DATE_FORMAT,
            Self::NameRequired => text::ERR_NAME_REQUIRED,
            Self::LoginIdTaken => text::ERR_LOGIN_ID_TAKEN,
            Self::TitleRequired => text::ERR_TITLE_REQUIRED,
            Self::BodyTooLong => text::ERR_BODY_TOO_LONG,
            Self::RoleWithTempPassword => text::ERR_ROLE_WITH_TEMP_PASSWORD,
            Self::ClientNameRequired => text::ERR_CLIENT_NAME_REQUIRED,
            Self::RedirectUriRequired => text::ERR_REDIRECT_URI_REQUIRED,
            Self::UriNotAllowed => text::ERR_URI_NOT_ALLOWED,
            Self::TileTaken => text::ERR_TILE_TAKEN,
            Self::TileNeedsStartUrl => text::ERR_TILE_NEEDS_START_URL,
            Self::ConfirmRemoval => text::ERR_CONFIRM_REMOVAL,
            Self::ConfirmAction => text::ERR_CONFIRM_ACTION,
            Self::StaffKeepMfa => text::ERR_STAFF_KEEP_MFA,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Wrong login ID or wrong password: deliberately one variant.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many failures; the account is locked for a while.
    #[error("account locked")]
    Locked,
    /// Too many failures in a row: only the helpdesk can enable it again.
    #[error("account disabled")]
    Disabled,
    /// Stopped by the helpdesk or an admin: they lift it.
    #[error("account stopped by staff")]
    Stopped,
    /// A one-time code that is well formed but not accepted.
    #[error("invalid one-time code")]
    InvalidCode,
    /// Input that does not parse; the message is shown next to `field`.
    #[error("validation failed on {field:?}: {problem:?}")]
    Validation { field: Field, problem: Problem },
    /// No (complete) sign-in on this session.
    #[error("not signed in")]
    NotSignedIn,
    /// Signed in, but not allowed to do this.
    #[error("forbidden")]
    Forbidden,
    /// The database or another dependency is down; try again later.
    #[error("service unavailable")]
    Unavailable,
    /// Too many sign-ins at once: nothing was checked; try again shortly.
    #[error("busy")]
    Busy,
    /// Too many wrong codes in one sign-in: the password is asked again.
    #[error("sign in again")]
    SignInAgain,
    /// The pending MFA setup expired or was never started.
    #[error("setup expired")]
    SetupExpired,
    /// Signed in, but a new password must be chosen first (a temporary
    /// password signed in).
    #[error("change the password first")]
    ChangePasswordFirst,
    /// Signed in, but MFA must be set up first (staff, or a policy).
    #[error("set up MFA first")]
    SetUpMfaFirst,
    /// A staff action needs a code confirmed within the last 10 minutes.
    #[error("code needed for this action")]
    StepUpRequired,
    /// Staff may not act on this account (their own, or an admin's).
    #[error("not on this account")]
    NotOnThisAccount,
    /// A recovery code that is well formed but not accepted (wrong, or
    /// used already).
    #[error("invalid recovery code")]
    InvalidRecoveryCode,
    /// What was to be changed is gone (a notice deleted meanwhile).
    #[error("not found")]
    NotFound,
    /// No account by that login ID.
    #[error("no such account")]
    NoSuchAccount,
    /// What a staff action's check saw changed before its write landed
    /// (the account's role, a temporary password, the actor's own role or
    /// session): nothing was changed.
    #[error("changed meanwhile")]
    Changed,
    /// Anything else. Carries no detail on purpose.
    #[error("internal error")]
    Internal,
    /// The request itself was malformed (decoding, missing arguments).
    #[error("bad request")]
    BadRequest,
}

impl AppError {
    pub fn validation(field: Field, problem: Problem) -> Self {
        Self::Validation { field, problem }
    }

    /// The Japanese message shown to the user.
    pub fn message(&self) -> &'static str {
        match self {
            Self::InvalidCredentials => text::ERR_INVALID_CREDENTIALS,
            Self::Locked => text::ERR_LOCKED,
            Self::Disabled => text::ERR_DISABLED,
            Self::Stopped => text::ERR_STOPPED,
            Self::InvalidCode => text::ERR_INVALID_CODE,
            Self::Validation { problem, .. } => problem.message(),
            Self::NotSignedIn => text::ERR_NOT_SIGNED_IN,
            Self::Forbidden => text::ERR_FORBIDDEN,
            Self::Unavailable => text::ERR_UNAVAILABLE,
            Self::Busy => text::ERR_BUSY,
            Self::SignInAgain => text::ERR_SIGN_IN_AGAIN,
            Self::SetupExpired => text::ERR_SETUP_EXPIRED,
            Self::ChangePasswordFirst => text::ERR_CHANGE_PASSWORD_FIRST,
            Self::SetUpMfaFirst => text::ERR_SET_UP_MFA_FIRST,
            Self::StepUpRequired => text::ERR_STEP_UP_REQUIRED,
            Self::NotOnThisAccount => text::ERR_NOT_ON_THIS_ACCOUNT,
            Self::NoSuchAccount => text::ERR_NO_SUCH_ACCOUNT,
            Self::Changed => text::ERR_CHANGED,
            Self::NotFound => text::ERR_GONE,
            Self::InvalidRecoveryCode => text::ERR_INVALID_RECOVERY,
            Self::Internal => text::ERR_INTERNAL,
            Self::BadRequest => text::ERR_BAD_REQUEST,
        }
    }

    /// The message for one field, if this error belongs to it. A refused
    /// code belongs to the code field, where a screen reader reads it with
    /// the field.
    pub fn for_field(&self, wanted: Field) -> Option<&'static str> {
        match self {
            Self::Validation { field, problem } if *field == wanted => Some(problem.message()),
            Self::InvalidCode | Self::InvalidRecoveryCode | Self::StepUpRequired
                if wanted == Field::Code =>
            {
                Some(self.message())
            }
            _ => None,
        }
    }

    /// The message for the form as a whole (everything but field errors).
    pub fn for_form(&self) -> Option<&'static str> {
        match self {
            Self::Validation { .. }
            | Self::InvalidCode
            | Self::InvalidRecoveryCode
            | Self::StepUpRequired => None,
            other => Some(other.message()),
        }
    }

    /// The HTTP status an API caller sees.
    pub fn status(&self) -> u16 {
        match self {
            Self::InvalidCredentials | Self::NotSignedIn | Self::SignInAgain => 401,
            Self::SetupExpired | Self::Changed => 409,
            Self::Locked | Self::Disabled | Self::Stopped => 423,
            Self::InvalidCode | Self::InvalidRecoveryCode | Self::Validation { .. } => 422,
            Self::Forbidden
            | Self::ChangePasswordFirst
            | Self::SetUpMfaFirst
            | Self::NotOnThisAccount => 403,
            Self::StepUpRequired => 401,
            Self::NoSuchAccount | Self::NotFound => 404,
            Self::Unavailable | Self::Busy => 503,
            Self::Internal => 500,
            Self::BadRequest => 400,
        }
    }
}

/// Who is being answered, for [`AppError::set_status`].
#[cfg(feature = "ssr")]
pub enum Answer {
    /// A page being rendered (a resource's error).
    Page,
    /// A server function's caller. A form posted without JavaScript
    /// (`Accept: text/html`) is sent back to its page by server_fn, with
    /// the error in the URL (a 302), which a status must not override.
    ServerFunction,
}

#[cfg(feature = "ssr")]
impl AppError {
    /// Gives the response being built this error's status and, when a
    /// retry may succeed, `Retry-After`. Plain routes use
    /// `server::plain::error_page`, which reads the same two methods.
    pub fn set_status(&self, answer: Answer) {
        use axum::http::{header, StatusCode};
        use leptos::prelude::use_context;
        let Some(res) = use_context::<leptos_axum::ResponseOptions>() else {
            return;
        };
        if let Answer::ServerFunction = answer {
            // server_fn's own test (`form-redirects`): an HTML form.
            let form_post = use_context::<axum::http::request::Parts>().is_some_and(|parts| {
                parts
                    .headers
                    .get(header::ACCEPT)
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v.contains("text/html"))
            });
            if form_post {
                return;
            }
        }
        if let Ok(status) = StatusCode::from_u16(self.status()) {
            res.set_status(status);
        }
        if let Some(secs) = self.retry_after() {
            res.insert_header(header::RETRY_AFTER, secs.into());
        }
    }
}

impl AppError {
    /// Seconds after which a retry may succeed, for `Retry-After`.
    pub fn retry_after(&self) -> Option<u32> {
        match self {
            Self::Busy => Some(2),
            Self::Unavailable => Some(30),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    /// Encodes the error for the browser. On the server, this is also where
    /// a server function's error gets its status and `Retry-After` (server_fn
    /// would answer 500 to every error): it runs inside `leptos_axum`'s
    /// context for the call, whose response options override the status.
    fn ser(&self) -> leptos::server_fn::Bytes {
        #[cfg(feature = "ssr")]
        self.set_status(Answer::ServerFunction);
        <JsonEncoding as leptos::server_fn::Encodes<Self>>::encode(self).unwrap_or_default()
    }

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::Deserialization(_)
            | ServerFnErrorErr::MissingArg(_) => Self::BadRequest,
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => Self::Unavailable,
            _ => Self::Internal,
        }
    }
}
