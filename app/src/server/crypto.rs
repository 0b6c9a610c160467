//! Sealing secrets at rest with AES-256-GCM.
//!
//! Each purpose (a TOTP secret, a secret waiting to be shown once) has a
//! subkey of its own, derived from the server key with HKDF-SHA-256, and
//! its name is in the associated data with the owner's user id: a sealed
//! value copied onto another account, or into another purpose's column,
//! does not open.
//!
//! A sealed value is `2 || nonce (12 bytes) || ciphertext+tag`. Values
//! written before purposes existed (`nonce || ciphertext+tag`, the server
//! key itself, the user id alone as associated data) open only through
//! [`SecretBox::open_legacy`], which `services::keys::reseal_legacy` uses
//! at start to seal them again.

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use base64::{engine::general_purpose::STANDARD, Engine};
use std::path::Path;
use std::sync::Arc;

const NONCE_LEN: usize = 12;
/// The first byte of a value sealed under a purpose's subkey.
const VERSION: u8 = 2;

/// What a sealed value is for. Each has its own subkey and associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// An account's TOTP secret, in force or pending a setup.
    TotpSecret,
    /// A secret waiting to be shown once (a temporary password, recovery
    /// codes).
    ShownOnce,
    /// The OpenID Connect provider's private signing key (PKCS#8), bound
    /// to its row in `signing_keys`.
    SigningKey,
}

impl Purpose {
    const ALL: [Self; 3] = [Self::TotpSecret, Self::ShownOnce, Self::SigningKey];

    fn label(self) -> &'static [u8] {
        match self {
            Self::TotpSecret => b"totp-secret",
            Self::ShownOnce => b"shown-once",
            Self::SigningKey => b"signing-key",
        }
    }

    /// The associated data: the format, the purpose and the owner.
    fn aad(self, user_id: i64) -> Vec<u8> {
        let mut aad = b"autobank:v2:".to_vec();
        aad.extend_from_slice(self.label());
        aad.push(b':');
        aad.extend_from_slice(&user_id.to_be_bytes());
        aad
    }
}
/// Name of the key file created in the data folder when no key is given.
pub const KEY_FILE: &str = "secret.key";

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("AUTOBANK_SECRET_KEY must be the base64 of exactly 32 bytes")]
    BadKey,
    #[error("could not read or create the key file {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
}

/// The key that seals secrets. Its `Debug` hides it.
#[derive(Clone)]
pub struct SecretBox {
    /// One cipher per [`Purpose`], under its subkey.
    ciphers: Arc<[Aes256Gcm; 3]>,
    /// The server key itself, for values sealed before purposes existed.
    legacy: Arc<Aes256Gcm>,
    /// For [`SecretBox::mac`]: derived from the key, never the key itself.
    mac_key: Arc<[u8; 32]>,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(<key redacted>)")
    }
}

/// The associated data of values sealed before purposes existed, and of
/// recovery-code MACs.
fn aad(user_id: i64) -> [u8; 16] {
    let mut aad = *b"autobank:u\0\0\0\0\0\0";
    aad[8..].copy_from_slice(&user_id.to_be_bytes());
    aad
}

