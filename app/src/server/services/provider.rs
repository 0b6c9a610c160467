//! The OpenID Connect provider's decisions: what an authorization request
//! gets (a code at once, the sign-in screens first, a duty first, or an
//! error), the code exchange, and what an access token is worth at the
//! userinfo endpoint. The HTTP edge is `server::provider`; the rules of a
//! request are `services::authorize`; the tokens' claims are
//! `services::tokens`.

use super::audit::Who;
use super::authorize::{self, Authorization, Prompt};
use super::clients::{self, ClientInfo};
use super::tokens::{self, Issued};
use super::Client;
use crate::error::AppError;
use crate::server::db::audit::{Actor, Entry, Event};
use crate::server::db::grants::{self, GrantRow, Granted, NewGrant, PendingRow, Redeemed};
use crate::server::jws::SigningKey;
use crate::server::session::{live_since, Duty, Method, Session, Stage, Token};
use crate::server::AppState;

/// How long a code may wait for its exchange.
pub const CODE_SECS: i64 = 60;
/// How long a request waits for its browser to sign in.
pub const PENDING_SECS: i64 = 10 * 60;

/// A checked request, as kept while its browser signs in.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Kept {
    redirect_uri: String,
    scopes: Vec<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: String,
    max_age: Option<i64>,
    login: bool,
}

impl Kept {
    /// Whether `session`'s sign-in is recent enough: `prompt=login` wants
    /// one made after the request (`asked_at`, when it was kept), and
    /// `max_age` one no older than that many seconds; a sign-in made after
    /// the request answers both.
    fn fresh(&self, session: &Session, asked_at: Option<i64>, now: i64) -> bool {
        asked_at.is_some_and(|at| session.signed_in_at >= at)
            || (!self.login
                && self
                    .max_age
                    .is_none_or(|age| now - session.signed_in_at <= age))
    }

    fn of(auth: &Authorization) -> Self {
        Self {
            redirect_uri: auth.redirect_uri.clone(),
            scopes: auth.scopes.iter().map(|s| (*s).to_owned()).collect(),
            state: auth.state.clone(),
            nonce: auth.nonce.clone(),
            code_challenge: auth.code_challenge.clone(),
            max_age: auth.max_age,
            login: auth.prompt == Prompt::Login,
        }
    }
}

/// What the browser does next.
#[derive(Debug)]
pub enum Next {
    /// Back to the application: this URL carries the code, or an error,
    /// with `state` and `iss`.
    ToClient(String),
    /// To the sign-in screens (again, if the session is too old for the
    /// request), with this token in the request's cookie.
    SignIn { pending: Token },
    /// To a duty's page first (the request is kept under `pending`).
    Duty { pending: Token, duty: Duty },
}

/// Whether `session`'s sign-in may answer a request for `client`: fully
/// signed in, no duty, and MFA passed (or a browser remembered through it)
/// when the client requires it. `Err` names the duty that comes first.
fn ready(session: &Session, client: &ClientInfo) -> Result<bool, Duty> {
    if session.stage != Stage::Full {
        return Ok(false);
    }
    if let Some(duty) = session.duty {
        return Err(duty);
    }
    if client.mfa_required && session.method == Method::Password {
        return Err(Duty::SetUpMfa);
    }
    Ok(true)
}

/// The first answer to a checked request.
pub async fn authorize(
    state: &AppState,
    issuer: &str,
    auth: &Authorization,
    client: &ClientInfo,
    session: Option<&Session>,
    who: &Client,
) -> Result<Next, AppError> {
    let now = state.clock.now();
    let kept = Kept::of(auth);
    let readiness = session.map(|s| (s, ready(s, client)));
    if let Some((s, Ok(true))) = readiness {
        if kept.fresh(s, None, now) {
            // Without a pending request there is nothing to answer twice.
            if let Some(next) = issue(state, issuer, &client.client_id, &kept, s, None, who).await?
            {
                return Ok(next);
            }
        }
    }
    if auth.prompt == Prompt::None {
        let error = match readiness {
            Some((_, Err(_))) => "interaction_required",
            _ => "login_required",
        };
        return Ok(Next::ToClient(error_url(&kept, issuer, error)));
    }
    let pending = keep(state, &client.client_id, &kept, now).await?;
    Ok(match readiness {
        Some((_, Err(duty))) => Next::Duty { pending, duty },
        _ => Next::SignIn { pending },
    })
}

