//! What users see while the database is away.

use crate::helpers::*;
use app::server::db::Db;
use reqwest::StatusCode;

/// A database nobody answers at (port 1 on loopback is never served).
async fn app_without_database() -> TestApp {
    let url = "postgres://postgres@127.0.0.1:1/autobank".to_owned();
    spawn_on(Db::connect_lazy(&url).unwrap(), url, None).await
}

/// A 503 whose page says, in Japanese, to try again later.
async fn assert_try_again_later(res: reqwest::Response) {
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains(app::text::ERR_UNAVAILABLE));
}

#[tokio::test]
async fn pages_say_try_again_later_with_a_503() {
    let app = app_without_database().await;
    assert_try_again_later(app.get("/", None).await).await;
}

/// A load balancer keeps sending to a live process (`/healthz`) but takes
/// it out of rotation while its database is away (`/readyz`).
#[tokio::test]
async fn readyz_says_no_while_the_database_is_away_and_healthz_stays_up() {
    let app = app_without_database().await;
    let live = app.get("/healthz", None).await;
    assert_eq!(live.status(), StatusCode::OK);
    assert_eq!(live.text().await.unwrap(), "ok\n");
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(ready.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn readyz_says_yes_when_the_database_answers() {
    let app = spawn_app().await;
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(ready.headers()["cache-control"], "no-store");
    assert_eq!(ready.text().await.unwrap(), "ready\n");
}

/// Anyone can send `/readyz`: a flood of it costs the database one round
/// trip a second, not one a request, and every caller gets the answer.
#[tokio::test]
async fn a_flood_of_readyz_asks_the_database_once_a_second_not_once_a_call() {
    let app = spawn_app().await;
    let before = app.db.pings();
    let started = std::time::Instant::now();
    let answers = futures_util::future::join_all(
        (0..200).map(|_| async { app.get("/readyz", None).await.status() }),
    )
    .await;
    let elapsed = started.elapsed();
    assert!(answers.iter().all(|s| *s == StatusCode::OK), "{answers:?}");
    let pings = app.db.pings() - before;
    // One at first, and one more per second the flood lasted.
    let allowed = 1 + elapsed.as_secs() + 1;
    assert!(
        (1..=allowed).contains(&pings),
        "{pings} round trips for 200 probes in {elapsed:?}"
    );
}

#[tokio::test]
async fn sign_in_says_try_again_later_with_a_503() {
    let app = app_without_database().await;
    let res = app.login("dealer01", GOOD_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(error_of(res).await, app::error::AppError::Unavailable);
}

#[tokio::test]
async fn a_request_with_a_session_cookie_gets_the_503_page() {
    let app = app_without_database().await;
    assert_try_again_later(app.get("/menu", Some(&"A".repeat(43))).await).await;
}

/// An app on PostgreSQL (these tests need the server itself), with
/// `dealer01`.
async fn postgres_app_with_a_dealer() -> TestApp {
    assert_eq!(
        Engine::of_this_run(),
        Engine::Postgres,
        "run with TEST_ENGINE=postgres"
    );
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    app
}

/// Ends every connection to the database `name` (as a restart of the
/// server does), from the admin connection `admin`.
async fn cut_connections(admin: &Db, name: &str) {
    sqlx::raw_sql(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
    ))
    .execute(admin.pool())
    .await
    .unwrap();
}

/// The pool pings a connection before use only when it has been idle for
/// `IDLE_PING` (a round trip less per query under load): one cut while
/// idle, as by a restart of the database, is found so and replaced, and
/// the next request after a quiet moment is served, not refused.
#[tokio::test]
#[ignore = "PostgreSQL only (it cuts the server's connections): run by make test-postgres"]
async fn a_connection_cut_while_idle_is_replaced_before_use() {
    let app = postgres_app_with_a_dealer().await;
    assert_eq!(app.get("/", None).await.status(), StatusCode::OK);
    let name = app.database_url.rsplit('/').next().unwrap().to_owned();
    let admin = Db::connect_lazy(&postgres_admin_url()).unwrap();
    cut_connections(&admin, &name).await;
    tokio::time::sleep(app::server::db::IDLE_PING + std::time::Duration::from_millis(200)).await;
    assert_eq!(
        app.login("dealer01", GOOD_PASSWORD).await.status(),
        StatusCode::OK
    );
    assert_eq!(app.get("/", None).await.status(), StatusCode::OK);
    admin.close().await;
}

/// The database goes away under a running server and comes back; the
/// server answers 503 meanwhile and recovers by itself.
#[tokio::test]
#[ignore = "PostgreSQL only (it takes the database away): run by make test-postgres"]
async fn the_server_recovers_by_itself_when_the_database_returns() {
    let app = postgres_app_with_a_dealer().await;
    let name = app.database_url.rsplit('/').next().unwrap().to_owned();
    let admin = Db::connect_lazy(&postgres_admin_url()).unwrap();
    let outage = |allow: bool| {
        let (admin, name) = (admin.clone(), name.clone());
        async move {
            sqlx::raw_sql(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS {allow}"))
                .execute(admin.pool())
                .await
                .unwrap();
            if !allow {
                cut_connections(&admin, &name).await;
            }
        }
    };

    outage(false).await;
    let res = app.get("/", None).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        app.get("/readyz", None).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        app.login("dealer01", GOOD_PASSWORD).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );

    outage(true).await;
    let mut recovered = false;
    for _ in 0..20 {
        if app.login("dealer01", GOOD_PASSWORD).await.status() == StatusCode::OK {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    assert!(recovered, "sign-in works again without a restart");
    // Its last answer serves for `READY_FOR`; then it asks again.
    tokio::time::sleep(app::server::db::READY_FOR).await;
    assert_eq!(app.get("/readyz", None).await.status(), StatusCode::OK);
    assert_eq!(app.get("/", None).await.status(), StatusCode::OK);
    admin.close().await;
}

/// A read of sessions that hangs (here the table locked by another
/// connection; in production, a connection gone half-open) answers every
/// request waiting behind it "try again later" within its own bound
/// (`db::sessions`, 3 s), not after the requests' 10 s timeout; the reads
/// after it work again.
#[tokio::test]
#[ignore = "PostgreSQL only (a lock that blocks readers): run by make test-postgres"]
async fn a_session_read_that_hangs_answers_everyone_waiting_with_a_503_and_passes() {
    use std::time::{Duration, Instant};
    let app = postgres_app_with_a_dealer().await;
    let cookie = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let locker = Db::connect_lazy(&app.database_url).unwrap();
    let mut lock = locker.pool().begin().await.unwrap();
    sqlx::raw_sql("LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();

    let started = Instant::now();
    let pages =
        futures_util::future::join_all((0..8).map(|_| app.get("/menu", Some(&cookie)))).await;
    let took = started.elapsed();
    for res in pages {
        assert_try_again_later(res).await;
    }
    assert!(took < Duration::from_secs(8), "{took:?}");

    // A crowd behind the hanging read: past the 1,024 that may wait (and
    // the 32 being read), each is answered at once, not after the bound.
    let crowd = Db::connect_lazy(&app.database_url).unwrap();
    let started = Instant::now();
    let answers = futures_util::future::join_all((0..1100).map(|i| {
        let crowd = &crowd;
        async move {
            let found = app::server::db::sessions::find(crowd, &format!("{i:064x}")).await;
            (found.is_err(), started.elapsed())
        }
    }))
    .await;
    let at_once = answers
        .iter()
        .filter(|(failed, at)| *failed && *at < Duration::from_secs(1))
        .count();
    assert!(at_once >= 1100 - 1024 - 32, "{at_once} answered at once");
    assert!(
        answers.iter().all(|(failed, _)| *failed),
        "none read while locked"
    );

    lock.rollback().await.unwrap();
    assert_eq!(
        app.get("/menu", Some(&cookie)).await.status(),
        StatusCode::OK
    );
}
