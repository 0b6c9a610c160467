//! The staff console over HTTP: staff must set up MFA first, search,
//! the account page, every action with its reason and record, step-up,
//! who may act on whom, and temporary passwords.

use crate::helpers::*;
use app::error::{AppError, Field, Problem};
use app::types::{AccountState, SearchResults, StaffAction, TempPassword};
use reqwest::StatusCode;

async fn search(app: &TestApp, staff: &str, q: &str, page: &str) -> SearchResults {
    let res = app
        .call("console/search", &[("q", q), ("page", page)], Some(staff))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

/// The last audit record: (event, actor, reason, address).
async fn last_record(app: &TestApp) -> (String, String, Option<String>, Option<String>) {
    sqlx::query_as(
        "SELECT event, actor, reason, address FROM audit_events ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn staff_without_mfa_reach_only_mfa_setup_until_a_code_confirms_it() {
    let app = spawn_app().await;
    app.add_user_as("hd01", GOOD_PASSWORD, Role::Helpdesk).await;
    let cookie = app.signed_in("hd01", GOOD_PASSWORD).await;

    for page in ["/menu", "/helpdesk", "/password", "/menu/inventory"] {
        let res = app.get(page, Some(&cookie)).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{page}");
        assert_eq!(location(&res).as_deref(), Some("/mfa"), "{page}");
    }
    assert_eq!(
        app.get("/mfa", Some(&cookie)).await.status(),
        StatusCode::OK
    );
    let res = app
        .call("console/search", &[("q", "d")], Some(&cookie))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_of(res).await, AppError::SetUpMfaFirst);
    assert!(app.mfa_status(&cookie).await.required);

    app.enable_mfa(&cookie).await;
    assert_eq!(
        app.get("/helpdesk", Some(&cookie)).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get("/menu", Some(&cookie)).await.status(),
        StatusCode::OK
    );
    assert!(!app.mfa_status(&cookie).await.required);
}

#[tokio::test]
async fn a_dealer_gets_403_from_the_console_pages_and_functions() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let cookie = app.signed_in("dealer01", GOOD_PASSWORD).await;
    for page in ["/helpdesk", "/helpdesk/users/dealer01"] {
        let res = app.get(page, Some(&cookie)).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{page}");
        assert!(res
            .text()
            .await
            .unwrap()
            .contains(app::text::ERR_STAFF_ONLY));
    }
    let res = app
        .call("console/search", &[("q", "dealer")], Some(&cookie))
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(error_of(res).await, AppError::Forbidden);
}

#[tokio::test]
async fn search_matches_the_start_of_an_id_or_a_name_in_any_case_page_by_page() {
    let app = spawn_app().await;
    let staff = app.staff("hd01", Role::Helpdesk).await;
    for i in 0..25 {
        app.add_user(&format!("dealer{i:02}"), GOOD_PASSWORD).await;
    }
    sqlx::query("UPDATE users SET display_name = 'Yamada Motors' WHERE login_id = 'dealer07'")
        .execute(app.db.pool())
        .await
        .unwrap();

    let first = search(&app, &staff.cookie, "DEALER", "1").await;
    assert_eq!(first.hits.len(), 20);
    assert!(first.more);
    assert_eq!(first.hits[0].login_id, "dealer00");
    let second = search(&app, &staff.cookie, "dealer", "2").await;
    assert_eq!(second.hits.len(), 5);
    assert!(!second.more);

    let by_name = search(&app, &staff.cookie, "yaMAda", "1").await;
    let ids: Vec<_> = by_name.hits.iter().map(|h| h.login_id.as_str()).collect();
    assert_eq!(ids, ["dealer07"]);
    // Only the start matches, and LIKE's wildcards are themselves.
    assert!(search(&app, &staff.cookie, "motors", "1")
        .await
        .hits
        .is_empty());
    assert!(search(&app, &staff.cookie, "%", "1").await.hits.is_empty());
    assert!(search(&app, &staff.cookie, "_ealer", "1")
        .await
        .hits
        .is_empty());
    assert!(search(&app, &staff.cookie, "", "1").await.hits.is_empty());
}

