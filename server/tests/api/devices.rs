//! "このデバイスを30日間記録する": remembered devices, and what makes
//! their tokens worthless.

use crate::helpers::*;
use app::error::AppError;
use reqwest::StatusCode;

#[tokio::test]
async fn a_remembered_device_skips_the_code_for_that_user_only() {
    let (app, authenticator) = app_with_mfa_user().await;
    let device = remember(&app, "dealer01", &authenticator.code(0)).await;

    let stored: Vec<String> = sqlx::query_scalar("SELECT token_hash FROM remembered_devices")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], device, "only a hash is stored");

    let (_, next) = app
        .password_step("dealer01", GOOD_PASSWORD, Some(&device))
        .await;
    assert_eq!(next, "/menu", "the code step is skipped");
    let wrong = app
        .login_with("dealer01", "wrong-password-xyz", "/menu", None)
        .await;
    assert_eq!(
        error_of(wrong).await,
        AppError::InvalidCredentials,
        "the password is still required"
    );

    // Another user with MFA in the same browser still gives a code.
    app.add_user("dealer02", GOOD_PASSWORD).await;
    let other = app.signed_in("dealer02", GOOD_PASSWORD).await;
    app.enable_mfa(&other).await;
    let (_, next) = app
        .password_step("dealer02", GOOD_PASSWORD, Some(&device))
        .await;
    assert_eq!(next, "/login/code?next=/menu");

    // A tampered or unknown token asks for the code, without an error.
    for bad in ["x", &"A".repeat(43), &format!("{device}x"), "%00;;"] {
        let (_, next) = app
            .password_step("dealer01", GOOD_PASSWORD, Some(bad))
            .await;
        assert_eq!(next, "/login/code?next=/menu", "{bad}");
    }

    // After 30 days it is worth nothing.
    app.clock
        .advance(app::server::services::mfa::REMEMBER_SECS + 1);
    let (_, next) = app
        .password_step("dealer01", GOOD_PASSWORD, Some(&device))
        .await;
    assert_eq!(next, "/login/code?next=/menu");
}

#[tokio::test]
async fn forgetting_a_device_makes_its_token_worthless() {
    let (app, authenticator) = app_with_mfa_user().await;
    let device = remember(&app, "dealer01", &authenticator.code(0)).await;
    let full = app.signed_in_with_device("dealer01", &device).await;

    let status = app.mfa_status(&full).await;
    assert_eq!(status.devices.len(), 1);
    let id = status.devices[0].id.to_string();
    assert_eq!(
        app.call("mfa/forget", &[("device_id", &id)], Some(&full))
            .await
            .status(),
        StatusCode::OK
    );

    let (_, next) = app
        .password_step("dealer01", GOOD_PASSWORD, Some(&device))
        .await;
    assert_eq!(next, "/login/code?next=/menu");
}

#[tokio::test]
async fn a_password_change_makes_a_remembered_device_worthless() {
    let (app, authenticator) = app_with_mfa_user().await;
    let device = remember(&app, "dealer01", &authenticator.code(0)).await;
    // The same password again is enough: any change revokes.
    app.set_password("dealer01", GOOD_PASSWORD).await;

    let (_, next) = app
        .password_step("dealer01", GOOD_PASSWORD, Some(&device))
        .await;
    assert_eq!(next, "/login/code?next=/menu");
}
