//! The server's settings, and how they become a [`Config`].
//!
//! [`Options`] is the one place a setting is declared: its flag, its
//! environment variable, its default and its documentation (`server --help`
//! prints them). A variable set to an empty value counts as unset (see
//! [`crate::cli::command`]). `.env.example` must list exactly these variables;
//! a test below holds the two together.
//!
//! Site options (output name, site root, pkg folder, address) live in
//! `Leptos.toml`, which the build reads too; the `LEPTOS_*` variables
//! override them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use backend::email::Mailer;
use backend::settings::{PublicUrl, Settings};
use clap::ArgAction;
use clap::builder::BoolishValueParser;
use leptos::config::LeptosOptions;
use serde::Deserialize;
use shared::domain::AccountCreation;

use crate::bounds::Bounds;

const DATABASE: &str = "Database and secret";
const WEB: &str = "Address and public URL";
const MAIL: &str = "Mail";
const WEBHOOKS: &str = "Webhooks";
const POLICY: &str = "Policy (keep it the same on every process)";
const PROCESS: &str = "Process";
const CLIENTS: &str = "Slow and many clients";

/// Every setting of the server, from flags or the environment.
#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// The database: `sqlite://PATH` (the file is created on first start) or
    /// `postgres://USER:PASS@HOST:PORT/NAME`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://data/muster.db",
        hide_env_values = true,
        global = true,
        help_heading = DATABASE
    )]
    pub database_url: String,

    /// The server secret: 32 random bytes as 64 hex characters. Generated with
    /// mode 0600 on first start when the file does not exist; processes
    /// sharing a database must share it.
    #[arg(
        long,
        env = "MUSTER_SECRET_FILE",
        default_value = "data/secret.key",
        global = true,
        help_heading = DATABASE
    )]
    pub secret_file: PathBuf,

    /// Base of every link Muster hands out (mail, redirects), the origin
    /// cross-origin writes are checked against, and the only Host answered
    /// (others get 421); cookies get `Secure` and the `__Host-` name when it
    /// is https. Never taken from a request's Host header. [default:
    /// http://LEPTOS_SITE_ADDR]
    #[arg(
        long,
        env = "PUBLIC_URL",
        value_parser = parse_public_url,
        global = true,
        help_heading = WEB
    )]
    pub public_url: Option<PublicUrl>,

    /// Where the server listens, host:port. [default: site_addr in
    /// Leptos.toml]
    #[arg(long, env = "LEPTOS_SITE_ADDR", global = true, help_heading = WEB)]
    pub site_addr: Option<SocketAddr>,

    /// The site options file. [default: Leptos.toml in the current folder or
    /// the nearest one above]
    #[arg(long, env = "LEPTOS_CONFIG", global = true, help_heading = WEB)]
    pub leptos_config: Option<PathBuf>,

    /// The built site folder (`/pkg` is served from it). [default: site_root
    /// in Leptos.toml, next to that file]
    #[arg(long, env = "LEPTOS_SITE_ROOT", global = true, help_heading = WEB)]
    pub site_root: Option<PathBuf>,

    /// The name of the wasm bundle and stylesheet. [default: output_name in
    /// Leptos.toml]
    #[arg(long, env = "LEPTOS_OUTPUT_NAME", global = true, help_heading = WEB)]
    pub output_name: Option<String>,

    /// The folder under the site root holding the bundle. [default:
    /// site_pkg_dir in Leptos.toml]
    #[arg(long, env = "LEPTOS_SITE_PKG_DIR", global = true, help_heading = WEB)]
    pub site_pkg_dir: Option<String>,

    /// The mail relay: `smtp://HOST:PORT` (plain), `smtp://USER:PASS@HOST:587?tls=required`
    /// (STARTTLS) or `smtps://USER:PASS@HOST:465` (implicit TLS). Unset: dev
    /// mail, each message written as an .eml file under MAIL_DIR and its
    /// link logged.
    #[arg(
        long,
        env = "SMTP_URL",
        hide_env_values = true,
        global = true,
        help_heading = MAIL
    )]
    pub smtp_url: Option<String>,

    /// How long, in seconds, one SMTP conversation may take before the
    /// attempt fails and is retried with backoff; a server that hangs cannot
    /// stall mail.
    #[arg(
        long,
        env = "SMTP_TIMEOUT_SECS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..),
        global = true,
        help_heading = MAIL
    )]
    pub smtp_timeout_secs: u64,

    /// The sender of every message. [default: Muster <muster@HOST>, HOST
    /// that of PUBLIC_URL]
    #[arg(long, env = "MAIL_FROM", global = true, help_heading = MAIL)]
    pub mail_from: Option<String>,

    /// Where dev mail goes (without SMTP_URL).
    #[arg(
        long,
        env = "MAIL_DIR",
        default_value = "data/mail",
        global = true,
        help_heading = MAIL
    )]
    pub mail_dir: PathBuf,

    /// Delivery attempts (with exponential backoff from 5 s, capped at 1 h)
    /// before a message is marked dead and logged.
    #[arg(
        long,
        env = "OUTBOX_MAX_ATTEMPTS",
        default_value_t = 12,
        value_parser = clap::value_parser!(i64).range(1..),
        global = true,
        help_heading = MAIL
    )]
    pub outbox_max_attempts: i64,

    /// Whether webhook endpoints may be loopback, private (RFC 1918, IPv6
    /// unique local), link-local, multicast or unspecified addresses, named
    /// or resolved (true/false). Off, such URLs are refused when added and
    /// every delivery checks what the name resolves to.
    #[arg(
        long,
        env = "WEBHOOK_ALLOW_PRIVATE",
        action = ArgAction::Set,
        num_args = 0..=1,
        default_value_t = false,
        default_missing_value = "true",
        value_parser = BoolishValueParser::new(),
        global = true,
        help_heading = WEBHOOKS
    )]
    pub webhook_allow_private: bool,

    /// How long one webhook attempt may take (connect, send, answer) before
    /// it fails and is retried with backoff like mail (OUTBOX_MAX_ATTEMPTS).
    #[arg(
        long,
        env = "WEBHOOK_TIMEOUT",
        default_value = "10s",
        value_parser = parse_positive_duration,
        global = true,
        help_heading = WEBHOOKS
    )]
    pub webhook_timeout: Duration,

    /// Whether anyone may register without an invitation (true/false,
    /// yes/no, on/off, 1/0).
    #[arg(
        long,
        env = "ALLOW_SELF_REGISTRATION",
        action = ArgAction::Set,
        num_args = 0..=1,
        default_value_t = false,
        default_missing_value = "true",
        value_parser = BoolishValueParser::new(),
        global = true,
        help_heading = POLICY
    )]
    pub allow_self_registration: bool,

    /// Who may create an account in the app ("New Account"): `everyone`
    /// (any signed-in user), `admins` (Active Admins of any account) or
    /// `off` (only `server create-account`).
    #[arg(
        long,
        env = "ACCOUNT_CREATION",
        default_value = "everyone",
        value_parser = parse_account_creation,
        global = true,
        help_heading = POLICY
    )]
    pub account_creation: AccountCreation,

    /// How long an email verification link works (`30s`, `15m`, `24h`, `7d`;
    /// a bare number is seconds).
    #[arg(
        long,
        env = "VERIFY_TTL",
        default_value = "24h",
        value_parser = parse_duration,
        global = true,
        help_heading = POLICY
    )]
    pub verify_ttl: Duration,

    /// How long an invitation link works.
    #[arg(
        long,
        env = "INVITE_TTL",
        default_value = "7d",
        value_parser = parse_duration,
        global = true,
        help_heading = POLICY
    )]
    pub invite_ttl: Duration,

    /// How long a password reset link works (single use either way).
    #[arg(
        long,
        env = "RESET_TTL",
        default_value = "1h",
        value_parser = parse_duration,
        global = true,
        help_heading = POLICY
    )]
    pub reset_ttl: Duration,

    /// A session ends after this long without a request (short by default:
    /// an admin's session can reveal every member's API key).
    #[arg(
        long,
        env = "SESSION_IDLE_TIMEOUT",
        default_value = "12h",
        value_parser = parse_duration,
        global = true,
        help_heading = POLICY
    )]
    pub session_idle_timeout: Duration,

    /// A session ends this long after sign-in, however active.
    #[arg(
        long,
        env = "SESSION_ABSOLUTE_TIMEOUT",
        default_value = "7d",
        value_parser = parse_duration,
        global = true,
        help_heading = POLICY
    )]
    pub session_absolute_timeout: Duration,

    /// Invitations sent (and resent) per account per hour; refused or skipped ones do not count.
    #[arg(
        long,
        env = "INVITES_PER_HOUR",
        default_value_t = 100,
        value_parser = clap::value_parser!(i64).range(0..),
        global = true,
        help_heading = POLICY
    )]
    pub invites_per_hour: i64,

    /// REST API requests per API key per minute (answered 429 with
    /// Retry-After beyond it).
    #[arg(
        long,
        env = "API_REQUESTS_PER_MINUTE",
        default_value_t = 600,
        value_parser = clap::value_parser!(i64).range(0..),
        global = true,
        help_heading = POLICY
    )]
    pub api_requests_per_minute: i64,

    /// Behind a reverse proxy, the header it puts the client address in,
    /// e.g. `x-forwarded-for` (used for rate limits; the last entry of its
    /// last line is taken, so the proxy must append or overwrite it, and a
    /// value that is not an IP address falls back to the connection's).
    /// Unset: the connection's address.
    #[arg(
        long,
        env = "TRUSTED_PROXY_HEADER",
        value_parser = parse_header_name,
        global = true,
        help_heading = POLICY
    )]
    pub trusted_proxy_header: Option<String>,

    /// How long delivered (or given-up) mail and expired verification, reset
    /// and email-change links are kept; a background task deletes them
    /// afterwards, in batches (sent mail's bodies, with their links, are
    /// blanked as soon as it is delivered). Expired sessions, ended
    /// rate-limit windows and idempotency keys older than 24 h are purged
    /// by the same task.
    #[arg(
        long,
        env = "RETENTION",
        default_value = "30d",
        value_parser = parse_duration,
        global = true,
        help_heading = POLICY
    )]
    pub retention: Duration,

    /// After SIGTERM or Ctrl-C, how long the process goes on serving while
    /// `/healthz` answers 503, so the load balancer takes it out of rotation
    /// before it stops accepting connections.
    #[arg(
        long,
        env = "SHUTDOWN_DRAIN",
        default_value = "5s",
        value_parser = parse_duration,
        global = true,
        help_heading = PROCESS
    )]
    pub shutdown_drain: Duration,

    /// The most connections served at once. One more is answered `503` (with
    /// `Retry-After`) and closed. Keep it below the open-files limit (`ulimit
    /// -n`, systemd's `LimitNOFILE=`): the soft limit is raised towards the
    /// hard one at start, and if that is still too low the cap is lowered to
    /// fit, with a warning.
    #[arg(
        long,
        env = "MAX_CONNECTIONS",
        default_value_t = 4096,
        value_parser = clap::value_parser!(u32).range(1..),
        global = true,
        help_heading = CLIENTS
    )]
    pub max_connections: u32,

    /// How long a client may take to send a request's line and headers; the
    /// connection is closed after it. Counted from when the server starts
    /// waiting, so it is also how long an idle keep-alive connection stays
    /// open.
    #[arg(
        long,
        env = "HEADER_READ_TIMEOUT",
        default_value = "30s",
        value_parser = parse_positive_duration,
        global = true,
        help_heading = CLIENTS
    )]
    pub header_read_timeout: Duration,

    /// How long a request's whole body may take to arrive, from the end of
    /// its headers (one deadline, however steadily the bytes trickle in);
    /// later, it is answered `408` and the connection closed.
    #[arg(
        long,
        env = "BODY_READ_TIMEOUT",
        default_value = "10s",
        value_parser = parse_positive_duration,
        global = true,
        help_heading = CLIENTS
    )]
    pub body_read_timeout: Duration,

    /// How long a server function (`/rpc/`) or REST (`/api/`) call may take,
    /// from the end of its headers to its answer; later, it is abandoned (its
    /// transaction rolled back) and answered `503` with `Retry-After`.
    #[arg(
        long,
        env = "REQUEST_TIMEOUT",
        default_value = "30s",
        value_parser = parse_positive_duration,
        global = true,
        help_heading = CLIENTS
    )]
    pub request_timeout: Duration,

    /// The log filter (tracing-subscriber EnvFilter syntax).
    #[arg(
        long,
        env = "RUST_LOG",
        default_value = "info,sqlx=warn",
        value_parser = parse_log_filter,
        global = true,
        help_heading = PROCESS
    )]
    pub log: String,

    /// How logs are written: `text` (for people) or `json` (one JSON object
    /// a line, for a log collector). Either way every request logs one line
    /// with its method, route template, status, latency and request id.
    #[arg(
        long,
        env = "LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text,
        global = true,
        help_heading = PROCESS
    )]
    pub log_format: LogFormat,

    /// Serves `GET /metrics` (Prometheus text format) to requests carrying
    /// `Authorization: Bearer TOKEN`; unset, `/metrics` is 404. At least 16
    /// visible characters (e.g. `openssl rand -hex 32`). The counters are
    /// this process's own: scrape every process.
    #[arg(
        long,
        env = "METRICS_TOKEN",
        value_parser = parse_metrics_token,
        hide_env_values = true,
        global = true,
        help_heading = PROCESS
    )]
    pub metrics_token: Option<MetricsToken>,
}

