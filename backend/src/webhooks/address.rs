//! Where a webhook may go (SSRF, SPEC §10): only to public addresses, unless
//! `WEBHOOK_ALLOW_PRIVATE=true`. Refused: loopback, private (RFC 1918, IPv6
//! unique local), link-local, multicast, unspecified, and the other
//! non-global ranges below, for IPv4 and IPv6 alike, including IPv4 inside
//! IPv6 (`[::ffff:127.0.0.1]`, NAT64, 6to4).
//!
//! Two checks, one rule ([`is_forbidden`]):
//! - the URL's host when it is an address, when the endpoint is added and
//!   again at each delivery. The URL is parsed the WHATWG way (the `url`
//!   crate, as browsers do), so `http://2130706433/`, `http://0177.0.0.1/`
//!   and `http://0x7f.1/` are all 127.0.0.1 and refused;
//! - a host name at each delivery, by [`GuardedResolver`], the HTTP
//!   client's resolver: every address the name resolves to is checked, and
//!   the client connects only to the addresses it returns, so a name cannot
//!   resolve to a public address for the check and a private one for the
//!   connection (no time-of-check/time-of-use gap, no DNS rebinding).
//!   Names are not resolved when the endpoint is added: what they resolve
//!   to then says nothing about later.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use url::{Host, Url};

/// The longest endpoint URL accepted.
pub const MAX_URL_LEN: usize = 2000;

/// Why an endpoint URL is refused (the text the form shows).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlProblem {
    #[error("Enter a URL such as https://example.com/webhooks.")]
    Malformed,
    #[error("The URL must start with https:// or http://.")]
    Scheme,
    #[error("The URL must not contain a user name or password.")]
    Credentials,
    #[error("The URL must not have a fragment (#…).")]
    Fragment,
    #[error("The URL is too long (at most 2000 characters).")]
    TooLong,
    #[error("The URL points to a loopback, private, link-local, multicast or unspecified address.")]
    PrivateAddress,
}

/// True for addresses a webhook may not reach without
/// `WEBHOOK_ALLOW_PRIVATE`.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_forbidden_v4(v4),
        IpAddr::V6(v6) => is_forbidden_v6(v6),
    }
}

fn is_forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || a == 0 // "this network", 0.0.0.0/8
        || ip.is_loopback() // 127/8
        || ip.is_private() // 10/8, 172.16/12, 192.168/16
        || ip.is_link_local() // 169.254/16
        || ip.is_multicast() // 224/4
        || ip.is_broadcast()
        || a >= 240 // reserved 240/4
        || (a == 100 && (64..128).contains(&b)) // shared (CGNAT) 100.64/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments 192.0.0/24
        || (a == 198 && (b == 18 || b == 19)) // benchmarking 198.18/15
}

fn is_forbidden_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = embedded_v4(ip) {
        return is_forbidden_v4(v4);
    }
    let first = ip.segments()[0];
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast() // ff00::/8
        || (first & 0xfe00) == 0xfc00 // unique local fc00::/7
        || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (first & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
}

/// The IPv4 address inside an IPv6 one that carries one: mapped
/// (`::ffff:a.b.c.d`), compatible (`::a.b.c.d`, deprecated), NAT64
/// (`64:ff9b::a.b.c.d`) and 6to4 (`2002:aabb:ccdd::`).
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return Some(v4);
    }
    let segments = ip.segments();
    let octets = ip.octets();
    let tail = Ipv4Addr::new(octets[12], octets[13], octets[14], octets[15]);
    if segments[..6] == [0; 6] && !ip.is_loopback() && !ip.is_unspecified() {
        return Some(tail);
    }
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return Some(tail);
    }
    if segments[0] == 0x2002 {
        return Some(Ipv4Addr::new(octets[2], octets[3], octets[4], octets[5]));
    }
    None
}

/// The address the URL's host is, if it is one.
pub fn literal_address(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        Host::Domain(_) => None,
    }
}

/// Parses an endpoint URL: http(s), a host, no credentials or fragment, an
/// address host only if allowed (see the module doc). Returns the URL as
/// it will be called (normalised: `http://0177.0.0.1/` reads
/// `http://127.0.0.1/`).
///
/// # Errors
/// The [`UrlProblem`] to show.
pub fn parse_endpoint_url(text: &str, allow_private: bool) -> Result<Url, UrlProblem> {
    let text = text.trim();
    if text.len() > MAX_URL_LEN {
        return Err(UrlProblem::TooLong);
    }
    let url = Url::parse(text).map_err(|_| UrlProblem::Malformed)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlProblem::Scheme);
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(UrlProblem::Malformed);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlProblem::Credentials);
    }
    if url.fragment().is_some() {
        return Err(UrlProblem::Fragment);
    }
    check_host(&url, allow_private)?;
    if url.as_str().len() > MAX_URL_LEN {
        return Err(UrlProblem::TooLong);
    }
    Ok(url)
}

/// The address check for a URL whose host is an address (names pass here;
/// [`GuardedResolver`] checks them when they are resolved).
///
/// # Errors
/// `PrivateAddress`.
pub fn check_host(url: &Url, allow_private: bool) -> Result<(), UrlProblem> {
    match literal_address(url) {
        Some(ip) if !allow_private && is_forbidden(ip) => Err(UrlProblem::PrivateAddress),
        _ => Ok(()),
    }
}

