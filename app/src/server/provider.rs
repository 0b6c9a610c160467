//! The OpenID Connect provider's HTTP edge: discovery, the JWKS, the
//! authorization endpoint (GET and POST), the token endpoint, userinfo,
//! revocation and introspection.
//! Plain axum routes: they parse and answer; the decisions are
//! `services::provider` (and `services::authorize`, the rule book).
//!
//! Errors follow the standards: the authorization endpoint sends the
//! browser back to the client (RFC 6749 4.1.2.1, with `iss`), except when
//! the client or its redirect URI is not known to be good, which gets a
//! Japanese page and no redirect; the token endpoint answers RFC 6749 5.2
//! JSON; userinfo answers RFC 6750 3.1.

use super::request::{self, ClientAddress, CurrentSession, Stage};
use super::services::authorize::{self, NotRedirected};
use super::services::clients::{self, ClientInfo};
use super::services::provider::{self, InvalidGrant, Next};
use super::services::{sign_in, signing, Client};
use super::throttle::Key;
use super::AppState;
use crate::error::AppError;
use crate::routes;
use crate::text;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::Extension;
use base64::{engine::general_purpose::STANDARD, Engine};
use serde_json::{json, Value};

/// The OIDC routes, for the test of who reaches what (none needs a
/// session: the authorization endpoint asks for one itself).
pub const ROUTES: [&str; 9] = [
    routes::OIDC_DISCOVERY,
    routes::OIDC_AUTHORIZE,
    routes::OIDC_TOKEN,
    routes::OIDC_USERINFO,
    routes::OIDC_JWKS,
    routes::OIDC_REVOKE,
    routes::OIDC_INTROSPECT,
    routes::OIDC_LOGOUT,
    routes::OIDC_CONTINUE,
];

/// Failed client authentications per client and address, in this
/// instance: a burst, then this many a minute.
pub const CLIENT_FAILURES_BURST: u32 = 10;
pub const CLIENT_FAILURES_PER_MINUTE: u32 = 10;

fn issuer(state: &AppState) -> Option<&str> {
    state.issuer.as_deref()
}

fn not_found() -> Response {
    StatusCode::NOT_FOUND.into_response()
}

fn unavailable_json(err: &AppError) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = (status, Json(json!({ "error": "temporarily_unavailable" }))).into_response();
    if let Some(secs) = err.retry_after() {
        res.headers_mut().insert(header::RETRY_AFTER, secs.into());
    }
    res
}

/// `GET /.well-known/openid-configuration` (OpenID Connect Discovery 1.0).
pub async fn discovery(State(state): State<AppState>) -> Response {
    let Some(iss) = issuer(&state) else {
        return not_found();
    };
    let url = |path: &str| format!("{iss}{path}");
    let doc = json!({
        "issuer": iss,
        "authorization_endpoint": url(routes::OIDC_AUTHORIZE),
        "token_endpoint": url(routes::OIDC_TOKEN),
        "userinfo_endpoint": url(routes::OIDC_USERINFO),
        "jwks_uri": url(routes::OIDC_JWKS),
        "revocation_endpoint": url(routes::OIDC_REVOKE),
        "introspection_endpoint": url(routes::OIDC_INTROSPECT),
        "end_session_endpoint": url(routes::OIDC_LOGOUT),
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "scopes_supported": ["openid", "profile"],
        "claims_supported": [
            "iss", "sub", "aud", "azp", "exp", "iat", "auth_time", "nonce", "sid",
            "amr", "acr", "name", "preferred_username"
        ],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "acr_values_supported": [
            "urn:autobank:acr:password",
            "urn:autobank:acr:remembered-device",
            "urn:autobank:acr:mfa"
        ],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
    });
    public_json(doc)
}

/// A document anyone may read, from any origin.
fn public_json(doc: Value) -> Response {
    let mut res = Json(doc).into_response();
    res.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    res
}

/// `GET /oidc/jwks`: the published public keys.
pub async fn jwks(State(state): State<AppState>) -> Response {
    if issuer(&state).is_none() {
        return not_found();
    }
    let now = state.clock.now();
    let published = match signing::jwks(&state.db, now).await {
        Ok(doc) if doc["keys"].as_array().is_some_and(|keys| keys.is_empty()) => {
            // A new database's first request makes the first key, so the
            // JWKS is never empty when a client reads it.
            match signing::current(&state.db, &state.secrets, now).await {
                Ok(_) => signing::jwks(&state.db, now).await,
                Err(err) => Err(err),
            }
        }
        read => read,
    };
    match published {
        Ok(doc) => public_json(doc),
        Err(err) => unavailable_json(&err),
    }
}

