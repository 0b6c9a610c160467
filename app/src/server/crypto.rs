//! Sealing secrets at rest with AES-256-GCM.
//!
//! Each purpose (a TOTP secret, a secret waiting to be shown once) has a
//! subkey of its own, derived from the server key with HKDF-SHA-256, and
//! its name is in the associated data with the owner's user id: a sealed
//! value copied onto another account, or into another purpose's column,
//! does not open.
//!
//! The server may hold several keys during a key change (a ring: the
//! first seals, every one opens). A value sealed by a key without an id is
//! `2 || nonce (12 bytes) || ciphertext+tag`, tried under every key; by a
//! key with an id, `3 || id length || id || nonce || ciphertext+tag`,
//! opened by that key alone. Values written before purposes existed
//! (`nonce || ciphertext+tag`, the server key itself, the user id alone as
//! associated data) open only through
//! [`SecretBox::open_legacy`], which `services::keys::reseal_legacy` uses
//! at start to seal them again.

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use base64::{engine::general_purpose::STANDARD, Engine};
use std::path::Path;
use std::sync::Arc;

const NONCE_LEN: usize = 12;
/// The first byte of a value sealed under a purpose's subkey by a key
/// without an id.
const VERSION: u8 = 2;
/// The first byte of a value sealed by a key with an id; the id follows.
const VERSION_WITH_ID: u8 = 3;

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
    /// A key the database keeps for the server (`keyring`): the MAC key
    /// of recovery codes and client secrets, bound to its row.
    Keyring,
}

impl Purpose {
    const ALL: [Self; 4] = [
        Self::TotpSecret,
        Self::ShownOnce,
        Self::SigningKey,
        Self::Keyring,
    ];

    fn label(self) -> &'static [u8] {
        match self {
            Self::TotpSecret => b"totp-secret",
            Self::ShownOnce => b"shown-once",
            Self::SigningKey => b"signing-key",
            Self::Keyring => b"keyring",
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

/// The longest key id, in bytes.
const MAX_ID_LEN: usize = 32;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "{0}: each key must be the base64 of exactly 32 bytes, alone or as ID:BASE64 \
         (the ID is 1 to 32 letters, digits, '.', '_' or '-')"
    )]
    BadKey(String),
    #[error("{0}: two keys have the id {1}; each key needs an id of its own")]
    SameId(String, String),
    #[error("{0}: only one key may go without an id (the one from before ids existed)")]
    TwoUnnamed(String),
    #[error("could not read or create the key file {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
}

/// A server key as given, with its id if it has one.
pub type NamedKey = (Option<String>, [u8; 32]);

/// One key of the ring.
struct RingKey {
    /// `None` for a key given alone, as before keys had ids: it seals in
    /// the format without an id.
    id: Option<String>,
    /// One cipher per [`Purpose`], under its subkey.
    ciphers: [Aes256Gcm; 4],
    /// The key itself, for values sealed before purposes existed.
    legacy: Aes256Gcm,
}

impl RingKey {
    fn new(id: Option<String>, key: &[u8; 32]) -> Self {
        let subkey = |purpose: Purpose| {
            let mut out = [0u8; 32];
            hkdf::Hkdf::<sha2::Sha256>::new(Some(b"autobank seal"), key)
                .expand(purpose.label(), &mut out)
                .expect("32 bytes is a valid HKDF-SHA-256 length");
            Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&out))
        };
        Self {
            id,
            ciphers: Purpose::ALL.map(subkey),
            legacy: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key)),
        }
    }

    fn cipher(&self, purpose: Purpose) -> &Aes256Gcm {
        &self.ciphers[purpose as usize]
    }
}

/// The keys that seal secrets: the first seals, every one opens, so that
/// instances can share old and new keys during a rolling change. Its
/// `Debug` hides them.
#[derive(Clone)]
pub struct SecretBox {
    keys: Arc<[RingKey]>,
    /// For [`SecretBox::mac`]: derived from a key, never a key itself. The
    /// database keeps it sealed (`keyring`), so that a key can be retired
    /// without invalidating what was MACed under it; see
    /// `services::keys::open_keyring`.
    mac_key: Arc<[u8; 32]>,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretBox(<{} key(s) redacted>)", self.keys.len())
    }
}

/// The associated data of values sealed before purposes existed, and of
/// recovery-code MACs.
fn aad(user_id: i64) -> [u8; 16] {
    let mut aad = *b"autobank:u\0\0\0\0\0\0";
    aad[8..].copy_from_slice(&user_id.to_be_bytes());
    aad
}