#[tokio::test]
async fn resetting_mfa_for_a_lost_phone_ends_sessions_and_is_recorded_with_who_and_why() {
    let (app, _dealers_phone) = app_with_mfa_user().await;
    let dealer = {
        let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
        assert_eq!(
            app.session_count("dealer01").await,
            2,
            "the setup's, and this one"
        );
        half
    };
    let staff = app.staff("hd01", Role::Helpdesk).await;

    let view = app.account_view(&staff.cookie, "dealer01").await;
    assert!(view.mfa_since.is_some());
    assert!(view.actions.contains(&StaffAction::ResetMfa));
    assert!(
        view.code_fresh,
        "the setup's code covers the next 10 minutes"
    );

    let res = app.act(&staff.cookie, "dealer01", "reset-mfa", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let (event, actor, reason, address) = last_record(&app).await;
    assert_eq!(event, "mfa_reset");
    assert_eq!(actor, "helpdesk:hd01");
    assert_eq!(reason.as_deref(), Some("INC-0001 お電話で本人確認済み"));
    assert_eq!(address.as_deref(), Some("127.0.0.1"));
    assert_eq!(app.session_count("dealer01").await, 0, "sessions ended");
    let res = app.code_step(&dealer, "123456", false).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let (_, next) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    assert_eq!(next, "/menu", "the password alone signs in");
    let view = app.account_view(&staff.cookie, "dealer01").await;
    assert!(view.mfa_since.is_none());
    let events: Vec<_> = view.events.iter().map(|e| e.event.as_str()).collect();
    assert!(events.contains(&"多要素認証リセット"), "{events:?}");
}

#[tokio::test]
async fn an_action_needs_a_code_from_the_last_ten_minutes() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let staff = app.staff("hd01", Role::Helpdesk).await;
    app.clock.advance(11 * 60);

    let res = app
        .act(&staff.cookie, "dealer01", "end-sessions", None)
        .await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(res).await, AppError::StepUpRequired);
    assert!(!app.account_view(&staff.cookie, "dealer01").await.code_fresh);

    let res = app
        .act(&staff.cookie, "dealer01", "end-sessions", Some("000000"))
        .await;
    assert_eq!(error_of(res).await, AppError::InvalidCode);
    assert!(!app
        .audit_events()
        .await
        .contains(&"all_sessions_ended".to_owned()));

    let code = staff.phone.code(0);
    let res = app
        .act(&staff.cookie, "dealer01", "end-sessions", Some(&code))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // The same code once more is a replay; no code is needed now anyway.
    let res = app.act(&staff.cookie, "dealer01", "disable", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let events = app.audit_events().await;
    let tail: Vec<_> = events
        .iter()
        .rev()
        .take(3)
        .rev()
        .map(String::as_str)
        .collect();
    assert_eq!(tail, ["step_up", "all_sessions_ended", "disabled"]);
}

#[tokio::test]
async fn staff_never_act_on_themselves_and_the_helpdesk_only_on_dealers() {
    let app = spawn_app().await;
    let helpdesk = app.staff("hd01", Role::Helpdesk).await;
    let admin = app.staff("admin01", Role::Admin).await;
    app.staff("hd02", Role::Helpdesk).await;

    for (who, target) in [
        (&helpdesk.cookie, "hd01"),
        (&helpdesk.cookie, "hd02"),
        (&helpdesk.cookie, "admin01"),
        (&admin.cookie, "admin01"),
    ] {
        let res = app.act(who, target, "disable", None).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{target}");
        assert_eq!(error_of(res).await, AppError::NotOnThisAccount);
        if target == "admin01" && who == &admin.cookie {
            assert!(app.account_view(who, target).await.actions.is_empty());
        } else {
            // The helpdesk does not even see a staff account's page.
            let form = [("login_id", target)];
            let res = app.call("console/account", &form, Some(who)).await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{target}");
        }
    }
    assert!(!app.audit_events().await.contains(&"disabled".to_owned()));
    let res = app.act(&admin.cookie, "hd02", "disable", None).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "an admin acts on the helpdesk"
    );
    let res = app.act(&helpdesk.cookie, "nobody", "disable", None).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_action_without_a_reason_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let staff = app.staff("hd01", Role::Helpdesk).await;
    for reason in ["", "   ", &"x".repeat(201)] {
        let form = [
            ("login_id", "dealer01"),
            ("action", "disable"),
            ("reason", reason),
        ];
        let res = app.call("console/act", &form, Some(&staff.cookie)).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(matches!(
            error_of(res).await,
            AppError::Validation {
                field: Field::Reason,
                problem: Problem::ReasonRequired | Problem::ReasonTooLong
            }
        ));
    }
    let form = [
        ("login_id", "dealer01"),
        ("action", "explode"),
        ("reason", "x"),
    ];
    let res = app.call("console/act", &form, Some(&staff.cookie)).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.account_view(&staff.cookie, "dealer01").await.state,
        AccountState::Active
    );
}

