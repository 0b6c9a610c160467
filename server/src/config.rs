//! Settings, read once at start from the environment.

use app::server::crypto::SecretBox;
use leptos::prelude::LeptosOptions;
use std::net::IpAddr;
use std::path::PathBuf;

/// Where the data lives when `DATABASE_URL` is unset.
pub const DEFAULT_DATA_DIR: &str = "data";

#[derive(Debug, Clone)]
pub struct Settings {
    /// `sqlite://...` or `postgres://...`.
    pub database_url: String,
    /// Folder for the embedded database and the key file.
    pub data_dir: PathBuf,
    /// `AUTOBANK_SECRET_KEY`: base64 of the 32-byte key that seals TOTP
    /// secrets. Unset: a key file in `data_dir`, created on first start.
    pub secret_key: Option<String>,
    /// `AUTOBANK_TRUSTED_PROXIES`: comma-separated addresses of the load
    /// balancers whose `X-Forwarded-For` names the client. Empty: none.
    pub trusted_proxies: Vec<IpAddr>,
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
            _ => {
                std::fs::create_dir_all(&data_dir)?;
                sqlite_url(&data_dir.join("autobank.db"))
            }
        };
        let secret_key = std::env::var("AUTOBANK_SECRET_KEY").ok();
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
        Ok(Self {
            database_url,
            data_dir,
            secret_key,
            trusted_proxies,
        })
    }

    /// The key that seals TOTP secrets.
    pub fn secrets(&self) -> anyhow::Result<SecretBox> {
        if self.secret_key.is_none() && !self.database_url.starts_with("sqlite:") {
            tracing::warn!(
                "AUTOBANK_SECRET_KEY is unset: using a key file in {}; instances that share the database must share this key",
                self.data_dir.display()
            );
        }
        Ok(SecretBox::load(self.secret_key.as_deref(), &self.data_dir)?)
    }
}

pub fn sqlite_url(path: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// Leptos's own settings (`LEPTOS_SITE_ADDR`, `LEPTOS_SITE_ROOT`, ...), as
/// cargo-leptos sets them, with this project's names as defaults.
pub fn leptos_options() -> anyhow::Result<LeptosOptions> {
    let mut options = leptos::config::get_configuration(None)?.leptos_options;
    if options.output_name.is_empty() {
        options.output_name = "autobank".into();
    }
    Ok(options)
}