/// The HTTP client's DNS resolver: resolves with the system resolver and
/// refuses the name if any address it resolves to is forbidden.
#[derive(Debug, Clone, Copy)]
pub struct GuardedResolver {
    pub allow_private: bool,
}

/// A name resolved to a forbidden address.
#[derive(Debug, thiserror::Error)]
#[error(
    "{name} resolves to {address}, a loopback, private, link-local, multicast or unspecified address (refused)"
)]
pub struct ForbiddenResolution {
    name: String,
    address: IpAddr,
}

/// Checks what `name` resolved to.
///
/// # Errors
/// The first forbidden address.
pub fn check_resolved(
    name: &str,
    addresses: &[SocketAddr],
    allow_private: bool,
) -> Result<(), ForbiddenResolution> {
    match addresses
        .iter()
        .find(|address| !allow_private && is_forbidden(address.ip()))
    {
        Some(address) => Err(ForbiddenResolution {
            name: name.to_owned(),
            address: address.ip(),
        }),
        None => Ok(()),
    }
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            check_resolved(&host, &addresses, allow_private)?;
            let addresses: reqwest::dns::Addrs = Box::new(addresses.into_iter());
            Ok(addresses)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> bool {
        parse_endpoint_url(text, false) == Err(UrlProblem::PrivateAddress)
    }

    #[test]
    fn loopback_private_link_local_multicast_and_unspecified_v4_are_refused() {
        for url in [
            "http://127.0.0.1/",
            "http://127.8.9.10:8080/hook",
            "http://10.0.0.1/",
            "http://172.16.0.1/",
            "http://172.31.255.255/",
            "http://192.168.1.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://224.0.0.1/",
            "http://239.255.255.250/",
            "http://0.0.0.0/",
            "http://0.1.2.3/",
            "http://255.255.255.255/",
            "http://100.64.0.1/",
            "http://198.18.0.1/",
        ] {
            assert!(refused(url), "{url}");
        }
    }

    #[test]
    fn decimal_octal_and_hex_spellings_of_v4_are_refused() {
        for url in [
            "http://2130706433/",          // 127.0.0.1 as one number
            "http://0177.0.0.1/",          // octal
            "http://0x7f.0.0.1/",          // hex
            "http://0x7f000001/",          // hex, one number
            "http://127.1/",               // short form
            "http://017700000001/",        // octal, one number
            "http://3232235777/",          // 192.168.1.1
            "http://0251.0376.0251.0376/", // 169.254.169.254, octal
        ] {
            assert!(refused(url), "{url}");
        }
        assert_eq!(
            parse_endpoint_url("http://0177.0.0.1/x", true)
                .unwrap()
                .as_str(),
            "http://127.0.0.1/x"
        );
    }

    #[test]
    fn v6_loopback_private_link_local_multicast_unspecified_and_embedded_v4_are_refused() {
        for url in [
            "http://[::1]/",
            "http://[::]/",
            "http://[fc00::1]/",
            "http://[fd12:3456::1]/",
            "http://[fe80::1]/",
            "http://[fec0::1]/",
            "http://[ff02::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[::ffff:10.1.2.3]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[2002:c0a8:0101::1]/",
            "http://[0:0:0:0:0:ffff:169.254.169.254]/",
        ] {
            assert!(refused(url), "{url}");
        }
    }

    #[test]
    fn public_addresses_and_names_pass() {
        for url in [
            "https://example.com/webhooks",
            "http://93.184.216.34/",
            "https://[2606:2800:220:1:248:1893:25c8:1946]/x",
            "http://[::ffff:93.184.216.34]/",
            "https://hooks.example.com:8443/a?b=c",
            "http://172.32.0.1/",
            "http://11.0.0.1/",
            "http://localhost:9/", // a name: checked when it is resolved
        ] {
            assert!(parse_endpoint_url(url, false).is_ok(), "{url}");
        }
    }

    #[test]
    fn allow_private_lets_every_address_through() {
        for url in [
            "http://127.0.0.1:3000/",
            "http://[::1]/",
            "http://10.0.0.1/",
        ] {
            assert!(parse_endpoint_url(url, true).is_ok(), "{url}");
        }
    }

    #[test]
    fn urls_that_are_not_plain_http_endpoints_are_refused() {
        assert_eq!(
            parse_endpoint_url("ftp://example.com/", false),
            Err(UrlProblem::Scheme)
        );
        assert_eq!(
            parse_endpoint_url("javascript:alert(1)", false),
            Err(UrlProblem::Scheme)
        );
        assert_eq!(
            parse_endpoint_url("not a url", false),
            Err(UrlProblem::Malformed)
        );
        assert_eq!(
            parse_endpoint_url("https://user:pw@example.com/", false),
            Err(UrlProblem::Credentials)
        );
        assert_eq!(
            parse_endpoint_url("https://example.com/#x", false),
            Err(UrlProblem::Fragment)
        );
        let long = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert_eq!(parse_endpoint_url(&long, false), Err(UrlProblem::TooLong));
    }

    #[test]
    fn a_name_is_refused_when_any_address_it_resolves_to_is_forbidden() {
        let public: SocketAddr = "93.184.216.34:0".parse().unwrap();
        let loopback: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:0".parse().unwrap();
        assert!(check_resolved("a.example", &[public], false).is_ok());
        assert!(check_resolved("a.example", &[public, loopback], false).is_err());
        assert!(check_resolved("a.example", &[mapped], false).is_err());
        assert!(check_resolved("a.example", &[loopback], true).is_ok());
    }
}