/// A stop, an MFA reset and the end of every sign-in are done only with
/// the confirming box ticked: one click beside the other buttons does
/// nothing, spends no code, and says why under the box.
#[tokio::test]
async fn actions_that_stop_the_dealer_need_the_confirming_box() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let staff = app.staff("hd01", Role::Helpdesk).await;
    app.clock.advance(11 * 60);
    let code = staff.phone.code(0);
    for action in ["disable", "reset-mfa", "end-sessions"] {
        let form = [
            ("login_id", "dealer01"),
            ("action", action),
            ("reason", "INC-0002"),
            ("code", code.as_str()),
        ];
        let res = app.call("console/act", &form, Some(&staff.cookie)).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{action}");
        assert_eq!(
            error_of(res).await.for_field(Field::Confirm),
            Some(app::text::ERR_CONFIRM_ACTION),
            "{action}"
        );
    }
    assert_eq!(
        app.account_view(&staff.cookie, "dealer01").await.state,
        AccountState::Active
    );
    // The code was not spent by the refusals: it does the real one.
    let res = app
        .act(&staff.cookie, "dealer01", "disable", Some(&code))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    // The others need no box.
    let form = [
        ("login_id", "dealer01"),
        ("action", "enable"),
        ("reason", "INC-0003"),
    ];
    let res = app.call("console/act", &form, Some(&staff.cookie)).await;
    assert_eq!(res.status(), StatusCode::OK);
}

#[tokio::test]
async fn disable_enable_and_unlock_change_the_state_the_page_shows() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let staff = app.staff("hd01", Role::Helpdesk).await;
    let dealer = app.signed_in("dealer01", GOOD_PASSWORD).await;

    app.act(&staff.cookie, "dealer01", "disable", None).await;
    let view = app.account_view(&staff.cookie, "dealer01").await;
    assert!(matches!(view.state, AccountState::Disabled(_)));
    assert!(view.actions.contains(&StaffAction::Enable));
    assert_eq!(
        app.get("/menu", Some(&dealer)).await.status(),
        StatusCode::SEE_OTHER
    );
    // Told it was staff, with the helpdesk's number, not blamed for
    // failed sign-ins.
    let refused = app.login("dealer01", GOOD_PASSWORD).await;
    assert_eq!(refused.status().as_u16(), 423);
    let err = error_of(refused).await;
    assert_eq!(err, AppError::Stopped);
    assert!(err.message().contains("ヘルプデスクにより停止"));
    assert!(err.message().contains("03-3556-0845"));

    app.act(&staff.cookie, "dealer01", "enable", None).await;
    assert_eq!(
        app.account_view(&staff.cookie, "dealer01").await.state,
        AccountState::Active
    );
    assert_eq!(
        app.login("dealer01", GOOD_PASSWORD).await.status(),
        StatusCode::OK
    );

    for _ in 0..10 {
        app.login("dealer01", "wrong-password-here").await;
    }
    let view = app.account_view(&staff.cookie, "dealer01").await;
    assert!(matches!(view.state, AccountState::Locked(_)));
    assert!(view.actions.contains(&StaffAction::Unlock));
    app.act(&staff.cookie, "dealer01", "unlock", None).await;
    assert_eq!(
        app.login("dealer01", GOOD_PASSWORD).await.status(),
        StatusCode::OK
    );
}

