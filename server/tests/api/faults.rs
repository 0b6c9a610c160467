//! Faults: a server killed between the password and the code, or while it
//! confirms a setup; SQLite busy while the CLI writes; PostgreSQL stopped
//! and started. After each, nothing is half-written and a retry works.

use crate::helpers::*;
use app::domain::Password;
use app::server::clock::Clock;
use app::server::db::{users, Db};
use reqwest::StatusCode;
use std::time::Duration;

/// (MFA on, its secret set, pending setups) of `login_id`.
async fn mfa_state(db: &Db, login_id: &str) -> (bool, bool, i64) {
    let (on, secret, pending): (i64, i64, i64) = sqlx::query_as(
        "SELECT CASE WHEN mfa_enabled_at IS NULL THEN 0 ELSE 1 END, \
         CASE WHEN mfa_secret IS NULL THEN 0 ELSE 1 END, \
         (SELECT COUNT(*) FROM mfa_enrollments e WHERE e.user_id = u.id) \
         FROM users u WHERE login_id = $1",
    )
    .bind(login_id)
    .fetch_one(db.pool())
    .await
    .unwrap();
    (on == 1, secret == 1, pending)
}

#[tokio::test]
async fn a_server_killed_between_the_password_and_the_code_loses_nothing() {
    let mut pair = Pair::start().await;
    pair.add_user("dealer01").await;
    let (full, _) = pair.sign_in(0, "dealer01", None).await;
    let phone = pair.enable_mfa(0, &full).await;

    let (half, next) = pair.sign_in(0, "dealer01", None).await;
    assert!(next.starts_with("/login/code"));
    pair.kill(0);
    pair.restart(0).await;
    let res = pair.code_step(0, &half, &phone.code(0)).await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "the half sign-in survived the crash"
    );
    let stages: Vec<String> = sqlx::query_scalar("SELECT stage FROM sessions ORDER BY stage")
        .fetch_all(pair.db.pool())
        .await
        .unwrap();
    assert_eq!(stages, ["full", "full"], "no half sign-in left behind");
}

#[tokio::test]
async fn a_server_killed_while_confirming_a_setup_leaves_mfa_whole() {
    let mut pair = Pair::start().await;
    // Kills at several moments: before, during and after the confirmation.
    for (n, delay_ms) in [0u64, 2, 4, 8, 16, 40].into_iter().enumerate() {
        let login_id = format!("dealer{n:02}");
        pair.add_user(&login_id).await;
        let (cookie, _) = pair.sign_in(0, &login_id, None).await;
        let details = pair.start_setup(0, &cookie).await;
        let phone = Authenticator::new(&details.key, &Clock::system());

        let confirm = {
            let (client, url, cookie, code) = (
                pair.client.clone(),
                pair.url(0, "/api/mfa/confirm"),
                cookie.clone(),
                phone.code(-1),
            );
            tokio::spawn(async move {
                client
                    .post(url)
                    .header("accept", "application/json")
                    .header("cookie", cookie)
                    .form(&[("code", code)])
                    .send()
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        pair.kill(0);
        let _ = confirm.await;
        pair.restart(0).await;

        match mfa_state(&pair.db, &login_id).await {
            (true, true, 0) => {}
            (false, false, 1) => {
                let retry = pair
                    .call(0, "mfa/confirm", &[("code", &phone.code(0))], Some(&cookie))
                    .await;
                assert_eq!(
                    retry.status(),
                    StatusCode::OK,
                    "after {delay_ms} ms: the retry works"
                );
                assert_eq!(mfa_state(&pair.db, &login_id).await, (true, true, 0));
            }
            other => panic!("after {delay_ms} ms: half-written MFA state {other:?}"),
        }
    }
}

#[tokio::test]
async fn the_cli_waits_out_a_busy_sqlite_and_changes_nothing_when_it_cannot() {
    if Engine::of_this_run() != Engine::Sqlite {
        return; // SQLite's own locking; the SQLite pass covers it.
    }
    let (url, _dir) = fresh_database(Engine::Sqlite).await;
    let db = Db::connect(&url).await.unwrap();
    let hash = app::server::password::Passwords::new()
        .hash(Password::parse(GOOD_PASSWORD).unwrap())
        .await
        .unwrap();
    users::insert(
        &db,
        "dealer01",
        "テスト",
        "dealer",
        &hash,
        Clock::system().now(),
    )
    .await
    .unwrap();
    let unlocks = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_events WHERE event = 'unlocked'")
            .fetch_one(db.pool())
            .await
            .unwrap()
    };
    let mut writer = db.pool().acquire().await.unwrap();

    // A writer holds the database for a second: the CLI waits, then works.
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut *writer)
        .await
        .unwrap();
    let cli = {
        let url = url.clone();
        tokio::task::spawn_blocking(move || run_cli(&url, &["user", "unlock", "dealer01"], ""))
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    sqlx::query("COMMIT").execute(&mut *writer).await.unwrap();
    let out = cli.await.unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(unlocks().await, 1);

    // Held past the busy timeout: a clear refusal, nothing written.
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut *writer)
        .await
        .unwrap();
    let url2 = url.clone();
    let out =
        tokio::task::spawn_blocking(move || run_cli(&url2, &["user", "unlock", "dealer01"], ""))
            .await
            .unwrap();
    sqlx::query("COMMIT").execute(&mut *writer).await.unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(said.contains("Nothing was changed; try again"), "{said}");
    assert!(!said.contains("panicked"), "{said}");
    assert_eq!(unlocks().await, 1, "nothing half-written");

    let out = run_cli(&url, &["user", "unlock", "dealer01"], "");
    assert!(out.status.success(), "the retry works");
    assert_eq!(unlocks().await, 2);
}

#[tokio::test]
#[ignore = "starts a PostgreSQL cluster of its own: make test-postgres runs it"]
async fn postgresql_stopped_and_started_again() {
    let cluster = Cluster::start(false);
    let pair = Pair::start_on(cluster.url("sslmode=disable"), None).await;
    pair.add_user("dealer01").await;
    let (full, _) = pair.sign_in(0, "dealer01", None).await;

    cluster.stop();
    for i in 0..2 {
        let page = pair.get(i, "/menu", Some(&full)).await;
        assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(page
            .text()
            .await
            .unwrap()
            .contains(app::text::ERR_UNAVAILABLE));
        let res = pair.login(i, "dealer01", GOOD_PASSWORD).await;
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    }

    cluster.start_again();
    // Both instances come back by themselves.
    for i in 0..2 {
        let mut status = StatusCode::SERVICE_UNAVAILABLE;
        for _ in 0..40 {
            status = pair.get(i, "/menu", Some(&full)).await.status();
            if status == StatusCode::OK {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        assert_eq!(
            status,
            StatusCode::OK,
            "instance {i} recovered, the session intact"
        );
    }
    let (_, next) = pair.sign_in(1, "dealer01", None).await;
    assert_eq!(next, "/menu", "and signing in works again");
}
