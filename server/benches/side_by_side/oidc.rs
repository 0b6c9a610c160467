//! The OpenID Connect provider's figures, with the server in this process:
//! the authorization endpoint's answer to a signed-in browser beside the
//! discovery document (a route that does nothing), and the code exchange
//! beside signing its two tokens alone.

use crate::table::{busy, cpu_used, ms, row, Row};
use crate::CONNECTIONS;
use app::server::db::audit::Actor;
use app::server::db::grants::GrantRow;
use app::server::services::clients::{self, Changer, ClientSpec};
use app::server::services::{signing, tokens};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use testkit::{location, TestApp, GOOD_PASSWORD};

const CALLBACK: &str = "https://zaiko.example.jp/cb";
/// RFC 7636, appendix B.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// Codes made, then exchanged.
const CODES: usize = 1000;

async fn exchange(app: &TestApp, id: &str, secret: &str, code: &str) -> reqwest::Response {
    app.client
        .post(app.url("/oidc/token"))
        .basic_auth(id, Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

pub async fn oidc(app: &Arc<TestApp>, e: &str) -> Vec<Row> {
    let spec = ClientSpec {
        name: "bench".into(),
        redirect_uris: vec![CALLBACK.into()],
        ..Default::default()
    };
    let by = Changer::operator(Actor::default());
    let registered = clients::register(&app.db, &app.state.secrets, &spec, by, app.clock.now())
        .await
        .unwrap()
        .unwrap();
    let (id, secret) = (registered.client_id, registered.secret.unwrap());
    app.add_user("oidc01", GOOD_PASSWORD).await;
    let session = app.signed_in("oidc01", GOOD_PASSWORD).await;
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(VERIFIER.as_bytes()));
    let authorize = format!(
        "/oidc/authorize?response_type=code&client_id={id}&redirect_uri={}&scope=openid%20profile\
         &state=s&nonce=n&code_challenge={challenge}&code_challenge_method=S256",
        app::domain::percent_encode(CALLBACK)
    );

    // One browser, one request after another: authorize beside discovery.
    let (mut answered, mut discovered, mut codes) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..CODES {
        let start = Instant::now();
        let res = app.get(&authorize, Some(&session)).await;
        answered.push(start.elapsed());
        let to = location(&res).expect("a redirect with a code");
        let code = url::Url::parse(&to)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .expect("a code");
        codes.push(code);
        let start = Instant::now();
        let res = app.get("/.well-known/openid-configuration", None).await;
        discovered.push(start.elapsed());
        assert!(res.status().is_success());
    }
    let (answered, discovered) = (median(answered), median(discovered));
    let mut rows = vec![row(
        format!("OIDC authorize → redirect with a code, signed in, median ({e})"),
        ms(answered),
        format!("discovery document {}", ms(discovered)),
        format!("{:.1}×", answered.as_secs_f64() / discovered.as_secs_f64()),
        "-",
        None,
    )];

    // The code exchange, 32 at once.
    // One exchange before the clock starts: on this fresh database it
    // makes the first signing key (tens of ms, once per database).
    let first = codes.pop().expect("codes");
    let res = exchange(app, &id, &secret, &first).await;
    assert!(res.status().is_success(), "{}", res.status());
    let timed = codes.len();
    let queue = Arc::new(Mutex::new(codes));
    let (start, cpu_start) = (Instant::now(), cpu_used());
    let workers: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (app, queue, id, secret) = (app.clone(), queue.clone(), id.clone(), secret.clone());
            tokio::spawn(async move {
                let mut ok = 0usize;
                loop {
                    let next = queue.lock().unwrap().pop();
                    let Some(code) = next else { break };
                    let res = exchange(&app, &id, &secret, &code).await;
                    ok += usize::from(res.status().is_success());
                }
                ok
            })
        })
        .collect();
    let mut exchanged = 0;
    for w in workers {
        exchanged += w.await.unwrap();
    }
    let wall = start.elapsed();
    let exchanges = exchanged as f64 / wall.as_secs_f64();
    let exchange_busy = busy(cpu_used().saturating_sub(cpu_start), wall);

    // The same two tokens signed alone, on as many threads as cores.
    let key = signing::current(&app.db, &app.state.secrets, app.clock.now())
        .await
        .unwrap();
    let grant = Arc::new(GrantRow {
        id: 1,
        handle: "h".repeat(22),
        client_id: id.clone(),
        user_id: 1,
        session_hash: "ab".repeat(32),
        redirect_uri: CALLBACK.into(),
        code_challenge: challenge,
        nonce: Some("n".into()),
        scopes: "openid profile".into(),
        auth_time: app.clock.now(),
        method: "code".into(),
        subject: "s".repeat(32),
        login_id: "oidc01".into(),
        display_name: "bench".into(),
    });
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let per_thread = CODES / threads;
    let start = Instant::now();
    let signers: Vec<_> = (0..threads)
        .map(|_| {
            let (key, grant) = (key.clone(), grant.clone());
            std::thread::spawn(move || {
                for _ in 0..per_thread {
                    tokens::issue(&key, "https://portal.example.jp", &grant, "r".into(), 0)
                        .unwrap();
                }
            })
        })
        .collect();
    for s in signers {
        s.join().unwrap();
    }
    let signing_alone = (per_thread * threads) as f64 / start.elapsed().as_secs_f64();
    let ratio = exchanges / signing_alone;
    println!("{e} code exchange {exchanges:.0}/s (cores {exchange_busy} busy) vs signing alone {signing_alone:.0}/s");
    rows.push(row(
        format!("OIDC code exchange over HTTP ({e}), 32 at once: secret, code used once, refresh token, ID and access token signed (RS256)"),
        format!("{exchanges:.0} exchanges/s ({exchanged} of {timed})"),
        format!("signing the two tokens alone, {threads} threads: {signing_alone:.0}/s"),
        format!("{ratio:.2}×"),
        "≥ 0.5×",
        Some(ratio >= 0.5 && exchanged == timed),
    ));
    rows
}
