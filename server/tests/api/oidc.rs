//! The OpenID Connect provider over HTTP: discovery, the authorization
//! endpoint with and without a session, the code exchange, userinfo, and
//! the attacks on each (a code used twice or raced, PKCE, redirect URIs,
//! client secrets guessed past the throttle). Tokens are checked by
//! `jsonwebtoken` from the published JWKS alone, never by the provider's
//! own code. Node's `openid-client` (OpenID Certified) drives the same
//! endpoints in `end2end/oidc/`.

use crate::helpers::*;
use app::server::db::audit::Actor;
use app::server::request::PENDING_COOKIE;
use app::server::services::clients::{self, ClientSpec};
use base64::Engine as _;
use jsonwebtoken::{decode, decode_header, jwk::JwkSet, DecodingKey, Validation};
use reqwest::header::{ACCEPT, AUTHORIZATION, COOKIE};
use reqwest::{Response, StatusCode};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const CALLBACK: &str = "https://zaiko.example.jp/cb";
/// RFC 7636, appendix B.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

pub fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A registered confidential client: its ID and secret.
pub struct Rp {
    pub id: String,
    pub secret: String,
}

pub async fn register(app: &TestApp, spec: ClientSpec) -> Rp {
    let actor = Actor {
        actor: "test".into(),
        ..Default::default()
    };
    let by = clients::Changer::operator(actor);
    let registered = clients::register(&app.db, &app.state.secrets, &spec, by, app.clock.now())
        .await
        .unwrap()
        .unwrap();
    Rp {
        id: registered.client_id,
        secret: registered.secret.unwrap_or_default(),
    }
}

pub fn spec() -> ClientSpec {
    ClientSpec {
        name: "在庫登録".into(),
        redirect_uris: vec![CALLBACK.into()],
        ..Default::default()
    }
}

