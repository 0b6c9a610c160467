//! The authorization request of the OpenID Connect provider, checked
//! (OpenID Connect Core 3.1.2, RFC 6749 4.1, RFC 7636, RFC 9207). This is
//! the rule book the authorization endpoint (`server::provider`) applies
//! before anyone signs in.
//!
//! Two kinds of refusal, in this order:
//! - **never redirected**: no or an unknown `client_id`, no `redirect_uri`
//!   or one not registered for the client, byte for byte. The browser sees
//!   a page of the portal's own, so that a forged request cannot turn the
//!   portal into an open redirect;
//! - **sent back to the client**: everything else, as RFC 6749's `error`
//!   with `state` and `iss` (RFC 9207), once the redirect URI is known good.

use super::clients::ClientInfo;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use sha2::{Digest, Sha256};

/// The longest `state` and `nonce` accepted.
pub const MAX_STATE: usize = 1024;

/// What `prompt` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// Sign in if needed (no `prompt`, or `consent` / `select_account`,
    /// which a first-party provider with one account per browser meets as
    /// it is).
    Normal,
    /// Never show a screen: `login_required` without a session.
    None,
    /// A fresh sign-in, whatever session there is.
    Login,
}

/// A request that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub client_id: String,
    pub redirect_uri: String,
    /// `openid`, and `profile` if asked for; other scopes are dropped.
    pub scopes: Vec<&'static str>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// The PKCE S256 challenge.
    pub code_challenge: String,
    pub prompt: Prompt,
    /// Seconds: an older sign-in must be done again.
    pub max_age: Option<i64>,
}

/// A refusal shown on the portal's own page: the client or its redirect
/// URI is not known to be good, so the browser goes nowhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotRedirected {
    NoClient,
    UnknownClient,
    NoRedirectUri,
    RedirectUriNotRegistered,
    /// `client_id` or `redirect_uri` given twice.
    Repeated,
}

/// A refusal sent back to the client's redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub redirect_uri: String,
    pub state: Option<String>,
    /// RFC 6749's code: `invalid_request`, `unsupported_response_type`,
    /// `invalid_scope`, `request_not_supported`, ...
    pub error: &'static str,
    /// For the client's developer, in English.
    pub description: &'static str,
}

/// The one value of `name` (an empty one is none), `Err` when it is
/// repeated: OAuth parameters may not be (RFC 6749 3.1, 3.2).
pub fn single<'a>(
    params: &'a [(String, String)],
    name: &str,
) -> Result<Option<&'a str>, &'static str> {
    let mut found = params
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str());
    let first = found.next();
    match found.next() {
        Some(_) => Err("a parameter is repeated"),
        None => Ok(first.filter(|v| !v.is_empty())),
    }
}

/// Checks an authorization request's parameters (from the query of a GET
/// or the form of a POST) against the client `find` returns.
pub fn check(
    params: &[(String, String)],
    find: impl FnOnce(&str) -> Option<ClientInfo>,
) -> Result<Result<Authorization, Refused>, NotRedirected> {
    let client_id = single(params, "client_id")
        .map_err(|_| NotRedirected::Repeated)?
        .ok_or(NotRedirected::NoClient)?;
    let client = find(client_id).ok_or(NotRedirected::UnknownClient)?;
    let redirect_uri = single(params, "redirect_uri")
        .map_err(|_| NotRedirected::Repeated)?
        .ok_or(NotRedirected::NoRedirectUri)?;
    if !client.redirect_uris.iter().any(|r| r == redirect_uri) {
        return Err(NotRedirected::RedirectUriNotRegistered);
    }
    // From here on, a refusal goes back to the client. A repeated `state`
    // is not echoed: which of the two would be the client's?
    let state = single(params, "state").unwrap_or(None);
    let refuse = |error, description| Refused {
        redirect_uri: redirect_uri.to_owned(),
        state: state.map(str::to_owned),
        error,
        description,
    };
    Ok(rest(params, &client, redirect_uri, state).map_err(|(e, d)| refuse(e, d)))
}

type Why = (&'static str, &'static str);

