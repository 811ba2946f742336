//! Run-time settings the use cases need (the server crate reads them from the
//! command line and the environment), and the public URL they are built on.

use std::fmt;
use std::ops::Deref;
use std::str::FromStr;
use std::time::Duration;

use url::Url;

/// The URL the app is reached at, parsed once at start: every link we hand
/// out, the origin browsers must send on writes, whether cookies are
/// `Secure`, and the host of Message-IDs all come from it. Never taken from
/// a request's Host header.
///
/// Only `http` and `https` URLs with a host and no credentials, query or
/// fragment are accepted; a path is allowed (the app behind a prefix).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicUrl {
    url: Url,
    /// `url` without its trailing slash: the base links are appended to.
    base: String,
    /// `scheme://host[:port]`, as browsers send it in `Origin`.
    origin: String,
}

/// Why a text is not a usable public URL.
#[derive(Debug, thiserror::Error)]
pub enum PublicUrlError {
    #[error("not a URL: {0}")]
    Malformed(#[from] url::ParseError),
    #[error("the public URL must be http:// or https://")]
    Scheme,
    #[error("the public URL must have a host")]
    NoHost,
    #[error("the public URL must not hold a user name or password")]
    Credentials,
    #[error("the public URL must not have a query or a fragment")]
    QueryOrFragment,
}

impl PublicUrl {
    /// Parses `text`, e.g. `https://team.example.com` or
    /// `http://127.0.0.1:3000/muster/`.
    ///
    /// # Errors
    /// When it is not an http(s) URL with a host, or carries credentials, a
    /// query or a fragment.
    pub fn parse(text: &str) -> Result<Self, PublicUrlError> {
        Self::try_from(Url::parse(text.trim())?)
    }

    /// The parsed URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The URL without a trailing slash, so `format!("{base}/path")` is a
    /// link.
    pub fn as_str(&self) -> &str {
        &self.base
    }

    /// `scheme://host[:port]` (the default port left out), as browsers send
    /// it in the `Origin` header.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The host name or address (IPv6 in brackets).
    pub fn host(&self) -> &str {
        self.url
            .host_str()
            .expect("a public URL has a host (checked when parsed)")
    }

    pub fn is_https(&self) -> bool {
        self.url.scheme() == "https"
    }
}

impl TryFrom<Url> for PublicUrl {
    type Error = PublicUrlError;

    fn try_from(url: Url) -> Result<Self, Self::Error> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(PublicUrlError::Scheme);
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(PublicUrlError::NoHost);
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(PublicUrlError::Credentials);
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(PublicUrlError::QueryOrFragment);
        }
        let base = url.as_str().trim_end_matches('/').to_owned();
        let origin = url.origin().ascii_serialization();
        Ok(Self { url, base, origin })
    }
}

impl FromStr for PublicUrl {
    type Err = PublicUrlError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

impl fmt::Display for PublicUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base)
    }
}

impl Deref for PublicUrl {
    type Target = str;

    fn deref(&self) -> &str {
        &self.base
    }
}

impl AsRef<str> for PublicUrl {
    fn as_ref(&self) -> &str {
        &self.base
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Base of every link we hand out (displays without a trailing slash).
    pub public_url: PublicUrl,
    /// A session ends after this long without a request.
    pub session_idle_timeout: Duration,
    /// A session ends this long after sign-in, however active.
    pub session_absolute_timeout: Duration,
    /// How long an email verification link works.
    pub verify_ttl: Duration,
    /// How long an invitation link works.
    pub invite_ttl: Duration,
    /// How long a password reset link works.
    pub reset_ttl: Duration,
    /// Whether anyone may register without an invitation.
    pub allow_self_registration: bool,
    /// Who may create an account in the app (`ACCOUNT_CREATION`).
    pub account_creation: shared::domain::AccountCreation,
    /// Delivery attempts before a message is marked dead.
    pub outbox_max_attempts: i64,
    /// Invitations sent (and resent) per account per hour; refused or skipped ones do not count.
    pub invites_per_hour: i64,
    /// REST API requests per key per minute.
    pub api_requests_per_minute: i64,
    /// The header (lower case) a trusted reverse proxy puts the client
    /// address in (for rate limits); `None`: use the connection's address.
    pub trusted_proxy_header: Option<String>,
    /// How long delivered (or given-up) mail and expired verification links
    /// are kept before the retention purge deletes them.
    pub retention: Duration,
    /// Whether webhook endpoints may be loopback, private, link-local,
    /// multicast or unspecified addresses (`WEBHOOK_ALLOW_PRIVATE`; for
    /// tests and closed networks).
    pub webhook_allow_private: bool,
    /// How long one webhook attempt may take (connect, send, answer).
    pub webhook_timeout: Duration,
}

impl Settings {
    /// Cookies get `Secure` when we are served over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.is_https()
    }

