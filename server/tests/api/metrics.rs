//! `/metrics` as Prometheus scrapes it: the binary serving with
//! `AUTOBANK_METRICS_ADDR`, on that address only, and a sign-in moving
//! the counters it should (a process of its own, so no other test's
//! sign-ins count).

use crate::helpers::*;
use reqwest::StatusCode;

/// The value of the series `name{labels}` (labels as rendered), if any.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        line.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

async fn scrape(url: &str) -> String {
    let res = reqwest::get(url).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    res.text().await.unwrap()
}

async fn login(client: &reqwest::Client, base: &str, password: &str) -> StatusCode {
    client
        .post(format!("{base}/api/login"))
        .header("accept", "application/json")
        .form(&[
            ("login_id", "dealer01"),
            ("password", password),
            ("next", "/menu"),
        ])
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn a_scrape_shows_the_sign_ins_by_outcome_and_the_routes_timed() {
    let data = tempfile::tempdir().unwrap();
    let url = server::config::sqlite_url(&data.path().join("autobank.db"));
    let env = [("AUTOBANK_DATA_DIR", data.path().to_str().unwrap())];
    let out = run_cli_with(
        &url,
        &env,
        &["user", "add", "dealer01", "--name", "販売店"],
        GOOD_PASSWORD,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let served = Served::start(data.path(), &[("AUTOBANK_METRICS_ADDR", "127.0.0.1:0")]);
    let metrics = served.metrics.clone().unwrap();
    assert_ne!(
        metrics,
        format!("{}/metrics", served.base),
        "an address of its own"
    );

    let before = scrape(&metrics).await;
    let wrong = r#"autobank_sign_ins_total{outcome="wrong_password"}"#;
    let full = r#"autobank_sign_ins_total{outcome="full"}"#;
    assert_eq!(value(&before, wrong), None, "nothing counted yet");

    let client = reqwest::Client::new();
    for _ in 0..2 {
        assert_eq!(
            login(&client, &served.base, "wrong-password-123").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login(&client, &served.base, GOOD_PASSWORD).await,
        StatusCode::OK
    );

    let after = scrape(&metrics).await;
    assert_eq!(value(&after, wrong), Some(2.0), "{after}");
    assert_eq!(value(&after, full), Some(1.0), "{after}");
    let ok = r#"autobank_http_responses_total{route="/api/login",status="2xx"}"#;
    let refused = r#"autobank_http_responses_total{route="/api/login",status="4xx"}"#;
    assert_eq!(value(&after, ok), Some(1.0), "{after}");
    assert_eq!(value(&after, refused), Some(2.0), "{after}");
    let timed = r#"autobank_http_request_duration_seconds_count{route="/api/login"}"#;
    assert_eq!(value(&after, timed), Some(3.0), "{after}");
    for gauge in [
        "autobank_db_connections",
        "autobank_hash_waiting",
        "autobank_hash_running",
    ] {
        assert!(value(&after, gauge).is_some(), "{gauge} in {after}");
    }
    assert!(
        after.contains("# HELP autobank_sign_ins_total"),
        "described"
    );

    // Not on the site's own address, which the proxy exposes.
    let plain = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = plain
        .get(format!("{}/metrics", served.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "a page like any other: sign in first"
    );
    assert!(!res.text().await.unwrap().contains("autobank_"));
    // A made-up path is one series, not one per path.
    for path in ["/api/nope-1", "/api/nope-2"] {
        client
            .post(format!("{}{path}", served.base))
            .send()
            .await
            .unwrap();
    }
    let after = scrape(&metrics).await;
    assert!(!after.contains("nope-"), "{after}");
}
