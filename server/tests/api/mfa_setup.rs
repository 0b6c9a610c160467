//! MFA setup over HTTP: the settings form, the setup screen, confirming
//! with a code, and what is (not) stored.

use crate::helpers::*;
use app::error::{AppError, Field};
use reqwest::StatusCode;

#[tokio::test]
async fn a_confirmed_setup_turns_mfa_on_and_the_next_sign_in_asks_for_the_code() {
    let (app, authenticator) = app_with_mfa_user().await;

    let (half, next) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    assert_eq!(next, "/login/code?next=/menu");
    assert_eq!(
        app.get("/menu", Some(&half)).await.status(),
        StatusCode::SEE_OTHER
    );

    let res = app.code_step(&half, &authenticator.code(0), false).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(location(&res).as_deref(), Some("/menu"));
    let full = session_cookie(&res).expect("the session ID changes again");
    assert_ne!(full, half);
    assert_eq!(app.get("/menu", Some(&full)).await.status(), StatusCode::OK);
    assert_eq!(
        app.get("/menu", Some(&half)).await.status(),
        StatusCode::SEE_OTHER,
        "the half session is gone"
    );
}

#[tokio::test]
async fn the_setup_screen_shows_the_qr_code_and_key_and_is_not_cached() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let cookie = app.signed_in("dealer01", GOOD_PASSWORD).await;
    app.start_mfa_setup(&cookie).await;

    let res = app.get("/mfa/setup", Some(&cookie)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    assert!(html.contains("<svg"), "an inline SVG QR code");
    assert!(html.contains("ワンタイムパスワードの入力"));
    let api = app.call("mfa/setup", &[], Some(&cookie)).await;
    assert_eq!(api.headers()["cache-control"], "no-store");
    let details: app::types::SetupDetails = api.json().await.unwrap();
    assert!(
        html.contains(&details.key),
        "the key as text, grouped in fours"
    );
    assert!(
        details.key.split(' ').all(|g| g.len() <= 4) && details.key.replace(' ', "").len() == 32
    );
}

#[tokio::test]
async fn a_wrong_code_at_setup_keeps_mfa_off_and_says_so() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let cookie = app.signed_in("dealer01", GOOD_PASSWORD).await;
    app.start_mfa_setup(&cookie).await;

    let res = app
        .call("mfa/confirm", &[("code", "000000")], Some(&cookie))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(res).await, AppError::InvalidCode);
    let res = app
        .call("mfa/confirm", &[("code", "12345")], Some(&cookie))
        .await;
    assert_eq!(
        error_of(res).await.for_field(Field::Code),
        Some(app::text::ERR_CODE_FORMAT)
    );

    let (_, next) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    assert_eq!(next, "/menu", "still password only");
}

#[tokio::test]
async fn an_abandoned_setup_leaves_mfa_off() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let cookie = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let res = app.start_mfa_setup(&cookie).await;
    assert_eq!(location(&res).as_deref(), Some("/mfa/setup"));

    let (_, next) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    assert_eq!(next, "/menu");

    // After ten minutes the pending setup is gone.
    app.clock
        .advance(app::server::services::mfa::SETUP_SECS + 1);
    let res = app
        .call("mfa/confirm", &[("code", "123456")], Some(&cookie))
        .await;
    assert_eq!(error_of(res).await, AppError::SetupExpired);
    let page = app.get("/mfa/setup", Some(&cookie)).await;
    assert_eq!(page.status(), StatusCode::CONFLICT, "the page says so too");
    assert!(page
        .text()
        .await
        .unwrap()
        .contains(app::text::ERR_SETUP_EXPIRED));
    let status = app.mfa_status(&cookie).await;
    assert_eq!(status.enabled_since, None);
}

#[tokio::test]
async fn settings_need_the_confirmation_box_and_a_choice() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let cookie = app.signed_in("dealer01", GOOD_PASSWORD).await;

    let res = app
        .call("mfa/apply", &[("setting", "on")], Some(&cookie))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_of(res).await.for_field(Field::Confirm),
        Some(app::text::ERR_CONFIRM_REQUIRED)
    );
    let res = app
        .call("mfa/apply", &[("confirmed", "yes")], Some(&cookie))
        .await;
    assert_eq!(
        error_of(res).await.for_field(Field::Setting),
        Some(app::text::ERR_CHOOSE_SETTING)
    );
}

#[tokio::test]
async fn no_plaintext_secret_is_stored() {
    let (app, authenticator) = app_with_mfa_user().await;
    let sealed: Vec<u8> =
        sqlx::query_scalar("SELECT mfa_secret FROM users WHERE login_id = 'dealer01'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(
        sealed.len(),
        1 + 12 + 20 + 16,
        "format, nonce, 20-byte secret, tag"
    );

    // Recover the secret the user's app holds and look for it everywhere.
    let base32 = authenticator.key.clone();
    let raw = totp_rs::Secret::Encoded(base32.clone()).to_bytes().unwrap();
    assert!(!sealed.windows(raw.len()).any(|w| w == raw.as_slice()));
    if let Some(path) = app
        .database_url
        .strip_prefix("sqlite://")
        .map(|p| p.split('?').next().unwrap().to_owned())
    {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(app.db.pool())
            .await
            .unwrap();
        for file in [path.clone(), format!("{path}-wal")] {
            let Ok(bytes) = std::fs::read(&file) else {
                continue;
            };
            assert!(
                !bytes.windows(raw.len()).any(|w| w == raw.as_slice()),
                "raw secret in {file}"
            );
            assert!(
                !bytes.windows(base32.len()).any(|w| w == base32.as_bytes()),
                "Base32 secret in {file}"
            );
        }
    }
}