/// Issues a temporary password for `login_id` and reads it off the page.
async fn issue_temporary(app: &TestApp, staff: &str, login_id: &str) -> String {
    let res = app.act(staff, login_id, "temp-password", None).await;
    assert_eq!(res.status(), StatusCode::OK);
    let view = app.account_view(staff, login_id).await;
    let secret = view.revealed.expect("shown to the staff member").0;
    assert!(
        app.account_view(staff, login_id).await.revealed.is_none(),
        "shown once"
    );
    secret
}

/// A temporary password waits to be shown only while it is still the
/// account's pending password: replaced before the page was opened, it is
/// never shown (and is gone, not kept for later).
#[tokio::test]
async fn a_temporary_password_replaced_before_its_page_opens_is_never_shown() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let staff = app.staff("hd01", Role::Helpdesk).await;
    let res = app
        .act(&staff.cookie, "dealer01", "temp-password", None)
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    app.set_password("dealer01", "harbor-violet-58-amber").await;
    let view = app.account_view(&staff.cookie, "dealer01").await;
    assert!(view.revealed.is_none(), "no longer pending: not shown");
    assert!(view.temp_password.is_none());
    // Issued again and still pending, it is shown, once.
    issue_temporary(&app, &staff.cookie, "dealer01").await;
}

#[tokio::test]
async fn a_temporary_password_signs_in_once_and_asks_for_a_new_one_first() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let old_session = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let staff = app.staff("hd01", Role::Helpdesk).await;
    let (temporary, logs) =
        capture_logs(a_temporary_password_at_work(&app, &staff, &old_session)).await;
    assert!(
        !logs.contains(&temporary),
        "the temporary password is never logged"
    );
}

async fn a_temporary_password_at_work(
    app: &TestApp,
    staff: &StaffMember,
    old_session: &str,
) -> String {
    let temporary = issue_temporary(app, &staff.cookie, "dealer01").await;
    assert_eq!(
        app.get("/menu", Some(old_session)).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.login("dealer01", GOOD_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED,
        "the old password is gone"
    );
    let view = app.account_view(&staff.cookie, "dealer01").await;
    assert!(matches!(
        view.temp_password,
        Some(TempPassword::ValidUntil(_))
    ));

    let cookie = app.signed_in("dealer01", &temporary).await;
    for page in ["/menu", "/mfa", "/helpdesk"] {
        let res = app.get(page, Some(&cookie)).await;
        assert_eq!(location(&res).as_deref(), Some("/password"), "{page}");
    }
    let res = app.call("mfa/status", &[], Some(&cookie)).await;
    assert_eq!(error_of(res).await, AppError::ChangePasswordFirst);
    assert_eq!(
        app.login("dealer01", &temporary).await.status(),
        StatusCode::UNAUTHORIZED,
        "used once: never again"
    );
    let view = app.account_view(&staff.cookie, "dealer01").await;
    assert_eq!(view.temp_password, Some(TempPassword::Used));

    let form = app.call("account/password-form", &[], Some(&cookie)).await;
    let form: app::types::PasswordFormKind = form.json().await.unwrap();
    assert!(form.temporary && !form.needs_code);
    let chosen = "lantern-orchard-42-quiet";
    let res = app.choose_password(&cookie, chosen).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.get("/menu", Some(&cookie)).await.status(),
        StatusCode::OK
    );
    assert_eq!(app.login("dealer01", chosen).await.status(), StatusCode::OK);
    assert!(app
        .account_view(&staff.cookie, "dealer01")
        .await
        .temp_password
        .is_none());
    temporary
}

#[tokio::test]
async fn a_temporary_password_expires_after_24_hours() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let staff = app.staff("hd01", Role::Helpdesk).await;
    let temporary = issue_temporary(&app, &staff.cookie, "dealer01").await;
    app.clock.advance(24 * 60 * 60);
    let res = app.login("dealer01", &temporary).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(res).await, AppError::InvalidCredentials);
}