fn pairs(raw: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw).into_owned().collect()
}

/// `GET /oidc/authorize?...`
pub async fn authorize_get(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = pairs(query.unwrap_or_default().as_bytes());
    authorize(&state, current, address, &headers, &params).await
}

/// `POST /oidc/authorize` (a form).
pub async fn authorize_post(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    authorize(&state, current, address, &headers, &pairs(&body)).await
}

fn see_other(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response(),
        Err(_) => StatusCode::BAD_REQUEST.into_response(),
    }
}

fn who(headers: &HeaderMap, address: &ClientAddress) -> Client {
    request::client_of(headers, address.0)
}

async fn authorize(
    state: &AppState,
    current: CurrentSession,
    address: ClientAddress,
    headers: &HeaderMap,
    params: &[(String, String)],
) -> Response {
    let Some(iss) = issuer(state) else {
        return not_found();
    };
    let refused_here = |why: NotRedirected| {
        tracing::info!(?why, "authorization request refused without a redirect");
        super::plain::message_page(
            StatusCode::BAD_REQUEST,
            text::ERR_APP_REQUEST_TITLE,
            text::ERR_APP_UNKNOWN,
        )
    };
    // The rule book is synchronous: the client is read first.
    let first_id = params
        .iter()
        .find(|(k, _)| k == "client_id")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    let client = match clients::find(&state.db, first_id).await {
        Ok(found) => found,
        Err(err) => return super::plain::error_page(text::ERR_UNAVAILABLE_TITLE, &err),
    };
    let auth = match authorize::check(params, |_| client.clone()) {
        Err(why) => return refused_here(why),
        Ok(Err(refused)) => return see_other(&authorize::refusal_url(&refused, iss)),
        Ok(Ok(auth)) => auth,
    };
    let Some(client) = client else {
        return refused_here(NotRedirected::UnknownClient);
    };
    let session = current.0.as_ref();
    let next =
        provider::authorize(state, iss, &auth, &client, session, &who(headers, &address)).await;
    match next {
        Ok(next) => follow(next),
        Err(err) => super::plain::error_page(text::ERR_UNAVAILABLE_TITLE, &err),
    }
}

/// Where `next` sends the browser, with the pending request's cookie.
fn follow(next: Next) -> Response {
    let (to, pending) = match next {
        Next::ToClient(url) => return see_other(&url),
        Next::SignIn { pending } => (routes::LOGIN, pending),
        Next::Duty { pending, duty } => (request::duty_page(duty), pending),
    };
    let mut res = see_other(to);
    res.headers_mut()
        .append(header::SET_COOKIE, request::pending_cookie(Some(&pending)));
    res
}

/// `GET /oidc/continue`: the way back to the application whose request
/// waited while the dealer did a duty on the way (replaced a temporary
/// password, set up MFA). The request is answered as a sign-in's end
/// answers it: a code for the application, or the next duty first. With
/// nothing waiting any more, a page that says so; without a full
/// sign-in, the form.
/// A GET, as the authorization endpoint itself is: what it may do is what
/// the waiting request asked.
pub async fn continue_get(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
) -> Response {
    let Some(iss) = issuer(&state) else {
        return not_found();
    };
    let session = current.0.as_ref().filter(|s| s.stage == Stage::Full);
    let Some(session) = session else {
        return see_other(routes::LOGIN);
    };
    let next = match request::pending(&headers) {
        Some(pending) => {
            provider::resume(&state, iss, &pending, session, &who(&headers, &address)).await
        }
        None => Ok(None),
    };
    let mut res = match next {
        Ok(Some(next @ (Next::Duty { .. } | Next::SignIn { .. }))) => return follow(next),
        Ok(Some(Next::ToClient(url))) => see_other(&url),
        Ok(None) => super::plain::message_page(
            StatusCode::OK,
            text::ERR_APP_REQUEST_TITLE,
            text::ERR_APP_NOT_WAITING,
        ),
        Err(err) => return super::plain::error_page(text::ERR_UNAVAILABLE_TITLE, &err),
    };
    res.headers_mut()
        .append(header::SET_COOKIE, request::pending_cookie(None));
    res
}

/// `GET /oidc/logout` (OpenID Connect RP-Initiated Logout 1.0): an
/// application asks the portal to end the dealer's session. With an
/// `id_token_hint` of this session the session ends at once; otherwise the
/// dealer is asked first (a link from anywhere must not sign anyone out).
/// Afterwards the browser goes to the `post_logout_redirect_uri` only if
/// it is registered for the client, and to the portal otherwise.
pub async fn logout_get(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let params = pairs(query.unwrap_or_default().as_bytes());
    logout(&state, current, address, &headers, &params, false).await
}

