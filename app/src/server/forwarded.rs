//! Who the client is: the peer's address, or the client named in
//! `X-Forwarded-For` when the peer is one of `AUTOBANK_TRUSTED_PROXIES`.
//! For the audit trail and the throttle.

use std::net::{IpAddr, SocketAddr};

/// The client's address for the audit trail and the throttle.
/// `X-Forwarded-For` is believed only from the configured proxies (a load
/// balancer), and only as far as the nearest hop that is not one of them:
/// anyone can send the header.
pub fn client_address(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    // `::ffff:10.0.0.5` (an IPv4 peer on a dual-stack socket) is 10.0.0.5.
    let mut address = peer?.to_canonical();
    if trusted.contains(&address) {
        for hop in forwarded_for.unwrap_or_default().rsplit(',') {
            let Some(hop) = parse_hop(hop) else {
                break;
            };
            address = hop;
            if !trusted.contains(&hop) {
                break;
            }
        }
    }
    Some(address)
}

/// One hop of `X-Forwarded-For` as proxies write it: `203.0.113.7`,
/// `203.0.113.7:5555`, `2001:db8::1`, `[2001:db8::1]` or
/// `[2001:db8::1]:443`. The port is dropped: the client is the address.
pub fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    let ip = hop
        .parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| hop.strip_prefix('[')?.strip_suffix(']')?.parse().ok())?;
    Some(ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(peer: Option<IpAddr>, xff: Option<&str>, trusted: &[IpAddr]) -> Option<String> {
        client_address(peer, xff, trusted).map(|ip| ip.to_string())
    }

    #[test]
    fn forwarded_hops_with_ports_and_brackets_name_the_client() {
        let lb: IpAddr = "10.0.0.5".parse().unwrap();
        for (hop, client) in [
            ("203.0.113.7:5555", "203.0.113.7"),
            ("[2001:db8::1]", "2001:db8::1"),
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("2001:db8::1", "2001:db8::1"),
            (" 203.0.113.7 ", "203.0.113.7"),
            ("[::ffff:203.0.113.7]:80", "203.0.113.7"),
        ] {
            assert_eq!(
                addr(Some(lb), Some(hop), &[lb]).as_deref(),
                Some(client),
                "{hop}"
            );
        }
        for junk in [
            "203.0.113.7:",
            "[2001:db8::1",
            "2001:db8::1]:443",
            "unknown",
            "_hidden",
        ] {
            assert_eq!(parse_hop(junk), None, "{junk}");
        }
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let lb: IpAddr = "10.0.0.5".parse().unwrap();
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        let xff = Some("198.51.100.1, 203.0.113.7");
        assert_eq!(addr(Some(lb), xff, &[lb]).as_deref(), Some("203.0.113.7"));
        assert_eq!(
            addr(Some(client), xff, &[lb]).as_deref(),
            Some("203.0.113.7"),
            "not from a proxy: ignored"
        );
        assert_eq!(
            addr(Some(lb), xff, &[]).as_deref(),
            Some("10.0.0.5"),
            "no proxies trusted"
        );
        assert_eq!(
            addr(Some(lb), Some("garbage"), &[lb]).as_deref(),
            Some("10.0.0.5")
        );
        assert_eq!(addr(Some(lb), None, &[lb]).as_deref(), Some("10.0.0.5"));
    }

    #[test]
    fn mapped_peers_and_client_written_header_lines_are_handled() {
        let lb: IpAddr = "10.0.0.5".parse().unwrap();
        let mapped: IpAddr = "::ffff:10.0.0.5".parse().unwrap();
        let xff = Some("198.51.100.1, 203.0.113.7");
        assert_eq!(
            addr(Some(mapped), xff, &[lb]).as_deref(),
            Some("203.0.113.7")
        );
        // The client's own line comes first; the proxy's appended one wins.
        let lines = Some("6.6.6.6,203.0.113.7");
        assert_eq!(addr(Some(lb), lines, &[lb]).as_deref(), Some("203.0.113.7"));
    }
}
