//! How long sign-ins last, what the browser is told to keep, and what the
//! sweeper deletes.

use crate::helpers::*;
use app::server::services::housekeeping;
use reqwest::StatusCode;

#[tokio::test]
async fn the_session_cookie_ends_with_the_browser_and_hsts_is_sent() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let res = app.login("dealer01", GOOD_PASSWORD).await;
    let header = set_cookie_header(res.headers(), SESSION_COOKIE).unwrap();
    assert!(
        !header.contains("Max-Age") && !header.contains("Expires"),
        "{header}"
    );
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(header.contains(attribute), "{attribute}: {header}");
    }
    let page = app.get("/", None).await;
    assert_eq!(
        page.headers()
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok()),
        Some("max-age=31536000; includeSubDomains")
    );
}

#[tokio::test]
async fn a_half_sign_in_lasts_five_minutes() {
    let (app, authenticator) = app_with_mfa_user().await;
    let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    app.clock.advance(5 * 60 + 1);
    let res = app.code_step(&half, &authenticator.code(0), false).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    app.clock.advance(5 * 60 - 10);
    let res = app.code_step(&half, &authenticator.code(0), false).await;
    assert_eq!(res.status(), StatusCode::OK, "within five minutes it works");
}

#[tokio::test]
async fn the_sweeper_deletes_what_has_expired_and_old_audit_records() {
    let (app, authenticator) = app_with_mfa_user().await;
    let device = remember(&app, "dealer01", &authenticator.code(0)).await;
    let _half = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    let full = app.signed_in_with_device("dealer01", &device).await;
    let setup = app
        .call(
            "mfa/apply",
            &[
                ("confirmed", "yes"),
                ("setting", "on"),
                ("current_code", &authenticator.code(1)),
            ],
            Some(&full),
        )
        .await;
    assert_eq!(location(&setup).as_deref(), Some("/mfa/setup"));
    let count = |table: &'static str| {
        let db = app.db.clone();
        async move {
            sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(db.pool())
                .await
                .unwrap()
        }
    };
    let audit_before = count("audit_events").await;
    let retention = 400 * 24 * 60 * 60;

    let swept = housekeeping::sweep(&app.state, retention).await.unwrap();
    assert_eq!(swept, housekeeping::Swept::default(), "nothing expired yet");

    // Past the half sign-in's five minutes: it goes; the rest stays.
    app.clock.advance(5 * 60 + 1);
    let swept = housekeeping::sweep(&app.state, retention).await.unwrap();
    assert_eq!(swept.sessions, 1);
    assert_eq!(count("sessions").await, 3, "the full sessions stay");
    // Past the setup's ten minutes.
    app.clock.advance(5 * 60);
    let swept = housekeeping::sweep(&app.state, retention).await.unwrap();
    assert_eq!((swept.setups, swept.sessions), (1, 0));
    // Past 30 idle minutes and the device's 30 days.
    app.clock.advance(30 * 24 * 60 * 60);
    let swept = housekeeping::sweep(&app.state, retention).await.unwrap();
    assert_eq!(
        (swept.sessions, swept.devices, swept.audit_events),
        (3, 1, 0)
    );
    assert_eq!(count("remembered_devices").await, 0);
    // Past the audit trail's retention.
    app.clock.advance(retention);
    let swept = housekeeping::sweep(&app.state, retention).await.unwrap();
    assert_eq!(swept.audit_events as i64, audit_before);
    assert_eq!(count("audit_events").await, 0);
}
