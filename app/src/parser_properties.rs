//! Property tests: every parser of outside input (form fields, cookies,
//! headers, codes, the clock) takes anything without panicking, and what
//! it accepts has the shape the rest of the code relies on. Bounded: 512
//! cases each.

use crate::domain::{LoginId, NextPath, OtpCode, Password};
use crate::server::forwarded::{client_address, parse_hop};
use crate::server::labels::browser_label;
use crate::server::request::cookie;
use crate::server::session::Token;
use crate::server::totp::TotpSecret;
use axum::http::{header, HeaderMap, HeaderValue};
use proptest::prelude::*;
use std::net::IpAddr;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Strings that reach for the edges: any Unicode, full-width forms,
/// controls, separators and long runs.
fn input() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9０-９ \\-./\\\\:;,=%@_a-zA-Zａ-ｚ\u{0}-\u{1f}\u{200b}\u{feff}]{0,300}",
        proptest::collection::vec(any::<char>(), 250..270).prop_map(|c| c.into_iter().collect()),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn login_ids(raw in input()) {
        if let Ok(id) = LoginId::parse(&raw) {
            prop_assert_eq!(id.as_str(), raw.trim().to_lowercase());
            prop_assert!(!id.as_str().is_empty());
        }
        if let Ok(id) = LoginId::parse_new(&raw) {
            prop_assert!((3..=64).contains(&id.as_str().len()));
            prop_assert!(id.as_str().chars().all(|c| c.is_ascii_lowercase()
                || c.is_ascii_digit() || "._-@".contains(c)));
        }
    }

    #[test]
    fn passwords(raw in input()) {
        if let Ok(password) = Password::parse(&raw) {
            prop_assert_eq!(password.expose(), raw.as_str());
            prop_assert!(raw.chars().count() <= crate::domain::MAX_INPUT_CHARS);
        }
    }

    #[test]
    fn one_time_codes(raw in input()) {
        if let Ok(code) = OtpCode::parse(&raw) {
            prop_assert_eq!(code.as_str().len(), 6);
            prop_assert!(code.as_str().bytes().all(|b| b.is_ascii_digit()));
        }
    }

    #[test]
    fn six_digits_with_spaces_are_a_code(digits in "[0-9]{6}", gap in 0usize..6) {
        let spaced = format!("{} {}", &digits[..gap], &digits[gap..]);
        let code = OtpCode::parse(&spaced).unwrap();
        prop_assert_eq!(code.as_str(), digits.as_str());
    }

    #[test]
    fn next_paths_stay_on_this_site(raw in input()) {
        let next = NextPath::parse(&raw);
        let path = next.as_str();
        prop_assert!(path.starts_with('/'));
        prop_assert!(!path.starts_with("//") && !path.starts_with("/\\"));
        prop_assert!(!path.starts_with("/api/"));
        prop_assert!(!path.chars().any(|c| c.is_control() || c == '\\'));
    }

    #[test]
    fn cookie_headers(raw in proptest::collection::vec(any::<u8>(), 0..600), name in input()) {
        let mut headers = HeaderMap::new();
        if let Ok(value) = HeaderValue::from_bytes(&raw) {
            headers.append(header::COOKIE, value);
        }
        // Whatever comes back was in the header, right after `name=`.
        for name in [name.as_str(), "__Host-autobank_session"] {
            if let Some(found) = cookie(&headers, name) {
                let text = String::from_utf8_lossy(&raw);
                prop_assert!(text.contains(&format!("{name}={found}")), "{name:?} → {found:?}");
            }
        }
    }

    #[test]
    fn a_cookie_is_found_among_others_wherever_it_stands(
        name in "[A-Za-z_-][A-Za-z0-9_-]{0,40}",
        value in "[A-Za-z0-9_-]{0,60}",
        before in proptest::collection::vec(("[a-z]{1,8}", "[a-z0-9]{0,8}"), 0..4),
        after in proptest::collection::vec(("[a-z]{1,8}", "[a-z0-9]{0,8}"), 0..4),
    ) {
        // Other cookies with other names, then ours, then more.
        let others = |pairs: &[(String, String)]| {
            pairs
                .iter()
                .filter(|(k, _)| k != &name)
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
        };
        let mut parts = others(&before);
        parts.push(format!("{name}={value}"));
        parts.extend(others(&after));
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_str(&parts.join("; ")).unwrap());
        prop_assert_eq!(cookie(&headers, &name), Some(value.as_str()));
        prop_assert_eq!(cookie(&headers, &format!("{name}x")), None);
    }

    #[test]
    fn tokens(raw in input()) {
        if let Some(token) = Token::parse(&raw) {
            prop_assert_eq!(token.expose().len(), 43);
        }
    }

    #[test]
    fn totp_checks_at_any_time(time in any::<u64>(), raw in "[0-9]{6}", key in proptest::collection::vec(any::<u8>(), 20)) {
        let secret = TotpSecret::from_bytes(key);
        let code = OtpCode::parse(&raw).unwrap();
        let _ = secret.verify(&code, time);
        let now = secret.code_at(time.min(u64::MAX / 2));
        prop_assert_eq!(now.len(), 6);
    }

    #[test]
    fn forwarded_for_and_user_agents(xff in input(), ua in input(), peer in any::<IpAddr>(), trust in any::<bool>()) {
        let trusted = if trust { vec![peer.to_canonical()] } else { vec![] };
        let address = client_address(Some(peer), Some(&xff), &trusted).unwrap();
        // The peer itself, unless it is a trusted proxy and the header
        // names a client: then a hop of the header.
        let hops: Vec<IpAddr> = xff.split(',').filter_map(parse_hop).collect();
        prop_assert!(address == peer.to_canonical() || (trust && hops.contains(&address)));
        let label = browser_label(&ua);
        prop_assert!(!label.is_empty() && label.chars().count() <= 64);
    }
}
