//! The operator's command line, run as a real process against the same
//! database the running server uses.

use crate::helpers::*;
use app::server::db::users;
use reqwest::StatusCode;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn autobank(app: &TestApp, args: &[&str], stdin: &str) -> Output {
    run_cli(&app.database_url, args, stdin)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test]
async fn user_add_creates_an_account_that_can_sign_in() {
    let app = spawn_app().await;
    let out = autobank(
        &app,
        &["user", "add", "Sato.Hanako", "--name", "佐藤 花子"],
        &format!("{GOOD_PASSWORD}\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));

    let res = app.login("sato.hanako", GOOD_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::OK);

    let list = autobank(&app, &["user", "list"], "");
    let listed = String::from_utf8_lossy(&list.stdout);
    assert!(
        listed.contains("sato.hanako") && listed.contains("dealer"),
        "{listed}"
    );
}

#[tokio::test]
async fn user_add_refuses_a_duplicate_id_in_any_case() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let out = autobank(
        &app,
        &["user", "add", "DEALER01", "--name", "x"],
        &format!("{GOOD_PASSWORD}\n"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("already exists"), "{}", stderr(&out));
}

#[tokio::test]
async fn user_add_refuses_a_weak_password_and_says_why() {
    let app = spawn_app().await;
    for (weak, reason) in [
        ("short", app::text::PW_TOO_SHORT),
        ("password123", app::text::PW_WEAK_COMMON),
        ("qwertyuiop", app::text::PW_WEAK_COMMON),
    ] {
        let out = autobank(
            &app,
            &["user", "add", "dealer02", "--name", "x"],
            &format!("{weak}\n"),
        );
        assert_eq!(out.status.code(), Some(1), "{weak}");
        assert!(stderr(&out).contains(reason), "{weak}: {}", stderr(&out));
    }
    assert!(users::find_by_login_id(&app.db, "dealer02")
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn user_unlock_lifts_a_lock() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    for _ in 0..10 {
        app.login("dealer01", "wrong-password-xyz").await;
    }
    assert_eq!(
        app.login("dealer01", GOOD_PASSWORD).await.status().as_u16(),
        423
    );

    let out = autobank(&app, &["user", "unlock", "dealer01"], "");
    assert!(out.status.success(), "{}", stderr(&out));

    assert_eq!(
        app.login("dealer01", GOOD_PASSWORD).await.status(),
        StatusCode::OK
    );
    let missing = autobank(&app, &["user", "unlock", "nobody"], "");
    assert_eq!(missing.status.code(), Some(1));
}

#[tokio::test]
async fn notice_add_posts_to_the_portal_and_refuses_a_bad_date() {
    let app = spawn_app().await;
    let out = autobank(
        &app,
        &[
            "notice",
            "add",
            "--date",
            "2022-08-10",
            "--title",
            "夏季休業のお知らせ",
        ],
        "",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let html = app.get("/", None).await.text().await.unwrap();
    assert!(html.contains("2022/08/10") && html.contains("夏季休業のお知らせ"));

    let bad = autobank(
        &app,
        &["notice", "add", "--date", "2022/08/10", "--title", "x"],
        "",
    );
    assert_eq!(bad.status.code(), Some(1));
}

#[tokio::test]
async fn set_password_ends_the_users_sessions() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let cookie = app.signed_in("dealer01", GOOD_PASSWORD).await;

    let out = autobank(
        &app,
        &["user", "set-password", "dealer01"],
        "maple-comet-42-lantern\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));

    assert_eq!(
        app.get("/menu", Some(&cookie)).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.login("dealer01", GOOD_PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("dealer01", "maple-comet-42-lantern")
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn reset_mfa_turns_it_off_ends_sessions_and_records_who_did_it() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let cookie = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let authenticator = app.enable_mfa(&cookie).await;
    let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    let res = app.code_step(&half, &authenticator.code(0), true).await;
    let full = session_cookie(&res).unwrap();
    let device = cookie_value(&res, DEVICE_COOKIE).unwrap();

    let out = autobank(&app, &["user", "reset-mfa", "dealer01"], "");
    assert!(out.status.success(), "{}", stderr(&out));

    assert_eq!(
        app.get("/menu", Some(&full)).await.status(),
        StatusCode::SEE_OTHER,
        "sessions ended"
    );
    let (_, next) = app
        .password_step("dealer01", GOOD_PASSWORD, Some(&device))
        .await;
    assert_eq!(next, "/menu", "password only");
    let devices: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM remembered_devices")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(devices, 0);

    let audit = autobank(&app, &["audit", "--user", "dealer01", "--limit", "5"], "");
    let printed = String::from_utf8_lossy(&audit.stdout);
    let first_event = printed.lines().nth(1).unwrap_or_default();
    assert!(
        first_event.contains("sign_in_success"),
        "newest first: {printed}"
    );
    let reset = printed
        .lines()
        .find(|l| l.contains("mfa_reset"))
        .expect("mfa_reset recorded");
    assert!(reset.contains("cli:"), "{reset}");

    let missing = autobank(&app, &["user", "reset-mfa", "nobody"], "");
    assert_eq!(missing.status.code(), Some(1));
}

#[cfg(unix)]
#[tokio::test]
async fn the_default_data_folder_and_its_files_are_for_the_owner_alone() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let out = Command::new(env!("CARGO_BIN_EXE_autobank"))
        .args(["user", "add", "dealer01", "--name", "テスト"])
        .env_remove("DATABASE_URL")
        .env("AUTOBANK_DATA_DIR", &data)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(format!("{GOOD_PASSWORD}\n").as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let mode = |name: &str| {
        std::fs::metadata(data.join(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    };
    assert_eq!(mode(""), 0o700, "the folder");
    for entry in std::fs::read_dir(&data).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert_eq!(mode(&name), 0o600, "{name}");
    }
    assert_eq!(mode("autobank.db"), 0o600);
}

#[tokio::test]
async fn serve_on_postgresql_without_a_key_refuses_before_touching_the_database() {
    // An empty key (`AUTOBANK_SECRET_KEY=${UNSET}` in a compose file) is
    // no key; the database named here does not exist, and is never tried.
    let out = Command::new(env!("CARGO_BIN_EXE_autobank"))
        .arg("serve")
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/never")
        .env("AUTOBANK_SECRET_KEY", "  ")
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let said = stderr(&out);
    assert!(said.contains("AUTOBANK_SECRET_KEY is unset"), "{said}");
    assert!(
        !said.contains("retrying"),
        "the database was not tried: {said}"
    );
}