fn rest(
    params: &[(String, String)],
    client: &ClientInfo,
    redirect_uri: &str,
    state: Option<&str>,
) -> Result<Authorization, Why> {
    const BAD: &str = "invalid_request";
    let get = |name| single(params, name).map_err(|_| (BAD, "a parameter is repeated"));
    for name in [
        "state",
        "response_type",
        "scope",
        "nonce",
        "code_challenge",
        "code_challenge_method",
        "prompt",
        "max_age",
    ] {
        get(name)?;
    }
    if get("request")?.is_some() {
        return Err(("request_not_supported", "request objects are not supported"));
    }
    if get("request_uri")?.is_some() {
        return Err(("request_uri_not_supported", "request_uri is not supported"));
    }
    if state.is_some_and(|s| s.len() > MAX_STATE) {
        return Err((BAD, "state is too long"));
    }
    match get("response_type")? {
        None => return Err((BAD, "response_type is missing")),
        Some("code") => {}
        Some(_) => return Err(("unsupported_response_type", "only the code flow is offered")),
    }
    let asked: Vec<&str> = get("scope")?.unwrap_or("").split(' ').collect();
    if !asked.contains(&"openid") {
        return Err(("invalid_scope", "scope must include openid"));
    }
    let mut scopes = vec!["openid"];
    if asked.contains(&"profile") {
        scopes.push("profile");
    }
    let nonce = get("nonce")?;
    if nonce.is_some_and(|n| n.len() > MAX_STATE) {
        return Err((BAD, "nonce is too long"));
    }
    // PKCE S256 for every client, confidential ones too (RFC 9700 2.1.1).
    let challenge = get("code_challenge")?.ok_or((BAD, "PKCE is required: code_challenge"))?;
    match get("code_challenge_method")? {
        Some("S256") => {}
        // RFC 7636: no method means `plain`, which is refused like `plain`.
        _ => return Err((BAD, "code_challenge_method must be S256")),
    }
    let is_s256 = challenge.len() == 43
        && challenge
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !is_s256 {
        return Err((BAD, "code_challenge is not a S256 challenge"));
    }
    let prompt = match get("prompt")? {
        None => Prompt::Normal,
        Some(raw) => {
            let values: Vec<&str> = raw.split(' ').collect();
            let known = ["none", "login", "consent", "select_account"];
            if values.iter().any(|v| !known.contains(v)) {
                return Err((BAD, "prompt has an unknown value"));
            }
            if values.contains(&"none") && values.len() > 1 {
                return Err((BAD, "prompt=none stands alone"));
            }
            if values.contains(&"none") {
                Prompt::None
            } else if values.contains(&"login") {
                Prompt::Login
            } else {
                Prompt::Normal
            }
        }
    };
    let max_age = match get("max_age")? {
        None => None,
        Some(raw) => Some(
            raw.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0 && raw.bytes().all(|b| b.is_ascii_digit()))
                .ok_or((BAD, "max_age is not a number of seconds"))?,
        ),
    };
    Ok(Authorization {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        scopes,
        state: state.map(str::to_owned),
        nonce: nonce.map(str::to_owned),
        code_challenge: challenge.to_owned(),
        prompt,
        max_age,
    })
}

/// Whether `verifier` (RFC 7636: 43 to 128 unreserved characters) is the
/// one whose S256 challenge is `challenge`.
pub fn verifier_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    well_formed
        && aws_lc_rs::constant_time::verify_slices_are_equal(
            URL_SAFE_NO_PAD
                .encode(Sha256::digest(verifier.as_bytes()))
                .as_bytes(),
            challenge.as_bytes(),
        )
        .is_ok()
}

/// `redirect_uri` with `pairs` added to its query (it may have one
/// already), each part encoded.
pub fn with_query(redirect_uri: &str, pairs: &[(&str, &str)]) -> String {
    let mut url = redirect_uri.to_owned();
    for (i, (k, v)) in pairs.iter().enumerate() {
        let joint = if i == 0 && !redirect_uri.contains('?') {
            '?'
        } else {
            '&'
        };
        url.push(joint);
        url.push_str(&crate::domain::percent_encode(k));
        url.push('=');
        url.push_str(&crate::domain::percent_encode(v));
    }
    url
}

