//! Server functions for "Forgot password": asking for a reset link, the
//! page the link opens (reads only), and setting the new password.

use leptos::prelude::*;
pub use shared::dto::password_reset::*;

use crate::error::AppError;

/// "Send Reset Link": mails a reset link if the address has an account.
/// Answers the same either way (and past the rate limits): the browser goes
/// to `/forgot-password?sent=1`, which says so.
#[server(prefix = "/rpc", endpoint = "request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    use super::ctx;
    let state = ctx::state()?;
    let client = ctx::client_address(&state);
    backend::services::password_reset::request_reset(&state, &email, &client).await?;
    leptos_axum::redirect("/forgot-password?sent=1");
    Ok(())
}

/// What the page a reset link opens shows. Reads only: mail scanners follow
/// links, so the GET of the page changes nothing.
#[server(prefix = "/rpc", endpoint = "password_reset_landing")]
pub async fn password_reset_landing(token: String) -> Result<ResetLanding, AppError> {
    use super::ctx;
    let state = ctx::state()?;
    backend::services::password_reset::reset_landing(&state, &token)
        .await
        .map_err(ctx::internal)
}

/// "Reset Password": sets the new password through the link's token, ends
/// every session of the user (this browser's cookie goes too) and sends the
/// browser to `/sign-in?reset=1` ("Your password has been reset.").
#[server(prefix = "/rpc", endpoint = "reset_password")]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    use super::ctx;
    let state = ctx::state()?;
    backend::services::password_reset::reset_password(&state, &token, &password).await?;
    ctx::clear_session_cookie(&state);
    leptos_axum::redirect("/sign-in?reset=1");
    Ok(())
}
