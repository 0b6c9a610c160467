//! Input types that parse, shared by the browser (instant feedback) and the
//! server (the real check).

use crate::error::{AppError, Field, Problem};

/// The most characters any text field accepts.
pub const MAX_INPUT_CHARS: usize = 256;

fn required(raw: &str, field: Field, empty: Problem) -> Result<(), AppError> {
    if raw.trim().is_empty() {
        return Err(AppError::validation(field, empty));
    }
    if raw.chars().count() > MAX_INPUT_CHARS {
        return Err(AppError::validation(field, Problem::TooLong));
    }
    Ok(())
}

/// A login ID, normalised to lower case so that IDs compare case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginId(String);

impl LoginId {
    /// Parses what a user typed at sign-in. Any non-empty text up to the
    /// field limit is accepted here: an unknown ID must fail exactly like a
    /// wrong password, not with a format message that tells them apart.
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        required(raw, Field::LoginId, Problem::LoginIdRequired)?;
        Ok(Self(raw.trim().to_lowercase()))
    }

    /// Parses the ID of a new account: 3 to 64 of `a-z 0-9 . _ - @`.
    pub fn parse_new(raw: &str) -> Result<Self, AppError> {
        let id = Self::parse(raw)?;
        let ok_len = (3..=64).contains(&id.0.len());
        let ok_chars =
            id.0.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-@".contains(c));
        if ok_len && ok_chars {
            Ok(id)
        } else {
            Err(AppError::validation(Field::LoginId, Problem::LoginIdFormat))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password as typed: present and not absurdly long. The strength
/// policy applies where a password is set, not here. Its `Debug` hides it,
/// and it is deliberately not `Serialize`.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        if raw.is_empty() {
            return Err(AppError::validation(
                Field::Password,
                Problem::PasswordRequired,
            ));
        }
        required(raw, Field::Password, Problem::PasswordRequired)?;
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A six-digit one-time code. Spaces are ignored and full-width digits
/// (as a Japanese input method types them) are accepted.
#[derive(Clone, PartialEq, Eq)]
pub struct OtpCode(String);

impl OtpCode {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let bad = || AppError::validation(Field::Code, Problem::CodeFormat);
        if raw.chars().count() > MAX_INPUT_CHARS {
            return Err(bad());
        }
        let mut digits = String::with_capacity(6);
        for c in raw.chars() {
            match c {
                '0'..='9' => digits.push(c),
                // FULLWIDTH DIGIT ZERO..NINE
                '\u{FF10}'..='\u{FF19}' => {
                    digits.push(char::from(b'0' + (c as u32 - 0xFF10) as u8))
                }
                c if c.is_whitespace() => {}
                _ => return Err(bad()),
            }
        }
        if digits.len() == 6 {
            Ok(Self(digits))
        } else {
            Err(bad())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// A code is a credential: keep it out of logs.
impl std::fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OtpCode(<redacted>)")
    }
}

/// Characters of codes read out or typed by people (temporary passwords,
/// recovery codes): no 0/O, 1/l/I.
pub const READABLE_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// Characters in one recovery code (shown as two groups of five).
pub const RECOVERY_CODE_LEN: usize = 10;

/// A recovery code as typed: spaces and hyphens ignored, full-width
/// letters and digits accepted, any case.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode(String);

impl RecoveryCode {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let bad = || AppError::validation(Field::Code, Problem::RecoveryCodeFormat);
        if raw.chars().count() > MAX_INPUT_CHARS {
            return Err(bad());
        }
        let mut code = String::with_capacity(RECOVERY_CODE_LEN);
        for c in raw.chars() {
            // FULLWIDTH forms of ASCII, as a Japanese input method types them.
            let c = match c as u32 {
                0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                _ => c,
            };
            match c.to_ascii_lowercase() {
                c if c.is_ascii() && READABLE_ALPHABET.contains(&(c as u8)) => code.push(c),
                '-' | '\u{30FC}' => {}
                c if c.is_whitespace() => {}
                _ => return Err(bad()),
            }
        }
        if code.len() == RECOVERY_CODE_LEN {
            Ok(Self(code))
        } else {
            Err(bad())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

// A recovery code is a credential: keep it out of logs.
impl std::fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCode(<redacted>)")
    }
}

/// Percent-encodes text for a URL: everything but RFC 3986's unreserved
/// characters and `/` (so a path in a query value stays readable). The one
/// encoder of the crate: return paths and the `otpauth://` label use it.
pub fn percent_encode(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where to go after sign-in: a path on this site, never another origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NextPath(String);

impl NextPath {
    pub const DEFAULT: &'static str = "/menu";

    /// Accepts only a local absolute path. Anything else (another origin,
    /// `//host`, `/\host`, a scheme, control characters) falls back to the
    /// menu, so a crafted link cannot send a user elsewhere after sign-in.
    pub fn parse(raw: &str) -> Self {
        let local = raw.starts_with('/')
            && !raw.starts_with("//")
            && !raw.starts_with("/\\")
            && raw.len() <= MAX_INPUT_CHARS
            && !raw.chars().any(|c| c.is_control() || c == '\\')
            && !raw.starts_with("/api/");
        if local {
            Self(raw.to_owned())
        } else {
            Self(Self::DEFAULT.to_owned())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An account's role. Staff (`Helpdesk`, `Admin`) must have MFA on and
/// reach the console; `Admin` also manages accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Role {
    Dealer,
    Helpdesk,
    Admin,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Dealer, Role::Helpdesk, Role::Admin];

    /// As stored in `users.role`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dealer => "dealer",
            Self::Helpdesk => "helpdesk",
            Self::Admin => "admin",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw)
    }

    pub fn is_staff(self) -> bool {
        self != Self::Dealer
    }

    /// The role's name on screen.
    pub fn label(self) -> &'static str {
        match self {
            Self::Dealer => crate::text::ROLE_DEALER,
            Self::Helpdesk => crate::text::ROLE_HELPDESK,
            Self::Admin => crate::text::ROLE_ADMIN,
        }
    }
}