/// The authorization request's query for `rp`, with `extra` pairs.
pub fn request(rp: &Rp, extra: &[(&str, &str)]) -> String {
    let challenge = challenge(VERIFIER);
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", rp.id.as_str()),
        ("redirect_uri", CALLBACK),
        ("scope", "openid profile"),
        ("state", "st-1"),
        ("nonce", "n-0S6_WzA2Mj"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    for (k, v) in extra {
        pairs.retain(|(name, _)| name != k);
        pairs.push((k, v));
    }
    pairs.retain(|(_, v)| !v.is_empty());
    let query: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", app::domain::percent_encode(v)))
        .collect();
    format!("{}?{}", app::routes::OIDC_AUTHORIZE, query.join("&"))
}

/// GETs `path` with the session and pending-request cookies given.
pub async fn browse(
    app: &TestApp,
    path: &str,
    session: Option<&str>,
    pending: Option<&str>,
) -> Response {
    let mut cookies = Vec::new();
    if let Some(s) = session {
        cookies.push(format!("{SESSION_COOKIE}={s}"));
    }
    if let Some(p) = pending {
        cookies.push(format!("{PENDING_COOKIE}={p}"));
    }
    let mut req = app.client.get(app.url(path)).header(ACCEPT, "text/html");
    if !cookies.is_empty() {
        req = req.header(COOKIE, cookies.join("; "));
    }
    req.send().await.unwrap()
}

/// The query parameters of a URL.
pub fn query_of(url: &str) -> Vec<(String, String)> {
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

pub fn param(url: &str, name: &str) -> Option<String> {
    query_of(url)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// The code the authorization endpoint sent back to the client.
pub async fn code_for(app: &TestApp, rp: &Rp, session: &str) -> String {
    let res = browse(app, &request(rp, &[]), Some(session), None).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = location(&res).unwrap();
    assert!(to.starts_with(CALLBACK), "{to}");
    param(&to, "code").expect("a code")
}

pub async fn exchange(app: &TestApp, rp: &Rp, code: &str, verifier: &str) -> Response {
    exchange_at(app, rp, code, verifier, CALLBACK).await
}

/// The exchange of `code`, saying it was sent to `redirect_uri`.
async fn exchange_at(
    app: &TestApp,
    rp: &Rp,
    code: &str,
    verifier: &str,
    redirect_uri: &str,
) -> Response {
    app.client
        .post(app.url(app::routes::OIDC_TOKEN))
        .basic_auth(&rp.id, Some(&rp.secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap()
}

/// `code` came with something it does not fit: now even the right
/// exchange gets nothing, and the mismatch is on record.
async fn assert_burnt(app: &TestApp, rp: &Rp, code: &str) {
    assert_eq!(
        exchange(app, rp, code, VERIFIER).await.status(),
        StatusCode::BAD_REQUEST
    );
    assert!(app
        .audit_events()
        .await
        .contains(&"code_mismatched".to_owned()));
}

/// The token response to `code` (its verifier the right one), as JSON.
pub async fn tokens(app: &TestApp, rp: &Rp, code: &str) -> Value {
    exchange(app, rp, code, VERIFIER)
        .await
        .json()
        .await
        .unwrap()
}

pub async fn userinfo(app: &TestApp, access_token: &str) -> Response {
    app.client
        .get(app.url(app::routes::OIDC_USERINFO))
        .header(AUTHORIZATION, format!("Bearer {access_token}"))
        .send()
        .await
        .unwrap()
}

/// A fresh app with `dealer01` and one registered client.
async fn app_with_client() -> (TestApp, Rp) {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let rp = register(&app, spec()).await;
    (app, rp)
}

/// A second client, with the same redirect URI.
async fn another_client(app: &TestApp) -> Rp {
    let spec = ClientSpec {
        name: "見積".into(),
        ..spec()
    };
    register(app, spec).await
}

/// `dealer01` signs in with the form, the browser sending `cookies`.
async fn sign_in_with(app: &TestApp, cookies: String) -> Response {
    app.client
        .post(app.url("/api/login"))
        .header(ACCEPT, "application/json")
        .header(COOKIE, cookies)
        .form(&[
            ("login_id", "dealer01"),
            ("password", GOOD_PASSWORD),
            ("next", "/menu"),
        ])
        .send()
        .await
        .unwrap()
}

/// The ID token's claims, checked by `jsonwebtoken` against the JWKS.
pub async fn verified(app: &TestApp, id_token: &str, audience: &str) -> Value {
    let jwks: JwkSet = app
        .client
        .get(app.url(app::routes::OIDC_JWKS))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = decode_header(id_token).unwrap();
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("the kid is published");
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[app.base.as_str()]);
    decode::<Value>(id_token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
        .expect("the ID token verifies")
        .claims
}

async fn subject(app: &TestApp, login_id: &str) -> String {
    sqlx::query_scalar("SELECT subject FROM users WHERE login_id = $1")
        .bind(login_id)
        .fetch_one(app.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn discovery_names_only_the_code_flow_with_s256_and_iss() {
    let app = spawn_app().await;
    let doc: Value = app
        .client
        .get(app.url(app::routes::OIDC_DISCOVERY))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["issuer"], app.base.as_str());
    assert_eq!(doc["response_types_supported"], serde_json::json!(["code"]));
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert!(doc["id_token_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .contains(&"RS256".into()));
    for endpoint in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
    ] {
        let url = doc[endpoint].as_str().unwrap();
        assert!(url.starts_with(&app.base), "{endpoint}: {url}");
    }
    let jwks: Value = app
        .client
        .get(doc["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(jwks["keys"][0]["alg"], "RS256");
    assert!(jwks["keys"][0].get("d").is_none(), "no private part");
}

#[tokio::test]
async fn a_signed_in_dealer_gets_a_code_and_the_client_its_tokens() {
    let (app, rp) = app_with_client().await;
    let session = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let res = browse(&app, &request(&rp, &[]), Some(&session), None).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = location(&res).unwrap();
    assert_eq!(param(&to, "state").as_deref(), Some("st-1"));
    assert_eq!(param(&to, "iss").as_deref(), Some(app.base.as_str()));
    let code = param(&to, "code").unwrap();

    let res = exchange(&app, &rp, &code, VERIFIER).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    let claims = verified(&app, body["id_token"].as_str().unwrap(), &rp.id).await;
    assert_eq!(claims["sub"], subject(&app, "dealer01").await.as_str());
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(claims["azp"], rp.id.as_str());
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
    assert_eq!(claims["preferred_username"], "dealer01");
    assert!(claims["sid"].is_string() && claims["auth_time"].is_i64());

    let access = body["access_token"].as_str().unwrap();
    assert_eq!(
        decode_header(access).unwrap().typ.as_deref(),
        Some("at+jwt")
    );
    let res = userinfo(&app, access).await;
    assert_eq!(res.status(), StatusCode::OK);
    let info: Value = res.json().await.unwrap();
    assert_eq!(info["sub"], claims["sub"]);
    assert!(app.audit_events().await.contains(&"app_sign_in".to_owned()));
}

#[tokio::test]
async fn a_dealer_not_signed_in_signs_in_with_the_code_and_goes_back_with_otp() {
    let (app, phone) = app_with_mfa_user().await;
    let rp = register(&app, spec()).await;
    let res = browse(&app, &request(&rp, &[]), None, None).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res).as_deref(), Some(app::routes::LOGIN));
    let cookie = set_cookie_header(res.headers(), PENDING_COOKIE).expect("the request's cookie");
    for attribute in [
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
        "Path=/",
        "Max-Age=600",
    ] {
        assert!(cookie.contains(attribute), "{attribute}: {cookie}");
    }
    let pending = cookie_value(&res, PENDING_COOKIE).unwrap();
    assert!(cookie_value(&res, SESSION_COOKIE).is_none());

    // The manual's screens: the password, then the code.
    let res = sign_in_with(&app, format!("{PENDING_COOKIE}={pending}")).await;
    let half = session_cookie(&res).unwrap();
    assert!(location(&res).unwrap().starts_with(app::routes::CODE_PAGE));
    let res = app
        .client
        .post(app.url("/api/mfa/code"))
        .header(ACCEPT, "application/json")
        .header(
            COOKIE,
            format!("{SESSION_COOKIE}={half}; {PENDING_COOKIE}={pending}"),
        )
        .form(&[("code", phone.code(0).as_str()), ("next", "/menu")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let to = location(&res).unwrap();
    assert!(to.starts_with(CALLBACK), "back to the application: {to}");
    assert!(set_cookie_header(res.headers(), PENDING_COOKIE)
        .unwrap()
        .contains("Max-Age=0"));
    let code = param(&to, "code").unwrap();
    let body = tokens(&app, &rp, &code).await;
    let claims = verified(&app, body["id_token"].as_str().unwrap(), &rp.id).await;
    assert_eq!(claims["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
    assert_eq!(claims["acr"], "urn:autobank:acr:mfa");

    // The request was answered once: the cookie is spent.
    let full = session_cookie(&res).unwrap();
    let res = sign_in_with(
        &app,
        format!("{SESSION_COOKIE}={full}; {PENDING_COOKIE}={pending}"),
    )
    .await;
    assert!(!location(&res).unwrap().starts_with(CALLBACK));
}

#[tokio::test]
async fn a_code_works_once_and_its_second_use_revokes_its_tokens() {
    let (app, rp) = app_with_client().await;
    let session = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let code = code_for(&app, &rp, &session).await;
    let body = tokens(&app, &rp, &code).await;
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&app, access).await.status(), StatusCode::OK);

    let res = exchange(&app, &rp, &code, VERIFIER).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"], "invalid_grant");
    let res = userinfo(&app, access).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("invalid_token"));
    assert!(app
        .audit_events()
        .await
        .contains(&"code_replayed".to_owned()));
}

#[tokio::test]
async fn one_code_raced_many_times_gives_tokens_once() {
    let (app, rp) = app_with_client().await;
    let session = app.signed_in("dealer01", GOOD_PASSWORD).await;
    for round in 0..5 {
        let code = code_for(&app, &rp, &session).await;
        let tries = (0..8).map(|_| exchange(&app, &rp, &code, VERIFIER));
        let answers = futures_util::future::join_all(tries).await;
        let won = answers
            .iter()
            .filter(|r| r.status() == StatusCode::OK)
            .count();
        assert_eq!(won, 1, "round {round}: exactly one exchange wins");
    }
}

/// A dealer signed in, a code of that sign-in, and its session's hash.
async fn a_code_and_its_session() -> (TestApp, Rp, String, String) {
    let (app, rp) = app_with_client().await;
    let session = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let code = code_for(&app, &rp, &session).await;
    let session_hash: String =
        sqlx::query_scalar("SELECT session_hash FROM oidc_grants ORDER BY id DESC LIMIT 1")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    (app, rp, code, session_hash)
}

#[tokio::test]
async fn a_logout_committed_while_its_code_is_exchanged_gives_no_tokens() {
    let (app, rp, code, session_hash) = a_code_and_its_session().await;
    // A logout in flight holds the session row while the application
    // exchanges the code; the logout commits 300 ms later. On PostgreSQL
    // a check that only read the session (a subquery) would see it still
    // signed in and hand out tokens that no logout will ever call back.
    let mut logout = app.db.pool().begin().await.unwrap();
    sqlx::query("UPDATE sessions SET last_seen_at = last_seen_at WHERE id_hash = $1")
        .bind(&session_hash)
        .execute(&mut *logout)
        .await
        .unwrap();
    let (status, ()) = tokio::join!(
        async { exchange(&app, &rp, &code, VERIFIER).await.status() },
        async {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                .bind(&session_hash)
                .execute(&mut *logout)
                .await
                .unwrap();
            logout.commit().await.unwrap();
        }
    );
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "tokens for an ended session"
    );
}

#[tokio::test]
async fn an_exchange_in_flight_does_not_hold_up_another_of_the_same_session() {
    // Every application a dealer opens from the menu exchanges a code of
    // the same session. An exchange holds the session's row against a
    // logout, but only for share: another exchange of that session goes
    // on beside it, where an exclusive hold queued every one of them
    // behind the one before and its commit.
    let (app, rp, code, session_hash) = a_code_and_its_session().await;
    // An exchange in flight, as it holds the row on this engine.
    let mut in_flight = app::server::db::change::Change::start(&app.db)
        .await
        .unwrap();
    let sql = "SELECT 1 FROM sessions WHERE id_hash = $1";
    in_flight.hold_rows(sql, &[&session_hash]).await.unwrap();
    let other = exchange(&app, &rp, &code, VERIFIER);
    tokio::pin!(other);
    let waited = tokio::time::timeout(std::time::Duration::from_secs(2), &mut other).await;
    match Engine::of_this_run() {
        Engine::Postgres => {
            let res = waited.expect("the second exchange waited for the first");
            assert_eq!(res.status(), StatusCode::OK);
        }
        // SQLite writes one change at a time: the second waits its turn,
        // and has it when the first ends.
        Engine::Sqlite => assert!(waited.is_err(), "two changes wrote at once"),
    }
    in_flight.rollback().await.unwrap();
    if Engine::of_this_run() == Engine::Sqlite {
        assert_eq!(other.await.status(), StatusCode::OK);
    }
    // And a logout still waits for a held row: see the test above.
}

#[tokio::test]
async fn a_code_at_another_redirect_uri_is_refused_and_burnt() {
    let (app, rp) = app_with_client().await;
    let session = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let code = code_for(&app, &rp, &session).await;
    // RFC 6749 4.1.3: the redirect URI must be the very one the code was
    // sent to; a code stolen from one callback cannot be cashed at another.
    let res = exchange_at(&app, &rp, &code, VERIFIER, "https://zaiko.example.jp/other").await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"], "invalid_grant");
    // Used up: the right redirect URI afterwards gets nothing either.
    assert_burnt(&app, &rp, &code).await;
}

#[tokio::test]
async fn pkce_binds_the_code_to_its_verifier_and_a_wrong_one_burns_it() {
    let (app, rp) = app_with_client().await;
    let session = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let code = code_for(&app, &rp, &session).await;
    let other = "a".repeat(43);
    let res = exchange(&app, &rp, &code, &other).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    // The right verifier is too late: a guesser gets one try per code.
    assert_burnt(&app, &rp, &code).await;

    // A request without PKCE, or with `plain`, goes back as an error.
    for extra in [
        vec![("code_challenge", ""), ("code_challenge_method", "")],
        vec![("code_challenge_method", "plain")],
    ] {
        let res = browse(&app, &request(&rp, &extra), Some(&session), None).await;
        let to = location(&res).unwrap();
        assert_eq!(
            param(&to, "error").as_deref(),
            Some("invalid_request"),
            "{to}"
        );
        assert_eq!(param(&to, "iss").as_deref(), Some(app.base.as_str()));
        assert!(param(&to, "code").is_none());
    }
}

#[tokio::test]
async fn an_unknown_client_or_redirect_uri_gets_a_page_and_never_a_redirect() {
    let (app, rp) = app_with_client().await;
    let session = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let stranger = Rp {
        id: "no-such-client".into(),
        secret: String::new(),
    };
    let mut requests = vec![request(&stranger, &[])];
    for uri in [
        "https://zaiko.example.jp/cb/",
        "https://zaiko.example.jp/c",
        "https://ZAIKO.example.jp/cb",
        "https://zaiko.example.jp/%63b",
        "https://zaiko.example.jp@evil.example/cb",
        "https://evil.example/cb",
    ] {
        requests.push(request(&rp, &[("redirect_uri", uri)]));
    }
    for path in requests {
        let res = browse(&app, &path, Some(&session), None).await;
        assert_eq!(res.status(), StatusCode::BAD_REQUEST, "{path}");
        assert!(location(&res).is_none(), "{path}");
        let page = res.text().await.unwrap();
        assert!(page.contains(app::text::ERR_APP_UNKNOWN), "{path}");
    }
}

#[tokio::test]
async fn prompt_none_without_a_session_answers_login_required() {
    let app = spawn_app().await;
    let rp = register(&app, spec()).await;
    let res = browse(&app, &request(&rp, &[("prompt", "none")]), None, None).await;
    let to = location(&res).unwrap();
    assert!(to.starts_with(CALLBACK));
    assert_eq!(param(&to, "error").as_deref(), Some("login_required"));
    assert_eq!(param(&to, "state").as_deref(), Some("st-1"));
    assert_eq!(param(&to, "iss").as_deref(), Some(app.base.as_str()));
    assert!(cookie_value(&res, PENDING_COOKIE).is_none());
}

#[tokio::test]
async fn prompt_login_and_max_age_ask_for_the_password_again() {
    let (app, rp) = app_with_client().await;
    let session = app.signed_in("dealer01", GOOD_PASSWORD).await;
    app.clock.advance(120);
    for extra in [[("prompt", "login")], [("max_age", "60")]] {
        let res = browse(&app, &request(&rp, &extra), Some(&session), None).await;
        assert_eq!(
            location(&res).as_deref(),
            Some(app::routes::LOGIN),
            "{extra:?}"
        );
        let pending = cookie_value(&res, PENDING_COOKIE).unwrap();
        let before = app.clock.now();
        let res = sign_in_with(
            &app,
            format!("{SESSION_COOKIE}={session}; {PENDING_COOKIE}={pending}"),
        )
        .await;
        let to = location(&res).unwrap();
        let code = param(&to, "code").expect("a code after the fresh sign-in");
        let body = tokens(&app, &rp, &code).await;
        let claims = verified(&app, body["id_token"].as_str().unwrap(), &rp.id).await;
        assert!(
            claims["auth_time"].as_i64().unwrap() >= before,
            "auth_time tells the truth"
        );
    }
    // A max_age the session still meets needs no sign-in.
    let fresh = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let res = browse(
        &app,
        &request(&rp, &[("max_age", "3600")]),
        Some(&fresh),
        None,
    )
    .await;
    assert!(location(&res).unwrap().starts_with(CALLBACK));
}

#[tokio::test]
async fn after_sign_out_neither_a_code_nor_an_access_token_is_worth_anything() {
    let (app, rp) = app_with_client().await;
    let session = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let first = code_for(&app, &rp, &session).await;
    let body = tokens(&app, &rp, &first).await;
    let unused = code_for(&app, &rp, &session).await;
    let res = app.call("logout", &[], Some(&session)).await;
    assert!(res.status().is_success() || res.status().is_redirection());
    let access = body["access_token"].as_str().unwrap();
    assert_eq!(
        userinfo(&app, access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        exchange(&app, &rp, &unused, VERIFIER).await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn a_wrong_secret_is_refused_recorded_and_throttled_per_client() {
    let app = spawn_app().await;
    let rp = register(&app, spec()).await;
    let wrong = Rp {
        id: rp.id.clone(),
        secret: "guess".into(),
    };
    let mut statuses = Vec::new();
    for _ in 0..30 {
        let res = exchange(&app, &wrong, "x", VERIFIER).await;
        statuses.push(res.status());
    }
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let throttled = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(refused, 10, "the burst: {statuses:?}");
    assert_eq!(throttled, 20, "{statuses:?}");
    let failures = app
        .audit_events()
        .await
        .into_iter()
        .filter(|e| e == "client_auth_failed")
        .count();
    assert_eq!(failures, 10);
    // Even the right secret waits: the guesser cannot tell a hit.
    assert_eq!(
        exchange(&app, &rp, "x", VERIFIER).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another client is not slowed.
    let other = another_client(&app).await;
    let res = exchange(&app, &other, "x", VERIFIER).await;
    assert_eq!(
        res.status(),
        StatusCode::BAD_REQUEST,
        "invalid_grant, not throttled"
    );
}

#[tokio::test]
async fn an_access_token_forged_or_for_another_issuer_is_refused() {
    let (app, rp) = app_with_client().await;
    let (_, body) = first_tokens(&app, &rp).await;
    // The ID token is not an access token.
    let id_token = body["id_token"].as_str().unwrap();
    assert_eq!(
        userinfo(&app, id_token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // A token signed by a key of the attacker's own, with a kid of ours.
    let access = body["access_token"].as_str().unwrap();
    let (mine, _) = app::server::jws::SigningKey::generate(app::server::jws::Alg::RS256).unwrap();
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(access.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap();
    let forged = mine.sign("at+jwt", &claims).unwrap();
    // Under its own, unknown kid.
    assert_eq!(
        userinfo(&app, &forged).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let kid = decode_header(access).unwrap().kid.unwrap();
    let head = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::json!({ "alg": "RS256", "kid": kid, "typ": "at+jwt" }).to_string());
    let forged = format!("{head}.{}", forged.split_once('.').unwrap().1);
    assert_eq!(
        userinfo(&app, &forged).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(userinfo(&app, access).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_sign_in_pages_let_a_form_go_to_the_waiting_application_and_nowhere_else() {
    let app = spawn_app().await;
    let rp = register(&app, spec()).await;
    let policy = |res: &Response| {
        res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned()
    };
    let alone = browse(&app, app::routes::LOGIN, None, None).await;
    assert!(
        policy(&alone).contains("form-action 'self';"),
        "{}",
        policy(&alone)
    );
    let res = browse(&app, &request(&rp, &[]), None, None).await;
    let pending = cookie_value(&res, PENDING_COOKIE).unwrap();
    let login = browse(&app, app::routes::LOGIN, None, Some(&pending)).await;
    assert!(
        policy(&login).contains("form-action 'self' https://zaiko.example.jp;"),
        "{}",
        policy(&login)
    );
    // A cookie that names nothing widens nothing.
    let forged = browse(&app, app::routes::LOGIN, None, Some(&"A".repeat(43))).await;
    assert!(policy(&forged).contains("form-action 'self';"));
    // The page held for visitors without cookies (`server::page_cache`)
    // neither serves the one with the cookie (above, right after it was
    // held) nor takes its policy from it.
    let alone = browse(&app, app::routes::LOGIN, None, None).await;
    assert!(policy(&alone).contains("form-action 'self';"));

    // The menu held by what it shows (`page_cache::serve_menu`), for two
    // dealers whose menus are the same: the one whose browser an
    // application waits for gets the policy that names it, and the other
    // never does, whichever asks first.
    let menu = app::routes::MENU;
    let mut sessions = Vec::new();
    for id in ["dealer01", "dealer02"] {
        app.add_user(id, GOOD_PASSWORD).await;
        sessions.push(app.signed_in(id, GOOD_PASSWORD).await);
    }
    // Once to read what the portal shows (a client was just registered).
    browse(&app, menu, Some(&sessions[1]), None).await;
    for _ in 0..2 {
        let other = browse(&app, menu, Some(&sessions[1]), None).await;
        assert!(policy(&other).contains("form-action 'self';"));
        assert!(
            policy(&other).contains("'sha256-"),
            "held: {}",
            policy(&other)
        );
        let waited_for = browse(&app, menu, Some(&sessions[0]), Some(&pending)).await;
        assert_eq!(waited_for.status(), StatusCode::OK);
        assert!(
            policy(&waited_for).contains("form-action 'self' https://zaiko.example.jp;"),
            "{}",
            policy(&waited_for)
        );
    }
}

pub async fn post_form(app: &TestApp, path: &str, rp: &Rp, form: &[(&str, &str)]) -> Response {
    app.client
        .post(app.url(path))
        .basic_auth(&rp.id, Some(&rp.secret))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn refresh(app: &TestApp, rp: &Rp, token: &str) -> Response {
    post_form(
        app,
        app::routes::OIDC_TOKEN,
        rp,
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
    )
    .await
}

/// Signs `dealer01` in, and gets `rp` its first tokens.
async fn first_tokens(app: &TestApp, rp: &Rp) -> (String, Value) {
    tokens_of(app, rp, "dealer01").await
}

/// Signs `login_id` in, and gets `rp` its first tokens: the session
/// cookie and the token response.
pub async fn tokens_of(app: &TestApp, rp: &Rp, login_id: &str) -> (String, Value) {
    let session = app.signed_in(login_id, GOOD_PASSWORD).await;
    let code = code_for(app, rp, &session).await;
    let body = tokens(app, rp, &code).await;
    (session, body)
}

#[tokio::test]
async fn a_refresh_token_is_used_once_and_its_reuse_revokes_the_whole_family() {
    let (app, rp) = app_with_client().await;
    let (_, first) = first_tokens(&app, &rp).await;
    let r1 = first["refresh_token"].as_str().unwrap().to_owned();
    let res = refresh(&app, &rp, &r1).await;
    assert_eq!(res.status(), StatusCode::OK);
    let second: Value = res.json().await.unwrap();
    let r2 = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2, "rotated");
    let claims = verified(&app, second["id_token"].as_str().unwrap(), &rp.id).await;
    let original = verified(&app, first["id_token"].as_str().unwrap(), &rp.id).await;
    assert_eq!(
        claims["auth_time"], original["auth_time"],
        "the same sign-in"
    );
    assert_eq!(claims["sub"], original["sub"]);
    let access = second["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&app, access).await.status(), StatusCode::OK);

    // The stolen first token comes back: refused, and the family is gone.
    assert_eq!(
        refresh(&app, &rp, &r1).await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        refresh(&app, &rp, &r2).await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        userinfo(&app, access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert!(app
        .audit_events()
        .await
        .contains(&"refresh_token_replayed".to_owned()));
}

#[tokio::test]
async fn a_refresh_token_never_outlives_its_portal_session_nor_serves_another_client() {
    let (app, rp) = app_with_client().await;
    let other = another_client(&app).await;
    let (session, body) = first_tokens(&app, &rp).await;
    let token = body["refresh_token"].as_str().unwrap();
    assert_eq!(
        refresh(&app, &other, token).await.status(),
        StatusCode::BAD_REQUEST
    );
    app.call("logout", &[], Some(&session)).await;
    assert_eq!(
        refresh(&app, &rp, token).await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn revocation_voids_the_sign_in_and_introspection_tells_only_its_own_client() {
    let (app, rp) = app_with_client().await;
    let other = another_client(&app).await;
    let (_, body) = first_tokens(&app, &rp).await;
    let access = body["access_token"].as_str().unwrap();
    let token = body["refresh_token"].as_str().unwrap();
    let introspect = |who: &Rp, token: &str| {
        let form = [("token", token.to_owned())];
        let req = app
            .client
            .post(app.url(app::routes::OIDC_INTROSPECT))
            .basic_auth(&who.id, Some(&who.secret))
            .form(&form);
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let seen = introspect(&rp, access).await;
    assert_eq!(seen["active"], true);
    assert_eq!(seen["client_id"], rp.id.as_str());
    assert!(seen["exp"].is_i64());
    assert_eq!(introspect(&rp, token).await["active"], true);
    assert_eq!(
        introspect(&other, access).await,
        serde_json::json!({ "active": false })
    );
    assert_eq!(introspect(&rp, "not-a-token").await["active"], false);

    // Another client cannot revoke it; its own client can, and once is all.
    async fn revoke(app: &TestApp, who: &Rp, token: &str) -> Response {
        post_form(app, app::routes::OIDC_REVOKE, who, &[("token", token)]).await
    }
    assert_eq!(revoke(&app, &other, token).await.status(), StatusCode::OK);
    assert_eq!(userinfo(&app, access).await.status(), StatusCode::OK);
    assert_eq!(revoke(&app, &rp, token).await.status(), StatusCode::OK);
    assert_eq!(
        userinfo(&app, access).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh(&app, &rp, token).await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(introspect(&rp, access).await["active"], false);
}

/// The session is still signed in: the menu answers.
async fn signed_in_still(app: &TestApp, session: &str) -> bool {
    app.get("/menu", Some(session)).await.status() == StatusCode::OK
}

#[tokio::test]
async fn rp_initiated_logout_ends_the_session_and_returns_only_to_a_registered_uri() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let bye = "https://zaiko.example.jp/bye";
    let rp = register(
        &app,
        ClientSpec {
            post_logout_uris: vec![bye.into()],
            ..spec()
        },
    )
    .await;
    let other = register(
        &app,
        ClientSpec {
            name: "見積".into(),
            post_logout_uris: vec!["https://mitsumori.example.jp/bye".into()],
            ..spec()
        },
    )
    .await;
    let logout = |hint: &str, uri: &str, client_id: Option<&str>| {
        let mut q = format!(
            "{}?id_token_hint={hint}&post_logout_redirect_uri={}&state=s-9",
            app::routes::OIDC_LOGOUT,
            app::domain::percent_encode(uri)
        );
        if let Some(id) = client_id {
            q.push_str(&format!("&client_id={id}"));
        }
        q
    };

    // With the ID token of this session: out at once, back to the application.
    let (session, body) = first_tokens(&app, &rp).await;
    let hint = body["id_token"].as_str().unwrap();
    let res = browse(&app, &logout(hint, bye, None), Some(&session), None).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&res).as_deref(),
        Some("https://zaiko.example.jp/bye?state=s-9")
    );
    assert!(set_cookie_header(res.headers(), SESSION_COOKIE)
        .unwrap()
        .contains("Max-Age=0"));
    assert!(!signed_in_still(&app, &session).await);

    // An open redirect tried: an unregistered URI, another client's URI, a
    // client_id that disagrees with the hint. The session ends (the hint is
    // good); the browser goes to the portal, nowhere else.
    for (uri, client_id) in [
        ("https://evil.example/", None),
        ("https://zaiko.example.jp/bye/", None),
        ("https://mitsumori.example.jp/bye", None),
        ("https://mitsumori.example.jp/bye", Some(other.id.as_str())),
    ] {
        let (session, body) = first_tokens(&app, &rp).await;
        let hint = body["id_token"].as_str().unwrap();
        let res = browse(&app, &logout(hint, uri, client_id), Some(&session), None).await;
        assert_eq!(
            location(&res).as_deref(),
            Some(app::routes::PORTAL),
            "{uri}"
        );
    }

    // Without a hint of this session, the dealer is asked; a link alone
    // signs no one out.
    let (session, _) = first_tokens(&app, &rp).await;
    let (_, stranger) = first_tokens(&app, &rp).await;
    let foreign_hint = stranger["id_token"].as_str().unwrap();
    for path in [
        logout("", bye, Some(&rp.id)),
        logout(foreign_hint, bye, None),
    ] {
        let res = browse(&app, &path, Some(&session), None).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert!(res
            .text()
            .await
            .unwrap()
            .contains(app::text::LOGOUT_CONFIRM));
        assert!(signed_in_still(&app, &session).await);
    }
    // A form from another site is refused; the dealer's own answer is not.
    let answer = [
        ("client_id", rp.id.as_str()),
        ("post_logout_redirect_uri", bye),
        ("state", "s-9"),
    ];
    let forged = app
        .client
        .post(app.url(app::routes::OIDC_LOGOUT))
        .header(COOKIE, format!("{SESSION_COOKIE}={session}"))
        .header("sec-fetch-site", "cross-site")
        .form(&answer)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(signed_in_still(&app, &session).await);
    let res = app
        .client
        .post(app.url(app::routes::OIDC_LOGOUT))
        .header(COOKIE, format!("{SESSION_COOKIE}={session}"))
        .header("sec-fetch-site", "same-origin")
        .form(&answer)
        .send()
        .await
        .unwrap();
    assert_eq!(
        location(&res).as_deref(),
        Some("https://zaiko.example.jp/bye?state=s-9")
    );
    assert!(!signed_in_still(&app, &session).await);
}

#[tokio::test]
async fn secrets_guessed_all_at_once_get_no_more_checks_than_one_after_another() {
    let (app, rp) = app_with_client().await;
    let wrong = Rp {
        id: rp.id.clone(),
        secret: "guess".into(),
    };
    let guesses = (0..40).map(|_| exchange(&app, &wrong, "x", VERIFIER));
    let statuses: Vec<_> = futures_util::future::join_all(guesses)
        .await
        .iter()
        .map(|r| r.status())
        .collect();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(
        refused <= 11,
        "the burst, at most one refilled: {statuses:?}"
    );
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
            .count(),
        40 - refused
    );
    // The right secret, counted and given back, spends nothing.
    let app2 = spawn_app().await;
    let rp2 = register(&app2, spec()).await;
    for _ in 0..30 {
        let res = exchange(&app2, &rp2, "x", VERIFIER).await;
        assert_eq!(
            res.status(),
            StatusCode::BAD_REQUEST,
            "invalid_grant, never 429"
        );
    }
}

#[tokio::test]
async fn one_waiting_request_is_answered_once_however_many_sign_ins_race_for_it() {
    let (app, rp) = app_with_client().await;
    for round in 0..3 {
        let res = browse(&app, &request(&rp, &[]), None, None).await;
        let pending = cookie_value(&res, PENDING_COOKIE).unwrap();
        // Six at once. A sign-in the busy password queue turns away (503,
        // when the whole suite shares the machine) is made again: what is
        // tested is what the sign-ins that land do with one request.
        let tries = (0..6).map(|_| async {
            let cookies = format!("{PENDING_COOKIE}={pending}");
            let mut res = sign_in_with(&app, cookies.clone()).await;
            for _ in 0..50 {
                if res.status() != StatusCode::SERVICE_UNAVAILABLE {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                res = sign_in_with(&app, cookies.clone()).await;
            }
            res
        });
        let answers = futures_util::future::join_all(tries).await;
        let codes = answers
            .iter()
            .filter(|r| location(r).is_some_and(|to| to.starts_with(CALLBACK)))
            .count();
        assert_eq!(codes, 1, "round {round}: one code for one request");
        // The others signed in and went on to the menu.
        let statuses: Vec<_> = answers.iter().map(Response::status).collect();
        assert!(
            statuses.iter().all(|s| *s == StatusCode::OK),
            "{statuses:?}"
        );
    }
}

/// A duty on the way (MFA to set up, for a client that requires it) is
/// done on the portal's pages; the page that says it is done offers the
/// way back, and that way answers the waiting request once.
#[tokio::test]
async fn after_a_duty_on_the_way_the_dealer_goes_on_to_the_waiting_application() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let rp = register(
        &app,
        ClientSpec {
            mfa_required: true,
            ..spec()
        },
    )
    .await;
    let res = browse(&app, &request(&rp, &[]), None, None).await;
    let pending = cookie_value(&res, PENDING_COOKIE).unwrap();
    let res = sign_in_with(&app, format!("{PENDING_COOKIE}={pending}")).await;
    let session = session_cookie(&res).unwrap();
    let duty = location(&res).unwrap();
    assert!(
        duty.starts_with(app::routes::MFA_SETTINGS),
        "MFA first: {duty}"
    );
    let go_on = || {
        browse(
            &app,
            app::routes::OIDC_CONTINUE,
            Some(&session),
            Some(&pending),
        )
    };
    // Not before the duty is done: back to it.
    let res = go_on().await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(location(&res)
        .unwrap()
        .starts_with(app::routes::MFA_SETTINGS));

    app.enable_mfa(&session).await;
    let done = app::routes::mfa_done_url(app::routes::MfaDone::On);
    let page = browse(&app, &done, Some(&session), Some(&pending))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(app::text::APP_WAITING), "{page}");
    assert!(page.contains(&app::text::back_to_app("在庫登録")));
    assert!(page.contains(&format!(r#"href="{}""#, app::routes::OIDC_CONTINUE)));
    // Without the request's cookie, no word of it.
    let page = browse(&app, &done, Some(&session), None)
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains(app::text::APP_WAITING));

    let res = go_on().await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = location(&res).unwrap();
    assert!(to.starts_with(CALLBACK), "{to}");
    assert_eq!(param(&to, "state").as_deref(), Some("st-1"));
    let body = tokens(&app, &rp, &param(&to, "code").unwrap()).await;
    let claims = verified(&app, body["id_token"].as_str().unwrap(), &rp.id).await;
    assert_eq!(
        claims["amr"],
        serde_json::json!(["pwd", "otp", "mfa"]),
        "the setup's code"
    );

    // Answered once; then a page that says the request is gone.
    let res = go_on().await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains(app::text::ERR_APP_NOT_WAITING));
    // And nothing without a sign-in.
    let res = browse(&app, app::routes::OIDC_CONTINUE, None, Some(&pending)).await;
    assert_eq!(location(&res).as_deref(), Some(app::routes::LOGIN));
}

/// An application's parallel code exchanges all succeed, more at once
/// than the failures' allowance: successes are judged one after another
/// and given back, never counted against the client.
#[tokio::test]
async fn parallel_exchanges_of_one_client_are_never_throttled() {
    let (app, rp) = app_with_client().await;
    let session = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let burst = app::server::provider::CLIENT_FAILURES_BURST as usize;
    let mut codes = Vec::new();
    for _ in 0..burst * 3 {
        codes.push(code_for(&app, &rp, &session).await);
    }
    let exchanges = codes.iter().map(|code| exchange(&app, &rp, code, VERIFIER));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(exchanges)
        .await
        .iter()
        .map(Response::status)
        .collect();
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
}
