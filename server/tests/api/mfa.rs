//! Two-step sign-in over HTTP: setup, the code step, replay, limits,
//! remembered devices, OFF and the helpdesk's reset.

use crate::helpers::*;
use app::error::{AppError, Field};
use reqwest::StatusCode;

const DEVICE_COOKIE: &str = "__Host-autobank_device";

async fn app_with_mfa_user() -> (TestApp, Authenticator) {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let cookie = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let authenticator = app.enable_mfa(&cookie).await;
    (app, authenticator)
}

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
async fn the_setup_screen_shows_the_qr_code_and_key_and_is_never_stored() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let cookie = app.signed_in("dealer01", GOOD_PASSWORD).await;
    app.call(
        "mfa/apply",
        &[("confirmed", "yes"), ("setting", "on")],
        Some(&cookie),
    )
    .await;

    let res = app.get("/mfa/setup", Some(&cookie)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let html = res.text().await.unwrap();
    assert!(html.contains("<svg"), "an inline SVG QR code");
    assert!(html.contains("ワンタイムパスワードの入力"));
    let api = app.call("mfa/setup", &[], Some(&cookie)).await;
    assert_eq!(api.headers()["cache-control"], "no-store");
    let details: app::mfa::SetupDetails = api.json().await.unwrap();
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
    app.call(
        "mfa/apply",
        &[("confirmed", "yes"), ("setting", "on")],
        Some(&cookie),
    )
    .await;

    let res = app
        .call("mfa/confirm", &[("code", "000000")], Some(&cookie))
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(res).await, AppError::InvalidCode);
    let res = app
        .call("mfa/confirm", &[("code", "12345")], Some(&cookie))
        .await;
    assert_eq!(
        error_of(res).await.for_field(Field::Code).as_deref(),
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
    let res = app
        .call(
            "mfa/apply",
            &[("confirmed", "yes"), ("setting", "on")],
            Some(&cookie),
        )
        .await;
    assert_eq!(location(&res).as_deref(), Some("/mfa/setup"));

    let (_, next) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    assert_eq!(next, "/menu");

    // After ten minutes the pending setup is gone.
    sqlx::query("UPDATE mfa_enrollments SET expires_at = 0")
        .execute(app.db.pool())
        .await
        .unwrap();
    let res = app
        .call("mfa/confirm", &[("code", "123456")], Some(&cookie))
        .await;
    assert_eq!(error_of(res).await, AppError::SetupExpired);
    let status: app::mfa::MfaStatus = app
        .call("mfa/status", &[], Some(&cookie))
        .await
        .json()
        .await
        .unwrap();
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
        error_of(res).await.for_field(Field::Confirm).as_deref(),
        Some(app::text::ERR_CONFIRM_REQUIRED)
    );
    let res = app
        .call("mfa/apply", &[("confirmed", "yes")], Some(&cookie))
        .await;
    assert_eq!(
        error_of(res).await.for_field(Field::Setting).as_deref(),
        Some(app::text::ERR_CHOOSE_SETTING)
    );
}

