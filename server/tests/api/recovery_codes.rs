//! Recovery codes over HTTP: ten made when MFA is turned on and shown once,
//! kept only as HMACs, each signing in once in place of the app's code,
//! a new set only with the current code, all gone with OFF and the
//! helpdesk's reset; and the attacks: a code raced on two instances,
//! replayed, or taken to another account.

use crate::helpers::*;
use app::error::AppError;
use futures_util::future::join_all;
use reqwest::StatusCode;

/// `dealer01` with MFA on, and the ten codes the settings page showed.
async fn app_with_codes() -> (TestApp, Authenticator, String, Vec<String>) {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let cookie = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let phone = app.enable_mfa(&cookie).await;
    let status = app.mfa_status(&cookie).await;
    let codes = status.new_recovery_codes.expect("shown after setup").0;
    (app, phone, cookie, codes)
}

async fn recover(app: &TestApp, half: &str, code: &str) -> reqwest::Response {
    app.call(
        "mfa/recovery",
        &[("code", code), ("next", "/menu")],
        Some(half),
    )
    .await
}

#[tokio::test]
async fn ten_codes_are_shown_once_and_only_their_hmacs_are_kept() {
    let (app, _, cookie, codes) = app_with_codes().await;
    assert_eq!(codes.len(), 10);
    let mut unique = codes.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 10);
    assert!(codes
        .iter()
        .all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'));
    let again = app.mfa_status(&cookie).await;
    assert!(again.new_recovery_codes.is_none(), "shown once");
    assert_eq!(again.recovery_left, Some(10));

    let stored: Vec<String> = sqlx::query_scalar("SELECT code_hash FROM recovery_codes")
        .fetch_all(app.db.pool())
        .await
        .unwrap();
    assert_eq!(stored.len(), 10);
    for code in &codes {
        let bare = code.replace('-', "");
        assert!(stored.iter().all(|h| h.len() == 64 && !h.contains(&bare)));
        // Not a plain hash either: without the server's key it tells nothing.
        let plain = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(bare.as_bytes()));
        assert!(!stored.contains(&plain));
    }
}

#[tokio::test]
async fn a_recovery_code_signs_in_once_in_place_of_the_app() {
    let (app, _, cookie, codes) = app_with_codes().await;
    let (half, next) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    assert!(next.starts_with("/login/code"));
    // Typed as people type: upper case, full width, spaces.
    let typed = codes[3].to_uppercase().replace('-', " ");
    let typed: String = typed
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                char::from_u32(c as u32 + 0xFEE0).unwrap()
            } else {
                c
            }
        })
        .collect();
    let res = recover(&app, &half, &typed).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(location(&res).as_deref(), Some("/menu"));
    let full = session_cookie(&res).unwrap();
    assert_eq!(app.get("/menu", Some(&full)).await.status(), StatusCode::OK);
    assert_eq!(app.mfa_status(&cookie).await.recovery_left, Some(9));
    assert!(app
        .audit_events()
        .await
        .contains(&"recovery_code_used".to_owned()));

    let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    let res = recover(&app, &half, &codes[3]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_of(res).await,
        AppError::InvalidRecoveryCode,
        "used once only"
    );
    let res = recover(&app, &half, "abc").await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "badly formed"
    );
}

#[tokio::test]
async fn wrong_recovery_codes_count_like_wrong_codes() {
    let (app, _, _, _) = app_with_codes().await;
    let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    for _ in 0..4 {
        let res = recover(&app, &half, "aaaaa-bbbbb").await;
        assert_eq!(error_of(res).await, AppError::InvalidRecoveryCode);
    }
    let res = recover(&app, &half, "aaaaa-bbbbb").await;
    assert_eq!(
        error_of(res).await,
        AppError::SignInAgain,
        "five in one sign-in"
    );
    let failures = app
        .audit_events()
        .await
        .iter()
        .filter(|e| *e == "code_failure")
        .count();
    assert_eq!(failures, 5);
}

#[tokio::test]
async fn a_new_set_needs_the_current_code_and_voids_the_old_one() {
    let (app, phone, cookie, old) = app_with_codes().await;
    let res = app
        .call(
            "mfa/recovery-codes",
            &[("current_code", "000000")],
            Some(&cookie),
        )
        .await;
    assert_eq!(error_of(res).await, AppError::InvalidCode);
    assert_eq!(app.mfa_status(&cookie).await.recovery_left, Some(10));

    let res = app
        .call(
            "mfa/recovery-codes",
            &[("current_code", &phone.code(0))],
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let new = app.mfa_status(&cookie).await.new_recovery_codes.unwrap().0;
    assert!(new.iter().all(|c| !old.contains(c)));
    let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    let res = recover(&app, &half, &old[0]).await;
    assert_eq!(
        error_of(res).await,
        AppError::InvalidRecoveryCode,
        "the old set is void"
    );
    let res = recover(&app, &half, &new[0]).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn off_and_the_helpdesks_reset_delete_the_codes() {
    let (app, phone, cookie, _) = app_with_codes().await;
    let res = app
        .call(
            "mfa/apply",
            &[
                ("confirmed", "yes"),
                ("setting", "off"),
                ("current_code", &phone.code(0)),
            ],
            Some(&cookie),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(left, 0, "OFF deletes them");
    assert_eq!(app.mfa_status(&cookie).await.recovery_left, None);

    app.enable_mfa(&cookie).await;
    let staff = app.staff("hd01", Role::Helpdesk).await;
    let res = app.act(&staff.cookie, "dealer01", "reset-mfa", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let user_id = app.user_id("dealer01").await;
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(left, 0, "the reset deletes them");
}

#[tokio::test]
async fn one_recovery_code_raced_on_two_instances_signs_in_once() {
    let pair = Pair::start().await;
    pair.add_user("dealer01").await;
    let (cookie, _) = pair.sign_in(0, "dealer01", None).await;
    pair.enable_mfa(0, &cookie).await;
    let status: app::types::MfaStatus = pair
        .call(1, "mfa/status", &[], Some(&cookie))
        .await
        .json()
        .await
        .unwrap();
    let code = status.new_recovery_codes.expect("shown").0.remove(0);
    let mut halves = Vec::new();
    for i in 0..6 {
        halves.push(pair.sign_in(i, "dealer01", None).await.0);
    }
    let tries = join_all(halves.iter().enumerate().map(|(i, half)| {
        let form = [("code", code.as_str()), ("next", "/menu")];
        let pair = &pair;
        async move {
            pair.call(i, "mfa/recovery", &form, Some(half))
                .await
                .status()
        }
    }))
    .await;
    let won = tries.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(won, 1, "{tries:?}");
}

#[tokio::test]
async fn a_recovery_code_of_one_account_opens_no_other() {
    let (app, _, _, codes) = app_with_codes().await;
    app.add_user("dealer02", GOOD_PASSWORD).await;
    let other = app.signed_in("dealer02", GOOD_PASSWORD).await;
    app.enable_mfa(&other).await;
    let (half, _) = app.password_step("dealer02", GOOD_PASSWORD, None).await;
    for code in &codes[..3] {
        let res = recover(&app, &half, code).await;
        assert_eq!(error_of(res).await, AppError::InvalidRecoveryCode);
    }
}
