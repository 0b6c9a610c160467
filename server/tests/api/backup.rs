//! `autobank backup` and `autobank restore` on SQLite, run as the operator
//! runs them (the binary), and PostgreSQL's `pg_dump`/`pg_restore` as
//! docs/DEPLOY.md gives them: a round trip under load keeps every account,
//! MFA secret, recovery code and audit record; a backup killed half way
//! leaves no file under its name; a restore is refused while a server
//! serves.

use crate::helpers::*;
use base64::Engine as _;
use reqwest::StatusCode;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};

fn said(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn key_env(key: &[u8; 32]) -> String {
    base64::engine::general_purpose::STANDARD.encode(key)
}

/// A SQLite app whatever engine this run tests: the commands are SQLite's.
async fn sqlite_app() -> TestApp {
    let (url, dir) = fresh_database(Engine::Sqlite).await;
    let db = app::server::db::Db::connect(&url).await.unwrap();
    spawn_set_up(db, url, dir, Setup::default()).await
}

/// Dealers with MFA on, each with its phone's key and its recovery codes.
async fn dealers_with_mfa(app: &TestApp, n: usize) -> Vec<(String, String, Vec<String>)> {
    let mut out = Vec::new();
    for i in 0..n {
        let login_id = format!("dealer{i:02}");
        app.add_user(&login_id, GOOD_PASSWORD).await;
        let cookie = app.signed_in(&login_id, GOOD_PASSWORD).await;
        let phone = app.enable_mfa(&cookie).await;
        let codes = app.mfa_status(&cookie).await.new_recovery_codes.unwrap().0;
        out.push((login_id, phone.key, codes));
    }
    out
}

/// Each dealer of `dealers_with_mfa` signs in on `restored` with the
/// password and the app's code (MFA still on), then with the password and
/// their recovery code number `code`.
async fn every_dealer_signs_in(
    restored: &TestApp,
    dealers: &[(String, String, Vec<String>)],
    code: usize,
) {
    restored.clock.advance(3 * 30);
    for (login_id, key, codes) in dealers {
        let phone = Authenticator::new(key, &restored.clock);
        let (half, next) = restored.password_step(login_id, GOOD_PASSWORD, None).await;
        assert!(next.starts_with("/login/code"), "{login_id}: MFA still on");
        let res = restored.code_step(&half, &phone.code(0), false).await;
        assert_eq!(res.status(), StatusCode::OK, "{login_id}'s code");
        let (half, _) = restored.password_step(login_id, GOOD_PASSWORD, None).await;
        let recovery = [("code", codes[code].as_str()), ("next", "/menu")];
        let res = restored.call("mfa/recovery", &recovery, Some(&half)).await;
        assert_eq!(res.status(), StatusCode::OK, "{login_id}'s recovery code");
    }
}

async fn audit_ids(db: &app::server::db::Db) -> Vec<(i64, String)> {
    sqlx::query_as("SELECT id, event FROM audit_events ORDER BY id")
        .fetch_all(db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn a_backup_made_under_load_restores_every_account_secret_code_and_record() {
    let app = sqlite_app().await;
    let dealers = dealers_with_mfa(&app, 6).await;
    let before = audit_ids(&app.db).await;
    // Sign-ins keep running on the server while the copy is made.
    let stop = AtomicBool::new(false);
    let load = async {
        let mut answered = 0u32;
        for i in 0..2_000 {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let res = app
                .login(&format!("dealer{:02}", i % 6), GOOD_PASSWORD)
                .await;
            assert_eq!(res.status(), StatusCode::OK, "a sign-in during the backup");
            answered += 1;
        }
        answered
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("autobank-backup.db");
    let file_arg = file.to_str().unwrap().to_owned();
    let url = app.database_url.clone();
    let key = key_env(&app.key);
    let backup = async {
        let out = tokio::task::spawn_blocking(move || {
            run_cli_with(
                &url,
                &[("AUTOBANK_SECRET_KEY", &key)],
                &["backup", &file_arg],
                "",
            )
        })
        .await
        .unwrap();
        stop.store(true, Ordering::Relaxed);
        out
    };
    let (answered, out) = tokio::join!(load, backup);
    assert!(out.status.success(), "{}", said(&out));
    assert!(answered > 0, "sign-ins ran during the backup");
    let told = said(&out);
    assert!(told.contains("does not contain the secret key"), "{told}");
    assert!(
        told.contains("AUTOBANK_SECRET_KEY"),
        "says where the key is: {told}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the copy holds password hashes");
    }
    // Asked again, it refuses to overwrite.
    let again = app.cli(&["backup", file.to_str().unwrap()], "");
    assert!(!again.status.success());
    assert!(
        said(&again).contains("refusing to overwrite"),
        "{}",
        said(&again)
    );

    // Restored into a new data folder; a server there with the same key.
    let restored_dir = tempfile::tempdir().unwrap();
    let restored_url = server::config::sqlite_url(&restored_dir.path().join("autobank.db"));
    let out = run_cli_with(
        &restored_url,
        &[("AUTOBANK_SECRET_KEY", &key_env(&app.key))],
        &["restore", file.to_str().unwrap()],
        "",
    );
    assert!(out.status.success(), "{}", said(&out));
    let db = app::server::db::Db::connect(&restored_url).await.unwrap();
    let restored = spawn_set_up(
        db,
        restored_url,
        Some(restored_dir),
        Setup {
            key: app.key,
            ..Setup::default()
        },
    )
    .await;
    let after = audit_ids(&restored.db).await;
    for record in &before {
        assert!(after.contains(record), "audit record {record:?} kept");
    }
    every_dealer_signs_in(&restored, &dealers, 0).await;
}

#[tokio::test]
async fn a_backup_killed_half_way_leaves_no_file_under_its_name() {
    let app = sqlite_app().await;
    // Enough rows for the copy to take a while.
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000) \
         INSERT INTO audit_events (at, event, actor, detail) \
         SELECT 1, 'padding', 'cli:test', printf('%0200d', i) FROM n",
    )
    .execute(app.db.pool())
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cut-short.db");
    let mut killed_while_running = false;
    for _ in 0..5 {
        let mut child = Command::new(autobank_bin())
            .args(["backup", file.to_str().unwrap()])
            .env("DATABASE_URL", &app.database_url)
            .env("AUTOBANK_SECRET_KEY", key_env(&app.key))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Killed as soon as its partial file shows.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::time::Instant::now() < deadline {
            let partial = std::fs::read_dir(dir.path()).unwrap().any(|e| {
                e.unwrap()
                    .file_name()
                    .to_string_lossy()
                    .contains(".partial-")
            });
            if partial || child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let running = child.try_wait().unwrap().is_none();
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        assert!(!file.exists(), "no file under the final name");
        if running {
            killed_while_running = true;
            break;
        }
    }
    assert!(killed_while_running, "the backup was killed while it ran");
    // The next backup to that name is whole.
    let out = app.cli(&["backup", file.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", said(&out));
    assert!(said(&out).contains("audit records"), "{}", said(&out));
}

fn serve(data: &Path) -> Served {
    Served::start(data, &[])
}

#[tokio::test]
async fn a_restore_is_refused_while_a_server_serves_and_done_once_it_stops() {
    let data = tempfile::tempdir().unwrap();
    let server = serve(data.path());
    let url = server::config::sqlite_url(&data.path().join("autobank.db"));
    let file = data.path().join("copy.db");
    let env = [("AUTOBANK_DATA_DIR", data.path().to_str().unwrap())];
    let out = run_cli_with(&url, &env, &["backup", file.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", said(&out));
    assert!(
        said(&out).contains("secret.key"),
        "names the key file: {}",
        said(&out)
    );

    let out = run_cli_with(&url, &env, &["restore", file.to_str().unwrap()], "");
    assert!(!out.status.success());
    assert!(
        said(&out).contains("A server or another autobank command is using"),
        "{}",
        said(&out)
    );
    drop(server); // SIGKILL: the kernel lets go of its hold.
    let out = run_cli_with(&url, &env, &["restore", file.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", said(&out));
    assert!(said(&out).contains("before-restore"), "{}", said(&out));
    // The database it replaced is kept whole, with its log beside it.
    let kept: Vec<String> = std::fs::read_dir(data.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".before-restore-"))
        .collect();
    let main = kept
        .iter()
        .find(|n| !n.ends_with("-wal") && !n.ends_with("-shm"));
    let main = data.path().join(main.expect("the replaced database kept"));
    assert!(std::fs::metadata(&main).unwrap().len() > 0, "{kept:?}");
    // It serves again on the restored database.
    let _again = serve(data.path());

    // Not a backup: refused, nothing changed.
    let junk = data.path().join("junk.db");
    std::fs::write(&junk, b"not a database").unwrap();
    drop(_again);
    let out = run_cli_with(&url, &env, &["restore", junk.to_str().unwrap()], "");
    assert!(!out.status.success());
    assert!(said(&out).contains("Nothing was changed"), "{}", said(&out));
}

/// PostgreSQL: the commands docs/DEPLOY.md gives, and the same checks.
#[tokio::test]
#[ignore = "needs PostgreSQL and its pg_dump; run by make test-postgres"]
async fn pg_dump_and_pg_restore_as_deploy_md_gives_them_keep_everything() {
    if Engine::of_this_run() != Engine::Postgres {
        return;
    }
    let app = spawn_app().await;
    let dealers = dealers_with_mfa(&app, 3).await;
    let before = audit_ids(&app.db).await;
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("autobank.dump");
    let out = Command::new("pg_dump")
        .args(["--format=custom", "--file"])
        .arg(&dump)
        .arg(&app.database_url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", said(&out));
    let (target_url, _) = fresh_database(Engine::Postgres).await;
    let out = Command::new("pg_restore")
        .args(["--clean", "--if-exists", "--no-owner", "--dbname"])
        .arg(&target_url)
        .arg(&dump)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", said(&out));
    let db = app::server::db::Db::connect(&target_url).await.unwrap();
    let restored = spawn_set_up(
        db,
        target_url,
        None,
        Setup {
            key: app.key,
            ..Setup::default()
        },
    )
    .await;
    assert_eq!(audit_ids(&restored.db).await[..before.len()], before[..]);
    every_dealer_signs_in(&restored, &dealers, 1).await;
}
