//! Whose request this is, by network address. Behind a reverse proxy the TCP peer is the proxy,
//! so every client would share its address: in the audit logs, the sessions list and every
//! per-address limit, where one client's failures would lock out everyone. When the peer is a
//! proxy we trust (`OPS_TRUSTED_PROXIES`), the client is the right-most address in the proxy's
//! forwarding header that is not itself a trusted proxy: entries further left were written by
//! whoever sent the request, who can write anything. From any other peer the header is ignored.
//!
//! Resolved once per request, by [`resolve_client_addr`], into the request's extensions as
//! [`ClientAddr`], which is all the rest of the server reads.

use std::{
    fmt,
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
};

use app::request::ClientAddr;
use axum::{
    extract::{ConnectInfo, Request, State},
    http::HeaderMap,
    middleware::Next,
    response::Response,
};
use ipnet::IpNet;

/// The proxies whose forwarding header we believe: addresses and CIDR ranges.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Addresses and ranges separated by commas or spaces, such as `10.0.0.0/8, ::1`.
    pub fn parse(v: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for entry in v.split([',', ' ', '\t', '\n']).filter(|e| !e.is_empty()) {
            let net = if entry.contains('/') {
                let net: IpNet = entry.parse().map_err(|_| {
                    format!("`{entry}` is not a CIDR range such as 10.0.0.0/8 or fd00::/8")
                })?;
                if net != net.trunc() {
                    return Err(format!(
                        "`{entry}` has bits set past its prefix; did you mean {}?",
                        net.trunc()
                    ));
                }
                if net.prefix_len() == 0 {
                    // Every address a proxy would let any client name its own address.
                    return Err(format!(
                        "`{entry}` trusts every address; name the proxies themselves"
                    ));
                }
                net
            } else {
                let ip: IpAddr = entry.parse().map_err(|_| {
                    format!("`{entry}` is not an IP address or a CIDR range such as 10.0.0.0/8")
                })?;
                IpNet::from(ip.to_canonical())
            };
            nets.push(net);
        }
        Ok(Self(nets))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for TrustedProxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nets: Vec<String> = self.0.iter().map(IpNet::to_string).collect();
        f.write_str(&nets.join(", "))
    }
}

/// Which header the trusted proxies write. Only that one is read: a proxy that writes one
/// passes the other on as the client sent it, forged or not.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ForwardedHeader {
    /// `X-Forwarded-For: client, proxy1, proxy2` (nginx, HAProxy, most load balancers).
    #[default]
    XForwardedFor,
    /// RFC 7239: `Forwarded: for=client, for="[2001:db8::1]:4711"`.
    Forwarded,
}

impl ForwardedHeader {
    pub fn parse(v: &str) -> Result<Self, String> {
        match v.to_ascii_lowercase().as_str() {
            "x-forwarded-for" => Ok(Self::XForwardedFor),
            "forwarded" => Ok(Self::Forwarded),
            _ => Err("expected `x-forwarded-for` or `forwarded`".into()),
        }
    }

    /// Each hop the header names, from the original client (left) to the nearest proxy
    /// (right); `None` for an entry that names no address we can read.
    fn hops(self, headers: &HeaderMap) -> Vec<Option<IpAddr>> {
        let name = match self {
            Self::XForwardedFor => "x-forwarded-for",
            Self::Forwarded => "forwarded",
        };
        // Several header lines are one list, in order.
        let mut hops = Vec::new();
        for value in headers.get_all(name) {
            let Ok(value) = value.to_str() else {
                hops.push(None);
                continue;
            };
            match self {
                Self::XForwardedFor => hops.extend(value.split(',').map(parse_node)),
                Self::Forwarded => hops.extend(split_outside_quotes(value, ',').map(|element| {
                    split_outside_quotes(element, ';')
                        .filter_map(|pair| pair.split_once('='))
                        .find(|(name, _)| name.trim().eq_ignore_ascii_case("for"))
                        .and_then(|(_, node)| parse_node(&unquote(node.trim())?))
                })),
            }
        }
        hops
    }
}

/// How the client's address is found.
#[derive(Clone, Debug, Default)]
pub struct ProxyPolicy {
    pub trusted: TrustedProxies,
    pub header: ForwardedHeader,
}

impl ProxyPolicy {
    /// The client's address: the peer itself, unless the peer is a trusted proxy; then the
    /// right-most hop in its header that is not a trusted proxy. An entry that cannot be read
    /// ends the walk at the nearest address we could vouch for, and a chain of trusted proxies
    /// only ends at its left-most one.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusted.contains(client) {
            return client;
        }
        for hop in self.header.hops(headers).into_iter().rev() {
            let Some(ip) = hop else {
                return client;
            };
            client = ip.to_canonical();
            if !self.trusted.contains(client) {
                return client;
            }
        }
        client
    }
}

