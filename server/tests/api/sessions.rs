//! How long sign-ins last, what the browser is told to keep, and what the
//! sweeper deletes.

use crate::helpers::*;
use app::server::services::housekeeping;
use reqwest::StatusCode;

#[tokio::test]
async fn the_session_cookie_ends_with_the_browser_and_hsts_is_sent() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let res = app.login("dealer01", GOOD_PASSWORD).await;
    let header = set_cookie_header(res.headers(), SESSION_COOKIE).unwrap();
    assert!(
        !header.contains("Max-Age") && !header.contains("Expires"),
        "{header}"
    );
    for attribute in ["HttpOnly", "Secure", "SameSite=Lax", "Path=/"] {
        assert!(header.contains(attribute), "{attribute}: {header}");
    }
    let page = app.get("/", None).await;
    assert_eq!(
        page.headers()
            .get("strict-transport-security")
            .and_then(|v| v.to_str().ok()),
        Some("max-age=31536000; includeSubDomains")
    );
}

#[tokio::test]
async fn a_half_sign_in_lasts_five_minutes() {
    let (app, authenticator) = app_with_mfa_user().await;
    let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    app.clock.advance(5 * 60 + 1);
    let res = app.code_step(&half, &authenticator.code(0), false).await;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    app.clock.advance(5 * 60 - 10);
    let res = app.code_step(&half, &authenticator.code(0), false).await;
    assert_eq!(res.status(), StatusCode::OK, "within five minutes it works");
}

#[tokio::test]
async fn the_sweeper_deletes_what_has_expired_and_old_audit_records() {
    let (app, authenticator) = app_with_mfa_user().await;
    let device = remember(&app, "dealer01", &authenticator.code(0)).await;
    let _half = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    let full = app.signed_in_with_device("dealer01", &device).await;
    let setup = app
        .call(
            "mfa/apply",
            &[
                ("confirmed", "yes"),
                ("setting", "on"),
                ("current_code", &authenticator.code(1)),
            ],
            Some(&full),
        )
        .await;
    assert_eq!(location(&setup).as_deref(), Some("/mfa/setup"));
    let count = |table: &'static str| {
        let db = app.db.clone();
        async move {
            sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(db.pool())
                .await
                .unwrap()
        }
    };
    let audit_before = count("audit_events").await;
    let retention = 400 * 24 * 60 * 60;

    let swept = housekeeping::sweep(&app.state, retention).await.unwrap();
    assert_eq!(swept, housekeeping::Swept::default(), "nothing expired yet");

    // Past the half sign-in's five minutes: it goes; the rest stays.
    app.clock.advance(5 * 60 + 1);
    let swept = housekeeping::sweep(&app.state, retention).await.unwrap();
    assert_eq!(swept.sessions, 1);
    assert_eq!(count("sessions").await, 3, "the full sessions stay");
    // Past the setup's ten minutes.
    app.clock.advance(5 * 60);
    let swept = housekeeping::sweep(&app.state, retention).await.unwrap();
    assert_eq!((swept.setups, swept.sessions), (1, 0));
    // Past 30 idle minutes and the device's 30 days.
    app.clock.advance(30 * 24 * 60 * 60);
    let swept = housekeeping::sweep(&app.state, retention).await.unwrap();
    assert_eq!(
        (swept.sessions, swept.devices, swept.audit_events),
        (3, 1, 0)
    );
    assert_eq!(count("remembered_devices").await, 0);
    // Past the audit trail's retention.
    app.clock.advance(retention);
    let swept = housekeeping::sweep(&app.state, retention).await.unwrap();
    assert_eq!(swept.audit_events as i64, audit_before);
    assert_eq!(count("audit_events").await, 0);
}

/// Requests that resolve their sessions at the same moment are read with
/// one query (`db::sessions::Gathered`). Each still gets its own session
/// and nobody else's, an unknown one gets none, and a read never answers
/// with what the database held before the ask: while reads of a session
/// are under way without a pause, each change to it shows in the next.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_read_together_each_get_their_own_as_it_is_after_the_ask() {
    use app::server::db::sessions;
    use app::server::session::Token;
    use futures_util::future::join_all;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    let app = spawn_app().await;
    let mut known = Vec::new();
    for i in 0..5 {
        let id = format!("dealer{i:02}");
        let user_id = app.add_user(&id, GOOD_PASSWORD).await;
        let cookie = app.signed_in(&id, GOOD_PASSWORD).await;
        known.push((user_id, Token::parse(&cookie).unwrap().hash()));
    }
    for round in 0..20 {
        let asks = (0..48).map(|i| {
            let (want, hash) = if i % 6 == 5 {
                (None, format!("{:064x}", round * 100 + i))
            } else {
                let (user_id, hash) = &known[i % known.len()];
                (Some(*user_id), hash.clone())
            };
            let db = &app.db;
            async move { (want, sessions::find(db, &hash).await.unwrap()) }
        });
        for (want, got) in join_all(asks).await {
            assert_eq!(got.map(|row| row.user_id), want, "round {round}");
        }
    }

    let (_, watched) = known[0].clone();
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..6)
        .map(|_| {
            let (db, hash, stop) = (app.db.clone(), watched.clone(), stop.clone());
            tokio::spawn(async move {
                let mut reads = 0u32;
                while !stop.load(Ordering::Relaxed) {
                    sessions::find(&db, &hash).await.unwrap();
                    reads += 1;
                }
                reads
            })
        })
        .collect();
    for change in 0..40 {
        let stage = if change % 2 == 0 { "code" } else { "full" };
        sqlx::query("UPDATE sessions SET stage = $1 WHERE id_hash = $2")
            .bind(stage)
            .bind(&watched)
            .execute(app.db.pool())
            .await
            .unwrap();
        let row = sessions::find(&app.db, &watched).await.unwrap().unwrap();
        assert_eq!(row.stage, stage, "change {change}");
    }
    sessions::delete(&app.db, &watched).await.unwrap();
    assert!(sessions::find(&app.db, &watched).await.unwrap().is_none());
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        assert!(reader.await.unwrap() > 0, "the reads ran alongside");
    }
}