impl SecretBox {
    /// Whether `other` is this very box (a clone of it), not merely one
    /// made from the same key: for caches of what it opened.
    pub fn is(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.ciphers, &other.ciphers)
    }

    pub fn from_key(key: &[u8; 32]) -> Self {
        use sha2::{Digest, Sha256};
        let mac_key: [u8; 32] = Sha256::new()
            .chain_update(b"autobank mac key v1\0")
            .chain_update(key)
            .finalize()
            .into();
        let subkey = |purpose: Purpose| {
            let mut out = [0u8; 32];
            hkdf::Hkdf::<sha2::Sha256>::new(Some(b"autobank seal"), key)
                .expand(purpose.label(), &mut out)
                .expect("32 bytes is a valid HKDF-SHA-256 length");
            Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&out))
        };
        Self {
            ciphers: Arc::new(Purpose::ALL.map(subkey)),
            legacy: Arc::new(Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key))),
            mac_key: Arc::new(mac_key),
        }
    }

    fn cipher(&self, purpose: Purpose) -> &Aes256Gcm {
        &self.ciphers[purpose as usize]
    }

    /// HMAC-SHA-256 of `message` for one user, in hex, under a key derived
    /// from this one: what the database keeps of a recovery code, so that
    /// a copy of the database alone cannot test guesses offline.
    pub fn mac(&self, user_id: i64, message: &[u8]) -> String {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.mac_key[..])
            .expect("HMAC takes a key of any length");
        mac.update(&aad(user_id));
        mac.update(message);
        hex::encode(mac.finalize().into_bytes())
    }

    /// From `AUTOBANK_SECRET_KEY` (base64 of 32 bytes) when it is given,
    /// which is how several instances share one key; otherwise from a key
    /// file in `data_dir`, created on first start, readable only by its owner.
    pub fn load(env_key: Option<&str>, data_dir: &Path) -> Result<Self, KeyError> {
        if let Some(encoded) = env_key.filter(|k| !k.trim().is_empty()) {
            return Self::decode(encoded.trim());
        }
        let path = data_dir.join(KEY_FILE);
        let file_error = |source| KeyError::File {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(encoded) => Self::decode(encoded.trim()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(data_dir).map_err(file_error)?;
                let key: [u8; 32] = Aes256Gcm::generate_key(&mut OsRng).into();
                let written =
                    create_once(&path, STANDARD.encode(key).as_bytes()).map_err(file_error)?;
                // Another process may have made it first: theirs is the key.
                Self::decode(
                    std::str::from_utf8(&written)
                        .map_err(|_| KeyError::BadKey)?
                        .trim(),
                )
            }
            Err(err) => Err(file_error(err)),
        }
    }

    fn decode(encoded: &str) -> Result<Self, KeyError> {
        let bytes = STANDARD.decode(encoded).map_err(|_| KeyError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| KeyError::BadKey)?;
        Ok(Self::from_key(&key))
    }

    /// Seals `plaintext` for `purpose`, owned by `user_id`.
    pub fn seal(&self, purpose: Purpose, user_id: i64, plaintext: &[u8]) -> Vec<u8> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = purpose.aad(user_id);
        let sealed = self
            .cipher(purpose)
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .expect("AES-GCM encryption does not fail for small inputs");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// `None` when the value was not sealed by this key, for this purpose
    /// and this user.
    pub fn open(&self, purpose: Purpose, user_id: i64, sealed: &[u8]) -> Option<Vec<u8>> {
        let rest = sealed.strip_prefix(&[VERSION])?;
        let aad = purpose.aad(user_id);
        open_with(self.cipher(purpose), rest, &aad)
    }

    /// Opens a value sealed before purposes existed (server key, user id
    /// alone): only to seal it again under its purpose.
    pub fn open_legacy(&self, user_id: i64, sealed: &[u8]) -> Option<Vec<u8>> {
        open_with(&self.legacy, sealed, &aad(user_id))
    }
}