/// One node of either header: `192.0.2.1`, `192.0.2.1:443`, `2001:db8::1`, `[2001:db8::1]`,
/// `[2001:db8::1]:443`, with or without surrounding spaces; anything else (`unknown`, an
/// obfuscated `_hidden`, a host name) is `None`.
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim();
    if let Some(rest) = node.strip_prefix('[') {
        let (addr, after) = rest.split_once(']')?;
        if !(after.is_empty() || after.strip_prefix(':').is_some_and(is_port)) {
            return None;
        }
        return addr.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip);
    }
    let (host, port) = node.rsplit_once(':')?;
    if !is_port(port) {
        return None;
    }
    host.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
}

/// A port number, or RFC 7239's obfuscated port (`_` and letters, digits, `.`, `_`, `-`).
fn is_port(port: &str) -> bool {
    match port.strip_prefix('_') {
        Some(obfuscated) => {
            !obfuscated.is_empty()
                && obfuscated
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        }
        None => {
            !port.is_empty()
                && port.len() <= 5
                && port.chars().all(|c| c.is_ascii_digit())
                && port.parse::<u32>().is_ok_and(|p| p <= 65535)
        }
    }
}

/// `value` split at `sep`, except inside double quotes.
fn split_outside_quotes(value: &str, sep: char) -> impl Iterator<Item = &str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                parts.push(&value[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&value[start..]);
    parts.into_iter()
}

/// A token, or a quoted string with its escapes undone; `None` for an unterminated quote.
fn unquote(value: &str) -> Option<String> {
    let Some(inner) = value.strip_prefix('"') else {
        return Some(value.to_string());
    };
    let inner = inner.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' { chars.next()? } else { c });
    }
    Some(out)
}

