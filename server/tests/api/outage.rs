//! What users see while the database is away.

use crate::helpers::*;
use app::server::db::Db;
use reqwest::StatusCode;

/// A database nobody answers at (port 1 on loopback is never served).
async fn app_without_database() -> TestApp {
    let url = "postgres://postgres@127.0.0.1:1/autobank".to_owned();
    spawn_on(Db::connect_lazy(&url).unwrap(), url, None).await
}

#[tokio::test]
async fn pages_say_try_again_later_with_a_503() {
    let app = app_without_database().await;
    let res = app.get("/", None).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains(app::text::ERR_UNAVAILABLE));
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
    let res = app.get("/menu", Some(&"A".repeat(43))).await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains(app::text::ERR_UNAVAILABLE));
}
