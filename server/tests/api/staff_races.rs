//! Races between members of staff, as an attacker would run them: two
//! requests whose checks each pass, sent at once to two instances of the
//! release server sharing one database (`helpers/pair.rs`), many rounds.
//! Each write must land only if what its check saw still holds when it
//! commits (`db::change`); otherwise nothing changes and the answer is
//! `AppError::Changed` (409).

use crate::helpers::*;
use app::error::AppError;
use reqwest::StatusCode;
use std::time::Duration;

/// Rounds per race: each round is a fresh pair of requests.
const ROUNDS: usize = 12;

/// The staff action `action` on `target`, with a reason, on instance `i`.
async fn act(pair: &Pair, i: usize, cookie: &str, target: &str, action: &str) -> StatusCode {
    let form = [
        ("login_id", target),
        ("action", action),
        ("reason", "INC-race"),
        ("confirm", "yes"),
    ];
    pair.call(i, "console/act", &form, Some(cookie))
        .await
        .status()
}

/// An admin's change of `target`'s role, on instance `i`.
async fn set_role(pair: &Pair, i: usize, cookie: &str, target: &str, role: &str) -> StatusCode {
    let form = [("login_id", target), ("role", role), ("reason", "INC-race")];
    pair.call(i, "admin/set-role", &form, Some(cookie))
        .await
        .status()
}

/// The account's role and whether it has a temporary password.
async fn role_and_temp(pair: &Pair, login_id: &str) -> (String, bool) {
    let (role, temp): (String, Option<i64>) =
        sqlx::query_as("SELECT role, password_expires_at FROM users WHERE login_id = $1")
            .bind(login_id)
            .fetch_one(pair.db.pool())
            .await
            .unwrap();
    (role, temp.is_some())
}

/// The delay of round `round`: 0 to 44 ms, so that the second request
/// lands at every point of the first one's check, hash and write.
fn delay(round: usize) -> Duration {
    Duration::from_millis((round as u64 * 4) % 48)
}

/// The role race: the helpdesk issues a temporary password for a dealer
/// while an admin promotes that dealer to admin. Before the fix the
/// promotion landed between the helpdesk's check and its write (the argon2
/// hash lies between them) and the helpdesk knew an admin's password.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_temporary_password_and_a_promotion_raced_never_give_a_staff_account_a_known_password() {
    let pair = Pair::start().await;
    let (helpdesk, _) = pair.staff(0, "hd01", Role::Helpdesk).await;
    let (admin, _) = pair.staff(1, "admin01", Role::Admin).await;
    let mut outcomes = Vec::new();
    for round in 0..ROUNDS {
        let dealer = format!("dealer{round:02}");
        pair.add_user(&dealer).await;
        let issue = act(&pair, 0, &helpdesk, &dealer, "temp-password");
        let promote = async {
            tokio::time::sleep(delay(round)).await;
            set_role(&pair, 1, &admin, &dealer, "admin").await
        };
        let (issued, promoted) = tokio::join!(issue, promote);
        let (role, temp) = role_and_temp(&pair, &dealer).await;
        outcomes.push((issued, promoted));
        assert!(
            !(role == "admin" && temp),
            "round {round}: an admin with a temporary password ({issued}, {promoted})"
        );
        // Exactly one of them went through; the other was told why.
        match (issued, promoted) {
            (StatusCode::OK, other) => {
                assert_eq!((role.as_str(), temp), ("dealer", true), "round {round}");
                assert!(
                    matches!(
                        other,
                        StatusCode::CONFLICT | StatusCode::UNPROCESSABLE_ENTITY
                    ),
                    "round {round}: the promotion answered {other}"
                );
            }
            (other, StatusCode::OK) => {
                assert_eq!((role.as_str(), temp), ("admin", false), "round {round}");
                assert!(
                    matches!(other, StatusCode::CONFLICT | StatusCode::FORBIDDEN),
                    "round {round}: the temporary password answered {other}"
                );
            }
            other => panic!("round {round}: neither went through: {other:?}"),
        }
    }
    eprintln!("role race outcomes: {outcomes:?}");
}

/// The actor race: an admin demotes a helpdesk member while that member's
/// action on a dealer is in flight. An action must not land, and be
/// recorded as the helpdesk's, after the demotion: in the audit trail it
/// comes before the role change or not at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_staff_action_raced_with_the_actors_demotion_never_lands_after_it() {
    let pair = Pair::start().await;
    let (admin, _) = pair.staff(1, "admin01", Role::Admin).await;
    for round in 0..ROUNDS {
        let member = format!("hd{round:02}");
        let dealer = format!("dealer{round:02}");
        let (helpdesk, _) = pair.staff(0, &member, Role::Helpdesk).await;
        pair.add_user(&dealer).await;
        // Half the rounds reset MFA (a short check), half issue a
        // temporary password (a hash between check and write).
        let (action, event) = if round % 2 == 0 {
            let (cookie, _) = pair.sign_in(0, &dealer, None).await;
            pair.enable_mfa(0, &cookie).await;
            ("reset-mfa", "mfa_reset")
        } else {
            ("temp-password", "temp_password_issued")
        };
        let acting = act(&pair, 0, &helpdesk, &dealer, action);
        let demote = async {
            tokio::time::sleep(delay(round) / 4).await;
            set_role(&pair, 1, &admin, &member, "dealer").await
        };
        let (acted, demoted) = tokio::join!(acting, demote);
        assert_eq!(demoted, StatusCode::OK, "round {round}");
        let order: Vec<String> = sqlx::query_scalar(
            "SELECT event FROM audit_events WHERE (event = $1 AND actor = $2) \
             OR (event = 'role_changed' AND login_id = $3) ORDER BY id",
        )
        .bind(event)
        .bind(format!("helpdesk:{member}"))
        .bind(&member)
        .fetch_all(pair.db.pool())
        .await
        .unwrap();
        if acted == StatusCode::OK {
            assert_eq!(order, [event, "role_changed"], "round {round}");
        } else {
            assert!(
                matches!(
                    acted,
                    StatusCode::CONFLICT | StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN
                ),
                "round {round}: {acted}"
            );
            assert_eq!(order, ["role_changed"], "round {round}: nothing recorded");
        }
    }
}

