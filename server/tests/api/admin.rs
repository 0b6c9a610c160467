//! What only admins do, over HTTP: the audit trail (filters, pages, CSV
//! for Excel with formulas made inert), new accounts with a temporary
//! password, role changes, the dealers' MFA policy and the notices.

use crate::helpers::*;
use app::error::{AppError, Field, Problem};
use app::types::AuditPage;
use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, COOKIE};
use reqwest::StatusCode;

async fn audit(app: &TestApp, admin: &str, form: &[(&str, &str)]) -> AuditPage {
    let res = app.call("admin/audit", form, Some(admin)).await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json().await.unwrap()
}

async fn csv(app: &TestApp, cookie: &str, query: &str) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/admin/audit.csv?{query}")))
        .header(COOKIE, format!("{SESSION_COOKIE}={cookie}"))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_audit_trail_filters_by_account_event_and_dates_page_by_page() {
    let app = spawn_app().await;
    let admin = app.staff("admin01", Role::Admin).await.cookie;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    for _ in 0..60 {
        app.login("dealer01", "wrong-password-1").await;
        app.unlock("dealer01").await;
    }
    let first = audit(
        &app,
        &admin,
        &[("login_id", "DEALER01"), ("event", "sign_in_failure")],
    )
    .await;
    assert_eq!(first.lines.len(), 50);
    assert!(first.more);
    assert!(first
        .lines
        .iter()
        .all(|l| l.account == "dealer01" && l.event == "ログイン失敗"));
    assert_eq!(first.lines[0].name, "テスト販売店");
    let second = audit(
        &app,
        &admin,
        &[
            ("login_id", "dealer01"),
            ("event", "sign_in_failure"),
            ("page", "2"),
        ],
    )
    .await;
    assert_eq!(second.lines.len(), 10);
    assert!(!second.more);

    let today = app::server::clock::japan_date(app.clock.now());
    let tomorrow = app::server::clock::japan_date(app.clock.now() + 86_400);
    let on_day = audit(&app, &admin, &[("from", &today), ("to", &today)]).await;
    assert!(!on_day.lines.is_empty());
    let later = audit(&app, &admin, &[("from", &tomorrow)]).await;
    assert!(later.lines.is_empty());
    let res = app
        .call("admin/audit", &[("from", "30/11/2026")], Some(&admin))
        .await;
    assert_eq!(
        error_of(res).await,
        AppError::validation(Field::Date, Problem::DateFormat)
    );
}

#[tokio::test]
async fn the_csv_opens_in_excel_with_japanese_intact_and_formulas_inert() {
    let app = spawn_app().await;
    let admin = app.staff("admin01", Role::Admin).await.cookie;
    for (i, name) in [
        "=HYPERLINK(\"http://evil\")",
        "+1+2",
        "-3+4",
        "@SUM(A1)",
        "＝SUM(1,2)",
        "＋1",
        "\n=1+1",
        "山田自動車",
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("dealer0{i}");
        app.add_user(&id, GOOD_PASSWORD).await;
        sqlx::query("UPDATE users SET display_name = $1 WHERE login_id = $2")
            .bind(name)
            .bind(&id)
            .execute(app.db.pool())
            .await
            .unwrap();
        app.login(&id, GOOD_PASSWORD).await;
    }
    let res = csv(&app, &admin, "event=sign_in_success").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[CONTENT_TYPE], "text/csv; charset=utf-8");
    assert!(res.headers()[CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    let bytes = res.bytes().await.unwrap();
    assert_eq!(
        &bytes[..3],
        b"\xEF\xBB\xBF",
        "a UTF-8 byte-order mark first"
    );
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(text.starts_with("\"日時\",\"ログインID\",\"名前\""));
    assert!(text.contains("\r\n"));
    assert!(text.contains("\"山田自動車\""));
    for inert in [
        "\"'=HYPERLINK(\"\"http://evil\"\")\"",
        "\"'+1+2\"",
        "\"'-3+4\"",
        "\"'@SUM(A1)\"",
        "\"'＝SUM(1,2)\"",
        "\"'＋1\"",
        "\"'\n=1+1\"",
    ] {
        assert!(text.contains(inert), "{inert} in {text}");
    }
    // No cell begins with a formula character, half- or full-width, or a
    // line feed.
    for row in text.split("\r\n").skip(1) {
        for cell in row.split("\",\"") {
            let cell = cell.trim_start_matches('"');
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '＝', '＋', '－', '＠', '\n']),
                "{cell:?}"
            );
        }
    }
}

