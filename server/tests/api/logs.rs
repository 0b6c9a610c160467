//! What the server logs: every request in a span with its id and user, and
//! never a password, code, token or secret.

use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn secrets_never_reach_the_logs_of_a_whole_sign_in_with_mfa() {
    let ((secrets, user_id), logs) = capture_logs(async {
        let app = spawn_app().await;
        let user_id = app.add_user("logs01", GOOD_PASSWORD).await;
        let first = app.signed_in("logs01", GOOD_PASSWORD).await;
        let authenticator = app.enable_mfa(&first).await;
        let wrong = app.login("logs01", "wrong-password-for-logs").await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        let (half, _) = app.password_step("logs01", GOOD_PASSWORD, None).await;
        let code = authenticator.code(0);
        let res = app.code_step(&half, &code, true).await;
        assert_eq!(res.status(), StatusCode::OK);
        let full = session_cookie(&res).unwrap();
        let device = cookie_value(&res, DEVICE_COOKIE).unwrap();
        assert_eq!(app.get("/mfa", Some(&full)).await.status(), StatusCode::OK);
        let secrets = vec![
            GOOD_PASSWORD.to_owned(),
            "wrong-password-for-logs".to_owned(),
            authenticator.code(-1),
            code,
            first,
            half,
            full,
            device,
            authenticator.key.clone(),
        ];
        (secrets, user_id)
    })
    .await;

    // The capture saw the requests, with their spans: it could have seen
    // a secret had one been logged.
    assert!(logs.contains("request_id="), "{logs}");
    assert!(logs.contains("path=/api/mfa/code"), "{logs}");
    let in_request_span = format!("user_id={user_id}");
    assert!(
        logs.split("request{").skip(1).any(|span| span
            .split('}')
            .next()
            .unwrap()
            .contains(&in_request_span)),
        "the session guard names the user in the request's own span: {logs}"
    );
    for secret in secrets {
        assert!(!contains_token(&logs, &secret), "a secret reached the logs");
    }
}

/// Whether `token` stands in `text` on its own: a six-digit code inside a
/// longer number or hex id (a timestamp, a request id) is not that code.
fn contains_token(text: &str, token: &str) -> bool {
    text.match_indices(token).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + token.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

#[test]
fn a_code_inside_a_longer_number_is_not_the_code() {
    assert!(contains_token("code=123456 ok", "123456"));
    assert!(contains_token("\"123456\"", "123456"));
    assert!(!contains_token("at=1712345678", "123456"));
    assert!(!contains_token("request_id=ab123456cd", "123456"));
}
