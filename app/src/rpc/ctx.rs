//! What server functions share: the state, the session cookie, the status
//! of an error answer, and logging unexpected errors.

use std::time::Duration;

use axum::http::HeaderValue;
use axum::http::header::{COOKIE, SET_COOKIE};
use backend::settings::Settings;
use cookie::{Cookie, SameSite};
use http::request::Parts;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use crate::error::AppError;
use crate::rpc::auth::CurrentUser;
use crate::state::AppState;

/// Name of the session cookie over http (development, tests).
pub const SESSION_COOKIE: &str = "muster_session";
/// Name of the session cookie over https: the `__Host-` prefix makes the
/// browser refuse it unless it is `Secure`, `Path=/` and has no `Domain`, so
/// a sibling subdomain cannot plant or shadow it.
pub const HOST_SESSION_COOKIE: &str = "__Host-muster_session";

/// # Errors
/// `Internal` if the server was wired without state (a bug).
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::Internal
    })
}

/// The session cookie's name for these settings.
pub fn session_cookie_name(settings: &Settings) -> &'static str {
    if settings.secure_cookies() {
        HOST_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// The value of cookie `name` in a `Cookie` header (parsed by the `cookie`
/// crate; pairs it cannot parse are skipped).
pub fn cookie_value(header: &str, name: &str) -> Option<String> {
    Cookie::split_parse(header)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
}

/// The session token from this request's cookie, if any.
pub fn session_token() -> Option<String> {
    let state = use_context::<AppState>()?;
    let parts = use_context::<Parts>()?;
    let name = session_cookie_name(&state.settings);
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|header| cookie_value(header, name))
}

fn set_cookie(value: &str) {
    if let (Some(response), Ok(value)) = (
        use_context::<ResponseOptions>(),
        HeaderValue::from_str(value),
    ) {
        response.append_header(SET_COOKIE, value);
    }
}

/// The session cookie carrying `token` (empty, with `Max-Age=0`: the
/// cookie's removal): HttpOnly, SameSite=Lax, `Path=/`, no `Domain`; over
/// https `Secure` and the `__Host-` name.
pub fn session_set_cookie(settings: &Settings, token: &str, max_age: Duration) -> String {
    let max_age =
        cookie::time::Duration::seconds(i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX));
    Cookie::build((session_cookie_name(settings), token))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(settings.secure_cookies())
        .max_age(max_age)
        .build()
        .to_string()
}

/// Sets the session cookie, for the absolute session lifetime.
pub fn set_session_cookie(state: &AppState, token: &str) {
    let max_age = state.settings.session_absolute_timeout;
    set_cookie(&session_set_cookie(&state.settings, token, max_age));
}

/// Tells the browser to forget the session cookie.
pub fn clear_session_cookie(state: &AppState) {
    set_cookie(&session_set_cookie(&state.settings, "", Duration::ZERO));
}

/// This request's `User-Agent` header, if any (described for the Profile
/// page's Sessions list when a session opens).
pub fn user_agent() -> Option<String> {
    let parts = use_context::<Parts>()?;
    parts
        .headers
        .get(http::header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

/// The caller's address for rate limits: from the trusted proxy's header
/// when one is configured (its last entry, the one the proxy added), else
/// the connection's peer address; see [`rate_limit_key`].
pub fn client_address(state: &AppState) -> String {
    let Some(parts) = use_context::<Parts>() else {
        return "unknown".into();
    };
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip());
    let forwarded = state
        .settings
        .trusted_proxy_header
        .as_ref()
        .and_then(|header| forwarded_address(&parts.headers, header));
    forwarded
        .or(peer)
        .map_or_else(|| "unknown".into(), rate_limit_key)
}

/// The address the trusted proxy put in header `name`: the last entry of
/// the last line (a proxy appends its own line or entry after whatever the
/// client sent), parsed as an IP address (`ip:port` and `[ipv6]:port` too).
/// `None` when that entry is missing or not an address: the caller then
/// uses the peer, never a client-chosen string.
pub fn forwarded_address(headers: &http::HeaderMap, name: &str) -> Option<std::net::IpAddr> {
    let last_line = headers.get_all(name).iter().next_back()?;
    let entry = last_line.to_str().ok()?.rsplit(',').next()?.trim();
    entry
        .parse::<std::net::IpAddr>()
        .or_else(|_| entry.parse::<std::net::SocketAddr>().map(|addr| addr.ip()))
        .ok()
}

/// The rate-limit key of an address: an IPv4 address as itself, an IPv6
/// address by its /64 (one subscriber's network: a client holds the whole
/// /64 and could otherwise take a new key per request). IPv4-mapped IPv6
/// addresses count as the IPv4 address.
pub fn rate_limit_key(address: std::net::IpAddr) -> String {
    use std::net::{IpAddr, Ipv6Addr};
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let network = u128::from(v6) & !((1_u128 << 64) - 1);
                format!("{}/64", Ipv6Addr::from(network))
            }
        },
    }
}

