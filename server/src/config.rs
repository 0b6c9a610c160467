//! Settings, read once at start from the environment.

use app::server::crypto::SecretBox;
use app::server::password::HashLimits;
use leptos::prelude::LeptosOptions;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the data lives when `DATABASE_URL` is unset.
pub const DEFAULT_DATA_DIR: &str = "data";

/// How log lines are written (`AUTOBANK_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

const DAY_SECS: u64 = 24 * 60 * 60;

/// The limits that keep a flood from taking the server down, and the age
/// at which records go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// argon2 at once, waiting, and the longest wait
    /// (`AUTOBANK_HASH_QUEUE`, `AUTOBANK_HASH_WAIT_MS`).
    pub hashes: HashLimits,
    /// The longest a request may take (`AUTOBANK_REQUEST_TIMEOUT_SECS`).
    pub request_timeout: Duration,
    /// State-changing requests per client address and minute, after a
    /// first burst (`AUTOBANK_POSTS_PER_MINUTE`, `AUTOBANK_POST_BURST`).
    /// Counted per instance.
    pub posts_per_minute: u32,
    pub post_burst: u32,
    /// How long the audit trail keeps a record
    /// (`AUTOBANK_AUDIT_RETENTION_DAYS`).
    pub audit_retention: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            hashes: HashLimits::default(),
            request_timeout: Duration::from_secs(10),
            // A showroom's staff share one address behind its router: a
            // minute's worth at once, then one a second.
            posts_per_minute: 60,
            post_burst: 60,
            audit_retention: Duration::from_secs(400 * DAY_SECS),
        }
    }
}

impl Limits {
    fn from_env() -> anyhow::Result<Self> {
        let mut limits = Self::default();
        if let Some(n) = number("AUTOBANK_HASH_QUEUE")? {
            limits.hashes.waiting = n as usize;
        }
        if let Some(ms) = number("AUTOBANK_HASH_WAIT_MS")? {
            limits.hashes.max_wait = Duration::from_millis(ms);
        }
        if let Some(n) = number("AUTOBANK_POSTS_PER_MINUTE")? {
            limits.posts_per_minute = n.clamp(1, u32::MAX as u64) as u32;
        }
        if let Some(n) = number("AUTOBANK_POST_BURST")? {
            limits.post_burst = n.clamp(1, u32::MAX as u64) as u32;
        }
        if let Some(days) = number("AUTOBANK_AUDIT_RETENTION_DAYS")? {
            anyhow::ensure!(
                (1..=36_500).contains(&days),
                "AUTOBANK_AUDIT_RETENTION_DAYS must be 1 to 36500"
            );
            limits.audit_retention = Duration::from_secs(days * DAY_SECS);
        }
        if let Some(secs) = number("AUTOBANK_REQUEST_TIMEOUT_SECS")? {
            anyhow::ensure!(secs > 0, "AUTOBANK_REQUEST_TIMEOUT_SECS must be at least 1");
            limits.request_timeout = Duration::from_secs(secs);
        }
        Ok(limits)
    }
}

/// A whole number from the environment, if set.
fn number(name: &str) -> anyhow::Result<Option<u64>> {
    match std::env::var(name) {
        Ok(raw) if !raw.trim().is_empty() => raw
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| anyhow::anyhow!("{name} must be a whole number, not {raw:?}")),
        _ => Ok(None),
    }
}

/// Everything read from the environment, once, at start. Its `Debug`
/// hides the key and any password in the database URL.
#[derive(Clone)]
pub struct Settings {
    /// `sqlite://...` or `postgres://...`.
    pub database_url: String,
    /// Folder for the embedded database and the key file.
    pub data_dir: PathBuf,
    /// `AUTOBANK_SECRET_KEYS` (`ID:BASE64,...`, the first sealing, all
    /// opening: a rolling key change) or `AUTOBANK_SECRET_KEY` (one key):
    /// the keys that seal TOTP secrets and the other secrets at rest.
    /// Unset: the key file in `data_dir`, created on first start.
    pub secret_key: Option<String>,
    /// `AUTOBANK_TRUSTED_PROXIES`: comma-separated addresses of the load
    /// balancers whose `X-Forwarded-For` names the client. Empty: none.
    pub trusted_proxies: Vec<IpAddr>,
    /// `AUTOBANK_LOG_FORMAT`: `json`, or human-readable text.
    pub log_format: LogFormat,
    pub limits: Limits,
    /// `AUTOBANK_ISSUER`: the OpenID Connect issuer, the portal's public
    /// URL (https; plain http only on loopback). Unset: the listening
    /// address when it is loopback (development), otherwise the provider
    /// is off.
    pub issuer: Option<String>,
    /// `AUTOBANK_METRICS_ADDR`: where `/metrics` is served (Prometheus),
    /// on a private address only. Unset: nowhere.
    pub metrics_addr: Option<std::net::SocketAddr>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &redact_url(&self.database_url))
            .field("data_dir", &self.data_dir)
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "<redacted>"),
            )
            .field("trusted_proxies", &self.trusted_proxies)
            .field("log_format", &self.log_format)
            .field("limits", &self.limits)
            .field("issuer", &self.issuer)
            .field("metrics_addr", &self.metrics_addr)
            .finish()
    }
}