/// The MAC key derived from a server key, as it was before the database
/// kept one: what `keyring` starts from, so that recovery codes and client
/// secrets made before it still check.
fn derived_mac_key(key: &[u8; 32]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::new()
        .chain_update(b"autobank mac key v1\0")
        .chain_update(key)
        .finalize()
        .into()
}

/// Whether a sealed value is sealed under the key that seals now.
#[derive(Debug)]
pub enum Freshness {
    /// Under the first key, in its format.
    Current,
    /// Opens, but under another key or in an older format: the plaintext,
    /// to be sealed again.
    Stale(Vec<u8>),
    /// Opens under none of the keys.
    Unreadable,
}

impl SecretBox {
    /// Whether `other` is this very box (a clone of it), not merely one
    /// made from the same keys: for caches of what it opened.
    pub fn is(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.keys, &other.keys)
    }

    /// One key, without an id: as before keys had ids.
    pub fn from_key(key: &[u8; 32]) -> Self {
        Self::from_keys(&[(None, *key)])
    }

    /// Several keys; the first seals. `keys` must not be empty.
    pub fn from_keys(keys: &[NamedKey]) -> Self {
        assert!(!keys.is_empty(), "a secret box needs a key");
        assert!(
            keys.iter()
                .all(|(id, _)| id.as_ref().is_none_or(|id| id.len() <= MAX_ID_LEN)),
            "key ids are at most {MAX_ID_LEN} bytes (parse_keys refuses longer ones)"
        );
        // Before the database kept it, the MAC key was derived from the
        // one key; during a change the oldest key is given last.
        let oldest = &keys[keys.len() - 1].1;
        Self {
            keys: keys
                .iter()
                .map(|(id, key)| RingKey::new(id.clone(), key))
                .collect(),
            mac_key: Arc::new(derived_mac_key(oldest)),
        }
    }

    /// This box with the MAC key the database keeps.
    pub fn with_mac_key(&self, mac_key: [u8; 32]) -> Self {
        Self {
            keys: self.keys.clone(),
            mac_key: Arc::new(mac_key),
        }
    }

    /// The MAC key in use, for `services::keys` to keep it sealed in the
    /// database. Never logged, never sent.
    pub(crate) fn mac_key_bytes(&self) -> [u8; 32] {
        *self.mac_key
    }

    /// The id of the key that seals (`None`: the key given alone).
    pub fn sealing_key_id(&self) -> Option<&str> {
        self.keys[0].id.as_deref()
    }

    /// The ids of the other keys, which only open.
    pub fn other_key_ids(&self) -> Vec<String> {
        self.keys[1..]
            .iter()
            .map(|k| k.id.clone().unwrap_or_else(|| "(without id)".into()))
            .collect()
    }

    /// HMAC-SHA-256 of `message` for one user, in hex, under the MAC key:
    /// what the database keeps of a recovery code, so that a copy of the
    /// database alone cannot test guesses offline.
    pub fn mac(&self, user_id: i64, message: &[u8]) -> String {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.mac_key[..])
            .expect("HMAC takes a key of any length");
        mac.update(&aad(user_id));
        mac.update(message);
        hex::encode(mac.finalize().into_bytes())
    }

    /// The keys from `AUTOBANK_SECRET_KEYS` (several, `ID:BASE64` separated
    /// by commas, the first sealing) or `AUTOBANK_SECRET_KEY` (one) when
    /// given, which is how several instances share them; otherwise from
    /// the key file in `data_dir` (one key per line, in the same form),
    /// created with one new key on first start, readable only by its owner.
    pub fn load(env_keys: Option<&str>, data_dir: &Path) -> Result<Self, KeyError> {
        Ok(Self::from_keys(&Self::read_keys(env_keys, data_dir)?))
    }

    /// What [`SecretBox::load`] reads: the keys with their ids.
    pub fn read_keys(env_keys: Option<&str>, data_dir: &Path) -> Result<Vec<NamedKey>, KeyError> {
        if let Some(keys) = env_keys.filter(|k| !k.trim().is_empty()) {
            return parse_keys(keys, "AUTOBANK_SECRET_KEYS (or AUTOBANK_SECRET_KEY)");
        }
        let path = data_dir.join(KEY_FILE);
        let file_error = |source| KeyError::File {
            path: path.display().to_string(),
            source,
        };
        let origin = path.display().to_string();
        match std::fs::read_to_string(&path) {
            Ok(text) => parse_keys(&text, &origin),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(data_dir).map_err(file_error)?;
                let key: [u8; 32] = Aes256Gcm::generate_key(&mut OsRng).into();
                let written =
                    create_once(&path, STANDARD.encode(key).as_bytes()).map_err(file_error)?;
                // Another process may have made it first: theirs is the key.
                let text =
                    String::from_utf8(written).map_err(|_| KeyError::BadKey(origin.clone()))?;
                parse_keys(&text, &origin)
            }
            Err(err) => Err(file_error(err)),
        }
    }

    /// Seals `plaintext` for `purpose`, owned by `user_id`, under the
    /// first key: `2 || nonce || ciphertext` for a key without an id,
    /// `3 || id length || id || nonce || ciphertext` for one with.
    pub fn seal(&self, purpose: Purpose, user_id: i64, plaintext: &[u8]) -> Vec<u8> {
        let key = &self.keys[0];
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = purpose.aad(user_id);
        let sealed = key
            .cipher(purpose)
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .expect("AES-GCM encryption does not fail for small inputs");
        let id = key.id.as_deref().unwrap_or("").as_bytes();
        let mut out = Vec::with_capacity(2 + id.len() + NONCE_LEN + sealed.len());
        match &key.id {
            None => out.push(VERSION),
            Some(_) => {
                out.push(VERSION_WITH_ID);
                out.push(id.len() as u8);
                out.extend_from_slice(id);
            }
        }
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// `None` when the value was not sealed by one of these keys, for
    /// this purpose and this user.
    pub fn open(&self, purpose: Purpose, user_id: i64, sealed: &[u8]) -> Option<Vec<u8>> {
        self.open_with_key(purpose, user_id, sealed)
            .map(|(_, plain)| plain)
    }

    /// The plaintext and the index of the key that opened it.
    fn open_with_key(
        &self,
        purpose: Purpose,
        user_id: i64,
        sealed: &[u8],
    ) -> Option<(usize, Vec<u8>)> {
        let aad = purpose.aad(user_id);
        match *sealed.first()? {
            // Sealed by a key without an id: any key may be it (during a
            // change, the old key is given with an id).
            VERSION => self.keys.iter().enumerate().find_map(|(at, key)| {
                open_with(key.cipher(purpose), &sealed[1..], &aad).map(|p| (at, p))
            }),
            VERSION_WITH_ID => {
                let len = usize::from(*sealed.get(1)?);
                let id = sealed.get(2..2 + len)?;
                let at = self
                    .keys
                    .iter()
                    .position(|k| k.id.as_deref().map(str::as_bytes) == Some(id))?;
                open_with(self.keys[at].cipher(purpose), &sealed[2 + len..], &aad).map(|p| (at, p))
            }
            _ => None,
        }
    }

    /// Opens a value sealed before purposes existed (a server key, the
    /// user id alone): only to seal it again under its purpose.
    pub fn open_legacy(&self, user_id: i64, sealed: &[u8]) -> Option<Vec<u8>> {
        self.keys
            .iter()
            .find_map(|key| open_with(&key.legacy, sealed, &aad(user_id)))
    }

    /// Whether `sealed` is under the key that seals now; if not, what it
    /// holds. The format from before purposes existed counts for TOTP
    /// secrets only, the one purpose that had it.
    pub fn freshness(&self, purpose: Purpose, user_id: i64, sealed: &[u8]) -> Freshness {
        if let Some((at, plain)) = self.open_with_key(purpose, user_id, sealed) {
            let first_format = if self.keys[0].id.is_some() {
                VERSION_WITH_ID
            } else {
                VERSION
            };
            return if at == 0 && sealed[0] == first_format {
                Freshness::Current
            } else {
                Freshness::Stale(plain)
            };
        }
        match purpose {
            Purpose::TotpSecret => self
                .open_legacy(user_id, sealed)
                .map_or(Freshness::Unreadable, Freshness::Stale),
            _ => Freshness::Unreadable,
        }
    }
}