/// Answers this server function call with `status` and, if given, a
/// `Retry-After` of that many seconds (called once, where an `AppError` is
/// serialised). A plain form post from a page that is not yet hydrated keeps
/// the redirect back to the page that Leptos answers it with.
pub fn set_error_status(status: u16, retry_after: Option<u64>) {
    let Some(response) = use_context::<ResponseOptions>() else {
        return;
    };
    if let (false, Ok(status)) = (from_a_plain_form(), http::StatusCode::from_u16(status)) {
        response.set_status(status);
        if let Some(seconds) = retry_after {
            response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
        }
    }
}

/// Whether this server function call is a plain form post from a page that
/// is not hydrated yet (it accepts HTML; a hydrated page's call does not).
pub fn from_a_plain_form() -> bool {
    use_context::<Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
    })
}

/// Logs the whole chain of an unexpected error and answers `Internal`; a
/// full password-hasher queue (`backend::passwords::Busy`, carried in the
/// services' `Unexpected`) answers `Busy` (503 with `Retry-After`).
pub fn internal(error: impl Into<anyhow::Error>) -> AppError {
    let error = error.into();
    if backend::passwords::Busy::is(&error) {
        tracing::warn!("the password hasher is busy; answering 503");
        return AppError::Busy;
    }
    tracing::error!(error = format!("{error:#}"), "unexpected error");
    AppError::Internal
}

/// This request's signed-in user, once looked up: the server provides an
/// empty one per request, so the shell and every server function a page
/// calls while it renders share one session read.
#[derive(Clone, Default)]
pub struct RequestUser(std::sync::Arc<tokio::sync::Mutex<Option<Option<CurrentUser>>>>);

async fn look_up_user(state: &AppState) -> Result<Option<CurrentUser>, AppError> {
    let Some(token) = session_token() else {
        return Ok(None);
    };
    backend::services::auth::current_user(state, &token)
        .await
        .map_err(internal)
}

/// The user behind this request's session cookie, if any (read once per
/// request).
///
/// # Errors
/// `Internal` on a database failure.
pub async fn signed_in_user(state: &AppState) -> Result<Option<CurrentUser>, AppError> {
    let Some(cache) = use_context::<RequestUser>() else {
        return look_up_user(state).await;
    };
    let mut slot = cache.0.lock().await;
    if let Some(user) = slot.as_ref() {
        return Ok(user.clone());
    }
    let user = look_up_user(state).await?;
    *slot = Some(user.clone());
    Ok(user)
}

/// The signed-in user, or `Unauthenticated`.
///
/// # Errors
/// `Unauthenticated` without a valid session.
pub async fn require_user() -> Result<(AppState, CurrentUser), AppError> {
    let state = state()?;
    let user = signed_in_user(&state)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok((state, user))
}

