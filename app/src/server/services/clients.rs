//! The business applications that sign in through the portal (OpenID
//! Connect clients): registering them, their secrets (shown once, kept
//! only as an HMAC under the server key), and the strict rules for their
//! URIs. Every change is recorded.

use crate::error::AppError;
use crate::server::crypto::SecretBox;
use crate::server::db::audit::{Actor, Entry, Event};
use crate::server::db::change::Seen;
use crate::server::db::clients::{self, ClientRow, NewClient};
use crate::server::db::{self, Db};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;

/// The tiles a client may serve: the menu's business tiles by their path's
/// last part, and `search` (`検索ログイン`); the same as the console offers
/// (`text::client_tiles`, a test checks).
pub const TILES: [&str; 8] = [
    "terminal",
    "search-settings",
    "inventory",
    "estimates",
    "customers",
    "quality-reports",
    "web-negotiations",
    "search",
];

/// What an operator or an admin registers.
#[derive(Debug, Clone, Default)]
pub struct ClientSpec {
    pub name: String,
    /// A public client (a browser or mobile app: PKCE, no secret).
    pub public: bool,
    pub redirect_uris: Vec<String>,
    pub post_logout_uris: Vec<String>,
    pub backchannel_logout_uri: Option<String>,
    /// Sign-in to this client needs MFA, whatever the account's policy.
    pub mfa_required: bool,
    pub tile: Option<String>,
    pub start_url: Option<String>,
}

/// Why a registration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    #[error("the name must be 1 to 100 characters")]
    Name,
    #[error("at least one redirect URI is needed")]
    NoRedirectUri,
    #[error("{0:?}: {1}")]
    Uri(String, &'static str),
    #[error("the tile must be one of: {}", TILES.join(", "))]
    Tile,
    #[error("that tile is bound to another client already")]
    TileTaken,
    #[error("a tile needs a start URL, and a start URL a tile")]
    TileWithoutStart,
}

/// A client as an operator or an admin sees it: never its secret or
/// hash. The same shape the console's page receives.
pub use crate::types::ClientView as ClientInfo;

/// Who changes the register, and what must still hold when the change
/// lands: for an admin in the console, that they are still an admin,
/// signed in on that session; for the command line, nothing.
pub struct Changer {
    pub actor: Actor,
    pub seen: Seen,
}

impl Changer {
    /// An operator at the server's command line.
    pub fn operator(actor: Actor) -> Self {
        Self {
            actor,
            seen: Seen::nothing(),
        }
    }
}

/// What registering gives, once: the client ID and, for a confidential
/// client, its secret. No `Debug`: it holds the secret.
pub struct Registered {
    pub client_id: String,
    pub secret: Option<String>,
}

/// A URI a client may register: absolute, `https`, or `http` on loopback
/// only (development); no fragment, no user information, no wildcard. It is
/// kept as written and later matched exactly, byte for byte.
pub fn check_uri(raw: &str) -> Result<String, &'static str> {
    if raw.is_empty() || raw.len() > 2000 || raw.trim() != raw {
        return Err("a URI of 1 to 2000 characters without surrounding spaces");
    }
    if raw.contains('*') {
        return Err("no wildcards: every URI is matched exactly");
    }
    let url = url::Url::parse(raw).map_err(|_| "not an absolute URI")?;
    if url.fragment().is_some() || raw.contains('#') {
        return Err("no fragment (#...)");
    }
    if !url.username().is_empty() || url.password().is_some() || raw.contains('@') {
        return Err("no user information (user@host)");
    }
    let loopback = matches!(
        url.host(),
        Some(url::Host::Ipv4(ip)) if ip.is_loopback()
    ) || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
        || url.host_str() == Some("localhost");
    match url.scheme() {
        "https" if url.host().is_some() => Ok(raw.to_owned()),
        "http" if loopback => Ok(raw.to_owned()),
        "http" => Err("https only (plain http is for loopback in development)"),
        _ => Err("https only"),
    }
}

pub fn check(spec: &ClientSpec) -> Result<(), Invalid> {
    let name = spec.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Invalid::Name);
    }
    if spec.redirect_uris.is_empty() {
        return Err(Invalid::NoRedirectUri);
    }
    let uris = spec
        .redirect_uris
        .iter()
        .chain(&spec.post_logout_uris)
        .chain(&spec.backchannel_logout_uri)
        .chain(&spec.start_url);
    for uri in uris {
        check_uri(uri).map_err(|why| Invalid::Uri(uri.clone(), why))?;
    }
    // Each URI is stored once per kind (a primary key): a repeat would
    // otherwise fail as a taken tile.
    for list in [&spec.redirect_uris, &spec.post_logout_uris] {
        let repeated = list
            .iter()
            .enumerate()
            .find(|(i, u)| list[..*i].contains(u));
        if let Some((_, uri)) = repeated {
            return Err(Invalid::Uri(uri.clone(), "given twice"));
        }
    }
    if let Some(tile) = &spec.tile {
        if !TILES.contains(&tile.as_str()) {
            return Err(Invalid::Tile);
        }
    }
    if spec.tile.is_some() != spec.start_url.is_some() {
        return Err(Invalid::TileWithoutStart);
    }
    Ok(())
}

