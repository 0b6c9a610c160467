//! Protected pages, redirects, cross-site posts and bad input.

use crate::helpers::*;
use app::error::{AppError, Field};
use reqwest::StatusCode;

#[tokio::test]
async fn protected_pages_send_visitors_to_sign_in_and_back() {
    let app = spawn_app().await;
    for (path, expected) in [
        ("/menu", "/login?next=/menu"),
        ("/search", "/login?next=/search"),
        ("/mfa", "/login?next=/mfa"),
        ("/menu/inventory", "/login?next=/menu/inventory"),
        ("/menu?tab=1", "/login?next=/menu%3Ftab%3D1"),
        ("/menu/x.y", "/login?next=/menu/x.y"),
    ] {
        let res = app.get(path, None).await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&res).as_deref(), Some(expected), "{path}");
    }
}

#[tokio::test]
async fn public_pages_need_no_sign_in() {
    let app = spawn_app().await;
    for path in ["/", "/login", "/forgot"] {
        assert_eq!(app.get(path, None).await.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn the_menu_shows_all_eight_tiles_with_the_manuals_words() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let cookie = app.signed_in("dealer01", GOOD_PASSWORD).await;

    let html = app.get("/menu", Some(&cookie)).await.text().await.unwrap();

    for word in ["autoBank SYSTEM", "業務メニュー", "ログアウト"] {
        assert!(html.contains(word), "{word} missing");
    }
    for (_, title, description) in app::text::TILES {
        assert!(html.contains(title), "{title} missing");
        assert!(
            html.contains(description.split('\n').next().unwrap()),
            "{title}'s description missing"
        );
    }
}

#[tokio::test]
async fn pages_not_built_yet_say_so_and_lead_back_to_the_menu() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let cookie = app.signed_in("dealer01", GOOD_PASSWORD).await;
    for path in ["/search", "/menu/terminal", "/menu/web-negotiations"] {
        let res = app.get(path, Some(&cookie)).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        let html = res.text().await.unwrap();
        assert!(html.contains(app::text::NOT_BUILT), "{path}");
        assert!(html.contains(app::text::BACK_TO_MENU), "{path}");
    }
    let unknown = app.get("/menu/no-such-thing", Some(&cookie)).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_return_path_to_another_site_is_replaced_by_the_menu() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    for evil in [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
    ] {
        let res = app.login_with("dealer01", GOOD_PASSWORD, evil, None).await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(location(&res).as_deref(), Some("/menu"), "next={evil}");
    }
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let form = [
        ("login_id", "dealer01"),
        ("password", GOOD_PASSWORD),
        ("next", "/menu"),
    ];

    let by_origin = app
        .client
        .post(app.url("/api/login"))
        .header("origin", "https://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(by_origin.status(), StatusCode::FORBIDDEN);
    assert!(session_cookie(&by_origin).is_none());

    let by_fetch_metadata = app
        .client
        .post(app.url("/api/login"))
        .header("sec-fetch-site", "cross-site")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(by_fetch_metadata.status(), StatusCode::FORBIDDEN);

    let same_origin = app
        .client
        .post(app.url("/api/login"))
        .header("origin", app.base.clone())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(same_origin.status(), StatusCode::OK);
}

#[tokio::test]
async fn logout_is_not_possible_by_get() {
    let app = spawn_app().await;
    let res = app.get("/api/logout", None).await;
    assert!(res.status().is_client_error(), "{}", res.status());
}

#[tokio::test]
async fn overlong_and_empty_input_get_a_4xx_with_a_japanese_message() {
    let app = spawn_app().await;
    let long = "x".repeat(300);

    let res = app.login(&long, GOOD_PASSWORD).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let err = error_of(res).await;
    assert_eq!(err.for_field(Field::LoginId), Some(app::text::ERR_TOO_LONG));

    let res = app.login("dealer01", &long).await;
    assert_eq!(
        error_of(res).await.for_field(Field::Password),
        Some(app::text::ERR_TOO_LONG)
    );

    let res = app.login("", "").await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_of(res).await.for_field(Field::LoginId),
        Some(app::text::ERR_REQUIRED_LOGIN_ID)
    );

    let missing = app.call("login", &[("login_id", "x")], None).await;
    assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_of(missing).await, AppError::BadRequest);
}