/// Where a refusal sends the browser: the error, the client's `state`, and
/// the issuer (RFC 9207, against mix-up).
pub fn refusal_url(refused: &Refused, issuer: &str) -> String {
    let mut pairs = vec![
        ("error", refused.error),
        ("error_description", refused.description),
    ];
    if let Some(state) = &refused.state {
        pairs.push(("state", state));
    }
    pairs.push(("iss", issuer));
    with_query(&refused.redirect_uri, &pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CB: &str = "https://zaiko.example.jp/cb";
    // RFC 7636, appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn client() -> ClientInfo {
        ClientInfo {
            client_id: "zaiko".into(),
            name: "在庫登録".into(),
            public: false,
            mfa_required: false,
            tile: None,
            start_url: None,
            backchannel_logout_uri: None,
            redirect_uris: vec![CB.into(), "https://zaiko.example.jp/cb?tab=1".into()],
            post_logout_uris: vec![],
        }
    }

    fn good() -> Vec<(String, String)> {
        [
            ("response_type", "code"),
            ("client_id", "zaiko"),
            ("redirect_uri", CB),
            ("scope", "openid profile email"),
            ("state", "s-1"),
            ("nonce", "n-1"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .to_vec()
    }

    fn with(
        mut params: Vec<(String, String)>,
        name: &str,
        value: Option<&str>,
    ) -> Vec<(String, String)> {
        params.retain(|(k, _)| k != name);
        if let Some(v) = value {
            params.push((name.into(), v.into()));
        }
        params
    }

    fn run(params: &[(String, String)]) -> Result<Result<Authorization, Refused>, NotRedirected> {
        check(params, |id| (id == "zaiko").then(client))
    }

    #[test]
    fn a_good_request_passes_with_what_it_asked_for() {
        let a = run(&good()).unwrap().unwrap();
        assert_eq!(a.scopes, ["openid", "profile"], "email is not offered");
        assert_eq!(a.state.as_deref(), Some("s-1"));
        assert_eq!(a.nonce.as_deref(), Some("n-1"));
        assert_eq!(a.prompt, Prompt::Normal);
        let no_nonce = run(&with(good(), "nonce", None)).unwrap().unwrap();
        assert_eq!(
            no_nonce.nonce, None,
            "a request without a nonce still works"
        );
        let registered_query = with(
            good(),
            "redirect_uri",
            Some("https://zaiko.example.jp/cb?tab=1"),
        );
        assert!(run(&registered_query).unwrap().is_ok());
    }

    #[test]
    fn a_redirect_uri_must_be_registered_byte_for_byte_or_nothing_redirects() {
        for forged in [
            "https://zaiko.example.jp/cb/",
            "https://zaiko.example.jp/c",
            "https://zaiko.example.jp/cb/../cb",
            "https://zaiko.example.jp/cbx",
            "https://ZAIKO.example.jp/cb",
            "HTTPS://zaiko.example.jp/cb",
            "https://zaiko.example.jp/CB",
            "https://zaiko.example.jp:443/cb",
            "https://zaiko.example.jp/%63b",
            "https://zaiko.example.jp/cb?",
            "https://zaiko.example.jp/cb#",
            "https://evil.example@zaiko.example.jp/cb",
            "https://zaiko.example.jp@evil.example/cb",
            "https://zaiko.example.jp.evil.example/cb",
            "https://zaiko.example.jp/cb?tab=1&x=2",
            " https://zaiko.example.jp/cb",
        ] {
            let params = with(good(), "redirect_uri", Some(forged));
            assert_eq!(
                run(&params),
                Err(NotRedirected::RedirectUriNotRegistered),
                "{forged}"
            );
        }
        assert_eq!(
            run(&with(good(), "redirect_uri", None)),
            Err(NotRedirected::NoRedirectUri)
        );
        assert_eq!(
            run(&with(good(), "client_id", None)),
            Err(NotRedirected::NoClient)
        );
        assert_eq!(
            run(&with(good(), "client_id", Some("other"))),
            Err(NotRedirected::UnknownClient)
        );
        let mut twice = good();
        twice.push(("redirect_uri".into(), "https://evil.example/cb".into()));
        assert_eq!(run(&twice), Err(NotRedirected::Repeated));
    }

    fn error_of(params: &[(String, String)]) -> &'static str {
        let refused = run(params).unwrap().unwrap_err();
        assert_eq!(refused.redirect_uri, CB);
        refused.error
    }

    #[test]
    fn pkce_s256_is_required_of_every_client() {
        assert_eq!(
            error_of(&with(good(), "code_challenge", None)),
            "invalid_request"
        );
        assert_eq!(
            error_of(&with(good(), "code_challenge_method", None)),
            "invalid_request",
            "no method is plain"
        );
        assert_eq!(
            error_of(&with(good(), "code_challenge_method", Some("plain"))),
            "invalid_request"
        );
        assert_eq!(
            error_of(&with(good(), "code_challenge", Some("short"))),
            "invalid_request"
        );
        assert!(
            verifier_matches(VERIFIER, CHALLENGE),
            "RFC 7636's own example"
        );
        assert!(
            !verifier_matches(CHALLENGE, CHALLENGE),
            "the challenge is not its own verifier"
        );
        assert!(!verifier_matches(&VERIFIER[..42], CHALLENGE));
        assert!(!verifier_matches(&format!("{VERIFIER} "), CHALLENGE));
    }

    #[test]
    fn only_the_code_flow_and_openid_are_offered() {
        for other in ["token", "id_token", "code id_token", "code token", "none"] {
            assert_eq!(
                error_of(&with(good(), "response_type", Some(other))),
                "unsupported_response_type",
                "{other}"
            );
        }
        assert_eq!(
            error_of(&with(good(), "response_type", None)),
            "invalid_request"
        );
        assert_eq!(
            error_of(&with(good(), "scope", Some("profile"))),
            "invalid_scope"
        );
        assert_eq!(error_of(&with(good(), "scope", None)), "invalid_scope");
        assert_eq!(
            error_of(&with(good(), "request", Some("eyJ..."))),
            "request_not_supported"
        );
        assert_eq!(
            error_of(&with(good(), "request_uri", Some("https://x"))),
            "request_uri_not_supported"
        );
    }

    #[test]
    fn prompt_and_max_age_are_read_strictly() {
        let prompt = |v| {
            run(&with(good(), "prompt", Some(v)))
                .unwrap()
                .map(|a| a.prompt)
        };
        assert_eq!(prompt("none"), Ok(Prompt::None));
        assert_eq!(prompt("login"), Ok(Prompt::Login));
        assert_eq!(prompt("login consent"), Ok(Prompt::Login));
        assert_eq!(prompt("consent"), Ok(Prompt::Normal));
        assert_eq!(prompt("none login").unwrap_err().error, "invalid_request");
        assert_eq!(prompt("always").unwrap_err().error, "invalid_request");
        let age = |v| {
            run(&with(good(), "max_age", Some(v)))
                .unwrap()
                .map(|a| a.max_age)
        };
        assert_eq!(age("0"), Ok(Some(0)));
        assert_eq!(age("3600"), Ok(Some(3600)));
        for bad in ["-1", "1.5", "+5", "1e3", "x"] {
            assert_eq!(age(bad).unwrap_err().error, "invalid_request", "{bad}");
        }
    }

    #[test]
    fn a_refusal_carries_state_and_iss_and_a_repeated_state_is_not_echoed() {
        let refused = run(&with(good(), "code_challenge", None))
            .unwrap()
            .unwrap_err();
        let url = refusal_url(&refused, "https://portal.example.jp");
        assert_eq!(
            url,
            "https://zaiko.example.jp/cb?error=invalid_request&error_description=PKCE%20is%20required%3A%20code_challenge&state=s-1&iss=https%3A//portal.example.jp"
        );
        let mut twice = good();
        twice.push(("state".into(), "s-2".into()));
        let refused = run(&twice).unwrap().unwrap_err();
        assert_eq!(
            (refused.error, refused.state.clone()),
            ("invalid_request", None)
        );
        let on_query = Refused {
            redirect_uri: "https://zaiko.example.jp/cb?tab=1".into(),
            ..refused
        };
        assert!(refusal_url(&on_query, "https://p")
            .starts_with("https://zaiko.example.jp/cb?tab=1&error="));
    }
}