/// The log format (`LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// The bearer token `/metrics` asks for; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct MetricsToken(String);

impl MetricsToken {
    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(…)")
    }
}

/// A token of at least 16 visible ASCII characters (what fits in a bearer
/// header without quoting).
///
/// # Errors
/// On a shorter token, or one with spaces or other characters.
pub fn parse_metrics_token(text: &str) -> Result<MetricsToken, String> {
    let text = text.trim();
    if !text.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("must be visible ASCII characters without spaces".to_owned());
    }
    if text.len() < 16 {
        return Err("must be at least 16 characters (e.g. `openssl rand -hex 32`)".to_owned());
    }
    Ok(MetricsToken(text.to_owned()))
}

/// Durations like `30s`, `15m`, `24h`, `7d` (humantime's syntax, so `1h 30m`
/// and `2w` work too; `m` is minutes, `M` months); a bare number is seconds.
///
/// # Errors
/// On anything else.
pub fn parse_duration(text: &str) -> Result<Duration, humantime::DurationError> {
    let text = text.trim();
    match text.parse::<u64>() {
        Ok(seconds) => Ok(Duration::from_secs(seconds)),
        Err(_) => humantime::parse_duration(text),
    }
}

/// A [`parse_duration`] that is not zero.
fn parse_positive_duration(text: &str) -> Result<Duration, String> {
    match parse_duration(text) {
        Ok(duration) if duration.is_zero() => Err("must be longer than zero".to_owned()),
        Ok(duration) => Ok(duration),
        Err(error) => Err(error.to_string()),
    }
}

