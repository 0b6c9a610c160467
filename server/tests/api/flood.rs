//! Floods and slow clients, as an attacker would send them: the server
//! answers "busy" at once instead of queueing without end, refuses bodies
//! it does not need, and does not wait forever for a body that never comes.

use crate::helpers::*;
use app::error::AppError;
use app::server::db::users;
use app::server::password::HashLimits;
use reqwest::header::{ACCEPT, RETRY_AFTER};
use reqwest::StatusCode;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn tight(max_wait: Duration, request_timeout: Duration) -> Limits {
    Limits {
        hashes: HashLimits {
            at_once: 1,
            waiting: 1,
            max_wait,
        },
        request_timeout,
        ..roomy()
    }
}

/// POSTs a sign-in that says, in `X-Forwarded-For`, it came from
/// `client` (a hop as proxies write it). Believed only behind a trusted
/// proxy.
async fn post_from(app: &TestApp, client: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/login"))
        .header(ACCEPT, "application/json")
        .header("x-forwarded-for", client)
        .form(&[
            ("login_id", "nobody"),
            ("password", "wrong-password-xyz"),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap()
}

fn throttled(statuses: &[StatusCode]) -> usize {
    statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count()
}

#[tokio::test]
async fn posts_past_the_burst_from_one_address_get_429_whatever_it_claims() {
    let app = spawn_app_with(Limits {
        posts_per_minute: 1,
        post_burst: 5,
        ..roomy()
    })
    .await;
    let mut statuses = Vec::new();
    for i in 0..8 {
        // Claiming to be someone else is no way around it: no proxy is
        // trusted, so the peer's address counts.
        let res = post_from(&app, &format!("198.51.100.{i}")).await;
        statuses.push(res.status());
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            let wait: u64 = res.headers()[RETRY_AFTER]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=61).contains(&wait), "Retry-After {wait}");
            assert!(res.text().await.unwrap().contains(app::text::ERR_THROTTLED));
        }
    }
    assert_eq!(
        throttled(&statuses),
        3,
        "five pass, the rest wait: {statuses:?}"
    );
    // Reading pages is never throttled.
    assert_eq!(app.get("/", None).await.status(), StatusCode::OK);
}

/// One subscriber holds a whole IPv6 /64: 120 addresses of it are one
/// client to the throttle, and a neighbouring /64 is another.
#[tokio::test]
async fn addresses_of_one_ipv6_64_share_one_allowance() {
    let app = spawn_app_behind_proxy(Limits {
        posts_per_minute: 1,
        post_burst: 10,
        ..roomy()
    })
    .await;
    let mut statuses = Vec::new();
    for i in 0..120u32 {
        let hop = format!("2001:db8:abcd:12:{:x}:{:x}::1", (i * 7919) % 65_536, i);
        statuses.push(post_from(&app, &hop).await.status());
    }
    assert_eq!(
        throttled(&statuses),
        110,
        "ten pass, then 429: {statuses:?}"
    );
    let neighbour = post_from(&app, "2001:db8:abcd:13::1").await.status();
    assert_eq!(
        neighbour,
        StatusCode::UNAUTHORIZED,
        "another /64 is another client"
    );
}

/// A forwarded address with a port, or in brackets, is the same client as
/// without: mixing the forms gets no second allowance, and none falls
/// back to the proxy's own.
#[tokio::test]
async fn a_forwarded_address_with_a_port_or_brackets_is_the_same_client() {
    let app = spawn_app_behind_proxy(Limits {
        posts_per_minute: 1,
        post_burst: 10,
        ..roomy()
    })
    .await;
    let forms = [
        "203.0.113.7",
        "203.0.113.7:5555",
        "203.0.113.7:6666",
        "[2001:db8::7]:443",
        "2001:db8::7",
        "[2001:db8::7]",
    ];
    let mut statuses = Vec::new();
    for i in 0..80 {
        statuses.push(post_from(&app, forms[i % forms.len()]).await.status());
    }
    // Two clients (one IPv4 address, one IPv6 /64), ten each.
    assert_eq!(throttled(&statuses), 60, "{statuses:?}");
    // The proxy's own address (what a parse failure fell back to) was
    // never charged: another client still gets its allowance.
    assert_eq!(
        post_from(&app, "198.51.100.9:1234").await.status(),
        StatusCode::UNAUTHORIZED
    );
    // And the audit trail names the client, without the port.
    let addresses: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT address FROM audit_events ORDER BY address")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    assert_eq!(addresses, ["198.51.100.9", "2001:db8::7", "203.0.113.7"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_sign_ins_is_told_busy_at_once_and_costs_the_account_nothing() {
    let app = spawn_app_with(tight(Duration::from_millis(300), Duration::from_secs(10))).await;
    app.add_user("dealer01", GOOD_PASSWORD).await;

    let started = Instant::now();
    let answers: Vec<_> = (0..24)
        .map(|_| {
            let (client, url) = (app.client.clone(), app.url("/api/login"));
            tokio::spawn(async move {
                let res = client
                    .post(url)
                    .header(ACCEPT, "application/json")
                    .form(&[
                        ("login_id", "dealer01"),
                        ("password", "wrong-password-xyz"),
                        ("next", "/menu"),
                    ])
                    .send()
                    .await
                    .unwrap();
                let retry_after = res.headers().get(RETRY_AFTER).cloned();
                (res.status(), retry_after, error_of(res).await)
            })
        })
        .collect();
    let mut checked = 0;
    let mut busy = 0;
    for answer in answers {
        let (status, retry_after, error) = answer.await.unwrap();
        match error {
            AppError::InvalidCredentials => checked += 1,
            AppError::Busy => {
                busy += 1;
                assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
                assert_eq!(retry_after.unwrap(), "2");
                assert_eq!(error.message(), app::text::ERR_BUSY);
            }
            other => panic!("unexpected answer {status} {other:?}"),
        }
    }
    assert!(busy >= 10, "most of the flood is told busy: {busy} of 24");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "no one waits without bound"
    );
    // Only the guesses that were checked count toward the lock.
    let failed: i64 = sqlx::query_scalar("SELECT failed_attempts FROM users")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(failed, checked, "busy answers cost no attempt");
    // And once the flood is over, the owner signs in.
    assert_eq!(
        app.login("dealer01", GOOD_PASSWORD).await.status(),
        StatusCode::OK
    );
    assert!(users::find_by_login_id(&app.db, "dealer01")
        .await
        .unwrap()
        .is_some());
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413_and_a_japanese_page() {
    let app = spawn_app().await;
    let huge = "x".repeat(20_000);
    let res = app
        .call(
            "login",
            &[("login_id", "dealer01"), ("password", &huge), ("next", "/")],
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert!(res.text().await.unwrap().contains(app::text::ERR_TOO_LARGE));

    // A body under the limit is read and answered on its merits.
    let long = "x".repeat(10_000);
    let res = app
        .call(
            "login",
            &[("login_id", "dealer01"), ("password", &long), ("next", "/")],
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_body_that_never_comes_is_cut_off_with_408() {
    let app = spawn_app_with(tight(Duration::from_secs(1), Duration::from_secs(1))).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    // Promises 100 bytes, sends 10, then says nothing more.
    conn.write_all(
        format!(
            "POST /api/login HTTP/1.1\r\nHost: {addr}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nlogin_id=a"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(20), conn.read(&mut answer))
        .await
        .expect("the server answers instead of waiting for ever")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}
