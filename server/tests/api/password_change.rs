//! A signed-in user changes their own password: the current password, the
//! current code when MFA is on, a new one under the policy. The other
//! sessions end; this one stays.

use crate::helpers::*;
use app::error::{AppError, Field};
use reqwest::StatusCode;

const NEW: &str = "lantern-orchard-42-quiet";

async fn change(
    app: &TestApp,
    cookie: &str,
    current: &str,
    code: &str,
    new: &str,
    again: &str,
) -> reqwest::Response {
    app.call(
        "account/password",
        &[
            ("current_password", current),
            ("current_code", code),
            ("new_password", new),
            ("new_password_again", again),
        ],
        Some(cookie),
    )
    .await
}

#[tokio::test]
async fn the_current_password_changes_it_and_the_other_sessions_end() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let here = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let elsewhere = app.signed_in("dealer01", GOOD_PASSWORD).await;

    let res = change(&app, &here, GOOD_PASSWORD, "", NEW, NEW).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(location(&res).as_deref(), Some("/password?done=changed"));
    assert_eq!(
        app.get("/mfa", Some(&here)).await.status(),
        StatusCode::OK,
        "this session stays"
    );
    assert_eq!(
        app.get("/mfa", Some(&elsewhere)).await.status(),
        StatusCode::SEE_OTHER,
        "the other one ended"
    );
    assert_eq!(
        error_of(app.login("dealer01", GOOD_PASSWORD).await).await,
        AppError::InvalidCredentials
    );
    assert_eq!(app.login("dealer01", NEW).await.status(), StatusCode::OK);
    assert!(app
        .audit_events()
        .await
        .contains(&"password_changed".to_owned()));
}

#[tokio::test]
async fn a_wrong_current_password_a_mismatch_or_a_weak_one_changes_nothing() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let cookie = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let cases = [
        (
            "wrong-password-xyz",
            NEW,
            NEW,
            Field::Password,
            app::text::ERR_WRONG_PASSWORD,
        ),
        (
            "",
            NEW,
            NEW,
            Field::Password,
            app::text::ERR_REQUIRED_PASSWORD,
        ),
        (
            GOOD_PASSWORD,
            "",
            "",
            Field::NewPassword,
            app::text::ERR_REQUIRED_PASSWORD,
        ),
        (
            GOOD_PASSWORD,
            NEW,
            "lantern-orchard-42-quieT",
            Field::NewPasswordAgain,
            app::text::ERR_PASSWORDS_DIFFER,
        ),
        (
            GOOD_PASSWORD,
            "short",
            "short",
            Field::NewPassword,
            app::text::PW_TOO_SHORT,
        ),
        (
            GOOD_PASSWORD,
            "password1234",
            "password1234",
            Field::NewPassword,
            app::text::PW_WEAK_COMMON,
        ),
        (
            GOOD_PASSWORD,
            "dealer01-dealer01",
            "dealer01-dealer01",
            Field::NewPassword,
            app::text::PW_WEAK_PERSONAL,
        ),
    ];
    for (current, new, again, field, message) in cases {
        let res = change(&app, &cookie, current, "", new, again).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{new:?}");
        assert_eq!(
            error_of(res).await.for_field(field),
            Some(message),
            "{new:?}"
        );
    }
    assert_eq!(
        app.login("dealer01", GOOD_PASSWORD).await.status(),
        StatusCode::OK,
        "the old password still works"
    );
}

#[tokio::test]
async fn with_mfa_on_the_current_code_is_needed_too() {
    let (app, phone) = app_with_mfa_user().await;
    let device = remember(&app, "dealer01", &phone.code(0)).await;
    let here = app.signed_in_with_device("dealer01", &device).await;

    let without = change(&app, &here, GOOD_PASSWORD, "", NEW, NEW).await;
    assert_eq!(
        error_of(without).await.for_field(Field::Code),
        Some(app::text::ERR_CODE_FORMAT)
    );
    let wrong = change(&app, &here, GOOD_PASSWORD, "000000", NEW, NEW).await;
    assert_eq!(error_of(wrong).await, AppError::InvalidCode);
    assert_eq!(
        app.login("dealer01", NEW).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let right = change(&app, &here, GOOD_PASSWORD, &phone.code(1), NEW, NEW).await;
    assert_eq!(location(&right).as_deref(), Some("/password?done=changed"));
    let (_, next) = app.password_step("dealer01", NEW, Some(&device)).await;
    assert_eq!(
        next, "/login/code?next=/menu",
        "the remembered device is forgotten"
    );
}

#[tokio::test]
async fn the_page_asks_for_the_code_only_when_mfa_is_on() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let cookie = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let page = app
        .get("/password", Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    for words in [
        app::text::PASSWORD_CHANGE_TITLE,
        app::text::PASSWORD_CURRENT,
        app::text::PASSWORD_NEW,
        app::text::PASSWORD_NEW_AGAIN,
        app::text::PASSWORD_CHANGE_BUTTON,
    ] {
        assert!(page.contains(words), "{words}");
    }
    assert!(!page.contains(app::text::MFA_CURRENT_CODE));
    app.enable_mfa(&cookie).await;
    let page = app
        .get("/password", Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(app::text::MFA_CURRENT_CODE));
    let settings = app.get("/mfa", Some(&cookie)).await.text().await.unwrap();
    assert!(
        settings.contains(app::text::PASSWORD_CHANGE_LINK),
        "linked from the settings"
    );
}
