//! Sign-in, lockout, session cookie and sign-out.

use crate::helpers::*;
use app::error::AppError;
use app::server::db::locks;
use app::server::db::users;
use reqwest::StatusCode;

#[tokio::test]
async fn right_password_signs_in_and_sends_the_browser_on() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;

    let res = app
        .login_with("Dealer01", GOOD_PASSWORD, "/search", None)
        .await;

    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(location(&res).as_deref(), Some("/search"));
    let cookie = session_cookie(&res).expect("a session cookie");
    let menu = app.get("/menu", Some(&cookie)).await;
    assert_eq!(menu.status(), StatusCode::OK);
}

#[tokio::test]
async fn session_cookie_is_host_prefixed_http_only_secure_and_lax() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;

    let res = app.login("dealer01", GOOD_PASSWORD).await;

    let header = set_cookie_header(res.headers(), SESSION_COOKIE).expect("Set-Cookie");
    for attribute in ["Path=/", "HttpOnly", "Secure", "SameSite=Lax"] {
        assert!(
            header.contains(attribute),
            "{attribute} missing from {header}"
        );
    }
    assert!(
        !header.contains("Domain="),
        "__Host- cookies carry no Domain: {header}"
    );
}

#[tokio::test]
async fn wrong_password_and_unknown_id_get_the_same_answer() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;

    let wrong = app.login("dealer01", "not-the-password-1").await;
    let unknown = app.login("nobody", "not-the-password-1").await;

    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), wrong.status());
    assert!(session_cookie(&wrong).is_none());
    let (wrong, unknown) = (error_of(wrong).await, error_of(unknown).await);
    assert_eq!(wrong, AppError::InvalidCredentials);
    assert_eq!(unknown, wrong);
    assert_eq!(wrong.message(), app::text::ERR_INVALID_CREDENTIALS);
}

#[tokio::test]
async fn ten_wrong_passwords_lock_the_account_until_unlocked() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;

    for attempt in 1..=9 {
        let res = app.login("dealer01", "wrong-password-xyz").await;
        assert_eq!(
            error_of(res).await,
            AppError::InvalidCredentials,
            "attempt {attempt}"
        );
    }
    let tenth = app.login("dealer01", "wrong-password-xyz").await;
    assert_eq!(tenth.status().as_u16(), 423);
    let locked = error_of(tenth).await;
    assert_eq!(locked, AppError::Locked);
    assert!(
        locked.message().contains("03-3556-0845"),
        "the message names the helpdesk"
    );

    // Even the right password is refused while the lock lasts.
    let right = app.login("dealer01", GOOD_PASSWORD).await;
    assert_eq!(error_of(right).await, AppError::Locked);

    app.unlock("dealer01").await;
    let after = app.login("dealer01", GOOD_PASSWORD).await;
    assert_eq!(after.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_success_resets_the_failure_count() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    for _ in 0..9 {
        app.login("dealer01", "wrong-password-xyz").await;
    }
    app.signed_in("dealer01", GOOD_PASSWORD).await;
    let res = app.login("dealer01", "wrong-password-xyz").await;
    assert_eq!(error_of(res).await, AppError::InvalidCredentials);
}

#[tokio::test]
async fn signing_in_again_rotates_the_session_and_ends_the_old_one() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let first = app.signed_in("dealer01", GOOD_PASSWORD).await;

    let res = app
        .login_with("dealer01", GOOD_PASSWORD, "/menu", Some(&first))
        .await;
    let second = session_cookie(&res).expect("a new cookie");

    assert_ne!(first, second);
    assert_eq!(
        app.get("/menu", Some(&first)).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.get("/menu", Some(&second)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let cookie = app.signed_in("dealer01", GOOD_PASSWORD).await;

    let res = app.call("logout", &[], Some(&cookie)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let cleared = set_cookie_header(res.headers(), SESSION_COOKIE).expect("cookie cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");

    // Replaying the old cookie gets nothing.
    let menu = app.get("/menu", Some(&cookie)).await;
    assert_eq!(menu.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&menu).as_deref(), Some("/login?next=/menu"));
}

#[tokio::test]
async fn a_forged_cookie_is_treated_as_no_session() {
    let app = spawn_app().await;
    let forged = "A".repeat(43);
    assert_eq!(
        app.get("/menu", Some(&forged)).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.get("/menu", Some("garbage;;")).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn the_database_keeps_only_a_hash_of_the_session_token() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let cookie = app.signed_in("dealer01", GOOD_PASSWORD).await;

    let stored: Vec<String> = sqlx::query_scalar("SELECT id_hash FROM sessions")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], cookie);
    assert!(!stored[0].contains(&cookie));
}