/// Opens `nonce || ciphertext+tag` with `aad`.
fn open_with(cipher: &Aes256Gcm, sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
    if sealed.len() <= NONCE_LEN {
        return None;
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .ok()
}

impl SecretBox {}

/// `groups` groups of `size` random characters of
/// [`crate::domain::READABLE_ALPHABET`], joined by hyphens.
pub fn readable_random(groups: usize, size: usize) -> String {
    use rand::Rng;
    let alphabet = crate::domain::READABLE_ALPHABET;
    let mut rng = rand::rngs::OsRng;
    (0..groups)
        .map(|_| {
            (0..size)
                .map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char)
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("-")
}

/// Creates a file only its owner can read (mode 0600 on Unix), refusing to
/// overwrite one that appeared meanwhile.
/// Creates `path` with `contents`, readable only by its owner, atomically:
/// the whole file is written and synced under a temporary name, then
/// linked into place, which fails if the file exists. Two processes
/// starting at once thus end up with one complete file, and a crash leaves
/// either no file or a whole one; the folder is synced so that the name
/// survives a crash too. Returns what the file holds: `contents`, or what
/// a process that got there first wrote.
fn create_once(path: &Path, contents: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let nonce: [u8; 8] = rand::random();
    let temp = dir.join(format!(".{}.{}.tmp", KEY_FILE, hex::encode(nonce)));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let written = (|| {
        let mut file = options.open(&temp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::hard_link(&temp, path)
    })();
    let _ = std::fs::remove_file(&temp);
    match written {
        Ok(()) => {
            #[cfg(unix)]
            std::fs::File::open(dir)?.sync_all()?;
            Ok(contents.to_vec())
        }
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read(path),
        Err(err) => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOTP: Purpose = Purpose::TotpSecret;

    #[test]
    fn sealed_secrets_open_only_for_their_user_and_key() {
        let sb = SecretBox::from_key(&[7; 32]);
        let sealed = sb.seal(TOTP, 42, b"twenty-byte-secret!!");
        assert_eq!(
            sb.open(TOTP, 42, &sealed).as_deref(),
            Some(&b"twenty-byte-secret!!"[..])
        );
        assert_eq!(
            sb.open(TOTP, 43, &sealed),
            None,
            "another user's id does not open it"
        );
        assert_eq!(
            SecretBox::from_key(&[8; 32]).open(TOTP, 42, &sealed),
            None,
            "another key does not open it"
        );
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(sb.open(TOTP, 42, &tampered), None);
        assert_ne!(
            sb.seal(TOTP, 42, b"same"),
            sb.seal(TOTP, 42, b"same"),
            "a fresh nonce every time"
        );
    }

    #[test]
    fn a_value_sealed_for_one_purpose_never_opens_as_another() {
        let sb = SecretBox::from_key(&[7; 32]);
        for (from, to) in [
            (Purpose::ShownOnce, Purpose::TotpSecret),
            (Purpose::TotpSecret, Purpose::ShownOnce),
        ] {
            let sealed = sb.seal(from, 42, b"mkq7-x2rt-9hzp-c4wd");
            assert!(sb.open(from, 42, &sealed).is_some());
            assert_eq!(sb.open(to, 42, &sealed), None, "{from:?} as {to:?}");
            assert_eq!(sb.open_legacy(42, &sealed), None, "nor as the old format");
            // Not even with the associated data of the other purpose
            // forged: the subkeys differ.
            let other = sb.cipher(to);
            assert_eq!(open_with(other, &sealed[1..], &from.aad(42)), None);
        }
    }

    #[test]
    fn an_old_format_value_opens_only_as_legacy_for_resealing() {
        let key = [7; 32];
        let sb = SecretBox::from_key(&key);
        // Sealed as before purposes existed: the key itself, the user id.
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&key));
        let payload = Payload {
            msg: &b"old"[..],
            aad: &aad(42),
        };
        let mut old = nonce.to_vec();
        old.extend(cipher.encrypt(&nonce, payload).unwrap());
        assert_eq!(sb.open_legacy(42, &old).as_deref(), Some(&b"old"[..]));
        for purpose in Purpose::ALL {
            assert_eq!(sb.open(purpose, 42, &old), None);
        }
    }

    #[test]
    fn the_key_file_is_created_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let first = SecretBox::load(None, dir.path()).unwrap();
        let sealed = first.seal(TOTP, 1, b"x");
        let second = SecretBox::load(None, dir.path()).unwrap();
        assert_eq!(second.open(TOTP, 1, &sealed).as_deref(), Some(&b"x"[..]));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn processes_starting_at_once_end_up_with_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let boxes: Vec<SecretBox> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| SecretBox::load(None, dir.path()).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let sealed = boxes[0].seal(TOTP, 1, b"x");
        for other in &boxes {
            assert_eq!(other.open(TOTP, 1, &sealed).as_deref(), Some(&b"x"[..]));
        }
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [KEY_FILE], "no temporary file is left behind");
    }

    #[test]
    fn a_key_from_the_environment_must_be_32_bytes() {
        let dir = tempfile::tempdir().unwrap();
        assert!(SecretBox::load(Some(&STANDARD.encode([1u8; 32])), dir.path()).is_ok());
        assert!(matches!(
            SecretBox::load(Some("c2hvcnQ="), dir.path()),
            Err(KeyError::BadKey)
        ));
        assert!(
            !dir.path().join(KEY_FILE).exists(),
            "no key file when the variable is set"
        );
    }
}
