//! What lands while a request is in flight: a password change, a lock or
//! an MFA reset between the password check and the new session; and an
//! audit record that cannot be written.

use crate::helpers::*;
use app::domain::{LoginId, Password};
use app::server::db::audit::Event;
use app::server::services::{auth, Client};
use app::server::session::{self, Owner, Stage};
use reqwest::StatusCode;

/// The password step, then `meanwhile`, then the session the check earned.
async fn start_after(
    app: &TestApp,
    meanwhile: impl std::future::Future<Output = ()>,
) -> Option<session::Token> {
    let client = Client::default();
    let id = LoginId::parse("dealer01").unwrap();
    let check = auth::check_password(
        &app.state,
        &id,
        Password::parse(GOOD_PASSWORD).unwrap(),
        &client,
    )
    .await
    .unwrap();
    let auth::PasswordCheck::Accepted(account) = check else {
        panic!("the password is right: {check:?}");
    };
    meanwhile.await;
    let owner = Owner {
        user_id: account.user_id,
        method: session::Method::Password,
        browser: "test",
        address: None,
    };
    let stage = if account.snapshot.mfa_on() {
        Stage::Code
    } else {
        Stage::Full
    };
    let entry = test_entry(account.user_id, Event::SignInSuccess);
    session::start(
        &app.state.db,
        owner,
        stage,
        &account.snapshot,
        None,
        &entry,
        app.clock.now(),
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn nothing_that_lands_mid_check_is_missed() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    assert!(
        start_after(&app, async {}).await.is_some(),
        "undisturbed, it starts"
    );

    // The same password set again: still a change.
    let changed = start_after(&app, app.set_password("dealer01", GOOD_PASSWORD)).await;
    assert!(changed.is_none(), "a password change");

    let locked = start_after(&app, async {
        sqlx::query("UPDATE users SET locked_until = $1")
            .bind(app.clock.now() + 60)
            .execute(app.db.pool())
            .await
            .unwrap();
    })
    .await;
    assert!(locked.is_none(), "a lock");
    app.unlock("dealer01").await;

    let disabled = start_after(&app, async {
        sqlx::query("UPDATE users SET disabled_at = $1")
            .bind(app.clock.now())
            .execute(app.db.pool())
            .await
            .unwrap();
    })
    .await;
    assert!(disabled.is_none(), "a disable");
    app.unlock("dealer01").await;

    let cookie = app.signed_in("dealer01", GOOD_PASSWORD).await;
    app.enable_mfa(&cookie).await;
    let reset = start_after(&app, async {
        let user_id = app.user_id("dealer01").await;
        let entry = test_entry(user_id, Event::MfaReset);
        let seen = app::server::db::change::Seen::nothing();
        app::server::services::mfa::reset(&app.db, &seen, user_id, &entry, app.clock.now())
            .await
            .unwrap();
    })
    .await;
    assert!(reset.is_none(), "an MFA reset");
    assert_eq!(
        app.session_count("dealer01").await,
        0,
        "the reset ended the others; the refused ones never started"
    );
}

#[tokio::test]
async fn sign_ins_in_flight_during_a_password_change_get_no_session() {
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let form = vec![
        ("login_id", "dealer01".to_owned()),
        ("password", GOOD_PASSWORD.to_owned()),
        ("next", "/menu".to_owned()),
    ];
    let (answers, ()) = tokio::join!(burst(&app, "login", form, vec![None; 16]), async {
        tokio::time::sleep(std::time::Duration::from_millis(40)).await;
        app.set_password("dealer01", "another-password-for-the-race")
            .await;
    });
    let statuses: Vec<_> = answers.iter().map(|(status, _)| *status).collect();
    // 423: wrong passwords (the old one, after the change) lock the account.
    assert!(
        statuses
            .iter()
            .all(|s| [200, 401, 423, 503].contains(&s.as_u16())),
        "{statuses:?}"
    );
    assert_eq!(
        app.session_count("dealer01").await,
        0,
        "every session with the old password ended or never started: {statuses:?}"
    );
}

#[tokio::test]
async fn a_change_whose_record_cannot_be_written_does_not_happen() {
    let (app, authenticator) = app_with_mfa_user().await;
    let (half, _) = app.password_step("dealer01", GOOD_PASSWORD, None).await;
    let full = session_cookie(&app.code_step(&half, &authenticator.code(0), false).await).unwrap();
    let sessions_before = app.session_count("dealer01").await;

    sqlx::query("ALTER TABLE audit_events RENAME TO audit_events_away")
        .execute(app.db.pool())
        .await
        .unwrap();
    let off = app
        .call(
            "mfa/apply",
            &[
                ("confirmed", "yes"),
                ("setting", "off"),
                ("current_code", &authenticator.code(1)),
            ],
            Some(&full),
        )
        .await;
    assert_eq!(off.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let login = app.login("dealer01", GOOD_PASSWORD).await;
    assert_eq!(login.status(), StatusCode::INTERNAL_SERVER_ERROR);
    sqlx::query("ALTER TABLE audit_events_away RENAME TO audit_events")
        .execute(app.db.pool())
        .await
        .unwrap();

    assert!(
        app.mfa_status(&full).await.enabled_since.is_some(),
        "MFA is still on"
    );
    assert_eq!(
        app.session_count("dealer01").await,
        sessions_before,
        "no session started without its record"
    );
}

#[tokio::test]
async fn a_setup_confirmation_in_flight_from_a_browser_signed_out_meanwhile_turns_nothing_on() {
    use app::server::services::{mfa, settings};
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let owner = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let thief = app.signed_in("dealer01", GOOD_PASSWORD).await;
    // The thief starts a setup and reads the new key.
    let started = app
        .call(
            "mfa/apply",
            &[
                ("confirmed", "yes"),
                ("setting", "on"),
                ("password", GOOD_PASSWORD),
            ],
            Some(&thief),
        )
        .await;
    assert_eq!(location(&started).as_deref(), Some("/mfa/setup"));
    let phone = Authenticator::new(&app.setup_details(&thief).await.key, &app.clock);
    // The thief's confirmation is past its session check when the owner
    // signs that browser out.
    let token = app::server::session::Token::parse(&thief).unwrap();
    let session = app::server::session::resolve(&app.db, &token, app.clock.now())
        .await
        .unwrap()
        .unwrap();
    let browsers = app.mfa_status(&owner).await.browsers;
    let theirs = browsers.iter().find(|b| !b.current).unwrap();
    let owner_session = {
        let token = app::server::session::Token::parse(&owner).unwrap();
        app::server::session::resolve(&app.db, &token, app.clock.now())
            .await
            .unwrap()
            .unwrap()
    };
    let client = Client::default();
    settings::end_sessions(&app.state, &owner_session, Some(&theirs.handle), &client)
        .await
        .unwrap();
    let code = app::domain::OtpCode::parse(&phone.code(0)).unwrap();
    let confirmed = mfa::confirm_setup(&app.state, &session, &code, &client).await;
    assert_eq!(confirmed.unwrap_err(), app::error::AppError::SetupExpired);
    assert_eq!(
        app.mfa_status(&owner).await.enabled_since,
        None,
        "MFA is still off"
    );
}

/// `Change::commit_recorded` is for changes that wrote their records as
/// they went; one that wrote none is a bug, and it lands nothing.
#[tokio::test]
async fn a_change_committed_without_any_audit_record_is_refused_and_rolled_back() {
    let app = spawn_app().await;
    let dealer = app.add_user("dealer01", GOOD_PASSWORD).await;
    let mut change = app::server::db::change::Change::start(&app.db)
        .await
        .unwrap();
    rename_in(&mut change, dealer, "unrecorded").await;
    assert!(change.commit_recorded().await.is_err());
    let name = display_name(app.db.pool(), dealer).await;
    assert_ne!(name, "unrecorded", "nothing landed");
}

#[tokio::test]
async fn on_sqlite_an_instances_write_transactions_take_turns() {
    // SQLite writes one at a time; a second writer would sleep in SQLite's
    // busy handler. An instance's transactions queue for their turn
    // instead: a second one does not begin while the first is open, and
    // begins as soon as it ends.
    use app::server::db::change::Change;
    use std::time::Duration;
    let app = spawn_app().await;
    let first = Change::start(&app.db).await.unwrap();
    let second = Change::start(&app.db);
    tokio::pin!(second);
    let waited = tokio::time::timeout(Duration::from_millis(200), &mut second).await;
    match Engine::of_this_run() {
        Engine::Sqlite => assert!(waited.is_err(), "the second began while the first was open"),
        // PostgreSQL takes rows one by one: both may be open at once.
        Engine::Postgres => assert!(waited.is_ok()),
    }
    drop(first);
    let second = match waited {
        Ok(second) => second,
        Err(_) => tokio::time::timeout(Duration::from_secs(5), second)
            .await
            .expect("its turn comes when the first ends"),
    };
    second.unwrap().commit_counts().await.unwrap();
}

#[tokio::test]
async fn on_sqlite_the_writer_never_queues_behind_the_readers() {
    // The turn's holder is what every other writer waits for: it writes
    // on a connection of its own, so readers holding every pooled
    // connection do not hold it up. (Sharing the pool, it waited for the
    // pool's acquire timeout here, and failed.)
    use app::server::db::change::Change;
    use std::time::Duration;
    if Engine::of_this_run() != Engine::Sqlite {
        return;
    }
    let app = spawn_app().await;
    let mut readers = Vec::new();
    while let Ok(Ok(conn)) =
        tokio::time::timeout(Duration::from_millis(200), app.db.pool().acquire()).await
    {
        readers.push(conn);
    }
    assert!(!readers.is_empty(), "the pool gave out its connections");
    let change = tokio::time::timeout(Duration::from_secs(1), Change::start(&app.db))
        .await
        .expect("the writer began while readers held the pool")
        .unwrap();
    change.commit_counts().await.unwrap();
    drop(readers);
}

/// A display name written inside `change`, not committed.
async fn rename_in(change: &mut app::server::db::change::Change, user_id: i64, name: &str) {
    sqlx::query("UPDATE users SET display_name = $1 WHERE id = $2")
        .bind(name)
        .bind(user_id)
        .execute(change.conn())
        .await
        .unwrap();
}

/// The display name of `user_id`, as `db` (the pool, or a change's
/// connection) sees it.
async fn display_name<'e>(
    db: impl sqlx::Executor<'e, Database = sqlx::Any>,
    user_id: i64,
) -> String {
    sqlx::query_scalar("SELECT display_name FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_change_dropped_mid_way_keeps_nothing_and_the_next_one_writes() {
    // A request whose client hangs up drops its change between two
    // statements. On SQLite the next change writes on the same (the
    // writer's one) connection: it must not find itself inside the
    // abandoned one's transaction, whose write would then land with its
    // commit.
    use app::server::db::change::Change;
    let app = spawn_app().await;
    let dealer = app.add_user("dealer01", GOOD_PASSWORD).await;
    let before = display_name(app.db.pool(), dealer).await;
    for round in 0..20 {
        let mut abandoned = Change::start(&app.db).await.unwrap();
        rename_in(&mut abandoned, dealer, "abandoned").await;
        drop(abandoned);
        let mut next = Change::start(&app.db).await.unwrap();
        let seen = display_name(next.conn(), dealer).await;
        assert_eq!(
            seen, before,
            "round {round}: the next change saw the dropped one's write"
        );
        next.commit_counts().await.unwrap();
        assert_eq!(
            display_name(app.db.pool(), dealer).await,
            before,
            "round {round}"
        );
    }
}

#[tokio::test]
async fn a_change_whose_commit_is_refused_keeps_nothing_and_the_writer_goes_on() {
    // A commit can be refused with the transaction still open (here a
    // deferred foreign key, checked at COMMIT; SQLite then keeps the
    // transaction open). The writer's connection must not go on inside
    // it: the next change would fail to begin, or commit the refused
    // one's writes with its own.
    use app::server::db::change::Change;
    let app = spawn_app().await;
    let dealer = app.add_user("dealer01", GOOD_PASSWORD).await;
    let before = display_name(app.db.pool(), dealer).await;
    let mut refused = Change::start(&app.db).await.unwrap();
    for statement in [
        "CREATE TEMP TABLE parent_of_refused (id INTEGER PRIMARY KEY)",
        "CREATE TEMP TABLE refused (parent INTEGER REFERENCES parent_of_refused (id) \
         DEFERRABLE INITIALLY DEFERRED)",
        "INSERT INTO refused (parent) VALUES (1)",
    ] {
        sqlx::query(statement)
            .execute(refused.conn())
            .await
            .unwrap();
    }
    rename_in(&mut refused, dealer, "refused").await;
    assert!(
        refused.commit_counts().await.is_err(),
        "the commit was refused"
    );
    assert_eq!(
        display_name(app.db.pool(), dealer).await,
        before,
        "the refused change kept nothing"
    );
    for round in 0..3 {
        let mut next = Change::start(&app.db).await.unwrap();
        rename_in(&mut next, dealer, &format!("next {round}")).await;
        next.commit_counts().await.unwrap();
        assert_eq!(
            display_name(app.db.pool(), dealer).await,
            format!("next {round}")
        );
    }
}
