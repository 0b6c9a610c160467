//! One-time codes: RFC 6238 with SHA-1, 6 digits and a 30-second step,
//! the only form older Google and Microsoft Authenticator versions read.

use crate::domain::{percent_encode, OtpCode};
use rand::RngCore;
use totp_rs::{Algorithm, Secret, TOTP};

pub const STEP_SECS: u64 = 30;
pub const DIGITS: usize = 6;
/// Secrets are 160 bits, as RFC 4226 recommends.
pub const SECRET_LEN: usize = 20;
pub const ISSUER: &str = "autoBank";

/// A TOTP secret. Its `Debug` hides it; it is never serialised.
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(<redacted>)")
    }
}

impl TotpSecret {
    /// 20 bytes from the operating system's random source.
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; SECRET_LEN];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// RFC 4648 Base32 without padding, as authenticator apps expect.
    pub fn base32(&self) -> String {
        match Secret::Raw(self.0.clone()).to_encoded() {
            Secret::Encoded(s) => s,
            Secret::Raw(_) => unreachable!("to_encoded gives an encoded secret"),
        }
    }

    fn totp(&self) -> TOTP {
        TOTP::new_unchecked(Algorithm::SHA1, DIGITS, 0, STEP_SECS, self.0.clone())
    }

    /// The code for the step that contains `unix_time`.
    pub fn code_at(&self, unix_time: u64) -> String {
        self.totp().generate(unix_time)
    }

    /// The step a correct code belongs to: the current one or one either
    /// side (clock drift of up to 30 seconds), compared in constant time.
    pub fn verify(&self, code: &OtpCode, unix_time: u64) -> Option<i64> {
        let current = unix_time / STEP_SECS;
        let totp = self.totp();
        let mut matched = None;
        for step in [
            current.saturating_sub(1),
            current,
            current.saturating_add(1),
        ] {
            let Some(at) = step.checked_mul(STEP_SECS) else {
                continue;
            };
            let expected = totp.generate(at);
            if constant_time_eq(expected.as_bytes(), code.as_str().as_bytes()) {
                matched = Some(step as i64);
            }
        }
        matched
    }

    /// `otpauth://totp/autoBank:LOGIN_ID?secret=...&issuer=autoBank&...`
    pub fn otpauth_url(&self, login_id: &str) -> String {
        format!(
            "otpauth://totp/{ISSUER}:{account}?secret={secret}&issuer={ISSUER}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
            account = percent_encode(login_id),
            secret = self.base32(),
        )
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The key in groups of four, for typing by hand.
pub fn group_in_fours(key: &str) -> String {
    key.as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).expect("Base32 is ASCII"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The QR code of `data` as an inline SVG, drawn on the server.
pub fn qr_svg(data: &str) -> String {
    use qrcode::render::svg;
    let svg = qrcode::QrCode::with_error_correction_level(data, qrcode::EcLevel::M)
        .expect("an otpauth URL fits in a QR code")
        .render::<svg::Color>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    // Inline in HTML: drop the XML declaration.
    match svg.find("<svg") {
        Some(start) => svg[start..].to_owned(),
        None => svg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(b"12345678901234567890".to_vec())
    }

    fn code(s: &str) -> OtpCode {
        OtpCode::parse(s).unwrap()
    }

    /// RFC 6238 appendix B, SHA-1: the 8-digit values truncated to 6
    /// (the truncation is modulo 10^digits, so the last six digits match).
    #[test]
    fn matches_the_rfc_6238_sha1_test_vectors() {
        for (time, eight_digits) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(
                rfc_secret().code_at(time),
                &eight_digits[2..],
                "time {time}"
            );
            let step = (time / 30) as i64;
            assert_eq!(
                rfc_secret().verify(&code(&eight_digits[2..]), time),
                Some(step)
            );
        }
    }

    #[test]
    fn one_step_of_drift_is_accepted_two_are_not() {
        let now = 1_234_567_890;
        let s = rfc_secret();
        let current = s.code_at(now);
        assert!(
            s.verify(&code(&current), now + 30).is_some(),
            "a step behind"
        );
        assert!(
            s.verify(&code(&current), now - 30).is_some(),
            "a step ahead"
        );
        assert_eq!(
            s.verify(&code(&current), now + 60),
            None,
            "two steps behind"
        );
        assert_eq!(s.verify(&code(&current), now - 60), None, "two steps ahead");
    }

    #[test]
    fn full_width_and_spaced_codes_verify() {
        let s = rfc_secret();
        let now = 1_111_111_109; // code 081804
        assert!(s.verify(&code("０８１ ８０４"), now).is_some());
        assert!(s.verify(&code("081 804"), now).is_some());
        assert_eq!(s.verify(&code("081805"), now), None);
    }

    #[test]
    fn the_otpauth_url_has_what_the_apps_read() {
        let url = rfc_secret().otpauth_url("dealer01");
        assert_eq!(
            url,
            "otpauth://totp/autoBank:dealer01?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=autoBank&algorithm=SHA1&digits=6&period=30"
        );
        assert_eq!(group_in_fours("GEZDGNBVGY"), "GEZD GNBV GY");
    }

    #[test]
    fn new_secrets_are_160_random_bits_and_hidden_from_debug() {
        let (a, b) = (TotpSecret::generate(), TotpSecret::generate());
        assert_eq!(a.expose().len(), 20);
        assert_ne!(a, b);
        assert_eq!(format!("{a:?}"), "TotpSecret(<redacted>)");
    }

    #[test]
    fn the_qr_code_is_an_svg() {
        let svg = qr_svg(&rfc_secret().otpauth_url("dealer01"));
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(svg.ends_with("</svg>"));
    }
}
