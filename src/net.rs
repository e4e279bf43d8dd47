//! Who the client is behind the proxies we trust. Throttling and the audit log key on the
//! client's address; behind a TLS-terminating proxy every TCP peer is the proxy, so the
//! client comes from `X-Forwarded-For` (or `Forwarded`), but only when the peer is a proxy we
//! were told to trust: anyone else can write those headers.
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

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

/// What throttles count a client by: an IPv4 address as it is, an IPv6 address by its /64 (one
/// subscriber gets a whole /64, so counting single addresses would give them unlimited tries).
pub fn throttle_key(addr: &str) -> String {
    match addr.parse::<IpAddr>().map(effective) {
        Ok(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(v4) => v4.to_string(),
        Err(_) => addr.to_string(),
    }
}

/// The IPv4 address an IPv6 address carries, for every form that carries one: IPv4-mapped
/// (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`), NAT64 (`64:ff9b::/96`, `64:ff9b:1::/48`)
/// and 6to4 (`2002:aabb:ccdd::/48`). A request to any of them can reach that IPv4 address.
pub fn embedded_ipv4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    if let Some(v4) = v6.to_ipv4_mapped() {
        return Some(v4);
    }
    if s[..6] == [0; 6] && !(s[6] == 0 && s[7] <= 1) {
        return Some(low); // IPv4-compatible (:: and ::1 are IPv6's own)
    }
    if (s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4]) || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) {
        return Some(low);
    }
    if s[0] == 0x2002 {
        return Some(Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8));
    }
    None
}

/// The address a connection really reaches: the embedded IPv4 address where there is one.
pub fn effective(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => embedded_ipv4(v6).map_or(addr, IpAddr::V4),
        IpAddr::V4(_) => addr,
    }
}

/// Whether `addr` is on the public internet: not loopback, private (10/8, 172.16/12,
/// 192.168/16, fc00::/7), link-local (169.254/16, where cloud metadata answers; fe80::/10),
/// shared (100.64/10), benchmarking (198.18/15), unspecified, multicast, broadcast, reserved
/// or documentation space, nor an IPv6 form of any of these (`effective`), nor Teredo.
pub fn is_public(addr: IpAddr) -> bool {
    match effective(addr) {
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
                || (a == 100 && (b & 0xc0) == 64)
                || (a == 198 && (b & 0xfe) == 18)
                || (a == 192 && b == 0 && v4.octets()[2] == 0))
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0
                || (s[0] == 0x2001 && s[1] == 0x0db8)
                || (s[0] == 0x2001 && s[1] == 0)
                || (s[0] == 0x0100 && s[1..4] == [0; 3])
                || s[0] == 0)
        }
    }
}

/// Addresses no outbound request to a user-given URL may reach, whatever the settings:
/// loopback, unspecified, link-local (169.254.169.254 and the other clouds' metadata services
/// live there) and AWS's IPv6 metadata address (`fd00:ec2::254`), in any IPv6 form.
pub fn is_never_allowed(addr: IpAddr) -> bool {
    match effective(addr) {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_unspecified() || v4.is_link_local() || v4.octets()[0] == 0,
        IpAddr::V6(v6) => {
            let s = v6.segments();
            v6.is_loopback() || v6.is_unspecified() || (s[0] & 0xffc0) == 0xfe80 || (s[0] == 0xfd00 && s[1] == 0x0ec2)
        }
    }
}

/// The one rule for every outbound request to a URL a user gave (webhooks; later OpenID
/// discovery and JWKS): public addresses only; `allow_private` adds private networks but never
/// what `is_never_allowed` names; `allow_loopback` adds loopback alone (a receiver on the same
/// machine, as in tests). Err names the address and what it is, for the user.
pub fn outbound_allowed(addr: IpAddr, allow_private: bool, allow_loopback: bool) -> Result<(), String> {
    let reached = effective(addr);
    if reached.is_loopback() && allow_loopback {
        return Ok(());
    }
    if is_never_allowed(reached) {
        return Err(format!("{addr}, a loopback, unspecified or link-local (cloud metadata) address"));
    }
    if is_public(addr) || allow_private {
        return Ok(());
    }
    Err(format!("{addr}, a private or reserved address"))
}

