//! What the provider's tokens say: the ID token (OpenID Connect Core 2)
//! and the access token (RFC 9068), both signed by the current key, and
//! how an access token is read back at the userinfo endpoint.
//!
//! `amr` (RFC 8176) and `acr` say how the sign-in behind the grant was
//! proved (docs/OIDC.md has the table):
//!
//! | sign-in | `amr` | `acr` |
//! |---|---|---|
//! | password, MFA off | `pwd` | `urn:autobank:acr:password` |
//! | password in a remembered browser | `pwd` | `urn:autobank:acr:remembered-device` |
//! | password and the app's code | `pwd`, `otp`, `mfa` | `urn:autobank:acr:mfa` |
//! | password and a recovery code | `pwd`, `mfa` | `urn:autobank:acr:mfa` |

use crate::error::AppError;
use crate::server::db::grants::GrantRow;
use crate::server::jws::{self, SigningKey};
use crate::server::session::Method;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// An ID token's life.
pub const ID_TOKEN_SECS: i64 = 5 * 60;
/// An access token's life.
pub const ACCESS_TOKEN_SECS: i64 = 10 * 60;
/// The access token's JWS `typ` (RFC 9068 2.1).
pub const ACCESS_TOKEN_TYPE: &str = "at+jwt";

/// The logout token's JWS `typ` (Back-Channel Logout 1.0, 2.4).
pub const LOGOUT_TOKEN_TYPE: &str = "logout+jwt";
/// A logout token's life: long enough for a slow application, short
/// enough that a captured one is soon worthless.
pub const LOGOUT_TOKEN_SECS: i64 = 2 * 60;
/// The one member of a logout token's `events` (Back-Channel Logout 1.0, 2.4).
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// What the token endpoint answers. No `Debug`: it holds tokens.
pub struct Issued {
    pub id_token: String,
    pub access_token: String,
    /// Used once; never outlives the portal session.
    pub refresh_token: String,
    pub expires_in: i64,
    pub scope: String,
}

/// `amr` for a sign-in proved by `method`.
pub fn amr(method: Method) -> &'static [&'static str] {
    match method {
        Method::Password | Method::RememberedDevice => &["pwd"],
        Method::Code => &["pwd", "otp", "mfa"],
        Method::RecoveryCode => &["pwd", "mfa"],
    }
}

/// `acr` for a sign-in proved by `method`.
pub fn acr(method: Method) -> &'static str {
    match method {
        Method::Password => "urn:autobank:acr:password",
        Method::RememberedDevice => "urn:autobank:acr:remembered-device",
        Method::Code | Method::RecoveryCode => "urn:autobank:acr:mfa",
    }
}

/// The `sid` of the portal session whose ID hash is `session_hash`: the
/// same for every application it signs into, and no use to anyone as a
/// session token (a hash of a hash).
pub fn sid(session_hash: &str) -> String {
    hex::encode(&Sha256::digest(format!("oidc-sid:{session_hash}").as_bytes())[..16])
}

