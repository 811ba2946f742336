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

/// What the page a verification link opens shows. Reads only: mail
/// scanners follow links, so the GET of the page verifies nothing.
#[server(prefix = "/rpc", endpoint = "verification_landing")]
pub async fn verification_landing(token: String) -> Result<VerifyLanding, AppError> {
    use super::ctx;
    let state = ctx::state()?;
    backend::services::identity::verification_landing(&state, &token)
        .await
        .map_err(ctx::internal)
}

/// Uses a verification link's token: the button "Verify Email Address".
/// A plain form post (before hydration) goes back to the link's page, which
/// then shows the outcome.
#[server(prefix = "/rpc", endpoint = "verify_email")]
pub async fn verify_email(token: String) -> Result<VerifyOutcome, AppError> {
    use super::ctx;
    let state = ctx::state()?;
    let outcome = backend::services::identity::verify_email(&state, &token)
        .await
        .map_err(ctx::internal)?;
    if ctx::from_a_plain_form() && backend::tokens::is_well_formed(&token) {
        let shown = match outcome {
            VerifyOutcome::Verified => "?outcome=verified",
            _ => "",
        };
        leptos_axum::redirect(&format!("/verify-email/{token}{shown}"));
    }
    Ok(outcome)
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