/// An issuer URL as OpenID Connect Core 2 wants it: https (plain http
/// only on loopback), no query, no fragment; the trailing slash dropped,
/// since every endpoint's path is appended to it.
pub fn issuer(raw: &str) -> anyhow::Result<String> {
    let uri = app::server::services::clients::check_uri(raw)
        .map_err(|why| anyhow::anyhow!("AUTOBANK_ISSUER: {raw:?}: {why}"))?;
    if uri.contains('?') {
        anyhow::bail!("AUTOBANK_ISSUER: {raw:?} must not have a query");
    }
    Ok(uri.trim_end_matches('/').to_owned())
}

/// A database URL without its password or its parameters (which may
/// carry one): `postgres://user:***@host/db`.
fn redact_url(url: &str) -> String {
    let url = url.split('?').next().unwrap_or_default();
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.rsplit_once('@') {
        Some((user_info, host)) => {
            let user = user_info.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_owned(),
    }
}

impl Settings {
    /// `DATABASE_URL`, or a SQLite file under `AUTOBANK_DATA_DIR`
    /// (default `data/`), created on first start.
    pub fn from_env() -> anyhow::Result<Self> {
        let data_dir = PathBuf::from(
            std::env::var("AUTOBANK_DATA_DIR").unwrap_or_else(|_| DEFAULT_DATA_DIR.into()),
        );
        let database_url = match std::env::var("DATABASE_URL") {
            Ok(url) if !url.trim().is_empty() => url,
            _ => sqlite_url(&data_dir.join("autobank.db")),
        };
        if let Some(file) = sqlite_file(&database_url) {
            private_sqlite_file(&file)?;
        }
        // An empty value (`AUTOBANK_SECRET_KEY=${UNSET}` in a compose file)
        // is no key: on PostgreSQL the start is refused, not given a key
        // file of this instance's own.
        let given = |name| {
            std::env::var(name)
                .ok()
                .filter(|k: &String| !k.trim().is_empty())
        };
        let secret_key = match (given("AUTOBANK_SECRET_KEYS"), given("AUTOBANK_SECRET_KEY")) {
            (Some(_), Some(_)) => anyhow::bail!(
                "AUTOBANK_SECRET_KEYS and AUTOBANK_SECRET_KEY are both set: give the keys in \
                 AUTOBANK_SECRET_KEYS alone"
            ),
            (keys, key) => keys.or(key),
        };
        let trusted_proxies = std::env::var("AUTOBANK_TRUSTED_PROXIES")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse().map_err(|_| {
                    anyhow::anyhow!("AUTOBANK_TRUSTED_PROXIES: {s:?} is not an IP address")
                })
            })
            .collect::<anyhow::Result<_>>()?;
        let log_format = match std::env::var("AUTOBANK_LOG_FORMAT").as_deref() {
            Ok("json") => LogFormat::Json,
            Ok("text") | Ok("") | Err(_) => LogFormat::Text,
            Ok(other) => anyhow::bail!("AUTOBANK_LOG_FORMAT must be json or text, not {other:?}"),
        };
        let issuer = match std::env::var("AUTOBANK_ISSUER") {
            Ok(raw) if !raw.trim().is_empty() => Some(issuer(&raw)?),
            _ => None,
        };
        let metrics_addr = match std::env::var("AUTOBANK_METRICS_ADDR") {
            Ok(raw) if !raw.trim().is_empty() => Some(raw.trim().parse().map_err(|_| {
                anyhow::anyhow!("AUTOBANK_METRICS_ADDR: {raw:?} is not an address and port (127.0.0.1:9100, say)")
            })?),
            _ => None,
        };
        Ok(Self {
            metrics_addr,
            database_url,
            data_dir,
            secret_key,
            trusted_proxies,
            log_format,
            limits: Limits::from_env()?,
            issuer,
        })
    }

    /// The key that seals TOTP secrets. On PostgreSQL it must be given:
    /// instances that share the database must share the key, and a key
    /// file of each instance's own would lock out every MFA user who lands
    /// on another one.
    pub fn secrets(&self) -> anyhow::Result<SecretBox> {
        if self.secret_key.is_none() && !self.database_url.starts_with("sqlite:") {
            anyhow::bail!(
                "AUTOBANK_SECRET_KEY is unset. On PostgreSQL every instance must be given the same key \
                 (base64 of 32 random bytes, e.g. `openssl rand -base64 32`), or the same keys in \
                 AUTOBANK_SECRET_KEYS; refusing to start."
            );
        }
        if self.secret_key.is_none() {
            private_dir(&self.data_dir)?;
        }
        Ok(SecretBox::load(self.secret_key.as_deref(), &self.data_dir)?)
    }
}

/// Makes the data folder readable by its owner alone (0700), creating it
/// if need be.
pub fn private_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| anyhow::anyhow!("cannot make {} private: {e}", dir.display()))?;
    }
    Ok(())
}

