//! The business applications registered as OpenID Connect clients: the
//! command line registers them, a secret is shown once and kept only as an
//! HMAC, a tile serves at most one application, URIs are strict, and
//! every change is in the audit trail.

use crate::helpers::*;
use app::server::db::audit;
use app::server::db::audit::Actor;
use app::server::services::clients::{self, ClientSpec, Invalid};
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
        .unwrap();
    assert_eq!(ok.map(|c| c.name).as_deref(), Some("在庫登録"));
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
    let first = clients::register(db, secrets, &spec, Actor::default(), now)
        .await
        .unwrap();
    assert!(first.is_ok());
    let second = clients::register(db, secrets, &spec, Actor::default(), now)
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
