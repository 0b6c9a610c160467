//! The signing keys of the tokens the portal will issue to business
//! applications (OpenID Connect): made when first needed, shared by every
//! instance through the database, sealed with the server key and bound to
//! their row, rotated with an overlap, and checked by an independent JWT
//! library from the published JWKS alone.

use crate::helpers::*;
use app::server::db::audit;
use app::server::db::audit::Actor;
use app::server::jws::Alg;
use app::server::services::signing::{
    self, Starts, PUBLISHED_AFTER_RETIRING, PUBLISHED_BEFORE_SIGNING,
};
use jsonwebtoken::{decode, decode_header, jwk::JwkSet, DecodingKey, Validation};
use serde_json::{json, Value};

fn kids(jwks: &Value) -> Vec<String> {
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

/// What a relying party does: find the key by the token's `kid` in the
/// JWKS, and check the signature with it.
fn verified_by_jwks(token: &str, jwks: &Value) -> Result<Value, String> {
    let set: JwkSet = serde_json::from_value(jwks.clone()).map_err(|e| e.to_string())?;
    let header = decode_header(token).map_err(|e| e.to_string())?;
    let kid = header.kid.ok_or("no kid")?;
    let jwk = set
        .find(&kid)
        .ok_or(format!("kid {kid} is not published"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut validation = Validation::new(header.alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    decode::<Value>(token, &key, &validation)
        .map(|t| t.claims)
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn the_first_key_is_made_once_even_when_asked_for_at_once() {
    let app = spawn_app().await;
    let (db, secrets, now) = (&app.db, &app.state.secrets, app.clock.now());
    // Eight requests find no key at the same moment: the first makes it,
    // the others wait for it (not each its own, tens of ms of a core
    // apiece). Another instance could still make a second one.
    let asked =
        futures_util::future::join_all((0..8).map(|_| signing::current(db, secrets, now))).await;
    let made: Vec<String> = asked
        .into_iter()
        .map(|k| k.unwrap().kid().to_owned())
        .collect();
    let jwks = signing::jwks(db, now).await.unwrap();
    assert_eq!(kids(&jwks), made[..1], "one key made and published");
    assert!(made.iter().all(|kid| *kid == made[0]), "{made:?}");
    let signer = signing::current(db, secrets, now).await.unwrap();
    for _ in 0..3 {
        let again = signing::current(db, secrets, now).await.unwrap();
        assert_eq!(again.kid(), signer.kid(), "one key signs");
    }
    assert_eq!(
        signer.alg(),
        Alg::RS256,
        "RS256 unless an operator chose otherwise"
    );

    let token = signer
        .sign("JWT", &json!({ "sub": "s-1", "nonce": "n-0" }))
        .unwrap();
    let claims = verified_by_jwks(&token, &jwks).unwrap();
    assert_eq!(claims["sub"], "s-1");
}

/// A rotated-in key is published at once and signs only once every
/// application's copy of the JWKS can have it; the key it replaces signs
/// until then and stays published until its tokens have expired.
#[tokio::test]
async fn a_rotated_key_is_published_before_it_signs_and_the_old_one_after() {
    let app = spawn_app().await;
    let (db, secrets) = (&app.db, &app.state.secrets);
    let old = signing::current(db, secrets, app.clock.now())
        .await
        .unwrap();
    let issued_before = old.sign("JWT", &json!({ "sub": "s-1" })).unwrap();

    let operator = Actor {
        actor: "cli:test".into(),
        ..Default::default()
    };
    let before = app.clock.now();
    let rotated = signing::rotate(
        db,
        secrets,
        Alg::ES256,
        Starts::AfterPublishing,
        operator,
        before,
    )
    .await
    .unwrap();
    let (kid, signs_from) = rotated;
    let rotated_at = signs_from - PUBLISHED_BEFORE_SIGNING;
    assert_eq!(rotated_at, before, "counted from the time of the rotation");
    // Each check at a time of its own, counted from the rotation's (the
    // app's clock follows the real one, whose second may tick between two
    // reads). Published at once, not signing yet.
    let jwks = signing::jwks(db, rotated_at).await.unwrap();
    assert_eq!(kids(&jwks), [kid.clone(), old.kid().to_owned()]);
    let still = signing::current(db, secrets, signs_from - 1).await.unwrap();
    assert_eq!(still.kid(), old.kid(), "the old key signs until then");
    let new = signing::current(db, secrets, signs_from).await.unwrap();
    assert_eq!(new.kid(), kid);
    assert_eq!(new.alg(), Alg::ES256);
    let issued_after = new.sign("JWT", &json!({ "sub": "s-2" })).unwrap();

    let jwks = signing::jwks(db, signs_from).await.unwrap();
    assert_eq!(
        kids(&jwks),
        [kid.clone(), old.kid().to_owned()],
        "newest first"
    );
    verified_by_jwks(&issued_before, &jwks).expect("a token of the old key still checks");
    verified_by_jwks(&issued_after, &jwks).expect("and one of the new key");

    let jwks = signing::jwks(db, signs_from + PUBLISHED_AFTER_RETIRING - 1)
        .await
        .unwrap();
    assert_eq!(kids(&jwks).len(), 2, "still published just before the end");
    let jwks = signing::jwks(db, signs_from + PUBLISHED_AFTER_RETIRING + 1)
        .await
        .unwrap();
    assert_eq!(kids(&jwks), [kid]);
    let refused = verified_by_jwks(&issued_before, &jwks).unwrap_err();
    assert!(refused.contains("is not published"), "{refused}");

    let trail = audit::list(db, None, 10).await.unwrap();
    let rotations: Vec<_> = trail
        .iter()
        .filter(|r| r.event == "signing_key_rotated")
        .collect();
    assert_eq!(rotations.len(), 2, "the first key and the rotation");
    assert_eq!(rotations[0].actor, "cli:test");
}

#[tokio::test]
async fn a_private_key_is_sealed_and_bound_to_its_row() {
    let app = spawn_app().await;
    let (db, secrets, now) = (&app.db, &app.state.secrets, app.clock.now());
    let operator = Actor::default();
    signing::rotate(db, secrets, Alg::RS256, Starts::Now, operator.clone(), now)
        .await
        .unwrap();
    signing::rotate(db, secrets, Alg::RS256, Starts::Now, operator, now)
        .await
        .unwrap();
    let rows: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT id, private_key FROM signing_keys ORDER BY id")
            .fetch_all(db.pool())
            .await
            .unwrap();
    for (_, sealed) in &rows {
        // PKCS#8 is a DER SEQUENCE (0x30 0x82 ...): what is stored is not.
        assert!(sealed.len() > 1000 && !sealed.starts_with(&[0x30, 0x82]));
    }
    // Someone with the database but not the server key swaps the two
    // sealed keys: the signing key then opens under no row.
    let (first, second) = (&rows[0], &rows[1]);
    for (id, sealed) in [(first.0, &second.1), (second.0, &first.1)] {
        sqlx::query("UPDATE signing_keys SET private_key = $1 WHERE id = $2")
            .bind(sealed.clone())
            .bind(id)
            .execute(db.pool())
            .await
            .unwrap();
    }
    let err = signing::current(db, secrets, now).await.unwrap_err();
    assert_eq!(err, app::error::AppError::Internal);
}

/// The command line, given the server's key (as every instance is),
/// makes keys the running server signs with.
#[tokio::test]
async fn the_operator_rotates_and_lists_the_keys_on_the_command_line() {
    let app = spawn_app().await;
    let keys = |args: &[&str]| app.cli(args, "");
    let first = keys(&["keys", "rotate"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let said = String::from_utf8_lossy(&first.stdout);
    assert!(said.contains("published now; it signs from"), "{said}");
    // A key suspected leaked is replaced at once.
    let second = keys(&["keys", "rotate", "--alg", "ES256", "--now"]);
    assert!(second.status.success());
    let said = String::from_utf8_lossy(&second.stdout);
    assert!(
        said.contains("New ES256 signing key") && said.contains("signs from now on"),
        "{said}"
    );

    let wrong = keys(&["keys", "rotate", "--alg", "HS256"]);
    assert_eq!(wrong.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("RS256 or ES256"));

    let list = keys(&["keys", "list"]);
    let listed = String::from_utf8_lossy(&list.stdout);
    let lines: Vec<&str> = listed.lines().skip(1).collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(
        lines[0].contains("ES256") && lines[0].ends_with("signing"),
        "{listed}"
    );
    assert!(
        lines[1].contains("RS256") && lines[1].contains("withdrawn"),
        "{listed}"
    );

    // The server opens what the command line sealed, and signs with it.
    let (db, secrets, now) = (&app.db, &app.state.secrets, app.clock.now());
    let signer = signing::current(db, secrets, now).await.unwrap();
    assert_eq!(signer.alg(), Alg::ES256);
    assert!(lines[0].starts_with(signer.kid()), "{listed}");
    let token = signer.sign("JWT", &json!({ "sub": "s-9" })).unwrap();
    let jwks = signing::jwks(db, now).await.unwrap();
    assert_eq!(verified_by_jwks(&token, &jwks).unwrap()["sub"], "s-9");
    assert_eq!(
        kids(&jwks),
        [signer.kid().to_owned()],
        "the replaced key withdrawn"
    );
}