/// Creates the SQLite file readable and writable by its owner alone (0600),
/// or makes an existing one so, in a private folder. SQLite gives its
/// `-wal` and `-shm` files the database file's permissions; existing ones
/// are made private here too.
pub fn private_sqlite_file(file: &Path) -> anyhow::Result<()> {
    private_dir(file.parent().unwrap_or(Path::new(".")))?;
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        options.open(file)?;
        for suffix in ["", "-wal", "-shm"] {
            let path = PathBuf::from(format!("{}{suffix}", file.display()));
            if path.exists() {
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    #[cfg(not(unix))]
    options.open(file)?;
    Ok(())
}

/// The file a `sqlite://` URL names, if it names one (not `:memory:`).
pub fn sqlite_file(url: &str) -> Option<PathBuf> {
    let path = url.strip_prefix("sqlite://")?.split('?').next()?;
    (!path.is_empty() && !path.contains(":memory:")).then(|| PathBuf::from(path))
}

pub fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// Leptos's own settings (`LEPTOS_SITE_ADDR`, `LEPTOS_SITE_ROOT`, ...), as
/// cargo-leptos sets them, with this project's names as defaults. Without
/// `LEPTOS_ENV` the server runs in production mode (Leptos's own default
/// is development, whose CSP lets a dev-reload WebSocket in): only
/// `cargo leptos watch`, which sets `LEPTOS_ENV=DEV`, is development.
/// Without `LEPTOS_HASH_FILES`, hashed names are used when the build left
/// its hash file next to the executable.
pub fn leptos_options() -> anyhow::Result<LeptosOptions> {
    let mut options = leptos::config::get_configuration(None)?.leptos_options;
    if options.output_name.is_empty() {
        options.output_name = "autobank".into();
    }
    if std::env::var_os("LEPTOS_ENV").is_none() {
        options.env = leptos::config::Env::PROD;
    }
    // The build names its files after their content and leaves a hash
    // file next to the executable: then the pages must link those names.
    if std::env::var_os("LEPTOS_HASH_FILES").is_none() {
        options.hash_files = std::env::current_exe()
            .ok()
            .and_then(|exe| Some(exe.parent()?.join(options.hash_file.as_ref())))
            .is_some_and(|hash_file| hash_file.is_file());
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(database_url: &str, data_dir: &Path) -> Settings {
        Settings {
            database_url: database_url.into(),
            data_dir: data_dir.into(),
            secret_key: None,
            trusted_proxies: vec![],
            log_format: LogFormat::Text,
            limits: Limits::default(),
            issuer: None,
            metrics_addr: None,
        }
    }

    #[test]
    fn postgresql_will_not_start_without_a_shared_key() {
        let dir = tempfile::tempdir().unwrap();
        let mut pg = settings("postgres://app@db.example/autobank", dir.path());
        let Err(err) = pg.secrets() else {
            panic!("PostgreSQL without a key must be refused");
        };
        let err = err.to_string();
        assert!(err.contains("AUTOBANK_SECRET_KEY"), "{err}");
        assert!(
            std::fs::read_dir(dir.path()).unwrap().next().is_none(),
            "no key file of its own was made"
        );
        pg.secret_key = Some("AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=".into());
        assert!(pg.secrets().is_ok());
        let sqlite = settings("sqlite://x.db", dir.path());
        assert!(sqlite.secrets().is_ok(), "SQLite makes a key file");
    }

    #[test]
    fn without_leptos_env_the_server_is_in_production_mode() {
        // Only this test reads or writes LEPTOS_ENV.
        std::env::remove_var("LEPTOS_ENV");
        assert_eq!(leptos_options().unwrap().env, leptos::config::Env::PROD);
        std::env::set_var("LEPTOS_ENV", "DEV");
        assert_eq!(leptos_options().unwrap().env, leptos::config::Env::DEV);
        std::env::remove_var("LEPTOS_ENV");
    }

    #[cfg(unix)]
    #[test]
    fn the_data_folder_and_database_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("data");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let wal = dir.join("autobank.db-wal");
        std::fs::write(&wal, b"").unwrap();
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o644)).unwrap();
        let file = dir.join("autobank.db");
        private_sqlite_file(&file).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&wal), 0o600);
    }

    #[test]
    fn debug_hides_the_key_and_the_database_password() {
        let settings = Settings {
            database_url: "postgres://app:hunter2@secret@db.example/autobank?password=x-pw-x"
                .into(),
            data_dir: "data".into(),
            secret_key: Some("c2VjcmV0LWtleS1tYXRlcmlhbA==".into()),
            trusted_proxies: vec![],
            log_format: LogFormat::Text,
            limits: Limits::default(),
            issuer: None,
            metrics_addr: None,
        };
        let shown = format!("{settings:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("x-pw-x"),
            "{shown}"
        );
        assert!(!shown.contains("c2VjcmV0LWtleS1tYXRlcmlhbA"), "{shown}");
        assert!(
            shown.contains("postgres://app:***@db.example/autobank"),
            "{shown}"
        );
    }
}
