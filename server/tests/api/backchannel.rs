//! Back-Channel Logout 1.0 over HTTP: an application that a portal session
//! signed into is told, by a signed logout token POSTed to its registered
//! URI, when that session ends, whatever ended it; a failing application is
//! tried again and finally recorded; two instances tell it once; a claim
//! left by a dead instance is taken over. Logout tokens are checked by
//! `jsonwebtoken` against the published JWKS, never by the provider's code.
//! Node's `jose` judges them too, in `end2end/oidc/`.

use crate::helpers::*;
use crate::oidc::{code_for, exchange, register, spec, tokens_of, verified, Rp, VERIFIER};
use app::server::services::backchannel::{backoff, LEASE_SECS, MAX_ATTEMPTS};
use app::server::services::clients::ClientSpec;
use app::server::session::IDLE_SECS;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Form, Router};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// An application's back-channel logout endpoint: keeps every token it is
/// sent, and answers with the statuses it is told to, in turn (then 200).
#[derive(Clone, Default)]
struct Receiver {
    tokens: Arc<Mutex<Vec<String>>>,
    answers: Arc<Mutex<Vec<StatusCode>>>,
}

impl Receiver {
    /// Serves on loopback; answers `answers` in turn, then 200.
    async fn start(answers: Vec<StatusCode>) -> (Self, String) {
        let receiver = Self {
            answers: Arc::new(Mutex::new(answers.into_iter().rev().collect())),
            ..Self::default()
        };
        async fn logout(
            State(r): State<Receiver>,
            Form(form): Form<HashMap<String, String>>,
        ) -> StatusCode {
            r.tokens
                .lock()
                .unwrap()
                .push(form.get("logout_token").cloned().unwrap_or_default());
            r.answers.lock().unwrap().pop().unwrap_or(StatusCode::OK)
        }
        let router = Router::new()
            .route("/backchannel", post(logout))
            .with_state(receiver.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/backchannel", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        (receiver, url)
    }

    fn tokens(&self) -> Vec<String> {
        self.tokens.lock().unwrap().clone()
    }

    /// Waits (at most 15 s) until `n` tokens have come.
    async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..150 {
            if self.tokens().len() >= n {
                return self.tokens();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{} logout tokens came, not {n}", self.tokens().len());
    }
}

/// A client whose back-channel logout URI is `uri`.
async fn client_told_at(app: &TestApp, name: &str, uri: &str) -> Rp {
    let spec = ClientSpec {
        name: name.into(),
        backchannel_logout_uri: Some(uri.into()),
        ..spec()
    };
    register(app, spec).await
}

/// `login_id` signs in and `rp` gets its tokens: the session cookie and
/// the ID token's claims.
async fn signed_into(app: &TestApp, rp: &Rp, login_id: &str) -> (String, Value) {
    let (session, body) = tokens_of(app, rp, login_id).await;
    let id = verified(app, body["id_token"].as_str().unwrap(), &rp.id).await;
    (session, id)
}

/// A logout token's claims, checked as Back-Channel Logout 1.0, 2.6 asks:
/// the signature against the JWKS, `typ`, `iss`, `aud`, `iat`/`exp`, an
/// `events` member for back-channel logout, a `jti`, and no `nonce`.
async fn logout_claims(app: &TestApp, token: &str, rp: &Rp) -> Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("logout+jwt"));
    let claims = verified(app, token, &rp.id).await;
    assert_eq!(claims["iss"], app.state.issuer.as_deref().unwrap());
    assert!(
        claims["events"]["http://schemas.openid.net/event/backchannel-logout"].is_object(),
        "{claims}"
    );
    assert!(claims.get("nonce").is_none(), "{claims}");
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 16));
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert!(exp > iat && exp - iat <= 300, "{claims}");
    claims
}

