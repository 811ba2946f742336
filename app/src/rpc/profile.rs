//! Server functions of the Profile page and of the email-change link. Each
//! checks the signed-in session; the services re-check every rule inside
//! their transaction.

use leptos::prelude::*;
pub use shared::dto::profile::*;

use crate::error::AppError;

/// The signed-in user and the token of the session this request came with
/// (the Sessions list marks it, a password change keeps it).
#[cfg(feature = "ssr")]
async fn require_session() -> Result<
    (
        crate::state::AppState,
        shared::dto::auth::CurrentUser,
        String,
    ),
    AppError,
> {
    let (state, user) = super::ctx::require_user().await?;
    let token = super::ctx::session_token().ok_or(AppError::Unauthenticated)?;
    Ok((state, user, token))
}

/// The signed-in member in the account their session acts in.
#[cfg(feature = "ssr")]
async fn require_member() -> Result<
    (
        crate::state::AppState,
        backend::services::profile::OwnMember,
    ),
    AppError,
> {
    let (state, user) = super::ctx::require_user().await?;
    let me = backend::services::profile::OwnMember::of_session(&user)?;
    Ok((state, me))
}

/// "Your Details" → "Save".
#[server(prefix = "/rpc", endpoint = "profile/details")]
pub async fn update_details(first_name: String, last_name: String) -> Result<(), AppError> {
    let (state, user) = super::ctx::require_user().await?;
    backend::services::profile::update_details(&state, &user, &first_name, &last_name).await?;
    Ok(())
}

/// "Email Address" → "Change Email": mails a link to the new address (the
/// same answer whether or not that address has an account).
#[server(prefix = "/rpc", endpoint = "profile/email")]
pub async fn change_email(new_email: String, email_password: String) -> Result<(), AppError> {
    let (state, user) = super::ctx::require_user().await?;
    backend::services::profile::request_email_change(&state, &user, &new_email, &email_password)
        .await
        // This form's "Current Password" field is `email_password`.
        .map_err(|error| rename_field(AppError::from(error), "current_password", "email_password"))
}

/// `error` with its field errors for `from` under `to` instead.
#[cfg(feature = "ssr")]
fn rename_field(error: AppError, from: &str, to: &str) -> AppError {
    match error {
        AppError::Validation(mut fields) => {
            for field in &mut fields {
                if field.field == from {
                    to.clone_into(&mut field.field);
                }
            }
            AppError::Validation(fields)
        }
        other => other,
    }
}

/// "Password" → "Change Password": the other sessions end, this one stays.
#[server(prefix = "/rpc", endpoint = "profile/password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), AppError> {
    let (state, user, token) = require_session().await?;
    backend::services::profile::change_password(
        &state,
        &user,
        &token,
        &current_password,
        &new_password,
    )
    .await?;
    Ok(())
}

/// "Sessions": the user's own sessions, the current one marked.
#[server(prefix = "/rpc", endpoint = "profile/sessions")]
pub async fn list_sessions() -> Result<Vec<SessionRow>, AppError> {
    let (state, user, token) = require_session().await?;
    Ok(backend::services::profile::list_sessions(&state, &user, &token).await?)
}

/// "Sign Out" on another session's row.
#[server(prefix = "/rpc", endpoint = "profile/revoke_session")]
pub async fn revoke_session(session_id: String) -> Result<(), AppError> {
    let (state, user, token) = require_session().await?;
    backend::services::profile::revoke_session(&state, &user, &token, &session_id).await?;
    Ok(())
}

/// "Sign Out Everywhere Else": how many sessions ended.
#[server(prefix = "/rpc", endpoint = "profile/revoke_other_sessions")]
pub async fn revoke_other_sessions() -> Result<u64, AppError> {
    let (state, user, token) = require_session().await?;
    Ok(backend::services::profile::revoke_other_sessions(&state, &user, &token).await?)
}

/// "API Key": the own key's summary in the current account, `None` when
/// the session acts in no account.
#[server(prefix = "/rpc", endpoint = "profile/api_key")]
pub async fn own_api_key_summary() -> Result<Option<OwnApiKey>, AppError> {
    let (state, user) = super::ctx::require_user().await?;
    if user.membership.is_none() {
        return Ok(None);
    }
    let me = backend::services::profile::OwnMember::of_session(&user)?;
    Ok(Some(
        backend::services::profile::own_api_key(&state, &me).await?,
    ))
}

/// "Copy API Key": the own key (audited).
#[server(prefix = "/rpc", endpoint = "profile/reveal_api_key")]
pub async fn reveal_own_api_key() -> Result<String, AppError> {
    let (state, me) = require_member().await?;
    Ok(backend::services::profile::reveal_own_api_key(&state, &me).await?)
}

/// "Refresh": a new own key (the old one stops working at once).
#[server(prefix = "/rpc", endpoint = "profile/refresh_api_key")]
pub async fn refresh_own_api_key() -> Result<String, AppError> {
    let (state, me) = require_member().await?;
    Ok(backend::services::profile::refresh_own_api_key(&state, &me).await?)
}

/// "Leave Account" → "Leave": the membership in the current account ends.
#[server(prefix = "/rpc", endpoint = "profile/leave")]
pub async fn leave_account() -> Result<(), AppError> {
    let (state, me) = require_member().await?;
    backend::services::profile::leave_account(&state, &me).await?;
    Ok(())
}

/// What the page an email-change link opens shows. Reads only.
#[server(prefix = "/rpc", endpoint = "email_change_landing")]
pub async fn email_change_link(token: String) -> Result<EmailChangeLanding, AppError> {
    use super::ctx;
    let state = ctx::state()?;
    backend::services::profile::email_change_landing(&state, &token)
        .await
        .map_err(ctx::internal)
}

/// "Confirm Email Address": applies the change the link was sent for. A
/// plain form post (before hydration) goes back to the link's page, which
/// then shows the outcome.
#[server(prefix = "/rpc", endpoint = "confirm_email_change")]
pub async fn confirm_email_change(token: String) -> Result<EmailChangeOutcome, AppError> {
    use super::ctx;
    let state = ctx::state()?;
    let outcome = backend::services::profile::confirm_email_change(&state, &token)
        .await
        .map_err(ctx::internal)?;
    if ctx::from_a_plain_form() && backend::tokens::is_well_formed(&token) {
        let shown = match outcome {
            EmailChangeOutcome::Changed { .. } => "?outcome=changed",
            EmailChangeOutcome::Taken => "?outcome=taken",
            _ => "",
        };
        leptos_axum::redirect(&format!("/confirm-email/{token}{shown}"));
    }
    Ok(outcome)
}
