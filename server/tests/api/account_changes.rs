//! Changes to the account need the account holder, and end the other
//! sessions; the settings page lists signed-in browsers and ends them.

use crate::helpers::*;
use app::error::{AppError, Field};
use reqwest::StatusCode;

async fn apply_on(app: &TestApp, cookie: &str, password: &str) -> reqwest::Response {
    app.call(
        "mfa/apply",
        &[
            ("confirmed", "yes"),
            ("setting", "on"),
            ("password", password),
        ],
        Some(cookie),
    )
    .await
}

#[tokio::test]
async fn turning_mfa_on_needs_the_password() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    // A thief with the session alone, not the password.
    let stolen = app.signed_in("dealer01", GOOD_PASSWORD).await;

    let without = apply_on(&app, &stolen, "").await;
    assert_eq!(without.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_of(without).await.for_field(Field::Password),
        Some(app::text::ERR_REQUIRED_PASSWORD)
    );
    let wrong = apply_on(&app, &stolen, "thiefs-guess-123").await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_of(wrong).await.for_field(Field::Password),
        Some(app::text::ERR_WRONG_PASSWORD)
    );
    assert_eq!(
        app.call("mfa/setup", &[], Some(&stolen)).await.status(),
        StatusCode::CONFLICT,
        "no setup was started"
    );
    assert!(app
        .audit_events()
        .await
        .contains(&"password_failure".to_owned()));

    // Wrong passwords here spend the sign-in's budget.
    for _ in 0..9 {
        apply_on(&app, &stolen, "thiefs-guess-123").await;
    }
    assert_eq!(
        error_of(app.login("dealer01", GOOD_PASSWORD).await).await,
        AppError::Locked
    );
    app.unlock("dealer01").await;

    let right = apply_on(&app, &stolen, GOOD_PASSWORD).await;
    assert_eq!(location(&right).as_deref(), Some("/mfa/setup"));
}

#[tokio::test]
async fn a_pending_setup_belongs_to_the_session_that_started_it() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let owner = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let other = app.signed_in("dealer01", GOOD_PASSWORD).await;
    assert_eq!(
        apply_on(&app, &owner, GOOD_PASSWORD).await.status(),
        StatusCode::OK
    );

    // The other session neither reads the new secret nor confirms it.
    let read = app.call("mfa/setup", &[], Some(&other)).await;
    assert_eq!(error_of(read).await, AppError::SetupExpired);
    let page = app.get("/mfa/setup", Some(&other)).await;
    assert_eq!(page.status(), StatusCode::CONFLICT);
    let details = app.setup_details(&owner).await;
    assert!(!page.text().await.unwrap().contains(&details.key));
    let phone = Authenticator::new(&details.key, &app.clock);
    let confirm = app
        .call("mfa/confirm", &[("code", &phone.code(0))], Some(&other))
        .await;
    assert_eq!(error_of(confirm).await, AppError::SetupExpired);
    assert_eq!(app.mfa_status(&owner).await.enabled_since, None);

    let confirm = app
        .call("mfa/confirm", &[("code", &phone.code(0))], Some(&owner))
        .await;
    assert_eq!(confirm.status(), StatusCode::OK);
}

#[tokio::test]
async fn turning_mfa_on_or_off_ends_the_other_sessions() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let here = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let elsewhere = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let phone = app.enable_mfa(&here).await;
    assert_eq!(app.get("/mfa", Some(&here)).await.status(), StatusCode::OK);
    assert_eq!(
        app.get("/mfa", Some(&elsewhere)).await.status(),
        StatusCode::SEE_OTHER,
        "ON ends the other session"
    );

    let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    let elsewhere = session_cookie(&app.code_step(&half, &phone.code(0), false).await).unwrap();
    let off = app
        .call(
            "mfa/apply",
            &[
                ("confirmed", "yes"),
                ("setting", "off"),
                ("current_code", &phone.code(1)),
            ],
            Some(&here),
        )
        .await;
    assert_eq!(location(&off).as_deref(), Some("/mfa?done=off"));
    assert_eq!(app.get("/mfa", Some(&here)).await.status(), StatusCode::OK);
    assert_eq!(
        app.get("/mfa", Some(&elsewhere)).await.status(),
        StatusCode::SEE_OTHER,
        "OFF ends the other session"
    );
}