async fn keep(state: &AppState, client_id: &str, kept: &Kept, now: i64) -> Result<Token, AppError> {
    let token = Token::generate();
    let json = serde_json::to_string(kept).map_err(|_| AppError::Internal)?;
    grants::keep_pending(&state.db, &token.hash(), client_id, &json, now).await?;
    Ok(token)
}

fn error_url(kept: &Kept, issuer: &str, error: &'static str) -> String {
    let refused = authorize::Refused {
        redirect_uri: kept.redirect_uri.clone(),
        state: kept.state.clone(),
        error,
        description: match error {
            "login_required" => "the user is not signed in",
            "interaction_required" => "the user must act on the portal first",
            _ => "the request cannot be answered",
        },
    };
    authorize::refusal_url(&refused, issuer)
}

/// The request that waits under `pending`, if one does (unexpired), with
/// its client's ID and when it was kept.
async fn waiting(
    state: &AppState,
    pending: &Token,
) -> Result<Option<(PendingRow, Kept)>, AppError> {
    let now = state.clock.now();
    let Some(row) = grants::pending(&state.db, &pending.hash(), now - PENDING_SECS).await? else {
        return Ok(None);
    };
    match serde_json::from_str::<Kept>(&row.request) {
        Ok(kept) => Ok(Some((row, kept))),
        Err(_) => {
            tracing::error!("a pending authorization request does not read back");
            Ok(None)
        }
    }
}

/// The name of the application whose request waits under `pending`, if
/// one does: the way back after a duty done on the way.
pub async fn waiting_app(state: &AppState, pending: &Token) -> Result<Option<String>, AppError> {
    let Some((row, _)) = waiting(state, pending).await? else {
        return Ok(None);
    };
    Ok(clients::find(&state.db, &row.client_id)
        .await?
        .map(|client| client.name))
}

/// The origin (`https://host[:port]`) of the redirect URI of the request
/// that waits under `pending`, if one does.
pub async fn waiting_origin(state: &AppState, pending: &Token) -> Result<Option<String>, AppError> {
    Ok(waiting(state, pending)
        .await?
        .and_then(|(_, kept)| origin(&kept.redirect_uri)))
}

/// The origin of an absolute URL: its scheme, host and port.
fn origin(uri: &str) -> Option<String> {
    let (scheme, rest) = uri.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    (!authority.is_empty() && !authority.contains(['@', ' ', ';', ',', '\'']))
        .then(|| format!("{scheme}://{authority}"))
}

/// The answer to a request that waited for its browser (the cookie's
/// `pending` token) to sign in: `None` when there is none (or it expired),
/// and the caller goes on as after any sign-in. Any sign-in completed
/// after the request was made answers `prompt=login` and `max_age`.
pub async fn resume(
    state: &AppState,
    issuer: &str,
    pending: &Token,
    session: &Session,
    who: &Client,
) -> Result<Option<Next>, AppError> {
    let now = state.clock.now();
    let Some((row, kept)) = waiting(state, pending).await? else {
        return Ok(None);
    };
    let Some(client) = clients::find(&state.db, &row.client_id).await? else {
        return Ok(None);
    };
    // The client may have changed since: its redirect URI must still be its own.
    if !client.redirect_uris.contains(&kept.redirect_uri) {
        return Ok(None);
    }
    let pending = pending.clone();
    match ready(session, &client) {
        Err(duty) => Ok(Some(Next::Duty { pending, duty })),
        Ok(true) if kept.fresh(session, Some(row.created_at), now) => {
            // `None` when a parallel sign-in answered it already: the
            // caller goes on as after any sign-in.
            issue(
                state,
                issuer,
                &client.client_id,
                &kept,
                session,
                Some(&pending),
                who,
            )
            .await
        }
        Ok(_) => Ok(Some(Next::SignIn { pending })),
    }
}

