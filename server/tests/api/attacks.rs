//! The attack suite: each attack as an attacker would run it, against two
//! instances of the release server (`autobank serve`, separate processes)
//! sharing one database, with requests split between them as a load
//! balancer would. Every attack must fail.

use crate::helpers::*;
use app::domain::Password;
use app::error::AppError;
use app::server::clock::Clock;
use app::server::db::users;
use app::server::services::lockout::LOCK_AFTER;
use futures_util::future::join_all;
use reqwest::StatusCode;

/// A user with MFA on, and a full session of theirs on instance 0.
async fn pair_with_mfa_user(login_id: &str) -> (Pair, Authenticator, String) {
    let pair = Pair::start().await;
    pair.add_user(login_id).await;
    let (cookie, _) = pair.sign_in(0, login_id, None).await;
    let phone = pair.enable_mfa(0, &cookie).await;
    (pair, phone, cookie)
}

async fn error_json(res: reqwest::Response) -> AppError {
    res.json().await.expect("a JSON error")
}

/// Pages that a browser without a full sign-in may see.
const PUBLIC_PAGES: &[&str] = &["/", "/login", "/forgot", "/login/code", "/login/recovery"];
/// Server functions that work without a full sign-in: signing in, the
/// code step itself (with the app's code or a recovery code), signing
/// out, the portal's notices and where its `検索ログイン` goes, and the
/// name of an application waiting for the sign-in.
const OPEN_FUNCTIONS: &[&str] = &[
    "/api/login",
    "/api/mfa/code",
    "/api/mfa/recovery",
    "/api/logout",
    "/api/notices",
    "/api/search_entry",
    "/api/waiting-app",
];

#[tokio::test]
async fn skipping_the_code_step_reaches_no_page_and_no_server_function() {
    let (pair, _phone, _) = pair_with_mfa_user("dealer01").await;
    let (half, next) = pair.sign_in(1, "dealer01", None).await;
    assert!(next.starts_with("/login/code"), "{next}");

    let routes = page_paths();
    assert!(routes.len() >= 9, "the route list is read");
    for (i, path) in routes.into_iter().enumerate() {
        let res = pair.get(i, &path, Some(&half)).await;
        if PUBLIC_PAGES.contains(&path.as_str()) {
            assert!(res.status().is_success(), "{path}: {}", res.status());
        } else {
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
            let to = location(&res).unwrap();
            assert!(to.starts_with("/login"), "{path} sends to {to}");
        }
    }

    let functions: Vec<_> = leptos::server_fn::axum::server_fn_paths().collect();
    assert!(functions.len() >= 10, "the server functions are listed");
    for (i, (path, _method)) in functions.iter().enumerate() {
        if OPEN_FUNCTIONS.contains(path) {
            continue;
        }
        let endpoint = path.trim_start_matches("/api/");
        // Arguments that would do something, were the session full.
        let form = [
            ("confirmed", "yes"),
            ("setting", "off"),
            ("current_code", "123456"),
            ("code", "123456"),
            ("password", GOOD_PASSWORD),
            ("login_id", "dealer01"),
            ("action", "disable"),
            ("reason", "INC-1"),
            ("name", "乗っ取り"),
            ("role", "admin"),
            ("op", "save"),
        ];
        let res = pair.call(i, endpoint, &form, Some(&half)).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(error_json(res).await, AppError::NotSignedIn, "{path}");
    }
}

#[tokio::test]
async fn one_code_replayed_on_both_instances_at_once_wins_once() {
    let (pair, phone, _) = pair_with_mfa_user("dealer01").await;
    // Two half sign-ins, one on each instance, and one code (a step ahead:
    // setup used the one before) sent to both at the same moment.
    let mut halves = Vec::new();
    for i in 0..6 {
        halves.push(pair.sign_in(i, "dealer01", None).await.0);
    }
    let code = phone.code(1);
    let tries = halves.iter().enumerate().map(|(i, half)| {
        let (pair, code) = (&pair, code.clone());
        async move {
            pair.call(
                i,
                "mfa/code",
                &[("code", &code), ("next", "/menu")],
                Some(half),
            )
            .await
            .status()
        }
    });
    let statuses = join_all(tries).await;
    let wins = statuses.iter().filter(|s| s.is_success()).count();
    assert_eq!(wins, 1, "{statuses:?}");
}

