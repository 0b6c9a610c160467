//! Password hashing (argon2id) and the password policy. The hashing
//! runs on its own threads, a few at a time ([`pool`]).

mod pool;

pub use pool::{HashError, HashLimits, HashSlot, Passwords};

use crate::error::Problem;
use argon2::password_hash::{rand_core::OsRng, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// A password hash in PHC form. Not `Serialize`, and its `Debug` hides it.
#[derive(Clone, PartialEq, Eq, sqlx::Type)]
#[sqlx(transparent)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

/// OWASP's argon2id parameters: 19 MiB, 2 passes, 1 lane.
fn argon2() -> Argon2<'static> {
    let params = Params::new(19_456, 2, 1, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A password as compared: NFKC-normalised, so that what a Japanese input
/// method types in full width (`ｐａｓｓ１２３`) is the same password as
/// its ASCII form, and composed and decomposed kana are one.
fn normalized(password: &str) -> std::borrow::Cow<'_, str> {
    use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};
    match is_nfkc_quick(password.chars()) {
        IsNormalized::Yes => std::borrow::Cow::Borrowed(password),
        _ => std::borrow::Cow::Owned(password.nfkc().collect()),
    }
}

pub(super) fn hash_blocking(password: &str) -> Result<PasswordHash, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(PasswordHash(
        argon2()
            .hash_password(normalized(password).as_bytes(), &salt)?
            .to_string(),
    ))
}

/// Checks the normalised password; a hash made before normalisation (from
/// the password exactly as typed then) still verifies with the typed form.
pub(super) fn verify_blocking(password: &str, hash: &PasswordHash) -> bool {
    let Ok(parsed) = argon2::password_hash::PasswordHash::new(&hash.0) else {
        return false;
    };
    let matches = |candidate: &str| {
        argon2()
            .verify_password(candidate.as_bytes(), &parsed)
            .is_ok()
    };
    let normal = normalized(password);
    matches(&normal) || (normal != password && matches(password))
}

/// The password policy, applied wherever a password is set: 10 to 128
/// characters, and a zxcvbn score of 3 or more. The refusal is a key whose
/// message says why, in Japanese.
pub fn check_policy(password: &str, user_inputs: &[&str]) -> Result<(), Problem> {
    let password = &*normalized(password);
    let chars = password.chars().count();
    if chars < 10 {
        return Err(Problem::PasswordTooShort);
    }
    if chars > 128 {
        return Err(Problem::PasswordTooLong);
    }
    // The login ID or the name inside it is refused however strong the
    // rest: whoever knows the account knows those.
    let lower = password.to_lowercase();
    if user_inputs
        .iter()
        .any(|i| i.chars().count() >= 3 && lower.contains(&i.to_lowercase()))
    {
        return Err(Problem::WeakPersonal);
    }
    let entropy = zxcvbn::zxcvbn(password, user_inputs);
    if u8::from(entropy.score()) >= 3 {
        return Ok(());
    }
    use zxcvbn::feedback::Warning as W;
    Err(match entropy.feedback().and_then(|f| f.warning()) {
        Some(
            W::StraightRowsOfKeysAreEasyToGuess
            | W::ShortKeyboardPatternsAreEasyToGuess
            | W::SequencesLikeAbcAreEasyToGuess,
        ) => Problem::WeakSequence,
        Some(
            W::RepeatsLikeAaaAreEasyToGuess | W::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess,
        ) => Problem::WeakRepeat,
        Some(W::RecentYearsAreEasyToGuess | W::DatesAreOftenEasyToGuess) => Problem::WeakDate,
        Some(
            W::ThisIsATop10Password
            | W::ThisIsATop100Password
            | W::ThisIsACommonPassword
            | W::ThisIsSimilarToACommonlyUsedPassword
            | W::AWordByItselfIsEasyToGuess
            | W::NamesAndSurnamesByThemselvesAreEasyToGuess
            | W::CommonNamesAndSurnamesAreEasyToGuess,
        ) => Problem::WeakCommon,
        None => Problem::WeakGeneral,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_refuses_short_long_and_common_passwords_with_a_reason() {
        assert_eq!(check_policy("short", &[]), Err(Problem::PasswordTooShort));
        assert_eq!(
            check_policy(&"x".repeat(129), &[]),
            Err(Problem::PasswordTooLong)
        );
        assert_eq!(check_policy("password1234", &[]), Err(Problem::WeakCommon));
        assert_eq!(check_policy("qwertyuiop", &[]), Err(Problem::WeakCommon));
        assert!(Problem::WeakCommon
            .message()
            .starts_with("推測されやすいパスワードです。"));
    }

    #[test]
    fn policy_accepts_long_unusual_passphrases_in_any_script() {
        assert!(check_policy("tulip-harbor-87-velvet", &[]).is_ok());
        assert!(check_policy("さくら色の自転車で海へ行く", &[]).is_ok());
    }

    #[test]
    fn policy_refuses_a_password_built_from_the_login_id() {
        assert!(check_policy("yamada-taro", &["yamada-taro"]).is_err());
        assert_eq!(
            check_policy("violet-Dealer01-harbor-977", &["dealer01", "テスト販売店"]),
            Err(Problem::WeakPersonal),
            "refused even where the rest is strong"
        );
    }
}