#[tokio::test]
async fn only_admins_reach_the_audit_trail_and_its_csv() {
    let app = spawn_app().await;
    let helpdesk = app.staff("hd01", Role::Helpdesk).await.cookie;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let dealer = app.signed_in("dealer01", GOOD_PASSWORD).await;
    for cookie in [&helpdesk, &dealer] {
        assert_eq!(csv(&app, cookie, "").await.status(), StatusCode::FORBIDDEN);
        let res = app.call("admin/audit", &[], Some(cookie)).await;
        assert_eq!(error_of(res).await, AppError::Forbidden);
    }
    let res = app
        .client
        .get(app.url("/admin/audit.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "no session: sign in first"
    );
}

#[tokio::test]
async fn an_admin_creates_an_account_with_a_temporary_password_and_changes_roles() {
    let app = spawn_app().await;
    let admin = app.staff("admin01", Role::Admin).await.cookie;
    let form = [
        ("login_id", "newdealer"),
        ("name", "新規販売店"),
        ("role", "dealer"),
        ("reason", "REQ-42"),
    ];
    let res = app.call("admin/create-account", &form, Some(&admin)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(location(&res).as_deref(), Some("/helpdesk/users/newdealer"));
    let view = app.account_view(&admin, "newdealer").await;
    let temporary = view.revealed.expect("the temporary password, once").0;
    let res = app.call("admin/create-account", &form, Some(&admin)).await;
    assert_eq!(
        error_of(res).await,
        AppError::validation(Field::LoginId, Problem::LoginIdTaken)
    );

    let cookie = app.signed_in("newdealer", &temporary).await;
    assert_eq!(
        location(&app.get("/menu", Some(&cookie)).await).as_deref(),
        Some("/password")
    );

    // Not staff while a temporary password (known to whoever issued it)
    // is still the account's.
    let form = [
        ("login_id", "newdealer"),
        ("role", "helpdesk"),
        ("reason", "REQ-43"),
    ];
    let res = app.call("admin/set-role", &form, Some(&admin)).await;
    assert_eq!(
        error_of(res).await,
        AppError::validation(Field::Role, Problem::RoleWithTempPassword)
    );
    let chosen = "lantern-orchard-42-quiet";
    let res = app.choose_password(&cookie, chosen).await;
    assert_eq!(res.status(), StatusCode::OK);
    // Made helpdesk: its sessions end; it signs in again, MFA first.
    let res = app.call("admin/set-role", &form, Some(&admin)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        app.get("/menu", Some(&cookie)).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.session_count("newdealer").await, 0);
    let cookie = app.signed_in("newdealer", chosen).await;
    assert_eq!(
        location(&app.get("/menu", Some(&cookie)).await).as_deref(),
        Some("/mfa")
    );
    let events = app.audit_events().await;
    assert!(events.contains(&"role_changed".to_owned()));

    let form = [("login_id", "admin01"), ("role", "dealer"), ("reason", "x")];
    let res = app.call("admin/set-role", &form, Some(&admin)).await;
    assert_eq!(
        error_of(res).await,
        AppError::NotOnThisAccount,
        "never one's own"
    );
}

#[tokio::test]
async fn the_dealers_mfa_policy_shows_its_date_then_requires_mfa_from_it() {
    let app = spawn_app().await;
    let admin = app.staff("admin01", Role::Admin).await.cookie;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let dealer = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let tomorrow = app::server::clock::japan_date(app.clock.now() + 86_400);
    let menu = || async {
        let res = app.get("/menu", Some(&dealer)).await;
        assert_eq!(res.status(), StatusCode::OK);
        res.text().await.unwrap()
    };
    // Its menu held (`page_cache::serve_menu`) just before the change:
    // the next one shows the date all the same.
    for _ in 0..2 {
        assert!(!menu().await.contains(app::text::MFA_REQUIRED_FROM));
    }

    let res = app
        .call(
            "admin/set-policy",
            &[("required_from", &tomorrow)],
            Some(&admin),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let me: app::types::MenuInfo = app
        .call("me/role", &[], Some(&dealer))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me.mfa_required_from, Some(tomorrow.replace('-', "/")));
    let shown = format!(
        "{}{}",
        tomorrow.replace('-', "/"),
        app::text::MFA_REQUIRED_FROM
    );
    assert!(
        menu().await.contains(&shown),
        "not required yet, but announced"
    );

    app.clock.advance(86_400);
    let dealer = app.signed_in("dealer01", GOOD_PASSWORD).await;
    assert_eq!(
        location(&app.get("/menu", Some(&dealer)).await).as_deref(),
        Some("/mfa")
    );
    assert!(app.mfa_status(&dealer).await.required);
    app.enable_mfa(&dealer).await;
    assert_eq!(
        app.get("/menu", Some(&dealer)).await.status(),
        StatusCode::OK
    );

    app.add_user("dealer02", GOOD_PASSWORD).await;
    let code = app
        .call("admin/set-policy", &[("required_from", "")], Some(&admin))
        .await;
    assert_eq!(
        code.status(),
        StatusCode::UNAUTHORIZED,
        "a day later the code is due again"
    );
}

#[tokio::test]
async fn admins_post_edit_and_delete_notices_and_the_portal_shows_them() {
    let app = spawn_app().await;
    let admin = app.staff("admin01", Role::Admin).await.cookie;
    let today = app::server::clock::japan_date(app.clock.now());
    let post = [
        ("op", "save"),
        ("date", today.as_str()),
        ("title", "システムメンテナンスのお知らせ"),
        ("body", "本文"),
    ];
    assert_eq!(
        app.call("admin/notice", &post, Some(&admin)).await.status(),
        StatusCode::OK
    );
    let notices: Vec<app::types::Notice> =
        app.call("notices", &[], None).await.json().await.unwrap();
    assert_eq!(notices.len(), 1);
    assert!(notices[0].is_new);
    let id = notices[0].id.to_string();

    let edit = [
        ("op", "save"),
        ("id", id.as_str()),
        ("date", "2022-08-10"),
        ("title", "夏季休業"),
        ("body", ""),
    ];
    assert_eq!(
        app.call("admin/notice", &edit, Some(&admin)).await.status(),
        StatusCode::OK
    );
    let notices: Vec<app::types::Notice> =
        app.call("notices", &[], None).await.json().await.unwrap();
    assert_eq!(
        (notices[0].title.as_str(), notices[0].is_new),
        ("夏季休業", false)
    );

    let bad = [("op", "save"), ("date", today.as_str()), ("title", "")];
    let res = app.call("admin/notice", &bad, Some(&admin)).await;
    assert_eq!(
        error_of(res).await,
        AppError::validation(Field::Title, Problem::TitleRequired)
    );

    let delete = [("op", "delete"), ("id", id.as_str())];
    assert_eq!(
        app.call("admin/notice", &delete, Some(&admin))
            .await
            .status(),
        StatusCode::OK
    );
    let res = app.call("admin/notice", &delete, Some(&admin)).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "already gone");
    let notices: Vec<app::types::Notice> =
        app.call("notices", &[], None).await.json().await.unwrap();
    assert!(notices.is_empty());
    assert!(app
        .audit_events()
        .await
        .contains(&"notice_changed".to_owned()));
}
