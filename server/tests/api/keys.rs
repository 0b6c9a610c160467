//! Sealed secrets across an upgrade: TOTP secrets sealed before each
//! purpose had its own subkey are sealed again at start, and a dealer's
//! authenticator keeps working.

use crate::helpers::*;
use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Key};
use app::server::db::{users, Db};
use app::server::totp::TotpSecret;
use reqwest::StatusCode;

/// `secret` sealed as before purposes existed: the server key itself,
/// `autobank:u` and the user id as associated data, `nonce || ciphertext`.
fn seal_the_old_way(key: &[u8; 32], user_id: i64, secret: &[u8]) -> Vec<u8> {
    let mut aad = *b"autobank:u\0\0\0\0\0\0";
    aad[8..].copy_from_slice(&user_id.to_be_bytes());
    let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let payload = Payload {
        msg: secret,
        aad: &aad,
    };
    let mut sealed = nonce.to_vec();
    sealed.extend(cipher.encrypt(&nonce, payload).unwrap());
    sealed
}

async fn sealed_of(db: &Db, user_id: i64) -> Vec<u8> {
    sqlx::query_scalar("SELECT mfa_secret FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn secrets_sealed_the_old_way_are_sealed_again_at_start_and_still_sign_in() {
    let key: [u8; 32] = rand::random();
    let (url, dir) = fresh_database(Engine::of_this_run()).await;
    let db = Db::connect(&url).await.unwrap();
    // Before the upgrade: a dealer with MFA on, and one half way through
    // a setup, both sealed the old way.
    let now = app::server::clock::Clock::system().now();
    let hash = app::server::password::Passwords::new()
        .hash(app::domain::Password::parse(GOOD_PASSWORD).unwrap())
        .await
        .unwrap();
    let dealer = users::insert(&db, "dealer01", "旧形式", "dealer", &hash, now)
        .await
        .unwrap();
    let setting_up = users::insert(&db, "dealer02", "旧形式", "dealer", &hash, now)
        .await
        .unwrap();
    let secret = TotpSecret::generate();
    let old = seal_the_old_way(&key, dealer, secret.expose());
    sqlx::query("UPDATE users SET mfa_secret = $1, mfa_enabled_at = $2 WHERE id = $3")
        .bind(&old)
        .bind(now)
        .bind(dealer)
        .execute(db.pool())
        .await
        .unwrap();
    let pending = seal_the_old_way(&key, setting_up, TotpSecret::generate().expose());
    sqlx::query(
        "INSERT INTO mfa_enrollments (user_id, session_hash, secret, created_at, expires_at) \
         VALUES ($1, 'h', $2, $3, $4)",
    )
    .bind(setting_up)
    .bind(&pending)
    .bind(now)
    .bind(now + 600)
    .execute(db.pool())
    .await
    .unwrap();

    // The upgraded server starts on that database with the same key.
    let setup = Setup {
        key,
        ..Setup::default()
    };
    let app = spawn_set_up(db.clone(), url.clone(), dir, setup).await;
    let resealed = sealed_of(&app.db, dealer).await;
    assert_ne!(resealed, old, "sealed again");
    assert_eq!(resealed[0], 2, "in the current format");
    let setup_now: Vec<u8> = sqlx::query_scalar("SELECT secret FROM mfa_enrollments")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_ne!(setup_now, pending, "the pending setup too");
    assert_eq!(setup_now[0], 2);

    // The dealer's phone still gives codes the server accepts.
    let phone = Authenticator::new(&secret.base32(), &app.clock);
    let half = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let res = app.code_step(&half, &phone.code(0), false).await;
    assert_eq!(res.status(), StatusCode::OK, "signed in with the code");

    // A second start finds nothing to do.
    let secrets = app::server::crypto::SecretBox::from_key(&key);
    let again = app::server::services::keys::reseal_legacy(&app.db, &secrets)
        .await
        .unwrap();
    assert_eq!((again.resealed, again.current), (0, 2));
    assert_eq!(sealed_of(&app.db, dealer).await, resealed);
}

/// A sealed value moved from one purpose's column to another's does not
/// open: a temporary password waiting to be shown, copied into an
/// account's TOTP secret by someone who can write the database, is not a
/// secret the server will use.
#[tokio::test]
async fn a_value_sealed_to_be_shown_once_does_not_open_as_a_totp_secret() {
    let app = spawn_app().await;
    let dealer = app.add_user("dealer01", GOOD_PASSWORD).await;
    let secrets = &app.state.secrets;
    let shown_once = app::server::crypto::Purpose::ShownOnce;
    let bytes = TotpSecret::generate();
    let sealed = secrets.seal(shown_once, dealer, bytes.expose());
    sqlx::query("UPDATE users SET mfa_secret = $1, mfa_enabled_at = 1 WHERE id = $2")
        .bind(&sealed)
        .bind(dealer)
        .execute(app.db.pool())
        .await
        .unwrap();
    let phone = Authenticator::new(&bytes.base32(), &app.clock);
    let half = app.signed_in("dealer01", GOOD_PASSWORD).await;
    let res = app.code_step(&half, &phone.code(0), false).await;
    assert_ne!(
        res.status(),
        StatusCode::OK,
        "the code of a secret it cannot open"
    );
    let totp = app::server::crypto::Purpose::TotpSecret;
    assert!(secrets.open(totp, dealer, &sealed).is_none());
}

/// Instances over `app`'s database with the keys `ring`, the first sealing.
async fn instance(app: &TestApp, ring: &[app::server::crypto::NamedKey]) -> TestApp {
    let setup = Setup {
        ring: ring.to_vec(),
        ..Setup::default()
    };
    spawn_set_up(app.db.clone(), app.database_url.clone(), None, setup).await
}

/// A rolling key change on two instances, under load: the new key given
/// beside the old, then first; `keys reseal` while dealers sign in with
/// their codes and others set MFA up again on both instances; then the old
/// key removed. Every dealer's code, a recovery code, the signing key and
/// the client-secret MAC still work under the new key alone, and a start
/// with the old key alone is refused.
#[tokio::test]
async fn the_key_rotates_under_load_on_two_instances_and_the_old_key_goes() {
    use app::server::services::{keys, signing};
    let old_key: [u8; 32] = rand::random();
    let new_key: [u8; 32] = rand::random();
    let (url, dir) = fresh_database(Engine::of_this_run()).await;
    let db = Db::connect(&url).await.unwrap();
    let before = spawn_set_up(
        db,
        url,
        dir,
        Setup {
            key: old_key,
            ..Setup::default()
        },
    )
    .await;
    // Under the old key, as every deployment is today: dealers with MFA
    // on, their recovery codes, a signing key.
    const DEALERS: usize = 12;
    let mut secrets_of = Vec::new();
    let mut recovery = Vec::new();
    for i in 0..DEALERS {
        let login_id = format!("dealer{i:02}");
        before.add_user(&login_id, GOOD_PASSWORD).await;
        let cookie = before.signed_in(&login_id, GOOD_PASSWORD).await;
        let phone = before.enable_mfa(&cookie).await;
        recovery.push(
            before
                .mfa_status(&cookie)
                .await
                .new_recovery_codes
                .unwrap()
                .0,
        );
        secrets_of.push(phone.key.clone());
    }
    let signer = signing::current(&before.db, &before.state.secrets, before.clock.now())
        .await
        .unwrap();
    let mac_before = before.state.secrets.mac(1, b"client-secret:x");

    let new = || (Some("2026-12".to_owned()), new_key);
    let old = || (None, old_key);
    // Step 1: every instance opens with the new key, still sealing with
    // the old. Step 2: every instance seals with the new key.
    let _step1 = instance(&before, &[old(), new()]).await;
    let a = instance(&before, &[new(), old()]).await;
    let b = instance(&before, &[new(), old()]).await;

    // Load on both instances while the reseal runs: sign-ins with codes
    // (dealers 0..6), and MFA set up again (dealers 6..9).
    let sign_ins = (0..6).map(|i| {
        let on = if i % 2 == 0 { &a } else { &b };
        let key = secrets_of[i].clone();
        async move {
            let login_id = format!("dealer{i:02}");
            let phone = Authenticator::new(&key, &on.clock);
            let (half, _) = on.password_step(&login_id, GOOD_PASSWORD, None).await;
            on.code_step(&half, &phone.code(0), false).await.status()
        }
    });
    let setups = (6..9).map(|i| {
        let on = if i % 2 == 0 { &a } else { &b };
        let key = secrets_of[i].clone();
        async move {
            let login_id = format!("dealer{i:02}");
            let phone = Authenticator::new(&key, &on.clock);
            let (half, _) = on.password_step(&login_id, GOOD_PASSWORD, None).await;
            let res = on.code_step(&half, &phone.code(0), false).await;
            assert_eq!(res.status(), StatusCode::OK);
            let cookie = session_cookie(&res).unwrap();
            let apply = [
                ("confirmed", "yes"),
                ("setting", "on"),
                ("current_code", &phone.code(1)),
            ];
            on.call("mfa/apply", &apply, Some(&cookie)).await;
            let details = on.setup_details(&cookie).await;
            let new_phone = Authenticator::new(&details.key, &on.clock);
            let res = on
                .call(
                    "mfa/confirm",
                    &[("code", &new_phone.code(1))],
                    Some(&cookie),
                )
                .await;
            assert_eq!(res.status(), StatusCode::OK, "{login_id}'s new phone");
            (i, new_phone.key)
        }
    });
    let resealing = keys::reseal_all(&a.db, &a.state.secrets, 3);
    let (signed_in, set_up, done) = tokio::join!(
        futures_util::future::join_all(sign_ins),
        futures_util::future::join_all(setups),
        resealing
    );
    let done = done.unwrap();
    assert_eq!(done.still_stale, 0, "{done:?}");
    assert!(
        signed_in.iter().all(|s| *s == StatusCode::OK),
        "{signed_in:?}"
    );
    for (i, key) in set_up {
        secrets_of[i] = key;
    }
    assert_eq!(done.unreadable, 0);
    // Every TOTP secret but those set up again meanwhile, the signing key
    // and the keyring's MAC key.
    assert!(done.resealed >= (DEALERS - 3) as u64 + 2, "{done:?}");

    // Nothing is left under the old key: a second pass finds it all current.
    let again = keys::reseal_all(&a.db, &a.state.secrets, 50).await.unwrap();
    assert_eq!((again.resealed, again.unreadable), (0, 0), "{again:?}");

    // Step 3: the old key removed. Every dealer's code still works.
    let after = instance(&before, &[new()]).await;
    after.clock.advance(3 * 30);
    for (i, key) in secrets_of.iter().enumerate() {
        let login_id = format!("dealer{i:02}");
        let phone = Authenticator::new(key, &after.clock);
        let (half, _) = after.password_step(&login_id, GOOD_PASSWORD, None).await;
        let res = after.code_step(&half, &phone.code(0), false).await;
        assert_eq!(res.status(), StatusCode::OK, "{login_id}'s code");
    }
    // A recovery code made under the old key.
    let (half, _) = after.password_step("dealer11", GOOD_PASSWORD, None).await;
    let res = after
        .call(
            "mfa/recovery",
            &[("code", &recovery[11][0]), ("next", "/menu")],
            Some(&half),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "a recovery code from before");
    assert_eq!(after.state.secrets.mac(1, b"client-secret:x"), mac_before);
    // The signing key opens under the new key and is the same key.
    let signs = signing::current(&after.db, &after.state.secrets, after.clock.now())
        .await
        .unwrap();
    assert_eq!(signs.kid(), signer.kid());

    // The old key alone no longer opens the database's keyring.
    let refused = keys::open_keyring(
        &after.db,
        &app::server::crypto::SecretBox::from_key(&old_key),
    )
    .await;
    assert!(matches!(refused, Err(keys::KeyringError::WrongKeys)));
}

/// The first start of the keyring's version on a database with secrets,
/// with a mistyped key: refused, and nothing kept, so that the right key
/// still starts afterwards (a kept wrong key would refuse it for good).
#[tokio::test]
async fn a_wrong_key_is_not_kept_as_the_keyring_of_a_database_with_secrets() {
    use app::server::crypto::SecretBox;
    use app::server::services::keys;
    let app = spawn_app().await;
    app.add_user("dealer01", GOOD_PASSWORD).await;
    let cookie = app.signed_in("dealer01", GOOD_PASSWORD).await;
    app.enable_mfa(&cookie).await;
    // As before the keyring existed.
    sqlx::query("DELETE FROM keyring")
        .execute(app.db.pool())
        .await
        .unwrap();

    let wrong = SecretBox::from_key(&rand::random());
    let refused = keys::open_keyring(&app.db, &wrong).await;
    assert!(
        matches!(refused, Err(keys::KeyringError::WrongKeys)),
        "{refused:?}"
    );
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM keyring")
        .fetch_one(app.db.pool())
        .await
        .unwrap();
    assert_eq!(rows, 0, "nothing of the wrong key is kept");

    let right = keys::open_keyring(&app.db, &app.state.secrets)
        .await
        .unwrap();
    assert_eq!(right.mac(1, b"x"), app.state.secrets.mac(1, b"x"));
}