#[tokio::test]
async fn a_half_signed_in_session_gets_nothing_but_the_code_page() {
    let (app, _) = app_with_mfa_user().await;
    let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;

    for page in ["/menu", "/mfa", "/mfa/setup", "/search", "/menu/inventory"] {
        let res = app.get(page, Some(&half)).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{page}");
        assert_eq!(location(&res).as_deref(), Some("/login/code"), "{page}");
    }
    assert_eq!(
        app.get("/login/code", Some(&half)).await.status(),
        StatusCode::OK
    );
    for (endpoint, form) in [
        ("mfa/status", vec![]),
        ("mfa/setup", vec![]),
        (
            "mfa/apply",
            vec![
                ("confirmed", "yes"),
                ("setting", "off"),
                ("current_code", "123456"),
            ],
        ),
        ("mfa/confirm", vec![("code", "123456")]),
        ("mfa/forget", vec![]),
    ] {
        let res = app.call(endpoint, &form, Some(&half)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{endpoint}");
        assert_eq!(error_of(res).await, AppError::NotSignedIn, "{endpoint}");
    }
    // And a full session cannot use the code step.
    let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    let _ = half;
    app.add_user("dealer02", GOOD_PASSWORD).await;
    let full = app.signed_in("dealer02", GOOD_PASSWORD).await;
    let res = app.code_step(&full, "123456", false).await;
    assert_eq!(error_of(res).await, AppError::NotSignedIn);
}

#[tokio::test]
async fn a_code_is_accepted_once_even_from_another_session() {
    let (app, authenticator) = app_with_mfa_user().await;
    let code = authenticator.code(0);

    let (first, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    assert_eq!(
        app.code_step(&first, &code, false).await.status(),
        StatusCode::OK
    );

    let (second, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    let replay = app.code_step(&second, &code, false).await;
    assert_eq!(replay.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_of(replay).await, AppError::InvalidCode);
    // An older step than the last accepted one is refused as well.
    let older = app.code_step(&second, &authenticator.code(-1), false).await;
    assert_eq!(error_of(older).await, AppError::InvalidCode);
    assert_eq!(
        app.code_step(&second, &authenticator.code(1), false)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn two_racing_requests_with_the_same_code_cannot_both_win() {
    let (app, authenticator) = app_with_mfa_user().await;
    let code = authenticator.code(0);
    let mut halves = Vec::new();
    for _ in 0..4 {
        halves.push(app.password_step("dealer01", GOOD_PASSWORD, None).await.0);
    }

    let results = burst(
        &app,
        "mfa/code",
        vec![("code", code), ("next", "/menu".into())],
        halves.into_iter().map(Some).collect(),
    )
    .await;

    let wins = results.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!(wins, 1, "exactly one request wins: {results:?}");
}

#[tokio::test]
async fn a_burst_of_parallel_guesses_on_one_sign_in_gets_five_at_most() {
    let (app, authenticator) = app_with_mfa_user().await;
    let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;

    let results = burst(
        &app,
        "mfa/code",
        vec![("code", "000000".into()), ("next", "/menu".into())],
        vec![Some(half.clone()); 20],
    )
    .await;

    let checked = results
        .iter()
        .filter(|(_, body)| body.contains("InvalidCode"))
        .count();
    assert!(
        checked <= 4,
        "at most four plain wrong-code answers: {results:?}"
    );
    assert!(results.iter().all(|(s, _)| *s != StatusCode::OK));
    // The half sign-in is over; even the right code cannot bring it back.
    let res = app.code_step(&half, &authenticator.code(0), false).await;
    assert_ne!(res.status(), StatusCode::OK);
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE stage = 'full'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(
        sessions, 1,
        "only the session that set MFA up is fully signed in"
    );
}

#[tokio::test]
async fn five_wrong_codes_end_the_sign_in() {
    let (app, authenticator) = app_with_mfa_user().await;
    let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;

    for attempt in 1..=4 {
        let res = app.code_step(&half, "000000", false).await;
        assert_eq!(
            error_of(res).await,
            AppError::InvalidCode,
            "attempt {attempt}"
        );
    }
    let fifth = app.code_step(&half, "000000", false).await;
    assert_eq!(fifth.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(fifth).await, AppError::SignInAgain);

    // The half sign-in is over, even with the right code now.
    let res = app.code_step(&half, &authenticator.code(0), false).await;
    assert_eq!(error_of(res).await, AppError::NotSignedIn);
    let (again, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    assert_eq!(
        app.code_step(&again, &authenticator.code(0), false)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn ten_wrong_codes_across_sign_ins_lock_the_account() {
    let (app, authenticator) = app_with_mfa_user().await;
    for round in 0..2 {
        let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
        for attempt in 1..=5 {
            let res = app.code_step(&half, "000000", false).await;
            let err = error_of(res).await;
            if round == 1 && attempt == 5 {
                assert_eq!(err, AppError::Locked, "the tenth wrong code locks");
            } else {
                assert_ne!(err, AppError::Locked, "round {round} attempt {attempt}");
            }
        }
    }
    // The same lock as for passwords: the password step refuses now.
    let res = app.login("dealer01", GOOD_PASSWORD).await;
    assert_eq!(error_of(res).await, AppError::Locked);

    app::server::db::users::unlock(&app.db, "dealer01", app::server::now())
        .await
        .unwrap();
    let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    assert_eq!(
        app.code_step(&half, &authenticator.code(0), false)
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn full_width_digits_and_spaces_are_accepted_at_sign_in() {
    let (app, authenticator) = app_with_mfa_user().await;
    let code = authenticator.code(0);
    let wide: String = code
        .chars()
        .map(|c| char::from_u32(c as u32 - '0' as u32 + 0xFF10).unwrap())
        .collect();
    let spaced = format!("{} {}", &wide[..9], &wide[9..]);
    let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    assert_eq!(
        app.code_step(&half, &spaced, false).await.status(),
        StatusCode::OK
    );
}

/// Signs in with the code, ticking "remember this device"; returns the device token.
async fn remember(app: &TestApp, login_id: &str, code: &str) -> String {
    let (half, _) = app.password_step(login_id, GOOD_PASSWORD, None).await;
    let res = app.code_step(&half, code, true).await;
    assert_eq!(res.status(), StatusCode::OK);
    let header = set_cookie_header(res.headers(), DEVICE_COOKIE).expect("device cookie");
    for attribute in [
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
        "Path=/",
        "Max-Age=2592000",
    ] {
        assert!(header.contains(attribute), "{attribute} missing: {header}");
    }
    header.split(';').next().unwrap()[DEVICE_COOKIE.len() + 1..].to_owned()
}

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
    sqlx::query("UPDATE remembered_devices SET expires_at = 0")
        .execute(app.db.pool())
        .await
        .unwrap();
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

    let status: app::mfa::MfaStatus = app
        .call("mfa/status", &[], Some(&full))
        .await
        .json()
        .await
        .unwrap();
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

impl TestApp {
    async fn signed_in_with_device(&self, login_id: &str, device: &str) -> String {
        let (cookie, next) = self
            .password_step(login_id, GOOD_PASSWORD, Some(device))
            .await;
        assert_eq!(next, "/menu");
        cookie
    }
}

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
        error_of(without).await.for_field(Field::Code).as_deref(),
        Some(app::text::ERR_CODE_FORMAT)
    );
    let wrong = off("000000".into()).await;
    assert_eq!(error_of(wrong).await, AppError::InvalidCode);
    let status: app::mfa::MfaStatus = app
        .call("mfa/status", &[], Some(&full))
        .await
        .json()
        .await
        .unwrap();
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

    let refused = app
        .call(
            "mfa/apply",
            &[("confirmed", "yes"), ("setting", "on")],
            Some(&full),
        )
        .await;
    assert_eq!(
        error_of(refused).await.for_field(Field::Code).as_deref(),
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
    let details: app::mfa::SetupDetails = app
        .call("mfa/setup", &[], Some(&full))
        .await
        .json()
        .await
        .unwrap();
    let new_phone = Authenticator::new(&details.key);

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
/// accepted. The last accepted step is forgotten first, as if time moved on.
async fn only_this_phone_works(app: &TestApp, phone: &Authenticator, other: &Authenticator) {
    sqlx::query("UPDATE users SET mfa_last_step = NULL")
        .execute(app.db.pool())
        .await
        .unwrap();
    let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    let refused = app.code_step(&half, &other.code(0), false).await;
    assert_eq!(error_of(refused).await, AppError::InvalidCode);
    assert_eq!(
        app.code_step(&half, &phone.code(0), false).await.status(),
        StatusCode::OK
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
    assert_eq!(sealed.len(), 12 + 20 + 16, "nonce, 20-byte secret, tag");

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

#[tokio::test]
async fn audit_events_record_the_steps_but_never_a_code() {
    let (app, authenticator) = app_with_mfa_user().await;
    let code = authenticator.code(0);
    let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    app.code_step(&half, "000000", false).await;
    app.code_step(&half, &code, true).await;

    let events: Vec<String> = sqlx::query_scalar("SELECT event FROM audit_events ORDER BY id")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    for expected in [
        "sign_in_success",
        "mfa_on",
        "code_failure",
        "code_success",
        "device_remembered",
    ] {
        assert!(
            events.iter().any(|e| e == expected),
            "{expected} missing from {events:?}"
        );
    }
    let everything: Vec<(Option<String>, String, String)> =
        sqlx::query_as("SELECT login_id, actor, event FROM audit_events")
            .fetch_all(app.db.pool())
            .await
            .unwrap();
    let dump = format!("{everything:?}");
    assert!(!dump.contains(&code) && !dump.contains("000000") && !dump.contains(GOOD_PASSWORD));
}

#[tokio::test]
async fn a_password_change_makes_a_remembered_device_worthless() {
    let (app, authenticator) = app_with_mfa_user().await;
    let device = remember(&app, "dealer01", &authenticator.code(0)).await;
    let user_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE login_id = 'dealer01'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();

    // The same password again is enough: any change revokes.
    let hash = app::server::password::Passwords::new()
        .hash(GOOD_PASSWORD.into())
        .await
        .unwrap();
    app::server::db::users::set_password(&app.db, user_id, &hash, app::server::now())
        .await
        .unwrap();

    let (_, next) = app
        .password_step("dealer01", GOOD_PASSWORD, Some(&device))
        .await;
    assert_eq!(next, "/login/code?next=/menu");
}

#[tokio::test]
async fn a_lock_ends_every_half_sign_in_of_the_account() {
    let (app, authenticator) = app_with_mfa_user().await;
    let (waiting, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;

    for _ in 0..10 {
        app.login("dealer01", "wrong-password-xyz").await;
    }

    let res = app.code_step(&waiting, &authenticator.code(0), false).await;
    assert_eq!(
        error_of(res).await,
        AppError::NotSignedIn,
        "the half sign-in ended with the lock"
    );
}