#[tokio::test]
async fn brute_forcing_a_password_across_both_instances_gets_ten_guesses_in_all() {
    let pair = Pair::start().await;
    pair.add_user("dealer01").await;
    let guesses = (0..40).map(|i| {
        let pair = &pair;
        async move {
            let guess = format!("guess-number-{i:03}");
            pair.login(i, "dealer01", &guess).await.status()
        }
    });
    let statuses = join_all(guesses).await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(
        checked < LOCK_AFTER as usize,
        "at most nine wrong answers, then the tenth locks: {statuses:?}"
    );
    assert!(statuses
        .iter()
        .all(|s| [401, 423, 503].contains(&s.as_u16())));
    for i in 0..2 {
        let res = pair.login(i, "dealer01", GOOD_PASSWORD).await;
        assert_eq!(error_json(res).await, AppError::Locked, "instance {i}");
    }
}

#[tokio::test]
async fn brute_forcing_a_code_across_both_instances_gets_ten_guesses_in_all() {
    let (pair, _phone, _) = pair_with_mfa_user("dealer01").await;
    let mut halves = Vec::new();
    for i in 0..4 {
        halves.push(pair.sign_in(i, "dealer01", None).await.0);
    }
    let guesses = (0..20).map(|i| {
        let (pair, half) = (&pair, halves[i % 4].clone());
        async move {
            let code = format!("{:06}", 100_000 + i * 7);
            let res = pair
                .call(
                    i,
                    "mfa/code",
                    &[("code", &code), ("next", "/menu")],
                    Some(&half),
                )
                .await;
            error_json(res).await
        }
    });
    let answers = join_all(guesses).await;
    let checked = answers
        .iter()
        .filter(|e| **e == AppError::InvalidCode)
        .count();
    assert!(
        checked < LOCK_AFTER as usize,
        "at most nine wrong answers across four sign-ins and two instances: {answers:?}"
    );
    assert!(answers.contains(&AppError::Locked), "{answers:?}");
    let res = pair.login(1, "dealer01", GOOD_PASSWORD).await;
    assert_eq!(error_json(res).await, AppError::Locked);
}

/// Signs in with the code, ticking "remember"; returns the device token.
async fn remembered(
    pair: &Pair,
    i: usize,
    login_id: &str,
    phone: &Authenticator,
    step: i64,
) -> String {
    let (half, _) = pair.sign_in(i, login_id, None).await;
    let res = pair
        .call(
            i,
            "mfa/code",
            &[
                ("code", &phone.code(step)),
                ("remember", "yes"),
                ("next", "/menu"),
            ],
            Some(&half),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    cookie_value(&res, DEVICE_COOKIE).expect("a device cookie")
}

/// Whether signing in with `device` skips the code.
async fn device_skips_the_code(pair: &Pair, i: usize, login_id: &str, device: &str) -> bool {
    let (_, next) = pair.sign_in(i, login_id, Some(device)).await;
    next == "/menu"
}

#[tokio::test]
async fn stolen_forged_and_revoked_device_cookies_skip_nothing() {
    let (pair, phone, full) = pair_with_mfa_user("dealer01").await;
    pair.add_user("dealer02").await;
    let (other_full, _) = pair.sign_in(1, "dealer02", None).await;
    let other_phone = pair.enable_mfa(1, &other_full).await;

    let device = remembered(&pair, 0, "dealer01", &phone, 0).await;
    assert!(
        device_skips_the_code(&pair, 1, "dealer01", &device).await,
        "the real one works on both"
    );
    let others = remembered(&pair, 1, "dealer02", &other_phone, 0).await;

    assert!(
        !device_skips_the_code(&pair, 0, "dealer01", &others).await,
        "another user's cookie"
    );
    let random = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        rand::random::<[u8; 32]>(),
    );
    assert_eq!(random.len(), 43);
    for forged in [
        random.as_str(),
        &"A".repeat(43),
        &"A".repeat(42),
        "%00%FF",
        &"x".repeat(4000),
        "../../etc/passwd",
    ] {
        assert!(
            !device_skips_the_code(&pair, 1, "dealer01", forged).await,
            "a forged cookie {forged:.20}"
        );
    }

    // Forget: the browser's own settings page.
    let res = pair.call(1, "mfa/forget", &[], Some(&full)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        !device_skips_the_code(&pair, 0, "dealer01", &device).await,
        "after forget"
    );

    // A password change.
    let device = remembered(&pair, 0, "dealer01", &phone, 1).await;
    let user_id = users::find_by_login_id(&pair.db, "dealer01")
        .await
        .unwrap()
        .unwrap()
        .id;
    let hash = app::server::password::Passwords::new()
        .hash(Password::parse(GOOD_PASSWORD).unwrap())
        .await
        .unwrap();
    let entry = test_entry(user_id, app::server::db::audit::Event::PasswordChanged);
    users::set_password(
        &pair.db,
        user_id,
        &hash,
        None,
        Clock::system().now(),
        &entry,
    )
    .await
    .unwrap();
    assert!(
        !device_skips_the_code(&pair, 1, "dealer01", &device).await,
        "after a password change"
    );
}

