//! The staff console under attack, against two instances of the release
//! server sharing one database (`helpers/pair.rs`): a dealer calling staff
//! functions, the helpdesk reaching for staff or itself, actions
//! without a fresh code or with a replayed one, and a temporary password
//! raced or reused.

use crate::helpers::*;
use app::error::AppError;
use app::server::clock::Clock;
use app::server::db::change::Seen;
use app::server::db::users;
use app::types::StaffAction;
use futures_util::future::join_all;
use reqwest::StatusCode;

/// Every staff action on `target` with a reason and `code`, half on each
/// instance: the statuses and errors.
async fn every_action(
    pair: &Pair,
    cookie: &str,
    target: &str,
    code: &str,
) -> Vec<(StatusCode, AppError)> {
    let calls = StaffAction::ALL
        .into_iter()
        .enumerate()
        .map(|(i, action)| async move {
            let form = [
                ("login_id", target),
                ("action", action.as_str()),
                ("reason", "INC-attack"),
                ("confirm", "yes"),
                ("code", code),
            ];
            let res = pair.call(i, "console/act", &form, Some(cookie)).await;
            (
                res.status(),
                res.json::<AppError>().await.expect("an error"),
            )
        });
    join_all(calls).await
}

/// The records of staff actions (anything a member of staff did).
async fn staff_records(pair: &Pair) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_events WHERE reason IS NOT NULL")
        .fetch_one(pair.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_dealer_calling_every_staff_function_gets_403_and_changes_nothing() {
    let pair = Pair::start().await;
    pair.add_user("dealer01").await;
    pair.add_user("dealer02").await;
    let (cookie, _) = pair.sign_in(0, "dealer01", None).await;
    let phone = pair.enable_mfa(0, &cookie).await;
    let (victim, _) = pair.sign_in(1, "dealer02", None).await;

    for (status, error) in every_action(&pair, &cookie, "dealer02", &phone.code(0)).await {
        assert_eq!(
            (status, error),
            (StatusCode::FORBIDDEN, AppError::Forbidden)
        );
    }
    for (i, endpoint) in ["console/search", "console/account"]
        .into_iter()
        .enumerate()
    {
        let form = [("q", "dealer"), ("login_id", "dealer02")];
        let res = pair.call(i, endpoint, &form, Some(&cookie)).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{endpoint}");
    }
    assert_eq!(staff_records(&pair).await, 0);
    let res = pair.get(1, "/menu", Some(&victim)).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the victim is still signed in"
    );
}

#[tokio::test]
async fn the_helpdesk_cannot_act_on_staff_or_on_itself_on_either_instance() {
    let pair = Pair::start().await;
    let (helpdesk, _) = pair.staff(0, "hd01", Role::Helpdesk).await;
    let (admin, _) = pair.staff(1, "admin01", Role::Admin).await;
    pair.add_user_as("hd02", Role::Helpdesk).await;

    for target in ["admin01", "hd01", "hd02"] {
        for (status, error) in every_action(&pair, &helpdesk, target, "").await {
            assert_eq!(
                (status, error),
                (StatusCode::FORBIDDEN, AppError::NotOnThisAccount),
                "{target}"
            );
        }
    }
    for (status, error) in every_action(&pair, &admin, "admin01", "").await {
        assert_eq!(
            (status, error),
            (StatusCode::FORBIDDEN, AppError::NotOnThisAccount)
        );
    }
    assert_eq!(staff_records(&pair).await, 0);
    // All still sign in: nothing was disabled, reset or ended.
    for (i, id) in [(0, "hd01"), (1, "admin01"), (0, "hd02")] {
        let res = pair.login(i, id, GOOD_PASSWORD).await;
        assert_eq!(res.status(), StatusCode::OK, "{id}");
    }
}

#[tokio::test]
async fn a_staff_action_needs_a_fresh_code_and_one_code_serves_one_session() {
    let pair = Pair::start().await;
    pair.add_user("dealer01").await;
    let (first, phone) = pair.staff(0, "hd01", Role::Helpdesk).await;
    let (half, _) = pair.sign_in(1, "hd01", None).await;
    let res = pair.code_step(1, &half, &phone.code(0)).await;
    assert_eq!(res.status(), StatusCode::OK);
    let second = format!("{SESSION_COOKIE}={}", session_cookie(&res).unwrap());
    // Ten minutes on: no session of the member of staff has a fresh code.
    sqlx::query("UPDATE sessions SET code_at = NULL")
        .execute(pair.db.pool())
        .await
        .unwrap();

    for (status, error) in every_action(&pair, &first, "dealer01", "").await {
        assert_eq!(
            (status, error),
            (StatusCode::UNAUTHORIZED, AppError::StepUpRequired)
        );
    }
    // One code, sent from both sessions on both instances at once: one
    // step-up at most; the other is a replay.
    let code = phone.code(1);
    let results = join_all([(&first, 0), (&second, 1)].map(|(cookie, i)| {
        let code = code.clone();
        let pair = &pair;
        async move {
            let form = [
                ("login_id", "dealer01"),
                ("action", "end-sessions"),
                ("reason", "INC-race"),
                ("confirm", "yes"),
                ("code", code.as_str()),
            ];
            pair.call(i, "console/act", &form, Some(cookie))
                .await
                .status()
        }
    }))
    .await;
    let ok = results.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(ok, 1, "{results:?}");
    assert_eq!(staff_records(&pair).await, 1);
}

#[tokio::test]
async fn a_temporary_password_raced_on_both_instances_signs_in_once_and_never_late() {
    let pair = Pair::start().await;
    pair.add_user("dealer01").await;
    let user_id = users::find_by_login_id(&pair.db, "dealer01")
        .await
        .unwrap()
        .unwrap()
        .id;
    let temporary = "mkq7-x2rt-9hzp-c4wd";
    let hash = app::server::password::Passwords::new()
        .hash(app::domain::Password::parse(temporary).unwrap())
        .await
        .unwrap();
    let now = Clock::system().now();
    let entry = test_entry(user_id, app::server::db::audit::Event::TempPasswordIssued);
    users::set_temporary_password(
        &pair.db,
        &Seen::nothing(),
        user_id,
        &hash,
        now + 24 * 3600,
        now,
        &entry,
    )
    .await
    .unwrap();

    let tries = join_all((0..6).map(|i| pair.login(i, "dealer01", temporary))).await;
    let signed_in = tries
        .iter()
        .filter(|r| r.status() == StatusCode::OK)
        .count();
    assert_eq!(
        signed_in,
        1,
        "{:?}",
        tries.iter().map(|r| r.status()).collect::<Vec<_>>()
    );
    let res = pair.login(1, "dealer01", temporary).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "used: never again");

    // Issued again, but 24 hours ago: expired.
    users::set_temporary_password(
        &pair.db,
        &Seen::nothing(),
        user_id,
        &hash,
        now - 1,
        now - 24 * 3600,
        &entry,
    )
    .await
    .unwrap();
    let res = pair.login(0, "dealer01", temporary).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "expired");
}
