//! A bounded HTTP fuzz pass: every server-function endpoint gets random
//! and oversized bodies, wrong content types, broken encodings and huge
//! headers, signed in and not. None may answer with a 5xx, or hang.

use crate::helpers::*;
use rand::{rngs::StdRng, Rng, SeedableRng};
use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE};
use std::time::Duration;

/// One malformed request's body, content type and extra header.
struct Case {
    body: Vec<u8>,
    content_type: Option<&'static str>,
    header: Option<(String, String)>,
}

fn cases(rng: &mut StdRng) -> Vec<Case> {
    let form = |body: &str| Case {
        body: body.as_bytes().to_vec(),
        content_type: Some("application/x-www-form-urlencoded"),
        header: None,
    };
    let mut cases = vec![
        form(""),
        form("code=%FF%FE&login_id=%E3%81&password=%"),
        form("login_id=a&login_id=b&password=x&password=y&next=%2F%2Fevil.example"),
        form(&format!("password={}", "%E3%81%82".repeat(3000))),
        form("confirmed=yes&setting=on&password=\u{0}&current_code=１２３４５６"),
        form("device_id=99999999999999999999999&handle=%00"),
        form("code=000000&remember=yes&next=javascript:alert(1)"),
        Case {
            body: br#"{"login_id":"a","password":"b"}"#.to_vec(),
            content_type: Some("application/json"),
            header: None,
        },
        Case {
            body: b"--x\r\nContent-Disposition: form-data; name=\"code\"\r\n\r\n1\r\n--x--"
                .to_vec(),
            content_type: Some("multipart/form-data; boundary=x"),
            header: None,
        },
        Case {
            body: b"code=123456".to_vec(),
            content_type: Some("text/plain"),
            header: None,
        },
        Case {
            body: b"code=123456".to_vec(),
            content_type: None,
            header: None,
        },
        Case {
            body: vec![b'a'; 64 * 1024],
            content_type: Some("application/x-www-form-urlencoded"),
            header: None,
        },
        Case {
            body: b"code=123456".to_vec(),
            content_type: Some("application/x-www-form-urlencoded"),
            header: Some(("x-filler".into(), "y".repeat(60 * 1024))),
        },
        Case {
            body: b"code=123456".to_vec(),
            content_type: Some("application/x-www-form-urlencoded"),
            header: Some((
                "cookie".into(),
                format!("{SESSION_COOKIE}={}", "A".repeat(8000)),
            )),
        },
    ];
    for _ in 0..12 {
        let len = rng.gen_range(0..3000);
        cases.push(Case {
            body: (0..len).map(|_| rng.gen()).collect(),
            content_type: Some("application/x-www-form-urlencoded"),
            header: None,
        });
    }
    cases
}

#[tokio::test]
async fn no_server_function_answers_garbage_with_a_5xx_or_hangs() {
    let (app, _phone) = app_with_mfa_user().await;
    let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    let mut rng = StdRng::seed_from_u64(0x5eed);
    let cases = cases(&mut rng);
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut functions: Vec<_> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .collect();
    functions.sort();
    assert!(functions.len() >= 10);
    let mut sent = 0;
    for path in &functions {
        for cookie in [None, Some(half.as_str())] {
            for case in &cases {
                let mut req = client
                    .post(app.url(path))
                    .header(ACCEPT, "application/json")
                    .body(case.body.clone());
                if let Some(ct) = case.content_type {
                    req = req.header(CONTENT_TYPE, ct);
                }
                if let Some(c) = cookie {
                    req = req.header(COOKIE, format!("{SESSION_COOKIE}={c}"));
                }
                if let Some((name, value)) = &case.header {
                    req = req.header(name.as_str(), value.as_str());
                }
                let res = req
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{path}: no answer in time ({e})"));
                assert!(
                    !res.status().is_server_error(),
                    "{path}: {} for a body of {} bytes, {:?}",
                    res.status(),
                    case.body.len(),
                    case.content_type
                );
                sent += 1;
            }
        }
    }
    assert_eq!(sent, functions.len() * 2 * cases.len());
    // And the server still works.
    assert_eq!(
        app.login("dealer01", GOOD_PASSWORD).await.status(),
        reqwest::StatusCode::OK
    );
}
