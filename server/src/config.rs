//! Configuration from the environment (SPEC §5) and site options from
//! `Leptos.toml`, the one file that holds them (the build reads it too).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use backend::email::Mailer;
use backend::email::mailer::DEFAULT_SMTP_TIMEOUT;
use backend::settings::Settings;
use leptos::config::LeptosOptions;
use serde::Deserialize;

/// The site options in `Leptos.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteFile {
    pub output_name: String,
    pub site_root: String,
    pub site_pkg_dir: String,
    pub site_addr: SocketAddr,
    pub style_file: String,
    pub assets_dir: String,
}

/// Everything the server needs to start.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    /// `None`: use `http://{bound address}` (tests on port 0).
    pub public_url: Option<String>,
    pub site_addr: SocketAddr,
    pub leptos_options: LeptosOptions,
    pub secret_file: PathBuf,
    /// Everything the use cases read (its `public_url` is filled in at start).
    pub settings: Settings,
    pub mailer: Mailer,
}

/// Finds `Leptos.toml` in `start` or the nearest folder above it.
///
/// # Errors
/// When there is none.
pub fn find_site_file(start: &Path) -> anyhow::Result<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join("Leptos.toml"))
        .find(|candidate| candidate.is_file())
        .with_context(|| format!("no Leptos.toml in {} or above", start.display()))
}

/// Reads `Leptos.toml`.
///
/// # Errors
/// When the file cannot be read or parsed.
pub fn read_site_file(path: &Path) -> anyhow::Result<SiteFile> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

/// Parses durations like `30s`, `15m`, `24h`, `7d` (a bare number is seconds).
///
/// # Errors
/// On anything else.
pub fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let number: u64 = number
        .parse()
        .with_context(|| format!("invalid duration {text:?}"))?;
    let seconds = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => anyhow::bail!("invalid duration unit in {text:?} (use s, m, h or d)"),
    };
    Ok(Duration::from_secs(number.saturating_mul(seconds)))
}

fn env_flag(name: &str) -> anyhow::Result<bool> {
    match env_var(name).map(|value| value.to_lowercase()).as_deref() {
        None | Some("0" | "false" | "no" | "off") => Ok(false),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some(other) => anyhow::bail!("{name} must be true or false, not {other:?}"),
    }
}

fn env_duration(name: &str, default: Duration) -> anyhow::Result<Duration> {
    env_var(name).map_or(Ok(default), |value| {
        parse_duration(&value).with_context(|| name.to_owned())
    })
}