fn random_id() -> String {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The ID token's and access token's claims for `grant`, at `now`.
pub fn claims(issuer: &str, grant: &GrantRow, now: i64) -> (Value, Value) {
    let method = Method::parse(&grant.method);
    let (sid, amr, acr) = (sid(&grant.session_hash), amr(method), acr(method));
    let profile = grant.scopes.split(' ').any(|s| s == "profile");
    let mut id = json!({
        "iss": issuer,
        "sub": grant.subject,
        "aud": grant.client_id,
        "azp": grant.client_id,
        "iat": now,
        "exp": now + ID_TOKEN_SECS,
        "auth_time": grant.auth_time,
        "sid": sid,
        "amr": amr,
        "acr": acr,
    });
    if let Some(nonce) = &grant.nonce {
        id["nonce"] = json!(nonce);
    }
    if profile {
        id["name"] = json!(grant.display_name);
        id["preferred_username"] = json!(grant.login_id);
    }
    // RFC 9068 2.2. The `jti` starts with the grant's handle, so that the
    // userinfo endpoint finds the grant, and revoking it voids the token.
    let access = json!({
        "iss": issuer,
        "sub": grant.subject,
        "aud": grant.client_id,
        "client_id": grant.client_id,
        "iat": now,
        "exp": now + ACCESS_TOKEN_SECS,
        "jti": format!("{}.{}", grant.handle, random_id()),
        "scope": grant.scopes,
        "auth_time": grant.auth_time,
        "sid": sid,
        "amr": amr,
        "acr": acr,
    });
    (id, access)
}

/// A logout token's claims (Back-Channel Logout 1.0, 2.4): the portal
/// session `session_hash` of the account `subject` ended, told to
/// `client_id`. Both `sub` and `sid`, a `jti`, and never a `nonce`.
pub fn logout_claims(
    issuer: &str,
    subject: &str,
    client_id: &str,
    session_hash: &str,
    now: i64,
) -> Value {
    json!({
        "iss": issuer,
        "sub": subject,
        "aud": client_id,
        "iat": now,
        "exp": now + LOGOUT_TOKEN_SECS,
        "jti": random_id(),
        "sid": sid(session_hash),
        "events": { BACKCHANNEL_LOGOUT_EVENT: {} },
    })
}

/// Signs the tokens of `grant` with `key`; `refresh_token` goes with them.
pub fn issue(
    key: &SigningKey,
    issuer: &str,
    grant: &GrantRow,
    refresh_token: String,
    now: i64,
) -> Result<Issued, AppError> {
    let (id, access) = claims(issuer, grant, now);
    let sign = |typ, claims: &Value| {
        key.sign(typ, claims).map_err(|err| {
            tracing::error!(error = %err, "could not sign a token");
            AppError::Internal
        })
    };
    Ok(Issued {
        id_token: sign("JWT", &id)?,
        access_token: sign(ACCESS_TOKEN_TYPE, &access)?,
        refresh_token,
        expires_in: ACCESS_TOKEN_SECS,
        scope: grant.scopes.clone(),
    })
}

/// The claims of an access token this issuer signed with one of the
/// `published` keys, unexpired at `now`.
pub fn read_access_token(
    token: &str,
    issuer: &str,
    published: &[Value],
    now: i64,
) -> Option<Value> {
    let claims = jws::verify(token, ACCESS_TOKEN_TYPE, published)?;
    if claims.get("iss")?.as_str()? != issuer || claims.get("exp")?.as_i64()? <= now {
        return None;
    }
    Some(claims)
}

/// The handle of the grant an access token's claims name (its `jti`'s
/// first part).
pub fn grant_handle(claims: &Value) -> Option<&str> {
    Some(claims.get("jti")?.as_str()?.split_once('.')?.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::jws::Alg;

    fn grant(method: Method, scopes: &str, nonce: Option<&str>) -> GrantRow {
        GrantRow {
            id: 1,
            handle: "h4ndle".into(),
            client_id: "zaiko".into(),
            user_id: 7,
            session_hash: "ab".repeat(32),
            redirect_uri: "https://zaiko.example.jp/cb".into(),
            code_challenge: String::new(),
            nonce: nonce.map(str::to_owned),
            scopes: scopes.into(),
            auth_time: 1_000,
            method: method.as_str().into(),
            subject: "0123456789abcdef0123456789abcdef".into(),
            login_id: "dealer01".into(),
            display_name: "山田 太郎".into(),
        }
    }

    #[test]
    fn the_id_token_carries_what_core_asks_and_nothing_of_the_login_id_without_profile() {
        let (id, _) = claims(
            "https://portal.example.jp",
            &grant(Method::Code, "openid", Some("n-0S6")),
            2_000,
        );
        assert_eq!(id["iss"], "https://portal.example.jp");
        assert_eq!(id["sub"], "0123456789abcdef0123456789abcdef");
        assert_eq!(id["aud"], "zaiko");
        assert_eq!(id["azp"], "zaiko");
        assert_eq!(id["exp"], 2_000 + ID_TOKEN_SECS);
        assert_eq!(id["auth_time"], 1_000);
        assert_eq!(id["nonce"], "n-0S6");
        assert_eq!(id["amr"], json!(["pwd", "otp", "mfa"]));
        assert_eq!(id["acr"], "urn:autobank:acr:mfa");
        assert_eq!(id["sid"].as_str().unwrap().len(), 32);
        assert!(!id.to_string().contains("dealer01"));
        let (id, _) = claims(
            "https://p",
            &grant(Method::Password, "openid profile", None),
            2_000,
        );
        assert!(id.get("nonce").is_none());
        assert_eq!(id["preferred_username"], "dealer01");
        assert_eq!(id["name"], "山田 太郎");
        assert_eq!(id["amr"], json!(["pwd"]));
    }

    #[test]
    fn amr_and_acr_tell_each_way_of_signing_in_apart() {
        let all = [
            Method::Password,
            Method::RememberedDevice,
            Method::Code,
            Method::RecoveryCode,
        ];
        let pairs: Vec<_> = all.iter().map(|m| (amr(*m), acr(*m))).collect();
        for (i, a) in pairs.iter().enumerate() {
            for b in &pairs[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert!(amr(Method::Code).contains(&"otp"));
        assert!(!amr(Method::RememberedDevice).contains(&"otp"));
    }

    #[test]
    fn an_access_token_reads_back_only_unexpired_and_from_its_issuer() {
        let (key, _) = SigningKey::generate(Alg::ES256).unwrap();
        let published = [key.public_jwk()];
        let grant = grant(Method::Code, "openid", None);
        let issued = issue(&key, "https://p", &grant, "r".into(), 2_000).unwrap();
        let read = |token: &str, issuer: &str, now: i64| {
            read_access_token(token, issuer, &published, now)
                .and_then(|claims| grant_handle(&claims).map(str::to_owned))
        };
        assert_eq!(
            read(&issued.access_token, "https://p", 2_001).as_deref(),
            Some("h4ndle")
        );
        let expired = 2_000 + ACCESS_TOKEN_SECS;
        assert_eq!(read(&issued.access_token, "https://p", expired), None);
        assert_eq!(read(&issued.access_token, "https://q", 2_001), None);
        // An ID token is not an access token.
        assert_eq!(read(&issued.id_token, "https://p", 2_001), None);
        assert_ne!(sid("a"), sid("b"));
    }
}
