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
