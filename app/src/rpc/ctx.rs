//! What server functions share: the state, the session cookie, the status
//! of an error answer, and logging unexpected errors.

use axum::http::HeaderValue;
use axum::http::header::{COOKIE, SET_COOKIE};
use http::request::Parts;
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use crate::error::AppError;
use crate::rpc::auth::CurrentUser;
use crate::state::AppState;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "muster_session";

/// # Errors
/// `Internal` if the server was wired without state (a bug).
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::Internal
    })
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name).then_some(value)
    })
}

/// The session token from this request's cookie, if any.
pub fn session_token() -> Option<String> {
    let parts = use_context::<Parts>()?;
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(|header| cookie_value(header, SESSION_COOKIE))
        .map(str::to_owned)
}

fn set_cookie(value: String) {
    if let (Some(response), Ok(value)) = (
        use_context::<ResponseOptions>(),
        HeaderValue::from_str(&value),
    ) {
        response.append_header(SET_COOKIE, value);
    }
}

/// Sets the session cookie: HttpOnly, SameSite=Lax, Secure over https.
pub fn set_session_cookie(state: &AppState, token: &str) {
    let max_age = state.settings.session_absolute_timeout.as_secs();
    let secure = if state.settings.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    set_cookie(format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ));
}

/// Tells the browser to forget the session cookie.
pub fn clear_session_cookie(state: &AppState) {
    let secure = if state.settings.secure_cookies() {
        "; Secure"
    } else {
        ""
    };
    set_cookie(format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
    ));
}

/// The caller's address for rate limits: from the trusted proxy's header
/// when one is configured (its last entry, the one the proxy added), else
/// the connection's peer address.
pub fn client_address(state: &AppState) -> String {
    let Some(parts) = use_context::<Parts>() else {
        return "unknown".into();
    };
    if let Some(header) = &state.settings.trusted_proxy_header {
        let forwarded = parts
            .headers
            .get(header.as_str())
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.rsplit(',').next())
            .map(str::trim)
            .filter(|value| !value.is_empty());
        if let Some(address) = forwarded {
            return address.to_owned();
        }
    }
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map_or_else(|| "unknown".into(), |info| info.0.ip().to_string())
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
    use super::cookie_value;

    #[test]
    fn finds_a_cookie_among_others() {
        assert_eq!(
            cookie_value("a=1; muster_session=tok; b=2", "muster_session"),
            Some("tok")
        );
        assert_eq!(cookie_value("xmuster_session=tok", "muster_session"), None);
        assert_eq!(cookie_value("", "muster_session"), None);
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