/// `POST /oidc/logout`: the dealer's answer on the confirmation page (the
/// cross-site check lets only this origin's own forms through).
pub async fn logout_post(
    State(state): State<AppState>,
    Extension(current): Extension<CurrentSession>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    logout(&state, current, address, &headers, &pairs(&body), true).await
}

async fn logout(
    state: &AppState,
    current: CurrentSession,
    address: ClientAddress,
    headers: &HeaderMap,
    params: &[(String, String)],
    confirmed: bool,
) -> Response {
    let Some(iss) = issuer(state) else {
        return not_found();
    };
    let plan = match provider::logout_plan(state, iss, params).await {
        Ok(plan) => plan,
        Err(err) => return super::plain::error_page(text::ERR_UNAVAILABLE_TITLE, &err),
    };
    let mut res = see_other(plan.redirect.as_deref().unwrap_or(routes::PORTAL));
    if let Some(session) = current.0.as_ref() {
        let hinted = plan
            .sid
            .as_deref()
            .is_some_and(|sid| provider::is_session(session, sid));
        if !hinted && !confirmed {
            let kept: Vec<(&str, &str)> = params
                .iter()
                .filter(|(k, _)| {
                    [
                        "id_token_hint",
                        "client_id",
                        "post_logout_redirect_uri",
                        "state",
                    ]
                    .contains(&k.as_str())
                })
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            return super::plain::confirm_page(
                text::LOGOUT_CONFIRM_TITLE,
                text::LOGOUT_CONFIRM,
                routes::OIDC_LOGOUT,
                &kept,
                text::LOGOUT,
            );
        }
        if let Err(err) = sign_in::sign_out(state, session, &who(headers, &address)).await {
            return super::plain::error_page(text::ERR_UNAVAILABLE_TITLE, &err);
        }
        res.headers_mut()
            .append(header::SET_COOKIE, request::cleared_session_cookie());
    }
    res
}

/// An RFC 6749 5.2 error.
fn token_error(status: StatusCode, error: &'static str, description: &'static str) -> Response {
    let mut res = (
        status,
        Json(json!({ "error": error, "error_description": description })),
    )
        .into_response();
    no_store(&mut res);
    res
}

fn no_store(res: &mut Response) {
    let h = res.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
}

/// The client's credentials as sent: HTTP Basic (RFC 6749 2.3.1, each
/// part form-encoded) or `client_id` and `client_secret` in the body.
#[derive(Debug, PartialEq, Eq)]
enum Credentials {
    /// `client_secret_basic` or `client_secret_post`.
    Secret {
        id: String,
        secret: String,
        basic: bool,
    },
    /// A public client: its ID alone.
    Public { id: String },
}

fn credentials(
    headers: &HeaderMap,
    form: &[(String, String)],
) -> Result<Credentials, &'static str> {
    let get = |name: &str| authorize::single(form, name);
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "));
    let body_id = get("client_id")?;
    let body_secret = get("client_secret")?;
    if let Some(encoded) = basic {
        if body_secret.is_some() {
            return Err("one way of client authentication only");
        }
        let decoded = STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|d| String::from_utf8(d).ok())
            .ok_or("malformed Basic credentials")?;
        let (id, secret) = decoded
            .split_once(':')
            .ok_or("malformed Basic credentials")?;
        let unform = |s: &str| {
            url::form_urlencoded::parse(format!("x={s}").as_bytes())
                .next()
                .map(|(_, v)| v.into_owned())
                .unwrap_or_default()
        };
        let id = unform(id);
        if body_id.is_some_and(|b| b != id) {
            return Err("client_id differs from the Basic credentials");
        }
        return Ok(Credentials::Secret {
            id,
            secret: unform(secret),
            basic: true,
        });
    }
    let id = body_id
        .ok_or("client authentication is required")?
        .to_owned();
    Ok(match body_secret {
        Some(secret) => Credentials::Secret {
            id,
            secret: secret.to_owned(),
            basic: false,
        },
        None => Credentials::Public { id },
    })
}

/// The client a form to the token, revocation or introspection endpoint
/// comes from, authenticated; or the answer that refuses it.
async fn client_of(
    state: &AppState,
    headers: &HeaderMap,
    form: &[(String, String)],
    address: &ClientAddress,
) -> Result<ClientInfo, Response> {
    let credentials = credentials(headers, form)
        .map_err(|why| token_error(StatusCode::UNAUTHORIZED, "invalid_client", why))?;
    match authenticate(state, &credentials, address).await {
        Ok(found) => found,
        Err(err) => Err(unavailable_json(&err)),
    }
}