#[tokio::test]
async fn a_form_post_without_javascript_redirects_back_with_the_error() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/login"))
        .header("accept", "text/html")
        .header("referer", app.url("/login?next=/menu"))
        .form(&[
            ("login_id", "nobody"),
            ("password", "wrong-password"),
            ("next", "/menu"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    let back = location(&res).unwrap();
    assert!(
        back.contains("/login?next=%2Fmenu") || back.contains("/login?next=/menu"),
        "{back}"
    );
    assert!(back.contains("__err="), "{back}");

    let page = app
        .client
        .get(&back)
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let html = page.text().await.unwrap();
    assert!(html.contains(app::text::ERR_INVALID_CREDENTIALS));
}

/// The policy's script sources: `'nonce-…'` or `'sha256-…'` each.
fn script_sources(res: &reqwest::Response) -> Vec<String> {
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let scripts = csp
        .split(';')
        .find_map(|d| d.trim().strip_prefix("script-src "))
        .expect("a script-src");
    scripts
        .split(' ')
        .filter(|s| s.starts_with("'nonce-") || s.starts_with("'sha256-"))
        .map(|s| s.trim_matches('\'').to_owned())
        .collect()
}

/// Every inline script of a page: its start tag (after `<script`), and
/// its text.
fn inline_scripts(html: &str) -> Vec<(String, String)> {
    html.split("<script")
        .skip(1)
        .filter_map(|rest| {
            let (tag, after) = rest.split_once('>')?;
            (!tag.contains(" src=")).then(|| {
                let text = after.split("</script>").next().unwrap_or("");
                (tag.to_owned(), text.to_owned())
            })
        })
        .collect()
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let cookie = app.signed_in("dealer01", GOOD_PASSWORD).await;
    // A signed-in page: a new nonce per page, on its scripts.
    let res = app.get("/menu", Some(&cookie)).await;
    let h = res.headers().clone();
    assert_eq!(h["x-frame-options"], "DENY");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["cache-control"], "no-store");
    let sources = script_sources(&res);
    assert_eq!(sources.len(), 1, "{sources:?}");
    let nonce = sources[0]
        .strip_prefix("nonce-")
        .expect("a nonce")
        .to_owned();
    let html = res.text().await.unwrap();
    let scripts = inline_scripts(&html);
    assert!(!scripts.is_empty());
    for (tag, _) in &scripts {
        assert!(tag.contains(&format!("nonce=\"{nonce}\"")), "{tag}");
    }
    let again = app.get("/menu", Some(&cookie)).await;
    assert_ne!(script_sources(&again), sources, "a new nonce per page");
}

#[tokio::test]
async fn a_page_anyone_may_see_allows_its_own_scripts_by_their_hashes_and_nothing_else() {
    use base64::{engine::general_purpose::STANDARD, Engine};
    use sha2::{Digest, Sha256};
    let app = spawn_app().await;
    for path in app::routes::PUBLIC_PAGES {
        // The first visit renders the page; the second gets it from memory.
        let first = app.get(path, None).await;
        let second = app.get(path, None).await;
        for res in [first, second] {
            assert_eq!(res.status(), StatusCode::OK);
            assert_eq!(res.headers()["cache-control"], "no-store");
            assert_eq!(res.headers()["x-frame-options"], "DENY");
            let sources = script_sources(&res);
            let html = res.text().await.unwrap();
            assert!(
                !html.contains("nonce="),
                "{path}: no nonce to read and reuse"
            );
            let hashes: Vec<String> = inline_scripts(&html)
                .iter()
                .map(|(_, text)| format!("sha256-{}", STANDARD.encode(Sha256::digest(text))))
                .collect();
            assert!(!hashes.is_empty(), "{path}: the hydration script");
            assert_eq!(sources, hashes, "{path}: its scripts, and no other");
        }
    }
}

/// A link that carries a forged server-function error (`__err`), as
/// Leptos reads it back after a form post without JavaScript.
fn forged_error_link(page: &str, endpoint: &str, error_json: &str) -> String {
    use base64::{engine::general_purpose::URL_SAFE, Engine};
    format!(
        "{page}?__path=/api/{endpoint}&__err={}",
        URL_SAFE.encode(error_json)
    )
}

#[tokio::test]
async fn a_crafted_error_link_shows_no_attacker_text() {
    let (app, _) = app_with_mfa_user().await;
    let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    app.add_user("dealer02", GOOD_PASSWORD).await;
    let full = app.signed_in("dealer02", GOOD_PASSWORD).await;
    app.start_mfa_setup(&full).await;
    let bait = "至急 0120-999-999 へお電話ください";
    let forgeries = [
        // Free text where the error used to carry it.
        format!(r#"{{"Validation":{{"field":"Code","message":"{bait}"}}}}"#),
        format!(r#"{{"Validation":{{"field":"LoginId","problem":"{bait}"}}}}"#),
        format!(r#""{bait}""#),
    ];
    for (page, endpoint, cookie) in [
        ("/login", "login", None),
        ("/login/code", "mfa/code", Some(half.as_str())),
        ("/mfa", "mfa/apply", Some(full.as_str())),
        ("/mfa/setup", "mfa/confirm", Some(full.as_str())),
    ] {
        for forged in &forgeries {
            let res = app
                .get(&forged_error_link(page, endpoint, forged), cookie)
                .await;
            assert_eq!(res.status(), StatusCode::OK, "{page}");
            let html = res.text().await.unwrap();
            assert!(!html.contains(bait), "{page} shows the attacker's text");
            assert!(html.contains(AppError::BadRequest.message()), "{page}");
        }
    }
    // The page still shows a genuine error, in the system's own words.
    let genuine = forged_error_link("/login", "login", r#""InvalidCredentials""#);
    let html = app.get(&genuine, None).await.text().await.unwrap();
    assert!(html.contains(app::text::ERR_INVALID_CREDENTIALS));
}
