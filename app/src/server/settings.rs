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
}

impl Settings {
    /// Cookies get `Secure` when we are served over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
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
        assert!(settings.secure_cookies());
        assert_eq!(Settings::default().public_origin(), "http://127.0.0.1:3000");
        assert!(!Settings::default().secure_cookies());
    }
}