/// A form's fields, each once (RFC 6749 3.2).
fn fields<'a, const N: usize>(
    form: &'a [(String, String)],
    names: [&str; N],
) -> Result<[Option<&'a str>; N], &'static str> {
    let mut out = [None; N];
    for (slot, name) in out.iter_mut().zip(names) {
        *slot = authorize::single(form, name)?;
    }
    Ok(out)
}

fn invalid_request(why: &'static str) -> Response {
    token_error(StatusCode::BAD_REQUEST, "invalid_request", why)
}

/// `POST /oidc/token`: the `authorization_code` and `refresh_token` grants.
pub async fn token(
    State(state): State<AppState>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(iss) = issuer(&state) else {
        return not_found();
    };
    let form = pairs(&body);
    let client = match client_of(&state, &headers, &form, &address).await {
        Ok(client) => client,
        Err(refused) => return refused,
    };
    let [grant_type, code, redirect_uri, verifier, refresh_token] = match fields(
        &form,
        [
            "grant_type",
            "code",
            "redirect_uri",
            "code_verifier",
            "refresh_token",
        ],
    ) {
        Ok(f) => f,
        Err(why) => return invalid_request(why),
    };
    let bad = invalid_request;
    let issued = match grant_type {
        Some("authorization_code") => {
            let (Some(code), Some(redirect_uri), Some(verifier)) = (code, redirect_uri, verifier)
            else {
                return bad("code, redirect_uri and code_verifier are required");
            };
            provider::exchange(&state, iss, &client, code, redirect_uri, verifier).await
        }
        Some("refresh_token") => {
            let Some(refresh_token) = refresh_token else {
                return bad("refresh_token is required");
            };
            provider::refresh(&state, iss, &client, refresh_token).await
        }
        None => return bad("grant_type is missing"),
        Some(_) => {
            return token_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only authorization_code and refresh_token are offered",
            )
        }
    };
    match issued {
        Ok(Ok(issued)) => {
            let mut res = Json(json!({
                "access_token": issued.access_token,
                "token_type": "Bearer",
                "expires_in": issued.expires_in,
                "id_token": issued.id_token,
                "refresh_token": issued.refresh_token,
                "scope": issued.scope,
            }))
            .into_response();
            no_store(&mut res);
            res
        }
        Ok(Err(InvalidGrant)) => token_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "the grant is unknown, expired, used, revoked, or not this client's",
        ),
        Err(err) => unavailable_json(&err),
    }
}

/// What the revocation and introspection endpoints are asked: by an
/// authenticated client, about one `token`.
struct TokenQuestion {
    client: ClientInfo,
    token: String,
}

async fn token_question(
    state: &AppState,
    address: &ClientAddress,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<TokenQuestion, Response> {
    let form = pairs(body);
    let client = client_of(state, headers, &form, address).await?;
    match fields(&form, ["token"]) {
        Ok([Some(token)]) => Ok(TokenQuestion {
            client,
            token: token.to_owned(),
        }),
        Ok([None]) => Err(invalid_request("token is required")),
        Err(why) => Err(invalid_request(why)),
    }
}

/// `POST /oidc/revoke` (RFC 7009): a client revokes one of its tokens,
/// and with it every token of the same sign-in. 200 whatever the token.
pub async fn revoke(
    State(state): State<AppState>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(iss) = issuer(&state) else {
        return not_found();
    };
    let asked = match token_question(&state, &address, &headers, &body).await {
        Ok(asked) => asked,
        Err(refused) => return refused,
    };
    match provider::revoke(&state, iss, &asked.client, &asked.token).await {
        Ok(()) => {
            let mut res = StatusCode::OK.into_response();
            no_store(&mut res);
            res
        }
        Err(err) => unavailable_json(&err),
    }
}

/// `POST /oidc/introspect` (RFC 7662), for a confidential client's own
/// tokens.
pub async fn introspect(
    State(state): State<AppState>,
    Extension(address): Extension<ClientAddress>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(iss) = issuer(&state) else {
        return not_found();
    };
    let asked = match token_question(&state, &address, &headers, &body).await {
        Ok(asked) => asked,
        Err(refused) => return refused,
    };
    if asked.client.public {
        // RFC 7662 2.1: the caller must be authorized; a public client
        // proves nothing but its ID.
        return token_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "a public client cannot introspect",
        );
    }
    match provider::introspect(&state, iss, &asked.client, &asked.token).await {
        Ok(answer) => {
            let mut res = Json(answer).into_response();
            no_store(&mut res);
            res
        }
        Err(err) => unavailable_json(&err),
    }
}