/// Makes a code for `session`'s sign-in and the URL that takes it to the
/// client, ending the pending request, if any, in the same transaction.
/// `None` when that request was answered meanwhile.
async fn issue(
    state: &AppState,
    issuer: &str,
    client_id: &str,
    kept: &Kept,
    session: &Session,
    pending: Option<&Token>,
    who: &Client,
) -> Result<Option<Next>, AppError> {
    let now = state.clock.now();
    let code = Token::generate();
    let handle = Token::generate();
    let scopes = kept.scopes.join(" ");
    let new = NewGrant {
        handle: handle.expose(),
        code_hash: &code.hash(),
        client_id,
        user_id: session.user_id,
        session_hash: &session.id_hash,
        redirect_uri: &kept.redirect_uri,
        code_challenge: &kept.code_challenge,
        nonce: kept.nonce.as_deref(),
        scopes: &scopes,
        auth_time: session.signed_in_at,
        method: session.method.as_str(),
    };
    let entry = Who::of(session, who)
        .entry(Event::AppSignIn)
        .with_detail(client_id);
    let pending_hash = pending.map(Token::hash);
    match grants::grant(&state.db, new, pending_hash.as_deref(), &entry, now).await? {
        Granted::Done => {}
        Granted::SessionGone => {
            return Ok(Some(Next::ToClient(error_url(
                kept,
                issuer,
                "login_required",
            ))));
        }
        Granted::AlreadyAnswered => return Ok(None),
    }
    let mut pairs = vec![("code", code.expose())];
    if let Some(s) = &kept.state {
        pairs.push(("state", s));
    }
    pairs.push(("iss", issuer));
    Ok(Some(Next::ToClient(authorize::with_query(
        &kept.redirect_uri,
        &pairs,
    ))))
}

/// A code exchange refused (RFC 6749 5.2 `invalid_grant`): the code is
/// unknown, expired, used, another client's, or its redirect URI or
/// verifier is wrong. Which, the client is not told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidGrant;