fn random_bytes(bytes: usize) -> Vec<u8> {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    buf
}

fn random(bytes: usize) -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(bytes))
}

/// The stored form of a client's secret.
fn hash(secrets: &SecretBox, row_id: i64, secret: &str) -> String {
    secrets.mac(row_id, format!("client-secret:{secret}").as_bytes())
}

/// Registers a client. Its secret (256 random bits) is in the answer and
/// nowhere else.
pub async fn register(
    db: &Db,
    secrets: &SecretBox,
    spec: &ClientSpec,
    by: Changer,
    now: i64,
) -> Result<Result<Registered, Invalid>, AppError> {
    if let Err(invalid) = check(spec) {
        return Ok(Err(invalid));
    }
    // Hex, not base64url: an ID that began with '-' would read as an
    // option to `autobank client show|remove|new-secret` (1 in 32 did).
    let client_id = hex::encode(random_bytes(16));
    let secret = (!spec.public).then(|| random(32));
    let client = NewClient {
        client_id: &client_id,
        name: spec.name.trim(),
        kind: if spec.public {
            "public"
        } else {
            "confidential"
        },
        mfa_required: spec.mfa_required,
        tile: spec.tile.as_deref(),
        start_url: spec.start_url.as_deref(),
        backchannel_logout_uri: spec.backchannel_logout_uri.as_deref(),
        redirect_uris: &spec.redirect_uris,
        post_logout_uris: &spec.post_logout_uris,
    };
    let entry = Entry::new(by.actor, Event::ClientRegistered);
    let hashed = |id| secret.as_deref().map(|s| hash(secrets, id, s));
    match clients::insert(db, &by.seen, client, hashed, now, &entry).await {
        Ok(Some(_)) => Ok(Ok(Registered { client_id, secret })),
        Ok(None) => Err(AppError::Changed),
        // The client ID is random: a taken unique value is the tile.
        Err(err) if db::is_unique_violation(&err) => Ok(Err(Invalid::TileTaken)),
        Err(err) => Err(err.into()),
    }
}

fn info(row: ClientRow, uris: Vec<(String, String)>) -> ClientInfo {
    let (mut redirect_uris, mut post_logout_uris) = (Vec::new(), Vec::new());
    for (kind, uri) in uris {
        match kind.as_str() {
            "redirect" => redirect_uris.push(uri),
            _ => post_logout_uris.push(uri),
        }
    }
    ClientInfo {
        redirect_uris,
        post_logout_uris,
        public: row.is_public(),
        client_id: row.client_id,
        name: row.name,
        mfa_required: row.mfa_required == 1,
        tile: row.tile,
        start_url: row.start_url,
        backchannel_logout_uri: row.backchannel_logout_uri,
    }
}

pub async fn find(db: &Db, client_id: &str) -> Result<Option<ClientInfo>, AppError> {
    Ok(clients::find_with_uris(db, client_id)
        .await?
        .map(|(row, uris)| info(row, uris)))
}

pub async fn list(db: &Db) -> Result<Vec<ClientInfo>, AppError> {
    let mut out = Vec::new();
    for row in clients::list(db).await? {
        let uris = clients::uris(db, row.id).await?;
        out.push(info(row, uris));
    }
    Ok(out)
}

/// Removes a client. False when there is none of that ID.
pub async fn remove(db: &Db, client_id: &str, by: Changer, now: i64) -> Result<bool, AppError> {
    let Some(row) = clients::find(db, client_id).await? else {
        return Ok(false);
    };
    let entry = Entry::new(by.actor, Event::ClientRemoved).with_detail(client_id);
    clients::remove(db, &by.seen, row.id, now, &entry)
        .await?
        .ok_or(AppError::Changed)
}