/// The most characters a staff member's reason may have.
pub const MAX_REASON_CHARS: usize = 200;

/// Why a member of staff acts on an account (a ticket number, say): free
/// text, required, one line, trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);

impl Reason {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(AppError::validation(Field::Reason, Problem::ReasonRequired));
        }
        if trimmed.chars().count() > MAX_REASON_CHARS {
            return Err(AppError::validation(Field::Reason, Problem::ReasonTooLong));
        }
        // One line: control characters (a line break, a tab) become spaces.
        let line: String = trimmed
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        Ok(Self(line))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the console's search looks for: the start of a login ID or a name,
/// in any case. Empty finds nothing (no listing of every account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchTerm(String);

impl SearchTerm {
    pub fn parse(raw: &str) -> Option<Self> {
        let term = raw.trim();
        (!term.is_empty() && term.chars().count() <= MAX_INPUT_CHARS)
            .then(|| Self(term.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text;

    #[test]
    fn login_id_is_trimmed_and_lower_cased() {
        assert_eq!(LoginId::parse("  Dealer01 ").unwrap().as_str(), "dealer01");
    }

    #[test]
    fn empty_and_overlong_login_ids_are_refused_with_a_field_message() {
        let empty = LoginId::parse("   ").unwrap_err();
        assert_eq!(
            empty.for_field(Field::LoginId),
            Some(text::ERR_REQUIRED_LOGIN_ID)
        );
        let long = LoginId::parse(&"a".repeat(257)).unwrap_err();
        assert_eq!(long.for_field(Field::LoginId), Some(text::ERR_TOO_LONG));
        assert!(LoginId::parse(&"a".repeat(256)).is_ok());
    }

    #[test]
    fn passwords_must_be_present_and_hide_from_debug() {
        assert_eq!(
            Password::parse("").unwrap_err().for_field(Field::Password),
            Some(text::ERR_REQUIRED_PASSWORD)
        );
        assert_eq!(
            Password::parse(&"x".repeat(257))
                .unwrap_err()
                .for_field(Field::Password),
            Some(text::ERR_TOO_LONG)
        );
        let pw = Password::parse("tulip-harbor-87-velvet").unwrap();
        assert_eq!(format!("{pw:?}"), "Password(<redacted>)");
    }

    #[test]
    fn percent_encoding_keeps_unreserved_characters_and_slashes() {
        assert_eq!(percent_encode("/mfa?a=1&b=2"), "/mfa%3Fa%3D1%26b%3D2");
        assert_eq!(percent_encode("a.b_c-d~e@f"), "a.b_c-d~e%40f");
    }

    #[test]
    fn new_login_ids_must_use_the_safe_alphabet() {
        assert!(LoginId::parse_new("taro.yamada@shop-1").is_ok());
        assert!(LoginId::parse_new("ab").is_err());
        assert!(LoginId::parse_new("山田").is_err());
        assert!(LoginId::parse_new("a b c").is_err());
    }

    #[test]
    fn otp_codes_accept_spaces_and_full_width_digits() {
        assert_eq!(OtpCode::parse("123 456").unwrap().as_str(), "123456");
        assert_eq!(OtpCode::parse("１２３４５６").unwrap().as_str(), "123456");
        assert_eq!(OtpCode::parse("４２３　６８６").unwrap().as_str(), "423686");
    }

    #[test]
    fn malformed_otp_codes_are_refused() {
        for bad in ["", "12345", "1234567", "12345a", "12-34-56", "١٢٣٤٥٦"] {
            assert!(OtpCode::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn next_path_only_accepts_local_paths() {
        assert_eq!(NextPath::parse("/search").as_str(), "/search");
        assert_eq!(NextPath::parse("/mfa?x=1").as_str(), "/mfa?x=1");
        for evil in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "javascript:alert(1)",
            "",
            "menu",
            "/\tevil",
            "/api/logout",
        ] {
            assert_eq!(
                NextPath::parse(evil).as_str(),
                NextPath::DEFAULT,
                "{evil:?}"
            );
        }
    }
}