#[tokio::test]
async fn a_new_phone_ends_the_other_sessions() {
    let (app, old_phone) = app_with_mfa_user().await;
    let mut sessions = Vec::new();
    for step in [0, 1] {
        app.clock.advance(30);
        let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
        let res = app.code_step(&half, &old_phone.code(step - 1), false).await;
        sessions.push(session_cookie(&res).unwrap());
    }
    let (here, elsewhere) = (&sessions[0], &sessions[1]);
    app.clock.advance(30);
    let res = app
        .call(
            "mfa/apply",
            &[
                ("confirmed", "yes"),
                ("setting", "on"),
                ("current_code", &old_phone.code(0)),
            ],
            Some(here),
        )
        .await;
    assert_eq!(location(&res).as_deref(), Some("/mfa/setup"));
    assert_eq!(
        app.get("/mfa", Some(elsewhere)).await.status(),
        StatusCode::OK,
        "nothing ends before the new phone is confirmed"
    );
    let new_phone = Authenticator::new(&app.setup_details(here).await.key, &app.clock);
    let res = app
        .call("mfa/confirm", &[("code", &new_phone.code(0))], Some(here))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.get("/mfa", Some(here)).await.status(), StatusCode::OK);
    assert_eq!(
        app.get("/mfa", Some(elsewhere)).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn signed_in_browsers_are_listed_and_can_be_ended() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    app.add_user("dealer02", GOOD_PASSWORD).await;
    let here = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let second = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let third = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let stranger = app.signed_in("dealer02", GOOD_PASSWORD).await;

    let browsers = app.mfa_status(&here).await.browsers;
    assert_eq!(browsers.len(), 3, "this user's sessions only");
    assert!(browsers[0].current, "this browser first");
    assert_eq!(browsers.iter().filter(|b| b.current).count(), 1);
    assert!(browsers.iter().all(|b| b.address == "127.0.0.1"));
    assert!(browsers
        .iter()
        .all(|b| b.handle.len() == 22 && !here.contains(&b.handle)));

    // Ending this browser by its handle is refused: that is the logout.
    let own = app
        .call(
            "sessions/end",
            &[("handle", &browsers[0].handle)],
            Some(&here),
        )
        .await;
    assert_eq!(own.status(), StatusCode::FORBIDDEN);
    // Another user cannot end this user's sessions by their handles.
    let foreign = app
        .call(
            "sessions/end",
            &[("handle", &browsers[1].handle)],
            Some(&stranger),
        )
        .await;
    assert_eq!(foreign.status(), StatusCode::OK);
    assert_eq!(app.mfa_status(&here).await.browsers.len(), 3);

    let one = app
        .call(
            "sessions/end",
            &[("handle", &browsers[1].handle)],
            Some(&here),
        )
        .await;
    assert_eq!(one.status(), StatusCode::OK);
    assert_eq!(app.mfa_status(&here).await.browsers.len(), 2);

    let rest = app.call("sessions/end", &[], Some(&here)).await;
    assert_eq!(rest.status(), StatusCode::OK);
    let left = app.mfa_status(&here).await.browsers;
    assert_eq!(left.len(), 1);
    assert!(left[0].current);
    for gone in [&second, &third] {
        assert_eq!(
            app.get("/mfa", Some(gone)).await.status(),
            StatusCode::SEE_OTHER
        );
    }
    assert_eq!(
        app.get("/mfa", Some(&stranger)).await.status(),
        StatusCode::OK
    );
    let events = app.audit_events().await;
    assert!(events.contains(&"session_ended".to_owned()));
    assert!(events.contains(&"other_sessions_ended".to_owned()));
}

#[tokio::test]
async fn the_settings_page_lists_the_browsers_and_asks_for_the_password() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let cookie = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let page = app.get("/mfa", Some(&cookie)).await.text().await.unwrap();
    for words in [
        app::text::BROWSERS_TITLE,
        app::text::BROWSER_THIS_ONE,
        app::text::MFA_PASSWORD_HINT,
        "type=\"password\"",
    ] {
        assert!(page.contains(words), "{words}");
    }
}

#[tokio::test]
async fn a_password_change_voids_a_pending_setup() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let cookie = app.signed_in("dealer01", GOOD_PASSWORD).await;
    assert_eq!(
        apply_on(&app, &cookie, GOOD_PASSWORD).await.status(),
        StatusCode::OK
    );
    app.set_password("dealer01", GOOD_PASSWORD).await;
    let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mfa_enrollments")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(
        pending, 0,
        "no setup outlives the sessions that could confirm it"
    );
}