/// A new secret for a confidential client; the old one stops working at
/// once. `None` when there is no such confidential client.
pub async fn new_secret(
    db: &Db,
    secrets: &SecretBox,
    client_id: &str,
    by: Changer,
    now: i64,
) -> Result<Option<String>, AppError> {
    let Some(row) = clients::find(db, client_id).await? else {
        return Ok(None);
    };
    let secret = random(32);
    let entry = Entry::new(by.actor, Event::ClientSecretReplaced).with_detail(client_id);
    let stored = hash(secrets, row.id, &secret);
    Ok(
        clients::set_secret(db, &by.seen, row.id, &stored, now, &entry)
            .await?
            .ok_or(AppError::Changed)?
            .then_some(secret),
    )
}

/// The confidential client `client_id`, if `secret` is its secret
/// (compared in constant time). A public client never authenticates.
pub async fn authenticate(
    db: &Db,
    secrets: &SecretBox,
    client_id: &str,
    secret: &str,
) -> Result<Option<ClientInfo>, AppError> {
    let Some((row, uris)) = clients::find_with_uris(db, client_id).await? else {
        return Ok(None);
    };
    let Some(stored) = row.secret_hash.as_deref() else {
        return Ok(None);
    };
    let given = hash(secrets, row.id, secret);
    let same =
        aws_lc_rs::constant_time::verify_slices_are_equal(given.as_bytes(), stored.as_bytes())
            .is_ok();
    Ok(same.then(|| info(row, uris)))
}

/// The public client `client_id`, which names itself and has no secret.
pub async fn public(db: &Db, client_id: &str) -> Result<Option<ClientInfo>, AppError> {
    Ok(clients::find_with_uris(db, client_id)
        .await?
        .filter(|(row, _)| row.is_public())
        .map(|(row, uris)| info(row, uris)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_console_offers_exactly_the_tiles_a_client_may_serve() {
        let offered: Vec<&str> = crate::text::client_tiles().map(|(name, _)| name).collect();
        assert_eq!(offered, TILES);
    }

    #[test]
    fn a_uri_is_https_or_loopback_http_and_nothing_loose() {
        for ok in [
            "https://app.example.jp/callback",
            "https://app.example.jp:8443/cb?x=1",
            "https://app.example.jp/%E3%81%82",
            "http://127.0.0.1:8080/cb",
            "http://[::1]:8080/cb",
            "http://localhost:3000/cb",
        ] {
            assert_eq!(check_uri(ok).as_deref(), Ok(ok), "{ok}");
        }
        for bad in [
            "",
            "/callback",
            "app.example.jp/callback",
            "http://app.example.jp/callback",
            "https://app.example.jp/cb#x",
            "https://user@app.example.jp/cb",
            "https://evil.example@app.example.jp/cb",
            "https://*.example.jp/cb",
            "javascript:alert(1)",
            "data:text/html,x",
            " https://app.example.jp/cb",
            "https://app.example.jp/cb ",
            "http://127.0.0.1.evil.example/cb",
            "http://localhost.evil.example/cb",
            "ftp://app.example.jp/cb",
        ] {
            assert!(check_uri(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn a_registration_needs_a_name_a_redirect_and_a_known_tile_with_its_start() {
        let good = ClientSpec {
            name: "在庫登録".into(),
            redirect_uris: vec!["https://zaiko.example.jp/cb".into()],
            ..Default::default()
        };
        assert_eq!(check(&good), Ok(()));
        let no_name = ClientSpec {
            name: " ".into(),
            ..good.clone()
        };
        assert_eq!(check(&no_name), Err(Invalid::Name));
        let no_uri = ClientSpec {
            redirect_uris: vec![],
            ..good.clone()
        };
        assert_eq!(check(&no_uri), Err(Invalid::NoRedirectUri));
        let twice = ClientSpec {
            redirect_uris: vec![good.redirect_uris[0].clone(), good.redirect_uris[0].clone()],
            ..good.clone()
        };
        assert!(matches!(check(&twice), Err(Invalid::Uri(_, "given twice"))));
        let tile = ClientSpec {
            tile: Some("inventory".into()),
            start_url: Some("https://zaiko.example.jp/".into()),
            ..good.clone()
        };
        assert_eq!(check(&tile), Ok(()));
        let unknown = ClientSpec {
            tile: Some("mfa".into()),
            ..tile.clone()
        };
        assert_eq!(check(&unknown), Err(Invalid::Tile));
        let no_start = ClientSpec {
            start_url: None,
            ..tile.clone()
        };
        assert_eq!(check(&no_start), Err(Invalid::TileWithoutStart));
        let bad_logout = ClientSpec {
            backchannel_logout_uri: Some("http://zaiko.example.jp/logout".into()),
            ..good
        };
        assert!(matches!(check(&bad_logout), Err(Invalid::Uri(_, _))));
    }
}