#[tokio::test]
async fn device_cookies_die_with_off_and_with_the_helpdesks_reset() {
    let (pair, phone, full) = pair_with_mfa_user("dealer01").await;
    let device = remembered(&pair, 1, "dealer01", &phone, 0).await;
    let off = pair
        .call(
            0,
            "mfa/apply",
            &[
                ("confirmed", "yes"),
                ("setting", "off"),
                ("current_code", &phone.code(1)),
            ],
            Some(&full),
        )
        .await;
    assert_eq!(location(&off).as_deref(), Some("/mfa?done=off"));
    let phone = pair.enable_mfa(1, &full).await;
    assert!(
        !device_skips_the_code(&pair, 0, "dealer01", &device).await,
        "after OFF and ON again"
    );

    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let device = remembered(&pair, 0, "dealer01", &phone, 0).await;
    let user_id = users::find_by_login_id(&pair.db, "dealer01")
        .await
        .unwrap()
        .unwrap()
        .id;
    let entry = test_entry(user_id, app::server::db::audit::Event::MfaReset);
    let seen = app::server::db::change::Seen::nothing();
    app::server::services::mfa::reset(&pair.db, &seen, user_id, &entry, Clock::system().now())
        .await
        .unwrap();
    let (full, next) = pair.sign_in(1, "dealer01", None).await;
    assert_eq!(next, "/menu", "MFA is off after the reset");
    pair.enable_mfa(0, &full).await;
    assert!(
        !device_skips_the_code(&pair, 1, "dealer01", &device).await,
        "after a reset and ON again"
    );
}

#[tokio::test]
async fn a_stolen_session_cannot_take_over_through_mfa_settings() {
    let (pair, phone, stolen) = pair_with_mfa_user("dealer01").await;

    // OFF without the code, and with guesses.
    let off = |code: &'static str| {
        let (pair, stolen) = (&pair, stolen.clone());
        async move {
            pair.call(
                1,
                "mfa/apply",
                &[
                    ("confirmed", "yes"),
                    ("setting", "off"),
                    ("current_code", code),
                ],
                Some(&stolen),
            )
            .await
        }
    };
    assert_eq!(off("").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_json(off("000000").await).await, AppError::InvalidCode);
    // A new phone without the code.
    let swap = pair
        .call(
            0,
            "mfa/apply",
            &[
                ("confirmed", "yes"),
                ("setting", "on"),
                ("password", GOOD_PASSWORD),
            ],
            Some(&stolen),
        )
        .await;
    assert_eq!(swap.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let status: app::types::MfaStatus = pair
        .call(1, "mfa/status", &[], Some(&stolen))
        .await
        .json()
        .await
        .unwrap();
    assert!(status.enabled_since.is_some(), "MFA is still on");
    let (half, next) = pair.sign_in(0, "dealer01", None).await;
    assert!(next.starts_with("/login/code"), "and still asked for");
    let _ = (half, phone);

    // ON without the password, on an account with MFA off.
    pair.add_user("dealer02").await;
    let (stolen, _) = pair.sign_in(1, "dealer02", None).await;
    for password in ["", "a-thiefs-guess-1"] {
        let on = pair
            .call(
                0,
                "mfa/apply",
                &[
                    ("confirmed", "yes"),
                    ("setting", "on"),
                    ("password", password),
                ],
                Some(&stolen),
            )
            .await;
        assert_eq!(
            on.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{password:?}"
        );
    }
    let setup = pair.call(1, "mfa/setup", &[], Some(&stolen)).await;
    assert_eq!(
        error_json(setup).await,
        AppError::SetupExpired,
        "no setup started"
    );
}