/// Puts the request's [`ClientAddr`] in its extensions, for everything inside to read.
pub async fn resolve_client_addr(
    State(policy): State<Arc<ProxyPolicy>>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(peer) = peer {
        let client = policy.client(peer, request.headers());
        request.extensions_mut().insert(ClientAddr(client));
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(trusted: &str, header: ForwardedHeader) -> ProxyPolicy {
        ProxyPolicy {
            trusted: TrustedProxies::parse(trusted).unwrap(),
            header,
        }
    }

    fn headers(name: &'static str, values: &[&str]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for v in values {
            map.append(name, v.parse().unwrap());
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    const XFF: ForwardedHeader = ForwardedHeader::XForwardedFor;
    const FWD: ForwardedHeader = ForwardedHeader::Forwarded;

    #[test]
    fn from_an_untrusted_peer_the_header_is_ignored() {
        let p = policy("10.0.0.1", XFF);
        let h = headers("x-forwarded-for", &["203.0.113.9"]);
        assert_eq!(p.client(ip("198.51.100.7"), &h), ip("198.51.100.7"));
        let nobody = ProxyPolicy::default();
        assert_eq!(nobody.client(ip("10.0.0.1"), &h), ip("10.0.0.1"));
    }

    #[test]
    fn the_right_most_untrusted_entry_is_the_client() {
        let p = policy("10.0.0.0/8", XFF);
        // The client forged the first entry; our proxies appended the rest.
        let h = headers("x-forwarded-for", &["1.1.1.1, 198.51.100.7, 10.0.0.2"]);
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("198.51.100.7"));
        // The same list over several header lines.
        let h = headers("x-forwarded-for", &["1.1.1.1", "198.51.100.7,10.0.0.2"]);
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("198.51.100.7"));
    }

    #[test]
    fn a_trusted_peer_without_a_header_is_the_client() {
        let p = policy("10.0.0.1", XFF);
        assert_eq!(p.client(ip("10.0.0.1"), &HeaderMap::new()), ip("10.0.0.1"));
    }

    #[test]
    fn a_chain_of_trusted_addresses_ends_at_its_left_most() {
        let p = policy("10.0.0.0/8", XFF);
        let h = headers("x-forwarded-for", &["10.1.1.1, 10.0.0.2"]);
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("10.1.1.1"));
    }

    #[test]
    fn an_unreadable_entry_stops_at_the_nearest_address_vouched_for() {
        let p = policy("10.0.0.0/8", XFF);
        for garbage in [
            "evil.example, 10.0.0.2",
            "unknown, 10.0.0.2",
            ", 10.0.0.2",
            "300.1.1.1, 10.0.0.2",
            "10.0.0.2:99999, 10.0.0.2",
        ] {
            let h = headers("x-forwarded-for", &[garbage]);
            assert_eq!(p.client(ip("10.0.0.1"), &h), ip("10.0.0.2"), "{garbage}");
        }
        // Garbage from the client, left of an untrusted entry, is never reached.
        let h = headers("x-forwarded-for", &["<script>, 198.51.100.7"]);
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("198.51.100.7"));
        let h = headers("x-forwarded-for", &["garbage"]);
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("10.0.0.1"));
    }

    #[test]
    fn ports_and_ipv6_are_understood() {
        let p = policy("10.0.0.1, fd00::/8", XFF);
        for (entry, expected) in [
            ("198.51.100.7:5123", "198.51.100.7"),
            ("2001:db8::7", "2001:db8::7"),
            ("[2001:db8::7]", "2001:db8::7"),
            ("[2001:db8::7]:443", "2001:db8::7"),
            (" 198.51.100.7 ", "198.51.100.7"),
            // An IPv4 client seen through an IPv6 socket is the IPv4 address.
            ("::ffff:198.51.100.7", "198.51.100.7"),
        ] {
            let h = headers("x-forwarded-for", &[entry]);
            assert_eq!(p.client(ip("10.0.0.1"), &h), ip(expected), "{entry}");
        }
        let h = headers("x-forwarded-for", &["2001:db8::7, fd00::2"]);
        assert_eq!(p.client(ip("fd00::1"), &h), ip("2001:db8::7"));
        // The peer itself, through an IPv6 socket.
        let h = headers("x-forwarded-for", &["198.51.100.7"]);
        assert_eq!(p.client(ip("::ffff:10.0.0.1"), &h), ip("198.51.100.7"));
        assert_eq!(
            ProxyPolicy::default().client(ip("::ffff:10.0.0.1"), &HeaderMap::new()),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn the_forwarded_header_is_read_per_rfc_7239() {
        let p = policy("10.0.0.0/8", FWD);
        let h = headers(
            "forwarded",
            &[
                r#"for=1.1.1.1, For="[2001:db8:cafe::17]:4711";proto=https;by=10.0.0.2, for=10.0.0.2"#,
            ],
        );
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("2001:db8:cafe::17"));
        let h = headers("forwarded", &["proto=https;for=198.51.100.7:80"]);
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("198.51.100.7"));
        // A comma inside a quoted value does not split the element.
        let h = headers(
            "forwarded",
            &[r#"for="198.51.100.7";host="a,b", for=10.0.0.2"#],
        );
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("198.51.100.7"));
        for unreadable in [
            "for=unknown, for=10.0.0.2",
            "for=_hidden, for=10.0.0.2",
            "proto=https, for=10.0.0.2",
        ] {
            let h = headers("forwarded", &[unreadable]);
            assert_eq!(p.client(ip("10.0.0.1"), &h), ip("10.0.0.2"), "{unreadable}");
        }
        // An unterminated quote leaves nothing readable: the peer itself.
        let h = headers("forwarded", &[r#"for="[2001:db8::1, for=10.0.0.2"#]);
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("10.0.0.1"));
    }

    #[test]
    fn only_the_configured_header_is_read() {
        let both = {
            let mut h = headers("x-forwarded-for", &["198.51.100.7"]);
            h.append("forwarded", "for=203.0.113.9".parse().unwrap());
            h
        };
        assert_eq!(
            policy("10.0.0.1", XFF).client(ip("10.0.0.1"), &both),
            ip("198.51.100.7")
        );
        assert_eq!(
            policy("10.0.0.1", FWD).client(ip("10.0.0.1"), &both),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn trusted_proxies_are_addresses_and_ranges() {
        let t = TrustedProxies::parse("10.0.0.0/8, 192.0.2.1 ::1\tfd00::/8").unwrap();
        for inside in [
            "10.200.0.1",
            "192.0.2.1",
            "::1",
            "fd00::5",
            "::ffff:10.0.0.1",
        ] {
            assert!(t.contains(ip(inside)), "{inside}");
        }
        for outside in ["11.0.0.1", "192.0.2.2", "::2", "fe80::1"] {
            assert!(!t.contains(ip(outside)), "{outside}");
        }
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert_eq!(t.to_string(), "10.0.0.0/8, 192.0.2.1/32, ::1/128, fd00::/8");
    }

    #[test]
    fn malformed_trusted_proxies_say_what_is_wrong() {
        let err = |v: &str| TrustedProxies::parse(v).unwrap_err();
        assert!(err("10.0.0.0/33").contains("`10.0.0.0/33` is not a CIDR range"));
        assert!(err("proxy.internal").contains("is not an IP address"));
        assert!(err("10.0.0.1/8").contains("did you mean 10.0.0.0/8?"));
        assert!(err("0.0.0.0/0").contains("trusts every address"));
        assert!(err("::/0").contains("trusts every address"));
        assert!(err("10.0.0.1;10.0.0.2").contains("is not an IP address"));
    }
}