/// The client `credentials` name, if they are right; failures are
/// throttled per client and address, and recorded.
async fn authenticate(
    state: &AppState,
    credentials: &Credentials,
    address: &ClientAddress,
) -> Result<Result<ClientInfo, Response>, AppError> {
    let (id, basic) = match credentials {
        Credentials::Secret { id, basic, .. } => (id.as_str(), *basic),
        Credentials::Public { id } => (id.as_str(), false),
    };
    // By the client and its address's block (an IPv6 /64, as the
    // address throttle counts), so that a new address of one subscriber
    // is no new allowance.
    let key = Key::named(&format!("{id}\n{:?}", address.0.map(Key::of)));
    // One attempt of this client and address at a time: counted before
    // the check, and given back on success. A burst of parallel guesses
    // gets no more checks than a sequence would, and an application's
    // parallel exchanges (all succeeding) never reach the failures' limit.
    let turn = state.token_throttle.one_at_a_time(key).await;
    if let Err(wait) = state.token_throttle.check(key) {
        let mut res = token_error(
            StatusCode::TOO_MANY_REQUESTS,
            "temporarily_unavailable",
            "too many failed client authentications; retry later",
        );
        res.headers_mut()
            .insert(header::RETRY_AFTER, (wait.as_secs() + 1).into());
        return Ok(Err(res));
    }
    let found = match credentials {
        Credentials::Secret { id, secret, .. } => {
            clients::authenticate(&state.db, &state.secrets, id, secret).await?
        }
        Credentials::Public { id } => clients::public(&state.db, id).await?,
    };
    if let Some(client) = found {
        state.token_throttle.refund(key);
        return Ok(Ok(client));
    }
    // Counted; the record is written after the turn, which is held only
    // for the count and the check.
    drop(turn);
    provider::client_auth_failed(state, id, address.0.map(|ip| ip.to_string())).await?;
    let mut res = token_error(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "client authentication failed",
    );
    if basic {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"autobank\""),
        );
    }
    Ok(Err(res))
}

fn bearer_error(error: &'static str) -> Response {
    let mut res = StatusCode::UNAUTHORIZED.into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("Bearer error=\"{error}\"")) {
        res.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    no_store(&mut res);
    res
}

/// `GET` or `POST /oidc/userinfo` with `Authorization: Bearer`.
pub async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(iss) = issuer(&state) else {
        return not_found();
    };
    let Some(token) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        let mut res = StatusCode::UNAUTHORIZED.into_response();
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return res;
    };
    match provider::grant_of_access_token(&state, iss, token.trim()).await {
        Ok(Some(grant)) => {
            let mut claims = json!({ "sub": grant.subject });
            if grant.scopes.split(' ').any(|s| s == "profile") {
                claims["name"] = json!(grant.display_name);
                claims["preferred_username"] = json!(grant.login_id);
            }
            let mut res = Json(claims).into_response();
            no_store(&mut res);
            res
        }
        Ok(None) => bearer_error("invalid_token"),
        Err(err) => unavailable_json(&err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    fn basic(raw: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let value = format!("Basic {}", STANDARD.encode(raw));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&value).unwrap(),
        );
        h
    }

    #[test]
    fn client_credentials_are_read_one_way_only() {
        let none = HeaderMap::new();
        assert_eq!(
            credentials(&basic("zaiko:s%3Acret"), &form(&[])),
            Ok(Credentials::Secret {
                id: "zaiko".into(),
                secret: "s:cret".into(),
                basic: true
            })
        );
        assert_eq!(
            credentials(
                &none,
                &form(&[("client_id", "zaiko"), ("client_secret", "x")])
            ),
            Ok(Credentials::Secret {
                id: "zaiko".into(),
                secret: "x".into(),
                basic: false
            })
        );
        assert_eq!(
            credentials(&none, &form(&[("client_id", "spa")])),
            Ok(Credentials::Public { id: "spa".into() })
        );
        assert!(credentials(&basic("zaiko:x"), &form(&[("client_secret", "y")])).is_err());
        assert!(credentials(&basic("zaiko:x"), &form(&[("client_id", "other")])).is_err());
        assert!(credentials(&basic("no-colon"), &form(&[])).is_err());
        assert!(credentials(&none, &form(&[])).is_err());
        assert!(credentials(&none, &form(&[("client_id", "a"), ("client_id", "b")])).is_err());
    }
}