#[tokio::test]
async fn every_way_a_session_ends_tells_each_application_it_signed_into_once() {
    let app = spawn_app().await;
    let (inventory, inventory_url) = Receiver::start(vec![]).await;
    let (estimates, estimates_url) = Receiver::start(vec![]).await;
    let zaiko = client_told_at(&app, "在庫登録", &inventory_url).await;
    let mitsumori = client_told_at(&app, "見積", &estimates_url).await;
    let ways = ["sign-out", "helpdesk", "disabled", "idle"];
    let mut sessions = Vec::new();
    for (i, way) in ways.iter().enumerate() {
        let login_id = format!("dealer0{i}");
        app.add_user(&login_id, GOOD_PASSWORD).await;
        let (session, id) = signed_into(&app, &zaiko, &login_id).await;
        // Only the first also signed into the second application.
        if i == 0 {
            let code = code_for(&app, &mitsumori, &session).await;
            assert!(exchange(&app, &mitsumori, &code, VERIFIER)
                .await
                .status()
                .is_success());
        }
        sessions.push((*way, login_id, session, id));
    }
    // A session still signed in: no one hears of it until it idles too.
    app.add_user("dealer09", GOOD_PASSWORD).await;
    let (_, idling) = signed_into(&app, &zaiko, "dealer09").await;

    let mut told = 0;
    for (way, login_id, session, id) in &sessions {
        let user_id = app.user_id(login_id).await;
        match *way {
            "sign-out" => {
                let res = app.call("logout", &[], Some(session)).await;
                assert!(res.status().is_success() || res.status().is_redirection());
            }
            "helpdesk" => {
                let mut tx = app.db.pool().begin().await.unwrap();
                let ended = app::server::db::endings::end_sessions(
                    &mut tx,
                    user_id,
                    app::server::db::endings::Ending::All,
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
                assert_eq!(ended, 1);
            }
            "disabled" => {
                // The account alone is stopped; its session row is still there.
                sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2")
                    .bind(app.clock.now())
                    .bind(user_id)
                    .execute(app.db.pool())
                    .await
                    .unwrap();
            }
            "idle" => {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                assert_eq!(inventory.tokens().len(), 3, "only the ended ones");
                // The sessions idle past their limit, rows not yet swept.
                app.clock.advance(IDLE_SECS + 1);
                told += 1; // `dealer09` too: idle as well.
            }
            _ => unreachable!(),
        }
        told += 1;
        let tokens = inventory.wait_for(told).await;
        let claims = logout_claims(&app, tokens.last().unwrap(), &zaiko).await;
        if *way != "idle" {
            assert_eq!(claims["sid"], id["sid"], "{way}");
            assert_eq!(claims["sub"], id["sub"], "{way}");
        }
    }
    // Each session once at each application it signed into, none twice.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let tokens = inventory.tokens();
    assert_eq!(tokens.len(), 5, "four ended, and the idle `dealer09`");
    let mut sids = Vec::new();
    for token in &tokens {
        sids.push(logout_claims(&app, token, &zaiko).await["sid"].clone());
    }
    for (_, _, _, id) in &sessions {
        assert_eq!(sids.iter().filter(|s| **s == id["sid"]).count(), 1);
    }
    assert!(sids.contains(&idling["sid"]));
    let estimates = estimates.tokens();
    assert_eq!(estimates.len(), 1);
    let claims = logout_claims(&app, &estimates[0], &mitsumori).await;
    assert_eq!(claims["sid"], sessions[0].3["sid"]);
}

/// The row of the one logout queued, as `attempts`, `sent` and `failed`.
async fn outbox(app: &TestApp) -> (i64, bool, bool) {
    let (attempts, sent, failed): (i64, Option<i64>, Option<i64>) =
        sqlx::query_as("SELECT attempts, sent_at, failed_at FROM oidc_logouts")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    (attempts, sent.is_some(), failed.is_some())
}

#[tokio::test]
async fn a_failing_application_is_tried_again_later_and_its_last_failure_is_audited() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let always = vec![StatusCode::SERVICE_UNAVAILABLE; MAX_ATTEMPTS as usize + 5];
    let (receiver, url) = Receiver::start(always).await;
    let rp = client_told_at(&app, "在庫登録", &url).await;
    let (session, _) = signed_into(&app, &rp, "dealer01").await;
    app.call("logout", &[], Some(&session)).await;
    for attempt in 1..=MAX_ATTEMPTS {
        receiver.wait_for(attempt as usize).await;
        // Not again before its backoff is up.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(receiver.tokens().len(), attempt as usize);
        assert_eq!(
            outbox(&app).await,
            (attempt, false, attempt == MAX_ATTEMPTS)
        );
        app.clock.advance(backoff(attempt));
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(receiver.tokens().len(), MAX_ATTEMPTS as usize, "given up");
    let events = app.audit_events().await;
    assert_eq!(
        events
            .iter()
            .filter(|e| *e == "backchannel_logout_failed")
            .count(),
        1,
        "{events:?}"
    );
    let detail: String = sqlx::query_scalar(
        "SELECT detail FROM audit_events WHERE event = 'backchannel_logout_failed'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(detail, format!("{}: HTTP 503", rp.id));
}

#[tokio::test]
async fn a_try_that_fails_once_is_sent_on_the_next_and_not_audited() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let (receiver, url) = Receiver::start(vec![StatusCode::INTERNAL_SERVER_ERROR]).await;
    let rp = client_told_at(&app, "在庫登録", &url).await;
    let (session, id) = signed_into(&app, &rp, "dealer01").await;
    app.call("logout", &[], Some(&session)).await;
    receiver.wait_for(1).await;
    app.clock.advance(backoff(1));
    let tokens = receiver.wait_for(2).await;
    assert_eq!(logout_claims(&app, &tokens[1], &rp).await["sid"], id["sid"]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(outbox(&app).await, (2, true, false));
    assert!(!app
        .audit_events()
        .await
        .contains(&"backchannel_logout_failed".to_owned()));
}

#[tokio::test]
async fn two_instances_over_one_database_tell_each_ended_session_once() {
    let a = spawn_app().await;
    let b = spawn_set_up(
        a.db.clone(),
        a.database_url.clone(),
        None,
        Setup {
            key: a.key,
            ..Setup::default()
        },
    )
    .await;
    let (receiver, url) = Receiver::start(vec![]).await;
    let rp = client_told_at(&a, "在庫登録", &url).await;
    let mut sessions = Vec::new();
    for i in 0..12 {
        let login_id = format!("dealer{i:02}");
        a.add_user(&login_id, GOOD_PASSWORD).await;
        sessions.push(signed_into(&a, &rp, &login_id).await);
    }
    // All end at once, on both instances, as their sign-outs land.
    let ends = sessions.iter().enumerate().map(|(i, (session, _))| {
        let on = if i % 2 == 0 { &a } else { &b };
        on.call("logout", &[], Some(session))
    });
    futures_util::future::join_all(ends).await;
    receiver.wait_for(12).await;
    // Both senders keep polling: still once each.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let tokens = receiver.tokens();
    assert_eq!(tokens.len(), 12);
    let mut sids: Vec<String> = Vec::new();
    for token in &tokens {
        let claims: Value = serde_json::from_slice(&decode_part(token)).unwrap();
        sids.push(claims["sid"].as_str().unwrap().to_owned());
    }
    sids.sort();
    sids.dedup();
    assert_eq!(sids.len(), 12);
}

/// A JWS's payload, decoded without checking (the signature is checked in
/// the other tests; this one counts).
fn decode_part(token: &str) -> Vec<u8> {
    use base64::Engine as _;
    let payload = token.split('.').nth(1).unwrap();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap()
}

#[tokio::test]
async fn a_logout_claimed_by_an_instance_that_died_is_sent_once_its_lease_runs_out() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let (receiver, url) = Receiver::start(vec![]).await;
    let rp = client_told_at(&app, "在庫登録", &url).await;
    let (session, id) = signed_into(&app, &rp, "dealer01").await;
    // Another instance saw the session end, queued and claimed its
    // logout, and died before sending it: what it left, in one step, so
    // this instance's sender cannot see the session end first.
    let now = app.clock.now();
    let mut tx = app.db.pool().begin().await.unwrap();
    sqlx::query(
        "INSERT INTO oidc_logouts (session_hash, client_id, user_id, created_at, next_at, attempts) \
         SELECT session_hash, client_id, user_id, $1, $2, 1 FROM oidc_grants",
    )
    .bind(now)
    .bind(now + LEASE_SECS)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query("DELETE FROM sessions")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let _ = session;
    // While the lease holds, no one else sends it.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(receiver.tokens().is_empty());
    app.clock.advance(LEASE_SECS);
    let tokens = receiver.wait_for(1).await;
    assert_eq!(logout_claims(&app, &tokens[0], &rp).await["sid"], id["sid"]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(outbox(&app).await, (2, true, false));
}

/// An instance that judged a session over (its clock a moment ahead)
/// told the application; an instance that still took the session for
/// live must not bring it back: its next touch ends it.
#[tokio::test]
async fn a_session_an_application_was_told_has_ended_does_not_come_back() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let (receiver, url) = Receiver::start(vec![]).await;
    let rp = client_told_at(&app, "在庫登録", &url).await;
    let (session, _) = signed_into(&app, &rp, "dealer01").await;
    // What the other instance wrote, with the session row still there.
    let now = app.clock.now();
    sqlx::query(
        "INSERT INTO oidc_logouts (session_hash, client_id, user_id, created_at, next_at) \
         SELECT session_hash, client_id, user_id, $1, $1 FROM oidc_grants",
    )
    .bind(now)
    .execute(app.db.pool())
    .await
    .unwrap();
    receiver.wait_for(1).await;
    app.clock.advance(61);
    let res = app.get("/menu", Some(&session)).await;
    assert_eq!(res.status(), reqwest::StatusCode::SEE_OTHER);
    assert!(location(&res).unwrap().starts_with("/login"));
    assert_eq!(app.session_count("dealer01").await, 0);
}
