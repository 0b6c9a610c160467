//! JSON Web Signatures (RFC 7515, 7517, 7518) for the OpenID Connect
//! provider: its signing keys and the compact tokens they sign.
//!
//! The keys are made and used by AWS-LC (`aws-lc-rs`): its RSA is
//! constant-time and it makes RSA keys. The `rsa` crate before 0.10
//! carries RUSTSEC-2023-0071 (the Marvin timing attack) and ring cannot
//! make RSA keys. RS256 is here because OpenID Connect requires it and many
//! clients accept nothing else; ES256 may stand beside it.
//!
//! A key's `kid` is its RFC 7638 thumbprint: it names the public key, so
//! two instances that read the same key publish the same `kid`.

use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    EcdsaKeyPair, KeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256,
};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The signing algorithms the provider offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    RS256,
    ES256,
}

impl Alg {
    pub const ALL: [Self; 2] = [Self::RS256, Self::ES256];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::ES256 => "ES256",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }
}

/// Why a key could not be made, read or used.
#[derive(Debug, thiserror::Error)]
pub enum JwsError {
    #[error("the key could not be made")]
    Generate,
    #[error("the stored key is not a {0} key in PKCS#8: {1}")]
    Rejected(&'static str, String),
    #[error("signing failed")]
    Sign,
}

enum Pair {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

/// A private signing key. Neither `Debug` nor `Clone` shows or copies the
/// private part.
pub struct SigningKey {
    alg: Alg,
    kid: String,
    pair: Pair,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigningKey({} {})", self.alg.as_str(), self.kid)
    }
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl SigningKey {
    /// A new key, and its PKCS#8 form to store (sealed).
    pub fn generate(alg: Alg) -> Result<(Self, Vec<u8>), JwsError> {
        let pkcs8 = match alg {
            Alg::RS256 => {
                let pair =
                    RsaKeyPair::generate(KeySize::Rsa2048).map_err(|_| JwsError::Generate)?;
                let der: Pkcs8V1Der = pair.as_der().map_err(|_| JwsError::Generate)?;
                der.as_ref().to_vec()
            }
            Alg::ES256 => {
                let rng = SystemRandom::new();
                EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .map_err(|_| JwsError::Generate)?
                    .as_ref()
                    .to_vec()
            }
        };
        Ok((Self::from_pkcs8(alg, &pkcs8)?, pkcs8))
    }

    /// A stored key.
    pub fn from_pkcs8(alg: Alg, der: &[u8]) -> Result<Self, JwsError> {
        let rejected =
            |e: aws_lc_rs::error::KeyRejected| JwsError::Rejected(alg.as_str(), e.to_string());
        let pair = match alg {
            Alg::RS256 => Pair::Rsa(RsaKeyPair::from_pkcs8(der).map_err(rejected)?),
            Alg::ES256 => Pair::Ec(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                    .map_err(rejected)?,
            ),
        };
        let mut key = Self {
            alg,
            kid: String::new(),
            pair,
        };
        key.kid = thumbprint(&key.required_members());
        Ok(key)
    }

    pub fn alg(&self) -> Alg {
        self.alg
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The members RFC 7638 hashes, in its order.
    fn required_members(&self) -> Value {
        match &self.pair {
            Pair::Rsa(pair) => {
                let public = pair.public_key();
                json!({
                    "e": b64(public.exponent().big_endian_without_leading_zero()),
                    "kty": "RSA",
                    "n": b64(public.modulus().big_endian_without_leading_zero()),
                })
            }
            Pair::Ec(pair) => {
                // An uncompressed point: 0x04, then x and y of 32 bytes each.
                let point = pair.public_key().as_ref();
                json!({
                    "crv": "P-256",
                    "kty": "EC",
                    "x": b64(&point[1..33]),
                    "y": b64(&point[33..65]),
                })
            }
        }
    }

    /// The public key as a JWK, for the JWKS.
    pub fn public_jwk(&self) -> Value {
        let mut jwk = self.required_members();
        jwk["use"] = json!("sig");
        jwk["alg"] = json!(self.alg.as_str());
        jwk["kid"] = json!(self.kid);
        jwk
    }

    /// `claims` signed: a compact JWS with `alg`, `kid` and `typ` in its
    /// header (`JWT` for ID tokens, `at+jwt` for access tokens, RFC 9068).
    pub fn sign(&self, typ: &str, claims: &Value) -> Result<String, JwsError> {
        let header = json!({ "alg": self.alg.as_str(), "kid": self.kid, "typ": typ });
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(claims.to_string().as_bytes())
        );
        let rng = SystemRandom::new();
        let signature = match &self.pair {
            Pair::Rsa(pair) => {
                let mut sig = vec![0; pair.public_modulus_len()];
                pair.sign(&RSA_PKCS1_SHA256, &rng, input.as_bytes(), &mut sig)
                    .map_err(|_| JwsError::Sign)?;
                sig
            }
            Pair::Ec(pair) => pair
                .sign(&rng, input.as_bytes())
                .map_err(|_| JwsError::Sign)?
                .as_ref()
                .to_vec(),
        };
        Ok(format!("{input}.{}", b64(&signature)))
    }
}

/// The claims of `token` (a compact JWS), if its header names by `kid` one
/// of `published` (public JWKs), with that key's `alg` and a `typ` of
/// `typ`, and its signature is that key's. Expiry and the rest are the
/// caller's to check.
pub fn verify(token: &str, typ: &str, published: &[Value]) -> Option<Value> {
    use aws_lc_rs::signature::{
        RsaPublicKeyComponents, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED,
        RSA_PKCS1_2048_8192_SHA256,
    };
    let mut parts = token.split('.');
    let (header, payload, signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).ok();
    let head: Value = serde_json::from_slice(&decode(header)?).ok()?;
    let kid = head.get("kid")?.as_str()?;
    let jwk = published.iter().find(|k| k["kid"] == kid)?;
    if head.get("alg") != jwk.get("alg") || head.get("typ").and_then(Value::as_str) != Some(typ) {
        return None;
    }
    let signature = decode(signature)?;
    let input = &token.as_bytes()[..header.len() + 1 + payload.len()];
    let member = |name: &str| decode(jwk.get(name)?.as_str()?);
    let good = match Alg::parse(jwk.get("alg")?.as_str()?)? {
        Alg::RS256 => RsaPublicKeyComponents {
            n: member("n")?,
            e: member("e")?,
        }
        .verify(&RSA_PKCS1_2048_8192_SHA256, input, &signature)
        .is_ok(),
        Alg::ES256 => {
            let mut point = vec![4u8];
            point.extend(member("x")?);
            point.extend(member("y")?);
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
                .verify(input, &signature)
                .is_ok()
        }
    };
    if !good {
        return None;
    }
    serde_json::from_slice(&decode(payload)?).ok()
}

/// The RFC 7638 thumbprint of a JWK's required members: SHA-256 of their
/// JSON with no white space and the members in lexicographic order.
fn thumbprint(required: &Value) -> String {
    // serde_json's map keeps keys sorted (no `preserve_order` here), and
    // `to_string` writes no white space: the canonical form.
    b64(&Sha256::digest(required.to_string().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_thumbprint_is_rfc_7638s_own_example() {
        // RFC 7638, section 3.1: this key's thumbprint is
        // NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs.
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let required = json!({ "e": "AQAB", "kty": "RSA", "n": n });
        assert_eq!(
            thumbprint(&required),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    /// An independent JWT library (jsonwebtoken) reads the key from its
    /// JWK alone and checks the signature, the header and the claims.
    #[test]
    fn another_library_verifies_what_each_key_signs_from_its_jwk() {
        use jsonwebtoken::{decode, decode_header, jwk::Jwk, DecodingKey, Validation};
        for alg in Alg::ALL {
            let (key, _) = SigningKey::generate(alg).unwrap();
            let claims = json!({ "sub": "a3f", "aud": "app-1", "exp": 4_000_000_000_u64, "名前": "テスト販売店" });
            let token = key.sign("JWT", &claims).unwrap();
            let header = decode_header(&token).unwrap();
            assert_eq!(header.kid.as_deref(), Some(key.kid()));
            assert_eq!(header.typ.as_deref(), Some("JWT"));
            let jwk: Jwk = serde_json::from_value(key.public_jwk()).unwrap();
            let decoding = DecodingKey::from_jwk(&jwk).unwrap();
            let mut validation = Validation::new(header.alg);
            validation.set_audience(&["app-1"]);
            let read = decode::<Value>(&token, &decoding, &validation).unwrap();
            assert_eq!(read.claims, claims, "{alg:?}");

            // One changed byte of the claims, or another key: refused.
            let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
            parts[1] = b64(
                json!({ "sub": "b00", "aud": "app-1", "exp": 4_000_000_000_u64 })
                    .to_string()
                    .as_bytes(),
            );
            assert!(decode::<Value>(&parts.join("."), &decoding, &validation).is_err());
            let (other, _) = SigningKey::generate(alg).unwrap();
            let other_jwk: Jwk = serde_json::from_value(other.public_jwk()).unwrap();
            let wrong = DecodingKey::from_jwk(&other_jwk).unwrap();
            assert!(decode::<Value>(&token, &wrong, &validation).is_err());
        }
    }

    #[test]
    fn verify_accepts_only_a_published_keys_own_signature() {
        for alg in Alg::ALL {
            let (key, _) = SigningKey::generate(alg).unwrap();
            let (other, _) = SigningKey::generate(alg).unwrap();
            let published = [key.public_jwk()];
            let claims = json!({ "sub": "abc", "n": 1 });
            let token = key.sign("at+jwt", &claims).unwrap();
            assert_eq!(verify(&token, "at+jwt", &published), Some(claims.clone()));
            // Another type, another key, a changed payload or signature.
            assert_eq!(verify(&token, "JWT", &published), None, "{alg:?}");
            let foreign = other.sign("at+jwt", &claims).unwrap();
            assert_eq!(verify(&foreign, "at+jwt", &published), None, "{alg:?}");
            let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
            parts[1] = b64(json!({ "sub": "xyz", "n": 1 }).to_string().as_bytes());
            assert_eq!(verify(&parts.join("."), "at+jwt", &published), None);
            let mut flipped = token.clone().into_bytes();
            let last = flipped.len() - 2;
            flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
            let flipped = String::from_utf8(flipped).unwrap();
            assert_eq!(verify(&flipped, "at+jwt", &published), None);
            // `alg: none`, with the key's kid.
            let none = format!(
                "{}.{}.",
                b64(json!({ "alg": "none", "kid": key.kid(), "typ": "at+jwt" })
                    .to_string()
                    .as_bytes()),
                parts[1]
            );
            assert_eq!(verify(&none, "at+jwt", &published), None);
        }
    }

    #[test]
    fn a_stored_key_reads_back_as_the_same_key() {
        for alg in Alg::ALL {
            let (key, pkcs8) = SigningKey::generate(alg).unwrap();
            let again = SigningKey::from_pkcs8(alg, &pkcs8).unwrap();
            assert_eq!(key.kid(), again.kid(), "{alg:?}");
            assert_eq!(key.public_jwk(), again.public_jwk());
            let other = if alg == Alg::RS256 {
                Alg::ES256
            } else {
                Alg::RS256
            };
            assert!(
                SigningKey::from_pkcs8(other, &pkcs8).is_err(),
                "{alg:?} read as {other:?}"
            );
            assert!(!format!("{key:?}").contains(&b64(&pkcs8)[..16]));
        }
    }
}