/// Keys as `AUTOBANK_SECRET_KEYS` or the key file give them: entries
/// separated by commas or lines, each `BASE64` or `ID:BASE64`; the first
/// seals. `origin` names where they came from in an error, never a key.
fn parse_keys(text: &str, origin: &str) -> Result<Vec<NamedKey>, KeyError> {
    let mut keys: Vec<NamedKey> = Vec::new();
    for entry in text
        .split([',', '\n'])
        .map(str::trim)
        .filter(|e| !e.is_empty() && !e.starts_with('#'))
    {
        let bad = || KeyError::BadKey(origin.to_owned());
        let (id, encoded) = match entry.split_once(':') {
            Some((id, encoded)) => {
                let id = id.trim();
                let fine = !id.is_empty()
                    && id.len() <= MAX_ID_LEN
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
                if !fine {
                    return Err(bad());
                }
                (Some(id.to_owned()), encoded.trim())
            }
            None => (None, entry),
        };
        let key: [u8; 32] = STANDARD
            .decode(encoded)
            .ok()
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or_else(bad)?;
        match &id {
            Some(id) if keys.iter().any(|(other, _)| other.as_ref() == Some(id)) => {
                return Err(KeyError::SameId(origin.to_owned(), id.clone()))
            }
            None if keys.iter().any(|(other, _)| other.is_none()) => {
                return Err(KeyError::TwoUnnamed(origin.to_owned()))
            }
            _ => {}
        }
        keys.push((id, key));
    }
    if keys.is_empty() {
        return Err(KeyError::BadKey(origin.to_owned()));
    }
    Ok(keys)
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
            let other = sb.keys[0].cipher(to);
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

    fn key(byte: u8) -> [u8; 32] {
        [byte; 32]
    }

    #[test]
    fn during_a_change_both_keys_open_and_the_first_seals() {
        let old = SecretBox::from_key(&key(1));
        let by_old = old.seal(TOTP, 7, b"old secret");
        let ring =
            SecretBox::from_keys(&[(Some("new".into()), key(2)), (Some("old".into()), key(1))]);
        assert_eq!(
            ring.open(TOTP, 7, &by_old).as_deref(),
            Some(&b"old secret"[..])
        );
        let by_new = ring.seal(TOTP, 7, b"new secret");
        assert_eq!(&by_new[..5], b"\x03\x03new", "the format with the id");
        assert_eq!(
            old.open(TOTP, 7, &by_new),
            None,
            "the old key alone cannot open it"
        );
        let new_alone = SecretBox::from_keys(&[(Some("new".into()), key(2))]);
        assert_eq!(
            new_alone.open(TOTP, 7, &by_new).as_deref(),
            Some(&b"new secret"[..])
        );
        assert_eq!(
            new_alone.open(TOTP, 7, &by_old),
            None,
            "the old key is gone"
        );
        // Freshness: what the reseal reads.
        assert!(matches!(
            ring.freshness(TOTP, 7, &by_new),
            Freshness::Current
        ));
        assert!(
            matches!(ring.freshness(TOTP, 7, &by_old), Freshness::Stale(p) if p == b"old secret")
        );
        assert!(matches!(
            new_alone.freshness(TOTP, 7, &by_old),
            Freshness::Unreadable
        ));
        assert!(matches!(
            old.freshness(TOTP, 7, &by_old),
            Freshness::Current
        ));
    }

    #[test]
    fn an_id_names_one_key_and_a_forged_id_opens_nothing() {
        let ring = SecretBox::from_keys(&[(Some("a".into()), key(1)), (Some("b".into()), key(2))]);
        let sealed = ring.seal(TOTP, 7, b"x");
        let mut renamed = sealed.clone();
        renamed[2] = b'b';
        assert_eq!(ring.open(TOTP, 7, &renamed), None, "key b did not seal it");
        let mut cut = sealed.clone();
        cut[1] = 200;
        assert_eq!(
            ring.open(TOTP, 7, &cut),
            None,
            "an id longer than the value"
        );
        assert_eq!(ring.open(TOTP, 7, &[3]), None);
        assert_eq!(ring.open(TOTP, 7, &[]), None);
    }

    #[test]
    fn keys_are_read_with_their_ids_and_bad_lists_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (STANDARD.encode(key(1)), STANDARD.encode(key(2)));
        let keys = SecretBox::read_keys(Some(&format!("new:{b}, old:{a}")), dir.path()).unwrap();
        assert_eq!(
            keys,
            vec![(Some("new".into()), key(2)), (Some("old".into()), key(1))]
        );
        let keys = SecretBox::read_keys(Some(&format!("2026-12:{b},{a}")), dir.path()).unwrap();
        assert_eq!(
            keys[1],
            (None, key(1)),
            "the key from before ids, as it was"
        );
        for bad in [
            format!("x:{b},x:{a}"),
            format!("{b},{a}"),
            format!("bad id:{b}"),
            format!("{}:{b}", "i".repeat(33)),
            "new:c2hvcnQ=".to_owned(),
            ",".to_owned(),
        ] {
            let err = SecretBox::read_keys(Some(&bad), dir.path()).unwrap_err();
            assert!(
                !err.to_string().contains(&b[..8]),
                "never prints a key: {err}"
            );
        }
        std::fs::write(
            dir.path().join(KEY_FILE),
            format!("# the new one first\nnew:{b}\nold:{a}\n"),
        )
        .unwrap();
        let keys = SecretBox::read_keys(None, dir.path()).unwrap();
        assert_eq!(keys.len(), 2, "a key file with several keys");
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
            Err(KeyError::BadKey(_))
        ));
        assert!(
            !dir.path().join(KEY_FILE).exists(),
            "no key file when the variable is set"
        );
    }
}
