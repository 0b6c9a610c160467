//! The one-time code at sign-in: the half sign-in, replay, racing
//! requests, the limits and the audit trail.

use crate::helpers::*;
use app::error::AppError;
use reqwest::StatusCode;

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

    app.unlock("dealer01").await;
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

#[tokio::test]
async fn a_right_code_whose_sign_in_cannot_be_recorded_is_not_spent() {
    // The code, the counts and the new session land in one commit with the
    // record: when the record cannot be written, none of them does, and
    // the same code still signs in once the trail is back.
    let (app, authenticator) = app_with_mfa_user().await;
    let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    let code = authenticator.code(0);
    let step_before: Option<i64> =
        sqlx::query_scalar("SELECT mfa_last_step FROM users WHERE login_id = 'dealer01'")
            .fetch_one(app.db.pool())
            .await
            .unwrap();

    sqlx::query("ALTER TABLE audit_events RENAME TO audit_events_away")
        .execute(app.db.pool())
        .await
        .unwrap();
    let failed = app.code_step(&half, &code, false).await;
    sqlx::query("ALTER TABLE audit_events_away RENAME TO audit_events")
        .execute(app.db.pool())
        .await
        .unwrap();
    assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);

    let (step_after, code_failures): (Option<i64>, i64) = sqlx::query_as(
        "SELECT mfa_last_step, code_failures FROM users WHERE login_id = 'dealer01'",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(step_after, step_before, "the code was not spent");
    assert_eq!(code_failures, 0, "nor its attempt kept");
    assert_eq!(
        app.session_count("dealer01").await,
        2,
        "setup's and the half"
    );
    assert_eq!(
        app.code_step(&half, &code, false).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_sixth_code_is_refused_even_when_right() {
    // Five wrong codes counted on a half sign-in that was not ended (the
    // fifth's client hung up before its answer): a right code after them
    // is a sixth guess, and signs nothing in.
    let (app, authenticator) = app_with_mfa_user().await;
    let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    for _ in 0..4 {
        let res = app.code_step(&half, "000000", false).await;
        assert_eq!(error_of(res).await, AppError::InvalidCode);
    }
    sqlx::query("UPDATE sessions SET code_failures = code_failures + 1 WHERE stage = 'code'")
        .execute(app.db.pool())
        .await
        .unwrap();

    let res = app.code_step(&half, &authenticator.code(0), false).await;
    assert_eq!(error_of(res).await, AppError::SignInAgain);
    let full: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions WHERE stage = 'full'")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(full, 1, "only the session that set MFA up");
    assert_eq!(app.session_count("dealer01").await, 1, "the half one ended");
}