/// Exchanges `code` for tokens, for the authenticated `client`.
pub async fn exchange(
    state: &AppState,
    issuer: &str,
    client: &ClientInfo,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Result<Result<Issued, InvalidGrant>, AppError> {
    let Some(code) = Token::parse(code) else {
        return Ok(Err(InvalidGrant));
    };
    let now = state.clock.now();
    // The key first: a key that cannot be opened (or made) must not cost
    // the application its code, which the transaction below uses up.
    let key = super::signing::current(&state.db, &state.secrets, now).await?;
    let refresh = Token::generate();
    let exchange = grants::Exchange {
        code_hash: &code.hash(),
        client_id: &client.client_id,
        since: now - CODE_SECS,
        live: live_since(now),
        refresh_hash: &refresh.hash(),
        replayed: &Entry::new(client_actor(client), Event::CodeReplayed),
        mismatched: &Entry::new(client_actor(client), Event::CodeMismatched),
    };
    // The code is used up whatever follows: a wrong verifier or redirect
    // URI cannot be retried with it.
    let fits = |grant: &GrantRow| {
        grant.redirect_uri == redirect_uri
            && authorize::verifier_matches(verifier, &grant.code_challenge)
    };
    match grants::redeem(&state.db, &exchange, fits, now).await? {
        Redeemed::Fresh(grant) => Ok(Ok(signed(&key, issuer, &grant, refresh, now)?)),
        Redeemed::Replayed => {
            tracing::warn!(client_id = %client.client_id, "an authorization code was used twice: its grant is revoked");
            Ok(Err(InvalidGrant))
        }
        Redeemed::Mismatched | Redeemed::Unknown => Ok(Err(InvalidGrant)),
    }
}

fn signed(
    key: &SigningKey,
    issuer: &str,
    grant: &GrantRow,
    refresh: Token,
    now: i64,
) -> Result<Issued, AppError> {
    tokens::issue(key, issuer, grant, refresh.expose().to_owned(), now)
}

/// Uses `refresh_token` of `client` once for new tokens (and the next
/// refresh token). A used one presented again revokes the whole grant.
pub async fn refresh(
    state: &AppState,
    issuer: &str,
    client: &ClientInfo,
    refresh_token: &str,
) -> Result<Result<Issued, InvalidGrant>, AppError> {
    let Some(token) = Token::parse(refresh_token) else {
        return Ok(Err(InvalidGrant));
    };
    let now = state.clock.now();
    // The key first, as for a code: a refresh token used up must come back
    // with its successor.
    let key = super::signing::current(&state.db, &state.secrets, now).await?;
    let next = Token::generate();
    let replayed = Entry::new(client_actor(client), Event::RefreshTokenReplayed);
    let refreshed = grants::refresh(
        &state.db,
        &token.hash(),
        &client.client_id,
        &next.hash(),
        &replayed,
        live_since(now),
        now,
    )
    .await?;
    match refreshed {
        Redeemed::Fresh(grant) => Ok(Ok(signed(&key, issuer, &grant, next, now)?)),
        Redeemed::Replayed => {
            tracing::warn!(client_id = %client.client_id, "a refresh token was used twice: its grant is revoked");
            Ok(Err(InvalidGrant))
        }
        Redeemed::Mismatched | Redeemed::Unknown => Ok(Err(InvalidGrant)),
    }
}

/// The live grant of `client` that `token` stands for: one of its access
/// tokens (with its claims) or its unused refresh tokens.
async fn grant_of_token(
    state: &AppState,
    issuer: &str,
    client: &ClientInfo,
    token: &str,
) -> Result<Option<(GrantRow, Option<serde_json::Value>)>, AppError> {
    if let Some(refresh) = Token::parse(token) {
        let live = live_since(state.clock.now());
        let grant =
            grants::grant_of_refresh(&state.db, &refresh.hash(), &client.client_id, live).await?;
        return Ok(grant.map(|g| (g, None)));
    }
    Ok(access_token(state, issuer, token)
        .await?
        .filter(|(g, _)| g.client_id == client.client_id)
        .map(|(g, claims)| (g, Some(claims))))
}

/// RFC 7009: revokes the grant behind `token` (an access or refresh token
/// of `client`'s own), and every token made from it. Unknown tokens are
/// no error.
pub async fn revoke(
    state: &AppState,
    issuer: &str,
    client: &ClientInfo,
    token: &str,
) -> Result<(), AppError> {
    if let Some((grant, _)) = grant_of_token(state, issuer, client, token).await? {
        grants::revoke_for(&state.db, grant.id, &client.client_id, state.clock.now()).await?;
    }
    Ok(())
}

/// RFC 7662: what `token` is worth, told only to the client it was issued
/// to; `{"active": false}` for anything else.
pub async fn introspect(
    state: &AppState,
    issuer: &str,
    client: &ClientInfo,
    token: &str,
) -> Result<serde_json::Value, AppError> {
    use serde_json::json;
    let Some((grant, claims)) = grant_of_token(state, issuer, client, token).await? else {
        return Ok(json!({ "active": false }));
    };
    let method = Method::parse(&grant.method);
    let mut answer = json!({
        "active": true,
        "iss": issuer,
        "sub": grant.subject,
        "client_id": grant.client_id,
        "aud": grant.client_id,
        "scope": grant.scopes,
        "auth_time": grant.auth_time,
        "sid": tokens::sid(&grant.session_hash),
        "amr": tokens::amr(method),
        "acr": tokens::acr(method),
        "token_type": if claims.is_some() { "Bearer" } else { "refresh_token" },
    });
    if let Some(claims) = claims {
        for name in ["exp", "iat", "jti"] {
            answer[name] = claims[name].clone();
        }
    }
    Ok(answer)
}

/// Who a client's events are recorded as.
pub fn client_actor(client: &ClientInfo) -> Actor {
    Actor {
        actor: format!("client:{}", client.client_id),
        ..Default::default()
    }
}

/// Records a failed client authentication. The client ID is the caller's
/// text: only a short, plain one is written as it is.
pub async fn client_auth_failed(
    state: &AppState,
    client_id: &str,
    address: Option<String>,
) -> Result<(), AppError> {
    let plain = client_id.len() <= 64
        && client_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    let actor = Actor {
        actor: if plain {
            format!("client:{client_id}")
        } else {
            "client:?".to_owned()
        },
        address,
        ..Default::default()
    };
    let entry = Entry::new(actor, Event::ClientAuthFailed);
    Ok(crate::server::db::audit::record(&state.db, &entry, state.clock.now()).await?)
}

/// The live grant an access token stands for, if its signature is one of
/// the published keys', it has not expired, it was issued here, and its
/// grant is still live (not revoked, its session signed in).
pub async fn grant_of_access_token(
    state: &AppState,
    issuer: &str,
    token: &str,
) -> Result<Option<GrantRow>, AppError> {
    Ok(access_token(state, issuer, token)
        .await?
        .map(|(grant, _)| grant))
}

/// The live grant of an access token, as [`grant_of_access_token`], and
/// the token's claims.
async fn access_token(
    state: &AppState,
    issuer: &str,
    token: &str,
) -> Result<Option<(GrantRow, serde_json::Value)>, AppError> {
    let now = state.clock.now();
    let published = super::signing::published(&state.db, now).await?;
    let Some(claims) = tokens::read_access_token(token, issuer, &published, now) else {
        return Ok(None);
    };
    let Some(handle) = tokens::grant_handle(&claims) else {
        return Ok(None);
    };
    Ok(grants::live(&state.db, handle, live_since(now))
        .await?
        .map(|grant| (grant, claims)))
}

/// What an RP-initiated logout request (OpenID Connect RP-Initiated
/// Logout 1.0) may do.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LogoutPlan {
    /// The `sid` of a valid `id_token_hint` (this issuer's, signed by a
    /// published key; expired is fine): a session with that `sid` may be
    /// ended without asking.
    pub sid: Option<String>,
    /// Where the browser goes afterwards: the `post_logout_redirect_uri`
    /// with `state`, only if it is registered, byte for byte, for the
    /// client the hint names (or `client_id`, which must agree with it).
    pub redirect: Option<String>,
}

