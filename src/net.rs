//! Who the client is behind the proxies we trust. Throttling and the audit log key on the
//! client's address; behind a TLS-terminating proxy every TCP peer is the proxy, so the
//! client comes from `X-Forwarded-For` (or `Forwarded`), but only when the peer is a proxy we
//! were told to trust: anyone else can write those headers.
use std::net::IpAddr;

use axum::http::HeaderMap;

/// An address block (`10.0.0.0/8`, `2001:db8::/32`, or one address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (text, None),
        };
        let network: IpAddr = addr.parse().map_err(|_| format!("`{text}` is not an address or CIDR block"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| format!("`{text}` has a bad prefix length"))?,
        };
        Ok(Cidr { network, prefix })
    }

    /// A comma-separated list, as `XOPS_TRUSTED_PROXIES` holds it.
    pub fn parse_list(text: &str) -> Result<Vec<Cidr>, String> {
        text.split(',').filter(|s| !s.trim().is_empty()).map(Cidr::parse).collect()
    }

    pub fn contains(&self, addr: IpAddr) -> bool {
        // An IPv4 client seen through an IPv6 socket (::ffff:a.b.c.d) is that IPv4 client.
        let addr = match addr {
            IpAddr::V6(v6) if self.network.is_ipv4() => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
            _ => addr,
        };
        let prefix = u32::from(self.prefix);
        let same_prefix = |a: u128, b: u128, width: u32| prefix == 0 || (a ^ b) >> (width - prefix) == 0;
        match (self.network, addr) {
            (IpAddr::V4(n), IpAddr::V4(a)) => same_prefix(u32::from(n).into(), u32::from(a).into(), 32),
            (IpAddr::V6(n), IpAddr::V6(a)) => same_prefix(n.into(), a.into(), 128),
            _ => false,
        }
    }
}

/// The client's address: the TCP peer, unless the peer is a trusted proxy; then the right-most
/// address in the forwarding headers that is not itself a trusted proxy (the left-most if all
/// are). Unparseable entries stop the walk there: what is left of them is the client's to write.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[Cidr]) -> IpAddr {
    let is_trusted = |addr: IpAddr| trusted.iter().any(|c| c.contains(addr));
    if !is_trusted(peer) {
        return peer;
    }
    let hops = forwarded_hops(headers);
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop {
            Some(addr) => {
                client = *addr;
                if !is_trusted(*addr) {
                    return client;
                }
            }
            None => return client,
        }
    }
    client
}

/// The addresses of `X-Forwarded-For`, else of `Forwarded`'s `for=` parameters, left to right
/// (None for an entry that is not an address: `unknown`, an obfuscated name).
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let joined = |name: &str| {
        headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join(",")
    };
    let xff = joined("x-forwarded-for");
    if !xff.trim().is_empty() {
        return xff.split(',').map(|hop| parse_hop(hop.trim())).collect();
    }
    joined("forwarded")
        .split(',')
        .filter_map(|element| {
            element.split(';').find_map(|pair| {
                let (key, value) = pair.split_once('=')?;
                key.trim().eq_ignore_ascii_case("for").then(|| parse_hop(value.trim().trim_matches('"')))
            })
        })
        .collect()
}

/// `203.0.113.7`, `203.0.113.7:4711`, `[2001:db8::1]:4711` or `2001:db8::1`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(addr) = hop.parse::<IpAddr>() {
        return Some(addr);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    hop.rsplit_once(':').and_then(|(addr, _port)| addr.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap_or_else(|e| panic!("{e}")));
        }
        h
    }

    #[test]
    fn blocks_contain_their_addresses_only() {
        let net = Cidr::parse("10.1.0.0/16").unwrap_or_else(|e| panic!("{e}"));
        assert!(net.contains(ip("10.1.200.3")) && !net.contains(ip("10.2.0.1")));
        assert!(net.contains(ip("::ffff:10.1.0.9")), "IPv4-mapped IPv6");
        assert!(Cidr::parse("127.0.0.1").is_ok_and(|c| c.contains(ip("127.0.0.1")) && !c.contains(ip("127.0.0.2"))));
        assert!(Cidr::parse("2001:db8::/32").is_ok_and(|c| c.contains(ip("2001:db8:ffff::1"))));
        assert!(Cidr::parse("0.0.0.0/0").is_ok_and(|c| c.contains(ip("8.8.8.8")) && !c.contains(ip("::1"))));
        for bad in ["10.0.0.0/33", "nonsense", "10.0.0.0/x"] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let proxies = Cidr::parse_list("10.0.0.0/8, 127.0.0.1").unwrap_or_default();
        let xff = headers(&[("x-forwarded-for", "198.51.100.1, 203.0.113.7, 10.0.0.5")]);
        // The right-most untrusted hop: what the client wrote further left is not believed.
        assert_eq!(client_ip(ip("10.0.0.2"), &xff, &proxies), ip("203.0.113.7"));
        assert_eq!(client_ip(ip("192.0.2.9"), &xff, &proxies), ip("192.0.2.9"), "an untrusted peer's headers are ignored");
        assert_eq!(client_ip(ip("10.0.0.2"), &headers(&[]), &proxies), ip("10.0.0.2"));
        let forwarded = headers(&[("forwarded", "for=198.51.100.1;proto=https, for=\"[2001:db8::7]:4711\"")]);
        assert_eq!(client_ip(ip("127.0.0.1"), &forwarded, &proxies), ip("2001:db8::7"));
        let garbage = headers(&[("x-forwarded-for", "203.0.113.7, unknown")]);
        assert_eq!(client_ip(ip("10.0.0.2"), &garbage, &proxies), ip("10.0.0.2"), "the walk stops at garbage");
        assert_eq!(client_ip(ip("10.0.0.2"), &xff, &[]), ip("10.0.0.2"), "no proxies trusted: the peer");
    }
}

/// Whether `addr` is on the public internet: not loopback, private (10/8, 172.16/12,
/// 192.168/16, fc00::/7), link-local (169.254/16, where cloud metadata answers; fe80::/10),
/// shared (100.64/10), unspecified, multicast, broadcast, reserved or documentation space.
/// Webhooks go only to such addresses unless a setting allows more (SSRF).
pub fn is_public(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_multicast()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || a >= 240
                || (a == 100 && (b & 0xc0) == 64))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || (first == 0x2001 && v6.segments()[1] == 0x0db8))
        }
    }
}

#[cfg(test)]
mod public_tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
            "255.255.255.255", "224.0.0.1", "::1", "fd00::1", "fe80::1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "2001:db8::1"]
        {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["1.1.1.1", "52.94.236.248", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }
}