impl Config {
    /// Reads the environment; every variable has a default that makes a
    /// plain `server` start work.
    ///
    /// # Errors
    /// On a malformed value or an unreadable `Leptos.toml`.
    pub fn from_env() -> anyhow::Result<Self> {
        let cwd = std::env::current_dir().context("reading the current folder")?;
        let site_path = match env_var("LEPTOS_CONFIG") {
            Some(path) => PathBuf::from(path),
            None => find_site_file(&cwd)?,
        };
        let site = read_site_file(&site_path)?;
        let site_dir = site_path.parent().unwrap_or(Path::new("."));
        let site_addr: SocketAddr = match env_var("LEPTOS_SITE_ADDR") {
            Some(addr) => addr.parse().context("LEPTOS_SITE_ADDR must be host:port")?,
            None => site.site_addr,
        };
        let site_root = env_var("LEPTOS_SITE_ROOT")
            .map_or_else(|| site_dir.join(&site.site_root), PathBuf::from);
        let leptos_options = LeptosOptions::builder()
            .output_name(env_var("LEPTOS_OUTPUT_NAME").unwrap_or(site.output_name))
            .site_root(site_root.to_string_lossy().into_owned())
            .site_pkg_dir(env_var("LEPTOS_SITE_PKG_DIR").unwrap_or(site.site_pkg_dir))
            .site_addr(site_addr)
            .build();
        let defaults = Settings::default();
        let public_url = env_var("PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{site_addr}"))
            .trim_end_matches('/')
            .to_owned();
        let settings = Settings {
            public_url: public_url.clone(),
            session_idle_timeout: env_duration(
                "SESSION_IDLE_TIMEOUT",
                defaults.session_idle_timeout,
            )?,
            session_absolute_timeout: env_duration(
                "SESSION_ABSOLUTE_TIMEOUT",
                defaults.session_absolute_timeout,
            )?,
            verify_ttl: env_duration("VERIFY_TTL", defaults.verify_ttl)?,
            invite_ttl: env_duration("INVITE_TTL", defaults.invite_ttl)?,
            allow_self_registration: env_flag("ALLOW_SELF_REGISTRATION")?,
            outbox_max_attempts: env_var("OUTBOX_MAX_ATTEMPTS")
                .map_or(Ok(defaults.outbox_max_attempts), |value| value.parse())
                .context("OUTBOX_MAX_ATTEMPTS must be a number")?,
            invites_per_hour: env_var("INVITES_PER_HOUR")
                .map_or(Ok(defaults.invites_per_hour), |value| value.parse())
                .context("INVITES_PER_HOUR must be a number")?,
            api_requests_per_minute: env_var("API_REQUESTS_PER_MINUTE")
                .map_or(Ok(defaults.api_requests_per_minute), |value| value.parse())
                .context("API_REQUESTS_PER_MINUTE must be a number")?,
            trusted_proxy_header: env_var("TRUSTED_PROXY_HEADER")
                .map(|header| header.to_lowercase()),
        };
        let mail_from = env_var("MAIL_FROM")
            .unwrap_or_else(|| format!("Muster <muster@{}>", settings.public_host()));
        let smtp_timeout = env_var("SMTP_TIMEOUT_SECS")
            .map_or(Ok(DEFAULT_SMTP_TIMEOUT.as_secs()), |value| value.parse())
            .context("SMTP_TIMEOUT_SECS must be a number of seconds")?;
        anyhow::ensure!(smtp_timeout > 0, "SMTP_TIMEOUT_SECS must be at least 1");
        let mailer = match env_var("SMTP_URL") {
            Some(url) => {
                Mailer::smtp_with_timeout(&url, &mail_from, Duration::from_secs(smtp_timeout))?
            }
            None => Mailer::file(
                env_var("MAIL_DIR").map_or_else(|| PathBuf::from("data/mail"), PathBuf::from),
                &mail_from,
            )?,
        };
        Ok(Self {
            database_url: env_var("DATABASE_URL")
                .unwrap_or_else(|| "sqlite://data/muster.db".into()),
            public_url: Some(public_url),
            site_addr,
            leptos_options,
            secret_file: env_var("MUSTER_SECRET_FILE")
                .map_or_else(|| PathBuf::from("data/secret.key"), PathBuf::from),
            settings,
            mailer,
        })
    }
}

/// Reads the server secret, creating it (0600) on first run.
///
/// # Errors
/// When the file cannot be read or written, or holds something else.
pub fn load_or_create_secret(path: &Path) -> anyhow::Result<[u8; 32]> {
    if path.exists() {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let bytes =
            hex::decode(text.trim()).context("the secret file must hold 64 hex characters")?;
        return bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("the secret file must hold 64 hex characters"));
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let secret = backend::tokens::random_bytes::<32>();
    write_private(path, &format!("{}\n", hex::encode(secret)))?;
    tracing::info!(path = %path.display(), "generated a new server secret");
    Ok(secret)
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents.as_bytes())
        .context("writing the secret")?;
    file.sync_all().context("syncing the secret")
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("24h").unwrap(), Duration::from_secs(86_400));
        assert_eq!(parse_duration("7d").unwrap(), Duration::from_secs(604_800));
        assert!(parse_duration("7w").is_err());
        assert!(parse_duration("h").is_err());
    }

    #[test]
    fn the_workspace_site_file_parses() {
        let path = find_site_file(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        let site = read_site_file(&path).unwrap();
        assert_eq!(site.output_name, "muster");
        assert_eq!(site.site_addr.to_string(), "127.0.0.1:3000");
    }

    #[test]
    fn the_secret_is_created_private_and_read_back() {
        let dir = std::env::temp_dir().join(format!("muster-secret-{}", backend::tokens::new_id()));
        let path = dir.join("secret.key");
        let created = load_or_create_secret(&path).unwrap();
        assert_eq!(load_or_create_secret(&path).unwrap(), created);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