fn parse_account_creation(text: &str) -> Result<AccountCreation, String> {
    AccountCreation::parse(text)
}

fn parse_public_url(text: &str) -> Result<PublicUrl, backend::settings::PublicUrlError> {
    PublicUrl::parse(text)
}

/// A header name, in lower case (how `http` stores and compares them).
fn parse_header_name(text: &str) -> Result<String, http::header::InvalidHeaderName> {
    let name: http::HeaderName = text.trim().parse()?;
    Ok(name.as_str().to_owned())
}

fn parse_log_filter(text: &str) -> Result<String, tracing_subscriber::filter::ParseError> {
    tracing_subscriber::EnvFilter::try_new(text)?;
    Ok(text.to_owned())
}

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
    pub public_url: Option<PublicUrl>,
    pub site_addr: SocketAddr,
    pub leptos_options: LeptosOptions,
    pub secret_file: PathBuf,
    /// Everything the use cases read (its `public_url` is filled in at start).
    pub settings: Settings,
    pub mailer: Mailer,
    /// Connection cap and timeouts for slow clients.
    pub bounds: Bounds,
    /// `Some`: `GET /metrics` is served to this bearer token.
    pub metrics_token: Option<MetricsToken>,
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

impl Options {
    /// What the use cases read, with `public_url` as the public URL.
    pub fn settings(&self, public_url: PublicUrl) -> Settings {
        Settings {
            public_url,
            session_idle_timeout: self.session_idle_timeout,
            session_absolute_timeout: self.session_absolute_timeout,
            verify_ttl: self.verify_ttl,
            invite_ttl: self.invite_ttl,
            reset_ttl: self.reset_ttl,
            allow_self_registration: self.allow_self_registration,
            account_creation: self.account_creation,
            outbox_max_attempts: self.outbox_max_attempts,
            invites_per_hour: self.invites_per_hour,
            api_requests_per_minute: self.api_requests_per_minute,
            trusted_proxy_header: self.trusted_proxy_header.clone(),
            retention: self.retention,
            webhook_allow_private: self.webhook_allow_private,
            webhook_timeout: self.webhook_timeout,
        }
    }

