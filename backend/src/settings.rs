//! Run-time settings the use cases need (the server crate reads them from the
//! environment).

use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Settings {
    /// Base of every link we hand out, without a trailing slash. Never taken
    /// from a request's Host header.
    pub public_url: String,
    /// A session ends after this long without a request.
    pub session_idle_timeout: Duration,
    /// A session ends this long after sign-in, however active.
    pub session_absolute_timeout: Duration,
    /// How long an email verification link works.
    pub verify_ttl: Duration,
    /// How long an invitation link works.
    pub invite_ttl: Duration,
    /// Whether anyone may register without an invitation.
    pub allow_self_registration: bool,
    /// Delivery attempts before a message is marked dead.
    pub outbox_max_attempts: i64,
    /// Invitations (and resends) per account per hour.
    pub invites_per_hour: i64,
    /// REST API requests per key per minute.
    pub api_requests_per_minute: i64,
    /// The header a trusted reverse proxy puts the client address in (for
    /// rate limits); `None`: use the connection's address.
    pub trusted_proxy_header: Option<String>,
}

impl Settings {
    /// Cookies get `Secure` when we are served over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// The host of the public URL (for Message-IDs).
    pub fn public_host(&self) -> &str {
        let origin = self.public_origin();
        let host = origin.find("://").map_or(origin, |i| &origin[i + 3..]);
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    }

    /// The scheme://host[:port] of the public URL, as browsers send it in
    /// the `Origin` header.
    pub fn public_origin(&self) -> &str {
        let after_scheme = self.public_url.find("://").map_or(0, |i| i + 3);
        match self.public_url[after_scheme..].find('/') {
            Some(slash) => &self.public_url[..after_scheme + slash],
            None => &self.public_url,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:3000".into(),
            session_idle_timeout: Duration::from_secs(7 * 24 * 3600),
            session_absolute_timeout: Duration::from_secs(30 * 24 * 3600),
            verify_ttl: Duration::from_secs(24 * 3600),
            invite_ttl: Duration::from_secs(7 * 24 * 3600),
            allow_self_registration: false,
            outbox_max_attempts: 12,
            api_requests_per_minute: 600,
            invites_per_hour: 100,
            trusted_proxy_header: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_origin_drops_the_path() {
        let settings = Settings {
            public_url: "https://team.example.com/muster".into(),
            ..Settings::default()
        };
        assert_eq!(settings.public_origin(), "https://team.example.com");
        assert_eq!(settings.public_host(), "team.example.com");
        assert_eq!(Settings::default().public_host(), "127.0.0.1");
        assert!(settings.secure_cookies());
        assert_eq!(Settings::default().public_origin(), "http://127.0.0.1:3000");
        assert!(!Settings::default().secure_cookies());
    }
}