#[tokio::test]
async fn another_sessions_pending_setup_cannot_be_read_or_confirmed() {
    let pair = Pair::start().await;
    pair.add_user("dealer01").await;
    let (owner, _) = pair.sign_in(0, "dealer01", None).await;
    let (thief, _) = pair.sign_in(1, "dealer01", None).await;
    let details = pair.start_setup(0, &owner).await;
    for i in 0..2 {
        let read = pair.call(i, "mfa/setup", &[], Some(&thief)).await;
        assert_eq!(error_json(read).await, AppError::SetupExpired);
        let page = pair.get(i, "/mfa/setup", Some(&thief)).await;
        assert!(!page.text().await.unwrap().contains(&details.key));
    }
    // Even a thief who somehow has the new secret cannot confirm it.
    let phone = Authenticator::new(&details.key, &Clock::system());
    let confirm = pair
        .call(1, "mfa/confirm", &[("code", &phone.code(0))], Some(&thief))
        .await;
    assert_eq!(error_json(confirm).await, AppError::SetupExpired);
    let confirm = pair
        .call(1, "mfa/confirm", &[("code", &phone.code(0))], Some(&owner))
        .await;
    assert_eq!(confirm.status(), StatusCode::OK, "the owner can");
}

/// The menu as instance `i` sends it to `cookie`: its body, and whether it
/// came from the render held by what it shows (its policy names its
/// scripts by hash; a page rendered for this request alone carries a
/// nonce).
async fn menu(pair: &Pair, i: usize, cookie: &str) -> (String, bool) {
    let res = pair.get(i, "/menu", Some(cookie)).await;
    assert_eq!(res.status(), StatusCode::OK, "the menu");
    let policy = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    (res.text().await.unwrap(), policy.contains("'sha256-"))
}

#[tokio::test]
async fn a_held_menu_goes_to_no_other_role_and_to_no_session_that_ended_on_either_instance() {
    let pair = Pair::start().await;
    let (staff, _) = pair.staff(0, "hd01", Role::Helpdesk).await;
    let (admin, _) = pair.staff(1, "admin01", Role::Admin).await;
    pair.add_user("dealer01").await;
    let console_tile = format!("href=\"{}\"", app::routes::CONSOLE);

    // Staff and a dealer in turn, on one instance: each gets the menu of
    // their own role, held or not.
    let (dealer, _) = pair.sign_in(0, "dealer01", None).await;
    let mut held = 0;
    for _ in 0..4 {
        for (cookie, is_staff) in [(&staff, true), (&dealer, false)] {
            let (body, from_memory) = menu(&pair, 0, cookie).await;
            assert_eq!(body.contains(&console_tile), is_staff, "{body}");
            held += usize::from(from_memory);
        }
    }
    assert!(held >= 4, "the menus were held: {held} of 8");

    // A session ended on the other instance, its menu held a moment
    // before: by its own sign-out, by the helpdesk's end-all, by a
    // password change from another browser. The next request on the
    // first instance gets the sign-in form, not the menu.
    let login = format!("/login?next={}", app::routes::MENU);
    let new_password = "Mk8!zq-RT3#wL";
    for endpoint in ["logout", "console/act", "account/password"] {
        let (victim, _) = pair.sign_in(0, "dealer01", None).await;
        menu(&pair, 0, &victim).await;
        assert!(menu(&pair, 0, &victim).await.1, "held before {endpoint}");
        let res = match endpoint {
            "logout" => pair.call(1, endpoint, &[], Some(&victim)).await,
            "console/act" => {
                let form = [
                    ("login_id", "dealer01"),
                    ("action", "end-sessions"),
                    ("reason", "INC-held-menu"),
                    ("confirm", "yes"),
                ];
                pair.call(1, endpoint, &form, Some(&admin)).await
            }
            _ => {
                let (other, _) = pair.sign_in(1, "dealer01", None).await;
                let form = [
                    ("current_password", GOOD_PASSWORD),
                    ("current_code", ""),
                    ("new_password", new_password),
                    ("new_password_again", new_password),
                ];
                pair.call(1, endpoint, &form, Some(&other)).await
            }
        };
        assert_eq!(res.status(), StatusCode::OK, "{endpoint}");
        let res = pair.get(0, "/menu", Some(&victim)).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "after {endpoint}");
        assert_eq!(location(&res).as_deref(), Some(login.as_str()));
    }
}
