//! Server functions for the invited person: the invitation link, and
//! accepting after sign-in.

use leptos::prelude::*;
pub use shared::dto::invitations::*;

use crate::error::AppError;

/// What an invitation link leads to.
#[server(prefix = "/rpc", endpoint = "invitation/landing")]
pub async fn invitation_landing(token: String) -> Result<InviteLanding, AppError> {
    let state = super::ctx::state()?;
    backend::services::invitations::landing(&state, &token)
        .await
        .map_err(super::ctx::internal)
}

/// Registers from an invitation link: the email is the invited one. The
/// verification email is sent as for any registration.
#[server(prefix = "/rpc", endpoint = "invitation/register")]
pub async fn register_from_invitation(
    token: String,
    first_name: String,
    last_name: String,
    password: String,
) -> Result<(), AppError> {
    let state = super::ctx::state()?;
    let client = super::ctx::client_address(&state);
    backend::services::invitations::register(
        &state,
        &token,
        &first_name,
        &last_name,
        password,
        &client,
    )
    .await?;
    leptos_axum::redirect("/check-email");
    Ok(())
}

/// The signed-in user's pending invitations.
#[server(prefix = "/rpc", endpoint = "invitation/pending")]
pub async fn pending_invitations() -> Result<Vec<PendingInvitation>, AppError> {
    let (state, user) = super::ctx::require_user().await?;
    backend::services::invitations::pending_for(&state, &user)
        .await
        .map_err(super::ctx::internal)
}

/// Accepts an invitation: Active member with the invited role and a fresh
/// API key; the inviting account becomes the session's current one; then
/// its home.
#[server(prefix = "/rpc", endpoint = "invitation/accept")]
pub async fn accept_invitation(invitation_id: String) -> Result<(), AppError> {
    let (state, user) = super::ctx::require_user().await?;
    let token = super::ctx::session_token();
    backend::services::invitations::accept(&state, &user, &invitation_id, token.as_deref()).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Declines an invitation: it is `declined`, and the admin sees so. A form
/// post from a page not yet hydrated comes back to `/invitations`.
#[server(prefix = "/rpc", endpoint = "invitation/decline")]
pub async fn decline_invitation(invitation_id: String) -> Result<(), AppError> {
    let (state, user) = super::ctx::require_user().await?;
    backend::services::invitations::decline(&state, &user, &invitation_id).await?;
    Ok(())
}