    /// The host of the public URL (for Message-IDs).
    pub fn public_host(&self) -> &str {
        self.public_url.host()
    }

    /// The scheme://host[:port] of the public URL, as browsers send it in
    /// the `Origin` header.
    pub fn public_origin(&self) -> &str {
        self.public_url.origin()
    }
}

/// The values the server starts with when nothing is configured (the
/// server's `--help` shows the same; a test there keeps the two equal).
impl Default for Settings {
    fn default() -> Self {
        Self {
            public_url: PublicUrl::parse("http://127.0.0.1:3000").expect("a valid URL"),
            session_idle_timeout: Duration::from_secs(12 * 3600),
            session_absolute_timeout: Duration::from_secs(7 * 24 * 3600),
            verify_ttl: Duration::from_secs(24 * 3600),
            invite_ttl: Duration::from_secs(7 * 24 * 3600),
            reset_ttl: Duration::from_secs(3600),
            allow_self_registration: false,
            account_creation: shared::domain::AccountCreation::Everyone,
            outbox_max_attempts: 12,
            api_requests_per_minute: 600,
            invites_per_hour: 100,
            trusted_proxy_header: None,
            retention: Duration::from_secs(30 * 24 * 3600),
            webhook_allow_private: false,
            webhook_timeout: Duration::from_secs(10),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_origin_drops_the_path() {
        let settings = Settings {
            public_url: PublicUrl::parse("https://team.example.com/muster").unwrap(),
            ..Settings::default()
        };
        assert_eq!(settings.public_origin(), "https://team.example.com");
        assert_eq!(settings.public_host(), "team.example.com");
        assert_eq!(Settings::default().public_host(), "127.0.0.1");
        assert!(settings.secure_cookies());
        assert_eq!(Settings::default().public_origin(), "http://127.0.0.1:3000");
        assert!(!Settings::default().secure_cookies());
    }

    #[test]
    fn links_are_built_on_the_url_without_its_trailing_slash() {
        for (text, base) in [
            ("https://team.example.com", "https://team.example.com"),
            ("https://team.example.com/", "https://team.example.com"),
            (
                "https://team.example.com/muster/",
                "https://team.example.com/muster",
            ),
            ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
        ] {
            let url = PublicUrl::parse(text).unwrap();
            assert_eq!(url.as_str(), base, "{text}");
            assert_eq!(format!("{url}/sign-in"), format!("{base}/sign-in"));
        }
    }

    #[test]
    fn origins_and_hosts_are_what_browsers_send() {
        let default_port = PublicUrl::parse("https://Team.Example.com:443/x").unwrap();
        assert_eq!(default_port.origin(), "https://team.example.com");
        assert_eq!(default_port.host(), "team.example.com");
        let ipv6 = PublicUrl::parse("http://[::1]:3000").unwrap();
        assert_eq!(ipv6.origin(), "http://[::1]:3000");
        assert_eq!(ipv6.host(), "[::1]");
        let ipv6_no_port = PublicUrl::parse("http://[::1]").unwrap();
        assert_eq!(ipv6_no_port.host(), "[::1]");
    }

    #[test]
    fn only_plain_http_and_https_urls_are_public_urls() {
        for bad in [
            "team.example.com",
            "ftp://team.example.com",
            "https://user:pass@team.example.com",
            "https://team.example.com/?a=1",
            "https://team.example.com/#top",
            "",
        ] {
            assert!(PublicUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