/// One stolen admin session is not every admin: from the web console, no
/// one can give a staff account a temporary password or reset its MFA.
/// The command line on the server does that.
#[tokio::test]
async fn the_web_console_alone_cannot_take_over_a_staff_account() {
    let pair = Pair::start().await;
    let (admin, _) = pair.staff(0, "admin01", Role::Admin).await;
    pair.staff(1, "admin02", Role::Admin).await;
    pair.staff(1, "hd01", Role::Helpdesk).await;
    for (i, target) in [(0, "admin02"), (1, "hd01")] {
        for action in ["temp-password", "reset-mfa"] {
            let res = pair
                .call(
                    i,
                    "console/act",
                    &[
                        ("login_id", target),
                        ("action", action),
                        ("reason", "INC-takeover"),
                        ("confirm", "yes"),
                    ],
                    Some(&admin),
                )
                .await;
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{target} {action}");
            let error: AppError = res.json().await.unwrap();
            assert_eq!(error, AppError::NotOnThisAccount);
        }
        let view: app::types::AccountView = pair
            .call(i, "console/account", &[("login_id", target)], Some(&admin))
            .await
            .json()
            .await
            .unwrap();
        assert!(view.recovery_on_server, "{target}");
        assert!(
            !view.actions.iter().any(|a| matches!(
                a,
                app::types::StaffAction::TempPassword | app::types::StaffAction::ResetMfa
            )),
            "{target}: {:?}",
            view.actions
        );
    }
    let (role, temp) = role_and_temp(&pair, "admin02").await;
    assert_eq!((role.as_str(), temp), ("admin", false));
    let mfa_on: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM users WHERE login_id IN ('admin02', 'hd01') \
         AND mfa_enabled_at IS NOT NULL",
    )
    .fetch_one(pair.db.pool())
    .await
    .unwrap();
    assert_eq!(mfa_on, 2, "both still have their own MFA");
    // What an admin may still do for staff from the web: end their
    // sessions, stop and restart them, lift a lock.
    let ended = act(&pair, 1, &admin, "hd01", "end-sessions").await;
    assert_eq!(ended, StatusCode::OK);
}

/// The helpdesk helps dealers and does not see staff: neither their page
/// (with its last address and records) nor their names in a search.
#[tokio::test]
async fn the_helpdesk_sees_neither_staff_pages_nor_staff_in_its_search() {
    let pair = Pair::start().await;
    let (helpdesk, _) = pair.staff(0, "hd01", Role::Helpdesk).await;
    let (admin, _) = pair.staff(1, "admin01", Role::Admin).await;
    pair.add_user_as("hd02", Role::Helpdesk).await;
    pair.add_user("dealer01").await;

    for (i, target) in [(0, "admin01"), (1, "hd02"), (0, "hd01")] {
        let res = pair
            .call(
                i,
                "console/account",
                &[("login_id", target)],
                Some(&helpdesk),
            )
            .await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{target}");
        let error: AppError = res.json().await.unwrap();
        assert_eq!(error, AppError::NotOnThisAccount, "{target}");
        let page = pair
            .get(i, &format!("/helpdesk/users/{target}"), Some(&helpdesk))
            .await
            .text()
            .await
            .unwrap();
        assert!(!page.contains("127.0.0.1"), "{target}: no address shown");
        assert!(
            page.contains(app::text::ERR_NOT_ON_THIS_ACCOUNT),
            "{target}"
        );
    }
    // An empty term lists nothing: search by each first letter.
    let mut helpdesk_sees = Vec::new();
    let mut admin_sees = Vec::new();
    for q in ["a", "d", "h"] {
        for (cookie, i, into) in [
            (&helpdesk, 0, &mut helpdesk_sees),
            (&admin, 1, &mut admin_sees),
        ] {
            let results: app::types::SearchResults = pair
                .call(i, "console/search", &[("q", q)], Some(cookie))
                .await
                .json()
                .await
                .unwrap();
            into.extend(results.hits.into_iter().map(|h| h.login_id));
        }
    }
    assert_eq!(helpdesk_sees, ["dealer01"]);
    admin_sees.sort();
    assert_eq!(admin_sees, ["admin01", "dealer01", "hd01", "hd02"]);
}