    /// The connection cap and the timeouts.
    pub fn bounds(&self) -> Bounds {
        Bounds {
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            header_read_timeout: self.header_read_timeout,
            body_read_timeout: self.body_read_timeout,
            request_timeout: self.request_timeout,
        }
    }

    /// Reads `Leptos.toml` and sets up the mailer: everything the server
    /// needs to start.
    ///
    /// # Errors
    /// On an unreadable `Leptos.toml`, or a mail setting the mailer refuses.
    pub fn to_config(&self) -> anyhow::Result<Config> {
        let site_path = match &self.leptos_config {
            Some(path) => path.clone(),
            None => {
                find_site_file(&std::env::current_dir().context("reading the current folder")?)?
            }
        };
        let site = read_site_file(&site_path)?;
        let site_dir = site_path.parent().unwrap_or(Path::new("."));
        let site_addr = self.site_addr.unwrap_or(site.site_addr);
        let site_root = self
            .site_root
            .clone()
            .unwrap_or_else(|| site_dir.join(&site.site_root));
        let leptos_options = LeptosOptions::builder()
            .output_name(self.output_name.clone().unwrap_or(site.output_name))
            .site_root(site_root.to_string_lossy().into_owned())
            .site_pkg_dir(self.site_pkg_dir.clone().unwrap_or(site.site_pkg_dir))
            .site_addr(site_addr)
            .build();
        let public_url = match &self.public_url {
            Some(url) => url.clone(),
            None => PublicUrl::parse(&format!("http://{site_addr}"))
                .context("the listening address does not make a URL")?,
        };
        let settings = self.settings(public_url.clone());
        let mail_from = self
            .mail_from
            .clone()
            .unwrap_or_else(|| format!("Muster <muster@{}>", settings.public_host()));
        let mailer = match &self.smtp_url {
            Some(url) => Mailer::smtp_with_timeout(
                url,
                &mail_from,
                Duration::from_secs(self.smtp_timeout_secs),
            )?,
            None => Mailer::file(self.mail_dir.clone(), &mail_from)?,
        };
        Ok(Config {
            database_url: self.database_url.clone(),
            public_url: Some(public_url),
            site_addr,
            leptos_options,
            secret_file: self.secret_file.clone(),
            settings,
            mailer,
            bounds: self.bounds(),
            metrics_token: self.metrics_token.clone(),
        })
    }
}