/// Reads an RP-initiated logout request's parameters.
pub async fn logout_plan(
    state: &AppState,
    issuer: &str,
    params: &[(String, String)],
) -> Result<LogoutPlan, AppError> {
    // A repeated parameter counts as absent.
    let get = |name: &str| authorize::single(params, name).ok().flatten();
    let now = state.clock.now();
    let published = super::signing::published(&state.db, now).await?;
    let hint = get("id_token_hint")
        .and_then(|t| crate::server::jws::verify(t, "JWT", &published))
        .filter(|claims| claims["iss"] == issuer);
    let hinted = hint
        .as_ref()
        .and_then(|c| c["aud"].as_str())
        .map(str::to_owned);
    let client_id = match (hinted, get("client_id")) {
        (Some(aud), Some(id)) if aud != id => None,
        (Some(aud), _) => Some(aud),
        (None, Some(id)) => Some(id.to_owned()),
        (None, None) => None,
    };
    let mut plan = LogoutPlan {
        sid: hint
            .as_ref()
            .and_then(|c| c["sid"].as_str())
            .map(str::to_owned),
        redirect: None,
    };
    if let (Some(client_id), Some(uri)) = (client_id, get("post_logout_redirect_uri")) {
        let registered = clients::find(&state.db, &client_id)
            .await?
            .is_some_and(|c| c.post_logout_uris.iter().any(|u| u == uri));
        if registered {
            let pairs: Vec<(&str, &str)> = get("state").map(|s| ("state", s)).into_iter().collect();
            plan.redirect = Some(authorize::with_query(uri, &pairs));
        }
    }
    Ok(plan)
}

/// Whether `session` is the one whose `sid` is `sid`.
pub fn is_session(session: &Session, sid: &str) -> bool {
    tokens::sid(&session.id_hash) == sid
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_is_scheme_host_and_port_and_nothing_that_could_widen_a_policy() {
        assert_eq!(
            origin("https://zaiko.example.jp/cb?x=1").as_deref(),
            Some("https://zaiko.example.jp")
        );
        assert_eq!(
            origin("http://127.0.0.1:3101/cb").as_deref(),
            Some("http://127.0.0.1:3101")
        );
        assert_eq!(
            origin("https://a.example.jp"),
            Some("https://a.example.jp".into())
        );
        for bad in [
            "cb",
            "https:///cb",
            "https://a.example.jp;script-src *",
            "https://x y/",
        ] {
            assert_eq!(origin(bad), None, "{bad}");
        }
    }
}
