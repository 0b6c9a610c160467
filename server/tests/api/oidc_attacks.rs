//! Attacks on the provider across two instances of the release server over
//! one database, as behind a load balancer: a code raced on both, a code
//! of one client redeemed by another, a PKCE downgrade, and a client
//! secret guessed on both instances.

use super::oidc::{param, request, Rp, CALLBACK, VERIFIER};
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;

fn register(pair: &Pair, name: &str) -> Rp {
    let out = pair.cli(&["client", "add", "--name", name, "--redirect-uri", CALLBACK]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    let after = |label: &str| {
        said.lines()
            .find_map(|l| l.strip_prefix(label))
            .unwrap()
            .trim()
            .to_owned()
    };
    Rp {
        id: after("Registered. client ID:"),
        secret: after("client secret:"),
    }
}

/// A code for `rp`, from instance `i`, for the session in `cookie`.
async fn code(pair: &Pair, i: usize, rp: &Rp, cookie: &str, extra: &[(&str, &str)]) -> String {
    let res = pair.get(i, &request(rp, extra), Some(cookie)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = location(&res).unwrap();
    assert_eq!(
        param(&to, "iss").as_deref(),
        Some(pair.issuer()),
        "one issuer: {to}"
    );
    param(&to, "code").unwrap_or_else(|| panic!("a code: {to}"))
}

async fn exchange(pair: &Pair, i: usize, rp: &Rp, form: &[(&str, &str)]) -> reqwest::Response {
    pair.client
        .post(pair.url(i, app::routes::OIDC_TOKEN))
        .basic_auth(&rp.id, Some(&rp.secret))
        .form(form)
        .send()
        .await
        .unwrap()
}

fn code_form<'a>(code: &'a str, verifier: &'a str) -> [(&'static str, &'a str); 4] {
    [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", CALLBACK),
        ("code_verifier", verifier),
    ]
}

#[tokio::test]
async fn one_code_raced_on_both_instances_gives_tokens_once_and_is_then_void() {
    let pair = Pair::start().await;
    pair.add_user("dealer01").await;
    let rp = register(&pair, "在庫登録");
    let (cookie, _) = pair.sign_in(0, "dealer01", None).await;
    for round in 0..6 {
        let code = code(&pair, round, &rp, &cookie, &[]).await;
        let form = code_form(&code, VERIFIER);
        let tries = (0..8).map(|i| exchange(&pair, i, &rp, &form));
        let answers = futures_util::future::join_all(tries).await;
        let won: Vec<_> = answers
            .iter()
            .filter(|r| r.status() == StatusCode::OK)
            .collect();
        assert_eq!(
            won.len(),
            1,
            "round {round}: one winner across both instances"
        );
        for lost in answers.iter().filter(|r| r.status() != StatusCode::OK) {
            assert_eq!(lost.status(), StatusCode::BAD_REQUEST, "round {round}");
        }
    }
}

#[tokio::test]
async fn a_code_of_one_client_is_nothing_to_another_and_stays_its_own() {
    let pair = Pair::start().await;
    pair.add_user("dealer01").await;
    let a = register(&pair, "在庫登録");
    let b = register(&pair, "見積");
    let (cookie, _) = pair.sign_in(0, "dealer01", None).await;
    let code = code(&pair, 0, &a, &cookie, &[]).await;
    let stolen = exchange(&pair, 1, &b, &code_form(&code, VERIFIER)).await;
    assert_eq!(stolen.status(), StatusCode::BAD_REQUEST);
    let err: Value = stolen.json().await.unwrap();
    assert_eq!(err["error"], "invalid_grant");
    // B's attempt did not use A's code up: A still redeems it, and its ID
    // token names A alone.
    let res = exchange(&pair, 0, &a, &code_form(&code, VERIFIER)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    let payload = body["id_token"]
        .as_str()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap();
    use base64::Engine as _;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["aud"], a.id.as_str());
    assert_eq!(claims["azp"], a.id.as_str());
    assert_eq!(claims["iss"], pair.issuer());

    // A's tokens presented by B, on the other instance: B's introspection
    // learns nothing of A's access token, A's ID token is no bearer token,
    // and as B's logout hint it sends the browser nowhere of B's.
    let (id_token, access) = (
        body["id_token"].as_str().unwrap(),
        body["access_token"].as_str().unwrap(),
    );
    let looked: Value = pair
        .client
        .post(pair.url(1, app::routes::OIDC_INTROSPECT))
        .basic_auth(&b.id, Some(&b.secret))
        .form(&[("token", access)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(looked, serde_json::json!({ "active": false }));
    let bearer = pair
        .client
        .get(pair.url(1, app::routes::OIDC_USERINFO))
        .bearer_auth(id_token)
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), StatusCode::UNAUTHORIZED);
    let hint = format!(
        "{}?id_token_hint={id_token}&client_id={}&post_logout_redirect_uri={}",
        app::routes::OIDC_LOGOUT,
        b.id,
        app::domain::percent_encode(CALLBACK)
    );
    let res = pair.get(1, &hint, Some(&cookie)).await;
    assert!(
        !location(&res).is_some_and(|to| to.starts_with(CALLBACK)),
        "{:?}",
        location(&res)
    );
}

#[tokio::test]
async fn pkce_cannot_be_stripped_from_the_request_or_the_exchange() {
    let pair = Pair::start().await;
    pair.add_user("dealer01").await;
    let rp = register(&pair, "在庫登録");
    let (cookie, _) = pair.sign_in(0, "dealer01", None).await;
    // Stripped from the request: no code.
    let res = pair
        .get(
            1,
            &request(
                &rp,
                &[("code_challenge", ""), ("code_challenge_method", "")],
            ),
            Some(&cookie),
        )
        .await;
    let to = location(&res).unwrap();
    assert_eq!(param(&to, "error").as_deref(), Some("invalid_request"));
    assert!(param(&to, "code").is_none());
    // Stripped from the exchange: refused, on either instance.
    let code = code(&pair, 0, &rp, &cookie, &[]).await;
    let res = exchange(
        &pair,
        1,
        &rp,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let res = exchange(&pair, 0, &rp, &code_form(&code, "")).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_secret_guessed_on_both_instances_meets_each_ones_throttle() {
    let pair = Pair::start().await;
    let rp = register(&pair, "在庫登録");
    let wrong = Rp {
        id: rp.id.clone(),
        secret: "guess-0000".into(),
    };
    let form = code_form("x", VERIFIER);
    let mut refused = 0;
    let mut throttled = 0;
    for i in 0..60 {
        match exchange(&pair, i, &wrong, &form).await.status() {
            StatusCode::UNAUTHORIZED => refused += 1,
            StatusCode::TOO_MANY_REQUESTS => throttled += 1,
            other => panic!("guess {i}: {other}"),
        }
    }
    // Ten at once on each instance; a guess a minute refills (the run is
    // seconds long: at most one more on each).
    assert!((20..=22).contains(&refused), "{refused} checked");
    assert_eq!(refused + throttled, 60);
    let recorded: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE event = 'client_auth_failed'")
            .fetch_one(pair.db.pool())
            .await
            .unwrap();
    assert_eq!(
        recorded, refused as i64,
        "every checked failure is recorded"
    );
}

#[tokio::test]
async fn one_refresh_token_raced_on_both_instances_refreshes_once_and_voids_the_family() {
    let pair = Pair::start().await;
    pair.add_user("dealer01").await;
    let rp = register(&pair, "在庫登録");
    for round in 0..4 {
        let (cookie, _) = pair.sign_in(round, "dealer01", None).await;
        let code = code(&pair, round, &rp, &cookie, &[]).await;
        let body: Value = exchange(&pair, round + 1, &rp, &code_form(&code, VERIFIER))
            .await
            .json()
            .await
            .unwrap();
        let token = body["refresh_token"].as_str().unwrap();
        let form = [("grant_type", "refresh_token"), ("refresh_token", token)];
        let tries = (0..4).map(|i| exchange(&pair, i, &rp, &form));
        let answers = futures_util::future::join_all(tries).await;
        let won: Vec<_> = answers
            .into_iter()
            .filter(|r| r.status() == StatusCode::OK)
            .collect();
        assert_eq!(
            won.len(),
            1,
            "round {round}: one winner across both instances"
        );
        // The losers presented a used token: the family is revoked, and the
        // winner's new token with it. A thief racing the client keeps nothing.
        let next: Value = won.into_iter().next().unwrap().json().await.unwrap();
        let next = next["refresh_token"].as_str().unwrap();
        let again = exchange(
            &pair,
            round,
            &rp,
            &[("grant_type", "refresh_token"), ("refresh_token", next)],
        )
        .await;
        assert_eq!(again.status(), StatusCode::BAD_REQUEST, "round {round}");
    }
}