/// Reads the server secret, creating it (0600) on first run.
///
/// # Errors
/// When the file cannot be read or written, or holds something else.
pub fn load_or_create_secret(path: &Path) -> anyhow::Result<[u8; 32]> {
    if path.exists() {
        refuse_a_shared_secret(path)?;
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let bytes =
            hex::decode(text.trim()).context("the secret file must hold 64 hex characters")?;
        return bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("the secret file must hold 64 hex characters"));
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        backend::db::create_private_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    let secret = backend::tokens::random_bytes::<32>();
    write_private(path, &format!("{}\n", hex::encode(secret)))?;
    tracing::info!(path = %path.display(), "generated a new server secret");
    Ok(secret)
}

/// Refuses a secret file that its group or others may read or write: the
/// secret unseals every stored API key.
#[cfg(unix)]
fn refuse_a_shared_secret(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        anyhow::bail!(
            "the secret file {path} has mode {mode:04o}: group or others can read it. \
             Run `chmod 600 {path}` (and check who has read it), then start again",
            path = path.display(),
            mode = mode & 0o7777,
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_a_shared_secret(_path: &Path) -> anyhow::Result<()> {
    Ok(())
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
    use std::collections::BTreeSet;

    use backend::email::mailer::DEFAULT_SMTP_TIMEOUT;
    use clap::FromArgMatches as _;

    use super::*;
    use crate::cli::{ADMIN_PASSWORD_ENV, Cli, command, one_line};

    /// The command without its environment variables, so the developer's
    /// own environment cannot change what these tests see.
    fn parse_without_env(args: &[&str]) -> Result<Cli, clap::Error> {
        let matches = command()
            .mut_args(|arg| arg.env(None))
            .try_get_matches_from(args)?;
        Cli::from_arg_matches(&matches)
    }

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("24h").unwrap(), Duration::from_secs(86_400));
        assert_eq!(parse_duration("7d").unwrap(), Duration::from_secs(604_800));
        assert_eq!(
            parse_duration(" 7d ").unwrap(),
            Duration::from_secs(604_800)
        );
        assert!(parse_duration("7x").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("").is_err());
    }

    #[test]
    fn with_nothing_set_the_settings_are_the_backends_defaults() {
        let cli = parse_without_env(&["server"]).unwrap();
        assert!(cli.command.is_none(), "no subcommand: serve");
        let options = cli.options;
        let defaults = Settings::default();
        assert_eq!(options.settings(defaults.public_url.clone()), defaults);
        assert_eq!(
            Duration::from_secs(options.smtp_timeout_secs),
            DEFAULT_SMTP_TIMEOUT
        );
        assert_eq!(options.shutdown_drain, Duration::from_secs(5));
        assert_eq!(options.bounds(), Bounds::default());
        assert_eq!(options.retention, Duration::from_secs(30 * 24 * 3600));
        assert_eq!(options.session_idle_timeout, Duration::from_secs(12 * 3600));
        assert_eq!(
            options.session_absolute_timeout,
            Duration::from_secs(7 * 24 * 3600)
        );
        assert_eq!(options.database_url, "sqlite://data/muster.db");
        assert_eq!(options.secret_file, PathBuf::from("data/secret.key"));
        assert_eq!(options.mail_dir, PathBuf::from("data/mail"));
        assert_eq!(options.log, "info,sqlx=warn");
        assert!(options.public_url.is_none() && options.trusted_proxy_header.is_none());
        assert_eq!(options.log_format, LogFormat::Text);
        assert!(options.metrics_token.is_none());
    }

    #[test]
    fn flags_set_what_the_variables_set() {
        let cli = parse_without_env(&[
            "server",
            "--public-url",
            "https://team.example.com/",
            "--allow-self-registration",
            "--session-idle-timeout",
            "15m",
            "--trusted-proxy-header",
            "X-Forwarded-For",
            "--shutdown-drain",
            "0",
            "--max-connections",
            "8",
            "--body-read-timeout",
            "2s",
            "--retention",
            "7d",
            "--log-format",
            "json",
            "--metrics-token",
            "0123456789abcdef0123",
        ])
        .unwrap();
        let options = cli.options;
        assert_eq!(
            options.public_url.as_ref().map(PublicUrl::as_str),
            Some("https://team.example.com")
        );
        assert!(options.allow_self_registration);
        assert_eq!(options.session_idle_timeout, Duration::from_secs(900));
        assert_eq!(
            options.trusted_proxy_header.as_deref(),
            Some("x-forwarded-for")
        );
        assert_eq!(options.shutdown_drain, Duration::ZERO);
        assert_eq!(options.bounds().max_connections, 8);
        assert_eq!(options.bounds().body_read_timeout, Duration::from_secs(2));
        assert_eq!(options.retention, Duration::from_secs(7 * 24 * 3600));
        assert_eq!(options.log_format, LogFormat::Json);
        assert_eq!(
            options.metrics_token.as_ref().map(MetricsToken::as_bytes),
            Some(&b"0123456789abcdef0123"[..])
        );
        assert_eq!(
            format!("{:?}", options.metrics_token),
            "Some(MetricsToken(…))"
        );
        let off = parse_without_env(&["server", "--allow-self-registration", "off"]).unwrap();
        assert!(!off.options.allow_self_registration);
    }

    #[test]
    fn malformed_values_are_refused_by_the_parser() {
        for args in [
            &["server", "--verify-ttl", "soon"][..],
            &["server", "--retention", "forever"],
            &["server", "--public-url", "team.example.com"],
            &["server", "--smtp-timeout-secs", "0"],
            &["server", "--allow-self-registration", "maybe"],
            &["server", "--invites-per-hour", "many"],
            &["server", "--site-addr", "localhost"],
            &["server", "--log", "info,[["],
            &["server", "--max-connections", "0"],
            &["server", "--body-read-timeout", "0"],
            &["server", "--request-timeout", "soon"],
            &["server", "--no-such-flag"],
            &["server", "--log-format", "xml"],
            &["server", "--metrics-token", "short"],
            &["server", "--metrics-token", "has a space in it, long"],
            &["server", "backup"],
            &["server", "migrate", "now"],
        ] {
            let error = parse_without_env(args).map(|_| ()).unwrap_err();
            assert_eq!(error.exit_code(), 2, "{args:?}");
            let line = one_line(&error);
            assert!(
                line.starts_with("error: ") && !line.contains('\n'),
                "{args:?}: {line}"
            );
        }
        let missing = parse_without_env(&["server", "create-admin", "--first-name", "Ada"])
            .map(|_| ())
            .unwrap_err();
        let line = one_line(&missing);
        assert!(
            line.contains("--last-name")
                && line.contains("--email")
                && line.ends_with("(see --help)"),
            "{line}"
        );
        let value = parse_without_env(&["server", "--verify-ttl", "soon"])
            .map(|_| ())
            .unwrap_err();
        assert!(one_line(&value).contains("'soon'"), "{}", one_line(&value));
    }

    /// Every setting is a global flag with an environment variable, and it
    /// has a default or is optional (none is required).
    #[test]
    fn every_setting_has_a_variable_and_none_is_required() {
        let command = command();
        let settings: Vec<_> = command
            .get_arguments()
            .filter(|arg| arg.is_global_set())
            .collect();
        assert!(settings.len() > 30, "{} settings", settings.len());
        for arg in settings {
            assert!(
                arg.get_env().is_some(),
                "--{:?} has no variable",
                arg.get_long()
            );
            assert!(!arg.is_required_set(), "--{:?} is required", arg.get_long());
        }
    }

    /// The variables `.env.example` names, set or commented out
    /// (`NAME=value` or `# NAME=value`).
    fn env_example_variables() -> BTreeSet<String> {
        include_str!("../../.env.example")
            .lines()
            .filter_map(|line| {
                let line = line.trim_start_matches('#').trim_start();
                let (name, _) = line.split_once('=')?;
                let is_name = !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
                is_name.then(|| name.to_owned())
            })
            .collect()
    }

    #[test]
    fn the_env_example_lists_exactly_the_known_settings() {
        let command = command();
        let mut known: BTreeSet<String> = command
            .get_arguments()
            .chain(
                command
                    .get_subcommands()
                    .flat_map(|sub| sub.get_arguments()),
            )
            .filter_map(|arg| arg.get_env())
            .map(|name| name.to_string_lossy().into_owned())
            .collect();
        known.insert(ADMIN_PASSWORD_ENV.to_owned());
        assert_eq!(env_example_variables(), known);
    }

    #[test]
    fn the_workspace_site_file_parses() {
        let path = find_site_file(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        let site = read_site_file(&path).unwrap();
        assert_eq!(site.output_name, "muster");
        assert_eq!(site.site_addr.to_string(), "127.0.0.1:3000");
    }

    #[test]
    fn the_public_url_defaults_to_the_listening_address() {
        let leptos_config = find_site_file(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        let cli = parse_without_env(&[
            "server",
            "--leptos-config",
            leptos_config.to_str().unwrap(),
            "--site-addr",
            "127.0.0.1:3999",
        ])
        .unwrap();
        let config = cli.options.to_config().unwrap();
        assert_eq!(
            config.public_url.as_ref().map(PublicUrl::as_str),
            Some("http://127.0.0.1:3999")
        );
        assert_eq!(config.settings.public_url.as_str(), "http://127.0.0.1:3999");
        assert_eq!(config.site_addr.to_string(), "127.0.0.1:3999");
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

    #[cfg(unix)]
    #[test]
    fn a_secret_others_can_read_is_refused_with_the_chmod_to_run() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = std::env::temp_dir().join(format!("muster-secret-{}", backend::tokens::new_id()));
        let path = dir.join("data").join("secret.key");
        load_or_create_secret(&path).unwrap();
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(path.parent().unwrap()), 0o700, "data/ is private");
        for shared in [0o644, 0o640, 0o604, 0o660] {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(shared)).unwrap();
            let error = format!("{:#}", load_or_create_secret(&path).unwrap_err());
            assert!(
                error.contains(&format!("chmod 600 {}", path.display())),
                "{shared:o}: {error}"
            );
        }
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
        assert!(load_or_create_secret(&path).is_ok());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