/// Resolves `host` once and returns the address to connect to, refusing the host if any of
/// its addresses breaks `outbound_allowed`: connect to what this returns (never resolve again),
/// so that a DNS answer that changes in between cannot reach a refused address.
pub async fn resolve_outbound(host: &str, port: u16, allow_private: bool, allow_loopback: bool) -> Result<std::net::SocketAddr, String> {
    let bare = host.trim_matches(['[', ']']);
    let addrs: Vec<std::net::SocketAddr> =
        tokio::time::timeout(std::time::Duration::from_secs(5), tokio::net::lookup_host((bare, port)))
            .await
            .map_err(|_| format!("{host} did not resolve within 5 s"))?
            .map_err(|e| format!("{host} does not resolve: {e}"))?
            .collect();
    let first = *addrs.first().ok_or_else(|| format!("{host} has no address"))?;
    for addr in &addrs {
        outbound_allowed(addr.ip(), allow_private, allow_loopback).map_err(|why| format!("{host} resolves to {why}"))?;
    }
    Ok(first)
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
        for public in ["1.1.1.1", "52.94.236.248", "100.128.0.1", "2606:4700::1111", "::ffff:8.8.8.8", "2002:0808:0808::1"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn throttles_count_ipv6_clients_by_their_64() {
        assert_eq!(throttle_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(throttle_key("2001:db8:1:2:ffff:ffff:ffff:ffff"), throttle_key("2001:db8:1:2::9"));
        assert_ne!(throttle_key("2001:db8:1:3::1"), throttle_key("2001:db8:1:2::1"));
        assert_eq!(throttle_key("203.0.113.7"), "203.0.113.7");
        assert_eq!(throttle_key("::ffff:203.0.113.7"), "203.0.113.7");
    }

    /// Every IPv6 form that carries an IPv4 address is judged by that address.
    #[test]
    fn ipv6_forms_of_refused_ipv4_addresses_are_refused() {
        let strict = |a: &str| outbound_allowed(a.parse().unwrap(), false, false);
        for refused in ["::127.0.0.1", "::ffff:127.0.0.1", "64:ff9b::a9fe:a9fe", "64:ff9b::7f00:1", "64:ff9b:1::a00:1",
            "2002:a9fe:a9fe::1", "2002:7f00:1::1", "198.18.0.1", "198.19.255.254", "2001::1", "::a00:1"]
        {
            assert!(strict(refused).is_err(), "{refused} was allowed");
        }
        assert_eq!(effective("64:ff9b::a9fe:a9fe".parse().unwrap()), "169.254.169.254".parse::<IpAddr>().unwrap());
        assert_eq!(effective("2002:a9fe:a9fe::1".parse().unwrap()), "169.254.169.254".parse::<IpAddr>().unwrap());
        assert!(strict("64:ff9b::808:808").is_ok(), "NAT64 of a public address is public");
    }

    /// Allowing private networks never opens loopback, unspecified or metadata addresses.
    #[test]
    fn allowing_private_networks_never_allows_loopback_or_metadata() {
        let private = |a: &str| outbound_allowed(a.parse().unwrap(), true, false);
        for refused in ["127.0.0.1", "::ffff:127.0.0.1", "::127.0.0.1", "0.0.0.0", "::", "169.254.169.254", "fd00:ec2::254",
            "fe80::1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:a9fe:a9fe::1", "0.1.2.3"]
        {
            assert!(private(refused).is_err(), "{refused} was allowed with private networks on");
        }
        for allowed in ["10.0.0.5", "192.168.1.9", "fd12:3456::1", "198.18.0.1", "100.64.0.1"] {
            assert!(private(allowed).is_ok(), "{allowed}");
        }
        assert!(outbound_allowed("127.0.0.1".parse().unwrap(), false, true).is_ok(), "loopback when allowed (tests)");
        assert!(outbound_allowed("169.254.169.254".parse().unwrap(), true, true).is_err());
    }
}
