//! The business applications registered as OpenID Connect clients: the
//! command line registers them, a secret is shown once and kept only as an
//! HMAC, a tile serves at most one application, URIs are strict, and
//! every change is in the audit trail.

use crate::helpers::*;
use app::server::db::audit;
use app::server::db::audit::Actor;
use app::server::services::clients::{self, Changer, ClientSpec, Invalid};
use std::process::Output;

fn cli(app: &TestApp, args: &[&str]) -> Output {
    app.cli(args, "")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn value_after<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find_map(|l| l.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} in {text}"))
        .trim()
}

#[tokio::test]
async fn a_registered_secret_is_shown_once_kept_as_a_hash_and_replaceable() {
    let app = spawn_app().await;
    let out = cli(
        &app,
        &[
            "client",
            "add",
            "--name",
            "在庫登録",
            "--redirect-uri",
            "https://zaiko.example.jp/cb",
            "--post-logout-uri",
            "https://zaiko.example.jp/",
            "--tile",
            "inventory",
            "--start-url",
            "https://zaiko.example.jp/",
            "--mfa-required",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = stdout(&out);
    let client_id = value_after(&said, "Registered. client ID:").to_owned();
    let secret = value_after(&said, "client secret:").to_owned();
    assert!(secret.len() >= 43, "256 random bits: {secret}");

    // Nowhere else: not in the database, the listing or the record.
    let stored: String = sqlx::query_scalar("SELECT secret_hash FROM oidc_clients")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert!(
        !stored.contains(&secret) && stored.len() == 64,
        "an HMAC: {stored}"
    );
    let show = stdout(&cli(&app, &["client", "show", &client_id]));
    assert!(!show.contains(&secret));
    assert!(
        show.contains("https://zaiko.example.jp/cb") && show.contains("inventory"),
        "{show}"
    );
    assert!(show.contains("MFA required:     yes"), "{show}");
    let trail = audit::list(&app.db, None, 20).await.unwrap();
    assert!(trail
        .iter()
        .all(|r| !r.detail.as_deref().unwrap_or("").contains(&secret)));
    assert!(trail.iter().any(|r| r.event == "client_registered"));

    // The secret authenticates the client, and only that client.
    let (db, secrets) = (&app.db, &app.state.secrets);
    let ok = clients::authenticate(db, secrets, &client_id, &secret)
        .await
        .unwrap()
        .expect("the client's own secret");
    assert_eq!(ok.name, "在庫登録");
    assert_eq!(ok.redirect_uris, ["https://zaiko.example.jp/cb"]);
    assert_eq!(ok.post_logout_uris, ["https://zaiko.example.jp/"]);
    let mut wrong = secret.clone();
    wrong.replace_range(0..1, if secret.starts_with('A') { "B" } else { "A" });
    assert!(clients::authenticate(db, secrets, &client_id, &wrong)
        .await
        .unwrap()
        .is_none());
    assert!(clients::authenticate(db, secrets, "nobody", &secret)
        .await
        .unwrap()
        .is_none());

    // A new secret voids the old one at once.
    let out = cli(&app, &["client", "new-secret", &client_id]);
    let renewed = value_after(&stdout(&out), "client secret:").to_owned();
    assert_ne!(renewed, secret);
    assert!(clients::authenticate(db, secrets, &client_id, &secret)
        .await
        .unwrap()
        .is_none());
    assert!(clients::authenticate(db, secrets, &client_id, &renewed)
        .await
        .unwrap()
        .is_some());

    let removed = cli(&app, &["client", "remove", &client_id]);
    assert!(removed.status.success());
    assert!(clients::authenticate(db, secrets, &client_id, &renewed)
        .await
        .unwrap()
        .is_none());
    let uris: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM oidc_client_uris")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(uris, 0, "its URIs went with it");
    let events: Vec<String> = audit::list(&app.db, None, 20)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.event)
        .collect();
    assert!(events.contains(&"client_secret_replaced".into()));
    assert!(events.contains(&"client_removed".into()));
}

#[tokio::test]
async fn a_public_client_has_no_secret_and_never_authenticates_with_one() {
    let app = spawn_app().await;
    let out = cli(
        &app,
        &[
            "client",
            "add",
            "--name",
            "スマホ",
            "--public",
            "--redirect-uri",
            "http://127.0.0.1:9000/cb",
        ],
    );
    let said = stdout(&out);
    assert!(
        out.status.success() && !said.contains("client secret"),
        "{said}"
    );
    let client_id = value_after(&said, "Registered. client ID:");
    assert!(
        client_id.len() == 32 && client_id.bytes().all(|b| b.is_ascii_hexdigit()),
        "an ID the shell passes as an argument, never as an option: {client_id}"
    );
    let (db, secrets) = (&app.db, &app.state.secrets);
    for guess in ["", "x", client_id] {
        assert!(clients::authenticate(db, secrets, client_id, guess)
            .await
            .unwrap()
            .is_none());
    }
    let renew = cli(&app, &["client", "new-secret", client_id]);
    assert_eq!(
        renew.status.code(),
        Some(1),
        "no secret for a public client"
    );
}

#[tokio::test]
async fn a_tile_serves_one_application_and_loose_uris_are_refused() {
    let app = spawn_app().await;
    let (db, secrets, now) = (&app.db, &app.state.secrets, app.clock.now());
    let spec = ClientSpec {
        name: "見積".into(),
        redirect_uris: vec!["https://mitsumori.example.jp/cb".into()],
        tile: Some("estimates".into()),
        start_url: Some("https://mitsumori.example.jp/".into()),
        ..Default::default()
    };
    let first = clients::register(db, secrets, &spec, Changer::operator(Actor::default()), now)
        .await
        .unwrap();
    assert!(first.is_ok());
    let second = clients::register(db, secrets, &spec, Changer::operator(Actor::default()), now)
        .await
        .unwrap();
    assert_eq!(second.err(), Some(Invalid::TileTaken));

    for loose in [
        "http://mitsumori.example.jp/cb",
        "https://mitsumori.example.jp/cb#frag",
        "https://user@mitsumori.example.jp/cb",
        "https://*.example.jp/cb",
        "/cb",
    ] {
        let out = cli(
            &app,
            &["client", "add", "--name", "x", "--redirect-uri", loose],
        );
        assert_eq!(out.status.code(), Some(1), "{loose} registered");
        assert!(String::from_utf8_lossy(&out.stderr).contains("Not registered"));
    }
    let listed = stdout(&cli(&app, &["client", "list"]));
    assert_eq!(
        listed.lines().count(),
        2,
        "the header and the one client: {listed}"
    );
}

/// What an application will know a dealer by: a random subject per
/// account, never the login ID, the same every time it is read.
#[tokio::test]
async fn every_account_has_a_subject_of_its_own_that_is_not_its_login_id() {
    let app = spawn_app().await;
    let mut seen = std::collections::HashSet::new();
    for login_id in ["dealer01", "dealer02", "helpdesk01"] {
        app.add_user(login_id, GOOD_PASSWORD).await;
        let id = app.user_id(login_id).await;
        let subject = app::server::db::users::subject(&app.db, id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(subject.len(), 32, "128 random bits in hex: {subject}");
        assert!(subject.bytes().all(|b| b.is_ascii_hexdigit()) && !subject.contains(login_id));
        assert!(seen.insert(subject.clone()), "each account its own");
        let again = app::server::db::users::subject(&app.db, id).await.unwrap();
        assert_eq!(again.as_deref(), Some(subject.as_str()), "stable");
    }
    let unique: Result<_, _> = sqlx::query("UPDATE users SET subject = (SELECT subject FROM users WHERE login_id = 'dealer01') WHERE login_id = 'dealer02'")
        .execute(app.db.pool())
        .await;
    assert!(
        unique.is_err(),
        "the database refuses two accounts one subject"
    );
}

/// `検索ログイン` on the public top page goes to the sign-in and the
/// portal's own (not built) search; bound to an application, it opens that
/// application, which signs the dealer in through the portal.
#[tokio::test]
async fn search_login_opens_the_search_application_once_one_is_bound() {
    let app = spawn_app().await;
    let entry = |html: &str| {
        // The link's text, then whatever marker the renderer puts after it.
        let at = html.find("検索ログイン<").expect("the entry is drawn");
        let start = html[..at].rfind("<a ").unwrap();
        html[start..at].to_owned()
    };
    let page = app.get("/", None).await.text().await.unwrap();
    assert!(
        entry(&page).contains(r#"href="/login?next=/search""#),
        "{}",
        entry(&page)
    );
    let out = cli(
        &app,
        &[
            "client",
            "add",
            "--name",
            "車両検索",
            "--redirect-uri",
            "https://kensaku.example.jp/cb",
            "--tile",
            "search",
            "--start-url",
            "https://kensaku.example.jp/login",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The command line writes to the database only: the portal reads it
    // again within its bound (`notices::FRESH_FOR`).
    use app::server::services::notices::{FRESH_FOR, STALE_AT_MOST};
    let start = std::time::Instant::now();
    let page = loop {
        let page = app.get("/", None).await.text().await.unwrap();
        let bound_passed = start.elapsed() > FRESH_FOR + STALE_AT_MOST;
        if page.contains("kensaku.example.jp") || bound_passed {
            break page;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert!(
        entry(&page).contains(r#"href="https://kensaku.example.jp/login""#),
        "{}",
        entry(&page)
    );
}

/// The admins' page (`/admin/clients`): an admin registers an application
/// with the step-up code and sees its secret once; a mistake names its
/// field and costs no code; a removal needs its box; everything is in the
/// trail under the admin's name.
#[tokio::test]
async fn an_admin_registers_an_application_in_the_console_and_sees_its_secret_once() {
    use app::error::{AppError, Field, Problem};
    use app::types::ClientsPage;
    let app = spawn_app().await;
    let admin = app.staff("admin01", app::domain::Role::Admin).await.cookie;
    async fn page_of(app: &TestApp, admin: &str) -> ClientsPage {
        let res = app.call("admin/clients", &[], Some(admin)).await;
        res.json().await.unwrap()
    }
    let add = [
        ("op", "add"),
        ("name", "在庫登録"),
        (
            "redirect_uris",
            "https://zaiko.example.jp/cb\r\n\r\nhttps://zaiko.example.jp/cb2",
        ),
        ("backchannel_uri", "https://zaiko.example.jp/bc"),
        ("tile", "inventory"),
        ("start_url", "https://zaiko.example.jp/login"),
        ("mfa_required", "yes"),
    ];
    // A loose URI is refused before the code is asked for.
    let mut loose = add.to_vec();
    loose[2] = ("redirect_uris", "https://zaiko.example.jp/cb#x");
    assert_eq!(
        error_of(app.call("admin/client", &loose, Some(&admin)).await).await,
        AppError::validation(Field::RedirectUris, Problem::UriNotAllowed)
    );
    let mut untiled = add.to_vec();
    untiled[5] = ("start_url", "");
    assert_eq!(
        error_of(app.call("admin/client", &untiled, Some(&admin)).await).await,
        AppError::validation(Field::StartUrl, Problem::TileNeedsStartUrl)
    );
    let res = app.call("admin/client", &add, Some(&admin)).await;
    assert_eq!(
        res.status(),
        reqwest::StatusCode::OK,
        "{}",
        res.text().await.unwrap()
    );

    let shown = page_of(&app, &admin).await;
    let made = shown.revealed.clone().expect("the ID and secret, once");
    let secret = made.secret.clone().expect("a confidential client's secret");
    let listed = &shown.clients[0];
    assert_eq!(listed.client_id, made.client_id);
    assert_eq!(listed.redirect_uris.len(), 2, "blank lines dropped");
    assert_eq!(listed.tile.as_deref(), Some("inventory"));
    assert!(listed.mfa_required);
    assert!(
        page_of(&app, &admin).await.revealed.is_none(),
        "not a second time"
    );
    let authenticated =
        clients::authenticate(&app.db, &app.state.secrets, &made.client_id, &secret)
            .await
            .unwrap();
    assert!(authenticated.is_some(), "the secret shown is the one kept");

    // The tile is taken now.
    let mut again = add.to_vec();
    again[1] = ("name", "別の在庫");
    assert_eq!(
        error_of(app.call("admin/client", &again, Some(&admin)).await).await,
        AppError::validation(Field::Tile, Problem::TileTaken)
    );

    let renew = [("op", "new-secret"), ("client_id", made.client_id.as_str())];
    assert_eq!(
        app.call("admin/client", &renew, Some(&admin))
            .await
            .status(),
        reqwest::StatusCode::OK
    );
    let renewed = page_of(&app, &admin)
        .await
        .revealed
        .unwrap()
        .secret
        .unwrap();
    assert_ne!(renewed, secret);
    assert!(
        clients::authenticate(&app.db, &app.state.secrets, &made.client_id, &secret)
            .await
            .unwrap()
            .is_none(),
        "the old secret is void"
    );

    let remove = [("op", "remove"), ("client_id", made.client_id.as_str())];
    assert_eq!(
        error_of(app.call("admin/client", &remove, Some(&admin)).await).await,
        AppError::validation(Field::Confirm, Problem::ConfirmRemoval)
    );
    let mut confirmed = remove.to_vec();
    confirmed.push(("confirm", "yes"));
    assert_eq!(
        app.call("admin/client", &confirmed, Some(&admin))
            .await
            .status(),
        reqwest::StatusCode::OK
    );
    assert!(page_of(&app, &admin).await.clients.is_empty());

    let actors: Vec<(String, String)> = sqlx::query_as(
        "SELECT event, actor FROM audit_events WHERE event LIKE 'client_%' ORDER BY id",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert_eq!(
        actors,
        [
            ("client_registered".to_owned(), "admin:admin01".to_owned()),
            (
                "client_secret_replaced".to_owned(),
                "admin:admin01".to_owned()
            ),
            ("client_removed".to_owned(), "admin:admin01".to_owned()),
        ]
    );
}

/// An admin demoted while their form is under way changes nothing: the
/// change re-checks, in its own transaction, that its actor is still an
/// admin on that session.
#[tokio::test]
async fn a_demoted_admin_registers_nothing() {
    let app = spawn_app().await;
    let admin = app.staff("admin01", app::domain::Role::Admin).await;
    let session = app::server::session::resolve(
        &app.db,
        &app::server::session::Token::parse(&admin.cookie).unwrap(),
        app.clock.now(),
    )
    .await
    .unwrap()
    .unwrap();
    // Seen as an admin; the role changes before the change lands.
    let by = Changer {
        actor: Actor::default(),
        seen: app::server::db::change::Seen::nothing().actor(
            session.user_id,
            "admin",
            &session.id_hash,
        ),
    };
    sqlx::query("UPDATE users SET role = 'helpdesk' WHERE login_id = 'admin01'")
        .execute(app.db.pool())
        .await
        .unwrap();
    let spec = ClientSpec {
        name: "在庫登録".into(),
        redirect_uris: vec!["https://zaiko.example.jp/cb".into()],
        ..Default::default()
    };
    let res = clients::register(&app.db, &app.state.secrets, &spec, by, app.clock.now()).await;
    assert_eq!(res.err(), Some(app::error::AppError::Changed));
    assert!(clients::list(&app.db).await.unwrap().is_empty());
}