/// The signed-in user as an Admin of the account they work in.
///
/// # Errors
/// `Unauthenticated` without a session, `Forbidden` for non-admins.
pub async fn require_admin() -> Result<(AppState, backend::services::team::Actor), AppError> {
    use backend::services::team::{Actor, Source};
    let (state, user) = require_user().await?;
    let actor = Actor::admin(&user, Source::Ui)?;
    Ok((state, actor))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use backend::settings::{PublicUrl, Settings};

    use super::{
        cookie_value, forwarded_address, rate_limit_key, session_cookie_name, session_set_cookie,
    };

    fn forwarded(lines: &[&[u8]]) -> Option<String> {
        let mut headers = http::HeaderMap::new();
        for line in lines {
            headers.append(
                "x-forwarded-for",
                http::HeaderValue::from_bytes(line).unwrap(),
            );
        }
        forwarded_address(&headers, "x-forwarded-for").map(|ip| ip.to_string())
    }

    #[test]
    fn the_proxy_header_is_read_from_its_last_line_and_entry_as_an_ip() {
        assert_eq!(forwarded(&[b"203.0.113.7"]).as_deref(), Some("203.0.113.7"));
        assert_eq!(
            forwarded(&[b"6.6.6.6, 203.0.113.7"]).as_deref(),
            Some("203.0.113.7")
        );
        // HAProxy's `option forwardfor` adds its own line after the client's.
        assert_eq!(
            forwarded(&[b"6.6.6.6", b"203.0.113.7"]).as_deref(),
            Some("203.0.113.7")
        );
        assert_eq!(
            forwarded(&[b"6.6.6.6", b"1.1.1.1, 203.0.113.8 "]).as_deref(),
            Some("203.0.113.8")
        );
        assert_eq!(forwarded(&[b"2001:db8::1"]).as_deref(), Some("2001:db8::1"));
        assert_eq!(
            forwarded(&[b"203.0.113.7:4711"]).as_deref(),
            Some("203.0.113.7")
        );
        assert_eq!(
            forwarded(&[b"[2001:db8::1]:443"]).as_deref(),
            Some("2001:db8::1")
        );
        // Not an address: the caller falls back to the peer.
        for bad in [
            &b"unknown"[..],
            b"",
            b"203.0.113.7,",
            b"evil.example",
            b"203.0.113.7 6.6.6.6",
            b"\xff\xfe",
            b"203.0.113.256",
        ] {
            assert_eq!(forwarded(&[bad]), None, "{bad:?}");
        }
        // A valid client line first does not rescue an invalid proxy line.
        assert_eq!(forwarded(&[b"203.0.113.7", b"junk"]), None);
        assert_eq!(forwarded(&[]), None);
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let key = |text: &str| rate_limit_key(text.parse().unwrap());
        assert_eq!(key("203.0.113.7"), "203.0.113.7");
        assert_eq!(key("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:dead:beef:0:1"), key("2001:db8:1:2::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::1"), "::/64");
    }

    #[test]
    fn finds_a_cookie_among_others() {
        assert_eq!(
            cookie_value("a=1; muster_session=tok; b=2", "muster_session").as_deref(),
            Some("tok")
        );
        assert_eq!(
            cookie_value("a=1;muster_session=tok", "muster_session").as_deref(),
            Some("tok")
        );
        assert_eq!(
            cookie_value("junk; muster_session=tok", "muster_session").as_deref(),
            Some("tok")
        );
        assert_eq!(cookie_value("xmuster_session=tok", "muster_session"), None);
        assert_eq!(cookie_value("", "muster_session"), None);
        assert_eq!(
            cookie_value("muster_session=tok", "__Host-muster_session"),
            None
        );
    }

    fn settings(public_url: &str) -> Settings {
        Settings {
            public_url: PublicUrl::parse(public_url).unwrap(),
            ..Settings::default()
        }
    }

    fn attributes(set_cookie: &str) -> Vec<String> {
        let mut parts: Vec<String> = set_cookie
            .split(';')
            .map(|part| part.trim().to_owned())
            .collect();
        parts.sort();
        parts
    }

    #[test]
    fn over_https_the_session_cookie_is_a_host_cookie() {
        let https = settings("https://team.example.com/muster");
        let cookie = session_set_cookie(&https, "tok", Duration::from_secs(600));
        assert!(cookie.starts_with("__Host-muster_session=tok;"), "{cookie}");
        assert_eq!(
            attributes(&cookie),
            [
                "HttpOnly",
                "Max-Age=600",
                "Path=/",
                "SameSite=Lax",
                "Secure",
                "__Host-muster_session=tok"
            ]
        );
        let cleared = session_set_cookie(&https, "", Duration::ZERO);
        assert!(cleared.starts_with("__Host-muster_session=;"), "{cleared}");
        assert!(cleared.contains("Max-Age=0"), "{cleared}");
    }

    #[test]
    fn over_http_the_session_cookie_keeps_its_plain_name() {
        let http = settings("http://127.0.0.1:3000");
        let cookie = session_set_cookie(&http, "tok", Duration::from_secs(60));
        assert_eq!(
            attributes(&cookie),
            [
                "HttpOnly",
                "Max-Age=60",
                "Path=/",
                "SameSite=Lax",
                "muster_session=tok"
            ]
        );
        assert_eq!(session_cookie_name(&http), "muster_session");
    }

    #[test]
    fn a_busy_hasher_is_answered_503_with_retry_after_and_anything_else_500() {
        use crate::error::AppError;
        use anyhow::Context as _;
        let busy = Err::<(), _>(backend::passwords::Busy)
            .context("verifying the password")
            .unwrap_err();
        let answer = super::internal(busy);
        assert_eq!(answer, AppError::Busy);
        assert_eq!(answer.status_code(), 503);
        assert_eq!(
            answer.retry_after(),
            Some(backend::passwords::Busy::RETRY_AFTER_SECONDS)
        );
        assert_eq!(
            answer.to_string(),
            "The server is busy. Please try again in a moment."
        );
        let other = super::internal(anyhow::anyhow!("disk on fire"));
        assert_eq!(other, AppError::Internal);
        assert_eq!(other.retry_after(), None);
    }
}
