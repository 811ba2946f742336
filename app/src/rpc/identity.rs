//! Server functions for registration and email verification.

use leptos::prelude::*;
pub use shared::dto::identity::*;

use crate::error::AppError;

/// Whether people may register without an invitation.
#[server(prefix = "/rpc", endpoint = "registration_open")]
pub async fn registration_open() -> Result<bool, AppError> {
    Ok(super::ctx::state()?.settings.allow_self_registration)
}

/// Registers a new user and sends the verification email. Answers the same
/// whether or not the address already has an account.
#[server(prefix = "/rpc", endpoint = "register")]
pub async fn register(
    first_name: String,
    last_name: String,
    email: String,
    password: String,
) -> Result<(), AppError> {
    use super::ctx;
    use backend::services::identity::{self, Registration};

    let state = ctx::state()?;
    if !state.settings.allow_self_registration {
        return Err(AppError::Forbidden);
    }
    let registration = Registration::parse(&first_name, &last_name, &email, &password)?;
    let client = ctx::client_address(&state);
    identity::register(&state, registration, &client).await?;
    leptos_axum::redirect("/check-email");
    Ok(())
}

/// Uses a verification link's token.
#[server(prefix = "/rpc", endpoint = "verify_email")]
pub async fn verify_email(token: String) -> Result<VerifyOutcome, AppError> {
    use super::ctx;
    let state = ctx::state()?;
    backend::services::identity::verify_email(&state, &token)
        .await
        .map_err(ctx::internal)
}

/// Sends a new verification link to `email` if it needs one; answers the
/// same either way.
#[server(prefix = "/rpc", endpoint = "resend_verification")]
pub async fn resend_verification(email: String) -> Result<(), AppError> {
    use super::ctx;
    use backend::services::identity;
    let state = ctx::state()?;
    let client = ctx::client_address(&state);
    identity::resend_verification(&state, &email, &client)
        .await
        .map_err(AppError::from)
}
