//! Server functions for signing in and out, and the signed-in user.

use leptos::prelude::*;

use crate::error::AppError;
pub use shared::dto::auth::*;

/// The user behind this request's session cookie, if any.
#[server(prefix = "/rpc", endpoint = "current_user")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    let state = super::ctx::state()?;
    super::ctx::signed_in_user(&state).await
}

/// Signs in and redirects to `next` (a local path) or home.
#[server(prefix = "/rpc", endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    use super::ctx;
    use backend::services::auth;
    let state = ctx::state()?;
    let client = ctx::client_address(&state);
    let user_agent = ctx::user_agent();
    let token = auth::sign_in(&state, &email, password, &client, user_agent.as_deref()).await?;
    // A new session id on every sign-in: whatever session came with the
    // request (possibly planted) is ended, never upgraded.
    if let Some(previous) = ctx::session_token() {
        auth::sign_out(&state, &previous)
            .await
            .map_err(ctx::internal)?;
    }
    ctx::set_session_cookie(&state, &token);
    // Someone with a pending invitation is taken to it first.
    let next = next.filter(|next| !next.is_empty());
    let invited = next.is_none()
        && backend::services::invitations::has_pending(
            &state,
            &shared::domain::normalize_email(&email),
        )
        .await
        .map_err(ctx::internal)?;
    // Sanitised before the redirect: leptos_axum panics on a header value
    // it cannot build.
    let target = if invited {
        "/invitations".to_owned()
    } else {
        super::safe_next(next.as_deref(), state.settings.public_url.url())
    };
    leptos_axum::redirect(&target);
    Ok(())
}

/// Ends the session and returns to the sign-in page.
#[server(prefix = "/rpc", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use super::ctx;
    let state = ctx::state()?;
    if let Some(token) = ctx::session_token() {
        backend::services::auth::sign_out(&state, &token)
            .await
            .map_err(ctx::internal)?;
    }
    ctx::clear_session_cookie(&state);
    leptos_axum::redirect("/sign-in");
    Ok(())
}
