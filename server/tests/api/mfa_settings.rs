//! Changing MFA once it is on: OFF and a new phone, both behind the
//! current code.

use crate::helpers::*;
use app::error::{AppError, Field};
use reqwest::StatusCode;

#[tokio::test]
async fn off_needs_the_current_code_and_then_forgets_everything() {
    let (app, authenticator) = app_with_mfa_user().await;
    let device = remember(&app, "dealer01", &authenticator.code(0)).await;
    let full = app.signed_in_with_device("dealer01", &device).await;

    let off = |code: String| {
        let full = full.clone();
        let app = &app;
        async move {
            app.call(
                "mfa/apply",
                &[
                    ("confirmed", "yes"),
                    ("setting", "off"),
                    ("current_code", &code),
                ],
                Some(&full),
            )
            .await
        }
    };
    let without = off(String::new()).await;
    assert_eq!(
        error_of(without).await.for_field(Field::Code),
        Some(app::text::ERR_CODE_FORMAT)
    );
    let wrong = off("000000".into()).await;
    assert_eq!(error_of(wrong).await, AppError::InvalidCode);
    let status = app.mfa_status(&full).await;
    assert!(status.enabled_since.is_some(), "still on");

    let res = off(authenticator.code(1)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(location(&res).as_deref(), Some("/mfa?done=off"));

    let (_, next) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    assert_eq!(next, "/menu", "password only again");
    let secrets: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT mfa_secret FROM users WHERE login_id = 'dealer01'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(secrets, None, "the secret is deleted");
    let devices: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM remembered_devices")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(devices, 0, "remembered devices are forgotten");
}

#[tokio::test]
async fn a_new_phone_needs_the_current_code_and_the_old_one_works_until_confirmed() {
    let (app, old_phone) = app_with_mfa_user().await;
    let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    let full = session_cookie(&app.code_step(&half, &old_phone.code(0), false).await).unwrap();

    let refused = app.start_mfa_setup(&full).await;
    assert_eq!(
        error_of(refused).await.for_field(Field::Code),
        Some(app::text::ERR_CODE_FORMAT)
    );
    let res = app
        .call(
            "mfa/apply",
            &[
                ("confirmed", "yes"),
                ("setting", "on"),
                ("current_code", &old_phone.code(1)),
            ],
            Some(&full),
        )
        .await;
    assert_eq!(location(&res).as_deref(), Some("/mfa/setup"));
    let details = app.setup_details(&full).await;
    let new_phone = Authenticator::new(&details.key, &app.clock);

    // Not confirmed yet: the old phone is still the one asked for.
    only_this_phone_works(&app, &old_phone, &new_phone).await;

    // Confirmed: now only the new phone works.
    let res = app
        .call("mfa/confirm", &[("code", &new_phone.code(1))], Some(&full))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    only_this_phone_works(&app, &new_phone, &old_phone).await;
}

/// Signs in once: a code from `other` is refused, then one from `phone` is
/// accepted. Time moves on first, past every step used so far.
async fn only_this_phone_works(app: &TestApp, phone: &Authenticator, other: &Authenticator) {
    app.clock.advance(3 * 30);
    let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    let refused = app.code_step(&half, &other.code(0), false).await;
    assert_eq!(error_of(refused).await, AppError::InvalidCode);
    assert_eq!(
        app.code_step(&half, &phone.code(0), false).await.status(),
        StatusCode::OK
    );
}

/// Staff always keep MFA: OFF is refused with its reason, whatever code
/// comes with it, and MFA stays on.
#[tokio::test]
async fn staff_cannot_turn_mfa_off() {
    let app = spawn_app().await;
    let staff = app.staff("hd01", Role::Helpdesk).await;
    let res = app
        .call(
            "mfa/apply",
            &[
                ("confirmed", "yes"),
                ("setting", "off"),
                ("current_code", &staff.phone.code(1)),
            ],
            Some(&staff.cookie),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_of(res).await.for_field(Field::Setting),
        Some(app::text::ERR_STAFF_KEEP_MFA)
    );
    assert!(app.mfa_status(&staff.cookie).await.enabled_since.is_some());
}
