//! Password hashing (argon2id) and the password policy.

use crate::domain::Password;
use crate::text;
use argon2::password_hash::{rand_core::OsRng, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// A password hash in PHC form. Not `Serialize`, and its `Debug` hides it.
#[derive(Clone, sqlx::Type)]
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

fn hash_blocking(password: &str) -> Result<PasswordHash, argon2::password_hash::Error> {
    let salt = SaltString::generate(&mut OsRng);
    Ok(PasswordHash(
        argon2()
            .hash_password(password.as_bytes(), &salt)?
            .to_string(),
    ))
}

fn verify_blocking(password: &str, hash: &PasswordHash) -> bool {
    match argon2::password_hash::PasswordHash::new(&hash.0) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("hashing failed: {0}")]
    Argon2(argon2::password_hash::Error),
    #[error("hashing task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

/// Runs argon2 off the async runtime, at most one hash per core at once,
/// so a flood of sign-ins queues instead of exhausting memory or starving
/// the threads that serve other pages.
#[derive(Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
    /// Checked for unknown login IDs, so they cost the same as real ones.
    dummy: Arc<PasswordHash>,
}

impl Default for Passwords {
    fn default() -> Self {
        Self::new()
    }
}

impl Passwords {
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let dummy = hash_blocking("autobank-dummy-password-never-matches").expect("argon2 works");
        Self {
            permits: Arc::new(Semaphore::new(cores)),
            dummy: Arc::new(dummy),
        }
    }

    pub async fn hash(&self, password: Password) -> Result<PasswordHash, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("semaphore never closed");
        tokio::task::spawn_blocking(move || hash_blocking(password.expose()))
            .await?
            .map_err(HashError::Argon2)
    }

    /// Verifies against `hash`, or against the dummy hash when there is no
    /// account, in which case the answer is always false.
    pub async fn verify(
        &self,
        password: Password,
        hash: Option<PasswordHash>,
    ) -> Result<bool, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("semaphore never closed");
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| (*self.dummy).clone());
        let ok =
            tokio::task::spawn_blocking(move || verify_blocking(password.expose(), &hash)).await?;
        Ok(ok && known)
    }
}

/// The password policy, applied wherever a password is set: 10 to 128
/// characters, and a zxcvbn score of 3 or more. Returns the reason in
/// Japanese when the password is refused.
pub fn check_policy(password: &str, user_inputs: &[&str]) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < 10 {
        return Err(text::PW_TOO_SHORT.to_owned());
    }
    if chars > 128 {
        return Err(text::PW_TOO_LONG.to_owned());
    }
    let entropy = zxcvbn::zxcvbn(password, user_inputs);
    if u8::from(entropy.score()) >= 3 {
        return Ok(());
    }
    use zxcvbn::feedback::Warning as W;
    let hint = match entropy.feedback().and_then(|f| f.warning()) {
        Some(
            W::StraightRowsOfKeysAreEasyToGuess
            | W::ShortKeyboardPatternsAreEasyToGuess
            | W::SequencesLikeAbcAreEasyToGuess,
        ) => text::PW_HINT_SEQUENCE,
        Some(
            W::RepeatsLikeAaaAreEasyToGuess | W::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess,
        ) => text::PW_HINT_REPEAT,
        Some(W::RecentYearsAreEasyToGuess | W::DatesAreOftenEasyToGuess) => text::PW_HINT_DATE,
        Some(
            W::ThisIsATop10Password
            | W::ThisIsATop100Password
            | W::ThisIsACommonPassword
            | W::ThisIsSimilarToACommonlyUsedPassword
            | W::AWordByItselfIsEasyToGuess
            | W::NamesAndSurnamesByThemselvesAreEasyToGuess
            | W::CommonNamesAndSurnamesAreEasyToGuess,
        ) => text::PW_HINT_COMMON,
        None if user_inputs
            .iter()
            .any(|i| !i.is_empty() && password.to_lowercase().contains(&i.to_lowercase())) =>
        {
            text::PW_HINT_PERSONAL
        }
        None => text::PW_HINT_GENERAL,
    };
    Err(format!("{}{}", text::PW_WEAK, hint))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_refuses_short_long_and_common_passwords_with_a_reason() {
        assert_eq!(check_policy("short", &[]).unwrap_err(), text::PW_TOO_SHORT);
        assert_eq!(
            check_policy(&"x".repeat(129), &[]).unwrap_err(),
            text::PW_TOO_LONG
        );
        let common = check_policy("password1234", &[]).unwrap_err();
        assert!(common.starts_with(text::PW_WEAK), "{common}");
        let keyboard = check_policy("qwertyuiop", &[]).unwrap_err();
        assert!(keyboard.starts_with(text::PW_WEAK), "{keyboard}");
    }

    #[test]
    fn policy_accepts_long_unusual_passphrases_in_any_script() {
        assert!(check_policy("tulip-harbor-87-velvet", &[]).is_ok());
        assert!(check_policy("さくら色の自転車で海へ行く", &[]).is_ok());
    }

    #[test]
    fn policy_refuses_a_password_built_from_the_login_id() {
        assert!(check_policy("yamada-taro", &["yamada-taro"]).is_err());
    }

    fn pw(raw: &str) -> Password {
        Password::parse(raw).unwrap()
    }

    #[tokio::test]
    async fn hashes_verify_and_unknown_accounts_never_match() {
        let passwords = Passwords::new();
        let hash = passwords.hash(pw("tulip-harbor-87-velvet")).await.unwrap();
        assert!(hash.expose().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(passwords
            .verify(pw("tulip-harbor-87-velvet"), Some(hash.clone()))
            .await
            .unwrap());
        assert!(!passwords
            .verify(pw("tulip-harbor-87-velveT"), Some(hash))
            .await
            .unwrap());
        assert!(!passwords
            .verify(pw("autobank-dummy-password-never-matches"), None)
            .await
            .unwrap());
        assert_eq!(
            format!("{:?}", Passwords::new().dummy),
            "PasswordHash(<redacted>)"
        );
    }
}