#[tokio::test]
async fn a_session_ends_after_30_idle_minutes() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;

    let fresh = app.signed_in("dealer01", GOOD_PASSWORD).await;
    app.clock.advance(29 * 60);
    assert_eq!(
        app.get("/menu", Some(&fresh)).await.status(),
        StatusCode::OK,
        "29 idle minutes are fine"
    );

    let idle = app.signed_in("dealer01", GOOD_PASSWORD).await;
    app.clock.advance(31 * 60);
    assert_eq!(
        app.get("/menu", Some(&idle)).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_session_ends_after_12_hours_however_active() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let busy = app.signed_in("dealer01", GOOD_PASSWORD).await;

    // A request every 25 minutes keeps it from idling out: 11 h 40 min.
    for _ in 0..28 {
        app.clock.advance(25 * 60);
        assert_eq!(app.get("/menu", Some(&busy)).await.status(), StatusCode::OK);
    }
    app.clock.advance(20 * 60 + 1);
    assert_eq!(
        app.get("/menu", Some(&busy)).await.status(),
        StatusCode::SEE_OTHER,
        "past 12 hours in all"
    );
}

#[tokio::test]
async fn a_burst_of_parallel_wrong_passwords_gets_ten_guesses_at_most() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let form = vec![
        ("login_id", "dealer01".to_owned()),
        ("password", "wrong-password-xyz".to_owned()),
        ("next", "/menu".to_owned()),
    ];

    let results = burst(&app, "login", form, vec![None; 30]).await;

    let checked = results
        .iter()
        .filter(|(_, body)| body.contains("InvalidCredentials"))
        .count();
    assert!(
        checked <= 9,
        "no more than nine plain wrong-password answers: {checked}"
    );
    assert!(
        results.iter().any(|(s, _)| s.as_u16() == 423),
        "the burst ends in a lock"
    );
    let right = app.login("dealer01", GOOD_PASSWORD).await;
    assert_eq!(
        error_of(right).await,
        AppError::Locked,
        "even the right password waits for the lock"
    );
}

#[tokio::test]
async fn the_audit_trail_keeps_the_peer_address_not_a_forged_forwarded_for() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let res = app
        .client
        .post(app.url("/api/login"))
        .header("accept", "application/json")
        .header("x-forwarded-for", "203.0.113.9")
        .form(&[
            ("login_id", "dealer01"),
            ("password", GOOD_PASSWORD),
            ("next", "/menu"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    let address: Option<String> =
        sqlx::query_scalar("SELECT address FROM audit_events WHERE event = 'sign_in_success'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert_eq!(
        address.as_deref(),
        Some("127.0.0.1"),
        "no proxy is trusted by default"
    );
}

#[tokio::test]
async fn a_count_stuck_at_the_limit_becomes_a_lock_that_ends() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    // Ten attempts counted whose checks never finished (clients hung up):
    // reserved exactly as a sign-in reserves them, then never settled.
    let user_id = users::find_by_login_id(&app.db, "dealer01")
        .await
        .unwrap()
        .unwrap()
        .id;
    for _ in 0..10 {
        let reserved = locks::reserve_attempt(
            &app.db,
            user_id,
            locks::Counter::Password,
            locks::Limits {
                lock_after: 10,
                disable_after: 100,
            },
            app.clock.now(),
        )
        .await
        .unwrap();
        assert!(reserved.is_some());
    }

    assert_eq!(
        error_of(app.login("dealer01", GOOD_PASSWORD).await).await,
        AppError::Locked
    );
    let until: Option<i64> = sqlx::query_scalar("SELECT locked_until FROM users")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert!(
        until.is_some_and(|u| u > app.clock.now()),
        "an ordinary lock with an end"
    );

    app.clock.advance(14 * 60);
    assert_eq!(
        error_of(app.login("dealer01", GOOD_PASSWORD).await).await,
        AppError::Locked,
        "still locked after 14 minutes"
    );
    app.clock.advance(60 + 1);
    assert_eq!(
        app.login("dealer01", GOOD_PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_not_found_page_carries_the_content_security_policy() {
    let app = spawn_app().await;
    // Without a session, an unknown path is a page like any other: sign in first.
    let res = app.get("/no-such-page", None).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&res).as_deref(), Some("/login?next=/no-such-page"));
    let public_404 = app.get("/favicon.ico", None).await;
    assert_eq!(public_404.status(), StatusCode::NOT_FOUND);
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let cookie = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let res = app.get("/no-such-page", Some(&cookie)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert!(res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("'nonce-"));
}

#[tokio::test]
async fn a_password_typed_in_full_width_is_the_same_password() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    // What a Japanese input method types for "tulip-harbor-87-velvet".
    let full_width: String = GOOD_PASSWORD
        .chars()
        .map(|c| char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap())
        .collect();
    assert_ne!(full_width, GOOD_PASSWORD);
    assert_eq!(
        app.login("dealer01", &full_width).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_hash_made_before_normalisation_still_verifies() {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    // An old hash of a password as typed, full width, never normalised.
    let typed = "ｔｕｌｉｐ－ｈａｒｂｏｒ－８７";
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    let params = argon2::Params::new(19_456, 2, 1, None).unwrap();
    let old = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(typed.as_bytes(), &salt)
        .unwrap()
        .to_string();
    sqlx::query("UPDATE users SET password_hash = $1")
        .bind(old)
        .execute(app.db.pool())
        .await
        .unwrap();
    assert_eq!(app.login("dealer01", typed).await.status(), StatusCode::OK);
}
