//! Guessing runs out: each lock lasts longer than the one before, a long
//! run of failures disables the account, and only a success ends the run.

use crate::helpers::*;
use app::error::AppError;
use app::server::services::lockout::{lock_secs, DISABLE_AFTER, LOCK_AFTER};
use reqwest::StatusCode;

const WRONG: &str = "wrong-password-xyz";

/// `n` wrong passwords in a row, sent one after another.
async fn wrong_passwords(app: &TestApp, n: i64) {
    for _ in 0..n {
        let res = app.login("dealer01", WRONG).await;
        assert!(
            matches!(res.status().as_u16(), 401 | 423),
            "{}",
            res.status()
        );
    }
}

/// Runs out the current lock's time.
fn wait_out(app: &TestApp, lock: i64) {
    app.clock.advance(lock_secs(lock) + 1);
}

#[tokio::test]
async fn each_lock_lasts_longer_than_the_one_before() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;

    wrong_passwords(&app, LOCK_AFTER).await;
    app.clock.advance(lock_secs(1) + 1);
    assert_eq!(
        app.login("dealer01", WRONG).await.status(),
        StatusCode::UNAUTHORIZED,
        "the first lock has ended after 15 minutes"
    );
    // The run goes on: nine more wrong ones make the second lock.
    wrong_passwords(&app, LOCK_AFTER - 1).await;
    app.clock.advance(lock_secs(1) + 1);
    assert_eq!(
        error_of(app.login("dealer01", GOOD_PASSWORD).await).await,
        AppError::Locked,
        "the second lock outlasts the first"
    );
    app.clock.advance(lock_secs(2) - lock_secs(1));
    assert_eq!(
        app.login("dealer01", GOOD_PASSWORD).await.status(),
        StatusCode::OK,
        "and ends after 30 minutes"
    );
    let events = app.audit_events().await;
    let locks: Vec<_> = events.iter().filter(|e| e.starts_with("lock")).collect();
    assert_eq!(locks, ["locked", "lock_extended"]);
    let detail: Option<String> =
        sqlx::query_scalar("SELECT detail FROM audit_events WHERE event = 'lock_extended'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();
    assert!(
        detail.is_some_and(|d| d.starts_with("lock 2 until ")),
        "the record says which lock and until when"
    );
}

#[tokio::test]
async fn a_hundred_failures_in_a_row_disable_the_account_until_the_helpdesk_unlocks_it() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let elsewhere = app.signed_in("dealer01", GOOD_PASSWORD).await;

    for lock in 1..DISABLE_AFTER / LOCK_AFTER {
        wrong_passwords(&app, LOCK_AFTER).await;
        wait_out(&app, lock);
    }
    // 90 failures so far, each lock waited out: 9 more are still counted.
    wrong_passwords(&app, LOCK_AFTER - 1).await;
    assert!(app.audit_events().await.iter().all(|e| e != "disabled"));
    // The 100th.
    let last = app.login("dealer01", WRONG).await;
    assert_eq!(last.status().as_u16(), 423);
    let err = error_of(last).await;
    assert_eq!(err, AppError::Disabled);
    assert!(err.message().contains("03-3556-0845"), "names the helpdesk");

    app.clock.advance(30 * 24 * 60 * 60);
    assert_eq!(
        error_of(app.login("dealer01", GOOD_PASSWORD).await).await,
        AppError::Disabled,
        "no amount of waiting enables it"
    );
    assert_eq!(app.session_count("dealer01").await, 0);
    assert_eq!(
        app.get("/mfa", Some(&elsewhere)).await.status(),
        StatusCode::SEE_OTHER,
        "the session it had ended with it"
    );
    let events = app.audit_events().await;
    assert_eq!(events.iter().filter(|e| *e == "disabled").count(), 1);
    assert_eq!(
        events.iter().filter(|e| e.starts_with("lock")).count(),
        9,
        "nine locks before it"
    );

    app.unlock("dealer01").await;
    assert_eq!(
        app.login("dealer01", GOOD_PASSWORD).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn only_a_success_ends_the_run_of_failures() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let run = || async {
        sqlx::query_scalar::<_, i64>("SELECT failure_run FROM users")
            .fetch_one(app.db.pool())
            .await
            .unwrap()
    };
    wrong_passwords(&app, LOCK_AFTER).await;
    wait_out(&app, 1);
    assert_eq!(
        run().await,
        LOCK_AFTER,
        "a lock that ends does not end the run"
    );
    app.signed_in("dealer01", GOOD_PASSWORD).await;
    assert_eq!(run().await, 0, "a complete sign-in does");
    wrong_passwords(&app, LOCK_AFTER).await;
    wait_out(&app, 1);
    assert_eq!(
        app.login("dealer01", GOOD_PASSWORD).await.status(),
        StatusCode::OK,
        "and the next lock is a first one again"
    );
}

#[tokio::test]
async fn with_mfa_a_right_password_alone_does_not_end_the_run() {
    let (app, authenticator) = app_with_mfa_user().await;
    let run = || async {
        sqlx::query_scalar::<_, i64>("SELECT failure_run FROM users")
            .fetch_one(app.db.pool())
            .await
            .unwrap()
    };
    // An attacker who knows the password guesses codes, signing in again
    // after every five.
    for _ in 0..3 {
        let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
        for _ in 0..3 {
            let res = app.code_step(&half, "000000", false).await;
            assert_eq!(error_of(res).await, AppError::InvalidCode);
        }
    }
    assert_eq!(
        run().await,
        9,
        "nine wrong codes; the right passwords count for nothing"
    );
    let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    let res = app.code_step(&half, &authenticator.code(0), false).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(run().await, 0, "the right code ends it");
}

#[tokio::test]
async fn code_guesses_on_the_settings_page_spend_the_same_budget() {
    let (app, authenticator) = app_with_mfa_user().await;
    let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    let full = session_cookie(&app.code_step(&half, &authenticator.code(0), false).await).unwrap();
    let mut last = None;
    for _ in 0..LOCK_AFTER {
        let res = app
            .call(
                "mfa/apply",
                &[
                    ("confirmed", "yes"),
                    ("setting", "off"),
                    ("current_code", "000000"),
                ],
                Some(&full),
            )
            .await;
        last = Some(error_of(res).await);
    }
    assert_eq!(last, Some(AppError::Locked), "the tenth wrong code locks");
    assert_eq!(
        error_of(app.login("dealer01", GOOD_PASSWORD).await).await,
        AppError::Locked,
        "the same lock as sign-in's"
    );
    let locks = app.audit_events().await;
    assert!(locks.iter().any(|e| e == "locked"));
    let run: i64 = sqlx::query_scalar("SELECT failure_run FROM users")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(
        run, LOCK_AFTER,
        "ten codes; the refused password was not checked"
    );
}

#[tokio::test]
async fn a_hundredth_guess_that_never_finished_still_disables_the_account() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    // A run at its limit with no disable: the client of the hundredth
    // guess hung up mid-check, so it was counted but never settled.
    sqlx::query("UPDATE users SET failure_run = $1")
        .bind(DISABLE_AFTER)
        .execute(app.db.pool())
        .await
        .unwrap();
    let res = app.login("dealer01", GOOD_PASSWORD).await;
    assert_eq!(
        error_of(res).await,
        AppError::Disabled,
        "not a hundred-and-first guess, even a right one"
    );
    assert_eq!(
        app.audit_events()
            .await
            .iter()
            .filter(|e| *e == "disabled")
            .count(),
        1
    );
}
